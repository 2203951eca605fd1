#include "ann/optim/adam.h"

#include <cmath>

#include "ann/error.h"
#include "backend/backend.h"
#include "tensor_impl.h"

namespace ann::optim {

Adam::Adam(std::vector<Tensor> parameters, AdamOptions options) : Adam(std::move(parameters), options, false) {}

Adam::Adam(std::vector<Tensor> parameters, AdamOptions options, bool decoupled)
    : Optimizer(std::move(parameters)), options_(options), decoupled_(decoupled), state_(parameters_.size()) {
  const char* name = decoupled ? "AdamW" : "Adam";
  auto bad = [name](const std::string& what, double v) {
    return ValueError(std::string(name) + ": invalid " + what + " " + std::to_string(v));
  };
  if (!(options.lr >= 0)) throw bad("learning rate", options.lr);
  if (!(options.eps >= 0)) throw bad("epsilon", options.eps);
  if (!(options.beta1 >= 0 && options.beta1 < 1)) throw bad("beta1", options.beta1);
  if (!(options.beta2 >= 0 && options.beta2 < 1)) throw bad("beta2", options.beta2);
  if (!(options.weight_decay >= 0)) throw bad("weight_decay", options.weight_decay);
}

void Adam::step() {
  // The bias corrections 1 − β^t, computed once for all parameters at the same step t.
  std::int64_t corrected_step = -1;
  double bias_correction1 = 0, bias_correction2 = 0;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    Tensor& p = parameters_[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    AdamParamState& s = state_[i];
    if (s.step == 0) {
      s.exp_avg = zeros(p.sizes());
      s.exp_avg_sq = zeros(p.sizes());
    }
    ++s.step;
    const AdamOptions& o = options_;
    if (s.step != corrected_step) {
      corrected_step = s.step;
      bias_correction1 = 1.0 - std::pow(o.beta1, static_cast<double>(s.step));
      bias_correction2 = 1.0 - std::pow(o.beta2, static_cast<double>(s.step));
    }
    const backend::AdamStep h{
        .weight_decay = decoupled_ ? 0.f : static_cast<float>(o.weight_decay),
        .decay_factor = decoupled_ ? static_cast<float>(1.0 - o.lr * o.weight_decay) : 1.f,
        .beta1 = static_cast<float>(o.beta1),
        .one_minus_beta1 = static_cast<float>(1.0 - o.beta1),
        .beta2 = static_cast<float>(o.beta2),
        .one_minus_beta2 = static_cast<float>(1.0 - o.beta2),
        .bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2)),
        .eps = static_cast<float>(o.eps),
        .step_size = static_cast<float>(o.lr / bias_correction1),
    };
    const Tensor gc = g.contiguous();
    backend::backend_for(p.device())
        .adam_step(h, p.data<float>(), gc.data<float>(), s.exp_avg.data<float>(), s.exp_avg_sq.data<float>(),
                   p.numel());
  }
}

AdamW::AdamW(std::vector<Tensor> parameters, AdamWOptions o)
    : Adam(std::move(parameters), {o.lr, o.beta1, o.beta2, o.eps, o.weight_decay}, true) {}

}  // namespace ann::optim
