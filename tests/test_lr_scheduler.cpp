// The learning-rate schedulers against PyTorch 1.13 (tests/fixtures/lr_schedulers.json, made by
// tools/parity/make_scheduler_fixtures.py): every rate, and OneCycleLR's momentum, bit for bit.
#include <gtest/gtest.h>

#include <memory>

#include "ann/ann.h"
#include "fixtures.h"
#include "test_support.h"

namespace {

using namespace ann;
using ann::testing::load_fixture;


TEST(LRScheduler, EveryRateAsTorch) {
  const auto fixture = load_fixture("lr_schedulers.json");
  for (const auto& c : fixture.at("cases")) {
    const std::string name = c.at("name");
    SCOPED_TRACE(name);
    const auto& o = c.at("options");
    const std::vector<Tensor> params{zeros({1}).requires_grad_()};
    // Adam for the cases whose optimizer had lr 0.01 before the scheduler touched it
    const bool adam = name == "ExponentialLR" || name == "LinearLR" || (name == "OneCycleLR" && o.at("max_lr") == 0.02);
    std::unique_ptr<optim::Optimizer> opt;
    if (adam) opt = std::make_unique<optim::Adam>(params, optim::AdamOptions{.lr = 0.01});
    else opt = std::make_unique<optim::SGD>(params, optim::SGDOptions{.lr = 0.1, .momentum = 0.9});

    std::unique_ptr<optim::LRScheduler> scheduler;
    std::unique_ptr<optim::ReduceLROnPlateau> plateau;
    if (name == "StepLR") {
      scheduler = std::make_unique<optim::StepLR>(*opt, optim::StepLROptions{o.at("step_size"), o.at("gamma")});
    } else if (name == "MultiStepLR") {
      scheduler = std::make_unique<optim::MultiStepLR>(
          *opt, optim::MultiStepLROptions{o.at("milestones").get<std::vector<std::int64_t>>(), o.at("gamma")});
    } else if (name == "ExponentialLR") {
      scheduler = std::make_unique<optim::ExponentialLR>(*opt, o.at("gamma").get<double>());
    } else if (name == "CosineAnnealingLR") {
      scheduler = std::make_unique<optim::CosineAnnealingLR>(*opt, optim::CosineAnnealingLROptions{o.at("T_max"), o.at("eta_min")});
    } else if (name == "LinearLR") {
      scheduler = std::make_unique<optim::LinearLR>(
          *opt, optim::LinearLROptions{o.at("start_factor"), o.at("end_factor"), o.at("total_iters")});
    } else if (name == "OneCycleLR") {
      optim::OneCycleLROptions options{.max_lr = o.at("max_lr"), .total_steps = o.at("total_steps")};
      options.three_phase = o.at("three_phase");
      options.cos_anneal = o.at("cos_anneal");
      if (o.contains("pct_start")) options.pct_start = o.at("pct_start");
      scheduler = std::make_unique<optim::OneCycleLR>(*opt, options);
    } else if (name == "ReduceLROnPlateau") {
      plateau = std::make_unique<optim::ReduceLROnPlateau>(
          *opt, optim::ReduceLROnPlateauOptions{.factor = o.at("factor"), .patience = o.at("patience"), .cooldown = o.at("cooldown")});
    } else {
      FAIL() << "no such scheduler in ann: " << name;
    }
    const auto lrs = c.at("lr").get<std::vector<double>>();
    const auto momenta = c.at("momentum").get<std::vector<double>>();
    const auto metrics = fixture.at("metrics").get<std::vector<double>>();
    EXPECT_EQ(opt->lr(), lrs[0]) << "after construction";
    for (std::size_t i = 1; i < lrs.size(); ++i) {
      opt->step();
      if (plateau) plateau->step(metrics[(i - 1) % metrics.size()]);
      else scheduler->step();
      EXPECT_EQ(opt->lr(), lrs[i]) << "step " << i;
      if (name == "OneCycleLR") {
        EXPECT_EQ(opt->momentum(), momenta[i]) << "step " << i;
      }
    }
    if (scheduler) {
      EXPECT_EQ(scheduler->get_last_lr(), lrs.back());
    }
  }
}

// A scheduler's state reloaded into a fresh one continues the same sequence.
TEST(LRScheduler, StateDictResumesTheSequence) {
  const std::vector<Tensor> a{zeros({1}).requires_grad_()}, b{zeros({1}).requires_grad_()};
  optim::SGD first(a, {.lr = 0.1}), second(b, {.lr = 0.1});
  optim::CosineAnnealingLR s1(first, {.T_max = 5, .eta_min = 0.01});
  for (int i = 0; i < 7; ++i) s1.step();
  second.set_lr(first.lr());
  optim::CosineAnnealingLR s2(second, {.T_max = 5, .eta_min = 0.01});
  s2.load_state_dict(s1.state_dict());
  second.set_lr(first.lr());
  for (int i = 0; i < 9; ++i) {
    s1.step();
    s2.step();
    EXPECT_EQ(first.lr(), second.lr()) << i;
  }
  EXPECT_THROW(s2.load_state_dict({{"last_epoch", 1}}), ValueError);
}

TEST(LRScheduler, RefusesBadOptions) {
  const std::vector<Tensor> p{zeros({1}).requires_grad_()};
  optim::Adam adam(p, {});
  EXPECT_THROW(optim::StepLR(adam, {.step_size = 0}), ValueError);
  EXPECT_THROW(optim::OneCycleLR(adam, {.total_steps = 0}), ValueError);
  EXPECT_THROW(optim::ReduceLROnPlateau(adam, {.factor = 1.0}), ValueError);
  EXPECT_THROW(adam.set_lr(-1), ValueError);
  optim::OneCycleLR one(adam, {.total_steps = 2});
  one.step();
  one.step();
  EXPECT_THROW(one.step(), ValueError);  // past total_steps, as torch
}

}  // namespace
