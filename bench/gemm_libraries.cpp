// The two sgemm libraries side by side on one product, one thread, one call each, as
// src/backend/cpu/gemm.cpp chooses between them: build/bench/gemm_libraries M N K [transA transB]
// prints each library's GFLOP/s, the best of 6 calls after a first (row-major C = op(A) op(B)).
#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

extern "C" void omp_set_num_threads(int);  // libgomp, oneDNN's threading runtime on Debian

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: gemm_libraries M N K [transA transB]\n");
    return 2;
  }
  openblas_set_num_threads(1);
  omp_set_num_threads(1);
  const long M = std::atol(argv[1]), N = std::atol(argv[2]), K = std::atol(argv[3]);
  const bool ta = argc > 4 && std::atoi(argv[4]), tb = argc > 5 && std::atoi(argv[5]);
  std::vector<float> A(static_cast<std::size_t>(M * K)), B(static_cast<std::size_t>(K * N)), C(static_cast<std::size_t>(M * N));
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  for (float& v : A) v = uniform(rng);
  for (float& v : B) v = uniform(rng);
  const long lda = ta ? M : K, ldb = tb ? K : N;
  for (const char* library : {"openblas", "onednn"}) {
    double best = 1e30;
    for (int call = 0; call < 7; ++call) {
      const auto t0 = std::chrono::steady_clock::now();
      if (library[0] == 'o' && library[1] == 'p') {
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.f,
                    A.data(), lda, B.data(), ldb, 0.f, C.data(), N);
      } else {
        dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, 1.f, A.data(), lda, B.data(), ldb, 0.f, C.data(), N);
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (call > 0) best = std::min(best, s);
    }
    std::printf("%-8s %ld x %ld x %ld%s%s: %.1f GFLOP/s\n", library, M, N, K, ta ? " A^T" : "", tb ? " B^T" : "",
                2.0 * M * N * K / best / 1e9);
  }
}
