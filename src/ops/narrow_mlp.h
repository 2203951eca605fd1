#pragma once
// Linear(in, hidden) – f – Linear(hidden, out) as one autograd node when both ends are narrow
// (in, out <= 4: the lesson's 2-D points and 3 classes, or its 1-D regression), which
// nn::Sequential uses by itself. The result equals the layers run one by one up to rounding
// (other summation orders); tests/test_narrow_mlp.cpp checks both and the gradients.
#include "ann/ops.h"
#include "ann/tensor.h"

namespace ann::detail {

/// Whether narrow_mlp computes x → W1 → W2: x a 2-D float32 tensor on the CPU with as many
/// columns as W1, W1 [hidden, in] and W2 [out, hidden] with in and out at most 4.
bool narrow_mlp_applies(const Tensor& x, const Tensor& W1, const Tensor& W2);

/// y = f(x W1ᵀ + b1) W2ᵀ + b2 (undefined biases are zero); f is None, ReLU, Tanh or Sigmoid.
Tensor narrow_mlp(const Tensor& x, const Tensor& W1, const Tensor& b1, Activation f, const Tensor& W2,
                  const Tensor& b2);

}  // namespace ann::detail
