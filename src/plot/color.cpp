// Colours and matplotlib's Spectral colour map, built the way matplotlib builds it.
#include "ann/plot/color.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "ann/error.h"

namespace ann::plot {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// matplotlib's _Spectral_data (ColorBrewer), from dark red to dark blue.
constexpr std::array<std::string_view, 11> kSpectral = {"#9e0142", "#d53e4f", "#f46d43", "#fdae61",
                                                        "#fee08b", "#ffffbf", "#e6f598", "#abdda4",
                                                        "#66c2a5", "#3288bd", "#5e4fa2"};
// rcParams["image.lut"]: the size of the table every named colour map is sampled into.
constexpr int kLutSize = 256;

// Linear interpolation between the control colours at x in [0, 1] (matplotlib's
// _create_lookup_table for a map made with LinearSegmentedColormap.from_list).
Color interpolate_controls(double x) {
  const double pos = x * static_cast<double>(kSpectral.size() - 1);
  const auto lo = std::min(static_cast<std::size_t>(pos), kSpectral.size() - 2);
  const double f = pos - static_cast<double>(lo);
  const Color a = hex(kSpectral[lo]), b = hex(kSpectral[lo + 1]);
  return {a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b), 1.0};
}

const std::array<Color, kLutSize>& spectral_lut() {
  static const std::array<Color, kLutSize> lut = [] {
    std::array<Color, kLutSize> t{};
    for (int i = 0; i < kLutSize; ++i) t[i] = interpolate_controls(static_cast<double>(i) / (kLutSize - 1));
    return t;
  }();
  return lut;
}

}  // namespace

Color hex(std::string_view text) {
  if (!text.empty() && text.front() == '#') text.remove_prefix(1);
  int v[6];
  bool ok = text.size() == 6;
  for (std::size_t i = 0; ok && i < 6; ++i) ok = (v[i] = hex_digit(text[i])) >= 0;
  if (!ok) throw ValueError("plot: \"" + std::string(text) + "\" is not a colour of the form #rrggbb");
  auto channel = [&](int i) { return (v[i] * 16 + v[i + 1]) / 255.0; };
  return {channel(0), channel(2), channel(4), 1.0};
}

RGB8 to_rgb8(const Color& c) {
  auto byte = [](double x) { return static_cast<std::uint8_t>(std::lround(std::clamp(x, 0.0, 1.0) * 255.0)); };
  return {byte(c.r), byte(c.g), byte(c.b)};
}

Color over(const Color& top, const Color& under) {
  const double a = top.a;
  return {top.r * a + under.r * (1 - a), top.g * a + under.g * (1 - a), top.b * a + under.b * (1 - a), 1.0};
}

Color spectral(double t) {
  if (std::isnan(t)) t = 0.0;
  // matplotlib's Colormap.__call__: index ⌊N·t⌋, with t = 1 folded onto the last entry.
  const double scaled = std::clamp(t, 0.0, 1.0) * kLutSize;
  const int index = std::min(static_cast<int>(scaled), kLutSize - 1);
  return spectral_lut()[static_cast<std::size_t>(index)];
}

Color class_color(std::int64_t c, std::int64_t classes) {
  if (classes < 2 || c < 0 || c >= classes) {
    throw ValueError("plot: class " + std::to_string(c) + " out of range for " + std::to_string(classes) +
                     " classes (need 0 <= class < classes, classes >= 2)");
  }
  return spectral(static_cast<double>(c) / static_cast<double>(classes - 1));
}

std::vector<Color> spectral_by_value(const std::vector<double>& values) {
  if (values.empty()) return {};
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  const double span = *hi - *lo;
  std::vector<Color> out;
  out.reserve(values.size());
  // matplotlib's Normalize maps a constant array to 0.
  for (double v : values) out.push_back(spectral(span > 0 ? (v - *lo) / span : 0.0));
  return out;
}

Color cycle_color(std::size_t i) {
  static constexpr std::array<std::string_view, 10> kBmh = {"#348abd", "#a60628", "#7a68a6", "#467821", "#d55e00",
                                                            "#cc79a7", "#56b4e9", "#009e73", "#f0e442", "#0072b2"};
  return hex(kBmh[i % kBmh.size()]);
}

}  // namespace ann::plot
