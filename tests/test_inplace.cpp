// In-place arithmetic (add_, sub_, mul_, div_, clamp_, +=, ...) and comparisons with a number,
// with libtorch's meanings: the same numbers as PyTorch (tests/fixtures/inplace.json, made by
// tools/parity/make_inplace_fixtures.py), writes through views reach the base, refusals where
// autograd cannot follow, and the hand-written SGD loop a libtorch user writes.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ann/ann.h"
#include "fixtures.h"
#include "test_support.h"

namespace {

using namespace ann;
using ann::testing::load_fixture;

std::vector<float> floats(const nlohmann::json& j) { return j.get<std::vector<float>>(); }

void expect_near(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6f * std::max(1.f, std::abs(want[i]))) << what << " " << i;
}

TEST(InPlaceArithmetic, EveryOpAsTorchWithBroadcasting) {
  const nlohmann::json f = load_fixture("inplace.json");
  const Tensor a = from_vector(floats(f.at("a")), {4, 3}), r = from_vector(floats(f.at("r")), {3});
  const nlohmann::json& ops = f.at("ops");
  expect_near(a.clone().add_(r).to_vector<float>(), floats(ops.at("add")), "add_");
  expect_near(a.clone().add_(r, -0.25f).to_vector<float>(), floats(ops.at("add_alpha")), "add_ alpha");
  expect_near(a.clone().add_(0.75f).to_vector<float>(), floats(ops.at("add_scalar")), "add_ scalar");
  expect_near(a.clone().sub_(r, 3.f).to_vector<float>(), floats(ops.at("sub")), "sub_ alpha");
  expect_near(a.clone().mul_(r).to_vector<float>(), floats(ops.at("mul")), "mul_");
  expect_near(a.clone().mul_(-1.5f).to_vector<float>(), floats(ops.at("mul_scalar")), "mul_ scalar");
  expect_near(a.clone().div_(r).to_vector<float>(), floats(ops.at("div")), "div_");
  expect_near(a.clone().div_(3.f).to_vector<float>(), floats(ops.at("div_scalar")), "div_ scalar");
  expect_near(a.clone().clamp_(-0.5f, 1.25f).to_vector<float>(), floats(ops.at("clamp")), "clamp_");
  // The operators, and the same bits as the out-of-place ops.
  Tensor b = a.clone();
  b += r;
  b *= 2.f;
  b -= 1.f;
  b /= r;
  EXPECT_EQ(b.to_vector<float>(), ((((a + r) * 2.f) - 1.f) / r).to_vector<float>());
}

TEST(InPlaceArithmetic, WritesThroughAViewReachTheBase) {
  Tensor x = arange(6.).view({2, 3});
  const std::uint32_t version = x._version();
  x[1].mul_(10.f);
  x.slice(1, 0, 1) += 100.f;
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{100, 1, 2, 130, 40, 50}));
  EXPECT_EQ(x._version(), version + 4) << "each op counts (the check and the copy)";
}

TEST(InPlaceArithmetic, RefusesWhatLibtorchRefuses) {
  Tensor a = zeros({3});
  EXPECT_THROW(a += zeros({2, 3}), ShapeError);  // the result would not fit a
  Tensor labels = from_vector(std::vector<std::int64_t>{1, 2}, {2});
  EXPECT_THROW(labels += full({2}, 0.5f), TypeError);  // float into int64
  labels += from_vector(std::vector<std::int64_t>{1, 1}, {2});
  EXPECT_EQ(labels.to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 3}));
  Tensor w = ones({2}).requires_grad_();
  EXPECT_THROW(w -= 0.1f, AutogradError);  // a leaf that requires grad, outside NoGradGuard
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{1, 1}));
  NoGradGuard no_grad;
  w -= 0.1f;
  EXPECT_FLOAT_EQ(w.to_vector<float>()[0], 0.9f);
}

// The loop a libtorch user writes by hand after the lesson, step for step against PyTorch.
TEST(InPlaceArithmetic, AHandWrittenSgdLoopFollowsPyTorch) {
  const nlohmann::json f = load_fixture("inplace.json");
  const Tensor X = from_vector(floats(f.at("X")), {64, 3}), y = from_vector(floats(f.at("y")), {64, 1});
  const float lr = f.at("lr");
  Tensor w = zeros({3, 1}).requires_grad_(), b = zeros({1}).requires_grad_();
  std::vector<float> losses;
  for (int epoch = 0; epoch < 5; ++epoch) {
    for (std::int64_t first = 0; first < 64; first += 16) {
      const Tensor xb = X.slice(0, first, first + 16), yb = y.slice(0, first, first + 16);
      Tensor loss = (xb.matmul(w) + b - yb).pow(2.f).mean();
      loss.backward();
      losses.push_back(loss.item());
      NoGradGuard no_grad;
      w -= lr * w.grad();
      b -= lr * b.grad();
      w.grad().zero_();
      b.grad().zero_();
    }
  }
  expect_near(losses, floats(f.at("sgd_losses")), "losses");
  expect_near(w.to_vector<float>(), floats(f.at("w")), "w");
  expect_near(b.to_vector<float>(), floats(f.at("b")), "b");
}

TEST(ScalarComparisons, AsLibtorch) {
  const Tensor x = from_vector(std::vector<float>{-1.f, 0.f, 0.5f, 2.f}, {4});
  EXPECT_EQ((x > 0.5f).to_vector<bool>(), (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ((x >= 0.5f).to_vector<bool>(), (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ((x == 0.f).to_vector<bool>(), (std::vector<bool>{false, true, false, false}));
  EXPECT_EQ((x != 0.f).to_vector<bool>(), (std::vector<bool>{true, false, true, true}));
  EXPECT_EQ((x < 0.f).to_vector<bool>(), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ((x <= 0.f).to_vector<bool>(), (std::vector<bool>{true, true, false, false}));
  const Tensor labels = from_vector(std::vector<std::int64_t>{0, 1, 2}, {3});
  EXPECT_EQ((labels >= 0.5f).to_vector<bool>(), (std::vector<bool>{false, true, true})) << "not labels >= 0";
  EXPECT_EQ((labels == 2.f).to_vector<bool>(), (std::vector<bool>{false, false, true}));
  EXPECT_EQ(sum(x > 0.f).item<std::int64_t>(), 2);
}

}  // namespace

namespace {

using namespace ann;

// The views libtorch code reaches for share storage as libtorch's do: writes through them reach
// the base, and their shapes and strides are torch's.
TEST(Views, NarrowSelectPermuteExpandShareStorage) {
  Tensor x = arange(24.).view({2, 3, 4});
  EXPECT_EQ(x.narrow(2, 1, 2).sizes(), (Shape{2, 3, 2}));
  EXPECT_EQ(x.select(1, 2).sizes(), (Shape{2, 4}));
  EXPECT_EQ(x.select(1, 2).to_vector<float>(), (std::vector<float>{8, 9, 10, 11, 20, 21, 22, 23}));
  EXPECT_EQ(x.permute({2, 0, 1}).sizes(), (Shape{4, 2, 3}));
  EXPECT_EQ(x.permute({2, 0, 1}).strides(), (Shape{1, 12, 4}));
  EXPECT_EQ(x.permute({2, 0, 1}).contiguous().to_vector<float>()[1], 4.f);  // [0][0][1] = x[0][1][0]
  x.select(0, 1).narrow(1, 0, 1).fill_(-1.f);  // x[1, :, 0]
  EXPECT_EQ(x.at<float>({1, 2, 0}), -1.f);
  x.permute({2, 1, 0}).select(0, 3) *= 0.f;  // x[:, :, 3]
  EXPECT_EQ(x.at<float>({0, 1, 3}), 0.f);
  const Tensor column = from_vector(std::vector<float>{1, 2, 3}, {3, 1});
  const Tensor wide = column.expand({2, 3, 4});
  EXPECT_EQ(wide.sizes(), (Shape{2, 3, 4}));
  EXPECT_EQ(wide.strides(), (Shape{0, 1, 0}));
  EXPECT_EQ(wide.sum().item(), 2.f * 4.f * 6.f);
  EXPECT_THROW(column.expand({3, 2}).expand({2, 2}), ShapeError);
  Tensor repeated = column.expand({3, 5});
  EXPECT_THROW(repeated.fill_(0.f), ValueError);  // as torch: one element, several places
  EXPECT_THROW(x.narrow(2, 3, 2), ValueError);
  EXPECT_THROW(x.select(0, 2), ValueError);
  EXPECT_THROW(x.permute({0, 0, 1}), ShapeError);
}

TEST(Views, FlattenChunkAndSplitAsTorch) {
  const Tensor x = arange(24.).view({2, 3, 4});
  EXPECT_EQ(x.flatten(1).sizes(), (Shape{2, 12}));
  EXPECT_EQ(x.flatten(0, 1).sizes(), (Shape{6, 4}));
  EXPECT_EQ(x.flatten(-2).sizes(), (Shape{2, 12}));
  const Tensor v = arange(5.);
  // torch.arange(5.).chunk(2) -> sizes 3, 2; torch.arange(5.).chunk(4) -> 2, 2, 1 (three pieces)
  EXPECT_EQ(v.chunk(2).size(), 2u);
  EXPECT_EQ(v.chunk(2)[0].numel(), 3);
  EXPECT_EQ(v.chunk(4).size(), 3u);
  EXPECT_EQ(v.split(2).size(), 3u);
  EXPECT_EQ(v.split(2)[2].to_vector<float>(), (std::vector<float>{4}));
  EXPECT_EQ(x.split(1, 1)[2].sizes(), (Shape{2, 1, 4}));
}

}  // namespace

namespace {

using namespace ann;

TEST(Where, SelectsBroadcastsAndKeepsTheOtherBranchOut) {
  const Tensor c = from_vector(std::vector<bool>{true, false, true}, {3});
  const Tensor a = from_vector(std::vector<float>{1, 2, 3}, {3});
  const Tensor b = from_vector(std::vector<float>{-1, -2, -3}, {3});
  EXPECT_EQ(where(c, a, b).to_vector<float>(), (std::vector<float>{1, -2, 3}));
  EXPECT_EQ(where(c.unsqueeze(1), a.unsqueeze(0), full({}, 0.f)).sizes(), (Shape{3, 3}));
  // The branch not taken may hold inf: the value does not see it, and its gradient there is 0
  // (what an op before it makes of that 0 is its own: torch's sqrt'(0)·0 is NaN too).
  Tensor p = from_vector(std::vector<float>{INFINITY, 4.f}, {2}).requires_grad_();
  Tensor q = from_vector(std::vector<float>{5.f, -INFINITY}, {2}).requires_grad_();
  const Tensor y = where(from_vector(std::vector<bool>{false, true}, {2}), p, q);
  (y * 3.f).sum().backward();
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{5.f, 4.f}));
  EXPECT_EQ(p.grad().to_vector<float>(), (std::vector<float>{0.f, 3.f}));
  EXPECT_EQ(q.grad().to_vector<float>(), (std::vector<float>{3.f, 0.f}));
  EXPECT_THROW(where(a, a, b), TypeError);  // the condition must be bool
  EXPECT_EQ(masked_fill(a, a > 1.5f, 0.f).to_vector<float>(), (std::vector<float>{1, 0, 0}));
  EXPECT_THROW(masked_fill(a, from_vector(std::vector<bool>{true, false, true, false}, {2, 2}), 0.f), ShapeError);
}

}  // namespace
