#include "ann/optim/adagrad.h"

#include <string>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/ops.h"
#include "backend/backend.h"
#include "optim/fused_pass.h"
#include "tensor_impl.h"

namespace ann::optim {

Adagrad::Adagrad(std::vector<Tensor> parameters, AdagradOptions options)
    : Adagrad(std::vector<ParamGroup>{{std::move(parameters)}}, options) {}

Adagrad::Adagrad(std::vector<ParamGroup> groups, AdagradOptions options)
    : Optimizer(std::move(groups)), options_(options), steps_(parameters_.size(), 0) {
  const auto check = [](const char* what, double v) {
    if (!(v >= 0.0)) throw ValueError("Adagrad: invalid " + std::string(what) + " " + std::to_string(v));
  };
  check("learning rate", options.lr);
  check("lr_decay", options.lr_decay);
  check("weight_decay", options.weight_decay);
  check("initial_accumulator_value", options.initial_accumulator_value);
  check("epsilon", options.eps);
  set_group_defaults(options.lr, options.weight_decay);
  for (const Tensor& p : parameters_) sums_.push_back(full(p.sizes(), options.initial_accumulator_value, TensorOptions().dtype(p.dtype()).device(p.device())));
}

// As torch's _single_tensor_adagrad: clr in double, then tensor ops rounding in its order.
void Adagrad::step() {
  NoGradGuard no_grad;
  const AdagradOptions& o = options_;
  FusedPass<backend::AdagradUpdate> pass(&backend::Backend::adagrad_step, parameters_.size());
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    Tensor& p = parameters_[i];
    if (!p.grad().defined()) continue;
    const std::int64_t t = ++steps_[i];
    const double clr = lr_of(i) / (1 + static_cast<double>(t - 1) * o.lr_decay);
    Tensor& sum = sums_[i];
    const backend::Backend& backend = backend::backend_for(p.device());
    if (p.dtype() == DType::Float32 && backend.has(backend::Fused::OptimizerSteps)) {  // the same, in one pass
      const Tensor& g = p.grad();
      const Tensor gc = g.contiguous();
      bump_version(p);
      pass.add(backend,
               {{.clr = clr, .eps = o.eps, .weight_decay = weight_decay_of(i)}, p.data<float>(), gc.data<float>(),
                sum.data<float>(), p.numel()},
               gc, g);
      continue;
    }
    const Tensor theta = p.detach();
    Tensor g = p.grad();
    if (weight_decay_of(i) != 0) g = g + theta * weight_decay_of(i);
    sum.copy_(sum + g * g);
    const Tensor std = sqrt(sum) + o.eps;
    p.copy_(theta + g * -clr / std);
  }
  pass.run();
}


std::vector<StateField> Adagrad::state_fields(std::size_t i) const {
  return {{"step", DType::Int64, {}}, {"sum", parameters_.at(i).dtype(), parameters_.at(i).sizes()}};
}

OptimizerState Adagrad::state_dict() const {
  OptimizerState state{.kind = "adagrad",
                       .hyper_parameters = {{"lr", group_lr(0)},
                                            {"lr_decay", options_.lr_decay},
                                            {"weight_decay", group_weight_decay(0)},
                                            {"initial_accumulator_value", options_.initial_accumulator_value},
                                            {"eps", options_.eps}},
                       .parameters = std::vector<std::map<std::string, Tensor>>(parameters_.size())};
  for (std::size_t i = 0; i < parameters_.size(); ++i)
    state.parameters[i] = {{"step", from_vector(std::vector<std::int64_t>{steps_[i]}, {})}, {"sum", sums_[i]}};
  add_group_hyper_parameters(state.hyper_parameters);
  return state;
}

void Adagrad::set_state(const OptimizerState& state) {
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const auto& given = state.parameters[i];
    if (given.empty()) continue;
    steps_[i] = given.at("step").item<std::int64_t>();
    sums_[i] = given.at("sum").to(parameters_[i].device()).clone();
  }
}

}  // namespace ann::optim
