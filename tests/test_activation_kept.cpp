// An activation's derivative from what each backward keeps (backend.h's Kept): the activation
// ops keep the output h for ReLU, Tanh, Sigmoid and ELU with α >= 0 and the input z for the
// others; the fused layers keep h where derivative_from_output allows (LeakyReLU with a slope >= 0
// too) and the slope f'(z) elsewhere. Both must give dz bit for bit, on values where the forms
// could part: ±0, subnormals, the edges of exp's range, ±∞.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/elementwise.h"

namespace {

using ann::backend::derivative_from_output;
using ann::backend::Kept;
using ann::backend::kept_by_layers;
using ann::backend::Squash;
using ann::backend::UnaryOp;
namespace cpu = ann::backend::cpu;

std::vector<float> inputs() {
  const float inf = std::numeric_limits<float>::infinity(), tiny = std::numeric_limits<float>::denorm_min();
  std::vector<float> z = {0.f, -0.f, tiny, -tiny, 1e-38f, -1e-38f, 1e-8f, -1e-8f, 0.5f, -0.5f, 1.f, -1.f, 3.f,
                          -3.f, 17.9f, -17.9f, 19.f, -19.f, 88.f, -88.f, 104.f, -104.f, 1e30f, -1e30f, inf, -inf};
  for (int i = -400; i <= 400; ++i) z.push_back(static_cast<float>(i) * 0.0137f);
  return z;
}

std::string name(const Squash& f) { return std::to_string(static_cast<int>(f.op)) + " p0=" + std::to_string(f.p0); }

void expect_same_bits(const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& z,
                      const std::string& what) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) && std::isnan(b[i])) continue;
    EXPECT_EQ(std::bit_cast<std::uint32_t>(a[i]), std::bit_cast<std::uint32_t>(b[i]))
        << what << " at z = " << z[i] << ": " << a[i] << " vs " << b[i];
  }
}

TEST(ActivationKept, OutputSlopeAndInputGiveTheSameGradient) {
  const Squash every[] = {
      {true, UnaryOp::Relu},          {true, UnaryOp::Tanh},          {true, UnaryOp::Sigmoid},
      {true, UnaryOp::LeakyRelu, 0.01}, {true, UnaryOp::LeakyRelu, 0.0}, {true, UnaryOp::LeakyRelu, -0.2},
      {true, UnaryOp::Elu, 1.0},      {true, UnaryOp::Elu, 0.0},      {true, UnaryOp::Elu, -0.4},
      {true, UnaryOp::Gelu},          {true, UnaryOp::Silu},          {true, UnaryOp::Softplus, 1.0, 20.0},
      {true, UnaryOp::Softplus, 2.5, 3.0}};
  const std::vector<float> z = inputs();
  const auto n = static_cast<std::int64_t>(z.size());
  std::vector<float> dy(z.size());
  for (std::size_t i = 0; i < dy.size(); ++i) dy[i] = 0.75f - 0.01f * static_cast<float>(i % 151);
  for (const Squash& f : every) {
    std::vector<float> h(z.size()), by_op(z.size()), by_layers(z.size());
    cpu::unary_float_here(f.op, z.data(), h.data(), n, f.p0, f.p1);
    const bool op_keeps_output = f.op == UnaryOp::Relu || f.op == UnaryOp::Tanh || f.op == UnaryOp::Sigmoid ||
                                 (f.op == UnaryOp::Elu && f.p0 >= 0);
    cpu::squash_derivative_here(f, op_keeps_output ? Kept::Output : Kept::Input, op_keeps_output ? h.data() : z.data(),
                                dy.data(), by_op.data(), n);
    const Kept layers = kept_by_layers(f);
    ASSERT_EQ(layers == Kept::Output, derivative_from_output(f)) << name(f);
    std::vector<float> kept = h;
    if (layers == Kept::Slope) {
      kept = z;
      std::vector<float> value(z.size());
      cpu::squash_keeping_here(f, kept.data(), value.data(), n);
      expect_same_bits(value, h, z, name(f) + " (the value kept beside the slope)");
    }
    cpu::squash_derivative_here(f, layers, kept.data(), dy.data(), by_layers.data(), n);
    expect_same_bits(by_layers, by_op, z, name(f));
    // and the gradient itself, against the derivative at a few points away from any kink
    for (const float v : {-1.f, 0.5f, 3.f}) {
      const std::size_t i = static_cast<std::size_t>(std::find(z.begin(), z.end(), v) - z.begin());
      ASSERT_LT(i, z.size());
      const double eps = 1e-3;
      float hi = 0, lo = 0;
      const float up = v + static_cast<float>(eps), down = v - static_cast<float>(eps);
      cpu::unary_float_here(f.op, &up, &hi, 1, f.p0, f.p1);
      cpu::unary_float_here(f.op, &down, &lo, 1, f.p0, f.p1);
      const double slope = (static_cast<double>(hi) - lo) / (static_cast<double>(up) - down);
      EXPECT_NEAR(by_op[i], dy[i] * slope, 2e-3) << name(f) << " at " << v;
    }
  }
}

}  // namespace
