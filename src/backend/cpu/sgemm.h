#pragma once
// The one place that calls the tuned sgemm library. Swapping OpenBLAS for another BLAS
// (or oneDNN's dnnl_sgemm) changes this file's implementation only.
#include <cstdint>

namespace ann::backend::cpu {

/// C[M,N] = alpha * op(A) op(B) + beta * C, row-major. The result does not depend on the
/// thread count: C is cut into tiles, or k into slices, by the shape alone (sgemm_tiles), one
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

/// How sgemm and dgemm cut a product into library calls, a function of the shape alone: k into
/// `depth_parts` slices where that is above 1 (a product much deeper than C is wide or tall:
/// each slice summed into a partial C, and C their sum in slice order); else C's rows into
/// `row_parts` tiles, or, where that is 1 (C wider than tall, or a product of a few rows), its
/// columns into `column_parts`. Each count is 1, 2, 4 or 8 (parallel.h's part_count), and the
/// parts are whole multiples of 16 as even as can be (part_begin).
struct SgemmTiles {
  std::int64_t row_parts = 1, column_parts = 1, depth_parts = 1;
};
SgemmTiles sgemm_tiles(std::int64_t M, std::int64_t N, std::int64_t K);

/// Whether sgemm runs A·Bᵀ (op(A) = A, op(B) = Bᵀ) as A times B transposed into a buffer, with
/// the tiles of that product: many rows of A (measured; gemm.cpp). A function of the shape alone.
bool sgemm_transposes_b(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K);

/// Whether sgemm runs Aᵀ·B with few_inputs_gradient.h's sums: B of 1 to kFewInputsMax columns (a
/// layer of few inputs' weight gradient), a product the libraries would run (not a tiny one). A
/// function of the shape alone.
bool sgemm_sums_few_inputs(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K);

}  // namespace ann::backend::cpu
