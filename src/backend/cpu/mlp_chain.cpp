// A stack of narrow fully connected layers as one pass over the data each way (backend.h's
// MlpChain): the rows go in chunks of kMlpChainRows through every layer, forward or backward,
// while a chunk's values are in cache, and within a chunk 16 rows sit in the lanes of one
// vector. Every product then runs across rows, with no reduction and no lane left idle, whatever
// the layers' widths; a layer-by-layer run would make each product a library call on a matrix
// of a few columns and add a pass over memory for every bias, activation and derivative.
//
// A chunk's values of one layer are kept "lanes-major": [unit][rows], rows padded to 16.
// Forward, layer l (h₀ = x):
//     z_l[n] = b[n] + Σ_k W[n,k] h_{l−1}[k]          h_l = f(z_l)
// Backward, from g = ∂L/∂y:
//     dz_l = g ⊙ f'(z_l)           (from h_l for ReLU, tanh, sigmoid: [h > 0], 1 − h², h(1 − h);
//                                   else f'(z_l) itself, kept by the forward)
//     dW[n,k] += Σ_rows dz_l[n] h_{l−1}[k]          db[n] += Σ_rows dz_l[n]
//     g ← Σ_n W[n,k] dz_l[n]       (for the layer below, and dx)
// The row sums of the weights' gradients are taken per chunk (weight_grad_*), and added over
// chunks in float, in chunk order, as a BLAS library adds its blocks of K. Chunks are grouped
// into parts by the shape alone (part_count, below), one thread each; each part sums
// its own chunks and the parts are added in order: results depend on the data and shape, never
// on the thread count.
//
// Padding rows (a chunk's rows up to a multiple of 16) hold x = 0 and ∂L/∂y = 0; they compute
// finite values forward (from finite parameters) and exact zeros backward, which add nothing.
//
// Both passes read and make subnormal floats as zeros (subnormals.h). A net trained close to a
// zero loss makes its gradients subnormal, and then every multiply-add of the backward took a
// microcode assist: `ann_workload table_breast_cancer` (30-64-64-2, batches of 32, Adam, 100
// epochs) ran in 0.084 s, 0.031 s with them as zeros. The chain's values are within rounding
// of the layers', not equal to them, and a gradient under 2⁻¹²⁶ moves no parameter
// (optimizer_steps.cpp says why).
//
// What the forward keeps for the backward (backend.h's chain_keeps): per layer, its output h,
// and f'(z) too where the derivative is not a function of h (GELU, SiLU, ...: Kept::Slope;
// the forward computes it from the same erf or sigmoid as h, where the backward computed them
// again from z). The
// activations themselves are the unary kernels' (elementwise.cpp), so a layer here rounds them
// as the layer-by-layer op does; the products sum in another order than a BLAS library.
#include "backend/cpu/mlp_chain.h"

#include <algorithm>
#include <cstring>

#include "backend/cpu/activations.h"
#include "backend/cpu/elementwise.h"
#include "backend/cpu/parallel.h"
#include "backend/cpu/simd.h"
#include "backend/cpu/subnormals.h"
#include "backend/cpu/vec16.h"

namespace ann::backend {

namespace {

using vec16::kLanes;
using vec16::load;
using vec16::Mask;
using vec16::from_lanes;
using vec16::store;
using vec16::to_lanes;
using vec16::transpose16;
using vec16::Vec;

constexpr std::int64_t kChunk = kMlpChainRows;

constexpr std::int64_t padded(std::int64_t rows) { return (rows + kLanes - 1) / kLanes * kLanes; }
constexpr std::int64_t aligned(std::int64_t floats) { return (floats + 15) / 16 * 16; }  // 64-byte steps

// ---- the products ---------------------------------------------------------------------------
// out[n] = bias[n] + Σ_k W[n·ws_out + k·ws_in] in[k] for UN units and RB blocks of 16 rows: UN·RB
// accumulators, and per k RB loads of rows and UN broadcast weights. W's strides make the
// forward (W [N, K]: ws_out = K, ws_in = 1) and the backward's Wᵀ (ws_out = 1, ws_in = N) one
// kernel.
//
// The forward's tiles may apply the layer's f to the sums before they store them (Epilogue): a
// ReLU or LeakyReLU, whose pass of its own over the layer's values, from L2 once a chunk's layer
// outgrows L1, took more time than the function (activations.h's, lane for lane the same bits).
struct NoEpilogue {
  ANN_INLINE Vec operator()(Vec v) const { return v; }
};
struct ReluEpilogue {
  ANN_INLINE Vec operator()(Vec v) const { return relu_of(v); }
};
struct LeakyReluEpilogue {
  float slope;
  ANN_INLINE Vec operator()(Vec v) const { return leaky_relu_of(v, slope); }
};
template <int UN, int RB, class Epilogue>
ANN_INLINE void product_tile(const float* W, std::int64_t ws_out, std::int64_t ws_in, const float* bias,
                             const float* in, std::int64_t K, std::int64_t R, float* out, Epilogue epilogue) {
  Vec acc[UN][RB];
  for (int i = 0; i < UN; ++i) {
    const float b = bias ? bias[i] : 0.f;
    for (int j = 0; j < RB; ++j) acc[i][j] = Vec{} + b;
  }
  for (std::int64_t k = 0; k < K; ++k) {
    Vec h[RB];
    for (int j = 0; j < RB; ++j) h[j] = load(in + k * R + j * kLanes);
    for (int i = 0; i < UN; ++i) {
      const float w = W[i * ws_out + k * ws_in];
      for (int j = 0; j < RB; ++j) acc[i][j] += w * h[j];
    }
  }
  for (int i = 0; i < UN; ++i)
    for (int j = 0; j < RB; ++j) store(out + i * R + j * kLanes, epilogue(acc[i][j]));
}
// Memory the backward reads next (the layer below's kept values), brought toward the core a few
// cache lines before each tile of a product: once a batch's kept values outgrow the caches, the
// derivative and the weights' gradient of each layer waited on them, one stream after another
// (a 14-120×6-20 SiLU net took 3.7 µs a row on 256 rows, 5.6 on 69 106). The hardware's own
// prefetchers follow a stream only once it has started.
struct Prefetch {
  static constexpr int kRanges = 2;  // (backward_chunks adds two)
  const char* next[kRanges] = {};
  const char* end[kRanges] = {};
  std::int64_t per_tile = 0;  // lines before each tile

  void add(const float* p, std::int64_t floats) {
    for (int i = 0; i < kRanges; ++i) {
      if (next[i] != end[i]) continue;
      next[i] = reinterpret_cast<const char*>(p);
      end[i] = reinterpret_cast<const char*>(p + floats);
      return;
    }
  }
  // Spread over `tiles` tiles.
  void spread(std::int64_t tiles) {
    std::int64_t lines = 0;
    for (int i = 0; i < kRanges; ++i) lines += (end[i] - next[i] + 63) / 64;
    per_tile = tiles > 0 ? (lines + tiles - 1) / tiles : 0;
  }
  ANN_INLINE void lines() {
    std::int64_t left = per_tile;
    for (int i = 0; i < kRanges && left > 0; ++i) {
      const char* line = next[i];  // (in a register: the member was stored back at every line)
      for (; line < end[i] && left > 0; line += 64, --left) __builtin_prefetch(line, 0, 2);
      next[i] = line;
    }
  }
};

template <int UN, class Epilogue>
ANN_INLINE void product_blocks(const float* W, std::int64_t ws_out, std::int64_t ws_in, const float* bias,
                               const float* in, std::int64_t K, std::int64_t R, float* out, Prefetch* ahead,
                               Epilogue e) {
  const std::int64_t B = R / kLanes;
  std::int64_t b0 = 0;
  for (; b0 + 4 <= B; b0 += 4) {
    if (ahead) ahead->lines();
    product_tile<UN, 4>(W, ws_out, ws_in, bias, in + b0 * kLanes, K, R, out + b0 * kLanes, e);
  }
  if (ahead && b0 < B) ahead->lines();
  switch (B - b0) {
    case 3: product_tile<UN, 3>(W, ws_out, ws_in, bias, in + b0 * kLanes, K, R, out + b0 * kLanes, e); break;
    case 2: product_tile<UN, 2>(W, ws_out, ws_in, bias, in + b0 * kLanes, K, R, out + b0 * kLanes, e); break;
    case 1: product_tile<UN, 1>(W, ws_out, ws_in, bias, in + b0 * kLanes, K, R, out + b0 * kLanes, e); break;
    default: break;
  }
}
// The units of the next tile when `left` are left: 6 (24 accumulators, 4 rows and a weight fill
// 29 of the 32 vector registers, 10 loads for 24 multiply-adds), and the last 7–9 as 4 + 3, 4 + 4
// or 5 + 4, never a tile of 1–3 after a 6, whose few accumulators wait on their loads. Tiles of
// 4 units (8 loads for 16 multiply-adds) ran 48-, 64- and 128-wide layers on 256 rows at 105–118
// GFLOP/s, tiles of 6 at 132–140 (a chain of 6 such layers, forward, one thread).
constexpr std::int64_t unit_tile(std::int64_t left) {
  if (left > 9) return 6;
  if (left <= 6) return left;
  return left == 9 ? 5 : 4;
}
// out [N][R] from in [K][R]: every unit, every block of the chunk; `ahead` (if any) prefetched
// along the way.
template <class Epilogue = NoEpilogue>
ANN_INLINE void product(const float* W, std::int64_t ws_out, std::int64_t ws_in, const float* bias, const float* in,
                        std::int64_t K, std::int64_t N, std::int64_t R, float* out, Prefetch* ahead = nullptr,
                        Epilogue e = {}) {
  if (ahead) {
    std::int64_t unit_tiles = 0;
    for (std::int64_t n0 = 0; n0 < N; n0 += unit_tile(N - n0)) ++unit_tiles;
    ahead->spread(unit_tiles * ((R / kLanes + 3) / 4));
  }
  for (std::int64_t n0 = 0; n0 < N;) {
    const std::int64_t units = unit_tile(N - n0);
    const float* w = W + n0 * ws_out;
    const float* b = bias ? bias + n0 : nullptr;
    float* o = out + n0 * R;
    switch (units) {
      case 6: product_blocks<6>(w, ws_out, ws_in, b, in, K, R, o, ahead, e); break;
      case 5: product_blocks<5>(w, ws_out, ws_in, b, in, K, R, o, ahead, e); break;
      case 4: product_blocks<4>(w, ws_out, ws_in, b, in, K, R, o, ahead, e); break;
      case 3: product_blocks<3>(w, ws_out, ws_in, b, in, K, R, o, ahead, e); break;
      case 2: product_blocks<2>(w, ws_out, ws_in, b, in, K, R, o, ahead, e); break;
      default: product_blocks<1>(w, ws_out, ws_in, b, in, K, R, o, ahead, e); break;
    }
    n0 += units;
  }
}

// A layer's z [out][R] from its inputs [in][R], and f on it in the product's epilogue where f is
// a ReLU or a LeakyReLU and z becomes h in place; returns whether f was applied.
ANN_INLINE bool forward_product(const ChainLayer& L, const float* in, std::int64_t R, float* z, bool in_place) {
  const bool fused = L.f.applies && in_place && (L.f.op == UnaryOp::Relu || L.f.op == UnaryOp::LeakyRelu);
  if (!fused) product(L.W, L.in, 1, L.b, in, L.in, L.out, R, z);
  else if (L.f.op == UnaryOp::Relu) product(L.W, L.in, 1, L.b, in, L.in, L.out, R, z, nullptr, ReluEpilogue{});
  else product(L.W, L.in, 1, L.b, in, L.in, L.out, R, z, nullptr, LeakyReluEpilogue{static_cast<float>(L.f.p0)});
  return fused;
}

// ---- a narrow first layer, from the rows of x -----------------------------------------------
// A first layer of at most in / 5 units (and 8; 16 inputs or more) reads x as it is, row-major,
// in both passes: forward, one dot product per row and unit, sixteen rows' dots added across
// lanes at once (lane_sums16) into the unit's lanes; backward, its weights' gradient along lanes
// from x's rows (copy_rows). Transposing x into lanes (to_lanes, forward and backward) takes
// about six vector operations for every 16 floats of x, where a product of a few units takes a
// few multiply-adds. Measured (one thread, 8192-row batches, in-N-16-16-4 ReLU, SGD; each
// against x in lanes): N = 1 1.17× (16 inputs) to 1.99× (128); N = 8 1.06× (40) to 1.16× (128);
// slower from N = 4 at 16 inputs and N = 12 at 40–64; a 44-1×7-4 Tanh net on 37 688 rows 1.78×.
constexpr std::int64_t kRowsFirstLayerUnits = 8;
bool first_layer_from_rows(const MlpChain& p) {
  const ChainLayer& first = p.layers[0];
  return first.in >= kLanes && first.out <= std::min(kRowsFirstLayerUnits, first.in / 5);
}
// out [N][R] = bias + W x for the chunk's rows of x [rows][K] (leading dimension ld; the rows
// past `rows` as zeros). A row's last K % 16 products take a whole vector of it, its lanes past
// K set to 0: read in place where the load ends inside the rows given, else from a zero-padded
// copy (the chunk's last row).
ANN_INLINE void product_from_rows(const float* W, const float* bias, const float* x, std::int64_t ld,
                                  std::int64_t rows, std::int64_t K, std::int64_t N, std::int64_t R, float* out) {
  const std::int64_t whole = K / kLanes * kLanes, rest = K - whole;
  const float* const end = x + (rows - 1) * ld + K;
  const Mask in_rest = vec16::first_lanes(rest);
  const Vec zero = {};
  for (std::int64_t n = 0; n < N; ++n) {
    const float* w = W + n * K;
    const Vec w_rest = vec16::load_padded(w + whole, rest);
    for (std::int64_t r0 = 0; r0 < R; r0 += kLanes) {
      const std::int64_t nr = std::clamp<std::int64_t>(rows - r0, 0, kLanes);
      Vec s[kLanes];
      for (std::int64_t i = 0; i < kLanes; ++i) {
        Vec acc = zero;
        if (i < nr) {
          const std::int64_t at = (r0 + i) * ld;
          for (std::int64_t k = 0; k < whole; k += kLanes) acc += load(x + at + k) * load(w + k);
          if (rest) acc += vec16::load_rest(x + at + whole, rest, end, in_rest) * w_rest;
        }
        s[i] = acc;
      }
      Vec z = vec16::lane_sums16(s);
      if (bias) z += bias[n];
      store(out + n * R + r0, z);
    }
  }
}

// A chunk's sum into a part's: the part's first chunk writes it, the others add to it.
ANN_INLINE void put(float& acc, float sum, bool add) { acc = add ? acc + sum : sum; }

// The weights' gradient of a chunk, two ways, chosen by its rows (weight_grad):
//
// Across lanes: acc[n·K + k] += Σ_rows dz[n] h[k], both lanes-major, for UN units n and UK
// inputs k: the chunk's rows summed per lane in UN·UK accumulators, then across lanes, sixteen
// sums at once. Every lane works, but the sum across lanes costs as much as 4 blocks of rows.
template <int UN, int UK>
ANN_INLINE void across_lanes_tile(const float* dz, const float* h, std::int64_t R, std::int64_t K, float* acc,
                                  bool add) {
  Vec s[kLanes] = {};
  for (std::int64_t b = 0; b < R; b += kLanes) {
    Vec d[UN], x[UK];
    for (int i = 0; i < UN; ++i) d[i] = load(dz + i * R + b);
    for (int j = 0; j < UK; ++j) x[j] = load(h + j * R + b);
    for (int i = 0; i < UN; ++i)
      for (int j = 0; j < UK; ++j) s[i * UK + j] += d[i] * x[j];
  }
  const Vec sums = vec16::lane_sums16(s);
  for (int i = 0; i < UN; ++i) {
    if constexpr (UK == 4) {  // a unit's 4 sums as one 128-bit add, not 4 lanes taken out one by one
      using Quad = float __attribute__((vector_size(16)));
      const Quad part = {sums[i * 4], sums[i * 4 + 1], sums[i * 4 + 2], sums[i * 4 + 3]};
      Quad a;
      if (add) {
        std::memcpy(&a, acc + i * K, sizeof a);
        a += part;
      } else {
        a = part;
      }
      std::memcpy(acc + i * K, &a, sizeof a);
    } else {
      for (int j = 0; j < UK; ++j) put(acc[i * K + j], sums[i * UK + j], add);
    }
  }
}
template <int UN>
ANN_INLINE void across_lanes_inputs(const float* dz, const float* h, std::int64_t K, std::int64_t R, float* acc,
                                    bool add) {
  std::int64_t k0 = 0;
  for (; k0 + 4 <= K; k0 += 4) across_lanes_tile<UN, 4>(dz, h + k0 * R, R, K, acc + k0, add);
  switch (K - k0) {
    case 3: across_lanes_tile<UN, 3>(dz, h + k0 * R, R, K, acc + k0, add); break;
    case 2: across_lanes_tile<UN, 2>(dz, h + k0 * R, R, K, acc + k0, add); break;
    case 1: across_lanes_tile<UN, 1>(dz, h + k0 * R, R, K, acc + k0, add); break;
    default: break;
  }
}
// acc [N, K] += dz hᵀ over the chunk's rows (dz [N][R], h [K][R]).
ANN_INLINE void weight_grad_across_lanes(const float* dz, const float* h, std::int64_t N, std::int64_t K,
                                         std::int64_t R, float* acc, bool add) {
  for (std::int64_t n0 = 0; n0 < N; n0 += 4) {
    const float* d = dz + n0 * R;
    float* a = acc + n0 * K;
    switch (std::min<std::int64_t>(4, N - n0)) {
      case 4: across_lanes_inputs<4>(d, h, K, R, a, add); break;
      case 3: across_lanes_inputs<3>(d, h, K, R, a, add); break;
      case 2: across_lanes_inputs<2>(d, h, K, R, a, add); break;
      default: across_lanes_inputs<1>(d, h, K, R, a, add); break;
    }
  }
}
// Along lanes: the same from dz lanes-major and h row-major (hr [rows][ldh], ldh a multiple of
// 16): 16 inputs k in the lanes of a vector, and per row UN broadcast dz[n] times KV vectors of
// h — a sum along each lane, with no reduction across lanes, over the chunk's true rows only
// (a batch of one row: one multiply-add per 16 weights), but lanes past K idle and h to
// transpose first. The chunk's sums go to the part's (acc, rows of K), the first `valid` of
// the tile's columns.
template <int UN, int KV>
ANN_INLINE void along_lanes_tile(const float* dz, std::int64_t R, const float* hr, std::int64_t ldh,
                                 std::int64_t rows, std::int64_t K, std::int64_t valid, float* acc, bool add) {
  Vec s[UN][KV] = {};
  for (std::int64_t r = 0; r < rows; ++r) {
    Vec h[KV];
    for (int j = 0; j < KV; ++j) h[j] = load(hr + r * ldh + j * kLanes);
    for (int i = 0; i < UN; ++i) {
      const float d = dz[i * R + r];
      for (int j = 0; j < KV; ++j) s[i][j] += d * h[j];
    }
  }
  for (int i = 0; i < UN; ++i) {
    for (int j = 0; j < KV; ++j) {
      float* a = acc + i * K + j * kLanes;
      if (valid >= (j + 1) * kLanes) store(a, add ? load(a) + s[i][j] : s[i][j]);
      else for (std::int64_t l = 0; l < valid - j * kLanes; ++l) put(a[l], s[i][j][l], add);
    }
  }
}
template <int UN>
ANN_INLINE void along_lanes_inputs(const float* dz, std::int64_t R, const float* hr, std::int64_t ldh,
                                   std::int64_t rows, std::int64_t K, float* acc, bool add) {
  // the vectors of K in tiles of 4, but 5–7 left as two tiles of 2–4 (a tile of 1 would wait on
  // its few accumulators' latency)
  const std::int64_t V = (K + kLanes - 1) / kLanes;
  for (std::int64_t v0 = 0; v0 < V;) {
    const std::int64_t left = V - v0, kv = left > 4 && left < 8 ? (left + 1) / 2 : std::min<std::int64_t>(4, left);
    const std::int64_t k0 = v0 * kLanes;
    switch (kv) {
      case 4: along_lanes_tile<UN, 4>(dz, R, hr + k0, ldh, rows, K, K - k0, acc + k0, add); break;
      case 3: along_lanes_tile<UN, 3>(dz, R, hr + k0, ldh, rows, K, K - k0, acc + k0, add); break;
      case 2: along_lanes_tile<UN, 2>(dz, R, hr + k0, ldh, rows, K, K - k0, acc + k0, add); break;
      default: along_lanes_tile<UN, 1>(dz, R, hr + k0, ldh, rows, K, K - k0, acc + k0, add); break;
    }
    v0 += kv;
  }
}
ANN_INLINE void weight_grad_along_lanes(const float* dz, std::int64_t R, const float* hr, std::int64_t ldh,
                                        std::int64_t rows, std::int64_t N, std::int64_t K, float* acc, bool add) {
  for (std::int64_t n0 = 0; n0 < N; n0 += 4) {
    const float* d = dz + n0 * R;
    float* a = acc + n0 * K;
    switch (std::min<std::int64_t>(4, N - n0)) {
      case 4: along_lanes_inputs<4>(d, R, hr, ldh, rows, K, a, add); break;
      case 3: along_lanes_inputs<3>(d, R, hr, ldh, rows, K, a, add); break;
      case 2: along_lanes_inputs<2>(d, R, hr, ldh, rows, K, a, add); break;
      default: along_lanes_inputs<1>(d, R, hr, ldh, rows, K, a, add); break;
    }
  }
}
// Which of the two a chunk of R rows takes for a layer of N units and K inputs. Across lanes
// pays its sums across lanes once per 16 (unit, input) pairs, whatever R; along lanes pays
// the transposition of h into rows (about 4 shuffles for every 16 values), lanes idle past K,
// and waits on its few accumulators where N is small. So along lanes pays on short chunks of
// wide layers: measured (AVX-512, one thread, aligned buffers; along's time over across's for N
// and K each of 4-128), N, K >= 48: 0.41-0.46 at 16 rows, 0.53-0.58 at 32, 0.61-0.71 at 48,
// 0.70-0.78 at 64, 0.80-0.95 at 128, 0.91-1.07 at 256; K = 4: 2-12 at any R. The first layer's
// inputs are x's rows (x_rows), which along lanes copies and across lanes must transpose: there
// along lanes pays from K = 32 on (0.67-0.89 at 64-256 rows without the transposition), or 16
// on up to 64 rows; and always where the forward read x's rows too (first_layer_from_rows).
bool weight_grad_along_lanes_pays(std::int64_t N, std::int64_t K, std::int64_t R, bool x_rows) {
  if (x_rows) return K >= 32 || (K >= kLanes && R <= 64);
  if (R <= 16) return N >= 9 && K >= 16;
  if (R <= 32) return N >= 16 && K >= 16;
  if (R <= 48) return N >= 16 && K >= 32;
  if (R <= 96) return N >= 23 && K >= 44;
  if (R <= 160) return N >= 44 && K >= 48;
  return false;
}
// hr [R][ldh] (row-major, ldh = K rounded up to 16, the columns past K zero) from h [K][R]
// (lanes-major).
ANN_INLINE void lanes_to_rows(const float* h, std::int64_t K, std::int64_t R, float* hr, std::int64_t ldh) {
  for (std::int64_t r0 = 0; r0 < R; r0 += kLanes) {
    for (std::int64_t k0 = 0; k0 < ldh; k0 += kLanes) {
      Vec v[kLanes];
      for (std::int64_t i = 0; i < kLanes; ++i) v[i] = k0 + i < K ? load(h + (k0 + i) * R + r0) : Vec{};
      transpose16(v);
      for (int i = 0; i < kLanes; ++i) store(hr + (r0 + i) * ldh + k0, v[i]);
    }
  }
}
// The same from rows of a row-major x [rows][K] (leading dimension ld).
ANN_INLINE void copy_rows(const float* x, std::int64_t ld, std::int64_t rows, std::int64_t K, float* hr,
                          std::int64_t ldh) {
  for (std::int64_t r = 0; r < rows; ++r) {
    std::memcpy(hr + r * ldh, x + r * ld, static_cast<std::size_t>(K) * sizeof(float));
    std::fill(hr + r * ldh + K, hr + (r + 1) * ldh, 0.f);
  }
}

// acc [N] += Σ_rows dz.
ANN_INLINE void bias_grad(const float* dz, std::int64_t N, std::int64_t R, float* acc, bool add) {
  for (std::int64_t n0 = 0; n0 < N; n0 += kLanes) {
    Vec s[kLanes] = {};
    const std::int64_t units = std::min<std::int64_t>(kLanes, N - n0);
    for (std::int64_t i = 0; i < units; ++i)
      for (std::int64_t b = 0; b < R; b += kLanes) s[i] += load(dz + (n0 + i) * R + b);
    const Vec sums = vec16::lane_sums16(s);
    for (std::int64_t i = 0; i < units; ++i) put(acc[n0 + i], sums[i], add);
  }
}

// ---- where things are ----------------------------------------------------------------------
// The kept values, layer after layer: each kept layer's m rows (padded to 16), chunk after
// chunk; in a chunk of R rows its output, or f'(z) and its output out·R further. The passes walk
// the layers with a running offset (backend.h's chain_layer_kept_floats on from the one below).
std::int64_t kept_chunk(const MlpChain& p, int l, std::int64_t c) {
  return c * kChunk * chain_kept_per_row(p.layers[l]);
}
// A part's sums: per layer dW [out, in], then db [out]; the layers one after the other.
std::int64_t sums_floats(const ChainLayer& L) { return L.out * (L.in + 1); }
std::int64_t sums_offset(const MlpChain& p, int l) {
  std::int64_t offset = 0;
  for (int i = 0; i < l; ++i) offset += sums_floats(p.layers[i]);
  return offset;
}

// A part's buffers, each of a chunk's rows (kChunk, or fewer when m is smaller): the inputs x
// (in lanes); two for the values in flight (as wide as the widest layer, or the inputs for the
// backward's dx); one for a layer's input in rows (the weights' gradient along lanes); then
// the sums of the backward (the first part's go straight into the gradients).
struct Buffers {
  float *x, *a, *b, *rows, *sums;
};
struct Layout {
  std::int64_t x, flight, rows, sums;  // floats
  std::int64_t bytes() const { return (x + 2 * flight + rows + sums) * 4; }
};
Layout layout_of(const MlpChain& p, bool backward) {
  std::int64_t widest = 1;
  for (int l = 0; l < p.depth; ++l) widest = std::max(widest, p.layers[l].out);
  const std::int64_t in = p.layers[0].in, R = std::min(kChunk, padded(p.m));
  if (!backward) return {aligned(in * R), aligned(widest * R), 0, 0};
  return {aligned(in * R), aligned(std::max(widest, in) * R), aligned(padded(std::max(widest, in)) * R),
          aligned(sums_offset(p, p.depth))};
}
Buffers buffers_at(const Layout& layout, void* part) {
  float* f = static_cast<float*>(part);
  float* rows = f + layout.x + 2 * layout.flight;
  return {f, f + layout.x, f + layout.x + layout.flight, rows, rows + layout.rows};
}

// ---- the passes over chunks [first, last) ----------------------------------------------------
ANN_KERNEL void forward_chunks_body(const MlpChain& p, const float* x, float* y, float* kept, std::int64_t first,
                                    std::int64_t last, Buffers buf) {
  const std::int64_t in = p.layers[0].in, out = p.layers[p.depth - 1].out;
  const bool from_rows = first_layer_from_rows(p);
  for (std::int64_t c = first; c < last; ++c) {
    const std::int64_t r0 = c * kChunk, rows = std::min(kChunk, p.m - r0), R = padded(rows);
    if (!from_rows) to_lanes(x + r0 * in, in, rows, in, buf.x, R);
    const float* cur = buf.x;
    float* spare[2] = {buf.a, buf.b};
    int next = 0;  // spare[next] is never `cur`: cur is the last buffer written, or x, or kept
    std::int64_t layer_kept = 0;  // where layer l's kept values start
    for (int l = 0; l < p.depth; layer_kept += chain_layer_kept_floats(p, l), ++l) {
      const ChainLayer& L = p.layers[l];
      const bool keep = kept && chain_keeps(p, l);
      float* z = keep ? kept + layer_kept + kept_chunk(p, l, c) : spare[next];
      if (!keep) next ^= 1;
      const bool in_place = !keep || derivative_from_output(L.f);  // h where z was
      bool squashed = false;
      if (l == 0 && from_rows) product_from_rows(L.W, L.b, x + r0 * in, in, rows, L.in, L.out, R, z);
      else squashed = forward_product(L, cur, R, z, in_place);
      cur = z;
      if (!L.f.applies || squashed) continue;
      if (in_place) {
        cpu::unary_float_here(L.f.op, z, z, L.out * R, L.f.p0, L.f.p1);
      } else {  // f'(z) in z's place and h kept (Kept::Slope)
        float* h = z + L.out * R;
        cpu::squash_keeping_here(L.f, z, h, L.out * R);
        cur = h;
      }
    }
    from_lanes(cur, R, rows, out, y + r0 * out, out);
  }
}
ANN_DISPATCH(forward_chunks)

ANN_KERNEL void backward_chunks_body(const MlpChain& p, const float* x, const float* kept, const float* dy,
                                     const MlpChainGrads& grads, std::int64_t first, std::int64_t last, Buffers buf,
                                     bool into_grads) {
  const std::int64_t in = p.layers[0].in, out = p.layers[p.depth - 1].out;
  const bool first_from_rows = first_layer_from_rows(p);
  for (std::int64_t c = first; c < last; ++c) {
    const std::int64_t r0 = c * kChunk, rows = std::min(kChunk, p.m - r0), R = padded(rows);
    float *g = buf.a, *below = buf.b;
    to_lanes(dy + r0 * out, out, rows, out, g, R);
    std::int64_t layer_kept = mlp_chain_kept_floats(p), layer_sums = sums_offset(p, p.depth);
    for (int l = p.depth - 1; l >= 0; --l) {
      const ChainLayer& L = p.layers[l];
      layer_kept -= chain_layer_kept_floats(p, l);  // now where layer l's kept values start
      layer_sums -= sums_floats(L);
      if (L.f.applies) {  // g becomes dz
        cpu::squash_derivative_here(L.f, kept_by_layers(L.f), kept + layer_kept + kept_chunk(p, l, c), g, g, L.out * R);
      }
      // the chunk's sums: into the gradients (the first part) or the part's own
      float* dW = into_grads ? grads.dW[l] : buf.sums + layer_sums;
      float* db = into_grads ? grads.db[l] : buf.sums + layer_sums + L.out * L.in;
      const bool add = c != first;
      if (grads.dW[l]) {  // from the layer's input h_{l−1}: x, or kept
        const float* h = buf.x;
        const bool across = !(l == 0 && first_from_rows) && !weight_grad_along_lanes_pays(L.out, L.in, R, l == 0);
        if (l == 0) {
          if (across) to_lanes(x + r0 * in, in, rows, in, buf.x, R);
        } else {
          const ChainLayer& P = p.layers[l - 1];
          h = kept + layer_kept - chain_layer_kept_floats(p, l - 1) + kept_chunk(p, l - 1, c) +
              (derivative_from_output(P.f) ? 0 : P.out * R);
        }
        if (across) {
          weight_grad_across_lanes(g, h, L.out, L.in, R, dW, add);
        } else {
          const std::int64_t ldh = padded(L.in);
          if (l == 0) copy_rows(x + r0 * in, in, rows, in, buf.rows, ldh);
          else lanes_to_rows(h, L.in, R, buf.rows, ldh);
          weight_grad_along_lanes(g, R, buf.rows, ldh, rows, L.out, L.in, dW, add);
        }
      }
      if (grads.db[l]) bias_grad(g, L.out, R, db, add);
      if (l > 0 || grads.dx) {
        // while it runs: what layer l − 1 reads next, its kept values and the kept output of the
        // layer below it, which its weights' gradient takes
        Prefetch ahead;
        if (l > 0) {
          const std::int64_t below_kept = layer_kept - chain_layer_kept_floats(p, l - 1);
          ahead.add(kept + below_kept + kept_chunk(p, l - 1, c), R * chain_kept_per_row(p.layers[l - 1]));
          if (l > 1) {
            const ChainLayer& B2 = p.layers[l - 2];
            ahead.add(kept + below_kept - chain_layer_kept_floats(p, l - 2) + kept_chunk(p, l - 2, c) +
                          (derivative_from_output(B2.f) ? 0 : B2.out * R),
                      B2.out * R);
          }
        }
        product(L.W, 1, L.in, nullptr, g, L.out, L.in, R, below, &ahead);
        std::swap(g, below);
      }
    }
    if (grads.dx) from_lanes(g, R, rows, in, grads.dx + r0 * in, in);
  }
}
ANN_DISPATCH(backward_chunks)

// Parts: 1, 2, 4 or 8 (parallel.h's part_count, so that 2, 4 or 8 threads share them evenly), of
// about 2²² multiply-adds or more, cut by the shape alone; 0 when there are no rows. Part q takes
// the chunks [q·chunks/parts, (q+1)·chunks/parts) (part_begin), so that parts differ by one chunk
// at most: in parts of a uniform length, 42 chunks made 7 parts of 6, which 2 threads shared as
// 18 and 24 chunks (an 87-44×7-1 net on 10 725 rows, 1.59 times as fast on 2 threads as on 1).
std::int64_t chunk_count(const MlpChain& p) { return (p.m + kChunk - 1) / kChunk; }
std::int64_t part_count(const MlpChain& p) {
  const std::int64_t chunks = chunk_count(p);
  if (chunks == 0) return 0;
  std::int64_t per_row = 0;
  for (int l = 0; l < p.depth; ++l) per_row += p.layers[l].in * p.layers[l].out;
  return cpu::part_count(chunks, chunks * kChunk * per_row, std::int64_t{1} << 22, 1);
}
std::int64_t first_chunk(const MlpChain& p, std::int64_t part, std::int64_t parts) {
  return cpu::part_begin(part, parts, chunk_count(p), 1);
}

}  // namespace

std::size_t mlp_chain_scratch_bytes(const MlpChain& p, bool backward) {
  return static_cast<std::size_t>(part_count(p) * layout_of(p, backward).bytes());
}

void mlp_chain_forward_cpu(const MlpChain& p, const float* x, float* y, float* kept, void* scratch) {
  const Layout layout = layout_of(p, false);
  const std::int64_t parts = part_count(p);
  cpu::run_parts(parts, [&](std::int64_t part) {
    const cpu::SubnormalsAsZero as_zeros;
    const Buffers buf = buffers_at(layout, static_cast<char*>(scratch) + part * layout.bytes());
    forward_chunks(p, x, y, kept, first_chunk(p, part, parts), first_chunk(p, part + 1, parts), buf);
  });
}

void mlp_chain_backward_cpu(const MlpChain& p, const float* x, const float* kept, const float* dy,
                            const MlpChainGrads& grads, void* scratch) {
  const Layout layout = layout_of(p, true);
  const std::int64_t parts = part_count(p);
  auto part_buffers = [&](std::int64_t part) {
    return buffers_at(layout, static_cast<char*>(scratch) + part * layout.bytes());
  };
  cpu::run_parts(parts, [&](std::int64_t part) {
    const cpu::SubnormalsAsZero as_zeros;
    backward_chunks(p, x, kept, dy, grads, first_chunk(p, part, parts), first_chunk(p, part + 1, parts),
                    part_buffers(part), part == 0);
  });
  // The other parts' sums, added in part order (no rows: zeros).
  std::int64_t offset = 0;
  for (int l = 0; l < p.depth; offset += sums_floats(p.layers[l]), ++l) {
    const ChainLayer& L = p.layers[l];
    auto finish = [&](float* out, std::int64_t at, std::int64_t n) {
      if (!out) return;
      if (parts == 0) std::fill(out, out + n, 0.f);
      for (std::int64_t part = 1; part < parts; ++part) {
        const float* more = part_buffers(part).sums + at;
        for (std::int64_t i = 0; i < n; ++i) out[i] += more[i];
      }
    };
    finish(grads.dW[l], offset, L.out * L.in);
    finish(grads.db[l], offset + L.out * L.in, L.out);
  }
}

}  // namespace ann::backend
