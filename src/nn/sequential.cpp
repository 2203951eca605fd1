#include "ann/nn/sequential.h"

#include "ann/error.h"
#include "ann/nn/fusion.h"

namespace ann::nn {

ModuleList::ModuleList(std::initializer_list<AnyModule> modules) {
  for (const AnyModule& m : modules) push_back(m);
}

void ModuleList::push_back(AnyModule module) {
  register_module(std::to_string(modules_.size()), module.ptr);
  modules_.push_back(std::move(module.ptr));
}

Tensor ModuleList::forward(const Tensor&) {
  throw ValueError(name() + ": a module list has no forward; call its modules from your own module's forward");
}

Module& ModuleList::operator[](std::size_t i) const {
  if (i >= modules_.size()) {
    throw ValueError(name() + ": index " + std::to_string(i) + " out of range for " + std::to_string(modules_.size()) +
                     " modules");
  }
  return *modules_[i];
}

void ModuleList::throw_wrong_type(std::size_t i) const {
  throw TypeError(name() + ": module " + std::to_string(i) + " is a " + modules_[i]->name() +
                  ", not the requested type");
}

Tensor Sequential::forward(const Tensor& x) {
  const auto& layers = modules();
  Tensor h = x;
  for (std::size_t i = 0; i < layers.size();) {
    if (const std::size_t covered = run_fused(layers, i, h)) {  // ann/nn/fusion.h
      i += covered;
      continue;
    }
    h = layers[i]->forward(h);
    ++i;
  }
  return h;
}

}  // namespace ann::nn
