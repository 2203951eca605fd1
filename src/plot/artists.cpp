// Drawing each kind of artist in pixel space. The caller has clipped to the plot box.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "render.h"

namespace ann::plot::detail {

namespace {

std::uint32_t premultiplied(const Color& c, double alpha) {
  auto byte = [](double v) { return static_cast<std::uint32_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0)); };
  const double a = c.a * alpha;
  return byte(a) << 24 | byte(c.r * a) << 16 | byte(c.g * a) << 8 | byte(c.b * a);
}

// Where the pixel centres of one image axis fall on one grid axis (in grid units t, cell k
// centred on t = k): inside the grid or not, the nearest grid point, and the two grid points
// around it with the weight of the upper one — clamped at the edges. Worked out once per
// column and per row, so the per-pixel work is a few lookups.
struct GridAxis {
  std::vector<char> inside;
  std::vector<std::int64_t> nearest, lo, hi;
  std::vector<double> weight;
};

GridAxis grid_axis(const std::vector<double>& t, std::int64_t n) {
  GridAxis a;
  for (double v : t) {
    const double f = std::floor(v);
    const auto k = static_cast<std::int64_t>(f);
    a.inside.push_back(v >= -0.5 && v < static_cast<double>(n) - 0.5);
    a.nearest.push_back(std::clamp<std::int64_t>(std::llround(v), 0, n - 1));
    a.lo.push_back(std::clamp<std::int64_t>(k, 0, n - 1));
    a.hi.push_back(std::clamp<std::int64_t>(k + 1, 0, n - 1));
    a.weight.push_back(v - f);
  }
  return a;
}

// The class drawn at pixel column c, row r, or -1 outside the grid. Nearest grid point, or
// with `smooth` the class whose one-hot indicator, bilinearly interpolated from the four
// surrounding grid points, is largest: the 0.5-level boundary contourf would trace.
std::int64_t class_at(const Regions& g, const GridAxis& cols, std::size_t c, const GridAxis& rows, std::size_t r) {
  if (!cols.inside[c] || !rows.inside[r]) return -1;
  auto cell = [&](std::int64_t i, std::int64_t j) { return g.classes[static_cast<std::size_t>(i * g.nx + j)]; };
  if (!g.smooth) return cell(rows.nearest[r], cols.nearest[c]);
  const std::int64_t cls[4] = {cell(rows.lo[r], cols.lo[c]), cell(rows.lo[r], cols.hi[c]), cell(rows.hi[r], cols.lo[c]),
                               cell(rows.hi[r], cols.hi[c])};
  if (cls[0] == cls[1] && cls[0] == cls[2] && cls[0] == cls[3]) return cls[0];  // inside a region
  const double wu = cols.weight[c], wv = rows.weight[r];
  const double w[4] = {(1 - wu) * (1 - wv), wu * (1 - wv), (1 - wu) * wv, wu * wv};
  std::int64_t best = cls[0];
  double best_weight = -1;
  for (int k = 0; k < 4; ++k) {
    double total = 0;
    for (int m = 0; m < 4; ++m)
      if (cls[m] == cls[k]) total += w[m];
    if (total > best_weight) best_weight = total, best = cls[k];
  }
  return best;
}

// Liang-Barsky: clips segment a-b to the rectangle; false when nothing is left. Keeps
// cairo's fixed-point coordinates in range when a curve runs far outside the limits.
bool clip_segment(double& ax, double& ay, double& bx, double& by, double x0, double y0, double x1, double y1) {
  double t0 = 0, t1 = 1;
  const double dx = bx - ax, dy = by - ay;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {ax - x0, x1 - ax, ay - y0, y1 - ay};
  for (int k = 0; k < 4; ++k) {
    if (p[k] == 0) {
      if (q[k] < 0) return false;
      continue;
    }
    const double t = q[k] / p[k];
    if (p[k] < 0)
      t0 = std::max(t0, t);
    else
      t1 = std::min(t1, t);
    if (t0 > t1) return false;
  }
  const double sx = ax, sy = ay;
  ax = sx + t0 * dx, ay = sy + t0 * dy;
  bx = sx + t1 * dx, by = sy + t1 * dy;
  return true;
}

}  // namespace

void draw_regions(cairo_t* cr, const Regions& r, const DataToPixel& map) {
  const int w = static_cast<int>(map.box.width), h = static_cast<int>(map.box.height);
  // Rasterised at the plot box's own resolution, one colour per device pixel: no seams
  // between cells (as separately filled translucent squares would leave) and no resampling.
  cairo_surface_t* img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(img);
    return;
  }
  std::vector<std::uint32_t> fill;
  for (const Color& c : r.class_colors) fill.push_back(premultiplied(c, r.alpha));
  cairo_surface_flush(img);
  unsigned char* data = cairo_image_surface_get_data(img);
  const int stride = cairo_image_surface_get_stride(img);
  std::vector<double> u(static_cast<std::size_t>(w)), v(static_cast<std::size_t>(h));
  for (int px = 0; px < w; ++px) u[static_cast<std::size_t>(px)] = (map.data_x(map.box.x + px + 0.5) - r.x0) / r.dx;
  for (int py = 0; py < h; ++py) v[static_cast<std::size_t>(py)] = (map.data_y(map.box.y + py + 0.5) - r.y0) / r.dy;
  const GridAxis cols = grid_axis(u, r.nx), rows = grid_axis(v, r.ny);
  for (int py = 0; py < h; ++py) {
    auto* row = reinterpret_cast<std::uint32_t*>(data + py * stride);
    for (int px = 0; px < w; ++px) {
      const std::int64_t c = class_at(r, cols, static_cast<std::size_t>(px), rows, static_cast<std::size_t>(py));
      row[px] = c < 0 ? 0u : fill[static_cast<std::size_t>(c)];
    }
  }
  cairo_surface_mark_dirty(img);
  cairo_set_source_surface(cr, img, map.box.x, map.box.y);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
  cairo_paint(cr);
  cairo_surface_destroy(img);
}

void draw_line(cairo_t* cr, const Line& l, const DataToPixel& map, double pt) {
  const double width = l.width * pt, pad = 4 * width + 2;
  const double x0 = map.box.x - pad, y0 = map.box.y - pad;
  const double x1 = map.box.x + map.box.width + pad, y1 = map.box.y + map.box.height + pad;
  cairo_new_path(cr);
  bool pen_down = false;
  double last_x = 0, last_y = 0;
  for (std::size_t i = 0; i + 1 < l.x.size(); ++i) {
    if (!(std::isfinite(l.x[i]) && std::isfinite(l.y[i]) && std::isfinite(l.x[i + 1]) && std::isfinite(l.y[i + 1]))) {
      pen_down = false;
      continue;
    }
    double ax = map.px(l.x[i]), ay = map.py(l.y[i]), bx = map.px(l.x[i + 1]), by = map.py(l.y[i + 1]);
    if (!clip_segment(ax, ay, bx, by, x0, y0, x1, y1)) {
      pen_down = false;
      continue;
    }
    if (!pen_down || ax != last_x || ay != last_y) cairo_move_to(cr, ax, ay);
    cairo_line_to(cr, bx, by);
    pen_down = true;
    last_x = bx, last_y = by;
  }
  set_color(cr, l.color);
  cairo_set_line_width(cr, width);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
  if (l.dashed) {
    const double dashes[2] = {3.7 * width, 1.6 * width};  // matplotlib's "--" scaled by the width
    cairo_set_dash(cr, dashes, 2, 0);
  }
  cairo_stroke(cr);
  cairo_set_dash(cr, nullptr, 0, 0);
}

void draw_scatter(cairo_t* cr, const Scatter& s, const DataToPixel& map, double pt) {
  const double radius = std::sqrt(s.size) / 2 * pt;  // s is the marker's area in pt²: a square of side √s
  for (std::size_t i = 0; i < s.x.size(); ++i) {
    if (!(std::isfinite(s.x[i]) && std::isfinite(s.y[i]))) continue;
    const double px = map.px(s.x[i]), py = map.py(s.y[i]);
    if (px < map.box.x - radius || px > map.box.x + map.box.width + radius || py < map.box.y - radius ||
        py > map.box.y + map.box.height + radius)
      continue;
    set_color(cr, s.colors.size() == 1 ? s.colors[0] : s.colors[i]);
    cairo_new_path(cr);
    cairo_arc(cr, px, py, radius, 0, 2 * std::numbers::pi);
    cairo_fill(cr);
  }
}

void draw_arrow(cairo_t* cr, const Arrow& a, const DataToPixel& map, double pt) {
  const double ax = map.px(a.x0), ay = map.py(a.y0), bx = map.px(a.x1), by = map.py(a.y1);
  const double len = std::hypot(bx - ax, by - ay);
  if (!(len > 0)) return;
  const double ux = (bx - ax) / len, uy = (by - ay) / len;
  const double head = std::min((6.0 + 2.0 * a.width) * pt, 0.6 * len), half = 0.4 * head;
  set_color(cr, a.color);
  // The shaft stops where the head begins, so that the stroke does not poke through its tip.
  cairo_new_path(cr);
  cairo_move_to(cr, ax, ay);
  cairo_line_to(cr, bx - ux * head, by - uy * head);
  cairo_set_line_width(cr, a.width * pt);
  cairo_stroke(cr);
  cairo_move_to(cr, bx, by);
  cairo_line_to(cr, bx - ux * head - uy * half, by - uy * head + ux * half);
  cairo_line_to(cr, bx - ux * head + uy * half, by - uy * head - ux * half);
  cairo_close_path(cr);
  cairo_fill(cr);
}

}  // namespace ann::plot::detail
