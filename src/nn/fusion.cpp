#include "ann/nn/fusion.h"

#include "ann/nn/activation.h"
#include "ann/nn/linear.h"
#include "ops/linear.h"
#include "ops/mlp_chain.h"
#include "ops/narrow_mlp.h"
#include "nn/fused_plan.h"
#include "tensor_impl.h"

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

// The longest run of modules from i that the chain kernel can take: Linear layers that
// mlp_chain_takes, each maybe followed by an activation. Returns the stages and sets
// `covered` to the modules they stand for, and `layers` (where given) to the Linear modules.
std::vector<detail::ChainStage> chain_from(Modules modules, std::size_t i, std::size_t& covered,
                                           std::vector<const Linear*>* layers = nullptr) {
  std::vector<detail::ChainStage> stages;
  std::size_t j = i;
  while (j < modules.size()) {
    auto* layer = dynamic_cast<Linear*>(modules[j].get());
    if (!layer) break;
    const backend::Squash f = j + 1 < modules.size() ? activation_of(*modules[j + 1]) : backend::Squash{};
    const std::size_t after = j + (f.applies ? 2 : 1);
    auto* next = after < modules.size() ? dynamic_cast<Linear*>(modules[after].get()) : nullptr;
    if (!detail::mlp_chain_takes(layer->in_features(), layer->out_features(), next ? next->out_features() : 0)) break;
    stages.push_back({layer->weight, layer->bias, f});
    if (layers) layers->push_back(layer);
    j += f.applies ? 2 : 1;
  }
  covered = j - i;
  return stages;
}

}  // namespace

NoFusionGuard::NoFusionGuard() : previous_(fusing) { fusing = false; }
NoFusionGuard::~NoFusionGuard() { fusing = previous_; }

bool fusion_enabled() { return fusing; }

namespace {

// What run_fused runs at modules[i] on h: one of the fusions, in fusion.h's order, and the
// modules it covers (none: kind None).
struct Plan {
  enum class Kind { None, NarrowMlp, Chain, LinearSquash } kind = Kind::None;
  std::size_t covers = 0;
  Linear *first = nullptr, *second = nullptr;   // NarrowMlp, LinearSquash (first only)
  backend::Squash f;                           // LinearSquash
  Activation lesson_f = Activation::None;      // NarrowMlp
  std::vector<detail::ChainStage> chain;       // Chain
  std::vector<const Linear*> chain_layers;     // Chain, where asked for
};

Plan plan_at(Modules modules, std::size_t i, const Tensor& h, bool with_layers = false) {
  Plan plan;
  if (!fusing) return plan;
  auto* first = dynamic_cast<Linear*>(modules[i].get());
  if (!first) return plan;
  const backend::Squash f = i + 1 < modules.size() ? activation_of(*modules[i + 1]) : backend::Squash{};
  const std::size_t after_f = i + (f.applies ? 2 : 1);

  std::size_t chain_covers = 0;
  std::vector<detail::ChainStage> chain =
      chain_from(modules, i, chain_covers, with_layers ? &plan.chain_layers : nullptr);
  std::int64_t chain_multiply_adds = 0;
  for (const detail::ChainStage& s : chain) chain_multiply_adds += s.W.numel();
  const bool chain_applies = chain.size() >= 2 && detail::mlp_chain_applies(h, chain) &&
                             detail::mlp_chain_pays(h.size(0), chain_multiply_adds, static_cast<std::int64_t>(chain.size()));

  // 1. Linear – f – Linear with narrow ends, unless a longer chain follows
  auto* second = after_f < modules.size() ? dynamic_cast<Linear*>(modules[after_f].get()) : nullptr;
  if (second && as_lesson_activation(f, plan.lesson_f) && detail::narrow_mlp_applies(h, first->weight, second->weight) &&
      !(chain_applies && chain.size() > 2)) {
    plan.kind = Plan::Kind::NarrowMlp;
    plan.covers = after_f - i + 1;
    plan.first = first;
    plan.second = second;
    return plan;
  }
  // 2. Linear – f – Linear – f – … with every layer narrow
  if (chain_applies) {
    plan.kind = Plan::Kind::Chain;
    plan.covers = chain_covers;
    plan.chain = std::move(chain);
    return plan;
  }
  // 3. Linear – f (an input that does not fit the layer is left to Linear's own forward, which
  // names the layer in its error)
  if (f.applies && h.defined() && h.dim() >= 1 && h.size(-1) == first->in_features()) {
    plan.kind = Plan::Kind::LinearSquash;
    plan.covers = 2;
    plan.first = first;
    plan.f = f;
  }
  return plan;
}

}  // namespace

std::size_t run_fused(const std::vector<std::shared_ptr<Module>>& modules, std::size_t i, Tensor& h) {
  Plan plan = plan_at(modules, i, h);
  switch (plan.kind) {
    case Plan::Kind::NarrowMlp:
      h = detail::narrow_mlp(h, plan.first->weight, plan.first->bias, plan.lesson_f, plan.second->weight,
                             plan.second->bias);
      break;
    case Plan::Kind::Chain:
      h = detail::mlp_chain(h, plan.chain);
      break;
    case Plan::Kind::LinearSquash:
      h = detail::linear(h, plan.first->weight, plan.first->bias, plan.f);
      break;
    case Plan::Kind::None:
      break;
  }
  return plan.covers;
}

std::vector<FusedSegment> fused_plan(Modules modules, const Tensor& x) {
  if (!fusing || !x.defined() || x.dim() != 2) return {};
  std::vector<FusedSegment> segments;
  // plan_at reads only its input's rows, width, type and device: past the first segment, a
  // stand-in of h's shape (one float, expanded) takes h's place.
  Tensor h = x;
  for (std::size_t i = 0; i < modules.size();) {
    Plan plan = plan_at(modules, i, h, /*with_layers=*/true);
    if (plan.kind == Plan::Kind::NarrowMlp) {
      if (!detail::narrow_mlp_biases_fit(plan.first->weight, plan.first->bias, plan.second->weight, plan.second->bias))
        return {};
      segments.push_back({FusedSegment::Kind::TwoLayer,
                          {{plan.first->weight, plan.first->bias, backend::squash_of(plan.lesson_f)},
                           {plan.second->weight, plan.second->bias, {}}},
                          {plan.first, plan.second},
                          plan.lesson_f});
    } else if (plan.kind == Plan::Kind::Chain) {
      segments.push_back({FusedSegment::Kind::Chain, std::move(plan.chain), std::move(plan.chain_layers)});
    } else {
      // an affine layer and its activation, or a Linear module alone (its own forward)
      const Linear* layer = plan.kind == Plan::Kind::LinearSquash ? plan.first
                            : plan.kind == Plan::Kind::None       ? dynamic_cast<const Linear*>(modules[i].get())
                                                                  : nullptr;
      if (!layer || !detail::linear_pass_applies(h, layer->weight, layer->bias, plan.f)) return {};
      plan.covers = plan.kind == Plan::Kind::None ? 1 : plan.covers;
      segments.push_back({FusedSegment::Kind::Affine, {{layer->weight, layer->bias, plan.f}}, {layer}});
    }
    i += plan.covers;
    h = make_tensor({1, 1}, DType::Float32, x.device()).expand({x.size(0), segments.back().stages.back().W.size(0)});
  }
  return segments;
}

}  // namespace ann::nn
