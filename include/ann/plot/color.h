#pragma once
// Colours, and the one colour map the lesson's figures use: matplotlib's "Spectral".
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace ann::plot {

/// Straight (not premultiplied) RGBA, each channel in [0, 1].
struct Color {
  double r = 0.0, g = 0.0, b = 0.0, a = 1.0;
  Color with_alpha(double alpha) const { return {r, g, b, alpha}; }
  bool operator==(const Color&) const = default;
};

/// An opaque colour with 8-bit channels, as a PNG stores it.
struct RGB8 {
  std::uint8_t r = 0, g = 0, b = 0;
  bool operator==(const RGB8&) const = default;
};

/// "#rrggbb" (or "rrggbb") -> opaque Color; throws ValueError for anything else.
Color hex(std::string_view text);
/// Channels rounded to 8 bits (alpha ignored).
RGB8 to_rgb8(const Color& c);
/// `top`, with its alpha, composited over the opaque `under` (Porter-Duff "over").
Color over(const Color& top, const Color& under);

/// matplotlib's Spectral at t in [0, 1] (clamped; NaN gives t = 0). As matplotlib builds it:
/// its 11 control colours evenly spaced on [0, 1], linearly interpolated into a 256-entry
/// table, and t looks up entry min(⌊256·t⌋, 255). So spectral(0) = #9e0142,
/// spectral(1) = #5e4fa2, and spectral(0.5) is entry 128, a hair past #ffffbf.
Color spectral(double t);

/// The colour of integer label c among K classes: spectral(c / (K − 1)), which is what
/// scatter(c=y, cmap=Spectral) gives labels 0..K−1 (their range is normalised to [0, 1]).
/// For K = 3: dark red, pale yellow, dark blue. Throws ValueError unless 0 <= c < K, K >= 2.
Color class_color(std::int64_t c, std::int64_t classes);

/// Real values coloured as scatter(c=values, cmap=Spectral) does: min -> 0, max -> 1.
std::vector<Color> spectral_by_value(const std::vector<double>& values);

/// matplotlib's "bmh" style colour cycle (the notebooks' line colours), entry i mod 10.
Color cycle_color(std::size_t i);

}  // namespace ann::plot
