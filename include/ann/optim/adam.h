#pragma once
// Adam (torch.optim.Adam, weight decay as L2 added to the gradient) and AdamW (decoupled
// weight decay). For each parameter θ with gradient g at step t:
//   g ← g + weight_decay·θ                    (Adam)   |  θ ← θ(1 − lr·weight_decay)  (AdamW)
//   m ← β1·m + (1 − β1)·g                     first moment
//   v ← β2·v + (1 − β2)·g²                    second moment
//   v̄ ← max(v̄, v) and v ← v̄ below              (amsgrad)
//   θ ← θ − lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + eps)   bias-corrected step
#include <cstdint>

#include "ann/optim/optimizer.h"

namespace ann::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool amsgrad = false;
};

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
};

/// Per-parameter Adam state; step counts this parameter's updates (its bias correction).
struct AdamParamState {
  std::int64_t step = 0;
  Tensor exp_avg;
  Tensor exp_avg_sq;
  Tensor max_exp_avg_sq;  ///< amsgrad only
};

class Adam : public Optimizer {
 public:
  /// Throws ValueError for lr < 0, eps < 0, betas outside [0, 1), weight_decay < 0.
  explicit Adam(std::vector<Tensor> parameters, AdamOptions options = {});
  /// Parameter groups with their own lr and weight_decay; `options` give the rest.
  Adam(std::vector<ParamGroup> groups, AdamOptions options);
  using Optimizer::step;  // step(closure) too
  void step() override;
  bool has_momentum() const override { return true; }
  double momentum() const override { return options_.beta1; }
  void set_momentum(double value) override { options_.beta1 = value; }
  const AdamOptions& options() const { return options_; }
  const std::vector<AdamParamState>& state() const { return state_; }
  std::vector<AdamParamState>& state() { return state_; }

  /// "adam" or "adamw"; per parameter, once updated: "step" (int64 scalar, >= 1), "exp_avg"
  /// and "exp_avg_sq" (float32, the parameter's shape), and with amsgrad "max_exp_avg_sq".
  std::string_view kind() const override { return decoupled_ ? "adamw" : "adam"; }
  std::vector<StateField> state_fields(std::size_t i) const override;
  OptimizerState state_dict() const override;

 protected:
  Adam(std::vector<ParamGroup> groups, AdamOptions options, bool decoupled);
  void check_values(const OptimizerState& state) const override;
  void set_state(const OptimizerState& state) override;

 private:
  AdamOptions options_;
  bool decoupled_;
  std::vector<AdamParamState> state_;
};

class AdamW : public Adam {
 public:
  explicit AdamW(std::vector<Tensor> parameters, AdamWOptions options = {});
  AdamW(std::vector<ParamGroup> groups, AdamWOptions options);
};

}  // namespace ann::optim
