// Axes: recording what to draw, checking it when it is given rather than when it is drawn.
#include "ann/plot/axes.h"

#include <cmath>
#include <string>

#include "ann/error.h"

namespace ann::plot {

namespace {
void check_range(const char* which, double lo, double hi) {
  if (!(std::isfinite(lo) && std::isfinite(hi) && lo < hi)) {
    throw ValueError(std::string("plot: ") + which + " limits must be finite with lo < hi, got (" + std::to_string(lo) +
                     ", " + std::to_string(hi) + ")");
  }
}

void check_artist(const Scatter& s) {
  if (s.x.size() != s.y.size()) throw ValueError("plot: scatter needs as many x as y values");
  if (s.colors.size() != 1 && s.colors.size() != s.x.size()) {
    throw ValueError("plot: scatter needs one colour, or one per point (" + std::to_string(s.x.size()) + "), got " +
                     std::to_string(s.colors.size()));
  }
  if (!(s.size > 0)) throw ValueError("plot: scatter marker size must be positive");
}

void check_artist(const Line& l) {
  if (l.x.size() != l.y.size()) throw ValueError("plot: line needs as many x as y values");
  if (!(l.width > 0)) throw ValueError("plot: line width must be positive");
}

void check_artist(const Regions& r) {
  if (r.nx < 1 || r.ny < 1 || r.classes.size() != static_cast<std::size_t>(r.nx * r.ny)) {
    throw ValueError("plot: regions need nx·ny classes (" + std::to_string(r.nx) + "·" + std::to_string(r.ny) +
                     "), got " + std::to_string(r.classes.size()));
  }
  if (!(r.dx > 0 && r.dy > 0)) throw ValueError("plot: region cells must have positive size");
  for (std::int64_t c : r.classes) {
    if (c < 0 || c >= static_cast<std::int64_t>(r.class_colors.size())) {
      throw ValueError("plot: region class " + std::to_string(c) + " has no colour (" +
                       std::to_string(r.class_colors.size()) + " given)");
    }
  }
}

void check_artist(const Text&) {}
void check_artist(const Arrow&) {}
}  // namespace

Axes& Axes::xlim(double lo, double hi) {
  check_range("x", lo, hi);
  x_lo_ = lo;
  x_hi_ = hi;
  return *this;
}

Axes& Axes::ylim(double lo, double hi) {
  check_range("y", lo, hi);
  y_lo_ = lo;
  y_hi_ = hi;
  return *this;
}

Axes& Axes::square(bool on) {
  square_ = on;
  return *this;
}

Axes& Axes::axis(bool on) {
  axis_ = on;
  return *this;
}

Axes& Axes::zero_lines(bool on) {
  zero_lines_ = on;
  return *this;
}

Axes& Axes::grid(bool on) {
  grid_ = on;
  return *this;
}

Axes& Axes::title(std::string text) {
  title_ = std::move(text);
  return *this;
}

Axes& Axes::xlabel(std::string text) {
  xlabel_ = std::move(text);
  return *this;
}

Axes& Axes::ylabel(std::string text) {
  ylabel_ = std::move(text);
  return *this;
}

Axes& Axes::legend(Corner where) {
  legend_ = where;
  return *this;
}

Axes& Axes::add(Artist artist) {
  std::visit([](const auto& a) { check_artist(a); }, artist);
  artists_.push_back(std::move(artist));
  return *this;
}

}  // namespace ann::plot
