#pragma once
// The one question nn::TrainStep asks of fusion.cpp: does Sequential's forward run the whole
// model as one chain (ann/nn/fusion.h's 2.)? Then TrainStep runs the chain's kernels itself.
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "ann/tensor.h"
#include "ops/mlp_chain.h"

namespace ann::nn {

class Module;
class Linear;
using Modules = std::span<const std::shared_ptr<Module>>;

/// A chain's stages and the Linear modules whose weights and biases they hold.
struct WholeChain {
  std::vector<detail::ChainStage> stages;
  std::vector<const Linear*> layers;
};

/// The chain where run_fused, on input x, runs every one of `modules` as one chain; no stages
/// where it would run anything else (another fusion, a module on its own, a chain that stops
/// before the last module).
WholeChain whole_chain(Modules modules, const Tensor& x);

}  // namespace ann::nn
