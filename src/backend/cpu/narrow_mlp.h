#pragma once
// The CPU kernels of Backend::narrow_mlp_forward / narrow_mlp_backward (see backend.h).
#include "backend/backend.h"

namespace ann::backend {

void narrow_mlp_forward_cpu(const NarrowMlp& p, const float* x, float* y, float* h);
void narrow_mlp_backward_cpu(const NarrowMlp& p, const float* x, const float* h, const float* dy, float* dx,
                             float* dW1, float* db1, float* dW2, float* db2);

}  // namespace ann::backend
