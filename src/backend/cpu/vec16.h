#pragma once
// Sixteen floats as one GCC vector: one AVX-512 register, two AVX2 or four SSE registers,
// whichever ANN_KERNEL's clone targets. Kernels over matrices with few columns (the lesson's 1–3
// inputs and outputs) put 16 rows in the lanes of one vector, so every step runs across rows.
// Files using it compile with -Wno-psabi (a 64-byte vector passed by value warns about an old
// ABI change; these functions are inlined).
#include <cstdint>

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
