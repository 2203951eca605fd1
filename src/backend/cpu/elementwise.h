#pragma once
// The CPU back end's elementwise kernels (src/backend/cpu/elementwise.cpp); Backend's entries
// of the same names (src/backend/backend.h) say what each computes.
#include <algorithm>
#include <cstdint>

#include "ann/dtype.h"
#include "ann/shape.h"
#include "backend/backend.h"

namespace ann::backend::cpu {

void unary(UnaryOp op, DType dtype, const void* x, void* y, std::int64_t n, double p0, double p1);
void binary(BinaryOp op, DType dtype, const void* a, const Shape& a_strides, const void* b, const Shape& b_strides,
            void* out, const Shape& sizes);
void binary_contiguous(BinaryOp op, DType dtype, const void* a, const void* b, void* out, std::int64_t n);
/// unary of float32 on the calling thread alone, for kernels that share out their work
/// themselves (the chain kernel, mlp_chain.cpp).
void unary_float_here(UnaryOp op, const float* x, float* y, std::int64_t n, double p0, double p1);
/// h = f(z) and z ← f'(z) (Kept::Slope), for a layer whose f's derivative is no function of h
/// (h is not z), on the calling thread alone.
void squash_keeping_here(const Squash& f, float* z, float* h, std::int64_t n);
/// dz = dy ⊙ f'(·) from what `kept` holds (Backend::activation_backward_bias), on the calling
/// thread alone. dz may be dy.
void squash_derivative_here(const Squash& f, Kept what, const float* kept, const float* dy, float* dz,
                            std::int64_t n);
/// squash_derivative_here for rows [r0, r0 + rows) and columns [first, first + width) of kept and
/// dy ([*, n], row-major), into dz (leading dimension ldz, its first row and column at dz): one
/// call where the block is whole rows, else a call a row.
void squash_derivative_block(const Squash& f, Kept what, const float* kept, const float* dy, std::int64_t n,
                             std::int64_t r0, std::int64_t rows, std::int64_t first, std::int64_t width, float* dz,
                             std::int64_t ldz);
/// Rows of `width` floats in a block of about 64 KiB (at least 1): what a pass that makes a
/// block and the pass that reads it back (sums, f after the bias) keep in L1 or L2 between them.
constexpr std::int64_t rows_per_cache_block(std::int64_t width) {
  return std::max<std::int64_t>((std::int64_t{16} << 10) / std::max<std::int64_t>(width, 1), 1);
}
void bias_activation(float* z, float* h, const float* b, std::int64_t m, std::int64_t n, const Squash& f);
void activation_backward_bias(const float* kept, Kept what, const float* dy, float* dz, float* db, std::int64_t m,
                              std::int64_t n, const Squash& f);

}  // namespace ann::backend::cpu
