// The regression figures: the linear fit, the untrained networks, and the ensembles with
// their spread inside (Fig. 11) and outside (Fig. 12) the training interval.
#include <cstdio>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/ops.h"
#include "lesson_common.h"

namespace ann::plot {

using detail::data_frame;
using detail::lesson_canvas;
using detail::values;

namespace {

// plot_data on the regression set: the targets coloured through Spectral by value.
Scatter regression_scatter(const data::Labelled& data) {
  Scatter s;
  s.x = values(data.X);
  s.y = values(data.y);
  s.colors = spectral_by_value(s.y);
  s.size = 20.0;
  return s;
}

Line scaled(const std::vector<double>& x, const Tensor& v, double factor, Color color, std::string label) {
  std::vector<double> y = values(v);
  for (double& e : y) e *= factor;
  return {x, std::move(y), color, 2.0, std::move(label)};
}

// The variance and std curves, drawn last so they stay visible over the data.
void add_spread(Axes& axes, const std::vector<double>& x, const Tensor& var, const Tensor& std) {
  axes.plot(scaled(x, var, 10.0, detail::mpl_green(), "10 \u00d7 variance"));
  axes.plot(scaled(x, std, 10.0, detail::mpl_yellow(), "10 \u00d7 std"));
}

void require_nets(const lesson::RegressionRun& run) {
  if (run.nets.empty()) throw ValueError("plot: the regression run has no trained networks");
}

}  // namespace

Figure regression_linear_figure(const lesson::RegressionRun& run, const Style& style) {
  if (!run.linear_model) throw ValueError("plot: the regression run has no linear model");
  NoGradGuard no_grad;
  const Tensor xs = linspace(-1.1, 1.1, 221).unsqueeze(1);
  const Tensor fit = (*run.linear_model)(xs);
  const double mse = mean(pow((*run.linear_model)(run.data.X) - run.data.y, 2.0f)).item();
  char title[64];
  std::snprintf(title, sizeof title, "Linear model: MSE %.4f", mse);
  Figure fig = lesson_canvas(1, style);
  data_frame(fig.add_axes())
      .title(title)
      .scatter(regression_scatter(run.data))
      .plot({values(xs), values(fit), detail::mpl_red(), 3.0, ""});
  return fig;
}

Figure regression_before_figure(const lesson::RegressionRun& run, const Style& style) {
  require_nets(run);
  NoGradGuard no_grad;
  const std::vector<double> x = values(run.data.X);
  std::vector<Tensor> before;
  Figure fig = lesson_canvas(1, style);
  Axes& axes = data_frame(fig.add_axes()).title("Before training").legend(Corner::LowerRight);
  for (std::size_t i = 0; i < run.nets.size(); ++i) {
    const Tensor b = run.nets[i].before.reshape({-1});
    before.push_back(b);
    axes.plot({x, values(b), cycle_color(i), 1.5, ""});
  }
  axes.scatter(regression_scatter(run.data));
  // The spread across all the untrained networks; one network has none.
  if (before.size() >= 2) {
    const Tensor v = var(stack(before, 0), 0);
    axes.plot(scaled(x, v, 10.0, detail::mpl_green(), "10 \u00d7 variance"));
  }
  return fig;
}

Figure regression_ensembles_figure(const lesson::RegressionRun& run, double zoom, const Style& style) {
  require_nets(run);
  if (!(zoom > 0)) throw ValueError("plot: zoom must be positive");
  const std::vector<double> x = values(run.x_new);
  Figure fig = lesson_canvas(2, style);
  struct Family {
    lesson::Activation activation;
    const char* title;
    const Tensor &var, &std;
  };
  for (const Family& f : {Family{lesson::Activation::ReLU, "ReLU models", run.var_relu, run.std_relu},
                          Family{lesson::Activation::Tanh, "Tanh models", run.var_tanh, run.std_tanh}}) {
    Axes& axes = data_frame(fig.add_axes(), zoom).title(f.title).legend(Corner::LowerRight);
    std::size_t k = 0;
    for (const lesson::RegressionNet& net : run.nets)
      if (net.activation == f.activation) axes.plot({x, values(net.predictions), cycle_color(k++), 2.0, ""});
    axes.scatter(regression_scatter(run.data));
    if (f.var.defined() && f.std.defined()) add_spread(axes, x, f.var, f.std);
  }
  return fig;
}

void regression_linear(const lesson::RegressionRun& run, const std::filesystem::path& path, const Style& style) {
  regression_linear_figure(run, style).save(path);
}

void regression_before(const lesson::RegressionRun& run, const std::filesystem::path& path, const Style& style) {
  regression_before_figure(run, style).save(path);
}

void regression_ensembles(const lesson::RegressionRun& run, const std::filesystem::path& path, const Style& style) {
  regression_ensembles_figure(run, 1.0, style).save(path);
}

void regression_extrapolation(const lesson::RegressionRun& run, const std::filesystem::path& path, const Style& style) {
  regression_ensembles_figure(run, 4.0, style).save(path);
}

}  // namespace ann::plot
