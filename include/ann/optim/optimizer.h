#pragma once
// optim::Optimizer — holds the parameters it updates; step() applies one update from their
// accumulated gradients (the lesson's step 5), zero_grad() clears them (step 3).
//
// Its state comes out and goes back in one generic form, PyTorch's state_dict(): checkpoints
// (ann/serialize.h) save and restore any optimizer through it, without knowing its class.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ann/autograd.h"
#include "ann/dtype.h"
#include "ann/shape.h"
#include "ann/tensor.h"

namespace ann::optim {

/// One tensor of a parameter's optimizer state, named as PyTorch names it in
/// state_dict()["state"][i]: "momentum_buffer" (SGD); "step", "exp_avg", "exp_avg_sq" (Adam).
struct StateField {
  std::string name;
  DType dtype;
  Shape shape;
};

/// An optimizer's state in the shape of PyTorch's Optimizer.state_dict(): its kind, its
/// hyper-parameters (PyTorch's "param_groups"; booleans as 0 or 1), and for each parameter,
/// in the order of parameters(), the tensors of its state by name — none before that
/// parameter's first update, then every field of state_fields(i).
struct OptimizerState {
  std::string kind;
  std::map<std::string, double> hyper_parameters;
  std::vector<std::map<std::string, Tensor>> parameters;
};

/// Parameters with their own learning rate and weight decay (PyTorch's param_groups): an unset
/// value is the optimizer's option.
///   optim::Adam optimizer({{.params = body.parameters()},
///                          {.params = head.parameters(), .lr = 1e-2, .weight_decay = 0}},
///                         {.lr = 1e-3, .weight_decay = 1e-4});
struct ParamGroup {
  std::vector<Tensor> params;
  std::optional<double> lr{};
  std::optional<double> weight_decay{};
};

class Optimizer {
 public:
  /// One group of parameters.
  explicit Optimizer(std::vector<Tensor> parameters);
  /// Several groups; parameters() lists them in order. Throws ValueError for no group, or a
  /// negative or non-finite lr or weight decay in a group.
  explicit Optimizer(std::vector<ParamGroup> groups);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every parameter that has a gradient; parameters without one are skipped.
  virtual void step() = 0;
  /// libtorch's step(closure): evaluates `closure` (it zeroes the gradients, computes the loss
  /// and calls backward) with gradients recorded, then steps; returns the closure's loss.
  /// LBFGS, which evaluates it several times, overrides it.
  virtual Tensor step(const std::function<Tensor()>& closure) {
    Tensor loss;
    {
      AutoGradMode recording(true);
      loss = closure();
    }
    step();
    return loss;
  }
  /// Clears the gradients of all parameters (the lesson's step 3), as libtorch's zero_grad:
  /// set_to_none (its default since PyTorch 2.0) drops them, so that the next backward writes
  /// fresh ones instead of adding into zeros — a pass over every gradient less, two for a layer's
  /// weights (the zeroing, and the product's read of the zeros); false zeroes them in place. The
  /// next step's values are the same either way, but for a parameter that backward gives no
  /// gradient: step() skips it after set_to_none, and steps it with zeros otherwise.
  void zero_grad(bool set_to_none = true);
  const std::vector<Tensor>& parameters() const { return parameters_; }

  /// The learning rate of the next step (the first group's); schedulers
  /// (ann/optim/lr_scheduler.h) set it, group by group.
  double lr() const { return group_lr(0); }
  /// Sets every group's rate. Throws ValueError for a negative or non-finite rate.
  void set_lr(double lr);

  std::size_t group_count() const { return groups_.size(); }
  /// Group g's parameters are parameters()[group_begin(g) .. group_begin(g + 1)).
  std::size_t group_begin(std::size_t g) const { return groups_.at(g).begin; }
  double group_lr(std::size_t g) const { return groups_.at(g).lr; }
  void set_group_lr(std::size_t g, double lr);
  double group_weight_decay(std::size_t g) const { return groups_.at(g).weight_decay; }
  /// Whether the optimizer has a momentum a scheduler may cycle (SGD's momentum, Adam's beta1).
  virtual bool has_momentum() const { return false; }
  virtual double momentum() const { return 0.0; }
  virtual void set_momentum(double) {}

  /// "sgd", "adam", "adamw": the kind of state this optimizer keeps.
  virtual std::string_view kind() const = 0;
  /// The fields of parameter i's state once it has been updated.
  virtual std::vector<StateField> state_fields(std::size_t i) const = 0;
  /// The current state; its tensors are the optimizer's own (not copies).
  virtual OptimizerState state_dict() const = 0;
  /// Throws ValueError, naming the parameter and field, unless `state` would load: the same
  /// kind and number of parameters, each parameter's fields all present or none, each of the
  /// dtype and shape state_fields gives, and valid values (a step >= 1).
  void check_state_dict(const OptimizerState& state) const;
  /// check_state_dict, then replaces the state with copies of `state`'s tensors; nothing
  /// changes when a check fails. The hyper-parameters stay this optimizer's own (a resumed
  /// run may change them), as the options it was built with.
  void load_state_dict(const OptimizerState& state);

 protected:
  /// `lr` if it is a valid learning rate, else a ValueError naming the optimizer's kind.
  double checked_lr(double lr) const;
  /// Each subclass constructor calls it with its options: the groups' unset values take them.
  void set_group_defaults(double lr, double weight_decay);
  /// The learning rate and weight decay of parameter i (its group's).
  double lr_of(std::size_t i) const { return groups_[group_of_[i]].lr; }
  double weight_decay_of(std::size_t i) const { return groups_[group_of_[i]].weight_decay; }
  /// The hyper-parameters of groups after the first, for state_dict(): "lr.1", "weight_decay.1", ...
  void add_group_hyper_parameters(std::map<std::string, double>& hyper_parameters) const;
  /// The checks particular to one kind, after the common ones (values, e.g. a step >= 1).
  virtual void check_values(const OptimizerState&) const {}
  /// Installs a state that passed check_state_dict.
  virtual void set_state(const OptimizerState& state) = 0;

  std::vector<Tensor> parameters_;

 private:
  struct Group {
    std::size_t begin = 0;
    std::optional<double> given_lr, given_weight_decay;
    double lr = 0, weight_decay = 0;
  };
  std::vector<Group> groups_;
  std::vector<std::size_t> group_of_;  // parameter index -> group
};

}  // namespace ann::optim
