#pragma once
// Fusion: where ann runs several modules of a Sequential as one operation. This is the one
// place that chooses: Sequential::forward asks run_fused at each module, and runs the module on
// its own when no fusion starts there.
//
// The fusions, tried in this order at a Linear:
//   1. Linear – [ReLU | Tanh | Sigmoid] – Linear, or Linear – Linear, with at most
//      backend::kNarrowMlpMaxEnds (4) inputs and outputs and float32 contiguous weights: one
//      autograd node and one kernel for the whole two-layer net, which keeps the hidden
//      activations in cache (src/ops/narrow_mlp.h; the lesson's networks). Same values as the
//      layers within float rounding (the kernel sums in its own order, with fused
//      multiply-adds). Not when a longer chain (2.) starts at the same Linear.
//   2. Linear – [f] – Linear – [f] – …: two or more Linear layers, each at most
//      backend::kMlpChainMaxWidth (128) wide, or up to 1024 where its inputs and the next
//      layer's units are 64 or fewer together, with any of ann's activations (ReLU, Tanh,
//      Sigmoid, LeakyReLU, ELU, GELU, SiLU, Softplus) or none after each: one node and one
//      kernel that carries chunks of rows through every layer in cache (src/ops/mlp_chain.h).
//      Inputs wider than 128 only in batches under 64 rows. Same values as the layers within
//      float rounding.
//   3. Linear – f, f any of the eight activations: one node, the bias and the activation
//      applied in one pass after the product, its derivative and the bias's gradient in one pass
//      before the backward products (src/ops/linear.h); bit for bit the two modules in turn.
//
// The unfused path — each module's own forward, one node per op — is the reference every
// fusion is tested against (tests/test_fusion.cpp, tests/test_narrow_mlp.cpp,
// tests/test_mlp_chain.cpp), and
// NoFusionGuard runs it.
#include <cstddef>
#include <memory>
#include <vector>

#include "ann/tensor.h"

namespace ann::nn {

class Module;

/// While alive, Sequential runs every module on its own on this thread.
class NoFusionGuard {
 public:
  NoFusionGuard();
  ~NoFusionGuard();
  NoFusionGuard(const NoFusionGuard&) = delete;
  NoFusionGuard& operator=(const NoFusionGuard&) = delete;

 private:
  bool previous_;
};

/// Whether Sequential fuses on this thread (true unless a NoFusionGuard is alive).
bool fusion_enabled();

/// If a fusion starts at modules[i], runs it on h (replacing h by its output) and returns how
/// many modules it covered; otherwise returns 0 and leaves h.
std::size_t run_fused(const std::vector<std::shared_ptr<Module>>& modules, std::size_t i, Tensor& h);

}  // namespace ann::nn
