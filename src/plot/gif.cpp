// Animated GIF encoding with giflib, into memory, then written atomically.
#include "ann/plot/gif.h"

#include <gif_lib.h>

#include <algorithm>
#include <string>
#include <unordered_map>

#include "ann/error.h"
#include "ann/io.h"

namespace ann::plot {

namespace {

constexpr std::size_t kMaxColors = 256;

std::uint32_t key(const RGB8& c) { return std::uint32_t{c.r} << 16 | std::uint32_t{c.g} << 8 | c.b; }

// Opaque 8-bit RGB of a pixel word (frames are rendered on an opaque background; a
// translucent pixel is taken as composited over black, its premultiplied value).
RGB8 rgb_of(std::uint32_t p) {
  return {static_cast<std::uint8_t>(p >> 16), static_cast<std::uint8_t>(p >> 8), static_cast<std::uint8_t>(p)};
}

void check_frames(const std::vector<Image>& frames) {
  if (frames.empty()) throw ValueError("plot: a GIF needs at least one frame");
  for (const Image& f : frames) {
    if (f.width != frames[0].width || f.height != frames[0].height || f.width < 1 || f.height < 1 ||
        f.argb.size() != static_cast<std::size_t>(f.width) * static_cast<std::size_t>(f.height)) {
      throw ValueError("plot: GIF frames must all have the size of the first (" + std::to_string(frames[0].width) +
                       "x" + std::to_string(frames[0].height) + "), got " + std::to_string(f.width) + "x" +
                       std::to_string(f.height));
    }
  }
}

// Maps colours to palette indices: exact hits directly, the rest to the nearest entry
// (remembered, since antialiased edges repeat the same few blends).
class Quantiser {
 public:
  explicit Quantiser(const std::vector<RGB8>& palette) : palette_(palette) {
    for (std::size_t i = 0; i < palette.size(); ++i) index_.emplace(key(palette[i]), static_cast<GifPixelType>(i));
  }
  GifPixelType operator()(const RGB8& c) {
    if (auto it = index_.find(key(c)); it != index_.end()) return it->second;
    std::size_t best = 0;
    long best_d = -1;
    for (std::size_t i = 0; i < palette_.size(); ++i) {
      const long dr = long{c.r} - palette_[i].r, dg = long{c.g} - palette_[i].g, db = long{c.b} - palette_[i].b;
      const long d = dr * dr + dg * dg + db * db;
      if (best_d < 0 || d < best_d) best_d = d, best = i;
    }
    return index_.emplace(key(c), static_cast<GifPixelType>(best)).first->second;
  }

 private:
  const std::vector<RGB8>& palette_;
  std::unordered_map<std::uint32_t, GifPixelType> index_;
};

int append(GifFileType* gif, const GifByteType* data, int length) {
  static_cast<std::string*>(gif->UserData)
      ->append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
  return length;
}

void check(int result, GifFileType* gif, const char* what) {
  if (result == GIF_ERROR) {
    const char* why = GifErrorString(gif->Error);
    throw Error(std::string("plot: GIF encoding failed (") + what + "): " + (why ? why : "unknown error"));
  }
}

// Owns the encoder; EGifCloseFile writes the trailer and frees it.
struct Encoder {
  GifFileType* gif = nullptr;
  ~Encoder() {
    if (gif) EGifCloseFile(gif, nullptr);
  }
};

}  // namespace

std::vector<RGB8> gif_palette(const std::vector<Image>& frames) {
  std::unordered_map<std::uint32_t, std::size_t> counts;
  // Figures are mostly runs of one colour: count a run at once instead of per pixel.
  for (const Image& f : frames) {
    for (std::size_t i = 0; i < f.argb.size();) {
      std::size_t j = i + 1;
      while (j < f.argb.size() && f.argb[j] == f.argb[i]) ++j;
      counts[key(rgb_of(f.argb[i]))] += j - i;
      i = j;
    }
  }
  std::vector<std::pair<std::size_t, std::uint32_t>> ranked;
  ranked.reserve(counts.size());
  for (const auto& [colour, n] : counts) ranked.emplace_back(n, colour);
  // Most frequent first; ties by colour, so the palette does not depend on hash order.
  std::sort(ranked.begin(), ranked.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::vector<RGB8> palette;
  for (std::size_t i = 0; i < ranked.size() && i < kMaxColors; ++i) palette.push_back(rgb_of(ranked[i].second));
  return palette;
}

std::string encode_gif(const std::vector<Image>& frames, const GifOptions& options) {
  check_frames(frames);
  const std::vector<RGB8> palette = gif_palette(frames);
  // A GIF colour table has 2^k entries; the unused ones stay black.
  int bits = 1;
  while ((std::size_t{1} << bits) < palette.size()) ++bits;
  std::vector<GifColorType> colours(std::size_t{1} << bits, GifColorType{0, 0, 0});
  for (std::size_t i = 0; i < palette.size(); ++i) colours[i] = {palette[i].r, palette[i].g, palette[i].b};

  std::string bytes;
  int error = 0;
  Encoder enc;
  enc.gif = EGifOpen(&bytes, append, &error);
  if (!enc.gif) throw Error(std::string("plot: cannot start a GIF: ") + GifErrorString(error));
  GifFileType* gif = enc.gif;
  ColorMapObject* map = GifMakeMapObject(1 << bits, colours.data());
  if (!map) throw Error("plot: cannot allocate a GIF colour map");
  EGifSetGifVersion(gif, true);  // GIF89a: needed for delays and looping
  const int screen = EGifPutScreenDesc(gif, frames[0].width, frames[0].height, 8, 0, map);
  GifFreeMapObject(map);  // giflib keeps its own copy
  check(screen, gif, "screen descriptor");

  if (options.loop) {
    static const char kApp[] = "NETSCAPE2.0";
    const GifByteType count[3] = {1, 0, 0};  // sub-block 1: loop count 0 = forever
    check(EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE), gif, "loop extension");
    check(EGifPutExtensionBlock(gif, 11, kApp), gif, "loop extension");
    check(EGifPutExtensionBlock(gif, 3, count), gif, "loop extension");
    check(EGifPutExtensionTrailer(gif), gif, "loop extension");
  }

  Quantiser quantise(palette);
  std::vector<GifPixelType> row(static_cast<std::size_t>(frames[0].width));
  for (std::size_t k = 0; k < frames.size(); ++k) {
    const Image& f = frames[k];
    GraphicsControlBlock gcb{};
    gcb.DisposalMode = DISPOSE_DO_NOT;
    gcb.UserInputFlag = false;
    gcb.DelayTime = k + 1 == frames.size() ? options.last_delay_cs : options.delay_cs;
    gcb.TransparentColor = NO_TRANSPARENT_COLOR;
    GifByteType ext[4];
    const auto ext_len = static_cast<int>(EGifGCBToExtension(&gcb, ext));
    check(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, ext_len, ext), gif, "frame delay");
    check(EGifPutImageDesc(gif, 0, 0, f.width, f.height, false, nullptr), gif, "image descriptor");
    for (int y = 0; y < f.height; ++y) {
      const std::uint32_t* src = &f.argb[static_cast<std::size_t>(y) * static_cast<std::size_t>(f.width)];
      for (int x = 0; x < f.width; ++x)
        row[static_cast<std::size_t>(x)] =
            x > 0 && src[x] == src[x - 1] ? row[static_cast<std::size_t>(x - 1)] : quantise(rgb_of(src[x]));
      check(EGifPutLine(gif, row.data(), f.width), gif, "pixels");
    }
  }
  enc.gif = nullptr;
  if (EGifCloseFile(gif, &error) == GIF_ERROR)
    throw Error(std::string("plot: cannot finish the GIF: ") + GifErrorString(error));
  return bytes;
}

void write_gif(const std::filesystem::path& path, const std::vector<Image>& frames, const GifOptions& options) {
  io::write_file_atomic(path, encode_gif(frames, options));
}

}  // namespace ann::plot
