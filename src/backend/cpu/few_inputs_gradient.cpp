// The weight gradient of a layer of k ≤ 8 inputs (a first layer on tabular data or points):
//
//     dW[j, k] = Σ_r dz[r, j] · x[r, k]        db[j] = Σ_r dz[r, j]
//
// It reads dz once (rows × outputs floats, megabytes on a large batch) for k multiply-adds an
// element: bound by that pass. A library's product runs it as a general Aᵀ·B whose B is a
// sliver, packing for a register tile deep in k: oneDNN read dz at 9 GB/s inside a step (1709
// outputs, 3 inputs, 3626 rows; bench/README.md, stop 44), and at 13–20 alone.
//
// Here dz is read in groups of 16 rows, 16 columns at a time across the group, each row a stream
// the prefetcher follows. Each strip's k (+1) sums over the group are float multiply-adds, rows
// in order, then added to the strip's running sums in double. So each element is a sum of float
// sums of 16 rows, added in double: over 60 000 rows its rounding error is bounded as a 16-term
// float sum's, where one float sum's bound grows with all 60 000 terms (12 bits more). The
// groups start at row 0, every 16 rows, whatever blocks a caller adds (multiples of 16 rows) and
// however the columns are cut among threads: the same bits in sgemm's product and in the
// layer's fused backward (first_layer_backward), on any number of threads.
#include "backend/cpu/few_inputs_gradient.h"

#include <algorithm>
#include <vector>

#include "backend/cpu/elementwise.h"
#include "backend/cpu/parallel.h"
#include "backend/cpu/simd.h"
#include "backend/cpu/subnormals.h"
#include "backend/cpu/vec16.h"

namespace ann::backend::cpu {

namespace {

using std::int64_t;
using vec16::kLanes;
using vec16::Vec;
using Doubles = double __attribute__((vector_size(8 * sizeof(double))));

// Rows whose products a strip sums in float before adding them to its sums in double.
constexpr int64_t kGroupRows = 16;

ANN_INLINE Doubles load_doubles(const double* p) {
  Doubles v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
ANN_INLINE void store_doubles(double* p, Doubles v) { __builtin_memcpy(p, &v, sizeof v); }

// Adds rows [0, rows) (at most kGroupRows) into the sums, 16 columns at a time: each strip's
// products over the rows are summed in float, in order (one fused multiply-add a row), and that
// sum is added to the strip's double sums. A group's rows are read 16 columns at a time across
// their whole length, each row a stream the prefetcher follows; the strips' short chains of
// multiply-adds overlap. The last strip's lanes past `columns` read zeros (load_rest).
template <int N, bool Bias>
ANN_INLINE void add_group(int64_t rows, int64_t columns, const float* dz, int64_t ldz, const float* x, int64_t ldx,
                          double* sums, int64_t padded) {
  constexpr int S = N + (Bias ? 1 : 0);
  const float* const end = dz + (rows - 1) * ldz + columns;
  auto strip = [&](int64_t j, auto load_row) {
    Vec acc[S] = {};
    for (int64_t r = 0; r < rows; ++r) {
      const Vec d = load_row(dz + r * ldz + j);
      for (int k = 0; k < N; ++k) acc[k] += x[r * ldx + k] * d;
      if constexpr (Bias) acc[N] += d;
    }
    for (int s = 0; s < S; ++s) {
      double* sum = sums + s * padded + j;
      const Doubles lo = __builtin_convertvector(__builtin_shufflevector(acc[s], acc[s], 0, 1, 2, 3, 4, 5, 6, 7), Doubles);
      const Doubles hi =
          __builtin_convertvector(__builtin_shufflevector(acc[s], acc[s], 8, 9, 10, 11, 12, 13, 14, 15), Doubles);
      store_doubles(sum, load_doubles(sum) + lo);
      store_doubles(sum + 8, load_doubles(sum + 8) + hi);
    }
  };
  int64_t j = 0;
  for (; j + kLanes <= columns; j += kLanes) strip(j, [](const float* p) { return vec16::load(p); });
  if (j < columns) {
    const int64_t width = columns - j;
    const vec16::Mask first = vec16::first_lanes(width);
    strip(j, [&](const float* p) { return vec16::load_rest(p, width, end, first); });
  }
}

// Rows [0, rows) in groups of kGroupRows.
template <int N, bool Bias>
ANN_INLINE void add_block(int64_t rows, int64_t columns, const float* dz, int64_t ldz, const float* x, int64_t ldx,
                          double* sums, int64_t padded) {
  for (int64_t r = 0; r < rows; r += kGroupRows) {
    add_group<N, Bias>(std::min(kGroupRows, rows - r), columns, dz + r * ldz, ldz, x + r * ldx, ldx, sums, padded);
  }
}

template <int N>
ANN_INLINE void add_block_of(bool bias, int64_t rows, int64_t columns, const float* dz, int64_t ldz, const float* x,
                             int64_t ldx, double* sums, int64_t padded) {
  if (bias) {
    add_block<N, true>(rows, columns, dz, ldz, x, ldx, sums, padded);
  } else {
    add_block<N, false>(rows, columns, dz, ldz, x, ldx, sums, padded);
  }
}

ANN_KERNEL void add_kernel_body(int64_t inputs, bool bias, int64_t rows, int64_t columns, const float* dz,
                                int64_t ldz, const float* x, int64_t ldx, double* sums, int64_t padded) {
  switch (inputs) {
    case 1: add_block_of<1>(bias, rows, columns, dz, ldz, x, ldx, sums, padded); break;
    case 2: add_block_of<2>(bias, rows, columns, dz, ldz, x, ldx, sums, padded); break;
    case 3: add_block_of<3>(bias, rows, columns, dz, ldz, x, ldx, sums, padded); break;
    case 4: add_block_of<4>(bias, rows, columns, dz, ldz, x, ldx, sums, padded); break;
    case 5: add_block_of<5>(bias, rows, columns, dz, ldz, x, ldx, sums, padded); break;
    case 6: add_block_of<6>(bias, rows, columns, dz, ldz, x, ldx, sums, padded); break;
    case 7: add_block_of<7>(bias, rows, columns, dz, ldz, x, ldx, sums, padded); break;
    case 8: add_block_of<8>(bias, rows, columns, dz, ldz, x, ldx, sums, padded); break;
    default: break;
  }
}
ANN_DISPATCH_FLATTENED(add_kernel)

}  // namespace

bool few_inputs_gradient_applies(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, int64_t min_work) {
  return trans_a && !trans_b && N >= 1 && N <= kFewInputsMax && M >= 1 && M * N * K >= min_work;
}

OuterSums::OuterSums(int64_t columns, int64_t inputs, bool with_bias)
    : columns_(columns), inputs_(inputs), padded_((columns + kLanes - 1) / kLanes * kLanes), with_bias_(with_bias) {
  thread_local std::vector<double> buffer;
  buffer.assign(static_cast<std::size_t>((inputs_ + (with_bias_ ? 1 : 0)) * padded_), 0.0);
  sums_ = buffer.data();
}

void OuterSums::add(int64_t rows, const float* dz, int64_t ldz, const float* x, int64_t ldx) {
  // as ann's other products (gemm.cpp's top): a subnormal product costs a microcode assist
  const SubnormalsAsZero as_zeros;
  if (rows > 0 && columns_ > 0) add_kernel(inputs_, with_bias_, rows, columns_, dz, ldz, x, ldx, sums_, padded_);
}

void OuterSums::store_weight_gradient(float alpha, float beta, float* C, int64_t ldc) const {
  for (int64_t j = 0; j < columns_; ++j) {
    float* c = C + j * ldc;
    for (int64_t k = 0; k < inputs_; ++k) {
      const float sum = static_cast<float>(sums_[k * padded_ + j]);
      c[k] = beta == 0.f ? alpha * sum : alpha * sum + beta * c[k];  // (β = 0: C is not read, as BLAS)
    }
  }
}

void OuterSums::store_bias_gradient(float* db) const {
  for (int64_t j = 0; j < columns_; ++j) db[j] = static_cast<float>(sums_[inputs_ * padded_ + j]);
}

// About 64 KiB of rows (16 to 256 of them, a multiple of 16), which stay in L1 or L2 between
// the pass that writes them and the sums that read them.
int64_t OuterSums::rows_per_block(int64_t columns) {
  return std::clamp<int64_t>(rows_per_cache_block(columns), 16, 256) / kGroupRows * kGroupRows;
}

void few_inputs_gradient(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda, const float* B,
                         int64_t ldb, float beta, float* C, int64_t ldc) {
  OuterSums sums(M, N, false);
  sums.add(K, A, lda, B, ldb);
  sums.store_weight_gradient(alpha, beta, C, ldc);
}

void first_layer_backward(const float* x, const float* kept, const float* dy, float* dW, bool accumulate, float* db,
                          int64_t m, int64_t n, int64_t k, const Squash& f) {
  // Columns cut among the threads (about the work of k + 4 multiply-adds an element, the
  // derivative's share), no more parts than threads: the sums do not depend on the cut, and a
  // part narrower than the row makes its block of dz a row at a time (a call each).
  const int64_t parts =
      std::min<int64_t>(threads(), part_count(n, m * n * (k + 4), kMinParallelElements, kLanes));
  run_parts(parts, [&](int64_t p) {
    const int64_t first = part_begin(p, parts, n, kLanes), width = part_begin(p + 1, parts, n, kLanes) - first;
    OuterSums sums(width, k, db != nullptr);
    if (!f.applies) {
      sums.add(m, dy + first, n, x, k);
    } else {
      const int64_t block = OuterSums::rows_per_block(width);
      thread_local std::vector<float> scratch;  // (each worker's own)
      scratch.resize(static_cast<std::size_t>(block * width));
      for (int64_t r0 = 0; r0 < m; r0 += block) {
        const int64_t rows = std::min(block, m - r0);
        squash_derivative_block(f, kept_by_layers(f), kept, dy, n, r0, rows, first, width, scratch.data(), width);
        sums.add(rows, scratch.data(), width, x + r0 * k, k);
      }
    }
    sums.store_weight_gradient(1.f, accumulate ? 1.f : 0.f, dW + first * k, k);
    if (db) sums.store_bias_gradient(db + first);
  });
}

}  // namespace ann::backend::cpu
