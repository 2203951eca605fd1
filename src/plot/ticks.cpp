// Tick positions and their labels.
#include <cmath>
#include <cstdio>

#include "render.h"

namespace ann::plot::detail {

namespace {
// The multipliers a readable step may have, per decade.
constexpr double kSteps[] = {1.0, 2.0, 2.5, 5.0, 10.0};

double tick_step(double lo, double hi, int target) {
  const double raw = (hi - lo) / std::max(target, 1);
  const double decade = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : kSteps)
    if ((hi - lo) / (m * decade) <= target) return m * decade;
  return 10.0 * decade;
}
}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
  const double step = tick_step(lo, hi, target);
  const double eps = step * 1e-9;  // so that a limit on a tick counts as inside
  for (double k = std::ceil((lo - eps) / step); k * step <= hi + eps; k += 1.0) {
    const double t = k * step;
    ticks.push_back(std::abs(t) < eps ? 0.0 : t);
  }
  return ticks;
}

std::vector<std::string> tick_labels(const std::vector<double>& ticks) {
  // Decimals: as many as the step between ticks needs (0.25 needs 2, 0.5 one, 5 none).
  int decimals = 0;
  if (ticks.size() >= 2) {
    const double step = ticks[1] - ticks[0];
    while (decimals < 6 && std::abs(step * std::pow(10.0, decimals) - std::round(step * std::pow(10.0, decimals))) >
                               1e-6 * step * std::pow(10.0, decimals))
      ++decimals;
  }
  std::vector<std::string> labels;
  for (double t : ticks) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, std::abs(t));
    std::string s = buf;
    // A typographic minus, as matplotlib prints it; never a "−0".
    if (t < 0 && s.find_first_not_of("0.") != std::string::npos) s = "\u2212" + s;
    labels.push_back(s);
  }
  return labels;
}

}  // namespace ann::plot::detail
