#pragma once
// Linear(in, hidden) – f – Linear(hidden, out) as one autograd node when both ends are narrow
// (in, out <= 4: the lesson's 2-D points and 3 classes, or its 1-D regression), which
// nn::Sequential uses by itself. The result equals the layers run one by one up to rounding
// (other summation orders); tests/test_narrow_mlp.cpp checks both and the gradients.
#include <array>
#include <initializer_list>

#include "ann/ops.h"
#include "ann/tensor.h"
#include "autograd/node.h"

namespace ann::detail {

/// Whether narrow_mlp computes x → W1 → W2: x a 2-D float32 tensor on the CPU with as many
/// columns as W1, W1 [hidden, in] and W2 [out, hidden] with in and out at most 4.
bool narrow_mlp_applies(const Tensor& x, const Tensor& W1, const Tensor& W2);

/// y = f(x W1ᵀ + b1) W2ᵀ + b2 (undefined biases are zero); f is None, ReLU, Tanh or Sigmoid.
Tensor narrow_mlp(const Tensor& x, const Tensor& W1, const Tensor& b1, Activation f, const Tensor& W2,
                  const Tensor& b2);

/// Whether the node's backward may add the parameters' gradients (inputs 1–4: W1, b1, W2, b2)
/// into their sinks itself: each one `need`ed has a sink of contiguous float32 memory that no
/// other sink and none of `reads` (what the kernel reads, and what the engine adds to after it)
/// shares. The engine's own additions come after the kernel, in input order; sharing memory is
/// safe there and not here.
bool narrow_mlp_adds_into_sinks(autograd::GradSinks sinks, const std::array<bool, 5>& need,
                                std::initializer_list<const Tensor*> reads);

}  // namespace ann::detail
