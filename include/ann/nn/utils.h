#pragma once
// Helpers that act on a model's parameters as a whole, as torch.nn.utils does.
#include <vector>

#include "ann/tensor.h"

namespace ann::nn::utils {

/// torch.nn.utils.clip_grad_norm_ (L2 norm): rescales the gradients of `parameters` in place
/// so that their total norm is at most `max_norm`, and returns the total norm they had.
///   total_norm = ‖(‖g₁‖₂, ‖g₂‖₂, ...)‖₂ over the parameters that have a gradient
///   coef = max_norm / (total_norm + 1e-6); if coef < 1 every gradient is multiplied by coef.
/// Parameters without a gradient are skipped (0 when none has one). As in torch, the norms
/// and coef are float32 values, so the results match torch's to the last bit or so.
/// A non-finite total norm leaves the gradients as they are (torch would make them all NaN);
/// check them first where that matters. Throws ValueError for a negative or non-finite max_norm.
double clip_grad_norm_(std::vector<Tensor> parameters, double max_norm);

/// torch.nn.utils.clip_grad_value_: clamps every gradient element of `parameters` to
/// [−clip_value, clip_value] in place; parameters without a gradient are skipped. Throws
/// ValueError for a negative or non-finite clip_value.
void clip_grad_value_(std::vector<Tensor> parameters, double clip_value);

}  // namespace ann::nn::utils
