// Reductions along a dimension or over all elements: sum, mean, max, min, argmax, var, std.
#include <limits>

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
  if (x.dim() > 0 && x.size(dim) == 0 && op != ReduceOp::Sum) {
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
  Tensor values = record(name, y, {x}, [index, sizes = x.sizes(), dim, keepdim](const Tensor& dy) {
    const Tensor dyk = keepdim || sizes.empty() ? dy.reshape(index.sizes()) : dy.unsqueeze(dim);
    Tensor dx = zeros(sizes, {.dtype = dy.dtype(), .device = dy.device()});
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
  return record("sum", std::move(y), {x}, [sizes = x.sizes(), dim, keepdim](const Tensor& dy) {
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
  return record("sum", std::move(y), {x}, [sizes = x.sizes()](const Tensor& dy) {
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

// log Σ exp(x) = m + log Σ exp(x − m), m = max(x) held constant: its derivative cancels.
Tensor logsumexp(const Tensor& x, std::int64_t dim, bool keepdim) {
  ops::check_floating(x, "logsumexp");
  const Tensor m = std::get<0>(max(x.detach(), dim, true));
  // An infinite maximum shifts by 0 instead: a row of −inf stays −inf, not NaN (as torch).
  const Tensor finite_m = masked_fill(m, abs(m) == std::numeric_limits<double>::infinity(), 0.0);
  Tensor out = log(sum(exp(x - finite_m), dim, true)) + finite_m;
  return keepdim ? out : out.squeeze(dim);
}

Tensor norm(const Tensor& x) {
  ops::check_floating(x, "norm");
  return sqrt(sum(x * x));
}

Tensor norm(const Tensor& x, std::int64_t dim, bool keepdim) {
  ops::check_floating(x, "norm");
  return sqrt(sum(x * x, dim, keepdim));
}

}  // namespace ann
