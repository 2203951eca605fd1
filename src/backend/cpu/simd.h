#pragma once
// ann's own kernels at three instruction-set levels, chosen at run time (include/ann/cpu.h).
//
// A kernel is written once, as `ANN_KERNEL ret name_body(params) { ... }`, followed by
// `ANN_DISPATCH(name)`, which defines `name(args...)`: it calls one of three copies of the
// body, compiled for x86-64-v4 (AVX-512), x86-64-v3 (AVX2 + FMA) and baseline x86-64, as
// isa_level() says — the widest the CPU supports, or the level ANN_CPU_LEVEL forces. Each
// copy inlines the body (ANN_KERNEL is always_inline) and all it calls, so the whole loop is
// compiled for that level. ANN_DISPATCH_FLATTENED also inlines calls that GCC would not
// (lambdas passed around as functions).
//
// Floating-point contraction is off (-ffp-contract=off in CMake), so the three copies compute
// bit-identical results — except in the kernels compiled with fused multiply-adds (two-layer,
// chain, cross-entropy, skinny product: src/CMakeLists.txt), where the AVX-512 and AVX2 copies
// agree and the baseline one rounds differently. The fused multiply-adds that vector_math.h
// writes out (madd) round alike in all three.
//
// Without GCC on x86-64, or under AddressSanitizer, there is one copy, compiled for the build's
// own target, and the only level is "baseline".
#include <utility>

namespace ann::backend::cpu {

enum class IsaLevel { Baseline, Avx2, Avx512 };

/// The level the kernels run at, chosen at the first call (src/backend/cpu/isa_level.cpp).
IsaLevel isa_level();

}  // namespace ann::backend::cpu

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define ANN_MULTI_ISA 1
#define ANN_KERNEL inline __attribute__((always_inline))
#define ANN_DISPATCH_WITH(name, ...)                                                                           \
  template <class... Args>                                                                                     \
  __attribute__((target("arch=x86-64-v4") __VA_ARGS__)) decltype(auto) name##_avx512(Args&&... args) {         \
    return name##_body(std::forward<Args>(args)...);                                                           \
  }                                                                                                            \
  template <class... Args>                                                                                     \
  __attribute__((target("arch=x86-64-v3") __VA_ARGS__)) decltype(auto) name##_avx2(Args&&... args) {           \
    return name##_body(std::forward<Args>(args)...);                                                           \
  }                                                                                                            \
  template <class... Args>                                                                                     \
  __attribute__((noinline __VA_ARGS__)) decltype(auto) name##_baseline(Args&&... args) {                       \
    return name##_body(std::forward<Args>(args)...);                                                           \
  }                                                                                                            \
  template <class... Args>                                                                                     \
  decltype(auto) name(Args&&... args) {                                                                        \
    switch (::ann::backend::cpu::isa_level()) {                                                                \
      case ::ann::backend::cpu::IsaLevel::Avx512: return name##_avx512(std::forward<Args>(args)...);           \
      case ::ann::backend::cpu::IsaLevel::Avx2: return name##_avx2(std::forward<Args>(args)...);               \
      default: return name##_baseline(std::forward<Args>(args)...);                                            \
    }                                                                                                          \
  }
#define ANN_DISPATCH(name) ANN_DISPATCH_WITH(name, )
#define ANN_DISPATCH_FLATTENED(name) ANN_DISPATCH_WITH(name, , flatten)
#else
#define ANN_KERNEL inline
#define ANN_DISPATCH(name)                                                                                     \
  template <class... Args>                                                                                     \
  decltype(auto) name(Args&&... args) {                                                                        \
    return name##_body(std::forward<Args>(args)...);                                                           \
  }
#define ANN_DISPATCH_FLATTENED(name) ANN_DISPATCH(name)
#endif
