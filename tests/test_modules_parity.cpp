// The activation and dropout modules against PyTorch 1.13 (tests/fixtures/modules.json, made by
// tools/parity/make_module_fixtures.py): outputs and gradients on both sides of every kink,
// dropout's masks and the generator draws they take, and how each module prints.
#include <gtest/gtest.h>

#include <memory>

#include "ann/ann.h"
#include "fixtures.h"
#include "test_support.h"

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
  const nlohmann::json fixture = load_fixture("modules.json");  // alive for the whole loop
  for (const auto& c : fixture.at("dropout")) {
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
  const nlohmann::json fixture = load_fixture("modules.json");  // alive for the whole loop
  for (const auto& [name, text] : fixture.at("repr").items()) {
    EXPECT_EQ(module_named(name)->str(), text.get<std::string>());
  }
}

}  // namespace

namespace {

using namespace ann;

TEST(InitParity, EveryInitialiserAsTorch) {
  manual_seed(5);
  Tensor w = empty({6, 4, 2});
  using namespace nn::init;
  const nlohmann::json fixture = ann::testing::load_fixture("modules.json");  // alive for the whole loop
  for (const auto& c : fixture.at("init")) {
    const std::string name = c.at("name");
    if (name == "uniform") uniform_(w, -0.3, 0.7);
    else if (name == "normal") normal_(w, 0.5, 2.0);
    else if (name == "xavier_uniform") xavier_uniform_(w, 1.5);
    else if (name == "xavier_normal") xavier_normal_(w);
    else if (name == "kaiming_uniform") kaiming_uniform_(w, 0.1);
    else if (name == "kaiming_normal_fan_out_relu") kaiming_normal_(w, 0, FanMode::FanOut, Nonlinearity::ReLU);
    else if (name == "kaiming_uniform_tanh") kaiming_uniform_(w, 0, FanMode::FanIn, Nonlinearity::Tanh);
    else FAIL() << name;
    EXPECT_EQ(w.to_vector<float>(), c.at("values").get<std::vector<float>>()) << name;
  }
  EXPECT_EQ(calculate_fan_in_and_fan_out(w), (std::pair<std::int64_t, std::int64_t>{8, 12}));
  EXPECT_THROW(xavier_uniform_(zeros({3})), ValueError);
  EXPECT_EQ(ones_(zeros({2})).to_vector<float>(), (std::vector<float>{1.f, 1.f}));
}

TEST(StateDict, RoundTripsAndRefusesMismatches) {
  manual_seed(1);
  nn::Sequential a{nn::Linear(2, 3), nn::ReLU(), nn::Linear(3, 1)};
  nn::Sequential b{nn::Linear(2, 3), nn::ReLU(), nn::Linear(3, 1)};
  const Tensor held = b.at<nn::Linear>(0).weight;  // a handle that must see the load
  b.load_state_dict(a.state_dict());
  EXPECT_EQ(held.to_vector<float>(), a.at<nn::Linear>(0).weight.to_vector<float>());
  EXPECT_FALSE(a.state_dict()[0].second.requires_grad());

  auto state = a.state_dict();
  state.pop_back();  // "2.bias" missing
  state.emplace_back("extra", zeros({1}));
  const std::string m = ann::testing::message_of<ValueError>([&] { b.load_state_dict(state); });
  EXPECT_NE(m.find("Missing key(s) in state_dict: \"2.bias\""), std::string::npos) << m;
  EXPECT_NE(m.find("Unexpected key(s) in state_dict: \"extra\""), std::string::npos) << m;
  EXPECT_NO_THROW(b.load_state_dict(state, false));
  EXPECT_THROW(b.load_state_dict({{"0.weight", zeros({4, 2})}}, false), ShapeError);
}

TEST(ClipGradValue, ClampsEveryGradientElement) {
  const Tensor p = zeros({4}).requires_grad_(), q = zeros({2}).requires_grad_();
  (p * tensor({-3.f, -0.5f, 0.2f, 9.f})).sum().backward();
  nn::utils::clip_grad_value_({p, q}, 1.0);  // q has no gradient: skipped
  EXPECT_EQ(p.grad().to_vector<float>(), (std::vector<float>{-1.f, -0.5f, 0.2f, 1.f}));
  EXPECT_FALSE(q.grad().defined());
  EXPECT_THROW(nn::utils::clip_grad_value_({p}, -1), ValueError);
}

}  // namespace

namespace {

TEST(LayerNormParity, ValuesGradientsAndPrintingAsTorch) {
  using namespace ann;
  const auto floats = [](const nlohmann::json& j) { return j.get<std::vector<float>>(); };
  const auto near = [](const std::vector<float>& got, const std::vector<float>& want, const char* what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (std::size_t i = 0; i < got.size(); ++i)
      EXPECT_NEAR(got[i], want[i], 1e-5 * std::max(1.f, std::abs(want[i]))) << what << " " << i;
  };
  const nlohmann::json fixture = ann::testing::load_fixture("modules.json");  // alive for the whole loop
  for (const auto& c : fixture.at("layer_norm")) {
    const Shape shape = c.at("shape").get<Shape>();
    nn::LayerNorm ln(shape);
    ln.weight.detach().copy_(from_vector(floats(c.at("weight")), shape));
    ln.bias.detach().copy_(from_vector(floats(c.at("bias")), shape));
    const Tensor x = from_vector(floats(c.at("x")), {3, 2, 4}).requires_grad_();
    const Tensor y = ln(x);
    (y * from_vector(floats(c.at("w")), {3, 2, 4})).sum().backward();
    near(y.to_vector<float>(), floats(c.at("y")), "y");
    near(x.grad().to_vector<float>(), floats(c.at("dx")), "dx");
    near(ln.weight.grad().to_vector<float>(), floats(c.at("dweight")), "dweight");
    near(ln.bias.grad().to_vector<float>(), floats(c.at("dbias")), "dbias");
    EXPECT_EQ(ln.str(), c.at("repr").get<std::string>());
  }
  EXPECT_THROW(nn::LayerNorm(4)(zeros({3, 5})), ShapeError);
  EXPECT_THROW(nn::LayerNorm(Shape{}), ValueError);
}

}  // namespace

namespace {

// BatchNorm1d over three training batches and one in eval mode: outputs, gradients through the
// batch statistics, the running statistics (buffers) after each batch, the state_dict's keys.
TEST(BatchNormParity, BatchAndRunningStatisticsAsTorch) {
  using namespace ann;
  const auto floats = [](const nlohmann::json& j) { return j.get<std::vector<float>>(); };
  const auto near = [](const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (std::size_t i = 0; i < got.size(); ++i)
      EXPECT_NEAR(got[i], want[i], 1e-5 * std::max(1.f, std::abs(want[i]))) << what << " " << i;
  };
  const nlohmann::json fixture = ann::testing::load_fixture("modules.json");
  for (const auto& c : fixture.at("batch_norm")) {
    const bool affine = c.at("affine");
    nn::BatchNorm1d bn(5, 1e-5, c.at("momentum").get<double>(), affine);
    EXPECT_EQ(bn.str(), c.at("repr").get<std::string>());
    std::vector<std::string> keys;
    for (const auto& [name, t] : bn.state_dict()) keys.push_back(name);
    EXPECT_EQ(keys, c.at("keys").get<std::vector<std::string>>());
    EXPECT_EQ(bn.parameters().size(), affine ? 2u : 0u) << "running statistics are buffers, not parameters";
    if (affine) {
      bn.weight.detach().copy_(from_vector(floats(c.at("weight")), {5}));
      bn.bias.detach().copy_(from_vector(floats(c.at("bias")), {5}));
    }
    int step = 0;
    for (const auto& b : c.at("batches")) {
      const std::string where = "momentum " + std::to_string(c.at("momentum").get<double>()) + " batch " + std::to_string(step);
      if (step == 3) bn.eval();
      const Tensor x = from_vector(floats(b.at("x")), {6, 5}).requires_grad_();
      const Tensor y = bn(x);
      near(y.to_vector<float>(), floats(b.at("y")), where + " y");
      if (b.contains("dx")) {
        (y * from_vector(floats(b.at("w")), {6, 5})).sum().backward();
        near(x.grad().to_vector<float>(), floats(b.at("dx")), where + " dx");
        if (affine) {
          near(bn.weight.grad().to_vector<float>(), floats(b.at("dweight")), where + " dweight");
          near(bn.bias.grad().to_vector<float>(), floats(b.at("dbias")), where + " dbias");
        }
      }
      near(bn.running_mean.to_vector<float>(), floats(b.at("running_mean")), where + " running_mean");
      near(bn.running_var.to_vector<float>(), floats(b.at("running_var")), where + " running_var");
      EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(), b.at("num_batches_tracked").get<std::int64_t>()) << where;
      ++step;
    }
  }
  EXPECT_THROW(nn::BatchNorm1d(5)(zeros({4, 6})), ShapeError);
  EXPECT_THROW(nn::BatchNorm1d(5)(zeros({1, 5})), ValueError);  // training on one row
  nn::BatchNorm1d one(5);
  one.eval();
  EXPECT_NO_THROW(one(zeros({1, 5})));  // in eval mode one row is fine
  EXPECT_THROW(nn::BatchNorm1d(0), ValueError);
}

// Buffers travel with the model: state_dict round trip, model files, and the architecture.
TEST(BatchNormParity, BuffersAreSavedLoadedAndRebuilt) {
  using namespace ann;
  manual_seed(2);
  nn::Sequential model{nn::Linear(3, 4), nn::BatchNorm1d(4), nn::ReLU(), nn::Linear(4, 2)};
  for (int i = 0; i < 3; ++i) model(randn({8, 3}));  // moves the running statistics
  const ann::testing::TempDir dir;
  save(model, dir.path() / "m.safetensors", describe(model));
  nn::Sequential again = load_model(dir.path() / "m.safetensors");
  const auto a = model.state_dict(), b = again.state_dict();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_EQ(a[i].second.dtype(), b[i].second.dtype()) << a[i].first;
    EXPECT_EQ(a[i].second.to(DType::Float32).to_vector<float>(), b[i].second.to(DType::Float32).to_vector<float>()) << a[i].first;
  }
  EXPECT_EQ(again.state_dict()[4].first, "1.running_mean");
  EXPECT_EQ(again.state_dict()[6].second.item<std::int64_t>(), 3);  // 1.num_batches_tracked
  model.eval();
  again.eval();
  const Tensor x = randn({5, 3});
  EXPECT_EQ(model(x).to_vector<float>(), again(x).to_vector<float>());
}

}  // namespace
