#pragma once
// What ann::TrainStep asks of its criterion: where its loss of (input, target) is one pass of a
// fused kernel, that pass's value and ∂loss/∂input, with no node (src/nn/functional.cpp).
#include <functional>

#include "ann/nn/loss.h"
#include "ann/tensor.h"

namespace ann::nn {

/// Where `criterion` holds MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCEWithLogitsLoss (without
/// weights) or CrossEntropyLoss (without class options) itself, not a subclass, reduced by mean or
/// sum, on float32 operands (logits [m, C] and int64 labels [m] for cross-entropy; else of one
/// shape) on one device whose back end has the kernel, and the target needs no gradient: sets `loss` (a
/// scalar without a graph) and `d_input` to the floats that the loss's node and a backward()
/// from it give, and returns true. Otherwise returns false and sets nothing: the criterion
/// itself then computes (and checks) the loss.
bool loss_without_graph(const std::function<Tensor(const Tensor&, const Tensor&)>& criterion, const Tensor& input,
                        const Tensor& target, Tensor& loss, Tensor& d_input);

}  // namespace ann::nn
