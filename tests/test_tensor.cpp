// Tensors: creation, views and storage sharing, strides, element access, dtypes, printing.
// (Over 600 lines: one suite for the one class every other suite builds on, short independent tests.)
// Expected strings and values marked "torch" were printed by PyTorch 1.13 (/usr/bin/python3).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "ann/ann.h"
#include "test_support.h"

namespace {

using namespace ann;

std::vector<float> values(const Tensor& t) { return t.to_vector<float>(); }

// ---- creation -------------------------------------------------------------------------------

TEST(Creation, ZerosOnesFull) {
  const Tensor z = zeros({2, 3});
  EXPECT_EQ(z.sizes(), (Shape{2, 3}));
  EXPECT_EQ(z.dtype(), DType::Float32);
  EXPECT_EQ(values(z), std::vector<float>(6, 0.f));
  EXPECT_EQ(values(ones({4})), std::vector<float>(4, 1.f));
  const Tensor f = full({2, 2}, 7.5f);
  EXPECT_EQ(values(f), std::vector<float>(4, 7.5f));
  EXPECT_FALSE(f.requires_grad());
  EXPECT_TRUE(zeros({3}, TensorOptions().requires_grad(true)).requires_grad());
  const Tensor zi = zeros({2}, TensorOptions().dtype(DType::Int64));
  EXPECT_EQ(zi.dtype(), DType::Int64);
  EXPECT_EQ(zi.to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 0}));
  const Tensor s = scalar_tensor(2.5f);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.numel(), 1);
  EXPECT_EQ(s.item(), 2.5f);
  EXPECT_EQ(zeros_like(f).sizes(), f.sizes());
  EXPECT_EQ(values(ones_like(f)), std::vector<float>(4, 1.f));
  EXPECT_EQ(empty({0, 3}).numel(), 0);
}

TEST(Creation, Arange) {
  EXPECT_EQ(values(arange(5.)), (std::vector<float>{0, 1, 2, 3, 4}));
  EXPECT_EQ(values(arange(1, 2.5, 0.5)), (std::vector<float>{1.f, 1.5f, 2.f}));
  EXPECT_EQ(values(arange(-3, 3, 1.5)), (std::vector<float>{-3.f, -1.5f, 0.f, 1.5f}));
  EXPECT_EQ(arange(0, 1, 0.1).numel(), 10);  // torch: 10
  EXPECT_EQ(arange(5, 0, -2).to_vector<std::int64_t>(), (std::vector<std::int64_t>{5, 3, 1}));
  const Tensor i = arange(4, TensorOptions().dtype(DType::Int64));
  EXPECT_EQ(i.dtype(), DType::Int64);
  EXPECT_EQ(i.to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 2, 3}));
  EXPECT_THROW(arange(0, 1, 0), ValueError);
  EXPECT_THROW(arange(0, 1, -1), ValueError);
}

// libtorch's types: integers give int64 (torch::arange(5), torch::tensor({0, 2, 1})), fractions
// the default float32, bools bool; a dtype in the options wins.
TEST(Creation, IntegerArgumentsMakeInt64AsLibtorch) {
  EXPECT_EQ(arange(5).dtype(), kInt64);
  EXPECT_EQ(arange(5).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(2, 7, 2).to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 4, 6}));
  EXPECT_EQ(arange(5.).dtype(), kFloat32);
  EXPECT_EQ(arange(0, 1, 0.25).dtype(), kFloat32);
  EXPECT_EQ(arange(5, TensorOptions().dtype(kFloat64)).dtype(), kFloat64);
  EXPECT_EQ(arange(std::int64_t{3}).dtype(), kInt64);
  EXPECT_EQ(arange(3.f).dtype(), kFloat32);

  const Tensor labels = tensor({0, 2, 1});
  EXPECT_EQ(labels.dtype(), kInt64);
  EXPECT_EQ(labels.to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 2, 1}));
  const Tensor logits = tensor({{2., 0., 0.}, {0., 0., 2.}, {0., 2., 0.}});
  EXPECT_EQ(logits.dtype(), kFloat32);
  EXPECT_NEAR(nn::functional::cross_entropy(logits, labels).item<double>(), 0.2395447, 1e-6) << "labels usable as is";

  const Tensor grid = tensor({{1, 2, 3}, {4, 5, 6}});
  EXPECT_EQ(grid.dtype(), kInt64);
  EXPECT_EQ(grid.sizes(), (Shape{2, 3}));
  EXPECT_EQ(grid.at<std::int64_t>({1, 2}), 6);
  EXPECT_EQ(tensor({std::int64_t{1} << 40, std::int64_t{-3}}).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{std::int64_t{1} << 40, -3})) << "int64 values beyond float's digits kept";
  const Tensor flags = tensor({true, false, true});
  EXPECT_EQ(flags.dtype(), kBool);
  EXPECT_EQ(flags.sum().item<std::int64_t>(), 2);
  EXPECT_EQ(tensor({1, 2}, TensorOptions().dtype(kFloat64)).dtype(), kFloat64);
  EXPECT_EQ(tensor({1, 2}, TensorOptions().requires_grad(false)).dtype(), kInt64) << "options without a dtype keep the inferred one";
  EXPECT_EQ(tensor({1.5, 2.}).dtype(), kFloat32);
  EXPECT_EQ(zeros({2}, TensorOptions().device(default_device())).dtype(), kFloat32);
  EXPECT_EQ(randint(0, 5, {3}).dtype(), kInt64);
  EXPECT_EQ(randperm(4).dtype(), kInt64);
  EXPECT_EQ(from_vector(std::vector<double>{1.0}, {1}).dtype(), kFloat64);
}

TEST(Creation, Linspace) {
  EXPECT_EQ(values(linspace(0, 1, 5)), (std::vector<float>{0.f, 0.25f, 0.5f, 0.75f, 1.f}));
  // torch.linspace(0, 1, 7)
  EXPECT_EQ(values(linspace(0, 1, 7)),
            (std::vector<float>{0.f, 0.166666672f, 0.333333343f, 0.5f, 0.666666627f, 0.833333313f, 1.f}));
  // torch.linspace(-1, 1, 100): exact endpoints and the same float values inside
  const std::vector<float> v = values(linspace(-1, 1, 100));
  ASSERT_EQ(v.size(), 100u);
  EXPECT_EQ(v[0], -1.f);
  EXPECT_EQ(v[99], 1.f);
  EXPECT_EQ(v[1], -0.979797959f);
  EXPECT_EQ(v[33], -0.333333343f);
  EXPECT_EQ(v[49], -0.010101011f);
  EXPECT_EQ(v[50], 0.0101010092f);
  EXPECT_EQ(v[66], 0.333333343f);
  EXPECT_EQ(v[98], 0.979797959f);
  // torch.linspace(-4, 4, 1001)
  const std::vector<float> w = values(linspace(-4, 4, 1001));
  EXPECT_EQ(w[0], -4.f);
  EXPECT_EQ(w[1], -3.9920001f);
  EXPECT_EQ(w[500], 1.89989805e-07f);
  EXPECT_EQ(w[999], 3.9920001f);
  EXPECT_EQ(w[1000], 4.f);
  // torch.linspace(a, b, n)[i] for blocks of 8 on both sides of the half-way point and the tail
  struct Probe {
    double start, end;
    std::int64_t steps;
    std::vector<std::pair<std::size_t, float>> expected;
  };
  const double sector = 2.0 * 3.14159265358979323846 / 3.0;
  const Probe probes[] = {
      {0, 1, 1000, {{15, 0.0150150154f}, {21, 0.0210210197f}, {35, 0.0350350365f}, {59, 0.0590590611f},
                    {70, 0.070070073f}, {499, 0.4994995f}, {500, 0.5005005f}, {503, 0.503503501f},
                    {520, 0.520520508f}, {990, 0.990990996f}, {995, 0.995995998f}, {999, 1.f}}},
      {sector, 3 * sector, 1000, {{1, 2.09858823f}, {15, 2.15728998f}, {497, 4.17830753f}, {500, 4.1908865f},
                                  {501, 4.1950798f}, {502, 4.19927263f}, {999, 6.28318548f}}},
      {0.3, 7.7, 333, {{5, 0.411445796f}, {100, 2.52891541f}, {166, 3.99999976f}, {167, 4.0222888f},
                       {300, 6.98674679f}, {319, 7.41024065f}, {320, 7.43252993f}, {332, 7.69999981f}}},
  };
  for (const Probe& probe : probes) {
    const std::vector<float> got = values(linspace(probe.start, probe.end, probe.steps));
    for (const auto& [i, value] : probe.expected) EXPECT_EQ(got[i], value) << probe.steps << " steps, element " << i;
  }
  EXPECT_EQ(values(linspace(3, 3, 1)), std::vector<float>{3.f});
  EXPECT_EQ(linspace(0, 1, 0).numel(), 0);
  EXPECT_THROW(linspace(0, 1, -1), ValueError);
}

TEST(Creation, FromVectorAndNestedLists) {
  const Tensor a = from_vector(std::vector<float>{1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {2, 3});
  EXPECT_EQ(a.sizes(), (Shape{2, 3}));
  EXPECT_EQ(a.at({1, 0}), 4.f);
  EXPECT_THROW(from_vector(std::vector<float>{1.f, 2.f, 3.f}, {2, 2}), ShapeError);
  const Tensor i = from_vector(std::vector<std::int64_t>{3, -1}, {2});
  EXPECT_EQ(i.dtype(), DType::Int64);
  EXPECT_EQ(i.at<std::int64_t>({1}), -1);
  const Tensor b = from_vector(std::vector<bool>{true, false, true}, {3});
  EXPECT_EQ(b.dtype(), DType::Bool);
  EXPECT_EQ(b.to_vector<bool>(), (std::vector<bool>{true, false, true}));

  const Tensor v = tensor({1.f, 2.f, 3.f});
  EXPECT_EQ(v.sizes(), Shape{3});
  const Tensor m = tensor({{1.f, 2.f}, {3.f, 4.f}, {5.f, 6.f}});
  EXPECT_EQ(m.sizes(), (Shape{3, 2}));
  EXPECT_EQ(values(m), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  const Tensor c = tensor({{{1.f, 2.f}, {3.f, 4.f}}, {{5.f, 6.f}, {7.f, 8.f}}});
  EXPECT_EQ(c.sizes(), (Shape{2, 2, 2}));
  EXPECT_EQ(c.at({1, 0, 1}), 6.f);
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_FALSE(c.requires_grad());
  EXPECT_TRUE(c.is_leaf());
  EXPECT_TRUE(tensor({{1.f, 2.f}}, TensorOptions().requires_grad(true)).requires_grad());
  const Tensor c2 = tensor({{{1.f, 2.f}}}, TensorOptions().requires_grad(true));
  EXPECT_TRUE(c2.requires_grad());
  EXPECT_TRUE(c2.is_leaf());
  EXPECT_THROW(tensor({{1.f, 2.f}, {3.f}}), ShapeError);
  EXPECT_THROW(tensor({{{1.f, 2.f}}, {{3.f}}}), ShapeError);
}

// ---- views and storage ----------------------------------------------------------------------

TEST(Views, ShareStorageWithTheirBase) {
  Tensor x = arange(6.).view({2, 3});
  Tensor flat = x.view({6});
  flat.set({4}, 40.f);
  EXPECT_EQ(x.at({1, 1}), 40.f);

  Tensor row = x[1];
  row.set({0}, 30.f);
  EXPECT_EQ(x.at({1, 0}), 30.f);
  x[0].fill_(-1.f);
  EXPECT_EQ(values(x), (std::vector<float>{-1, -1, -1, 30, 40, 5}));

  Tensor col = x.slice(1, 2, 3);
  col.fill_(9.f);  // strided fill
  EXPECT_EQ(values(x), (std::vector<float>{-1, -1, 9, 30, 40, 9}));

  Tensor tr = x.t();
  tr.set({2, 0}, 7.f);
  EXPECT_EQ(x.at({0, 2}), 7.f);
  tr.copy_(zeros({3, 2}) + 2.f);
  EXPECT_EQ(values(x), std::vector<float>(6, 2.f));

  Tensor u = x.unsqueeze(0).squeeze(0).reshape({3, 2});  // contiguous: reshape is a view
  u.set({2, 1}, 5.f);
  EXPECT_EQ(x.at({1, 2}), 5.f);

  Tensor d = x.detach();
  d.set({0, 0}, 11.f);
  EXPECT_EQ(x.at({0, 0}), 11.f);
}

TEST(Views, CopiesHaveTheirOwnStorage) {
  Tensor x = arange(6.).view({2, 3});
  Tensor c = x.clone();
  c.set({0, 0}, 100.f);
  EXPECT_EQ(x.at({0, 0}), 0.f);
  EXPECT_EQ(x.contiguous().impl(), x.impl());  // already contiguous: the same tensor
  Tensor tc = x.t().contiguous();
  EXPECT_TRUE(tc.is_contiguous());
  tc.set({0, 0}, 100.f);
  EXPECT_EQ(x.at({0, 0}), 0.f);
}

TEST(Views, ReshapeOfNonContiguousCopies) {
  Tensor x = arange(6.).view({2, 3});
  const Tensor t = x.t();  // [[0, 3], [1, 4], [2, 5]]
  EXPECT_FALSE(t.is_contiguous());
  Tensor r = t.reshape({6});
  EXPECT_EQ(values(r), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  r.set({0}, 100.f);
  EXPECT_EQ(x.at({0, 0}), 0.f);
  EXPECT_EQ(values(t.flatten()), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_THROW(t.view({6}), ShapeError);
}

TEST(Views, TransposeStrides) {
  const Tensor x = zeros({2, 3, 4});
  EXPECT_EQ(x.strides(), (Shape{12, 4, 1}));
  EXPECT_TRUE(x.is_contiguous());
  const Tensor y = x.transpose(0, 2);
  EXPECT_EQ(y.sizes(), (Shape{4, 3, 2}));
  EXPECT_EQ(y.strides(), (Shape{1, 4, 12}));
  EXPECT_FALSE(y.is_contiguous());
  const Tensor z = x.transpose(-1, -2);
  EXPECT_EQ(z.sizes(), (Shape{2, 4, 3}));
  EXPECT_EQ(z.strides(), (Shape{12, 1, 4}));
  const Tensor m = arange(12.).view({3, 4});
  EXPECT_EQ(m.t().sizes(), (Shape{4, 3}));
  EXPECT_EQ(m.t().strides(), (Shape{1, 4}));
  EXPECT_EQ(m.t().at({3, 1}), 7.f);
  EXPECT_EQ(m.t().t().strides(), (Shape{4, 1}));
  EXPECT_TRUE(m.t().t().is_contiguous());
  EXPECT_EQ(arange(3.).t().sizes(), Shape{3});  // 1-D: as is
  EXPECT_THROW(x.t(), ShapeError);
}

TEST(Views, SlicingRows) {
  const Tensor x = arange(12.).view({4, 3});
  const Tensor rows = x.slice(0, 1, 3);
  EXPECT_EQ(rows.sizes(), (Shape{2, 3}));
  EXPECT_EQ(rows.strides(), (Shape{3, 1}));
  EXPECT_TRUE(rows.is_contiguous());
  EXPECT_EQ(values(rows), (std::vector<float>{3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(values(x.slice(0, -2, 4)), (std::vector<float>{6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(values(x.slice(1, 1, 3)), (std::vector<float>{1, 2, 4, 5, 7, 8, 10, 11}));
  EXPECT_FALSE(x.slice(1, 1, 3).is_contiguous());
  EXPECT_EQ(x.slice(0, 2, 2).numel(), 0);
  EXPECT_EQ(values(x[2]), (std::vector<float>{6, 7, 8}));
  EXPECT_EQ(values(x[-1]), (std::vector<float>{9, 10, 11}));
  EXPECT_EQ(x[1][2].dim(), 0);
  EXPECT_EQ(x[1][2].item(), 5.f);
  EXPECT_EQ(values(x.slice(0, 1, 4)[1]), (std::vector<float>{6, 7, 8}));  // a row of a slice
  EXPECT_EQ(values(x.t()[1]), (std::vector<float>{1, 4, 7, 10}));         // a row of a transpose
  // As libtorch: bounds are clamped into the dimension, an end before the start is empty.
  EXPECT_EQ(x.slice(0, 3, 5).sizes(), (Shape{1, 3}));
  EXPECT_EQ(values(x.slice(0, -10, 1)), (std::vector<float>{0, 1, 2}));
  EXPECT_EQ(x.slice(0, 3, 1).sizes(), (Shape{0, 3}));
  EXPECT_EQ(x.slice(0, 7, 9).sizes(), (Shape{0, 3}));
  EXPECT_THROW(x[4], ValueError);
  EXPECT_THROW(x[-5], ValueError);
}

TEST(Views, ViewShapes) {
  const Tensor x = arange(24.);
  EXPECT_EQ(x.view({2, -1, 4}).sizes(), (Shape{2, 3, 4}));
  EXPECT_EQ(x.reshape({-1}).sizes(), Shape{24});
  EXPECT_EQ(x.view({2, 3, 4}).unsqueeze(1).sizes(), (Shape{2, 1, 3, 4}));
  EXPECT_EQ(x.view({2, 3, 4}).unsqueeze(-1).sizes(), (Shape{2, 3, 4, 1}));
  EXPECT_EQ(x.view({1, 24, 1}).squeeze().sizes(), Shape{24});
  EXPECT_EQ(x.view({1, 24, 1}).squeeze(-1).sizes(), (Shape{1, 24}));
  EXPECT_THROW(x.view({5, -1}), ShapeError);
  EXPECT_THROW(x.view({-1, -1}), ShapeError);
  EXPECT_EQ(x.view({2, 3, 4}).squeeze(1).sizes(), (Shape{2, 3, 4}));  // as libtorch: not of size 1, kept
}

// Shape holds its sizes inline: it must still behave as the std::vector it replaced.
TEST(Views, ShapeIsAVectorOfAtMostEightSizes) {
  Shape s{2, 3};
  s.insert(s.begin(), 1);
  s.push_back(4);
  EXPECT_EQ(s, (Shape{1, 2, 3, 4}));
  s.erase(s.begin() + 1);
  EXPECT_EQ(s, (Shape{1, 3, 4}));
  EXPECT_EQ(Shape(std::vector<std::int64_t>{5, 6}), (Shape{5, 6}));
  EXPECT_EQ(Shape(3, 7), (Shape{7, 7, 7}));
  EXPECT_NE(s, (Shape{1, 3}));
  EXPECT_EQ(to_string(s), "[1, 3, 4]");
  Shape copy = s;
  copy[0] = 9;
  EXPECT_EQ(s[0], 1);  // copies do not share sizes

  const Tensor eight = ones({1, 2, 1, 2, 1, 2, 1, 2});
  EXPECT_EQ(sum(eight).item<float>(), 16.f);
  EXPECT_EQ(eight.contiguous().strides(), (Shape{16, 8, 8, 4, 4, 2, 2, 1}));
  const std::string message = ann::testing::message_of<ShapeError>([&] { (void)eight.unsqueeze(0); });
  EXPECT_NE(message.find("9 dimensions, more than the 8 a tensor may have"), std::string::npos) << message;
  EXPECT_THROW(zeros({1, 1, 1, 1, 1, 1, 1, 1, 1}), ShapeError);
  EXPECT_THROW(s.resize(9), ShapeError);
}

// ---- element access -----------------------------------------------------------------------------

TEST(ElementAccess, ItemAtSet) {
  Tensor x = tensor({{1.5f, -2.f, 3.f}, {0.5f, 4.f, -1.f}});
  EXPECT_EQ(x.at({0, 1}), -2.f);
  EXPECT_EQ(x.at({-1, -1}), -1.f);
  EXPECT_EQ(x.at<std::int64_t>({1, 1}), 4);
  x.set({1, 2}, 8.25f);
  EXPECT_EQ(x.at({1, 2}), 8.25f);
  EXPECT_EQ(tensor({3.25f}).item(), 3.25f);
  EXPECT_EQ(scalar_tensor(-2.f).item<std::int64_t>(), -2);
  EXPECT_THROW(x.item(), ValueError);
  EXPECT_THROW(x.at({2, 0}), ValueError);
  EXPECT_THROW(x.at({0}), ValueError);
  EXPECT_THROW(x.set({0, 3}, 1.f), ValueError);
  if (x.device().is_cpu()) {
    EXPECT_EQ(x.data<float>()[1], -2.f);  // elsewhere a device pointer
  }
  EXPECT_THROW(x.data<std::int64_t>(), TypeError);
  EXPECT_FALSE(Tensor().defined());
  EXPECT_THROW(Tensor().sizes(), Error);
  EXPECT_THROW(Tensor().data<float>(), ValueError);
  EXPECT_THROW(static_cast<const Tensor&>(x).data<bool>(), TypeError);
}

// ---- dtypes ------------------------------------------------------------------------------------

TEST(DTypes, ComparisonsMasksAndIntegerResults) {
  const Tensor x = tensor({{1.5f, -2.f, 3.f}, {0.5f, 4.f, -1.f}});
  const Tensor mask = x > zeros({});
  EXPECT_EQ(mask.dtype(), DType::Bool);
  EXPECT_EQ(mask.sizes(), x.sizes());
  EXPECT_EQ(mask.to_vector<bool>(), (std::vector<bool>{true, false, true, true, true, false}));
  const Tensor n = sum(mask);
  EXPECT_EQ(n.dtype(), DType::Int64);  // torch: (x > 0).sum().dtype == torch.int64
  EXPECT_EQ(n.item<std::int64_t>(), 4);
  EXPECT_EQ(sum(mask, 1).to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(sum(mask, 0).to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 1, 1}));  // down columns

  EXPECT_EQ((x == x).to_vector<bool>(), std::vector<bool>(6, true));
  EXPECT_EQ((x != x).to_vector<bool>(), std::vector<bool>(6, false));
  const Tensor row = tensor({1.f, 0.f, 3.f});
  EXPECT_EQ((x >= row).to_vector<bool>(), (std::vector<bool>{true, false, true, false, true, false}));
  EXPECT_EQ((x < row).to_vector<bool>(), (std::vector<bool>{false, true, false, true, false, true}));
  EXPECT_EQ((x <= row).to_vector<bool>(), (std::vector<bool>{false, true, true, true, false, true}));

  // argmax: int64, first maximum; torch: tensor(4), tensor([2, 1]), tensor([[0, 1, 0]])
  const Tensor a = argmax(x);
  EXPECT_EQ(a.dtype(), DType::Int64);
  EXPECT_EQ(a.dim(), 0);
  EXPECT_EQ(a.item<std::int64_t>(), 4);
  EXPECT_EQ(argmax(x, 1).to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 1}));
  EXPECT_EQ(x.argmax(0, true).sizes(), (Shape{1, 3}));
  EXPECT_EQ(x.argmax(0, true).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 0}));
  EXPECT_EQ(argmax(tensor({1.f, 3.f, 3.f})).item<std::int64_t>(), 1);

  // labels compared with predictions, as in the accuracy of the lesson
  const Tensor labels = from_vector(std::vector<std::int64_t>{2, 0}, {2});
  EXPECT_EQ(sum(labels == argmax(x, 1)).item<std::int64_t>(), 1);
  Tensor i = arange(5, TensorOptions().dtype(DType::Int64));
  EXPECT_EQ((i + i).dtype(), DType::Int64);
  EXPECT_EQ((i * i).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 4, 9, 16}));
  EXPECT_EQ(sum(i).item<std::int64_t>(), 10);
  EXPECT_EQ((i + ones({5})).dtype(), DType::Float32);
  // true division, as torch: a / b of int64 tensors is float32, and a zero divisor gives inf
  // torch.tensor([3, 7, -7]) / torch.tensor([2, 0, 2]) -> tensor([ 1.5000,     inf, -3.5000])
  const Tensor q = from_vector(std::vector<std::int64_t>{3, 7, -7}, {3}) /
                   from_vector(std::vector<std::int64_t>{2, 0, 2}, {3});
  EXPECT_EQ(q.dtype(), DType::Float32);
  EXPECT_EQ(values(q), (std::vector<float>{1.5f, INFINITY, -3.5f}));
  EXPECT_EQ(q.to(Device("cpu")).str(), "tensor([ 1.5000,     inf, -3.5000])");

  EXPECT_EQ(x.to(DType::Int64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, -2, 3, 0, 4, -1}));
  EXPECT_EQ(mask.to(DType::Float32).to_vector<float>(), (std::vector<float>{1, 0, 1, 1, 1, 0}));
  EXPECT_THROW(i.requires_grad_(), TypeError);
}

// ---- printing (PyTorch's exact text) ----------------------------------------------------------------

// argmax along rows of 2–5 classes over 37 rows (two whole blocks of 16 and a part, for the
// kernel that puts 16 rows in vector lanes): the first maximum wins a tie, the first NaN wins
// outright, −inf and +inf are ordinary values. Checked against a plain loop.
TEST(DTypes, ArgmaxOfShortRowsTiesNaNAndInfinities) {
  const float nan = std::nanf(""), inf = INFINITY;
  for (std::int64_t classes = 2; classes <= 5; ++classes) {
    manual_seed(static_cast<std::uint64_t>(classes));
    constexpr std::int64_t kRows = 37;
    std::vector<float> v = randn({kRows, classes}).to_vector<float>();
    auto at = [&](std::int64_t r, std::int64_t k) -> float& { return v[static_cast<std::size_t>(r * classes + k)]; };
    for (std::int64_t k = 0; k < classes; ++k) at(3, k) = 1.f;   // all tied: 0
    at(5, classes - 1) = 7.f;                                     // tie at the end with...
    at(5, 1) = 7.f;                                               // ...an earlier one: 1
    at(17, classes - 1) = nan;                                    // NaN last: it wins
    at(20, 1) = nan;                                              // two NaNs: the first
    at(20, classes - 1) = nan;
    at(22, 0) = -inf;                                             // −inf never wins
    at(36, classes - 1) = inf;                                    // +inf in the last, partial block
    std::vector<std::int64_t> expected;
    for (std::int64_t r = 0; r < kRows; ++r) {
      std::int64_t best = 0;
      for (std::int64_t k = 1; k < classes; ++k) {
        const float x = at(r, k), b = at(r, best);
        if (!std::isnan(b) && (std::isnan(x) || x > b)) best = k;
      }
      expected.push_back(best);
    }
    EXPECT_EQ(expected[3], 0);
    EXPECT_EQ(expected[5], 1);
    EXPECT_EQ(expected[20], 1);
    EXPECT_EQ(argmax(from_vector(v, {kRows, classes}), 1).to_vector<std::int64_t>(), expected) << classes << " classes";
  }
}

TEST(Printing, FixedPointFourDecimals) {
  EXPECT_EQ(tensor({{0.1f, 0.2f}, {0.3f, 0.4f}}).str(), "tensor([[0.1000, 0.2000],\n        [0.3000, 0.4000]])");
  EXPECT_EQ(tensor({-1.5f, 0.f, 2.25f}).str(), "tensor([-1.5000,  0.0000,  2.2500])");
  EXPECT_EQ(tensor({1000.5f, 2.f}).str(), "tensor([1000.5000,    2.0000])");
  EXPECT_EQ(scalar_tensor(3.5f).str(), "tensor(3.5000)");
}

TEST(Printing, WholeNumbers) {
  EXPECT_EQ(tensor({1.f, 2.f, 3.f}).str(), "tensor([1., 2., 3.])");
  EXPECT_EQ(tensor({1.f, -2.f}).str(), "tensor([ 1., -2.])");
  EXPECT_EQ(zeros({3}).str(), "tensor([0., 0., 0.])");
  EXPECT_EQ(scalar_tensor(-7.f).str(), "tensor(-7.)");
  EXPECT_EQ(arange(10.).str(), "tensor([0., 1., 2., 3., 4., 5., 6., 7., 8., 9.])");
  EXPECT_EQ(tensor({{{1.f, 2.f}, {3.f, 4.f}}, {{5.f, 6.f}, {7.f, 8.f}}}).str(),
            "tensor([[[1., 2.],\n         [3., 4.]],\n\n        [[5., 6.],\n         [7., 8.]]])");
}

TEST(Printing, ScientificNotation) {
  EXPECT_EQ(tensor({1e-5f, 1.f}).str(), "tensor([1.0000e-05, 1.0000e+00])");
  EXPECT_EQ(tensor({1e5f, 1.f}).str(), "tensor([1.0000e+05, 1.0000e+00])");
  EXPECT_EQ(tensor({-0.0001f, 5.f}).str(), "tensor([-1.0000e-04,  5.0000e+00])");
  EXPECT_EQ(tensor({123456789.f, 1.f}).str(), "tensor([1.2346e+08, 1.0000e+00])");
  EXPECT_EQ(tensor({{1e-5f, 2.f}, {3.f, 4.f}}).str(), "tensor([[1.0000e-05, 2.0000e+00],\n        [3.0000e+00, 4.0000e+00]])");
}

TEST(Printing, NonFinite) {
  EXPECT_EQ(tensor({1.5f, NAN, INFINITY}).str(), "tensor([1.5000,    nan,    inf])");
  EXPECT_EQ(tensor({1.f, INFINITY}).str(), "tensor([1., inf])");
  EXPECT_EQ(tensor({0.f, NAN}).str(), "tensor([0., nan])");
  EXPECT_EQ(tensor({NAN, INFINITY}).str(), "tensor([nan, inf])");
  EXPECT_EQ(tensor({-0.5f, -INFINITY}).str(), "tensor([-0.5000,    -inf])");
  EXPECT_EQ(tensor({100.f, -INFINITY}).str(), "tensor([100., -inf])");
}

TEST(Printing, IntegersAndBools) {
  EXPECT_EQ(from_vector(std::vector<std::int64_t>{1, 2, 3}, {3}).str(), "tensor([1, 2, 3])");
  EXPECT_EQ(from_vector(std::vector<std::int64_t>{1, 2, 3, 40}, {2, 2}).str(), "tensor([[ 1,  2],\n        [ 3, 40]])");
  EXPECT_EQ(from_vector(std::vector<bool>{true, false}, {2}).str(), "tensor([ True, False])");
  EXPECT_EQ((arange(10.).view({2, 5}) > scalar_tensor(3.f)).str(),
            "tensor([[False, False, False, False,  True],\n        [ True,  True,  True,  True,  True]])");
  EXPECT_EQ(sum(from_vector(std::vector<std::int64_t>{3}, {1})).str(), "tensor(3)");
  EXPECT_EQ(arange(30, TensorOptions().dtype(DType::Int64)).str(),
            "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
            "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29])");
}

TEST(Printing, LineWrapping) {
  EXPECT_EQ((arange(30.) / 7.f).str(),
            "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n"
            "        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n"
            "        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n"
            "        3.8571, 4.0000, 4.1429])");
  EXPECT_EQ(linspace(-1, 1, 100).str(),
            "tensor([-1.0000, -0.9798, -0.9596, -0.9394, -0.9192, -0.8990, -0.8788, -0.8586,\n"
            "        -0.8384, -0.8182, -0.7980, -0.7778, -0.7576, -0.7374, -0.7172, -0.6970,\n"
            "        -0.6768, -0.6566, -0.6364, -0.6162, -0.5960, -0.5758, -0.5556, -0.5354,\n"
            "        -0.5152, -0.4949, -0.4747, -0.4545, -0.4343, -0.4141, -0.3939, -0.3737,\n"
            "        -0.3535, -0.3333, -0.3131, -0.2929, -0.2727, -0.2525, -0.2323, -0.2121,\n"
            "        -0.1919, -0.1717, -0.1515, -0.1313, -0.1111, -0.0909, -0.0707, -0.0505,\n"
            "        -0.0303, -0.0101,  0.0101,  0.0303,  0.0505,  0.0707,  0.0909,  0.1111,\n"
            "         0.1313,  0.1515,  0.1717,  0.1919,  0.2121,  0.2323,  0.2525,  0.2727,\n"
            "         0.2929,  0.3131,  0.3333,  0.3535,  0.3737,  0.3939,  0.4141,  0.4343,\n"
            "         0.4545,  0.4747,  0.4949,  0.5152,  0.5354,  0.5556,  0.5758,  0.5960,\n"
            "         0.6162,  0.6364,  0.6566,  0.6768,  0.6970,  0.7172,  0.7374,  0.7576,\n"
            "         0.7778,  0.7980,  0.8182,  0.8384,  0.8586,  0.8788,  0.8990,  0.9192,\n"
            "         0.9394,  0.9596,  0.9798,  1.0000])");
}

TEST(Printing, AutogradSuffixes) {
  const Tensor w = tensor({1.f, 2.f, 3.f}, TensorOptions().requires_grad(true));
  EXPECT_EQ(w.str(), "tensor([1., 2., 3.], requires_grad=True)");
  const Tensor y = w * 2.f;
  EXPECT_EQ(y.grad_fn_name(), "mul");
  EXPECT_EQ(y.str(), "tensor([2., 4., 6.], grad_fn=<" + y.grad_fn_name() + ">)");
  EXPECT_EQ(w.sum().str(), "tensor(6., grad_fn=<" + w.sum().grad_fn_name() + ">)");
  EXPECT_EQ(w.detach().str(), "tensor([1., 2., 3.])");
  NoGradGuard no_grad;
  EXPECT_EQ((w * 2.f).str(), "tensor([2., 4., 6.])");
}

TEST(Printing, EmptyTensors) {
  EXPECT_EQ(zeros({0}).str(), "tensor([])");
  EXPECT_EQ(zeros({0, 3}).str(), "tensor([], size=(0, 3))");  // torch.zeros(0, 3)
  EXPECT_EQ(zeros({2, 0}).str(), "tensor([], size=(2, 0))");
  EXPECT_EQ(zeros({0}, TensorOptions().dtype(DType::Int64)).str(), "tensor([], dtype=torch.int64)");
  EXPECT_EQ(zeros({0, 3}, TensorOptions().dtype(DType::Bool)).str(), "tensor([], size=(0, 3), dtype=torch.bool)");
  EXPECT_EQ(zeros({0}, TensorOptions().requires_grad(true)).str(), "tensor([], requires_grad=True)");
}

TEST(Printing, SummarisesLargeTensors) {
  // torch.arange(1001.)
  EXPECT_EQ(arange(1001.).str(), "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])");
  // torch.arange(1001.)
  EXPECT_EQ(arange(1001, TensorOptions().dtype(DType::Int64)).str(), "tensor([   0,    1,    2,  ...,  998,  999, 1000])");
  // torch.arange(2000.)
  EXPECT_EQ(arange(2000.).str(),
            "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])");
  // torch.arange(2000.).reshape(40, 50)
  EXPECT_EQ(arange(2000.).view({40, 50}).str(),
            "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,\n"
            "         4.9000e+01],\n"
            "        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,\n"
            "         9.9000e+01],\n"
            "        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,\n"
            "         1.4900e+02],\n"
            "        ...,\n"
            "        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,\n"
            "         1.8990e+03],\n"
            "        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,\n"
            "         1.9490e+03],\n"
            "        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,\n"
            "         1.9990e+03]])");
  // torch.arange(3000.).reshape(10, 10, 30): a 3-D summary, "...," between rows and blocks
  EXPECT_EQ(arange(3000.).view({10, 10, 30}).str(),
            "tensor([[[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 2.7000e+01,\n"
            "          2.8000e+01, 2.9000e+01],\n"
            "         [3.0000e+01, 3.1000e+01, 3.2000e+01,  ..., 5.7000e+01,\n"
            "          5.8000e+01, 5.9000e+01],\n"
            "         [6.0000e+01, 6.1000e+01, 6.2000e+01,  ..., 8.7000e+01,\n"
            "          8.8000e+01, 8.9000e+01],\n"
            "         ...,\n"
            "         [2.1000e+02, 2.1100e+02, 2.1200e+02,  ..., 2.3700e+02,\n"
            "          2.3800e+02, 2.3900e+02],\n"
            "         [2.4000e+02, 2.4100e+02, 2.4200e+02,  ..., 2.6700e+02,\n"
            "          2.6800e+02, 2.6900e+02],\n"
            "         [2.7000e+02, 2.7100e+02, 2.7200e+02,  ..., 2.9700e+02,\n"
            "          2.9800e+02, 2.9900e+02]],\n"
            "\n"
            "        [[3.0000e+02, 3.0100e+02, 3.0200e+02,  ..., 3.2700e+02,\n"
            "          3.2800e+02, 3.2900e+02],\n"
            "         [3.3000e+02, 3.3100e+02, 3.3200e+02,  ..., 3.5700e+02,\n"
            "          3.5800e+02, 3.5900e+02],\n"
            "         [3.6000e+02, 3.6100e+02, 3.6200e+02,  ..., 3.8700e+02,\n"
            "          3.8800e+02, 3.8900e+02],\n"
            "         ...,\n"
            "         [5.1000e+02, 5.1100e+02, 5.1200e+02,  ..., 5.3700e+02,\n"
            "          5.3800e+02, 5.3900e+02],\n"
            "         [5.4000e+02, 5.4100e+02, 5.4200e+02,  ..., 5.6700e+02,\n"
            "          5.6800e+02, 5.6900e+02],\n"
            "         [5.7000e+02, 5.7100e+02, 5.7200e+02,  ..., 5.9700e+02,\n"
            "          5.9800e+02, 5.9900e+02]],\n"
            "\n"
            "        [[6.0000e+02, 6.0100e+02, 6.0200e+02,  ..., 6.2700e+02,\n"
            "          6.2800e+02, 6.2900e+02],\n"
            "         [6.3000e+02, 6.3100e+02, 6.3200e+02,  ..., 6.5700e+02,\n"
            "          6.5800e+02, 6.5900e+02],\n"
            "         [6.6000e+02, 6.6100e+02, 6.6200e+02,  ..., 6.8700e+02,\n"
            "          6.8800e+02, 6.8900e+02],\n"
            "         ...,\n"
            "         [8.1000e+02, 8.1100e+02, 8.1200e+02,  ..., 8.3700e+02,\n"
            "          8.3800e+02, 8.3900e+02],\n"
            "         [8.4000e+02, 8.4100e+02, 8.4200e+02,  ..., 8.6700e+02,\n"
            "          8.6800e+02, 8.6900e+02],\n"
            "         [8.7000e+02, 8.7100e+02, 8.7200e+02,  ..., 8.9700e+02,\n"
            "          8.9800e+02, 8.9900e+02]],\n"
            "\n"
            "        ...,\n"
            "\n"
            "        [[2.1000e+03, 2.1010e+03, 2.1020e+03,  ..., 2.1270e+03,\n"
            "          2.1280e+03, 2.1290e+03],\n"
            "         [2.1300e+03, 2.1310e+03, 2.1320e+03,  ..., 2.1570e+03,\n"
            "          2.1580e+03, 2.1590e+03],\n"
            "         [2.1600e+03, 2.1610e+03, 2.1620e+03,  ..., 2.1870e+03,\n"
            "          2.1880e+03, 2.1890e+03],\n"
            "         ...,\n"
            "         [2.3100e+03, 2.3110e+03, 2.3120e+03,  ..., 2.3370e+03,\n"
            "          2.3380e+03, 2.3390e+03],\n"
            "         [2.3400e+03, 2.3410e+03, 2.3420e+03,  ..., 2.3670e+03,\n"
            "          2.3680e+03, 2.3690e+03],\n"
            "         [2.3700e+03, 2.3710e+03, 2.3720e+03,  ..., 2.3970e+03,\n"
            "          2.3980e+03, 2.3990e+03]],\n"
            "\n"
            "        [[2.4000e+03, 2.4010e+03, 2.4020e+03,  ..., 2.4270e+03,\n"
            "          2.4280e+03, 2.4290e+03],\n"
            "         [2.4300e+03, 2.4310e+03, 2.4320e+03,  ..., 2.4570e+03,\n"
            "          2.4580e+03, 2.4590e+03],\n"
            "         [2.4600e+03, 2.4610e+03, 2.4620e+03,  ..., 2.4870e+03,\n"
            "          2.4880e+03, 2.4890e+03],\n"
            "         ...,\n"
            "         [2.6100e+03, 2.6110e+03, 2.6120e+03,  ..., 2.6370e+03,\n"
            "          2.6380e+03, 2.6390e+03],\n"
            "         [2.6400e+03, 2.6410e+03, 2.6420e+03,  ..., 2.6670e+03,\n"
            "          2.6680e+03, 2.6690e+03],\n"
            "         [2.6700e+03, 2.6710e+03, 2.6720e+03,  ..., 2.6970e+03,\n"
            "          2.6980e+03, 2.6990e+03]],\n"
            "\n"
            "        [[2.7000e+03, 2.7010e+03, 2.7020e+03,  ..., 2.7270e+03,\n"
            "          2.7280e+03, 2.7290e+03],\n"
            "         [2.7300e+03, 2.7310e+03, 2.7320e+03,  ..., 2.7570e+03,\n"
            "          2.7580e+03, 2.7590e+03],\n"
            "         [2.7600e+03, 2.7610e+03, 2.7620e+03,  ..., 2.7870e+03,\n"
            "          2.7880e+03, 2.7890e+03],\n"
            "         ...,\n"
            "         [2.9100e+03, 2.9110e+03, 2.9120e+03,  ..., 2.9370e+03,\n"
            "          2.9380e+03, 2.9390e+03],\n"
            "         [2.9400e+03, 2.9410e+03, 2.9420e+03,  ..., 2.9670e+03,\n"
            "          2.9680e+03, 2.9690e+03],\n"
            "         [2.9700e+03, 2.9710e+03, 2.9720e+03,  ..., 2.9970e+03,\n"
            "          2.9980e+03, 2.9990e+03]]])");
}

TEST(Printing, StreamOperatorAndViews) {
  std::ostringstream os;
  os << tensor({{1.f, 2.f}, {3.f, 4.f}}).t();
  EXPECT_EQ(os.str(), "tensor([[1., 3.],\n        [2., 4.]])");
  EXPECT_EQ(arange(12.).view({3, 4}).slice(1, 1, 3).str(), "tensor([[ 1.,  2.],\n        [ 5.,  6.],\n        [ 9., 10.]])");
}

// ---- devices ----------------------------------------------------------------------------------------

TEST(Devices, CpuTensors) {
  const Tensor x = zeros({2}, TensorOptions().device(Device("cpu")));
  EXPECT_TRUE(x.device().is_cpu());
  EXPECT_EQ(x.device().str(), "cpu");
  EXPECT_EQ(x.to(Device("cpu")).impl(), x.impl());
  EXPECT_EQ(Device("cuda:1").index(), 1);
  EXPECT_EQ(Device("cuda:1").str(), "cuda:1");
  EXPECT_EQ(Device("cuda").index(), -1);
  EXPECT_EQ(Device("cuda").type(), DeviceType::CUDA);
  EXPECT_TRUE(is_available(Device("cpu")));
  EXPECT_FALSE(is_available(Device("cuda")));
}

}  // namespace

// size(d) counts from the end for negative d, and a 0-d tensor has no dimension to ask about
// (torch raises too): the size was read from past the end of its shape.
TEST(Tensor, SizeOfADimension) {
  const Tensor x = zeros({2, 3, 4});
  EXPECT_EQ(x.size(0), 2);
  EXPECT_EQ(x.size(-1), 4);
  EXPECT_EQ(x.size(-3), 2);
  EXPECT_THROW(x.size(3), ValueError);
  EXPECT_THROW(x.size(-4), ValueError);
  const Tensor scalar = tensor({5.f}).reshape({});
  try {
    scalar.size(0);
    FAIL() << "a 0-d tensor gave a size";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("0-d"), std::string::npos) << e.what();
  }
}
