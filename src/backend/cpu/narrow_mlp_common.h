#pragma once
// The two-layer perceptron with narrow ends (the lesson's Linear(2,H)–f–Linear(H,3) and
// Linear(1,H)–f–Linear(H,1)) as one pass over the data each way.
//
// Layer by layer, such a net makes ~9 passes over its [m, H] hidden activation per step, each
// a GEMM with K or N of 1-4 that BLAS runs far below its peak. Here 16 rows at a time sit in
// the lanes of one vector: the hidden unit j of those rows is
//     h_j = f(Σ_i x_i W1[j,i] + b1[j])          (IN multiply-adds of broadcast weights)
// and the outputs accumulate z_k += h_j W2[k,j] while h_j is still in a register. Backward,
// from dz = ∂L/∂y [m, out]:
//     dW2[k,j] = Σ_rows dz_k h_j      db2[k] = Σ_rows dz_k
//     g_j = f'(h_j) Σ_k dz_k W2[k,j]  (f' from the output: [h>0], 1−h², h(1−h), 1)
//     dW1[j,i] = Σ_rows g_j x_i       db1[j] = Σ_rows g_j       dx_i = Σ_j g_j W1[j,i]
// with the row sums kept per lane and added across lanes once at the end, in a fixed order:
// the result depends on m and the data only, never on timing or threads. (Recomputing ReLU's
// h_j in the backward instead of keeping the [m, H] activations was measured slower here,
// even though the spiral's 1.2 MB of them do not fit this CPU's L2.)
//
// ReLU leaves a unit out of a block when it can prove the unit's pre-activation negative on
// every row there (ReluUnits): its h_j is +0 on those rows, so every term it would add, forward
// and backward, is ±0 and the sums are the same to the bit without it (`finished` settles the
// sign of a zero). The lesson's spiral has
// its rows in order along the arms, so 16 consecutive rows lie close together and 43 % of the
// (unit, block) pairs are left out.
//
// The kernel in three files: this header (the pieces both passes use: ReLU and the activations'
// derivatives on 16 lanes, the lane sums, the blocks' bookkeeping, the affine case's Weff and
// the (in, out) dispatch), narrow_mlp_forward.cpp (the bounds that leave ReLU units out or take
// tanh's short polynomial, the forward over blocks of 16 rows) and narrow_mlp_backward.cpp (the
// backward over chunks of 16 blocks). Included by those two files only: everything here is
// inlined into each ISA level's copy of their kernels.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "backend/backend.h"
#include "backend/cpu/activations.h"
#include "backend/cpu/simd.h"
#include "backend/cpu/vec16.h"

namespace ann::backend {

namespace {

using vec16::kLanes;
using vec16::lane_sum;
using vec16::load;
using vec16::load_columns;
using vec16::store;
using vec16::store_columns;
using vec16::Vec;

// g f'(·) from the activation's output h, as activations.h's *_grad (relu as a vector select).
ANN_INLINE Vec activation_grad(Activation act, Vec h, Vec g) {
  const Vec zero = {};
  switch (act) {
    case Activation::ReLU: return h > zero ? g : zero;
    case Activation::Tanh: return g * (1.f - h * h);
    case Activation::Sigmoid: return g * h * (1.f - h);
    case Activation::None: break;
  }
  return g;
}

// v + 0: −0 becomes +0 and every other value stays, for each finished output and gradient. A
// sum whose fused multiply-add rounds a negative value smaller than 2^-150 to −0 keeps that
// sign only if nothing is added after it, so one ±0 term fewer (a ReLU unit left out) could
// leave −0 where computing the unit gives +0.
ANN_INLINE Vec finished(Vec v) { return v + 0.f; }
ANN_INLINE float finished(float v) { return v + 0.f; }

// grad = value, or grad + value when the gradients are added to (NarrowMlpGrads). `value` must
// be a finished number, never a product: this file contracts a + b·c into one multiply-add, and
// the addition must round as the engine's add_into does.
ANN_INLINE void put_gradient(float& grad, float value, bool add) { grad = add ? grad + value : value; }

// out[q] = lane_sum(v[q]) for q < count (or out[q] += … with add), bit for bit (the same
// additions in the same tree), but sixteen at a time with 15 vector additions instead of
// 16 × 15 scalar ones: the lane sums were half of the backward pass of the lesson's 100-row
// regression nets. A kernel of its own, not inlined into each of the 16 backward shapes
// (compile time).
ANN_KERNEL void lane_sums_body(const Vec* v, std::size_t count, float* out, bool add) {
  std::size_t q = 0;
  for (; q + kLanes <= count; q += kLanes) {
    const Vec sum = finished(vec16::lane_sums16(v + q));
    store(out + q, add ? load(out + q) + sum : sum);
  }
  for (; q < count; ++q) put_gradient(out[q], finished(lane_sum(v[q])), add);
}
ANN_DISPATCH(lane_sums)

// ReLU (or no activation) is applied as each hidden unit is computed, to every unit or to the
// units ReluUnits finds needed; tanh and sigmoid in a pass of their own over the block's
// pre-activations, which are kept in `hidden` (or in `scratch` when no backward follows) either
// way. kWhen says which, at compile time, so that the loop over units tests nothing per unit.
enum class ActivationPass { AsComputed, AsComputedLeavingUnitsOut, InAPassOfItsOwn };

// Leaving ReLU units out costs a bound per 16 units and block, a walk over bit words, and in
// the backward a loop per unit over its blocks; it pays where a unit's work per row is large.
// Measured (ann_workload, alternating runs): the spiral's Linear(2,100)–ReLU–Linear(100,3) 18 %
// faster with it; the regression 2 % slower with it for its Linear(1,100)–ReLU–Linear(100,1)
// nets too, whose 2 multiply-adds per unit and row leave too little to save.
constexpr bool leaves_units_out(std::int64_t in, std::int64_t out) { return in + out >= 4; }

// Where a ReLU forward that keeps its activations records, per hidden unit and run of 16 blocks,
// the blocks it computed the unit in (bit b for block b of the run): after the activations in
// the buffer (narrow_mlp_hidden_floats), as 16-bit words only. The activations of the other
// blocks are +0 but were not written: the buffer holds whatever it held there, never to be read.
constexpr int kRunBlocks = 16;
template <class Float>  // float or const float
auto blocks_computed(Float* hidden, std::int64_t m, std::int64_t H) {
  using Word = std::conditional_t<std::is_const_v<Float>, const std::uint16_t, std::uint16_t>;
  return reinterpret_cast<Word*>(hidden + (m + kLanes - 1) / kLanes * kLanes * H);
}

// Dispatches (in, out) ∈ [1, 4]² to F<IN, OUT>.
#define ANN_NARROW_MLP_DISPATCH(CALL)                       \
  switch ((p.in - 1) * kNarrowMlpMaxEnds + (p.out - 1)) {   \
    case 0: CALL(1, 1); break;                              \
    case 1: CALL(1, 2); break;                              \
    case 2: CALL(1, 3); break;                              \
    case 3: CALL(1, 4); break;                              \
    case 4: CALL(2, 1); break;                              \
    case 5: CALL(2, 2); break;                              \
    case 6: CALL(2, 3); break;                              \
    case 7: CALL(2, 4); break;                              \
    case 8: CALL(3, 1); break;                              \
    case 9: CALL(3, 2); break;                              \
    case 10: CALL(3, 3); break;                             \
    case 11: CALL(3, 4); break;                             \
    case 12: CALL(4, 1); break;                             \
    case 13: CALL(4, 2); break;                             \
    case 14: CALL(4, 3); break;                             \
    case 15: CALL(4, 4); break;                             \
    default: break;                                         \
  }

// Without an activation the net is one affine map, y = x Weffᵀ + beff with Weff = W2 W1 and
// beff = W2 b1 + b2, and its gradients factor through the [out, in] matrix A = dzᵀ x:
//     dW2 = A W1ᵀ + (Σ_rows dz) b1ᵀ    dW1 = W2ᵀ A    db1 = W2ᵀ Σ_rows dz    dx = dz Weff
// which costs m·in·out multiply-adds per pass instead of m·hidden·(in + out). Sums in double.
// Weff [OUT][IN] and beff [OUT].
template <int IN, int OUT>
struct Affine {
  double W[OUT][IN] = {}, b[OUT] = {};
};

template <int IN, int OUT>
ANN_INLINE Affine<IN, OUT> affine_of(const NarrowMlp& p) {
  const std::int64_t H = p.hidden;
  Affine<IN, OUT> a;
  for (int k = 0; k < OUT; ++k) {
    for (std::int64_t j = 0; j < H; ++j) {
      const double w2 = p.W2[k * H + j];
      for (int i = 0; i < IN; ++i) a.W[k][i] += w2 * p.W1[j * IN + i];
      if (p.b1) a.b[k] += w2 * p.b1[j];
    }
    if (p.b2) a.b[k] += p.b2[k];
  }
  return a;
}

}  // namespace

}  // namespace ann::backend
