#pragma once
// The squashing functions and their derivatives, written once: the standalone ops, the fused
// affine-layer epilogue and the fused two-layer kernel (narrow_mlp.cpp) must round identically.
// The derivatives are taken from the function's output y, which the forward pass keeps.
#include <bit>
#include <cstdint>

#include "backend/cpu/vector_math.h"

namespace ann::backend {

// max(v, 0) as the signed integer max of v's bits and 0 (one integer instruction in a vector
// loop): every float below +0, and −0, has its sign bit set and gives +0; a NaN gives +0 or
// stays NaN by its sign bit.
inline float relu_of(float v) {
  const auto bits = std::bit_cast<std::int32_t>(v);
  return std::bit_cast<float>(bits > 0 ? bits : 0);
}
inline float tanh_of(float v) { return vmath::tanh(v); }
inline float sigmoid_of(float v) { return 1.f / (1.f + vmath::exp(-v)); }
inline float relu_grad(float y, float g) { return y > 0.f ? g : 0.f; }     // [x > 0] = [y > 0]
inline float tanh_grad(float y, float g) { return g * (1.f - y * y); }     // 1 − y²
inline float sigmoid_grad(float y, float g) { return g * y * (1.f - y); }  // y (1 − y)

}  // namespace ann::backend
