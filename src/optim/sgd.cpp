#include "ann/optim/sgd.h"

#include "ann/error.h"
#include "ann/autograd.h"
#include "ann/ops.h"
#include "backend/backend.h"
#include "optim/fused_pass.h"
#include "tensor_impl.h"

namespace ann::optim {

SGD::SGD(std::vector<Tensor> parameters, SGDOptions options)
    : SGD(std::vector<ParamGroup>{{std::move(parameters)}}, options) {}

SGD::SGD(std::vector<ParamGroup> groups, SGDOptions options)
    : Optimizer(std::move(groups)), options_(options), state_(parameters_.size()) {
  auto bad = [](const std::string& what, double v) {
    return ValueError("SGD: invalid " + what + " " + std::to_string(v));
  };
  if (!(options.lr >= 0)) throw bad("learning rate", options.lr);
  if (!(options.momentum >= 0)) throw bad("momentum", options.momentum);
  if (!(options.weight_decay >= 0)) throw bad("weight_decay", options.weight_decay);
  if (options.nesterov && (options.momentum <= 0 || options.dampening != 0)) {
    throw ValueError("SGD: nesterov momentum requires a momentum > 0 and zero dampening (got momentum " +
                     std::to_string(options.momentum) + ", dampening " + std::to_string(options.dampening) + ")");
  }
  set_group_defaults(options.lr, options.weight_decay);
}

namespace {

// The update of the fused kernel (src/backend/cpu/optimizer_steps.cpp) in tensor ops that round
// alike, for a back end without it.
void sgd_step_composed(const backend::SgdStep& h, Tensor& param, const Tensor& grad, Tensor& momentum_buffer) {
  NoGradGuard no_grad;
  const Tensor theta = param.detach();
  Tensor g = grad;
  if (h.weight_decay != 0.0) g = g + theta * h.weight_decay;  // g = ∇θ + λθ
  if (h.momentum != 0.0) {
    const Tensor b = h.first_step ? g : momentum_buffer * h.momentum + g * h.one_minus_dampening;  // b = μb + (1−τ)g
    momentum_buffer.copy_(b);
    g = h.nesterov ? g + momentum_buffer * h.momentum : momentum_buffer;  // g = g + μb | b
  }
  param.copy_(theta - g * h.lr);  // θ = θ − lr·g
}

}  // namespace

void SGD::step() {
  FusedPass<backend::SgdUpdate> pass(&backend::Backend::sgd_step, parameters_.size());
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    Tensor& p = parameters_[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    ParamState& s = state_[i];
    const bool first = !s.momentum_buffer.defined();
    if (options_.momentum != 0 && first) s.momentum_buffer = make_tensor(p.sizes(), p.dtype(), p.device());
    const backend::SgdStep h{lr_of(i), options_.momentum, 1.0 - options_.dampening, weight_decay_of(i),
                             options_.nesterov, first};
    const backend::Backend& backend = backend::backend_for(p.device());
    if (p.dtype() != DType::Float32 || !backend.has(backend::Fused::OptimizerSteps)) {
      sgd_step_composed(h, p, g, s.momentum_buffer);
      continue;
    }
    const Tensor gc = g.contiguous();
    bump_version(p);
    if (s.momentum_buffer.defined()) bump_version(s.momentum_buffer);
    pass.add(backend,
             {h, p.data<float>(), gc.data<float>(),
              s.momentum_buffer.defined() ? s.momentum_buffer.data<float>() : nullptr, p.numel()},
             gc, g);
  }
  pass.run();
}


std::vector<StateField> SGD::state_fields(std::size_t i) const {
  return {{"momentum_buffer", parameters_.at(i).dtype(), parameters_.at(i).sizes()}};
}

OptimizerState SGD::state_dict() const {
  OptimizerState state{.kind = "sgd",
                       .hyper_parameters = {{"lr", group_lr(0)},
                                            {"momentum", options_.momentum},
                                            {"dampening", options_.dampening},
                                            {"weight_decay", group_weight_decay(0)},
                                            {"nesterov", options_.nesterov ? 1.0 : 0.0}},
                       .parameters = std::vector<std::map<std::string, Tensor>>(state_.size())};
  for (std::size_t i = 0; i < state_.size(); ++i)
    if (state_[i].momentum_buffer.defined()) state.parameters[i]["momentum_buffer"] = state_[i].momentum_buffer;
  add_group_hyper_parameters(state.hyper_parameters);
  return state;
}

void SGD::set_state(const OptimizerState& state) {
  std::vector<ParamState> fresh(parameters_.size());
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    const auto& given = state.parameters[i];
    if (!given.empty()) fresh[i].momentum_buffer = given.at("momentum_buffer").to(parameters_[i].device()).clone();
  }
  state_ = std::move(fresh);
}

}  // namespace ann::optim
