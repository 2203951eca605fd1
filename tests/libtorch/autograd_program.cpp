// Autograd as libtorch programs use it: torch::autograd::grad with second derivatives, recorded
// in-place ops, and the usual losses.
#include "prelude.h"

int main() {
  namespace F = torch::nn::functional;
  auto x = torch::tensor({0.5, -1.0, 2.0}, torch::requires_grad());
  const auto y = (x.pow(3) + torch::tanh(x) * x).sum();
  const auto g = torch::autograd::grad({y}, {x}, {}, true, true)[0];
  show("grad", g);
  show("second", torch::autograd::grad({g.sum()}, {x})[0]);

  auto a = x * 2.0;
  a.add_(1.0);
  a.mul_(x);
  a.sum().backward();
  show("inplace_grad", x.grad());

  torch::manual_seed(3);
  auto logits = torch::randn({4, 3}, torch::requires_grad());
  const auto labels = torch::tensor({2, 0, 1, 1});
  const auto ce = F::cross_entropy(logits, labels);
  ce.backward();
  show("cross_entropy", ce);
  show("cross_entropy_grad", logits.grad());
  const auto targets = torch::rand({4, 3});
  show("bce_with_logits", F::binary_cross_entropy_with_logits(logits.detach(), targets));
  show("smooth_l1", F::smooth_l1_loss(logits.detach(), targets));
  show("kl_div", F::kl_div(torch::log_softmax(logits.detach(), 1), torch::softmax(targets, 1)));
  // the losses' option objects
  const auto class_weight = torch::tensor({0.5, 2.0, 1.0});
  show("ce_options", F::cross_entropy(logits.detach(), labels,
                                      F::CrossEntropyFuncOptions().weight(class_weight).label_smoothing(0.1)));
  show("nll_options", F::nll_loss(torch::log_softmax(logits.detach(), 1), labels,
                                  F::NLLLossFuncOptions().ignore_index(1).reduction(torch::kSum)));
  show("mse_sum", F::mse_loss(logits.detach(), targets, F::MSELossFuncOptions(torch::kSum)));
  show("l1_none", F::l1_loss(logits.detach(), targets, F::L1LossFuncOptions().reduction(torch::kNone)));
  show("smooth_l1_sum", F::smooth_l1_loss(logits.detach(), targets, F::SmoothL1LossFuncOptions(torch::kSum)));
  show("huber_delta", F::huber_loss(logits.detach(), targets, F::HuberLossFuncOptions().delta(0.3)));
  show("kl_div_batchmean", F::kl_div(torch::log_softmax(logits.detach(), 1), torch::log_softmax(targets, 1),
                                     F::KLDivFuncOptions().reduction(torch::kBatchMean).log_target(true)));
  show("bce_weight", F::binary_cross_entropy(torch::sigmoid(logits.detach()), targets,
                                             F::BinaryCrossEntropyFuncOptions().weight(class_weight)));
  show("bce_logits_options", F::binary_cross_entropy_with_logits(
                                 logits.detach(), targets,
                                 F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(class_weight).reduction(torch::kSum)));
  {
    torch::NoGradGuard no_grad;
    show("no_grad_requires_grad", torch::tensor({(x * 2.0).requires_grad() ? 1.0 : 0.0}));
  }
  return 0;
}
