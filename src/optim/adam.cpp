#include "ann/optim/adam.h"

#include <cmath>

#include "ann/error.h"
#include "ann/autograd.h"
#include "ann/ops.h"
#include "backend/backend.h"
#include "optim/fused_pass.h"
#include "tensor_impl.h"

namespace ann::optim {

Adam::Adam(std::vector<Tensor> parameters, AdamOptions options)
    : Adam(std::vector<ParamGroup>{{std::move(parameters)}}, options, false) {}

Adam::Adam(std::vector<ParamGroup> groups, AdamOptions options) : Adam(std::move(groups), options, false) {}

Adam::Adam(std::vector<ParamGroup> groups, AdamOptions options, bool decoupled)
    : Optimizer(std::move(groups)), options_(options), decoupled_(decoupled), state_(parameters_.size()) {
  const char* name = decoupled ? "AdamW" : "Adam";
  auto bad = [name](const std::string& what, double v) {
    return ValueError(std::string(name) + ": invalid " + what + " " + std::to_string(v));
  };
  if (!(options.lr >= 0)) throw bad("learning rate", options.lr);
  if (!(options.eps >= 0)) throw bad("epsilon", options.eps);
  if (!(options.beta1 >= 0 && options.beta1 < 1)) throw bad("beta1", options.beta1);
  if (!(options.beta2 >= 0 && options.beta2 < 1)) throw bad("beta2", options.beta2);
  if (!(options.weight_decay >= 0)) throw bad("weight_decay", options.weight_decay);
  set_group_defaults(options.lr, options.weight_decay);
}

namespace {

// The update of the fused kernel (src/backend/cpu/optimizer_steps.cpp) in tensor ops that round
// alike, for a back end without it.
void adam_step_composed(const backend::AdamStep& h, Tensor& param, const Tensor& grad, Tensor& exp_avg,
                        Tensor& exp_avg_sq, Tensor* max_exp_avg_sq) {
  NoGradGuard no_grad;
  Tensor theta = param.detach();
  if (h.decay_factor != 1.0) theta = theta * h.decay_factor;                 // AdamW: θ = θ(1 − lr·λ)
  const Tensor g = h.weight_decay != 0.0 ? grad + theta * h.weight_decay : grad;  // Adam: g = ∇θ + λθ
  exp_avg.copy_(exp_avg * h.beta1 + g * h.one_minus_beta1);                 // first moment
  exp_avg_sq.copy_(exp_avg_sq * h.beta2 + g * h.one_minus_beta2 * g);       // second moment
  if (max_exp_avg_sq) max_exp_avg_sq->copy_(maximum(*max_exp_avg_sq, exp_avg_sq));  // amsgrad: v̄ = max(v̄, v)
  const Tensor& v = max_exp_avg_sq ? *max_exp_avg_sq : exp_avg_sq;
  const Tensor denom = sqrt(v) / h.bias_correction2_sqrt + h.eps;           // √v̂ + eps, as torch orders it
  param.copy_(theta - (exp_avg / denom) * h.step_size);                     // θ = θ − lr/(1−β1ᵗ) · m/denom
}

}  // namespace

void Adam::step() {
  // The bias corrections 1 − β^t, computed once for all parameters at the same step t.
  std::int64_t corrected_step = -1;
  double bias_correction1 = 0, bias_correction2 = 0;
  FusedPass<backend::AdamUpdate> pass(&backend::Backend::adam_step, parameters_.size());
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    Tensor& p = parameters_[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    AdamParamState& s = state_[i];
    if (s.step == 0) {
      s.exp_avg = zeros_like(p);
      s.exp_avg_sq = zeros_like(p);
      if (options_.amsgrad) s.max_exp_avg_sq = zeros_like(p);
    }
    ++s.step;
    const AdamOptions& o = options_;
    if (s.step != corrected_step) {
      corrected_step = s.step;
      bias_correction1 = 1.0 - std::pow(o.beta1, static_cast<double>(s.step));
      bias_correction2 = 1.0 - std::pow(o.beta2, static_cast<double>(s.step));
    }
    const double lr = lr_of(i), weight_decay = weight_decay_of(i);
    const backend::AdamStep h{
        .weight_decay = decoupled_ ? 0.0 : weight_decay,
        .decay_factor = decoupled_ ? 1.0 - lr * weight_decay : 1.0,
        .beta1 = o.beta1,
        .one_minus_beta1 = 1.0 - o.beta1,
        .beta2 = o.beta2,
        .one_minus_beta2 = 1.0 - o.beta2,
        .bias_correction2_sqrt = std::sqrt(bias_correction2),
        .eps = o.eps,
        .step_size = lr / bias_correction1,
    };
    const backend::Backend& backend = backend::backend_for(p.device());
    // the kernel is float32 only and has no amsgrad
    if (o.amsgrad || p.dtype() != DType::Float32 || !backend.has(backend::Fused::OptimizerSteps)) {
      adam_step_composed(h, p, g, s.exp_avg, s.exp_avg_sq, o.amsgrad ? &s.max_exp_avg_sq : nullptr);
      continue;
    }
    const Tensor gc = g.contiguous();
    bump_version(p);
    pass.add(backend, {h, p.data<float>(), gc.data<float>(), s.exp_avg.data<float>(), s.exp_avg_sq.data<float>(), p.numel()},
             gc, g);
  }
  pass.run();
}


AdamW::AdamW(std::vector<Tensor> parameters, AdamWOptions o)
    : AdamW(std::vector<ParamGroup>{{std::move(parameters)}}, o) {}

AdamW::AdamW(std::vector<ParamGroup> groups, AdamWOptions o)
    : Adam(std::move(groups), {o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, o.amsgrad}, true) {}

std::vector<StateField> Adam::state_fields(std::size_t i) const {
  const Shape& shape = parameters_.at(i).sizes();
  std::vector<StateField> fields{
      {"step", DType::Int64, {}}, {"exp_avg", parameters_.at(i).dtype(), shape}, {"exp_avg_sq", parameters_.at(i).dtype(), shape}};
  if (options_.amsgrad) fields.push_back({"max_exp_avg_sq", parameters_.at(i).dtype(), shape});
  return fields;
}

OptimizerState Adam::state_dict() const {
  OptimizerState state{.kind = std::string(kind()),
                       .hyper_parameters = {{"lr", group_lr(0)},
                                            {"beta1", options_.beta1},
                                            {"beta2", options_.beta2},
                                            {"eps", options_.eps},
                                            {"weight_decay", group_weight_decay(0)},
                                            {"amsgrad", options_.amsgrad ? 1.0 : 0.0}},
                       .parameters = std::vector<std::map<std::string, Tensor>>(state_.size())};
  for (std::size_t i = 0; i < state_.size(); ++i) {
    const AdamParamState& s = state_[i];
    if (s.step == 0) continue;  // no update yet: nothing to restore
    state.parameters[i] = {{"step", from_vector(std::vector<std::int64_t>{s.step}, {})},
                           {"exp_avg", s.exp_avg},
                           {"exp_avg_sq", s.exp_avg_sq}};
    if (options_.amsgrad) state.parameters[i]["max_exp_avg_sq"] = s.max_exp_avg_sq;
  }
  add_group_hyper_parameters(state.hyper_parameters);
  return state;
}

void Adam::check_values(const OptimizerState& state) const {
  for (std::size_t i = 0; i < state.parameters.size(); ++i) {
    const auto it = state.parameters[i].find("step");
    if (it == state.parameters[i].end()) continue;
    const std::int64_t step = it->second.item<std::int64_t>();
    if (step < 1) {
      throw ValueError(std::string(kind()) + " load_state_dict: parameter " + std::to_string(i) + "'s \"step\" is " +
                       std::to_string(step) + ", not >= 1");
    }
  }
}

void Adam::set_state(const OptimizerState& state) {
  std::vector<AdamParamState> fresh(parameters_.size());
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    const auto& given = state.parameters[i];
    if (given.empty()) continue;
    const Device& device = parameters_[i].device();
    fresh[i] = {given.at("step").item<std::int64_t>(), given.at("exp_avg").to(device).clone(),
                given.at("exp_avg_sq").to(device).clone(),
                options_.amsgrad ? given.at("max_exp_avg_sq").to(device).clone() : Tensor()};
  }
  state_ = std::move(fresh);
}



}  // namespace ann::optim
