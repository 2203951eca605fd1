#pragma once
// ann::plot::Figure — a canvas of one or more Axes side by side, rendered with cairo to a
// PNG, an SVG, or an Image in memory.
//
//   plot::Figure fig(800, 800, plot::Theme::Dark);
//   fig.add_axes().limits(-1.1, 1.1, -1.1, 1.1).square().scatter({...});
//   fig.save("spiral.png");   // format from the extension; written atomically
#include <cstddef>
#include <deque>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "ann/plot/axes.h"
#include "ann/plot/color.h"
#include "ann/plot/image.h"

namespace ann::plot {

/// Dark: black background, light text (the notebooks' dark_background style); Light: white.
enum class Theme { Dark, Light };
/// "dark" / "light"; throws ValueError naming the choices.
Theme parse_theme(std::string_view name);
std::string_view to_string(Theme theme);

/// The colours of everything that is not data.
struct ThemeColors {
  Color background, text, frame, grid, zero_line, legend_face;
};
ThemeColors theme_colors(Theme theme);

/// Output formats; Both is for writers of several files (a single file is PNG or SVG).
enum class Format { PNG, SVG, Both };
/// "png" / "svg" / "both"; throws ValueError naming the choices.
Format parse_format(std::string_view name);
std::string_view to_string(Format format);
/// PNG for ".png", SVG for ".svg" (case-insensitive); ValueError naming the extension otherwise.
Format format_of(const std::filesystem::path& path);

/// Where a panel's plot box lies on the canvas, in pixels (for tests and overlays).
struct Box {
  double x = 0, y = 0, width = 0, height = 0;
};

class Figure {
 public:
  /// A canvas of width × height pixels. `dpi` says how many pixels make an inch, so that
  /// sizes in points (fonts, line widths, markers) scale with the canvas: 800 px at 100 dpi is
  /// matplotlib's 8-inch figure. Throws ValueError for a non-positive size or dpi.
  Figure(int width, int height, Theme theme = Theme::Dark, double dpi = 100.0);

  /// A new panel to the right of the existing ones; panels share the width equally.
  /// The reference stays valid for the figure's lifetime.
  Axes& add_axes();
  Axes& axes(std::size_t i);
  const Axes& axes(std::size_t i) const;
  std::size_t panels() const { return axes_.size(); }

  int width() const { return width_; }
  int height() const { return height_; }
  Theme theme() const { return theme_; }
  double dpi() const { return dpi_; }

  /// Panel i's plot box (after the square option), in pixels from the top left.
  Box plot_box(std::size_t i) const;
  /// Where data point (x, y) of panel i lands, in pixels (continuous; pixel centres are at +0.5).
  std::pair<double, double> to_pixel(std::size_t i, double x, double y) const;

  /// Renders to an opaque ARGB image.
  Image render() const;
  /// The bytes of a PNG or SVG file.
  std::string encode(Format format) const;
  /// Writes the figure as PNG or SVG, chosen by the extension, atomically (a temporary file
  /// beside the target, flushed, then renamed over it). Throws ValueError for another
  /// extension, IOError naming the path when it cannot be written.
  void save(const std::filesystem::path& path) const;

 private:
  int width_, height_;
  Theme theme_;
  double dpi_;
  std::deque<Axes> axes_;  // a deque keeps references from add_axes() valid
};

}  // namespace ann::plot
