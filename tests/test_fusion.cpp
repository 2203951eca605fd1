// The fusions of ann/nn/fusion.h against their reference, the modules run one by one: a Linear
// followed by its activation as one node, bit for bit; every Sequential, fused or not, the same
// values.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

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
  // (200 hidden units and 5 outputs: narrower nets fuse further, see test_narrow_mlp.cpp and
  // test_mlp_chain.cpp)
  nn::Sequential model{nn::Linear(2, 200), nn::Tanh(), nn::Linear(200, 5)};
  Tensor x = randn({6, 2});
  EXPECT_EQ(model(x).grad_fn_name(), "linear");
  nn::Sequential hidden{nn::Linear(2, 4), nn::Tanh()};
  EXPECT_EQ(hidden(x).grad_fn_name(), "linear_tanh");
}

TEST(Fusion, NoFusionGuardRunsEveryModuleOnItsOwn) {
  manual_seed(2);
  nn::Sequential hidden{nn::Linear(2, 4), nn::Tanh()};
  nn::Sequential lesson{nn::Linear(2, 8), nn::ReLU(), nn::Linear(8, 3)};
  const Tensor x = randn({6, 2});
  EXPECT_TRUE(nn::fusion_enabled());
  {
    nn::NoFusionGuard unfused;
    EXPECT_FALSE(nn::fusion_enabled());
    EXPECT_EQ(hidden(x).grad_fn_name(), "tanh");
    EXPECT_NE(lesson(x).grad_fn_name(), "narrow_mlp");
  }
  EXPECT_TRUE(nn::fusion_enabled());
  EXPECT_EQ(hidden(x).grad_fn_name(), "linear_tanh");
  EXPECT_EQ(lesson(x).grad_fn_name(), "narrow_mlp");
}

// Outputs and every gradient of a model on x, fused or not.
std::vector<std::vector<float>> outcome(nn::Sequential& model, const Tensor& x_in, bool fused) {
  for (Tensor& p : model.parameters()) p.zero_grad();
  Tensor x = x_in.detach().requires_grad_();
  Tensor y;
  if (fused) {
    y = model(x);
  } else {
    nn::NoFusionGuard unfused;
    y = model(x);
  }
  manual_seed(99);
  sum(y * randn(y.sizes())).backward();
  std::vector<std::vector<float>> all{y.to_vector<float>(), x.grad().to_vector<float>()};
  for (const Tensor& p : model.parameters()) all.push_back(p.grad().to_vector<float>());
  return all;
}

// Random Sequentials of 1–4 Linear layers, widths 1–9 (narrow ends included, so the two-layer
// kernel applies to some, the chain kernel to the other stacks), each activation or none after
// each hidden layer, 1–40 rows: fused and unfused give the same values — bit for bit for one
// layer, within float rounding for several (the multi-layer kernels' own summation orders).
TEST(Fusion, EverySequentialMatchesItsUnfusedReference) {
  std::mt19937 rng(5);
  const Activation activations[] = {Activation::None, Activation::ReLU, Activation::Tanh, Activation::Sigmoid};
  int narrow = 0;
  for (int trial = 0; trial < 80; ++trial) {
    manual_seed(static_cast<std::uint64_t>(trial));
    const int layers = 1 + static_cast<int>(rng() % 4);
    std::vector<std::int64_t> width{1 + static_cast<std::int64_t>(rng() % 5)};
    for (int l = 0; l < layers; ++l) width.push_back(1 + static_cast<std::int64_t>(rng() % 9));
    nn::Sequential model;
    bool narrow_pair = false;  // a Linear – [f] – Linear whose ends are at most 4 wide
    for (int l = 0; l < layers; ++l) {
      model.push_back(nn::Linear(width[l], width[l + 1]));
      narrow_pair = narrow_pair || (l + 1 < layers && width[l] <= 4 && width[l + 2] <= 4);
      if (l + 1 < layers || rng() % 2) {
        const Activation f = activations[rng() % 4];
        if (f == Activation::ReLU) model.push_back(nn::ReLU());
        if (f == Activation::Tanh) model.push_back(nn::Tanh());
        if (f == Activation::Sigmoid) model.push_back(nn::Sigmoid());
      }
    }
    const Tensor x = randn({1 + static_cast<std::int64_t>(rng() % 40), width[0]});
    narrow += narrow_pair;
    const auto fused = outcome(model, x, true), unfused = outcome(model, x, false);
    ASSERT_EQ(fused.size(), unfused.size());
    for (std::size_t k = 0; k < fused.size(); ++k) {
      ASSERT_EQ(fused[k].size(), unfused[k].size());
      for (std::size_t j = 0; j < fused[k].size(); ++j) {
        if (layers > 1) {
          ASSERT_NEAR(fused[k][j], unfused[k][j], 1e-5f * (1.f + std::fabs(unfused[k][j])))
              << model.str() << ", result " << k << " element " << j;
        } else {
          ASSERT_EQ(fused[k][j], unfused[k][j]) << model.str() << ", result " << k << " element " << j;
        }
      }
    }
  }
  EXPECT_GE(narrow, 5) << "the sweep must reach the two-layer kernel";
}

}  // namespace
