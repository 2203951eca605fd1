#pragma once
// The squashing functions and their derivatives, written once: the standalone ops, the fused
// affine-layer epilogue and the fused two-layer kernel (narrow_mlp.cpp) must round identically.
// The derivatives are taken from the function's output y, which the forward pass keeps.
#include "backend/cpu/vector_math.h"

namespace ann::backend {

inline float relu_of(float v) { return v > 0.f ? v : 0.f; }
inline float tanh_of(float v) { return vmath::tanh(v); }
inline float sigmoid_of(float v) { return 1.f / (1.f + vmath::exp(-v)); }
inline float relu_grad(float y, float g) { return y > 0.f ? g : 0.f; }     // [x > 0] = [y > 0]
inline float tanh_grad(float y, float g) { return g * (1.f - y * y); }     // 1 − y²
inline float sigmoid_grad(float y, float g) { return g * y * (1.f - y); }  // y (1 − y)

}  // namespace ann::backend
