#pragma once
// L-BFGS, torch.optim.LBFGS's algorithm (libtorch 1.13's torch::optim::LBFGS). One step(closure)
// runs up to max_iter iterations over all parameters taken as one vector θ, with g = ∇f(θ):
//   direction   d = −H·g, where H is the inverse Hessian estimated from the last history_size
//               pairs s = θ' − θ, y = g' − g (pairs with y·s ≤ 1e-10 are not kept) by the
//               two-loop recursion, starting from H₀ = (y·s / y·y)·I of the newest pair;
//               the first iteration of a run takes d = −g
//   step length t = lr (the first iteration: min(1, 1/Σ|g|)·lr), or, with line_search_fn
//               "strong_wolfe", a t satisfying the strong Wolfe conditions
//               f(θ + t·d) ≤ f(θ) + 1e-4·t·g·d  and  |∇f(θ + t·d)·d| ≤ 0.9·|g·d|
//   update      θ ← θ + t·d
// and stops early when max|g| ≤ tolerance_grad, g·d > −tolerance_change, max|t·d| ≤
// tolerance_change, |Δf| < tolerance_change, or the closure has run max_eval times.
//
// The closure is evaluated several times per step, so step() without one throws. The state
// lives with the first parameter, as torch keeps it; state_dict() pads the history to
// history_size rows so that its shapes are fixed (a checkpoint of a run with a long history
// holds (2·history_size + 2) copies of the parameters, torch's own bound).
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "ann/optim/optimizer.h"

namespace ann::optim {

struct LBFGSOptions {
  double lr = 1;
  std::int64_t max_iter = 20;
  std::optional<std::int64_t> max_eval = std::nullopt;  // max_iter * 5 / 4 when not given
  double tolerance_grad = 1e-7;
  double tolerance_change = 1e-9;
  std::int64_t history_size = 100;
  std::optional<std::string> line_search_fn = std::nullopt;  // none, or "strong_wolfe"
};

class LBFGS : public Optimizer {
 public:
  /// Throws ValueError for lr < 0, max_iter or max_eval or history_size < 1, a negative
  /// tolerance, a line search other than "strong_wolfe", or parameters of more than one dtype
  /// or device. One group only, as torch.
  explicit LBFGS(std::vector<Tensor> parameters, LBFGSOptions options = {});

  /// Throws ValueError: L-BFGS evaluates the loss several times per step.
  void step() override;
  /// Up to max_iter iterations, each evaluating `closure` (with gradients recorded) at least
  /// once; returns the loss of the first evaluation, as torch.
  Tensor step(const std::function<Tensor()>& closure) override;
  const LBFGSOptions& options() const { return options_; }

  /// "lbfgs"; on the first parameter, once a step has run: "func_evals", "n_iter", "history"
  /// (int64 scalars), "t", "H_diag", "prev_loss" (float64 scalars), "d", "prev_flat_grad"
  /// (all parameters' elements), "old_dirs", "old_stps" ([history_size, all elements], the
  /// first `history` rows used), "ro" (float64 [history_size]). The others keep none.
  std::string_view kind() const override { return "lbfgs"; }
  std::vector<StateField> state_fields(std::size_t i) const override;
  OptimizerState state_dict() const override;

 protected:
  void check_values(const OptimizerState& state) const override;
  void set_state(const OptimizerState& state) override;

 private:
  // θ's gradient as one vector (zeros for a parameter without a gradient).
  Tensor flat_grad() const;
  // θ ← θ + t·d
  void add_to_parameters(double t, const Tensor& d);
  // f and its gradient at θ + t·d, the parameters then set back to θ (`theta`, their values).
  std::pair<double, Tensor> evaluate_along(const std::function<Tensor()>& closure, const std::vector<Tensor>& theta,
                                           double t, const Tensor& d);
  struct LineSearchResult {
    double loss;
    Tensor grad;
    double t;
    std::int64_t evaluations;
  };
  LineSearchResult strong_wolfe(const std::function<Tensor()>& closure, double t, const Tensor& d, double loss,
                                const Tensor& grad, double gtd);

  LBFGSOptions options_;
  std::int64_t numel_ = 0;
  // torch's state, with its names.
  std::int64_t func_evals_ = 0, n_iter_ = 0;
  Tensor d_, prev_flat_grad_;
  double t_ = 0, H_diag_ = 1, prev_loss_ = 0;
  std::deque<Tensor> old_dirs_, old_stps_;  // y and s of the kept pairs, oldest first
  std::deque<double> ro_;                   // 1 / (y·s) of each pair
};

}  // namespace ann::optim
