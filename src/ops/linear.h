#pragma once
// The affine layer with any of the fused activations, as one node (src/ops/matmul.cpp):
// ann::linear (ann/ops.h) names the lesson's three activations, nn::Sequential's fusion
// (src/nn/fusion.cpp) all eight of nn/activation.h.
#include <vector>

#include "ann/tensor.h"
#include "backend/backend.h"

namespace ann::detail {

/// f(z) as the layer-by-layer ops compute it (relu, leaky_relu, gelu, …; z when f does not
/// apply): what every fused kernel stands for, and what a pass with create_graph differentiates.
Tensor squash(const Tensor& z, const backend::Squash& f);

/// f(x Wᵀ + b) as one node, bit for bit linear() then f; x [*, in], W [out, in], b [out] or
/// undefined. f is one of the eight activations (backend::is_squash) or none.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const backend::Squash& f);

/// Whether LinearPass computes f(x Wᵀ + b): x a 2-D float32 tensor on a device whose back end has
/// the fused epilogue, W [out, x's columns] and b [out] (or undefined) float32 on that device, f
/// one of the eight activations or none.
bool linear_pass_applies(const Tensor& x, const Tensor& weight, const Tensor& bias, const backend::Squash& f);

/// The affine layer's kernels on one batch, as tensors and without a node: linear()'s node runs
/// them, and nn::TrainStep, which records no graph for the layers, runs them itself (as
/// ChainPass for the chain).
class LinearPass {
 public:
  /// Runs the forward, keeping what gradients() reads where `keep`. linear_pass_applies must hold.
  LinearPass(const Tensor& x, const Tensor& weight, const Tensor& bias, const backend::Squash& f, bool keep);
  /// f(x Wᵀ + b), once.
  Tensor take_output() { return std::move(h_); }
  /// From dy = ∂L/∂h, fresh tensors ∂L/∂x, ∂L/∂W, ∂L/∂b where need[0], need[1], need[2];
  /// ∂L/∂W is added into `weight_grad` instead (and left undefined here) where that is a leaf's
  /// gradient autograd::can_add_into allows, and `input_grad` (x's gradient, or null) is not it.
  std::vector<Tensor> gradients(const Tensor& dy, const std::vector<bool>& need, Tensor* weight_grad,
                                const Tensor* input_grad) const;

 private:
  Tensor x_, w_, kept_, h_;  // x, W, and h or f'(z) (backend::kept_by_layers), detached
  backend::Squash f_;
};

}  // namespace ann::detail
