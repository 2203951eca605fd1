// clip_grad_norm_: the total gradient norm, and the rescaling that caps it; clip_grad_value_.
#include "ann/nn/utils.h"

#include <cmath>
#include <string>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/ops.h"

namespace ann::nn::utils {

namespace {

// One gradient's L2 norm, summed in double and rounded to the gradient's type like torch's
// per-tensor vector_norm (so the total below is built from the same values torch stacks).
double l2_norm(const Tensor& gradient) {
  double squares = 0;
  for (double v : gradient.to_vector<double>()) squares += v * v;
  const double norm = std::sqrt(squares);
  return gradient.dtype() == DType::Float64 ? norm : static_cast<float>(norm);
}

}  // namespace

double clip_grad_norm_(std::vector<Tensor> parameters, double max_norm) {
  if (!(max_norm >= 0) || !std::isfinite(max_norm)) {
    throw ValueError("clip_grad_norm_: max_norm must be a finite number >= 0, got " + std::to_string(max_norm));
  }
  std::vector<Tensor> gradients;
  double squares = 0;
  bool all_float64 = true;
  for (const Tensor& p : parameters) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    const double norm = l2_norm(g);
    squares += norm * norm;
    all_float64 = all_float64 && g.dtype() == DType::Float64;
    gradients.push_back(std::move(g));
  }
  // In the gradients' precision, as torch's tensors: max_norm / (total_norm + 1e-6), which torch
  // computes as a scalar over a tensor, i.e. reciprocal() * max_norm (two roundings).
  double total = std::sqrt(squares), coef = (1.0 / (total + 1e-6)) * max_norm;
  if (!all_float64 || gradients.empty()) {
    const auto total_f = static_cast<float>(total);
    total = total_f;
    coef = (1.f / (total_f + 1e-6f)) * static_cast<float>(max_norm);
  }
  if (coef < 1.0) {
    NoGradGuard no_grad;
    for (Tensor& g : gradients) g.copy_(g * coef);  // in place: the optimizer holds these tensors
  }
  return total;
}

void clip_grad_value_(std::vector<Tensor> parameters, double clip_value) {
  if (!(clip_value >= 0) || !std::isfinite(clip_value)) {
    throw ValueError("clip_grad_value_: clip_value must be a finite number >= 0, got " + std::to_string(clip_value));
  }
  const double c = clip_value;
  NoGradGuard no_grad;
  for (const Tensor& p : parameters) {
    Tensor g = p.grad();
    if (g.defined()) g.copy_(clamp(g, -c, c));  // in place: the optimizer holds these tensors
  }
}

}  // namespace ann::nn::utils
