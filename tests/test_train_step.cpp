// ann::TrainStep against the five steps it stands for, written out: the same losses, gradients
// and parameters to the bit, on nets drawn at random (seeded; a failure prints the net), on the
// cases it must hand back to the five steps, and on what backward does around the parameters
// (frozen layers, gradients that accumulate, hooks, replaced weights, a target with a gradient).
#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ann/ann.h"
#include "drawn.h"
#include "nn/loss_without_graph.h"

namespace {

using namespace ann;

// One net, as the sweep writes it: in – widths… – out, an activation after every hidden layer.
struct Net {
  std::int64_t in = 2, out = 3;
  std::vector<std::int64_t> widths;
  std::string activation = "relu";
  bool bias = true;
  std::string loss = "mse", optimizer = "sgd";

  std::string describe() const {
    std::ostringstream s;
    s << in;
    for (std::int64_t w : widths) s << '-' << w;
    s << '-' << out << ' ' << activation << (bias ? "" : " nobias") << ' ' << loss << ' ' << optimizer;
    return s.str();
  }
  nn::Sequential model(std::uint64_t seed) const {
    manual_seed(seed);
    nn::Sequential m;
    std::int64_t width = in;
    for (std::int64_t next : widths) {
      m.push_back(nn::Linear(width, next, bias));
      m.push_back(nn::make_activation(activation));
      width = next;
    }
    m.push_back(nn::Linear(width, out, bias));
    return m;
  }
  TrainStep::Criterion criterion() const {
    if (loss == "mse") return nn::MSELoss();
    if (loss == "l1") return nn::L1Loss();
    if (loss == "huber") return nn::HuberLoss(0.5);
    if (loss == "smooth_l1") return nn::SmoothL1Loss(0.25, {nn::Reduction::Sum});
    if (loss == "bce_with_logits") return nn::BCEWithLogitsLoss();
    return nn::CrossEntropyLoss();
  }
  std::unique_ptr<optim::Optimizer> optimizer_for(const std::vector<Tensor>& p) const {
    if (optimizer == "sgd") return std::make_unique<optim::SGD>(p, optim::SGDOptions{.lr = 0.05});
    if (optimizer == "sgd_momentum")
      return std::make_unique<optim::SGD>(p, optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .weight_decay = 1e-3});
    if (optimizer == "adam") return std::make_unique<optim::Adam>(p, optim::AdamOptions{.lr = 1e-2, .weight_decay = 1e-4});
    if (optimizer == "adamw") return std::make_unique<optim::AdamW>(p, optim::AdamWOptions{.lr = 1e-2});
    if (optimizer == "rmsprop") return std::make_unique<optim::RMSprop>(p, optim::RMSpropOptions{.lr = 1e-2});
    return std::make_unique<optim::Adagrad>(p, optim::AdagradOptions{.lr = 1e-2});
  }
  // Rows of inputs and targets for this net's loss.
  std::pair<Tensor, Tensor> batch(std::int64_t rows) const {
    const Tensor X = randn({rows, in});
    if (loss == "cross_entropy") return {X, randint(0, out, {rows})};
    if (loss == "bce_with_logits") return {X, (rand({rows, out}) > 0.5).to(kFloat32)};
    return {X, randn({rows, out})};
  }
};

std::vector<float> values(const Tensor& t) { return t.detach().contiguous().to_vector<float>(); }

// The two runs' parameters, gradients (or their absence) and losses, equal to the bit.
void expect_same(const nn::Module& a, const nn::Module& b, const std::string& what) {
  const std::vector<Tensor> pa = a.parameters(), pb = b.parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(values(pa[i]), values(pb[i])) << what << ", parameter " << i;
    ASSERT_EQ(pa[i].grad().defined(), pb[i].grad().defined()) << what << ", parameter " << i;
    if (pa[i].grad().defined()) {
      EXPECT_EQ(values(pa[i].grad()), values(pb[i].grad())) << what << ", gradient " << i;
    }
  }
}

// The five steps, written out.
Tensor five_steps(nn::Module& model, const TrainStep::Criterion& criterion, optim::Optimizer& optimizer, const Tensor& X,
                  const Tensor& y) {
  Tensor loss = criterion(model(X), y);
  optimizer.zero_grad();
  loss.backward();
  optimizer.step();
  return loss;
}

// Trains two copies of `net`, one with TrainStep and one with the five steps, on the same
// batches (of the sizes in `rows`, in turn) and checks them equal after every step. Returns how
// many of the steps TrainStep ran fused.
int train_both(const Net& net, const std::vector<std::int64_t>& rows, const std::string& what,
               TrainStep::Criterion criterion = {}) {
  if (!criterion) criterion = net.criterion();
  nn::Sequential reference = net.model(7), model = net.model(7);
  const auto reference_optimizer = net.optimizer_for(reference.parameters());
  const auto optimizer = net.optimizer_for(model.parameters());
  TrainStep train_step(model, criterion, *optimizer);
  int fused = 0;
  manual_seed(11);
  for (std::size_t t = 0; t < rows.size(); ++t) {
    const auto [X, y] = net.batch(rows[t]);
    Tensor y_pred;
    {
      NoGradGuard no_grad;
      y_pred = reference(X);  // the output the step's loss is of
    }
    const Tensor expected = five_steps(reference, criterion, *reference_optimizer, X, y);
    const Tensor loss = train_step(X, y);
    fused += train_step.last_step_fused() ? 1 : 0;
    const std::string step = what + ", step " + std::to_string(t) + " of " + std::to_string(rows[t]) + " rows";
    EXPECT_EQ(values(loss), values(expected)) << step;
    EXPECT_EQ(values(train_step.last_output()), values(y_pred)) << step;
    expect_same(model, reference, step);
    if (::testing::Test::HasFailure()) break;
  }
  return fused;
}

TEST(TrainStep, SameNumbersAsTheFiveStepsOnDrawnNets) {
  const std::vector<std::string> activations{"relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu", "silu", "softplus"};
  const std::vector<std::string> losses{"mse", "l1", "huber", "smooth_l1", "bce_with_logits", "cross_entropy"};
  const std::vector<std::string> optimizers{"sgd", "sgd_momentum", "adam", "adamw", "rmsprop", "adagrad"};
  std::mt19937 draw(2026);
  int steps = 0, fused = 0;
  for (int n = 0; n < 48; ++n) {
    Net net;
    net.in = ann::testing::log_uniform(draw, 200);
    net.out = ann::testing::log_uniform(draw, 20);
    const int hidden = static_cast<int>(draw() % 4);  // 0: one layer, which no chain takes
    for (int l = 0; l < hidden; ++l) net.widths.push_back(ann::testing::log_uniform(draw, draw() % 6 == 0 ? 300 : 128));
    net.activation = activations[draw() % activations.size()];
    net.bias = draw() % 4 != 0;
    net.loss = losses[draw() % losses.size()];
    net.optimizer = optimizers[draw() % optimizers.size()];
    // batches of two sizes in turn: the chain TrainStep keeps is asked again at each change
    const std::int64_t a = ann::testing::log_uniform(draw, 700), b = ann::testing::log_uniform(draw, 40);
    fused += train_both(net, {a, b, a, a}, "net " + std::to_string(n) + " (" + net.describe() + ")");
    steps += 4;
    if (HasFailure()) return;
  }
  // every drawn net is affine layers, activations and chains of them (one in six layers wider
  // than a chain takes, batches from 1 row up): TrainStep runs each step's kernels itself
  EXPECT_EQ(fused, steps);
}

TEST(TrainStep, RunsTheKernelsItselfWhereSequentialRunsOnlyFusedNodes) {
  // a chain: fused
  Net chain{.in = 5, .out = 4, .widths = {16, 16}, .activation = "tanh"};
  EXPECT_EQ(train_both(chain, {32, 32}, chain.describe()), 2);
  // a layer wider than the chain's 128 units, then a chain: fused
  Net wide{.in = 5, .out = 4, .widths = {200, 16}, .activation = "relu"};
  EXPECT_EQ(train_both(wide, {64}, wide.describe()), 1);
  // a batch of 1 row, which Sequential runs layer by layer, and one of 40 in the chain: fused
  Net few_rows{.in = 64, .out = 64, .widths = {128, 128}, .activation = "silu"};
  EXPECT_EQ(train_both(few_rows, {1, 40}, few_rows.describe()), 2);
  // one layer, no activation: fused
  Net affine{.in = 9, .out = 2, .widths = {}};
  EXPECT_EQ(train_both(affine, {10, 3}, affine.describe()), 2);
  // the lesson's two-layer nets take the two-layer kernel: fused
  Net lesson{.in = 2, .out = 3, .widths = {100}, .activation = "relu", .loss = "cross_entropy", .optimizer = "adam"};
  EXPECT_EQ(train_both(lesson, {300, 300}, lesson.describe()), 2);
  Net regression{.in = 1, .out = 1, .widths = {100}, .activation = "tanh", .optimizer = "adam"};
  EXPECT_EQ(train_both(regression, {100, 7}, regression.describe()), 2);
  // …and so do they between other layers
  Net inside{.in = 5, .out = 3, .widths = {4, 40, 2, 200}, .activation = "sigmoid", .optimizer = "rmsprop"};
  EXPECT_EQ(train_both(inside, {70, 1}, inside.describe()), 2);
  // no fusion on this thread: the five steps
  {
    nn::NoFusionGuard unfused;
    EXPECT_EQ(train_both(chain, {32}, chain.describe() + ", NoFusionGuard"), 0);
    EXPECT_EQ(train_both(wide, {32}, wide.describe() + ", NoFusionGuard"), 0);
  }
}

// A module other than Linear and the eight activations anywhere, or one no chain or epilogue
// takes, and the five steps run as written.
TEST(TrainStep, AModuleOfAnotherKindRunsTheFiveSteps) {
  const auto both = [](auto make) {
    manual_seed(4);
    nn::Sequential reference = make();
    manual_seed(4);
    nn::Sequential model = make();
    optim::SGD reference_optimizer(reference.parameters(), {.lr = 0.1}), optimizer(model.parameters(), {.lr = 0.1});
    TrainStep train_step(model, nn::MSELoss(), optimizer);
    const Tensor X = randn({12, 6}), y = randn({12, 3});
    EXPECT_EQ(values(train_step(X, y)), values(five_steps(reference, nn::MSELoss(), reference_optimizer, X, y)));
    EXPECT_FALSE(train_step.last_step_fused());
    expect_same(model, reference, "another module");
  };
  both([] { return nn::Sequential{nn::Linear(6, 200), nn::ReLU(), nn::Identity(), nn::Linear(200, 3)}; });
  both([] { return nn::Sequential{nn::Linear(6, 8), nn::Tanh(), nn::Tanh(), nn::Linear(8, 3)}; });
  both([] { return nn::Sequential{nn::Linear(6, 3), nn::Softmax(1)}; });
}

// A weight that is no leaf (computed from a leaf) gets its gradient through the graph behind it.
TEST(TrainStep, AWeightComputedFromAnotherTensorRunsTheFiveSteps) {
  manual_seed(3);
  const Tensor base = randn({5, 4}).requires_grad_(), reference_base = base.detach().clone().requires_grad_();
  nn::Sequential model{nn::Linear(4, 5), nn::ReLU(), nn::Linear(5, 2)};
  nn::Sequential reference{nn::Linear(4, 5), nn::ReLU(), nn::Linear(5, 2)};
  model.at<nn::Linear>(0).weight = base * 2.0;
  reference.at<nn::Linear>(0).weight = reference_base * 2.0;
  reference.at<nn::Linear>(2).weight = model.at<nn::Linear>(2).weight.detach().clone().requires_grad_();
  reference.at<nn::Linear>(2).bias = model.at<nn::Linear>(2).bias.detach().clone().requires_grad_();
  reference.at<nn::Linear>(0).bias = model.at<nn::Linear>(0).bias.detach().clone().requires_grad_();
  optim::SGD optimizer({base}, {.lr = 0.1}), reference_optimizer({reference_base}, {.lr = 0.1});
  TrainStep train_step(model, nn::MSELoss(), optimizer);
  const Tensor X = randn({7, 4}), y = randn({7, 2});
  EXPECT_EQ(values(train_step(X, y)), values(five_steps(reference, nn::MSELoss(), reference_optimizer, X, y)));
  EXPECT_FALSE(train_step.last_step_fused());
  ASSERT_TRUE(base.grad().defined());
  EXPECT_EQ(values(base.grad()), values(reference_base.grad()));
  EXPECT_EQ(values(base), values(reference_base));
}

// A loss that has no fused kernel, or is no loss module, is recorded alone, and backward()
// takes its gradient to the chain's output.
TEST(TrainStep, LossesWithoutAKernelGoThroughTheirGraph) {
  const Net net{.in = 7, .out = 3, .widths = {12, 5, 9}, .activation = "softplus", .optimizer = "adam"};
  EXPECT_EQ(train_both(net, {30, 7, 30}, "a function of a loss",
                       [](const Tensor& out, const Tensor& target) { return nn::functional::mse_loss(out, target) * 3.0; }),
            3);
  const Net labels{.in = 7, .out = 3, .widths = {12, 5, 9}, .activation = "silu", .loss = "bce_with_logits"};
  EXPECT_EQ(train_both(labels, {30, 7}, "BCE with pos_weight",
                       nn::BCEWithLogitsLoss(nn::functional::BCEWithLogitsOptions{.pos_weight = full({3}, 2.5)})),
            2);
  EXPECT_EQ(train_both(net, {30, 7}, "L1, summed", nn::L1Loss({nn::Reduction::Sum})), 2);
  // a loss module's subclass computes its own loss
  struct Doubled : nn::MSELoss {
    Tensor forward(const Tensor& input, const Tensor& target) const override {
      return nn::MSELoss::forward(input, target) * 2.0;
    }
  };
  EXPECT_EQ(train_both(net, {30, 7}, "a subclass of MSELoss", Doubled()), 2);
}

TEST(TrainStep, AnInputThatRequiresGradGetsItsGradientFromTheFiveSteps) {
  const Net net{.in = 3, .out = 2, .widths = {8, 8}, .activation = "sigmoid"};
  nn::Sequential reference = net.model(3), model = net.model(3);
  optim::SGD reference_optimizer(reference.parameters(), {.lr = 0.1}), optimizer(model.parameters(), {.lr = 0.1});
  TrainStep train_step(model, nn::MSELoss(), optimizer);
  manual_seed(5);
  const Tensor X = randn({20, 3}).requires_grad_(), y = randn({20, 2});
  const Tensor X2 = X.detach().requires_grad_();
  five_steps(reference, nn::MSELoss(), reference_optimizer, X, y);
  train_step(X2, y);
  EXPECT_FALSE(train_step.last_step_fused());
  ASSERT_TRUE(X2.grad().defined());
  EXPECT_EQ(values(X2.grad()), values(X.grad()));
  expect_same(model, reference, "input with a gradient");
}

TEST(TrainStep, AModelOtherThanSequentialItselfRunsTheFiveSteps) {
  // A Sequential whose forward does more: TrainStep must call it, not the chain.
  struct Scaled : nn::Sequential {
    using nn::Sequential::Sequential;
    Tensor forward(const Tensor& x) override { return nn::Sequential::forward(x) * 2.0; }
  };
  manual_seed(1);
  Scaled model{nn::Linear(4, 8), nn::Tanh(), nn::Linear(8, 2)};
  manual_seed(1);
  Scaled reference{nn::Linear(4, 8), nn::Tanh(), nn::Linear(8, 2)};
  optim::SGD optimizer(model.parameters(), {.lr = 0.1}), reference_optimizer(reference.parameters(), {.lr = 0.1});
  TrainStep train_step(model, nn::MSELoss(), optimizer);
  const Tensor X = randn({30, 4}), y = randn({30, 2});
  EXPECT_EQ(values(train_step(X, y)), values(five_steps(reference, nn::MSELoss(), reference_optimizer, X, y)));
  EXPECT_FALSE(train_step.last_step_fused());
  expect_same(model, reference, "a Sequential's subclass");
}

// What backward does at a parameter, TrainStep does too: a frozen layer gets no gradient, a
// parameter that the optimizer does not hold keeps adding its gradients up, a hook sees (and
// may replace) the gradient, and a target that requires grad gets its own.
TEST(TrainStep, ParametersGetTheirGradientsAsBackwardGivesThem) {
  // a layer wider than a chain takes: each layer runs as an affine layer of its own, whose
  // backward adds its weight's gradient into .grad where there is one already
  const Net net{.in = 6, .out = 3, .widths = {10, 200}, .activation = "elu"};
  nn::Sequential reference = net.model(9), model = net.model(9);
  for (nn::Sequential* m : {&reference, &model}) {
    m->at<nn::Linear>(0).weight.requires_grad_(false);                          // frozen
    m->at<nn::Linear>(2).bias.register_hook([](const Tensor& g) { return g * 3.0; });  // replaced
  }
  int seen = 0;
  model.at<nn::Linear>(4).weight.register_hook([&seen](const Tensor&) { ++seen; });
  // the last layer's weight (with its hook) and bias are not the optimizer's: their gradients add
  // up over the steps, and the middle layer's weight's too, which the product adds into itself
  auto held = [](nn::Sequential& m) {
    std::vector<Tensor> p;
    for (const Tensor& t : m.parameters())
      if (!t.is_same(m.at<nn::Linear>(4).bias) && !t.is_same(m.at<nn::Linear>(4).weight) &&
          !t.is_same(m.at<nn::Linear>(2).weight))
        p.push_back(t);
    return p;
  };
  optim::Adam reference_optimizer(held(reference), {.lr = 1e-2}), optimizer(held(model), {.lr = 1e-2});
  TrainStep train_step(model, nn::MSELoss(), optimizer);
  manual_seed(2);
  for (int t = 0; t < 3; ++t) {
    const Tensor X = randn({50, 6}), y = randn({50, 3}).requires_grad_(), y2 = y.detach().requires_grad_();
    const Tensor expected = five_steps(reference, nn::MSELoss(), reference_optimizer, X, y);
    EXPECT_EQ(values(train_step(X, y2)), values(expected));
    EXPECT_TRUE(train_step.last_step_fused());
    ASSERT_TRUE(y2.grad().defined());
    EXPECT_EQ(values(y2.grad()), values(y.grad()));
    expect_same(model, reference, "step " + std::to_string(t));
  }
  EXPECT_FALSE(model.at<nn::Linear>(0).weight.grad().defined());
  EXPECT_EQ(seen, 3);
}

// The two-layer kernel adds the parameters' gradients into their .grad itself where every one has
// a gradient already (an optimizer that holds none of them: they add up over the steps), unless
// one has hooks; TrainStep offers it the same.
TEST(TrainStep, TheTwoLayerKernelAddsIntoTheGradientsAsInBackward) {
  for (const bool hooked : {false, true}) {
    const Net net{.in = 3, .out = 2, .widths = {24}, .activation = "tanh"};
    nn::Sequential reference = net.model(5), model = net.model(5);
    int seen = 0;
    if (hooked) model.at<nn::Linear>(2).bias.register_hook([&seen](const Tensor&) { ++seen; });
    if (hooked) reference.at<nn::Linear>(2).bias.register_hook([](const Tensor&) {});
    const Tensor other = zeros({1}).requires_grad_(), reference_other = zeros({1}).requires_grad_();
    optim::SGD optimizer({other}, {.lr = 0.1}), reference_optimizer({reference_other}, {.lr = 0.1});
    TrainStep train_step(model, nn::MSELoss(), optimizer);
    manual_seed(6);
    for (int t = 0; t < 3; ++t) {
      const Tensor X = randn({33, 3}), y = randn({33, 2});
      EXPECT_EQ(values(train_step(X, y)), values(five_steps(reference, nn::MSELoss(), reference_optimizer, X, y)));
      EXPECT_TRUE(train_step.last_step_fused());
      expect_same(model, reference, std::string(hooked ? "hooked, " : "") + "step " + std::to_string(t));
    }
    EXPECT_EQ(seen, hooked ? 3 : 0);
  }
}

// Cases no drawn net makes: one Linear module twice in the model (its weight's gradient is the
// sum over both uses), inputs and targets that are views (transposed, a slice of columns), and
// batches of no rows among others; each in a chain (narrow), past it (wide: affine layers) and
// in the two-layer kernel's shape. Every step equal to the five steps, and none handed back.
TEST(TrainStep, SameNumbersOnATiedLayerViewsAndEmptyBatches) {
  for (const std::int64_t width : {6, 40, 200}) {
    const std::string at = " (width " + std::to_string(width) + ")";
    auto run = [&](const std::function<nn::Sequential()>& make, const TrainStep::Criterion& criterion,
                   const std::function<std::pair<Tensor, Tensor>(int)>& batch, const std::string& what) {
      manual_seed(3);
      nn::Sequential reference = make();
      manual_seed(3);
      nn::Sequential model = make();
      optim::SGD reference_optimizer(reference.parameters(), {.lr = 0.05, .momentum = 0.9, .nesterov = true});
      optim::SGD optimizer(model.parameters(), {.lr = 0.05, .momentum = 0.9, .nesterov = true});
      TrainStep train_step(model, criterion, optimizer);
      for (int t = 0; t < 4; ++t) {
        manual_seed(100 + t);
        const auto [X, y] = batch(t);
        const Tensor expected = five_steps(reference, criterion, reference_optimizer, X, y);
        const Tensor loss = train_step(X, y);
        const std::string step = what + at + ", step " + std::to_string(t);
        EXPECT_TRUE(train_step.last_step_fused()) << step;
        // (bits, so that the mean over no rows, NaN, equals itself)
        EXPECT_EQ(std::bit_cast<std::uint32_t>(loss.item<float>()), std::bit_cast<std::uint32_t>(expected.item<float>()))
            << step;
        expect_same(model, reference, step);
        if (::testing::Test::HasFailure()) return;
      }
    };
    run(
        [&] {
          nn::Sequential m{nn::Linear(3, width), nn::Tanh()};
          const auto shared = std::make_shared<nn::Linear>(width, width);
          m.push_back(shared);
          m.push_back(nn::ReLU());
          m.push_back(shared);
          m.push_back(nn::ReLU());
          m.push_back(nn::Linear(width, 2));
          return m;
        },
        nn::MSELoss(), [](int) { return std::pair{randn({37, 3}), randn({37, 2})}; }, "a layer used twice");
    run([&] { return nn::Sequential{nn::Linear(4, width), nn::SiLU(), nn::Linear(width, 3)}; }, nn::CrossEntropyLoss(),
        [](int) { return std::pair{randn({4, 50}).t(), randint(0, 3, {50})}; }, "a transposed input");
    run([&] { return nn::Sequential{nn::Linear(4, width), nn::ELU(), nn::Linear(width, 3)}; }, nn::HuberLoss(),
        [](int) { return std::pair{randn({50, 9}).slice(1, 2, 6), randn({3, 50}).t()}; }, "columns of a wider input");
    run([&] { return nn::Sequential{nn::Linear(2, width), nn::ReLU(), nn::Linear(width, 3)}; }, nn::L1Loss(),
        [](int t) {
          const std::int64_t rows = std::array<std::int64_t, 4>{5, 0, 300, 0}[static_cast<std::size_t>(t)];
          return std::pair{randn({rows, 2}), randn({rows, 3})};
        },
        "batches of no rows");
  }
}

// Two copies of a 4-9-9-2 net under SGD, one trained by TrainStep and one by the five steps,
// after one step each on the same batch (X, y).
struct AfterOneStep {
  TrainStep::Criterion criterion;
  nn::Sequential reference, model;
  optim::SGD reference_optimizer, optimizer;
  TrainStep train_step;
  Tensor X = randn({40, 4}), y = randn({40, 2});

  AfterOneStep(const std::string& activation, const TrainStep::Criterion& loss)
      : criterion(loss),
        reference(Net{.in = 4, .out = 2, .widths = {9, 9}, .activation = activation}.model(4)),
        model(Net{.in = 4, .out = 2, .widths = {9, 9}, .activation = activation}.model(4)),
        reference_optimizer(reference.parameters(), {.lr = 0.1}),
        optimizer(model.parameters(), {.lr = 0.1}),
        train_step(model, criterion, optimizer) {
    train_step(X, y);
    EXPECT_TRUE(train_step.last_step_fused());
    five_steps(reference, criterion, reference_optimizer, X, y);
  }
};

TEST(TrainStep, FollowsALayerWhoseWeightIsReplaced) {
  AfterOneStep r("gelu", nn::L1Loss());
  // new weights for the middle layer, outside the optimizer: both runs now use them
  const Tensor fresh = randn({9, 9});
  r.model.at<nn::Linear>(2).weight = fresh.clone().requires_grad_();
  r.reference.at<nn::Linear>(2).weight = fresh.clone().requires_grad_();
  EXPECT_EQ(values(r.train_step(r.X, r.y)), values(five_steps(r.reference, r.criterion, r.reference_optimizer, r.X, r.y)));
  EXPECT_TRUE(r.train_step.last_step_fused());
  EXPECT_EQ(values(r.model.at<nn::Linear>(2).weight.grad()), values(r.reference.at<nn::Linear>(2).weight.grad()));
}

TEST(TrainStep, FollowsAModelConvertedToAnotherType) {
  AfterOneStep r("tanh", nn::MSELoss());
  // float64 parameters in place, the same float32 batch: no chain, whatever the five steps do
  r.model.to(kFloat64);
  r.reference.to(kFloat64);
  auto run = [&](auto&& step) -> std::vector<double> {
    try {
      return step().template to_vector<double>();
    } catch (const Error&) {
      return {-1.0};
    }
  };
  EXPECT_EQ(run([&] { return r.train_step(r.X, r.y); }),
            run([&] { return five_steps(r.reference, r.criterion, r.reference_optimizer, r.X, r.y); }));
  EXPECT_FALSE(r.train_step.last_step_fused());
  for (std::size_t i = 0; i < r.model.parameters().size(); ++i) {
    EXPECT_EQ(r.model.parameters()[i].to_vector<double>(), r.reference.parameters()[i].to_vector<double>()) << i;
  }
}

// On a device whose back end has no chain kernel (the checked device), the five steps.
TEST(TrainStep, OnADeviceWithoutTheChainKernelRunsTheFiveSteps) {
  const Device checked("checked");
  const Net net{.in = 5, .out = 3, .widths = {16, 16}, .activation = "tanh", .optimizer = "adam"};
  nn::Sequential reference = net.model(6), model = net.model(6);
  reference.to(checked);
  model.to(checked);
  const auto reference_optimizer = net.optimizer_for(reference.parameters());
  const auto optimizer = net.optimizer_for(model.parameters());
  TrainStep train_step(model, nn::MSELoss(), *optimizer);
  manual_seed(8);
  for (int t = 0; t < 2; ++t) {
    const Tensor X = randn({40, 5}).to(checked), y = randn({40, 3}).to(checked);
    const Tensor expected = five_steps(reference, nn::MSELoss(), *reference_optimizer, X, y);
    EXPECT_EQ(values(train_step(X, y).to(Device("cpu"))), values(expected.to(Device("cpu"))));
    EXPECT_FALSE(train_step.last_step_fused());
  }
  for (std::size_t i = 0; i < model.parameters().size(); ++i) {
    EXPECT_EQ(values(model.parameters()[i].to(Device("cpu"))), values(reference.parameters()[i].to(Device("cpu")))) << i;
  }
}

// What TrainStep takes from a loss module with a fused kernel, with no node: the loss and the
// gradient a backward() from it gives, to the bit; and no answer where the module computes
// anything else (it then runs itself, with its graph).
TEST(TrainStep, ALossKernelsPassIsTheLossAndItsBackward) {
  manual_seed(12);
  const Tensor out = randn({37, 5}), target = randn({37, 5}), bits = (rand({37, 5}) > 0.5).to(kFloat32);
  const Tensor labels = randint(0, 5, {37});
  struct Case {
    std::string what;
    TrainStep::Criterion criterion;
    Tensor target;
  };
  const std::vector<Case> fused{
      {"MSE", nn::MSELoss(), target},
      {"L1, summed", nn::L1Loss({nn::Reduction::Sum}), target},
      {"smooth L1", nn::SmoothL1Loss(0.3), target},
      {"Huber", nn::HuberLoss(0.7), target},
      {"BCE with logits", nn::BCEWithLogitsLoss(), bits},
      {"cross-entropy", nn::CrossEntropyLoss(), labels},
      {"cross-entropy, summed", nn::CrossEntropyLoss(nn::LossOptions{nn::Reduction::Sum}), labels},
  };
  for (const Case& c : fused) {
    Tensor loss, d_out;
    ASSERT_TRUE(nn::loss_without_graph(c.criterion, out, c.target, loss, d_out)) << c.what;
    EXPECT_FALSE(loss.requires_grad()) << c.what;
    const Tensor leaf = out.detach().requires_grad_();
    const Tensor expected = c.criterion(leaf, c.target);
    expected.backward();
    EXPECT_EQ(values(loss), values(expected)) << c.what;
    EXPECT_EQ(values(d_out), values(leaf.grad())) << c.what;
  }
  const std::vector<Case> others{
      {"cross-entropy per example", nn::CrossEntropyLoss(nn::LossOptions{nn::Reduction::None}), labels},
      {"cross-entropy with class weights",
       nn::CrossEntropyLoss(nn::functional::ClassLossOptions{.weight = rand({5})}), labels},
      {"cross-entropy with an ignored label", nn::CrossEntropyLoss(nn::functional::ClassLossOptions{.ignore_index = 2}),
       labels},
      {"cross-entropy with label smoothing",
       nn::CrossEntropyLoss(nn::functional::ClassLossOptions{.label_smoothing = 0.1}), labels},
      {"cross-entropy on float labels", nn::CrossEntropyLoss(), labels.to(kFloat32)},
      {"BCE with weights", nn::BCEWithLogitsLoss(nn::functional::BCEWithLogitsOptions{.pos_weight = full({5}, 2.0)}), bits},
      {"MSE of another shape", nn::MSELoss(), randn({37, 4})},
  };
  for (const Case& c : others) {
    Tensor loss, d_out;
    EXPECT_FALSE(nn::loss_without_graph(c.criterion, out, c.target, loss, d_out)) << c.what;
    EXPECT_FALSE(loss.defined() || d_out.defined()) << c.what;
  }
  Tensor loss, d_out;
  EXPECT_FALSE(nn::loss_without_graph(nn::CrossEntropyLoss(), out.to(kFloat64), labels, loss, d_out));
  // a label out of range: the criterion's own error
  const Tensor wrong = full({37}, 5.0).to(kInt64);
  try {
    nn::CrossEntropyLoss()(out, wrong);
    FAIL() << "no error from the criterion";
  } catch (const ValueError& expected) {
    try {
      nn::loss_without_graph(nn::CrossEntropyLoss(), out, wrong, loss, d_out);
      FAIL() << "no error without the graph";
    } catch (const ValueError& got) {
      EXPECT_STREQ(got.what(), expected.what());
    }
  }
}

TEST(TrainStep, ErrorsAreTheFiveSteps) {
  const Net net{.in = 4, .out = 2, .widths = {9, 9}, .activation = "relu"};
  nn::Sequential model = net.model(1);
  optim::SGD optimizer(model.parameters(), {.lr = 0.1});
  TrainStep train_step(model, nn::MSELoss(), optimizer);
  EXPECT_THROW(train_step(randn({10, 5}), randn({10, 2})), ShapeError);  // the first layer's inputs
  EXPECT_THROW(train_step(randn({10, 4}), randn({10, 3})), ShapeError);  // the loss's operands
  const std::vector<Tensor> before = model.parameters();
  for (const Tensor& p : before) EXPECT_FALSE(p.grad().defined());
}

}  // namespace
