#pragma once
// ann::plot::Axes — one panel of a Figure: data limits, decorations, and the things drawn in
// it, kept as a list and rendered when the figure is saved. Sizes are in points (1/72 inch)
// as in matplotlib, so a figure looks the same at any resolution.
//
//   Axes& ax = figure.add_axes();
//   ax.limits(-1.1, 1.1, -1.1, 1.1).square().axis_off().zero_lines().title("Spiral");
//   ax.scatter(x, y, colors, {.size = 20});
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ann/plot/color.h"

namespace ann::plot {

/// Where a legend sits inside its axes.
enum class Corner { UpperLeft, UpperRight, LowerLeft, LowerRight };

/// Points with one colour each; `size` is matplotlib's s, the marker's area in points².
struct Scatter {
  std::vector<double> x, y;
  std::vector<Color> colors;  ///< one per point, or one for all
  double size = 20.0;
  std::string label;  ///< legend entry ("" for none)
};

/// A polyline through (x[i], y[i]); non-finite points break it.
struct Line {
  std::vector<double> x, y;
  Color color;
  double width = 2.0;  ///< points
  std::string label;
  bool dashed = false;
};

/// Integer classes on a regular grid: cell (i, j) is centred on (x0 + j·dx, y0 + i·dy), row
/// i = 0 lowest; classes[i·nx + j]. This is the notebooks' meshgrid/argmax layout (a row of
/// the mesh holds one y). Drawn filled with class_colors at `alpha` — the contourf of argmax.
struct Regions {
  std::int64_t nx = 0, ny = 0;
  double x0 = 0, y0 = 0, dx = 1, dy = 1;
  std::vector<std::int64_t> classes{};
  std::vector<Color> class_colors{};
  double alpha = 0.3;
  /// false: each cell a flat square (the boundaries are staircases along the grid);
  /// true: boundaries interpolated between grid points (as contourf's curves).
  bool smooth = false;
};

enum class Align { Left, Center, Right };

/// Text anchored at a data point; `color` unset means the theme's text colour.
struct Text {
  double x = 0, y = 0;
  std::string text;
  double size = 14.0;  ///< points
  Align align = Align::Left;
  std::optional<Color> color{};
};

/// An arrow from (x0, y0) to (x1, y1) with a filled head at the end.
struct Arrow {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  Color color;
  double width = 1.5;  ///< points
};

using Artist = std::variant<Regions, Line, Scatter, Text, Arrow>;

class Axes {
 public:
  // ---- frame and decorations (each returns *this to chain) ----------------------------------
  /// Data limits; throws ValueError unless lo < hi and both are finite.
  Axes& xlim(double lo, double hi);
  Axes& ylim(double lo, double hi);
  Axes& limits(double x_lo, double x_hi, double y_lo, double y_hi) { return xlim(x_lo, x_hi).ylim(y_lo, y_hi); }
  /// A square plot box (plt.axis('square') when the limits span the same length).
  Axes& square(bool on = true);
  /// Frame, ticks, tick labels and axis labels (plt.axis('off') hides them).
  Axes& axis_off() { return axis(false); }
  Axes& axis(bool on);
  /// Thin lines through x = 0 and y = 0 under everything (the notebooks' axvline/axhline).
  Axes& zero_lines(bool on = true);
  /// Grid lines at the ticks (only with the axis on).
  Axes& grid(bool on = true);
  Axes& title(std::string text);
  Axes& xlabel(std::string text);
  Axes& ylabel(std::string text);
  /// A legend of the labelled lines and scatters.
  Axes& legend(Corner where = Corner::UpperLeft);

  // ---- contents, drawn in the order added ---------------------------------------------------
  Axes& add(Artist artist);
  Axes& scatter(Scatter s) { return add(std::move(s)); }
  Axes& plot(Line l) { return add(std::move(l)); }
  Axes& regions(Regions r) { return add(std::move(r)); }
  Axes& text(Text t) { return add(std::move(t)); }
  Axes& arrow(Arrow a) { return add(std::move(a)); }

  // ---- read back (for rendering) ------------------------------------------------------------
  double x_lo() const { return x_lo_; }
  double x_hi() const { return x_hi_; }
  double y_lo() const { return y_lo_; }
  double y_hi() const { return y_hi_; }
  bool is_square() const { return square_; }
  bool axis_on() const { return axis_; }
  bool has_zero_lines() const { return zero_lines_; }
  bool has_grid() const { return grid_; }
  const std::string& title_text() const { return title_; }
  const std::string& xlabel_text() const { return xlabel_; }
  const std::string& ylabel_text() const { return ylabel_; }
  const std::optional<Corner>& legend_corner() const { return legend_; }
  const std::vector<Artist>& artists() const { return artists_; }

 private:
  double x_lo_ = 0, x_hi_ = 1, y_lo_ = 0, y_hi_ = 1;
  bool square_ = false, axis_ = true, zero_lines_ = false, grid_ = false;
  std::string title_, xlabel_, ylabel_;
  std::optional<Corner> legend_;
  std::vector<Artist> artists_;
};

}  // namespace ann::plot
