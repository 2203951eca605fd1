#include "ann/nn/sequential.h"

#include "ann/error.h"
#include "ann/nn/fusion.h"

namespace ann::nn {

Sequential::Sequential(std::initializer_list<AnyModule> modules) {
  for (const AnyModule& m : modules) push_back(m);
}

void Sequential::push_back(AnyModule module) {
  register_module(std::to_string(modules_.size()), module.ptr);
  modules_.push_back(std::move(module.ptr));
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (std::size_t i = 0; i < modules_.size();) {
    if (const std::size_t covered = run_fused(modules_, i, h)) {  // ann/nn/fusion.h
      i += covered;
      continue;
    }
    h = modules_[i]->forward(h);
    ++i;
  }
  return h;
}

Module& Sequential::operator[](std::size_t i) const {
  if (i >= modules_.size()) {
    throw ValueError("Sequential: index " + std::to_string(i) + " out of range for " +
                     std::to_string(modules_.size()) + " modules");
  }
  return *modules_[i];
}

void Sequential::throw_wrong_type(std::size_t i) const {
  throw TypeError("Sequential: module " + std::to_string(i) + " is a " + modules_[i]->name() +
                  ", not the requested type");
}

}  // namespace ann::nn
