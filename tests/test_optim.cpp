// Optimizers: SGD (plain, momentum, dampening, nesterov, weight decay), Adam and AdamW, over
// several steps on a tiny parameter with fixed gradients. Each is checked twice: against the
// documented update computed here in double, step by step, and against the numbers that
// torch.optim produced (PyTorch 1.13, /usr/bin/python3), written in as literals.
//
// The torch literals come from this snippet, with `make` the optimizer named beside each:
//
//   import torch
//   P0 = [0.5, -1.2, 2.0]
//   G = [[0.1, -0.2, 0.3], [-0.4, 0.5, 0.05], [0.2, 0.2, -0.6], [0.3, -0.1, 0.25]]
//   p = torch.tensor(P0, requires_grad=True)
//   opt = make([p])
//   for g in G:
//       p.grad = torch.tensor(g)
//       opt.step()
//   print(", ".join("%.9gf" % v for v in p.detach().tolist()))
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ann/ann.h"
#include "test_support.h"

namespace {

using namespace ann;
using ann::testing::message_of;

const std::vector<double> kP0 = {0.5, -1.2, 2.0};
const std::vector<std::vector<double>> kGrads = {
    {0.1, -0.2, 0.3}, {-0.4, 0.5, 0.05}, {0.2, 0.2, -0.6}, {0.3, -0.1, 0.25}};

Tensor to_tensor(const std::vector<double>& v) {
  std::vector<float> f(v.begin(), v.end());
  return from_vector(f, {static_cast<std::int64_t>(f.size())});
}

Tensor make_param() {
  Tensor p = to_tensor(kP0);
  p.requires_grad_();
  return p;
}

// ---- the documented updates, in double ----------------------------------------------------------

// torch.optim.SGD (include/ann/optim/sgd.h):
//   g ← ∇θ + λθ;  b ← g (first step) | μb + (1 − τ)g;  g ← g + μb (nesterov) | b;  θ ← θ − lr·g
struct SgdReference {
  explicit SgdReference(const optim::SGDOptions& options) : o(options) {}
  optim::SGDOptions o;
  std::vector<double> theta = kP0, buf;
  void step(const std::vector<double>& grad) {
    for (std::size_t i = 0; i < theta.size(); ++i) {
      double g = grad[i] + o.weight_decay * theta[i];
      if (o.momentum != 0) {
        if (buf.size() < theta.size()) buf.resize(theta.size());
        buf[i] = first ? g : o.momentum * buf[i] + (1 - o.dampening) * g;
        g = o.nesterov ? g + o.momentum * buf[i] : buf[i];
      }
      theta[i] -= o.lr * g;
    }
    first = false;
  }
  bool first = true;
};

// torch.optim.Adam / AdamW (include/ann/optim/adam.h):
//   θ ← θ(1 − lr·λ) (AdamW) | g ← g + λθ (Adam);  m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;
//   θ ← θ − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)
struct AdamReference {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled;
  std::vector<double> theta = kP0, m = std::vector<double>(3), v = std::vector<double>(3);
  int t = 0;
  void step(const std::vector<double>& grad) {
    ++t;
    for (std::size_t i = 0; i < theta.size(); ++i) {
      double g = grad[i];
      if (decoupled) theta[i] *= 1 - lr * weight_decay;
      else g += weight_decay * theta[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      const double denom = std::sqrt(v[i]) / std::sqrt(1 - std::pow(beta2, t)) + eps;
      theta[i] -= lr / (1 - std::pow(beta1, t)) * m[i] / denom;
    }
  }
};

// Runs `opt` over kGrads, checking θ against `reference` after every step, then against torch.
void run_and_compare(Tensor& p, optim::Optimizer& opt, const std::function<void(const std::vector<double>&)>& ref_step,
                     const std::vector<double>& ref_theta, const std::vector<float>& torch_theta) {
  for (std::size_t s = 0; s < kGrads.size(); ++s) {
    p.set_grad(to_tensor(kGrads[s]));
    opt.step();
    ref_step(kGrads[s]);
    const std::vector<float> got = p.to_vector<float>();
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], ref_theta[i], 2e-6 * std::max(1.0, std::fabs(ref_theta[i])))
          << "step " << s + 1 << ", element " << i;
    }
  }
  const std::vector<float> got = p.to_vector<float>();
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], torch_theta[i], 1e-6) << "vs torch, element " << i;
  EXPECT_TRUE(p.is_leaf());
  EXPECT_TRUE(p.requires_grad());
}

void check_sgd(const optim::SGDOptions& o, const std::vector<float>& torch_theta) {
  Tensor p = make_param();
  optim::SGD opt({p}, o);
  SgdReference ref{o};
  run_and_compare(p, opt, [&](const std::vector<double>& g) { ref.step(g); }, ref.theta, torch_theta);
}

void check_adam(const optim::AdamOptions& o, const std::vector<float>& torch_theta) {
  Tensor p = make_param();
  optim::Adam opt({p}, o);
  AdamReference ref{o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, false};
  run_and_compare(p, opt, [&](const std::vector<double>& g) { ref.step(g); }, ref.theta, torch_theta);
  EXPECT_EQ(opt.state()[0].step, 4);
}

void check_adamw(const optim::AdamWOptions& o, const std::vector<float>& torch_theta) {
  Tensor p = make_param();
  optim::AdamW opt({p}, o);
  AdamReference ref{o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, true};
  run_and_compare(p, opt, [&](const std::vector<double>& g) { ref.step(g); }, ref.theta, torch_theta);
  EXPECT_EQ(opt.state()[0].step, 4);
}

// ---- SGD ----------------------------------------------------------------------------------------

TEST(SGD, Plain) {
  // torch.optim.SGD([p], lr=0.1)
  check_sgd({.lr = 0.1}, {0.480000049f, -1.24000001f, 2.f});
}

TEST(SGD, Momentum) {
  // torch.optim.SGD([p], lr=0.1, momentum=0.9)
  check_sgd({.lr = 0.1, .momentum = 0.9}, {0.506009996f, -1.29472005f, 1.97228014f});
}

TEST(SGD, Dampening) {
  // torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
  check_sgd({.lr = 0.1, .momentum = 0.9, .dampening = 0.5}, {0.485809982f, -1.21297002f, 1.93455505f});
}

TEST(SGD, Nesterov) {
  // torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True)
  check_sgd({.lr = 0.1, .momentum = 0.9, .nesterov = true}, {0.485409021f, -1.325248f, 1.975052f});
}

TEST(SGD, WeightDecay) {
  // torch.optim.SGD([p], lr=0.1, weight_decay=0.1)
  check_sgd({.lr = 0.1, .weight_decay = 0.1}, {0.459999025f, -1.19211435f, 1.92158258f});
}

TEST(SGD, MomentumDampeningAndWeightDecay) {
  // torch.optim.SGD([p], lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.05)
  check_sgd({.lr = 0.05, .momentum = 0.8, .dampening = 0.3, .weight_decay = 0.05},
            {0.488044858f, -1.20249891f, 1.94768631f});
}

TEST(SGD, NesterovWithWeightDecay) {
  // torch.optim.SGD([p], lr=0.05, momentum=0.7, nesterov=True, weight_decay=0.2)
  check_sgd({.lr = 0.05, .momentum = 0.7, .weight_decay = 0.2, .nesterov = true},
            {0.444059908f, -1.14064538f, 1.81860113f});
}

TEST(SGD, FirstStepCopiesTheGradientIntoTheBuffer) {
  // b₁ = g₁ exactly (no (1 − τ) factor on the first step), as torch
  Tensor p = make_param();
  optim::SGD opt({p}, {.lr = 1.0, .momentum = 0.9, .dampening = 0.5});
  p.set_grad(to_tensor(kGrads[0]));
  opt.step();
  ASSERT_TRUE(opt.state()[0].momentum_buffer.defined());
  const std::vector<float> b = opt.state()[0].momentum_buffer.to_vector<float>();
  for (std::size_t i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(b[i], static_cast<float>(kGrads[0][i]));
  EXPECT_FLOAT_EQ(p.at({0}), 0.5f - 0.1f);
}

TEST(SGD, SkipsParametersWithoutGradient) {
  Tensor a = make_param(), b = make_param();
  optim::SGD opt({a, b}, {.lr = 0.1, .momentum = 0.9});
  a.set_grad(to_tensor(kGrads[0]));
  opt.step();
  EXPECT_EQ(b.to_vector<float>(), to_tensor(kP0).to_vector<float>());
  EXPECT_FALSE(opt.state()[1].momentum_buffer.defined());
  EXPECT_FLOAT_EQ(a.at({0}), 0.5f - 0.1f * 0.1f);
}

// zero_grad() drops the gradients (libtorch's default, set_to_none): step() then skips every
// parameter, weight decay included. zero_grad(false) zeroes them in place: step() then decays.
TEST(SGD, ZeroGradDropsOrZeroesEveryGradient) {
  Tensor a = make_param(), b = make_param();
  optim::SGD opt({a, b}, optim::SGDOptions{.lr = 0.1, .weight_decay = 0.5});
  (a * b).sum().backward();
  opt.zero_grad();
  EXPECT_FALSE(a.grad().defined());
  EXPECT_FALSE(b.grad().defined());
  opt.step();  // no gradients: nothing moves
  EXPECT_EQ(a.to_vector<float>(), to_tensor(kP0).to_vector<float>());

  (a * b).sum().backward();
  const Tensor kept = a.grad();
  opt.zero_grad(/*set_to_none=*/false);
  EXPECT_EQ(a.grad().impl(), kept.impl());  // the same tensor, zeroed in place
  EXPECT_EQ(a.grad().to_vector<float>(), std::vector<float>(3, 0.f));
  EXPECT_EQ(b.grad().to_vector<float>(), std::vector<float>(3, 0.f));
  opt.step();  // zero gradients: only the decay, θ − lr · wd · θ = 0.95 θ
  const std::vector<float> decayed = a.to_vector<float>();
  for (std::size_t i = 0; i < kP0.size(); ++i) EXPECT_FLOAT_EQ(decayed[i], static_cast<float>(0.95 * kP0[i]));
}

// ---- Adam, AdamW ------------------------------------------------------------------------------------

TEST(Adam, Defaults) {
  const optim::AdamOptions o;
  EXPECT_EQ(o.lr, 1e-3);
  EXPECT_EQ(o.beta1, 0.9);
  EXPECT_EQ(o.beta2, 0.999);
  EXPECT_EQ(o.eps, 1e-8);
  EXPECT_EQ(o.weight_decay, 0.0);
  EXPECT_EQ(optim::AdamWOptions().weight_decay, 1e-2);
  EXPECT_EQ(optim::SGDOptions().momentum, 0.0);
}

TEST(Adam, Basic) {
  // torch.optim.Adam([p], lr=0.1)
  check_adam({.lr = 0.1}, {0.442665845f, -1.23235428f, 1.85379803f});
}

TEST(Adam, WeightDecayIsAddedToTheGradient) {
  // torch.optim.Adam([p], lr=0.1, weight_decay=0.1)
  check_adam({.lr = 0.1, .weight_decay = 0.1}, {0.398527294f, -1.13215423f, 1.74537706f});
}

TEST(Adam, BetasAndEps) {
  // torch.optim.Adam([p], lr=0.05, betas=(0.8, 0.99), eps=1e-3)
  check_adam({.lr = 0.05, .beta1 = 0.8, .beta2 = 0.99, .eps = 1e-3}, {0.469419986f, -1.22012484f, 1.9341898f});
}

TEST(AdamW, DecoupledWeightDecay) {
  // torch.optim.AdamW([p], lr=0.1, weight_decay=0.1)
  check_adamw({.lr = 0.1, .weight_decay = 0.1}, {0.424710393f, -1.18661666f, 1.77922261f});
}

TEST(AdamW, DefaultWeightDecay) {
  // torch.optim.AdamW([p], lr=0.1)   (weight_decay defaults to 0.01)
  check_adamw({.lr = 0.1}, {0.440845698f, -1.22771859f, 1.84623682f});
}

TEST(Adam, PerParameterState) {
  // Two parameters; b has no gradient at step 2, so its bias correction runs one step behind a's.
  //   a = torch.tensor([0.5, -1.2], requires_grad=True); b = torch.tensor([2.0, 0.3], requires_grad=True)
  //   opt = torch.optim.Adam([a, b], lr=0.1)
  //   for ga, gb in zip([[0.1, -0.2], [-0.4, 0.5], [0.2, 0.2]], [[0.3, 0.1], None, [-0.6, 0.4]]):
  //       a.grad = torch.tensor(ga); b.grad = None if gb is None else torch.tensor(gb); opt.step()
  //   -> a = [0.466967702, -1.19851589], b = [1.93661034, 0.111562364], steps 3 and 2
  Tensor a = tensor({0.5f, -1.2f}, TensorOptions().requires_grad(true));
  Tensor b = tensor({2.0f, 0.3f}, TensorOptions().requires_grad(true));
  optim::Adam opt({a, b}, {.lr = 0.1});
  a.set_grad(tensor({0.1f, -0.2f}));
  b.set_grad(tensor({0.3f, 0.1f}));
  opt.step();
  a.set_grad(tensor({-0.4f, 0.5f}));
  b.set_grad(Tensor());
  opt.step();
  EXPECT_EQ(opt.state()[0].step, 2);
  EXPECT_EQ(opt.state()[1].step, 1);
  a.set_grad(tensor({0.2f, 0.2f}));
  b.set_grad(tensor({-0.6f, 0.4f}));
  opt.step();
  EXPECT_EQ(opt.state()[0].step, 3);
  EXPECT_EQ(opt.state()[1].step, 2);
  EXPECT_NEAR(a.at({0}), 0.466967702f, 1e-6);
  EXPECT_NEAR(a.at({1}), -1.19851589f, 1e-6);
  EXPECT_NEAR(b.at({0}), 1.93661034f, 1e-6);
  EXPECT_NEAR(b.at({1}), 0.111562364f, 1e-6);

  // b alone, with its two gradients, gives the same b: its state is its own
  Tensor b2 = tensor({2.0f, 0.3f}, TensorOptions().requires_grad(true));
  optim::Adam solo({b2}, {.lr = 0.1});
  b2.set_grad(tensor({0.3f, 0.1f}));
  solo.step();
  b2.set_grad(tensor({-0.6f, 0.4f}));
  solo.step();
  EXPECT_EQ(b2.to_vector<float>(), b.to_vector<float>());
  // the moments are per parameter too: m = (1 − β1)(β1 g₁ + g₂) for b after its two steps
  const std::vector<float> m = opt.state()[1].exp_avg.to_vector<float>();
  EXPECT_NEAR(m[0], 0.1 * (0.9 * 0.3 - 0.6), 1e-6);
  EXPECT_NEAR(m[1], 0.1 * (0.9 * 0.1 + 0.4), 1e-6);
}

TEST(Adam, UpdatesFollowTheGradientOfATrainingLoss) {
  // a few steps of Adam on (p − 3)² drive p towards 3
  Tensor p = tensor({0.f, 6.f}, TensorOptions().requires_grad(true));
  optim::Adam opt({p}, {.lr = 0.5});
  for (int i = 0; i < 100; ++i) {
    opt.zero_grad();
    ((p - 3.f) * (p - 3.f)).sum().backward();
    opt.step();
  }
  EXPECT_NEAR(p.at({0}), 3.f, 0.1f);
  EXPECT_NEAR(p.at({1}), 3.f, 0.1f);
}

// ---- options validation ----------------------------------------------------------------------------

template <class F>
std::string value_error(F&& f) {
  try {
    f();
  } catch (const ValueError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ValueError";
  return "";
}

TEST(OptimizerOptions, Validation) {
  const Tensor p = tensor({1.f}, TensorOptions().requires_grad(true));
  auto has = [](const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; };
  std::string m = value_error([&] { optim::SGD({p}, {.lr = -0.1}); });
  EXPECT_TRUE(has(m, "SGD") && has(m, "learning rate") && has(m, "-0.1")) << m;
  m = value_error([&] { optim::SGD({p}, {.momentum = -0.5}); });
  EXPECT_TRUE(has(m, "SGD") && has(m, "momentum") && has(m, "-0.5")) << m;
  m = value_error([&] { optim::SGD({p}, {.weight_decay = -1.0}); });
  EXPECT_TRUE(has(m, "SGD") && has(m, "weight_decay")) << m;
  m = value_error([&] { optim::SGD({p}, {.nesterov = true}); });
  EXPECT_TRUE(has(m, "nesterov")) << m;
  m = value_error([&] { optim::SGD({p}, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}); });
  EXPECT_TRUE(has(m, "nesterov") && has(m, "dampening")) << m;
  EXPECT_NO_THROW(optim::SGD({p}, {.lr = 0.0, .momentum = 0.9, .nesterov = true}));

  m = value_error([&] { optim::Adam({p}, {.lr = -1e-3}); });
  EXPECT_TRUE(has(m, "Adam") && has(m, "learning rate")) << m;
  m = value_error([&] { optim::Adam({p}, {.beta1 = 1.0}); });
  EXPECT_TRUE(has(m, "Adam") && has(m, "beta1")) << m;
  m = value_error([&] { optim::Adam({p}, {.beta2 = -0.1}); });
  EXPECT_TRUE(has(m, "Adam") && has(m, "beta2")) << m;
  m = value_error([&] { optim::Adam({p}, {.eps = -1e-8}); });
  EXPECT_TRUE(has(m, "Adam") && has(m, "epsilon")) << m;
  m = value_error([&] { optim::Adam({p}, {.weight_decay = -0.1}); });
  EXPECT_TRUE(has(m, "Adam") && has(m, "weight_decay")) << m;
  m = value_error([&] { optim::AdamW({p}, {.beta2 = 1.5}); });
  EXPECT_TRUE(has(m, "AdamW") && has(m, "beta2")) << m;
  m = value_error([&] { optim::AdamW({p}, {.lr = NAN}); });
  EXPECT_TRUE(has(m, "AdamW") && has(m, "learning rate")) << m;
  EXPECT_NO_THROW(optim::Adam({p}, {.beta1 = 0.0, .beta2 = 0.0}));

  // parameters must be float32 contiguous leaves
  EXPECT_THROW(optim::SGD({p * 2.f}), ValueError);
  EXPECT_THROW(optim::Adam({Tensor()}), ValueError);
  EXPECT_THROW(optim::SGD({zeros({2}, TensorOptions().dtype(DType::Int64))}), ValueError);
  EXPECT_THROW(optim::SGD({zeros({2, 3}).t()}), ValueError);
}

// ---- state_dict: any optimizer's state out and back in ------------------------------------

// Parameters a (a gradient every step) and b (every other step), updated at steps [first, last).
void run_steps(optim::Optimizer& opt, Tensor& a, Tensor& b, int first, int last) {
  for (int t = first; t < last; ++t) {
    a.set_grad(tensor({0.1f * static_cast<float>(t), -0.3f, 0.2f}));
    b.set_grad(t % 2 ? tensor({0.5f, -0.25f}) : Tensor());
    opt.step();
  }
}

// 5 steps straight, against 2 steps, state_dict into a new optimizer, 3 more steps: same bits.
template <class Make>
void expect_state_dict_resumes_bit_for_bit(Make make) {
  auto fresh_a = [] { return tensor({0.5f, -1.2f, 0.7f}, TensorOptions().requires_grad(true)); };
  auto fresh_b = [] { return tensor({2.f, 0.3f}, TensorOptions().requires_grad(true)); };
  Tensor a = fresh_a(), b = fresh_b();
  auto straight = make(std::vector<Tensor>{a, b});
  run_steps(*straight, a, b, 1, 6);

  Tensor a2 = fresh_a(), b2 = fresh_b();
  auto before = make(std::vector<Tensor>{a2, b2});
  run_steps(*before, a2, b2, 1, 3);
  const optim::OptimizerState saved = before->state_dict();
  const Tensor& first_field = saved.parameters[0].begin()->second;
  const std::vector<float> saved_values = first_field.to_vector<float>();
  auto resumed = make(std::vector<Tensor>{a2, b2});
  resumed->load_state_dict(saved);
  run_steps(*resumed, a2, b2, 3, 6);
  EXPECT_EQ(a2.to_vector<float>(), a.to_vector<float>());
  EXPECT_EQ(b2.to_vector<float>(), b.to_vector<float>());
  // load_state_dict copied: the saved state's tensors did not move with the resumed steps
  EXPECT_EQ(first_field.to_vector<float>(), saved_values);
}

TEST(OptimizerState, EveryKindResumesBitForBit) {
  expect_state_dict_resumes_bit_for_bit(
      [](std::vector<Tensor> p) { return std::make_unique<optim::SGD>(p, optim::SGDOptions{.lr = 0.1, .momentum = 0.9}); });
  expect_state_dict_resumes_bit_for_bit([](std::vector<Tensor> p) {
    return std::make_unique<optim::SGD>(p, optim::SGDOptions{.lr = 0.1, .momentum = 0.5, .nesterov = true});
  });
  expect_state_dict_resumes_bit_for_bit([](std::vector<Tensor> p) { return std::make_unique<optim::Adam>(p); });
  expect_state_dict_resumes_bit_for_bit([](std::vector<Tensor> p) { return std::make_unique<optim::AdamW>(p); });
}

TEST(OptimizerState, SaysWhatItHolds) {
  Tensor a = tensor({0.5f, -1.2f, 0.7f}, TensorOptions().requires_grad(true)), b = tensor({2.f, 0.3f}, TensorOptions().requires_grad(true));
  optim::Adam adam({a, b}, {.lr = 0.05});
  EXPECT_EQ(adam.kind(), "adam");
  run_steps(adam, a, b, 2, 3);  // a step at t = 2: a has a gradient, b none
  const optim::OptimizerState s = adam.state_dict();
  EXPECT_EQ(s.kind, "adam");
  EXPECT_EQ(s.hyper_parameters.at("lr"), 0.05);
  EXPECT_EQ(s.hyper_parameters.at("beta2"), 0.999);
  ASSERT_EQ(s.parameters.size(), 2u);
  EXPECT_EQ(s.parameters[0].at("step").item<std::int64_t>(), 1);
  EXPECT_EQ(s.parameters[0].at("exp_avg").sizes(), Shape({3}));
  EXPECT_TRUE(s.parameters[1].empty()) << "b was not updated";
  EXPECT_EQ(optim::AdamW({a}).kind(), "adamw");
  optim::SGD sgd({a}, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  EXPECT_EQ(sgd.state_dict().hyper_parameters.at("nesterov"), 1.0);
  EXPECT_TRUE(sgd.state_dict().parameters[0].empty()) << "no buffer before the first step";
}

TEST(OptimizerState, RefusesAStateThatDoesNotFitAndChangesNothing) {
  Tensor a = tensor({0.5f, -1.2f, 0.7f}, TensorOptions().requires_grad(true)), b = tensor({2.f, 0.3f}, TensorOptions().requires_grad(true));
  optim::Adam adam({a, b});
  run_steps(adam, a, b, 1, 3);
  const optim::OptimizerState good = adam.state_dict();
  const std::vector<float> m_before = good.parameters[0].at("exp_avg").to_vector<float>();
  auto refused = [&](const std::function<void(optim::OptimizerState&)>& edit, const std::string& needle) {
    optim::OptimizerState bad = good;
    for (auto& p : bad.parameters)
      for (auto& [name, t] : p) t = t.clone();  // edits must not reach the optimizer's own tensors
    edit(bad);
    const std::string m = message_of<ValueError>([&] { adam.load_state_dict(bad); });
    EXPECT_NE(m.find(needle), std::string::npos) << "\"" << needle << "\" not in: " << m;
    EXPECT_EQ(adam.state()[0].exp_avg.to_vector<float>(), m_before);
    EXPECT_EQ(adam.state()[0].step, 2);
  };
  refused([](auto& s) { s.kind = "sgd"; }, "adam load_state_dict: the state is of sgd, not adam");
  refused([](auto& s) { s.parameters.pop_back(); }, "the state has 1 parameters but the optimizer has 2");
  refused([](auto& s) { s.parameters[0].erase("exp_avg_sq"); },
          "parameter 0 has only part of its state (step, exp_avg, exp_avg_sq): no \"exp_avg_sq\"");
  refused([](auto& s) { s.parameters[1]["momentum_buffer"] = zeros({2}); },
          "parameter 1 has a field \"momentum_buffer\" that adam does not keep");
  refused([](auto& s) { s.parameters[0]["exp_avg"] = zeros({2}); },
          "parameter 0's \"exp_avg\" is float32 [2], expected float32 [3]");
  refused([](auto& s) { s.parameters[0]["step"] = zeros({}); }, "parameter 0's \"step\" is float32 [], expected int64 []");
  refused([](auto& s) { s.parameters[0]["step"] = from_vector(std::vector<std::int64_t>{0}, {}); },
          "parameter 0's \"step\" is 0, not >= 1");
}

}  // namespace
