#pragma once
// libtorch's option objects for the functional losses, for code written against it:
//
//   namespace F = torch::nn::functional;
//   F::cross_entropy(x, y, F::CrossEntropyFuncOptions().weight(w).label_smoothing(0.1));
//   F::mse_loss(x, y, F::MSELossFuncOptions(torch::kSum));
//   F::kl_div(x, y, F::KLDivFuncOptions().reduction(torch::kBatchMean).log_target(true));
//
// Each setter returns a copy, each getter reads a value, and each loss taking one forwards to
// ann's own spelling (nn/functional.h: a Reduction and numbers, or an option struct).
#include <cstdint>

#include "ann/nn/functional.h"
#include "ann/ops.h"

namespace ann {

/// libtorch's names for the reductions (torch::kSum, ...).
inline constexpr nn::Reduction kNone = nn::Reduction::None;
inline constexpr nn::Reduction kMean = nn::Reduction::Mean;
inline constexpr nn::Reduction kSum = nn::Reduction::Sum;
inline constexpr nn::Reduction kBatchMean = nn::Reduction::BatchMean;

namespace nn::functional {

/// The reduction every option object has; Derived adds its own fields.
template <class Derived>
class ReductionOptions {
 public:
  ReductionOptions(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}  // NOLINT: libtorch's
  Derived reduction(Reduction value) const { return with([&](Derived& o) { o.reduction_ = value; }); }
  Reduction reduction() const { return reduction_; }

 protected:
  template <class F>
  Derived with(F set) const {
    Derived copy = static_cast<const Derived&>(*this);
    set(copy);
    return copy;
  }
  Reduction reduction_;
};

class MSELossFuncOptions : public ReductionOptions<MSELossFuncOptions> {
 public:
  using ReductionOptions::ReductionOptions;
};

class L1LossFuncOptions : public ReductionOptions<L1LossFuncOptions> {
 public:
  using ReductionOptions::ReductionOptions;
};

class SmoothL1LossFuncOptions : public ReductionOptions<SmoothL1LossFuncOptions> {
 public:
  using ReductionOptions::ReductionOptions;
  SmoothL1LossFuncOptions beta(double value) const { return with([&](auto& o) { o.beta_ = value; }); }
  double beta() const { return beta_; }

 private:
  double beta_ = 1.0;
};

class HuberLossFuncOptions : public ReductionOptions<HuberLossFuncOptions> {
 public:
  using ReductionOptions::ReductionOptions;
  HuberLossFuncOptions delta(double value) const { return with([&](auto& o) { o.delta_ = value; }); }
  double delta() const { return delta_; }

 private:
  double delta_ = 1.0;
};

class KLDivFuncOptions : public ReductionOptions<KLDivFuncOptions> {
 public:
  using ReductionOptions::ReductionOptions;
  KLDivFuncOptions log_target(bool value) const { return with([&](auto& o) { o.log_target_ = value; }); }
  bool log_target() const { return log_target_; }

 private:
  bool log_target_ = false;
};

class BinaryCrossEntropyFuncOptions : public ReductionOptions<BinaryCrossEntropyFuncOptions> {
 public:
  using ReductionOptions::ReductionOptions;
  BinaryCrossEntropyFuncOptions weight(const Tensor& value) const { return with([&](auto& o) { o.weight_ = value; }); }
  const Tensor& weight() const { return weight_; }

 private:
  Tensor weight_;
};

class BinaryCrossEntropyWithLogitsFuncOptions : public ReductionOptions<BinaryCrossEntropyWithLogitsFuncOptions> {
 public:
  using ReductionOptions::ReductionOptions;
  BinaryCrossEntropyWithLogitsFuncOptions weight(const Tensor& value) const {
    return with([&](auto& o) { o.options_.weight = value; });
  }
  BinaryCrossEntropyWithLogitsFuncOptions pos_weight(const Tensor& value) const {
    return with([&](auto& o) { o.options_.pos_weight = value; });
  }
  const Tensor& weight() const { return options_.weight; }
  const Tensor& pos_weight() const { return options_.pos_weight; }
  /// ann's spelling of the same options.
  BCEWithLogitsOptions options() const {
    BCEWithLogitsOptions o = options_;
    o.reduction = reduction_;
    return o;
  }

 private:
  BCEWithLogitsOptions options_;
};

/// cross_entropy's and nll_loss's: weight, ignore_index and (cross_entropy) label_smoothing.
template <class Derived>
class ClassLossFuncOptions : public ReductionOptions<Derived> {
 public:
  using ReductionOptions<Derived>::ReductionOptions;
  Derived weight(const Tensor& value) const { return this->with([&](auto& o) { o.options_.weight = value; }); }
  Derived ignore_index(std::int64_t value) const {
    return this->with([&](auto& o) { o.options_.ignore_index = value; });
  }
  const Tensor& weight() const { return options_.weight; }
  std::int64_t ignore_index() const { return options_.ignore_index; }
  /// ann's spelling of the same options.
  ClassLossOptions options() const {
    ClassLossOptions o = options_;
    o.reduction = this->reduction_;
    return o;
  }

 protected:
  ClassLossOptions options_;
};

class CrossEntropyFuncOptions : public ClassLossFuncOptions<CrossEntropyFuncOptions> {
 public:
  using ClassLossFuncOptions::ClassLossFuncOptions;
  CrossEntropyFuncOptions label_smoothing(double value) const {
    return with([&](auto& o) { o.options_.label_smoothing = value; });
  }
  double label_smoothing() const { return options_.label_smoothing; }
};

class NLLLossFuncOptions : public ClassLossFuncOptions<NLLLossFuncOptions> {
 public:
  using ClassLossFuncOptions::ClassLossFuncOptions;
};

inline Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& o) {
  return mse_loss(input, target, o.reduction());
}
inline Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossFuncOptions& o) {
  return l1_loss(input, target, o.reduction());
}
inline Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossFuncOptions& o) {
  return smooth_l1_loss(input, target, o.reduction(), o.beta());
}
/// libtorch 1.13's spelling, beta after the options (which it then takes instead of theirs).
inline Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossFuncOptions& o, double beta) {
  return smooth_l1_loss(input, target, o.reduction(), beta);
}
inline Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossFuncOptions& o) {
  return huber_loss(input, target, o.reduction(), o.delta());
}
inline Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivFuncOptions& o) {
  return kl_div(input, target, o.reduction(), o.log_target());
}
/// With a weight: each element's loss times it (broadcast), then reduced, as torch.
Tensor binary_cross_entropy(const Tensor& probs, const Tensor& target, const BinaryCrossEntropyFuncOptions& o);
inline Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                               const BinaryCrossEntropyWithLogitsFuncOptions& o) {
  return binary_cross_entropy_with_logits(logits, target, o.options());
}
inline Tensor cross_entropy(const Tensor& logits, const Tensor& target, const CrossEntropyFuncOptions& o) {
  return cross_entropy(logits, target, o.options());
}
inline Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NLLLossFuncOptions& o) {
  return nll_loss(log_probs, target, o.options());
}

}  // namespace nn::functional
}  // namespace ann
