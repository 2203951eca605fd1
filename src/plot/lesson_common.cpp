// Shared pieces of the lesson's figures.
#include "lesson_common.h"

#include <cmath>
#include <cstdio>

namespace ann::plot::detail {

Figure lesson_canvas(int panels, const Style& style, double aspect) {
  const double panel = 800.0 * style.scale;
  return Figure(static_cast<int>(std::lround(panel * panels)), static_cast<int>(std::lround(panel * aspect)),
                style.theme, 100.0 * style.scale);
}

Axes& data_frame(Axes& axes, double zoom) {
  return axes.limits(-1.1 * zoom, 1.1 * zoom, -1.1 * zoom, 1.1 * zoom).square().axis_off().zero_lines();
}

std::vector<double> values(const Tensor& t) {
  const std::vector<float> f = t.to_vector<float>();
  return {f.begin(), f.end()};
}

std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * fraction);
  return buf;
}

}  // namespace ann::plot::detail
