// Reductions along a dimension or over all elements: sum, mean, max, min, argmax, var, std.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <limits>
#include <vector>

#include "ann/error.h"
#include "ann/ops.h"
#include "autograd/node.h"
#include "ops/op_util.h"

namespace ann {

using autograd::record;
using backend::ReduceOp;

namespace {

// Runs a reduction kernel over `dim` of contiguous x; out has reduced_shape(dim, keepdim).
Tensor reduce_kernel(ReduceOp op, const Tensor& x, std::int64_t dim, bool keepdim, DType out_dtype,
                     const char* name) {
  const Tensor xc = x.contiguous();
  if (x.dim() > 0 && x.size(dim) == 0 && op != ReduceOp::Sum && op != ReduceOp::Prod) {
    throw ValueError(std::string(name) + ": cannot reduce over dimension " + std::to_string(dim) +
                     " of size 0 (shape " + to_string(x.sizes()) + ")");
  }
  const ops::Split s = ops::split_at(x.sizes(), dim);
  Tensor out = make_tensor(ops::reduced_shape(x.sizes(), dim, keepdim), out_dtype, x.device());
  ops::backend_of(x).reduce(op, xc.dtype(), xc.impl()->raw_data(), out.impl()->raw_data(), s.outer, s.n, s.inner);
  return out;
}

// Reductions over all elements are reductions of the flattened tensor along its only dim.
Tensor flat(const Tensor& x) { return x.reshape({x.numel()}); }

// y = max or min along dim    dx = dy at the (first) arg-extremum, 0 elsewhere
// Returns the values and, as libtorch, the indices of the (first) extremum.
std::tuple<Tensor, Tensor> extremum(const Tensor& x, std::int64_t dim_in, bool keepdim, bool is_max) {
  const char* name = is_max ? "max" : "min";
  ops::check_floating(x, name);
  const std::int64_t dim = wrap_dim(dim_in, x.dim(), name);
  Tensor y = reduce_kernel(is_max ? ReduceOp::Max : ReduceOp::Min, x, dim, keepdim, x.dtype(), name);
  const Tensor index = is_max ? argmax(x.detach(), dim, true) : argmin(x, dim, true);
  const Tensor indices = keepdim || x.dim() == 0 ? index.reshape(y.sizes()) : index.squeeze(dim);
  Tensor values = record(name, y, {x}, [index, sizes = x.sizes(), dim, keepdim](const Tensor& dy, const std::vector<Tensor>&) {
    const Tensor dyk = keepdim || sizes.empty() ? dy.reshape(index.sizes()) : dy.unsqueeze(dim);
    Tensor dx = zeros(sizes, TensorOptions().dtype(dy.dtype()).device(dy.device()));
    if (is_grad_enabled()) return std::vector<Tensor>{scatter_add(dx, dim, index, dyk)};  // a pass with create_graph
    const ops::Split s = ops::split_at(sizes, dim);
    const Tensor dyc = dyk.contiguous();
    ops::backend_of(dy).scatter_add(dy.dtype(), dyc.impl()->raw_data(), index.data<std::int64_t>(), dx.impl()->raw_data(),
                                    s.outer, s.n, 1, s.inner);
    return std::vector<Tensor>{dx};
  });
  return {std::move(values), indices};
}

}  // namespace

// y = Σ_dim x        dx = dy broadcast back along dim
Tensor sum(const Tensor& x, std::int64_t dim_in, bool keepdim) {
  check_defined(x, "sum");
  const std::int64_t dim = wrap_dim(dim_in, x.dim(), "sum");
  const DType out_dtype = is_floating_point(x.dtype()) ? x.dtype() : DType::Int64;
  Tensor y = reduce_kernel(ReduceOp::Sum, x, dim, keepdim, out_dtype, "sum");
  return record("sum", std::move(y), {x}, [sizes = x.sizes(), dim, keepdim](const Tensor& dy, const std::vector<Tensor>&) {
    const Tensor dyk = keepdim || sizes.empty() ? dy.reshape(ops::reduced_shape(sizes, dim, true)) : dy.unsqueeze(dim);
    return std::vector<Tensor>{ops::broadcast_to(dyk, sizes)};
  });
}

// The same kernel call as summing the flattened tensor along its only dim, without the two
// views around it (a loss reduces every step).
Tensor sum(const Tensor& x) {
  check_defined(x, "sum");
  const Tensor xc = x.contiguous();
  Tensor y = make_tensor({}, is_floating_point(x.dtype()) ? x.dtype() : DType::Int64, x.device());
  ops::backend_of(x).reduce(ReduceOp::Sum, xc.dtype(), xc.impl()->raw_data(), y.impl()->raw_data(), 1, x.numel(), 1);
  if (!autograd::should_record(x)) return y;
  return record("sum", std::move(y), {x}, [sizes = x.sizes()](const Tensor& dy, const std::vector<Tensor>&) {
    return std::vector<Tensor>{ops::broadcast_to(dy, sizes)};
  });
}

// y = Σ_dim x / n
Tensor mean(const Tensor& x, std::int64_t dim, bool keepdim) {
  ops::check_floating(x, "mean");
  const std::int64_t n = x.dim() == 0 ? 1 : x.size(wrap_dim(dim, x.dim(), "mean"));
  return sum(x, dim, keepdim) / static_cast<double>(n);
}

Tensor mean(const Tensor& x) {
  ops::check_floating(x, "mean");
  return sum(x) / static_cast<double>(x.numel());
}

std::tuple<Tensor, Tensor> max(const Tensor& x, std::int64_t dim, bool keepdim) { return extremum(x, dim, keepdim, true); }
std::tuple<Tensor, Tensor> min(const Tensor& x, std::int64_t dim, bool keepdim) { return extremum(x, dim, keepdim, false); }
Tensor max(const Tensor& x) {
  check_defined(x, "max");
  return std::get<0>(max(flat(x), 0)).reshape({});
}
Tensor min(const Tensor& x) {
  check_defined(x, "min");
  return std::get<0>(min(flat(x), 0)).reshape({});
}

Tensor argmax(const Tensor& x, std::int64_t dim_in, bool keepdim) {
  check_defined(x, "argmax");
  const std::int64_t dim = wrap_dim(dim_in, x.dim(), "argmax");
  const Tensor values = x.dtype() == DType::Bool ? x.to(DType::Int64) : x;
  return reduce_kernel(ReduceOp::ArgMax, values, dim, keepdim, DType::Int64, "argmax");
}

Tensor argmax(const Tensor& x) {
  check_defined(x, "argmax");
  return argmax(flat(x), 0).reshape({});
}

// var = Σ (x − mean)² / (n − 1)   (n when biased); the gradient follows by composition:
// dx = 2 (x − mean) / (n − 1) · dy
Tensor var(const Tensor& x, std::int64_t dim, bool unbiased, bool keepdim) {
  ops::check_floating(x, "var");
  const std::int64_t d = wrap_dim(dim, x.dim(), "var");
  const std::int64_t n = x.dim() == 0 ? 1 : x.size(d);
  const Tensor centred = x - mean(x, d, true);
  return sum(centred * centred, d, keepdim) / static_cast<double>(unbiased ? n - 1 : n);
}

Tensor var(const Tensor& x) {
  check_defined(x, "var");
  return var(flat(x), 0).reshape({});
}

Tensor std(const Tensor& x, std::int64_t dim, bool unbiased, bool keepdim) {
  return sqrt(var(x, dim, unbiased, keepdim));
}

Tensor std(const Tensor& x) { return sqrt(var(x)); }

Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim) {
  ops::check_floating(x, "argmin");
  return argmax(neg(x.detach()), dim, keepdim);
}

Tensor logsumexp(const Tensor& x, std::int64_t dim, bool keepdim) {
  return logsumexp(x, std::vector<std::int64_t>{dim}, keepdim);
}

Tensor argmin(const Tensor& x) {
  ops::check_floating(x, "argmin");
  return argmax(neg(x.detach()));
}

namespace {
// The dimensions of `dims` wrapped and sorted from the last, refusing repeats (as torch).
std::vector<std::int64_t> reduction_dims(const Tensor& x, const std::vector<std::int64_t>& dims, const char* op) {
  std::vector<std::int64_t> wrapped;
  for (const std::int64_t d : dims) wrapped.push_back(wrap_dim(d, x.dim(), op));
  std::sort(wrapped.rbegin(), wrapped.rend());
  if (std::adjacent_find(wrapped.begin(), wrapped.end()) != wrapped.end()) {
    throw ValueError(std::string(op) + ": a dimension appears twice in the list for shape " + to_string(x.sizes()));
  }
  return wrapped;
}
}  // namespace

// Σ over several dimensions: one after the other, from the last (so that the others keep
// their numbers); an empty list sums over everything, as torch.
Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  check_defined(x, "sum");
  if (dims.empty()) {
    Tensor y = sum(x);
    return keepdim ? y.reshape(Shape(static_cast<std::size_t>(x.dim()), 1)) : y;
  }
  Tensor y = x;
  for (const std::int64_t d : reduction_dims(x, dims, "sum")) y = sum(y, d, keepdim);
  return y;
}

Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  ops::check_floating(x, "mean");
  std::int64_t n = 1;
  if (dims.empty()) n = x.numel();
  for (const std::int64_t d : reduction_dims(x, dims, "mean")) n *= x.size(d);
  return sum(x, dims, keepdim) / static_cast<double>(n);
}

// y = Π_dim x      dx_i = dy · Π_{j≠i} x_j: y / x_i where x_i ≠ 0; at a slice's only zero, the
// product of the others; 0 where the slice has two zeros or more (as torch's prod_backward).
Tensor prod(const Tensor& x, std::int64_t dim_in, bool keepdim) {
  ops::check_floating(x, "prod");
  const std::int64_t dim = wrap_dim(dim_in, x.dim(), "prod");
  Tensor y = reduce_kernel(ReduceOp::Prod, x, dim, keepdim, x.dtype(), "prod");
  if (!autograd::should_record(x)) return y;
  return record("prod", y, {x}, [saved_x = x.detach(), ys = y.detach(), dim, keepdim](const Tensor& dy, const std::vector<Tensor>& in) {
    // a pass with create_graph differentiates this through x itself, y recomputed from it
    const bool again = is_grad_enabled();
    const Tensor& x = again ? in[0] : saved_x;
    const Tensor yk = again ? prod(x, dim, true)
                      : keepdim || x.dim() == 0 ? ys.reshape(ops::reduced_shape(x.sizes(), dim, true))
                                                : ys.unsqueeze(dim);
    const Tensor dyk = keepdim || x.dim() == 0 ? dy.reshape(yk.sizes()) : dy.unsqueeze(dim);
    const Tensor is_zero = x == 0.0;
    const Tensor zeros_in_slice = sum(is_zero.to(DType::Int64), dim, true);
    const Tensor others = prod(where(is_zero, ones_like(x), x), dim, true);  // Π of the nonzero ones
    const Tensor at_zero = where(zeros_in_slice == 1.0, others, zeros_like(others));
    const Tensor safe_x = where(is_zero, ones_like(x), x);
    return std::vector<Tensor>{dyk * where(is_zero, at_zero.expand(x.sizes()), yk / safe_x)};
  });
}

Tensor prod(const Tensor& x) {
  check_defined(x, "prod");
  return prod(flat(x), 0).reshape({});
}

// y_j = Σ_{k ≤ j} x_k along dim      dx_k = Σ_{j ≥ k} dy_j (the running sum taken backwards)
Tensor cumsum(const Tensor& x, std::int64_t dim_in) {
  ops::check_floating(x, "cumsum");
  const std::int64_t dim = wrap_dim(dim_in, x.dim(), "cumsum");
  auto running = [dim](const Tensor& t, bool reverse) {
    const ops::Split s = ops::split_at(t.sizes(), dim);
    const Tensor tc = t.contiguous();
    Tensor out = make_tensor(t.sizes(), t.dtype(), t.device());
    ops::backend_of(t).cumsum(t.dtype(), tc.impl()->raw_data(), out.impl()->raw_data(), s.outer, s.n, s.inner, reverse);
    return out;
  };
  Tensor y = running(x, false);
  if (!autograd::should_record(x)) return y;
  return record("cumsum", y, {x}, [running, dim](const Tensor& dy, const std::vector<Tensor>&) {
    // a pass with create_graph: the backwards running sum as Σ dy − cumsum(dy) + dy, recorded
    if (is_grad_enabled()) return std::vector<Tensor>{sum(dy, dim, true) - cumsum(dy, dim) + dy};
    return std::vector<Tensor>{running(dy, true)};
  });
}

namespace {
// (Σ |x|^p)^(1/p) reduced by `total` (over every element, or some dimensions): 2 as √(Σ x²), 1 as
// Σ |x|, infinity as max |x|.
template <class Total, class Largest>
Tensor p_norm(const Tensor& x, double p, Total total, Largest largest) {
  ops::check_floating(x, "norm");
  if (!(p > 0)) throw ValueError("norm: p must be positive or infinity, got " + std::to_string(p));
  if (std::isinf(p)) return largest(abs(x));
  if (p == 2.0) return sqrt(total(x * x));
  if (p == 1.0) return total(abs(x));
  return pow(total(pow(abs(x), p)), 1.0 / p);
}
}  // namespace

// log Σ exp(x) = m + log Σ exp(x − m), m = max(x) over the dimensions held constant: its
// derivative cancels.
Tensor logsumexp(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  ops::check_floating(x, "logsumexp");
  Tensor m = x.detach();
  std::vector<std::int64_t> all(static_cast<std::size_t>(x.dim()));
  std::iota(all.begin(), all.end(), 0);
  const std::vector<std::int64_t> along = reduction_dims(x, dims.empty() ? all : dims, "logsumexp");  // {}: every one
  for (const std::int64_t d : along) m = std::get<0>(max(m, d, true));
  // An infinite maximum shifts by 0 instead: a row of −inf stays −inf, not NaN (as torch).
  const Tensor finite_m = masked_fill(m, abs(m) == std::numeric_limits<double>::infinity(), 0.0);
  Tensor out = log(sum(exp(x - finite_m), along, true)) + finite_m;
  if (!keepdim)
    for (const std::int64_t d : along) out = out.squeeze(d);  // from the last: the others keep their numbers
  return out;
}

Tensor norm(const Tensor& x, double p) {
  return p_norm(x, p, [](const Tensor& t) { return sum(t); }, [](const Tensor& t) { return max(t); });
}

Tensor norm(const Tensor& x, double p, const std::vector<std::int64_t>& dims, bool keepdim) {
  return p_norm(
      x, p, [&](const Tensor& t) { return sum(t, dims, keepdim); },
      [&](const Tensor& t) {
        if (dims.empty()) return keepdim ? max(t).reshape(Shape(static_cast<std::size_t>(t.dim()), 1)) : max(t);
        Tensor y = t;
        for (const std::int64_t d : reduction_dims(t, dims, "norm")) y = std::get<0>(max(y, d, keepdim));
        return y;
      });
}

}  // namespace ann
