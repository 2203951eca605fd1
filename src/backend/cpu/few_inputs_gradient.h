#pragma once
// The weight gradient of a layer of few inputs, dW = dzᵀ·x, and the bias's, db = Σ_rows dz:
// sgemm's product for such a shape, and the layer's backward that makes dz a block at a time.
// The math and why: few_inputs_gradient.cpp.
#include <cstdint>

#include "backend/backend.h"

namespace ann::backend::cpu {

/// The most inputs (columns of x, and of dW) these sums take.
constexpr std::int64_t kFewInputsMax = 8;

/// Whether sgemm runs C = α·op(A)·op(B) + β·C of this shape as few_inputs_gradient: op(A) = Aᵀ,
/// op(B) = B of 1 to kFewInputsMax columns, at least `min_work` multiply-adds (where sgemm runs
/// no library of PyTorch's rounding). A function of the shape alone.
bool few_inputs_gradient_applies(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
                                 std::int64_t min_work);

/// The running sums of one column range of dz: for each input k (and, where asked, the bias's),
/// Σ_rows dz[r, j]·x[r, k], in float over each group of 16 rows and in double across groups
/// (few_inputs_gradient.cpp). Rows are added block after block, each block but the last a
/// multiple of 16 rows: then the sums are the same however the rows are cut into blocks and the
/// columns among callers. The sums live in the calling thread's buffer, kept from call to call
/// (no allocation): one OuterSums per thread at a time.
class OuterSums {
 public:
  /// Zero sums for `columns` columns of dz and `inputs` (1 to kFewInputsMax) columns of x.
  OuterSums(std::int64_t columns, std::int64_t inputs, bool with_bias);
  /// Adds rows [0, rows) of dz (leading dimension ldz, this range's first column at dz) and of x
  /// (leading dimension ldx).
  void add(std::int64_t rows, const float* dz, std::int64_t ldz, const float* x, std::int64_t ldx);
  /// C[j, k] = α·Σ_r dz[r, j]·x[r, k] + β·C[j, k] (β = 0: C is not read), rounded once to float.
  void store_weight_gradient(float alpha, float beta, float* C, std::int64_t ldc) const;
  /// db[j] = Σ_r dz[r, j], rounded once (with_bias only).
  void store_bias_gradient(float* db) const;
  /// Rows per block (a multiple of 16) for a caller that makes dz a block at a time: about 64 KiB
  /// of `columns` floats wide.
  static std::int64_t rows_per_block(std::int64_t columns);

 private:
  std::int64_t columns_, inputs_, padded_;
  bool with_bias_;
  double* sums_;  // [inputs (+1)][padded_]: a row of sums per input, the bias's last
};

/// Backend::first_layer_backward: dz made a block of rows at a time (OuterSums::rows_per_block)
/// by the activation's derivative, summed while the block is in cache; the columns cut among the
/// threads.
void first_layer_backward(const float* x, const float* kept, const float* dy, float* dW, bool accumulate, float* db,
                          std::int64_t m, std::int64_t n, std::int64_t k, const Squash& f);

/// C = α·Aᵀ·B + β·C where few_inputs_gradient_applies (A [K, M], B [K, N]: C's M rows are dz's
/// columns), on the calling thread; each element as OuterSums sums it.
void few_inputs_gradient(std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
                         std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc);

}  // namespace ann::backend::cpu
