// The CPU back end's optimizer updates, each rule written next to its line: SGD with momentum,
// dampening, Nesterov and L2 weight decay; Adam and AdamW (decoupled weight decay); RMSprop
// (centered, with momentum); Adagrad. Each rounds as its composition of tensor ops in
// src/optim/ does (torch's single-tensor order), so the two paths give the same floats.
#include "backend/cpu/optimizer_steps.h"

#include <cmath>

#include "backend/cpu/parallel.h"
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

struct RmspropFloats {
  float minus_lr, alpha, one_minus_alpha, eps, weight_decay, momentum;
};
// One loop per variant (a branch inside the loop would keep it scalar).
template <bool kCentered, bool kMomentum>
ANN_KERNEL void rmsprop_loop(const RmspropFloats& h, float* param, const float* grad, float* v, float* gbar, float* buf,
                             int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float theta = param[i];
    float g = grad[i];
    g = h.weight_decay != 0.f ? g + theta * h.weight_decay : g;            // g = ∇θ + λθ
    v[i] = v[i] * h.alpha + g * h.one_minus_alpha * g;                     // v = αv + (1−α)g²
    float avg;
    if constexpr (kCentered) {
      gbar[i] = gbar[i] * h.alpha + g * h.one_minus_alpha;                 // ḡ = αḡ + (1−α)g
      avg = std::sqrt(v[i] + gbar[i] * -1.f * gbar[i]);                    // √(v − ḡ²)
    } else {
      avg = std::sqrt(v[i]);
    }
    avg += h.eps;
    if constexpr (kMomentum) {
      buf[i] = buf[i] * h.momentum + g / avg;                              // b = μb + g/avg
      param[i] = theta + buf[i] * h.minus_lr;                              // θ = θ − lr·b
    } else {
      param[i] = theta + g * h.minus_lr / avg;                             // θ = θ − lr·g/avg
    }
  }
}
ANN_KERNEL void rmsprop_kernel_body(const RmspropStep& step, float* param, const float* grad, float* v,
                                    float* gbar, float* buf, int64_t n) {
  const RmspropFloats h{static_cast<float>(-step.lr), static_cast<float>(step.alpha),
                        static_cast<float>(step.one_minus_alpha), static_cast<float>(step.eps),
                        static_cast<float>(step.weight_decay), static_cast<float>(step.momentum)};
  const bool momentum = step.momentum > 0;
  if (step.centered && momentum) rmsprop_loop<true, true>(h, param, grad, v, gbar, buf, n);
  else if (step.centered) rmsprop_loop<true, false>(h, param, grad, v, gbar, buf, n);
  else if (momentum) rmsprop_loop<false, true>(h, param, grad, v, gbar, buf, n);
  else rmsprop_loop<false, false>(h, param, grad, v, gbar, buf, n);
}
ANN_DISPATCH(rmsprop_kernel)

struct AdagradFloats {
  float minus_clr, eps, weight_decay;
};
ANN_KERNEL void adagrad_kernel_body(const AdagradStep& step, float* param, const float* grad, float* sum, int64_t n) {
  const AdagradFloats h{static_cast<float>(-step.clr), static_cast<float>(step.eps),
                        static_cast<float>(step.weight_decay)};
  for (int64_t i = 0; i < n; ++i) {
    const float theta = param[i];
    float g = grad[i];
    g = h.weight_decay != 0.f ? g + theta * h.weight_decay : g;            // g = ∇θ + λθ
    sum[i] += g * g;                                                       // s = s + g²
    param[i] = theta + g * h.minus_clr / (std::sqrt(sum[i]) + h.eps);      // θ = θ − clr·g/(√s + eps)
  }
}
ANN_DISPATCH(adagrad_kernel)

}  // namespace

// Each element's update is alone: the threads share out parts of the arrays (parallel.h).
namespace {
float* at(float* p, int64_t offset) { return p ? p + offset : nullptr; }
}  // namespace

void sgd_step(const SgdStep& h, float* param, const float* grad, float* momentum_buffer, int64_t n) {
  parallel_for(n, [&](int64_t b, int64_t e) { sgd_kernel(h, param + b, grad + b, at(momentum_buffer, b), e - b); });
}

void adam_step(const AdamStep& h, float* param, const float* grad, float* exp_avg, float* exp_avg_sq, int64_t n) {
  parallel_for(n, [&](int64_t b, int64_t e) { adam_kernel(h, param + b, grad + b, exp_avg + b, exp_avg_sq + b, e - b); });
}

void rmsprop_step(const RmspropStep& h, float* param, const float* grad, float* square_avg, float* grad_avg,
                  float* momentum_buffer, int64_t n) {
  parallel_for(n, [&](int64_t b, int64_t e) {
    rmsprop_kernel(h, param + b, grad + b, square_avg + b, at(grad_avg, b), at(momentum_buffer, b), e - b);
  });
}

void adagrad_step(const AdagradStep& h, float* param, const float* grad, float* sum, int64_t n) {
  parallel_for(n, [&](int64_t b, int64_t e) { adagrad_kernel(h, param + b, grad + b, sum + b, e - b); });
}

}  // namespace ann::backend::cpu
