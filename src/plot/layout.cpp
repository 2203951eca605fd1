// Where each panel and its plot box go on the canvas. Margins are in points, so the layout
// is the same at every resolution (a 200 px figure at 25 dpi is the 800 px one, shrunk).
#include <algorithm>
#include <cmath>

#include "render.h"

namespace ann::plot::detail {

namespace {
// Room for tick labels and axis labels (axis on) or just a rim (axis off), in points.
struct Margins {
  double left, right, top, bottom;
};

Margins margins_for(const Axes& axes) {
  const double top = axes.title_text().empty() ? 14.0 : 36.0;
  if (!axes.axis_on()) return {14.0, 14.0, top, 14.0};
  const double left = axes.ylabel_text().empty() ? 48.0 : 66.0;
  const double bottom = axes.xlabel_text().empty() ? 30.0 : 48.0;
  return {left, 16.0, top, bottom};
}
}  // namespace

PanelLayout layout_panel(const Figure& figure, std::size_t i) {
  const Axes& axes = figure.axes(i);
  const double pt = px_per_pt(figure.dpi());
  const double n = static_cast<double>(figure.panels());
  PanelLayout out;
  // Panel edges on whole pixels, so that neighbouring panels neither overlap nor leave a gap.
  const double left_edge = std::round(figure.width() * static_cast<double>(i) / n);
  const double right_edge = std::round(figure.width() * static_cast<double>(i + 1) / n);
  out.panel = {left_edge, 0.0, right_edge - left_edge, static_cast<double>(figure.height())};

  const Margins m = margins_for(axes);
  double x = out.panel.x + m.left * pt, y = out.panel.y + m.top * pt;
  double w = out.panel.width - (m.left + m.right) * pt, h = out.panel.height - (m.top + m.bottom) * pt;
  w = std::max(w, 1.0);
  h = std::max(h, 1.0);
  if (axes.is_square()) {
    const double side = std::min(w, h);
    x += (w - side) / 2;
    y += (h - side) / 2;
    w = h = side;
  }
  // Whole pixels: filled regions then start on a pixel edge and need no resampling.
  out.plot = {std::round(x), std::round(y), std::max(1.0, std::round(w)), std::max(1.0, std::round(h))};
  return out;
}

DataToPixel data_to_pixel(const Axes& axes, const Box& plot) {
  return {plot, axes.x_lo(), axes.x_hi(), axes.y_lo(), axes.y_hi()};
}

}  // namespace ann::plot::detail
