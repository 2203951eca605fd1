#pragma once
// Learning-rate schedulers with torch.optim.lr_scheduler's names, defaults and arithmetic (the
// chainable forms PyTorch 1.13 runs, so the learning rates agree to the last bit):
//
//   ann::optim::Adam optimizer(model.parameters(), {.lr = 0.1});
//   ann::optim::StepLR scheduler(optimizer, {.step_size = 30, .gamma = 0.1});
//   for (int epoch = 0; epoch < 100; ++epoch) { train_one_epoch(); scheduler.step(); }
//
// Constructing a scheduler makes its first step, as PyTorch's does (epoch 0: LinearLR and
// OneCycleLR set their starting rate then). ReduceLROnPlateau steps on a metric instead.
// Every scheduler's state round-trips through state_dict() / load_state_dict() for checkpoints.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ann/optim/optimizer.h"

namespace ann::optim {

/// A scheduler's state: its counters and rates by PyTorch's names ("last_epoch", "base_lr", ...).
using SchedulerState = std::map<std::string, double>;

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  /// One epoch (or batch) later: sets the optimizer's learning rate for it.
  void step();
  /// The learning rate the last step set (the first group's), and every group's.
  double get_last_lr() const { return last_lrs_.front(); }
  const std::vector<double>& get_last_lrs() const { return last_lrs_; }
  std::int64_t last_epoch() const { return last_epoch_; }

  virtual SchedulerState state_dict() const;
  /// Restores the counters and puts the restored rate back into the optimizer (OneCycleLR: its
  /// momentum too), so that a resumed schedule continues bit for bit: ann's checkpoints keep the
  /// optimizer's own hyper-parameters, where PyTorch restores the rate with the optimizer's
  /// param_groups. Throws ValueError when a field is missing.
  virtual void load_state_dict(const SchedulerState& state);

 protected:
  explicit LRScheduler(Optimizer& optimizer);
  /// Makes the first step; each subclass constructor calls it last, as PyTorch's base does.
  void initial_step();
  /// A parameter group's rate for last_epoch(), from its current rate `lr` and its rate when the
  /// scheduler was made, `base_lr` (PyTorch's get_lr for one group).
  virtual double next_lr(double lr, double base_lr) = 0;

  Optimizer& optimizer_;
  std::vector<double> base_lrs_;  ///< each group's rate when the scheduler was made (PyTorch's initial_lr)
  std::int64_t last_epoch_ = -1;
  std::int64_t step_count_ = 0;
  std::vector<double> last_lrs_;
};

struct StepLROptions {
  std::int64_t step_size = 1;  ///< epochs between decays, >= 1
  double gamma = 0.1;
};
/// lr · gamma every step_size epochs.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, StepLROptions options);

 private:
  double next_lr(double lr, double base_lr) override;
  StepLROptions o_;
};

struct MultiStepLROptions {
  std::vector<std::int64_t> milestones;  ///< epochs at which the rate decays (repeats compound)
  double gamma = 0.1;
};
/// lr · gamma at each milestone.
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, MultiStepLROptions options);

 private:
  double next_lr(double lr, double base_lr) override;
  MultiStepLROptions o_;
};

/// lr · gamma every epoch.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 private:
  double next_lr(double lr, double base_lr) override;
  double gamma_;
};

struct CosineAnnealingLROptions {
  std::int64_t T_max = 10;  ///< half a cosine period, in epochs, >= 1
  double eta_min = 0.0;
};
/// From the base rate down to eta_min along half a cosine over T_max epochs, then back up.
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, CosineAnnealingLROptions options);

 private:
  double next_lr(double lr, double base_lr) override;
  CosineAnnealingLROptions o_;
};

struct LinearLROptions {
  double start_factor = 1.0 / 3;  ///< in (0, 1]
  double end_factor = 1.0;        ///< in [0, 1]
  std::int64_t total_iters = 5;
};
/// The base rate times a factor going linearly from start_factor to end_factor.
class LinearLR : public LRScheduler {
 public:
  LinearLR(Optimizer& optimizer, LinearLROptions options);

 private:
  double next_lr(double lr, double base_lr) override;
  LinearLROptions o_;
};

struct OneCycleLROptions {
  double max_lr = 0.1;
  std::int64_t total_steps = 100;  ///< steps (batches) in the whole cycle; step() beyond is an error
  double pct_start = 0.3;
  bool cos_anneal = true;  ///< false: linear (PyTorch's anneal_strategy)
  bool cycle_momentum = true;  ///< SGD's momentum or Adam's beta1, inversely to the rate
  double base_momentum = 0.85;
  double max_momentum = 0.95;
  double div_factor = 25.0;
  double final_div_factor = 1e4;
  bool three_phase = false;
};
/// The 1cycle policy: up from max_lr / div_factor to max_lr, then down far below the start.
class OneCycleLR : public LRScheduler {
 public:
  /// Throws ValueError for total_steps < 1, pct_start outside [0, 1], or cycle_momentum with
  /// an optimizer that has no momentum.
  OneCycleLR(Optimizer& optimizer, OneCycleLROptions options);
  void load_state_dict(const SchedulerState& state) override;

 private:
  struct Phase {
    double end_step, start_lr, end_lr, start_momentum, end_momentum;
  };
  double next_lr(double lr, double base_lr) override;
  /// The rate and momentum of step last_epoch().
  std::pair<double, double> point() const;
  double anneal(double start, double end, double pct) const;
  OneCycleLROptions o_;
  std::vector<Phase> phases_;
};

struct ReduceLROnPlateauOptions {
  bool mode_max = false;  ///< false: the metric should fall (PyTorch's mode='min')
  double factor = 0.1;    ///< < 1
  std::int64_t patience = 10;
  double threshold = 1e-4;
  bool threshold_abs = false;  ///< false: relative (threshold_mode='rel')
  std::int64_t cooldown = 0;
  double min_lr = 0.0;
  double eps = 1e-8;
};
/// Cuts the rate by `factor` when a metric has not improved for `patience` epochs.
class ReduceLROnPlateau {
 public:
  ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options = {});
  void step(double metric);
  double get_last_lr() const { return last_lrs_.front(); }
  const std::vector<double>& get_last_lrs() const { return last_lrs_; }
  SchedulerState state_dict() const;
  /// Restores the counters and puts the restored rate back into the optimizer.
  void load_state_dict(const SchedulerState& state);

 private:
  bool is_better(double a, double best) const;
  Optimizer& optimizer_;
  ReduceLROnPlateauOptions o_;
  double best_;
  std::int64_t num_bad_epochs_ = 0, cooldown_counter_ = 0, last_epoch_ = 0;
  std::vector<double> last_lrs_;
};

}  // namespace ann::optim
