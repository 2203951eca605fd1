// Indexing by int64 index tensors: index_select (whole slices) and gather (one element per
// output position). Their gradients scatter dy back to where the values came from.
#include "ann/error.h"
#include "ann/ops.h"
#include "autograd/node.h"
#include "ops/op_util.h"

namespace ann {

using autograd::record;

// y = x.index_select(dim, index)    dx[.., index[j], ..] += dy[.., j, ..]
Tensor index_select(const Tensor& x, std::int64_t dim_in, const Tensor& index) {
  check_defined(x, "index_select");
  const std::int64_t dim = wrap_dim(dim_in, x.dim(), "index_select");
  if (index.defined() && index.dim() != 1) {
    throw ShapeError("index_select: index must be 1-D, got shape " + to_string(index.sizes()));
  }
  const std::int64_t n = x.dim() == 0 ? 1 : x.size(dim);
  ops::check_indices(index, n, "index_select");
  const Tensor xc = x.contiguous(), ic = index.contiguous();
  const ops::Split s = ops::split_at(x.sizes(), dim);
  Shape out_shape = x.sizes();
  if (!out_shape.empty()) out_shape[static_cast<std::size_t>(dim)] = ic.numel();
  Tensor y = make_tensor(out_shape, x.dtype(), x.device());
  ops::backend_of(x).index_select(xc.impl()->raw_data(), element_size(x.dtype()), ic.data<std::int64_t>(), ic.numel(),
                                  y.impl()->raw_data(), s.outer, s.n, s.inner);
  return record("index_select", std::move(y), {x}, [ic, s, sizes = x.sizes()](const Tensor& dy) {
    Tensor dx = zeros(sizes, {.dtype = dy.dtype(), .device = dy.device()});
    const Tensor dyc = dy.contiguous();
    ops::backend_of(dy).index_add(dy.dtype(), dyc.impl()->raw_data(), ic.data<std::int64_t>(), ic.numel(),
                                  dx.impl()->raw_data(), s.outer, s.n, s.inner);
    return std::vector<Tensor>{dx};
  });
}

// y[o, j, i] = x[o, index[o, j, i], i]    dx[o, index[o, j, i], i] += dy[o, j, i]
Tensor gather(const Tensor& x, std::int64_t dim_in, const Tensor& index) {
  ops::check_floating(x, "gather");
  const std::int64_t dim = wrap_dim(dim_in, x.dim(), "gather");
  check_dtype(index, DType::Int64, "gather");
  bool ok = index.dim() == x.dim();
  for (std::int64_t d = 0; ok && d < x.dim(); ++d) ok = d == dim || index.size(d) == x.size(d);
  if (!ok) {
    throw ShapeError("gather: index of shape " + to_string(index.sizes()) + " does not match input of shape " +
                     to_string(x.sizes()) + " outside dimension " + std::to_string(dim));
  }
  const std::int64_t n = x.dim() == 0 ? 1 : x.size(dim);
  ops::check_indices(index, n, "gather");
  const Tensor xc = x.contiguous(), ic = index.contiguous();
  const ops::Split s = ops::split_at(x.sizes(), dim);
  const std::int64_t k = ic.dim() == 0 ? 1 : ic.size(dim);
  Tensor y = make_tensor(ic.sizes(), x.dtype(), x.device());
  ops::backend_of(x).gather(xc.impl()->raw_data(), element_size(x.dtype()), ic.data<std::int64_t>(),
                            y.impl()->raw_data(), s.outer, s.n, k, s.inner);
  return record("gather", std::move(y), {x}, [ic, s, k, sizes = x.sizes()](const Tensor& dy) {
    Tensor dx = zeros(sizes, {.dtype = dy.dtype(), .device = dy.device()});
    const Tensor dyc = dy.contiguous();
    ops::backend_of(dy).scatter_add(dy.dtype(), dyc.impl()->raw_data(), ic.data<std::int64_t>(), dx.impl()->raw_data(),
                                    s.outer, s.n, k, s.inner);
    return std::vector<Tensor>{dx};
  });
}

// where(c, a, b)_i = c_i ? a_i : b_i (all three broadcast), composed as a gather from a and b
// stacked along a new last dimension, with c as the index: gather's derivative sends each
// gradient to the branch that gave the value, and the branch not taken never reaches the result
// (an inf or NaN there stays out, as it would not in c·a + (1 − c)·b).
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  check_dtype(condition, DType::Bool, "where");
  ops::check_floating(a, "where");
  ops::check_floating(b, "where");
  const Shape shape = broadcast_shapes(broadcast_shapes(condition.sizes(), a.sizes(), "where"), b.sizes(), "where");
  const Tensor choice = condition.expand(shape).contiguous().to(DType::Int64).unsqueeze(-1);
  const DType dtype = ops::promote_floating(a, b);
  return gather(stack({b.to(dtype).expand(shape), a.to(dtype).expand(shape)}, -1), -1, choice).squeeze(-1);
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  ops::check_floating(x, "masked_fill");
  check_defined(mask, "masked_fill");
  if (broadcast_shapes(mask.sizes(), x.sizes(), "masked_fill") != x.sizes()) {
    throw ShapeError("masked_fill: the mask of shape " + to_string(mask.sizes()) + " does not broadcast to the input's " +
                     to_string(x.sizes()));
  }
  return where(mask, full({}, value, {.dtype = x.dtype(), .device = x.device()}), x);
}

}  // namespace ann
