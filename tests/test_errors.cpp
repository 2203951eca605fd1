// Errors: every misuse throws a typed exception derived from ann::Error whose message names the
// operation and the shapes or values involved. The messages of the spec are checked verbatim.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <type_traits>

#include "ann/ann.h"

namespace {

using namespace ann;

// The message of the exception of type E that `f` throws ("" and a test failure if none).
template <class E>
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw another exception type: " << e.what();
    return "";
  }
  ADD_FAILURE() << "did not throw";
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// ---- the spec's messages, verbatim -----------------------------------------------------------------

TEST(Errors, MatmulShapesDoNotAlign) {
  const Tensor a = zeros({3000, 3}), b = zeros({2, 100});
  EXPECT_THROW(matmul(a, b), ShapeError);
  EXPECT_EQ(message_of<ShapeError>([&] { matmul(a, b); }),
            "matmul: shapes [3000, 3] and [2, 100] do not align (3 != 2)");
  EXPECT_EQ(message_of<ShapeError>([] { matmul(zeros({3}), zeros({4, 2})); }),
            "matmul: shapes [3] and [4, 2] do not align (3 != 4)");
  EXPECT_EQ(message_of<ShapeError>([] { zeros({2, 5}).matmul(zeros({4})); }),
            "matmul: shapes [2, 5] and [4] do not align (5 != 4)");
}

TEST(Errors, LinearInputFeatures) {
  nn::Linear layer(2, 100);
  const Tensor x = zeros({3000, 3});
  EXPECT_THROW(layer(x), ShapeError);
  EXPECT_EQ(message_of<ShapeError>([&] { layer(x); }), "Linear(2 -> 100): input has 3 features, expected 2");
  // the same error from inside a Sequential
  nn::Sequential model{nn::Linear(2, 100), nn::ReLU(), nn::Linear(100, 3)};
  EXPECT_EQ(message_of<ShapeError>([&] { model(x); }), "Linear(2 -> 100): input has 3 features, expected 2");
}

TEST(Errors, CrossEntropyTargetOutOfRange) {
  const Tensor logits = zeros({4, 3});
  const Tensor target = from_vector(std::vector<std::int64_t>{0, 7, 1, 2}, {4});
  EXPECT_THROW(nn::functional::cross_entropy(logits, target), ValueError);
  EXPECT_EQ(message_of<ValueError>([&] { nn::CrossEntropyLoss()(logits, target); }),
            "cross_entropy: target 7 out of range for 3 classes");
  const Tensor negative = from_vector(std::vector<std::int64_t>{0, -1, 1, 2}, {4});
  EXPECT_EQ(message_of<ValueError>([&] { nn::functional::cross_entropy(logits, negative); }),
            "cross_entropy: target -1 out of range for 3 classes");
  EXPECT_EQ(message_of<ValueError>([&] { nn::NLLLoss()(logits, target); }),
            "nll_loss: target 7 out of range for 3 classes");
}

TEST(Errors, BackwardOnANonScalar) {
  const Tensor x = zeros({300}, TensorOptions().requires_grad(true));
  const Tensor y = x * 2.f;
  EXPECT_THROW(y.backward(), AutogradError);
  EXPECT_EQ(message_of<AutogradError>([&] { y.backward(); }),
            "backward: called on a tensor with 300 elements; pass a gradient or reduce to a scalar first");
  EXPECT_EQ(message_of<AutogradError>([] { zeros({3, 100}, TensorOptions().requires_grad(true)).backward(); }),
            "backward: called on a tensor with 300 elements; pass a gradient or reduce to a scalar first");
}

// ---- shapes ------------------------------------------------------------------------------------

TEST(Errors, BroadcastingNamesBothShapes) {
  const std::string m = message_of<ShapeError>([] { zeros({3, 4}) + zeros({5}); });
  EXPECT_EQ(m.rfind("add: ", 0), 0u) << m;
  EXPECT_TRUE(contains(m, "[3, 4]")) << m;
  EXPECT_TRUE(contains(m, "[5]")) << m;
  const std::string m2 = message_of<ShapeError>([] { zeros({2, 3}) * zeros({3, 2}); });
  EXPECT_EQ(m2.rfind("mul: ", 0), 0u) << m2;
  EXPECT_TRUE(contains(m2, "[2, 3]") && contains(m2, "[3, 2]")) << m2;
  EXPECT_THROW(zeros({4}) - zeros({3}), ShapeError);
  EXPECT_THROW(zeros({4}) / zeros({2, 3}), ShapeError);
  EXPECT_THROW(zeros({4}) < zeros({5}), ShapeError);
}

TEST(Errors, ViewOfNonContiguous) {
  const Tensor t = zeros({3, 4}).t();
  const std::string m = message_of<ShapeError>([&] { t.view({12}); });
  EXPECT_EQ(m.rfind("view: ", 0), 0u) << m;
  EXPECT_TRUE(contains(m, "[4, 3]")) << m;
  EXPECT_TRUE(contains(m, "not contiguous")) << m;
  EXPECT_TRUE(contains(m, "reshape")) << m;  // says what to do instead
  EXPECT_NO_THROW(t.reshape({12}));
  const std::string m2 = message_of<ShapeError>([] { zeros({3, 4}).view({5, 2}); });
  EXPECT_TRUE(contains(m2, "[5, 2]") && contains(m2, "[3, 4]")) << m2;
}

TEST(Errors, OtherShapeErrors) {
  EXPECT_THROW(matmul(zeros({2, 2, 2}), zeros({3, 2})), ShapeError);  // batched, inner sizes 2 and 3
  EXPECT_THROW(linear(zeros({2, 3}), zeros({4, 2})), ShapeError);
  EXPECT_THROW(linear(zeros({2, 3}), zeros({4, 3}), zeros({3})), ShapeError);
  EXPECT_THROW(cat({zeros({2, 3}), zeros({2, 4})}, 0), ShapeError);
  EXPECT_THROW(stack({zeros({2, 3}), zeros({3, 2})}), ShapeError);
  EXPECT_THROW(index_select(zeros({3, 4}), 0, zeros({2, 2}, TensorOptions().dtype(DType::Int64))), ShapeError);
  EXPECT_THROW(gather(zeros({3, 4}), 1, zeros({2, 2}, TensorOptions().dtype(DType::Int64))), ShapeError);
  EXPECT_THROW(nn::functional::mse_loss(zeros({3}), zeros({4})), ShapeError);
  EXPECT_THROW(nn::functional::cross_entropy(zeros({4}), zeros({4}, TensorOptions().dtype(DType::Int64))), ShapeError);
  EXPECT_THROW(nn::functional::cross_entropy(zeros({4, 3}), zeros({3}, TensorOptions().dtype(DType::Int64))), ShapeError);
  EXPECT_THROW(allclose(zeros({2}), zeros({3})), ShapeError);
  Tensor x = zeros({2});
  EXPECT_THROW(x.set_grad(zeros({3})), ShapeError);
  EXPECT_THROW(x.copy_(zeros({3})), ShapeError);
  EXPECT_THROW(zeros({2, 3}).t().t().view({4, -1}), ShapeError);
}

// ---- indices and values --------------------------------------------------------------------------

TEST(Errors, IndexOutOfRange) {
  const Tensor x = zeros({3, 4});
  EXPECT_EQ(message_of<ValueError>([&] { x[3]; }), "operator[]: index 3 out of range for dimension 0 of size 3");
  EXPECT_THROW(x[-4], ValueError);
  EXPECT_EQ(message_of<ValueError>([&] { x.at({1, 4}); }), "at: index 4 out of range for dimension 1 of size 4");
  EXPECT_THROW(x.at({1}), ValueError);
  EXPECT_THROW(x.slice(2, 0, 1), ValueError);  // no dimension 2 (the range itself is clamped, as libtorch)
  EXPECT_THROW(x.sum(2), ValueError);
  EXPECT_THROW(x.softmax(-3), ValueError);
  EXPECT_THROW(x.transpose(0, 2), ValueError);
  const Tensor bad = from_vector(std::vector<std::int64_t>{0, 3}, {2});
  EXPECT_EQ(message_of<ValueError>([&] { index_select(x, 0, bad); }),
            "index_select: index 3 out of range for a dimension of size 3");
  EXPECT_THROW(gather(x, 1, from_vector(std::vector<std::int64_t>{4, 0, 0}, {3, 1})), ValueError);
  EXPECT_THROW(scalar_tensor(1.f)[0], ValueError);
  nn::Sequential model{nn::ReLU()};
  EXPECT_THROW(model[1], ValueError);
}

TEST(Errors, ValuesOutOfRange) {
  EXPECT_THROW(clamp(zeros({2}), 1.f, -1.f), ValueError);
  EXPECT_THROW(zeros({2, 3}).item(), ValueError);
  EXPECT_THROW(nn::functional::binary_cross_entropy(tensor({0.5f, 1.5f}), tensor({0.f, 1.f})), ValueError);
  EXPECT_THROW(nn::Linear(0, 3), ValueError);
  EXPECT_THROW(data::spiral(0, 3, 0.2), ValueError);
  EXPECT_THROW(data::spiral(10, 1, 0.2), ValueError);
  EXPECT_THROW(data::spiral(10, 3, -1.0), ValueError);
  EXPECT_THROW(data::one_hot(from_vector(std::vector<std::int64_t>{0, 3}, {2}), 3), ValueError);
  EXPECT_THROW(zeros({-1}), ValueError);
  EXPECT_THROW(zeros({2}).uniform_(1.0, 0.0), ValueError);
}

TEST(Errors, ElementTypes) {
  const Tensor i = zeros({2, 2}, TensorOptions().dtype(DType::Int64));
  const std::string m = message_of<TypeError>([&] { matmul(i, i); });
  EXPECT_EQ(m, "matmul: expected a float32 or float64 tensor, got int64 with shape [2, 2]");
  // products do not promote: both operands of one floating type, as torch
  EXPECT_EQ(message_of<TypeError>([] { matmul(zeros({2, 3}), zeros({3, 2}, TensorOptions().dtype(kFloat64))); }),
            "matmul: expected both operands of one dtype, got float32 [2, 3] and float64 [3, 2] (convert one with "
            ".to(dtype))");
  EXPECT_THROW(i.exp(), TypeError);
  EXPECT_THROW(i.softmax(0), TypeError);
  EXPECT_THROW(Tensor(i).requires_grad_(), TypeError);
  EXPECT_THROW(nn::functional::cross_entropy(zeros({2, 3}), zeros({2})), TypeError);  // float labels
  EXPECT_THROW(data::one_hot(zeros({2}), 3), TypeError);
  EXPECT_THROW(index_select(zeros({3}), 0, zeros({1})), TypeError);
  nn::Sequential model{nn::ReLU()};
  EXPECT_THROW(model.at<nn::Linear>(0), TypeError);
}

// ---- autograd misuse -------------------------------------------------------------------------------

TEST(Errors, AutogradMisuse) {
  EXPECT_THROW(zeros({1}).backward(), AutogradError);  // does not require grad
  const Tensor y = (zeros({2}, TensorOptions().requires_grad(true)) * 2.f).sum();
  y.backward();
  EXPECT_THROW(y.backward(), AutogradError);  // graph freed
  Tensor nonleaf = zeros({2}, TensorOptions().requires_grad(true)) * 2.f;
  EXPECT_THROW(nonleaf.requires_grad_(false), AutogradError);
  EXPECT_THROW(optim::SGD({nonleaf}), ValueError);  // an optimizer needs leaves
}

// ---- devices ----------------------------------------------------------------------------------------

TEST(Errors, CudaIsNotInThisBuild) {
  const Device cuda0("cuda:0");  // parsing is fine; using it is not
  EXPECT_EQ(cuda0.type(), DeviceType::CUDA);
  EXPECT_EQ(cuda0.index(), 0);
  const std::string m = message_of<DeviceError>([&] { zeros({2}, TensorOptions().device(cuda0)); });
  EXPECT_TRUE(contains(m, "this build of ann has no CUDA support")) << m;
  EXPECT_TRUE(contains(m, "cuda:0")) << m;
  const Tensor t = zeros({2});
  const std::string m2 = message_of<DeviceError>([&] { t.to(Device("cuda")); });
  EXPECT_TRUE(contains(m2, "this build of ann has no CUDA support")) << m2;
  EXPECT_EQ(m2.rfind("to: ", 0), 0u) << m2;
  nn::Linear layer(2, 3);
  const std::string m3 = message_of<DeviceError>([&] { layer.to(Device("cuda:1")); });
  EXPECT_TRUE(contains(m3, "this build of ann has no CUDA support")) << m3;
  EXPECT_THROW(check_available(cuda0, "test"), DeviceError);
  EXPECT_NO_THROW(check_available(Device("cpu"), "test"));
}

TEST(Errors, DeviceParsing) {
  EXPECT_EQ(message_of<ValueError>([] { Device("gpu"); }),
            "Device: cannot parse \"gpu\"; expected \"cpu\", \"checked\", \"cuda\" or \"cuda:N\"");
  for (const char* spec : {"", "CPU", "cuda:", "cuda:x", "cuda:-1", "cuda:1x", "cuda0", "cpu:0", "cudaa", "checked:0"}) {
    EXPECT_THROW(Device{spec}, ValueError) << '"' << spec << '"';
  }
  EXPECT_NO_THROW(Device("cuda:12"));
  EXPECT_EQ(Device("checked").type(), DeviceType::Checked);
  EXPECT_EQ(Device("checked").str(), "checked");
}

// ---- the hierarchy -------------------------------------------------------------------------------

TEST(Errors, EveryExceptionDerivesFromAnnError) {
  static_assert(std::is_base_of_v<Error, ShapeError>);
  static_assert(std::is_base_of_v<Error, ValueError>);
  static_assert(std::is_base_of_v<Error, TypeError>);
  static_assert(std::is_base_of_v<Error, DeviceError>);
  static_assert(std::is_base_of_v<Error, IOError>);
  static_assert(std::is_base_of_v<Error, AutogradError>);
  static_assert(std::is_base_of_v<std::runtime_error, Error>);
  const std::vector<std::function<void()>> misuses = {
      [] { matmul(zeros({2, 3}), zeros({2, 3})); },
      [] { nn::Linear(2, 3)(zeros({1, 5})); },
      [] { nn::functional::cross_entropy(zeros({1, 3}), from_vector(std::vector<std::int64_t>{3}, {1})); },
      [] { zeros({3}, TensorOptions().requires_grad(true)).backward(); },
      [] { zeros({2}) + zeros({3}); },
      [] { zeros({2, 3}).t().view({6}); },
      [] { zeros({2})[2]; },
      [] { zeros({2}).to(Device("cuda")); },
      [] { Device("gpu"); },
      [] { matmul(zeros({2}, TensorOptions().dtype(DType::Int64)), zeros({2}, TensorOptions().dtype(DType::Int64))); },
      [] { optim::Adam({zeros({2}, TensorOptions().requires_grad(true))}, {.lr = -1.0}); },
      [] { Tensor().numel(); },
  };
  for (std::size_t i = 0; i < misuses.size(); ++i) {
    try {
      misuses[i]();
      ADD_FAILURE() << "misuse " << i << " did not throw";
    } catch (const Error& e) {
      EXPECT_GT(std::string(e.what()).size(), 10u) << "misuse " << i;
    } catch (...) {
      ADD_FAILURE() << "misuse " << i << " threw something that is not an ann::Error";
    }
  }
}

}  // namespace
