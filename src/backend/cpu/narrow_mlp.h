#pragma once
// The CPU kernels of Backend::narrow_mlp_forward / narrow_mlp_backward (see backend.h).
#include <cstddef>

#include "backend/backend.h"

namespace ann::backend {

/// Bytes of the scratch block narrow_mlp_forward_cpu needs (64-byte aligned), with or without a
/// hidden buffer h to keep.
std::size_t narrow_mlp_forward_scratch_bytes(const NarrowMlp& p, bool keeps_hidden);
void narrow_mlp_forward_cpu(const NarrowMlp& p, const float* x, float* y, float* h, void* scratch);
/// Bytes of the scratch block narrow_mlp_backward_cpu needs (64-byte aligned): per-lane sums
/// for every weight and bias of the hidden layer; 0 without an activation (no block needed).
std::size_t narrow_mlp_backward_scratch_bytes(const NarrowMlp& p);
void narrow_mlp_backward_cpu(const NarrowMlp& p, const float* x, const float* h, const float* dy,
                             const NarrowMlpGrads& grads, void* scratch);

}  // namespace ann::backend
