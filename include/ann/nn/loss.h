#pragma once
// Loss modules, PyTorch's names: criterion = nn::CrossEntropyLoss(); J = criterion(y_pred, y).
// The maths of each lives in ann/nn/functional.h.
#include <optional>
#include <utility>

#include "ann/nn/functional.h"

namespace ann::nn {

struct LossOptions {
  Reduction reduction = Reduction::Mean;
};

/// Base of the loss modules: a function of (output, target).
class Loss {
 public:
  explicit Loss(LossOptions options = {}) : options_(options) {}
  virtual ~Loss() = default;
  virtual Tensor forward(const Tensor& input, const Tensor& target) const = 0;
  Tensor operator()(const Tensor& input, const Tensor& target) const { return forward(input, target); }
  Reduction reduction() const { return options_.reduction; }

 private:
  LossOptions options_;
};

/// LogSoftmax + NLLLoss in one, on logits and int64 class labels.
class CrossEntropyLoss : public Loss {
 public:
  using Loss::Loss;
  /// With class weights, an ignored label or label smoothing (functional::ClassLossOptions).
  explicit CrossEntropyLoss(functional::ClassLossOptions options)
      : Loss({options.reduction}), class_options_(std::move(options)) {}
  Tensor forward(const Tensor& logits, const Tensor& target) const override {
    if (class_options_) return functional::cross_entropy(logits, target, *class_options_);
    return functional::cross_entropy(logits, target, reduction());
  }
  /// The class weights, ignored label and label smoothing, where given.
  const std::optional<functional::ClassLossOptions>& options() const { return class_options_; }

 private:
  std::optional<functional::ClassLossOptions> class_options_;
};

/// Negative log-likelihood on log-probabilities and int64 class labels.
class NLLLoss : public Loss {
 public:
  using Loss::Loss;
  /// With class weights or an ignored label (functional::ClassLossOptions).
  explicit NLLLoss(functional::ClassLossOptions options) : Loss({options.reduction}), class_options_(std::move(options)) {}
  Tensor forward(const Tensor& log_probs, const Tensor& target) const override {
    if (class_options_) return functional::nll_loss(log_probs, target, *class_options_);
    return functional::nll_loss(log_probs, target, reduction());
  }

 private:
  std::optional<functional::ClassLossOptions> class_options_;
};

/// Mean squared error.
class MSELoss : public Loss {
 public:
  using Loss::Loss;
  Tensor forward(const Tensor& input, const Tensor& target) const override {
    return functional::mse_loss(input, target, reduction());
  }
};

/// Binary cross-entropy on probabilities.
class BCELoss : public Loss {
 public:
  using Loss::Loss;
  Tensor forward(const Tensor& probs, const Tensor& target) const override {
    return functional::binary_cross_entropy(probs, target, reduction());
  }
};

/// Binary cross-entropy on logits (sigmoid included, numerically stable).
class BCEWithLogitsLoss : public Loss {
 public:
  using Loss::Loss;
  /// With torch's weight or pos_weight (functional::BCEWithLogitsOptions).
  explicit BCEWithLogitsLoss(functional::BCEWithLogitsOptions options)
      : Loss({options.reduction}), logit_options_(std::move(options)) {}
  Tensor forward(const Tensor& logits, const Tensor& target) const override {
    if (logit_options_) return functional::binary_cross_entropy_with_logits(logits, target, *logit_options_);
    return functional::binary_cross_entropy_with_logits(logits, target, reduction());
  }
  /// The weight and pos_weight given, if any.
  const std::optional<functional::BCEWithLogitsOptions>& options() const { return logit_options_; }

 private:
  std::optional<functional::BCEWithLogitsOptions> logit_options_;
};

/// Mean absolute error.
class L1Loss : public Loss {
 public:
  using Loss::Loss;
  Tensor forward(const Tensor& input, const Tensor& target) const override {
    return functional::l1_loss(input, target, reduction());
  }
};

/// Smooth L1 (quadratic below beta, then linear).
class SmoothL1Loss : public Loss {
 public:
  explicit SmoothL1Loss(double beta = 1.0, LossOptions options = {}) : Loss(options), beta_(beta) {}
  Tensor forward(const Tensor& input, const Tensor& target) const override {
    return functional::smooth_l1_loss(input, target, reduction(), beta_);
  }
  double beta() const { return beta_; }

 private:
  double beta_;
};

/// Huber (quadratic below delta, then delta times linear).
class HuberLoss : public Loss {
 public:
  explicit HuberLoss(double delta = 1.0, LossOptions options = {}) : Loss(options), delta_(delta) {}
  Tensor forward(const Tensor& input, const Tensor& target) const override {
    return functional::huber_loss(input, target, reduction(), delta_);
  }
  double delta() const { return delta_; }

 private:
  double delta_;
};

/// Kullback–Leibler divergence, input as log-probabilities.
class KLDivLoss : public Loss {
 public:
  explicit KLDivLoss(LossOptions options = {}, bool log_target = false) : Loss(options), log_target_(log_target) {}
  Tensor forward(const Tensor& input, const Tensor& target) const override {
    return functional::kl_div(input, target, reduction(), log_target_);
  }

 private:
  bool log_target_;
};

}  // namespace ann::nn
