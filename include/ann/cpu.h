#pragma once
// The instruction-set level ann's own kernels run at. Each hot loop is compiled three times —
// "avx512" (x86-64-v4), "avx2" (x86-64-v3: AVX2 and FMA) and "baseline" (any x86-64) — and
// by default the widest one this CPU supports runs. The environment variable ANN_CPU_LEVEL
// forces another (e.g. ANN_CPU_LEVEL=baseline), to compare levels or to rule one out. It is
// read once, at the first kernel call. The matrix products of OpenBLAS pick their kernels
// themselves (OPENBLAS_CORETYPE); ANN_CPU_LEVEL does not touch them.
//
// What stays the same across levels: every kernel compiled without fused multiply-adds gives
// the same bits at every level; the two-layer and cross-entropy kernels, compiled with them,
// agree between avx2 and avx512 and round differently at baseline (see src/backend/cpu/simd.h).
#include <string_view>
#include <vector>

namespace ann {

/// The level in use: "avx512", "avx2" or "baseline". Throws ValueError when ANN_CPU_LEVEL
/// names an unknown level or one this CPU (or this build) cannot run.
std::string_view cpu_level();

/// The levels this CPU and this build can run, widest first ("baseline" always).
std::vector<std::string_view> supported_cpu_levels();

}  // namespace ann
