// Tensor's method spellings of the free operations in ann/ops.h, and the in-place arithmetic.
#include <string>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/ops.h"
#include "tensor_impl.h"

namespace ann {

Tensor Tensor::matmul(const Tensor& other) const { return ann::matmul(*this, other); }
Tensor Tensor::neg() const { return ann::neg(*this); }
Tensor Tensor::pow(double exponent) const { return ann::pow(*this, exponent); }
Tensor Tensor::exp() const { return ann::exp(*this); }
Tensor Tensor::log() const { return ann::log(*this); }
Tensor Tensor::sqrt() const { return ann::sqrt(*this); }
Tensor Tensor::abs() const { return ann::abs(*this); }
Tensor Tensor::clamp(double min, double max) const { return ann::clamp(*this, min, max); }
Tensor Tensor::masked_fill(const Tensor& mask, double value) const { return ann::masked_fill(*this, mask, value); }
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
std::tuple<Tensor, Tensor> Tensor::max(std::int64_t dim, bool keepdim) const { return ann::max(*this, dim, keepdim); }
Tensor Tensor::min() const { return ann::min(*this); }
std::tuple<Tensor, Tensor> Tensor::min(std::int64_t dim, bool keepdim) const { return ann::min(*this, dim, keepdim); }
Tensor Tensor::argmax() const { return ann::argmax(*this); }
Tensor Tensor::argmax(std::int64_t dim, bool keepdim) const { return ann::argmax(*this, dim, keepdim); }
Tensor Tensor::var() const { return ann::var(*this); }
Tensor Tensor::var(std::int64_t dim, bool unbiased, bool keepdim) const { return ann::var(*this, dim, unbiased, keepdim); }
Tensor Tensor::std() const { return ann::std(*this); }
Tensor Tensor::std(std::int64_t dim, bool unbiased, bool keepdim) const { return ann::std(*this, dim, unbiased, keepdim); }

// ---- in-place arithmetic: the out-of-place op's result written back ---------------------------

namespace {
// self ← value(self), where `compute` is the out-of-place op: the same numbers. Refused first on
// a tensor that requires grad while recording (begin_in_place); the result must keep self's
// shape (other only broadcasts to it) and fit its type, as libtorch's in-place ops.
template <class F>
Tensor& assign_in_place(Tensor& self, const char* op, F compute) {
  begin_in_place(self, op);
  NoGradGuard no_grad;
  const Tensor value = compute();
  if (value.sizes() != self.sizes()) {
    throw ShapeError(std::string(op) + ": the result's shape " + to_string(value.sizes()) + " is not the shape " +
                     to_string(self.sizes()) + " of the tensor written in place");
  }
  if (value.dtype() != self.dtype() && !is_floating_point(self.dtype())) {
    throw TypeError(std::string(op) + ": the result is " + std::string(to_string(value.dtype())) +
                    ", which cannot be written into a " + std::string(to_string(self.dtype())) + " tensor");
  }
  return self.copy_(value);
}
}  // namespace

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  return assign_in_place(*this, "add_", [&] { return alpha == 1.0 ? *this + other : *this + other * alpha; });
}
Tensor& Tensor::add_(double value) { return assign_in_place(*this, "add_", [&] { return *this + value; }); }
Tensor& Tensor::sub_(const Tensor& other, double alpha) {
  return assign_in_place(*this, "sub_", [&] { return alpha == 1.0 ? *this - other : *this - other * alpha; });
}
Tensor& Tensor::sub_(double value) { return assign_in_place(*this, "sub_", [&] { return *this - value; }); }
Tensor& Tensor::mul_(const Tensor& other) { return assign_in_place(*this, "mul_", [&] { return *this * other; }); }
Tensor& Tensor::mul_(double value) { return assign_in_place(*this, "mul_", [&] { return *this * value; }); }
Tensor& Tensor::div_(const Tensor& other) { return assign_in_place(*this, "div_", [&] { return *this / other; }); }
Tensor& Tensor::div_(double value) { return assign_in_place(*this, "div_", [&] { return *this / value; }); }
Tensor& Tensor::clamp_(double lo, double hi) { return assign_in_place(*this, "clamp_", [&] { return clamp(lo, hi); }); }

}  // namespace ann
