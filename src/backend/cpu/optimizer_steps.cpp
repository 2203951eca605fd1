// The CPU back end's optimizer updates, each rule written next to its line: SGD with momentum,
// dampening, Nesterov and L2 weight decay; Adam and AdamW (decoupled weight decay).
#include "backend/cpu/optimizer_steps.h"

#include <cmath>

#include "backend/cpu/simd.h"

namespace ann::backend::cpu {

namespace {

using std::int64_t;

// The hyper-parameters rounded to float once, as torch's float kernels receive them (and copied
// in: read through a reference they might alias the float arrays, and would be reloaded every
// element).
struct SgdFloats {
  float lr, momentum, one_minus_dampening, weight_decay;
  bool nesterov, first_step;
};
ANN_KERNEL void sgd_kernel_body(const SgdStep& step, float* param, const float* grad, float* buf, int64_t n) {
  const SgdFloats h{static_cast<float>(step.lr), static_cast<float>(step.momentum),
                    static_cast<float>(step.one_minus_dampening), static_cast<float>(step.weight_decay),
                    step.nesterov, step.first_step};
  for (int64_t i = 0; i < n; ++i) {
    float g = grad[i];
    if (h.weight_decay != 0.f) g += h.weight_decay * param[i];             // g = ∇θ + λθ
    if (h.momentum != 0.f) {
      buf[i] = h.first_step ? g : buf[i] * h.momentum + h.one_minus_dampening * g;  // b = μb + (1−τ)g
      g = h.nesterov ? g + h.momentum * buf[i] : buf[i];                   // g = g + μb | b
    }
    param[i] -= h.lr * g;                                                  // θ = θ − lr·g
  }
}
ANN_DISPATCH(sgd_kernel)

struct AdamFloats {
  float weight_decay, decay_factor, beta1, one_minus_beta1, beta2, one_minus_beta2, bias_correction2_sqrt, eps,
      step_size;
};
ANN_KERNEL void adam_kernel_body(const AdamStep& step, float* param, const float* grad, float* m, float* v,
                                 int64_t n) {
  const AdamFloats h{static_cast<float>(step.weight_decay), static_cast<float>(step.decay_factor),
                     static_cast<float>(step.beta1), static_cast<float>(step.one_minus_beta1),
                     static_cast<float>(step.beta2), static_cast<float>(step.one_minus_beta2),
                     static_cast<float>(step.bias_correction2_sqrt), static_cast<float>(step.eps),
                     static_cast<float>(step.step_size)};
  for (int64_t i = 0; i < n; ++i) {
    param[i] *= h.decay_factor;                                            // AdamW: θ = θ(1 − lr·λ)
    const float g = grad[i] + h.weight_decay * param[i];                   // Adam: g = ∇θ + λθ
    m[i] = m[i] * h.beta1 + h.one_minus_beta1 * g;                         // first moment
    v[i] = v[i] * h.beta2 + h.one_minus_beta2 * g * g;                     // second moment
    const float denom = std::sqrt(v[i]) / h.bias_correction2_sqrt + h.eps;  // √v̂ + eps, as torch orders it
    param[i] -= h.step_size * (m[i] / denom);                              // θ = θ − lr/(1−β1ᵗ) · m/denom
  }
}
ANN_DISPATCH(adam_kernel)

}  // namespace

void sgd_step(const SgdStep& h, float* param, const float* grad, float* momentum_buffer, int64_t n) {
  sgd_kernel(h, param, grad, momentum_buffer, n);
}

void adam_step(const AdamStep& h, float* param, const float* grad, float* exp_avg, float* exp_avg_sq, int64_t n) {
  adam_kernel(h, param, grad, exp_avg, exp_avg_sq, n);
}

}  // namespace ann::backend::cpu
