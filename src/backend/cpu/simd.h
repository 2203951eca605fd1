#pragma once
// ANN_KERNEL marks a hot loop to be compiled three times — for x86-64-v4 (AVX-512),
// x86-64-v3 (AVX2 + FMA) and baseline x86-64 — with the best one picked when the library
// loads (GCC's target_clones). The library thus runs on any x86-64 CPU and uses the widest
// vectors the CPU has. Floating-point contraction is off (-ffp-contract=off in CMake), so the
// three versions compute bit-identical results — except in the two-layer and cross-entropy
// kernels, compiled with fused multiply-adds (src/CMakeLists.txt), where the AVX-512 and AVX2
// versions agree and the baseline one rounds differently.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define ANN_KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ANN_KERNEL
#endif
