#pragma once
// The one place that calls the tuned sgemm library. Swapping OpenBLAS for another BLAS
// (or oneDNN's dnnl_sgemm) changes this file's implementation only.
#include <cstdint>

namespace ann::backend::cpu {

/// C[M,N] = alpha * op(A) op(B) + beta * C, row-major. The result does not depend on the
/// thread count: C is cut into tiles of sgemm_tile_rows(M, N, K) rows and
/// sgemm_tile_columns(M, N, K) columns, or k into slices of sgemm_tile_depth(M, N, K), one
/// library call each, and threads share out whole tiles or slices.
void sgemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
           std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc);
/// The same in double precision (the library's dgemm, tiled alike).
void dgemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, double alpha, const double* A,
           std::int64_t lda, const double* B, std::int64_t ldb, double beta, double* C, std::int64_t ldc);
/// sgemm or dgemm by the element type.
inline void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                 const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                 std::int64_t ldc) {
  sgemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
inline void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, double alpha,
                 const double* A, std::int64_t lda, const double* B, std::int64_t ldb, double beta, double* C,
                 std::int64_t ldc) {
  dgemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/// The rows of C that one library call computes: a function of the shape alone. All M when C
/// has more columns than rows (its columns are cut instead).
std::int64_t sgemm_tile_rows(std::int64_t M, std::int64_t N, std::int64_t K);
/// The k of one library call: all K, unless the product is much deeper than C is wide or tall;
/// then k is cut into slices, each summed into a partial C, and C is their sum in slice order
/// (C is not cut then).
std::int64_t sgemm_tile_depth(std::int64_t M, std::int64_t N, std::int64_t K);
/// Its columns: all N, unless the rows make one tile (C wider than tall, or a product of a few
/// rows), in which case the columns are cut alike.
std::int64_t sgemm_tile_columns(std::int64_t M, std::int64_t N, std::int64_t K);

}  // namespace ann::backend::cpu
