// A hand-written mini-batch SGD loop, as a libtorch user writes one after the lesson: seeded
// data, shuffled batches from randperm, the loss, backward, and an update under no_grad.
#include "prelude.h"

int main() {
  torch::manual_seed(1);
  const auto X = torch::randn({64, 3});
  const auto true_w = torch::tensor({1.5, -2.0, 0.5}).unsqueeze(1);
  const auto y = X.matmul(true_w) + 0.1 * torch::randn({64, 1});
  auto w = torch::zeros({3, 1}, torch::requires_grad());
  auto b = torch::zeros({1}, torch::requires_grad());
  const double lr = 0.1;
  for (int epoch = 0; epoch < 5; ++epoch) {
    const auto perm = torch::randperm(64);
    double total = 0.0;
    for (std::int64_t i = 0; i < 64; i += 16) {
      const auto idx = perm.slice(0, i, i + 16);
      const auto xb = torch::index_select(X, 0, idx), yb = torch::index_select(y, 0, idx);
      auto loss = torch::nn::functional::mse_loss(xb.matmul(w) + b, yb);
      loss.backward();
      {
        torch::NoGradGuard no_grad;
        w -= lr * w.grad();
        b -= lr * b.grad();
        w.grad().zero_();
        b.grad().zero_();
      }
      total += loss.item<double>();
    }
    show("epoch_loss", torch::tensor({total / 4.0}));
  }
  show("w", w);
  show("b", b);
  return 0;
}
