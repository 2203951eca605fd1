// The fused stack of narrow layers (src/ops/mlp_chain.h) that nn::Sequential runs for
// Linear – f – Linear – f – … with every layer at most 128 wide (or 1024 between thin sides):
// the same values and gradients as the layers one by one (up to float rounding) for every
// activation, depths, widths and row counts around the kernel's 16-row blocks and 256-row
// chunks, shapes drawn at random, layers without bias, x's own gradient, second derivatives,
// the same bits on any thread count, and where it must not apply.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ann/ann.h"
#include "backend/backend.h"
#include "cpu_level_check.h"
#include "ops/mlp_chain.h"

namespace ann {
namespace {

// widths[0] inputs, then one Linear per further width, each followed by `activation` but the last
// (which gets `last_activation` when it is not empty).
nn::Sequential make_net(const std::vector<std::int64_t>& widths, const std::string& activation, bool bias = true,
                        const std::string& last_activation = "") {
  nn::Sequential net;
  for (std::size_t i = 1; i < widths.size(); ++i) {
    net.push_back(nn::Linear(widths[i - 1], widths[i], bias));
    const std::string& f = i + 1 < widths.size() ? activation : last_activation;
    if (!f.empty()) net.push_back(nn::AnyModule(nn::make_activation(f)));
  }
  return net;
}

struct Pass {
  std::vector<float> y, dx;
  std::vector<std::vector<float>> grads;
  std::string node;
};

// The net on x, fused or layer by layer.
Tensor forward(nn::Sequential& net, const Tensor& x, bool fused) {
  if (fused) return net(x);
  nn::NoFusionGuard layer_by_layer;
  return net(x);
}

// One forward and backward of L = Σ y ⊙ w (w fixed, so that the outputs weigh differently).
Pass run(nn::Sequential& net, const Tensor& x, bool fused) {
  net.zero_grad();
  Tensor xg = x.detach().requires_grad_(true);
  const Tensor y = forward(net, xg, fused);
  const Tensor w = ann::tanh(arange(0, y.numel(), TensorOptions().dtype(DType::Float32)).reshape(y.sizes()) * 0.37f - 3.f);
  sum(y * w).backward();
  Pass r{y.to_vector<float>(), xg.grad().to_vector<float>(), {}, y.grad_fn_name()};
  for (const Tensor& p : net.parameters()) r.grads.push_back(p.grad().to_vector<float>());
  return r;
}

// |a − b| <= 2e-5 · max|b| + 1e-6 elementwise: float rounding in other orders, never a wrong term.
::testing::AssertionResult close(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << what << ": sizes differ";
  double largest = 0;
  for (float v : b) largest = std::max(largest, static_cast<double>(std::fabs(v)));
  const double tol = 2e-5 * largest + 1e-6;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!(std::fabs(a[i] - b[i]) <= tol))
      return ::testing::AssertionFailure() << what << " element " << i << ": fused " << a[i] << ", layer by layer "
                                           << b[i] << " (tolerance " << tol << ")";
  return ::testing::AssertionSuccess();
}

// Whether the Sequential of these widths (every layer at most kMlpChainMaxWidth wide) on `rows`
// rows ends in the chain's node, as src/nn/fusion.cpp chooses: from the first layer on, the
// longest chain of at least 2 layers that applies and pays (mlp_chain.h) is taken; a layer that
// starts none runs alone.
bool ends_in_chain(const std::vector<std::int64_t>& widths, std::int64_t rows) {
  const std::size_t layers = widths.size() - 1;
  for (std::size_t i = 0; i + 1 < layers; ++i) {
    std::int64_t multiply_adds = 0;
    for (std::size_t j = i; j < layers; ++j) multiply_adds += widths[j] * widths[j + 1];
    const bool applies = widths[i] <= backend::kMlpChainMaxWidth || rows < detail::kMlpChainWideInputRows;
    if (applies && detail::mlp_chain_pays(rows, multiply_adds, static_cast<std::int64_t>(layers - i))) return true;
  }
  return false;
}

void expect_same_as_layers(nn::Sequential& net, const Tensor& x, const std::string& what, bool chained = true) {
  const Pass fused = run(net, x, true), layers = run(net, x, false);
  ASSERT_EQ(fused.node == "mlp_chain", chained) << what << ": " << fused.node;
  ASSERT_NE(layers.node, "mlp_chain") << what;
  EXPECT_TRUE(close(fused.y, layers.y, what + " y"));
  EXPECT_TRUE(close(fused.dx, layers.dx, what + " dx"));
  for (std::size_t i = 0; i < fused.grads.size(); ++i)
    EXPECT_TRUE(close(fused.grads[i], layers.grads[i], what + " parameter " + std::to_string(i)));
}

// A layer up to 1024 wide between narrow ones joins the chain (mlp_chain_takes): its chunk's
// values fill several tiles of each product, both ways.
TEST(mlp_chain, WideLayersBetweenNarrowOnesAsTheLayers) {
  if (!randn({1}).device().is_cpu()) GTEST_SKIP() << "the chain kernel is the CPU's";
  manual_seed(5);
  for (const std::string f : {"elu", "gelu", "tanh"}) {
    nn::Sequential net = make_net({11, 593, 2}, f);
    expect_same_as_layers(net, randn({300, 11}), "11-593-2 " + f);
  }
  nn::Sequential both = make_net({3, detail::kMlpChainMaxThinWidth, 5, 129, 4}, "silu", false);
  expect_same_as_layers(both, randn({70, 3}), "3-1024-5-129-4 silu without bias");
}

TEST(mlp_chain, EveryActivationAsTheLayers) {
  if (!randn({1}).device().is_cpu()) GTEST_SKIP() << "the chain kernel is the CPU's";
  manual_seed(3);
  for (const std::string& f : nn::activation_names()) {
    nn::Sequential net = make_net({5, 9, 17, 9, 3}, f);
    // rows 300: a full 256-row chunk and a partial one whose last 16-row block is partial too
    expect_same_as_layers(net, randn({300, 5}) * 2.f, f);
  }
}

TEST(mlp_chain, ShapesAroundBlocksAndChunks) {
  if (!randn({1}).device().is_cpu()) GTEST_SKIP() << "the chain kernel is the CPU's";
  manual_seed(4);
  const std::vector<std::vector<std::int64_t>> nets = {
      {1, 1, 1, 1}, {2, 3, 22}, {3, 64, 128, 4}, {130, 17, 33, 1}, {16, 16, 16, 16, 16, 16, 16, 16, 16}, {300, 8, 2},
      // inputs of 4 vectors but a partial one (49–63), and of 5–7 vectors, to every layer's weights' gradient
      {52, 60, 113, 5}, {100, 72, 2},
      // a first layer of at most in / 5 (and 8) units, which reads x's rows instead of x in lanes
      // (mlp_chain.cpp's first_layer_from_rows): a whole number of vectors of x and a partial one
      {16, 3, 9, 2}, {44, 1, 1, 1, 4}, {64, 8, 5}, {37, 2, 30, 3}, {113, 7, 6}};
  for (const auto& widths : nets) {
    for (const std::int64_t rows : {1, 15, 16, 17, 255, 256, 257, 529}) {
      for (const bool bias : {true, false}) {
        nn::Sequential net = make_net(widths, "tanh", bias, "sigmoid");
        std::string what = "widths";
        for (auto w : widths) what += ' ' + std::to_string(w);
        // inputs wider than 128 go to the chain in batches under 64 rows only, and batches under
        // 16 rows only where the padding's work is small (mlp_chain.h); otherwise the first layer
        // runs alone and the layers after it may chain
        const bool chained = ends_in_chain(widths, rows);
        expect_same_as_layers(net, randn({rows, widths[0]}),
                              what + ", rows " + std::to_string(rows) + (bias ? "" : ", no bias"), chained);
      }
    }
  }
}

// Shapes that no list above names: depths, widths, rows, activations and bias drawn at random
// (seeded), so that a tile or a remainder the kernel mishandles for some width shows here
// (the lists above missed inputs of 49–63 modulo 64 in batches under 64 rows).
TEST(mlp_chain, DrawnShapesAsTheLayers) {
  if (!randn({1}).device().is_cpu()) GTEST_SKIP() << "the chain kernel is the CPU's";
  manual_seed(7);
  std::mt19937 draw(18);
  auto between = [&](std::int64_t lo, std::int64_t hi) { return lo + static_cast<std::int64_t>(draw() % (hi - lo + 1)); };
  const std::vector<std::string> activations = nn::activation_names();
  for (int trial = 0; trial < 60; ++trial) {
    std::vector<std::int64_t> widths{between(1, 200)};
    for (std::int64_t layers = between(2, 5); layers > 0; --layers) widths.push_back(between(1, 128));
    const std::int64_t rows = between(0, 3) == 0 ? between(1, 63) : between(64, 700);
    const std::string& f = activations[static_cast<std::size_t>(between(0, std::ssize(activations) - 1))];
    const bool bias = between(0, 3) != 0;
    nn::Sequential net = make_net(widths, f, bias);
    std::string what = f + " widths";
    for (auto w : widths) what += ' ' + std::to_string(w);
    const bool chained = ends_in_chain(widths, rows);
    expect_same_as_layers(net, randn({rows, widths[0]}), what + ", rows " + std::to_string(rows), chained);
  }
}

// A first layer that reads x's rows (37 inputs: two vectors and 5 more) loads a row's last
// vector whole, reading on into the next row, and must mask that row's values off: an infinite
// input (its own row's units saturate) leaves the row before it as the layers compute it.
TEST(mlp_chain, AnInfiniteInputSpoilsNoOtherRow) {
  if (!randn({1}).device().is_cpu()) GTEST_SKIP() << "the chain kernel is the CPU's";
  manual_seed(8);
  nn::Sequential net = make_net({37, 2, 3}, "tanh");
  Tensor x = randn({20, 37});
  x.select(0, 5).select(0, 0).fill_(std::numeric_limits<float>::infinity());
  const Tensor fused = forward(net, x, true), layers = forward(net, x, false);
  ASSERT_EQ(fused.grad_fn_name(), "mlp_chain");
  const std::vector<float> y = layers.to_vector<float>();
  ASSERT_TRUE(std::all_of(y.begin(), y.end(), [](float v) { return std::isfinite(v); }));
  EXPECT_TRUE(close(fused.to_vector<float>(), y, "y"));
}

TEST(mlp_chain, NoRowsGiveZeroGradients) {
  if (!randn({1}).device().is_cpu()) GTEST_SKIP() << "the chain kernel is the CPU's";
  manual_seed(5);
  nn::Sequential net = make_net({4, 8, 8, 2}, "relu");
  net.zero_grad();
  const Tensor y = net(randn({0, 4}));
  ASSERT_EQ(y.grad_fn_name(), "mlp_chain");
  EXPECT_EQ(y.sizes(), Shape({0, 2}));
  sum(y).backward();
  for (const Tensor& p : net.parameters()) {
    const std::vector<float> g = p.grad().to_vector<float>();
    EXPECT_TRUE(std::all_of(g.begin(), g.end(), [](float v) { return v == 0.f; }));
  }
}

// A gradient penalty differentiates the chain's derivative again, through its composition.
TEST(mlp_chain, SecondDerivativesAsTheLayers) {
  if (!randn({1}).device().is_cpu()) GTEST_SKIP() << "the chain kernel is the CPU's";
  manual_seed(6);
  for (const char* f : {"silu", "tanh", "softplus"}) {
    nn::Sequential net = make_net({3, 6, 5, 2}, f);
    const Tensor x = randn({40, 3});
    auto penalty_grads = [&](bool fused) {
      net.zero_grad();
      Tensor xg = x.detach().requires_grad_(true);
      const Tensor y = forward(net, xg, fused);
      const Tensor dx = autograd::grad({sum(y * y)}, {xg}, {}, std::nullopt, true)[0];
      sum(dx * dx).backward();
      std::vector<std::vector<float>> g;
      for (const Tensor& p : net.parameters()) g.push_back(p.grad().to_vector<float>());
      return g;
    };
    const auto fused = penalty_grads(true), layers = penalty_grads(false);
    for (std::size_t i = 0; i < fused.size(); ++i)
      EXPECT_TRUE(close(fused[i], layers[i], std::string(f) + " parameter " + std::to_string(i)));
  }
}

TEST(mlp_chain, SameBitsOnAnyThreadCount) {
  if (!randn({1}).device().is_cpu()) GTEST_SKIP() << "the chain kernel is the CPU's";
  manual_seed(7);
  nn::Sequential net = make_net({32, 64, 64, 64, 10}, "gelu");
  const Tensor x = randn({9000, 32});  // parts of whole chunks on several threads
  const int before = get_num_threads();
  set_num_threads(1);
  const Pass one = run(net, x, true);
  for (const int threads : {2, 3, 8}) {
    set_num_threads(threads);
    const Pass many = run(net, x, true);
    EXPECT_EQ(many.y, one.y) << threads << " threads";
    EXPECT_EQ(many.dx, one.dx) << threads << " threads";
    EXPECT_EQ(many.grads, one.grads) << threads << " threads";
  }
  set_num_threads(before);
}

// The chain reads and makes subnormal floats as zeros (src/backend/cpu/mlp_chain.cpp says
// why), on every thread it runs on, and leaves each thread's float mode as it found it.
TEST(mlp_chain, SubnormalsAreZerosInsideOnlyAndChangeNothingBeyondThem) {
  if (!randn({1}).device().is_cpu()) GTEST_SKIP() << "the chain kernel is the CPU's";
  manual_seed(5);
  nn::Sequential net = make_net({4, 8, 8, 3}, "tanh");
  const Tensor x = randn({5000, 4});
  const int before = get_num_threads();
  for (const int threads : {1, 2}) {
    set_num_threads(threads);
    // a loss whose gradient, 1e-39 per output, is subnormal: the fused weights' gradients are
    // zeros, the layers' are nonzero and smaller than 2⁻¹²⁶ times the rows
    auto gradients = [&](bool fused) {
      net.zero_grad();
      sum(forward(net, x, fused) * 1e-39f).backward();
      std::vector<float> g;
      for (const Tensor& p : net.parameters())
        for (float v : p.grad().to_vector<float>()) g.push_back(v);
      return g;
    };
    const std::vector<float> fused = gradients(true), layers = gradients(false);
    ASSERT_EQ(fused.size(), layers.size());
    bool any_layer_nonzero = false;
    for (std::size_t i = 0; i < fused.size(); ++i) {
      any_layer_nonzero = any_layer_nonzero || layers[i] != 0.f;
      EXPECT_EQ(fused[i], 0.f) << threads << " threads, gradient " << i;
      EXPECT_LE(std::fabs(fused[i] - layers[i]), 5000 * 0x1p-126f) << threads << " threads, gradient " << i;
    }
    EXPECT_TRUE(any_layer_nonzero);
    // after it, this thread and the pool's make subnormals again
    const Tensor tiny = full({1 << 17}, 0x1p-130f) * 0.5f;
    EXPECT_EQ(sum(tiny == 0.f).item<std::int64_t>(), 0) << threads << " threads";
  }
  set_num_threads(before);
}

TEST(mlp_chain, AppliesOnlyToNarrowFloatChains) {
  if (!randn({1}).device().is_cpu()) GTEST_SKIP() << "the chain kernel is the CPU's";
  manual_seed(8);
  // a layer wider than 1024 ends the chain, as does one wider than 128 whose inputs and next
  // layer's units are more than 64: the layers before it are one, it runs alone
  const std::int64_t too_wide = detail::kMlpChainMaxThinWidth + 1, wide_pair = backend::kMlpChainMaxWidth + 1;
  nn::Sequential wide = make_net({4, too_wide, 3}, "relu");
  EXPECT_NE(wide(randn({10, 4})).grad_fn_name(), "mlp_chain");
  nn::Sequential pair = make_net({4, wide_pair, wide_pair, 3}, "relu");
  EXPECT_NE(pair(randn({40, 4})).grad_fn_name(), "mlp_chain");
  nn::Sequential last = make_net({4, 9, wide_pair}, "relu");  // a wide layer nothing narrow follows
  EXPECT_NE(last(randn({40, 4})).grad_fn_name(), "mlp_chain");
  nn::Sequential thick = make_net({40, 300, 25}, "relu");  // 40 + 25 > 64
  EXPECT_NE(thick(randn({40, 40})).grad_fn_name(), "mlp_chain");
  nn::Sequential thin = make_net({40, 300, 24}, "relu");  // 40 + 24 = 64
  expect_same_as_layers(thin, randn({40, 40}), "40-300-24");
  nn::Sequential tail = make_net({4, too_wide, 9, 9, 2}, "elu");  // Linear(4, 1025) alone, then a chain of 3
  expect_same_as_layers(tail, randn({50, 4}), "a chain after a wide layer");
  // one layer is not a chain (Linear's own fused epilogue takes it)
  nn::Sequential single = make_net({4, 3}, "relu", true, "relu");
  EXPECT_NE(single(randn({10, 4})).grad_fn_name(), "mlp_chain");
  // float64 runs the layers
  nn::Sequential net = make_net({4, 8, 2}, "relu");
  net.to(DType::Float64);
  EXPECT_NE(net(randn({10, 4}, TensorOptions().dtype(DType::Float64))).grad_fn_name(), "mlp_chain");
  // the op itself says why it refuses
  const std::vector<detail::ChainStage> one_stage{{randn({3, 4}), Tensor(), {}}};
  EXPECT_THROW(detail::mlp_chain(randn({2, 4}), one_stage), ShapeError);
  // a wide stage whose next has no weights: refused by name, not read
  const std::vector<detail::ChainStage> no_next{{randn({200, 4}), Tensor(), {}}, {Tensor(), Tensor(), {}}};
  EXPECT_THROW(detail::mlp_chain(randn({2, 4}), no_next), ShapeError);
}

}  // namespace
}  // namespace ann
