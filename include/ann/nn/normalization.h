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

/// BatchNorm1d(num_features): each feature normalised over the batch, then scaled and shifted:
///   y = (x − E[x]) / √(Var[x] + eps) ⊙ weight + bias      (x: [N, C], statistics over N)
/// In training mode E and Var are the batch's (Var biased), and the running statistics move
/// toward them: running = (1 − momentum) · running + momentum · batch, with the batch variance
/// unbiased (N / (N − 1)) there, as torch; num_batches_tracked counts the batches. In eval mode
/// the running statistics normalise. They are buffers: in state_dict and model files, not
/// trained. weight starts at 1, bias at 0, running_mean at 0, running_var at 1.
class BatchNorm1d : public Module {
 public:
  /// Throws ValueError for num_features < 1, eps <= 0 or momentum outside [0, 1].
  explicit BatchNorm1d(std::int64_t num_features, double eps = 1e-5, double momentum = 0.1, bool affine = true,
                       bool track_running_stats = true);
  /// Throws ShapeError unless x is [N, num_features]; ValueError for N = 1 in training mode
  /// (one value per feature has no variance), as torch.
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "BatchNorm1d"; }
  std::string extra_repr() const override;

  Tensor weight;  ///< [num_features]; undefined without affine
  Tensor bias;
  Tensor running_mean;         ///< [num_features]; undefined without track_running_stats
  Tensor running_var;          ///< [num_features]
  Tensor num_batches_tracked;  ///< int64 scalar

 private:
  std::int64_t num_features_;
  double eps_, momentum_;
};

}  // namespace ann::nn
