// Tensor manipulation as a libtorch program writes it: creation with libtorch's types, views,
// indexing, masks, reductions with indices, scatter, the seeded generators, TensorOptions.
#include "prelude.h"

int main() {
  using namespace torch::indexing;
  torch::manual_seed(0);
  const auto labels = torch::tensor({0, 2, 1});
  show("labels_are_int64", torch::tensor({labels.scalar_type() == torch::kLong ? 1.0 : 0.0}));
  const auto ints = torch::arange(12).view({3, 4});
  show("arange_int", ints);
  show("arange_int_is_int64", torch::tensor({ints.scalar_type() == torch::kLong ? 1.0 : 0.0}));
  const auto f = torch::arange(12.).view({3, 4}) * 0.5 - 1.0;
  show("permute", f.permute({1, 0}));
  show("index_rows_from_1_col_0", f.index({Slice(1, None), 0}));
  show("index_every_other", f.index({"...", Slice(None, None, 2)}));
  show("index_none", f.index({None, 1}));
  show("index_mask", f.index({f > 1.0}));
  show("index_labels", f.index({Slice(), labels}));
  auto g = f.clone();
  g.index_put_({g < 0.0}, 0.0);
  g.index_put_({0, Slice(1, 3)}, torch::tensor({7.0, 8.0}));
  show("index_put", g);
  show("where", torch::where(f > 0.5, f, torch::zeros_like(f)));
  show("masked_fill", f.masked_fill(f < -0.5, 9.0));
  show("one_hot_scatter", torch::scatter(torch::zeros({3, 4}), 1, labels.unsqueeze(1), 1.0));
  const auto [values, indices] = torch::max(f, 1);
  show("max_values", values);
  show("max_indices", indices);
  show("argmin", torch::argmin(f, 0));
  show("sum_dims", torch::sum(f, std::vector<std::int64_t>{0, 1}, false));
  show("mean_keepdim", f.mean(1, true));
  show("cumsum", torch::cumsum(f, 1));
  show("cat", torch::cat({f, f * 2.0}, 0));
  show("stack", torch::stack({f.select(0, 0), f.select(0, 2)}, 1));
  show("narrow", f.narrow(1, 1, 2));
  show("expand", torch::tensor({1.0, 2.0}).unsqueeze(1).expand({2, 3}));
  show("repeat", torch::tensor({1.0, 2.0}).repeat({2, 2}));
  show("flatten", torch::arange(24.).view({2, 3, 4}).flatten(1, 2));
  show("chunk_last", f.chunk(3, 1).back());
  show("softmax", torch::softmax(f, 1));
  show("logsumexp", torch::logsumexp(f, 1));
  show("matmul_batched", torch::matmul(torch::arange(12.).view({2, 2, 3}), torch::arange(6.).view({3, 2})));
  show("randn", torch::randn({2, 3}));
  show("rand", torch::rand({4}));
  show("randperm", torch::randperm(6));
  show("randint", torch::randint(0, 10, {5}));
  show("randn_double", torch::randn({3}, torch::dtype(torch::kFloat64)));
  const auto options = torch::TensorOptions().dtype(torch::kFloat64).requires_grad(true);
  const auto quarter = torch::full({2}, 0.25, options);
  show("options_chain", torch::tensor({quarter.scalar_type() == torch::kDouble && quarter.requires_grad() ? 1.0 : 0.0}));
  show("options_getters", torch::tensor({options.requires_grad() ? 1.0 : 0.0, options.has_dtype() ? 1.0 : 0.0}));
  show("dot", torch::dot(torch::arange(3.), torch::arange(3.) + 1.0));
  const auto hot = torch::one_hot(torch::tensor({{0, 2}, {1, 0}}));
  show("one_hot", hot);
  show("one_hot_is_int64", torch::tensor({hot.scalar_type() == torch::kLong ? 1.0 : 0.0}));
  show("norm_p1", torch::norm(f, 1));
  show("norm_dims", torch::norm(f, 2, {1}, true));
  return 0;
}
