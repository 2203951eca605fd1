#pragma once
// C = α·A·Bᵀ + β·C where B has few rows: a layer with many inputs and few outputs (784 → 32,
// 262 → 37) on many rows. The math and the schedule: skinny_gemm.cpp.
#include <cstdint>

namespace ann::backend::cpu {

/// The most rows of B (columns of C) skinny_gemm takes.
constexpr std::int64_t kSkinnyMaxColumns = 64;

/// Whether sgemm runs C = α·op(A)·op(B) + β·C of this shape with skinny_gemm: op(A) = A, op(B) =
/// Bᵀ, N at most kSkinnyMaxColumns, and M and K large enough that it beats the library there
/// (measured; gemm.cpp's top). A function of the shape alone.
bool skinny_gemm_applies(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K);

/// Whether sgemm runs C = α·op(A)·op(B) + β·C of this shape as Cᵀ = op(B)ᵀ·op(A)ᵀ with
/// skinny_gemm, A packed as its B: op(A) = A of 16 to kSkinnyMaxColumns rows (a mini-batch),
/// op(B) = Bᵀ of megabytes (a wide layer's weights). A function of the shape alone (measured;
/// skinny_gemm.cpp).
bool skinny_transposed_applies(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K);

/// The length of a row of skinny_gemm's packed B: N rounded up to 16.
std::int64_t skinny_packed_row(std::int64_t N);
/// The floats skinny_gemm's packed B takes (pack_skinny_b's output): K rows of skinny_packed_row(N).
std::int64_t skinny_packed_floats(std::int64_t N, std::int64_t K);
/// B [N, K] (leading dimension ldb) as Bt [K][skinny_packed_row(N)], zero-padded.
void pack_skinny_b(std::int64_t N, std::int64_t K, const float* B, std::int64_t ldb, float* Bt);
/// Rows [0, M) of C = α·A·Bᵀ + β·C from the packed B, on the calling thread (β = 0: C is not
/// read). Each element sums its K products in order, whatever M: rows cut anywhere give the
/// same values.
void skinny_gemm(std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A, std::int64_t lda,
                 const float* Bt, float beta, float* C, std::int64_t ldc);

}  // namespace ann::backend::cpu
