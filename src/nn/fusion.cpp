#include "ann/nn/fusion.h"

#include "ann/nn/activation.h"
#include "ann/nn/linear.h"
#include "ops/linear.h"
#include "ops/mlp_chain.h"
#include "ops/narrow_mlp.h"

namespace ann::nn {

namespace {

thread_local bool fusing = true;

// The activation a module computes, with its scalars, when it is one the fused kernels have;
// one that does not apply otherwise.
backend::Squash activation_of(const Module& m) {
  using backend::UnaryOp;
  if (dynamic_cast<const ReLU*>(&m)) return {true, UnaryOp::Relu};
  if (dynamic_cast<const Tanh*>(&m)) return {true, UnaryOp::Tanh};
  if (dynamic_cast<const Sigmoid*>(&m)) return {true, UnaryOp::Sigmoid};
  if (const auto* a = dynamic_cast<const LeakyReLU*>(&m)) return {true, UnaryOp::LeakyRelu, a->negative_slope()};
  if (const auto* a = dynamic_cast<const ELU*>(&m)) return {true, UnaryOp::Elu, a->alpha()};
  if (dynamic_cast<const GELU*>(&m)) return {true, UnaryOp::Gelu};
  if (dynamic_cast<const SiLU*>(&m)) return {true, UnaryOp::Silu};
  if (const auto* a = dynamic_cast<const Softplus*>(&m)) return {true, UnaryOp::Softplus, a->beta(), a->threshold()};
  return {};
}

// The two-layer kernel has the lesson's activations only: f as one of them, or false.
bool as_lesson_activation(const backend::Squash& f, Activation& a) {
  using backend::UnaryOp;
  if (!f.applies) a = Activation::None;
  else if (f.op == UnaryOp::Relu) a = Activation::ReLU;
  else if (f.op == UnaryOp::Tanh) a = Activation::Tanh;
  else if (f.op == UnaryOp::Sigmoid) a = Activation::Sigmoid;
  else return false;
  return true;
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
    const backend::Squash f = j + 1 < modules.size() ? activation_of(*modules[j + 1]) : backend::Squash{};
    stages.push_back({layer->weight, layer->bias, f});
    j += f.applies ? 2 : 1;
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
  const backend::Squash f = i + 1 < modules.size() ? activation_of(*modules[i + 1]) : backend::Squash{};
  const std::size_t after_f = i + (f.applies ? 2 : 1);

  std::size_t chain_covers = 0;
  std::vector<detail::ChainStage> chain = chain_from(modules, i, chain_covers);
  std::int64_t chain_multiply_adds = 0;
  for (const detail::ChainStage& s : chain) chain_multiply_adds += s.W.numel();
  const bool chain_applies = chain.size() >= 2 && detail::mlp_chain_applies(h, chain) &&
                             detail::mlp_chain_pays(h.size(0), chain_multiply_adds, static_cast<std::int64_t>(chain.size()));

  // 1. Linear – f – Linear with narrow ends, unless a longer chain follows
  auto* second = after_f < modules.size() ? dynamic_cast<Linear*>(modules[after_f].get()) : nullptr;
  Activation lesson_f = Activation::None;
  if (second && as_lesson_activation(f, lesson_f) && detail::narrow_mlp_applies(h, first->weight, second->weight) &&
      !(chain_applies && chain.size() > 2)) {
    h = detail::narrow_mlp(h, first->weight, first->bias, lesson_f, second->weight, second->bias);
    return after_f - i + 1;
  }
  // 2. Linear – f – Linear – f – … with every layer narrow
  if (chain_applies) {
    h = detail::mlp_chain(h, chain);
    return chain_covers;
  }
  // 3. Linear – f (an input that does not fit the layer is left to Linear's own forward, which
  // names the layer in its error)
  if (f.applies && h.defined() && h.dim() >= 1 && h.size(-1) == first->in_features()) {
    h = detail::linear(h, first->weight, first->bias, f);
    return 2;
  }
  return 0;
}

}  // namespace ann::nn
