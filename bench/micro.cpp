// Micro-benchmarks of the kernels behind the lesson's training step (Google Benchmark).
// Shapes are the lesson's: a batch of 3000 points, 100 hidden units, 3 classes.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

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

// Arg 0: steps while √(1 − β2ᵗ) is below 1 in float (the optimizer made anew every 10 000
// steps); 1: steps from step 16 628 on, where it rounds to 1 and the kernel leaves out that
// division.
void BM_adam_step(benchmark::State& state) {
  Tensor w = randn({100, 100}).requires_grad_();
  w.set_grad(randn({100, 100}));
  auto make = [&w] { return std::make_unique<optim::Adam>(std::vector<Tensor>{w}, optim::AdamOptions{.lr = 1e-3, .weight_decay = 1e-5}); };
  auto adam = make();
  if (state.range(0) == 1)
    for (int t = 0; t < 16628; ++t) adam->step();
  int steps = 0;
  for (auto _ : state) {
    if (state.range(0) == 0 && ++steps % 10000 == 0) {
      state.PauseTiming();
      adam = make();
      state.ResumeTiming();
    }
    adam->step();
  }
  state.counters["ns/param"] = benchmark::Counter(double(w.numel()), benchmark::Counter::kIsIterationInvariantRate |
                                                                         benchmark::Counter::kInvert);
}
BENCHMARK(BM_adam_step)->Arg(0)->Arg(1);

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

// The floor of a tiny network's training step, for the sweep's tiny shapes (bench/README.md,
// stop 36): the step of a Sigmoid net with BCE with logits (mean) and AdamW (torch's defaults but
// lr 1e-3) written as plain loops over arrays made once, with no tensors, graph or dispatch — what
// a step costs with none of a library's bookkeeping, to set beside ann's time and the limit.
// Range 0 picks the widths, range 1 is the batch (consecutive rows of 64, cycled).
void BM_tiny_step_floor(benchmark::State& state) {
  const std::vector<std::vector<int>> nets{{2, 3, 22}, {4, 46, 46, 46, 46, 46, 3}};
  const std::vector<int>& d = nets.at(static_cast<std::size_t>(state.range(0)));
  const int B = static_cast<int>(state.range(1)), L = static_cast<int>(d.size()) - 1, rows = 64;
  std::vector<std::vector<float>> W(L), b(L), dW(L), db(L), mW(L), vW(L), mb(L), vb(L), h(L + 1), g(L + 1);
  for (int l = 0; l < L; ++l) {
    const std::size_t n = static_cast<std::size_t>(d[l] * d[l + 1]), o = static_cast<std::size_t>(d[l + 1]);
    W[l] = (randn({d[l + 1], d[l]}) * (1.0 / std::sqrt(d[l]))).to_vector<float>();
    b[l].assign(o, 0.01f);
    dW[l].assign(n, 0.f), mW[l].assign(n, 0.f), vW[l].assign(n, 0.f);
    db[l].assign(o, 0.f), mb[l].assign(o, 0.f), vb[l].assign(o, 0.f);
  }
  for (int l = 0; l <= L; ++l) h[l].assign(static_cast<std::size_t>(B * d[l]), 0.f), g[l] = h[l];
  const std::vector<float> X = randn({rows, d[0]}).to_vector<float>(), Y = (rand({rows, d[L]}) > 0.5).to(kFloat32).to_vector<float>();
  float loss = 0, beta1_t = 1, beta2_t = 1, bc1 = 1, bc2 = 1;
  int next = 0;
  auto adamw = [&](std::vector<float>& p, const std::vector<float>& grad, std::vector<float>& m, std::vector<float>& v) {
    for (std::size_t i = 0; i < p.size(); ++i) {
      p[i] *= 1.f - 1e-3f * 1e-2f;
      m[i] = 0.9f * m[i] + 0.1f * grad[i];
      v[i] = 0.999f * v[i] + 0.001f * grad[i] * grad[i];
      p[i] -= 1e-3f * (m[i] / bc1) / (std::sqrt(v[i] / bc2) + 1e-8f);
    }
  };
  for (auto _ : state) {
    for (int r = 0; r < B; ++r)
      for (int k = 0; k < d[0]; ++k) h[0][static_cast<std::size_t>(r * d[0] + k)] = X[static_cast<std::size_t>((next + r) % rows * d[0] + k)];
    for (int l = 0; l < L; ++l)  // h[l+1] = f(h[l] Wᵀ + b), the last layer without f
      for (int r = 0; r < B; ++r)
        for (int n = 0; n < d[l + 1]; ++n) {
          float z = b[l][static_cast<std::size_t>(n)];
          for (int k = 0; k < d[l]; ++k) z += h[l][static_cast<std::size_t>(r * d[l] + k)] * W[l][static_cast<std::size_t>(n * d[l] + k)];
          h[l + 1][static_cast<std::size_t>(r * d[l + 1] + n)] = l + 1 < L ? 1.f / (1.f + std::exp(-z)) : z;
        }
    loss = 0;
    const float scale = 1.f / static_cast<float>(B * d[L]);
    for (int i = 0; i < B * d[L]; ++i) {  // BCE with logits and its gradient σ(z) − y
      const float z = h[L][static_cast<std::size_t>(i)], y = Y[static_cast<std::size_t>((next + i / d[L]) % rows * d[L] + i % d[L])];
      loss += std::max(z, 0.f) - z * y + std::log1p(std::exp(-std::fabs(z)));
      g[L][static_cast<std::size_t>(i)] = (1.f / (1.f + std::exp(-z)) - y) * scale;
    }
    for (int l = L - 1; l >= 0; --l) {  // dW = gᵀ h, db = Σ g, g ← (g W) ⊙ h(1 − h)
      std::fill(dW[l].begin(), dW[l].end(), 0.f);
      std::fill(db[l].begin(), db[l].end(), 0.f);
      std::fill(g[l].begin(), g[l].end(), 0.f);
      for (int r = 0; r < B; ++r)
        for (int n = 0; n < d[l + 1]; ++n) {
          const float gn = g[l + 1][static_cast<std::size_t>(r * d[l + 1] + n)];
          db[l][static_cast<std::size_t>(n)] += gn;
          for (int k = 0; k < d[l]; ++k) {
            dW[l][static_cast<std::size_t>(n * d[l] + k)] += gn * h[l][static_cast<std::size_t>(r * d[l] + k)];
            g[l][static_cast<std::size_t>(r * d[l] + k)] += gn * W[l][static_cast<std::size_t>(n * d[l] + k)];
          }
        }
      if (l > 0)
        for (std::size_t i = 0; i < g[l].size(); ++i) g[l][i] *= h[l][i] * (1.f - h[l][i]);
    }
    beta1_t *= 0.9f, beta2_t *= 0.999f;
    bc1 = 1.f - beta1_t, bc2 = 1.f - beta2_t;
    for (int l = 0; l < L; ++l) adamw(W[l], dW[l], mW[l], vW[l]), adamw(b[l], db[l], mb[l], vb[l]);
    next = (next + B) % rows;
    benchmark::DoNotOptimize(loss);
  }
  state.counters["ns/step"] = benchmark::Counter(1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_tiny_step_floor)->Args({0, 1})->Args({1, 1});

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

// What a product kernel can reach at best (bench::product_tiles): register tiles of 8 × 48 and
// of 6 × 64 (the chain kernel's, src/backend/cpu/mlp_chain.cpp) over k = 128 and k = 44 with
// their panels in L1. Reports GFLOP/s, to set beside BM_fma_peak's.
void BM_product_ceiling(benchmark::State& state) {
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("fma")) {
    state.SkipWithError("needs AVX-512F and FMA");
    return;
  }
  const bool chain_tile = state.range(0) == 1;
  const int K = static_cast<int>(state.range(1)), rows = chain_tile ? 6 : 8, columns = chain_tile ? 64 : 48;
  std::vector<float> a(static_cast<std::size_t>(K * rows), 0.5f), b(static_cast<std::size_t>(K * columns), 0.25f),
      c(static_cast<std::size_t>(rows * columns));
  constexpr std::int64_t kRounds = 1 << 12;
  for (auto _ : state) {
    if (chain_tile) bench::product_tiles<6, 4>(kRounds, K, a.data(), b.data(), c.data());
    else bench::product_tiles<8, 3>(kRounds, K, a.data(), b.data(), c.data());
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel(chain_tile ? "6x64" : "8x48");
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * kRounds * rows * columns * K,
                                                 benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_product_ceiling)->Args({0, 128})->Args({1, 128})->Args({1, 44});

// The divider's rate: 512-bit divisions (range 0 = 0) or square roots (1) per second on one
// core, in lanes (G lanes/s), beside BM_fma_peak's multiply-adds; BM_adam_step needs one square
// root and two divisions per parameter.
void BM_divider_peak(benchmark::State& state) {
  if (!__builtin_cpu_supports("avx512f")) {
    state.SkipWithError("needs AVX-512F");
    return;
  }
  constexpr std::int64_t kRounds = 1 << 18;
  const bool square_roots = state.range(0) == 1;
  for (auto _ : state) {
    std::int64_t rounds = kRounds;
    benchmark::DoNotOptimize(rounds);
    benchmark::DoNotOptimize(bench::divider_chains(rounds, square_roots));
  }
  state.SetLabel(square_roots ? "sqrt" : "div");
  state.counters["Glanes/s"] = benchmark::Counter(kRounds * bench::kDividerChainLanes,
                                                  benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_divider_peak)->Arg(0)->Arg(1);
#endif

}  // namespace

BENCHMARK_MAIN();
