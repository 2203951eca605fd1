#pragma once
// optim::Optimizer — holds the parameters it updates; step() applies one update from their
// accumulated gradients (the lesson's step 5), zero_grad() clears them (step 3).
#include <vector>

#include "ann/tensor.h"

namespace ann::optim {

class Optimizer {
 public:
  explicit Optimizer(std::vector<Tensor> parameters);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every parameter that has a gradient; parameters without one are skipped.
  virtual void step() = 0;
  /// Zeroes the gradients of all parameters.
  void zero_grad();
  const std::vector<Tensor>& parameters() const { return parameters_; }

 protected:
  std::vector<Tensor> parameters_;
};

}  // namespace ann::optim
