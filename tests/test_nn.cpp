// Modules: printing as PyTorch prints them, parameters and their names, zero_grad, train/eval,
// the Sequential container, Linear's initialisation, and a small training run that must learn.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "ann/ann.h"
#include "test_support.h"
#include "device_support.h"

namespace {

using namespace ann;

// ---- printing (strings printed by PyTorch 1.13) ------------------------------------------------------

TEST(ModulePrinting, SequentialLikePyTorch) {
  // print(nn.Sequential(nn.Linear(2, 100), nn.ReLU(), nn.Linear(100, 3)))
  const nn::Sequential model{nn::Linear(2, 100), nn::ReLU(), nn::Linear(100, 3)};
  EXPECT_EQ(model.str(),
            "Sequential(\n"
            "  (0): Linear(in_features=2, out_features=100, bias=True)\n"
            "  (1): ReLU()\n"
            "  (2): Linear(in_features=100, out_features=3, bias=True)\n"
            ")");
  std::ostringstream os;
  os << model;
  EXPECT_EQ(os.str(), model.str());
}

TEST(ModulePrinting, EveryModuleAndNesting) {
  // print(nn.Sequential(nn.Linear(2, 10, bias=False), nn.Sequential(nn.Tanh(), nn.Sigmoid()),
  //                     nn.Softmax(dim=1), nn.LogSoftmax(dim=1), nn.Identity()))
  const nn::Sequential model{nn::Linear(2, 10, false), nn::Sequential{nn::Tanh(), nn::Sigmoid()}, nn::Softmax(1),
                             nn::LogSoftmax(1), nn::Identity()};
  EXPECT_EQ(model.str(),
            "Sequential(\n"
            "  (0): Linear(in_features=2, out_features=10, bias=False)\n"
            "  (1): Sequential(\n"
            "    (0): Tanh()\n"
            "    (1): Sigmoid()\n"
            "  )\n"
            "  (2): Softmax(dim=1)\n"
            "  (3): LogSoftmax(dim=1)\n"
            "  (4): Identity()\n"
            ")");
  EXPECT_EQ(nn::Sequential().str(), "Sequential()");
  EXPECT_EQ(nn::Linear(3, 4).str(), "Linear(in_features=3, out_features=4, bias=True)");
}

// ---- parameters ---------------------------------------------------------------------------------------

TEST(Parameters, NamesAndCount) {
  nn::Sequential model{nn::Linear(2, 100), nn::ReLU(), nn::Linear(100, 3)};
  const auto named = model.named_parameters();
  ASSERT_EQ(named.size(), 4u);
  EXPECT_EQ(named[0].first, "0.weight");
  EXPECT_EQ(named[1].first, "0.bias");
  EXPECT_EQ(named[2].first, "2.weight");
  EXPECT_EQ(named[3].first, "2.bias");
  EXPECT_EQ(named[0].second.sizes(), (Shape{100, 2}));
  EXPECT_EQ(named[1].second.sizes(), Shape{100});
  EXPECT_EQ(named[2].second.sizes(), (Shape{3, 100}));
  EXPECT_EQ(named[3].second.sizes(), Shape{3});
  const std::vector<Tensor> params = model.parameters();
  ASSERT_EQ(params.size(), 4u);
  std::int64_t count = 0;
  for (const Tensor& p : params) {
    EXPECT_TRUE(p.requires_grad());
    EXPECT_TRUE(p.is_leaf());
    count += p.numel();
  }
  EXPECT_EQ(count, 2 * 100 + 100 + 100 * 3 + 3);  // 603
  // the handles are the layer's own tensors, not copies
  EXPECT_EQ(params[0].impl(), model.at<nn::Linear>(0).weight.impl());
  EXPECT_EQ(params[3].impl(), model.at<nn::Linear>(2).bias.impl());

  // nested names, as torch: ['0.weight', '0.bias', '1.1.weight', '1.1.bias']
  nn::Sequential nested{nn::Linear(2, 3), nn::Sequential{nn::ReLU(), nn::Linear(3, 4)}};
  std::vector<std::string> names;
  for (const auto& [name, p] : nested.named_parameters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.1.weight", "1.1.bias"}));

  nn::Linear no_bias(4, 2, false);
  EXPECT_FALSE(no_bias.bias.defined());
  ASSERT_EQ(no_bias.named_parameters().size(), 1u);
  EXPECT_EQ(no_bias.named_parameters()[0].first, "weight");
  EXPECT_TRUE(nn::ReLU().parameters().empty());
}

TEST(Parameters, ZeroGrad) {
  nn::Sequential model{nn::Linear(2, 5), nn::Tanh(), nn::Linear(5, 3)};
  const Tensor x = tensor({{0.5f, -1.f}, {2.f, 0.25f}});
  model(x).sum().backward();
  const std::vector<Tensor> params = model.parameters();
  std::vector<Tensor> grads;
  std::vector<std::vector<float>> values;
  for (const Tensor& p : params) {
    ASSERT_TRUE(p.grad().defined());
    grads.push_back(p.grad());
    values.push_back(p.grad().to_vector<float>());
  }
  model.zero_grad(/*set_to_none=*/false);
  for (std::size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(params[i].grad().impl(), grads[i].impl());  // zeroed in place
    for (float g : params[i].grad().to_vector<float>()) EXPECT_EQ(g, 0.f);
  }
  model.zero_grad();  // the default, as libtorch's: dropped
  for (const Tensor& p : params) EXPECT_FALSE(p.grad().defined());
  model(x).sum().backward();  // fresh gradients, the same values
  for (std::size_t i = 0; i < params.size(); ++i) {
    ASSERT_TRUE(params[i].grad().defined());
    EXPECT_EQ(params[i].grad().to_vector<float>(), values[i]) << "parameter " << i;
  }
}

TEST(Modules, TrainEvalPropagates) {
  nn::Sequential inner{nn::ReLU()};
  nn::Sequential model{nn::Linear(2, 3), inner, nn::Sequential{nn::Tanh()}};
  EXPECT_TRUE(model.is_training());
  model.eval();
  EXPECT_FALSE(model.is_training());
  EXPECT_FALSE(model[0].is_training());
  EXPECT_FALSE(model[1].is_training());
  EXPECT_FALSE(model.at<nn::Sequential>(2)[0].is_training());
  model.train();
  EXPECT_TRUE(model.at<nn::Sequential>(2)[0].is_training());
  model.train(false);
  EXPECT_FALSE(model[0].is_training());
  model[1].train(true);  // a child alone
  EXPECT_TRUE(model[1].is_training());
  EXPECT_FALSE(model.is_training());
}

// ---- Sequential --------------------------------------------------------------------------------------

TEST(SequentialContainer, PushBackIndexAtIterateSize) {
  nn::Sequential model;
  EXPECT_EQ(model.size(), 0u);
  model.push_back(nn::Linear(2, 4));
  model.push_back(nn::ReLU());
  auto shared = std::make_shared<nn::Linear>(4, 3);
  model.push_back(shared);
  EXPECT_EQ(model.size(), 3u);
  EXPECT_EQ(model[1].name(), "ReLU");
  EXPECT_EQ(&model.at<nn::Linear>(2), shared.get());  // a shared_ptr is held, not copied
  EXPECT_EQ(model.at<nn::Linear>(0).out_features(), 4);
  EXPECT_THROW(model.at<nn::ReLU>(0), TypeError);
  EXPECT_THROW(model[3], ValueError);
  std::vector<std::string> names;
  for (const auto& m : model) names.push_back(m->name());
  EXPECT_EQ(names, (std::vector<std::string>{"Linear", "ReLU", "Linear"}));
  ASSERT_EQ(model.named_children().size(), 3u);
  EXPECT_EQ(model.named_children()[2].first, "2");
  EXPECT_EQ(model.parameters().size(), 4u);

  // forward runs the modules in order: relu between the layers
  const Tensor x = tensor({{1.f, -1.f}});
  NoGradGuard no_grad;
  const Tensor expected =
      linear(relu(linear(x, model.at<nn::Linear>(0).weight, model.at<nn::Linear>(0).bias)), shared->weight, shared->bias);
  EXPECT_TRUE(allclose(model(x), expected));
  EXPECT_EQ(model(x).sizes(), (Shape{1, 3}));
}

TEST(SequentialContainer, BraceListKeepsTheGeneratorOrder) {
  // Layers draw their weights in the order written: the same as building them one by one.
  manual_seed(42);
  nn::Sequential model{nn::Linear(2, 3), nn::Tanh(), nn::Linear(3, 2)};
  manual_seed(42);
  nn::Linear first(2, 3);
  nn::Linear second(3, 2);
  EXPECT_EQ(model.at<nn::Linear>(0).weight.to_vector<float>(), first.weight.to_vector<float>());
  EXPECT_EQ(model.at<nn::Linear>(0).bias.to_vector<float>(), first.bias.to_vector<float>());
  EXPECT_EQ(model.at<nn::Linear>(2).weight.to_vector<float>(), second.weight.to_vector<float>());
}

// ---- Linear --------------------------------------------------------------------------------------

TEST(LinearLayer, InitialisationBounds) {
  manual_seed(0);
  for (std::int64_t in : {1, 2, 3, 100}) {
    nn::Linear layer(in, 50);
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    EXPECT_EQ(layer.weight.sizes(), (Shape{50, in}));
    EXPECT_EQ(layer.bias.sizes(), Shape{50});
    double max_w = 0, max_b = 0;
    for (float w : layer.weight.to_vector<float>()) max_w = std::max(max_w, std::fabs(static_cast<double>(w)));
    for (float b : layer.bias.to_vector<float>()) max_b = std::max(max_b, std::fabs(static_cast<double>(b)));
    EXPECT_LE(max_w, bound + 1e-7) << in;
    EXPECT_LE(max_b, bound + 1e-7) << in;
    // and spread over the range, not collapsed near 0
    EXPECT_GT(max_w, 0.8 * bound) << in;
    EXPECT_GT(max_b, 0.5 * bound) << in;
  }
}

TEST(LinearLayer, ComputesXWtPlusB) {
  nn::Linear layer(2, 3);
  layer.weight.detach().copy_(tensor({{1.f, 2.f}, {3.f, 4.f}, {5.f, 6.f}}));
  layer.bias.detach().copy_(tensor({0.5f, -0.5f, 1.f}));
  const Tensor y = layer(tensor({{1.f, -1.f}, {2.f, 0.5f}}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{-0.5f, -1.5f, 0.f, 3.5f, 7.5f, 14.f}));
  EXPECT_EQ(layer.in_features(), 2);
  EXPECT_EQ(layer.out_features(), 3);
  // One node with the CPU's fused epilogue; "checked" composes matmul and add.
  EXPECT_EQ(y.grad_fn_name(), ann::testing::default_device_has(backend::Fused::LinearEpilogue) ? "linear" : "add");
}

// ---- training ------------------------------------------------------------------------------------

TEST(Training, TwoLayerReluNetLearnsASpiral) {
  manual_seed(12345);
  const auto [X, y] = data::spiral(100, 3, 0.2);
  ASSERT_EQ(X.sizes(), (Shape{300, 2}));
  ASSERT_EQ(y.sizes(), Shape{300});
  nn::Sequential model{nn::Linear(2, 100), nn::ReLU(), nn::Linear(100, 3)};
  nn::CrossEntropyLoss criterion;
  optim::Adam optimizer(model.parameters(), {.lr = 1e-2});
  float first_loss = 0.f, loss_value = 0.f;
  for (int epoch = 0; epoch < 500; ++epoch) {
    const Tensor loss = criterion(model(X), y);
    loss_value = loss.item();
    if (epoch == 0) first_loss = loss_value;
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
  NoGradGuard no_grad;
  const Tensor predicted = argmax(model(X), 1);
  const double accuracy = static_cast<double>(sum(predicted == y).item<std::int64_t>()) / 300.0;
  EXPECT_GT(accuracy, 0.9);
  EXPECT_NEAR(first_loss, std::log(3.0), 0.3);  // starts near chance
  EXPECT_LT(loss_value, 0.3);
}

TEST(Training, LinearModelCannotSeparateTheSpiral) {
  // the lesson's point: without a nonlinearity the model stays far below the ReLU net
  manual_seed(12345);
  const auto [X, y] = data::spiral(100, 3, 0.2);
  nn::Sequential model{nn::Linear(2, 100), nn::Linear(100, 3)};
  nn::CrossEntropyLoss criterion;
  optim::Adam optimizer(model.parameters(), {.lr = 1e-2});
  for (int epoch = 0; epoch < 200; ++epoch) {
    const Tensor loss = criterion(model(X), y);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
  NoGradGuard no_grad;
  const double accuracy = static_cast<double>(sum(argmax(model(X), 1) == y).item<std::int64_t>()) / 300.0;
  EXPECT_LT(accuracy, 0.7);
  EXPECT_GT(accuracy, 0.34);
}

}  // namespace

namespace {

using namespace ann;

TEST(Containers, ModuleListHoldsModulesForAForwardOfYourOwn) {
  // A user-defined module: a list of layers applied with a residual connection.
  struct Residual : nn::Module {
    nn::ModuleList layers{nn::Linear(3, 3), nn::Tanh(), nn::Linear(3, 3)};
    Residual() { register_module("layers", std::make_shared<nn::ModuleList>(layers)); }
    Tensor forward(const Tensor& x) override {
      Tensor h = x;
      for (const auto& layer : layers) h = layer->forward(h);
      return x + h;
    }
    std::string name() const override { return "Residual"; }
  };
  manual_seed(0);
  Residual net;
  std::vector<std::string> names;
  for (const auto& [name, p] : net.named_parameters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"}));
  const Tensor x = ones({2, 3});
  net(x).sum().backward();
  EXPECT_TRUE(net.layers.at<nn::Linear>(0).weight.grad().defined());  // the list holds the same layers
  EXPECT_THROW(net.layers(x), ValueError);
  EXPECT_THROW(net.layers.at<nn::Tanh>(0), TypeError);
  EXPECT_EQ(nn::ModuleList{nn::ReLU()}.str(), "ModuleList(\n  (0): ReLU()\n)");
}

TEST(Containers, FlattenJoinsTheGivenDimensions) {
  const Tensor x = arange(0., 24.).reshape({2, 3, 4});
  EXPECT_EQ(nn::Flatten()(x).sizes(), (Shape{2, 12}));
  EXPECT_EQ(nn::Flatten(0, 1)(x).sizes(), (Shape{6, 4}));
  EXPECT_EQ(nn::Flatten(-2)(x).sizes(), (Shape{2, 12}));
  EXPECT_EQ(nn::Flatten()(x).to_vector<float>(), x.to_vector<float>());
  EXPECT_THROW(nn::Flatten(2, 1)(x), ValueError);
  EXPECT_EQ(nn::Flatten().str(), "Flatten(start_dim=1, end_dim=-1)");
}

}  // namespace

namespace {

TEST(Summary, ListsLayersShapesAndParameterCountsAsTorchinfo) {
  using namespace ann;
  nn::Sequential model{nn::Linear(4, 16), nn::ReLU(), nn::Sequential{nn::Linear(16, 8), nn::Tanh()}, nn::Linear(8, 3)};
  const std::string s = nn::summary(model, {32, 4});
  const std::string rule(90, '=');
  const std::string expected = rule + "\n" +
      "Layer (type:depth-idx)                   Output Shape              Param #\n" + rule + "\n" +
      "Sequential                               [32, 3]                   --\n"
      "\u251c\u2500Linear: 1-1                            [32, 16]                  80\n"
      "\u251c\u2500ReLU: 1-2                              [32, 16]                  --\n"
      "\u251c\u2500Sequential: 1-3                        [32, 8]                   --\n"
      "  \u251c\u2500Linear: 2-1                          [32, 8]                   136\n"
      "  \u251c\u2500Tanh: 2-2                            [32, 8]                   --\n"
      "\u251c\u2500Linear: 1-4                            [32, 3]                   27\n" + rule + "\n" +
      "Total params: 243\nTrainable params: 243\nNon-trainable params: 0\n" + rule + "\n";
  EXPECT_EQ(s, expected);
  EXPECT_THROW(nn::summary(model, {32, 5}), ShapeError);
}

}  // namespace

namespace {

// As libtorch, Linear takes [*, in]: one sample as a 1-D tensor, or more leading dimensions,
// each row giving what the batched matrix gives.
TEST(LinearLayer, TakesOneSampleOrAnyLeadingShape) {
  using namespace ann;
  manual_seed(4);
  nn::Sequential model{nn::Linear(3, 5), nn::ReLU(), nn::Linear(5, 2)};  // the fused two-layer path for 2-D
  const Tensor X = randn({6, 3});
  const Tensor batched = model(X);
  const Tensor one = model(X[2]);
  EXPECT_EQ(one.sizes(), Shape{2});
  for (std::int64_t j = 0; j < 2; ++j) EXPECT_FLOAT_EQ(one.at<float>({j}), batched.at<float>({2, j}));
  const Tensor grid = model(X.view({2, 3, 3}));
  EXPECT_EQ(grid.sizes(), (Shape{2, 3, 2}));
  EXPECT_TRUE(allclose(grid.reshape({6, 2}), batched, 1e-6, 1e-7));
  // The gradient flows back through the reshapes.
  Tensor x = X.view({2, 3, 3}).clone().requires_grad_();
  model(x).sum().backward();
  Tensor y = X.clone().requires_grad_();
  model(y).sum().backward();
  EXPECT_TRUE(allclose(x.grad().reshape({6, 3}), y.grad(), 1e-6, 1e-7));
  const std::string m = ann::testing::message_of<ShapeError>([&] { nn::Linear(3, 5)(zeros({4, 2})); });
  EXPECT_NE(m.find("Linear(3 -> 5): input has 2 features, expected 3"), std::string::npos) << m;
  EXPECT_THROW(nn::Linear(3, 5)(zeros({})), ShapeError);
}

}  // namespace

namespace {
// nn::make_activation: every name it lists makes the module torch's functional of that name
// computes, with torch's defaults; an unknown name is refused with the list.
TEST(Modules, MakeActivationByName) {
  using namespace ann;
  const Tensor x = tensor({-2.0, -0.5, 0.0, 0.7, 3.0});
  const std::vector<std::pair<std::string, Tensor>> expected{
      {"relu", relu(x)},         {"tanh", tanh(x)}, {"sigmoid", sigmoid(x)}, {"leaky_relu", leaky_relu(x)},
      {"elu", elu(x)},           {"gelu", gelu(x)}, {"silu", silu(x)},       {"softplus", softplus(x)}};
  ASSERT_EQ(nn::activation_names().size(), expected.size());
  for (const auto& [name, y] : expected) {
    const auto module = nn::make_activation(name);
    EXPECT_EQ(module->forward(x).to_vector<float>(), y.to_vector<float>()) << name;
  }
  try {
    nn::make_activation("swish");
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("make_activation: unknown activation \"swish\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("softplus"), std::string::npos) << e.what();
  }
}
}  // namespace
