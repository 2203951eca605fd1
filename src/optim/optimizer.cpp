#include "ann/optim/optimizer.h"

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

void Optimizer::zero_grad() {
  for (Tensor& p : parameters_) p.zero_grad();
}

}  // namespace ann::optim
