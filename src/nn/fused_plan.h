#pragma once
// The one question nn::TrainStep asks of fusion.cpp: which kernels does Sequential's forward run
// on an input, module after module? Where every one is a chain (ann/nn/fusion.h's 2.) or an
// affine layer with or without its activation (3., or Linear's own forward), TrainStep runs those
// kernels itself, with no node.
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

/// Modules that Sequential's forward runs as one node: a chain of layers (the chain kernel,
/// detail::ChainPass), or one affine layer and its activation, if any (detail::LinearPass).
struct FusedSegment {
  bool chain = false;
  std::vector<detail::ChainStage> stages;  // each layer's W, b and f: one for an affine layer
  std::vector<const Linear*> layers;       // the Linear modules they hold
};

/// The segments Sequential's forward runs on input x, in order, covering every one of `modules`;
/// none where it would run anything else anywhere (the two-layer kernel, a module other than
/// Linear and the activations, an input of another type or shape than the layers', fusion off).
std::vector<FusedSegment> fused_plan(Modules modules, const Tensor& x);

}  // namespace ann::nn
