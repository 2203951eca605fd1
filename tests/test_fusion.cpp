// The fusions of ann/nn/fusion.h against their reference, the modules run one by one: a Linear
// followed by its activation as one node, bit for bit; every Sequential, fused or not, the same
// values.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <random>
#include <vector>

#include "ann/ann.h"
#include "drawn.h"

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

// Every activation ann has, with scalars other than the defaults (with a negative slope or α,
// LeakyReLU and ELU keep f'(z) for the backward, as GELU, SiLU and Softplus do), as the module that follows a
// Linear: the node is the fused layer, and it gives the two modules' bits. 150 units: wider than
// the chain kernel's layers, as a single layer is anyway.
std::vector<std::vector<float>> outcome(nn::Sequential& model, const Tensor& x_in, bool fused);

// The model on x, with its fusions or every module on its own.
Tensor forward_of(nn::Sequential& model, const Tensor& x, bool fused) {
  if (fused) return model(x);
  nn::NoFusionGuard unfused;
  return model(x);
}

struct NamedActivation {
  std::shared_ptr<nn::Module> module;
  std::string node;
};
std::vector<NamedActivation> every_activation() {
  return {{std::make_shared<nn::ReLU>(), "linear_relu"},
          {std::make_shared<nn::Tanh>(), "linear_tanh"},
          {std::make_shared<nn::Sigmoid>(), "linear_sigmoid"},
          {std::make_shared<nn::LeakyReLU>(0.2), "linear_leaky_relu"},
          {std::make_shared<nn::LeakyReLU>(-0.5), "linear_leaky_relu"},
          {std::make_shared<nn::ELU>(0.7), "linear_elu"},
          {std::make_shared<nn::ELU>(-0.4), "linear_elu"},  // its slope kept, as GELU's
          {std::make_shared<nn::GELU>(), "linear_gelu"},
          {std::make_shared<nn::SiLU>(), "linear_silu"},
          {std::make_shared<nn::Softplus>(2.0, 3.0), "linear_softplus"}};
}

TEST(FusedLinear, EveryActivationAsOneNodeBitIdenticalToTheModules) {
  for (const auto& [activation, node] : every_activation()) {
    for (const bool bias : {true, false}) {
      SCOPED_TRACE(activation->str() + (bias ? " with bias" : " without bias"));
      manual_seed(3);
      nn::Sequential model;
      model.push_back(nn::Linear(5, 150, bias));
      model.push_back(activation);
      const Tensor x = randn({37, 5}) * 2.0;
      const Tensor probe = x.detach().requires_grad_();
      EXPECT_EQ(model(probe).grad_fn_name(), node);
      const auto fused = outcome(model, x, true), unfused = outcome(model, x, false);
      ASSERT_EQ(fused.size(), unfused.size());
      for (std::size_t k = 0; k < fused.size(); ++k) EXPECT_EQ(fused[k], unfused[k]) << "result " << k;
      // without a backward the layer computes in place: the same values
      NoGradGuard no_grad;
      EXPECT_EQ(model(x).to_vector<float>(), fused[0]);
    }
  }
}

// A gradient penalty differentiates the fused layer's backward again: through the modules it
// stands for, so the second derivatives are theirs.
TEST(FusedLinear, SecondDerivativesThroughEveryActivation) {
  for (const auto& [activation, node] : every_activation()) {
    SCOPED_TRACE(activation->str());
    std::vector<std::vector<float>> results[2];
    for (const bool fused : {true, false}) {
      manual_seed(4);
      nn::Sequential model;
      model.push_back(nn::Linear(3, 140));
      model.push_back(activation);
      model.push_back(nn::Linear(140, 1));
      const Tensor x = randn({6, 3}).requires_grad_();
      const Tensor y = forward_of(model, x, fused);
      const Tensor dx = autograd::grad({sum(y)}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0];
      sum(dx * dx).backward();
      for (const Tensor& p : model.parameters())  // (the output bias has no part in dx: no gradient)
        results[fused].push_back(p.grad().defined() ? p.grad().to_vector<float>() : std::vector<float>{});
    }
    ASSERT_EQ(results[0].size(), results[1].size());
    for (std::size_t k = 0; k < results[0].size(); ++k) {
      ASSERT_EQ(results[0][k].size(), results[1][k].size()) << "parameter " << k;
      for (std::size_t j = 0; j < results[0][k].size(); ++j)
        ASSERT_NEAR(results[1][k][j], results[0][k][j], 1e-5f * (1.f + std::fabs(results[0][k][j])))
            << "parameter " << k << " element " << j;
    }
    EXPECT_FALSE(results[1][0].empty());
  }
}

TEST(FusedLinear, SequentialFusesAndNamesTheNode) {
  manual_seed(1);
  // (1100 hidden units and 5 outputs: narrower nets fuse further, see test_narrow_mlp.cpp and
  // test_mlp_chain.cpp)
  nn::Sequential model{nn::Linear(2, 1100), nn::Tanh(), nn::Linear(1100, 5)};
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
  const Tensor y = forward_of(model, x, fused);
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

// The same beyond the narrow: depths 1–4, widths drawn log-uniform up to 300 (inputs) and 256
// (layers), any of the activations, bias or not, 0–2000 rows; a third of the nets with ends of
// at most 4 (the two-layer kernel with a wide hidden layer). Every fused path the Sequential
// picks (two-layer, chain, linear epilogue, the matrix products' own kernels) against the
// modules one by one, within float rounding of the largest value (other summation orders).
TEST(Fusion, DrawnWideSequentialsMatchTheirUnfusedReference) {
  std::mt19937 rng(11);
  const std::vector<std::string>& activations = nn::activation_names();
  for (int trial = 0; trial < 60; ++trial) {
    manual_seed(static_cast<std::uint64_t>(100 + trial));
    const bool narrow_ends = trial % 3 == 0;
    const int layers = 1 + static_cast<int>(rng() % 4);
    std::vector<std::int64_t> width{narrow_ends ? 1 + static_cast<std::int64_t>(rng() % 4)
                                                : ann::testing::log_uniform(rng, 300)};
    for (int l = 0; l + 1 < layers; ++l) width.push_back(ann::testing::log_uniform(rng, 256));
    width.push_back(narrow_ends ? 1 + static_cast<std::int64_t>(rng() % 4) : ann::testing::log_uniform(rng, 100));
    const std::string& f = activations[rng() % activations.size()];
    const bool bias = rng() % 4 != 0;
    nn::Sequential model;
    for (int l = 0; l < layers; ++l) {
      model.push_back(nn::Linear(width[l], width[l + 1], bias));
      if (l + 1 < layers) model.push_back(nn::AnyModule(nn::make_activation(f)));
    }
    const std::int64_t rows = rng() % 8 == 0 ? 0 : ann::testing::log_uniform(rng, 2000);
    const Tensor x = randn({rows, width[0]});
    const auto fused = outcome(model, x, true), unfused = outcome(model, x, false);
    ASSERT_EQ(fused.size(), unfused.size());
    for (std::size_t k = 0; k < fused.size(); ++k) {
      ASSERT_EQ(fused[k].size(), unfused[k].size());
      float largest = 0;
      for (float v : unfused[k]) largest = std::max(largest, std::fabs(v));
      for (std::size_t j = 0; j < fused[k].size(); ++j)
        ASSERT_NEAR(fused[k][j], unfused[k][j], 1e-4f * largest + 1e-6f)
            << model.str() << " on " << rows << " rows, result " << k << " element " << j;
    }
  }
}

}  // namespace

// The CPU's optimizer pass (src/backend/cpu/optimizer_steps.cpp) and its compositions differ in
// one respect: a first moment under 2⁻¹²⁶ (a weight whose gradient keeps being zero) would cost
// the step a microcode assist per operation, so where eps lets nothing of it reach a float the
// pass reads and makes such values as zero, and otherwise (eps = 0 here) keeps them as torch
// does. The calling thread computes with subnormals again afterwards.
TEST(FusedOptimizerPass, SubnormalStateIsFlushedOnlyWhereEpsHidesIt) {
  const float subnormal = 1e-39f;
  for (const double eps : {1e-8, 0.0}) {
    SCOPED_TRACE("eps " + std::to_string(eps));
    Tensor w = tensor({0.5f, 0.5f}).requires_grad_();
    optim::Adam adam({w}, {.lr = 1e-3, .eps = eps});
    w.set_grad(tensor({1.f, 1.f}));
    adam.step();
    adam.state()[0].exp_avg.copy_(tensor({subnormal, 0.25f}));
    adam.state()[0].exp_avg_sq.copy_(tensor({subnormal, 0.25f}));
    w.set_grad(zeros({2}));
    adam.step();
    const std::vector<float> m = adam.state()[0].exp_avg.to_vector<float>();
    const std::vector<float> v = adam.state()[0].exp_avg_sq.to_vector<float>();
    EXPECT_EQ(m[1], 0.25f * 0.9f);
    if (eps > 0) {
      EXPECT_EQ(m[0], 0.f);
      EXPECT_EQ(v[0], 0.f);
    } else {
      volatile float decayed = subnormal;  // (computed here, at run time, with subnormals)
      EXPECT_EQ(m[0], decayed * 0.9f);
      EXPECT_GT(v[0], 0.f);
    }
    for (float value : w.to_vector<float>()) EXPECT_TRUE(std::isfinite(value));
  }
  volatile float tiny = subnormal;
  EXPECT_GT(tiny * 0.5f, 0.f) << "the step left flush-to-zero or denormals-are-zero on";
}
