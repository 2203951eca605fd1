#include "ann/nn/normalization.h"

#include <charconv>
#include <string>

#include "ann/autograd.h"
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
  Tensor y = (centred / sqrt(variance + eps_)).reshape(x.sizes());
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

BatchNorm1d::BatchNorm1d(std::int64_t num_features, double eps, double momentum, bool affine, bool track_running_stats)
    : num_features_(num_features), eps_(eps), momentum_(momentum) {
  if (num_features < 1) throw ValueError("BatchNorm1d: num_features must be at least 1, got " + std::to_string(num_features));
  if (!(eps > 0)) throw ValueError("BatchNorm1d: eps must be positive, got " + std::to_string(eps));
  if (!(momentum >= 0 && momentum <= 1)) throw ValueError("BatchNorm1d: momentum must be in [0, 1], got " + std::to_string(momentum));
  if (affine) {
    weight = register_parameter("weight", ones({num_features}));
    bias = register_parameter("bias", zeros({num_features}));
  }
  if (track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({num_features}));
    running_var = register_buffer("running_var", ones({num_features}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, TensorOptions().dtype(DType::Int64)));
  }
}

// Composed from ops, so autograd gives the gradient through the batch statistics.
Tensor BatchNorm1d::forward(const Tensor& x) {
  if (!x.defined() || x.dim() != 2 || x.size(1) != num_features_) {
    throw ShapeError("BatchNorm1d: expected input of shape [N, " + std::to_string(num_features_) + "], got " +
                     (x.defined() ? to_string(x.sizes()) : std::string("(undefined)")));
  }
  const bool batch_statistics = is_training() || !running_mean.defined();
  Tensor y;
  if (batch_statistics) {
    const std::int64_t n = x.size(0);
    if (n < 2 && is_training()) {
      throw ValueError("BatchNorm1d: expected more than 1 value per channel when training, got input of shape " +
                       to_string(x.sizes()));
    }
    const Tensor mean = x.mean(0, true);
    const Tensor centred = x - mean;
    const Tensor variance = (centred * centred).mean(0, true);
    y = centred / sqrt(variance + eps_);
    if (is_training() && running_mean.defined()) {
      NoGradGuard no_grad;
      // The factors in the input's precision: float arithmetic for float32, double for float64.
      double m = momentum_, keep = 1.0 - momentum_, unbiased_m = static_cast<double>(n) / static_cast<double>(n - 1) * m;
      if (x.dtype() == DType::Float32) {
        const auto mf = static_cast<float>(momentum_);
        m = mf;
        keep = 1.f - mf;
        unbiased_m = static_cast<float>(n) / static_cast<float>(n - 1) * mf;
      }
      running_mean.copy_(running_mean * keep + mean.detach().reshape({num_features_}) * m);
      running_var.copy_(running_var * keep + variance.detach().reshape({num_features_}) * unbiased_m);
      num_batches_tracked.copy_(num_batches_tracked + full({}, 1.0, TensorOptions().dtype(DType::Int64).device(x.device())));
    }
  } else {
    y = (x - running_mean) / sqrt(running_var + eps_);
  }
  if (weight.defined()) y = y * weight + bias;
  return y;
}

std::string BatchNorm1d::extra_repr() const {
  char eps[32], momentum[32];
  const auto e = std::to_chars(eps, eps + sizeof eps, eps_);
  const auto m = std::to_chars(momentum, momentum + sizeof momentum, momentum_);
  return std::to_string(num_features_) + ", eps=" + std::string(eps, e.ptr) + ", momentum=" + std::string(momentum, m.ptr) +
         ", affine=" + (weight.defined() ? "True" : "False") +
         ", track_running_stats=" + (running_mean.defined() ? "True" : "False");
}

}  // namespace ann::nn
