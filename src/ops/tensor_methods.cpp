// Tensor's method spellings of the free operations in ann/ops.h.
#include "ann/ops.h"

namespace ann {

Tensor Tensor::matmul(const Tensor& other) const { return ann::matmul(*this, other); }
Tensor Tensor::neg() const { return ann::neg(*this); }
Tensor Tensor::pow(float exponent) const { return ann::pow(*this, exponent); }
Tensor Tensor::exp() const { return ann::exp(*this); }
Tensor Tensor::log() const { return ann::log(*this); }
Tensor Tensor::sqrt() const { return ann::sqrt(*this); }
Tensor Tensor::abs() const { return ann::abs(*this); }
Tensor Tensor::clamp(float min, float max) const { return ann::clamp(*this, min, max); }
Tensor Tensor::relu() const { return ann::relu(*this); }
Tensor Tensor::tanh() const { return ann::tanh(*this); }
Tensor Tensor::sigmoid() const { return ann::sigmoid(*this); }
Tensor Tensor::softmax(std::int64_t dim) const { return ann::softmax(*this, dim); }
Tensor Tensor::log_softmax(std::int64_t dim) const { return ann::log_softmax(*this, dim); }
Tensor Tensor::sum() const { return ann::sum(*this); }
Tensor Tensor::sum(std::int64_t dim, bool keepdim) const { return ann::sum(*this, dim, keepdim); }
Tensor Tensor::mean() const { return ann::mean(*this); }
Tensor Tensor::mean(std::int64_t dim, bool keepdim) const { return ann::mean(*this, dim, keepdim); }
Tensor Tensor::max() const { return ann::max(*this); }
Tensor Tensor::max(std::int64_t dim, bool keepdim) const { return ann::max(*this, dim, keepdim); }
Tensor Tensor::min() const { return ann::min(*this); }
Tensor Tensor::min(std::int64_t dim, bool keepdim) const { return ann::min(*this, dim, keepdim); }
Tensor Tensor::argmax() const { return ann::argmax(*this); }
Tensor Tensor::argmax(std::int64_t dim, bool keepdim) const { return ann::argmax(*this, dim, keepdim); }
Tensor Tensor::var() const { return ann::var(*this); }
Tensor Tensor::var(std::int64_t dim, bool unbiased, bool keepdim) const { return ann::var(*this, dim, unbiased, keepdim); }
Tensor Tensor::std() const { return ann::std(*this); }
Tensor Tensor::std(std::int64_t dim, bool unbiased, bool keepdim) const { return ann::std(*this, dim, unbiased, keepdim); }

}  // namespace ann
