// Cross-entropy of softargmax, per row r of logits z with label t_r:
//     ℓ_r = log Σ_k e^(z_rk − max_r) − (z_r,t_r − max_r)      (−log softargmax, max subtracted)
//     ∂ℓ_r/∂z_rk = p_rk − [k = t_r],   p_rk = e^(z_rk − max_r) / Σ_j e^(z_rj − max_r)
// The forward keeps p − onehot(t), so the backward is one multiply by the incoming gradient.
// With few classes (the lesson has 3) a row is too short to vectorise, so 16 rows at a time sit
// in the lanes of one vector per class and every step runs across the rows. Up to 8 classes the
// rows move into the lanes by fixed shuffles (5-8 classes went element by element before: 1.4
// ns a logit, 1.0 now), with more by 16 × 16 transposes. p is e / Σe, a division a class: e
// times 1/Σe took 0.84-0.91 of the kernel's time, but rounds otherwise and moved the lesson's
// curves (the ReLU net's loss by up to 2.7e-6, its accuracy at 29 of 1000 epochs) for 1-3 % of
// a step.
#include "backend/cpu/cross_entropy.h"

#include <memory>

#include "backend/cpu/simd.h"
#include "backend/cpu/vec16.h"
#include "backend/cpu/vector_math.h"

namespace ann::backend {

namespace {

using std::int64_t;
using vec16::kLanes;
using vec16::Mask;
using vec16::Vec;

// Rows 0 .. rows-1 of the block at z (classes c); e has room for c vectors. kC and kRows are the
// class and row counts when known at compile time (0 when not): the loops then unroll and the
// moves between rows and lanes become shuffles.
template <int kC, int kRows>
ANN_INLINE void cross_entropy_block(const float* z, const int64_t* target, float* loss, float* grad,
                                    int64_t block_rows, int64_t classes, Vec* e) {
  const int64_t c = kC ? kC : classes;
  const int rows = kRows ? kRows : static_cast<int>(block_rows);
  Mask t;
  if (rows == kLanes) {  // the labels as one load and a narrowing (they were checked to be < c)
    using Wide = std::int64_t __attribute__((vector_size(kLanes * sizeof(std::int64_t))));
    Wide wide;
    __builtin_memcpy(&wide, target, sizeof wide);
    t = __builtin_convertvector(wide, Mask);
  } else {
    for (int l = 0; l < kLanes; ++l) t[l] = l < rows ? static_cast<std::int32_t>(target[l]) : -1;
  }
  if constexpr (kC > 0) {
    vec16::load_columns<kC>(z, rows, e);
  } else {
    vec16::to_lanes(z, c, rows, c, reinterpret_cast<float*>(e), kLanes);
  }
  Vec max = e[0];
  for (int64_t k = 1; k < c; ++k) max = max < e[k] ? e[k] : max;
  Vec picked = {};
  for (int64_t k = 0; k < c; ++k) picked = t == static_cast<std::int32_t>(k) ? e[k] : picked;
  Vec total = {};
  for (int64_t k = 0; k < c; ++k) {
    e[k] = vec16::map_lanes([](float v) { return vmath::exp(v); }, e[k] - max);
    total = k == 0 ? e[0] : total + e[k];
  }
  const Vec row_loss = vec16::map_lanes([](float v) { return vmath::log(v); }, total) - (picked - max);
  const Vec zero = {}, one = zero + 1.f;
  for (int64_t k = 0; k < c; ++k) e[k] = e[k] / total - (t == static_cast<std::int32_t>(k) ? one : zero);
  if (rows == kLanes) {
    vec16::store(loss, row_loss);
  } else {
    for (int l = 0; l < rows; ++l) loss[l] = row_loss[l];
  }
  if constexpr (kC > 0) {
    vec16::store_columns<kC>(e, rows, grad);
  } else {
    vec16::from_lanes(reinterpret_cast<const float*>(e), kLanes, rows, c, grad, c);
  }
}

template <int kC>
ANN_INLINE void cross_entropy_rows(const float* logits, const int64_t* target, float* loss, float* grad, int64_t m,
                                   int64_t c) {
  // The class columns: on the stack for a known class count, else on the heap (new[] aligns
  // them; std::vector drops the vector type's alignment).
  Vec fixed[kC ? kC : 1];
  const std::unique_ptr<Vec[]> any(kC ? nullptr : new Vec[static_cast<std::size_t>(c)]);
  Vec* e = kC ? fixed : any.get();
  int64_t r = 0;
  for (; r + kLanes <= m; r += kLanes)
    cross_entropy_block<kC, kLanes>(logits + r * c, target + r, loss + r, grad + r * c, kLanes, c, e);
  if (r < m) cross_entropy_block<kC, 0>(logits + r * c, target + r, loss + r, grad + r * c, m - r, c, e);
}

ANN_KERNEL void cross_entropy_kernel_body(const float* logits, const int64_t* target, float* loss, float* grad,
                                          int64_t m, int64_t c) {
  switch (c) {
    case 2: return cross_entropy_rows<2>(logits, target, loss, grad, m, c);
    case 3: return cross_entropy_rows<3>(logits, target, loss, grad, m, c);
    case 4: return cross_entropy_rows<4>(logits, target, loss, grad, m, c);
    case 5: return cross_entropy_rows<5>(logits, target, loss, grad, m, c);
    case 6: return cross_entropy_rows<6>(logits, target, loss, grad, m, c);
    case 7: return cross_entropy_rows<7>(logits, target, loss, grad, m, c);
    case 8: return cross_entropy_rows<8>(logits, target, loss, grad, m, c);
    default: return cross_entropy_rows<0>(logits, target, loss, grad, m, c);
  }
}
ANN_DISPATCH(cross_entropy_kernel)

ANN_KERNEL void cross_entropy_backward_kernel_body(const float* grad, const float* scale, bool per_row,
                                                   float* dlogits, int64_t m, int64_t c) {
  if (!per_row) {
    const float s = scale[0];
    for (int64_t i = 0; i < m * c; ++i) dlogits[i] = s * grad[i];
    return;
  }
  for (int64_t r = 0; r < m; ++r)
    for (int64_t k = 0; k < c; ++k) dlogits[r * c + k] = scale[r] * grad[r * c + k];
}
ANN_DISPATCH(cross_entropy_backward_kernel)

}  // namespace

void cross_entropy_cpu(const float* logits, const int64_t* target, float* loss, float* grad, int64_t m, int64_t c) {
  cross_entropy_kernel(logits, target, loss, grad, m, c);
}

void cross_entropy_backward_cpu(const float* grad, const float* scale, bool per_row, float* dlogits, int64_t m,
                                int64_t c) {
  cross_entropy_backward_kernel(grad, scale, per_row, dlogits, m, c);
}

}  // namespace ann::backend
