#pragma once
// The CPU kernels of Backend::cross_entropy / cross_entropy_backward (see backend.h).
#include <cstdint>

namespace ann::backend {

void cross_entropy_cpu(const float* logits, const std::int64_t* target, float* loss, float* grad, std::int64_t m,
                       std::int64_t c);
void cross_entropy_backward_cpu(const float* grad, const float* scale, bool per_row, float* dlogits, std::int64_t m,
                                std::int64_t c);

}  // namespace ann::backend
