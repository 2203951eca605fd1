#include "ann/nn/fusion.h"

#include "ann/nn/activation.h"
#include "ann/nn/linear.h"
#include "ops/mlp_chain.h"
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

// The activation a module computes as the chain kernel names it (with its scalars), when it is
// one; `activated` false otherwise.
detail::ChainStage chain_activation_of(const Module& m) {
  using backend::UnaryOp;
  detail::ChainStage s;
  s.activated = true;
  if (dynamic_cast<const ReLU*>(&m)) s.f = UnaryOp::Relu;
  else if (dynamic_cast<const Tanh*>(&m)) s.f = UnaryOp::Tanh;
  else if (dynamic_cast<const Sigmoid*>(&m)) s.f = UnaryOp::Sigmoid;
  else if (const auto* a = dynamic_cast<const LeakyReLU*>(&m)) s.f = UnaryOp::LeakyRelu, s.p0 = a->negative_slope();
  else if (const auto* a = dynamic_cast<const ELU*>(&m)) s.f = UnaryOp::Elu, s.p0 = a->alpha();
  else if (dynamic_cast<const GELU*>(&m)) s.f = UnaryOp::Gelu;
  else if (dynamic_cast<const SiLU*>(&m)) s.f = UnaryOp::Silu;
  else if (const auto* a = dynamic_cast<const Softplus*>(&m)) s.f = UnaryOp::Softplus, s.p0 = a->beta(), s.p1 = a->threshold();
  else s.activated = false;
  return s;
}

// The longest run of modules from i that the chain kernel can take: Linear layers at most
// kMlpChainMaxWidth wide, each maybe followed by an activation. Returns the stages and sets
// `covered` to the modules they stand for.
std::vector<detail::ChainStage> chain_from(const std::vector<std::shared_ptr<Module>>& modules, std::size_t i,
                                           std::size_t& covered) {
  std::vector<detail::ChainStage> stages;
  std::size_t j = i;
  while (j < modules.size()) {
    auto* layer = dynamic_cast<Linear*>(modules[j].get());
    if (!layer || layer->out_features() > backend::kMlpChainMaxWidth) break;
    detail::ChainStage s = j + 1 < modules.size() ? chain_activation_of(*modules[j + 1]) : detail::ChainStage{};
    s.W = layer->weight;
    s.b = layer->bias;
    j += s.activated ? 2 : 1;
    stages.push_back(std::move(s));
  }
  covered = j - i;
  return stages;
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

  std::size_t chain_covers = 0;
  std::vector<detail::ChainStage> chain = chain_from(modules, i, chain_covers);
  const bool chain_applies = chain.size() >= 2 && detail::mlp_chain_applies(h, chain);

  // 1. Linear – f – Linear with narrow ends, unless a longer chain follows
  auto* second = after_f < modules.size() ? dynamic_cast<Linear*>(modules[after_f].get()) : nullptr;
  if (second && detail::narrow_mlp_applies(h, first->weight, second->weight) &&
      !(chain_applies && chain.size() > 2)) {
    h = detail::narrow_mlp(h, first->weight, first->bias, f, second->weight, second->bias);
    return after_f - i + 1;
  }
  // 2. Linear – f – Linear – f – … with every layer narrow
  if (chain_applies) {
    h = detail::mlp_chain(h, chain);
    return chain_covers;
  }
  // 3. Linear – f
  if (f != Activation::None) {
    h = first->forward(h, f);
    return 2;
  }
  return 0;
}

}  // namespace ann::nn
