// RMSprop, Adagrad, Adam and AdamW with amsgrad and SGD with Nesterov momentum against PyTorch 1.13 over 200 full-batch steps
// of a small Tanh classifier (tests/fixtures/optimizers.json, tools/parity/make_optim_fixtures.py):
// every step's loss and the final parameters. Also: their state resumes a run bit for bit.
#include <gtest/gtest.h>

#include <memory>

#include "ann/ann.h"
#include "fixtures.h"

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

TEST(OptimizerParity, RefuseNegativeHyperParameters) {
  const std::vector<Tensor> p{zeros({2}).requires_grad_()};
  EXPECT_THROW(optim::RMSprop(p, {.alpha = -0.1}), ValueError);
  EXPECT_THROW(optim::Adagrad(p, {.lr_decay = -1}), ValueError);
  EXPECT_THROW(optim::RMSprop(p, {}).set_lr(-1), ValueError);
}

}  // namespace
