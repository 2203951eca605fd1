// Figure: themes, formats, and turning the panels into pixels, PNG bytes or SVG bytes.
#include "ann/plot/figure.h"

#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>

#include "ann/error.h"
#include "ann/io.h"
#include "render.h"

namespace ann::plot {

Theme parse_theme(std::string_view name) {
  if (name == "dark") return Theme::Dark;
  if (name == "light") return Theme::Light;
  throw ValueError("plot: unknown theme \"" + std::string(name) + "\"; choose dark or light");
}

std::string_view to_string(Theme theme) { return theme == Theme::Dark ? "dark" : "light"; }

ThemeColors theme_colors(Theme theme) {
  if (theme == Theme::Dark) {
    // matplotlib's dark_background + bmh: black faces, white text, #bcbcbc frame, the
    // notebooks' zero lines in grey '.15'.
    return {.background = hex("#000000"),
            .text = hex("#eeeeee"),
            .frame = hex("#bcbcbc"),
            .grid = hex("#3a3a3a"),
            .zero_line = hex("#262626"),
            .legend_face = Color{0, 0, 0, 0.8}};
  }
  return {.background = hex("#ffffff"),
          .text = hex("#262626"),
          .frame = hex("#8c8c8c"),
          .grid = hex("#d4d4d4"),
          .zero_line = hex("#d9d9d9"),
          .legend_face = Color{1, 1, 1, 0.8}};
}

Format parse_format(std::string_view name) {
  if (name == "png") return Format::PNG;
  if (name == "svg") return Format::SVG;
  if (name == "both") return Format::Both;
  throw ValueError("plot: unknown format \"" + std::string(name) + "\"; choose png, svg or both");
}

std::string_view to_string(Format format) {
  switch (format) {
    case Format::PNG: return "png";
    case Format::SVG: return "svg";
    case Format::Both: return "both";
  }
  return "?";
}

Format format_of(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".png") return Format::PNG;
  if (ext == ".svg") return Format::SVG;
  throw ValueError("plot: cannot tell the format of " + path.string() + " from its extension \"" +
                   path.extension().string() + "\"; use .png or .svg");
}

Figure::Figure(int width, int height, Theme theme, double dpi)
    : width_(width), height_(height), theme_(theme), dpi_(dpi) {
  if (width < 1 || height < 1 || !(dpi > 0)) {
    throw ValueError("plot: a figure needs a positive size and dpi, got " + std::to_string(width) + "x" +
                     std::to_string(height) + " at " + std::to_string(dpi) + " dpi");
  }
}

Axes& Figure::add_axes() { return axes_.emplace_back(); }

namespace {
void check_panel(std::size_t i, std::size_t panels) {
  if (i >= panels) {
    throw ValueError("plot: no panel " + std::to_string(i) + " in a figure of " + std::to_string(panels));
  }
}
}  // namespace

Axes& Figure::axes(std::size_t i) {
  check_panel(i, axes_.size());
  return axes_[i];
}

const Axes& Figure::axes(std::size_t i) const {
  check_panel(i, axes_.size());
  return axes_[i];
}

Box Figure::plot_box(std::size_t i) const {
  axes(i);  // range check
  return detail::layout_panel(*this, i).plot;
}

std::pair<double, double> Figure::to_pixel(std::size_t i, double x, double y) const {
  const detail::DataToPixel map = detail::data_to_pixel(axes(i), plot_box(i));
  return {map.px(x), map.py(y)};
}

namespace {
using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using ContextPtr = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

void check(cairo_status_t status, const char* what) {
  if (status != CAIRO_STATUS_SUCCESS) throw Error(std::string("plot: ") + what + ": " + cairo_status_to_string(status));
}

SurfacePtr render_surface(const Figure& figure) {
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, figure.width(), figure.height()),
                     cairo_surface_destroy);
  check(cairo_surface_status(surface.get()), "cannot create the image");
  ContextPtr cr(cairo_create(surface.get()), cairo_destroy);
  detail::draw_figure(cr.get(), figure);
  check(cairo_status(cr.get()), "drawing failed");
  cairo_surface_flush(surface.get());
  return surface;
}

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}
}  // namespace

Image Figure::render() const {
  SurfacePtr surface = render_surface(*this);
  Image image{width_, height_,
              std::vector<std::uint32_t>(static_cast<std::size_t>(width_) * static_cast<std::size_t>(height_))};
  const unsigned char* data = cairo_image_surface_get_data(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  for (int y = 0; y < height_; ++y)
    std::memcpy(&image.argb[static_cast<std::size_t>(y) * static_cast<std::size_t>(width_)], data + y * stride,
                static_cast<std::size_t>(width_) * 4);
  return image;
}

std::string Figure::encode(Format format) const {
  std::string bytes;
  if (format == Format::PNG) {
    SurfacePtr surface = render_surface(*this);
    check(cairo_surface_write_to_png_stream(surface.get(), append, &bytes), "PNG encoding failed");
  } else if (format == Format::SVG) {
    SurfacePtr surface(cairo_svg_surface_create_for_stream(append, &bytes, width_, height_), cairo_surface_destroy);
    check(cairo_surface_status(surface.get()), "cannot create the SVG");
    // One SVG unit per pixel, so that the SVG and the PNG have the same size.
    cairo_svg_surface_set_document_unit(surface.get(), CAIRO_SVG_UNIT_PX);
    {
      ContextPtr cr(cairo_create(surface.get()), cairo_destroy);
      detail::draw_figure(cr.get(), *this);
      check(cairo_status(cr.get()), "drawing failed");
    }
    cairo_surface_finish(surface.get());  // writes the document's end
    check(cairo_surface_status(surface.get()), "SVG encoding failed");
  } else {
    throw ValueError("plot: a single figure is encoded as png or svg, not both");
  }
  return bytes;
}

void Figure::save(const std::filesystem::path& path) const { io::write_file_atomic(path, encode(format_of(path))); }

}  // namespace ann::plot
