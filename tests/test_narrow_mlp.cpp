// The fused two-layer perceptron with narrow ends (src/ops/narrow_mlp.h) that nn::Sequential
// runs for Linear – f – Linear with at most 4 inputs and outputs: the same values and
// gradients as the layers one by one (up to float rounding), finite-difference gradients,
// every (in, out, activation) the kernel instantiates, batches that are not a multiple of its
// 16-row blocks, layers without bias, ReLU units left out where they are off (the same bits,
// and not past non-finite values), and where the fusion must not apply.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "ann/ann.h"
#include "backend/backend.h"
#include "cpu_level_check.h"
#include "drawn.h"
#include "gradcheck.h"
#include "ops/narrow_mlp.h"

namespace ann {
namespace {

nn::AnyModule activation_module(Activation f) {
  switch (f) {
    case Activation::ReLU: return nn::ReLU();
    case Activation::Tanh: return nn::Tanh();
    case Activation::Sigmoid: return nn::Sigmoid();
    case Activation::None: break;
  }
  return nn::Identity();
}

nn::Sequential make_net(std::int64_t in, std::int64_t hidden, std::int64_t out, Activation f, bool bias = true) {
  nn::Sequential net;
  net.push_back(nn::Linear(in, hidden, bias));
  if (f != Activation::None) net.push_back(activation_module(f));
  net.push_back(nn::Linear(hidden, out, bias));
  return net;
}

// The same net one layer after the other (linear() is the unfused, BLAS path).
Tensor layer_by_layer(nn::Sequential& net, const Tensor& x, Activation f) {
  auto& first = net.at<nn::Linear>(0);
  auto& last = net.at<nn::Linear>(net.size() - 1);
  return linear(linear(x, first.weight, first.bias, f), last.weight, last.bias);
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float a : v) m = std::max(m, static_cast<double>(std::fabs(a)));
  return m;
}

// |a − b| <= 1e-5 · max|b| + 1e-6 elementwise: float rounding, never a wrong term.
::testing::AssertionResult close(const Tensor& a, const Tensor& b, const std::string& what) {
  if (a.sizes() != b.sizes()) return ::testing::AssertionFailure() << what << ": shapes differ";
  const std::vector<float> x = a.to_vector<float>(), y = b.to_vector<float>();
  const double tol = 1e-5 * max_abs(y) + 1e-6;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!(std::fabs(x[i] - y[i]) <= tol)) {
      return ::testing::AssertionFailure() << what << " element " << i << ": fused " << x[i] << ", layer by layer "
                                           << y[i] << " (tolerance " << tol << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

const Activation kActivations[] = {Activation::None, Activation::ReLU, Activation::Tanh, Activation::Sigmoid};

// The backward's per-unit sums are written by the first chunk of rows; with no rows there is
// none, and the gradients must still be zeros (not what a previous pass left in that memory).
TEST(narrow_mlp, NoRowsGiveZeroGradients) {
  manual_seed(0);
  for (const Activation f : {Activation::ReLU, Activation::Tanh}) {
    nn::Sequential net = make_net(2, 40, 3, f);
    for (const std::int64_t rows : {33, 0}) {
      net.zero_grad();
      const Tensor y = net(randn({rows, 2}));
      ASSERT_EQ(y.grad_fn_name(), "narrow_mlp");
      sum(y * y).backward();
      for (const Tensor& p : net.parameters()) {
        const double largest = max_abs(p.grad().to_vector<float>());
        if (rows == 0) EXPECT_EQ(largest, 0.0) << "rows " << rows;
        else EXPECT_GT(largest, 0.0);
      }
    }
  }
}

TEST(narrow_mlp, SequentialFusesTheLessonsNetworksIntoOneNode) {
  manual_seed(0);
  nn::Sequential net{nn::Linear(2, 100), nn::ReLU(), nn::Linear(100, 3)};
  const Tensor y = net(randn({50, 2}));
  ASSERT_TRUE(y.requires_grad());
  EXPECT_EQ(y.grad_fn_name(), "narrow_mlp");
  // Four outputs still fuse, five do not; neither do three hidden layers.
  nn::Sequential wide{nn::Linear(2, 8), nn::ReLU(), nn::Linear(8, 5)};
  EXPECT_NE(wide(randn({4, 2})).grad_fn_name(), "narrow_mlp");
  nn::Sequential deep{nn::Linear(2, 8), nn::Tanh(), nn::Linear(8, 8), nn::Tanh(), nn::Linear(8, 3)};
  EXPECT_NE(deep(randn({4, 2})).grad_fn_name(), "narrow_mlp");
}

TEST(narrow_mlp, EqualsTheLayersOneByOneForEveryShapeAndActivation) {
  for (std::int64_t in = 1; in <= 4; ++in) {
    for (std::int64_t out = 1; out <= 4; ++out) {
      for (Activation f : kActivations) {
        for (std::int64_t m : {1, 15, 16, 17, 130, 300}) {  // 300: 2 full chunks of 128 rows and a part
          SCOPED_TRACE("in " + std::to_string(in) + " out " + std::to_string(out) + " activation " +
                       std::to_string(static_cast<int>(f)) + " rows " + std::to_string(m));
          manual_seed(static_cast<std::uint64_t>(100 * in + 10 * out + m));
          nn::Sequential net = make_net(in, 37, out, f);
          Tensor x = randn({m, in}).requires_grad_();
          const Tensor dy = randn({m, out});

          const Tensor fused = net(x);
          ASSERT_EQ(fused.grad_fn_name(), "narrow_mlp");
          (fused * dy).sum().backward();
          std::vector<Tensor> fused_grads{x.grad()};
          for (const Tensor& p : net.parameters()) fused_grads.push_back(p.grad());

          x.set_grad(Tensor());
          for (Tensor p : net.parameters()) p.set_grad(Tensor());
          const Tensor reference = layer_by_layer(net, x, f);
          (reference * dy).sum().backward();
          std::vector<Tensor> reference_grads{x.grad()};
          for (const Tensor& p : net.parameters()) reference_grads.push_back(p.grad());

          EXPECT_TRUE(close(fused, reference, "output"));
          const char* names[] = {"dx", "dW1", "db1", "dW2", "db2"};
          for (std::size_t i = 0; i < fused_grads.size(); ++i)
            EXPECT_TRUE(close(fused_grads[i], reference_grads[i], names[i]));
        }
      }
    }
  }
}

// Hidden widths and rows that no list names, drawn (1–3000 units log-uniform, 1–5000 rows), with
// every (in, out, activation) at some point, bias or not: fused against the layers one by one.
TEST(narrow_mlp, EqualsTheLayersOnDrawnHiddenWidthsAndRows) {
  std::mt19937 draw(41);
  for (int trial = 0; trial < 40; ++trial) {
    const std::int64_t in = 1 + trial % 4, out = 1 + trial / 4 % 4;
    const std::int64_t hidden = ann::testing::log_uniform(draw, 3000), m = ann::testing::log_uniform(draw, 5000);
    const Activation f = kActivations[draw() % 4];
    const bool bias = draw() % 4 != 0;
    SCOPED_TRACE("in " + std::to_string(in) + " hidden " + std::to_string(hidden) + " out " + std::to_string(out) +
                 " activation " + std::to_string(static_cast<int>(f)) + " rows " + std::to_string(m) +
                 (bias ? "" : " no bias"));
    manual_seed(static_cast<std::uint64_t>(500 + trial));
    nn::Sequential net = make_net(in, hidden, out, f, bias);
    Tensor x = randn({m, in}).requires_grad_();
    const Tensor dy = randn({m, out});
    auto grads_of = [&](const Tensor& y) {
      x.set_grad(Tensor());
      for (Tensor p : net.parameters()) p.set_grad(Tensor());
      (y * dy).sum().backward();
      std::vector<Tensor> grads{x.grad()};
      for (const Tensor& p : net.parameters()) grads.push_back(p.grad());
      return grads;
    };
    const Tensor fused = net(x);
    ASSERT_EQ(fused.grad_fn_name(), "narrow_mlp");
    const std::vector<Tensor> fused_grads = grads_of(fused);
    const Tensor reference = layer_by_layer(net, x, f);
    const std::vector<Tensor> reference_grads = grads_of(reference);
    EXPECT_TRUE(close(fused, reference, "output"));
    for (std::size_t i = 0; i < fused_grads.size(); ++i)
      EXPECT_TRUE(close(fused_grads[i], reference_grads[i], "gradient " + std::to_string(i)));
  }
}

TEST(narrow_mlp, GradientsMatchFiniteDifferences) {
  for (Activation f : kActivations) {
    SCOPED_TRACE(static_cast<int>(f));
    manual_seed(3);
    nn::Sequential net = make_net(2, 6, 3, f);
    Tensor x = randn({21, 2}).requires_grad_();
    std::vector<Tensor> leaves{x};
    for (const Tensor& p : net.parameters()) leaves.push_back(p);
    // ReLU's kink: a central difference across it is meaningless, so every pre-activation is
    // moved at least 0.1 from 0 (steps of 0.01 change them by far less).
    auto min_pre_activation = [&] {
      NoGradGuard no_grad;
      auto& first = net.at<nn::Linear>(0);
      const std::vector<float> z = linear(x, first.weight, first.bias).to_vector<float>();
      std::size_t at = 0;
      for (std::size_t i = 1; i < z.size(); ++i)
        if (std::fabs(z[i]) < std::fabs(z[at])) at = i;
      return std::pair{std::fabs(z[at]), at};
    };
    for (int pass = 0; pass < 1000 && min_pre_activation().first < 0.1f; ++pass)
      x.data<float>()[min_pre_activation().second / 6 * 2] += 0.05f;  // that row's first coordinate
    ASSERT_GE(min_pre_activation().first, 0.1f);
    EXPECT_TRUE(testing::check_gradients([&] { return net(x); }, leaves));
  }
}

TEST(narrow_mlp, LayersWithoutBiasAndInputsWithoutGradient) {
  for (bool bias : {false, true}) {
    manual_seed(5);
    nn::Sequential net = make_net(3, 20, 2, Activation::Tanh, bias);
    const Tensor x = randn({40, 3});  // data: no gradient wanted
    const Tensor y = net(x);
    ASSERT_EQ(y.grad_fn_name(), "narrow_mlp");
    EXPECT_TRUE(close(y, layer_by_layer(net, x, Activation::Tanh), "output"));
    y.sum().backward();
    EXPECT_FALSE(x.grad().defined());
    for (const Tensor& p : net.parameters()) EXPECT_TRUE(p.grad().defined());
    EXPECT_EQ(net.parameters().size(), bias ? 4u : 2u);
  }
}

// The parameters' gradients of one backward of the net on x, as float vectors.
std::vector<std::vector<float>> gradients_of_a_pass(nn::Sequential& net, const Tensor& x, const Tensor& weights) {
  sum(net(x) * weights).backward();
  std::vector<std::vector<float>> g;
  for (const Tensor& p : net.parameters()) g.push_back(p.grad().to_vector<float>());
  return g;
}

// Where the parameters hold gradients already, the kernel adds into them itself (autograd's
// sinks) while x's gradient is written and added by the engine: the results must be the
// engine's additions, bit for bit, old + new, on every path (the affine one without
// activation, ReLU's, the others').
TEST(narrow_mlp, AddsIntoExistingGradientsAsTheEngineWould) {
  for (const Activation f : kActivations) {
    manual_seed(3);
    nn::Sequential net = make_net(2, 37, 3, f);
    const Tensor x = randn({50, 2}).requires_grad_(), weights = randn({50, 3});
    auto fresh = gradients_of_a_pass(net, x, weights);  // no gradients before: no sinks
    fresh.push_back(x.grad().to_vector<float>());
    std::vector<std::vector<float>> old;
    for (Tensor p : net.parameters()) {
      p.set_grad(randn(p.sizes()));
      old.push_back(p.grad().to_vector<float>());
    }
    old.push_back(x.grad().to_vector<float>());
    auto summed = gradients_of_a_pass(net, x, weights);
    summed.push_back(x.grad().to_vector<float>());
    for (std::size_t i = 0; i < fresh.size(); ++i)
      for (std::size_t e = 0; e < fresh[i].size(); ++e)
        ASSERT_EQ(summed[i][e], old[i][e] + fresh[i][e])
            << "activation " << static_cast<int>(f) << " gradient " << i << " element " << e;
  }
}

// The kernel adds into the parameters' sinks only where that cannot change a bit: every
// needed one there, contiguous float32, in memory that no other sink and nothing read shares.
TEST(narrow_mlp, SinksAreTakenOnlyWhenTheirMemoryIsTheirOwn) {
  Tensor W1g = zeros({4, 1}), b1g = zeros({4}), W2g = zeros({1, 4}), b2g = zeros({1});
  const Tensor x = zeros({3, 1});
  std::array<Tensor*, 5> sinks{nullptr, &W1g, &b1g, &W2g, &b2g};
  const std::array<bool, 5> all{false, true, true, true, true};
  auto takes = [&](const std::array<bool, 5>& need, std::initializer_list<const Tensor*> reads) {
    return detail::narrow_mlp_adds_into_sinks(sinks, need, reads);
  };
  EXPECT_TRUE(takes(all, {&x}));
  sinks[2] = nullptr;  // b1 has no gradient yet
  EXPECT_FALSE(takes(all, {&x}));
  EXPECT_TRUE(takes({false, true, false, true, true}, {&x}));  // unless b1 needs none
  Tensor shared = zeros({4}), shared_row = shared.unsqueeze(0);
  sinks[2] = &shared;
  sinks[3] = &shared_row;  // b1's and W2's gradients in one block of memory
  EXPECT_FALSE(takes(all, {&x}));
  sinks[3] = &W2g;
  EXPECT_TRUE(takes(all, {&x}));
  EXPECT_FALSE(takes(all, {&x, &shared_row}));  // memory the kernel reads, or x's gradient
  Tensor column = zeros({4, 2}).slice(1, 0, 1);
  sinks[1] = &column;  // not contiguous
  EXPECT_FALSE(takes(all, {&x}));
  Tensor whole = zeros({4, 1}), counts = zeros({1}, TensorOptions().dtype(DType::Int64));
  sinks[1] = &whole;
  sinks[4] = &counts;  // not float32
  EXPECT_FALSE(takes(all, {&x}));
  EXPECT_TRUE(takes({false, true, true, true, false}, {&x}));  // unless b2 needs none
  EXPECT_FALSE(detail::narrow_mlp_adds_into_sinks(std::span(sinks).first(4), {false, true, true, true, false}, {&x}))
      << "fewer sinks than inputs";
}

// x's own gradient shares memory with b1's (views of one tensor): the engine adds dx after the
// kernel, so the kernel must not add db1 first — the order stays the engine's, dx then db1.
TEST(narrow_mlp, ParametersSharingMemoryWithTheInputsGradientWaitForIt) {
  manual_seed(6);
  nn::Sequential net = make_net(1, 40, 1, Activation::Tanh);
  Tensor x = randn({40, 1}).requires_grad_();
  const Tensor weights = randn({40, 1});
  const auto fresh = gradients_of_a_pass(net, x, weights);  // W1, b1, W2, b2
  const std::vector<float> fresh_dx = x.grad().to_vector<float>();
  const Tensor shared = randn({40});
  const std::vector<float> before = shared.to_vector<float>();
  auto& first = net.at<nn::Linear>(0);
  auto& last = net.at<nn::Linear>(2);
  x.set_grad(shared.unsqueeze(1));
  first.bias.set_grad(shared);
  first.weight.set_grad(zeros({40, 1}));
  last.weight.set_grad(zeros({1, 40}));
  last.bias.set_grad(zeros({1}));
  gradients_of_a_pass(net, x, weights);
  const std::vector<float> after = shared.to_vector<float>();
  for (std::size_t e = 0; e < after.size(); ++e) ASSERT_EQ(after[e], (before[e] + fresh_dx[e]) + fresh[1][e]) << e;
}

// Two parameters whose gradients share memory (set_grad with views of one tensor): the kernel
// must leave the additions to the engine, which makes them in input order — b1's before W2's.
TEST(narrow_mlp, GradientsSharingMemoryAreAddedByTheEngineInOrder) {
  manual_seed(4);
  nn::Sequential net = make_net(1, 40, 1, Activation::ReLU);
  const Tensor x = randn({30, 1}), weights = randn({30, 1});
  const auto fresh = gradients_of_a_pass(net, x, weights);  // W1, b1, W2, b2
  const Tensor shared = randn({40});
  const std::vector<float> before = shared.to_vector<float>();
  auto& first = net.at<nn::Linear>(0);
  auto& last = net.at<nn::Linear>(2);
  first.bias.set_grad(shared);
  last.weight.set_grad(shared.unsqueeze(0));
  first.weight.set_grad(zeros({40, 1}));
  last.bias.set_grad(zeros({1}));
  gradients_of_a_pass(net, x, weights);
  const std::vector<float> after = shared.to_vector<float>();
  for (std::size_t e = 0; e < after.size(); ++e) ASSERT_EQ(after[e], (before[e] + fresh[1][e]) + fresh[2][e]) << e;
}

// The Tanh forward takes the short tanh for units whose pre-activations it bounds inside
// (−1, 1) over a block of rows and the general one elsewhere: weights scaled so that units fall
// on either side and across the bound (pre-activations from 0 to about ±4), sorted rows so that
// whole blocks share a side, and a batch that ends in a partial block. A bound that let a value
// past 1 into the short formula would be off by far more than the tolerance.
TEST(narrow_mlp, TanhUnitsInsideAndOutsideTheBoundAgreeWithTheLayers) {
  manual_seed(11);
  nn::Sequential net = make_net(1, 64, 1, Activation::Tanh);
  {
    NoGradGuard no_grad;
    auto& first = net.at<nn::Linear>(0);
    std::vector<float> w(64);
    for (std::size_t j = 0; j < w.size(); ++j) w[j] = (j % 2 ? -1.f : 1.f) * (0.1f + 3.9f * static_cast<float>(j) / 63);
    first.weight.copy_(from_vector(w, {64, 1}));
    first.bias.copy_(first.bias * 0.5f);
  }
  for (std::int64_t m : {100, 37}) {
    const Tensor x = linspace(-1, 1, m).unsqueeze(1);
    const Tensor y = net(x);
    ASSERT_EQ(y.grad_fn_name(), "narrow_mlp");
    EXPECT_TRUE(close(y, layer_by_layer(net, x, Activation::Tanh), "output, m = " + std::to_string(m)));
  }
}

// Large terms that cancel: every row's pre-activation is 13 · 8388607 − 109051888, which is 3
// exactly but rounds to 0 when the product is rounded first (13 · 8388607 lies between
// multiples of 8). A bound computed from rounded terms would call it 0 and send it to the short
// tanh, which is valid only below 1 (its polynomial at 3 is far from 1); the kernel must take
// the general tanh. Its fused multiply-add sees 3 (tanh 3), a build without FMA sees 0.
TEST(narrow_mlp, TanhOfLargeCancellingTermsIsNotTakenForSmall) {
  nn::Sequential net = make_net(1, 1, 1, Activation::Tanh);
  {
    NoGradGuard no_grad;
    net.at<nn::Linear>(0).weight.copy_(from_vector(std::vector<float>{13.f}, {1, 1}));
    net.at<nn::Linear>(0).bias.copy_(from_vector(std::vector<float>{-109051888.f}, {1}));
    net.at<nn::Linear>(2).weight.copy_(from_vector(std::vector<float>{1.f}, {1, 1}));
    net.at<nn::Linear>(2).bias.copy_(from_vector(std::vector<float>{0.f}, {1}));
  }
  const Tensor x = full({16, 1}, 8388607.f);
  const Tensor y = net(x);
  ASSERT_EQ(y.grad_fn_name(), "narrow_mlp");
  for (std::int64_t r = 0; r < 16; ++r) {
    const float v = y.at<float>({r, 0});
    EXPECT_TRUE(std::fabs(v - std::tanh(3.f)) < 1e-6f || v == 0.f) << "row " << r << ": " << v;
  }
}

// The bits of a float tensor, so that +0 and −0, or two NaNs, compare as what they are.
std::vector<std::uint32_t> bits_of(const Tensor& t) {
  std::vector<std::uint32_t> bits;
  for (float v : t.to_vector<float>()) bits.push_back(std::bit_cast<std::uint32_t>(v));
  return bits;
}

// Rows along a curve, in order, as the lesson's spiral: 16 consecutive rows lie close together,
// so that many ReLU units are off on a whole block of them and the kernel leaves them out.
Tensor rows_along_a_curve(std::int64_t m, std::int64_t in = 2) {
  std::vector<float> rows;
  for (std::int64_t r = 0; r < m; ++r) {
    const double t = static_cast<double>(r) / static_cast<double>(m);
    for (std::int64_t i = 0; i < in; ++i) rows.push_back(static_cast<float>(t * std::cos(6 * t + 2 * i)));
  }
  return from_vector(rows, {m, in});
}

// The block cache hands freed blocks out again: a block of NaNs freed just before a forward of
// this size becomes its hidden buffer, so that reading an activation the forward did not write
// would show.
void leave_nans_for_the_hidden_buffer(std::int64_t m, std::int64_t hidden) {
  (void)full({backend::narrow_mlp_hidden_floats(m, hidden)}, std::nanf(""));
}

// Leaving out the ReLU units that are off on a block must change no bit of the output or of
// the gradients. A W2 that is not finite turns the leaving out off (0·∞ is no zero term), so
// a copy of the net with an infinite weight in its last output computes every unit: its other
// outputs and all the gradients must be the same to the bit. The infinite weight sits on a
// unit that is off on every row (zero weights, bias −1), whose gradients are then 0 in both.
// 131 units (three bit words, the last partly used, an odd count), 530 rows (three runs of 16
// blocks, the last one partial), every (in, out) that leaves units out with 3 or 4 ends, x
// wanting its gradient, and a second backward with dy infinite on one row (that run of blocks
// computes every unit, reading the left-out ones as zeros).
TEST(narrow_mlp, LeavingOutReluUnitsThatAreOffChangesNoBit) {
  constexpr std::int64_t H = 131, m = 530, kOff = 7;
  for (const auto& [in, out] : {std::pair<std::int64_t, std::int64_t>{2, 2}, {1, 3}, {3, 1}, {2, 3}}) {
    SCOPED_TRACE("in " + std::to_string(in) + " out " + std::to_string(out));
    manual_seed(static_cast<std::uint64_t>(21 + in * 10 + out));
    nn::Sequential net = make_net(in, H, out, Activation::ReLU), copy = make_net(in, H, out, Activation::ReLU);
    {
      NoGradGuard no_grad;
      auto& first = net.at<nn::Linear>(0);
      for (std::int64_t i = 0; i < in; ++i) first.weight.data<float>()[kOff * in + i] = 0.f;
      first.bias.data<float>()[kOff] = -1.f;
      for (std::size_t i = 0; i < net.parameters().size(); ++i) copy.parameters()[i].copy_(net.parameters()[i]);
      copy.at<nn::Linear>(2).weight.data<float>()[(out - 1) * H + kOff] = std::numeric_limits<float>::infinity();
    }
    {
      // The test means something only if whole blocks of a unit are off: count them.
      NoGradGuard no_grad;
      auto& first = net.at<nn::Linear>(0);
      const std::vector<float> z = linear(rows_along_a_curve(m, in), first.weight, first.bias).to_vector<float>();
      int off = 0;
      for (std::int64_t b = 0; b + 16 <= m; b += 16)
        for (std::int64_t j = 0; j < H; ++j) {
          bool all_negative = true;
          for (std::int64_t r = b; r < b + 16; ++r) all_negative = all_negative && z[r * H + j] < -0.01f;
          off += all_negative;
        }
      ASSERT_GT(off, m / 16 * H / 4) << "fewer than a quarter of the (block, unit) pairs are off";
    }
    for (const bool infinite_dy : {false, true}) {
      SCOPED_TRACE(infinite_dy ? "dy infinite on row 300" : "dy finite");
      std::vector<std::vector<std::uint32_t>> results[2];
      nn::Sequential* nets[2] = {&net, &copy};
      for (int n = 0; n < 2; ++n) {
        manual_seed(5);
        Tensor x = rows_along_a_curve(m, in).requires_grad_();
        std::vector<float> dy = randn({m, out}).to_vector<float>();
        if (infinite_dy) dy[300 * out] = std::numeric_limits<float>::infinity();
        nets[n]->zero_grad();
        leave_nans_for_the_hidden_buffer(m, H);
        const Tensor y = (*nets[n])(x);
        ASSERT_EQ(y.grad_fn_name(), "narrow_mlp");
        (y * from_vector(dy, {m, out})).sum().backward();
        std::vector<std::uint32_t> first_outputs;
        const std::vector<std::uint32_t> all = bits_of(y);
        for (std::int64_t r = 0; r < m; ++r)
          for (std::int64_t k = 0; k + 1 < out; ++k) first_outputs.push_back(all[r * out + k]);
        results[n].push_back(first_outputs);
        results[n].push_back(bits_of(x.grad()));
        for (const Tensor& p : nets[n]->parameters()) results[n].push_back(bits_of(p.grad()));
      }
      const char* names[] = {"outputs but the last", "dx", "dW1", "db1", "dW2", "db2"};
      for (std::size_t i = 0; i < results[0].size(); ++i) EXPECT_EQ(results[0][i], results[1][i]) << names[i];
    }
  }
}

// Every unit off on every row (biases far below the inputs' reach): the kernel leaves them all
// out, and must still let a NaN input, an infinite output weight or an infinite output
// gradient through as the layers do. Two outputs, so that the nets are ones that leave units
// out (in + out >= 4).
TEST(narrow_mlp, ReluUnitsAreNotLeftOutPastNonFiniteValues) {
  manual_seed(22);
  auto all_off = [](std::int64_t hidden) {
    nn::Sequential net = make_net(2, hidden, 2, Activation::ReLU);
    NoGradGuard no_grad;
    net.at<nn::Linear>(0).bias.fill_(-10.f);
    return net;
  };
  nn::Sequential net = all_off(24);
  const Tensor x = rows_along_a_curve(64);
  const std::vector<float> b2 = net.at<nn::Linear>(2).bias.to_vector<float>();
  const std::vector<float> y_off = net(x).to_vector<float>();
  for (std::int64_t r = 0; r < 64; ++r)
    for (std::int64_t k = 0; k < 2; ++k)
      ASSERT_EQ(std::bit_cast<std::uint32_t>(y_off[r * 2 + k]), std::bit_cast<std::uint32_t>(b2[k]));  // y = b2

  // A NaN row, at each place in a block, in a net of 4 units (the bounds of 16 units at a time
  // have lanes for no unit, where a NaN among the inputs could hide).
  nn::Sequential narrow = all_off(4);
  const std::vector<float> narrow_b2 = narrow.at<nn::Linear>(2).bias.to_vector<float>();
  for (std::int64_t r = 16; r < 32; ++r) {
    Tensor with_nan = rows_along_a_curve(64);
    with_nan.data<float>()[2 * r] = std::nanf("");
    const std::vector<float> y = narrow(with_nan).to_vector<float>();
    EXPECT_TRUE(std::isnan(y[r * 2])) << "row " << r;
    EXPECT_EQ(y[(r == 16 ? 17 : 16) * 2], narrow_b2[0]);
  }

  // An infinite output weight: its unit's h = 0 times ∞ is NaN on every row, as in the layers.
  nn::Sequential infinite = make_net(2, 24, 2, Activation::ReLU);
  {
    NoGradGuard no_grad;
    for (std::size_t i = 0; i < net.parameters().size(); ++i) infinite.parameters()[i].copy_(net.parameters()[i]);
    infinite.at<nn::Linear>(2).weight.data<float>()[3] = std::numeric_limits<float>::infinity();
  }
  const std::vector<float> y_inf = infinite(x).to_vector<float>();
  for (std::int64_t r = 0; r < 64; ++r) {
    EXPECT_TRUE(std::isnan(y_inf[r * 2])) << "row " << r;
    EXPECT_EQ(y_inf[r * 2 + 1], y_off[r * 2 + 1]);
  }

  // dy infinite on one row: dW2 = Σ dy h has ∞ · 0 = NaN, as the layers' product has.
  std::vector<float> dy(64 * 2, 1.f);
  dy[40 * 2] = std::numeric_limits<float>::infinity();
  (net(x) * from_vector(dy, {64, 2})).sum().backward();
  const std::vector<float> dW2 = net.at<nn::Linear>(2).weight.grad().to_vector<float>();
  net.zero_grad();
  (layer_by_layer(net, x, Activation::ReLU) * from_vector(dy, {64, 2})).sum().backward();
  const std::vector<float> dW2_layers = net.at<nn::Linear>(2).weight.grad().to_vector<float>();
  for (std::size_t j = 0; j < 24; ++j) {
    EXPECT_TRUE(std::isnan(dW2[j])) << "unit " << j;  // the first output's row
    EXPECT_TRUE(std::isnan(dW2_layers[j])) << "unit " << j;
    EXPECT_EQ(dW2[24 + j], 0.f) << "unit " << j;  // the second output's: dy finite there
  }
}

// A sum whose fused multiply-adds round a tiny negative value to −0: computing the units that
// are off would add +0 to it and give +0, so leaving them out must give +0 as well. Units 0
// and 1 have h = 2^-75 and output weights −2^-85 (products −2^-160, below the smallest float);
// units 2 and 3 are off (pre-activation −1) and are left out.
TEST(narrow_mlp, ASumRoundedToMinusZeroComesOutPlusZero) {
  nn::Sequential net = make_net(2, 4, 2, Activation::ReLU, /*bias=*/false);
  {
    NoGradGuard no_grad;
    net.at<nn::Linear>(0).weight.copy_(from_vector(std::vector<float>{0x1p-75f, 0.f, 0x1p-75f, 0.f, -1.f, 0.f, -1.f, 0.f}, {4, 2}));
    net.at<nn::Linear>(2).weight.copy_(from_vector(std::vector<float>{-0x1p-85f, -0x1p-85f, 1.f, 1.f, 1.f, 1.f, 1.f, 1.f}, {2, 4}));
  }
  const Tensor x = full({16, 2}, 1.f);
  const std::vector<std::uint32_t> y = bits_of(net(x));
  for (std::int64_t r = 0; r < 16; ++r) EXPECT_EQ(y[r * 2], 0u) << "row " << r << ": not +0";
}

TEST(narrow_mlp, UnderNoGradItIsAPlainForward) {
  manual_seed(9);
  nn::Sequential net = make_net(2, 100, 3, Activation::ReLU);
  const Tensor x = randn({1000, 2});
  Tensor y;
  {
    NoGradGuard no_grad;
    y = net(x);
  }
  EXPECT_FALSE(y.requires_grad());
  EXPECT_TRUE(close(y, layer_by_layer(net, x, Activation::ReLU).detach(), "output"));
}

TEST(narrow_mlp, NonContiguousInputsAreRead) {
  manual_seed(11);
  nn::Sequential net = make_net(2, 10, 3, Activation::Sigmoid);
  const Tensor x = randn({2, 33}).t();  // [33, 2] transposed view
  ASSERT_FALSE(x.is_contiguous());
  EXPECT_TRUE(close(net(x), layer_by_layer(net, x.contiguous(), Activation::Sigmoid), "output"));
}

TEST(narrow_mlp, NonFiniteValuesPropagate) {
  manual_seed(13);
  nn::Sequential net = make_net(2, 10, 3, Activation::Tanh);
  std::vector<float> values(2 * 20, 0.5f);
  values[7] = std::nanf("");
  const Tensor y = net(from_vector(values, {20, 2}));
  const std::vector<float> out = y.to_vector<float>();
  EXPECT_TRUE(std::isnan(out[3 * 3]));  // row 3 holds the NaN
  EXPECT_TRUE(std::isfinite(out[0]));   // the other rows do not see it
}

}  // namespace
}  // namespace ann
