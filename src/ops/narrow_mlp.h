#pragma once
// Linear(in, hidden) – f – Linear(hidden, out) as one autograd node when both ends are narrow
// (in, out <= 4: the lesson's 2-D points and 3 classes, or its 1-D regression), which
// nn::Sequential uses by itself. The result equals the layers run one by one up to rounding
// (other summation orders); tests/test_narrow_mlp.cpp checks both and the gradients.
#include <array>
#include <initializer_list>
#include <vector>

#include "ann/ops.h"
#include "ann/tensor.h"
#include "autograd/node.h"
#include "backend/backend.h"

namespace ann::detail {

/// Whether narrow_mlp computes x → W1 → W2: x a 2-D float32 tensor on the CPU with as many
/// columns as W1, W1 [hidden, in] and W2 [out, hidden] with in and out at most 4.
bool narrow_mlp_applies(const Tensor& x, const Tensor& W1, const Tensor& W2);

/// Whether b1 and b2 are biases narrow_mlp takes with W1 and W2: undefined, or float32 vectors of
/// the layers' widths.
bool narrow_mlp_biases_fit(const Tensor& W1, const Tensor& b1, const Tensor& W2, const Tensor& b2);

/// y = f(x W1ᵀ + b1) W2ᵀ + b2 (undefined biases are zero); f is None, ReLU, Tanh or Sigmoid.
Tensor narrow_mlp(const Tensor& x, const Tensor& W1, const Tensor& b1, Activation f, const Tensor& W2,
                  const Tensor& b2);

/// The two-layer kernels on one batch, as tensors and without a node: narrow_mlp's node runs
/// them, and nn::TrainStep, which records no graph for the layers, runs them itself (as
/// ChainPass for the chain). Holds the contiguous inputs, whose memory the kernel's pointers read.
class NarrowMlpPass {
 public:
  /// Runs the forward, keeping what gradients() reads where `keep`. narrow_mlp_applies(x, W1, W2)
  /// must hold, and the biases be undefined or vectors of the layers' widths.
  NarrowMlpPass(const Tensor& x, const Tensor& W1, const Tensor& b1, Activation f, const Tensor& W2, const Tensor& b2,
                bool keep);
  /// y, once.
  Tensor take_output() { return std::move(y_); }
  /// From dy = ∂L/∂y, fresh tensors ∂L/∂x, ∂L/∂W1, ∂L/∂b1, ∂L/∂W2, ∂L/∂b2 where need[i], or the
  /// parameters' added into their sinks instead (and left undefined) where
  /// narrow_mlp_adds_into_sinks allows; sinks as a backward pass offers them, one per input.
  std::vector<Tensor> gradients(const Tensor& dy, const std::array<bool, 5>& need, autograd::GradSinks sinks) const;

 private:
  backend::NarrowMlp p_{};
  const backend::Backend* kernels_;
  Tensor xc_, W1c_, b1c_, W2c_, b2c_, hidden_, y_;
};

/// Whether the node's backward may add the parameters' gradients (inputs 1–4: W1, b1, W2, b2)
/// into their sinks itself: each one `need`ed has a sink of contiguous float32 memory that no
/// other sink and none of `reads` (what the kernel reads, and what the engine adds to after it)
/// shares. The engine's own additions come after the kernel, in input order; sharing memory is
/// safe there and not here.
bool narrow_mlp_adds_into_sinks(autograd::GradSinks sinks, const std::array<bool, 5>& need,
                                std::initializer_list<const Tensor*> reads);

}  // namespace ann::detail
