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

// Rows 0 .. rows-1 of a row-major [*, N] array as N vectors (lane = row); missing rows are 0.
template <int N>
ANN_INLINE void load_columns(const float* a, int rows, Vec (&v)[N]) {
  float t[N][kLanes] = {};
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < N; ++c) t[c][r] = a[r * N + c];
  for (int c = 0; c < N; ++c) v[c] = load(t[c]);
}
template <int N>
ANN_INLINE void store_columns(const Vec (&v)[N], int rows, float* a) {
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
