#include "ann/optim/rmsprop.h"

#include <string>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/ops.h"
#include "backend/backend.h"
#include "optim/fused_pass.h"
#include "tensor_impl.h"

namespace ann::optim {

RMSprop::RMSprop(std::vector<Tensor> parameters, RMSpropOptions options)
    : RMSprop(std::vector<ParamGroup>{{std::move(parameters)}}, options) {}

RMSprop::RMSprop(std::vector<ParamGroup> groups, RMSpropOptions options)
    : Optimizer(std::move(groups)), options_(options), state_(parameters_.size()) {
  const auto check = [](const char* what, double v) {
    if (!(v >= 0.0)) throw ValueError("RMSprop: invalid " + std::string(what) + " " + std::to_string(v));
  };
  check("learning rate", options.lr);
  check("epsilon", options.eps);
  check("momentum", options.momentum);
  check("weight_decay", options.weight_decay);
  check("alpha", options.alpha);
  set_group_defaults(options.lr, options.weight_decay);
}

// As torch's _single_tensor_rmsprop, one tensor op per line of its code; the products round in
// its order (value · t1 · t2 for addcmul, value · t1 / t2 for addcdiv).
void RMSprop::step() {
  NoGradGuard no_grad;
  const RMSpropOptions& o = options_;
  const double alpha = o.alpha, one_minus_alpha = 1.0 - o.alpha;  // rounded to float for float32 tensors
  FusedPass<backend::RmspropUpdate> pass(&backend::Backend::rmsprop_step, parameters_.size());
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    Tensor& p = parameters_[i];
    if (!p.grad().defined()) continue;
    auto& s = state_[i];
    if (s.empty()) {
      s["step"] = from_vector(std::vector<std::int64_t>{0}, {});
      s["square_avg"] = zeros_like(p);
      if (o.momentum > 0) s["momentum_buffer"] = zeros_like(p);
      if (o.centered) s["grad_avg"] = zeros_like(p);
    }
    s["step"] = from_vector(std::vector<std::int64_t>{s["step"].item<std::int64_t>() + 1}, {});
    const backend::Backend& backend = backend::backend_for(p.device());
    if (p.dtype() == DType::Float32 && backend.has(backend::Fused::OptimizerSteps)) {  // the same, in one pass
      const backend::RmspropStep h{.lr = lr_of(i), .alpha = alpha, .one_minus_alpha = one_minus_alpha, .eps = o.eps,
                                   .weight_decay = weight_decay_of(i), .momentum = o.momentum, .centered = o.centered};
      const Tensor& g = p.grad();
      const Tensor gc = g.contiguous();
      bump_version(p);
      pass.add(backend,
               {h, p.data<float>(), gc.data<float>(), s["square_avg"].data<float>(),
                o.centered ? s["grad_avg"].data<float>() : nullptr,
                o.momentum > 0 ? s["momentum_buffer"].data<float>() : nullptr, p.numel()},
               gc, g);
      continue;
    }
    const Tensor theta = p.detach();
    Tensor g = p.grad();
    if (weight_decay_of(i) != 0) g = g + theta * weight_decay_of(i);
    Tensor& v = s["square_avg"];
    v.copy_(v * alpha + g * one_minus_alpha * g);
    Tensor avg;
    if (o.centered) {
      Tensor& gbar = s["grad_avg"];
      gbar.copy_(gbar * alpha + g * one_minus_alpha);
      avg = sqrt(v + gbar * -1.0 * gbar);
    } else {
      avg = sqrt(v);
    }
    avg = avg + o.eps;
    if (o.momentum > 0) {
      Tensor& b = s["momentum_buffer"];
      b.copy_(b * o.momentum + g / avg);
      p.copy_(theta + b * -lr_of(i));
    } else {
      p.copy_(theta + g * -lr_of(i) / avg);
    }
  }
  pass.run();
}



std::vector<StateField> RMSprop::state_fields(std::size_t i) const {
  const Shape& shape = parameters_.at(i).sizes();
  std::vector<StateField> fields{{"step", DType::Int64, {}}, {"square_avg", parameters_.at(i).dtype(), shape}};
  if (options_.momentum > 0) fields.push_back({"momentum_buffer", parameters_.at(i).dtype(), shape});
  if (options_.centered) fields.push_back({"grad_avg", parameters_.at(i).dtype(), shape});
  return fields;
}

OptimizerState RMSprop::state_dict() const {
  OptimizerState state{.kind = "rmsprop",
          .hyper_parameters = {{"lr", group_lr(0)},
                               {"alpha", options_.alpha},
                               {"eps", options_.eps},
                               {"weight_decay", group_weight_decay(0)},
                               {"momentum", options_.momentum},
                               {"centered", options_.centered ? 1.0 : 0.0}},
          .parameters = state_};
  add_group_hyper_parameters(state.hyper_parameters);
  return state;
}

void RMSprop::set_state(const OptimizerState& state) {
  std::vector<std::map<std::string, Tensor>> fresh(parameters_.size());
  for (std::size_t i = 0; i < fresh.size(); ++i)
    for (const auto& [name, value] : state.parameters[i]) fresh[i][name] = value.to(parameters_[i].device()).clone();
  state_ = std::move(fresh);
}

}  // namespace ann::optim
