#include "ann/optim/lbfgs.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <tuple>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/ops.h"

namespace ann::optim {

namespace {

double max_abs(const Tensor& v) { return v.numel() == 0 ? 0.0 : v.abs().max().item<double>(); }
double dot_value(const Tensor& a, const Tensor& b) { return dot(a, b).item<double>(); }

// The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
// [lo, hi] (by default the interval between x1 and x2); their midpoint when the cubic has no
// minimum. With d1 = g1 + g2 − 3(f1 − f2)/(x1 − x2) and d2 = √(d1² − g1·g2), for x1 ≤ x2:
//   x = x2 − (x2 − x1)·(g2 + d2 − d1)/(g2 − g1 + 2·d2)
double cubic_minimum(double x1, double f1, double g1, double x2, double f2, double g2,
                     std::optional<std::pair<double, double>> bounds = std::nullopt) {
  const auto [lo, hi] = bounds.value_or(std::pair{std::min(x1, x2), std::max(x1, x2)});
  const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const double d2_square = d1 * d1 - g1 * g2;
  if (d2_square < 0) return (lo + hi) / 2;
  const double d2 = std::sqrt(d2_square);
  const double x = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                            : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  return std::min(std::max(x, lo), hi);
}

}  // namespace

LBFGS::LBFGS(std::vector<Tensor> parameters, LBFGSOptions options)
    : Optimizer(std::move(parameters)), options_(std::move(options)) {
  const auto bad = [](const std::string& what, double v) {
    return ValueError("LBFGS: invalid " + what + " " + std::to_string(v));
  };
  if (!(options_.lr >= 0) || !std::isfinite(options_.lr)) throw bad("learning rate", options_.lr);
  if (options_.max_iter < 1) throw bad("max_iter", static_cast<double>(options_.max_iter));
  if (!options_.max_eval) options_.max_eval = options_.max_iter * 5 / 4;
  if (*options_.max_eval < 1) throw bad("max_eval", static_cast<double>(*options_.max_eval));
  if (!(options_.tolerance_grad >= 0)) throw bad("tolerance_grad", options_.tolerance_grad);
  if (!(options_.tolerance_change >= 0)) throw bad("tolerance_change", options_.tolerance_change);
  if (options_.history_size < 1) throw bad("history_size", static_cast<double>(options_.history_size));
  if (options_.line_search_fn && *options_.line_search_fn != "strong_wolfe") {
    throw ValueError("LBFGS: unknown line_search_fn \"" + *options_.line_search_fn +
                     "\" (the one line search is \"strong_wolfe\")");
  }
  const Tensor& first = parameters_.front();
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Tensor& p = parameters_[i];
    if (p.dtype() != first.dtype() || p.device() != first.device()) {
      throw ValueError("LBFGS: parameter " + std::to_string(i) + " is " + std::string(to_string(p.dtype())) +
                       " on " + p.device().str() + ", parameter 0 " + std::string(to_string(first.dtype())) + " on " +
                       first.device().str() + ": L-BFGS takes all parameters as one vector of one type");
    }
    numel_ += p.numel();
  }
  set_group_defaults(options_.lr, 0.0);
}

void LBFGS::step() {
  throw ValueError("LBFGS: step() needs a closure that re-evaluates the loss (step(closure)): "
                   "L-BFGS evaluates it several times per step");
}

Tensor LBFGS::flat_grad() const {
  std::vector<Tensor> parts;
  parts.reserve(parameters_.size());
  for (const Tensor& p : parameters_) {
    const Tensor g = p.grad();
    parts.push_back(g.defined() ? g.reshape({-1}) : zeros({p.numel()}, TensorOptions().dtype(p.dtype()).device(p.device())));
  }
  return cat(parts, 0);
}

void LBFGS::add_to_parameters(double t, const Tensor& d) {
  std::int64_t offset = 0;
  for (Tensor& p : parameters_) {
    p.add_(d.slice(0, offset, offset + p.numel()).view(p.sizes()), t);
    offset += p.numel();
  }
}

std::pair<double, Tensor> LBFGS::evaluate_along(const std::function<Tensor()>& closure, const std::vector<Tensor>& theta,
                                                 double t, const Tensor& d) {
  add_to_parameters(t, d);
  double loss = 0;
  {
    AutoGradMode recording(true);
    loss = closure().item<double>();
  }
  Tensor grad = flat_grad();
  for (std::size_t i = 0; i < parameters_.size(); ++i) parameters_[i].copy_(theta[i]);
  return {loss, grad};
}

// The line search of torch's LBFGS (from minFunc's): first bracket an interval that holds a
// point satisfying the strong Wolfe conditions, growing t by cubic extrapolation; then shrink
// the bracket by cubic interpolation until a point satisfies them. At most 25 evaluations.
LBFGS::LineSearchResult LBFGS::strong_wolfe(const std::function<Tensor()>& closure, double t, const Tensor& d,
                                            double loss, const Tensor& grad, double gtd) {
  constexpr double c1 = 1e-4, c2 = 0.9;
  constexpr std::int64_t max_evaluations = 25;
  const double d_norm = max_abs(d);
  std::vector<Tensor> theta;  // where every trial starts from
  for (const Tensor& p : parameters_) theta.push_back(p.clone());
  double loss_new = 0;
  Tensor grad_new;
  std::tie(loss_new, grad_new) = evaluate_along(closure, theta, t, d);
  std::int64_t evaluations = 1;
  double gtd_new = dot_value(grad_new, d);

  // The bracket [a, b] with f, g, g·d at each end; one point when the first phase finds it.
  std::array<double, 2> bracket{}, bracket_loss{}, bracket_gtd{};
  std::array<Tensor, 2> bracket_grad;
  std::size_t points = 2;
  bool done = false;
  double t_prev = 0, loss_prev = loss, gtd_prev = gtd;
  Tensor grad_prev = grad;
  std::int64_t iteration = 0;
  const auto set_bracket = [&] {
    bracket = {t_prev, t};
    bracket_loss = {loss_prev, loss_new};
    bracket_grad = {grad_prev, grad_new};
    bracket_gtd = {gtd_prev, gtd_new};
  };
  for (; iteration < max_evaluations; ++iteration) {
    if (loss_new > loss + c1 * t * gtd || (iteration > 1 && loss_new >= loss_prev)) {
      set_bracket();
      break;
    }
    if (std::abs(gtd_new) <= -c2 * gtd) {
      bracket[0] = t, bracket_loss[0] = loss_new, bracket_grad[0] = grad_new;
      points = 1;
      done = true;
      break;
    }
    if (gtd_new >= 0) {
      set_bracket();
      break;
    }
    // extrapolate, at least 1 % past t and at most 10·t
    const double t_next = cubic_minimum(t_prev, loss_prev, gtd_prev, t, loss_new, gtd_new,
                                        std::pair{t + 0.01 * (t - t_prev), t * 10});
    t_prev = t, loss_prev = loss_new, grad_prev = grad_new, gtd_prev = gtd_new;
    t = t_next;
    std::tie(loss_new, grad_new) = evaluate_along(closure, theta, t, d);
    ++evaluations;
    gtd_new = dot_value(grad_new, d);
  }
  if (iteration == max_evaluations) {
    bracket = {0, t};
    bracket_loss = {loss, loss_new};
    bracket_grad = {grad, grad_new};
  }

  // zoom
  bool insufficient_progress = false;
  std::size_t low = bracket_loss[0] <= bracket_loss[points - 1] ? 0 : 1;
  std::size_t high = 1 - low;
  while (!done && iteration < max_evaluations) {
    if (std::abs(bracket[1] - bracket[0]) * d_norm < options_.tolerance_change) break;
    t = cubic_minimum(bracket[0], bracket_loss[0], bracket_gtd[0], bracket[1], bracket_loss[1], bracket_gtd[1]);
    // A point within 10 % of the bracket's length from an end is moved to that distance when
    // it is at an end, or the previous point was also that close.
    const double lo = std::min(bracket[0], bracket[1]), hi = std::max(bracket[0], bracket[1]);
    const double eps = 0.1 * (hi - lo);
    if (std::min(hi - t, t - lo) < eps) {
      if (insufficient_progress || t >= hi || t <= lo) {
        t = std::abs(t - hi) < std::abs(t - lo) ? hi - eps : lo + eps;
        insufficient_progress = false;
      } else {
        insufficient_progress = true;
      }
    } else {
      insufficient_progress = false;
    }
    std::tie(loss_new, grad_new) = evaluate_along(closure, theta, t, d);
    ++evaluations;
    gtd_new = dot_value(grad_new, d);
    ++iteration;
    if (loss_new > loss + c1 * t * gtd || loss_new >= bracket_loss[low]) {
      bracket[high] = t, bracket_loss[high] = loss_new, bracket_grad[high] = grad_new, bracket_gtd[high] = gtd_new;
      low = bracket_loss[0] <= bracket_loss[1] ? 0 : 1;
      high = 1 - low;
    } else {
      if (std::abs(gtd_new) <= -c2 * gtd) {
        done = true;
      } else if (gtd_new * (bracket[high] - bracket[low]) >= 0) {  // the old high becomes the low
        bracket[high] = bracket[low], bracket_loss[high] = bracket_loss[low];
        bracket_grad[high] = bracket_grad[low], bracket_gtd[high] = bracket_gtd[low];
      }
      bracket[low] = t, bracket_loss[low] = loss_new, bracket_grad[low] = grad_new, bracket_gtd[low] = gtd_new;
    }
  }
  return {bracket_loss[low], bracket_grad[low], bracket[low], evaluations};
}

Tensor LBFGS::step(const std::function<Tensor()>& closure) {
  NoGradGuard no_grad;
  const LBFGSOptions& o = options_;
  const double lr = lr_of(0);
  const auto evaluate = [&] {
    AutoGradMode recording(true);
    return closure();
  };
  const Tensor first_loss = evaluate();
  double loss = first_loss.item<double>();
  std::int64_t evaluations = 1;
  ++func_evals_;
  Tensor grad = flat_grad();
  bool optimal = max_abs(grad) <= o.tolerance_grad;
  if (optimal) return first_loss;

  for (std::int64_t iteration = 1; iteration <= o.max_iter; ++iteration) {
    ++n_iter_;
    if (n_iter_ == 1) {
      d_ = -grad;
      old_dirs_.clear(), old_stps_.clear(), ro_.clear();
      H_diag_ = 1;
    } else {
      const Tensor y = grad - prev_flat_grad_;
      const Tensor s = d_ * t_;
      const double ys = dot_value(y, s);
      if (ys > 1e-10) {
        if (static_cast<std::int64_t>(old_dirs_.size()) == o.history_size) {
          old_dirs_.pop_front(), old_stps_.pop_front(), ro_.pop_front();
        }
        old_dirs_.push_back(y), old_stps_.push_back(s), ro_.push_back(1 / ys);
        H_diag_ = ys / dot_value(y, y);
      }
      // d = −H·g by the two-loop recursion
      std::vector<double> alpha(old_dirs_.size());
      Tensor q = -grad;
      for (std::size_t i = old_dirs_.size(); i-- > 0;) {
        alpha[i] = dot_value(old_stps_[i], q) * ro_[i];
        q.add_(old_dirs_[i], -alpha[i]);
      }
      d_ = q * H_diag_;
      for (std::size_t i = 0; i < old_dirs_.size(); ++i) {
        const double beta = dot_value(old_dirs_[i], d_) * ro_[i];
        d_.add_(old_stps_[i], alpha[i] - beta);
      }
    }
    prev_flat_grad_ = grad.clone();
    const double prev_loss = loss;
    prev_loss_ = loss;

    t_ = n_iter_ == 1 ? std::min(1.0, 1.0 / grad.abs().sum().item<double>()) * lr : lr;
    const double gtd = dot_value(grad, d_);
    if (gtd > -o.tolerance_change) break;  // not a descent direction any more

    std::int64_t line_evaluations = 0;
    if (o.line_search_fn) {
      LineSearchResult found = strong_wolfe(closure, t_, d_, loss, grad, gtd);
      loss = found.loss, grad = found.grad, t_ = found.t, line_evaluations = found.evaluations;
      add_to_parameters(t_, d_);
      optimal = max_abs(grad) <= o.tolerance_grad;
    } else {
      add_to_parameters(t_, d_);
      if (iteration != o.max_iter) {  // the last iteration's loss would go unused
        loss = evaluate().item<double>();
        grad = flat_grad();
        optimal = max_abs(grad) <= o.tolerance_grad;
        line_evaluations = 1;
      }
    }
    evaluations += line_evaluations;
    func_evals_ += line_evaluations;

    if (iteration == o.max_iter || evaluations >= *o.max_eval || optimal) break;
    if (max_abs(d_) * std::abs(t_) <= o.tolerance_change) break;  // no progress in θ
    if (std::abs(loss - prev_loss) < o.tolerance_change) break;   // nor in f
  }
  return first_loss;
}

std::vector<StateField> LBFGS::state_fields(std::size_t i) const {
  if (i != 0) return {};
  const DType dtype = parameters_.front().dtype();
  const std::int64_t h = options_.history_size;
  return {{"func_evals", DType::Int64, {}}, {"n_iter", DType::Int64, {}},       {"history", DType::Int64, {}},
          {"t", DType::Float64, {}},        {"H_diag", DType::Float64, {}},     {"prev_loss", DType::Float64, {}},
          {"d", dtype, {numel_}},           {"prev_flat_grad", dtype, {numel_}}, {"old_dirs", dtype, {h, numel_}},
          {"old_stps", dtype, {h, numel_}}, {"ro", DType::Float64, {h}}};
}

OptimizerState LBFGS::state_dict() const {
  const LBFGSOptions& o = options_;
  OptimizerState state{.kind = "lbfgs",
                       .hyper_parameters = {{"lr", group_lr(0)},
                                            {"max_iter", static_cast<double>(o.max_iter)},
                                            {"max_eval", static_cast<double>(*o.max_eval)},
                                            {"tolerance_grad", o.tolerance_grad},
                                            {"tolerance_change", o.tolerance_change},
                                            {"history_size", static_cast<double>(o.history_size)},
                                            {"strong_wolfe", o.line_search_fn ? 1.0 : 0.0}},
                       .parameters = std::vector<std::map<std::string, Tensor>>(parameters_.size())};
  if (func_evals_ == 0) return state;
  const Tensor& p = parameters_.front();
  const TensorOptions like = TensorOptions().dtype(p.dtype()).device(p.device());
  const auto integer = [](std::int64_t v) { return from_vector(std::vector<std::int64_t>{v}, {}); };
  const auto real = [](double v) { return scalar_tensor(v, TensorOptions().dtype(DType::Float64)); };
  Tensor old_dirs = zeros({o.history_size, numel_}, like), old_stps = zeros({o.history_size, numel_}, like);
  Tensor ro = zeros({o.history_size}, TensorOptions().dtype(DType::Float64));
  const auto k = static_cast<std::int64_t>(old_dirs_.size());
  for (std::int64_t i = 0; i < k; ++i) {
    old_dirs.select(0, i).copy_(old_dirs_[i]);
    old_stps.select(0, i).copy_(old_stps_[i]);
    ro.select(0, i).fill_(ro_[i]);
  }
  state.parameters[0] = {{"func_evals", integer(func_evals_)},
                         {"n_iter", integer(n_iter_)},
                         {"history", integer(k)},
                         {"t", real(t_)},
                         {"H_diag", real(H_diag_)},
                         {"prev_loss", real(prev_loss_)},
                         {"d", d_.defined() ? d_.clone() : zeros({numel_}, like)},
                         {"prev_flat_grad", prev_flat_grad_.defined() ? prev_flat_grad_.clone() : zeros({numel_}, like)},
                         {"old_dirs", old_dirs},
                         {"old_stps", old_stps},
                         {"ro", ro}};
  return state;
}

void LBFGS::check_values(const OptimizerState& state) const {
  const auto& given = state.parameters.front();
  if (given.empty()) return;
  const auto history = given.at("history").item<std::int64_t>();
  const auto n_iter = given.at("n_iter").item<std::int64_t>();
  const auto func_evals = given.at("func_evals").item<std::int64_t>();
  if (history < 0 || history > options_.history_size || n_iter < 0 || func_evals < 1) {
    throw ValueError("lbfgs load_state_dict: parameter 0 has history " + std::to_string(history) + ", n_iter " +
                     std::to_string(n_iter) + " and func_evals " + std::to_string(func_evals) +
                     " (expected 0 <= history <= " + std::to_string(options_.history_size) +
                     ", n_iter >= 0, func_evals >= 1)");
  }
}

void LBFGS::set_state(const OptimizerState& state) {
  const auto& given = state.parameters.front();
  if (given.empty()) return;
  const Device device = parameters_.front().device();
  func_evals_ = given.at("func_evals").item<std::int64_t>();
  n_iter_ = given.at("n_iter").item<std::int64_t>();
  t_ = given.at("t").item<double>();
  H_diag_ = given.at("H_diag").item<double>();
  prev_loss_ = given.at("prev_loss").item<double>();
  d_ = given.at("d").to(device).clone();
  prev_flat_grad_ = given.at("prev_flat_grad").to(device).clone();
  old_dirs_.clear(), old_stps_.clear(), ro_.clear();
  const Tensor& ro = given.at("ro");
  for (std::int64_t i = 0; i < given.at("history").item<std::int64_t>(); ++i) {
    old_dirs_.push_back(given.at("old_dirs").select(0, i).to(device).clone());
    old_stps_.push_back(given.at("old_stps").select(0, i).to(device).clone());
    ro_.push_back(ro.select(0, i).item<double>());
  }
}

}  // namespace ann::optim
