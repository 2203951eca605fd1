#pragma once
// exp, log and tanh for float32 written without branches or library calls, so that a loop
// over an array of them vectorises (with -fno-trapping-math, which src/CMakeLists.txt sets: GCC
// does not turn some of these selects into vector blends if a comparison might trap) (glibc's expf/logf/tanhf are one call per element, and were
// most of the time of the lesson's cross-entropy and Tanh networks). Each is within 2 ulp of
// the correctly rounded result over its whole range (tests/test_vector_math.cpp measures it
// against double precision), and handles ±inf, NaN and out-of-range arguments as the C
// library does. They are the only exp/log/tanh of the CPU kernels that use them, so a fused
// kernel and the layer-by-layer path round alike.
#include <bit>
#include <cstdint>
#include <limits>

namespace ann::backend::vmath {

// Round to the nearest integer (ties to even) for |v| < 2^22: adding 1.5·2^23 pushes the
// fraction bits out of the float.
inline float round_to_int(float v) {
  constexpr float shifter = 12582912.f;  // 1.5 · 2^23
  return (v + shifter) - shifter;
}

// 2^n for an integer-valued n in [-126, 127], built from its exponent bits.
inline float pow2(float n) {
  return std::bit_cast<float>(static_cast<std::int32_t>((static_cast<std::int32_t>(n) + 127) << 23));
}

/// e^x. Cody–Waite: x = n·ln2 + r with |r| <= ln2/2, e^r by its Taylor series to r⁷
/// (truncation < 1e-8 relative), times 2^n (split in two factors so that n down to −149
/// gives the subnormal results).
inline float exp(float x) {
  constexpr float log2e = 1.44269504088896341f;
  constexpr float ln2_hi = 0.693145751953125f;  // ln 2 split: n·ln2_hi is exact for |n| < 2^8
  constexpr float ln2_lo = 1.42860682030941723212e-6f;
  const float clamped = x > 88.8f ? 88.8f : (x < -104.f ? -104.f : x);
  const float n = round_to_int(clamped * log2e);
  const float r = (clamped - n * ln2_hi) - n * ln2_lo;
  float p = 1.f / 5040;
  p = p * r + 1.f / 720;
  p = p * r + 1.f / 120;
  p = p * r + 1.f / 24;
  p = p * r + 1.f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.f;
  p = p * r + 1.f;
  // n in [-150, 128]: 2^n = 2^(n − half) · 2^half with both factors normal floats.
  const float half = round_to_int(n * 0.5f);
  float result = p * pow2(half) * pow2(n - half);
  result = x > 88.72283935546875f ? std::numeric_limits<float>::infinity() : result;
  result = x < -103.972084045410f ? 0.f : result;
  return x == x ? result : x;  // NaN stays NaN
}

/// ln x. x = 2^e·m with m in [√½, √2), ln m = 2 atanh(s) with s = (m − 1)/(m + 1), |s| < 0.172,
/// by its odd series to s¹¹; e·ln2 added in two parts.
inline float log(float x) {
  constexpr float ln2_hi = 0.693145751953125f;
  constexpr float ln2_lo = 1.42860682030941723212e-6f;
  constexpr float min_normal = std::numeric_limits<float>::min();
  const bool subnormal = x < min_normal;
  const float scaled = x * (subnormal ? 8388608.f : 1.f);  // · 2^23 brings subnormals into range
  const auto bits = std::bit_cast<std::uint32_t>(scaled);
  // Exponent and mantissa, with the mantissa moved into [√½, √2) (0x3f3504f3 is √½). Unsigned
  // arithmetic wraps where a negative x's bits would overflow a signed subtraction; the
  // conversion back is modular (C++20) and the right shift arithmetic.
  const auto shifted = static_cast<std::int32_t>(bits - 0x3f3504f3u);
  const std::int32_t e = (shifted >> 23) - (subnormal ? 23 : 0);
  const float m = std::bit_cast<float>((static_cast<std::uint32_t>(shifted) & 0x007fffffu) + 0x3f3504f3u);
  const float s = (m - 1.f) / (m + 1.f);
  const float s2 = s * s;
  float p = 2.f / 11;
  p = p * s2 + 2.f / 9;
  p = p * s2 + 2.f / 7;
  p = p * s2 + 2.f / 5;
  p = p * s2 + 2.f / 3;
  const float ef = static_cast<float>(e);
  const float log_m = 2.f * s + s * s2 * p;
  float result = ef * ln2_hi + (log_m + ef * ln2_lo);
  constexpr float inf = std::numeric_limits<float>::infinity();
  result = x == inf ? inf : result;
  result = x == 0.f ? -inf : result;
  result = x < 0.f ? std::numeric_limits<float>::quiet_NaN() : result;
  return x == x ? result : x;  // NaN stays NaN
}

/// tanh x. Near 0, its Taylor series to x¹⁹ (|x| < 0.55, truncation < 1e-9); beyond,
/// 1 − 2/(e^{2|x|} + 1) with the sign put back; |x| >= 10 gives ±1 (as tanh 10 rounds to 1).
inline float tanh(float x) {
  const float a = x < 0.f ? -x : x;
  const float a2 = a * a;
  // The series' coefficients: tanh a = a − a³/3 + 2a⁵/15 − 17a⁷/315 + ... (Bernoulli numbers).
  float p = 0.00023912911f;
  p = p * a2 - 0.00059002744f;
  p = p * a2 + 0.0014558344f;
  p = p * a2 - 0.0035921280f;
  p = p * a2 + 0.0088632355f;
  p = p * a2 - 0.021869489f;
  p = p * a2 + 0.053968254f;
  p = p * a2 - 0.13333334f;
  p = p * a2 + 0.33333334f;
  const float series = a - a * a2 * p;
  const float clamped = a > 10.f ? 10.f : a;
  const float far = 1.f - 2.f / (vmath::exp(2.f * clamped) + 1.f);
  const float magnitude = a < 0.55f ? series : far;
  // The sign of x put back by its bit, so that tanh(−0) is −0.
  const float result =
      std::bit_cast<float>(std::bit_cast<std::uint32_t>(magnitude) | (std::bit_cast<std::uint32_t>(x) & 0x80000000u));
  return x == x ? result : x;
}

}  // namespace ann::backend::vmath
