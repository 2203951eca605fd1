// The two-layer kernel's backward (the math and the map of its files: narrow_mlp_common.h).
// Top to bottom: the backward over chunks of 16 row blocks, each unit's sums in registers for
// the chunk (backward_body); the affine case through A = dzᵀ x; the entry.
#include <vector>

#include "backend/cpu/narrow_mlp.h"
#include "backend/cpu/narrow_mlp_common.h"

namespace ann::backend {

namespace {

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
