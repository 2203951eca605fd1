// Gradient checks: autograd against central differences, one row of a table per
// differentiable public op, module and loss (see gradcheck.h for how the check works).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "ann/ann.h"
#include "gradcheck.h"

namespace {

using namespace ann;
using ann::testing::check_gradients;
using ann::testing::gradcheck;
using ann::testing::GradcheckOptions;
using Inputs = std::vector<Tensor>;
using nn::Reduction;

// ---- inputs -----------------------------------------------------------------------------------

// How an input's values are drawn. Values are a shuffled lattice, so that no two elements are
// closer than the lattice spacing (no max/min ties under a perturbation of h) and none is near
// a kink at 0.
enum class Init {
  Signed,    // ±(0.2 .. 1.2): away from 0 (relu, abs), distinct (max, min)
  Positive,  // 0.5 .. 1.5: log, sqrt, fractional powers, denominators
  Prob,      // 0.1 .. 0.9: probabilities
};

struct Input {
  Shape shape;
  Init init = Init::Signed;
  std::vector<float> values = {};  // explicit values instead of `init`
};

Tensor make_input(const Input& in, std::uint32_t seed) {
  if (!in.values.empty()) return from_vector(in.values, in.shape);
  const auto n = static_cast<std::size_t>(numel_of(in.shape));
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double u = n > 1 ? static_cast<double>(order[i]) / static_cast<double>(n - 1) : 0.5;  // in [0, 1]
    switch (in.init) {
      case Init::Signed: v[i] = static_cast<float>((rng() & 1u ? 1.0 : -1.0) * (0.2 + u)); break;
      case Init::Positive: v[i] = static_cast<float>(0.5 + u); break;
      case Init::Prob: v[i] = static_cast<float>(0.1 + 0.8 * u); break;
    }
  }
  return from_vector(v, in.shape);
}

Tensor labels(std::vector<std::int64_t> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return from_vector(v, {n});
}

// ---- the table ----------------------------------------------------------------------------------

struct Case {
  std::string name;
  std::vector<Input> inputs;
  std::function<Tensor(const Inputs&)> f;
  GradcheckOptions options = {};
};

const Input S34{{3, 4}};
const Input P34{{3, 4}, Init::Positive};
const Input S234{{2, 3, 4}};

std::vector<Case> op_cases() {
  std::vector<Case> c;
  auto add_case = [&](std::string name, std::vector<Input> inputs, std::function<Tensor(const Inputs&)> f,
                      GradcheckOptions options = {}) {
    c.push_back({std::move(name), std::move(inputs), std::move(f), options});
  };

  // ---- linear algebra
  add_case("matmul_mm", {S34, {{4, 5}}}, [](const Inputs& x) { return matmul(x[0], x[1]); });
  add_case("matmul_vm", {{{4}}, {{4, 5}}}, [](const Inputs& x) { return matmul(x[0], x[1]); });
  add_case("matmul_mv", {S34, {{4}}}, [](const Inputs& x) { return matmul(x[0], x[1]); });
  add_case("matmul_vv", {{{4}}, {{4}}}, [](const Inputs& x) { return matmul(x[0], x[1]); });
  add_case("matmul_lhs_transposed", {{{4, 3}}, {{4, 5}}}, [](const Inputs& x) { return matmul(x[0].t(), x[1]); });
  add_case("matmul_rhs_transposed", {S34, {{5, 4}}}, [](const Inputs& x) { return matmul(x[0], x[1].t()); });
  add_case("matmul_both_transposed", {{{4, 3}}, {{5, 4}}},
           [](const Inputs& x) { return x[0].t().matmul(x[1].t()); });
  add_case("matmul_sliced_operand", {{{3, 6}}, {{4, 5}}},
           [](const Inputs& x) { return matmul(x[0].slice(1, 1, 5), x[1]); });
  add_case("linear_bias", {S34, {{5, 4}}, {{5}}}, [](const Inputs& x) { return linear(x[0], x[1], x[2]); });
  add_case("linear_no_bias", {S34, {{5, 4}}}, [](const Inputs& x) { return linear(x[0], x[1]); });
  add_case("linear_one_sample", {{{4}}, {{5, 4}}, {{5}}}, [](const Inputs& x) { return linear(x[0], x[1], x[2]); });
  add_case("linear_leading_dims", {S234, {{5, 4}}, {{5}}},
           [](const Inputs& x) { return linear(x[0], x[1], x[2], Activation::Tanh); });
  // the fused affine layer: y = f(x Wᵀ + b) as one node
  add_case("linear_relu", {S34, {{5, 4}}, {{5}}},
           [](const Inputs& x) { return linear(x[0], x[1], x[2], Activation::ReLU); });
  add_case("linear_tanh", {S34, {{5, 4}}, {{5}}},
           [](const Inputs& x) { return linear(x[0], x[1], x[2], Activation::Tanh); });
  add_case("linear_sigmoid", {S34, {{5, 4}}, {{5}}},
           [](const Inputs& x) { return linear(x[0], x[1], x[2], Activation::Sigmoid); });
  add_case("linear_tanh_no_bias", {S34, {{5, 4}}},
           [](const Inputs& x) { return linear(x[0], x[1], Tensor(), Activation::Tanh); });
  add_case("linear_transposed_input", {{{4, 3}}, {{5, 4}}, {{5}}},
           [](const Inputs& x) { return linear(x[0].t(), x[1], x[2]); });

  // ---- arithmetic with broadcasting
  add_case("add", {S34, S34}, [](const Inputs& x) { return add(x[0], x[1]); });
  add_case("add_row_broadcast", {S34, {{4}}}, [](const Inputs& x) { return x[0] + x[1]; });
  add_case("add_outer_broadcast", {{{3, 1}}, {{1, 4}}}, [](const Inputs& x) { return x[0] + x[1]; });
  add_case("add_scalar_tensor", {S34, {{}}}, [](const Inputs& x) { return x[0] + x[1]; });
  add_case("sub", {S34, S34}, [](const Inputs& x) { return sub(x[0], x[1]); });
  add_case("sub_row_broadcast", {S34, {{4}}}, [](const Inputs& x) { return x[0] - x[1]; });
  add_case("sub_broadcast_lhs", {{{4}}, S34}, [](const Inputs& x) { return x[0] - x[1]; });
  add_case("sub_scalar_tensor_lhs", {{{}}, S34}, [](const Inputs& x) { return x[0] - x[1]; });
  add_case("mul", {S34, S34}, [](const Inputs& x) { return mul(x[0], x[1]); });
  add_case("mul_outer_broadcast", {{{3, 1}}, {{1, 4}}}, [](const Inputs& x) { return x[0] * x[1]; });
  add_case("mul_3d_broadcast", {S234, {{3, 1}}}, [](const Inputs& x) { return x[0] * x[1]; });
  add_case("mul_scalar_tensor", {{{}}, S34}, [](const Inputs& x) { return x[0] * x[1]; });
  add_case("mul_self", {S34}, [](const Inputs& x) { return x[0] * x[0]; });
  add_case("div", {S34, P34}, [](const Inputs& x) { return div(x[0], x[1]); });
  add_case("div_3d_broadcast", {S234, {{3, 1}, Init::Positive}}, [](const Inputs& x) { return x[0] / x[1]; });
  add_case("div_broadcast_numerator", {{{4}}, P34}, [](const Inputs& x) { return x[0] / x[1]; });
  add_case("div_scalar_tensor", {S34, {{}, Init::Positive}}, [](const Inputs& x) { return x[0] / x[1]; });
  add_case("add_float", {S34}, [](const Inputs& x) { return x[0] + 2.5f; });
  add_case("float_add", {S34}, [](const Inputs& x) { return 2.5f + x[0]; });
  add_case("sub_float", {S34}, [](const Inputs& x) { return x[0] - 1.5f; });
  add_case("float_sub", {S34}, [](const Inputs& x) { return 1.5f - x[0]; });
  add_case("mul_float", {S34}, [](const Inputs& x) { return x[0] * -3.f; });
  add_case("float_mul", {S34}, [](const Inputs& x) { return -3.f * x[0]; });
  add_case("div_float", {S34}, [](const Inputs& x) { return x[0] / 4.f; });
  add_case("float_div", {P34}, [](const Inputs& x) { return 2.f / x[0]; });
  add_case("neg", {S34}, [](const Inputs& x) { return neg(x[0]); });
  add_case("unary_minus", {S34}, [](const Inputs& x) { return -x[0]; });

  // ---- elementwise functions
  add_case("pow_2", {S34}, [](const Inputs& x) { return pow(x[0], 2.f); });
  add_case("pow_3", {S34}, [](const Inputs& x) { return x[0].pow(3.f); });
  add_case("pow_0_5", {P34}, [](const Inputs& x) { return pow(x[0], 0.5f); });
  add_case("pow_1_7", {P34}, [](const Inputs& x) { return pow(x[0], 1.7f); });
  add_case("pow_minus_1", {P34}, [](const Inputs& x) { return pow(x[0], -1.f); });
  add_case("pow_minus_2_5", {P34}, [](const Inputs& x) { return pow(x[0], -2.5f); });
  add_case("exp", {S34}, [](const Inputs& x) { return exp(x[0]); });
  add_case("log", {P34}, [](const Inputs& x) { return log(x[0]); });
  add_case("sqrt", {P34}, [](const Inputs& x) { return sqrt(x[0]); });
  add_case("abs", {S34}, [](const Inputs& x) { return abs(x[0]); });
  // values on both sides of both bounds, none within 0.05 of a bound
  add_case("clamp",
           {{{3, 4}, Init::Signed, {-1.2f, -0.8f, -0.3f, 0.1f, 0.4f, 0.9f, 1.3f, -0.05f, 0.55f, -0.62f, 0.7f, -0.2f}}},
           [](const Inputs& x) { return clamp(x[0], -0.5f, 0.6f); });
  add_case("relu", {S34}, [](const Inputs& x) { return relu(x[0]); });
  add_case("tanh", {S34}, [](const Inputs& x) { return tanh(x[0]); });
  add_case("leaky_relu", {S34}, [](const Inputs& x) { return leaky_relu(x[0], 0.2f); });
  add_case("elu", {S34}, [](const Inputs& x) { return elu(x[0], 1.5f); });
  add_case("gelu", {S34}, [](const Inputs& x) { return gelu(x[0]); });
  add_case("silu", {S34}, [](const Inputs& x) { return silu(x[0]); });
  // both sides of βx = threshold (x = 0.5), none near it: softplus jumps there, as torch's does
  add_case("softplus",
           {{{3, 4}, Init::Signed, {-1.2f, -0.8f, -0.3f, 0.1f, 0.3f, 0.9f, 1.3f, -0.05f, 0.7f, -0.62f, 0.25f, -0.2f}}},
           [](const Inputs& x) { return softplus(x[0], 2.f, 1.f); });
  add_case("erf", {S34}, [](const Inputs& x) { return erf(x[0]); });
  add_case("log1p", {P34}, [](const Inputs& x) { return log1p(x[0]); });
  add_case("sign_times_x", {S34}, [](const Inputs& x) { return sign(x[0]) * x[0] * x[0]; });  // d/dx = 2|x|
  add_case("sum_dims", {S234}, [](const Inputs& x) { return sum(x[0], {0, 2}); });
  add_case("mean_dims_keepdim", {S234}, [](const Inputs& x) { return mean(x[0], {-1, 0}, true); });
  add_case("prod_dim", {S34}, [](const Inputs& x) { return prod(x[0], 1); });
  add_case("prod_all", {{{5}}}, [](const Inputs& x) { return prod(x[0]); });
  add_case("prod_with_one_zero", {{{2, 3}, Init::Signed, {0.5f, 0.f, -1.5f, 2.f, 0.75f, 1.25f}}},
           [](const Inputs& x) { return prod(x[0], 1, true); },
           {.step = 1e-2, .rtol = 2e-2, .atol = 2e-3, .expect_nonzero = true});
  add_case("cumsum_rows", {S34}, [](const Inputs& x) { return cumsum(x[0], 1); });
  add_case("cumsum_first_dim", {S234}, [](const Inputs& x) { return cumsum(x[0], 0); });
  add_case("bmm", {S234, {{2, 4, 5}}}, [](const Inputs& x) { return bmm(x[0], x[1]); });
  add_case("matmul_batched_broadcast", {S234, {{4, 5}}}, [](const Inputs& x) { return matmul(x[0], x[1]); });
  add_case("matmul_batched_vector", {{{4}}, {{2, 4, 3}}}, [](const Inputs& x) { return matmul(x[0], x[1]); });
  add_case("addmm", {{{5}}, S34, {{4, 5}}}, [](const Inputs& x) { return addmm(x[0], x[1], x[2], 0.5, 2.0); });
  add_case("maximum", {S34, S34}, [](const Inputs& x) { return maximum(x[0], x[1]); });
  add_case("minimum_broadcast", {S34, {{4}}}, [](const Inputs& x) { return minimum(x[0], x[1]); });
  add_case("dropout", {S34}, [](const Inputs& x) {
    Generator g(5);  // the same mask at every evaluation
    return dropout(x[0], 0.4, true, g);
  });
  add_case("sigmoid", {S34}, [](const Inputs& x) { return sigmoid(x[0]); });
  add_case("exp_of_transposed", {S34}, [](const Inputs& x) { return exp(x[0].t()); });
  add_case("tanh_of_slice", {{{3, 6}}}, [](const Inputs& x) { return x[0].slice(1, 2, 5).tanh(); });

  // ---- softargmax
  add_case("softmax_dim0", {S34}, [](const Inputs& x) { return softmax(x[0], 0); });
  add_case("softmax_dim1", {S34}, [](const Inputs& x) { return softmax(x[0], 1); });
  add_case("softmax_dim_minus1", {S34}, [](const Inputs& x) { return x[0].softmax(-1); });
  add_case("softmax_3d_dim1", {S234}, [](const Inputs& x) { return softmax(x[0], 1); });
  add_case("log_softmax_dim0", {S34}, [](const Inputs& x) { return log_softmax(x[0], 0); });
  add_case("log_softmax_dim1", {S34}, [](const Inputs& x) { return log_softmax(x[0], 1); });
  add_case("log_softmax_dim_minus1", {S34}, [](const Inputs& x) { return x[0].log_softmax(-1); });
  add_case("log_softmax_3d_dim1", {S234}, [](const Inputs& x) { return log_softmax(x[0], 1); });
  add_case("softmax_of_transposed", {S34}, [](const Inputs& x) { return softmax(x[0].t(), 1); });

  // ---- reductions
  add_case("sum_all", {S34}, [](const Inputs& x) { return sum(x[0]); });
  add_case("sum_dim0", {S34}, [](const Inputs& x) { return sum(x[0], 0); });
  add_case("sum_dim1_keepdim", {S34}, [](const Inputs& x) { return sum(x[0], 1, true); });
  add_case("sum_dim_minus1", {S34}, [](const Inputs& x) { return x[0].sum(-1); });
  add_case("sum_3d_dim1", {S234}, [](const Inputs& x) { return sum(x[0], 1); });
  add_case("sum_3d_dim1_keepdim", {S234}, [](const Inputs& x) { return sum(x[0], 1, true); });
  add_case("sum_of_transposed", {S34}, [](const Inputs& x) { return sum(x[0].t(), 0); });
  add_case("mean_all", {S34}, [](const Inputs& x) { return mean(x[0]); });
  add_case("mean_dim0", {S34}, [](const Inputs& x) { return mean(x[0], 0); });
  add_case("mean_dim1_keepdim", {S34}, [](const Inputs& x) { return x[0].mean(1, true); });
  add_case("mean_3d_dim2", {S234}, [](const Inputs& x) { return mean(x[0], 2); });
  add_case("max_all", {S34}, [](const Inputs& x) { return max(x[0]); });
  add_case("max_dim0", {S34}, [](const Inputs& x) { return std::get<0>(max(x[0], 0)); });
  add_case("max_dim1_keepdim", {S34}, [](const Inputs& x) { return std::get<0>(x[0].max(1, true)); });
  add_case("max_3d_dim1", {S234}, [](const Inputs& x) { return std::get<0>(max(x[0], 1)); });
  add_case("min_all", {S34}, [](const Inputs& x) { return min(x[0]); });
  add_case("min_dim0", {S34}, [](const Inputs& x) { return std::get<0>(min(x[0], 0)); });
  add_case("min_dim1_keepdim", {S34}, [](const Inputs& x) { return std::get<0>(x[0].min(1, true)); });
  add_case("min_3d_dim2", {S234}, [](const Inputs& x) { return std::get<0>(min(x[0], 2)); });
  add_case("var_all", {S34}, [](const Inputs& x) { return var(x[0]); });
  add_case("var_all_biased", {S34}, [](const Inputs& x) { return var(x[0].flatten(), 0, false); });
  add_case("var_dim0", {S34}, [](const Inputs& x) { return var(x[0], 0); });
  add_case("var_dim1_biased", {S34}, [](const Inputs& x) { return var(x[0], 1, false); });
  add_case("var_dim1_keepdim", {S34}, [](const Inputs& x) { return x[0].var(1, true, true); });
  add_case("var_3d_dim1", {S234}, [](const Inputs& x) { return var(x[0], 1); });
  add_case("std_all", {S34}, [](const Inputs& x) { return ann::std(x[0]); });
  add_case("std_all_biased", {S34}, [](const Inputs& x) { return ann::std(x[0].flatten(), 0, false); });
  add_case("std_dim0", {S34}, [](const Inputs& x) { return ann::std(x[0], 0); });
  add_case("std_dim1_biased_keepdim", {S34}, [](const Inputs& x) { return x[0].std(1, false, true); });

  // ---- joining and indexing
  add_case("stack_dim0", {S34, S34}, [](const Inputs& x) { return stack({x[0], x[1]}, 0); });
  add_case("stack_dim1", {S34, S34, S34}, [](const Inputs& x) { return stack({x[0], x[1], x[2]}, 1); });
  add_case("stack_dim_minus1", {S34, S34}, [](const Inputs& x) { return stack({x[0], x[1]}, -1); });
  add_case("cat_dim0", {{{2, 4}}, S34}, [](const Inputs& x) { return cat({x[0], x[1]}, 0); });
  add_case("cat_dim1", {{{3, 2}}, {{3, 5}}, S34}, [](const Inputs& x) { return cat({x[0], x[1], x[2]}, 1); });
  add_case("cat_same_tensor_twice", {S34}, [](const Inputs& x) { return cat({x[0], x[0]}, 0); });
  add_case("index_select_dim0", {{{4, 3}}},
           [](const Inputs& x) { return index_select(x[0], 0, labels({2, 0, 2, 3})); });
  add_case("index_select_dim1", {S34}, [](const Inputs& x) { return index_select(x[0], 1, labels({3, 1, 1})); });
  add_case("gather_dim1", {S34}, [](const Inputs& x) {
    return gather(x[0], 1, from_vector(std::vector<std::int64_t>{0, 3, 1, 1, 2, 0}, {3, 2}));
  });
  add_case("gather_dim0", {S34}, [](const Inputs& x) {
    return gather(x[0], 0, from_vector(std::vector<std::int64_t>{2, 0, 1, 2, 0, 0, 2, 1}, {2, 4}));
  });

  // ---- views and copies
  add_case("view", {S34}, [](const Inputs& x) { return x[0].view({2, 6}); });
  add_case("view_infer", {S234}, [](const Inputs& x) { return x[0].view({-1, 4}); });
  add_case("reshape", {S34}, [](const Inputs& x) { return x[0].reshape({4, 3}); });
  add_case("reshape_non_contiguous", {S34}, [](const Inputs& x) { return x[0].t().reshape({2, 6}); });
  add_case("flatten", {S234}, [](const Inputs& x) { return x[0].flatten(); });
  add_case("unsqueeze0", {S34}, [](const Inputs& x) { return x[0].unsqueeze(0); });
  add_case("unsqueeze_minus1", {S34}, [](const Inputs& x) { return x[0].unsqueeze(-1) * x[0].unsqueeze(1); });
  add_case("squeeze_dim", {{{3, 1, 4}}}, [](const Inputs& x) { return x[0].squeeze(1); });
  add_case("squeeze_all", {{{1, 3, 1, 4}}}, [](const Inputs& x) { return x[0].squeeze(); });
  add_case("transpose", {S34}, [](const Inputs& x) { return x[0].transpose(0, 1); });
  add_case("transpose_3d", {S234}, [](const Inputs& x) { return x[0].transpose(0, 2).contiguous(); });
  add_case("t", {S34}, [](const Inputs& x) { return x[0].t(); });
  add_case("slice", {{{3, 6}}}, [](const Inputs& x) { return x[0].slice(1, 1, 4); });
  add_case("slice_negative", {{{5, 3}}}, [](const Inputs& x) { return x[0].slice(0, -3, -1); });
  add_case("index_row", {S34}, [](const Inputs& x) { return x[0][1]; });
  add_case("index_row_negative", {S234}, [](const Inputs& x) { return x[0][-1][0]; });
  add_case("clone", {S34}, [](const Inputs& x) { return x[0].clone(); });
  add_case("where_broadcast", {{{3, 1}}, {{1, 4}}}, [](const Inputs& x) {
    const Tensor c = from_vector(std::vector<bool>{true, false, true, false, false, true, true, true, false, true, false, false}, {3, 4});
    return where(c, x[0], x[1]);
  });
  add_case("logsumexp", {S34}, [](const Inputs& x) { return logsumexp(x[0], 1); });
  add_case("logsumexp_keepdim", {S234}, [](const Inputs& x) { return logsumexp(x[0], 0, true); });
  add_case("norm_all", {S34}, [](const Inputs& x) { return norm(x[0]); });
  add_case("norm_dim", {S34}, [](const Inputs& x) { return norm(x[0], 2, {1}); });
  add_case("norm_p3_dims", {S234}, [](const Inputs& x) { return norm(x[0], 3, {0, 2}, true); });
  add_case("norm_1", {S34}, [](const Inputs& x) { return norm(x[0], 1); });
  add_case("outer", {{{3}}, {{4}}}, [](const Inputs& x) { return outer(x[0], x[1]); });
  add_case("dot", {{{5}}, {{5}}}, [](const Inputs& x) { return dot(x[0], x[1]); });
  add_case("repeat", {{{2, 3}}}, [](const Inputs& x) { return x[0].repeat({2, 1, 3}); });
  add_case("masked_fill", {S34}, [](const Inputs& x) { return masked_fill(x[0], x[0] > 0.f, -2.f); });
  add_case("narrow", {S234}, [](const Inputs& x) { return x[0].narrow(2, 1, 2); });
  add_case("select", {S234}, [](const Inputs& x) { return x[0].select(1, -1); });
  add_case("permute", {S234}, [](const Inputs& x) { return x[0].permute({2, 0, 1}); });
  add_case("permute_then_reshape", {S234}, [](const Inputs& x) { return x[0].permute({1, 2, 0}).reshape({4, 6}); });
  add_case("expand", {{{3, 1}}}, [](const Inputs& x) { return x[0].expand({2, 3, 4}); });
  add_case("expand_keep", {{{1, 4}}}, [](const Inputs& x) { return x[0].expand({-1, 4}).expand({3, -1}); });
  add_case("flatten_dims", {S234}, [](const Inputs& x) { return x[0].flatten(1); });
  add_case("chunk_piece", {{{5, 3}}}, [](const Inputs& x) { return x[0].chunk(2, 0)[1] * 2.f; });
  add_case("split_pieces", {{{5, 3}}}, [](const Inputs& x) {
    const auto pieces = x[0].split(2, 0);
    return cat({pieces[2], pieces[0]}, 0);
  });
  add_case("contiguous", {S34}, [](const Inputs& x) { return x[0].t().contiguous(); });
  add_case("slice_then_view_ops", {{{4, 6}}},
           [](const Inputs& x) { return x[0].slice(0, 1, 3).transpose(0, 1).reshape({3, 4}) * x[0][0].view({3, 2}).sum(1, true); });

  // ---- modules without parameters
  add_case("module_relu", {S34}, [](const Inputs& x) { return nn::ReLU()(x[0]); });
  add_case("module_leaky_relu", {S34}, [](const Inputs& x) { return nn::LeakyReLU()(x[0]); });
  add_case("module_elu", {S34}, [](const Inputs& x) { return nn::ELU()(x[0]); });
  add_case("module_gelu", {S34}, [](const Inputs& x) { return nn::GELU()(x[0]); });
  add_case("module_silu", {S34}, [](const Inputs& x) { return nn::SiLU()(x[0]); });
  add_case("module_softplus", {S34}, [](const Inputs& x) { return nn::Softplus()(x[0]); });
  add_case("module_tanh", {S34}, [](const Inputs& x) { return nn::Tanh()(x[0]); });
  add_case("module_sigmoid", {S34}, [](const Inputs& x) { return nn::Sigmoid()(x[0]); });
  add_case("module_softmax", {S34}, [](const Inputs& x) { return nn::Softmax(1)(x[0]); });
  add_case("module_log_softmax", {S34}, [](const Inputs& x) { return nn::LogSoftmax(1)(x[0]); });
  add_case("module_identity", {S34}, [](const Inputs& x) { return nn::Identity()(x[0]); });

  // ---- losses, with each reduction
  const Tensor c4 = labels({0, 2, 1, 2});
  const std::pair<const char*, Reduction> reductions[] = {
      {"mean", Reduction::Mean}, {"sum", Reduction::Sum}, {"none", Reduction::None}};
  for (const auto& [rname, r] : reductions) {
    const nn::LossOptions o{.reduction = r};
    const std::string suffix = std::string("_") + rname;
    add_case("cross_entropy" + suffix, {{{4, 3}}}, [o, c4](const Inputs& x) { return nn::CrossEntropyLoss(o)(x[0], c4); });
    add_case("cross_entropy_transposed_logits" + suffix, {{{3, 4}}},
             [o, c4](const Inputs& x) { return nn::CrossEntropyLoss(o)(x[0].t(), c4); });
    add_case("nll_loss" + suffix, {{{4, 3}}}, [o, c4](const Inputs& x) { return nn::NLLLoss(o)(x[0], c4); });
    add_case("nll_of_log_softmax" + suffix, {{{4, 3}}},
             [o, c4](const Inputs& x) { return nn::NLLLoss(o)(log_softmax(x[0], 1), c4); });
    add_case("mse_loss" + suffix, {S34, S34}, [o](const Inputs& x) { return nn::MSELoss(o)(x[0], x[1]); });
    add_case("bce_loss" + suffix, {{{3, 4}, Init::Prob}, {{3, 4}, Init::Prob}},
             [o](const Inputs& x) { return nn::BCELoss(o)(x[0], x[1]); });
    add_case("bce_with_logits_loss" + suffix, {S34, {{3, 4}, Init::Prob}},
             [o](const Inputs& x) { return nn::BCEWithLogitsLoss(o)(x[0], x[1]); });
  }
  // large logits: the stable formulas must not lose the gradient
  add_case("cross_entropy_large_logits", {{{2, 3}, Init::Signed, {50.f, 49.5f, -20.f, -80.f, -79.f, -81.f}}},
           [](const Inputs& x) { return nn::functional::cross_entropy(x[0], labels({1, 2})); });
  add_case("l1_loss", {S34, S34}, [](const Inputs& x) { return nn::L1Loss()(x[0], x[1]); });
  // |x − y| spans 0.0 .. 2.4: both pieces of smooth L1 and Huber are exercised
  add_case("smooth_l1_loss", {S34, S34}, [](const Inputs& x) { return nn::SmoothL1Loss(0.7)(x[0], x[1]); });
  add_case("huber_loss", {S34, S34}, [](const Inputs& x) { return nn::HuberLoss(0.6, {Reduction::Sum})(x[0], x[1]); });
  add_case("kl_div", {S34, {{3, 4}, Init::Prob}}, [](const Inputs& x) { return nn::KLDivLoss()(x[0], x[1]); });
  add_case("kl_div_log_target", {S34, S34},
           [](const Inputs& x) { return nn::functional::kl_div(x[0], x[1], Reduction::Sum, true); });
  add_case("bce_with_logits_large", {{{4}, Init::Signed, {30.f, -30.f, 25.f, -0.5f}}, {{4}, Init::Prob}},
           [](const Inputs& x) { return nn::functional::binary_cross_entropy_with_logits(x[0], x[1]); });
  return c;
}

class OpGradient : public ::testing::TestWithParam<Case> {};

TEST_P(OpGradient, MatchesFiniteDifferences) {
  const Case& c = GetParam();
  Inputs inputs;
  for (std::size_t i = 0; i < c.inputs.size(); ++i) inputs.push_back(make_input(c.inputs[i], 100 + 7 * i));
  EXPECT_TRUE(gradcheck(c.f, inputs, c.options));
}

INSTANTIATE_TEST_SUITE_P(Table, OpGradient, ::testing::ValuesIn(op_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// The same table in float64: every op computes in double (no float32 rounding on the way, and
// none of the float32-only fused kernels), so the check runs with a step of 1e-6 and tolerances
// a million times tighter (rtol 2e-8: a float32 rounding on the path fails it).
class OpGradientFloat64 : public ::testing::TestWithParam<Case> {};

TEST_P(OpGradientFloat64, MatchesFiniteDifferences) {
  const Case& c = GetParam();
  Inputs inputs;
  for (std::size_t i = 0; i < c.inputs.size(); ++i) inputs.push_back(make_input(c.inputs[i], 100 + 7 * i).to(kFloat64));
  GradcheckOptions options = GradcheckOptions::float64();
  options.expect_nonzero = c.options.expect_nonzero;
  const Tensor probe = c.f(inputs);
  EXPECT_EQ(probe.dtype(), kFloat64) << "the op must compute in its inputs' float64";
  EXPECT_TRUE(gradcheck(c.f, inputs, options));
}

INSTANTIATE_TEST_SUITE_P(Table, OpGradientFloat64, ::testing::ValuesIn(op_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// ---- the checker itself must catch wrong gradients ----------------------------------------------

// An op with a deliberately wrong backward (a factor, or a sign) must fail the check: this
// keeps the tolerances honest.
Tensor scaled_backward(const Tensor& x, float factor) {
  // y = x·x computed without recording; recorded as z = y + (x − x.detach())·(factor·2x).detach()
  // whose gradient is factor·2x while its value is x².
  const Tensor y = (x * x).detach();
  return y + (x - x.detach()) * (factor * 2.f * x).detach();
}

TEST(Gradcheck, CatchesWrongGradients) {
  const Tensor x = make_input(S34, 5);
  EXPECT_TRUE(gradcheck([](const Inputs& v) { return scaled_backward(v[0], 1.f); }, {x}));
  EXPECT_FALSE(gradcheck([](const Inputs& v) { return scaled_backward(v[0], 2.f); }, {x}));    // factor of 2
  EXPECT_FALSE(gradcheck([](const Inputs& v) { return scaled_backward(v[0], -1.f); }, {x}));   // sign
  EXPECT_FALSE(gradcheck([](const Inputs& v) { return scaled_backward(v[0], 1.05f); }, {x}));  // 5 % off
  EXPECT_FALSE(gradcheck([](const Inputs& v) { return v[0].detach() * v[0].detach() + 0.f * v[0]; }, {x}));  // zero
  // a missing term: the gradient of x·y w.r.t. y dropped
  const Tensor y = make_input(S34, 6);
  EXPECT_FALSE(gradcheck([](const Inputs& v) { return v[0] * v[1].detach() + (v[1] - v[1].detach()); }, {x, y}));
}

// ---- modules with parameters ----------------------------------------------------------------

TEST(ModuleGradient, Linear) {
  manual_seed(3);
  nn::Linear layer(4, 3);
  Tensor x = make_input({{5, 4}}, 11).requires_grad_();
  EXPECT_TRUE(check_gradients([&] { return layer(x); }, {x, layer.weight, layer.bias}));
}

TEST(ModuleGradient, LinearWithoutBias) {
  manual_seed(4);
  nn::Linear layer(4, 3, false);
  Tensor x = make_input({{5, 4}}, 12).requires_grad_();
  EXPECT_TRUE(check_gradients([&] { return layer(x); }, {x, layer.weight}));
}

TEST(ModuleGradient, LayerNorm) {
  manual_seed(5);
  nn::LayerNorm norm(4);
  norm.weight.detach().copy_(randn({4}));
  norm.bias.detach().copy_(randn({4}));
  Tensor x = make_input({{5, 4}}, 13).requires_grad_();
  EXPECT_TRUE(check_gradients([&] { return norm(x); }, {x, norm.weight, norm.bias}));
}

// In training mode the gradient flows through the batch's mean and variance as well.
TEST(ModuleGradient, BatchNorm1dThroughTheBatchStatistics) {
  manual_seed(6);
  nn::BatchNorm1d norm(3);
  norm.weight.detach().copy_(randn({3}));
  norm.bias.detach().copy_(randn({3}));
  Tensor x = make_input({{6, 3}}, 14).requires_grad_();
  EXPECT_TRUE(check_gradients([&] { return norm(x); }, {x, norm.weight, norm.bias}));
  norm.eval();  // the running statistics are constants
  EXPECT_TRUE(check_gradients([&] { return norm(x); }, {x, norm.weight, norm.bias}));
}

TEST(ModuleGradient, SequentialRelu) {
  // Linear followed by ReLU runs as one fused node inside a Sequential. The first seed whose
  // hidden pre-activations all stay 0.05 away from ReLU's kink is used (a deterministic search).
  const Tensor x0 = make_input({{4, 3}}, 14);
  std::unique_ptr<nn::Sequential> model;
  for (std::uint64_t seed = 1; seed < 200 && !model; ++seed) {
    manual_seed(seed);
    model.reset(new nn::Sequential{nn::Linear(3, 8), nn::ReLU(), nn::Linear(8, 2), nn::Sigmoid()});
    NoGradGuard no_grad;
    const nn::Linear& first = model->at<nn::Linear>(0);
    for (float z : linear(x0, first.weight, first.bias).to_vector<float>()) {
      if (std::fabs(z) < 0.05f) {
        model.reset();
        break;
      }
    }
  }
  ASSERT_TRUE(model);
  Tensor x = x0.detach().clone().requires_grad_();
  std::vector<Tensor> leaves{x};
  for (const Tensor& p : model->parameters()) leaves.push_back(p);
  EXPECT_TRUE(check_gradients([&] { return (*model)(x); }, leaves));
}

TEST(ModuleGradient, SequentialDeepTanh) {
  manual_seed(5);
  nn::Sequential model{nn::Linear(2, 10), nn::Tanh(), nn::Linear(10, 10), nn::Tanh(), nn::Linear(10, 10), nn::Tanh(),
                       nn::Linear(10, 3)};
  Tensor x = make_input({{6, 2}}, 13).requires_grad_();
  std::vector<Tensor> leaves{x};
  for (const Tensor& p : model.parameters()) leaves.push_back(p);
  ASSERT_EQ(leaves.size(), 9u);
  EXPECT_TRUE(check_gradients([&] { return model(x); }, leaves));
  // and through the loss, as in training
  const Tensor target = labels({0, 1, 2, 2, 1, 0});
  EXPECT_TRUE(check_gradients([&] { return nn::CrossEntropyLoss()(model(x), target); }, leaves));
}

// Every module with parameters, converted to float64 and stacked, through the loss: the step
// and tolerances of float64 (every parameter's gradient within 1e-6 of the central difference).
TEST(ModuleGradient, EveryModuleInFloat64) {
  manual_seed(8);
  // (no bias before BatchNorm1d: it subtracts the batch mean, so that bias's gradient is 0)
  nn::Sequential model{nn::Linear(3, 6),      nn::LayerNorm(6), nn::GELU(),     nn::Linear(6, 6, false), nn::BatchNorm1d(6),
                       nn::SiLU(),            nn::Linear(6, 5), nn::ELU(),      nn::Softplus(),   nn::LeakyReLU(),
                       nn::Linear(5, 4), nn::Tanh(),       nn::Linear(4, 3)};
  model.to(kFloat64);
  {
    NoGradGuard no_grad;  // affine parameters away from their defaults of 1 and 0
    for (auto& [name, p] : model.named_parameters())
      if (name.starts_with("1.") || name.starts_with("4.")) p.copy_(randn(p.sizes(), TensorOptions().dtype(kFloat64)));
  }
  Tensor x = make_input({{7, 3}}, 15).to(kFloat64).requires_grad_();
  std::vector<Tensor> leaves{x};
  for (const Tensor& p : model.parameters()) leaves.push_back(p);
  const Tensor target = labels({0, 1, 2, 2, 1, 0, 1});
  EXPECT_TRUE(check_gradients([&] { return nn::CrossEntropyLoss()(model(x), target); }, leaves,
                              GradcheckOptions::float64()));
}

// ---- the fused cross-entropy against the composition it replaces ------------------------------------

TEST(CrossEntropy, EqualsNllOfLogSoftmaxInValueAndGradient) {
  const Tensor z0 = make_input({{5, 4}}, 21) * 3.f;
  const Tensor c = labels({3, 0, 1, 3, 2});
  for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    Tensor z1 = z0.detach().clone().requires_grad_();
    Tensor z2 = z0.detach().clone().requires_grad_();
    const Tensor fused = nn::functional::cross_entropy(z1, c, r);
    const Tensor composed = nn::functional::nll_loss(log_softmax(z2, 1), c, r);
    ASSERT_EQ(fused.sizes(), composed.sizes());
    EXPECT_TRUE(allclose(fused, composed, 1e-5, 1e-6)) << fused << "\n" << composed;
    const Tensor R = ann::testing::random_weighting(fused.sizes(), 9);
    sum(fused * R).backward();
    sum(composed * R).backward();
    EXPECT_TRUE(allclose(z1.grad(), z2.grad(), 1e-5, 1e-6)) << z1.grad() << "\n" << z2.grad();
  }
}

// The kernel runs 16 rows at a time with the class count compiled in for 2-8 classes (fixed
// shuffles), and moves more classes into the lanes by 16 × 16 transposes and a last few one by
// one: 37 rows (two whole blocks and a part) for every count from 2 to 17 (one more than a whole
// transpose), and 23, 40, against the composition.
TEST(CrossEntropy, EqualsTheCompositionForWholeAndPartialBlocksOfEveryClassCount) {
  std::vector<std::int64_t> counts{23, 40};
  for (std::int64_t c = 2; c <= 17; ++c) counts.push_back(c);
  for (const std::int64_t classes : counts) {
    SCOPED_TRACE(std::to_string(classes) + " classes");
    manual_seed(static_cast<std::uint64_t>(classes));
    const Tensor z0 = randn({37, classes}) * 3.f;
    const Tensor c = argmax(randn({37, classes}), 1);
    Tensor z1 = z0.detach().clone().requires_grad_();
    Tensor z2 = z0.detach().clone().requires_grad_();
    const Tensor fused = nn::functional::cross_entropy(z1, c, Reduction::None);
    const Tensor composed = nn::functional::nll_loss(log_softmax(z2, 1), c, Reduction::None);
    EXPECT_TRUE(allclose(fused, composed, 1e-5, 1e-6)) << fused << "\n" << composed;
    const Tensor R = ann::testing::random_weighting(fused.sizes(), 10);
    sum(fused * R).backward();
    sum(composed * R).backward();
    EXPECT_TRUE(allclose(z1.grad(), z2.grad(), 1e-5, 1e-6)) << z1.grad() << "\n" << z2.grad();
  }
}

TEST(CrossEntropy, GradientIsSoftmaxMinusOneHotOverM) {
  const Tensor z0 = make_input({{5, 4}}, 22) * 2.f;
  const Tensor c = labels({1, 0, 3, 3, 2});
  Tensor z = z0.detach().clone().requires_grad_();
  const Tensor loss = nn::CrossEntropyLoss()(z, c);
  ASSERT_EQ(loss.dim(), 0);
  loss.backward();
  const Tensor expected = (softmax(z0, 1) - data::one_hot(c, 4)) / 5.f;
  EXPECT_TRUE(allclose(z.grad(), expected, 1e-5, 1e-7)) << z.grad() << "\n" << expected;
  // the value: mean over rows of −log softmax(z)[c]
  const std::vector<float> p = softmax(z0, 1).to_vector<float>();
  const std::vector<std::int64_t> cv = c.to_vector<std::int64_t>();
  double expected_loss = 0.0;
  for (std::size_t i = 0; i < cv.size(); ++i) expected_loss -= std::log(p[i * 4 + static_cast<std::size_t>(cv[i])]);
  EXPECT_NEAR(loss.item(), expected_loss / 5.0, 1e-5);
}

}  // namespace
