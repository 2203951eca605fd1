// The losses. Cross-entropy and the reduced mean squared error are fused nodes (the first's
// gradient is the famous softmax − one-hot); the others are compositions of differentiable
// ops, so their gradients follow.
#include "ann/nn/functional.h"
#include "ann/nn/functional_options.h"
#include "nn/loss_without_graph.h"

#include <functional>
#include <optional>
#include <utility>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/ops.h"
#include "autograd/node.h"
#include "ops/op_util.h"

namespace ann::nn::functional {

namespace {

Tensor reduce(const Tensor& per_example, Reduction reduction) {
  switch (reduction) {
    case Reduction::None: return per_example;
    case Reduction::Sum: return sum(per_example);
    case Reduction::Mean: return mean(per_example);
    case Reduction::BatchMean:
      throw ValueError("reduction BatchMean (torch's 'batchmean') is kl_div's only; use Mean or Sum");
  }
  return per_example;
}

void check_same_shape(const Tensor& input, const Tensor& target, const char* op) {
  check_defined(input, op);
  check_defined(target, op);
  if (input.sizes() != target.sizes()) {
    throw ShapeError(std::string(op) + ": input of shape " + to_string(input.sizes()) + " and target of shape " +
                     to_string(target.sizes()) + " differ");
  }
}

// Checks scores [m, C] against labels [m] (int64, each in [0, C), or the ignored label when
// there is one).
void check_class_targets(const Tensor& scores, const Tensor& target, const char* op,
                         std::optional<std::int64_t> ignore_index = std::nullopt) {
  ops::check_floating(scores, op);
  check_defined(target, op);
  if (scores.dim() != 2) {
    throw ShapeError(std::string(op) + ": expects input of shape [batch, classes], got " + to_string(scores.sizes()));
  }
  if (target.dtype() != DType::Int64) {
    throw TypeError(std::string(op) + ": target must hold int64 class labels, got " +
                    std::string(to_string(target.dtype())));
  }
  if (target.sizes() != Shape{scores.size(0)}) {
    throw ShapeError(std::string(op) + ": target of shape " + to_string(target.sizes()) + " for input of shape " +
                     to_string(scores.sizes()) + " (expected [" + std::to_string(scores.size(0)) + "])");
  }
  const std::int64_t classes = scores.size(1);
  // an ignored label is checked as 0 (labels · [label ≠ ignored])
  const Tensor checked = ignore_index ? target * (target != static_cast<double>(*ignore_index)).to(DType::Int64) : target;
  if (const auto bad = ops::first_outside(checked, classes)) {
    throw ValueError(std::string(op) + ": target " + std::to_string(*bad) + " out of range for " +
                     std::to_string(classes) + " classes");
  }
}

// The fused kernel's pass over logits z [m, C] (float32, on a back end that has it): the
// per-example losses and what the backward reads, softargmax − one-hot.
struct CrossEntropyPass {
  Tensor per_example, grad;
};
CrossEntropyPass cross_entropy_pass(const Tensor& logits, const Tensor& target) {
  const Tensor z = logits.contiguous().detach();
  const Tensor c = target.contiguous();
  const std::int64_t m = z.size(0);
  CrossEntropyPass pass{make_tensor({m}, DType::Float32, z.device()), make_tensor(z.sizes(), DType::Float32, z.device())};
  ops::backend_of(z).cross_entropy(z.data<float>(), c.data<std::int64_t>(), pass.per_example.data<float>(),
                                   pass.grad.data<float>(), m, z.size(1));
  return pass;
}
// ∂L/∂z = weight_i · (softargmax − one-hot) with row weights dloss_i (per_row, no reduction) or
// one number `uniform` for every row (the sum's dloss; the mean's dloss/m, divided in float32 as
// the tensor op would).
Tensor cross_entropy_input_gradient(const Tensor& grad, const Tensor& per_row, float uniform) {
  Tensor dz = make_tensor(grad.sizes(), DType::Float32, grad.device());
  ops::backend_of(grad).cross_entropy_backward(grad.data<float>(), per_row.defined() ? per_row.data<float>() : nullptr,
                                               uniform, dz.data<float>(), grad.size(0), grad.size(1));
  return dz;
}
float uniform_row_weight(float dloss, Reduction reduction, std::int64_t m) {
  return reduction == Reduction::Mean ? dloss / static_cast<float>(m) : dloss;
}

}  // namespace

// ℓ_i = −log softargmax(z_i)[c_i] = log Σ_k exp(z_ik) − z_i,c_i
// ∂ℓ_i/∂z_i = softargmax(z_i) − y_i, y_i the one-hot row of c_i; the mean divides by m.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction) {
  check_class_targets(logits, target, "cross_entropy");
  ops::check_same_device(logits, target, "cross_entropy");
  // Without the fused kernel (float64, or a back end that lacks it), the composition it stands
  // for: −log softargmax picked per row.
  if (logits.dtype() != DType::Float32 || !ops::backend_of(logits).has(backend::Fused::CrossEntropy))
    return nll_loss(log_softmax(logits, 1), target, reduction);
  CrossEntropyPass pass = cross_entropy_pass(logits, target);
  Tensor loss = pass.per_example;
  {
    NoGradGuard no_grad;
    if (reduction != Reduction::None) loss = reduce(pass.per_example, reduction);
  }
  return autograd::record("cross_entropy", std::move(loss), {logits},
                          [grad = std::move(pass.grad), reduction, c = target.contiguous()](
                              const Tensor& dloss, autograd::GradSinks, const std::vector<Tensor>& in) {
    if (is_grad_enabled()) {  // a pass with create_graph: the composition the kernel stands for
      return autograd::differentiate_again(
          [&](const std::vector<Tensor>& z) { return nll_loss(log_softmax(z[0], 1), c, reduction); }, in, dloss);
    }
    if (reduction == Reduction::None) {
      return std::vector<Tensor>{cross_entropy_input_gradient(grad, dloss.contiguous(), 0.f)};
    }
    const float uniform = uniform_row_weight(dloss.item<float>(), reduction, grad.size(0));
    return std::vector<Tensor>{cross_entropy_input_gradient(grad, Tensor(), uniform)};
  });
}

namespace {
// CrossEntropyLoss without class options, reduced by mean or sum, through the fused kernel: its
// loss and the gradient a backward() from it gives (dloss = 1), with no node (nn::TrainStep).
bool cross_entropy_without_graph(const CrossEntropyLoss& criterion, const Tensor& logits, const Tensor& target,
                                 Tensor& loss, Tensor& d_logits) {
  const Reduction reduction = criterion.reduction();
  if (criterion.options() || (reduction != Reduction::Mean && reduction != Reduction::Sum) || !logits.defined() ||
      !target.defined() || logits.dtype() != DType::Float32 || logits.dim() != 2 || target.dtype() != DType::Int64 ||
      target.sizes() != Shape{logits.size(0)} || logits.device() != target.device() ||
      !ops::backend_of(logits).has(backend::Fused::CrossEntropy))
    return false;  // the criterion itself then computes the loss, or names what is wrong
  check_class_targets(logits, target, "cross_entropy");  // a label out of range: the criterion's own error
  const CrossEntropyPass pass = cross_entropy_pass(logits, target);
  {
    NoGradGuard no_grad;
    loss = reduce(pass.per_example, reduction);
  }
  d_logits = cross_entropy_input_gradient(pass.grad, Tensor(), uniform_row_weight(1.f, reduction, logits.size(0)));
  return true;
}
}  // namespace

// ℓ_i = −log_probs[i, c_i]
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction) {
  check_class_targets(log_probs, target, "nll_loss");
  return reduce(neg(gather(log_probs, 1, target.unsqueeze(1)).squeeze(1)), reduction);
}

namespace {
// What the class losses know of their rows: whether each is kept (label ≠ ignored, as scores'
// type), its weight w[c_i] · kept, and the labels with ignored ones replaced by 0 so that they
// index safely.
struct ClassRows {
  Tensor kept, weights, safe_target;
};

ClassRows class_rows(const Tensor& scores, const Tensor& target, const ClassLossOptions& o, const char* op) {
  check_class_targets(scores, target, op, o.ignore_index);
  const std::int64_t classes = scores.size(1);
  if (o.weight.defined()) {
    ops::check_floating(o.weight, op);
    if (o.weight.sizes() != Shape{classes}) {
      throw ShapeError(std::string(op) + ": weight of shape " + to_string(o.weight.sizes()) + " for " +
                       std::to_string(classes) + " classes");
    }
  }
  const Tensor kept_mask = target != static_cast<double>(o.ignore_index);
  ClassRows rows{.kept = kept_mask.to(scores.dtype()), .weights = {}, .safe_target = target * kept_mask.to(DType::Int64)};
  rows.weights = o.weight.defined() ? rows.kept * index_select(o.weight.to(scores.dtype()), 0, rows.safe_target)
                                    : rows.kept;
  return rows;
}

Tensor reduce_weighted(const Tensor& per_row, const Tensor& weights, Reduction reduction) {
  if (reduction == Reduction::Mean) return sum(per_row) / sum(weights);
  return reduce(per_row, reduction);
}

// −w[c_i] · log_p[i, c_i], reduced (the mean divides by Σ_i w[c_i])
Tensor weighted_nll(const Tensor& log_p, const ClassRows& rows, Reduction reduction) {
  const Tensor picked = gather(log_p, 1, rows.safe_target.unsqueeze(1)).squeeze(1);
  return reduce_weighted(neg(picked) * rows.weights, rows.weights, reduction);
}
}  // namespace

// ℓ_i = −w[c_i] · log_probs[i, c_i] (0 for an ignored row); the mean divides by Σ_i w[c_i]
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const ClassLossOptions& options) {
  return weighted_nll(log_probs, class_rows(log_probs, target, options, "nll_loss"), options.reduction);
}

// (1 − ε) · nll(log softargmax z) + ε/C · Σ_c w_c (−log softargmax(z)_c) per row, both reduced
// alike (torch's cross_entropy with label smoothing).
Tensor cross_entropy(const Tensor& logits, const Tensor& target, const ClassLossOptions& options) {
  const double eps = options.label_smoothing;
  if (!(eps >= 0.0 && eps <= 1.0)) {
    throw ValueError("cross_entropy: label_smoothing must be in [0, 1], got " + std::to_string(eps));
  }
  // Options that change nothing here (no weights, no smoothing, no row ignored): the fused kernel.
  check_defined(target, "cross_entropy");
  if (!options.weight.defined() && eps == 0.0 && target.dtype() == DType::Int64 &&
      sum(target == static_cast<double>(options.ignore_index)).item<std::int64_t>() == 0) {
    return cross_entropy(logits, target, options.reduction);
  }
  const ClassRows rows = class_rows(logits, target, options, "cross_entropy");
  const Tensor log_p = log_softmax(logits, 1);
  const Tensor loss = weighted_nll(log_p, rows, options.reduction);
  if (eps == 0.0) return loss;
  const Tensor class_weighted = options.weight.defined() ? log_p * options.weight.to(log_p.dtype()) : log_p;
  const Tensor smooth = neg(sum(class_weighted, 1)) * rows.kept;
  const Tensor smooth_reduced = reduce_weighted(smooth, rows.weights, options.reduction);
  return loss * (1.0 - eps) + smooth_reduced * (eps / static_cast<double>(logits.size(1)));
}

namespace {

// A reduced loss Σ ℓ(input − target) of float32 operands that a fused kernel sums in one pass:
// the pass fills `kept` (input's shape) with each element's slope ∂ℓ/∂input / factor and returns
// the sum in double. The gradient is kept · (factor · dℓ) (/ n for the mean), its negative the
// target's.
struct FusedLossPass {
  backend::Fused entry;  // SquaredError (MSE, factor 2: kept is x − y) or PointwiseLoss
  backend::PointwiseLoss kind = backend::PointwiseLoss::L1;  // PointwiseLoss's
  double knee = 0.0;
  float factor = 1.f;

  // The loss (a scalar) and its kept slopes, with no node.
  std::pair<Tensor, Tensor> run(const Tensor& input, const Tensor& target, Reduction reduction) const {
    const std::int64_t n = input.numel();
    Tensor kept = make_tensor(input.sizes(), DType::Float32, input.device());
    Tensor loss = make_tensor({}, DType::Float32, input.device());
    NoGradGuard no_grad;  // the copies of non-contiguous operands are not part of the graph
    const Tensor a = input.contiguous(), b = target.contiguous();
    const backend::Backend& kernels = ops::backend_of(input);
    float total = static_cast<float>(
        entry == backend::Fused::SquaredError
            ? kernels.squared_error(a.data<float>(), b.data<float>(), kept.data<float>(), n)
            : kernels.pointwise_loss(kind, a.data<float>(), b.data<float>(), kept.data<float>(), n, knee));
    if (reduction == Reduction::Mean) total /= static_cast<float>(n);  // as mean(): the float sum / n
    loss.fill_(total);
    return {std::move(loss), std::move(kept)};
  }
  // ∂loss/∂input for a gradient dloss of the loss.
  Tensor input_gradient(const Tensor& kept, Reduction reduction, float dloss) const {
    if (reduction == Reduction::Mean) dloss /= static_cast<float>(kept.numel());
    return kept * (factor * dloss);
  }
};

// One node for a FusedLossPass. A pass with create_graph differentiates `compose` (the loss as
// ops) instead.
using LossComposition = std::function<Tensor(const Tensor& input, const Tensor& target)>;
Tensor fused_reduced_loss(const char* op, const Tensor& input, const Tensor& target, Reduction reduction,
                          const FusedLossPass& pass, LossComposition compose) {
  ops::check_same_device(input, target, op);
  auto [loss, kept] = pass.run(input, target, reduction);
  return autograd::record(op, std::move(loss), {input, target},
                          [kept = std::move(kept), reduction, pass, need_input = input.requires_grad(),
                           need_target = target.requires_grad(), compose = std::move(compose)](
                              const Tensor& dloss, autograd::GradSinks, const std::vector<Tensor>& inputs) {
                            if (is_grad_enabled()) {  // a pass with create_graph
                              return autograd::differentiate_again(
                                  [&](const std::vector<Tensor>& in) { return compose(in[0], in[1]); }, inputs, dloss);
                            }
                            const Tensor d_input = pass.input_gradient(kept, reduction, dloss.item<float>());
                            return std::vector<Tensor>{need_input ? d_input : Tensor(),
                                                       need_target ? -d_input : Tensor()};
                          });
}

// Whether a reduced loss of these operands may run as the back end's fused entry `entry`.
bool fuses(backend::Fused entry, const Tensor& input, const Tensor& target, Reduction reduction) {
  return (reduction == Reduction::Mean || reduction == Reduction::Sum) && input.dtype() == DType::Float32 &&
         target.dtype() == DType::Float32 &&
         ops::backend_of(input).has(entry);
}

}  // namespace

// ℓ = (x − y)²      ∂ℓ/∂x = 2 (x − y) = −∂ℓ/∂y
// Reduced (the lesson's regression loss), it is one node that keeps x − y: the same numbers
// as the composition (g·d + g·d = 2·(g·d) = d·(2g) exactly: doubling is exact), a third of the graph.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_shape(input, target, "mse_loss");
  ops::check_floating(input, "mse_loss");
  ops::check_floating(target, "mse_loss");
  const auto composition = [reduction](const Tensor& x, const Tensor& y) {
    const Tensor diff = x - y;
    return reduce(diff * diff, reduction);
  };
  if (!fuses(backend::Fused::SquaredError, input, target, reduction)) return composition(input, target);
  return fused_reduced_loss("mse_loss", input, target, reduction, {.entry = backend::Fused::SquaredError, .factor = 2.f},
                            composition);
}

// ℓ = −(y log p + (1 − y) log(1 − p)), each log clamped at −100 like torch so ℓ stays finite
Tensor binary_cross_entropy(const Tensor& probs, const Tensor& target, const BinaryCrossEntropyFuncOptions& o) {
  if (!o.weight().defined()) return binary_cross_entropy(probs, target, o.reduction());
  const Tensor per_element = binary_cross_entropy(probs, target, Reduction::None);
  if (broadcast_shapes(o.weight().sizes(), per_element.sizes(), "binary_cross_entropy") != per_element.sizes()) {
    throw ShapeError("binary_cross_entropy: weight of shape " + to_string(o.weight().sizes()) +
                     " does not broadcast to the input's " + to_string(per_element.sizes()));
  }
  return reduce(per_element * o.weight(), o.reduction());
}

Tensor binary_cross_entropy(const Tensor& probs, const Tensor& target, Reduction reduction) {
  check_same_shape(probs, target, "binary_cross_entropy");
  {
    const std::vector<double> p = probs.to_vector<double>();
    for (double v : p) {
      if (!(v >= 0.0 && v <= 1.0)) {
        throw ValueError("binary_cross_entropy: input " + std::to_string(v) + " is not a probability in [0, 1]");
      }
    }
  }
  const Tensor log_p = clamp(log(probs), -100.f, 0.f);
  const Tensor log_1mp = clamp(log(1.f - probs), -100.f, 0.f);
  return reduce(neg(target * log_p + (1.f - target) * log_1mp), reduction);
}

namespace {

// ℓ = max(x, 0) − x y + log(1 + exp(−|x|))    (stable form of BCE(sigmoid(x), y))
// ∂ℓ/∂x = sigmoid(x) − y      ∂ℓ/∂y = −x
// log(1 + exp(−|x|)) is softplus(−|x|), whose kernel takes no logarithm (vector_math.h).
Tensor composed_bce_with_logits(const Tensor& logits, const Tensor& target, Reduction reduction) {
  Tensor per_example;
  {
    NoGradGuard no_grad;
    per_example = relu(logits) - logits * target + softplus(neg(abs(logits)));
  }
  per_example = autograd::record("binary_cross_entropy_with_logits", per_example, {logits, target},
                                 [](const Tensor& dl, const std::vector<Tensor>& in) {
                                   const Tensor &x = in[0], &y = in[1];
                                   return std::vector<Tensor>{dl * (sigmoid(x) - y), dl * neg(x)};
                                 });
  return reduce(per_example, reduction);
}

}  // namespace

// Reduced, of float32 operands, with a target that needs no gradient (labels): one fused node
// that keeps σ(x) − y, the composition's very floats (nine tensors and as many passes fewer,
// a quarter of a 199-17-15 net's step on 5156 rows). Otherwise the composition above.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, Reduction reduction) {
  check_same_shape(logits, target, "binary_cross_entropy_with_logits");
  ops::check_floating(logits, "binary_cross_entropy_with_logits");
  if (target.requires_grad() || !fuses(backend::Fused::PointwiseLoss, logits, target, reduction))
    return composed_bce_with_logits(logits, target, reduction);
  return fused_reduced_loss(
      "binary_cross_entropy_with_logits", logits, target, reduction,
      {.entry = backend::Fused::PointwiseLoss, .kind = backend::PointwiseLoss::BceWithLogits},
      [reduction](const Tensor& x, const Tensor& y) { return composed_bce_with_logits(x, y, reduction); });
}

// With pos_weight p (broadcast along the last dimension: one per class) and weight w (broadcast
// to the input), torch's formula, composed so that x, y, p and w all get their gradients:
//   ℓ = w · [(1 − y) x + (1 + (p − 1) y) · softplus(−x)],  softplus(−x) = max(−x, 0) + log(1 + e^(−|x|))
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        const BCEWithLogitsOptions& options) {
  if (!options.pos_weight.defined() && !options.weight.defined())
    return binary_cross_entropy_with_logits(logits, target, options.reduction);
  check_same_shape(logits, target, "binary_cross_entropy_with_logits");
  ops::check_floating(logits, "binary_cross_entropy_with_logits");
  const Tensor softplus_neg = relu(neg(logits)) + log1p(exp(neg(abs(logits))));
  Tensor per_element = options.pos_weight.defined()
                           ? (1.0 - target) * logits + (1.0 + (options.pos_weight - 1.0) * target) * softplus_neg
                           : (1.0 - target) * logits + softplus_neg;
  if (options.weight.defined()) per_element = per_element * options.weight;
  if (per_element.sizes() != logits.sizes()) {
    throw ShapeError("binary_cross_entropy_with_logits: weight " +
                     (options.weight.defined() ? to_string(options.weight.sizes()) : std::string("(none)")) +
                     " or pos_weight " +
                     (options.pos_weight.defined() ? to_string(options.pos_weight.sizes()) : std::string("(none)")) +
                     " widen the loss beyond the input's shape " + to_string(logits.sizes()));
  }
  return reduce(per_element, options.reduction);
}

// ℓ = |x − y|      ∂ℓ/∂x = sign(x − y)
namespace {

// A reduced L1, smooth L1 or Huber loss of float32 operands as one node, where the back end
// offers it (the composition otherwise, and for Reduction::None): one pass sums the
// composition's very floats and keeps each element's slope ∂ℓ/∂input. Undefined where it does
// not apply. `compose` is the loss as ops, for a pass with create_graph.
Tensor fused_pointwise_loss(backend::PointwiseLoss kind, const Tensor& input, const Tensor& target,
                            Reduction reduction, double knee, const char* op, LossComposition compose) {
  if (!fuses(backend::Fused::PointwiseLoss, input, target, reduction)) return Tensor();
  return fused_reduced_loss(op, input, target, reduction,
                            {.entry = backend::Fused::PointwiseLoss, .kind = kind, .knee = knee}, std::move(compose));
}

}  // namespace

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_shape(input, target, "l1_loss");
  ops::check_floating(input, "l1_loss");
  ops::check_floating(target, "l1_loss");
  const LossComposition composed = [reduction](const Tensor& x, const Tensor& y) { return reduce(abs(x - y), reduction); };
  if (Tensor fused = fused_pointwise_loss(backend::PointwiseLoss::L1, input, target, reduction, 0.0, "l1_loss", composed);
      fused.defined()) {
    return fused;
  }
  return composed(input, target);
}

namespace {
// The piecewise losses of d = |x − y|: quadratic below `knee`, linear above; `scale` divides the
// quadratic part (smooth L1) or multiplies the linear one (Huber).
Tensor quadratic_then_linear(const Tensor& input, const Tensor& target, double knee, bool huber, const char* op) {
  check_same_shape(input, target, op);
  ops::check_floating(input, op);
  if (!(knee >= 0.0)) throw ValueError(std::string(op) + ": expects a non-negative threshold, got " + std::to_string(knee));
  const Tensor d = abs(input - target);
  if (knee == 0.0) return huber ? d * 0.0 : d;  // smooth L1 with beta 0 is L1; Huber with delta 0 is 0
  const Tensor quadratic = huber ? d * d * 0.5 : d * d * 0.5 / knee;
  const Tensor linear = huber ? (d - 0.5 * knee) * knee : d - 0.5 * knee;
  return where(d < knee, quadratic, linear);
}

Tensor quadratic_then_linear_loss(backend::PointwiseLoss kind, const Tensor& input, const Tensor& target,
                                  Reduction reduction, double knee, const char* op) {
  check_same_shape(input, target, op);
  ops::check_floating(input, op);
  ops::check_floating(target, op);
  if (!(knee >= 0.0)) throw ValueError(std::string(op) + ": expects a non-negative threshold, got " + std::to_string(knee));
  const LossComposition composed = [=](const Tensor& x, const Tensor& y) {
    return reduce(quadratic_then_linear(x, y, knee, kind == backend::PointwiseLoss::Huber, op), reduction);
  };
  if (Tensor fused = fused_pointwise_loss(kind, input, target, reduction, knee, op, composed); fused.defined()) return fused;
  return composed(input, target);
}
}  // namespace

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta) {
  return quadratic_then_linear_loss(backend::PointwiseLoss::SmoothL1, input, target, reduction, beta, "smooth_l1_loss");
}

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta) {
  return quadratic_then_linear_loss(backend::PointwiseLoss::Huber, input, target, reduction, delta, "huber_loss");
}

// ℓ = y (log y − x), 0 where y = 0 (torch's xlogy)      ∂ℓ/∂x = −y,  ∂ℓ/∂y = log y + 1 − x
Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction, bool log_target) {
  check_same_shape(input, target, "kl_div");
  ops::check_floating(input, "kl_div");
  ops::check_floating(target, "kl_div");
  Tensor per_element;
  if (log_target) {
    per_element = exp(target) * (target - input);
  } else {
    const Tensor positive = target > 0.0;
    const Tensor safe_log = log(where(positive, target, ones_like(target)));  // log 1 = 0 where y = 0
    per_element = target * safe_log - target * input;
  }
  // batchmean: the sum over the batch's size, the KL divergence per example (torch's advice)
  if (reduction == Reduction::BatchMean) return sum(per_element) / static_cast<double>(input.dim() > 0 ? input.size(0) : 1);
  return reduce(per_element, reduction);
}

}  // namespace ann::nn::functional

namespace ann::nn {

bool loss_without_graph(const std::function<Tensor(const Tensor&, const Tensor&)>& criterion, const Tensor& input,
                        const Tensor& target, Tensor& loss, Tensor& d_input) {
  using functional::FusedLossPass;
  // target<M>() is the module of type M itself, never a subclass (which may compute another loss)
  if (const auto* ce = criterion.target<CrossEntropyLoss>()) {
    return functional::cross_entropy_without_graph(*ce, input, target, loss, d_input);
  }
  const Loss* module = nullptr;
  FusedLossPass pass{.entry = backend::Fused::PointwiseLoss};
  if (const auto* mse = criterion.target<MSELoss>()) {
    module = mse;
    pass = {.entry = backend::Fused::SquaredError, .factor = 2.f};
  } else if (const auto* l1 = criterion.target<L1Loss>()) {
    module = l1;
    pass.kind = backend::PointwiseLoss::L1;
  } else if (const auto* smooth = criterion.target<SmoothL1Loss>()) {
    module = smooth;
    pass.kind = backend::PointwiseLoss::SmoothL1;
    pass.knee = smooth->beta();
  } else if (const auto* huber = criterion.target<HuberLoss>()) {
    module = huber;
    pass.kind = backend::PointwiseLoss::Huber;
    pass.knee = huber->delta();
  } else if (const auto* bce = criterion.target<BCEWithLogitsLoss>(); bce && !bce->options()) {
    module = bce;
    pass.kind = backend::PointwiseLoss::BceWithLogits;
  } else {
    return false;
  }
  // where the loss's own function takes the same pass (with a node), and the target needs no gradient
  const Reduction reduction = module->reduction();
  if (!input.defined() || !target.defined() || input.sizes() != target.sizes() || input.device() != target.device() ||
      target.requires_grad() || !(pass.knee >= 0.0) || !functional::fuses(pass.entry, input, target, reduction))
    return false;
  auto [value, kept] = pass.run(input, target, reduction);
  loss = std::move(value);
  d_input = pass.input_gradient(kept, reduction, 1.f);  // the gradient of a backward() from the loss
  return true;
}

}  // namespace ann::nn
