// libtorch-style ops and losses against PyTorch 1.13 (tests/fixtures/ops.json, written by
// tools/parity/make_op_fixtures.py): each case's output and the gradient of sum(output · R) for
// every input, in float32 and in float64, some inputs as views (transposed, expanded) or empty.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ann/ann.h"
#include "fixtures.h"

namespace {

using namespace ann;
using Inputs = std::vector<Tensor>;
namespace F = ann::nn::functional;
using nn::Reduction;
using namespace ann::indexing;

// make_op_fixtures.py's LABELS, LABELS_IGNORED and WEIGHTS (checked against the fixture's copy).
const Tensor& labels() {
  static const Tensor t = from_vector(std::vector<std::int64_t>{0, 2, 1, 3, 2, 0}, {6});
  return t;
}
const Tensor& labels_ignored() {
  static const Tensor t = from_vector(std::vector<std::int64_t>{0, -100, 1, 3, 2, -100}, {6});
  return t;
}
Tensor class_weights(DType dtype) { return tensor({0.5, 2.0, 1.0, 1.5}, TensorOptions().dtype(dtype)); }
Tensor pos_weight(DType dtype) { return tensor({0.5, 2.0, 3.0}, TensorOptions().dtype(dtype)); }
Tensor bce_weight(DType dtype) { return tensor({{1.0, 0.25, 2.0}}, TensorOptions().dtype(dtype)); }
// make_op_fixtures.py's index tensors
const Tensor scatter_index = tensor({{0, 4}, {2, 1}, {3, 0}});
const Tensor scatter_index_repeated = tensor({{0, 0}, {2, 2}, {4, 1}});
const Tensor scatter_index_dim0 = tensor({{3, 0, 1}, {1, 2, 3}});
const Tensor pick = tensor({{0, 3}, {4, -1}});
const Tensor mask = tensor({{1, 0, 1, 0, 0}, {0, 0, 0, 1, 1}, {1, 1, 0, 0, 0}, {0, 0, 0, 0, 0}}) > 0;
const Tensor row_mask = tensor({true, false, true, true, false});
const Tensor rows = tensor({{0, 3}, {2, 1}});
const Tensor cols = tensor({4, -1});
const Tensor first_mask = tensor({true, false, true, true});

// The fixture's in_place(): the recorded in-place op on a non-leaf copy of the first input.
Tensor in_place(const Tensor& x, const std::function<void(Tensor&)>& op) {
  Tensor h = x * 1.5;
  op(h);
  return h;
}

// The ann spelling of each fixture case (make_op_fixtures.py's CASES, name for name).
const std::map<std::string, std::function<Tensor(const Inputs&)>>& cases() {
  static const std::map<std::string, std::function<Tensor(const Inputs&)>> table{
      {"ce_weight", [](const Inputs& x) { return F::cross_entropy(x[0], labels(), {.weight = class_weights(x[0].dtype())}); }},
      {"ce_ignore_index", [](const Inputs& x) { return F::cross_entropy(x[0], labels_ignored(), {.ignore_index = -100}); }},
      {"ce_ignore_class_2_sum",
       [](const Inputs& x) { return F::cross_entropy(x[0], labels(), {.reduction = Reduction::Sum, .ignore_index = 2}); }},
      {"ce_label_smoothing", [](const Inputs& x) { return F::cross_entropy(x[0], labels(), {.label_smoothing = 0.2}); }},
      {"ce_all_options",
       [](const Inputs& x) {
         return nn::CrossEntropyLoss({.weight = class_weights(x[0].dtype()), .label_smoothing = 0.1})(x[0], labels_ignored());
       }},
      {"ce_smoothing_none",
       [](const Inputs& x) {
         return F::cross_entropy(x[0], labels_ignored(), {.reduction = Reduction::None, .label_smoothing = 0.3});
       }},
      {"nll_weight_ignore",
       [](const Inputs& x) {
         return nn::NLLLoss({.weight = class_weights(x[0].dtype())})(log_softmax(x[0], 1), labels_ignored());
       }},
      {"log1p", [](const Inputs& x) { return log1p(x[0]); }},
      {"sign", [](const Inputs& x) { return sign(x[0]) * x[0]; }},
      {"sum_dims", [](const Inputs& x) { return sum(x[0], {0, 2}); }},
      {"sum_dims_keepdim", [](const Inputs& x) { return sum(x[0], {1, -1}, true); }},
      {"mean_dims", [](const Inputs& x) { return mean(x[0], {0, 1}); }},
      {"prod_dim", [](const Inputs& x) { return prod(x[0], 1); }},
      {"prod_all", [](const Inputs& x) { return prod(x[0]); }},
      {"prod_with_zero", [](const Inputs& x) { return prod(x[0], 1, true); }},
      {"cumsum", [](const Inputs& x) { return cumsum(x[0], 1); }},
      {"cumsum_transposed", [](const Inputs& x) { return cumsum(x[0].t(), 0); }},
      {"bmm", [](const Inputs& x) { return bmm(x[0], x[1]); }},
      {"matmul_batched", [](const Inputs& x) { return matmul(x[0], x[1]); }},
      {"matmul_broadcast_batches", [](const Inputs& x) { return matmul(x[0], x[1]); }},
      {"matmul_vector_batch", [](const Inputs& x) { return matmul(x[0], x[1]); }},
      {"matmul_batch_vector", [](const Inputs& x) { return matmul(x[0], x[1]); }},
      {"addmm", [](const Inputs& x) { return addmm(x[0], x[1], x[2], 0.5, 2.0); }},
      {"addmm_expanded", [](const Inputs& x) { return addmm(x[0].expand({3, 5}), x[1], x[2].t()); }},
      {"l1_loss", [](const Inputs& x) { return F::l1_loss(x[0], x[1]); }},
      {"l1_loss_none", [](const Inputs& x) { return F::l1_loss(x[0], x[1], Reduction::None); }},
      {"smooth_l1_loss", [](const Inputs& x) { return F::smooth_l1_loss(x[0], x[1], Reduction::Mean, 0.7); }},
      {"smooth_l1_loss_sum", [](const Inputs& x) { return F::smooth_l1_loss(x[0], x[1], Reduction::Sum); }},
      {"huber_loss", [](const Inputs& x) { return F::huber_loss(x[0], x[1], Reduction::Mean, 0.6); }},
      {"kl_div", [](const Inputs& x) { return F::kl_div(x[0], x[1]); }},
      {"kl_div_sum_log_target", [](const Inputs& x) { return F::kl_div(x[0], x[1], Reduction::Sum, true); }},
      {"bce_logits_pos_weight",
       [](const Inputs& x) { return F::binary_cross_entropy_with_logits(x[0], x[1], {.pos_weight = pos_weight(x[0].dtype())}); }},
      {"bce_logits_weight_pos_weight_sum",
       [](const Inputs& x) {
         return F::binary_cross_entropy_with_logits(
             x[0], x[1], {.reduction = Reduction::Sum, .weight = bce_weight(x[0].dtype()), .pos_weight = pos_weight(x[0].dtype())});
       }},
      {"kl_div_batchmean", [](const Inputs& x) { return F::kl_div(x[0], x[1], Reduction::BatchMean); }},
      {"scatter", [](const Inputs& x) { return scatter(x[0], 1, scatter_index, x[1]); }},
      {"scatter_dim0", [](const Inputs& x) { return scatter(x[0], 0, scatter_index_dim0, x[1]); }},
      {"scatter_value", [](const Inputs& x) { return scatter(x[0], 1, scatter_index, 2.5); }},
      {"scatter_add_repeated", [](const Inputs& x) { return scatter_add(x[0], 1, scatter_index_repeated, x[1]); }},
      {"index_basic", [](const Inputs& x) { return x[0].index({Slice(1, None), 0, Slice(None, None, 2)}); }},
      {"index_ellipsis_none", [](const Inputs& x) { return x[0].index({"...", None, -1}); }},
      {"index_negative_slice", [](const Inputs& x) { return x[0].index({Slice(-3, -1), Slice(1, 100, 3)}); }},
      {"index_int_tensor", [](const Inputs& x) { return x[0].index({Slice(), pick}); }},
      {"index_mask", [](const Inputs& x) { return x[0].index({mask}); }},
      {"index_mask_later", [](const Inputs& x) { return x[0].index({Slice(1, 3), row_mask, 2}); }},
      {"add_broadcast", [](const Inputs& x) { return x[0] + x[1]; }},
      {"sub_broadcast_column", [](const Inputs& x) { return x[0] - x[1]; }},
      {"mul_transposed", [](const Inputs& x) { return x[0].t() * x[1]; }},
      {"div_expanded", [](const Inputs& x) { return x[0] / x[1].expand({3, 4}); }},
      {"neg_strided", [](const Inputs& x) { return x[0].slice(1, 0, 6, 2).neg(); }},
      {"exp", [](const Inputs& x) { return exp(x[0]); }},
      {"log", [](const Inputs& x) { return log(x[0]); }},
      {"sqrt_permuted", [](const Inputs& x) { return sqrt(x[0].permute({2, 0, 1})); }},
      {"pow_3", [](const Inputs& x) { return pow(x[0], 3.0); }},
      {"tanh", [](const Inputs& x) { return tanh(x[0]); }},
      {"sigmoid", [](const Inputs& x) { return sigmoid(x[0]); }},
      {"relu_transposed", [](const Inputs& x) { return relu(x[0].t()); }},
      {"abs", [](const Inputs& x) { return abs(x[0]); }},
      {"clamp", [](const Inputs& x) { return clamp(x[0], -0.5, 0.5); }},
      {"maximum_broadcast", [](const Inputs& x) { return maximum(x[0], x[1]); }},
      {"minimum_broadcast", [](const Inputs& x) { return minimum(x[0], x[1]); }},
      {"where_broadcast", [](const Inputs& x) { return where(x[0] > 0.0, x[0], x[1]); }},
      {"masked_fill", [](const Inputs& x) { return masked_fill(x[0], x[0] > 0.0, 0.5); }},
      {"sum_dim", [](const Inputs& x) { return sum(x[0], 1); }},
      {"sum_all_transposed", [](const Inputs& x) { return sum(x[0].t()); }},
      {"mean_keepdim", [](const Inputs& x) { return mean(x[0], 0, true); }},
      {"max_dim", [](const Inputs& x) { return std::get<0>(max(x[0], 1)); }},
      {"min_dim_keepdim", [](const Inputs& x) { return std::get<0>(min(x[0], 0, true)); }},
      {"max_all", [](const Inputs& x) { return max(x[0]); }},
      {"var_dim", [](const Inputs& x) { return var(x[0], 1); }},
      {"std_all", [](const Inputs& x) { return ann::std(x[0]); }},
      {"norm_dim", [](const Inputs& x) { return norm(x[0], 2, {1}); }},
      {"norm_p1", [](const Inputs& x) { return norm(x[0], 1); }},
      {"norm_inf_dims", [](const Inputs& x) { return norm(x[0], INFINITY, {0, 2}); }},
      {"norm_p3_keepdim", [](const Inputs& x) { return norm(x[0], 3, {1}, true); }},
      {"logsumexp_dim", [](const Inputs& x) { return logsumexp(x[0], 1); }},
      {"softmax_dim0", [](const Inputs& x) { return softmax(x[0], 0); }},
      {"log_softmax_dim1", [](const Inputs& x) { return log_softmax(x[0], 1); }},
      {"matmul", [](const Inputs& x) { return matmul(x[0], x[1]); }},
      {"matmul_transposed", [](const Inputs& x) { return matmul(x[0].t(), x[1].t()); }},
      {"matmul_matrix_vector", [](const Inputs& x) { return matmul(x[0], x[1]); }},
      {"outer", [](const Inputs& x) { return outer(x[0], x[1]); }},
      {"dot", [](const Inputs& x) { return dot(x[0], x[1]); }},
      {"cat_dim1", [](const Inputs& x) { return cat({x[0], x[1]}, 1); }},
      {"stack", [](const Inputs& x) { return stack({x[0], x[1]}, 1); }},
      {"gather", [](const Inputs& x) { return gather(x[0], 1, scatter_index); }},
      {"index_select_repeated", [](const Inputs& x) { return index_select(x[0], 0, tensor({2, 0, 2})); }},
      {"expand_from_row", [](const Inputs& x) { return x[0].expand({3, 4}) * arange(3.0, x[0].dtype()).unsqueeze(1); }},
      {"repeat", [](const Inputs& x) { return x[0].repeat({2, 1, 2}); }},
      {"narrow_chunk", [](const Inputs& x) { return x[0].narrow(1, 1, 4).chunk(2, 1)[1]; }},
      {"flatten_squeeze", [](const Inputs& x) { return x[0].squeeze(1).flatten(1, 2); }},
      {"mse_loss", [](const Inputs& x) { return F::mse_loss(x[0], x[1]); }},
      {"mse_loss_sum_transposed", [](const Inputs& x) { return F::mse_loss(x[0].t(), x[1], Reduction::Sum); }},
      {"cross_entropy", [](const Inputs& x) { return F::cross_entropy(x[0], labels()); }},
      {"nll_loss_sum", [](const Inputs& x) { return F::nll_loss(log_softmax(x[0], 1), labels(), Reduction::Sum); }},
      {"binary_cross_entropy", [](const Inputs& x) { return F::binary_cross_entropy(x[0], x[1]); }},
      {"bce_with_logits", [](const Inputs& x) { return F::binary_cross_entropy_with_logits(x[0], x[1]); }},
      {"add_empty", [](const Inputs& x) { return x[0] + x[1]; }},
      {"sum_over_empty_dim", [](const Inputs& x) { return sum(x[0], 0); }},
      {"softmax_empty", [](const Inputs& x) { return softmax(x[0], 1); }},
      {"matmul_empty_inner", [](const Inputs& x) { return matmul(x[0], x[1]); }},
      {"index_two_tensors", [](const Inputs& x) { return x[0].index({rows, cols}); }},
      {"index_tensors_apart", [](const Inputs& x) { return x[0].index({rows, Slice(), cols}); }},
      {"index_tensors_apart_later", [](const Inputs& x) { return x[0].index({Slice(), rows, Slice(), cols}); }},
      {"index_tensors_after_slice", [](const Inputs& x) { return x[0].index({Slice(1, 3), cols, rows}); }},
      {"index_mask_and_tensor",
       [](const Inputs& x) { return x[0].index({first_mask, Slice(None, None, 2), tensor({5, 0, 1})}); }},
      {"index_three_tensors_repeated", [](const Inputs& x) { return x[0].index({rows, cols, tensor({1, 1}).unsqueeze(1)}); }},
      {"inplace_through_select",
       [](const Inputs& x) {
         Tensor h = x[0] * 2.0;
         h.select(0, 0).mul_(x[1]);
         return h;
       }},
      {"inplace_through_transpose_narrow",
       [](const Inputs& x) {
         Tensor h = x[0] * 1.0;
         h.t().narrow(0, 1, 2).add_(x[1]);
         return h;
       }},
      {"inplace_index_put_tensors",
       [](const Inputs& x) {
         Tensor h = x[0] * 1.0;
         h.index_put_({tensor({1, 0, 2}), tensor({2, 2, 0})}, x[1]);
         return h;
       }},
      {"inplace_copy_into_buffer",
       [](const Inputs& x) {
         Tensor buffer = zeros({3, 4}, x[0].dtype());
         buffer.select(0, 1).copy_(x[0]);
         return buffer * 2.0;
       }},
      {"inplace_stale_view",
       [](const Inputs& x) {
         Tensor h = x[0] * 1.0;
         const Tensor row = h[1];  // made before the write below, which changes its values
         h.select(0, 1).mul_(3.0);
         return row * 2.0 + h.sum(0);
       }},
      {"index_put_mask_value",
       [](const Inputs& x) {
         Tensor h = x[0] * 1.0;
         h.index_put_({mask}, 0.5);
         return h;
       }},
      {"inplace_mul", [](const Inputs& x) { return in_place(x[0], [&](Tensor& h) { h.mul_(x[1]); }); }},
      {"inplace_chain",
       [](const Inputs& x) { return in_place(x[0], [&](Tensor& h) { h.add_(x[1], 0.5).div_(x[1]).clamp_(-1.0, 1.0); }); }},
      {"inplace_copy_broadcast", [](const Inputs& x) { return in_place(x[0], [&](Tensor& h) { h.copy_(x[1]); }); }},
      {"inplace_masked_fill", [](const Inputs& x) { return (x[0] * 2.0).masked_fill_(x[0] > 0.0, 0.5); }},
      {"inplace_scatter", [](const Inputs& x) { return in_place(x[0], [&](Tensor& h) { h.scatter_(1, scatter_index, x[1]); }); }},
      {"sum_dims_empty", [](const Inputs& x) { return sum(x[0], {0}); }},
      {"cumsum_empty", [](const Inputs& x) { return cumsum(x[0], 0); }},
  };
  return table;
}

Tensor read(const nlohmann::json& j, DType dtype) {
  return from_vector(j.at("data").get<std::vector<double>>(), j.at("shape").get<Shape>(), TensorOptions().dtype(dtype));
}

// Largest |a − b| / max(1, |b|).
double worst_diff(const Tensor& got, const std::vector<double>& want) {
  const std::vector<double> g = got.to_vector<double>();
  if (g.size() != want.size()) return INFINITY;
  double worst = 0.0;
  for (std::size_t i = 0; i < g.size(); ++i) worst = std::max(worst, std::abs(g[i] - want[i]) / std::max(1.0, std::abs(want[i])));
  return worst;
}

TEST(OpParity, OutputsAndGradientsAsTorch) {
  const auto fixture = ann::testing::load_fixture("ops.json");
  ASSERT_EQ(fixture.at("labels").get<std::vector<std::int64_t>>(), labels().to_vector<std::int64_t>());
  ASSERT_EQ(fixture.at("labels_ignored").get<std::vector<std::int64_t>>(), labels_ignored().to_vector<std::int64_t>());
  ASSERT_EQ(fixture.at("weights").get<std::vector<double>>(), class_weights(kFloat64).to_vector<double>());
  std::size_t seen = 0;
  for (const auto& c : fixture.at("cases")) {
    const std::string name = c.at("name");
    ASSERT_TRUE(cases().count(name)) << "no ann spelling for fixture case " << name;
    ++seen;
    for (const auto& [key, dtype, tolerance] : {std::tuple{"float32", kFloat32, 2e-6}, std::tuple{"float64", kFloat64, 1e-13}}) {
      SCOPED_TRACE(name + " " + key);
      const auto& run = c.at(key);
      Inputs inputs;
      for (const auto& in : run.at("inputs")) inputs.push_back(read(in, dtype).requires_grad_());
      const Tensor out = cases().at(name)(inputs);
      EXPECT_EQ(out.dtype(), dtype);
      EXPECT_EQ(out.sizes(), run.at("output").at("shape").get<Shape>());
      EXPECT_LE(worst_diff(out, run.at("output").at("data").get<std::vector<double>>()), tolerance);
      const Tensor weights = from_vector(run.at("weights").get<std::vector<double>>(), out.sizes(), TensorOptions().dtype(dtype));
      if (out.numel() == 0) continue;
      sum(out * weights).backward();
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        const auto want = run.at("grads")[i].get<std::vector<double>>();
        const Tensor grad = inputs[i].grad().defined() ? inputs[i].grad() : zeros_like(inputs[i]);
        EXPECT_EQ(grad.dtype(), dtype) << "input " << i;
        EXPECT_LE(worst_diff(grad, want), tolerance) << "input " << i;
      }
    }
  }
  EXPECT_EQ(seen, cases().size()) << "every ann spelling has a fixture case";
}

TEST(OpParity, ShapeErrorsNameTheOperation) {
  EXPECT_THROW(bmm(zeros({2, 3, 4}), zeros({3, 4, 5})), ShapeError);
  EXPECT_THROW(matmul(zeros({2, 3, 4}), zeros({5, 2})), ShapeError);
  EXPECT_THROW(matmul(zeros({2, 3, 4}), zeros({3, 4, 2})), ShapeError);  // batches 2 and 3 do not broadcast
  EXPECT_THROW(sum(zeros({2, 3}), {0, -2}), ValueError);                 // a dimension twice
  EXPECT_THROW(F::smooth_l1_loss(zeros({2}), zeros({2}), Reduction::Mean, -1.0), ValueError);
  EXPECT_THROW(F::l1_loss(zeros({2}), zeros({3})), ShapeError);
  EXPECT_EQ(prod(zeros({0})).item<double>(), 1.0);  // the empty product
  EXPECT_THROW(F::cross_entropy(zeros({2, 3}), labels().slice(0, 0, 2), {.weight = ones({4})}), ShapeError);
  EXPECT_THROW(F::cross_entropy(zeros({2, 3}), labels().slice(0, 0, 2), {.label_smoothing = 1.5}), ValueError);
  // a label outside the classes is refused unless it is the ignored one
  EXPECT_THROW(F::cross_entropy(zeros({2, 3}), from_vector(std::vector<std::int64_t>{0, 7}, {2}), {.reduction = Reduction::Mean}), ValueError);
  EXPECT_NO_THROW(F::cross_entropy(zeros({2, 3}), from_vector(std::vector<std::int64_t>{0, 7}, {2}), {.ignore_index = 7}));
}

}  // namespace

// x[...] = v, checked against the values PyTorch gives for the same statements:
//   x = torch.arange(20.).reshape(4, 5)
//   x[1, 1:4] = 9; x[:, -1] = torch.tensor([1., 2., 3., 4.]); x[x > 15] = 0
//   x[torch.tensor([0, -1]), 0] = torch.tensor([7., 8.]); x[..., 1::2] += 0.5  (index then add_)
TEST(Indexing, IndexPutWritesThroughViewsAsTorch) {
  Tensor x = arange(20.).reshape({4, 5});
  x.index_put_({1, Slice(1, 4)}, 9.0);
  x.index_put_({Slice(), -1}, tensor({1., 2., 3., 4.}));
  x.index_put_({x > 15.0}, 0.0);
  x.index_put_({tensor({0, -1}), 0}, tensor({7., 8.}));
  x.index({"...", Slice(1, None, 2)}) += 0.5;
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{7, 1.5, 2, 3.5, 1,    //
                                                      5, 9.5, 9, 9.5, 2,    //
                                                      10, 11.5, 12, 13.5, 3,  //
                                                      8, 0.5, 0, 0.5, 4}));
  // a bool mask with tensor values: one row per true entry
  Tensor y = zeros({3, 2});
  y.index_put_({tensor({true, false, true})}, tensor({{1., 2.}, {3., 4.}}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1, 2, 0, 0, 3, 4}));
  // several tensor indices, broadcast together (values printed by PyTorch 1.13 for
  //   z[tensor([0, 2, 2]), tensor([1, 3, 0])] = tensor([1., 2., 3.]); z[tensor([True, False, True]), -1] = 7
  //   w[tensor([1, 0]), :, tensor([3, 0])] = tensor([[1., 2., 3.], [4., 5., 6.]])   (apart: B first)
  //   w[0, tensor([[0], [2]]), tensor([1, 2])] = 9)
  Tensor z = zeros({3, 4});
  z.index_put_({tensor({0, 2, 2}), tensor({1, 3, 0})}, tensor({1., 2., 3.}));
  z.index_put_({tensor({true, false, true}), -1}, 7.0);
  EXPECT_EQ(z.to_vector<float>(), (std::vector<float>{0, 1, 0, 7, 0, 0, 0, 0, 3, 0, 0, 7}));
  Tensor w = zeros({2, 3, 4});
  w.index_put_({tensor({1, 0}), Slice(), tensor({3, 0})}, tensor({{1., 2., 3.}, {4., 5., 6.}}));
  w.index_put_({0, tensor({0, 2}).unsqueeze(1), tensor({1, 2})}, 9.0);
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{4, 9, 9, 0, 5, 0, 0, 0, 6, 9, 9, 0,  //
                                                      0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}));
  // one-hot through scatter_, as libtorch code writes it
  Tensor one_hot = zeros({3, 4}).scatter_(1, tensor({2, 0, 3}).unsqueeze(1), 1.0);
  EXPECT_EQ(one_hot.to_vector<float>(), (std::vector<float>{0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1}));
}

TEST(Indexing, MisuseNamesTheOperation) {
  const Tensor x = zeros({2, 3});
  const auto message = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(message([&] { x.index({0, 1, 2}); }).find("index: too many indices for a tensor of shape [2, 3]"), std::string::npos);
  EXPECT_NE(message([&] { x.index({2}); }).find("index: index 2 is out of range for dimension 0 of size 2"), std::string::npos);
  EXPECT_NE(message([&] { x.index({"..", 0}); }).find("\"...\""), std::string::npos);
  EXPECT_NE(message([&] { x.index({tensor({0, 1}), tensor({0, 1, 2})}); })
                .find("index: the index tensors' shapes [2], [3] do not broadcast together"),
            std::string::npos);
  EXPECT_NE(message([&] { x.index({tensor({true, false, true})}); }).find("the mask of shape [3]"), std::string::npos);
  EXPECT_NE(message([&] { x.index({Slice(), tensor({3})}); }).find("index 3 is out of range for dimension 1"), std::string::npos);
  EXPECT_NE(message([&] { x.index({Slice(0, 2, 0)}); }).find("step must be positive"), std::string::npos);
  EXPECT_NE(message([&] { scatter(x, 1, tensor({0, 1}).unsqueeze(1), zeros({2, 2})); }).find("scatter: src of shape [2, 2]"), std::string::npos);
  EXPECT_NE(message([&] { scatter(x, 1, tensor({0, 5}).unsqueeze(1), 1.0); }).find("scatter: index 5 out of range"), std::string::npos);
  EXPECT_NE(message([&] { F::mse_loss(x, x, Reduction::BatchMean); }).find("kl_div's only"), std::string::npos);
  EXPECT_NE(message([&] { F::binary_cross_entropy_with_logits(x, x, {.pos_weight = ones({2, 1, 3})}); })
                .find("binary_cross_entropy_with_logits: weight (none) or pos_weight [2, 1, 3]"),
            std::string::npos);
  Tensor w = ones({2, 3}).requires_grad_();
  EXPECT_NE(message([&] { w.index_put_({0}, 5.0); }).find("fill_: this view (shape [3]) of a tensor of shape [2, 3] is a view of a leaf"),
            std::string::npos);
  Tensor h = w * 2.0;
  h.index_put_({0}, 5.0);  // a view of a tensor in the graph: recorded (PyTorch fixtures: inplace_through_*)
  h.sum().backward();
  EXPECT_EQ(w.grad().to_vector<float>(), (std::vector<float>{0, 0, 0, 2, 2, 2}));
}

// An index's view shares storage, and gradients flow back through it (a tensor index: index_select).
TEST(Indexing, ViewsShareStorageAndGradientsFlowBack) {
  Tensor x = arange(12.).reshape({3, 4}).requires_grad_();
  const Tensor view = x.index({Slice(), Slice(1, None, 2)});
  EXPECT_EQ(view.sizes(), (Shape{3, 2}));
  EXPECT_EQ(view.strides(), (Shape{4, 2})) << "a view: every other element of x's rows";
  Tensor z = zeros({3, 4});
  z.index({Slice(), Slice(1, None, 2)}).index_put_({0, 0}, 100.0);
  EXPECT_EQ(z.at<float>({0, 1}), 100.f) << "written through the view";
  (view.sum() + x.index({tensor({2, 2, 0})}).sum()).backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{1, 2, 1, 2, 0, 1, 0, 1, 2, 3, 2, 3}));
}

namespace {

// libtorch's option objects forward to ann's spellings (their numbers against libtorch:
// tests/libtorch/autograd_program.cpp). One difference: smooth_l1_loss takes the options' beta,
// which libtorch 1.13's functional ignores for its own fourth argument (fixed in libtorch 2).
TEST(LossOptions, ForwardToAnnSpellings) {
  manual_seed(4);
  const Tensor x = randn({4, 3}), t = rand({4, 3});
  EXPECT_EQ(F::smooth_l1_loss(x, t, F::SmoothL1LossFuncOptions().beta(0.5)).item(),
            F::smooth_l1_loss(x, t, Reduction::Mean, 0.5).item());
  EXPECT_EQ(F::huber_loss(x, t, F::HuberLossFuncOptions(kSum).delta(0.3)).item(),
            F::huber_loss(x, t, Reduction::Sum, 0.3).item());
  EXPECT_EQ(F::CrossEntropyFuncOptions().ignore_index(2).label_smoothing(0.2).options().ignore_index, 2);
  const Tensor w = tensor({1.f, 0.f, 2.f});
  EXPECT_NEAR(F::binary_cross_entropy(sigmoid(x), t, F::BinaryCrossEntropyFuncOptions().weight(w).reduction(kSum)).item(),
              (F::binary_cross_entropy(sigmoid(x), t, Reduction::None) * w).sum().item(), 1e-5);
  EXPECT_THROW(F::binary_cross_entropy(sigmoid(x), t, F::BinaryCrossEntropyFuncOptions().weight(ones({2}))), ShapeError);
  EXPECT_THROW(F::mse_loss(x, t, F::MSELossFuncOptions(kBatchMean)), ValueError);
  // libtorch 1.13's beta after the options, and {} for default options: the mean
  EXPECT_EQ(F::smooth_l1_loss(x, t, {}, 0.5).item(), F::smooth_l1_loss(x, t, Reduction::Mean, 0.5).item());
  EXPECT_EQ(F::smooth_l1_loss(x, t, F::SmoothL1LossFuncOptions(kSum), 0.25).item(),
            F::smooth_l1_loss(x, t, Reduction::Sum, 0.25).item());
  EXPECT_EQ(F::mse_loss(x, t, {}).sizes(), Shape{});
  // torch::one_hot is int64 (data::one_hot, the lesson's Y, float32)
  EXPECT_EQ(one_hot(tensor({2, 0})).dtype(), kInt64);
  EXPECT_EQ(one_hot(tensor({2, 0}), 4).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 0, 1, 0, 1, 0, 0, 0}));
  EXPECT_EQ(data::one_hot(tensor({1}), 2).dtype(), kFloat32);
  EXPECT_THROW(one_hot(tensor({0, 3}), 3), ValueError);
}

}  // namespace
