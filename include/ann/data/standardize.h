#pragma once
// Feature standardisation: each column shifted to mean 0 and scaled to standard deviation 1
// with the statistics of the training rows (scikit-learn's StandardScaler), so that features
// measured in centimetres and in thousands train alike. The statistics belong to the model:
// a prediction must apply the same ones, so tabular models save them with the weights.
//
//   ann::data::Standardizer scale = ann::data::Standardizer::fit(X_train);
//   model(scale.transform(X_new));
#include <cstdint>
#include <vector>

#include "ann/tensor.h"

namespace ann::data {

class Standardizer {
 public:
  /// The identity on no columns; fit() or the constructor below make a useful one.
  Standardizer() = default;
  /// Column means and population standard deviations (divisor N, as StandardScaler) of
  /// X [rows, columns]. A constant column gets scale 1, so it maps to 0 instead of NaN.
  /// Throws ShapeError unless X is 2-D with at least one row; TypeError unless it is float32.
  static Standardizer fit(const Tensor& X);
  /// Given statistics, one per column. Throws ValueError for differing lengths, a non-finite
  /// value or a scale that is not positive.
  Standardizer(std::vector<float> mean, std::vector<float> scale);

  /// (X − mean) / scale per column, for X [rows, columns()]. ShapeError naming both shapes
  /// for another column count.
  Tensor transform(const Tensor& X) const;
  /// X · scale + mean: back to the original units (a regression's predictions).
  Tensor inverse_transform(const Tensor& X) const;

  std::int64_t columns() const { return static_cast<std::int64_t>(mean_.size()); }
  const std::vector<float>& mean() const { return mean_; }
  const std::vector<float>& scale() const { return scale_; }

 private:
  void check_columns(const Tensor& X, const char* op) const;
  std::vector<float> mean_, scale_;
};

}  // namespace ann::data
