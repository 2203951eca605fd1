#pragma once
// The one place that calls the tuned sgemm library. Swapping OpenBLAS for another BLAS
// (or oneDNN's dnnl_sgemm) changes this file's implementation only.
#include <cstdint>

namespace ann::backend::cpu {

/// Threads the sgemm library may use (see ann::set_num_threads).
void set_sgemm_threads(int threads);

/// C[M,N] = alpha * op(A) op(B) + beta * C, row-major.
void sgemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
           std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc);

}  // namespace ann::backend::cpu
