#include "ann/nn/linear.h"

#include <cmath>

#include "ann/error.h"
#include "ann/ops.h"

namespace ann::nn {

namespace {
// torch.nn.Linear.reset_parameters: kaiming_uniform_(W, a=√5) gives
// bound = √3 · gain / √fan_in with gain = √(2 / (1 + a²)); the bias uses 1/√fan_in.
// Both are computed in double exactly as PyTorch does, so the float casts agree bit for bit.
double kaiming_uniform_bound(std::int64_t fan_in) {
  const double a = std::sqrt(5.0);
  const double gain = std::sqrt(2.0 / (1.0 + a * a));
  const double std = gain / std::sqrt(static_cast<double>(fan_in));
  return std::sqrt(3.0) * std;
}
}  // namespace

Linear::Linear(std::int64_t in_features, std::int64_t out_features, bool bias)
    : Linear(in_features, out_features, bias, default_generator()) {}

Linear::Linear(std::int64_t in_features, std::int64_t out_features, bool with_bias, Generator& generator)
    : in_features_(in_features), out_features_(out_features) {
  if (in_features <= 0 || out_features <= 0) {
    throw ValueError("Linear: in_features and out_features must be positive, got " + std::to_string(in_features) +
                     " and " + std::to_string(out_features));
  }
  Tensor w = empty({out_features, in_features});
  w.uniform_(-kaiming_uniform_bound(in_features), kaiming_uniform_bound(in_features), generator);
  weight = register_parameter("weight", w);
  if (with_bias) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
    Tensor b = empty({out_features});
    b.uniform_(-bound, bound, generator);
    bias = register_parameter("bias", b);
  }
}

Tensor Linear::forward(const Tensor& x) { return forward(x, Activation::None); }

Tensor Linear::forward(const Tensor& x, Activation f) {
  // [*, in_features], as libtorch: one sample [in], a batch [m, in], or more leading dimensions.
  if (!x.defined() || x.dim() < 1 || x.size(-1) != in_features_) {
    const std::string got = !x.defined() ? "an undefined tensor"
                            : x.dim() >= 1 ? std::to_string(x.size(-1)) + " features"
                                           : "shape " + to_string(x.sizes());
    throw ShapeError("Linear(" + std::to_string(in_features_) + " -> " + std::to_string(out_features_) +
                     "): input has " + got + ", expected " + std::to_string(in_features_) +
                     (x.defined() && x.dim() == 0 ? " features in its last dimension" : ""));
  }
  return linear(x, weight, bias, f);
}

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(in_features_) + ", out_features=" + std::to_string(out_features_) +
         ", bias=" + (bias.defined() ? "True" : "False");
}

}  // namespace ann::nn
