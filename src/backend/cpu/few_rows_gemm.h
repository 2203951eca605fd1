#pragma once
// C = α·A·op(B) + β·C for the tiny products of a batch of a few rows: a layer's forward and its
// input gradient on 1 to 4 rows. The math and why: few_rows_gemm.cpp.
#include <cstdint>

namespace ann::backend::cpu {

/// The most rows few_rows_gemm takes.
constexpr std::int64_t kFewRowsMax = 4;

/// Whether sgemm runs C = α·op(A)·op(B) + β·C of this shape with few_rows_gemm: op(A) = A of 1
/// to kFewRowsMax rows, N ≥ 1, fewer than `max_work` multiply-adds (the products a library runs
/// for less than its call costs), K ≥ 16 where op(B) = Bᵀ and K ≥ 1 where op(B) = B. A function
/// of the shape alone.
bool few_rows_gemm_applies(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
                           std::int64_t max_work);

/// C = α·A·op(B) + β·C where few_rows_gemm_applies (β = 0: C is not read), on the calling thread.
/// Each element comes out the same whatever M and N and wherever it falls in them.
void few_rows_gemm(bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
                   std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc);

}  // namespace ann::backend::cpu
