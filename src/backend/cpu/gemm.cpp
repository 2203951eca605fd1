#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <type_traits>
#include <vector>

#include "backend/cpu/sgemm.h"
#include "backend/cpu/few_inputs_gradient.h"
#include "backend/cpu/few_rows_gemm.h"
#include "backend/cpu/parallel.h"
#include "backend/cpu/skinny_gemm.h"
#include "backend/cpu/subnormals.h"

// The engines behind sgemm.h, chosen by measurement (bench/README.md, "GEMM library"):
//   - float32 products of at least kOneDnnMinWork multiply-adds run oneDNN's dnnl_sgemm, which
//     picks its kernels from the CPU's features. OpenBLAS 0.3.21 picks them from the CPU's model
//     number, and falls back to SSE3 on models it does not know: a fifth of the speed on this
//     project's Xeon (family 6, model 207), where oneDNN reaches 90 % of the FMA peak.
//   - tinier float32 products, and every float64 one (oneDNN has no dgemm), run OpenBLAS, the
//     library Debian's PyTorch calls. The tiny ones cost a call's overhead either way, and in
//     OpenBLAS they round as PyTorch's do: the lesson's regression (100 × 100 × 1 products)
//     then stays on PyTorch's curves through its 1000 Adam steps even where no fused kernel
//     runs (with oneDNN's rounding its nets drift from them by 1.3e-4 on the checked device).
//     On a model OpenBLAS knows (model 167 here: its SkylakeX kernel) oneDNN still measured
//     5-25 % faster on most of the sweep's large products (bench/gemm_libraries M N K,
//     bench/README.md, stop 33).
//   - but the tiny products of 1 to 4 rows, a layer's forward and input gradient on such a
//     batch, run ann's own few_rows_gemm.h: OpenBLAS took five to six times as long there
//     (stop 41);
//   - and ann's own kernel, skinny_gemm.h, for A·Bᵀ with at most 64 columns and an A of tens of
//     megabytes (a layer of many inputs and few outputs on many rows), where oneDNN runs at a
//     third to a half of the FMA peak; and, transposed, for A·Bᵀ with 16 to 64 rows and a B of
//     megabytes (a wide layer's forward on a mini-batch), where oneDNN packs B on every call;
//   - and A·Bᵀ of 512 rows or more (a layer's forward on a large batch) runs oneDNN on B
//     transposed first, whose kernels for B as it lies are the faster (sgemm_transposes_b);
//   - and Aᵀ·B with B of at most 8 columns (a layer of few inputs' weight gradient over a batch)
//     runs ann's own sums, few_inputs_gradient.h: the libraries read A at 9–20 GB/s there.
// oneDNN's and ann's own products read and make subnormal floats as zeros (subnormals.h): they
// promise no bits against PyTorch's library, and a net trained close to a zero loss (subnormal
// gradients) spent most of its products in microcode assists: 30-256-256-2 on the breast-cancer
// table, batches of 32, 100 epochs, 0.50 s → 0.30 s. OpenBLAS's products, which round as
// PyTorch's, keep them, as PyTorch does.
// The choice depends on the whole product's shape, never on the thread count. oneDNN's kernels
// also depend on the number of rows: a row of a product may differ in the last bits from the
// same row in a product of another batch size (PyTorch's libraries promise no more).
extern "C" void omp_set_num_threads(int);  // libgomp, oneDNN's threading runtime on Debian

namespace ann::backend::cpu {

// Why the thread count cannot change a result
// -------------------------------------------
// Each library call runs on one thread here: a library's own threading changes how a product is
// blocked, and so the last bits (measured: 62 % of a 700×513×301 product differ between 1 and 2
// OpenBLAS threads). ann cuts the rows of C into tiles instead, and the tiles depend on the
// shape (M, N, K) alone, never on the thread count: one thread or many, every tile is the same
// library call on the same memory, and threads only share out whole tiles. Each element of C
// is therefore summed by the same kernel code in the same order whatever the thread count —
// whichever kernel the library runs, because nothing here assumes how a kernel walks a matrix.
// (One assumption is left: every thread rounds alike. New threads start with the default
// floating-point environment; a program that sets flush-to-zero on its main thread only would
// see the worker threads' tiles differ in subnormals.)
//
// The earlier design gave each thread a block of rows cut at multiples of 16 and relied on
// every kernel treating a row the same at any offset. OpenBLAS 0.3.21's Haswell kernel (also
// Zen's; sgemm_kernel_8x4_haswell_2.c) does not: it walks the columns of its column-major C —
// ann's rows — in groups of 12, then 8, 4, 2, 1, and its 8×4 tail sums k in two interleaved
// chains (even and odd k, added at the end) where the others use one. A row's sum thus
// depends on its position in the call; only cuts at multiples of 12 are safe there, while
// the SkylakeX/Cooperlake/Sandybridge kernels allow any cut (tools/portability.sh measures it).
namespace {
std::once_flag configured;
std::atomic<int> threads_wanted{1};

void configure_once() { std::call_once(configured, [] { openblas_set_num_threads(1); }); }

// oneDNN's sgemm takes as many threads as OpenMP offers the calling thread, and every thread
// that calls it starts with OpenMP's default (all cores): each caller, ann's workers included,
// limits itself to one, once.
void one_omp_thread_here() {
  thread_local const bool limited = (omp_set_num_threads(1), true);
  (void)limited;
}

// Below this many multiply-adds a tile is not worth a thread of its own.
constexpr std::int64_t kMinTileWork = std::int64_t{1} << 22;

// Products of fewer multiply-adds run OpenBLAS (see the top of this file): there the two
// libraries' times differ by a microsecond or so (a 14 × 31 × 31 product: 2.1 µs in OpenBLAS's
// SSE3 kernel, 1.4 µs in oneDNN).
constexpr std::int64_t kOneDnnMinWork = std::int64_t{1} << 16;

// One library call for `count` rows of a product of `work` multiply-adds: dnnl_sgemm or
// cblas_sgemm; cblas_dgemm for double.
void gemm_call(std::int64_t work, bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
               float alpha, const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
               std::int64_t ldc) {
  if (work < kOneDnnMinWork || K == 0) {  // oneDNN refuses K = 0, which BLAS defines as C = beta·C
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                static_cast<blasint>(M), static_cast<blasint>(N), static_cast<blasint>(K), alpha, A,
                static_cast<blasint>(lda), B, static_cast<blasint>(ldb), beta, C, static_cast<blasint>(ldc));
    return;
  }
  one_omp_thread_here();
  const SubnormalsAsZero as_zeros;  // (see the top of this file)
  // dnnl_sgemm is row-major, as ann; it fails only on invalid arguments, which the callers exclude.
  dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void gemm_call(std::int64_t, bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
               double alpha, const double* A, std::int64_t lda, const double* B, std::int64_t ldb, double beta, double* C,
               std::int64_t ldc) {
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(M), static_cast<blasint>(N), static_cast<blasint>(K), alpha, A,
              static_cast<blasint>(lda), B, static_cast<blasint>(ldb), beta, C, static_cast<blasint>(ldc));
}

// B [N, K] packed for skinny_gemm in the calling thread's buffer, kept from call to call (no
// allocation; the workers' own buffers are others).
const float* packed_for_skinny(std::int64_t N, std::int64_t K, const float* B, std::int64_t ldb) {
  thread_local std::vector<float> packed;
  packed.resize(static_cast<std::size_t>(skinny_packed_floats(N, K)));
  pack_skinny_b(N, K, B, ldb, packed.data());
  return packed.data();
}

// The tiled product of sgemm and dgemm (see the top of this file): tiles of rows, or, when the
// rows make one tile (a batch of a few rows), tiles of columns. C[:, c0:c1] = op(A) op(B)[:, c0:c1],
// whose B starts c0 columns across B, or c0 rows down B when op(B) = Bᵀ.
template <class T>
void tiled_gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* A,
                std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc) {
  if (M == 0 || N == 0) return;
  configure_once();
  const SgemmTiles tiles = sgemm_tiles(M, N, K);
  // part p of P parts of `count` (sgemm_tiles' parts: whole multiples of 16)
  auto begin = [](std::int64_t p, std::int64_t parts, std::int64_t count) { return part_begin(p, parts, count, 16); };
  if constexpr (std::is_same_v<T, float>) {
    if (few_rows_gemm_applies(trans_a, trans_b, M, N, K, kOneDnnMinWork)) {  // (one tile: its work is small)
      few_rows_gemm(trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      return;
    }
    if (sgemm_sums_few_inputs(trans_a, trans_b, M, N, K)) {
      // C's rows (dz's columns) cut among the threads, no more parts than threads (each part reads
      // a strip of every row of A); an element's sums do not depend on the cut
      const std::int64_t parts = std::min<std::int64_t>(threads(), part_count(M, M * N * K, kMinTileWork, 16));
      run_parts(parts, [&](std::int64_t t) {
        const std::int64_t first = begin(t, parts, M), count = begin(t + 1, parts, M) - first;
        few_inputs_gradient(count, N, K, alpha, A + first, lda, B, ldb, beta, C + first * ldc, ldc);
      });
      return;
    }
    if (skinny_gemm_applies(trans_a, trans_b, M, N, K)) {  // (M > N: tiles of rows)
      const float* Bt = packed_for_skinny(N, K, B, ldb);
      run_parts(tiles.row_parts, [&](std::int64_t t) {
        const SubnormalsAsZero as_zeros;  // (see the top of this file)
        const std::int64_t first = begin(t, tiles.row_parts, M), count = begin(t + 1, tiles.row_parts, M) - first;
        skinny_gemm(count, N, K, alpha, A + first * lda, lda, Bt, beta, C + first * ldc, ldc);
      });
      return;
    }
    if (skinny_transposed_applies(trans_a, trans_b, M, N, K)) {
      // Cᵀ = B·Aᵀ by skinny_gemm into `transposed` ([N, M], contiguous: written into C's columns
      // directly, its stores a row of C apart met in a few cache sets), B's rows cut into parts,
      // each part then copied into its columns of C.
      const float* At = packed_for_skinny(M, K, A, lda);
      thread_local std::vector<float> transposed;
      transposed.resize(static_cast<std::size_t>(N * M));
      float* const Ct = transposed.data();  // (the workers' own `transposed` are other vectors)
      const std::int64_t parts = part_count(N, M * N * K, kMinTileWork, 16);
      run_parts(parts, [&](std::int64_t t) {
        const SubnormalsAsZero as_zeros;  // (see the top of this file)
        const std::int64_t first = begin(t, parts, N), last = begin(t + 1, parts, N);
        skinny_gemm(last - first, M, K, alpha, B + first * ldb, ldb, At, 0.f, Ct + first * M, M);
        for (std::int64_t i = 0; i < M; ++i) {
          float* c = C + i * ldc;
          if (beta == 0.f) {  // never reads C (BLAS)
            for (std::int64_t j = first; j < last; ++j) c[j] = Ct[j * M + i];
          } else {
            for (std::int64_t j = first; j < last; ++j) c[j] = Ct[j * M + i] + beta * c[j];
          }
        }
      });
      return;
    }
  }
  if constexpr (std::is_same_v<T, float>) {
    if (sgemm_transposes_b(trans_a, trans_b, M, N, K)) {  // B packed as Bᵀ: the product runs A·Bᵀ as A·(Bᵀ)
      const float* Bt = packed_for_skinny(N, K, B, ldb);
      tiled_gemm(false, false, M, N, K, alpha, A, lda, Bt, skinny_packed_row(N), beta, C, ldc);
      return;
    }
  }
  if (tiles.depth_parts > 1) {
    // Slices of k, each summed by one library call into a partial C of its own; then C =
    // alpha·Σ partials + beta·C, the partials added in slice order.
    const std::int64_t slices = tiles.depth_parts, size = M * N;
    thread_local std::vector<T> partials;  // kept from call to call: no allocation, no page faults
    partials.resize(static_cast<std::size_t>(slices * size));
    T* const partial = partials.data();  // (the workers' own `partials` are other vectors)
    run_parts(slices, [&](std::int64_t p) {
      const std::int64_t first = begin(p, slices, K), count = begin(p + 1, slices, K) - first;
      // column `first` of op(A) starts `first` rows down Aᵀ, or `first` columns across A; row
      // `first` of op(B) starts `first` columns across Bᵀ, or `first` rows down B
      const T* a = trans_a ? A + first * lda : A + first;
      const T* b = trans_b ? B + first : B + first * ldb;
      gemm_call(M * N * K, trans_a, trans_b, M, N, count, T{1}, a, lda, b, ldb, T{0}, partial + p * size, N);
    });
    for (std::int64_t p = 1; p < slices; ++p) {  // into the first partial, a slice at a time
      const T* next = partial + p * size;
      for (std::int64_t e = 0; e < size; ++e) partial[e] += next[e];
    }
    for (std::int64_t i = 0; i < M; ++i) {
      const T* sum = partial + i * N;
      T* c = C + i * ldc;
      if (beta == T{0}) {  // never reads C (BLAS)
        for (std::int64_t j = 0; j < N; ++j) c[j] = alpha * sum[j];
      } else {
        for (std::int64_t j = 0; j < N; ++j) c[j] = alpha * sum[j] + beta * c[j];
      }
    }
    return;
  }
  const std::int64_t row_tiles = tiles.row_parts, column_tiles = tiles.column_parts;
  run_parts(row_tiles * column_tiles, [&](std::int64_t t) {
    const std::int64_t r = t / column_tiles, c = t % column_tiles;
    const std::int64_t first = begin(r, row_tiles, M), count = begin(r + 1, row_tiles, M) - first;
    const std::int64_t first_column = begin(c, column_tiles, N), width = begin(c + 1, column_tiles, N) - first_column;
    // row `first` of op(A) starts `first` rows down A, or `first` columns across Aᵀ
    const T* a = trans_a ? A + first : A + first * lda;
    const T* b = trans_b ? B + first_column * ldb : B + first_column;
    gemm_call(M * N * K, trans_a, trans_b, count, width, K, alpha, a, lda, b, ldb, beta, C + first * ldc + first_column,
              ldc);
  });
}
}  // namespace

// At most 8 tiles, a power of two (part_count: 2, 4 or 8 threads share them evenly), few enough
// that re-reading the other operand once a tile costs little; multiples of 16 rows or columns,
// whole cache lines of C. The cut goes across C's longer side: each tile reads all of the
// operand on the other side (and the library packs it again), so that operand must be the
// smaller one. A [59, 2927] × [2927, 2927]ᵀ product (a wide layer's forward on a mini-batch)
// cut into 4 tiles of rows read its 34 MB of weights 4 times and ran at 47 GFLOP/s on one
// thread; cut into 8 tiles of columns it runs at 125 (bench/README.md, stop 33).
//
// A product much deeper than C is wide or tall (a layer's weight gradient dzᵀ·x over a large
// batch: C is outputs × inputs, k runs over the rows) is cut along k instead: tiles of C would
// each re-read all of the operand across them, the slices of k read each operand once, and
// their partial Cs are small. BM_weight_gradient, one thread, GFLOP/s in tiles of C → in
// slices of k: 37 × 262 over 53254 rows 77 → 107, 120 × 120 over 69106 rows 79 → 103, 64 × 784
// over 60000 rows 88 → 146, 1024 × 1024 over 8192 rows 135 → 153. Where k is only 2 to 4
// times C's side, slices lose (1024 × 1024 over 4096 rows: 146 → 124), hence the factor 8.
SgemmTiles sgemm_tiles(std::int64_t M, std::int64_t N, std::int64_t K) {
  const std::int64_t work = M * N * std::max<std::int64_t>(K, 1);
  SgemmTiles tiles;
  tiles.row_parts = N > M ? 1 : part_count(M, work, kMinTileWork, 16);  // a wide C: its columns are cut
  tiles.column_parts = tiles.row_parts > 1 ? 1 : part_count(N, work, kMinTileWork, 16);
  tiles.depth_parts = K < 8 * std::max(M, N) ? 1 : part_count(K, work, kMinTileWork, 16);
  return tiles;
}
// A·Bᵀ of many rows runs as A·(Bᵀ), B transposed into a buffer first (pack_skinny_b's layout):
// oneDNN's kernels for op(B) = Bᵀ ran 5–20 % slower than for B as it lies (1811 × 574 × 574:
// 193 against 233 GFLOP/s alone, 170 against 227 inside a training step, its forward's products
// against its backward's), and the transposition, a pass over B, costs a few percent of a
// product of 512 rows or more (bench/README.md, stop 44). The library's other kernels round
// alike on most shapes (the same bits on 15 of 16 measured; 1000³ differed by 4e-5).
bool sgemm_transposes_b(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K) {
  return !trans_a && trans_b && M >= 512 && N >= 16 && K >= 16;
}

bool sgemm_sums_few_inputs(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K) {
  return few_inputs_gradient_applies(trans_a, trans_b, M, N, K, kOneDnnMinWork);
}

void set_threads(int count) {
  configure_once();
  threads_wanted = count;
}
int threads() { return threads_wanted.load(std::memory_order_relaxed); }

void sgemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
           std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc) {
  tiled_gemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void dgemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, double alpha, const double* A,
           std::int64_t lda, const double* B, std::int64_t ldb, double beta, double* C, std::int64_t ldc) {
  tiled_gemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace ann::backend::cpu
