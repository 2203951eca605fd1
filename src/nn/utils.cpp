// clip_grad_norm_: the total gradient norm, and the rescaling that caps it; clip_grad_value_.
#include "ann/nn/utils.h"

#include <cmath>
#include <string>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/ops.h"

namespace ann::nn::utils {

namespace {

// One gradient's L2 norm, summed in double and rounded to float32 like torch's per-tensor
// vector_norm (so the total below is built from the same float values torch stacks).
float l2_norm(const Tensor& gradient) {
  double squares = 0;
  for (float v : gradient.to_vector<float>()) squares += double(v) * double(v);
  return static_cast<float>(std::sqrt(squares));
}

}  // namespace

double clip_grad_norm_(std::vector<Tensor> parameters, double max_norm) {
  if (!(max_norm >= 0) || !std::isfinite(max_norm)) {
    throw ValueError("clip_grad_norm_: max_norm must be a finite number >= 0, got " + std::to_string(max_norm));
  }
  std::vector<Tensor> gradients;
  double squares = 0;
  for (const Tensor& p : parameters) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    const double norm = l2_norm(g);
    squares += norm * norm;
    gradients.push_back(std::move(g));
  }
  const float total = static_cast<float>(std::sqrt(squares));
  // float32 arithmetic, as torch's tensors: max_norm / (total_norm + 1e-6), which torch
  // computes as a scalar over a tensor, i.e. reciprocal() * max_norm (two roundings).
  const float coef = (1.f / (total + 1e-6f)) * static_cast<float>(max_norm);
  if (coef < 1.f) {
    NoGradGuard no_grad;
    for (Tensor& g : gradients) g.copy_(g * coef);  // in place: the optimizer holds these tensors
  }
  return total;
}

void clip_grad_value_(std::vector<Tensor> parameters, double clip_value) {
  if (!(clip_value >= 0) || !std::isfinite(clip_value)) {
    throw ValueError("clip_grad_value_: clip_value must be a finite number >= 0, got " + std::to_string(clip_value));
  }
  const auto c = static_cast<float>(clip_value);
  NoGradGuard no_grad;
  for (const Tensor& p : parameters) {
    Tensor g = p.grad();
    if (g.defined()) g.copy_(clamp(g, -c, c));  // in place: the optimizer holds these tensors
  }
}

}  // namespace ann::nn::utils
