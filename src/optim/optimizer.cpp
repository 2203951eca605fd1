#include "ann/optim/optimizer.h"

#include <cmath>
#include <set>
#include <string>

#include "ann/error.h"

namespace ann::optim {

Optimizer::Optimizer(std::vector<Tensor> parameters) : parameters_(std::move(parameters)) {
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Tensor& p = parameters_[i];
    if (!p.defined() || !p.is_leaf() || p.dtype() != DType::Float32 || !p.is_contiguous()) {
      throw ValueError("Optimizer: parameter " + std::to_string(i) +
                       " must be a defined, contiguous float32 leaf tensor");
    }
  }
}

double Optimizer::checked_lr(double lr) const {
  if (!(lr >= 0.0) || !std::isfinite(lr)) {
    throw ValueError(std::string(kind()) + ": invalid learning rate " + std::to_string(lr));
  }
  return lr;
}

void Optimizer::zero_grad() {
  for (Tensor& p : parameters_) p.zero_grad();
}

void Optimizer::check_state_dict(const OptimizerState& state) const {
  const std::string where = std::string(kind()) + " load_state_dict: ";
  if (state.kind != kind()) {
    throw ValueError(where + "the state is of " + (state.kind.empty() ? "no kind" : state.kind) + ", not " +
                     std::string(kind()));
  }
  if (state.parameters.size() != parameters_.size()) {
    throw ValueError(where + "the state has " + std::to_string(state.parameters.size()) +
                     " parameters but the optimizer has " + std::to_string(parameters_.size()));
  }
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const std::map<std::string, Tensor>& given = state.parameters[i];
    if (given.empty()) continue;  // not updated yet
    const std::vector<StateField> fields = state_fields(i);
    std::set<std::string> known;
    std::string names;
    for (const StateField& f : fields) {
      known.insert(f.name);
      names += (names.empty() ? "" : ", ") + f.name;
    }
    for (const auto& [name, tensor] : given) {
      if (!known.contains(name)) {
        throw ValueError(where + "parameter " + std::to_string(i) + " has a field \"" + name + "\" that " +
                         std::string(kind()) + " does not keep (it keeps " + names + ")");
      }
    }
    for (const StateField& f : fields) {
      const auto it = given.find(f.name);
      if (it == given.end()) {
        throw ValueError(where + "parameter " + std::to_string(i) + " has only part of its state (" + names +
                         "): no \"" + f.name + "\"");
      }
      const Tensor& t = it->second;
      if (!t.defined() || t.dtype() != f.dtype || t.sizes() != f.shape) {
        throw ValueError(where + "parameter " + std::to_string(i) + "'s \"" + f.name + "\" is " +
                         (t.defined() ? std::string(to_string(t.dtype())) + " " + to_string(t.sizes()) : "undefined") +
                         ", expected " + std::string(to_string(f.dtype)) + " " + to_string(f.shape));
      }
    }
  }
  check_values(state);
}

void Optimizer::load_state_dict(const OptimizerState& state) {
  check_state_dict(state);
  set_state(state);
}

}  // namespace ann::optim
