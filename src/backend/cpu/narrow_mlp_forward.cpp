// The two-layer kernel's forward (the math and the map of its files: narrow_mlp_common.h).
// Top to bottom: tanh and sigmoid over a block's kept pre-activations; the interval bounds that
// let tanh take its short polynomial (unit_bounds) and ReLU leave units out (ReluUnits); the
// forward over blocks of 16 rows (forward_blocks, forward_body); the affine case; the entry.
#include <memory>
#include <vector>

#include "backend/cpu/narrow_mlp.h"
#include "backend/cpu/narrow_mlp_common.h"
#include "backend/cpu/vector_math.h"

namespace ann::backend {

namespace {

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
// Every member is always inlined, like the kernel's other helpers: only what is inlined into
// an ISA level's copy of the kernel is compiled for that level (src/backend/cpu/simd.h); an
// out-of-line member would run at the baseline level (measured: the spiral 2.3x slower).
template <int IN>
class ReluUnits {
 public:
  ANN_INLINE ReluUnits(const NarrowMlp& p, const float* b1, Vec* table, std::uint64_t* words)
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
  ANN_INLINE const std::uint64_t* select(const Vec* xs) {
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
  ANN_INLINE static Vec abs(Vec v) { return std::bit_cast<Vec>(std::bit_cast<vec16::Mask>(v) & 0x7fffffff); }
  ANN_INLINE static Vec max(Vec a, Vec b) { return a > b ? a : b; }
  // op over all 16 lanes, the result in every lane: a butterfly, lane q with lane q ^ w.
  template <class Op>
  ANN_INLINE static Vec fold_lanes(Vec v, Op op) {
    static constexpr vec16::Mask kSwap[4] = {{8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7},
                                             {4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11},
                                             {2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13},
                                             {1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14}};
    for (const vec16::Mask& swap : kSwap) v = op(v, vec16::shuffle2(v, v, swap));
    return v;
  }
  // Bit l set where lane l of the comparison holds: each lane's bit, ORed across the lanes by
  // fold_lanes (GCC turns a loop over the lanes into 16 extractions).
  ANN_INLINE static std::uint32_t bits_of(vec16::Mask holds) {
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
      if constexpr (kWhen != ActivationPass::InAPassOfItsOwn) a = relu_of(a);
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

}  // namespace ann::backend
