// Indexing by int64 index tensors: index_select (whole slices) and gather (one element per
// output position). Their gradients scatter dy back to where the values came from.
#include <algorithm>

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
  return record("index_select", std::move(y), {x}, [ic, s, dim, sizes = x.sizes()](const Tensor& dy, const std::vector<Tensor>&) {
    Tensor dx = zeros(sizes, TensorOptions().dtype(dy.dtype()).device(dy.device()));
    if (is_grad_enabled() && dy.dim() > 0) {  // a pass with create_graph: the same sums as a recorded scatter_add
      Shape along(static_cast<std::size_t>(dy.dim()), 1);
      along[static_cast<std::size_t>(dim)] = ic.numel();
      return std::vector<Tensor>{scatter_add(dx, dim, ic.reshape(along).expand(dy.sizes()).contiguous(), dy)};
    }
    const Tensor dyc = dy.contiguous();
    ops::backend_of(dy).index_add(dy.dtype(), dyc.impl()->raw_data(), ic.data<std::int64_t>(), ic.numel(),
                                  dx.impl()->raw_data(), s.outer, s.n, s.inner);
    return std::vector<Tensor>{dx};
  });
}

namespace {
// gather's and scatter's index: int64, x's rank and x's sizes outside `dim`, every entry in
// range along it. Returns dim wrapped.
std::int64_t check_element_index(const Tensor& x, std::int64_t dim_in, const Tensor& index, const char* op) {
  check_defined(x, op);
  const std::int64_t dim = wrap_dim(dim_in, x.dim(), op);
  check_dtype(index, DType::Int64, op);
  bool ok = index.dim() == x.dim();
  for (std::int64_t d = 0; ok && d < x.dim(); ++d) ok = d == dim || index.size(d) == x.size(d);
  if (!ok) {
    throw ShapeError(std::string(op) + ": index of shape " + to_string(index.sizes()) + " does not match input of shape " +
                     to_string(x.sizes()) + " outside dimension " + std::to_string(dim));
  }
  ops::check_indices(index, x.dim() == 0 ? 1 : x.size(dim), op);
  return dim;
}
}  // namespace

// y[o, j, i] = x[o, index[o, j, i], i]    dx[o, index[o, j, i], i] += dy[o, j, i]
Tensor gather(const Tensor& x, std::int64_t dim_in, const Tensor& index) {
  ops::check_floating(x, "gather");
  const std::int64_t dim = check_element_index(x, dim_in, index, "gather");
  const Tensor xc = x.contiguous(), ic = index.contiguous();
  const ops::Split s = ops::split_at(x.sizes(), dim);
  const std::int64_t k = ic.dim() == 0 ? 1 : ic.size(dim);
  Tensor y = make_tensor(ic.sizes(), x.dtype(), x.device());
  ops::backend_of(x).gather(xc.impl()->raw_data(), element_size(x.dtype()), ic.data<std::int64_t>(),
                            y.impl()->raw_data(), s.outer, s.n, k, s.inner);
  return record("gather", std::move(y), {x}, [ic, s, k, dim, sizes = x.sizes()](const Tensor& dy, const std::vector<Tensor>&) {
    Tensor dx = zeros(sizes, TensorOptions().dtype(dy.dtype()).device(dy.device()));
    if (is_grad_enabled()) return std::vector<Tensor>{scatter_add(dx, dim, ic, dy)};  // a pass with create_graph
    const Tensor dyc = dy.contiguous();
    ops::backend_of(dy).scatter_add(dy.dtype(), dyc.impl()->raw_data(), ic.data<std::int64_t>(), dx.impl()->raw_data(),
                                    s.outer, s.n, k, s.inner);
    return std::vector<Tensor>{dx};
  });
}

namespace {
// out = x, then out[o, index[o, j, i], i] = src[o, j, i] (add: +=), as torch.scatter(_add):
//   scatter:      dx = dy with the written places zeroed     dsrc = gather(dy, index)
//   scatter_add:  dx = dy                                     dsrc = gather(dy, index)
Tensor scatter_op(const Tensor& x, std::int64_t dim_in, const Tensor& index, const Tensor& src, bool add) {
  const char* op = add ? "scatter_add" : "scatter";
  const std::int64_t dim = check_element_index(x, dim_in, index, op);
  check_defined(src, op);
  if (src.sizes() != index.sizes()) {
    throw ShapeError(std::string(op) + ": src of shape " + to_string(src.sizes()) + " for an index of shape " +
                     to_string(index.sizes()) + " (ann needs them equal)");
  }
  if (add) ops::check_floating(x, op);
  const Tensor ic = index.contiguous(), sc = src.to(x.dtype()).contiguous();
  const ops::Split s = ops::split_at(x.sizes(), dim);
  const std::int64_t k = ic.dim() == 0 ? 1 : ic.size(dim);
  Tensor y;
  {
    NoGradGuard no_grad;
    y = x.clone();
  }
  if (add) {
    ops::backend_of(x).scatter_add(x.dtype(), sc.impl()->raw_data(), ic.data<std::int64_t>(), y.impl()->raw_data(),
                                   s.outer, s.n, k, s.inner);
  } else {
    ops::backend_of(x).scatter(sc.impl()->raw_data(), element_size(x.dtype()), ic.data<std::int64_t>(),
                               y.impl()->raw_data(), s.outer, s.n, k, s.inner);
  }
  if (!autograd::should_record(x, src)) return y;
  return record(op, std::move(y), {x, src}, [ic, dim, add](const Tensor& dy, const std::vector<Tensor>&) {
    return std::vector<Tensor>{add ? dy : scatter(dy, dim, ic, 0.0), gather(dy, dim, ic)};
  });
}
}  // namespace

Tensor scatter(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_op(x, dim, index, src, false);
}
Tensor scatter(const Tensor& x, std::int64_t dim, const Tensor& index, double value) {
  check_defined(x, "scatter");
  check_defined(index, "scatter");
  return scatter_op(x, dim, index, full(index.sizes(), value, TensorOptions().dtype(x.dtype()).device(x.device())), false);
}
Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_op(x, dim, index, src, true);
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

Tensor where(const Tensor& condition, const Tensor& a, double b) {
  check_defined(a, "where");
  return where(condition, a, full({}, b, TensorOptions().dtype(a.dtype()).device(a.device())));
}

Tensor where(const Tensor& condition, double a, const Tensor& b) {
  check_defined(b, "where");
  return where(condition, full({}, a, TensorOptions().dtype(b.dtype()).device(b.device())), b);
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value) {
  check_defined(value, "masked_fill");
  if (value.dim() != 0) {
    throw ShapeError("masked_fill: the value must be a 0-dim tensor, got shape " + to_string(value.sizes()));
  }
  ops::check_floating(x, "masked_fill");
  if (broadcast_shapes(mask.sizes(), x.sizes(), "masked_fill") != x.sizes()) {
    throw ShapeError("masked_fill: the mask of shape " + to_string(mask.sizes()) + " does not broadcast to the input's " +
                     to_string(x.sizes()));
  }
  return where(mask, value.to(x.dtype()), x);
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  ops::check_floating(x, "masked_fill");
  check_defined(mask, "masked_fill");
  if (broadcast_shapes(mask.sizes(), x.sizes(), "masked_fill") != x.sizes()) {
    throw ShapeError("masked_fill: the mask of shape " + to_string(mask.sizes()) + " does not broadcast to the input's " +
                     to_string(x.sizes()));
  }
  return where(mask, full({}, value, TensorOptions().dtype(x.dtype()).device(x.device())), x);
}

Tensor one_hot(const Tensor& t, std::int64_t num_classes) {
  check_dtype(t, DType::Int64, "one_hot");
  const std::vector<std::int64_t> labels = t.to_vector<std::int64_t>();
  std::int64_t classes = num_classes;
  if (classes == -1) {
    if (labels.empty()) throw ValueError("one_hot: cannot infer the number of classes of an empty tensor");
    classes = *std::max_element(labels.begin(), labels.end()) + 1;
  }
  if (classes < 1) throw ValueError("one_hot: number of classes must be positive, got " + std::to_string(classes));
  std::vector<std::int64_t> out(labels.size() * static_cast<std::size_t>(classes), 0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= classes) {
      throw ValueError("one_hot: label " + std::to_string(labels[i]) + " out of range for " + std::to_string(classes) +
                       " classes");
    }
    out[i * static_cast<std::size_t>(classes) + static_cast<std::size_t>(labels[i])] = 1;
  }
  Shape shape = t.sizes();
  shape.push_back(classes);
  return from_vector(out, shape).to(t.device());
}

}  // namespace ann
