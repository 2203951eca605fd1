// The thread count changes speed, never results — whichever kernels the libraries run
// (src/backend/cpu/gemm.cpp says why this holds by construction).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <vector>

#include "ann/ann.h"
#include "ann/lesson.h"
#include "backend/cpu/parallel.h"
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
      {true, true, 13, 997, 1025}, {false, true, 17, 1031, 515},
      // much deeper than wide or tall (a layer's weight gradient over many rows): cut along k
      {true, false, 37, 262, 20011}, {false, true, 29, 31, 10007}, {false, false, 45, 17, 30011},
      {true, true, 23, 129, 40009},
  };
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  for (const Product& p : products) {
    SCOPED_TRACE(::testing::Message() << "M " << p.M << " N " << p.N << " K " << p.K << " op(A) "
                                      << (p.trans_a ? "T" : "N") << " op(B) " << (p.trans_b ? "T" : "N"));
    const backend::cpu::SgemmTiles tiles = backend::cpu::sgemm_tiles(p.M, p.N, p.K);
    ASSERT_GT(tiles.row_parts * tiles.column_parts * tiles.depth_parts, 1) << "the product must be cut into tiles or slices";
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

// Slices of k sum into C as BLAS does: C = alpha·op(A)op(B) + beta·C, with strided operands,
// and beta = 0 never reads C (a NaN there stays out).
TEST_F(ThreadCount, SlicesOfKSumIntoCWithAlphaAndBeta) {
  const std::int64_t M = 19, N = 45, K = 30001, lda = M + 3, ldb = N + 5, ldc = N + 2;
  ASSERT_GT(backend::cpu::sgemm_tiles(M, N, K).depth_parts, 1);
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  std::vector<float> A(static_cast<std::size_t>(K * lda)), B(static_cast<std::size_t>(K * ldb)),
      C0(static_cast<std::size_t>(M * ldc));
  for (float& v : A) v = normal(rng);
  for (float& v : B) v = normal(rng);
  for (float& v : C0) v = normal(rng);
  for (const float beta : {0.f, -2.f}) {
    std::vector<float> C = C0;
    if (beta == 0.f) C[ldc + 1] = std::nanf("");
    backend::cpu::sgemm(true, false, M, N, K, 0.5f, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < ldc; ++j) {
        const auto at = static_cast<std::size_t>(i * ldc + j);
        if (j >= N) {
          EXPECT_EQ(C[at], C0[at]) << "outside C, row " << i << " column " << j;
          continue;
        }
        double sum = 0;
        for (std::int64_t k = 0; k < K; ++k)
          sum += double{A[static_cast<std::size_t>(k * lda + i)]} * double{B[static_cast<std::size_t>(k * ldb + j)]};
        ASSERT_NEAR(C[at], 0.5 * sum + beta * double{C0[at]}, 1e-3 * std::sqrt(K)) << "beta " << beta << " row " << i << " column " << j;
      }
  }
}

// Parts are 1, 2, 4 or 8 (so that 2, 4 or 8 threads share them evenly), about the work over the
// least worth a part, whole aligns that differ by one align at most, covering every item once.
TEST_F(ThreadCount, PartsAreAPowerOfTwoOfEvenAlignedLengths) {
  using backend::cpu::part_begin;
  using backend::cpu::part_count;
  EXPECT_EQ(part_count(1000, 1, 4, 1), 1);
  EXPECT_EQ(part_count(1000, 8, 4, 1), 2);
  EXPECT_EQ(part_count(1000, 12, 4, 1), 4);   // 3 worth: 4 parts, not 3
  EXPECT_EQ(part_count(1000, 20, 4, 1), 4);   // 5: 4
  EXPECT_EQ(part_count(1000, 24, 4, 1), 8);   // 6: 8
  EXPECT_EQ(part_count(1000, 400, 4, 1), 8);  // never above 8
  EXPECT_EQ(part_count(48, 400, 4, 16), 2);   // 3 aligns: 2 parts
  EXPECT_EQ(part_count(5, 400, 4, 16), 1);    // one align
  for (std::int64_t count : {1, 15, 16, 17, 100, 701, 2472, 100003})
    for (std::int64_t align : {1, 16, 64})
      for (std::int64_t worth : {1, 2, 3, 5, 6, 7, 100}) {
        const std::int64_t parts = part_count(count, worth * 1000, 1000, align);
        SCOPED_TRACE(::testing::Message() << "count " << count << " align " << align << " worth " << worth);
        ASSERT_TRUE(parts == 1 || parts == 2 || parts == 4 || parts == 8) << parts;
        ASSERT_LE(parts, (count + align - 1) / align);
        EXPECT_EQ(part_begin(0, parts, count, align), 0);
        EXPECT_EQ(part_begin(parts, parts, count, align), count);
        std::int64_t shortest = count, longest = 0;
        for (std::int64_t p = 0; p < parts; ++p) {
          const std::int64_t begin = part_begin(p, parts, count, align), end = part_begin(p + 1, parts, count, align);
          ASSERT_LT(begin, end) << "part " << p << " is empty";
          EXPECT_EQ(begin % align, 0) << "part " << p;
          if (end < count) {
            shortest = std::min(shortest, end - begin);
            longest = std::max(longest, end - begin);
          }
        }
        if (longest > 0) {
          EXPECT_LE(longest - shortest, align);
        }
      }
}

TEST_F(ThreadCount, TilesAreAtMostEightAndKIsSlicedOnlyWhenMuchDeeper) {
  for (std::int64_t M : {1, 15, 16, 17, 100, 701, 4096, 100003})
    for (std::int64_t N : {1, 3, 300})
      for (std::int64_t K : {0, 1, 2, 1000}) {
        SCOPED_TRACE(::testing::Message() << "M " << M << " N " << N << " K " << K);
        const backend::cpu::SgemmTiles tiles = backend::cpu::sgemm_tiles(M, N, K);
        EXPECT_LE(tiles.row_parts, (M + 15) / 16);
        EXPECT_LE(tiles.column_parts, (N + 15) / 16);
        if (N > M) {
          EXPECT_EQ(tiles.row_parts, 1) << "a wide C is cut across its columns";
        }
        EXPECT_TRUE(tiles.row_parts == 1 || tiles.column_parts == 1) << "one side is cut";
        EXPECT_LE(tiles.row_parts * tiles.column_parts, 8);
        EXPECT_EQ(tiles.depth_parts, 1);
      }
  // k is sliced only where it is at least 8 times C's longer side
  for (std::int64_t M : {1, 37, 300})
    for (std::int64_t N : {3, 262})
      for (std::int64_t K : {1000, 2095, 2096, 100003}) {
        SCOPED_TRACE(::testing::Message() << "M " << M << " N " << N << " K " << K);
        const std::int64_t slices = backend::cpu::sgemm_tiles(M, N, K).depth_parts;
        if (K < 8 * std::max(M, N) || M * N * K < (std::int64_t{1} << 23)) {
          EXPECT_EQ(slices, 1);
        } else {
          EXPECT_GT(slices, 1);
          EXPECT_LE(slices, 8);
        }
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

// The optimizers update all their parameters in one pass whose parts (1 << 18 elements and up)
// straddle parameters. On any thread count, each parameter ends as its own optimizer alone
// would leave it. A tensor given twice, in two groups of different learning rates, is updated
// twice, one update after the other: in one pass over [B, A | A, C], cut into 8 parts with A's
// second update starting the fifth, the second of two threads would do it first.
using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer>(std::vector<optim::ParamGroup>)>;

std::vector<std::vector<float>> trained(const MakeOptimizer& make, std::vector<std::int64_t> sizes,
                                        bool one_optimizer_each, std::optional<std::size_t> given_twice = {}) {
  manual_seed(11);
  std::vector<Tensor> params;
  for (std::int64_t n : sizes) params.push_back(randn({n}).requires_grad_());
  std::vector<optim::ParamGroup> groups{{params}};
  if (given_twice) {
    const auto cut = groups[0].params.begin() + static_cast<std::ptrdiff_t>(*given_twice) + 1;
    groups.push_back({{params[*given_twice]}, 0.003});
    groups[1].params.insert(groups[1].params.end(), cut, groups[0].params.end());
    groups[0].params.erase(cut, groups[0].params.end());
  }
  std::vector<std::unique_ptr<optim::Optimizer>> optimizers;
  for (const optim::ParamGroup& group : groups) {
    if (!one_optimizer_each) break;
    for (const Tensor& p : group.params) optimizers.push_back(make({{{p}, group.lr}}));
  }
  if (!one_optimizer_each) optimizers.push_back(make(groups));
  for (int t = 0; t < 3; ++t) {
    for (auto& o : optimizers) o->zero_grad();
    Tensor loss = zeros({});
    for (const Tensor& p : params) loss = loss + (p * p * 0.5 + tanh(p)).sum();
    loss.backward();
    for (auto& o : optimizers) o->step();
  }
  std::vector<std::vector<float>> values;
  for (const Tensor& p : params) values.push_back(p.detach().to_vector<float>());
  return values;
}

TEST_F(ThreadCount, OneOptimizerPassIsEachParametersOwnUpdateOnAnyThreadCount) {
  using optim::ParamGroup;
  const std::vector<std::pair<const char*, MakeOptimizer>> kinds{
      {"SGD", [](std::vector<ParamGroup> g) { return std::make_unique<optim::SGD>(g, optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01}); }},
      {"Adam", [](std::vector<ParamGroup> g) { return std::make_unique<optim::Adam>(g, optim::AdamOptions{.lr = 0.1, .weight_decay = 0.01}); }},
      {"AdamW", [](std::vector<ParamGroup> g) { return std::make_unique<optim::AdamW>(g, optim::AdamWOptions{.lr = 0.1, .weight_decay = 0.1}); }},
      {"RMSprop", [](std::vector<ParamGroup> g) { return std::make_unique<optim::RMSprop>(g, optim::RMSpropOptions{.lr = 0.01, .weight_decay = 0.01, .momentum = 0.5, .centered = true}); }},
      {"Adagrad", [](std::vector<ParamGroup> g) { return std::make_unique<optim::Adagrad>(g, optim::AdagradOptions{.lr = 0.1, .weight_decay = 0.01}); }},
  };
  const std::vector<std::int64_t> straddled{300001, 1, 63, 270000, 5},
      twice{(1 << 20) - (1 << 16), 1 << 16, (1 << 20) - (1 << 16)};
  for (const auto& [name, make] : kinds) {
    set_num_threads(1);
    const auto alone = trained(make, straddled, true);
    const auto alone_twice = trained(make, twice, true, 1);
    EXPECT_NE(alone_twice, trained(make, twice, true)) << name;  // the second update shows
    for (int threads : {1, 2, 3}) {
      set_num_threads(threads);
      EXPECT_EQ(trained(make, straddled, false), alone) << name << " on " << threads << " threads";
      EXPECT_EQ(trained(make, twice, false, 1), alone_twice) << name << " given twice, on " << threads << " threads";
    }
  }
}

// The worker threads wait between regions (src/backend/cpu/thread_pool.cpp). A region started
// inside a region, from two threads of the program at once, or in a child of fork() runs on
// its own thread instead of waiting for the workers: every part still runs once.
TEST_F(ThreadCount, RegionsInsideRegionsFromManyThreadsAndAfterForkRunEveryPartOnce) {
  set_num_threads(3);
  std::vector<std::atomic<int>> runs(7 * 5);
  backend::cpu::run_parts(7, [&](std::int64_t outer) {
    backend::cpu::run_parts(5, [&](std::int64_t inner) { ++runs[static_cast<std::size_t>(outer * 5 + inner)]; });
  });
  for (const auto& r : runs) EXPECT_EQ(r.load(), 1);

  manual_seed(4);
  const Tensor a = randn({900, 700}), b = randn({700, 800});
  set_num_threads(1);
  const std::vector<float> alone = matmul(a, b).to_vector<float>();
  set_num_threads(2);
  std::vector<std::vector<float>> results(4);
  {
    std::vector<std::jthread> callers;
    for (auto& result : results)
      callers.emplace_back([&] {
        for (int r = 0; r < 5; ++r) result = matmul(a, b).to_vector<float>();
      });
  }
  for (const auto& result : results) EXPECT_EQ(result, alone);

  const pid_t child = ::fork();
  if (child == 0) ::_exit(matmul(a, b).to_vector<float>() == alone ? 0 : 1);
  ASSERT_GT(child, 0);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

// Shares are claimed by whichever thread comes first (src/backend/cpu/thread_pool.cpp): every
// share runs once whoever runs it, and an exception in a share, run by the calling thread or by
// a worker, comes out of the region only once the other shares are done, after which the
// workers serve again.
TEST_F(ThreadCount, SharesRunOnceWhoeverClaimsThemAndAFailureWaitsForTheOthers) {
  set_num_threads(3);
  const std::thread::id caller = std::this_thread::get_id();
  for (int region = 0; region < 200; ++region) {
    std::vector<std::atomic<int>> runs(3);
    backend::cpu::run_parts(3, [&](std::int64_t p) { ++runs[static_cast<std::size_t>(p)]; });
    for (const auto& r : runs) ASSERT_EQ(r.load(), 1) << "region " << region;
  }
  // Regions whose shares throw where `fails_here` says, once another share has started, the
  // others sleeping for `nap`, until one throws: it must come out only once the sleeping shares
  // are done. False if none threw.
  std::atomic<int> started = 0, finished = 0;  // (outlive a region whose share still sleeps)
  const auto a_failure_waits_for_the_others = [&](auto fails_here, auto nap, int regions) {
    for (int region = 0; region < regions; ++region) {
      started = 0;
      finished = 0;
      try {
        backend::cpu::run_parts(3, [&](std::int64_t) {
          if (fails_here()) {
            const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
            while (started == 0 && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
            throw std::runtime_error("share failed");
          }
          ++started;
          std::this_thread::sleep_for(nap);
          ++finished;
        });
      } catch (const std::runtime_error&) {
        EXPECT_EQ(started.load(), finished.load()) << "the exception left a share running";
        return true;
      }
    }
    return false;
  };
  const auto on_caller = [&] { return std::this_thread::get_id() == caller; };
  const auto on_worker = [&] { return std::this_thread::get_id() != caller; };
  EXPECT_TRUE(a_failure_waits_for_the_others(on_caller, std::chrono::milliseconds(2), 20))
      << "the calling thread never ran a share";
  EXPECT_TRUE(a_failure_waits_for_the_others(on_worker, std::chrono::microseconds(200), 200))
      << "no worker ever ran a share";
  std::vector<std::atomic<int>> runs(6);
  backend::cpu::run_parts(6, [&](std::int64_t p) { ++runs[static_cast<std::size_t>(p)]; });
  for (const auto& r : runs) EXPECT_EQ(r.load(), 1);
}

}  // namespace
