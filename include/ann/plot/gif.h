#pragma once
// Animated GIFs from rendered frames (giflib): one shared palette of the frames' most
// frequent colours — a figure holds a few flat colours (background, class regions, points,
// text), so 256 entries keep them exact and only antialiased edges move to a neighbour.
#include <filesystem>
#include <string>
#include <vector>

#include "ann/plot/image.h"

namespace ann::plot {

struct GifOptions {
  int delay_cs = 10;        ///< time each frame is shown, in 1/100 s
  int last_delay_cs = 200;  ///< the last frame's, so the result stays on screen a moment
  bool loop = true;         ///< repeat forever (NETSCAPE2.0 extension)
};

/// The bytes of an animated GIF of `frames` (at least one, all the same size).
/// Throws ValueError for no frames or frames of different sizes.
std::string encode_gif(const std::vector<Image>& frames, const GifOptions& options = {});
/// encode_gif written to `path` atomically; IOError names the path when it cannot be written.
void write_gif(const std::filesystem::path& path, const std::vector<Image>& frames, const GifOptions& options = {});

/// The palette encode_gif uses: up to 256 colours, the most frequent first.
std::vector<RGB8> gif_palette(const std::vector<Image>& frames);

}  // namespace ann::plot
