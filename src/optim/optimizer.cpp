#include "ann/optim/optimizer.h"

#include <cmath>
#include <set>
#include <string>

#include "ann/error.h"

namespace ann::optim {

Optimizer::Optimizer(std::vector<Tensor> parameters) : Optimizer(std::vector<ParamGroup>{{std::move(parameters)}}) {}

Optimizer::Optimizer(std::vector<ParamGroup> groups) {
  if (groups.empty()) throw ValueError("Optimizer: no parameter group");
  for (std::size_t g = 0; g < groups.size(); ++g) {
    ParamGroup& group = groups[g];
    for (const auto& [what, value] : {std::pair{"lr", group.lr}, std::pair{"weight_decay", group.weight_decay}}) {
      if (value && !(*value >= 0.0 && std::isfinite(*value))) {
        throw ValueError("Optimizer: parameter group " + std::to_string(g) + " has an invalid " + what + " " +
                         std::to_string(*value));
      }
    }
    groups_.push_back({.begin = parameters_.size(), .given_lr = group.lr, .given_weight_decay = group.weight_decay});
    for (Tensor& p : group.params) {
      parameters_.push_back(std::move(p));
      group_of_.push_back(g);
    }
  }
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Tensor& p = parameters_[i];
    if (!p.defined() || !p.is_leaf() || !is_floating_point(p.dtype()) || !p.is_contiguous()) {
      throw ValueError("Optimizer: parameter " + std::to_string(i) +
                       " must be a defined, contiguous float32 or float64 leaf tensor");
    }
  }
}

void Optimizer::set_group_defaults(double lr, double weight_decay) {
  for (Group& g : groups_) {
    g.lr = g.given_lr.value_or(lr);
    g.weight_decay = g.given_weight_decay.value_or(weight_decay);
  }
}

void Optimizer::set_lr(double lr) {
  checked_lr(lr);
  for (Group& g : groups_) g.lr = lr;
}

void Optimizer::set_group_lr(std::size_t g, double lr) { groups_.at(g).lr = checked_lr(lr); }

void Optimizer::add_group_hyper_parameters(std::map<std::string, double>& hyper_parameters) const {
  for (std::size_t g = 1; g < groups_.size(); ++g) {
    hyper_parameters["lr." + std::to_string(g)] = groups_[g].lr;
    hyper_parameters["weight_decay." + std::to_string(g)] = groups_[g].weight_decay;
  }
}

double Optimizer::checked_lr(double lr) const {
  if (!(lr >= 0.0) || !std::isfinite(lr)) {
    throw ValueError(std::string(kind()) + ": invalid learning rate " + std::to_string(lr));
  }
  return lr;
}

void Optimizer::zero_grad(bool set_to_none) {
  for (Tensor& p : parameters_) set_to_none ? p.set_grad(Tensor()) : p.zero_grad();
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
