// RMSprop, Adagrad, Adam and AdamW with amsgrad and SGD with Nesterov momentum against PyTorch 1.13 over 200 full-batch steps
// of a small Tanh classifier (tests/fixtures/optimizers.json, tools/parity/make_optim_fixtures.py):
// every step's loss and the final parameters. Also: their state resumes a run bit for bit.
#include <gtest/gtest.h>

#include <memory>

#include "ann/ann.h"
#include "fixtures.h"
#include "test_support.h"

namespace {

using namespace ann;
using ann::testing::fixture_tensor;
using ann::testing::load_fixture;
using ann::testing::max_abs_diff;
using ann::testing::max_rel_diff;

std::unique_ptr<optim::Optimizer> make(const std::string& name, std::vector<Tensor> p) {
  if (name == "rmsprop_default") return std::make_unique<optim::RMSprop>(p, optim::RMSpropOptions{.lr = 0.002});
  if (name == "rmsprop_centered_momentum")
    return std::make_unique<optim::RMSprop>(
        p, optim::RMSpropOptions{.lr = 0.001, .alpha = 0.9, .weight_decay = 1e-3, .momentum = 0.5, .centered = true});
  if (name == "adagrad")
    return std::make_unique<optim::Adagrad>(
        p, optim::AdagradOptions{.lr = 0.1, .lr_decay = 1e-3, .weight_decay = 1e-4, .initial_accumulator_value = 0.1});
  if (name == "adam_amsgrad")
    return std::make_unique<optim::Adam>(p, optim::AdamOptions{.lr = 0.01, .weight_decay = 1e-3, .amsgrad = true});
  if (name == "adamw_amsgrad") return std::make_unique<optim::AdamW>(p, optim::AdamWOptions{.lr = 0.01, .amsgrad = true});
  if (name == "sgd_nesterov")
    return std::make_unique<optim::SGD>(
        p, optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .weight_decay = 1e-4, .nesterov = true});
  return nullptr;
}

nn::Sequential model_of_the_fixture() {
  manual_seed(1);
  return nn::Sequential{nn::Linear(3, 8), nn::Tanh(), nn::Linear(8, 2)};
}

std::vector<float> train(nn::Sequential& model, optim::Optimizer& optimizer, const Tensor& X, const Tensor& y, int steps) {
  std::vector<float> losses;
  for (int t = 0; t < steps; ++t) {
    Tensor loss = nn::functional::cross_entropy(model(X), y);
    losses.push_back(loss.item());
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
  return losses;
}

TEST(OptimizerParity, LossesAndParametersAsTorch) {
  const auto fixture = load_fixture("optimizers.json");
  const Tensor X = fixture_tensor(fixture.at("X"));
  const auto labels = fixture.at("y").get<std::vector<std::int64_t>>();
  const Tensor y = from_vector(labels, {static_cast<std::int64_t>(labels.size())});
  for (const auto& c : fixture.at("cases")) {
    const std::string name = c.at("name");
    SCOPED_TRACE(name);
    nn::Sequential model = model_of_the_fixture();
    auto optimizer = make(name, model.parameters());
    ASSERT_TRUE(optimizer);
    const std::vector<float> losses = train(model, *optimizer, X, y, fixture.at("steps"));
    EXPECT_LE(max_rel_diff(losses, c.at("loss").get<std::vector<float>>()), 1e-4);
    // PyTorch's kernels fuse some multiply-adds (GCC contracts its vector code); RMSprop's
    // normalised steps carry those last-digit differences into the parameters' 4th digit
    // within 200 steps, while every loss stays within 1e-4.
    for (const auto& [key, value] : model.named_parameters())
      EXPECT_LE(max_abs_diff(value, fixture_tensor(c.at("parameters").at(key))), 5e-3) << key;
  }
}

// Parameter groups: the first Linear at lr 0.03 and weight decay 1e-2, the last at the options';
// a schedule scales each group's own rate (make_optim_fixtures.py's group cases).
TEST(OptimizerParity, ParameterGroupsAndTheirSchedulesAsTorch) {
  const auto fixture = load_fixture("optimizers.json");
  const Tensor X = fixture_tensor(fixture.at("X"));
  const auto labels = fixture.at("y").get<std::vector<std::int64_t>>();
  const Tensor y = from_vector(labels, {static_cast<std::int64_t>(labels.size())});
  for (const auto& c : fixture.at("group_cases")) {
    const std::string name = c.at("name");
    SCOPED_TRACE(name);
    nn::Sequential model = model_of_the_fixture();
    std::vector<optim::ParamGroup> groups{{.params = model.at<nn::Linear>(0).parameters(), .lr = 0.03, .weight_decay = 1e-2},
                                          {.params = model.at<nn::Linear>(2).parameters()}};
    std::unique_ptr<optim::Optimizer> optimizer;
    if (name == "groups_sgd_step") optimizer = std::make_unique<optim::SGD>(groups, optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
    if (name == "groups_adam_cosine") optimizer = std::make_unique<optim::Adam>(groups, optim::AdamOptions{.lr = 0.01});
    if (name == "groups_adamw") optimizer = std::make_unique<optim::AdamW>(groups, optim::AdamWOptions{.lr = 0.01, .weight_decay = 0.1});
    if (name == "groups_rmsprop_step") optimizer = std::make_unique<optim::RMSprop>(groups, optim::RMSpropOptions{.lr = 0.001});
    if (name == "groups_adagrad") optimizer = std::make_unique<optim::Adagrad>(groups, optim::AdagradOptions{.lr = 0.05});
    ASSERT_TRUE(optimizer);
    ASSERT_EQ(optimizer->group_count(), 2u);
    EXPECT_EQ(optimizer->group_begin(1), 2u);
    std::unique_ptr<optim::LRScheduler> scheduler;
    if (name.ends_with("_step")) scheduler = std::make_unique<optim::StepLR>(*optimizer, optim::StepLROptions{.step_size = 50, .gamma = 0.5});
    if (name.ends_with("_cosine")) scheduler = std::make_unique<optim::CosineAnnealingLR>(*optimizer, optim::CosineAnnealingLROptions{.T_max = 120});
    std::vector<float> losses;
    for (int t = 0; t < fixture.at("steps").get<int>(); ++t) {
      Tensor loss = nn::functional::cross_entropy(model(X), y);
      losses.push_back(loss.item());
      optimizer->zero_grad();
      loss.backward();
      optimizer->step();
      if (scheduler) scheduler->step();
    }
    EXPECT_LE(max_rel_diff(losses, c.at("loss").get<std::vector<float>>()), 1e-4);
    for (const auto& [key, value] : model.named_parameters())
      EXPECT_LE(max_abs_diff(value, fixture_tensor(c.at("parameters").at(key))), 5e-3) << key;
    const auto lrs = c.at("lrs").get<std::vector<double>>();
    for (std::size_t g = 0; g < 2; ++g) EXPECT_NEAR(optimizer->group_lr(g), lrs[g], 1e-15 + 1e-12 * lrs[g]) << g;
  }
}

TEST(OptimizerParity, ParameterGroupsAreChecked) {
  const std::vector<Tensor> p{zeros({2}).requires_grad_()}, q{zeros({3}).requires_grad_()};
  EXPECT_THROW(optim::Adam(std::vector<optim::ParamGroup>{}, optim::AdamOptions{}), ValueError);
  EXPECT_THROW(optim::SGD(std::vector<optim::ParamGroup>{{.params = p, .lr = -1.0}}, optim::SGDOptions{}), ValueError);
  optim::Adam adam({{.params = p, .lr = 0.5}, {.params = q}}, {.lr = 0.1, .weight_decay = 0.01});
  EXPECT_EQ(adam.group_lr(0), 0.5);
  EXPECT_EQ(adam.group_lr(1), 0.1);
  EXPECT_EQ(adam.group_weight_decay(0), 0.01);  // unset: the options'
  EXPECT_EQ(adam.parameters().size(), 2u);
  adam.set_lr(0.2);  // every group
  EXPECT_EQ(adam.group_lr(0), 0.2);
  EXPECT_EQ(adam.group_lr(1), 0.2);
  EXPECT_EQ(adam.state_dict().hyper_parameters.at("lr.1"), 0.2);
}

TEST(OptimizerParity, StateDictResumesBitForBit) {
  const auto fixture = load_fixture("optimizers.json");
  const Tensor X = fixture_tensor(fixture.at("X"));
  const auto labels = fixture.at("y").get<std::vector<std::int64_t>>();
  const Tensor y = from_vector(labels, {static_cast<std::int64_t>(labels.size())});
  for (const std::string name : {"rmsprop_centered_momentum", "adagrad", "adam_amsgrad"}) {
    SCOPED_TRACE(name);
    nn::Sequential straight = model_of_the_fixture();
    auto straight_opt = make(name, straight.parameters());
    const std::vector<float> all = train(straight, *straight_opt, X, y, 30);

    nn::Sequential first = model_of_the_fixture();
    auto first_opt = make(name, first.parameters());
    train(first, *first_opt, X, y, 12);
    nn::Sequential second = model_of_the_fixture();
    {
      NoGradGuard no_grad;
      for (std::size_t i = 0; i < second.parameters().size(); ++i) second.parameters()[i].copy_(first.parameters()[i]);
    }
    auto second_opt = make(name, second.parameters());
    second_opt->load_state_dict(first_opt->state_dict());
    const std::vector<float> rest = train(second, *second_opt, X, y, 18);
    EXPECT_EQ(rest, std::vector<float>(all.begin() + 12, all.end()));
  }
}

optim::LBFGSOptions lbfgs_options(const nlohmann::json& given) {
  optim::LBFGSOptions options;
  if (given.contains("lr")) options.lr = given.at("lr");
  if (given.contains("max_iter")) options.max_iter = given.at("max_iter");
  if (given.contains("max_eval")) options.max_eval = given.at("max_eval").get<std::int64_t>();
  if (given.contains("history_size")) options.history_size = given.at("history_size");
  if (given.contains("line_search_fn")) options.line_search_fn = given.at("line_search_fn").get<std::string>();
  return options;
}

// L-BFGS with and without its line search, in float32 and float64: the loss each step(closure)
// returns, how often it evaluated the closure, and the parameters, as torch's.
TEST(OptimizerParity, LbfgsAsTorch) {
  const auto fixture = load_fixture("optimizers.json");
  const Tensor X32 = fixture_tensor(fixture.at("X"));
  const auto labels = fixture.at("y").get<std::vector<std::int64_t>>();
  const Tensor y = from_vector(labels, {static_cast<std::int64_t>(labels.size())});
  for (const auto& c : fixture.at("lbfgs_cases")) {
    const bool float64 = c.at("dtype") == "float64";
    const std::string name = c.at("name").get<std::string>() + " " + c.at("dtype").get<std::string>();
    SCOPED_TRACE(name);
    nn::Sequential model = model_of_the_fixture();
    const Tensor X = float64 ? X32.to(DType::Float64) : X32;
    if (float64) model.to(DType::Float64);
    optim::LBFGS optimizer(model.parameters(), lbfgs_options(c.at("options")));
    auto closure = [&] {
      optimizer.zero_grad();
      Tensor loss = nn::functional::cross_entropy(model(X), y);
      loss.backward();
      return loss;
    };
    std::vector<double> losses;
    for (int t = 0; t < c.at("steps").get<int>(); ++t) losses.push_back(optimizer.step(closure).item<double>());
    const auto expected = c.at("loss").get<std::vector<double>>();
    ASSERT_EQ(losses.size(), expected.size());
    for (std::size_t t = 0; t < losses.size(); ++t)
      EXPECT_NEAR(losses[t], expected[t], (float64 ? 1e-9 : 1e-4) * expected[t] + 1e-7) << "step " << t;
    const optim::OptimizerState state = optimizer.state_dict();
    EXPECT_EQ(state.parameters[0].at("func_evals").item<std::int64_t>(), c.at("func_evals").get<std::int64_t>());
    EXPECT_EQ(state.parameters[0].at("n_iter").item<std::int64_t>(), c.at("n_iter").get<std::int64_t>());
    for (const auto& [key, value] : model.named_parameters())
      EXPECT_LE(max_abs_diff(value.to(DType::Float32), fixture_tensor(c.at("parameters").at(key))), float64 ? 1e-6 : 5e-3) << key;
  }
}

// A run interrupted after two steps and resumed from a checkpoint (its history, direction and
// step length with it) takes the same steps as one straight run, bit for bit.
TEST(OptimizerParity, LbfgsResumesFromACheckpointBitForBit) {
  const auto fixture = load_fixture("optimizers.json");
  const Tensor X = fixture_tensor(fixture.at("X"));
  const auto labels = fixture.at("y").get<std::vector<std::int64_t>>();
  const Tensor y = from_vector(labels, {static_cast<std::int64_t>(labels.size())});
  const optim::LBFGSOptions options{.max_iter = 4, .history_size = 3, .line_search_fn = "strong_wolfe"};
  const auto run = [&](nn::Sequential& model, optim::LBFGS& optimizer, int steps) {
    std::vector<float> losses;
    for (int t = 0; t < steps; ++t) {
      losses.push_back(optimizer
                           .step([&] {
                             optimizer.zero_grad();
                             Tensor loss = nn::functional::cross_entropy(model(X), y);
                             loss.backward();
                             return loss;
                           })
                           .item());
    }
    return losses;
  };
  nn::Sequential straight = model_of_the_fixture();
  optim::LBFGS straight_optimizer(straight.parameters(), options);
  const std::vector<float> all = run(straight, straight_optimizer, 5);

  ann::testing::TempDir dir;
  {
    nn::Sequential first = model_of_the_fixture();
    optim::LBFGS first_optimizer(first.parameters(), options);
    run(first, first_optimizer, 2);
    EXPECT_EQ(first_optimizer.state_dict().parameters[0].at("history").item<std::int64_t>(), 3);  // full
    save_checkpoint(dir / "run.ckpt", first, first_optimizer, default_generator().state(), 2);
  }
  nn::Sequential second = model_of_the_fixture();
  optim::LBFGS second_optimizer(second.parameters(), options);
  load_checkpoint(dir / "run.ckpt", second, second_optimizer);
  EXPECT_EQ(run(second, second_optimizer, 3), std::vector<float>(all.begin() + 2, all.end()));

  // a history longer than this optimizer keeps is refused, naming the field
  optim::LBFGS shorter(model_of_the_fixture().parameters(), {.history_size = 2});
  EXPECT_THROW(shorter.load_state_dict(straight_optimizer.state_dict()), ValueError);
}

TEST(OptimizerParity, LbfgsRefusesMisuse) {
  const std::vector<Tensor> p{zeros({2}).requires_grad_()};
  optim::LBFGS lbfgs(p);
  try {
    lbfgs.step();
    ADD_FAILURE() << "step() without a closure ran";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("closure"), std::string::npos) << e.what();
  }
  EXPECT_THROW(optim::LBFGS(p, {.line_search_fn = "backtracking"}), ValueError);
  EXPECT_THROW(optim::LBFGS(p, {.max_iter = 0}), ValueError);
  EXPECT_THROW(optim::LBFGS(p, {.history_size = 0}), ValueError);
  EXPECT_THROW(optim::LBFGS({zeros({2}).requires_grad_(), zeros({2}, kFloat64).requires_grad_()}), ValueError);
  // at a minimum (zero gradient) a step evaluates once and leaves the parameters alone
  const Tensor w = tensor({1.0F, -2.0F}).requires_grad_();
  optim::LBFGS at_minimum({w});
  const Tensor loss = at_minimum.step([&] {
    at_minimum.zero_grad();
    Tensor l = (w * 0.0).sum();
    l.backward();
    return l;
  });
  EXPECT_EQ(loss.item(), 0.0F);
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{1.0F, -2.0F}));
  EXPECT_EQ(at_minimum.state_dict().parameters[0].at("func_evals").item<std::int64_t>(), 1);
}

TEST(OptimizerParity, RefuseNegativeHyperParameters) {
  const std::vector<Tensor> p{zeros({2}).requires_grad_()};
  EXPECT_THROW(optim::RMSprop(p, {.alpha = -0.1}), ValueError);
  EXPECT_THROW(optim::Adagrad(p, {.lr_decay = -1}), ValueError);
  EXPECT_THROW(optim::RMSprop(p, {}).set_lr(-1), ValueError);
}

}  // namespace
