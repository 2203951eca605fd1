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
#include "backend/cpu/narrow_mlp.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <memory>
#include <type_traits>
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


// relu_of (activations.h) for 16 lanes, written on the bits so that GCC emits the integer max
// (off the multiply-add pipes): the float select a > 0 ? a : 0 compiled to a compare into a
// mask register and a masked move, which took a multiply-add's slot (the spiral's forward 14 %
// slower).
ANN_INLINE Vec relu(Vec a) {
  const auto bits = std::bit_cast<vec16::Mask>(a);
  return std::bit_cast<Vec>(bits > 0 ? bits : vec16::Mask{});
}

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

// Tanh and sigmoid of a block's pre-activations [units][16 lanes], in place: a loop of its own,
// which the compiler vectorises once (inside the two-layer loop it would be compiled for every
// shape). A unit whose 16 values are known to lie in (−1, 1) (`small`, from unit_bounds) takes
// tanh_small, a third of tanh's work; the others the general tanh. Both are within 2 ulp, so
// a value may round differently here than in the layer-by-layer op.
ANN_KERNEL void activate_in_place_body(Activation act, float* a, std::int64_t units, const std::uint8_t* small) {
  if (act == Activation::Tanh) {
    for (std::int64_t u = 0; u < units; ++u) {
      float* h = a + u * kLanes;
      if (small[u])
        for (int l = 0; l < kLanes; ++l) h[l] = vmath::tanh_small(h[l]);
      else
        for (int l = 0; l < kLanes; ++l) h[l] = tanh_of(h[l]);
    }
  }
  if (act == Activation::Sigmoid)
    for (std::int64_t i = 0; i < units * kLanes; ++i) a[i] = sigmoid_of(a[i]);
}
ANN_DISPATCH(activate_in_place)

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

// Which ReLU units a block of rows needs: unit j is left out when an upper bound of its
// pre-activation b1[j] + Σ_i W1[j,i] x_i over the block's input box, hi = b1[j] +
// Σ_i max(W1[j,i]·lo_i, W1[j,i]·hi_i), lies below −mag·2^-18, mag = |b1[j]| + Σ_i
// max(|W1[j,i]·lo_i|, |W1[j,i]·hi_i|). The kernel's sum and this bound each round by at most
// 2·IN·2^-24·mag, so the kernel's value is then negative and ReLU gives +0 (2^-100 more keeps
// subnormal terms, whose rounding is absolute, out). A NaN or infinity anywhere in the bound
// keeps the unit; inputs that are not all finite keep every unit (a NaN row must give NaN, and
// the backward's g·x must stay NaN for x = ∞ where g = 0), and so does a W2 that is not (0·∞
// is no zero term). Computed for 16 units at a time, lanes
// being units here, from W1's columns regrouped once per pass (`table`).
template <int IN>
class ReluUnits {
 public:
  ReluUnits(const NarrowMlp& p, const float* b1, Vec* table, std::uint64_t* words)
      : hidden_(p.hidden), table_(table), words_(words) {
    usable_ = true;
    for (std::int64_t q = 0; q < p.hidden * p.out; ++q) usable_ = usable_ && p.W2[q] - p.W2[q] == 0.f;
    for (std::int64_t g = 0; g * kLanes < hidden_; ++g) {
      float w[IN + 1][kLanes] = {};
      for (int l = 0; l < kLanes && g * kLanes + l < hidden_; ++l) {
        const std::int64_t j = g * kLanes + l;
        for (int i = 0; i < IN; ++i) w[i][l] = p.W1[j * IN + i];
        w[IN][l] = b1[j];
      }
      for (int i = 0; i <= IN; ++i) table_[g * (IN + 1) + i] = load(w[i]);
    }
  }

  // The units the block with inputs xs needs: bit j % 64 of words()[j / 64] for unit j.
  const std::uint64_t* select(const Vec* xs) {
    Vec lo[IN], hi[IN], probe = {};
    for (int i = 0; i < IN; ++i) {
      lo[i] = fold_lanes(xs[i], [](Vec a, Vec b) { return a < b ? a : b; });
      hi[i] = fold_lanes(xs[i], [](Vec a, Vec b) { return a > b ? a : b; });
      probe += xs[i] * 0.f;  // NaN from an infinity or a NaN, else ±0
    }
    const bool bounded = usable_ && fold_lanes(probe, [](Vec a, Vec b) { return a + b; })[0] == 0.f;
    for (std::int64_t g = 0; g * kLanes < hidden_; ++g) {
      std::uint64_t needed = (1u << kLanes) - 1;
      if (bounded) {
        const Vec* w = table_ + g * (IN + 1);
        Vec top = w[IN], mag = abs(w[IN]);
        for (int i = 0; i < IN; ++i) {
          const Vec a = w[i] * lo[i], b = w[i] * hi[i];
          top += a > b ? a : b;
          mag += max(abs(a), abs(b));
        }
        needed &= ~bits_of(top < -(mag * 0x1p-18f + 0x1p-100f));
      }
      if (hidden_ - g * kLanes < kLanes) needed &= (std::uint64_t{1} << (hidden_ - g * kLanes)) - 1;
      const int shift = static_cast<int>(g % 4) * kLanes;
      words_[g / 4] = (shift ? words_[g / 4] : 0) | needed << shift;
    }
    return words_;
  }

 private:
  static Vec abs(Vec v) { return std::bit_cast<Vec>(std::bit_cast<vec16::Mask>(v) & 0x7fffffff); }
  static Vec max(Vec a, Vec b) { return a > b ? a : b; }
  // op over all 16 lanes, the result in every lane: a butterfly, lane q with lane q ^ w.
  template <class Op>
  static Vec fold_lanes(Vec v, Op op) {
    static constexpr vec16::Mask kSwap[4] = {{8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7},
                                             {4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11},
                                             {2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13},
                                             {1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14}};
    for (const vec16::Mask& swap : kSwap) v = op(v, vec16::shuffle2(v, v, swap));
    return v;
  }
  // Bit l set where lane l of the comparison holds: each lane's bit, ORed across the lanes by
  // fold_lanes (GCC turns a loop over the lanes into 16 extractions).
  static std::uint32_t bits_of(vec16::Mask holds) {
    static constexpr vec16::Mask kBit = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768};
    const Vec all = fold_lanes(std::bit_cast<Vec>(holds & kBit), [](Vec a, Vec b) {
      return std::bit_cast<Vec>(std::bit_cast<vec16::Mask>(a) | std::bit_cast<vec16::Mask>(b));
    });
    return static_cast<std::uint32_t>(std::bit_cast<vec16::Mask>(all)[0]);
  }

  std::int64_t hidden_;
  Vec* table_;
  std::uint64_t* words_;
  bool usable_;
};

// v + 0: −0 becomes +0 and every other value stays, for each finished output and gradient. A
// sum whose fused multiply-add rounds a negative value smaller than 2^-150 to −0 keeps that
// sign only if nothing is added after it, so one ±0 term fewer (a ReLU unit left out) could
// leave −0 where computing the unit gives +0.
ANN_INLINE Vec finished(Vec v) { return v + 0.f; }
ANN_INLINE float finished(float v) { return v + 0.f; }

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
ANN_KERNEL void lane_sums_body(const Vec* v, std::size_t count, float* out, bool add) {
  std::size_t q = 0;
  for (; q + kLanes <= count; q += kLanes) {
    Vec l8[8], l4[4], l2[2], l1[1];
    lane_sum_level<8>(v + q, l8);
    lane_sum_level<4>(l8, l4);
    lane_sum_level<2>(l4, l2);
    lane_sum_level<1>(l2, l1);
    const Vec sum = finished(l1[0]);
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

template <int IN, int OUT, ActivationPass kWhen>
ANN_INLINE void forward_blocks(const NarrowMlp& p, const float* x, const float* b1, float* y, float* hidden,
                               float* scratch, std::uint8_t* small, ReluUnits<IN>* relu_units) {
  const std::int64_t H = p.hidden;
  const float *const W1 = p.W1, *const W2 = p.W2;  // locals: the stores below could alias p's members
  std::uint16_t* const computed =
      hidden && kWhen == ActivationPass::AsComputedLeavingUnitsOut ? blocks_computed(hidden, p.m, H) : nullptr;
  for (std::int64_t r0 = 0; r0 < p.m; r0 += kLanes) {
    const int rows = static_cast<int>(std::min<std::int64_t>(kLanes, p.m - r0));
    Vec xs[IN];
    load_columns<IN>(x + r0 * IN, rows, xs);
    float* h_block = hidden ? hidden + r0 * H : (kWhen == ActivationPass::InAPassOfItsOwn ? scratch : nullptr);
    auto hidden_unit = [&](std::int64_t j) {
      const float* w1 = W1 + j * IN;
      Vec a = xs[0] * w1[0] + b1[j];  // the bias rides on the first multiply-add
      for (int i = 1; i < IN; ++i) a += xs[i] * w1[i];
      if constexpr (kWhen != ActivationPass::InAPassOfItsOwn) a = relu(a);
      if (h_block) store(h_block + j * kLanes, a);
      return a;
    };
    // Even and odd units add into separate sums: two chains of dependent multiply-adds, whose
    // latency one chain of H would expose. Each takes its units in ascending order.
    Vec z[OUT] = {}, z_odd[OUT] = {};
    if constexpr (kWhen == ActivationPass::AsComputedLeavingUnitsOut) {
      const std::int64_t block = r0 / kLanes;
      std::uint16_t* const run = computed ? computed + block / kRunBlocks * H : nullptr;
      if (run && block % kRunBlocks == 0) std::fill_n(run, H, std::uint16_t{0});
      const auto bit = static_cast<std::uint16_t>(1u << block % kRunBlocks);
      auto add = [&](Vec (&sum)[OUT], std::int64_t j) {
        const Vec a = hidden_unit(j);
        for (int k = 0; k < OUT; ++k) sum[k] += a * W2[k * H + j];
        if (run) run[j] |= bit;
      };
      const std::uint64_t* const needed = relu_units->select(xs);
      for (std::int64_t w = 0; w * 64 < H; ++w) {
        const std::int64_t base = w * 64;
        std::uint64_t even = needed[w] & 0x5555555555555555u, odd = needed[w] & 0xaaaaaaaaaaaaaaaau;
        for (; even && odd; even &= even - 1, odd &= odd - 1) {
          add(z, base + std::countr_zero(even));
          add(z_odd, base + std::countr_zero(odd));
        }
        for (; even; even &= even - 1) add(z, base + std::countr_zero(even));
        for (; odd; odd &= odd - 1) add(z_odd, base + std::countr_zero(odd));
      }
    } else if constexpr (kWhen == ActivationPass::AsComputed) {
      std::int64_t j = 0;
      for (; j + 2 <= H; j += 2) {
        const Vec a = hidden_unit(j), b = hidden_unit(j + 1);
        for (int k = 0; k < OUT; ++k) {
          z[k] += a * W2[k * H + j];
          z_odd[k] += b * W2[k * H + j + 1];
        }
      }
      if (j < H) {
        const Vec a = hidden_unit(j);
        for (int k = 0; k < OUT; ++k) z[k] += a * W2[k * H + j];
      }
    } else {
      for (std::int64_t j = 0; j < H; ++j) hidden_unit(j);  // pre-activations, squashed below
    }
    for (int k = 0; k < OUT; ++k) z[k] += z_odd[k];
    if constexpr (kWhen == ActivationPass::InAPassOfItsOwn) {
      if (small) unit_bounds<IN>(p, b1, xs, small);
      activate_in_place(p.f, h_block, H, small);
      // Four interleaved sums per output: one chain of H dependent multiply-adds was latency
      // bound (a third of a one-output net's Tanh forward besides the tanh itself).
      Vec part[4][OUT] = {};
      std::int64_t u = 0;
      for (; u + 4 <= H; u += 4)
        for (int q = 0; q < 4; ++q) {
          const Vec h = load(h_block + (u + q) * kLanes);
          for (int k = 0; k < OUT; ++k) part[q][k] += h * W2[k * H + u + q];
        }
      for (; u < H; ++u) {
        const Vec h = load(h_block + u * kLanes);
        for (int k = 0; k < OUT; ++k) part[0][k] += h * W2[k * H + u];
      }
      for (int k = 0; k < OUT; ++k) z[k] += (part[0][k] + part[1][k]) + (part[2][k] + part[3][k]);
    }
    if (p.b2)
      for (int k = 0; k < OUT; ++k) z[k] += p.b2[k];
    for (int k = 0; k < OUT; ++k) z[k] = finished(z[k]);
    store_columns<OUT>(z, rows, y + r0 * OUT);
  }
}

// The forward's working memory, carved from one block (narrow_mlp_forward_scratch_bytes): for
// ReLU that leaves units out, ReluUnits' table and words; for tanh and sigmoid, a block of
// pre-activations when there is no hidden buffer to keep them in.
struct ForwardScratch {
  std::size_t words_at = 0, bytes = 0;  // the layout, in bytes
  Vec* vectors = nullptr;
  std::uint64_t* words = nullptr;
};
ForwardScratch forward_scratch(const NarrowMlp& p, bool keeps_hidden, void* base) {
  const std::int64_t H = p.hidden;
  const Activation act = p.f;
  const bool leaving_out = act == Activation::ReLU && leaves_units_out(p.in, p.out);
  const std::int64_t vectors = leaving_out ? (H + kLanes - 1) / kLanes * (p.in + 1) : act == Activation::ReLU || keeps_hidden ? 0 : H;
  ForwardScratch s;
  s.words_at = static_cast<std::size_t>(vectors) * sizeof(Vec);
  s.bytes = s.words_at + static_cast<std::size_t>(leaving_out ? (H + 63) / 64 : 0) * sizeof(std::uint64_t);
  if (auto* const bytes = static_cast<std::byte*>(base)) {
    s.vectors = reinterpret_cast<Vec*>(bytes);
    s.words = reinterpret_cast<std::uint64_t*>(bytes + s.words_at);
  }
  return s;
}

template <int IN, int OUT>
ANN_INLINE void forward_body(const NarrowMlp& p, const float* x, float* y, float* hidden, const ForwardScratch& scratch) {
  // Without b1 the units read zeros: one more operand of a multiply-add instead of a branch.
  const std::vector<float> zeros(p.b1 ? 0 : static_cast<std::size_t>(p.hidden), 0.f);
  const float* b1 = p.b1 ? p.b1 : zeros.data();
  if (p.f == Activation::ReLU) {
    if constexpr (leaves_units_out(IN, OUT)) {
      ReluUnits<IN> units(p, b1, scratch.vectors, scratch.words);
      return forward_blocks<IN, OUT, ActivationPass::AsComputedLeavingUnitsOut>(p, x, b1, y, hidden, nullptr, nullptr, &units);
    }
    return forward_blocks<IN, OUT, ActivationPass::AsComputed>(p, x, b1, y, hidden, nullptr, nullptr, nullptr);
  }
  // (Without an activation the caller takes the affine path; were it to come here, the pass of
  // its own would leave the pre-activations as they are, which is right too.)
  // (A vector of its own: GCC vectorises unit_bounds over the units when it knows that the
  // flags share no memory with the weights, which it cannot tell of a scratch block.)
  std::vector<std::uint8_t> small(p.f == Activation::Tanh ? static_cast<std::size_t>(p.hidden) : 0);
  forward_blocks<IN, OUT, ActivationPass::InAPassOfItsOwn>(p, x, b1, y, hidden, reinterpret_cast<float*>(scratch.vectors),
                                                   small.empty() ? nullptr : small.data(), nullptr);
}

// Row blocks per chunk: the chunk's x and dz columns stay in registers or L1 while every
// hidden unit passes over them, and each unit's sums stay in registers for the chunk. 16
// blocks: the spiral's backward 7 % faster than 8 (fewer chunk ends adding registers into the
// sums), no faster at 32.
constexpr int kChunkBlocks = 16;
static_assert(kChunkBlocks == kRunBlocks, "a chunk of the backward is a run of blocks_computed");

// kRelu: the lesson's activation, compiled apart so that the loop over units tests nothing, and
// where the forward leaves units out, taking each unit over the blocks it was computed in.
template <int IN, int OUT, bool kRelu>
ANN_INLINE void backward_body(const NarrowMlp& p, const float* x, const float* hidden, const float* dy,
                              const NarrowMlpGrads& grads, void* scratch) {
  const std::int64_t H = p.hidden;
  const auto n = static_cast<std::size_t>(H);
  const Activation act = kRelu ? Activation::ReLU : p.f;
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
    Vec xs[kChunkBlocks][IN], dz[kChunkBlocks][OUT], dxs[kChunkBlocks][IN] = {}, dz_probe = {};
    for (int b = 0; b < blocks; ++b) {
      const std::int64_t r0 = c0 + b * kLanes;
      const int rows = static_cast<int>(std::min<std::int64_t>(kLanes, p.m - r0));
      load_columns<IN>(x + r0 * IN, rows, xs[b]);
      load_columns<OUT>(dy + r0 * OUT, rows, dz[b]);  // missing rows: dz = 0, so they add nothing
      for (int k = 0; k < OUT; ++k) {
        sum_b2[k] += dz[b][k];
        dz_probe += dz[b][k] * 0.f;  // NaN from an infinity or a NaN, else ±0
      }
    }
    const bool dz_finite = lane_sum(dz_probe) == 0.f;
    const float* h_chunk = hidden + c0 * H;
    // One hidden unit j's sums over the chunk's rows, and what block b of them adds, h being
    // the unit's activations there.
    struct UnitSums {
      Vec W2[OUT] = {}, W1[IN] = {}, b1 = {};
    };
    auto add_block = [&](std::int64_t j, const float (&w2)[OUT], int b, Vec h, UnitSums& s) {
      for (int k = 0; k < OUT; ++k) s.W2[k] += dz[b][k] * h;
      Vec g = dz[b][0] * w2[0];
      for (int k = 1; k < OUT; ++k) g += dz[b][k] * w2[k];
      g = kRelu ? activation_grad(Activation::ReLU, h, g) : activation_grad(act, h, g);
      for (int i = 0; i < IN; ++i) s.W1[i] += g * xs[b][i];
      s.b1 += g;
      if (dx)
        for (int i = 0; i < IN; ++i) dxs[b][i] += g * p.W1[j * IN + i];
    };
    auto put_sums = [&, first_chunk = c0 == 0](std::int64_t unit, const UnitSums& s) {
      auto put = [first_chunk](Vec& sum, Vec chunk) { sum = first_chunk ? chunk : sum + chunk; };
      const auto j = static_cast<std::size_t>(unit);
      for (int k = 0; k < OUT; ++k) put(sum_W2[k * n + j], s.W2[k]);
      for (int i = 0; i < IN; ++i) put(sum_W1[j * IN + i], s.W1[i]);
      put(sum_b1[j], s.b1);
    };
    auto w2_of = [&](std::int64_t j, float (&w2)[OUT]) {
      for (int k = 0; k < OUT; ++k) w2[k] = p.W2[k * H + j];
    };
    if constexpr (kRelu && leaves_units_out(IN, OUT)) {
      // Each unit over the blocks the forward computed it in; the others add ±0 (ReluUnits)
      // as long as dz is finite there, and are taken as zeros when it is not.
      const std::uint16_t* const run = blocks_computed(hidden, p.m, H) + c0 / (kLanes * kRunBlocks) * H;
      for (std::int64_t j = 0; j < H; ++j) {
        float w2[OUT];
        w2_of(j, w2);
        UnitSums s;
        const unsigned computed = run[j];
        if (dz_finite) {
          for (unsigned left = computed; left; left &= left - 1) {
            const int b = std::countr_zero(left);
            add_block(j, w2, b, load(h_chunk + (b * H + j) * kLanes), s);
          }
        } else {
          for (int b = 0; b < blocks; ++b) add_block(j, w2, b, computed >> b & 1 ? load(h_chunk + (b * H + j) * kLanes) : Vec{}, s);
        }
        put_sums(j, s);
      }
    } else {
      // J hidden units j0 .. j0+J-1 at a time: they share the loads of the chunk's dz and x.
      auto units = [&]<int J>(std::int64_t j0) {
        float w2[J][OUT];
        for (int u = 0; u < J; ++u) w2_of(j0 + u, w2[u]);
        UnitSums s[J];
        for (int b = 0; b < blocks; ++b)
          for (int u = 0; u < J; ++u) add_block(j0 + u, w2[u], b, load(h_chunk + (b * H + j0 + u) * kLanes), s[u]);
        for (int u = 0; u < J; ++u) put_sums(j0 + u, s[u]);
      };
      std::int64_t j = 0;
      for (; j + 2 <= H; j += 2) units.template operator()<2>(j);
      if (j < H) units.template operator()<1>(j);
    }
    if (dx) {
      for (int b = 0; b < blocks; ++b) {
        const std::int64_t r0 = c0 + b * kLanes;
        for (int i = 0; i < IN; ++i) dxs[b][i] = finished(dxs[b][i]);
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

std::size_t narrow_mlp_forward_scratch_bytes(const NarrowMlp& p, bool keeps_hidden) {
  return p.f != Activation::None ? forward_scratch(p, keeps_hidden, nullptr).bytes : 0;
}

namespace {
ANN_KERNEL void narrow_mlp_forward_kernel_body(const NarrowMlp& p, const float* x, float* y, float* h, void* scratch) {
  if (p.f == Activation::None) {
#define ANN_CALL(I, O) affine_forward<I, O>(p, x, y)
    ANN_NARROW_MLP_DISPATCH(ANN_CALL)
#undef ANN_CALL
    return;
  }
  const ForwardScratch block = forward_scratch(p, h != nullptr, scratch);
#define ANN_CALL(I, O) forward_body<I, O>(p, x, y, h, block)
  ANN_NARROW_MLP_DISPATCH(ANN_CALL)
#undef ANN_CALL
}
ANN_DISPATCH(narrow_mlp_forward_kernel)
}  // namespace

void narrow_mlp_forward_cpu(const NarrowMlp& p, const float* x, float* y, float* h, void* scratch) {
  narrow_mlp_forward_kernel(p, x, y, h, scratch);
}

std::size_t narrow_mlp_backward_scratch_bytes(const NarrowMlp& p) {
  if (p.f == Activation::None) return 0;  // the affine path sums in registers
  return static_cast<std::size_t>(p.hidden * (p.out + p.in + 1)) * sizeof(Vec);
}

namespace {
ANN_KERNEL void narrow_mlp_backward_kernel_body(const NarrowMlp& p, const float* x, const float* h, const float* dy,
                                               const NarrowMlpGrads& grads, void* scratch) {
  if (p.f == Activation::None) {
#define ANN_CALL(I, O) affine_backward<I, O>(p, x, dy, grads)
    ANN_NARROW_MLP_DISPATCH(ANN_CALL)
#undef ANN_CALL
    return;
  }
  if (p.f == Activation::ReLU) {
#define ANN_CALL(I, O) backward_body<I, O, true>(p, x, h, dy, grads, scratch)
    ANN_NARROW_MLP_DISPATCH(ANN_CALL)
#undef ANN_CALL
    return;
  }
#define ANN_CALL(I, O) backward_body<I, O, false>(p, x, h, dy, grads, scratch)
  ANN_NARROW_MLP_DISPATCH(ANN_CALL)
#undef ANN_CALL
}
ANN_DISPATCH(narrow_mlp_backward_kernel)
}  // namespace

void narrow_mlp_backward_cpu(const NarrowMlp& p, const float* x, const float* h, const float* dy,
                             const NarrowMlpGrads& grads, void* scratch) {
  narrow_mlp_backward_kernel(p, x, h, dy, grads, scratch);
}

}  // namespace ann::backend
