// softargmax along a dimension: softmax(x)_j = exp(x_j) / Σ_k exp(x_k), computed with the
// maximum subtracted first so that exp never overflows; log_softmax likewise.
#include "ann/ops.h"
#include "autograd/node.h"
#include "ops/op_util.h"

namespace ann {

using autograd::record;

namespace {

Tensor softmax_impl(const Tensor& x, std::int64_t dim_in, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  ops::check_floating(x, name);
  const std::int64_t dim = wrap_dim(dim_in, x.dim(), name);
  const ops::Split s = ops::split_at(x.sizes(), dim);
  const Tensor xc = x.contiguous();
  Tensor y = make_tensor(x.sizes(), x.dtype(), x.device());
  ops::backend_of(x).softmax(log, x.dtype(), xc.impl()->raw_data(), y.impl()->raw_data(), s.outer, s.n, s.inner);
  // softmax:      dx = y ⊙ (dy − Σ y ⊙ dy)
  // log_softmax:  dx = dy − softmax ⊙ Σ dy
  // (a pass with create_graph makes y again from x, so that y's dependence on x is differentiated)
  return record(name, y, {x}, [ys = y.detach(), dim, log](const Tensor& dy, const std::vector<Tensor>& in) {
    const Tensor y = is_grad_enabled() ? softmax_impl(in[0], dim, log) : ys;
    if (log) return std::vector<Tensor>{dy - exp(y) * sum(dy, dim, true)};
    return std::vector<Tensor>{y * (dy - sum(y * dy, dim, true))};
  });
}

}  // namespace

Tensor softmax(const Tensor& x, std::int64_t dim) { return softmax_impl(x, dim, false); }
Tensor log_softmax(const Tensor& x, std::int64_t dim) { return softmax_impl(x, dim, true); }

}  // namespace ann
