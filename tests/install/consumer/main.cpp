// Trains a tiny classifier through the installed headers and library; exits 0 on success.
#include <ann/ann.h>

int main() {
  using namespace ann;
  manual_seed(0);
  auto [X, y] = data::spiral(50, 2, 0.0);
  nn::Sequential model{nn::Linear(2, 16), nn::Tanh(), nn::Linear(16, 2)};
  nn::CrossEntropyLoss criterion;
  optim::Adam optimizer(model.parameters(), {.lr = 1e-2});
  float first = 0.f, last = 0.f;
  for (int t = 0; t < 100; ++t) {
    Tensor loss = criterion(model(X), y);
    if (t == 0) first = loss.item();
    last = loss.item();
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
  return last < first ? 0 : 1;
}
