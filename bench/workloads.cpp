// The workloads of bench/compare, run through ann's public API exactly as the examples use
// it (Sequential of Linear and activations, CrossEntropyLoss/MSELoss, Adam/SGD).
// Usage: ann_workload NAME [--threads N] [key=value ...]; prints "seconds <s>" for the timed
// part (`machine` prints the core's limits instead).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "ann/ann.h"
#include "ann/lesson.h"
#include "backend/cpu/sgemm.h"
#include "machine_limits.h"

using namespace ann;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double spiral(lesson::Activation activation, lesson::OptimizerKind optimizer) {
  lesson::SpiralConfig config{.activation = activation, .optimizer = optimizer};
  return lesson::run_spiral(config).history.seconds;
}

double regression() {
  const auto t0 = Clock::now();
  lesson::run_regression({});
  return since(t0);
}

// The decision-boundary mesh, arange(-1.1, 1.1, 0.01)² = 220 × 220 points, under no_grad;
// the median-free total of 20 evaluations, divided by 20.
double boundary() {
  manual_seed(12345);
  nn::Sequential model{nn::Linear(2, 100), nn::ReLU(), nn::Linear(100, 3)};
  const Tensor axis = arange(-1.1, 1.1, 0.01);
  const std::int64_t n = axis.size(0);
  Tensor mesh = empty({n * n, 2});
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      mesh.set<float>({i * n + j, 0}, axis.at<float>({j}));
      mesh.set<float>({i * n + j, 1}, axis.at<float>({i}));
    }
  NoGradGuard no_grad;
  argmax(model(mesh), 1);  // warm-up
  const auto t0 = Clock::now();
  for (int r = 0; r < 20; ++r) argmax(model(mesh), 1);
  return since(t0) / 20;
}

constexpr std::int64_t kBatch = 4096, kIn = 784, kHidden = 1024, kOut = 10;

// One SGD step of 784 -> 1024 -> 1024 -> 10 on a batch of 4096 (the median-free mean of 3
// steps after one warm-up step).
double large_step() {
  manual_seed(0);
  nn::Sequential model{nn::Linear(kIn, kHidden), nn::ReLU(), nn::Linear(kHidden, kHidden), nn::ReLU(),
                       nn::Linear(kHidden, kOut)};
  const Tensor X = randn({kBatch, kIn});
  const Tensor y = argmax(randn({kBatch, kOut}), 1);
  nn::CrossEntropyLoss criterion;
  optim::SGD optimizer(model.parameters(), {.lr = 1e-3});
  auto step = [&] {
    Tensor loss = criterion(model(X), y);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  };
  step();
  const auto t0 = Clock::now();
  for (int r = 0; r < 3; ++r) step();
  return since(t0) / 3;
}

// The same step's matrix products alone, straight into the sgemm library: the floor that
// the whole step is compared with.
double large_step_gemms() {
  std::vector<float> x(kBatch * kIn, 0.5f), w1(kHidden * kIn, 0.01f), w2(kHidden * kHidden, 0.01f),
      w3(kOut * kHidden, 0.01f), h(kBatch * kHidden), g(kBatch * kHidden), dw(kHidden * kHidden), o(kBatch * kOut);
  auto products = [&] {
    using backend::cpu::sgemm;
    sgemm(false, true, kBatch, kHidden, kIn, 1.f, x.data(), kIn, w1.data(), kIn, 0.f, h.data(), kHidden);  // h1
    sgemm(false, true, kBatch, kHidden, kHidden, 1.f, h.data(), kHidden, w2.data(), kHidden, 0.f, g.data(), kHidden);
    sgemm(false, true, kBatch, kOut, kHidden, 1.f, g.data(), kHidden, w3.data(), kHidden, 0.f, o.data(), kOut);
    sgemm(false, false, kBatch, kHidden, kOut, 1.f, o.data(), kOut, w3.data(), kHidden, 0.f, h.data(), kHidden);  // dh2
    sgemm(true, false, kOut, kHidden, kBatch, 1.f, o.data(), kOut, g.data(), kHidden, 0.f, dw.data(), kHidden);    // dW3
    sgemm(false, false, kBatch, kHidden, kHidden, 1.f, h.data(), kHidden, w2.data(), kHidden, 0.f, g.data(), kHidden);  // dh1
    sgemm(true, false, kHidden, kHidden, kBatch, 1.f, h.data(), kHidden, g.data(), kHidden, 0.f, dw.data(), kHidden);  // dW2
    std::vector<float> dw1(kHidden * kIn);
    sgemm(true, false, kHidden, kIn, kBatch, 1.f, g.data(), kHidden, x.data(), kIn, 0.f, dw1.data(), kIn);  // dW1
  };
  products();
  const auto t0 = Clock::now();
  for (int r = 0; r < 3; ++r) products();
  return since(t0) / 3;
}

// `ann train`'s default network and loop on a real table (examples/data): features (and a
// regression's target) standardised, 64-64 ReLU, Adam 1e-3, shuffled batches of 32, 100 epochs
// over all rows. The time is per epoch's training only; bench/compare divides by the rows.
constexpr int kTableEpochs = 100;

double table(const std::string& file, const std::string& target) {
  const csv::LabelledTable t = csv::read_labelled_file(std::string(ANN_EXAMPLES_DATA) + "/" + file, {.target = target});
  manual_seed(0);
  const Tensor X = data::Standardizer::fit(t.X).transform(t.X);
  const Tensor y = t.classification ? t.y : data::Standardizer::fit(t.y).transform(t.y);
  const std::int64_t in = X.size(1), out = t.classification ? static_cast<std::int64_t>(t.class_names.size()) : 1;
  nn::Sequential model{nn::Linear(in, 64), nn::ReLU(), nn::Linear(64, 64), nn::ReLU(), nn::Linear(64, out)};
  optim::Adam optimizer(model.parameters(), {.lr = 1e-3});
  data::DataLoader loader(data::TensorDataset(X, y), {.batch_size = 32, .shuffle = true});
  TrainStep::Criterion criterion;
  if (t.classification) criterion = nn::CrossEntropyLoss();
  else criterion = nn::MSELoss();
  TrainStep train_step(model, criterion, optimizer);
  const auto t0 = Clock::now();
  for (int epoch = 0; epoch < kTableEpochs; ++epoch) {
    for (const auto& batch : loader) train_step(batch[0], batch[1]);  // as `ann train`
  }
  return since(t0);
}

// ---- the shape sweep of bench/compare --sweep -------------------------------------------
// One fully connected network trained for `steps` steps, as a user writes it: Sequential of
// Linear (with or without bias) and one activation, a loss, an optimizer, and mini-batches
// that are consecutive row ranges of X (batch = rows: full batch), cycled. The time is that of
// the steps after the warm-up: one step, and one on the cycle's shorter last batch if any.
// bench/workloads.py's mlp() is the same in PyTorch; the spec's keys are bench/compare's (`in`,
// `widths`, `out`, `act`, `bias`, `loss`, `opt`, `rows`, `batch`, `steps`), and `step`:
// train_step (the default; ann::TrainStep, as `ann train` runs its steps) or five_steps
// (forward, loss, zero_grad, backward, step written out), the same numbers either way.
using Spec = std::map<std::string, std::string>;

std::int64_t spec_int(const Spec& spec, const std::string& key) { return std::stoll(spec.at(key)); }

std::unique_ptr<optim::Optimizer> optimizer_for(const std::string& name, const std::vector<Tensor>& parameters) {
  if (name == "sgd") return std::make_unique<optim::SGD>(parameters, optim::SGDOptions{.lr = 1e-3});
  if (name == "sgd_momentum") return std::make_unique<optim::SGD>(parameters, optim::SGDOptions{.lr = 1e-3, .momentum = 0.9});
  if (name == "adam") return std::make_unique<optim::Adam>(parameters, optim::AdamOptions{.lr = 1e-3});
  if (name == "adamw") return std::make_unique<optim::AdamW>(parameters, optim::AdamWOptions{.lr = 1e-3});
  if (name == "rmsprop") return std::make_unique<optim::RMSprop>(parameters, optim::RMSpropOptions{.lr = 1e-3});
  if (name == "adagrad") return std::make_unique<optim::Adagrad>(parameters, optim::AdagradOptions{.lr = 1e-3});
  throw ValueError("ann_workload mlp: unknown opt=" + name);
}

double mlp(const Spec& spec) {
  const std::int64_t in = spec_int(spec, "in"), out = spec_int(spec, "out"), rows = spec_int(spec, "rows"),
                     batch = spec_int(spec, "batch"), steps = spec_int(spec, "steps");
  const bool bias = spec.at("bias") == "1";
  const std::string& loss_name = spec.at("loss");
  manual_seed(0);
  nn::Sequential model;
  std::int64_t width = in;
  for (std::size_t start = 0, comma = 0; comma != std::string::npos && !spec.at("widths").empty(); start = comma + 1) {
    comma = spec.at("widths").find(',', start);
    const std::int64_t next = std::stoll(spec.at("widths").substr(start, comma - start));
    model.push_back(nn::Linear(width, next, bias));
    model.push_back(nn::make_activation(spec.at("act")));
    width = next;
  }
  model.push_back(nn::Linear(width, out, bias));
  const Tensor X = randn({rows, in});
  Tensor y;
  if (loss_name == "cross_entropy") y = randint(0, out, {rows});
  else if (loss_name == "bce_with_logits") y = (rand({rows, out}) > 0.5).to(kFloat32);
  else y = randn({rows, out});
  std::function<Tensor(const Tensor&, const Tensor&)> criterion;
  if (loss_name == "cross_entropy") criterion = nn::CrossEntropyLoss();
  else if (loss_name == "mse") criterion = nn::MSELoss();
  else if (loss_name == "l1") criterion = nn::L1Loss();
  else if (loss_name == "huber") criterion = nn::HuberLoss();
  else if (loss_name == "bce_with_logits") criterion = nn::BCEWithLogitsLoss();
  else throw ValueError("ann_workload mlp: unknown loss=" + loss_name);
  const auto optimizer = optimizer_for(spec.at("opt"), model.parameters());

  // step=train_step (the default) or five_steps: the same numbers either way
  const bool five_steps = spec.contains("step") && spec.at("step") == "five_steps";
  TrainStep train_step(model, criterion, *optimizer);
  auto train_on = [&](std::int64_t first, std::int64_t n) -> Tensor {  // a step on rows [first, first + n): its loss
    const Tensor xb = X.narrow(0, first, n), yb = y.narrow(0, first, n);
    if (!five_steps) return train_step(xb, yb);
    Tensor loss = criterion(model(xb), yb);
    optimizer->zero_grad();
    loss.backward();
    optimizer->step();
    return loss;
  };
  std::int64_t next_row = 0;
  auto step = [&]() -> Tensor {
    const std::int64_t first = next_row, n = std::min(batch, rows - first);
    next_row = first + n == rows ? 0 : first + n;
    return train_on(first, n);
  };
  // the losses bench/compare holds to PyTorch's (the same data, initial weights and steps): the
  // 10th timed step's (the last's, if fewer) and the last's, kept without their graphs (no step's
  // loss outlives its step)
  Tensor early = step().detach(), last = early;
  // and a warm-up step on the cycle's shorter last batch, where there is one: a step of another
  // batch size makes tensors of other sizes, whose memory its first step allocates and touches
  // (514-353×8-26's forward products on its 840-row batch averaged 1.6 ms over 20 steps, the
  // backward's of that size 1.0)
  if (const std::int64_t tail = rows % batch; tail != 0 && rows > batch) train_on(rows - tail, tail);
  const std::int64_t early_step = std::min<std::int64_t>(steps, 10) - 1;
  const auto t0 = Clock::now();
  for (std::int64_t s = 0; s < steps; ++s) {
    const Tensor loss = step();
    if (s == early_step) early = loss.detach();
    if (s == steps - 1) last = loss.detach();
  }
  const double seconds = since(t0);
  std::printf("early_loss %.9g\nloss %.9g\n", early.item<double>(), last.item<double>());
  return seconds;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: ann_workload spiral_relu_adam|spiral_linear_sgd|regression|boundary|large_step|"
                 "large_step_gemms|table_iris|table_wine|table_breast_cancer|table_digits|table_diabetes|"
                 "mlp|machine [--threads N] [key=value ...]\n");
    return 2;
  }
  const std::string name = argv[1];
  Spec spec;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) set_num_threads(std::stoi(argv[++i]));
    else if (const auto eq = arg.find('='); eq != std::string::npos) spec[arg.substr(0, eq)] = arg.substr(eq + 1);
    else throw ValueError("ann_workload: unexpected argument " + arg);
  }
  if (name == "machine") {
    std::printf("peak_flops %.6g\nbandwidth %.6g\nbandwidth_l3 %.6g\n", bench::measure_peak_flops(),
                bench::measure_bandwidth(), bench::measure_bandwidth(std::size_t{2} << 20, 20));
    return 0;
  }
  double seconds = 0;
  if (name == "spiral_relu_adam") seconds = spiral(lesson::Activation::ReLU, lesson::OptimizerKind::Adam);
  else if (name == "spiral_linear_sgd") seconds = spiral(lesson::Activation::None, lesson::OptimizerKind::SGD);
  else if (name == "regression") seconds = regression();
  else if (name == "boundary") seconds = boundary();
  else if (name == "large_step") seconds = large_step();
  else if (name == "large_step_gemms") seconds = large_step_gemms();
  else if (name == "table_iris") seconds = table("iris.csv", "species");
  else if (name == "table_wine") seconds = table("wine.csv", "cultivar");
  else if (name == "table_breast_cancer") seconds = table("breast_cancer.csv", "diagnosis");
  else if (name == "table_digits") seconds = table("digits.csv", "digit");
  else if (name == "table_diabetes") seconds = table("diabetes.csv", "progression");
  else if (name == "mlp") seconds = mlp(spec);
  else {
    std::fprintf(stderr, "ann_workload: unknown workload %s\n", name.c_str());
    return 2;
  }
  std::printf("seconds %.6f\n", seconds);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "ann_workload: %s\n", e.what());
  return 1;
}
