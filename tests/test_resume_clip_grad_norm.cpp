// nn::utils::clip_grad_norm_ against torch.nn.utils.clip_grad_norm_ (torch 1.13), and clipping
// in the training loop (TrainingControl::clip_grad_norm, `ann spiral --clip-grad-norm`).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ann/error.h"
#include "ann/lesson.h"
#include "ann/nn/utils.h"
#include "ann/ops.h"

namespace {

using namespace ann;

Tensor parameter_with_grad(const std::vector<float>& grad, const Shape& shape) {
  Tensor p = zeros(shape).requires_grad_();
  p.set_grad(from_vector(grad, shape));
  return p;
}

// The expected numbers come from torch 1.13.0 (/usr/bin/python3):
//   a = torch.tensor([[0.5, -1.25], [2.0, 0.75]], requires_grad=True); a.grad = a.detach().clone()
//   b = torch.tensor([3.0, -0.5, 0.125], requires_grad=True);       b.grad = b.detach().clone()
//   c = torch.tensor([1.0], requires_grad=True)                        # no gradient
//   torch.nn.utils.clip_grad_norm_([a, b, c], max_norm=1.0)            # tensor(3.9548227787017822)
//   a.grad.flatten().tolist(), b.grad.tolist()
TEST(clip_grad_norm, ScalesTheGradientsAsTorchDoes) {
  Tensor a = parameter_with_grad({0.5f, -1.25f, 2.f, 0.75f}, {2, 2});
  Tensor b = parameter_with_grad({3.f, -0.5f, 0.125f}, {3});
  Tensor c = zeros({1}).requires_grad_();
  const double total = nn::utils::clip_grad_norm_({a, b, c}, 1.0);
  EXPECT_FLOAT_EQ(total, 3.9548227787017822);
  const std::vector<float> ga = a.grad().to_vector<float>(), gb = b.grad().to_vector<float>();
  const std::vector<float> torch_a{0.12642788887023926f, -0.31606972217559814f, 0.505711555480957f,
                                   0.1896418333053589f};
  const std::vector<float> torch_b{0.7585673332214355f, -0.12642788887023926f, 0.031606972217559814f};
  for (std::size_t i = 0; i < ga.size(); ++i) EXPECT_FLOAT_EQ(ga[i], torch_a[i]) << i;
  for (std::size_t i = 0; i < gb.size(); ++i) EXPECT_FLOAT_EQ(gb[i], torch_b[i]) << i;
  EXPECT_FALSE(c.grad().defined());
}

// Same tensors, max_norm=10.0: total 3.9548227787017822, gradients unchanged.
TEST(clip_grad_norm, LeavesGradientsBelowTheNormAlone) {
  Tensor a = parameter_with_grad({0.5f, -1.25f, 2.f, 0.75f}, {2, 2});
  Tensor b = parameter_with_grad({3.f, -0.5f, 0.125f}, {3});
  EXPECT_FLOAT_EQ(nn::utils::clip_grad_norm_({a, b}, 10.0), 3.9548227787017822);
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{0.5f, -1.25f, 2.f, 0.75f}));
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{3.f, -0.5f, 0.125f}));
}

// p.grad = torch.tensor([3.0, 4.0]); clip_grad_norm_([p], max_norm=5.0) -> 5.0, and the
// 1e-6 makes coef = 5 / 5.000001 < 1: p.grad == [2.9999992847442627, 3.9999990463256836].
TEST(clip_grad_norm, AtExactlyTheNormTheEpsilonStillScales) {
  Tensor p = parameter_with_grad({3.f, 4.f}, {2});
  EXPECT_EQ(nn::utils::clip_grad_norm_({p}, 5.0), 5.0);
  EXPECT_EQ(p.grad().to_vector<float>(), (std::vector<float>{2.9999992847442627f, 3.9999990463256836f}));
}

// torch.manual_seed(0)
// w = torch.zeros(100, 2, requires_grad=True); w.grad = torch.randn(100, 2) * 3
// v = torch.zeros(3, 100, requires_grad=True); v.grad = torch.randn(3, 100)
// torch.nn.utils.clip_grad_norm_([w, v], max_norm=0.5)  -> 44.38686752319336
// w.grad[0, 0] -> -0.03804638609290123, v.grad[2, 99] -> -0.00044919009087607265
// w.grad.sum() -> -0.15287275612354279, v.grad.sum() -> -0.039397500455379486
// (ann's randn draws torch's numbers for the same seed.)
TEST(clip_grad_norm, MatchesTorchOnRandomGradients) {
  manual_seed(0);
  Tensor w = zeros({100, 2}).requires_grad_();
  w.set_grad(randn({100, 2}) * 3.f);
  Tensor v = zeros({3, 100}).requires_grad_();
  v.set_grad(randn({3, 100}));
  EXPECT_FLOAT_EQ(nn::utils::clip_grad_norm_({w, v}, 0.5), 44.38686752319336);
  EXPECT_FLOAT_EQ(w.grad().at({0, 0}), -0.03804638609290123f);
  EXPECT_FLOAT_EQ(v.grad().at({2, 99}), -0.00044919009087607265f);
  EXPECT_NEAR(sum(w.grad()).item(), -0.15287275612354279, 1e-6);
  EXPECT_NEAR(sum(v.grad()).item(), -0.039397500455379486, 1e-6);
}

TEST(clip_grad_norm, NoGradientsGiveZeroAndBadNormsAreRefused) {
  EXPECT_EQ(nn::utils::clip_grad_norm_({zeros({2}).requires_grad_()}, 1.0), 0.0);
  EXPECT_EQ(nn::utils::clip_grad_norm_({}, 1.0), 0.0);
  EXPECT_THROW(nn::utils::clip_grad_norm_({}, -1.0), ValueError);
  EXPECT_THROW(nn::utils::clip_grad_norm_({}, std::nan("")), ValueError);
  EXPECT_THROW(nn::utils::clip_grad_norm_({}, INFINITY), ValueError);
}

// In the loop: clipping before every step bounds each gradient the optimizer sees.
TEST(clip_grad_norm, TheTrainingLoopClipsBeforeEveryStep) {
  manual_seed(2);
  const data::Labelled d = data::spiral(30, 3, 0.2);
  nn::Sequential model = lesson::make_mlp(2, 10, 1, 3, lesson::Activation::ReLU);
  auto optimizer = lesson::make_optimizer(lesson::OptimizerKind::SGD, model.parameters(), 0.1, 0.0);
  lesson::TrainingControl control;
  control.clip_grad_norm = 0.01;
  double largest = 0;
  control.after_epoch = [&](const lesson::TrainingState& s) {
    double squares = 0;
    for (const Tensor& p : s.optimizer.parameters())
      for (float g : p.grad().to_vector<float>()) squares += double(g) * g;
    largest = std::max(largest, std::sqrt(squares));
  };
  lesson::train_classifier(model, *optimizer, d.X, d.y, 5, control);
  EXPECT_LE(largest, 0.01 * (1 + 1e-5));
  EXPECT_GT(largest, 0.009);  // the spiral's gradients are far above 0.01: every step was clipped
}

}  // namespace
