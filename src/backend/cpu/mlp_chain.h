#pragma once
// The CPU kernels of Backend::mlp_chain_forward / mlp_chain_backward (see backend.h; the math and
// the schedule: mlp_chain.cpp).
#include <cstddef>

#include "backend/backend.h"

namespace ann::backend {

/// Bytes of the scratch block the chain's forward (backward: true) needs, 64-byte aligned: the
/// buffers of each part of the rows that may run on a thread of its own.
std::size_t mlp_chain_scratch_bytes(const MlpChain& p, bool backward);
void mlp_chain_forward_cpu(const MlpChain& p, const float* x, float* y, float* kept, void* scratch);
void mlp_chain_backward_cpu(const MlpChain& p, const float* x, const float* kept, const float* dy,
                            const MlpChainGrads& grads, void* scratch);

}  // namespace ann::backend
