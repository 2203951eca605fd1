#include "ann/nn/normalization.h"

#include <charconv>
#include <string>

#include "ann/error.h"
#include "ann/ops.h"

namespace ann::nn {

LayerNorm::LayerNorm(Shape normalized_shape, double eps, bool elementwise_affine)
    : normalized_shape_(std::move(normalized_shape)), eps_(eps) {
  if (normalized_shape_.empty()) throw ValueError("LayerNorm: normalized_shape must have at least one dimension");
  for (std::int64_t s : normalized_shape_)
    if (s < 1) throw ValueError("LayerNorm: normalized_shape " + to_string(normalized_shape_) + " has a size below 1");
  if (elementwise_affine) {
    weight = register_parameter("weight", ones(normalized_shape_));
    bias = register_parameter("bias", zeros(normalized_shape_));
  }
}

// Composed from ops, so autograd gives the gradient: the normalised dims are flattened into
// one, reduced with keepdim, and the result takes x's shape back.
Tensor LayerNorm::forward(const Tensor& x) {
  const auto k = static_cast<std::int64_t>(normalized_shape_.size());
  bool fits = x.defined() && x.dim() >= k;
  for (std::int64_t i = 0; fits && i < k; ++i) fits = x.size(x.dim() - k + i) == normalized_shape_[static_cast<std::size_t>(i)];
  if (!fits) {
    throw ShapeError("LayerNorm: input of shape " + (x.defined() ? to_string(x.sizes()) : std::string("(undefined)")) +
                     " does not end in normalized_shape " + to_string(normalized_shape_));
  }
  Shape rows(x.sizes().begin(), x.sizes().end() - k);
  rows.push_back(-1);
  const Tensor flat = x.reshape(rows);
  const Tensor centred = flat - flat.mean(-1, true);
  const Tensor variance = (centred * centred).mean(-1, true);
  Tensor y = (centred / sqrt(variance + static_cast<float>(eps_))).reshape(x.sizes());
  if (weight.defined()) y = y * weight + bias;
  return y;
}

std::string LayerNorm::extra_repr() const {
  std::string shape = "(";  // a Python tuple: (4,) or (2, 4)
  for (std::size_t i = 0; i < normalized_shape_.size(); ++i) shape += (i ? ", " : "") + std::to_string(normalized_shape_[i]);
  if (normalized_shape_.size() == 1) shape += ",";
  char eps[32];
  const auto [end, ec] = std::to_chars(eps, eps + sizeof eps, eps_);
  return shape + "), eps=" + std::string(eps, ec == std::errc() ? end : eps) +
         ", elementwise_affine=" + (weight.defined() ? "True" : "False");
}

}  // namespace ann::nn
