// The lesson's Fig. 7: a one-parameter loss J(ϑ), the slope at the starting point, and the
// steps of gradient descent down to the minimum.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ann/error.h"
#include "lesson_common.h"

namespace ann::plot {

std::vector<double> descent_path(const DescentProblem& p) {
  if (!p.loss || !p.slope) throw ValueError("plot: a descent problem needs J and J'");
  if (p.steps < 0 || !(p.lr > 0)) throw ValueError("plot: gradient descent needs steps >= 0 and lr > 0");
  std::vector<double> theta{p.theta0};
  for (int k = 0; k < p.steps; ++k) theta.push_back(theta.back() - p.lr * p.slope(theta.back()));
  return theta;
}

Figure gradient_descent_figure(const DescentProblem& p, const Style& style) {
  if (!(p.lo < p.hi)) throw ValueError("plot: the ϑ range needs lo < hi");
  const std::vector<double> theta = descent_path(p);
  const ThemeColors theme = theme_colors(style.theme);

  // The curve, and the view: J over [lo, hi] with a little room above.
  Line curve{{}, {}, cycle_color(0), 2.5, "J(\u03d1)"};
  for (int i = 0; i <= 400; ++i) {
    const double t = p.lo + (p.hi - p.lo) * i / 400.0;
    curve.x.push_back(t);
    curve.y.push_back(p.loss(t));
  }
  const auto [lo_it, hi_it] = std::minmax_element(curve.y.begin(), curve.y.end());
  const double y_lo = std::min(0.0, *lo_it), y_hi = *hi_it + 0.15 * (*hi_it - y_lo);

  Figure fig = detail::lesson_canvas(1, style);
  Axes& axes = fig.add_axes();
  axes.limits(p.lo, p.hi, y_lo, y_hi).grid().xlabel("\u03d1").ylabel("J(\u03d1)").legend(Corner::UpperLeft);
  axes.title("Gradient descent: \u03d1 \u2190 \u03d1 \u2212 \u03b7 J\u2032(\u03d1)");
  axes.plot(std::move(curve));

  // The tangent at ϑ₀: its slope J′(ϑ₀) > 0 says the loss falls to the left.
  const double t0 = theta.front(), j0 = p.loss(t0), s0 = p.slope(t0);
  const double half = 0.12 * (p.hi - p.lo) / std::sqrt(1.0 + s0 * s0 * 0.2);
  axes.plot({{t0 - half, t0 + half},
             {j0 - s0 * half, j0 + s0 * half},
             hex("#fdae61"),
             2.0,
             "slope J\u2032(\u03d1\u2080)",
             true});

  // The steps, as arrows from one iterate to the next along the curve.
  const Color step = class_color(0, 3).with_alpha(1.0);
  const Color point = hex("#d53e4f");
  for (std::size_t k = 0; k + 1 < theta.size(); ++k)
    axes.arrow({theta[k], p.loss(theta[k]), theta[k + 1], p.loss(theta[k + 1]), point, 1.5});
  char eta[32];
  std::snprintf(eta, sizeof eta, "%g", p.lr);
  Scatter iterates{{}, {}, {step}, 40.0, std::string("\u03d1\u2096, \u03b7 = ") + eta};
  for (double t : theta) {
    iterates.x.push_back(t);
    iterates.y.push_back(p.loss(t));
  }
  axes.scatter(std::move(iterates));
  axes.scatter({{t0}, {j0}, {hex("#f46d43")}, 110.0, ""});

  // Labels: the start, and the direction of the first step (−J′(ϑ₀)) along the ϑ axis.
  const double dy = 0.06 * (y_hi - y_lo);
  // Above and left of ϑ₀: the curve and its tangent both fall away below there.
  axes.text({t0 - 0.04 * (p.hi - p.lo), j0 + 0.6 * dy, "\u03d1\u2080", 14.0, Align::Right, theme.text});
  const double base = y_lo + 0.5 * dy;
  axes.arrow({t0, base, theta.size() > 1 ? theta[1] : t0, base, theme.text, 1.2});
  axes.text({t0, base + 0.9 * dy, "\u2212\u03b7 J\u2032(\u03d1\u2080)", 12.0, Align::Center, theme.text});
  return fig;
}

void gradient_descent(const std::filesystem::path& path, const Style& style, const DescentProblem& problem) {
  gradient_descent_figure(problem, style).save(path);
}

}  // namespace ann::plot
