// One panel: grid and zero lines under the data, the data clipped to the plot box, then the
// frame, ticks, labels, title and legend on top.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "render.h"

namespace ann::plot::detail {

namespace {

void hline(cairo_t* cr, double x0, double x1, double y) {
  cairo_move_to(cr, x0, y);
  cairo_line_to(cr, x1, y);
}
void vline(cairo_t* cr, double x, double y0, double y1) {
  cairo_move_to(cr, x, y0);
  cairo_line_to(cr, x, y1);
}

void draw_grid(cairo_t* cr, const Axes& axes, const DataToPixel& map, const ThemeColors& theme, double pt) {
  cairo_new_path(cr);
  const Box& b = map.box;
  for (double t : nice_ticks(axes.x_lo(), axes.x_hi())) vline(cr, map.px(t), b.y, b.y + b.height);
  for (double t : nice_ticks(axes.y_lo(), axes.y_hi())) hline(cr, b.x, b.x + b.width, map.py(t));
  set_color(cr, theme.grid);
  cairo_set_line_width(cr, 0.8 * pt);
  const double dashes[2] = {3.0 * pt, 2.0 * pt};
  cairo_set_dash(cr, dashes, 2, 0);
  cairo_stroke(cr);
  cairo_set_dash(cr, nullptr, 0, 0);
}

// The notebooks' axvline(0) / axhline(0): colour '.15' (dark theme), 1 pt, under the data.
void draw_zero_lines(cairo_t* cr, const Axes& axes, const DataToPixel& map, const ThemeColors& theme, double pt) {
  cairo_new_path(cr);
  const Box& b = map.box;
  if (axes.x_lo() <= 0 && 0 <= axes.x_hi()) vline(cr, map.px(0), b.y, b.y + b.height);
  if (axes.y_lo() <= 0 && 0 <= axes.y_hi()) hline(cr, b.x, b.x + b.width, map.py(0));
  set_color(cr, theme.zero_line);
  cairo_set_line_width(cr, 1.0 * pt);
  cairo_stroke(cr);
}

void draw_frame_and_ticks(cairo_t* cr, const Axes& axes, const DataToPixel& map, const ThemeColors& theme, double pt) {
  const Box& b = map.box;
  const double tick = 4.0 * pt, gap = 3.0 * pt, size = FontSizes::tick * pt;
  cairo_new_path(cr);
  cairo_rectangle(cr, b.x, b.y, b.width, b.height);
  const auto xt = nice_ticks(axes.x_lo(), axes.x_hi()), yt = nice_ticks(axes.y_lo(), axes.y_hi());
  for (double t : xt) vline(cr, map.px(t), b.y + b.height, b.y + b.height + tick);
  for (double t : yt) hline(cr, b.x - tick, b.x, map.py(t));
  set_color(cr, theme.frame);
  cairo_set_line_width(cr, 1.0 * pt);
  cairo_stroke(cr);

  const auto xl = tick_labels(xt), yl = tick_labels(yt);
  for (std::size_t i = 0; i < xt.size(); ++i)
    draw_text(cr, xl[i], map.px(xt[i]), b.y + b.height + tick + gap, size, Align::Center, VAlign::Top, theme.text);
  double widest = 0;
  for (std::size_t i = 0; i < yt.size(); ++i)
    widest = std::max(
        widest, draw_text(cr, yl[i], b.x - tick - gap, map.py(yt[i]), size, Align::Right, VAlign::Center, theme.text));

  const double label = FontSizes::label * pt;
  if (!axes.xlabel_text().empty()) {
    draw_text(cr, axes.xlabel_text(), b.x + b.width / 2, b.y + b.height + tick + gap + 1.4 * size, label, Align::Center,
              VAlign::Top, theme.text);
  }
  if (!axes.ylabel_text().empty()) {
    // Rotated a quarter turn, reading upwards, left of the tick labels.
    cairo_save(cr);
    cairo_translate(cr, b.x - tick - 2 * gap - widest, b.y + b.height / 2);
    cairo_rotate(cr, -std::numbers::pi / 2);
    draw_text(cr, axes.ylabel_text(), 0, 0, label, Align::Center, VAlign::Bottom, theme.text);
    cairo_restore(cr);
  }
}

struct LegendEntry {
  const std::string* label;
  Color color;
  bool is_line;
  double width;
  bool dashed;
};

std::vector<LegendEntry> legend_entries(const Axes& axes) {
  std::vector<LegendEntry> out;
  for (const Artist& a : axes.artists()) {
    if (const auto* l = std::get_if<Line>(&a); l && !l->label.empty())
      out.push_back({&l->label, l->color, true, l->width, l->dashed});
    if (const auto* s = std::get_if<Scatter>(&a); s && !s->label.empty() && !s->colors.empty())
      out.push_back({&s->label, s->colors.front(), false, std::sqrt(s->size), false});
  }
  return out;
}

void draw_legend(cairo_t* cr, const Axes& axes, const DataToPixel& map, const ThemeColors& theme, double pt) {
  const auto entries = legend_entries(axes);
  if (entries.empty() || !axes.legend_corner()) return;
  const double size = FontSizes::legend * pt, row = 1.5 * size, pad = 6 * pt, sample = 22 * pt, inset = 8 * pt;
  double text_w = 0;
  for (const auto& e : entries) text_w = std::max(text_w, text_width(cr, *e.label, size));
  const double w = pad + sample + pad + text_w + pad,
               h = 2 * pad + row * static_cast<double>(entries.size()) - 0.5 * size;
  const Box& b = map.box;
  const Corner c = *axes.legend_corner();
  const bool left = c == Corner::UpperLeft || c == Corner::LowerLeft,
             top = c == Corner::UpperLeft || c == Corner::UpperRight;
  const double x = left ? b.x + inset : b.x + b.width - inset - w;
  const double y = top ? b.y + inset : b.y + b.height - inset - h;

  cairo_new_path(cr);
  cairo_rectangle(cr, x, y, w, h);
  set_color(cr, theme.legend_face);
  cairo_fill_preserve(cr);
  set_color(cr, theme.frame.with_alpha(0.6));
  cairo_set_line_width(cr, 0.8 * pt);
  cairo_stroke(cr);

  double cy = y + pad + 0.5 * size;
  for (const auto& e : entries) {
    set_color(cr, e.color);
    if (e.is_line) {
      cairo_set_line_width(cr, e.width * pt);
      if (e.dashed) {
        const double dashes[2] = {3.7 * e.width * pt, 1.6 * e.width * pt};
        cairo_set_dash(cr, dashes, 2, 0);
      }
      cairo_move_to(cr, x + pad, cy);
      cairo_line_to(cr, x + pad + sample, cy);
      cairo_stroke(cr);
      cairo_set_dash(cr, nullptr, 0, 0);
    } else {
      cairo_arc(cr, x + pad + sample / 2, cy, e.width / 2 * pt, 0, 2 * std::numbers::pi);
      cairo_fill(cr);
    }
    draw_text(cr, *e.label, x + pad + sample + pad, cy, size, Align::Left, VAlign::Center, theme.text);
    cy += row;
  }
}

}  // namespace

void draw_axes(cairo_t* cr, const Figure& figure, std::size_t i) {
  const Axes& axes = figure.axes(i);
  const ThemeColors theme = theme_colors(figure.theme());
  const double pt = px_per_pt(figure.dpi());
  const PanelLayout layout = layout_panel(figure, i);
  const DataToPixel map = data_to_pixel(axes, layout.plot);
  const Box& b = layout.plot;

  cairo_save(cr);
  cairo_rectangle(cr, b.x, b.y, b.width, b.height);
  cairo_clip(cr);
  if (axes.axis_on() && axes.has_grid()) draw_grid(cr, axes, map, theme, pt);
  if (axes.has_zero_lines()) draw_zero_lines(cr, axes, map, theme, pt);
  for (const Artist& artist : axes.artists()) {
    if (const auto* r = std::get_if<Regions>(&artist)) draw_regions(cr, *r, map);
    if (const auto* l = std::get_if<Line>(&artist)) draw_line(cr, *l, map, pt);
    if (const auto* s = std::get_if<Scatter>(&artist)) draw_scatter(cr, *s, map, pt);
    if (const auto* a = std::get_if<Arrow>(&artist)) draw_arrow(cr, *a, map, pt);
    if (const auto* t = std::get_if<Text>(&artist))
      draw_text(cr, t->text, map.px(t->x), map.py(t->y), t->size * pt, t->align, VAlign::Center,
                t->color.value_or(theme.text));
  }
  cairo_restore(cr);

  if (axes.axis_on()) draw_frame_and_ticks(cr, axes, map, theme, pt);
  if (!axes.title_text().empty())
    draw_text(cr, axes.title_text(), b.x + b.width / 2, b.y - 10 * pt, FontSizes::title * pt, Align::Center,
              VAlign::Bottom, theme.text);
  draw_legend(cr, axes, map, theme, pt);
}

void draw_figure(cairo_t* cr, const Figure& figure) {
  set_color(cr, theme_colors(figure.theme()).background);
  cairo_paint(cr);
  for (std::size_t i = 0; i < figure.panels(); ++i) draw_axes(cr, figure, i);
}

}  // namespace ann::plot::detail
