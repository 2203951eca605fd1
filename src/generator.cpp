// PyTorch 1.13 CPU generator, reproduced bit for bit (see include/ann/generator.h for the
// contract). The float operation sequences below are the ones torch's compiled AVX2 kernels
// execute, read off the disassembly of Debian's libtorch_cpu.so 1.13.1 and confirmed by
// tests/test_generator.cpp against values torch produced (tests/fixtures/generator.json).
#include "ann/generator.h"

#include <bit>
#include <cmath>
#include <string>

#include "ann/error.h"

// Where torch's kernel fuses a multiply and an add, the code below calls std::fma; every other
// product must stay separately rounded. It does under any -ffp-contract setting, because no
// such product feeds an addition a compiler could fuse it with (each goes to a sqrt, a
// conversion, a store, or is an operand of std::fma); checked with GCC 12 and Clang 14 at
// -O3 -march=native -ffp-contract=fast. Keep it so when editing; -ffast-math breaks parity.

namespace ann {
namespace {

// The fills' loops (normal_blocks, uniform_from_words, twist_words, below) in two copies: GCC on
// x86-64 (not under AddressSanitizer, as the back end's kernels, src/backend/cpu/simd.h) makes
// one for AVX2 + FMA beside the baseline one, and inlines the helpers into both.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define ANN_GENERATOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define ANN_GENERATOR_CLONES
#endif
#define ANN_GENERATOR_INLINE inline __attribute__((always_inline))

// MT19937 (Matsumoto & Nishimura 1998), written out rather than std::mt19937: the stream is the
// same (the test checks it against std::mt19937), but std::mt19937 exposes its state only as
// text through operator<< / >>, and checkpoints need the raw words.
constexpr std::size_t kN = Generator::kStateWords;
constexpr std::size_t kM = 397;
constexpr std::uint32_t kMatrixA = 0x9908b0dfu;
constexpr std::uint32_t kUpperMask = 0x80000000u;
constexpr std::uint32_t kLowerMask = 0x7fffffffu;

void seed_mt(Generator::State& s, std::uint64_t seed) {
  // torch stores the 64-bit seed but feeds MT19937 only its low 32 bits.
  s.mt[0] = static_cast<std::uint32_t>(seed);
  for (std::size_t i = 1; i < kN; ++i) {
    const std::uint32_t prev = s.mt[i - 1];
    s.mt[i] = 1812433253u * (prev ^ (prev >> 30)) + static_cast<std::uint32_t>(i);
  }
  s.index = static_cast<std::uint32_t>(kN);
  s.seed = seed;
  s.next_normal.reset();
}

// ---------------------------------------------------------------- the n >= 16 normal path
// One lane of torch's normal_fill_16_AVX2, whose log and sincos are Cephes-style float
// polynomials (avx_mathfun.h), compiled with FMA contraction. Constants are the Cephes ones;
// the static_asserts pin the float bit patterns found in libtorch_cpu.so.

constexpr float kTwoPiF = static_cast<float>(2.0 * 3.14159265358979323846);  // 2.0f * pi<double>
static_assert(std::bit_cast<std::uint32_t>(kTwoPiF) == 0x40c90fdbu);

constexpr float kSqrtHalf = 0.707106781186547524f;
constexpr float kLogP[9] = {7.0376836292E-2f,  -1.1514610310E-1f, 1.1676998740E-1f,
                            -1.2420140846E-1f, 1.4249322787E-1f,  -1.6668057665E-1f,
                            2.0000714765E-1f,  -2.4999993993E-1f, 3.3333331174E-1f};
constexpr float kLogQ1 = -2.12194440e-4f;
constexpr float kLogQ2 = 0.693359375f;
static_assert(std::bit_cast<std::uint32_t>(kSqrtHalf) == 0x3f3504f3u);
static_assert(std::bit_cast<std::uint32_t>(kLogP[0]) == 0x3d9021bbu);
static_assert(std::bit_cast<std::uint32_t>(kLogP[1]) == 0xbdebd1b8u);
static_assert(std::bit_cast<std::uint32_t>(kLogP[2]) == 0x3def251au);
static_assert(std::bit_cast<std::uint32_t>(kLogP[3]) == 0xbdfe5d4fu);
static_assert(std::bit_cast<std::uint32_t>(kLogP[4]) == 0x3e11e9bfu);
static_assert(std::bit_cast<std::uint32_t>(kLogP[5]) == 0xbe2aae50u);
static_assert(std::bit_cast<std::uint32_t>(kLogP[6]) == 0x3e4cceacu);
static_assert(std::bit_cast<std::uint32_t>(kLogP[7]) == 0xbe7ffffcu);
static_assert(std::bit_cast<std::uint32_t>(kLogP[8]) == 0x3eaaaaaau);
static_assert(std::bit_cast<std::uint32_t>(kLogQ1) == 0xb95e8083u);
static_assert(std::bit_cast<std::uint32_t>(kLogQ2) == 0x3f318000u);

constexpr float kFourOverPi = 1.27323954473516f;
constexpr float kMinusDP1 = -0.78515625f;  // -pi/4 split in three parts for exact reduction
constexpr float kMinusDP2 = -2.4187564849853515625e-4f;
constexpr float kMinusDP3 = -3.77489497744594108e-8f;
constexpr float kSinP0 = -1.9515295891E-4f, kSinP1 = 8.3321608736E-3f, kSinP2 = -1.6666654611E-1f;
constexpr float kCosP0 = 2.443315711809948E-005f, kCosP1 = -1.388731625493765E-003f,
                kCosP2 = 4.166664568298827E-002f;
static_assert(std::bit_cast<std::uint32_t>(kFourOverPi) == 0x3fa2f983u);
static_assert(std::bit_cast<std::uint32_t>(kMinusDP1) == 0xbf490000u);
static_assert(std::bit_cast<std::uint32_t>(kMinusDP2) == 0xb97da000u);
static_assert(std::bit_cast<std::uint32_t>(kMinusDP3) == 0xb3222169u);
static_assert(std::bit_cast<std::uint32_t>(kSinP0) == 0xb94ca1f9u);
static_assert(std::bit_cast<std::uint32_t>(kSinP1) == 0x3c08839eu);
static_assert(std::bit_cast<std::uint32_t>(kSinP2) == 0xbe2aaaa3u);
static_assert(std::bit_cast<std::uint32_t>(kCosP0) == 0x37ccf5ceu);
static_assert(std::bit_cast<std::uint32_t>(kCosP1) == 0xbab6061au);
static_assert(std::bit_cast<std::uint32_t>(kCosP2) == 0x3d2aaaa5u);

// ln(x) for x in [2^-24, 1] (all that 1 - uniform can be). x = m * 2^e with m in [sqrt(1/2),
// sqrt(2)); with f = m - 1: ln x = f - f^2/2 + f^3 P(f) + e * ln 2, ln 2 split as q2 + q1.
ANN_GENERATOR_INLINE float cephes_log(float x) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  float e = static_cast<float>(static_cast<std::int32_t>(bits >> 23) - 0x7f) + 1.0f;
  float f = std::bit_cast<float>((bits & 0x807fffffu) | 0x3f000000u);  // mantissa in [0.5, 1)
  const bool small = f < kSqrtHalf;  // then use 2m - 1 and one less in the exponent
  const float extra = small ? f : 0.0f;
  f = f - 1.0f;
  e = e - (small ? 1.0f : 0.0f);
  f = f + extra;
  const float z = f * f;
  float y = kLogP[0];
#pragma GCC unroll 8  // unrolled before the blocks are vectorised (a loop inside a loop stays scalar)
  for (int k = 1; k < 9; ++k) y = std::fma(y, f, kLogP[k]);
  y = y * f;
  y = std::fma(y, z, e * kLogQ1);
  y = std::fma(-z, 0.5f, y);
  f = f + y;
  return std::fma(e, kLogQ2, f);
}

// sin and cos of x >= 0 (x < 2 pi here). j = the even integer nearest x * 4/pi, r = x - j*pi/4
// (three fused steps), then sin r = r + r z S(z), cos r = 1 - z/2 + z^2 C(z), z = r^2; bits 1
// and 2 of j pick the polynomial and the signs.
ANN_GENERATOR_INLINE void cephes_sincos(float x, float& s, float& c) {
  const std::uint32_t sign_in = std::bit_cast<std::uint32_t>(x) & 0x80000000u;
  x = std::fabs(x);
  std::int32_t j = static_cast<std::int32_t>(x * kFourOverPi);  // truncates, like cvttps2dq
  j = (j + 1) & ~1;
  const float jf = static_cast<float>(j);
  const std::uint32_t sign_sin = sign_in ^ (static_cast<std::uint32_t>(j & 4) << 29);
  const std::uint32_t sign_cos = static_cast<std::uint32_t>(~(j - 2) & 4) << 29;
  const bool sin_uses_sin_poly = (j & 2) == 0;

  float r = std::fma(jf, kMinusDP1, x);
  r = std::fma(jf, kMinusDP2, r);
  r = std::fma(jf, kMinusDP3, r);
  const float z = r * r;

  float yc = std::fma(kCosP0, z, kCosP1);
  yc = std::fma(yc, z, kCosP2);
  yc = z * yc;
  yc = std::fma(yc, z, -(z * 0.5f));
  yc = yc + 1.0f;

  float ys = std::fma(kSinP0, z, kSinP1);
  ys = std::fma(z, ys, kSinP2);
  ys = z * ys;
  ys = std::fma(ys, r, r);

  // torch selects with masks and adds/subtracts the masked parts; replayed literally so that
  // signed zeros come out the same.
  const float sin_part_s = sin_uses_sin_poly ? ys : 0.0f;
  const float sin_part_c = sin_uses_sin_poly ? 0.0f : yc;
  ys = ys - sin_part_s;
  yc = yc - sin_part_c;
  s = std::bit_cast<float>(std::bit_cast<std::uint32_t>(sin_part_c + sin_part_s) ^ sign_sin);
  c = std::bit_cast<float>(std::bit_cast<std::uint32_t>(yc + ys) ^ sign_cos);
}

// Box-Muller on 16 uniforms in place: v[j], v[j+8] -> two normals from u1 = 1 - v[j] (radius)
// and u2 = v[j+8] (angle): r = sqrt(-2 ln u1), theta = 2 pi u2, r cos theta, r sin theta.
ANN_GENERATOR_INLINE void normal_block16(float* v, float mean, float stdv) {
  for (int j = 0; j < 8; ++j) {
    const float u1 = 1.0f - v[j];
    const float radius = std::sqrt(-2.0f * cephes_log(u1));
    const float theta = kTwoPiF * v[j + 8];
    float s = 0.0f, c = 0.0f;
    cephes_sincos(theta, s, c);
    v[j] = std::fma(radius * c, stdv, mean);
    v[j + 8] = std::fma(radius * s, stdv, mean);
  }
}

// Every whole block of 16 in out[0, n). Also compiled for x86-64-v3 (AVX2 and FMA), chosen at
// load time where the CPU has it: there the fused multiply-adds are instructions, not calls of
// the C library's fmaf, and the blocks' 8 lanes run as one vector, the same IEEE operations
// lane by lane, so the same bits (tests/test_generator.cpp: torch's own values). randn of 5 million
// floats, one thread: 28 ns a value, 3 after (with the draws of uniform_from_words).
ANN_GENERATOR_CLONES void normal_blocks(float* out, std::size_t n, float mean, float stdv) {
  for (std::size_t i = 0; i + 16 <= n; i += 16) normal_block16(out + i, mean, stdv);
}

// (x & 0xFFFFFF) * 2^-24: the 24 low bits of one draw, exact in float, in [0, 1).
ANN_GENERATOR_INLINE float uniform24(std::uint32_t x) {
  return static_cast<float>(x & 0xFFFFFFu) * 0x1p-24f;
}

// MT19937's output function: one state word, tempered.
ANN_GENERATOR_INLINE std::uint32_t tempered(std::uint32_t y) {
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

// out[j] = fma(uniform24(tempered(words[j])), range, lo): m draws in a row of the state, as m
// calls of random() give them. Copies as normal_blocks's, vectorised (rand of 5 million floats,
// one thread: 4.5 ns a value when each was a call of random() and of fmaf; 0.7 after).
ANN_GENERATOR_CLONES void uniform_from_words(const std::uint32_t* words, std::size_t m, float* out, float range,
                                             float lo) {
  for (std::size_t j = 0; j < m; ++j) out[j] = std::fma(uniform24(tempered(words[j])), range, lo);
}

// A twist of the whole state, word k from words k, k + 1 and k + 397 (mod 624), in order: the
// words past 227 read words the same twist has already replaced. Cut where the indices wrap, so
// that each part is a loop without a modulo, which vectorises (each part reads words at least 8
// ahead of or behind those it writes, or the word after, not yet replaced).
ANN_GENERATOR_CLONES void twist_words(std::uint32_t* mt) {
  auto next = [mt](std::size_t k, std::uint32_t after, std::uint32_t far) {
    const std::uint32_t y = (mt[k] & kUpperMask) | (after & kLowerMask);
    return far ^ (y >> 1) ^ ((y & 1u) ? kMatrixA : 0u);
  };
  std::size_t k = 0;
  for (; k < kN - kM; ++k) mt[k] = next(k, mt[k + 1], mt[k + kM]);
  for (; k < kN - 1; ++k) mt[k] = next(k, mt[k + 1], mt[k + kM - kN]);
  mt[kN - 1] = next(kN - 1, mt[0], mt[kM - 1]);
}

}  // namespace

Generator::Generator(std::uint64_t seed) { seed_mt(s_, seed); }

void Generator::manual_seed(std::uint64_t seed) { seed_mt(s_, seed); }

std::uint64_t Generator::initial_seed() const { return s_.seed; }

void Generator::twist() {
  twist_words(s_.mt.data());
  s_.index = 0;
}

std::uint32_t Generator::random() {
  if (s_.index >= kN) twist();
  return tempered(s_.mt[s_.index++]);
}

template <class Fill>
void Generator::for_each_run(std::size_t n, Fill fill) {
  for (std::size_t i = 0; i < n;) {
    if (s_.index >= kN) twist();
    const std::size_t m = std::min<std::size_t>(n - i, kN - s_.index);
    fill(s_.mt.data() + s_.index, m, i);
    s_.index += static_cast<std::uint32_t>(m);
    i += m;
  }
}

std::uint64_t Generator::random64() {
  const std::uint64_t hi = random();
  const std::uint64_t lo = random();
  return (hi << 32) | lo;
}

void Generator::fill_uniform(float* out, std::size_t n, double from, double to) {
  if (!(from <= to)) {
    throw ValueError("uniform_: expects a [from, to) range, but found from=" +
                     std::to_string(from) + " > to=" + std::to_string(to));
  }
  // torch rounds the bounds to float first and fuses u * (to - from) + from.
  const float lo = static_cast<float>(from);
  const float range = static_cast<float>(to) - lo;
  for_each_run(n, [&](const std::uint32_t* words, std::size_t m, std::size_t i) {
    uniform_from_words(words, m, out + i, range, lo);
  });
}

double Generator::uniform53() {
  // The 53 low bits of random64(), exact in double, in [0, 1).
  return static_cast<double>(random64() & ((std::uint64_t{1} << 53) - 1)) * 0x1p-53;
}

double Generator::standard_normal() {
  if (s_.next_normal) {
    const double cached = *s_.next_normal;
    s_.next_normal.reset();
    return cached;
  }
  const double u1 = uniform53();  // angle
  const double u2 = uniform53();  // radius; 1 - u2 in (0, 1] keeps the log finite
  // The C library's double log / sin / cos, as torch calls them: the same libm, the same bits.
  const double r = std::sqrt(std::log(1.0 - u2) * -2.0);
  const double theta = 6.283185307179586 * u1;  // 2 pi
  s_.next_normal = r * std::sin(theta);
  return r * std::cos(theta);
}

void Generator::fill_normal(float* out, std::size_t n, double mean, double std) {
  if (!(std >= 0.0)) {
    throw ValueError("normal_: expects std >= 0.0, but found std " + std::to_string(std));
  }
  if (n < 16) {
    for (std::size_t i = 0; i < n; ++i) {
      out[i] = static_cast<float>(std::fma(standard_normal(), std, mean));
    }
    return;
  }
  const float mean_f = static_cast<float>(mean);
  const float std_f = static_cast<float>(std);
  // u · 1 + 0 is u: the uniforms alone
  for_each_run(n, [&](const std::uint32_t* words, std::size_t m, std::size_t i) {
    uniform_from_words(words, m, out + i, 1.0f, 0.0f);
  });
  normal_blocks(out, n, mean_f, std_f);
  if (n % 16 != 0) {
    // torch redraws the last 16 (overlapping the last full block) and transforms them again.
    float* tail = out + (n - 16);
    for (std::size_t i = 0; i < 16; ++i) tail[i] = uniform24(random());
    normal_blocks(tail, 16, mean_f, std_f);
  }
}

void Generator::fill_uniform(double* out, std::size_t n, double from, double to) {
  if (!(from <= to)) {
    throw ValueError("uniform_: expects a [from, to) range, but found from=" + std::to_string(from) +
                     " > to=" + std::to_string(to));
  }
  const double range = to - from;
  for (std::size_t i = 0; i < n; ++i) out[i] = std::fma(uniform53(), range, from);
}

void Generator::fill_normal(double* out, std::size_t n, double mean, double std) {
  if (!(std >= 0.0)) {
    throw ValueError("normal_: expects std >= 0.0, but found std " + std::to_string(std));
  }
  if (n < 16) {
    for (std::size_t i = 0; i < n; ++i) out[i] = std::fma(standard_normal(), std, mean);
    return;
  }
  // Box-Muller on (v[j], v[j + 8]), j < 8, of a block of 16 uniforms: torch's normal_fill_16.
  auto block16 = [&](double* v) {
    for (std::size_t j = 0; j < 8; ++j) {
      const double radius = std::sqrt(-2.0 * std::log(1.0 - v[j]));
      const double theta = 2.0 * 3.14159265358979323846 * v[j + 8];
      v[j] = std::fma(radius * std::cos(theta), std, mean);
      v[j + 8] = std::fma(radius * std::sin(theta), std, mean);
    }
  };
  for (std::size_t i = 0; i < n; ++i) out[i] = uniform53();
  for (std::size_t i = 0; i + 16 <= n; i += 16) block16(out + i);
  if (n % 16 != 0) {
    double* tail = out + (n - 16);
    for (std::size_t i = 0; i < 16; ++i) tail[i] = uniform53();
    block16(tail);
  }
}

Generator::State Generator::state() const { return s_; }

void Generator::set_state(const State& state) {
  if (state.index > kN) {
    throw ValueError("Generator::set_state: index " + std::to_string(state.index) +
                     " is out of range [0, " + std::to_string(kN) + "]");
  }
  s_ = state;
}

Generator& default_generator() {
  static Generator generator;
  return generator;
}

void manual_seed(std::uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace ann
