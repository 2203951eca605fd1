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
Tensor Tensor::clamp(std::optional<double> min, std::optional<double> max) const { return ann::clamp(*this, min, max); }
Tensor Tensor::clamp_min(double min) const { return ann::clamp_min(*this, min); }
Tensor Tensor::clamp_max(double max) const { return ann::clamp_max(*this, max); }
Tensor Tensor::masked_fill(const Tensor& mask, double value) const { return ann::masked_fill(*this, mask, value); }
Tensor Tensor::masked_fill(const Tensor& mask, const Tensor& value) const { return ann::masked_fill(*this, mask, value); }
Tensor Tensor::sign() const { return ann::sign(*this); }
Tensor Tensor::log1p() const { return ann::log1p(*this); }
Tensor Tensor::maximum(const Tensor& other) const { return ann::maximum(*this, other); }
Tensor Tensor::minimum(const Tensor& other) const { return ann::minimum(*this, other); }
Tensor Tensor::bmm(const Tensor& other) const { return ann::bmm(*this, other); }
Tensor Tensor::scatter(std::int64_t dim, const Tensor& index, const Tensor& src) const { return ann::scatter(*this, dim, index, src); }
Tensor Tensor::scatter(std::int64_t dim, const Tensor& index, double value) const { return ann::scatter(*this, dim, index, value); }
Tensor Tensor::scatter_add(std::int64_t dim, const Tensor& index, const Tensor& src) const {
  return ann::scatter_add(*this, dim, index, src);
}
Tensor Tensor::eq(const Tensor& other) const { return ann::eq(*this, other); }
Tensor Tensor::ne(const Tensor& other) const { return ann::ne(*this, other); }
Tensor Tensor::lt(const Tensor& other) const { return ann::lt(*this, other); }
Tensor Tensor::le(const Tensor& other) const { return ann::le(*this, other); }
Tensor Tensor::gt(const Tensor& other) const { return ann::gt(*this, other); }
Tensor Tensor::ge(const Tensor& other) const { return ann::ge(*this, other); }
Tensor Tensor::eq(double other) const { return *this == other; }
Tensor Tensor::ne(double other) const { return *this != other; }
Tensor Tensor::lt(double other) const { return *this < other; }
Tensor Tensor::le(double other) const { return *this <= other; }
Tensor Tensor::gt(double other) const { return *this > other; }
Tensor Tensor::ge(double other) const { return *this >= other; }
Tensor Tensor::logical_not() const { return ann::logical_not(*this); }
Tensor Tensor::relu() const { return ann::relu(*this); }
Tensor Tensor::tanh() const { return ann::tanh(*this); }
Tensor Tensor::sigmoid() const { return ann::sigmoid(*this); }
Tensor Tensor::softmax(std::int64_t dim) const { return ann::softmax(*this, dim); }
Tensor Tensor::log_softmax(std::int64_t dim) const { return ann::log_softmax(*this, dim); }
Tensor Tensor::sum() const { return ann::sum(*this); }
Tensor Tensor::sum(std::int64_t dim, bool keepdim) const { return ann::sum(*this, dim, keepdim); }
Tensor Tensor::mean() const { return ann::mean(*this); }
Tensor Tensor::mean(std::int64_t dim, bool keepdim) const { return ann::mean(*this, dim, keepdim); }
Tensor Tensor::sum(const std::vector<std::int64_t>& dims, bool keepdim) const { return ann::sum(*this, dims, keepdim); }
Tensor Tensor::mean(const std::vector<std::int64_t>& dims, bool keepdim) const { return ann::mean(*this, dims, keepdim); }
Tensor Tensor::prod() const { return ann::prod(*this); }
Tensor Tensor::prod(std::int64_t dim, bool keepdim) const { return ann::prod(*this, dim, keepdim); }
Tensor Tensor::cumsum(std::int64_t dim) const { return ann::cumsum(*this, dim); }
Tensor Tensor::logsumexp(std::int64_t dim, bool keepdim) const { return ann::logsumexp(*this, dim, keepdim); }
Tensor Tensor::logsumexp(const std::vector<std::int64_t>& dims, bool keepdim) const {
  return ann::logsumexp(*this, dims, keepdim);
}
Tensor Tensor::norm(double p) const { return ann::norm(*this, p); }
Tensor Tensor::norm(double p, const std::vector<std::int64_t>& dims, bool keepdim) const {
  return ann::norm(*this, p, dims, keepdim);
}
Tensor Tensor::max() const { return ann::max(*this); }
std::tuple<Tensor, Tensor> Tensor::max(std::int64_t dim, bool keepdim) const { return ann::max(*this, dim, keepdim); }
Tensor Tensor::min() const { return ann::min(*this); }
std::tuple<Tensor, Tensor> Tensor::min(std::int64_t dim, bool keepdim) const { return ann::min(*this, dim, keepdim); }
Tensor Tensor::argmax() const { return ann::argmax(*this); }
Tensor Tensor::argmax(std::int64_t dim, bool keepdim) const { return ann::argmax(*this, dim, keepdim); }
Tensor Tensor::argmin() const { return ann::argmin(*this); }
Tensor Tensor::argmin(std::int64_t dim, bool keepdim) const { return ann::argmin(*this, dim, keepdim); }
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
Tensor& Tensor::clamp_(std::optional<double> lo, std::optional<double> hi) {
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

// ---- the free spellings of the view methods -------------------------------------------------
Tensor reshape(const Tensor& x, const Shape& shape) { return x.reshape(shape); }
Tensor permute(const Tensor& x, const Shape& dims) { return x.permute(dims); }
Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1) { return x.transpose(dim0, dim1); }
Tensor t(const Tensor& x) { return x.t(); }
Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length) { return x.narrow(dim, start, length); }
Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index) { return x.select(dim, index); }
Tensor squeeze(const Tensor& x) { return x.squeeze(); }
Tensor squeeze(const Tensor& x, std::int64_t dim) { return x.squeeze(dim); }
Tensor unsqueeze(const Tensor& x, std::int64_t dim) { return x.unsqueeze(dim); }
Tensor flatten(const Tensor& x, std::int64_t start_dim, std::int64_t end_dim) { return x.flatten(start_dim, end_dim); }
std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t dim) { return x.chunk(chunks, dim); }
std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, std::int64_t dim) { return x.split(split_size, dim); }
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& split_sizes, std::int64_t dim) {
  return x.split(split_sizes, dim);
}

}  // namespace ann
