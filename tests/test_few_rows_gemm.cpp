// The products of a few rows (src/backend/cpu/few_rows_gemm.h): a layer's forward x·Wᵀ and
// input gradient dz·W on 1 to 4 rows, against sums in double, over the widths around its 16-lane
// vectors; that an element comes out the same wherever it falls; and where sgemm runs it.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "backend/cpu/few_rows_gemm.h"
#include "backend/cpu/sgemm.h"

namespace {

using namespace ann::backend::cpu;
using std::int64_t;

struct Product {
  bool trans_b;
  int64_t M, N, K;
  float alpha = 1.f, beta = 0.f;
  int64_t pad = 0;  // leading dimensions this much beyond the rows

  int64_t lda() const { return K + pad; }
  int64_t ldb() const { return (trans_b ? K : N) + pad; }
  int64_t ldc() const { return N + pad; }
  float a(const std::vector<float>& A, int64_t m, int64_t k) const {
    return A[static_cast<std::size_t>(m * lda() + k)];
  }
  float b(const std::vector<float>& B, int64_t k, int64_t n) const {
    return B[static_cast<std::size_t>(trans_b ? n * ldb() + k : k * ldb() + n)];
  }
};

// Operands of exactly their size (a read past one is a fault under AddressSanitizer), the last
// row of A and B without the padding a leading dimension adds.
std::vector<float> operand(std::mt19937& rng, int64_t rows, int64_t cols, int64_t ld) {
  std::normal_distribution<float> normal;
  std::vector<float> v(static_cast<std::size_t>((rows - 1) * ld + cols));
  for (float& x : v) x = normal(rng);
  return v;
}

void expect_double_sums(const Product& p, std::mt19937& rng) {
  SCOPED_TRACE(::testing::Message() << (p.trans_b ? "A Bᵀ" : "A B") << " M " << p.M << " N "
                                    << p.N << " K " << p.K << " alpha " << p.alpha << " beta " << p.beta << " pad "
                                    << p.pad);
  ASSERT_TRUE(few_rows_gemm_applies(false, p.trans_b, p.M, p.N, p.K, 1 << 16));
  const std::vector<float> A = operand(rng, p.M, p.K, p.lda());
  const std::vector<float> B = p.trans_b ? operand(rng, p.N, p.K, p.ldb()) : operand(rng, p.K, p.N, p.ldb());
  std::vector<float> C = operand(rng, p.M, p.ldc(), p.ldc());
  if (p.beta == 0.f) std::fill(C.begin(), C.end(), std::nanf(""));  // β = 0 reads no C (BLAS)
  const std::vector<float> C0 = C;
  few_rows_gemm(p.trans_b, p.M, p.N, p.K, p.alpha, A.data(), p.lda(), B.data(), p.ldb(), p.beta, C.data(),
                p.ldc());
  for (int64_t m = 0; m < p.M; ++m) {
    for (int64_t n = 0; n < p.ldc(); ++n) {
      const std::size_t at = static_cast<std::size_t>(m * p.ldc() + n);
      if (n >= p.N) {  // the padding between rows of C is not written
        ASSERT_TRUE(std::isnan(C[at]) ? std::isnan(C0[at]) : C[at] == C0[at]) << "row " << m << " column " << n;
        continue;
      }
      double sum = 0;
      for (int64_t k = 0; k < p.K; ++k) sum += double(p.a(A, m, k)) * p.b(B, k, n);
      const double want = p.alpha * sum + (p.beta == 0.f ? 0.0 : p.beta * double(C0[at]));
      ASSERT_NEAR(C[at], want, 1e-5 * std::sqrt(double(p.K)) * (1 + std::fabs(want))) << "row " << m << " column " << n;
    }
  }
}

TEST(FewRowsGemm, ALayersTwoProductsMatchDoubleSums) {
  std::mt19937 rng(7);
  for (int64_t rows = 1; rows <= kFewRowsMax; ++rows) {
    for (int64_t in : {16, 17, 31, 46, 64, 70}) {
      for (int64_t out : {1, 3, 15, 16, 17, 46, 65, 130}) {
        if (rows * in * out >= (1 << 16)) continue;
        const int64_t pad = (in + out) % 3;
        expect_double_sums({true, rows, out, in, 1.f, 0.f, pad}, rng);   // forward x·Wᵀ
        expect_double_sums({false, rows, in, out, 1.f, 1.f, pad}, rng);  // input gradient dz·W, added
      }
    }
  }
  // inputs narrower than a vector, rows of B shorter than one (its last rows copied), one product
  expect_double_sums({false, 2, 3, 5, 1.f, 0.f, 1}, rng);
  expect_double_sums({false, 1, 1, 1, 1.f, 0.f, 0}, rng);
  expect_double_sums({false, 4, 7, 40, 1.f, 0.f, 0}, rng);
  // α and β scale (β·C read)
  expect_double_sums({true, 3, 20, 33, 0.5f, -2.f, 2}, rng);
  expect_double_sums({false, 4, 100, 40, -1.5f, 0.25f, 0}, rng);
}

// Each element the same bits whatever the product's M and N, and wherever it falls in them:
// TrainStep's and the five steps' products of one layer may differ in their rows.
TEST(FewRowsGemm, AnElementIsTheSameWhereverItFalls) {
  std::mt19937 rng(11);
  for (const bool trans_b : {true, false}) {
    const int64_t K = 37, N = 70, narrow = 21;
    const std::vector<float> A = operand(rng, 4, K, K);
    const std::vector<float> B = trans_b ? operand(rng, N, K, K) : operand(rng, K, N, N);
    std::vector<float> all(4 * N), one(narrow);
    few_rows_gemm(trans_b, 4, N, K, 1.f, A.data(), K, B.data(), trans_b ? K : N, 0.f, all.data(), N);
    // row 2 alone, columns 40 .. 60 alone: op(B)'s columns from 40
    const float* b = trans_b ? B.data() + 40 * K : B.data() + 40;
    few_rows_gemm(trans_b, 1, narrow, K, 1.f, A.data() + 2 * K, K, b, trans_b ? K : N, 0.f, one.data(), narrow);
    for (int64_t n = 0; n < narrow; ++n)
      EXPECT_EQ(one[static_cast<std::size_t>(n)], all[static_cast<std::size_t>(2 * N + 40 + n)]) << "column " << 40 + n;
  }
}

// sgemm takes the few-row products under its library threshold (65 536 multiply-adds), and
// gives the same values as calling it directly.
TEST(FewRowsGemm, SgemmRunsItForTinyProductsOfFewRows) {
  const int64_t work = 1 << 16;
  EXPECT_TRUE(few_rows_gemm_applies(false, true, 1, 46, 46, work));     // forward on one row
  EXPECT_TRUE(few_rows_gemm_applies(false, false, 4, 128, 127, work));  // input gradient on four
  EXPECT_TRUE(few_rows_gemm_applies(false, false, 1, 3, 2, work));      // a layer of 2 outputs
  EXPECT_FALSE(few_rows_gemm_applies(false, true, 5, 46, 46, work));    // five rows: the library
  EXPECT_FALSE(few_rows_gemm_applies(false, true, 1, 46, 15, work));    // dots of fewer than 16
  EXPECT_FALSE(few_rows_gemm_applies(true, false, 46, 46, 1, work));    // weight gradient: the library
  EXPECT_FALSE(few_rows_gemm_applies(false, true, 4, 128, 128, work));  // 65 536 multiply-adds
  EXPECT_FALSE(few_rows_gemm_applies(false, false, 1, 5, 0, work));     // K = 0: C = β·C
  EXPECT_FALSE(few_rows_gemm_applies(false, false, 1, 0, 5, work));     // no columns

  std::mt19937 rng(13);
  const int64_t M = 3, N = 90, K = 50;
  const std::vector<float> A = operand(rng, M, K, K), W = operand(rng, N, K, K);
  std::vector<float> C(M * N), direct(M * N);
  sgemm(false, true, M, N, K, 1.f, A.data(), K, W.data(), K, 0.f, C.data(), N);
  few_rows_gemm(true, M, N, K, 1.f, A.data(), K, W.data(), K, 0.f, direct.data(), N);
  EXPECT_EQ(C, direct);
}

}  // namespace
