// Sequential runs a Linear followed by its activation as one fused node. The fused layer
// must give bit-identical outputs and gradients to the two modules run one after the other.
#include <gtest/gtest.h>

#include "ann/ann.h"

namespace {

using namespace ann;

struct Outcome {
  std::vector<float> output, dx, dw, db;
};

Outcome run(bool fused, Activation activation) {
  manual_seed(7);
  nn::Linear layer(5, 7);
  Tensor x = randn({9, 5}).requires_grad_();
  Tensor y;
  if (fused) {
    y = layer.forward(x, activation);
  } else {
    y = layer(x);
    if (activation == Activation::ReLU) y = relu(y);
    if (activation == Activation::Tanh) y = tanh(y);
    if (activation == Activation::Sigmoid) y = sigmoid(y);
  }
  const Tensor weights = randn({9, 7});
  sum(y * weights).backward();
  return {y.to_vector<float>(), x.grad().to_vector<float>(), layer.weight.grad().to_vector<float>(),
          layer.bias.grad().to_vector<float>()};
}

class FusedLinear : public ::testing::TestWithParam<Activation> {};

TEST_P(FusedLinear, BitIdenticalToLinearThenActivation) {
  const Outcome fused = run(true, GetParam()), separate = run(false, GetParam());
  EXPECT_EQ(fused.output, separate.output);
  EXPECT_EQ(fused.dx, separate.dx);
  EXPECT_EQ(fused.dw, separate.dw);
  EXPECT_EQ(fused.db, separate.db);
}

INSTANTIATE_TEST_SUITE_P(Activations, FusedLinear,
                         ::testing::Values(Activation::None, Activation::ReLU, Activation::Tanh, Activation::Sigmoid));

TEST(FusedLinear, SequentialFusesAndNamesTheNode) {
  manual_seed(1);
  // (5 outputs: a net with at most 4 inputs and outputs fuses further, see test_narrow_mlp.cpp)
  nn::Sequential model{nn::Linear(2, 4), nn::Tanh(), nn::Linear(4, 5)};
  Tensor x = randn({6, 2});
  EXPECT_EQ(model(x).grad_fn_name(), "linear");
  nn::Sequential hidden{nn::Linear(2, 4), nn::Tanh()};
  EXPECT_EQ(hidden(x).grad_fn_name(), "linear_tanh");
}

}  // namespace
