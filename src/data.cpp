#include "ann/data.h"

#include <cmath>
#include <numbers>

#include "ann/error.h"
#include "ann/ops.h"

namespace ann::data {

Labelled spiral(std::int64_t per_class, std::int64_t classes, double noise, Generator& generator) {
  if (per_class < 1) throw ValueError("spiral: per_class must be at least 1, got " + std::to_string(per_class));
  if (classes < 2) throw ValueError("spiral: needs at least 2 classes, got " + std::to_string(classes));
  if (!(noise >= 0.0) || !std::isfinite(noise)) throw ValueError("spiral: noise must be >= 0, got " + std::to_string(noise));
  const std::int64_t N = per_class;
  std::vector<float> x(static_cast<std::size_t>(N * classes * 2));
  std::vector<std::int64_t> labels(static_cast<std::size_t>(N * classes));
  const double sector = 2.0 * std::numbers::pi / static_cast<double>(classes);
  for (std::int64_t c = 0; c < classes; ++c) {
    const Tensor t = linspace(0.0, 1.0, N);
    const Tensor inner = linspace(sector * static_cast<double>(c), sector * static_cast<double>(2 + c), N) +
                         randn({N}, generator) * static_cast<float>(noise);
    const std::vector<float> pt = t.to_vector<float>();
    const std::vector<float> pa = inner.to_vector<float>();
    for (std::size_t i = 0; i < static_cast<std::size_t>(N); ++i) {
      const auto row = static_cast<std::size_t>(N * c) + i;
      x[2 * row] = pt[i] * static_cast<float>(std::sin(static_cast<double>(pa[i])));
      x[2 * row + 1] = pt[i] * static_cast<float>(std::cos(static_cast<double>(pa[i])));
      labels[row] = c;
    }
  }
  return {from_vector(x, {N * classes, 2}), from_vector(labels, {N * classes})};
}

Tensor one_hot(const Tensor& labels, std::int64_t classes) {
  if (!labels.defined() || labels.dtype() != DType::Int64 || labels.dim() != 1) {
    throw TypeError("one_hot: expects a 1-D int64 label tensor" +
                    (labels.defined() ? ", got " + std::string(to_string(labels.dtype())) + " of shape " +
                                            to_string(labels.sizes())
                                      : std::string()));
  }
  if (classes < 1) throw ValueError("one_hot: number of classes must be positive, got " + std::to_string(classes));
  return ann::one_hot(labels, classes).to(DType::Float32);
}

Labelled cubic(std::int64_t points, Generator& generator) {
  if (points < 2) throw ValueError("cubic: needs at least 2 points, got " + std::to_string(points));
  const Tensor X = linspace(-1.0, 1.0, points).unsqueeze(1);
  const Tensor y = X.pow(3.f) + rand(X.sizes(), generator) * 0.3f;
  return {X, y};
}

}  // namespace ann::data
