// The tiny products of a batch of a few rows (1 to kFewRowsMax), as a layer runs them:
//
//     forward          C[i, j] = Σ_k x[i, k] · W[j, k]     (op(B) = Bᵀ: dot products)
//     input gradient   C[i, :] = Σ_k dz[i, k] · W[k, :]    (op(B) = B: rows of W scaled and added)
//
// then C = α·C + β·C_old. A library's general product packs both operands into panels on every
// call and dispatches through several layers: OpenBLAS took 0.3–0.9 µs for the 1 × 46 × 46
// products and 2.9–3.6 µs for 1 × 128 × 128, five to six times what this file takes
// (bench/README.md, stop 41), and a step of a 46-wide net on one row runs a dozen such
// products. Here the operands are read where they lie, 16 floats a vector. (The weight gradient
// over a few rows, dzᵀ·x, is an outer product with a short k: there the library was 2–4 times
// faster than this file's scheme, and it keeps it.)
//
// Each element's sum does not depend on M or N, nor on where it falls among them: the dot
// products sum lane l over k ≡ l (mod 16) in order and then add the lanes in lane_sum's fixed
// tree; the input gradient sums over k in order. So the same element of C comes out the same in
// any product of the same K, and in TrainStep's and in the five steps' calls alike.
#include "backend/cpu/few_rows_gemm.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "backend/cpu/simd.h"
#include "backend/cpu/vec16.h"

namespace ann::backend::cpu {

namespace {

using std::int64_t;
using vec16::kLanes;
using vec16::load;
using vec16::store;
using vec16::Vec;

// C's `width` values from c on = α·sums + β·C (β = 0: C is not read, as BLAS). The products ann
// runs take α = 1 and β = 0 (a fresh result) or 1 (added into a gradient): there the whole
// vector is stored or added at once, rounding as the same line of scalar code does, so a column
// comes out the same in a whole vector and in the last, partial one.
ANN_INLINE void store_sums(float* c, Vec sums, int64_t width, float alpha, float beta) {
  if (width == kLanes && alpha == 1.f && beta == 0.f) return store(c, sums);
  if (width == kLanes && alpha == 1.f && beta == 1.f) return store(c, load(c) + sums);
  alignas(64) float s[kLanes];
  store(s, sums);
  for (int64_t l = 0; l < width; ++l) c[l] = beta == 0.f ? alpha * s[l] : alpha * s[l] + beta * c[l];
}

// Forward: C[i, j] = α Σ_k A[i, k] B[j, k] + β C[i, j], for all R rows of A at once (each row
// of B read once) and 16 values of j at a time (lane_sums16 adds sixteen dot products' lanes at
// once, each as lane_sum would). K is at least 16. The last K % 16 products of a dot take a whole
// vector of each row, its lanes past K set to 0: of A once, of B straight from its row where the
// load ends inside B (reading on into the next row), else from a zero-padded copy.
template <int R>
ANN_INLINE void dot_products(int64_t N, int64_t K, float alpha, const float* A, int64_t lda, const float* B,
                             int64_t ldb, float beta, float* C, int64_t ldc) {
  const int64_t whole = K / kLanes * kLanes, rest = K - whole;
  const float* const b_end = B + (N - 1) * ldb + K;
  const vec16::Mask in_rest = vec16::first_lanes(rest);
  const Vec zero = {};
  Vec a_rest[R];
  for (int i = 0; i < R; ++i) a_rest[i] = vec16::load_padded(A + i * lda + whole, rest);
  for (int64_t j0 = 0; j0 < N; j0 += kLanes) {
    const int64_t count = std::min<int64_t>(kLanes, N - j0);
    Vec acc[R][kLanes];  // (each written below: a zero-filled array cost as much as the sums)
    for (int i = 0; i < R; ++i)
      for (int64_t j = count; j < kLanes; ++j) acc[i][j] = zero;
    for (int64_t j = 0; j < count; ++j) {
      const float* b = B + (j0 + j) * ldb;
      Vec s[R] = {};
      for (int64_t k = 0; k < whole; k += kLanes) {
        const Vec bk = load(b + k);
        for (int i = 0; i < R; ++i) s[i] += load(A + i * lda + k) * bk;
      }
      if (rest > 0) {
        const Vec b_rest = vec16::load_rest(b + whole, rest, b_end, in_rest);
        for (int i = 0; i < R; ++i) s[i] += a_rest[i] * b_rest;
      }
      for (int i = 0; i < R; ++i) acc[i][j] = s[i];
    }
    for (int i = 0; i < R; ++i) store_sums(C + i * ldc + j0, vec16::lane_sums16(acc[i]), count, alpha, beta);
  }
}

// Input gradient: C[m, :] = α Σ_k A[m, k] B[k, :] + β C[m, :], k in order,
// up to 64 columns at a time: up to four vectors of sums, chains of multiply-adds that run side
// by side (one alone waits on each multiply-add's latency). The last N % 16 columns take a
// vector too, not scalar code: GCC fuses the vectors' multiply-adds, not always the scalars', and
// a column must round alike wherever it falls. `row(k)` is B's row k, whose last vector may read
// on into the next row; the last rows, where that would leave B, are copied zero-padded.
template <int V, class RowOf>
ANN_INLINE void scaled_block(const float* a_row, int64_t n, int64_t count, int64_t K, float alpha, RowOf row,
                             float beta, float* c) {
  Vec acc[V] = {};
  for (int64_t k = 0; k < K; ++k) {
    const float a = a_row[k];
    const float* b = row(k) + n;
    for (int v = 0; v < V; ++v) acc[v] += a * load(b + v * kLanes);
  }
  for (int v = 0; v < V; ++v)
    store_sums(c + n + v * kLanes, acc[v], std::min<int64_t>(kLanes, count - v * kLanes), alpha, beta);
}

ANN_INLINE void scaled_rows(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda, const float* B,
                            int64_t ldb, float beta, float* C, int64_t ldc) {
  // Rows from `copied` on: a vector from column N − 1 on reads 15 floats past it, which is still
  // inside B only from (K − 1 − k)·ldb ≥ 15 on.
  const int64_t padded_width = (N + kLanes - 1) / kLanes * kLanes;
  const int64_t copied = K - std::min<int64_t>(K, 1 + (kLanes - 2) / ldb);
  thread_local std::vector<float> padded;
  padded.assign(static_cast<std::size_t>((K - copied) * padded_width), 0.f);
  for (int64_t k = copied; k < K; ++k)
    std::memcpy(padded.data() + (k - copied) * padded_width, B + k * ldb, static_cast<std::size_t>(N) * sizeof(float));
  const float* tail = padded.data();
  auto row = [B, ldb, copied, tail, padded_width](int64_t k) {
    return k < copied ? B + k * ldb : tail + (k - copied) * padded_width;
  };
  for (int64_t m = 0; m < M; ++m) {
    float* c = C + m * ldc;
    for (int64_t n = 0; n < N; n += 4 * kLanes) {
      const int64_t count = std::min<int64_t>(4 * kLanes, N - n);
      switch ((count + kLanes - 1) / kLanes) {
        case 1: scaled_block<1>(A + m * lda, n, count, K, alpha, row, beta, c); break;
        case 2: scaled_block<2>(A + m * lda, n, count, K, alpha, row, beta, c); break;
        case 3: scaled_block<3>(A + m * lda, n, count, K, alpha, row, beta, c); break;
        default: scaled_block<4>(A + m * lda, n, count, K, alpha, row, beta, c); break;
      }
    }
  }
}

ANN_KERNEL void few_rows_gemm_kernel_body(bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                                          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (!trans_b) return scaled_rows(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  switch (M) {
    case 1: return dot_products<1>(N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    case 2: return dot_products<2>(N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    case 3: return dot_products<3>(N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    default: return dot_products<4>(N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
}
ANN_DISPATCH_FLATTENED(few_rows_gemm_kernel)

}  // namespace

bool few_rows_gemm_applies(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, int64_t max_work) {
  // (dot products of fewer than 16 products would leave most of a vector's lanes empty)
  return !trans_a && M >= 1 && M <= kFewRowsMax && N >= 1 && M * N * K < max_work && (trans_b ? K >= kLanes : K >= 1);
}

void few_rows_gemm(bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                   const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  few_rows_gemm_kernel(trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace ann::backend::cpu
