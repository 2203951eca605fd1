#pragma once
// Private to the plot module: the layout of panels on the canvas, the data -> pixel mapping,
// and drawing one Axes into a cairo context.
#include <cairo.h>

#include <string>
#include <string_view>
#include <vector>

#include "ann/plot/figure.h"

namespace ann::plot::detail {

/// Pixels per point at a figure's dpi (a point is 1/72 inch).
inline double px_per_pt(double dpi) { return dpi / 72.0; }

/// Text sizes in points; one place so every figure matches.
struct FontSizes {
  static constexpr double title = 16.0, label = 13.0, tick = 12.0, legend = 12.0;
};

/// Panel i's region of the canvas and the plot box inside it (integer pixels).
struct PanelLayout {
  Box panel, plot;
};
PanelLayout layout_panel(const Figure& figure, std::size_t i);

/// The affine map from an Axes' data limits onto its plot box (y grows upwards in data,
/// downwards in pixels).
struct DataToPixel {
  Box box;
  double x_lo, x_hi, y_lo, y_hi;
  double px(double x) const { return box.x + (x - x_lo) / (x_hi - x_lo) * box.width; }
  double py(double y) const { return box.y + (y_hi - y) / (y_hi - y_lo) * box.height; }
  /// The inverse, for rasterising: data coordinates of a pixel position.
  double data_x(double px) const { return x_lo + (px - box.x) / box.width * (x_hi - x_lo); }
  double data_y(double py) const { return y_hi - (py - box.y) / box.height * (y_hi - y_lo); }
};
DataToPixel data_to_pixel(const Axes& axes, const Box& plot);

/// "Nice" tick positions (steps of 1, 2, 2.5 or 5 × 10^k) within [lo, hi], about `target` of them.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);
/// Tick labels with as many decimals as the step needs, and a true minus sign.
std::vector<std::string> tick_labels(const std::vector<double>& ticks);

// ---- cairo helpers --------------------------------------------------------------------------
void set_color(cairo_t* cr, const Color& c);
enum class VAlign { Baseline, Center, Top, Bottom };
/// Draws UTF-8 text in the sans font at (x, y) pixels; returns its advance width.
double draw_text(cairo_t* cr, std::string_view text, double x, double y, double size_px, Align align, VAlign valign,
                 const Color& color, bool bold = false);
double text_width(cairo_t* cr, std::string_view text, double size_px, bool bold = false);

/// Draws panel i of `figure` (its data, then frame, ticks, title and legend).
void draw_axes(cairo_t* cr, const Figure& figure, std::size_t i);
/// Draws the whole figure: background, then every panel.
void draw_figure(cairo_t* cr, const Figure& figure);

// ---- the artists (artists.cpp), in pixel space, clipped by the caller ----------------------
void draw_regions(cairo_t* cr, const Regions& r, const DataToPixel& map);
void draw_line(cairo_t* cr, const Line& l, const DataToPixel& map, double pt);
void draw_scatter(cairo_t* cr, const Scatter& s, const DataToPixel& map, double pt);
void draw_arrow(cairo_t* cr, const Arrow& a, const DataToPixel& map, double pt);

}  // namespace ann::plot::detail
