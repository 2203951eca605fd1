#pragma once
// Sixteen floats as one GCC vector: one AVX-512 register, two AVX2 or four SSE registers,
// whichever ANN_KERNEL's clone targets. Kernels over matrices with few columns (the lesson's 1–3
// inputs and outputs) put 16 rows in the lanes of one vector, so every step runs across rows.
// Files using it compile with -Wno-psabi (a 64-byte vector passed by value warns about an old
// ABI change; these functions are inlined).
#include <algorithm>
#include <cstdint>
#include <cstring>

namespace ann::backend::vec16 {

constexpr int kLanes = 16;
using Vec = float __attribute__((vector_size(kLanes * sizeof(float))));
using Mask = std::int32_t __attribute__((vector_size(kLanes * sizeof(std::int32_t))));

#define ANN_INLINE inline __attribute__((always_inline))

ANN_INLINE Vec load(const float* p) {
  Vec v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
ANN_INLINE void store(float* p, Vec v) { __builtin_memcpy(p, &v, sizeof v); }

// The `count` floats from p on, zero-padded to a vector (a whole load could leave the array).
ANN_INLINE Vec load_padded(const float* p, std::int64_t count) {
  alignas(64) float padded[kLanes] = {};
  __builtin_memcpy(padded, p, static_cast<std::size_t>(count) * sizeof(float));
  return load(padded);
}
// The lanes below `count`, as a mask for load_rest.
ANN_INLINE Mask first_lanes(std::int64_t count) {
  Mask m;
  for (int l = 0; l < kLanes; ++l) m[l] = l < count ? -1 : 0;
  return m;
}
// A row's last `count` (< 16) floats from p on, the lanes past them 0: one whole load with the
// lanes past them masked off (first = first_lanes(count)) where it ends by `end`, reading on into
// the values after the row, else load_padded.
ANN_INLINE Vec load_rest(const float* p, std::int64_t count, const float* end, Mask first) {
  return p + kLanes <= end ? (first ? load(p) : Vec{}) : load_padded(p, count);
}

// Lanes of a (indices 0–15) and b (16–31) chosen by m. Clang has no __builtin_shuffle with a
// mask vector (the fuzz build compiles the library with it): there, a loop over lanes.
ANN_INLINE Vec shuffle2(Vec a, Vec b, Mask m) {
#if defined(__clang__)
  Vec r;
  for (int q = 0; q < kLanes; ++q) r[q] = m[q] < kLanes ? a[m[q]] : b[m[q] - kLanes];
  return r;
#else
  return __builtin_shuffle(a, b, m);
#endif
}

// Shuffles that gather lane q of the result from lane lane_of(q) of source vector from(q), K
// sources: the first takes sources 0 and 1, each further one adds a source (at least one
// shuffle, K − 1 for K >= 2). Computed at compile time, so each is one permute instruction.
template <int K>
struct ShuffleChain {
  std::int32_t mask[K > 1 ? K - 1 : 1][kLanes];
};
template <int K, class From, class LaneOf>
constexpr ShuffleChain<K> shuffle_chain(From from, LaneOf lane_of) {
  ShuffleChain<K> chain{};
  for (int q = 0; q < kLanes; ++q) chain.mask[0][q] = (from(q) == 1 ? kLanes : 0) + lane_of(q);
  for (int s = 2; s < K; ++s)
    for (int q = 0; q < kLanes; ++q) chain.mask[s - 1][q] = from(q) == s ? kLanes + lane_of(q) : q;
  return chain;
}
template <int K>
ANN_INLINE Vec gather_lanes(const Vec* src, const ShuffleChain<K>& chain) {
  Mask m;
  __builtin_memcpy(&m, chain.mask[0], sizeof m);
  if constexpr (K == 1) {
    return shuffle2(src[0], src[0], m);
  } else {
    Vec out = shuffle2(src[0], src[1], m);
    for (int s = 2; s < K; ++s) {
      __builtin_memcpy(&m, chain.mask[s - 1], sizeof m);
      out = shuffle2(out, src[s], m);
    }
    return out;
  }
}

// A row-major [16, N] block is 16N floats, N vectors as loaded; element l·N + c is row l,
// column c. To columns: lane l of column c is element l·N + c. Back: lane q of the block's
// vector s is element 16s + q, of column (16s + q) mod N, row (16s + q) / N.
template <int N>
struct BlockShuffles {
  ShuffleChain<N> to_column[N], to_block[N];
};
template <int N>
constexpr BlockShuffles<N> block_shuffles() {
  BlockShuffles<N> b{};
  for (int c = 0; c < N; ++c)
    b.to_column[c] = shuffle_chain<N>([=](int l) { return (l * N + c) / kLanes; },
                                      [=](int l) { return (l * N + c) % kLanes; });
  for (int s = 0; s < N; ++s)
    b.to_block[s] = shuffle_chain<N>([=](int q) { return (s * kLanes + q) % N; },
                                     [=](int q) { return (s * kLanes + q) / N; });
  return b;
}

// Rows 0 .. rows-1 of a row-major [*, N] array as N vectors (lane = row); missing rows are 0.
// A whole block of 16 rows moves by shuffles, a partial one element by element.
template <int N>
ANN_INLINE void load_columns(const float* a, int rows, Vec* v) {
  if (rows == kLanes) {
    static constexpr BlockShuffles<N> shuffles = block_shuffles<N>();
    Vec block[N];
    for (int s = 0; s < N; ++s) block[s] = load(a + s * kLanes);
    for (int c = 0; c < N; ++c) v[c] = gather_lanes<N>(block, shuffles.to_column[c]);
    return;
  }
  float t[N][kLanes] = {};
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < N; ++c) t[c][r] = a[r * N + c];
  for (int c = 0; c < N; ++c) v[c] = load(t[c]);
}
template <int N>
ANN_INLINE void store_columns(const Vec* v, int rows, float* a) {
  if (rows == kLanes) {
    static constexpr BlockShuffles<N> shuffles = block_shuffles<N>();
    for (int s = 0; s < N; ++s) store(a + s * kLanes, gather_lanes<N>(v, shuffles.to_block[s]));
    return;
  }
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < N; ++c) a[r * N + c] = v[c][r];
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
constexpr ShuffleChain<2> level_half(int half) {
  return shuffle_chain<2>([](int o) { return o / 8; },
                          [half](int o) { return o % 8 / W * 2 * W + o % W + half * W; });
}
template <int W>
ANN_INLINE void lane_sum_level(const Vec* in, Vec* out) {
  static constexpr ShuffleChain<2> lo = level_half<W>(0), hi = level_half<W>(1);
  for (int q = 0; q < W; ++q)  // 2W vectors in, W out
    out[q] = gather_lanes<2>(in + 2 * q, lo) + gather_lanes<2>(in + 2 * q, hi);
}

// Lane q of the result is lane_sum(v[q]), bit for bit (the same additions in the same tree), for
// sixteen vectors at once: 15 vector additions instead of 16 × 15 scalar ones.
ANN_INLINE Vec lane_sums16(const Vec* v) {
  Vec l8[8], l4[4], l2[2], l1[1];
  lane_sum_level<8>(v, l8);
  lane_sum_level<4>(l8, l4);
  lane_sum_level<2>(l4, l2);
  lane_sum_level<1>(l2, l1);
  return l1[0];
}

// ---- a 16 × 16 transpose in registers, and rows to lanes and back ----------------------------
// Four stages; stage s swaps bit s of the row index with bit s of the column index, so that
// element (r, c) ends at (c, r). Each of the 16 rows is one two-source shuffle per stage.
struct TransposeStages {
  std::int32_t low[4][kLanes], high[4][kLanes];
};
constexpr TransposeStages transpose_stages() {
  TransposeStages t{};
  for (int s = 0; s < 4; ++s) {
    const int bit = 1 << s;
    for (int c = 0; c < kLanes; ++c) {
      t.low[s][c] = (c & bit) ? kLanes + (c ^ bit) : c;  // row r (bit clear): its own, or the pair's
      t.high[s][c] = (c & bit) ? kLanes + c : (c | bit);
    }
  }
  return t;
}
// Unrolled by order: inlined into a large kernel (cross-entropy of any class count), GCC kept
// the loops and the 16 vectors on the stack, and 10 classes took 1.43 ns a logit (1.15 now).
ANN_INLINE void transpose16(Vec* v) {
  static constexpr TransposeStages t = transpose_stages();
#pragma GCC unroll 4
  for (int s = 0; s < 4; ++s) {
    const int bit = 1 << s;
    Mask low, high;
    std::memcpy(&low, t.low[s], sizeof low);
    std::memcpy(&high, t.high[s], sizeof high);
#pragma GCC unroll 16
    for (int r = 0; r < kLanes; ++r) {
      if (r & bit) continue;
      const Vec a = v[r], b = v[r | bit];
      v[r] = shuffle2(a, b, low);
      v[r | bit] = shuffle2(a, b, high);
    }
  }
}

// Fewer columns than this past the last whole 16 move one by one: a transpose costs 64 shuffles
// however few of its columns are used.
constexpr std::int64_t kTransposedColumns = 8;

// dst [cols][R] (lanes-major) from rows [rows][cols] of a row-major array (leading dimension
// ld); rows from `rows` to R are 0. 16 columns at a time by transposing in registers; the last
// n < 16 columns too, each row's 16-float load reading on into the next row where that stays
// among the rows given (the extra lanes land in vectors n..15 of the transpose, which are not
// stored), and the last rows' n floats copied one by one. (Column by column, the remainder took
// 3 cycles a value: 23 classes of cross-entropy spent most of their time there.)
ANN_INLINE void to_lanes(const float* src, std::int64_t ld, std::int64_t rows, std::int64_t cols, float* dst,
                         std::int64_t R) {
  const std::int64_t end = (rows - 1) * ld + cols;  // one past the last float of the rows given
  for (std::int64_t r0 = 0; r0 < R; r0 += kLanes) {
    const std::int64_t nr = std::clamp<std::int64_t>(rows - r0, 0, kLanes);
    std::int64_t c0 = 0;
    for (; c0 + kLanes <= cols; c0 += kLanes) {
      Vec v[kLanes];
      for (int i = 0; i < kLanes; ++i) v[i] = i < nr ? load(src + (r0 + i) * ld + c0) : Vec{};
      transpose16(v);
      for (int i = 0; i < kLanes; ++i) store(dst + (c0 + i) * R + r0, v[i]);
    }
    const std::int64_t n = cols - c0;
    if (n < kTransposedColumns) {
      for (std::int64_t c = c0; c < cols; ++c) {
        float t[kLanes] = {};
        for (std::int64_t i = 0; i < nr; ++i) t[i] = src[(r0 + i) * ld + c];
        store(dst + c * R + r0, load(t));
      }
      continue;
    }
    Vec v[kLanes];
    for (int i = 0; i < kLanes; ++i) {
      const std::int64_t at = (r0 + i) * ld + c0;
      if (i >= nr) {
        v[i] = Vec{};
      } else if (at + kLanes <= end) {
        v[i] = load(src + at);
      } else {
        float t[kLanes] = {};
        for (std::int64_t c = 0; c < n; ++c) t[c] = src[at + c];
        v[i] = load(t);
      }
    }
    transpose16(v);
    for (std::int64_t c = 0; c < n; ++c) store(dst + (c0 + c) * R + r0, v[c]);
  }
}

// The way back: rows [rows][cols] of a row-major array (leading dimension ld) from src [cols][R].
// The last n < 16 columns first, by a transpose too: where the rows are packed (ld = cols), each
// row's 16-float store runs on into the next rows, which their own stores (the next rows', then
// the whole 16-column blocks') write over after, so it stays among the rows given; the last rows
// and a strided array take their n floats one by one.
ANN_INLINE void from_lanes(const float* src, std::int64_t R, std::int64_t rows, std::int64_t cols, float* dst,
                           std::int64_t ld) {
  const std::int64_t end = (rows - 1) * ld + cols;
  const std::int64_t c0 = cols / kLanes * kLanes, n = cols - c0;
  for (std::int64_t r0 = 0; r0 < rows; r0 += kLanes) {
    const std::int64_t nr = std::min<std::int64_t>(kLanes, rows - r0);
    if (n > 0 && n < kTransposedColumns) {
      for (std::int64_t c = c0; c < cols; ++c)
        for (std::int64_t i = 0; i < nr; ++i) dst[(r0 + i) * ld + c] = src[c * R + r0 + i];
    } else if (n > 0) {
      Vec v[kLanes];
      for (int i = 0; i < kLanes; ++i) v[i] = i < n ? load(src + (c0 + i) * R + r0) : Vec{};
      transpose16(v);
      for (int i = 0; i < nr; ++i) {
        const std::int64_t at = (r0 + i) * ld + c0;
        if (ld == cols && at + kLanes <= end) {
          store(dst + at, v[i]);
        } else {
          for (std::int64_t c = 0; c < n; ++c) dst[at + c] = v[i][c];
        }
      }
    }
    for (std::int64_t b = 0; b < c0; b += kLanes) {
      Vec v[kLanes];
      for (int i = 0; i < kLanes; ++i) v[i] = load(src + (b + i) * R + r0);
      transpose16(v);
      for (int i = 0; i < nr; ++i) store(dst + (r0 + i) * ld + b, v[i]);
    }
  }
}

// f applied to every lane, as a loop the compiler vectorises (f written for one float, like
// vector_math.h's exp and log).
template <class F>
ANN_INLINE Vec map_lanes(F f, Vec v) {
  float t[kLanes];
  store(t, v);
  for (int l = 0; l < kLanes; ++l) t[l] = f(t[l]);
  return load(t);
}

}  // namespace ann::backend::vec16
