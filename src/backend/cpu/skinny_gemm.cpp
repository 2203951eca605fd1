// C[M, N] = α·A·Bᵀ + β·C for N ≤ 64: the forward product of a layer with few outputs.
//
//     C[m, n] = α · Σ_k A[m, k] · B[n, k] + β · C[m, n]
//
// A library's general kernel blocks N by its register tile (48 floats for oneDNN) and packs A,
// the large operand, into panels on every call: for a [53254, 262] × [262, 37] product that ran
// at a third of the FMA peak. Here B (the layer's weights, small) is packed once as Bt [K][Np],
// Np = N rounded up to 16, so that its row k is V = Np/16 vectors; A is read where it lies.
// A register tile holds R rows × V vectors of C; per k it loads V vectors of Bt, broadcasts R
// values of A (one from each row, consecutive in k: each row's cache lines are read in order)
// and issues R·V fused multiply-adds. Each element's sum runs over k in order, whatever the
// tile and the row it falls in: cutting the rows anywhere gives the same bits.
#include "backend/cpu/skinny_gemm.h"

#include <algorithm>

#include "backend/cpu/simd.h"
#include "backend/cpu/vec16.h"

namespace ann::backend::cpu {

namespace {

using vec16::kLanes;
using vec16::load;
using vec16::store;
using vec16::Vec;

// Rows per register tile for V vectors: 16, 12, 8 and 6 rows, R·V accumulators of the 32
// registers, the rest for Bt's row and the broadcast.
constexpr int rows_for(int V) { return V == 1 ? 16 : V == 2 ? 12 : V == 3 ? 8 : 6; }

template <int V, int R>
ANN_INLINE void tile(std::int64_t rows, std::int64_t N, std::int64_t K, float alpha, const float* A, std::int64_t lda,
                     const float* Bt, float beta, float* C, std::int64_t ldc) {
  Vec acc[R][V] = {};
  for (std::int64_t k = 0; k < K; ++k) {
    // The next tile's rows, a cache line of each every 16 k: A comes from memory (it is tens of
    // megabytes here), and its R rows read side by side were too many streams for the hardware
    // prefetcher (53254×37×262 90 → 106 GFLOP/s, 60000×16×784 68 → 95). A prefetch past A's end
    // reads nothing.
    if (k % 16 == 0)
      for (int r = 0; r < R; ++r) __builtin_prefetch(A + (r + R) * lda + k);
    Vec b[V];
    for (int v = 0; v < V; ++v) b[v] = load(Bt + k * V * kLanes + v * kLanes);
    for (int r = 0; r < R; ++r) {
      const float a = A[r * lda + k];
      for (int v = 0; v < V; ++v) acc[r][v] += a * b[v];
    }
  }
  for (std::int64_t r = 0; r < rows; ++r) {
    float* c = C + r * ldc;
    for (int v = 0; v < V; ++v) {
      const std::int64_t n0 = v * kLanes, width = std::min<std::int64_t>(kLanes, N - n0);
      if (width <= 0) break;
      alignas(64) float out[kLanes];
      store(out, acc[r][v]);
      if (beta == 0.f) {
        for (std::int64_t j = 0; j < width; ++j) c[n0 + j] = alpha * out[j];
      } else {
        for (std::int64_t j = 0; j < width; ++j) c[n0 + j] = alpha * out[j] + beta * c[n0 + j];
      }
    }
  }
}

// Full tiles of R rows, then the last M mod R rows one at a time.
template <int V>
ANN_INLINE void rows_of(std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A, std::int64_t lda,
                        const float* Bt, float beta, float* C, std::int64_t ldc) {
  constexpr int R = rows_for(V);
  std::int64_t m = 0;
  for (; m + R <= M; m += R) tile<V, R>(R, N, K, alpha, A + m * lda, lda, Bt, beta, C + m * ldc, ldc);
  for (; m < M; ++m) tile<V, 1>(1, N, K, alpha, A + m * lda, lda, Bt, beta, C + m * ldc, ldc);
}

ANN_KERNEL void skinny_gemm_kernel_body(std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
                                        std::int64_t lda, const float* Bt, float beta, float* C, std::int64_t ldc) {
  switch ((N + kLanes - 1) / kLanes) {
    case 1: rows_of<1>(M, N, K, alpha, A, lda, Bt, beta, C, ldc); break;
    case 2: rows_of<2>(M, N, K, alpha, A, lda, Bt, beta, C, ldc); break;
    case 3: rows_of<3>(M, N, K, alpha, A, lda, Bt, beta, C, ldc); break;
    case 4: rows_of<4>(M, N, K, alpha, A, lda, Bt, beta, C, ldc); break;
    default: break;
  }
}
ANN_DISPATCH(skinny_gemm_kernel)

// B's N rows, K long, as the K rows of Bt, Np long (the rows' 16 lanes at a time, by 16 × 16
// transposes; rows past N as zeros): 0.05–0.4 ns a float where one at a time took 1.8.
ANN_KERNEL void pack_kernel_body(const float* B, std::int64_t ldb, std::int64_t N, std::int64_t K, float* Bt,
                                 std::int64_t Np) {
  vec16::to_lanes(B, ldb, N, K, Bt, Np);
}
ANN_DISPATCH(pack_kernel)

}  // namespace

// Where it runs, by measurement against oneDNN's sgemm through the same tiles (one thread, this
// project's Xeon; bench/README.md, stop 33). oneDNN is as fast or faster while A fits in cache,
// and falls behind once A is tens of megabytes (GFLOP/s, skinny against oneDNN):
//   M × K × N         60000×784×64  60000×128×64  53254×262×37  60000×784×16  8192×784×64  60000×32×37
//   skinny                  149            130            97             62           149           94
//   oneDNN                   92            103            71             57           150          121
// so A of at least kSkinnyMinA floats (28 MiB), and K of at least 16.
constexpr std::int64_t kSkinnyMinA = std::int64_t{7} << 20;

bool skinny_gemm_applies(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K) {
  return !trans_a && trans_b && N >= 1 && N <= kSkinnyMaxColumns && K >= 16 && M * K >= kSkinnyMinA;
}

// The same kernel serves a layer's forward on a mini-batch through large weights, C = X·Wᵀ with
// X of 16 to 64 rows, as Cᵀ = W·Xᵀ: W is the large operand, read where it lies, and X is packed.
// oneDNN packs W's panels on every call, a pass over megabytes for a product of a few rows.
// Measured on this project's AMD EPYC (Zen 5; bench/README.md, stop 43), sgemm before → after,
// GFLOP/s, one thread, best of 3 runs of 10 calls after 10 warm-up calls:
//   rows × N × K    16×1024×1024  32×1024×1024  59×2927×2927  32×4096×4096  17×4096×1024  64×1024×784
//   oneDNN                61           128           120           100            76           206
//   transposed            86           195           196           173           117           228
// Of 16 shapes of 16–64 rows with W of at least 2¹⁹ floats (twice L2) and K of at least 512, none
// lost (1.01–1.74×). With W of 2¹⁸ to 2¹⁹ floats 5 of 9 lost or drew (0.89–0.99×; the others
// 1.19–2.55×), with K of 128 to 384 all 6 drew (0.97–1.05×), and under 16 rows, where most of a
// vector's lanes hold no row, it lost (0.34–0.98× at 5 and 8 rows).
bool skinny_transposed_applies(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K) {
  return !trans_a && trans_b && M >= 16 && M <= kSkinnyMaxColumns && K >= 512 && N * K >= (std::int64_t{1} << 19);
}

std::int64_t skinny_packed_row(std::int64_t N) { return (N + kLanes - 1) / kLanes * kLanes; }
std::int64_t skinny_packed_floats(std::int64_t N, std::int64_t K) { return K * skinny_packed_row(N); }

void pack_skinny_b(std::int64_t N, std::int64_t K, const float* B, std::int64_t ldb, float* Bt) {
  pack_kernel(B, ldb, N, K, Bt, skinny_packed_row(N));
}

void skinny_gemm(std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A, std::int64_t lda,
                 const float* Bt, float beta, float* C, std::int64_t ldc) {
  skinny_gemm_kernel(M, N, K, alpha, A, lda, Bt, beta, C, ldc);
}

}  // namespace ann::backend::cpu
