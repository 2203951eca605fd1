#include "ann/nn/activation.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "ann/error.h"
#include "ann/ops.h"

namespace ann::nn {

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor Softmax::forward(const Tensor& x) { return softmax(x, dim_); }
Tensor LogSoftmax::forward(const Tensor& x) { return log_softmax(x, dim_); }

Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, negative_slope_); }
Tensor ELU::forward(const Tensor& x) { return elu(x, alpha_); }
Tensor GELU::forward(const Tensor& x) { return gelu(x); }
Tensor SiLU::forward(const Tensor& x) { return silu(x); }
Tensor Softplus::forward(const Tensor& x) {
  return softplus(x, beta_, threshold_);
}

namespace {
// A number as Python prints it: repr of a float ("0.01", "1.0"), or of an int when the module's
// argument is an int in torch (Softplus' defaults print "beta=1, threshold=20").
std::string python_number(double v, bool integral_prints_as_int = false) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  std::string text(buffer, ec == std::errc() ? end : buffer);
  if (text.find_first_of(".en") == std::string::npos && !integral_prints_as_int) text += ".0";
  return text;
}
}  // namespace

Dropout::Dropout(double p) : p_(p) {
  if (!(p >= 0.0 && p <= 1.0)) throw ValueError("Dropout: probability has to be between 0 and 1, but got " + std::to_string(p));
}
Tensor Dropout::forward(const Tensor& x) { return dropout(x, p_, is_training()); }
std::string Dropout::extra_repr() const { return "p=" + python_number(p_) + ", inplace=False"; }

Tensor Flatten::forward(const Tensor& x) {
  if (!x.defined()) throw ValueError("Flatten: the input is undefined");
  return x.flatten(start_dim_, end_dim_);
}

std::string LeakyReLU::extra_repr() const { return "negative_slope=" + python_number(negative_slope_); }
std::string ELU::extra_repr() const { return "alpha=" + python_number(alpha_); }
std::string Softplus::extra_repr() const {
  return "beta=" + python_number(beta_, true) + ", threshold=" + python_number(threshold_, true);
}

const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> names{"relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu", "silu", "softplus"};
  return names;
}

std::shared_ptr<Module> make_activation(const std::string& name) {
  if (name == "relu") return std::make_shared<ReLU>();
  if (name == "tanh") return std::make_shared<Tanh>();
  if (name == "sigmoid") return std::make_shared<Sigmoid>();
  if (name == "leaky_relu") return std::make_shared<LeakyReLU>();
  if (name == "elu") return std::make_shared<ELU>();
  if (name == "gelu") return std::make_shared<GELU>();
  if (name == "silu") return std::make_shared<SiLU>();
  if (name == "softplus") return std::make_shared<Softplus>();
  std::string known;
  for (const std::string& n : activation_names()) known += (known.empty() ? "" : ", ") + n;
  throw ValueError("make_activation: unknown activation \"" + name + "\"; expected one of " + known);
}

}  // namespace ann::nn
