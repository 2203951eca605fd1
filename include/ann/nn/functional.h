#pragma once
// Losses as functions. Each takes the model's output and the target and returns the loss,
// averaged over the batch by default (Reduction::Mean), summed (Sum) or per example (None).
#include "ann/tensor.h"

namespace ann::nn {

/// How a loss reduces its per-element values. BatchMean (torch's 'batchmean': the sum divided by
/// the batch size) is kl_div's only; the other losses refuse it. Mean comes first: a Reduction{}
/// (libtorch code passing {} for the options) is the default, the mean.
enum class Reduction { Mean, None, Sum, BatchMean };

namespace functional {

/// The lesson's loss: L = 1/m Σ_i −log softargmax(ŷ_i)[c_i], on logits [m, C] and integer
/// class labels c [m] (int64). One fused node: its gradient is (softargmax(ŷ) − Y) / m.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction = Reduction::Mean);

/// −log_probs[i, c_i] on log-probabilities [m, C] (e.g. from log_softmax) and labels [m].
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction = Reduction::Mean);

/// The options of torch's cross_entropy and nll_loss beyond the reduction.
struct ClassLossOptions {
  Reduction reduction = Reduction::Mean;
  Tensor weight = {};                ///< per-class weights [C]; undefined: every class 1
  std::int64_t ignore_index = -100;  ///< rows with this label add nothing, nor count in the mean
  double label_smoothing = 0.0;      ///< cross_entropy only, in [0, 1]: the target mixes in ε/C of every class
};

/// cross_entropy and nll_loss with torch's options: row i weighs w[c_i]; the mean divides by
/// Σ_i w[c_i] over the rows not ignored; label smoothing ε adds ε/C · Σ_c w_c (−log p_ic) per row
/// to (1 − ε) times the loss, normalised alike (torch's formula).
Tensor cross_entropy(const Tensor& logits, const Tensor& target, const ClassLossOptions& options);
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const ClassLossOptions& options);

/// (input − target)², same shapes.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);

/// −(y log p + (1 − y) log(1 − p)) on probabilities p in [0, 1]; logs are clamped at −100 as in torch.
Tensor binary_cross_entropy(const Tensor& probs, const Tensor& target, Reduction reduction = Reduction::Mean);

/// binary_cross_entropy(sigmoid(x), y) computed stably from logits x; gradient sigmoid(x) − y.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::Mean);

/// binary_cross_entropy_with_logits's options beyond the reduction, as torch's: `pos_weight`
/// weighs the positive term per class (broadcast along the last dimension: n_negative /
/// n_positive balances a class), `weight` each element (broadcast to the input).
struct BCEWithLogitsOptions {
  Reduction reduction = Reduction::Mean;
  Tensor weight = {};
  Tensor pos_weight = {};
};
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, const BCEWithLogitsOptions& options);

/// |x − y|.
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);

/// ½ d² / beta where d = |x − y| < beta, else d − ½ beta (beta = 0: l1_loss), as torch.
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                      double beta = 1.0);

/// ½ d² where d = |x − y| < delta, else delta · (d − ½ delta), as torch.
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean, double delta = 1.0);

/// Kullback–Leibler divergence with `input` as log-probabilities: target · (log target − input)
/// per element (0 where target is 0), or exp(target) · (target − input) with log_target. Mean
/// is over every element, as torch's default; BatchMean divides the sum by the batch size
/// (input.size(0)), the divergence per example that torch advises.
Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean, bool log_target = false);

}  // namespace functional
}  // namespace ann::nn
