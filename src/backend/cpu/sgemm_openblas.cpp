#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "backend/cpu/sgemm.h"

namespace ann::backend::cpu {

namespace {
// OpenBLAS always runs on one thread here: its own threading changes how a product is
// blocked, and so the last bits of the result (measured: 62 % of a 700×513×301 product
// differ between 1 and 2 OpenBLAS threads). ann splits the rows of C among its own threads
// instead; each row is then summed exactly as in a single call (checked bit for bit).
std::once_flag configured;
std::atomic<int> threads_wanted{1};

void configure_once() { std::call_once(configured, [] { openblas_set_num_threads(1); }); }

// Below this many multiply-adds a product is not worth a thread.
constexpr std::int64_t kMinWorkPerThread = std::int64_t{1} << 22;

void sgemm_rows(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
                const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                std::int64_t ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(M), static_cast<blasint>(N), static_cast<blasint>(K), alpha, A,
              static_cast<blasint>(lda), B, static_cast<blasint>(ldb), beta, C, static_cast<blasint>(ldc));
}
}  // namespace

void set_sgemm_threads(int threads) {
  configure_once();
  threads_wanted = threads;
}

void sgemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
           std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc) {
  if (M == 0 || N == 0) return;
  configure_once();
  const std::int64_t by_work = std::max<std::int64_t>(1, M * N * K / kMinWorkPerThread);
  const std::int64_t threads = std::min<std::int64_t>({threads_wanted.load(), by_work, (M + 15) / 16});
  if (threads <= 1) {
    sgemm_rows(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  // Blocks of rows of C, multiples of 16 rows (the micro-kernels' height) but the last.
  const std::int64_t rows = (M / threads + 15) / 16 * 16;
  std::vector<std::jthread> workers;
  for (std::int64_t first = rows; first < M; first += rows) {
    const std::int64_t count = std::min(rows, M - first);
    // row `first` of op(A) starts `first` rows down A, or `first` columns across Aᵀ
    const float* a = trans_a ? A + first : A + first * lda;
    workers.emplace_back([=] { sgemm_rows(trans_a, trans_b, count, N, K, alpha, a, lda, B, ldb, beta, C + first * ldc, ldc); });
  }
  sgemm_rows(trans_a, trans_b, std::min(rows, M), N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}  // the jthreads join here

}  // namespace ann::backend::cpu
