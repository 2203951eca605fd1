#include "ann/data/standardize.h"

#include <cmath>
#include <string>

#include "ann/error.h"
#include "ann/ops.h"

namespace ann::data {

Standardizer Standardizer::fit(const Tensor& X) {
  if (!X.defined() || X.dim() != 2 || X.size(0) < 1) {
    throw ShapeError("Standardizer::fit: expected [rows, columns] with at least one row, got " +
                     (X.defined() ? to_string(X.sizes()) : std::string("an undefined tensor")));
  }
  if (X.dtype() != DType::Float32) throw TypeError("Standardizer::fit: expected float32 features, got " + std::string(to_string(X.dtype())));
  std::vector<float> mean = X.mean(0).to_vector<float>();
  std::vector<float> scale = X.std(0, /*unbiased=*/false).to_vector<float>();
  for (float& s : scale)
    if (!(s > 0.f) || !std::isfinite(s)) s = 1.f;  // a constant column: centred, not scaled
  return Standardizer(std::move(mean), std::move(scale));
}

Standardizer::Standardizer(std::vector<float> mean, std::vector<float> scale)
    : mean_(std::move(mean)), scale_(std::move(scale)) {
  if (mean_.size() != scale_.size()) {
    throw ValueError("Standardizer: " + std::to_string(mean_.size()) + " means but " + std::to_string(scale_.size()) +
                     " scales");
  }
  for (std::size_t j = 0; j < mean_.size(); ++j) {
    if (!std::isfinite(mean_[j]) || !std::isfinite(scale_[j]) || !(scale_[j] > 0.f)) {
      throw ValueError("Standardizer: column " + std::to_string(j) + " has mean " + std::to_string(mean_[j]) +
                       " and scale " + std::to_string(scale_[j]) + " (need finite values and a positive scale)");
    }
  }
}

void Standardizer::check_columns(const Tensor& X, const char* op) const {
  if (!X.defined() || X.dim() != 2 || X.size(1) != columns()) {
    throw ShapeError(std::string(op) + ": expected [rows, " + std::to_string(columns()) + "], got " +
                     (X.defined() ? to_string(X.sizes()) : std::string("an undefined tensor")));
  }
}

Tensor Standardizer::transform(const Tensor& X) const {
  check_columns(X, "Standardizer::transform");
  const Shape row{1, columns()};
  return (X - from_vector(mean_, row, TensorOptions().device(X.device()))) / from_vector(scale_, row, TensorOptions().device(X.device()));
}

Tensor Standardizer::inverse_transform(const Tensor& X) const {
  check_columns(X, "Standardizer::inverse_transform");
  const Shape row{1, columns()};
  return X * from_vector(scale_, row, TensorOptions().device(X.device())) + from_vector(mean_, row, TensorOptions().device(X.device()));
}

}  // namespace ann::data
