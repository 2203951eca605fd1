#pragma once
// The affine layer with any of the fused activations, as one node (src/ops/matmul.cpp):
// ann::linear (ann/ops.h) names the lesson's three activations, nn::Sequential's fusion
// (src/nn/fusion.cpp) all eight of nn/activation.h.
#include "ann/tensor.h"
#include "backend/backend.h"

namespace ann::detail {

/// f(z) as the layer-by-layer ops compute it (relu, leaky_relu, gelu, …; z when f does not
/// apply): what every fused kernel stands for, and what a pass with create_graph differentiates.
Tensor squash(const Tensor& z, const backend::Squash& f);

/// f(x Wᵀ + b) as one node, bit for bit linear() then f; x [*, in], W [out, in], b [out] or
/// undefined. f is one of the eight activations (backend::is_squash) or none.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const backend::Squash& f);

}  // namespace ann::detail
