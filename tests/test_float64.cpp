// float64 tensors and modules: values that keep every digit, torch's type promotion, models
// converted with Module::to(kFloat64), every optimizer and scheduler against PyTorch 1.13 in
// double precision (tests/fixtures/optimizers.json's float64 cases, tools/parity/
// make_optim_fixtures.py; with the same schedulers in float32 alongside), torch's random numbers
// in double, F64 in model files, and float64 checkpoints that resume bit for bit.
// The gradient checks of every op in float64 are in test_gradcheck.cpp (OpGradientFloat64).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ann/ann.h"
#include "fixtures.h"

namespace {

using namespace ann;
using ann::testing::load_fixture;

Tensor fixture_tensor64(const nlohmann::json& j) {
  return from_vector(j.at("data").get<std::vector<double>>(), j.at("shape").get<Shape>());
}

double max_rel_diff64(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return INFINITY;
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]) / std::max(std::abs(b[i]), 1e-300));
  return worst;
}

double max_abs_diff64(const Tensor& a, const Tensor& b) {
  const std::vector<double> va = a.to_vector<double>(), vb = b.to_vector<double>();
  if (va.size() != vb.size()) return INFINITY;
  double worst = 0.0;
  for (std::size_t i = 0; i < va.size(); ++i) worst = std::max(worst, std::abs(va[i] - vb[i]));
  return worst;
}

// ---- values and types ----------------------------------------------------------------------------

TEST(Float64, KeepsEveryDigit) {
  const Tensor x = tensor({0.1, 1e-300, 1.0 / 3.0}, TensorOptions().dtype(kFloat64));
  EXPECT_EQ(x.dtype(), kFloat64);
  EXPECT_EQ(x.at<double>({0}), 0.1);
  EXPECT_EQ(x.at<double>({1}), 1e-300);  // below float's range: would be 0 in float32
  EXPECT_EQ(x.at<double>({2}), 1.0 / 3.0);
  EXPECT_EQ((x * 3.0).at<double>({0}), 0.1 * 3.0);  // the number is not rounded to float either
  EXPECT_EQ(full({}, 0.1, TensorOptions().dtype(kDouble)).item<double>(), 0.1);
  EXPECT_EQ(sum(x).item<double>(), 0.1 + 1e-300 + 1.0 / 3.0);
  // the float32 default still rounds the same numbers to float
  EXPECT_EQ(tensor({0.1}).item<double>(), static_cast<double>(0.1f));
  EXPECT_EQ(from_vector(std::vector<double>{0.25, 0.5}, {2}).dtype(), kFloat64);
}

TEST(Float64, PromotesAsTorch) {
  const Tensor f = tensor({1.5, 2.5});
  const Tensor d = tensor({0.1, 0.2}, TensorOptions().dtype(kFloat64));
  const Tensor i = from_vector(std::vector<std::int64_t>{1, 2}, {2});
  EXPECT_EQ((f + d).dtype(), kFloat64);
  EXPECT_EQ((d * f).dtype(), kFloat64);
  EXPECT_EQ((i + d).dtype(), kFloat64);
  EXPECT_EQ((d > 0.15).dtype(), kBool);
  EXPECT_EQ((d > 0.15).to_vector<bool>(), (std::vector<bool>{false, true}));
  EXPECT_EQ(maximum(f, d).dtype(), kFloat64);
  EXPECT_EQ(where(d > 0.15, d, f).dtype(), kFloat64);
  // products do not promote (torch refuses them too)
  EXPECT_THROW(matmul(f.reshape({1, 2}), d.reshape({2, 1})), TypeError);
  EXPECT_THROW(linear(d.reshape({1, 2}), zeros({3, 2})), TypeError);
}

TEST(Float64, EveryOpKeepsTheType) {
  const Tensor x = tensor({{0.5, -1.25, 2.0}, {3.0, 0.75, -0.5}}, TensorOptions().dtype(kFloat64));
  for (const Tensor& y : std::vector<Tensor>{exp(x), log(abs(x)), sqrt(abs(x)), relu(x), tanh(x), sigmoid(x), gelu(x), silu(x), elu(x),
                          softplus(x), leaky_relu(x), erf(x), pow(x, 3.0), clamp(x, -1.0, 1.0), softmax(x, 1),
                          log_softmax(x, 0), sum(x, 0), mean(x), var(x, 1), std::get<0>(max(x, 1)), logsumexp(x, 1),
                          norm(x), x.t().matmul(x), cat({x, x}, 0), index_select(x, 1, arange(2, TensorOptions().dtype(kInt64))),
                          x.masked_fill(x > 1.0, 7.0), dropout(x, 0.5)}) {
    EXPECT_EQ(y.dtype(), kFloat64) << y;
  }
  // computed in double: tanh of a double, not of its float rounding
  EXPECT_EQ(tanh(x).at<double>({0, 0}), std::tanh(0.5));
  EXPECT_EQ(exp(x).at<double>({1, 0}), std::exp(3.0));
  EXPECT_EQ(x.t().matmul(x).at<double>({0, 1}), 0.5 * -1.25 + 3.0 * 0.75);
}

TEST(Float64, Prints) {
  EXPECT_EQ(tensor({1.0, 2.0}, TensorOptions().dtype(kFloat64)).str(), "tensor([1., 2.], dtype=torch.float64)");
  EXPECT_EQ(tensor({0.5}, TensorOptions().dtype(kFloat64).requires_grad(true)).str(),
            "tensor([0.5000], dtype=torch.float64, requires_grad=True)");
}

TEST(Float64, GradientsHaveTheirInputsType) {
  const Tensor w = tensor({1.0, 2.0}, TensorOptions().requires_grad(true));                     // float32
  const Tensor x = tensor({0.1, 0.2}, TensorOptions().dtype(kFloat64).requires_grad(true));  // float64
  sum(w * x).backward();
  EXPECT_EQ(w.grad().dtype(), kFloat32);
  EXPECT_EQ(x.grad().dtype(), kFloat64);
  EXPECT_EQ(w.grad().to_vector<float>(), (std::vector<float>{0.1f, 0.2f}));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{1.0, 2.0}));
}

// ---- torch's random numbers in double -----------------------------------------------------------

TEST(Float64, RandomNumbersAsTorch) {
  // generator.json's float64 sequences (tools/parity/make_generator_fixtures.py), through the
  // tensor API: rand and randn with dtype float64, then a float32 rand in the same stream.
  int sequences = 0;
  const auto fixture = load_fixture("generator.json");
  for (const auto& c : fixture.at("cases")) {
    if (c.at("name") != "float64 sequence") continue;
    ++sequences;
    Generator g(c.at("seed").get<std::uint64_t>());
    for (const auto& op : c.at("ops")) {
      const std::string kind = op.at("op");
      const Shape shape{op.at("n").get<std::int64_t>()};
      SCOPED_TRACE(kind + " " + to_string(shape));
      const auto expected = op.at("values").get<std::vector<double>>();
      if (kind == "rand") {  // float32: '%.9g', which rounds back to torch's float exactly
        const std::vector<float> got = rand(shape, g).to_vector<float>();
        for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], static_cast<float>(expected[i]));
        continue;
      }
      const Tensor t = kind == "rand_f64" ? rand(shape, g, TensorOptions().dtype(kFloat64)) : randn(shape, g, TensorOptions().dtype(kFloat64));
      EXPECT_EQ(t.dtype(), kFloat64);
      // uniforms are exact; normals go through the C library's log, sin and cos (as torch's do)
      EXPECT_LE(max_rel_diff64(t.to_vector<double>(), expected), kind == "rand_f64" ? 0.0 : 1e-15);
    }
  }
  EXPECT_EQ(sequences, 2);
}

// ---- modules -------------------------------------------------------------------------------------

TEST(Float64, ModuleToConvertsParametersAndBuffersInPlace) {
  manual_seed(3);
  nn::Sequential model{nn::Linear(4, 6), nn::BatchNorm1d(6), nn::Tanh(), nn::Linear(6, 2)};
  const std::vector<Tensor> before = model.parameters();
  const std::vector<float> w0 = before[0].to_vector<float>();
  model.to(kFloat64);
  const std::vector<Tensor> after = model.parameters();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].impl(), before[i].impl()) << "the same tensors, as torch's module.to";
    EXPECT_EQ(after[i].dtype(), kFloat64);
  }
  const std::vector<double> w1 = after[0].to_vector<double>();
  for (std::size_t i = 0; i < w0.size(); ++i) EXPECT_EQ(w1[i], static_cast<double>(w0[i]));
  for (const auto& [name, buffer] : model.named_buffers())
    EXPECT_EQ(buffer.dtype(), name.ends_with("num_batches_tracked") ? kInt64 : kFloat64) << name;
  const Tensor y = model(randn({5, 4}, TensorOptions().dtype(kFloat64)));
  EXPECT_EQ(y.dtype(), kFloat64);
  EXPECT_THROW(model.to(kInt64), TypeError);
  EXPECT_THROW(model(randn({5, 4})), TypeError);  // float32 input into a float64 model, as torch
}

TEST(Float64, ModelFilesHoldF64) {
  manual_seed(5);
  nn::Sequential model{nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 2)};
  model.to(kFloat64);
  const auto path = std::filesystem::temp_directory_path() / "ann_float64_model.safetensors";
  save(model, path, describe(model));
  nn::Sequential loaded = load_model(path);
  std::filesystem::remove(path);
  const auto a = model.named_parameters(), b = loaded.named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(b[i].second.dtype(), kFloat64) << a[i].first;
    EXPECT_EQ(b[i].second.to_vector<double>(), a[i].second.to_vector<double>()) << a[i].first;
  }
}

// ---- every optimizer and scheduler against PyTorch in float64 -----------------------------------

std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& name, nn::Sequential& model) {
  const std::vector<Tensor> p = model.parameters();
  const std::vector<optim::ParamGroup> groups{
      {.params = model.at<nn::Linear>(0).parameters(), .lr = 0.03, .weight_decay = 1e-2},
      {.params = model.at<nn::Linear>(2).parameters()}};
  if (name == "sgd") return std::make_unique<optim::SGD>(p, optim::SGDOptions{.lr = 0.1});
  if (name == "sgd_nesterov")
    return std::make_unique<optim::SGD>(p, optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .weight_decay = 1e-4, .nesterov = true});
  if (name == "adam") return std::make_unique<optim::Adam>(p, optim::AdamOptions{.lr = 0.01, .weight_decay = 1e-3});
  if (name == "adam_amsgrad") return std::make_unique<optim::Adam>(p, optim::AdamOptions{.lr = 0.01, .amsgrad = true});
  if (name == "adamw") return std::make_unique<optim::AdamW>(p, optim::AdamWOptions{.lr = 0.01, .weight_decay = 0.1});
  if (name == "rmsprop_centered_momentum")
    return std::make_unique<optim::RMSprop>(
        p, optim::RMSpropOptions{.lr = 0.01, .alpha = 0.9, .weight_decay = 1e-3, .momentum = 0.5, .centered = true});
  if (name == "adagrad")
    return std::make_unique<optim::Adagrad>(
        p, optim::AdagradOptions{.lr = 0.1, .lr_decay = 1e-3, .weight_decay = 1e-4, .initial_accumulator_value = 0.1});
  if (name == "sgd_momentum_step_groups") return std::make_unique<optim::SGD>(groups, optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
  if (name == "adam_cosine_groups") return std::make_unique<optim::Adam>(groups, optim::AdamOptions{.lr = 0.01});
  if (name == "sgd_multistep") return std::make_unique<optim::SGD>(p, optim::SGDOptions{.lr = 0.2});
  if (name == "rmsprop_exponential") return std::make_unique<optim::RMSprop>(p, optim::RMSpropOptions{.lr = 0.005});
  if (name == "sgd_momentum_onecycle") return std::make_unique<optim::SGD>(p, optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
  if (name == "adamw_linear") return std::make_unique<optim::AdamW>(p, optim::AdamWOptions{.lr = 0.02});
  if (name == "sgd_plateau") return std::make_unique<optim::SGD>(p, optim::SGDOptions{.lr = 0.5});
  return nullptr;
}

std::unique_ptr<optim::LRScheduler> make_scheduler(const std::string& name, optim::Optimizer& o, std::int64_t steps) {
  if (name.find("_step") != std::string::npos) return std::make_unique<optim::StepLR>(o, optim::StepLROptions{.step_size = 50, .gamma = 0.5});
  if (name.find("_cosine") != std::string::npos)
    return std::make_unique<optim::CosineAnnealingLR>(o, optim::CosineAnnealingLROptions{.T_max = 120});
  if (name.ends_with("_multistep"))
    return std::make_unique<optim::MultiStepLR>(o, optim::MultiStepLROptions{.milestones = {40, 90, 90, 150}, .gamma = 0.5});
  if (name.ends_with("_exponential")) return std::make_unique<optim::ExponentialLR>(o, 0.99);
  if (name.ends_with("_onecycle"))
    return std::make_unique<optim::OneCycleLR>(o, optim::OneCycleLROptions{.max_lr = 0.2, .total_steps = steps});
  if (name.ends_with("_linear"))
    return std::make_unique<optim::LinearLR>(o, optim::LinearLROptions{.start_factor = 0.25, .end_factor = 1.0, .total_iters = 60});
  return nullptr;
}

// One case of make_optim_fixtures.py's float64_cases or float32_schedule_cases, in `dtype`:
// the loss of every step; the model and optimizer are left as trained.
std::vector<double> train_case(const nlohmann::json& fixture, const std::string& name, DType dtype,
                               nn::Sequential& model, std::unique_ptr<optim::Optimizer>& optimizer) {
  const Tensor X = ann::testing::fixture_tensor(fixture.at("X")).to(dtype);
  const auto labels = fixture.at("y").get<std::vector<std::int64_t>>();
  const Tensor y = from_vector(labels, {static_cast<std::int64_t>(labels.size())});
  const auto steps = fixture.at("steps").get<std::int64_t>();
  manual_seed(1);
  model = nn::Sequential{nn::Linear(3, 8), nn::Tanh(), nn::Linear(8, 2)};
  model.to(dtype);
  optimizer = make_optimizer(name, model);
  if (!optimizer) return {};
  auto scheduler = make_scheduler(name, *optimizer, steps);
  std::unique_ptr<optim::ReduceLROnPlateau> plateau;
  if (name.ends_with("_plateau"))
    plateau = std::make_unique<optim::ReduceLROnPlateau>(
        *optimizer, optim::ReduceLROnPlateauOptions{.factor = 0.5, .patience = 3, .threshold = 0.02});
  std::vector<double> losses;
  for (std::int64_t t = 0; t < steps; ++t) {
    Tensor loss = nn::functional::cross_entropy(model(X), y);
    EXPECT_EQ(loss.dtype(), dtype);
    losses.push_back(loss.item<double>());
    optimizer->zero_grad();
    loss.backward();
    optimizer->step();
    if (scheduler) scheduler->step();
    if (plateau) plateau->step(losses.back());
  }
  return losses;
}

TEST(Float64, EveryOptimizerAndSchedulerAsTorch) {
  const auto fixture = load_fixture("optimizers.json");
  const auto& cases = fixture.at("float64_cases");
  ASSERT_EQ(cases.size(), 14u);
  for (const auto& c : cases) {
    const std::string name = c.at("name");
    SCOPED_TRACE(name);
    nn::Sequential model;
    std::unique_ptr<optim::Optimizer> optimizer;
    const std::vector<double> losses = train_case(fixture, name, kFloat64, model, optimizer);
    ASSERT_TRUE(optimizer);
    // In double, summation orders alone part the two: 200 steps later the losses agree to
    // ~1e-15 where float32 runs agree to 1e-4 (a float32 rounding anywhere would show at 1e-7).
    // Centered RMSprop with momentum divides by √(E[g²] − E[g]²), a difference of near-equal
    // sums, and magnifies them: 6e-11 with OpenBLAS's Prescott dgemm kernel, 8e-10 with
    // Haswell's, 4e-9 with SkylakeX's in the losses (1e-9 in the weights with Sandybridge's;
    // OPENBLAS_CORETYPE, measured); by the same factor a float32 rounding would show above 1e-2.
    const double tolerance = name == "rmsprop_centered_momentum" ? 2e-8 : 1e-9;
    EXPECT_LE(max_rel_diff64(losses, c.at("loss").get<std::vector<double>>()), tolerance);
    for (const auto& [key, value] : model.named_parameters()) {
      EXPECT_EQ(value.dtype(), kFloat64) << key;
      EXPECT_LE(max_abs_diff64(value, fixture_tensor64(c.at("parameters").at(key))), tolerance) << key;
    }
    const auto lrs = c.at("lrs").get<std::vector<double>>();
    for (std::size_t g = 0; g < lrs.size(); ++g) EXPECT_NEAR(optimizer->group_lr(g), lrs[g], 1e-15 + 1e-12 * lrs[g]) << g;
  }
}

// The same schedulers in float32 (the ones test_optimizers_parity.cpp's cases do not train
// under), within float32's tolerances.
TEST(Float64, TheSchedulersInFloat32AsTorch) {
  const auto fixture = load_fixture("optimizers.json");
  const auto& cases = fixture.at("float32_schedule_cases");
  ASSERT_EQ(cases.size(), 5u);
  for (const auto& c : cases) {
    const std::string name = c.at("name");
    SCOPED_TRACE(name);
    nn::Sequential model;
    std::unique_ptr<optim::Optimizer> optimizer;
    const std::vector<double> losses = train_case(fixture, name, kFloat32, model, optimizer);
    ASSERT_TRUE(optimizer);
    EXPECT_LE(max_rel_diff64(losses, c.at("loss").get<std::vector<double>>()), 1e-4);
    for (const auto& [key, value] : model.named_parameters())
      EXPECT_LE(max_abs_diff64(value, ann::testing::fixture_tensor(c.at("parameters").at(key))), 5e-3) << key;
    const auto lrs = c.at("lrs").get<std::vector<double>>();
    for (std::size_t g = 0; g < lrs.size(); ++g) EXPECT_NEAR(optimizer->group_lr(g), lrs[g], 1e-15 + 1e-12 * lrs[g]) << g;
  }
}

// A float64 run with mini-batches, dropout and each optimizer, stopped, saved and resumed in
// fresh objects, continues bit for bit (the optimizers' state is saved as F64).
TEST(Float64, CheckpointsResumeBitForBit) {
  manual_seed(11);
  const Tensor X = randn({40, 3}, TensorOptions().dtype(kFloat64));
  const Tensor y = randint(0, 2, {40});
  const auto path = std::filesystem::temp_directory_path() / "ann_float64_checkpoint.safetensors";
  for (const std::string name : {"sgd_nesterov", "adam_amsgrad", "rmsprop_centered_momentum", "adagrad", "adamw"}) {
    SCOPED_TRACE(name);
    auto fresh = [] {
      manual_seed(2);
      nn::Sequential model{nn::Linear(3, 8), nn::Dropout(0.2), nn::Linear(8, 8), nn::Tanh(), nn::Linear(8, 2)};
      model.to(kFloat64);
      return model;
    };
    auto run = [&](nn::Sequential& model, optim::Optimizer& optimizer, Generator& g, int epochs) {
      std::vector<double> losses;
      for (int epoch = 0; epoch < epochs; ++epoch) {
        data::DataLoader loader(data::TensorDataset(X, y), {.batch_size = 16, .shuffle = true, .generator = &g});
        for (const data::DataLoader::Batch& batch : loader) {
          Tensor loss = nn::functional::cross_entropy(model(batch[0]), batch[1]);
          losses.push_back(loss.item<double>());
          optimizer.zero_grad();
          loss.backward();
          optimizer.step();
        }
      }
      return losses;
    };
    nn::Sequential straight = fresh();
    auto straight_opt = make_optimizer(name, straight);
    Generator straight_g(9);
    manual_seed(21);
    const std::vector<double> all = run(straight, *straight_opt, straight_g, 6);

    nn::Sequential first = fresh();
    auto first_opt = make_optimizer(name, first);
    Generator g(9);
    manual_seed(21);
    std::vector<double> resumed = run(first, *first_opt, g, 3);
    save_checkpoint(path, first, *first_opt, default_generator().state(), 3, {{"loader", "9"}});
    const Generator::State loader_state = g.state();

    nn::Sequential second = fresh();
    auto second_opt = make_optimizer(name, second);
    const Checkpoint c = load_checkpoint(path, second, *second_opt);
    default_generator().set_state(c.generator);
    Generator g2(1);
    g2.set_state(loader_state);
    const std::vector<double> rest = run(second, *second_opt, g2, 3);
    resumed.insert(resumed.end(), rest.begin(), rest.end());
    EXPECT_EQ(resumed, all);
    EXPECT_EQ(second.parameters()[0].dtype(), kFloat64);
  }
  std::filesystem::remove(path);
}

}  // namespace
