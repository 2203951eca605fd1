#include "ann/optim/sgd.h"

#include "ann/error.h"
#include "backend/backend.h"
#include "tensor_impl.h"

namespace ann::optim {

SGD::SGD(std::vector<Tensor> parameters, SGDOptions options)
    : Optimizer(std::move(parameters)), options_(options), state_(parameters_.size()) {
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
}

void SGD::step() {
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    Tensor& p = parameters_[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    ParamState& s = state_[i];
    const bool first = !s.momentum_buffer.defined();
    if (options_.momentum != 0 && first) s.momentum_buffer = make_tensor(p.sizes(), DType::Float32, p.device());
    const backend::SgdStep h{static_cast<float>(options_.lr), static_cast<float>(options_.momentum),
                             static_cast<float>(1.0 - options_.dampening),
                             static_cast<float>(options_.weight_decay), options_.nesterov, first};
    const Tensor gc = g.contiguous();
    backend::backend_for(p.device())
        .sgd_step(h, p.data<float>(), gc.data<float>(),
                  s.momentum_buffer.defined() ? s.momentum_buffer.data<float>() : nullptr, p.numel());
  }
}

}  // namespace ann::optim
