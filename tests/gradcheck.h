#pragma once
// A finite-difference gradient checker for the tests.
//
// For a function f of float leaf tensors, it compares the gradients that autograd computes for
//   L = sum(f(x) * R)
// (R a fixed random weighting with entries ±[0.5, 1.5], so that every output element matters,
// with its own weight) against central differences
//   dL/dx_j ≈ (L(x + h e_j) − L(x − h e_j)) / 2h,
// where L is accumulated in double from f's output. In float32, h is ~1e-2 and the tolerances
// are loose — but still far tighter than what a wrong sign, a missing term or a factor of 2
// produces; float64 leaves allow h ~1e-6 and tolerances a million times tighter
// (GradcheckOptions::float64()). Keep inputs at least a few h away from kinks (relu and abs
// at 0, clamp bounds, ties of max/min).
//
//   EXPECT_TRUE(ann::testing::gradcheck([](const auto& x) { return ann::tanh(x[0]); },
//                                       {ann::randn({3, 4})}));
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ann/ann.h"

namespace ann::testing {

struct GradcheckOptions {
  double step = 1e-2;  ///< h of the central difference
  double rtol = 2e-2;  ///< |analytic − numeric| <= atol + rtol·|numeric|
  double atol = 2e-3;
  /// Require every input's analytic gradient to be nonzero somewhere (so that a backward
  /// which returns zeros, or forgets an input, cannot pass by matching a flat function).
  bool expect_nonzero = true;
  std::uint32_t seed = 1234;  ///< seed of the weighting R

  /// The options for float64 leaves: a step and tolerances that float32 could not meet (a
  /// float32 rounding anywhere on the path, about 6e-8 relative, fails them).
  static GradcheckOptions float64() { return {.step = 1e-6, .rtol = 2e-8, .atol = 1e-8}; }
};

/// The weighting R: entries ±U(0.5, 1.5) from a fixed seed.
inline Tensor random_weighting(const Shape& shape, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> magnitude(0.5f, 1.5f);
  std::vector<float> values(static_cast<std::size_t>(numel_of(shape)));
  for (float& v : values) v = (rng() & 1u) ? magnitude(rng) : -magnitude(rng);
  return from_vector(values, shape);
}

/// Σ out·R in double.
inline double weighted_sum(const Tensor& out, const std::vector<float>& r) {
  const std::vector<double> o = out.to_vector<double>();
  double acc = 0.0;
  for (std::size_t i = 0; i < o.size(); ++i) acc += static_cast<double>(o[i]) * static_cast<double>(r[i]);
  return acc;
}

/// Checks the gradients of `f` (which reads `leaves`) with respect to each of `leaves`: float32
/// or float64 contiguous leaf tensors that require grad (module parameters, inputs). Their values are
/// perturbed in place and restored; their .grad is overwritten.
inline ::testing::AssertionResult check_gradients(const std::function<Tensor()>& f, std::vector<Tensor> leaves,
                                                  const GradcheckOptions& opt = {}) {
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    const Tensor& x = leaves[i];
    if (!x.defined() || !x.is_leaf() || !x.requires_grad() || !is_floating_point(x.dtype()) || !x.is_contiguous()) {
      return ::testing::AssertionFailure() << "gradcheck: leaf " << i
                                           << " must be a contiguous float32 or float64 leaf that requires grad";
    }
  }
  // analytic: backward of sum(f(x)·R)
  for (Tensor& x : leaves) x.set_grad(Tensor());
  const Tensor out = f();
  if (!out.requires_grad()) return ::testing::AssertionFailure() << "gradcheck: f's output does not require grad";
  const Tensor R = random_weighting(out.sizes(), opt.seed);
  const std::vector<float> r = R.to_vector<float>();
  sum(out * R).backward();

  std::ostringstream failures;
  int failed = 0;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    Tensor x = leaves[i];
    const Tensor g = x.grad();
    if (!g.defined()) {
      failures << "\n  input " << i << " " << to_string(x.sizes()) << ": no gradient reached it";
      ++failed;
      continue;
    }
    if (g.sizes() != x.sizes()) {
      failures << "\n  input " << i << ": gradient of shape " << to_string(g.sizes()) << " for shape "
               << to_string(x.sizes());
      ++failed;
      continue;
    }
    const std::vector<double> analytic = g.to_vector<double>();
    // Perturbed through the host copies, so the check runs on any device (ANN_TEST_DEVICE).
    std::vector<double> p = x.to_vector<double>();
    const auto write_back = [&] { x.copy_(from_vector(p, x.sizes(), TensorOptions().dtype(x.dtype()).device(x.device()))); };
    // a value as the leaf holds it: float32 leaves take the nearest float
    const auto representable = [&](double v) { return x.dtype() == DType::Float32 ? static_cast<float>(v) : v; };
    double max_analytic = 0.0, max_numeric = 0.0;
    for (std::int64_t j = 0; j < x.numel(); ++j) {
      // numeric: central difference, f evaluated without recording a graph
      const auto at = static_cast<std::size_t>(j);
      const double saved = p[at];
      double up = 0.0, down = 0.0;
      {
        NoGradGuard no_grad;
        p[at] = representable(saved + opt.step);
        const double h_up = p[at] - saved;  // the step the leaf's type really took
        write_back();
        up = weighted_sum(f(), r);
        p[at] = representable(saved - opt.step);
        const double h_down = saved - p[at];
        write_back();
        down = weighted_sum(f(), r);
        p[at] = saved;
        write_back();
        const double numeric = (up - down) / (h_up + h_down);
        const double a = analytic[static_cast<std::size_t>(j)];
        max_analytic = std::max(max_analytic, std::fabs(a));
        max_numeric = std::max(max_numeric, std::fabs(numeric));
        if (!(std::fabs(a - numeric) <= opt.atol + opt.rtol * std::fabs(numeric))) {
          if (++failed <= 12) {
            failures << "\n  input " << i << " " << to_string(x.sizes()) << " element " << j << ": analytic " << a
                     << ", numeric " << numeric;
          }
        }
      }
    }
    if (opt.expect_nonzero && (max_analytic < 1e-4 || max_numeric < 1e-4)) {
      failures << "\n  input " << i << " " << to_string(x.sizes()) << ": gradient is all zero (max |analytic| "
               << max_analytic << ", max |numeric| " << max_numeric << ")";
      ++failed;
    }
  }
  if (failed > 0) return ::testing::AssertionFailure() << failed << " gradient mismatch(es):" << failures.str();
  return ::testing::AssertionSuccess();
}

/// Checks the gradients of `f` with respect to each of `inputs` (float32 or float64 tensors;
/// copies of them are made into leaves that require grad).
inline ::testing::AssertionResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                            const std::vector<Tensor>& inputs, const GradcheckOptions& opt = {}) {
  std::vector<Tensor> leaves;
  for (const Tensor& x : inputs) {
    Tensor leaf = x.detach().clone();
    leaf.requires_grad_(true);
    leaves.push_back(leaf);
  }
  return check_gradients([&] { return f(leaves); }, leaves, opt);
}

}  // namespace ann::testing
