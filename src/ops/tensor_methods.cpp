// Tensor's method spellings of the free operations in ann/ops.h, and the in-place arithmetic.
#include <string>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/ops.h"
#include "autograd/in_place.h"
#include "tensor_impl.h"

namespace ann {

Tensor Tensor::matmul(const Tensor& other) const { return ann::matmul(*this, other); }
Tensor Tensor::dot(const Tensor& other) const { return ann::dot(*this, other); }
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

// ---- in-place arithmetic: the out-of-place op's result written back (autograd/in_place.h) ------

using autograd::assign_in_place;

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  return assign_in_place(*this, "add_", other, [alpha](const Tensor& s, const Tensor& o) { return alpha == 1.0 ? s + o : s + o * alpha; });
}
Tensor& Tensor::add_(double value) {
  return assign_in_place(*this, "add_", {}, [value](const Tensor& s, const Tensor&) { return s + value; });
}
Tensor& Tensor::sub_(const Tensor& other, double alpha) {
  return assign_in_place(*this, "sub_", other, [alpha](const Tensor& s, const Tensor& o) { return alpha == 1.0 ? s - o : s - o * alpha; });
}
Tensor& Tensor::sub_(double value) {
  return assign_in_place(*this, "sub_", {}, [value](const Tensor& s, const Tensor&) { return s - value; });
}
Tensor& Tensor::mul_(const Tensor& other) {
  return assign_in_place(*this, "mul_", other, [](const Tensor& s, const Tensor& o) { return s * o; });
}
Tensor& Tensor::mul_(double value) {
  return assign_in_place(*this, "mul_", {}, [value](const Tensor& s, const Tensor&) { return s * value; });
}
Tensor& Tensor::div_(const Tensor& other) {
  return assign_in_place(*this, "div_", other, [](const Tensor& s, const Tensor& o) { return s / o; });
}
Tensor& Tensor::div_(double value) {
  return assign_in_place(*this, "div_", {}, [value](const Tensor& s, const Tensor&) { return s / value; });
}
Tensor& Tensor::clamp_(double lo, double hi) {
  return assign_in_place(*this, "clamp_", {}, [lo, hi](const Tensor& s, const Tensor&) { return ann::clamp(s, lo, hi); });
}
Tensor& Tensor::masked_fill_(const Tensor& mask, double value) {
  // The mask is bool and never requires grad: it is passed as data, not as the other operand.
  return assign_in_place(*this, "masked_fill_", {}, [&mask, value](const Tensor& s, const Tensor&) { return ann::masked_fill(s, mask, value); });
}
Tensor& Tensor::scatter_(std::int64_t dim, const Tensor& index, const Tensor& src) {
  return assign_in_place(*this, "scatter_", src, [dim, &index](const Tensor& s, const Tensor& o) { return ann::scatter(s, dim, index, o); });
}
Tensor& Tensor::scatter_(std::int64_t dim, const Tensor& index, double value) {
  return assign_in_place(*this, "scatter_", {}, [dim, &index, value](const Tensor& s, const Tensor&) { return ann::scatter(s, dim, index, value); });
}
Tensor& Tensor::scatter_add_(std::int64_t dim, const Tensor& index, const Tensor& src) {
  return assign_in_place(*this, "scatter_add_", src, [dim, &index](const Tensor& s, const Tensor& o) { return ann::scatter_add(s, dim, index, o); });
}

}  // namespace ann
