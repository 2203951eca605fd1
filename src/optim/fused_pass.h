#pragma once
// One fused pass over a step's parameters (backend::Backend's sgd_step, adam_step, ...): an
// optimizer adds each parameter's update, then its back end updates them all in one call, as
// PyTorch's fused optimizers do.
#include <cstddef>
#include <span>
#include <vector>

#include "ann/tensor.h"
#include "backend/backend.h"

namespace ann::optim {

template <class Update>
class FusedPass {
 public:
  using Step = void (backend::Backend::*)(std::span<const Update>) const;

  /// Room for `count` updates: adding them allocates nothing more.
  FusedPass(Step step, std::size_t count) : step_(step) { updates_.reserve(count); }
  FusedPass(const FusedPass&) = delete;
  FusedPass& operator=(const FusedPass&) = delete;
  ~FusedPass() = default;

  /// `grad` is the contiguous gradient that `update` reads; a copy that contiguous() made is
  /// kept alive until run(). An update on another back end than the pending ones runs those
  /// first (parameters on different back ends share no memory, so the order is free).
  void add(const backend::Backend& backend, const Update& update, const Tensor& grad, const Tensor& given_grad) {
    if (backend_ != &backend) run();
    backend_ = &backend;
    updates_.push_back(update);
    if (!grad.is_same(given_grad)) copies_.push_back(grad);
  }

  /// Updates the pending parameters.
  void run() {
    if (!updates_.empty()) (backend_->*step_)(updates_);
    updates_.clear();
    copies_.clear();
  }

 private:
  Step step_;
  const backend::Backend* backend_ = nullptr;
  std::vector<Update> updates_;
  std::vector<Tensor> copies_;
};

}  // namespace ann::optim
