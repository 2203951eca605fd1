// The schedulers of ann/optim/lr_scheduler.h, each next_lr() the chainable formula of PyTorch
// 1.13's get_lr (torch/optim/lr_scheduler.py), in double as Python computes it.
#include "ann/optim/lr_scheduler.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "ann/error.h"

namespace ann::optim {

namespace {
double field(const SchedulerState& state, const std::string& name) {
  const auto it = state.find(name);
  if (it == state.end()) throw ValueError("load_state_dict: the scheduler state lacks \"" + name + "\"");
  return it->second;
}

// A per-group entry's name: the first group's as PyTorch's single-group name ("base_lr"), the
// others' with their index ("base_lr.1").
std::string group_key(const std::string& name, std::size_t g) { return g == 0 ? name : name + "." + std::to_string(g); }

std::vector<double> group_rates(const Optimizer& optimizer) {
  std::vector<double> rates;
  for (std::size_t g = 0; g < optimizer.group_count(); ++g) rates.push_back(optimizer.group_lr(g));
  return rates;
}

void put_rates(SchedulerState& state, const std::string& name, const std::vector<double>& rates) {
  for (std::size_t g = 0; g < rates.size(); ++g) state[group_key(name, g)] = rates[g];
}

std::vector<double> take_rates(const SchedulerState& state, const std::string& name, std::size_t groups) {
  std::vector<double> rates;
  for (std::size_t g = 0; g < groups; ++g) rates.push_back(field(state, group_key(name, g)));
  return rates;
}

void set_rates(Optimizer& optimizer, const std::vector<double>& rates) {
  for (std::size_t g = 0; g < rates.size(); ++g) optimizer.set_group_lr(g, rates[g]);
}
}  // namespace

// ---- the base: PyTorch's _LRScheduler ------------------------------------------------------------

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer), base_lrs_(group_rates(optimizer)) {}

void LRScheduler::initial_step() { step(); }

void LRScheduler::step() {
  ++step_count_;
  ++last_epoch_;
  // Every group's new rate from its current one, then all set (PyTorch's get_lr, then the loop).
  std::vector<double> rates;
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) rates.push_back(next_lr(optimizer_.group_lr(g), base_lrs_[g]));
  last_lrs_ = rates;
  set_rates(optimizer_, rates);
}

SchedulerState LRScheduler::state_dict() const {
  SchedulerState state{{"last_epoch", static_cast<double>(last_epoch_)}, {"_step_count", static_cast<double>(step_count_)}};
  put_rates(state, "base_lr", base_lrs_);
  put_rates(state, "_last_lr", last_lrs_);
  return state;
}

void LRScheduler::load_state_dict(const SchedulerState& state) {
  const std::size_t groups = optimizer_.group_count();
  std::vector<double> base = take_rates(state, "base_lr", groups), last = take_rates(state, "_last_lr", groups);
  last_epoch_ = static_cast<std::int64_t>(field(state, "last_epoch"));
  step_count_ = static_cast<std::int64_t>(field(state, "_step_count"));
  base_lrs_ = std::move(base);
  last_lrs_ = std::move(last);
  set_rates(optimizer_, last_lrs_);
}

// ---- StepLR: lr·γ when last_epoch is a positive multiple of step_size -------------------------

StepLR::StepLR(Optimizer& optimizer, StepLROptions options) : LRScheduler(optimizer), o_(options) {
  if (o_.step_size < 1) throw ValueError("StepLR: step_size must be at least 1, got " + std::to_string(o_.step_size));
  initial_step();
}

double StepLR::next_lr(double lr, double) {
  if (last_epoch_ == 0 || last_epoch_ % o_.step_size != 0) return lr;
  return lr * o_.gamma;
}

// ---- MultiStepLR: lr·γ^(times last_epoch is listed) at a milestone ------------------------------

MultiStepLR::MultiStepLR(Optimizer& optimizer, MultiStepLROptions options) : LRScheduler(optimizer), o_(options) {
  std::sort(o_.milestones.begin(), o_.milestones.end());
  initial_step();
}

double MultiStepLR::next_lr(double lr, double) {
  const auto times = std::count(o_.milestones.begin(), o_.milestones.end(), last_epoch_);
  if (times == 0) return lr;
  return lr * std::pow(o_.gamma, static_cast<double>(times));
}

// ---- ExponentialLR: lr·γ every epoch but the first ---------------------------------------------

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer), gamma_(gamma) {
  initial_step();
}

double ExponentialLR::next_lr(double lr, double) { return last_epoch_ == 0 ? lr : lr * gamma_; }

// ---- CosineAnnealingLR -----------------------------------------------------------------------------
// η_t = η_min + (η_0 − η_min)(1 + cos(π t / T_max)) / 2, applied as the ratio of consecutive
// terms to the current rate (PyTorch's recursive form), with its restart at the period's end.

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, CosineAnnealingLROptions options)
    : LRScheduler(optimizer), o_(options) {
  if (o_.T_max < 1) throw ValueError("CosineAnnealingLR: T_max must be at least 1, got " + std::to_string(o_.T_max));
  initial_step();
}

double CosineAnnealingLR::next_lr(double lr, double base_lr) {
  const double pi = std::numbers::pi, T = static_cast<double>(o_.T_max);
  const auto t = static_cast<double>(last_epoch_);
  if (last_epoch_ == 0) return lr;
  if (step_count_ == 1 && last_epoch_ > 0) return o_.eta_min + (base_lr - o_.eta_min) * (1 + std::cos(t * pi / T)) / 2;
  if ((last_epoch_ - 1 - o_.T_max) % (2 * o_.T_max) == 0) {
    return lr + (base_lr - o_.eta_min) * (1 - std::cos(pi / T)) / 2;
  }
  return (1 + std::cos(pi * t / T)) / (1 + std::cos(pi * (t - 1) / T)) * (lr - o_.eta_min) + o_.eta_min;
}

// ---- LinearLR ----------------------------------------------------------------------------------

LinearLR::LinearLR(Optimizer& optimizer, LinearLROptions options) : LRScheduler(optimizer), o_(options) {
  if (!(o_.start_factor > 0.0 && o_.start_factor <= 1.0) || !(o_.end_factor >= 0.0 && o_.end_factor <= 1.0)) {
    throw ValueError("LinearLR: start_factor must be in (0, 1] and end_factor in [0, 1], got " +
                     std::to_string(o_.start_factor) + " and " + std::to_string(o_.end_factor));
  }
  initial_step();
}

double LinearLR::next_lr(double lr, double) {
  if (last_epoch_ == 0) return lr * o_.start_factor;
  if (last_epoch_ > o_.total_iters) return lr;
  const double span = o_.end_factor - o_.start_factor;
  return lr * (1. + span / (static_cast<double>(o_.total_iters) * o_.start_factor +
                            static_cast<double>(last_epoch_ - 1) * span));
}

// ---- OneCycleLR ---------------------------------------------------------------------------------

OneCycleLR::OneCycleLR(Optimizer& optimizer, OneCycleLROptions options) : LRScheduler(optimizer), o_(options) {
  if (o_.total_steps < 1) throw ValueError("OneCycleLR: total_steps must be at least 1, got " + std::to_string(o_.total_steps));
  if (!(o_.pct_start >= 0.0 && o_.pct_start <= 1.0)) {
    throw ValueError("OneCycleLR: pct_start must be in [0, 1], got " + std::to_string(o_.pct_start));
  }
  if (o_.cycle_momentum && !optimizer.has_momentum()) {
    throw ValueError("OneCycleLR: cycle_momentum needs an optimizer with a momentum (SGD's or Adam's beta1); " +
                     std::string(optimizer.kind()) + " has none");
  }
  const double initial = o_.max_lr / o_.div_factor, min_lr = initial / o_.final_div_factor;
  const double total = static_cast<double>(o_.total_steps);
  if (o_.three_phase) {
    phases_ = {{o_.pct_start * total - 1, initial, o_.max_lr, o_.max_momentum, o_.base_momentum},
               {2 * o_.pct_start * total - 2, o_.max_lr, initial, o_.base_momentum, o_.max_momentum},
               {total - 1, initial, min_lr, o_.max_momentum, o_.max_momentum}};
  } else {
    phases_ = {{o_.pct_start * total - 1, initial, o_.max_lr, o_.max_momentum, o_.base_momentum},
               {total - 1, o_.max_lr, min_lr, o_.base_momentum, o_.max_momentum}};
  }
  base_lrs_.assign(base_lrs_.size(), initial);
  if (o_.cycle_momentum) optimizer.set_momentum(o_.max_momentum);
  initial_step();
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  if (o_.cos_anneal) return end + (start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1);
  return (end - start) * pct + start;
}

double OneCycleLR::next_lr(double, double) {
  if (last_epoch_ > o_.total_steps) {
    throw ValueError("OneCycleLR: tried to step " + std::to_string(last_epoch_ + 1) + " times; total_steps is " +
                     std::to_string(o_.total_steps));
  }
  const auto [lr, momentum] = point();
  if (o_.cycle_momentum) optimizer_.set_momentum(momentum);
  return lr;
}

void OneCycleLR::load_state_dict(const SchedulerState& state) {
  LRScheduler::load_state_dict(state);
  if (o_.cycle_momentum) optimizer_.set_momentum(point().second);
}

std::pair<double, double> OneCycleLR::point() const {
  const auto step_num = static_cast<double>(last_epoch_);
  double start_step = 0, lr = 0, momentum = 0;
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    const Phase& phase = phases_[i];
    if (step_num <= phase.end_step || i + 1 == phases_.size()) {
      const double pct = (step_num - start_step) / (phase.end_step - start_step);
      lr = anneal(phase.start_lr, phase.end_lr, pct);
      momentum = anneal(phase.start_momentum, phase.end_momentum, pct);
      break;
    }
    start_step = phase.end_step;
  }
  return {lr, momentum};
}

// ---- ReduceLROnPlateau ------------------------------------------------------------------------------

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options)
    : optimizer_(optimizer), o_(options), best_(o_.mode_max ? -INFINITY : INFINITY), last_lrs_(group_rates(optimizer)) {
  if (!(o_.factor < 1.0)) throw ValueError("ReduceLROnPlateau: factor must be below 1, got " + std::to_string(o_.factor));
}

bool ReduceLROnPlateau::is_better(double a, double best) const {
  if (!o_.mode_max) return o_.threshold_abs ? a < best - o_.threshold : a < best * (1. - o_.threshold);
  return o_.threshold_abs ? a > best + o_.threshold : a > best * (o_.threshold + 1.);
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (is_better(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
  }
  if (num_bad_epochs_ > o_.patience) {
    for (std::size_t g = 0; g < optimizer_.group_count(); ++g) {
      const double old_lr = optimizer_.group_lr(g), new_lr = std::max(old_lr * o_.factor, o_.min_lr);
      if (old_lr - new_lr > o_.eps) optimizer_.set_group_lr(g, new_lr);
    }
    cooldown_counter_ = o_.cooldown;
    num_bad_epochs_ = 0;
  }
  last_lrs_ = group_rates(optimizer_);
}

SchedulerState ReduceLROnPlateau::state_dict() const {
  SchedulerState state{{"best", best_},
                       {"num_bad_epochs", static_cast<double>(num_bad_epochs_)},
                       {"cooldown_counter", static_cast<double>(cooldown_counter_)},
                       {"last_epoch", static_cast<double>(last_epoch_)}};
  put_rates(state, "_last_lr", last_lrs_);
  return state;
}

void ReduceLROnPlateau::load_state_dict(const SchedulerState& state) {
  std::vector<double> last = take_rates(state, "_last_lr", optimizer_.group_count());
  best_ = field(state, "best");
  num_bad_epochs_ = static_cast<std::int64_t>(field(state, "num_bad_epochs"));
  cooldown_counter_ = static_cast<std::int64_t>(field(state, "cooldown_counter"));
  last_epoch_ = static_cast<std::int64_t>(field(state, "last_epoch"));
  last_lrs_ = std::move(last);
  set_rates(optimizer_, last_lrs_);
}

}  // namespace ann::optim
