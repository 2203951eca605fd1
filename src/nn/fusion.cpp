#include "ann/nn/fusion.h"

#include "ann/nn/activation.h"
#include "ann/nn/linear.h"
#include "ops/narrow_mlp.h"

namespace ann::nn {

namespace {

thread_local bool fusing = true;

// The activation a module computes, when it is one the fused paths apply; None otherwise.
Activation activation_of(const Module& m) {
  if (dynamic_cast<const ReLU*>(&m)) return Activation::ReLU;
  if (dynamic_cast<const Tanh*>(&m)) return Activation::Tanh;
  if (dynamic_cast<const Sigmoid*>(&m)) return Activation::Sigmoid;
  return Activation::None;
}

}  // namespace

NoFusionGuard::NoFusionGuard() : previous_(fusing) { fusing = false; }
NoFusionGuard::~NoFusionGuard() { fusing = previous_; }

bool fusion_enabled() { return fusing; }

std::size_t run_fused(const std::vector<std::shared_ptr<Module>>& modules, std::size_t i, Tensor& h) {
  if (!fusing) return 0;
  auto* first = dynamic_cast<Linear*>(modules[i].get());
  if (!first) return 0;
  const Activation f = i + 1 < modules.size() ? activation_of(*modules[i + 1]) : Activation::None;
  const std::size_t after_f = i + (f == Activation::None ? 1 : 2);

  // 1. Linear – f – Linear with narrow ends
  auto* second = after_f < modules.size() ? dynamic_cast<Linear*>(modules[after_f].get()) : nullptr;
  if (second && detail::narrow_mlp_applies(h, first->weight, second->weight)) {
    h = detail::narrow_mlp(h, first->weight, first->bias, f, second->weight, second->bias);
    return after_f - i + 1;
  }
  // 2. Linear – f
  if (f != Activation::None) {
    h = first->forward(h, f);
    return 2;
  }
  return 0;
}

}  // namespace ann::nn
