// The skinny product (src/backend/cpu/skinny_gemm.h): C = α·A·Bᵀ + β·C for B of at most 64 rows,
// against sums in double, over the widths around its 16-lane vectors and the row counts around
// its register tiles; and where sgemm runs it.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "backend/cpu/sgemm.h"
#include "backend/cpu/skinny_gemm.h"

namespace {

using namespace ann::backend::cpu;

struct Case {
  std::int64_t M, N, K;
  float alpha, beta;
};

// A [M, K], B [N, K] and C [M, N] with leading dimensions beyond their rows, normal values, C
// NaN where β = 0, which must not read it (the other βs are powers of two, so that β·C is exact,
// fused or not); and an element of α·A·Bᵀ + β·C summed in double.
struct Operands {
  std::int64_t lda, ldb, ldc;
  std::vector<float> A, B, C;

  Operands(const Case& c, std::mt19937& rng)
      : lda(c.K + 3), ldb(c.K + 1), ldc(c.N + 2), A(static_cast<std::size_t>(c.M * lda)),
        B(static_cast<std::size_t>(c.N * ldb)), C(static_cast<std::size_t>(c.M * ldc)) {
    std::normal_distribution<float> normal;
    for (float& v : A) v = normal(rng);
    for (float& v : B) v = normal(rng);
    for (float& v : C) v = c.beta == 0.f ? std::nanf("") : normal(rng);
  }
  // with C0 the C before the product
  double want(const Case& c, const std::vector<float>& C0, std::int64_t m, std::int64_t n) const {
    double sum = 0;
    for (std::int64_t k = 0; k < c.K; ++k)
      sum += double(A[static_cast<std::size_t>(m * lda + k)]) * B[static_cast<std::size_t>(n * ldb + k)];
    return c.alpha * sum + (c.beta == 0.f ? 0.0 : c.beta * double(C0[static_cast<std::size_t>(m * ldc + n)]));
  }
  // C's padding between rows as it was
  bool padding_kept(const std::vector<float>& C0, std::int64_t N) const {
    for (std::size_t i = 0; i < C.size(); ++i)
      if (static_cast<std::int64_t>(i) % ldc >= N && !(C[i] == C0[i] || (std::isnan(C[i]) && std::isnan(C0[i]))))
        return false;
    return true;
  }
};
double tolerance(const Case& c, double want) { return 1e-5 * std::sqrt(double(c.K)) * (1 + std::fabs(want)); }

TEST(SkinnyGemm, MatchesDoubleSumsForEveryWidthAndRemainder) {
  std::mt19937 rng(3);
  std::vector<Case> cases;
  for (std::int64_t N : {1, 5, 15, 16, 17, 31, 32, 37, 48, 63, 64})
    for (std::int64_t M : {1, 5, 6, 7, 8, 12, 13, 16, 17, 40})
      cases.push_back({M, N, 1 + (M * 7 + N) % 40, 1.f, 0.f});
  cases.push_back({33, 20, 300, 0.5f, 1.f});  // α and β (β C read and scaled)
  cases.push_back({9, 64, 50, 1.f, -2.f});
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "M " << c.M << " N " << c.N << " K " << c.K << " alpha " << c.alpha
                                      << " beta " << c.beta);
    Operands o(c, rng);
    const std::vector<float> C0 = o.C;
    std::vector<float> Bt(static_cast<std::size_t>(skinny_packed_floats(c.N, c.K)), -1.f);
    pack_skinny_b(c.N, c.K, o.B.data(), o.ldb, Bt.data());
    skinny_gemm(c.M, c.N, c.K, c.alpha, o.A.data(), o.lda, Bt.data(), c.beta, o.C.data(), o.ldc);
    ASSERT_TRUE(o.padding_kept(C0, c.N));
    for (std::int64_t m = 0; m < c.M; ++m)
      for (std::int64_t n = 0; n < c.N; ++n) {
        const double want = o.want(c, C0, m, n);
        ASSERT_NEAR(o.C[static_cast<std::size_t>(m * o.ldc + n)], want, tolerance(c, want)) << "row " << m << " column " << n;
      }
  }
}

TEST(SkinnyGemm, BetaZeroDoesNotReadC) {
  const std::int64_t M = 3, N = 2, K = 16;
  std::vector<float> A(M * K, 1.f), B(N * K, 0.5f), C(M * N, std::nanf(""));
  std::vector<float> Bt(static_cast<std::size_t>(skinny_packed_floats(N, K)));
  pack_skinny_b(N, K, B.data(), K, Bt.data());
  skinny_gemm(M, N, K, 1.f, A.data(), K, Bt.data(), 0.f, C.data(), N);
  for (float v : C) EXPECT_EQ(v, 8.f);
}

// sgemm takes it for A Bᵀ with at most 64 columns of C and an A of 28 MiB or more (measured:
// skinny_gemm.cpp), and only there; the result is the same with any row tiles.
TEST(SkinnyGemm, SgemmRunsItWhereItIsFaster) {
  EXPECT_TRUE(skinny_gemm_applies(false, true, 60000, 64, 784));
  EXPECT_TRUE(skinny_gemm_applies(false, true, 53254, 37, 262));
  EXPECT_FALSE(skinny_gemm_applies(false, true, 60000, 65, 784));  // too wide
  EXPECT_FALSE(skinny_gemm_applies(false, false, 60000, 64, 784));  // B not transposed
  EXPECT_FALSE(skinny_gemm_applies(true, true, 60000, 64, 784));
  EXPECT_FALSE(skinny_gemm_applies(false, true, 8192, 64, 784));  // A in cache: the library
  EXPECT_FALSE(skinny_gemm_applies(false, true, 10000000, 8, 8));  // K too small

  const std::int64_t M = 30011, N = 37, K = 262;
  ASSERT_TRUE(skinny_gemm_applies(false, true, M, N, K));
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  std::vector<float> A(static_cast<std::size_t>(M * K)), B(static_cast<std::size_t>(N * K)), C(static_cast<std::size_t>(M * N));
  for (float& v : A) v = normal(rng);
  for (float& v : B) v = normal(rng);
  sgemm(false, true, M, N, K, 1.f, A.data(), K, B.data(), K, 0.f, C.data(), N);
  std::vector<float> Bt(static_cast<std::size_t>(skinny_packed_floats(N, K)));
  pack_skinny_b(N, K, B.data(), K, Bt.data());
  std::vector<float> one_call(C.size());
  skinny_gemm(M, N, K, 1.f, A.data(), K, Bt.data(), 0.f, one_call.data(), N);
  EXPECT_EQ(C, one_call) << "sgemm's row tiles must not change a bit";
}

// A mini-batch of 16 to 64 rows through weights of 2¹⁹ floats or more with K of 512 or more:
// sgemm computes Cᵀ = B·Aᵀ with the kernel (measured: skinny_gemm.cpp), so that C has exactly the
// bits of that product (each element one sum over k in order), α and β applied, the padding
// between C's rows untouched.
TEST(SkinnyGemm, SgemmRunsItTransposedForAMiniBatchThroughLargeWeights) {
  EXPECT_TRUE(skinny_transposed_applies(false, true, 16, 1024, 1024));
  EXPECT_TRUE(skinny_transposed_applies(false, true, 64, 4096, 512));
  EXPECT_FALSE(skinny_transposed_applies(false, true, 15, 1024, 1024));   // most lanes empty
  EXPECT_FALSE(skinny_transposed_applies(false, true, 65, 1024, 1024));   // more rows than the kernel's columns
  EXPECT_FALSE(skinny_transposed_applies(false, true, 32, 4096, 256));    // short rows of B
  EXPECT_FALSE(skinny_transposed_applies(false, true, 32, 500, 1000));    // B of under 2¹⁹ floats
  EXPECT_FALSE(skinny_transposed_applies(false, false, 32, 1024, 1024));  // B not transposed
  EXPECT_FALSE(skinny_transposed_applies(true, true, 32, 1024, 1024));

  std::mt19937 rng(7);
  for (const Case& c : {Case{17, 1031, 515, 0.5f, 0.f}, Case{64, 1024, 600, 1.f, -2.f}, Case{33, 700, 800, 2.f, 1.f}}) {
    SCOPED_TRACE(::testing::Message() << "M " << c.M << " N " << c.N << " K " << c.K << " beta " << c.beta);
    ASSERT_TRUE(skinny_transposed_applies(false, true, c.M, c.N, c.K));
    Operands o(c, rng);
    const std::vector<float> C0 = o.C;
    sgemm(false, true, c.M, c.N, c.K, c.alpha, o.A.data(), o.lda, o.B.data(), o.ldb, c.beta, o.C.data(), o.ldc);

    std::vector<float> At(static_cast<std::size_t>(skinny_packed_floats(c.M, c.K)));
    pack_skinny_b(c.M, c.K, o.A.data(), o.lda, At.data());
    std::vector<float> Ct(static_cast<std::size_t>(c.N * c.M));
    skinny_gemm(c.N, c.M, c.K, c.alpha, o.B.data(), o.ldb, At.data(), 0.f, Ct.data(), c.M);
    ASSERT_TRUE(o.padding_kept(C0, c.N));
    for (std::int64_t m = 0; m < c.M; ++m) {
      for (std::int64_t n = 0; n < c.N; ++n) {
        const std::size_t at = static_cast<std::size_t>(m * o.ldc + n);
        const float product = Ct[static_cast<std::size_t>(n * c.M + m)];
        ASSERT_EQ(o.C[at], c.beta == 0.f ? product : product + c.beta * C0[at]) << "row " << m << " column " << n;
        if (n % 97 == m % 97) {  // and a sample against the double sum
          const double want = o.want(c, C0, m, n);
          ASSERT_NEAR(o.C[at], want, tolerance(c, want)) << "row " << m << " column " << n;
        }
      }
    }
  }
}

// pack_skinny_b is B's transpose, each row of Bt zero-padded to a multiple of 16: over the row
// and column counts around its 16 × 16 blocks and the few columns it moves one by one.
TEST(SkinnyGemm, PackingIsTheTransposeZeroPadded) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  for (std::int64_t N : {1, 3, 15, 16, 17, 37, 64, 100})
    for (std::int64_t K : {1, 2, 7, 8, 15, 16, 17, 23, 40, 300}) {
      SCOPED_TRACE(::testing::Message() << "N " << N << " K " << K);
      const std::int64_t ldb = K + 5, Np = (N + 15) / 16 * 16;
      std::vector<float> B(static_cast<std::size_t>(N * ldb));
      for (float& v : B) v = normal(rng);
      std::vector<float> Bt(static_cast<std::size_t>(skinny_packed_floats(N, K)), std::nanf(""));
      ASSERT_EQ(static_cast<std::int64_t>(Bt.size()), K * Np);
      pack_skinny_b(N, K, B.data(), ldb, Bt.data());
      for (std::int64_t k = 0; k < K; ++k)
        for (std::int64_t n = 0; n < Np; ++n)
          ASSERT_EQ(Bt[static_cast<std::size_t>(k * Np + n)], n < N ? B[static_cast<std::size_t>(n * ldb + k)] : 0.f)
              << "k " << k << " n " << n;
    }
}

// A·Bᵀ of 512 rows or more: sgemm transposes B and runs the product of B as it lies, so C has
// exactly the bits of sgemm(A, Bᵀ as a matrix), α, β and the strides as given; and the values of
// the product, against double sums.
TEST(SkinnyGemm, SgemmRunsABtOfManyRowsOnBTransposed) {
  EXPECT_TRUE(sgemm_transposes_b(false, true, 512, 16, 16));
  EXPECT_TRUE(sgemm_transposes_b(false, true, 1811, 574, 574));
  EXPECT_FALSE(sgemm_transposes_b(false, true, 511, 574, 574));  // the transposition does not pay
  EXPECT_FALSE(sgemm_transposes_b(false, true, 3626, 5, 347));   // a few columns of C
  EXPECT_FALSE(sgemm_transposes_b(false, true, 3626, 1709, 3));  // short rows of B
  EXPECT_FALSE(sgemm_transposes_b(false, false, 1811, 574, 574));
  EXPECT_FALSE(sgemm_transposes_b(true, true, 1811, 574, 574));

  std::mt19937 rng(13);
  for (const Case& c : {Case{613, 37, 129, 1.f, 0.f}, Case{1031, 100, 70, 0.5f, 2.f}, Case{700, 301, 513, 1.f, -1.f}}) {
    SCOPED_TRACE(::testing::Message() << "M " << c.M << " N " << c.N << " K " << c.K << " beta " << c.beta);
    ASSERT_TRUE(sgemm_transposes_b(false, true, c.M, c.N, c.K));
    Operands o(c, rng);
    const std::vector<float> C0 = o.C;
    sgemm(false, true, c.M, c.N, c.K, c.alpha, o.A.data(), o.lda, o.B.data(), o.ldb, c.beta, o.C.data(), o.ldc);
    std::vector<float> Bt(static_cast<std::size_t>(c.K * c.N));  // Bᵀ [K, N], a matrix of its own
    for (std::int64_t n = 0; n < c.N; ++n)
      for (std::int64_t k = 0; k < c.K; ++k) Bt[static_cast<std::size_t>(k * c.N + n)] = o.B[static_cast<std::size_t>(n * o.ldb + k)];
    std::vector<float> as_lying = C0;
    sgemm(false, false, c.M, c.N, c.K, c.alpha, o.A.data(), o.lda, Bt.data(), c.N, c.beta, as_lying.data(), o.ldc);
    ASSERT_TRUE(o.padding_kept(C0, c.N));
    for (std::int64_t m = 0; m < c.M; ++m)
      for (std::int64_t n = 0; n < c.N; ++n) {
        const std::size_t at = static_cast<std::size_t>(m * o.ldc + n);
        ASSERT_EQ(o.C[at], as_lying[at]) << "row " << m << " column " << n;
        if ((m * 7 + n) % 53 == 0) {  // and a sample against the double sum
          const double want = o.want(c, C0, m, n);
          ASSERT_NEAR(o.C[at], want, tolerance(c, want)) << "row " << m << " column " << n;
        }
      }
  }
}

}  // namespace
