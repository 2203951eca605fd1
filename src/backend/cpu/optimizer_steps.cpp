// The CPU back end's optimizer updates, each rule written next to its line: SGD with momentum,
// dampening, Nesterov and L2 weight decay; Adam and AdamW (decoupled weight decay); RMSprop
// (centered, with momentum); Adagrad. Each rounds as its composition of tensor ops in
// src/optim/ does (torch's single-tensor order), so the two paths give the same floats, but
// for subnormals, which the passes read and make as zeros where eps hides them (update_all).
#include "backend/cpu/optimizer_steps.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "backend/cpu/parallel.h"
#include "backend/cpu/simd.h"
#include "backend/cpu/subnormals.h"
#include "backend/cpu/vector_math.h"

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
      step_size, bias_correction2_reciprocal;
};
// One loop per variant (a branch inside the loop would keep it scalar).
template <bool kBiasCorrected>
ANN_KERNEL void adam_loop(const AdamFloats& h, float* param, const float* grad, float* m, float* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    param[i] *= h.decay_factor;                                            // AdamW: θ = θ(1 − lr·λ)
    const float g = grad[i] + h.weight_decay * param[i];                   // Adam: g = ∇θ + λθ
    m[i] = m[i] * h.beta1 + h.one_minus_beta1 * g;                         // first moment
    v[i] = v[i] * h.beta2 + h.one_minus_beta2 * g * g;                     // second moment
    float root = std::sqrt(v[i]);
    if constexpr (kBiasCorrected) root = vmath::divide_by(root, h.bias_correction2_sqrt, h.bias_correction2_reciprocal);
    const float denom = root + h.eps;                                      // √v̂ + eps, as torch orders it
    param[i] -= h.step_size * (m[i] / denom);                              // θ = θ − lr/(1−β1ᵗ) · m/denom
  }
}
ANN_KERNEL void adam_kernel_body(const AdamStep& step, float* param, const float* grad, float* m, float* v,
                                 int64_t n) {
  // √v / √(1 − β2ᵗ) by multiply-adds and the divisor's reciprocal (vmath::divide_by, the same
  // bits), not by a division: it was one of three divider operations (two divisions and a square
  // root) that bound the update (BM_adam_step; bench/README.md, stops 36, 37 and 39). The domain
  // divide_by needs holds: a square root of a float is 0, ∞, NaN or at least 2^-75, and the
  // divisor lies in [√(1 − β2), 1]. Once the divisor rounds to 1 (from step 16 628 at β2 =
  // 0.999), dividing by it changes no bit and is left out.
  const float divisor = static_cast<float>(step.bias_correction2_sqrt);
  const AdamFloats h{static_cast<float>(step.weight_decay), static_cast<float>(step.decay_factor),
                     static_cast<float>(step.beta1), static_cast<float>(step.one_minus_beta1),
                     static_cast<float>(step.beta2), static_cast<float>(step.one_minus_beta2), divisor,
                     static_cast<float>(step.eps), static_cast<float>(step.step_size), 1.f / divisor};
  if (h.bias_correction2_sqrt == 1.f) adam_loop<false>(h, param, grad, m, v, n);
  else adam_loop<true>(h, param, grad, m, v, n);
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

// Each element's update is alone, so the parameters' elements, one after another, make one
// index space that parallel_for cuts into parts (parallel.h), a part spanning parameters where
// it falls so: one pass and one set of threads for the whole step, whatever the parameters'
// sizes. Two parameters that share memory (a tensor given twice) could be raced on by two
// threads; those are updated one after another, in the order given, as a loop over them does
// (one thread walks the index space in that order too).
namespace {

float* at(float* p, int64_t offset) { return p ? p + offset : nullptr; }

template <class Update>
bool share_memory(std::span<const Update> updates) {
  std::vector<std::pair<const float*, const float*>> ranges;
  for (const Update& u : updates) ranges.emplace_back(u.param, u.param + u.n);
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second) return true;
  return false;
}

// Subnormal floats cost a microcode assist in every operation that reads or makes one
// (subnormals.h). Adam's first moment of a weight whose gradient is
// mostly zero (a ReLU net on small batches) keeps decaying through them: a 12-134×3-4 ReLU
// net's AdamW step on batches of 3 took 118 µs, 44 with them read and made as zeros. In an
// update they change nothing a float holds: a moment or buffer under 2⁻¹²⁶ moves a parameter by
// under 2⁻¹²⁶·lr/eps, and a second moment's √ (under 2⁻⁶³) is below half an ulp of a
// denominator whose eps passes kFlushMinEps (bias correction included). So a pass whose every
// update allows it runs with MXCSR's flush-to-zero and denormals-are-zero bits set (what
// torch.set_flush_denormal(True) sets for a whole program), on each thread, restored after; a
// pass of a tinier eps keeps every subnormal, as torch does.
constexpr double kFlushMinEps = 0x1p-38;  // 2⁻⁶³ (√ of the largest subnormal) · 2²⁵ (half an ulp)
bool flushes(const SgdUpdate&) { return true; }
bool flushes(const AdamUpdate& u) { return u.h.eps * u.h.bias_correction2_sqrt >= kFlushMinEps; }
bool flushes(const RmspropUpdate& u) { return u.h.eps >= kFlushMinEps; }
bool flushes(const AdagradUpdate& u) { return u.h.eps >= kFlushMinEps; }

template <class Update, class Kernel>
void update_all(std::span<const Update> updates, Kernel kernel) {
  int64_t total = 0;
  bool flush = true;
  for (const Update& u : updates) {
    total += u.n;
    flush = flush && flushes(u);
  }
  if (threads() > 1 && total > kMinParallelElements && share_memory(updates)) {
    for (const Update& u : updates) {
      parallel_for(u.n, [&](int64_t b, int64_t e) {
        const SubnormalsAsZero scope(flush);
        kernel(u, b, e);
      });
    }
    return;
  }
  parallel_for(total, [&](int64_t begin, int64_t end) {
    const SubnormalsAsZero scope(flush);
    int64_t offset = 0;  // of the update's first element in the index space
    for (const Update& u : updates) {
      const int64_t b = std::max<int64_t>(begin - offset, 0), e = std::min(end - offset, u.n);
      if (b < e) kernel(u, b, e);
      offset += u.n;
      if (offset >= end) break;
    }
  });
}

}  // namespace

void sgd_step(std::span<const SgdUpdate> updates) {
  update_all(updates, [](const SgdUpdate& u, int64_t b, int64_t e) {
    sgd_kernel(u.h, u.param + b, u.grad + b, at(u.momentum_buffer, b), e - b);
  });
}

void adam_step(std::span<const AdamUpdate> updates) {
  update_all(updates, [](const AdamUpdate& u, int64_t b, int64_t e) {
    adam_kernel(u.h, u.param + b, u.grad + b, u.exp_avg + b, u.exp_avg_sq + b, e - b);
  });
}

void rmsprop_step(std::span<const RmspropUpdate> updates) {
  update_all(updates, [](const RmspropUpdate& u, int64_t b, int64_t e) {
    rmsprop_kernel(u.h, u.param + b, u.grad + b, u.square_avg + b, at(u.grad_avg, b), at(u.momentum_buffer, b), e - b);
  });
}

void adagrad_step(std::span<const AdagradUpdate> updates) {
  update_all(updates, [](const AdagradUpdate& u, int64_t b, int64_t e) {
    adagrad_kernel(u.h, u.param + b, u.grad + b, u.sum + b, e - b);
  });
}

}  // namespace ann::backend::cpu
