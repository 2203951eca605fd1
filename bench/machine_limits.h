#pragma once
// The machine's two limits that bench/limit_model.py bounds a training step with, measured on
// one core: the multiply-add peak and the memory bandwidth. Shared by ann_micro (BM_fma_peak)
// and ann_workload (`machine`, which bench/compare --sweep reads).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace ann::bench {

#if defined(__GNUC__) && defined(__x86_64__)
/// 512-bit multiply-adds in 12 independent chains (more than latency × issue width, so the
/// FMA ports, not the dependences, bind): 12 · 16 · rounds multiply-adds. On this project's
/// Zen 4 machine a 512-bit FMA issues once per cycle (two 256-bit halves), about 110 GFLOP/s;
/// on its Xeon twice per cycle, about 170 GFLOP/s.
__attribute__((target("avx512f,fma"), noinline)) inline float fma_chains(std::int64_t rounds) {
  const __m512 b = _mm512_set1_ps(0.9999f), c = _mm512_set1_ps(1e-4f);
  __m512 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm512_set1_ps(static_cast<float>(i));
  for (std::int64_t r = 0; r < rounds; ++r) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) a[i] = _mm512_fmadd_ps(a[i], b, c);
  }
  __m512 sum = a[0];
  for (int i = 1; i < 12; ++i) sum = _mm512_add_ps(sum, a[i]);
  float lanes[16];
  _mm512_storeu_ps(lanes, sum);
  return lanes[0];
}
constexpr double kFmaChainFlops = 12.0 * 16 * 2;  // per round: 12 FMAs of 16 lanes, 2 flops each
/// 512-bit divisions (square_roots: false) or square roots (true) in 12 independent chains: 12 · 16 ·
/// rounds lanes. Both go through the core's divider, which takes several cycles per 512-bit
/// instruction however many chains wait: the optimizer passes (a square root and two divisions
/// per parameter, in torch's order) are bound by it (bench/README.md, stop 36).
__attribute__((target("avx512f"), noinline)) inline float divider_chains(std::int64_t rounds, bool square_roots) {
  const __m512 b = _mm512_set1_ps(1.0001f);
  __m512 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm512_set1_ps(1.f + static_cast<float>(i));
  for (std::int64_t r = 0; r < rounds; ++r) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i)  // values stay near 1 (maskz: the unmasked form reads an undefined source, GCC warns)
      a[i] = square_roots ? _mm512_maskz_sqrt_ps(static_cast<__mmask16>(0xffff), a[i]) : _mm512_div_ps(b, a[i]);
  }
  __m512 sum = a[0];
  for (int i = 1; i < 12; ++i) sum = _mm512_add_ps(sum, a[i]);
  float lanes[16];
  _mm512_storeu_ps(lanes, sum);
  return lanes[0];
}
constexpr double kDividerChainLanes = 12.0 * 16;  // per round

/// The ceiling of any matrix product on this core: one register tile of C, MR rows × 16·NV
/// columns (MR·NV accumulators), over k = 0 .. K−1 of packed panels A [K][MR] and B [K][16·NV]
/// that stay in L1 — per k, NV loads of B, MR broadcasts of A, MR·NV multiply-adds: what the
/// inner loop of an ideal product kernel does, with no packing, edges or cache misses. `rounds`
/// tiles, each written to c (MR × 16·NV floats): rounds · MR · 16·NV · K multiply-adds. Set
/// beside fma_chains (multiply-adds alone) it says how far below the FMA peak a product's loads
/// keep even a perfect kernel (bench/README.md, stop 40).
template <int MR, int NV>
__attribute__((target("avx512f,fma"), noinline)) inline void product_tiles(std::int64_t rounds, int K, const float* a,
                                                                            const float* b, float* c) {
  for (std::int64_t r = 0; r < rounds; ++r) {
    __m512 acc[MR][NV];
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NV; ++j) acc[i][j] = _mm512_setzero_ps();
    const float *ak = a, *bk = b;
    for (int k = 0; k < K; ++k, ak += MR, bk += 16 * NV) {
      __m512 bv[NV];
      for (int j = 0; j < NV; ++j) bv[j] = _mm512_loadu_ps(bk + 16 * j);
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        const __m512 ai = _mm512_set1_ps(ak[i]);
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) acc[i][j] = _mm512_fmadd_ps(ai, bv[j], acc[i][j]);
      }
    }
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NV; ++j) _mm512_storeu_ps(c + (i * NV + j) * 16, acc[i][j]);
  }
}
#endif

/// Peak float32 FLOP/s of one core (2 per multiply-add), the best of 5 timings; 0 where the
/// CPU lacks AVX-512 (bench/compare then says it cannot compute the limit).
inline double measure_peak_flops() {
#if defined(__GNUC__) && defined(__x86_64__)
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("fma")) return 0;
  constexpr std::int64_t kRounds = 1 << 22;
  double best = 0;
  volatile float sink = 0;
  for (int r = 0; r < 5; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    sink = sink + fma_chains(kRounds);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, kRounds * kFmaChainFlops / s);
  }
  return best;
#else
  return 0;
#endif
}

/// Bandwidth of one core in bytes/s: a = b + s·c over three arrays of `floats` each, counted
/// as STREAM's triad counts it (3 arrays of bytes per pass; the write-allocate read of a is not
/// counted), the best of `passes`. Arrays of 64 MiB measure memory; of 8 MiB, the L3 cache.
inline double measure_bandwidth(std::size_t floats = std::size_t{16} << 20, int passes = 5) {
  std::vector<float> a(floats, 0.f), b(floats, 1.f), c(floats, 2.f);
  double best = 0;
  for (int r = 0; r < passes; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const float s = 0.5f + static_cast<float>(r);
    for (std::size_t i = 0; i < floats; ++i) a[i] = b[i] + s * c[i];
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 3.0 * static_cast<double>(floats) * sizeof(float) / seconds);
  }
  volatile float sink = a[floats / 2];
  (void)sink;
  return best;
}

}  // namespace ann::bench
