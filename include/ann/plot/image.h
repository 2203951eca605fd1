#pragma once
// A raster image in memory: what a Figure renders to before it becomes a PNG or a GIF frame,
// and what read_png gives back (so that tests can look at the pixels of a written figure).
#include <cstdint>
#include <filesystem>
#include <vector>

#include "ann/plot/color.h"

namespace ann::plot {

/// Pixels as 0xAARRGGBB words (alpha-premultiplied, as cairo keeps them), the top row first.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<std::uint32_t> argb;

  /// The pixel at column x, row y (0, 0 is the top left), un-premultiplied to 8-bit RGB.
  /// Throws ValueError outside the image.
  RGB8 at(int x, int y) const;
  /// The pixel's alpha, 0..255.
  std::uint8_t alpha(int x, int y) const;
};

/// Reads a PNG file (any colour type cairo reads) into an Image; throws IOError naming the
/// path when it cannot be read or decoded.
Image read_png(const std::filesystem::path& path);

}  // namespace ann::plot
