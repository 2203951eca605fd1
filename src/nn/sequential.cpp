#include "ann/nn/sequential.h"

#include "ann/error.h"
#include "ann/nn/activation.h"
#include "ann/nn/linear.h"
#include "ops/narrow_mlp.h"

namespace ann::nn {

Sequential::Sequential(std::initializer_list<AnyModule> modules) {
  for (const AnyModule& m : modules) push_back(m);
}

void Sequential::push_back(AnyModule module) {
  register_module(std::to_string(modules_.size()), module.ptr);
  modules_.push_back(std::move(module.ptr));
}

namespace {
// The activation module that follows a Linear, if it is one the fused layer computes.
Activation fusable_activation(const Module& m) {
  if (dynamic_cast<const ReLU*>(&m)) return Activation::ReLU;
  if (dynamic_cast<const Tanh*>(&m)) return Activation::Tanh;
  if (dynamic_cast<const Sigmoid*>(&m)) return Activation::Sigmoid;
  return Activation::None;
}
}  // namespace

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (std::size_t i = 0; i < modules_.size(); ++i) {
    auto* affine = dynamic_cast<Linear*>(modules_[i].get());
    const Activation f = i + 1 < modules_.size() ? fusable_activation(*modules_[i + 1]) : Activation::None;
    // Linear – [ReLU|Tanh|Sigmoid] – Linear with at most 4 inputs and 4 outputs runs as one
    // node that keeps its hidden activations in cache (src/ops/narrow_mlp.h).
    const std::size_t second = i + (f == Activation::None ? 1 : 2);
    auto* affine2 = affine && second < modules_.size() ? dynamic_cast<Linear*>(modules_[second].get()) : nullptr;
    if (affine2 && detail::narrow_mlp_applies(h, affine->weight, affine2->weight)) {
      h = detail::narrow_mlp(h, affine->weight, affine->bias, f, affine2->weight, affine2->bias);
      i = second;
      continue;
    }
    // A Linear followed by ReLU/Tanh/Sigmoid runs as one fused layer (bit-identical to the
    // two modules in turn, one pass over the activations fewer each way).
    if (affine && f != Activation::None) {
      h = affine->forward(h, f);
      ++i;
    } else {
      h = modules_[i]->forward(h);
    }
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
