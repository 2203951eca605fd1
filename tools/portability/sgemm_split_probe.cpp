// By-hand probe (tools/portability.sh builds and runs it; not part of the build or the tests):
// which row splits of a product leave OpenBLAS's results bit for bit unchanged under the core
// type this process runs (OPENBLAS_CORETYPE, or what OpenBLAS picked).
//
// For each granularity g it computes C = op(A)·op(B) once whole and then as two calls, rows
// [0, r) and [r, M), for every r that is a multiple of g, and says whether every split gave the
// same bits. A thread split on such boundaries would be safe for this kernel only.
#include <cblas.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

extern "C" char* openblas_get_corename();

namespace {
bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s M N K nn|tn|nt\n", argv[0]);
    return 2;
  }
  const int M = std::atoi(argv[1]), N = std::atoi(argv[2]), K = std::atoi(argv[3]);
  const bool ta = argv[4][0] == 't', tb = argv[4][1] == 't';
  openblas_set_num_threads(1);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> A(static_cast<std::size_t>(M) * K), B(static_cast<std::size_t>(K) * N);
  for (float& v : A) v = normal(rng);
  for (float& v : B) v = normal(rng);
  const int lda = ta ? M : K, ldb = tb ? K : N;
  auto product = [&](int first, int rows, float* C) {
    const float* a = ta ? A.data() + first : A.data() + static_cast<std::size_t>(first) * lda;
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, rows, N, K, 1.f, a,
                lda, B.data(), ldb, 0.f, C + static_cast<std::size_t>(first) * N, N);
  };
  std::vector<float> whole(static_cast<std::size_t>(M) * N), split(whole.size());
  product(0, M, whole.data());
  std::printf("%-14s %dx%dx%d %s:", openblas_get_corename(), M, N, K, argv[4]);
  for (int g : {1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96}) {
    bool same = true;
    for (int r = g; r < M && same; r += g) {
      product(0, r, split.data());
      product(r, M - r, split.data());
      same = same_bits(whole, split);
    }
    std::printf(" %d:%s", g, same ? "same" : "DIFF");
  }
  std::printf("\n");
  return 0;
}
