// The thread count changes speed, never results — whichever kernels the libraries run
// (src/backend/cpu/gemm.cpp says why this holds by construction).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include "ann/ann.h"
#include "ann/lesson.h"
#include "backend/cpu/sgemm.h"
#include "cpu_level_check.h"

namespace {

using namespace ann;

class ThreadCount : public ::testing::Test {
 protected:
  void TearDown() override { set_num_threads(1); }
};

TEST_F(ThreadCount, DefaultsToOneAndRejectsZero) {
  EXPECT_EQ(get_num_threads(), 1);
  EXPECT_THROW(set_num_threads(0), ValueError);
  set_num_threads(2);
  EXPECT_EQ(get_num_threads(), 2);
}

TEST_F(ThreadCount, LargeMatrixProductIsBitIdenticalOnOneAndTwoThreads) {
  manual_seed(3);
  const Tensor a = randn({700, 513}), b = randn({513, 301});
  set_num_threads(1);
  const std::vector<float> one = matmul(a, b).to_vector<float>();
  set_num_threads(2);
  const std::vector<float> two = matmul(a, b).to_vector<float>();
  EXPECT_EQ(one, two);
}

// C = op(A) op(B) straight through the sgemm interface, on `threads` threads.
struct Product {
  bool trans_a, trans_b;
  std::int64_t M, N, K;

  std::vector<float> run(const std::vector<float>& A, const std::vector<float>& B, int threads) const {
    set_num_threads(threads);
    std::vector<float> C(static_cast<std::size_t>(M * N), 1.f);  // beta = 0 must overwrite it
    backend::cpu::sgemm(trans_a, trans_b, M, N, K, 1.f, A.data(), trans_a ? M : K, B.data(), trans_b ? K : N, 0.f,
                        C.data(), N);
    return C;
  }
  // The same in double precision, element by element.
  double reference(const std::vector<float>& A, const std::vector<float>& B, std::int64_t i, std::int64_t j) const {
    double sum = 0;
    for (std::int64_t k = 0; k < K; ++k)
      sum += double{A[static_cast<std::size_t>(trans_a ? k * M + i : i * K + k)]} *
             double{B[static_cast<std::size_t>(trans_b ? j * K + k : k * N + j)]};
    return sum;
  }
};

// Row and column counts that are multiples of none of the kernels' blocks (4, 8, 12, 16, 24,
// 32, 48), every transpose, and products large enough to be cut into several tiles.
TEST_F(ThreadCount, ProductsOfAwkwardShapesAreBitIdenticalOnOneTwoAndThreeThreads) {
  const Product products[] = {
      {false, false, 701, 301, 513}, {false, true, 997, 47, 251},  {true, false, 259, 131, 509},
      {true, true, 389, 77, 397},    {false, true, 4099, 3, 1001}, {true, false, 1021, 113, 167},
      {false, false, 131, 1021, 99}, {false, true, 2053, 11, 383},
      // a few rows, or fewer rows than columns: cut into tiles of columns
      {false, true, 59, 2927, 700}, {true, false, 100, 1021, 300}, {false, true, 2, 2469, 2469},  {false, false, 3, 4001, 1001}, {true, false, 5, 3001, 800},
      {true, true, 13, 997, 1025},
  };
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  for (const Product& p : products) {
    SCOPED_TRACE(::testing::Message() << "M " << p.M << " N " << p.N << " K " << p.K << " op(A) "
                                      << (p.trans_a ? "T" : "N") << " op(B) " << (p.trans_b ? "T" : "N"));
    ASSERT_TRUE(backend::cpu::sgemm_tile_rows(p.M, p.N, p.K) < p.M || backend::cpu::sgemm_tile_columns(p.M, p.N, p.K) < p.N)
        << "the product must be cut into tiles";
    std::vector<float> A(static_cast<std::size_t>(p.M * p.K)), B(static_cast<std::size_t>(p.K * p.N));
    for (float& v : A) v = normal(rng);
    for (float& v : B) v = normal(rng);
    const std::vector<float> one = p.run(A, B, 1);
    for (int threads : {2, 3, 8}) {
      const std::vector<float> many = p.run(A, B, threads);
      EXPECT_EQ(std::memcmp(one.data(), many.data(), one.size() * sizeof(float)), 0) << threads << " threads";
    }
    // and every tile computed the rows it should: a sample of elements against double sums
    for (std::int64_t i = 0; i < p.M; i += 7)
      for (std::int64_t j = i % 5; j < p.N; j += 5)
        ASSERT_NEAR(one[static_cast<std::size_t>(i * p.N + j)], p.reference(A, B, i, j), 1e-3 * std::sqrt(p.K))
            << "row " << i << " column " << j;
  }
}

TEST_F(ThreadCount, TileRowsAreWholeCacheLinesAndAtMostEightTiles) {
  for (std::int64_t M : {1, 15, 16, 17, 100, 701, 4096, 100003})
    for (std::int64_t N : {1, 3, 300})
      for (std::int64_t K : {0, 1, 2, 1000}) {
        const std::int64_t rows = backend::cpu::sgemm_tile_rows(M, N, K);
        EXPECT_GE(rows, 1);
        EXPECT_TRUE(rows == M || rows % 16 == 0) << "M " << M << " N " << N << " K " << K;
        if (N > M) {
          EXPECT_EQ(rows, M) << "a wide C is cut across its columns; N " << N << " M " << M;
        }
        EXPECT_LE((M + rows - 1) / rows, 8) << "M " << M << " N " << N << " K " << K;
        const std::int64_t columns = backend::cpu::sgemm_tile_columns(M, N, K);
        EXPECT_TRUE(columns == N || (columns % 16 == 0 && rows >= M)) << "M " << M << " N " << N << " K " << K;
        EXPECT_LE((N + columns - 1) / columns, 8) << "M " << M << " N " << N << " K " << K;
      }
}

TEST_F(ThreadCount, TrainingLossesAreBitIdenticalOnOneAndTwoThreads) {
  // 3 × 333 rows and 250 hidden units: matrix products cut into tiles, none a multiple of 16.
  for (const auto& config : {lesson::SpiralConfig{.per_class = 200, .hidden = 256, .layers = 2, .epochs = 30},
                             lesson::SpiralConfig{.per_class = 333, .hidden = 250, .layers = 2, .epochs = 20}}) {
    set_num_threads(1);
    const std::vector<float> one = lesson::run_spiral(config).history.loss;
    set_num_threads(2);
    const std::vector<float> two = lesson::run_spiral(config).history.loss;
    EXPECT_EQ(one, two) << config.per_class << " per class, " << config.hidden << " hidden";
  }
}

}  // namespace
