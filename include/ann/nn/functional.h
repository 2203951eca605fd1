#pragma once
// Losses as functions. Each takes the model's output and the target and returns the loss,
// averaged over the batch by default (Reduction::Mean), summed (Sum) or per example (None).
#include "ann/tensor.h"

namespace ann::nn {

enum class Reduction { None, Mean, Sum };

namespace functional {

/// The lesson's loss: L = 1/m Σ_i −log softargmax(ŷ_i)[c_i], on logits [m, C] and integer
/// class labels c [m] (int64). One fused node: its gradient is (softargmax(ŷ) − Y) / m.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction = Reduction::Mean);

/// −log_probs[i, c_i] on log-probabilities [m, C] (e.g. from log_softmax) and labels [m].
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction = Reduction::Mean);

/// (input − target)², same shapes.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);

/// −(y log p + (1 − y) log(1 − p)) on probabilities p in [0, 1]; logs are clamped at −100 as in torch.
Tensor binary_cross_entropy(const Tensor& probs, const Tensor& target, Reduction reduction = Reduction::Mean);

/// binary_cross_entropy(sigmoid(x), y) computed stably from logits x; gradient sigmoid(x) − y.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::Mean);

}  // namespace functional
}  // namespace ann::nn
