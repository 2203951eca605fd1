// Micro-benchmarks of the kernels behind the lesson's training step (Google Benchmark).
// Shapes are the lesson's: a batch of 3000 points, 100 hidden units, 3 classes.
#include <benchmark/benchmark.h>

#include "ann/ann.h"
#include "machine_limits.h"

using namespace ann;

namespace {

// C = A Bᵀ for the spiral's layers, a large square case, wide layers' forward on mini-batches
// (C wider than tall: cut into tiles of columns, src/backend/cpu/gemm.cpp), and layers of many
// inputs and few outputs on many rows (src/backend/cpu/skinny_gemm.cpp).
void BM_matmul(benchmark::State& state) {
  const std::int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  manual_seed(0);
  const Tensor a = randn({m, k}), b = randn({n, k});
  for (auto _ : state) benchmark::DoNotOptimize(matmul(a, b.t()));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(m * n * k), benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}
BENCHMARK(BM_matmul)->Args({3000, 2, 100})->Args({3000, 100, 3})->Args({100, 3000, 3})->Args({1024, 1024, 1024})
    ->Args({59, 2927, 2927})->Args({128, 1024, 1024})->Args({53254, 262, 37})->Args({60000, 784, 64});

// A layer's weight gradient dzᵀ·x: dz [rows, outputs], x [rows, inputs]; Args: outputs,
// inputs, rows.
void BM_weight_gradient(benchmark::State& state) {
  const std::int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  manual_seed(0);
  const Tensor dz = randn({k, m}), x = randn({k, n});
  for (auto _ : state) benchmark::DoNotOptimize(matmul(dz.t(), x));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(m * n * k), benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}
BENCHMARK(BM_weight_gradient)
    ->Args({37, 262, 53254})->Args({120, 120, 69106})->Args({64, 784, 60000})->Args({256, 256, 65536})
    ->Args({29, 29, 8344})->Args({512, 512, 4096})->Args({300, 700, 3000})->Args({1024, 1024, 4096})
    ->Args({1024, 1024, 8192})->Args({353, 514, 1502})->Args({2927, 2927, 59});

void BM_relu(benchmark::State& state) {
  const Tensor x = randn({3000, 100});
  for (auto _ : state) benchmark::DoNotOptimize(relu(x));
  state.SetBytesProcessed(state.iterations() * x.numel() * 8);
}
BENCHMARK(BM_relu);

void BM_tanh(benchmark::State& state) {
  const Tensor x = randn({3000, 100});
  for (auto _ : state) benchmark::DoNotOptimize(tanh(x));
  state.SetBytesProcessed(state.iterations() * x.numel() * 8);
}
BENCHMARK(BM_tanh);

// Each activation alone (range 0 picks it), forward (range 1 = 0) or forward and backward (1),
// on 300 000 values of standard deviation range 2 / 10 (GELU's short form serves chunks near
// zero, elementwise.cpp): ns per value is the time over 300 000.
void BM_activation(benchmark::State& state) {
  const std::vector<std::pair<const char*, Tensor (*)(const Tensor&)>> activations{
      {"relu", [](const Tensor& v) { return relu(v); }},
      {"tanh", [](const Tensor& v) { return tanh(v); }},
      {"sigmoid", [](const Tensor& v) { return sigmoid(v); }},
      {"gelu", [](const Tensor& v) { return gelu(v); }},
      {"silu", [](const Tensor& v) { return silu(v); }},
      {"softplus", [](const Tensor& v) { return softplus(v); }},
      {"elu", [](const Tensor& v) { return elu(v); }},
      {"leaky_relu", [](const Tensor& v) { return leaky_relu(v); }}};
  const auto& [name, f] = activations.at(static_cast<std::size_t>(state.range(0)));
  const bool backward = state.range(1) == 1;
  const Tensor x = (randn({3000, 100}) * (state.range(2) / 10.0)).requires_grad_(backward);
  const Tensor dy = ones({3000, 100});
  for (auto _ : state) {
    const Tensor y = f(x);
    if (backward) y.backward(dy);
    benchmark::DoNotOptimize(y);
  }
  state.SetLabel(std::string(name) + (backward ? " forward+backward" : " forward"));
  state.counters["ns/value"] = benchmark::Counter(double(x.numel()), benchmark::Counter::kIsIterationInvariantRate |
                                                                          benchmark::Counter::kInvert);
}
BENCHMARK(BM_activation)->ArgsProduct({{0, 1, 2, 3, 4, 5, 6, 7}, {0, 1}, {5, 30}});

// A standalone activation's backward (not fused into a layer): y = f(x), dx = dy · f'(x).
void BM_unary_backward(benchmark::State& state) {
  const Tensor x = randn({3000, 100}).requires_grad_();
  const Tensor dy = ones({3000, 100});
  for (auto _ : state) {
    const Tensor y = state.range(0) == 0 ? relu(x) : tanh(x);
    y.backward(dy);
  }
  state.SetLabel(state.range(0) == 0 ? "relu" : "tanh");
}
BENCHMARK(BM_unary_backward)->Arg(0)->Arg(1);

void BM_add_bias(benchmark::State& state) {
  const Tensor x = randn({3000, 100}), b = randn({100});
  for (auto _ : state) benchmark::DoNotOptimize(x + b);
}
BENCHMARK(BM_add_bias);

void BM_log_softmax(benchmark::State& state) {
  const Tensor z = randn({3000, 3});
  for (auto _ : state) benchmark::DoNotOptimize(log_softmax(z, 1));
}
BENCHMARK(BM_log_softmax);

// Forward and backward of the fused cross-entropy over rows × classes: the lesson's, and the
// digits table's, and two of the sweep's (ns a logit).
void BM_cross_entropy(benchmark::State& state) {
  const std::int64_t rows = state.range(0), classes = state.range(1);
  Tensor z = randn({rows, classes}).requires_grad_();
  const Tensor y = argmax(randn({rows, classes}), 1);
  for (auto _ : state) {
    Tensor loss = nn::functional::cross_entropy(z, y);
    loss.backward();
  }
  state.counters["ns/value"] = benchmark::Counter(double(z.numel()), benchmark::Counter::kIsIterationInvariantRate |
                                                                         benchmark::Counter::kInvert);
}
BENCHMARK(BM_cross_entropy)->Args({3000, 3})->Args({1797, 10})->Args({4355, 23})->Args({1340, 98});

// Forward and backward of a reduced elementwise loss over 5156 × 15 values (the sweep's
// 199-17-15 net on 5156 rows): 0 MSE, 1 L1, 2 Huber, 3 BCE with logits. ns a value.
void BM_pointwise_loss(benchmark::State& state) {
  namespace F = nn::functional;
  manual_seed(0);
  Tensor x = randn({5156, 15}).requires_grad_();
  const Tensor y = randint(2, {5156, 15}).to(DType::Float32);
  for (auto _ : state) {
    Tensor loss;
    switch (state.range(0)) {
      case 0: loss = F::mse_loss(x, y); break;
      case 1: loss = F::l1_loss(x, y); break;
      case 2: loss = F::huber_loss(x, y); break;
      default: loss = F::binary_cross_entropy_with_logits(x, y); break;
    }
    loss.backward();
  }
  state.counters["ns/value"] = benchmark::Counter(double(x.numel()), benchmark::Counter::kIsIterationInvariantRate |
                                                                         benchmark::Counter::kInvert);
}
BENCHMARK(BM_pointwise_loss)->DenseRange(0, 3);

void BM_adam_step(benchmark::State& state) {
  Tensor w = randn({100, 100}).requires_grad_();
  w.set_grad(randn({100, 100}));
  optim::Adam adam({w}, {.lr = 1e-3, .weight_decay = 1e-5});
  for (auto _ : state) adam.step();
}
BENCHMARK(BM_adam_step);

// One whole training step of the lesson's two-layer model.
void BM_spiral_step(benchmark::State& state) {
  manual_seed(12345);
  auto [X, y] = data::spiral(1000, 3, 0.2);
  nn::Sequential model{nn::Linear(2, 100), nn::ReLU(), nn::Linear(100, 3)};
  nn::CrossEntropyLoss criterion;
  optim::Adam optimizer(model.parameters(), {.lr = 1e-3, .weight_decay = 1e-5});
  for (auto _ : state) {
    Tensor loss = criterion(model(X), y);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
}
BENCHMARK(BM_spiral_step);

// One training step of a regression net of the lesson: 100 points, Linear(1,100)–f–Linear(100,1),
// MSE, Adam. Arg 0: ReLU, 1: Tanh, 2: the linear fit Linear(1,1) (per-step overhead, little math).
void BM_regression_step(benchmark::State& state) {
  manual_seed(1);
  const Tensor X = linspace(-1, 1, 100).unsqueeze(1);
  const Tensor y = X * X * X - X;
  nn::Sequential model;
  if (state.range(0) == 2) {
    model.push_back(nn::Linear(1, 1));
  } else {
    model.push_back(nn::Linear(1, 100));
    if (state.range(0) == 0) model.push_back(nn::ReLU());
    else model.push_back(nn::Tanh());
    model.push_back(nn::Linear(100, 1));
  }
  nn::MSELoss criterion;
  optim::Adam optimizer(model.parameters(), {.lr = 1e-2, .weight_decay = 1e-5});
  for (auto _ : state) {
    Tensor loss = criterion(model(X), y);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
}
BENCHMARK(BM_regression_step)->Arg(0)->Arg(1)->Arg(2);

// The machine's limit for the kernels above: 512-bit multiply-adds per second on one core
// (bench/machine_limits.h). Reports GFLOP/s (2 per lane).
#if defined(__GNUC__) && defined(__x86_64__)
void BM_fma_peak(benchmark::State& state) {
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("fma")) {
    state.SkipWithError("needs AVX-512F and FMA");
    return;
  }
  constexpr std::int64_t kRounds = 1 << 20;
  for (auto _ : state) {
    std::int64_t rounds = kRounds;
    benchmark::DoNotOptimize(rounds);  // one real call per iteration, not one hoisted out of the loop
    benchmark::DoNotOptimize(bench::fma_chains(rounds));
  }
  state.counters["GFLOP/s"] = benchmark::Counter(kRounds * bench::kFmaChainFlops, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}
BENCHMARK(BM_fma_peak);
#endif

}  // namespace

BENCHMARK_MAIN();
