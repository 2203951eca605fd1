// Image pixels, and reading a PNG back through cairo.
#include "ann/plot/image.h"

#include <cairo.h>

#include <cstring>
#include <string>

#include "ann/error.h"

namespace ann::plot {

namespace {
std::size_t index_of(const Image& image, int x, int y) {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) {
    throw ValueError("plot: pixel (" + std::to_string(x) + ", " + std::to_string(y) + ") is outside the " +
                     std::to_string(image.width) + "x" + std::to_string(image.height) + " image");
  }
  return static_cast<std::size_t>(y) * static_cast<std::size_t>(image.width) + static_cast<std::size_t>(x);
}
}  // namespace

RGB8 Image::at(int x, int y) const {
  const std::uint32_t p = argb[index_of(*this, x, y)];
  const std::uint32_t a = p >> 24;
  auto channel = [&](int shift) -> std::uint8_t {
    const std::uint32_t c = (p >> shift) & 0xff;
    if (a == 255 || a == 0) return static_cast<std::uint8_t>(c);
    return static_cast<std::uint8_t>((c * 255 + a / 2) / a);  // undo premultiplication
  };
  return {channel(16), channel(8), channel(0)};
}

std::uint8_t Image::alpha(int x, int y) const { return static_cast<std::uint8_t>(argb[index_of(*this, x, y)] >> 24); }

Image read_png(const std::filesystem::path& path) {
  cairo_surface_t* png = cairo_image_surface_create_from_png(path.c_str());
  if (cairo_surface_status(png) != CAIRO_STATUS_SUCCESS) {
    const std::string why = cairo_status_to_string(cairo_surface_status(png));
    cairo_surface_destroy(png);
    throw IOError("plot: cannot read PNG " + path.string() + ": " + why);
  }
  // Paint onto an ARGB32 surface so that every PNG colour type comes out in one layout.
  Image image;
  image.width = cairo_image_surface_get_width(png);
  image.height = cairo_image_surface_get_height(png);
  cairo_surface_t* argb = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, image.width, image.height);
  cairo_t* cr = cairo_create(argb);
  cairo_set_source_surface(cr, png, 0, 0);
  cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
  cairo_paint(cr);
  cairo_destroy(cr);
  cairo_surface_flush(argb);
  image.argb.resize(static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height));
  const unsigned char* data = cairo_image_surface_get_data(argb);
  const int stride = cairo_image_surface_get_stride(argb);
  for (int y = 0; y < image.height; ++y) {
    std::memcpy(&image.argb[static_cast<std::size_t>(y) * static_cast<std::size_t>(image.width)], data + y * stride,
                static_cast<std::size_t>(image.width) * 4);
  }
  cairo_surface_destroy(argb);
  cairo_surface_destroy(png);
  return image;
}

}  // namespace ann::plot
