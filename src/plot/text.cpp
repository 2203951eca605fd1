// Text with cairo's toy API: one sans font, placed by its anchor. Glyphs stay outlines of a
// real font in both PNG and SVG.
#include "render.h"

namespace ann::plot::detail {

namespace {
// fontconfig resolves this to DejaVu Sans where installed, else to the system's sans font.
constexpr const char* kFont = "DejaVu Sans";

void select_font(cairo_t* cr, double size_px, bool bold) {
  cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size_px);
}
}  // namespace

void set_color(cairo_t* cr, const Color& c) { cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a); }

double text_width(cairo_t* cr, std::string_view text, double size_px, bool bold) {
  select_font(cr, size_px, bold);
  const std::string s(text);
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}

double draw_text(cairo_t* cr, std::string_view text, double x, double y, double size_px, Align align, VAlign valign,
                 const Color& color, bool bold) {
  if (text.empty()) return 0.0;
  const double width = text_width(cr, text, size_px, bold);  // also selects the font
  cairo_font_extents_t f;
  cairo_font_extents(cr, &f);
  if (align == Align::Center) x -= width / 2;
  if (align == Align::Right) x -= width;
  // Vertical placement from the font's ascent and descent, not the glyphs', so that labels
  // in a row share one baseline whatever letters they hold.
  switch (valign) {
    case VAlign::Baseline: break;
    case VAlign::Center: y += (f.ascent - f.descent) / 2; break;
    case VAlign::Top: y += f.ascent; break;
    case VAlign::Bottom: y -= f.descent; break;
  }
  const std::string s(text);
  set_color(cr, color);
  cairo_move_to(cr, x, y);
  cairo_show_text(cr, s.c_str());
  cairo_new_path(cr);
  return width;
}

}  // namespace ann::plot::detail
