// The CPU kernels' own exp, log, log1p, softplus, erf and tanh (src/backend/cpu/vector_math.h), against the C
// library in double precision: within 2 ulp of the correctly rounded value over a dense sample
// of every float range they accept, and the C library's answers at the special values.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "../src/backend/cpu/vector_math.h"

namespace {

namespace vmath = ann::backend::vmath;
constexpr float kInf = std::numeric_limits<float>::infinity();

// |got − exact| in units of the last place of the float nearest to exact.
double ulps(float got, double exact) {
  const float nearest = static_cast<float>(exact);
  if (std::isinf(nearest) || std::isinf(got)) return got == nearest ? 0 : 1e30;
  const float above = std::nextafter(std::fabs(nearest), kInf);
  const double ulp = static_cast<double>(above) - std::fabs(static_cast<double>(nearest));
  return std::fabs(static_cast<double>(got) - exact) / ulp;
}

// Every float bit pattern in steps of `stride` (both signs, subnormals, up to infinity).
template <class F, class Exact>
double worst_ulps(F&& f, Exact&& exact, bool positive_only, float* at) {
  double worst = 0;
  for (std::uint64_t bits = 0; bits < (1ull << 32); bits += 4099) {
    const float x = std::bit_cast<float>(static_cast<std::uint32_t>(bits));
    if (std::isnan(x) || (positive_only && !(x > 0))) continue;
    const double e = ulps(f(x), exact(static_cast<double>(x)));
    if (e > worst) {
      worst = e;
      *at = x;
    }
  }
  return worst;
}

// divide_by(x, c, 1/c) is x / c to the bit: every mantissa of x (in steps of 7, at two exponents,
// and the specials) for divisors Adam divides by (√(1 − β2ᵗ) at β2 = 0.999 and 0.9999, early and
// late steps) and for divisors whose reciprocals round awkwardly (mantissas of all ones, just
// above a power of two).
TEST(vector_math, DivideByIsTheDivisionToTheBit) {
  std::vector<float> divisors;
  for (const double beta2 : {0.999, 0.9999})
    for (const int t : {1, 2, 3, 10, 77, 1000, 9999, 16000})
      divisors.push_back(static_cast<float>(std::sqrt(1.0 - std::pow(beta2, t))));
  for (const float c : {1.f, 0.5f, std::nextafter(1.f, 0.f), std::nextafter(0.5f, 1.f), 0.7f, 0.1f, 3.f, 1e-3f})
    divisors.push_back(c);
  for (const float c : divisors) {
    const volatile float one = 1.f;  // (a division done at run time, as the kernels do)
    const float r = one / c;
    for (const float scale : {1.f, 0x1p-70f, 0x1p60f}) {
      for (std::uint32_t mantissa = 0; mantissa < (1u << 23); mantissa += 7) {
        const float x = std::bit_cast<float>(0x3f800000u | mantissa) * scale;
        ASSERT_EQ(vmath::divide_by(x, c, r), x / c) << x << " / " << c;
      }
    }
    EXPECT_EQ(vmath::divide_by(0.f, c, r), 0.f);
    EXPECT_EQ(vmath::divide_by(kInf, c, r), kInf);
    EXPECT_TRUE(std::isnan(vmath::divide_by(std::nanf(""), c, r)));
  }
}

TEST(vector_math, ExpIsWithin2UlpEverywhere) {
  float at = 0;
  EXPECT_LE(worst_ulps([](float x) { return vmath::exp(x); }, [](double x) { return std::exp(x); }, false, &at), 2.0) << "at x = " << at;
  EXPECT_EQ(vmath::exp(0.f), 1.f);
  EXPECT_EQ(vmath::exp(-kInf), 0.f);
  EXPECT_EQ(vmath::exp(kInf), kInf);
  EXPECT_EQ(vmath::exp(89.f), kInf);    // overflows as expf does
  EXPECT_EQ(vmath::exp(-110.f), 0.f);   // underflows
  EXPECT_GT(vmath::exp(-100.f), 0.f);   // a subnormal, not 0
  EXPECT_TRUE(std::isnan(vmath::exp(std::nanf(""))));
}

TEST(vector_math, LogIsWithin2UlpEverywhere) {
  float at = 0;
  EXPECT_LE(worst_ulps([](float x) { return vmath::log(x); }, [](double x) { return std::log(x); }, true, &at), 2.0) << "at x = " << at;
  EXPECT_EQ(vmath::log(1.f), 0.f);
  EXPECT_EQ(vmath::log(0.f), -kInf);
  EXPECT_EQ(vmath::log(-0.f), -kInf);
  EXPECT_EQ(vmath::log(kInf), kInf);
  EXPECT_TRUE(std::isnan(vmath::log(-1.f)));
  EXPECT_TRUE(std::isnan(vmath::log(std::nanf(""))));
  EXPECT_NEAR(vmath::log(std::numeric_limits<float>::denorm_min()), std::log(1.401298464e-45), 1e-5);
}

// log1p is log(1 + x) times a correction: log's 2 ulp and two roundings (3.79 ulp measured,
// at x = 0.0302, over every float above −1).
TEST(vector_math, Log1pIsWithin4UlpAboveMinusOne) {
  float at = 0;
  const auto log1p_above_minus_one = [](float x) { return x > -1.f ? vmath::log1p(x) : std::log1p(x); };
  EXPECT_LE(worst_ulps(log1p_above_minus_one, [](double x) { return std::log1p(x); }, false, &at), 4.0)
      << "at x = " << at;
  EXPECT_EQ(vmath::log1p(0.f), 0.f);
  EXPECT_TRUE(std::signbit(vmath::log1p(-0.f)));
  EXPECT_EQ(vmath::log1p(1e-30f), 1e-30f);  // tiny arguments are their own log1p
  EXPECT_EQ(vmath::log1p(-1.f), -kInf);
  EXPECT_EQ(vmath::log1p(kInf), kInf);
  EXPECT_TRUE(std::isnan(vmath::log1p(-2.f)));
  EXPECT_TRUE(std::isnan(vmath::log1p(std::nanf(""))));
}

// softplus's polynomial in e^(−|x|) (tools/fit_softplus_poly.py), against ln(1 + eˣ) in double
// written as max(x, 0) + log1p(e^(−|x|)), which neither overflows nor cancels. 2.45 ulp measured,
// at x = −0.4538: there s = e^x ≈ 0.64 carries exp's error, and an ulp of s is two of the result
// (≈ 0.49). log1p(exp(x)), which it replaced, reached 3.6 ulp (at x = −2.855, every 1031st float).
TEST(vector_math, SoftplusIsWithin2AndAHalfUlpEverywhere) {
  float at = 0;
  const auto exact = [](double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); };
  EXPECT_LE(worst_ulps([](float x) { return vmath::softplus(x); }, exact, false, &at), 2.5) << "at x = " << at;
  EXPECT_EQ(vmath::softplus(0.f), static_cast<float>(M_LN2));
  EXPECT_EQ(vmath::softplus(kInf), kInf);
  EXPECT_EQ(vmath::softplus(-kInf), 0.f);
  EXPECT_EQ(vmath::softplus(-200.f), 0.f);  // e^−200 is below the smallest float
  EXPECT_EQ(vmath::softplus(1e30f), 1e30f);
  EXPECT_TRUE(std::isnan(vmath::softplus(std::nanf(""))));
}

// erf's two polynomials (tools/fit_erf_polys.py): 2.49 ulp measured, at x = −0.9908 (every 7th
// float), the end of the first piece.
TEST(vector_math, ErfIsWithin3UlpEverywhere) {
  float at = 0;
  EXPECT_LE(worst_ulps([](float x) { return vmath::erf(x); }, [](double x) { return std::erf(x); }, false, &at), 3.0) << "at x = " << at;
  EXPECT_EQ(vmath::erf(0.f), 0.f);
  EXPECT_TRUE(std::signbit(vmath::erf(-0.f)));
  EXPECT_EQ(vmath::erf(kInf), 1.f);
  EXPECT_EQ(vmath::erf(-kInf), -1.f);
  EXPECT_EQ(vmath::erf(4.f), 1.f);
  EXPECT_NEAR(vmath::erf(1e-30f), 1.1283791670955126e-30, 1e-36);  // 2x/√π
  EXPECT_TRUE(std::isnan(vmath::erf(std::nanf(""))));
}

// erf_near_zero is erf's first piece alone: erf's very bits wherever |x| < 1 (every 613th float
// there, −0 and the subnormals included).
TEST(vector_math, ErfNearZeroIsErfBelowOne) {
  for (std::uint32_t magnitude = 0; magnitude < std::bit_cast<std::uint32_t>(1.f); magnitude += 613) {
    for (const std::uint32_t sign : {0u, 0x80000000u}) {
      const float x = std::bit_cast<float>(magnitude | sign);
      ASSERT_EQ(std::bit_cast<std::uint32_t>(vmath::erf_near_zero(x)), std::bit_cast<std::uint32_t>(vmath::erf(x)))
          << "at x = " << x;
    }
  }
}

TEST(vector_math, TanhIsWithin2UlpEverywhere) {
  float at = 0;
  EXPECT_LE(worst_ulps([](float x) { return vmath::tanh(x); }, [](double x) { return std::tanh(x); }, false, &at), 2.0) << "at x = " << at;
  EXPECT_EQ(vmath::tanh(kInf), 1.f);
  EXPECT_EQ(vmath::tanh(-kInf), -1.f);
  EXPECT_EQ(vmath::tanh(20.f), 1.f);
  EXPECT_TRUE(std::signbit(vmath::tanh(-0.f)));
  EXPECT_EQ(vmath::tanh(1e-30f), 1e-30f);  // tiny arguments are their own tanh
  EXPECT_TRUE(std::isnan(vmath::tanh(std::nanf(""))));
}

// tanh_small over its range (−1, 1): every 17th bit pattern (the range is 2·1.07·10⁹ floats).
TEST(vector_math, TanhSmallIsWithin2UlpBelowOne) {
  double worst = 0;
  float at = 0;
  for (std::uint32_t bits = 0; bits < 0x3f800000u; bits += 17) {
    for (const float x : {std::bit_cast<float>(bits), -std::bit_cast<float>(bits)}) {
      const double e = ulps(vmath::tanh_small(x), std::tanh(static_cast<double>(x)));
      if (e > worst) {
        worst = e;
        at = x;
      }
    }
  }
  EXPECT_LE(worst, 2.0) << "at x = " << at;
  EXPECT_TRUE(std::signbit(vmath::tanh_small(-0.f)));
  EXPECT_FALSE(std::signbit(vmath::tanh_small(0.f)));
  EXPECT_EQ(vmath::tanh_small(1e-30f), 1e-30f);
  EXPECT_EQ(vmath::tanh_small(-1e-40f), -1e-40f);  // subnormal
}

}  // namespace
