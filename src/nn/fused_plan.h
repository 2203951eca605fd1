#pragma once
// The one question nn::TrainStep asks of fusion.cpp: which kernels does Sequential's forward run
// on an input, module after module? Where every one is a fused node (ann/nn/fusion.h's three
// fusions, or Linear's own forward), TrainStep runs those kernels itself, with no node.
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "ann/ops.h"
#include "ann/tensor.h"
#include "ops/mlp_chain.h"

namespace ann::nn {

class Module;
class Linear;
using Modules = std::span<const std::shared_ptr<Module>>;

/// Modules that Sequential's forward runs as one node: the two-layer kernel's two layers
/// (detail::NarrowMlpPass), a chain of layers (detail::ChainPass), or one affine layer and its
/// activation, if any (detail::LinearPass).
struct FusedSegment {
  enum class Kind { TwoLayer, Chain, Affine } kind = Kind::Affine;
  std::vector<detail::ChainStage> stages;  // each layer's W, b and f: one for an affine layer
  std::vector<const Linear*> layers;       // the Linear modules they hold
  Activation two_layer_f = Activation::None;  // the two-layer kernel's activation (stages[0].f)
};

/// The segments Sequential's forward runs on input x, in order, covering every one of `modules`;
/// none where it would run anything else anywhere (a module other than Linear and the eight
/// activations, an input of another type or shape than the layers', fusion off).
std::vector<FusedSegment> fused_plan(Modules modules, const Tensor& x);

}  // namespace ann::nn
