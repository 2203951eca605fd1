#pragma once
// Stochastic gradient descent, torch.optim.SGD's update in its order:
//   g ← ∇θ + weight_decay·θ
//   b ← g on the first step, else momentum·b + (1 − dampening)·g
//   g ← g + momentum·b  (nesterov)   or   g ← b  (momentum > 0)
//   θ ← θ − lr·g
#include <cstdint>

#include "ann/optim/optimizer.h"

namespace ann::optim {

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

class SGD : public Optimizer {
 public:
  /// Throws ValueError for lr < 0, momentum < 0, weight_decay < 0, or nesterov without
  /// momentum or with dampening.
  explicit SGD(std::vector<Tensor> parameters, SGDOptions options = {});
  /// Parameter groups with their own lr and weight_decay; `options` give the rest.
  SGD(std::vector<ParamGroup> groups, SGDOptions options);
  using Optimizer::step;  // step(closure) too
  void step() override;
  bool has_momentum() const override { return true; }
  double momentum() const override { return options_.momentum; }
  void set_momentum(double value) override { options_.momentum = value; }
  const SGDOptions& options() const { return options_; }

  /// "sgd"; per parameter, once it has momentum: "momentum_buffer" (float32, the parameter's shape).
  std::string_view kind() const override { return "sgd"; }
  std::vector<StateField> state_fields(std::size_t i) const override;
  OptimizerState state_dict() const override;

  /// Per-parameter state: the momentum buffer, created on the first step.
  struct ParamState {
    Tensor momentum_buffer;
  };
  const std::vector<ParamState>& state() const { return state_; }
  std::vector<ParamState>& state() { return state_; }

 protected:
  void set_state(const OptimizerState& state) override;

 private:
  SGDOptions options_;
  std::vector<ParamState> state_;
};

}  // namespace ann::optim
