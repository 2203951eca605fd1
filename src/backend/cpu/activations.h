#pragma once
// The squashing functions and their derivatives, written once: the standalone ops, the fused
// affine-layer epilogue and the fused two-layer kernel (narrow_mlp_*.cpp) must round identically.
// The derivatives are taken from the function's output y, which the forward pass keeps.
#include <bit>
#include <cstdint>
#include <type_traits>

#include "backend/cpu/vector_math.h"

namespace ann::backend {

// max(v, 0) as the signed integer max of v's bits and 0 (one integer instruction in a vector
// loop, off the multiply-add pipes): every float below +0, and −0, has its sign bit set and
// gives +0. A NaN gives +0 or stays NaN by its sign bit: x86 arithmetic makes NaNs with the
// bit set, so a NaN the network computes becomes +0 (as the float select it replaced did),
// one read from data stays NaN; torch keeps every NaN. The training loop's finite checks
// (src/lesson/finite_checks.h) stop a run whose loss or gradients are not finite either way.
inline float relu_of(float v) {
  const auto bits = std::bit_cast<std::int32_t>(v);
  return std::bit_cast<float>(bits > 0 ? bits : 0);
}
// The same for a vector of floats (GCC's vector extension: the fused kernels' 16 lanes, whose
// comparison v > v gives the integer vector of its size), on the bits too so that GCC emits the
// integer max (off the multiply-add pipes): the float select a > 0 ? a : 0 compiled to a compare
// into a mask register and a masked move, which took a multiply-add's slot (the lesson's spiral
// forward 14 % slower).
template <class V>
  requires(!std::is_arithmetic_v<V>)
inline V relu_of(V v) {
  using Bits = decltype(v > v);
  const auto bits = std::bit_cast<Bits>(v);
  return std::bit_cast<V>(bits > 0 ? bits : Bits{});
}
// v, else slope·v: one float, a double, or 16 lanes (V) with a scalar slope.
template <class V, class S>
inline V leaky_relu_of(V v, S slope) {
  return v > S(0) ? v : v * slope;
}
inline float tanh_of(float v) { return vmath::tanh(v); }
inline float sigmoid_of(float v) { return 1.f / (1.f + vmath::exp(-v)); }
inline float relu_grad(float y, float g) { return y > 0.f ? g : 0.f; }     // [x > 0] = [y > 0]
inline float tanh_grad(float y, float g) { return g * (1.f - y * y); }     // 1 − y²
inline float sigmoid_grad(float y, float g) { return g * y * (1.f - y); }  // y (1 − y)
// ELU, y = z for z > 0, else α(eᶻ − 1): its slope α eᶻ is y + α there, no exponential again (as
// torch's in-place elu_ takes it from its result). Needs α >= 0, for which y > 0 exactly where
// z > 0. y + α cancels as y nears −α, but its error stays under an ulp of α: at most ~1e-7·α.
inline float elu_grad(float y, float g, float alpha) { return y > 0.f ? g : g * (y + alpha); }
// SiLU, h = z σ(z): its slope σ(1 + z(1 − σ)) is σ + h(1 − σ), from σ and h.
inline float silu_slope(float s, float h) { return s + h * (1.f - s); }

}  // namespace ann::backend
