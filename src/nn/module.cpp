#include "ann/nn/module.h"

#include <map>
#include <ostream>
#include <set>

#include "ann/autograd.h"
#include "ann/error.h"
#include "tensor_impl.h"

namespace ann::nn {

namespace {
// Indents every line after the first by two spaces (nested modules in str()).
std::string indent_tail(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '\n') out += "  ";
  }
  return out;
}
}  // namespace

std::string Module::str() const {
  if (children_.empty()) return name() + "(" + extra_repr() + ")";
  std::string s = name() + "(";
  if (!extra_repr().empty()) s += "\n  " + extra_repr();
  for (const auto& [child_name, child] : children_) s += "\n  (" + child_name + "): " + indent_tail(child->str());
  return s + "\n)";
}

std::ostream& operator<<(std::ostream& os, const Module& m) { return os << m.str(); }

namespace {
std::vector<Tensor> values_of(const std::vector<std::pair<std::string, Tensor>>& named) {
  std::vector<Tensor> out;
  for (const auto& [name, t] : named) out.push_back(t);
  return out;
}
}  // namespace

// This module's own entries of `own` (parameters_ or buffers_), then each child's, prefixed.
std::vector<std::pair<std::string, Tensor>> Module::named(Named Module::*own) const {
  Named out = this->*own;
  for (const auto& [child_name, child] : children_) {
    for (auto& [name, t] : child->named(own)) out.emplace_back(child_name + "." + name, t);
  }
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const { return named(&Module::parameters_); }
std::vector<Tensor> Module::parameters() const { return values_of(named_parameters()); }
std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const { return named(&Module::buffers_); }
std::vector<Tensor> Module::buffers() const { return values_of(named_buffers()); }

std::vector<std::pair<std::string, Tensor>> Module::state_dict() const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& [name, p] : parameters_) out.emplace_back(name, p.detach());
  for (const auto& [name, b] : buffers_) out.emplace_back(name, b);
  for (const auto& [child_name, child] : children_) {
    for (auto& [name, t] : child->state_dict()) out.emplace_back(child_name + "." + name, t);
  }
  return out;
}

void Module::load_state_dict(const std::vector<std::pair<std::string, Tensor>>& state, bool strict) {
  const auto own = state_dict();
  std::map<std::string, Tensor> given;
  for (const auto& [name, value] : state) given[name] = value;
  std::string missing, unexpected, errors;
  const auto quoted = [](const std::string& k) { return "\"" + k + "\""; };
  for (const auto& [name, p] : own) {
    const auto it = given.find(name);
    if (it == given.end()) {
      missing += (missing.empty() ? "" : ", ") + quoted(name);
    } else if (!it->second.defined() || it->second.sizes() != p.sizes()) {
      throw ShapeError("load_state_dict for " + this->name() + ": size mismatch for " + name + ": copying a param with shape " +
                       (it->second.defined() ? to_string(it->second.sizes()) : std::string("(undefined)")) +
                       ", the shape in the current model is " + to_string(p.sizes()));
    }
  }
  std::set<std::string> known;
  for (const auto& [name, p] : own) known.insert(name);
  for (const auto& [name, value] : given)
    if (!known.contains(name)) unexpected += (unexpected.empty() ? "" : ", ") + quoted(name);
  if (strict && (!missing.empty() || !unexpected.empty())) {
    if (!missing.empty()) errors += " Missing key(s) in state_dict: " + missing + ".";
    if (!unexpected.empty()) errors += " Unexpected key(s) in state_dict: " + unexpected + ".";
    throw ValueError("load_state_dict: error(s) in loading state_dict for " + this->name() + ":" + errors);
  }
  NoGradGuard no_grad;
  for (const auto& [name, p] : own) {
    const auto it = given.find(name);
    if (it != given.end()) Tensor(p).copy_(it->second);  // p: a detached handle on the same storage
  }
}

void Module::zero_grad(bool set_to_none) {
  for (Tensor& p : parameters()) set_to_none ? p.set_grad(Tensor()) : p.zero_grad();
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

// In place, as torch: the parameters stay the same tensors (a submodule's handles, an
// optimizer's list), their storage moves.
Module& Module::to(const Device& device) {
  check_available(device, (name() + ".to").c_str());
  for (auto& [name, p] : parameters_) move_storage(p, device);
  for (auto& [name, b] : buffers_) move_storage(b, device);
  for (auto& [name, child] : children_) child->to(device);
  return *this;
}

Module& Module::to(DType dtype) {
  if (!is_floating_point(dtype)) {
    throw TypeError(name() + ".to: expects a floating dtype (float32 or float64), got " + std::string(to_string(dtype)));
  }
  for (auto& [name, p] : parameters_) convert_storage(p, dtype);
  for (auto& [name, b] : buffers_)
    if (is_floating_point(b.dtype())) convert_storage(b, dtype);
  for (auto& [name, child] : children_) child->to(dtype);
  return *this;
}

Tensor Module::register_parameter(std::string name, Tensor value) {
  if (!value.defined()) throw ValueError(this->name() + ": parameter '" + name + "' is undefined");
  value.requires_grad_(true);
  parameters_.emplace_back(std::move(name), value);
  return value;
}

Tensor Module::register_buffer(std::string name, Tensor value) {
  if (!value.defined()) throw ValueError(this->name() + ": buffer '" + name + "' is undefined");
  buffers_.emplace_back(std::move(name), value);
  return value;
}

void Module::register_module(std::string name, std::shared_ptr<Module> child) {
  if (!child) throw ValueError(this->name() + ": child module '" + name + "' is null");
  children_.emplace_back(std::move(name), std::move(child));
}

}  // namespace ann::nn
