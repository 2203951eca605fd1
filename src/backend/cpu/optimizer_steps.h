#pragma once
// The CPU back end's fused optimizer updates (src/backend/cpu/optimizer_steps.cpp): one pass
// over a parameter, its gradient and its state.
#include <cstdint>

#include "backend/backend.h"

namespace ann::backend::cpu {

void sgd_step(const SgdStep& h, float* param, const float* grad, float* momentum_buffer, std::int64_t n);
void adam_step(const AdamStep& h, float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
               std::int64_t n);
void rmsprop_step(const RmspropStep& h, float* param, const float* grad, float* square_avg, float* grad_avg,
                  float* momentum_buffer, std::int64_t n);
void adagrad_step(const AdagradStep& h, float* param, const float* grad, float* sum, std::int64_t n);

}  // namespace ann::backend::cpu
