#pragma once
// Normalisation layers, as torch.nn's.
#include <cstdint>
#include <string>

#include "ann/nn/module.h"
#include "ann/shape.h"

namespace ann::nn {

/// LayerNorm(normalized_shape): each sample normalised over its last dimensions, then scaled
/// and shifted per element:
///   y = (x − E[x]) / √(Var[x] + eps) ⊙ weight + bias      (Var biased, over normalized_shape)
/// weight starts at 1 and bias at 0, as in torch.
class LayerNorm : public Module {
 public:
  /// Throws ValueError for an empty normalized_shape or a size below 1.
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true);
  explicit LayerNorm(std::int64_t features, double eps = 1e-5, bool elementwise_affine = true)
      : LayerNorm(Shape{features}, eps, elementwise_affine) {}
  /// Throws ShapeError unless x ends in normalized_shape.
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "LayerNorm"; }
  std::string extra_repr() const override;

  Tensor weight;  ///< normalized_shape; undefined without elementwise_affine
  Tensor bias;

 private:
  Shape normalized_shape_;
  double eps_;
};

}  // namespace ann::nn
