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
  {
    torch::NoGradGuard no_grad;
    show("no_grad_requires_grad", torch::tensor({(x * 2.0).requires_grad() ? 1.0 : 0.0}));
  }
  return 0;
}
