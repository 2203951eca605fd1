// The activation and dropout modules against PyTorch 1.13 (tests/fixtures/modules.json, made by
// tools/parity/make_module_fixtures.py): outputs and gradients on both sides of every kink,
// dropout's masks and the generator draws they take, and how each module prints.
#include <gtest/gtest.h>

#include <memory>

#include "ann/ann.h"
#include "fixtures.h"

namespace {

using namespace ann;
using ann::testing::load_fixture;

std::shared_ptr<nn::Module> module_named(const std::string& name) {
  if (name == "LeakyReLU") return std::make_shared<nn::LeakyReLU>();
  if (name == "LeakyReLU_0.2") return std::make_shared<nn::LeakyReLU>(0.2);
  if (name == "ELU") return std::make_shared<nn::ELU>();
  if (name == "ELU_0.5") return std::make_shared<nn::ELU>(0.5);
  if (name == "GELU") return std::make_shared<nn::GELU>();
  if (name == "SiLU") return std::make_shared<nn::SiLU>();
  if (name == "Softplus") return std::make_shared<nn::Softplus>();
  if (name == "Softplus_2_5") return std::make_shared<nn::Softplus>(2, 5);
  if (name == "Dropout") return std::make_shared<nn::Dropout>();
  if (name == "Dropout_0.25") return std::make_shared<nn::Dropout>(0.25);
  return nullptr;
}

TEST(ModuleParity, ActivationsAndTheirGradientsAsTorch) {
  const auto fixture = load_fixture("modules.json");
  const auto xs = fixture.at("x").get<std::vector<float>>();
  const Tensor w = from_vector(fixture.at("w").get<std::vector<float>>(), {static_cast<std::int64_t>(xs.size())});
  for (const auto& c : fixture.at("activations")) {
    const std::string name = c.at("name");
    SCOPED_TRACE(name);
    const Tensor x = from_vector(xs, {static_cast<std::int64_t>(xs.size())}).requires_grad_();
    const Tensor y = (*module_named(name))(x);
    (y * w).sum().backward();
    const auto want_y = c.at("y").get<std::vector<float>>(), want_dx = c.at("dx").get<std::vector<float>>();
    const auto got_y = y.to_vector<float>(), got_dx = x.grad().to_vector<float>();
    for (std::size_t i = 0; i < xs.size(); ++i) {
      EXPECT_NEAR(got_y[i], want_y[i], 2e-6 * std::max(1.f, std::abs(want_y[i]))) << "y at x = " << xs[i];
      EXPECT_NEAR(got_dx[i], want_dx[i], 2e-6 * std::max(1.f, std::abs(want_dx[i]))) << "dx at x = " << xs[i];
    }
  }
}

TEST(ModuleParity, DropoutMasksAndDrawsAsTorch) {
  for (const auto& c : load_fixture("modules.json").at("dropout")) {
    manual_seed(c.at("seed").get<std::uint64_t>());
    const Tensor y = dropout(ones(c.at("shape").get<Shape>()), c.at("p").get<double>());
    EXPECT_EQ(y.to_vector<float>(), c.at("y").get<std::vector<float>>()) << "seed " << c.at("seed");
    EXPECT_EQ(rand({3}).to_vector<float>(), c.at("rand_after").get<std::vector<float>>());
  }
}

TEST(ModuleParity, DropoutIsTheIdentityInEvalModeAndScalesItsGradient) {
  nn::Dropout drop(0.25);
  const Tensor x = ones({4, 5}).requires_grad_();
  drop.eval();
  EXPECT_EQ(drop(x).impl(), x.impl());
  drop.train();
  manual_seed(3);
  const Tensor y = drop(x);
  y.sum().backward();
  EXPECT_EQ(x.grad().to_vector<float>(), y.to_vector<float>());  // dx = mask / (1 − p) = y for x = 1
  EXPECT_THROW(nn::Dropout(1.5), ValueError);
  EXPECT_THROW(dropout(x, -0.1), ValueError);
  EXPECT_EQ(dropout(x, 1.0).to_vector<float>(), std::vector<float>(20, 0.f));
}

TEST(ModuleParity, ModulesPrintAsTorch) {
  for (const auto& [name, text] : load_fixture("modules.json").at("repr").items()) {
    EXPECT_EQ(module_named(name)->str(), text.get<std::string>());
  }
}

}  // namespace
