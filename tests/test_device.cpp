// The device boundary (src/backend/backend.h), proved on the checked device: its memory is
// mapped without access outside the back end's own entries, so any host access that does not
// go through the copies faults; and it offers no fused kernels, so everything on it runs the
// compositions. `make test` also runs the op, module and optimizer suites on it
// (ANN_TEST_DEVICE=checked in tests/CMakeLists.txt); these tests are about the boundary itself.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "ann/ann.h"
#include "backend/backend.h"
#include "drawn.h"
#include "test_support.h"

namespace {

using namespace ann;

const Device kCpu("cpu");
const Device kChecked("checked");

std::vector<std::uint32_t> bits_of(const std::vector<float>& values) {
  std::vector<std::uint32_t> bits;
  for (float v : values) bits.push_back(std::bit_cast<std::uint32_t>(v));
  return bits;
}

TEST(CheckedDevice, TheHostCannotTouchItsMemory) {
  const Tensor x = ones({4}, TensorOptions().device(kChecked));
  // A direct read faults (the pages are mapped PROT_NONE outside the back end's entries) ...
  EXPECT_DEATH(
      {
        volatile float v = x.data<float>()[0];
        (void)v;
      },
      "");
  // ... and the same tensor is read through the copies.
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{1.f, 1.f, 1.f, 1.f}));
  EXPECT_EQ(x[2].item(), 1.f);
}

TEST(CheckedDevice, AHostPointerGivenToAKernelIsAnError) {
  float host = 0.f;
  const std::string m = ann::testing::message_of<DeviceError>(
      [&] { backend::backend_for(kChecked).fill(&host, DType::Float32, 1, 2.0); });
  EXPECT_NE(m.find("fill"), std::string::npos) << m;
  EXPECT_NE(m.find("outside the checked device's memory"), std::string::npos) << m;
  EXPECT_EQ(host, 0.f);
}

TEST(CheckedDevice, ElementsCrossTheBoundaryBitForBit) {
  const float nan_payload = std::bit_cast<float>(0x7fc01234u);
  const std::vector<float> values = {-0.f, 1e-40f, std::numeric_limits<float>::infinity(), nan_payload, 3.25f, -7.f};
  const Tensor host = from_vector(values, {2, 3}, TensorOptions().device(kCpu));
  const Tensor there = host.to(kChecked);
  EXPECT_EQ(there.device(), kChecked);
  EXPECT_EQ(bits_of(there.to_vector<float>()), bits_of(values));
  EXPECT_EQ(bits_of(there.to(kCpu).to_vector<float>()), bits_of(values));
  // a view: the copy takes its elements, not its storage's
  EXPECT_EQ(bits_of(there.t().to(kCpu).to_vector<float>()), bits_of(host.t().to_vector<float>()));
  // one element at a time, every element type
  Tensor labels = from_vector(std::vector<std::int64_t>{4, -1, 7}, {3}).to(kChecked);
  labels.set<std::int64_t>({1}, 9);
  EXPECT_EQ(labels.at<std::int64_t>({1}), 9);
  EXPECT_EQ(labels.to_vector<std::int64_t>(), (std::vector<std::int64_t>{4, 9, 7}));
  EXPECT_EQ((labels > from_vector(std::vector<std::int64_t>{5, 5, 5}, {3}).to(kChecked)).to_vector<bool>(),
            (std::vector<bool>{false, true, true}));
  EXPECT_EQ(there[1][2].item(), -7.f);
  // in-place updates on the device: a strided destination, a broadcast source
  Tensor y = zeros({2, 3}, TensorOptions().device(kChecked));
  y.t().copy_(tensor({1.f, 2.f}, TensorOptions().device(kCpu)));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1.f, 1.f, 1.f, 2.f, 2.f, 2.f}));
}

TEST(CheckedDevice, ToIsDifferentiableAcrossDevices) {
  const Tensor x = tensor({1.f, -2.f, 3.f}, TensorOptions().device(kCpu).requires_grad(true));
  const Tensor on_device = x.to(kChecked);
  EXPECT_EQ(on_device.grad_fn_name(), "to");
  const Tensor loss = (on_device * on_device).sum();
  EXPECT_EQ(loss.device(), kChecked);
  loss.backward();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_EQ(x.grad().device(), kCpu);
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2.f, -4.f, 6.f}));  // d(x²)/dx = 2x
  EXPECT_EQ(x.to(kCpu).impl(), x.impl());                                        // same device: itself
}

TEST(CheckedDevice, MixingDevicesIsAnErrorNamingBoth) {
  const Tensor a = ones({3}, TensorOptions().device(kCpu));
  const Tensor b = ones({3}, TensorOptions().device(kChecked));
  const std::string m = ann::testing::message_of<DeviceError>([&] { (void)(a + b); });
  EXPECT_NE(m.find("add"), std::string::npos) << m;
  EXPECT_NE(m.find("cpu"), std::string::npos) << m;
  EXPECT_NE(m.find("checked"), std::string::npos) << m;
  EXPECT_THROW(matmul(ones({2, 3}, TensorOptions().device(kCpu)), ones({3, 2}, TensorOptions().device(kChecked))), DeviceError);
  EXPECT_THROW(nn::functional::cross_entropy(ones({2, 3}, TensorOptions().device(kChecked)),
                                              from_vector(std::vector<std::int64_t>{0, 1}, {2})),
               DeviceError);
  // a number (0-d) joins the other operand's device, as a CPU scalar does in torch
  const Tensor c = b * 2.f + scalar_tensor(1.f, TensorOptions().device(kCpu));
  EXPECT_EQ(c.device(), kChecked);
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{3.f, 3.f, 3.f}));
}

TEST(CheckedDevice, ModuleToMovesTheSameParametersInPlace) {
  manual_seed(3);
  nn::Sequential net{nn::Linear(2, 8), nn::ReLU(), nn::Linear(8, 3)};
  const Tensor weight = net.at<nn::Linear>(0).weight;  // a handle held outside the module
  const std::vector<float> before = weight.to_vector<float>();
  optim::SGD optimizer(net.parameters(), {.lr = 0.5});  // made before the move, as a user might
  net.to(kChecked);
  EXPECT_EQ(weight.device(), kChecked);
  EXPECT_EQ(net.at<nn::Linear>(0).weight.impl(), weight.impl());
  EXPECT_EQ(weight.to_vector<float>(), before);
  for (const Tensor& p : net.parameters()) EXPECT_EQ(p.device(), kChecked);

  const Tensor X = randn({16, 2}).to(kChecked);
  const Tensor y = from_vector(std::vector<std::int64_t>(16, 1), {16}).to(kChecked);
  const Tensor loss = nn::functional::cross_entropy(net(X), y);
  optimizer.zero_grad();
  loss.backward();
  optimizer.step();  // the optimizer's handles followed the move
  EXPECT_NE(weight.to_vector<float>(), before);
  EXPECT_EQ(weight.grad().device(), kChecked);

  net.to(kCpu);  // and back, gradients included
  EXPECT_EQ(weight.device(), kCpu);
  EXPECT_EQ(weight.grad().device(), kCpu);
}

// Losses of the lesson's two-layer ReLU net, trained full-batch with Adam, on one device.
std::vector<float> spiral_losses(const Device& device, int epochs) {
  manual_seed(12345);
  auto [X, y] = data::spiral(100, 3, 0.2);
  nn::Sequential model{nn::Linear(2, 100), nn::ReLU(), nn::Linear(100, 3)};
  model.to(device);
  X = X.to(device);
  y = y.to(device);
  nn::CrossEntropyLoss criterion;
  optim::Adam optimizer(model.parameters(), {.lr = 1e-2, .weight_decay = 1e-5});
  std::vector<float> losses;
  for (int t = 0; t < epochs; ++t) {
    Tensor loss = criterion(model(X), y);
    losses.push_back(loss.item());
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
  return losses;
}

// On the CPU the lesson's net runs the fused kernels (two-layer, cross-entropy, Adam); on the
// checked device the compositions they stand for. Same numbers, to float32's last digits.
TEST(CheckedDevice, TheCompositionsTrainLikeTheFusedKernels) {
  const std::vector<float> cpu = spiral_losses(kCpu, 60), checked = spiral_losses(kChecked, 60);
  ASSERT_EQ(cpu.size(), checked.size());
  for (std::size_t t = 0; t < cpu.size(); ++t)
    EXPECT_NEAR(checked[t], cpu[t], 1e-5 * std::fabs(cpu[t])) << "epoch " << t;
  EXPECT_LT(cpu.back(), 0.8f * cpu.front());  // it learned
}

// θ after 7 steps of an optimizer made by `make` on one device, with gradients 3θ − g0: the
// fused update on the CPU, its composition on the checked device.
template <class Make>
std::vector<float> optimized(const Device& device, Make make) {
  manual_seed(3);
  Tensor theta = randn({257}).to(device);  // not a multiple of any vector width
  theta.requires_grad_();
  const Tensor g0 = randn({257}).to(device);
  auto optimizer = make(std::vector<Tensor>{theta});
  for (int t = 0; t < 7; ++t) {
    optimizer.zero_grad();
    (((theta * theta) * 1.5 - theta * g0).sum()).backward();
    optimizer.step();
  }
  return theta.detach().to(kCpu).to_vector<float>();
}

// Each fused optimizer step gives the very floats of the tensor ops it stands for (the
// composition is torch's order, checked against PyTorch in test_optimizers_parity).
TEST(CheckedDevice, FusedOptimizerStepsRoundAsTheirCompositions) {
  auto same = [](auto make, const char* what) {
    EXPECT_EQ(bits_of(optimized(kCpu, make)), bits_of(optimized(kChecked, make))) << what;
  };
  same([](std::vector<Tensor> p) { return optim::SGD(p, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true}); }, "SGD");
  same([](std::vector<Tensor> p) { return optim::Adam(p, {.lr = 0.1, .weight_decay = 0.01}); }, "Adam");
  same([](std::vector<Tensor> p) { return optim::AdamW(p, {.lr = 0.1, .weight_decay = 0.1}); }, "AdamW");
  // β2 = 0.05: from step 6 on, √(1 − β2ᵗ) rounds to 1 in float (the kernel's loop without that division)
  same([](std::vector<Tensor> p) { return optim::Adam(p, {.lr = 0.1, .beta2 = 0.05}); }, "Adam, bias correction 1");
  same([](std::vector<Tensor> p) { return optim::RMSprop(p, {.lr = 0.01}); }, "RMSprop");
  same([](std::vector<Tensor> p) { return optim::RMSprop(p, {.lr = 0.01, .weight_decay = 0.01, .momentum = 0.9, .centered = true}); },
       "RMSprop centered with momentum");
  same([](std::vector<Tensor> p) { return optim::Adagrad(p, {.lr = 0.1, .lr_decay = 0.01, .weight_decay = 0.01}); }, "Adagrad");
}

// The same for drawn parameter lists (1–6 tensors of 1 to 100 000 values, one of them without a
// gradient at times), which the CPU's one pass over all parameters splits among parts and
// threads by their sizes: every θ bit for bit after 3 steps.
TEST(CheckedDevice, FusedOptimizerStepsOnDrawnParameterLists) {
  std::mt19937 draw(31);
  for (int trial = 0; trial < 8; ++trial) {
    std::vector<std::int64_t> sizes(1 + draw() % 6);
    for (auto& n : sizes) n = ann::testing::log_uniform(draw, 100000.0);
    const bool one_without_grad = sizes.size() > 1 && draw() % 2 == 0;
    auto run = [&](const Device& device, auto make) {
      manual_seed(static_cast<std::uint64_t>(40 + trial));
      std::vector<Tensor> theta, g0;
      for (const auto n : sizes) {
        theta.push_back(randn({n}).to(device).requires_grad_());
        g0.push_back(randn({n}).to(device));
      }
      auto optimizer = make(theta);
      for (int t = 0; t < 3; ++t) {
        optimizer.zero_grad();
        Tensor loss = zeros({}).to(device);
        for (std::size_t i = one_without_grad ? 1 : 0; i < theta.size(); ++i)
          loss = loss + ((theta[i] * theta[i]) * 1.5 - theta[i] * g0[i]).sum();
        loss.backward();
        optimizer.step();
      }
      std::vector<std::uint32_t> bits;
      for (const Tensor& t : theta)
        for (float v : t.detach().to(kCpu).to_vector<float>()) bits.push_back(std::bit_cast<std::uint32_t>(v));
      return bits;
    };
    auto same = [&](auto make, const char* what) {
      EXPECT_EQ(run(kCpu, make), run(kChecked, make)) << what << ", trial " << trial;
    };
    same([](std::vector<Tensor> p) { return optim::SGD(p, {.lr = 0.1, .momentum = 0.9, .nesterov = true}); }, "SGD");
    same([](std::vector<Tensor> p) { return optim::Adam(p, {.lr = 0.1, .weight_decay = 0.01}); }, "Adam");
    same([](std::vector<Tensor> p) { return optim::AdamW(p, {.lr = 0.1}); }, "AdamW");
    same([](std::vector<Tensor> p) { return optim::RMSprop(p, {.lr = 0.01, .momentum = 0.9, .centered = true}); }, "RMSprop");
    same([](std::vector<Tensor> p) { return optim::Adagrad(p, {.lr = 0.1, .lr_decay = 0.01}); }, "Adagrad");
  }
}

// x.grad of Σ f(x)·w on one device: the fused derivative on the CPU, its composition on the
// checked device.
template <class F>
std::vector<float> activation_gradient(const Device& device, F f, double scale = 4.0) {
  manual_seed(5);
  std::vector<float> values = (randn({300}) * scale).to_vector<float>();
  for (float special : {0.f, -0.f, 1e-30f, -1e-30f, 30.f, -30.f, 100.f, -100.f}) values.push_back(special);
  const auto n = static_cast<std::int64_t>(values.size());
  Tensor x = from_vector(values, {n}).to(device).requires_grad_();
  const Tensor w = randn({n}).to(device);
  (f(x) * w).sum().backward();
  return x.grad().to(kCpu).to_vector<float>();
}

TEST(CheckedDevice, FusedActivationDerivativesRoundAsTheirCompositions) {
  auto same = [](auto f, const char* what) {
    EXPECT_EQ(bits_of(activation_gradient(kCpu, f)), bits_of(activation_gradient(kChecked, f))) << what;
  };
  same([](const Tensor& x) { return leaky_relu(x, 0.03); }, "leaky_relu");
  same([](const Tensor& x) { return elu(x, 1.5); }, "elu");
  same([](const Tensor& x) { return gelu(x); }, "gelu");
  same([](const Tensor& x) { return silu(x); }, "silu");
  same([](const Tensor& x) { return softplus(x, 2.0, 5.0); }, "softplus");
  // GELU by chunks of 64 whose erf arguments all lie below 1 (the short form, vmath::erf_near_zero)
  const auto near_zero = [](const Tensor& x) { return gelu(x); };
  EXPECT_EQ(bits_of(activation_gradient(kCpu, near_zero, 0.3)), bits_of(activation_gradient(kChecked, near_zero, 0.3)));
}

// GELU's forward takes erf's short form in chunks of 64 values near zero and the whole of erf
// in the others: x/2 · (1 + erf(x/√2)) composed of tensor ops either way, bit for bit, with
// chunks of each kind, a chunk with a single far value, and a short last chunk.
TEST(Activations, GeluIsItsFormulaInEveryChunk) {
  manual_seed(6);
  std::vector<float> values = (randn({64 * 5 + 37}) * 0.3).to_vector<float>();
  for (std::size_t i = 64; i < 128; ++i) values[i] *= 20.f;  // a far chunk
  values[64 * 3 + 5] = 2.5f;                                   // one far value in a near chunk
  const Tensor x = from_vector(values, {static_cast<std::int64_t>(values.size())});
  const Tensor formula = x * 0.5 * (erf(x * M_SQRT1_2) + 1.0);
  EXPECT_EQ(bits_of(gelu(x).to_vector<float>()), bits_of(formula.to_vector<float>()));
}

// A reduced L1, smooth L1, Huber or BCE-with-logits loss and its input's gradient on one device: one fused node
// on the CPU, the composition on the checked device.
template <class F>
std::pair<float, std::vector<float>> loss_and_gradient(const Device& device, F loss_of) {
  manual_seed(7);
  Tensor input = (randn({37, 5}) * 2.0).to(device).requires_grad_();
  Tensor target = randn({37, 5}).to(device);
  Tensor loss = loss_of(input, target);
  loss.backward();
  return {loss.item(), input.grad().to(kCpu).to_vector<float>()};
}

TEST(CheckedDevice, FusedPointwiseLossesSumTheCompositionsFloats) {
  using nn::Reduction;
  namespace F = nn::functional;
  auto same = [](auto loss_of, const char* what) {
    const auto [cpu_loss, cpu_grad] = loss_and_gradient(kCpu, loss_of);
    const auto [checked_loss, checked_grad] = loss_and_gradient(kChecked, loss_of);
    EXPECT_EQ(std::bit_cast<std::uint32_t>(cpu_loss), std::bit_cast<std::uint32_t>(checked_loss)) << what;
    ASSERT_EQ(cpu_grad.size(), checked_grad.size());
    for (std::size_t i = 0; i < cpu_grad.size(); ++i)
      EXPECT_NEAR(cpu_grad[i], checked_grad[i], 1e-7 + 1e-6 * std::fabs(checked_grad[i])) << what << " " << i;
  };
  same([](const Tensor& x, const Tensor& y) { return F::l1_loss(x, y, Reduction::Mean); }, "l1 mean");
  same([](const Tensor& x, const Tensor& y) { return F::l1_loss(x, y, Reduction::Sum); }, "l1 sum");
  same([](const Tensor& x, const Tensor& y) { return F::smooth_l1_loss(x, y, Reduction::Mean, 0.5); }, "smooth l1");
  same([](const Tensor& x, const Tensor& y) { return F::smooth_l1_loss(x, y, Reduction::Mean, 0.0); }, "smooth l1, beta 0");
  same([](const Tensor& x, const Tensor& y) { return F::huber_loss(x, y, Reduction::Mean, 1.3); }, "huber");
  same([](const Tensor& x, const Tensor& y) { return F::huber_loss(x, y, Reduction::Sum, 0.0); }, "huber, delta 0");
  same([](const Tensor& x, const Tensor& y) { return F::binary_cross_entropy_with_logits(x * 10.0, sigmoid(y)); },
       "bce with logits, probabilities");
  same([](const Tensor& x, const Tensor& y) { return F::binary_cross_entropy_with_logits(x, y, Reduction::Sum); },
       "bce with logits, sum, any target");
  // and on the CPU each is one node
  const Tensor x = randn({4, 3}).requires_grad_(), y = randn({4, 3});
  EXPECT_EQ(F::l1_loss(x, y).grad_fn_name(), "l1_loss");
  EXPECT_EQ(F::smooth_l1_loss(x, y).grad_fn_name(), "smooth_l1_loss");
  EXPECT_EQ(F::huber_loss(x, y).grad_fn_name(), "huber_loss");
  EXPECT_EQ(F::binary_cross_entropy_with_logits(x, y).grad_fn_name(), "binary_cross_entropy_with_logits");
}

// The same, and cross-entropy, on drawn sizes (1 to 4000 rows of 1 to 24 columns or classes), so
// that every remainder of the fused kernels' vectors, chunks and 16-row transposes meets its
// composition: the loss bit for bit (cross-entropy's, which contracts its own exp and log, within
// a few ulp), the gradient within float rounding.
TEST(CheckedDevice, FusedPointwiseLossesOnDrawnSizes) {
  using nn::Reduction;
  namespace F = nn::functional;
  std::mt19937 draw(21);
  for (int trial = 0; trial < 24; ++trial) {
    const auto rows = ann::testing::log_uniform(draw, 4000.0);
    const auto columns = 1 + static_cast<std::int64_t>(draw() % 24);
    auto run = [&](const Device& device, int kind) {
      manual_seed(static_cast<std::uint64_t>(trial));
      Tensor input = (randn({rows, columns}) * 3.0).to(device).requires_grad_();
      const Tensor raw = randn({rows, columns});
      Tensor loss;
      switch (kind) {
        case 0: loss = F::l1_loss(input, raw.to(device)); break;
        case 1: loss = F::huber_loss(input, raw.to(device), Reduction::Sum, 0.7); break;
        case 2: loss = F::smooth_l1_loss(input, raw.to(device), Reduction::Mean, 0.4); break;
        case 3: loss = F::mse_loss(input, raw.to(device)); break;
        case 4: loss = F::binary_cross_entropy_with_logits(input, (raw > 0.0).to(kFloat32).to(device)); break;
        default: loss = F::cross_entropy(input, argmax(raw, 1).to(device)); break;
      }
      loss.backward();
      return std::pair{loss.item(), input.grad().to(kCpu).to_vector<float>()};
    };
    for (int kind = 0; kind < 6; ++kind) {
      const std::string what = "loss " + std::to_string(kind) + " on " + std::to_string(rows) + " x " + std::to_string(columns);
      const auto [cpu_loss, cpu_grad] = run(kCpu, kind);
      const auto [checked_loss, checked_grad] = run(kChecked, kind);
      if (kind < 5) EXPECT_EQ(std::bit_cast<std::uint32_t>(cpu_loss), std::bit_cast<std::uint32_t>(checked_loss)) << what;
      else EXPECT_NEAR(cpu_loss, checked_loss, 1e-6 * std::fabs(checked_loss)) << what;  // its own exp and log
      ASSERT_EQ(cpu_grad.size(), checked_grad.size()) << what;
      // within float rounding of the largest: softmax − one-hot of a class near certainty cancels
      // its leading digits, so an ulp of the probability is a larger part of the difference
      float largest = 0;
      for (float g : checked_grad) largest = std::max(largest, std::fabs(g));
      for (std::size_t i = 0; i < cpu_grad.size(); ++i)
        ASSERT_NEAR(cpu_grad[i], checked_grad[i], 1e-6 * largest) << what << " " << i;
    }
  }
}

// A loss of one element is that element's float: the fused BCE with logits rounds each value as
// its composition does (a reduction over many elements would hide an ulp in its last rounding).
TEST(CheckedDevice, FusedBceWithLogitsRoundsEachValueAsItsComposition) {
  manual_seed(8);
  std::vector<float> logits = (randn({200}) * 4.0).to_vector<float>();
  for (float special : {0.f, -0.f, 1e-30f, 20.f, -20.f, 90.f, -90.f}) logits.push_back(special);
  for (float x : logits) {
    for (float y : {0.f, 0.3f, 1.f}) {
      auto loss = [&](const Device& device) {
        Tensor input = tensor({x}).to(device).requires_grad_();
        Tensor value = nn::functional::binary_cross_entropy_with_logits(input, tensor({y}).to(device),
                                                                        nn::Reduction::Sum);
        value.backward();
        return std::pair{value.item(), input.grad().item()};
      };
      const auto [fused, fused_slope] = loss(kCpu);
      const auto [composed, composed_slope] = loss(kChecked);
      EXPECT_EQ(std::bit_cast<std::uint32_t>(fused), std::bit_cast<std::uint32_t>(composed)) << x << " " << y;
      EXPECT_EQ(std::bit_cast<std::uint32_t>(fused_slope), std::bit_cast<std::uint32_t>(composed_slope)) << x << " " << y;
    }
  }
}

TEST(CheckedDevice, PrintsAndSavesThroughTheCopies) {
  const Tensor x = tensor({0.5f, -1.f}, TensorOptions().device(kChecked));
  EXPECT_EQ(x.str(), "tensor([ 0.5000, -1.0000], device='checked')");
  ann::testing::TempDir dir;
  save_tensors({{"x", x}}, dir.path() / "x.safetensors");
  const Tensor loaded = load_tensors(dir.path() / "x.safetensors").tensors.at("x");
  EXPECT_EQ(loaded.device(), kCpu);
  EXPECT_EQ(loaded.to_vector<float>(), x.to_vector<float>());
}

TEST(DefaultDevice, FactoriesFollowItAndCudaIsRefused) {
  const Device before = default_device();
  set_default_device(kChecked);
  EXPECT_EQ(zeros({2}).device(), kChecked);
  EXPECT_EQ(randn({2}).device(), kChecked);
  EXPECT_EQ(from_vector(std::vector<std::int64_t>{1}, {1}).device(), kChecked);
  EXPECT_EQ(nn::Linear(2, 2).weight.device(), kChecked);
  set_default_device(before);
  EXPECT_THROW(set_default_device(Device("cuda")), DeviceError);
  EXPECT_EQ(default_device(), before);
}

}  // namespace
