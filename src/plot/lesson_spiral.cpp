// The spiral figures: the data (Fig. 1, 8), the decision regions (Fig. 9, 10), the
// training curves.
#include <algorithm>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/ops.h"
#include "lesson_common.h"

namespace ann::plot {

using detail::data_frame;
using detail::lesson_canvas;
using detail::values;

std::int64_t class_count(const Tensor& labels) {
  const std::vector<std::int64_t> y = labels.to_vector<std::int64_t>();
  const std::int64_t top = y.empty() ? 0 : *std::max_element(y.begin(), y.end());
  return std::max<std::int64_t>(2, top + 1);
}

Scatter class_scatter(const data::Labelled& data, std::int64_t classes) {
  if (data.X.dim() != 2 || data.X.size(1) != 2) {
    throw ShapeError("plot: spiral data must be [m, 2] points, got " + std::to_string(data.X.dim()) + "-D");
  }
  Scatter s;
  s.x = values(data.X.slice(1, 0, 1));
  s.y = values(data.X.slice(1, 1, 2));
  for (std::int64_t c : data.y.to_vector<std::int64_t>()) s.colors.push_back(class_color(c, classes));
  s.size = 20.0;
  return s;
}

Regions decision_regions(nn::Module& model) {
  NoGradGuard no_grad;
  // numpy's meshgrid(mesh, mesh) flattened: row r = i·n + j holds (mesh[j], mesh[i]), so
  // consecutive rows walk along x and the argmax reshapes to Z[i][j] at y = mesh[i].
  const std::vector<float> mesh = arange(-1.1, 1.1, 0.01).to_vector<float>();
  const auto n = static_cast<std::int64_t>(mesh.size());
  std::vector<float> points;
  points.reserve(static_cast<std::size_t>(2 * n * n));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      points.push_back(mesh[static_cast<std::size_t>(j)]);
      points.push_back(mesh[static_cast<std::size_t>(i)]);
    }
  const Tensor logits = model(from_vector(points, {n * n, 2}));
  if (logits.dim() != 2 || logits.size(0) != n * n || logits.size(1) < 2) {
    throw ShapeError("plot: decision regions need a model mapping [m, 2] points to [m, K] class scores (K >= 2)");
  }
  Regions r;
  r.nx = r.ny = n;
  r.x0 = r.y0 = mesh.front();
  r.dx = r.dy = 0.01;
  r.classes = argmax(logits, 1).to_vector<std::int64_t>();
  for (std::int64_t c = 0; c < logits.size(1); ++c) r.class_colors.push_back(class_color(c, logits.size(1)));
  r.alpha = 0.3;
  r.smooth = true;  // boundaries between the grid points, as contourf draws them
  return r;
}

Figure spiral_figure(const data::Labelled& data, const std::string& title, const Style& style) {
  Figure fig = lesson_canvas(1, style);
  data_frame(fig.add_axes()).title(title).scatter(class_scatter(data, class_count(data.y)));
  return fig;
}

Figure boundary_figure(nn::Module& model, const data::Labelled& data, const std::string& name, const Style& style) {
  Regions regions = decision_regions(model);
  const auto classes = static_cast<std::int64_t>(regions.class_colors.size());
  double acc = 0;
  {
    NoGradGuard no_grad;
    acc = lesson::accuracy(model(data.X), data.y);
  }
  Figure fig = lesson_canvas(1, style);
  data_frame(fig.add_axes())
      .title(name + ": accuracy " + detail::percent(acc))
      .regions(std::move(regions))
      .scatter(class_scatter(data, classes));
  return fig;
}

Figure training_figure(const lesson::History& linear, const lesson::History& relu, const Style& style) {
  Figure fig = lesson_canvas(2, style, 0.8);
  auto epochs = [](std::size_t n) {
    std::vector<double> e(n);
    for (std::size_t i = 0; i < n; ++i) e[i] = static_cast<double>(i + 1);
    return e;
  };
  const std::size_t n = std::max({linear.loss.size(), relu.loss.size(), std::size_t{1}});
  double top = 0;
  for (float v : linear.loss) top = std::max(top, double(v));
  for (float v : relu.loss) top = std::max(top, double(v));
  const Color c_linear = cycle_color(0), c_relu = cycle_color(4);  // blue and orange

  Axes& loss = fig.add_axes();
  loss.limits(0, static_cast<double>(n), 0, top > 0 ? 1.05 * top : 1.0).grid().title("Loss (cross-entropy)");
  loss.xlabel("epoch").legend(Corner::UpperRight);
  loss.plot({epochs(linear.loss.size()), {linear.loss.begin(), linear.loss.end()}, c_linear, 2.0, "linear (SGD)"});
  loss.plot({epochs(relu.loss.size()), {relu.loss.begin(), relu.loss.end()}, c_relu, 2.0, "two-layer ReLU (Adam)"});

  Axes& acc = fig.add_axes();
  acc.limits(0, static_cast<double>(n), 0, 1).grid().title("Accuracy").xlabel("epoch").legend(Corner::LowerRight);
  acc.plot({epochs(linear.accuracy.size()),
            {linear.accuracy.begin(), linear.accuracy.end()},
            c_linear,
            2.0,
            "linear (SGD)"});
  acc.plot({epochs(relu.accuracy.size()),
            {relu.accuracy.begin(), relu.accuracy.end()},
            c_relu,
            2.0,
            "two-layer ReLU (Adam)"});
  return fig;
}

void spiral_clean(const data::Labelled& clean, const std::filesystem::path& path, const Style& style) {
  spiral_figure(clean, "Clean spiral, Eqn. 1(a)", style).save(path);
}

void spiral_noisy(const data::Labelled& noisy, const std::filesystem::path& path, const Style& style) {
  spiral_figure(noisy, "Noisy spiral, Eqn. 1(b)", style).save(path);
}

void boundary_linear(nn::Module& model, const data::Labelled& data, const std::filesystem::path& path,
                     const Style& style) {
  boundary_figure(model, data, "Linear model", style).save(path);
}

void boundary_relu(nn::Module& model, const data::Labelled& data, const std::filesystem::path& path,
                   const Style& style) {
  boundary_figure(model, data, "Two-layer ReLU model", style).save(path);
}

void training_curves(const lesson::History& linear, const lesson::History& relu, const std::filesystem::path& path,
                     const Style& style) {
  training_figure(linear, relu, style).save(path);
}

}  // namespace ann::plot
