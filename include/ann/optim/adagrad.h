#pragma once
// Adagrad, torch.optim.Adagrad's update in its order (t counts this parameter's steps):
//   g ← ∇θ + weight_decay·θ
//   clr ← lr / (1 + (t − 1)·lr_decay)
//   s ← s + g²
//   θ ← θ − clr·g / (√s + eps)
#include "ann/optim/optimizer.h"

namespace ann::optim {

struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0.0;
  double weight_decay = 0.0;
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;
};

class Adagrad : public Optimizer {
 public:
  /// Throws ValueError for lr, lr_decay, weight_decay, initial_accumulator_value or eps below 0.
  explicit Adagrad(std::vector<Tensor> parameters, AdagradOptions options = {});
  /// Parameter groups with their own lr and weight_decay; `options` give the rest.
  Adagrad(std::vector<ParamGroup> groups, AdagradOptions options);
  using Optimizer::step;  // step(closure) too
  void step() override;
  const AdagradOptions& options() const { return options_; }

  /// "adagrad"; per parameter: "step" (int64) and "sum" (float32, the parameter's shape). As in
  /// torch, both exist from construction ("sum" holds initial_accumulator_value).
  std::string_view kind() const override { return "adagrad"; }
  std::vector<StateField> state_fields(std::size_t i) const override;
  OptimizerState state_dict() const override;

 protected:
  void set_state(const OptimizerState& state) override;

 private:
  AdagradOptions options_;
  std::vector<std::int64_t> steps_;
  std::vector<Tensor> sums_;
};

}  // namespace ann::optim
