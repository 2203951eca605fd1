#pragma once
// The CPU back end's fused optimizer updates (src/backend/cpu/optimizer_steps.cpp): one pass
// over all the parameters given, their gradients and their state.
#include <span>

#include "backend/backend.h"

namespace ann::backend::cpu {

void sgd_step(std::span<const SgdUpdate> updates);
void adam_step(std::span<const AdamUpdate> updates);
void rmsprop_step(std::span<const RmspropUpdate> updates);
void adagrad_step(std::span<const AdagradUpdate> updates);

}  // namespace ann::backend::cpu
