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
#include "backend/cpu/narrow_mlp.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "backend/cpu/activations.h"
#include "backend/cpu/simd.h"
#include "backend/cpu/vec16.h"
#include "backend/cpu/vector_math.h"

namespace ann::backend {

namespace {

using vec16::kLanes;
using vec16::load;
using vec16::load_columns;
using vec16::store;
using vec16::store_columns;
using vec16::Vec;

enum class Act { None, Relu, Tanh, Sigmoid };

// relu_of (activations.h) for 16 lanes, written on the bits so that GCC emits the integer max
// (off the multiply-add pipes): the float select a > 0 ? a : 0 compiled to a compare into a
// mask register and a masked move, which took a multiply-add's slot (the spiral's forward 14 %
// slower).
ANN_INLINE Vec relu(Vec a) {
  const auto bits = std::bit_cast<vec16::Mask>(a);
  return std::bit_cast<Vec>(bits > 0 ? bits : vec16::Mask{});
}

// g f'(·) from the activation's output h, as activations.h's *_grad (relu as a vector select).
ANN_INLINE Vec activation_grad(Act act, Vec h, Vec g) {
  const Vec zero = {};
  switch (act) {
    case Act::Relu: return h > zero ? g : zero;
    case Act::Tanh: return g * (1.f - h * h);
    case Act::Sigmoid: return g * h * (1.f - h);
    case Act::None: break;
  }
  return g;
}

// Tanh and sigmoid of a block's pre-activations [units][16 lanes], in place: a loop of its own,
// which the compiler vectorises once (inside the two-layer loop it would be compiled for every
// shape). A unit whose 16 values are known to lie in (−1, 1) (`small`, from unit_bounds) takes
// tanh_small, a third of tanh's work; the others the general tanh. Both are within 2 ulp, so
// a value may round differently here than in the layer-by-layer op.
ANN_KERNEL void squash_in_place(Act act, float* a, std::int64_t units, const std::uint8_t* small) {
  if (act == Act::Tanh) {
    for (std::int64_t u = 0; u < units; ++u) {
      float* h = a + u * kLanes;
      if (small[u])
        for (int l = 0; l < kLanes; ++l) h[l] = vmath::tanh_small(h[l]);
      else
        for (int l = 0; l < kLanes; ++l) h[l] = tanh_of(h[l]);
    }
  }
  if (act == Act::Sigmoid)
    for (std::int64_t i = 0; i < units * kLanes; ++i) a[i] = sigmoid_of(a[i]);
}

// small[j]: whether unit j's pre-activation b1[j] + Σ_i W1[j,i] x_i stays inside (−0.99, 0.99)
// for every row of the block, by interval arithmetic from each input's range over the block's
// lanes (padding lanes, x = 0, included). The margin covers the rounding of the bound and of
// the kernel's own sums, each within (IN + 1)·2^-24 of the sum of the terms' magnitudes; those
// are held under 64 (terms that large cancelling to below 1 could round past the margin). In
// the lesson's regression three quarters of the Tanh nets' units pass in each block.
template <int IN>
ANN_INLINE void unit_bounds(const NarrowMlp& p, const float* b1, const Vec* xs, std::uint8_t* small) {
  float lo_x[IN], hi_x[IN];
  for (int i = 0; i < IN; ++i) {
    float lanes[kLanes];
    store(lanes, xs[i]);
    lo_x[i] = hi_x[i] = lanes[0];
    for (int l = 1; l < kLanes; ++l) {
      lo_x[i] = std::min(lo_x[i], lanes[l]);
      hi_x[i] = std::max(hi_x[i], lanes[l]);
    }
  }
  constexpr float kBound = 0.99f, kMaxMagnitude = 64.f;
  for (std::int64_t j = 0; j < p.hidden; ++j) {
    float lo = b1[j], hi = b1[j], magnitude = std::fabs(b1[j]);
    for (int i = 0; i < IN; ++i) {
      const float a = p.W1[j * IN + i] * lo_x[i], b = p.W1[j * IN + i] * hi_x[i];
      lo += std::min(a, b);
      hi += std::max(a, b);
      magnitude += std::max(std::fabs(a), std::fabs(b));
    }
    small[j] = lo > -kBound && hi < kBound && magnitude < kMaxMagnitude;  // false for NaN
  }
}

Act act_of(const UnaryOp* f) {
  switch (f ? *f : UnaryOp::Neg) {
    case UnaryOp::Relu: return Act::Relu;
    case UnaryOp::Tanh: return Act::Tanh;
    case UnaryOp::Sigmoid: return Act::Sigmoid;
    default: return Act::None;
  }
}

// The 16 lanes added pairwise, always in the same order: lane l + w onto lane l, w = 8, 4, 2, 1.
ANN_INLINE float lane_sum(Vec v) {
  float t[kLanes];
  store(t, v);
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l) t[l] += t[l + width];
  return t[0];
}

// One level W of lane_sum's tree for two vectors at once, each holding 16 / 2W units' sums as
// 2W partials per unit: output lane o takes unit o % 8 / W of the first vector (o < 8) or of the
// second (o >= 8), its partial o % W from the lower half (lo) plus the same from the upper (hi).
template <int W>
constexpr vec16::ShuffleChain<2> level_half(int half) {
  return vec16::shuffle_chain<2>([](int o) { return o / 8; },
                                 [half](int o) { return o % 8 / W * 2 * W + o % W + half * W; });
}
template <int W>
ANN_INLINE void lane_sum_level(const Vec* in, Vec* out) {
  static constexpr vec16::ShuffleChain<2> lo = level_half<W>(0), hi = level_half<W>(1);
  for (int q = 0; q < W; ++q)  // 2W vectors in, W out
    out[q] = vec16::gather_lanes<2>(in + 2 * q, lo) + vec16::gather_lanes<2>(in + 2 * q, hi);
}

// grad = value, or grad + value when the gradients are added to (NarrowMlpGrads). `value` must
// be a finished number, never a product: this file contracts a + b·c into one multiply-add, and
// the addition must round as the engine's add_into does.
ANN_INLINE void put_gradient(float& grad, float value, bool add) { grad = add ? grad + value : value; }

// out[q] = lane_sum(v[q]) for q < count (or out[q] += … with add), bit for bit (the same
// additions in the same tree), but sixteen at a time with 15 vector additions instead of
// 16 × 15 scalar ones: the lane sums were half of the backward pass of the lesson's 100-row
// regression nets. A kernel of its own, not inlined into each of the 16 backward shapes
// (compile time).
ANN_KERNEL void lane_sums(const Vec* v, std::size_t count, float* out, bool add) {
  std::size_t q = 0;
  for (; q + kLanes <= count; q += kLanes) {
    Vec l8[8], l4[4], l2[2], l1[1];
    lane_sum_level<8>(v + q, l8);
    lane_sum_level<4>(l8, l4);
    lane_sum_level<2>(l4, l2);
    lane_sum_level<1>(l2, l1);
    store(out + q, add ? load(out + q) + l1[0] : l1[0]);
  }
  for (; q < count; ++q) put_gradient(out[q], lane_sum(v[q]), add);
}

// ReLU (or no activation) is applied as each hidden unit is computed; tanh and sigmoid in a
// pass of their own over the block's pre-activations, which are kept in `hidden` (or in
// `scratch` when no backward follows) either way. kWhen says which, at compile time, so that the
// loop over units tests nothing per unit.
enum class Squash { AsComputed, InAPassOfItsOwn };

template <int IN, int OUT, Squash kWhen>
ANN_INLINE void forward_blocks(const NarrowMlp& p, const float* x, const float* b1, float* y, float* hidden,
                               float* scratch, std::uint8_t* small) {
  const std::int64_t H = p.hidden;
  for (std::int64_t r0 = 0; r0 < p.m; r0 += kLanes) {
    const int rows = static_cast<int>(std::min<std::int64_t>(kLanes, p.m - r0));
    Vec xs[IN];
    load_columns<IN>(x + r0 * IN, rows, xs);
    float* h_block = hidden ? hidden + r0 * H : (kWhen == Squash::InAPassOfItsOwn ? scratch : nullptr);
    auto hidden_unit = [&](std::int64_t j) {
      const float* w1 = p.W1 + j * IN;
      Vec a = xs[0] * w1[0] + b1[j];  // the bias rides on the first multiply-add
      for (int i = 1; i < IN; ++i) a += xs[i] * w1[i];
      if constexpr (kWhen == Squash::AsComputed) a = relu(a);
      if (h_block) store(h_block + j * kLanes, a);
      return a;
    };
    // Even and odd units add into separate sums: two chains of dependent multiply-adds, whose
    // latency one chain of H would expose.
    Vec z[OUT] = {}, z_odd[OUT] = {};
    std::int64_t j = 0;
    for (; j + 2 <= H; j += 2) {
      const Vec a = hidden_unit(j), b = hidden_unit(j + 1);
      if constexpr (kWhen != Squash::InAPassOfItsOwn)
        for (int k = 0; k < OUT; ++k) {
          z[k] += a * p.W2[k * H + j];
          z_odd[k] += b * p.W2[k * H + j + 1];
        }
    }
    if (j < H) {
      const Vec a = hidden_unit(j);
      if constexpr (kWhen != Squash::InAPassOfItsOwn)
        for (int k = 0; k < OUT; ++k) z[k] += a * p.W2[k * H + j];
    }
    for (int k = 0; k < OUT; ++k) z[k] += z_odd[k];
    if constexpr (kWhen == Squash::InAPassOfItsOwn) {
      if (small) unit_bounds<IN>(p, b1, xs, small);
      squash_in_place(act_of(p.f), h_block, H, small);
      // Four interleaved sums per output: one chain of H dependent multiply-adds was latency
      // bound (a third of a one-output net's Tanh forward besides the tanh itself).
      Vec part[4][OUT] = {};
      std::int64_t u = 0;
      for (; u + 4 <= H; u += 4)
        for (int q = 0; q < 4; ++q) {
          const Vec h = load(h_block + (u + q) * kLanes);
          for (int k = 0; k < OUT; ++k) part[q][k] += h * p.W2[k * H + u + q];
        }
      for (; u < H; ++u) {
        const Vec h = load(h_block + u * kLanes);
        for (int k = 0; k < OUT; ++k) part[0][k] += h * p.W2[k * H + u];
      }
      for (int k = 0; k < OUT; ++k) z[k] += (part[0][k] + part[1][k]) + (part[2][k] + part[3][k]);
    }
    if (p.b2)
      for (int k = 0; k < OUT; ++k) z[k] += p.b2[k];
    store_columns<OUT>(z, rows, y + r0 * OUT);
  }
}

template <int IN, int OUT>
ANN_INLINE void forward_body(const NarrowMlp& p, const float* x, float* y, float* hidden, float* scratch) {
  // Without b1 the units read zeros: one more operand of a multiply-add instead of a branch.
  const std::vector<float> zeros(p.b1 ? 0 : static_cast<std::size_t>(p.hidden), 0.f);
  const float* b1 = p.b1 ? p.b1 : zeros.data();
  // (Without an activation the caller takes the affine path; were it to come here, the pass of
  // its own would leave the pre-activations as they are, which is right too.)
  if (act_of(p.f) == Act::Relu) return forward_blocks<IN, OUT, Squash::AsComputed>(p, x, b1, y, hidden, scratch, nullptr);
  std::vector<std::uint8_t> small(act_of(p.f) == Act::Tanh ? static_cast<std::size_t>(p.hidden) : 0);
  forward_blocks<IN, OUT, Squash::InAPassOfItsOwn>(p, x, b1, y, hidden, scratch, small.empty() ? nullptr : small.data());
}

// Row blocks per chunk: the chunk's x and dz columns stay in registers or L1 while every
// hidden unit passes over them, and each unit's sums stay in registers for the chunk. 16
// blocks: the spiral's backward 7 % faster than 8 (fewer chunk ends adding registers into the
// sums), no faster at 32.
constexpr int kChunkBlocks = 16;

// kRelu: the lesson's activation, compiled apart so that the loop over units tests nothing.
template <int IN, int OUT, bool kRelu>
ANN_INLINE void backward_body(const NarrowMlp& p, const float* x, const float* hidden, const float* dy,
                              const NarrowMlpGrads& grads, void* scratch) {
  const std::int64_t H = p.hidden;
  const auto n = static_cast<std::size_t>(H);
  const Act act = kRelu ? Act::Relu : act_of(p.f);
  float* const dx = grads.dx;
  // Per-lane sums over every row so far, in the caller's scratch block. The first chunk of
  // rows writes every unit's sums; later chunks add to them (no rows: zeros).
  Vec* const sum_W2 = static_cast<Vec*>(scratch);
  if (p.m == 0) std::fill_n(sum_W2, n * (OUT + IN + 1), Vec{});
  Vec* const sum_W1 = sum_W2 + n * OUT;
  Vec* const sum_b1 = sum_W1 + n * IN;
  Vec sum_b2[OUT] = {};
  for (std::int64_t c0 = 0; c0 < p.m; c0 += kLanes * kChunkBlocks) {
    const int blocks = static_cast<int>(std::min<std::int64_t>(kChunkBlocks, (p.m - c0 + kLanes - 1) / kLanes));
    Vec xs[kChunkBlocks][IN], dz[kChunkBlocks][OUT], dxs[kChunkBlocks][IN] = {};
    for (int b = 0; b < blocks; ++b) {
      const std::int64_t r0 = c0 + b * kLanes;
      const int rows = static_cast<int>(std::min<std::int64_t>(kLanes, p.m - r0));
      load_columns<IN>(x + r0 * IN, rows, xs[b]);
      load_columns<OUT>(dy + r0 * OUT, rows, dz[b]);  // missing rows: dz = 0, so they add nothing
      for (int k = 0; k < OUT; ++k) sum_b2[k] += dz[b][k];
    }
    const float* h_chunk = hidden + c0 * H;
    // J hidden units j0 .. j0+J-1 at a time: they share the loads of the chunk's dz and x.
    auto units = [&]<int J>(std::int64_t j0) {
      float w2[J][OUT];
      for (int u = 0; u < J; ++u)
        for (int k = 0; k < OUT; ++k) w2[u][k] = p.W2[k * H + j0 + u];
      Vec s_W2[J][OUT] = {}, s_W1[J][IN] = {}, s_b1[J] = {};
      for (int b = 0; b < blocks; ++b) {
        for (int u = 0; u < J; ++u) {
          const Vec h = load(h_chunk + (b * H + j0 + u) * kLanes);
          for (int k = 0; k < OUT; ++k) s_W2[u][k] += dz[b][k] * h;
          Vec g = dz[b][0] * w2[u][0];
          for (int k = 1; k < OUT; ++k) g += dz[b][k] * w2[u][k];
          g = kRelu ? activation_grad(Act::Relu, h, g) : activation_grad(act, h, g);
          for (int i = 0; i < IN; ++i) s_W1[u][i] += g * xs[b][i];
          s_b1[u] += g;
          if (dx)
            for (int i = 0; i < IN; ++i) dxs[b][i] += g * p.W1[(j0 + u) * IN + i];
        }
      }
      auto put = [first_chunk = c0 == 0](Vec& sum, Vec chunk) { sum = first_chunk ? chunk : sum + chunk; };
      for (int u = 0; u < J; ++u) {
        const auto j = static_cast<std::size_t>(j0 + u);
        for (int k = 0; k < OUT; ++k) put(sum_W2[k * n + j], s_W2[u][k]);
        for (int i = 0; i < IN; ++i) put(sum_W1[j * IN + i], s_W1[u][i]);
        put(sum_b1[j], s_b1[u]);
      }
    };
    std::int64_t j = 0;
    for (; j + 2 <= H; j += 2) units.template operator()<2>(j);
    if (j < H) units.template operator()<1>(j);
    if (dx) {
      for (int b = 0; b < blocks; ++b) {
        const std::int64_t r0 = c0 + b * kLanes;
        store_columns<IN>(dxs[b], static_cast<int>(std::min<std::int64_t>(kLanes, p.m - r0)), dx + r0 * IN);
      }
    }
  }
  const bool add = grads.add_to_parameters;
  if (grads.dW2)
    for (std::size_t k = 0; k < OUT; ++k) lane_sums(&sum_W2[k * n], n, grads.dW2 + k * n, add);
  if (grads.dW1) lane_sums(sum_W1, n * IN, grads.dW1, add);
  if (grads.db1) lane_sums(sum_b1, n, grads.db1, add);
  if (grads.db2)
    for (int k = 0; k < OUT; ++k) put_gradient(grads.db2[k], lane_sum(sum_b2[k]), add);
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

template <int IN, int OUT>
ANN_INLINE void affine_forward(const NarrowMlp& p, const float* x, float* y) {
  const Affine<IN, OUT> a = affine_of<IN, OUT>(p);
  for (std::int64_t r = 0; r < p.m; ++r) {
    for (int k = 0; k < OUT; ++k) {
      double z = a.b[k];
      for (int i = 0; i < IN; ++i) z += a.W[k][i] * x[r * IN + i];
      y[r * OUT + k] = static_cast<float>(z);
    }
  }
}

template <int IN, int OUT>
ANN_INLINE void affine_backward(const NarrowMlp& p, const float* x, const float* dy, const NarrowMlpGrads& grads) {
  const std::int64_t H = p.hidden;
  const bool add = grads.add_to_parameters;
  double A[OUT][IN] = {}, s[OUT] = {};
  for (std::int64_t r = 0; r < p.m; ++r) {
    for (int k = 0; k < OUT; ++k) {
      const double d = dy[r * OUT + k];
      s[k] += d;
      for (int i = 0; i < IN; ++i) A[k][i] += d * x[r * IN + i];
    }
  }
  for (std::int64_t j = 0; j < H; ++j) {
    if (grads.dW2) {
      for (int k = 0; k < OUT; ++k) {
        double g = p.b1 ? s[k] * p.b1[j] : 0.0;
        for (int i = 0; i < IN; ++i) g += A[k][i] * p.W1[j * IN + i];
        put_gradient(grads.dW2[k * H + j], static_cast<float>(g), add);
      }
    }
    if (grads.dW1) {
      for (int i = 0; i < IN; ++i) {
        double g = 0.0;
        for (int k = 0; k < OUT; ++k) g += p.W2[k * H + j] * A[k][i];
        put_gradient(grads.dW1[j * IN + i], static_cast<float>(g), add);
      }
    }
    if (grads.db1) {
      double g = 0.0;
      for (int k = 0; k < OUT; ++k) g += p.W2[k * H + j] * s[k];
      put_gradient(grads.db1[j], static_cast<float>(g), add);
    }
  }
  if (grads.db2)
    for (int k = 0; k < OUT; ++k) put_gradient(grads.db2[k], static_cast<float>(s[k]), add);
  if (float* const dx = grads.dx) {
    const Affine<IN, OUT> a = affine_of<IN, OUT>(p);
    for (std::int64_t r = 0; r < p.m; ++r) {
      for (int i = 0; i < IN; ++i) {
        double g = 0.0;
        for (int k = 0; k < OUT; ++k) g += dy[r * OUT + k] * a.W[k][i];
        dx[r * IN + i] = static_cast<float>(g);
      }
    }
  }
}

}  // namespace

ANN_KERNEL void narrow_mlp_forward_cpu(const NarrowMlp& p, const float* x, float* y, float* h) {
  if (!p.f) {
#define ANN_CALL(I, O) affine_forward<I, O>(p, x, y)
    ANN_NARROW_MLP_DISPATCH(ANN_CALL)
#undef ANN_CALL
    return;
  }
  // Without a hidden buffer to keep, tanh and sigmoid still need one block's worth.
  std::vector<float> scratch(h ? 0 : static_cast<std::size_t>(p.hidden * kLanes));
  float* block = scratch.empty() ? nullptr : scratch.data();
#define ANN_CALL(I, O) forward_body<I, O>(p, x, y, h, block)
  ANN_NARROW_MLP_DISPATCH(ANN_CALL)
#undef ANN_CALL
}

std::size_t narrow_mlp_backward_scratch_bytes(const NarrowMlp& p) {
  if (!p.f) return 0;  // the affine path sums in registers
  return static_cast<std::size_t>(p.hidden * (p.out + p.in + 1)) * sizeof(Vec);
}

ANN_KERNEL void narrow_mlp_backward_cpu(const NarrowMlp& p, const float* x, const float* h, const float* dy,
                                        const NarrowMlpGrads& grads, void* scratch) {
  if (!p.f) {
#define ANN_CALL(I, O) affine_backward<I, O>(p, x, dy, grads)
    ANN_NARROW_MLP_DISPATCH(ANN_CALL)
#undef ANN_CALL
    return;
  }
  if (act_of(p.f) == Act::Relu) {
#define ANN_CALL(I, O) backward_body<I, O, true>(p, x, h, dy, grads, scratch)
    ANN_NARROW_MLP_DISPATCH(ANN_CALL)
#undef ANN_CALL
    return;
  }
#define ANN_CALL(I, O) backward_body<I, O, false>(p, x, h, dy, grads, scratch)
  ANN_NARROW_MLP_DISPATCH(ANN_CALL)
#undef ANN_CALL
}

}  // namespace ann::backend
