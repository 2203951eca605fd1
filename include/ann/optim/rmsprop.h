#pragma once
// RMSprop, torch.optim.RMSprop's update in its order:
//   g ← ∇θ + weight_decay·θ
//   v ← α·v + (1 − α)·g²
//   centered: ḡ ← α·ḡ + (1 − α)·g,  a ← √(v − ḡ²) + eps;   else a ← √v + eps
//   momentum > 0: b ← momentum·b + g/a,  θ ← θ − lr·b;       else θ ← θ − lr·g/a
#include "ann/optim/optimizer.h"

namespace ann::optim {

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;
};

class RMSprop : public Optimizer {
 public:
  /// Throws ValueError for lr, eps, momentum, alpha or weight_decay below 0.
  explicit RMSprop(std::vector<Tensor> parameters, RMSpropOptions options = {});
  /// Parameter groups with their own lr and weight_decay; `options` give the rest.
  RMSprop(std::vector<ParamGroup> groups, RMSpropOptions options);
  using Optimizer::step;  // step(closure) too
  void step() override;
  bool has_momentum() const override { return true; }
  double momentum() const override { return options_.momentum; }
  void set_momentum(double value) override { options_.momentum = value; }
  const RMSpropOptions& options() const { return options_; }

  /// "rmsprop"; per parameter once updated: "step" (int64), "square_avg", and "momentum_buffer"
  /// (momentum > 0) and "grad_avg" (centered), float32 of the parameter's shape.
  std::string_view kind() const override { return "rmsprop"; }
  std::vector<StateField> state_fields(std::size_t i) const override;
  OptimizerState state_dict() const override;

 protected:
  void set_state(const OptimizerState& state) override;

 private:
  RMSpropOptions options_;
  std::vector<std::map<std::string, Tensor>> state_;  // by PyTorch's names; empty before a step
};

}  // namespace ann::optim
