#pragma once
// The CPU back end's reductions (src/backend/cpu/reductions.cpp); Backend's entries of the same
// names (src/backend/backend.h) say what each computes.
#include <cstdint>

#include "ann/activation.h"
#include "ann/dtype.h"
#include "ann/shape.h"
#include "backend/backend.h"

namespace ann::backend::cpu {

void reduce(ReduceOp op, DType dtype, const void* x, void* out, std::int64_t outer, std::int64_t n,
            std::int64_t inner);
double squared_error(const float* a, const float* b, float* diff, std::int64_t n);
double pointwise_loss(PointwiseLoss kind, const float* a, const float* b, float* slope, std::int64_t n, double knee);

}  // namespace ann::backend::cpu
