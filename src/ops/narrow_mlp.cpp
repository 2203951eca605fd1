// The fused two-layer perceptron with narrow ends: forward and backward of one node. The math
// of both passes is written next to the kernel, src/backend/cpu/narrow_mlp_common.h.
#include "ops/narrow_mlp.h"

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/ops.h"
#include "ops/op_util.h"
#include "tensor_impl.h"

namespace ann::detail {

namespace {

bool is_vector_of(const Tensor& b, std::int64_t n) {
  return !b.defined() || (b.dtype() == DType::Float32 && b.dim() == 1 && b.size(0) == n);
}

const float* data_or_null(const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }
float* data_or_null(Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }

}  // namespace

bool narrow_mlp_adds_into_sinks(autograd::GradSinks sinks, const std::array<bool, 5>& need,
                                std::initializer_list<const Tensor*> reads) {
  if (sinks.size() != need.size()) return false;
  for (std::size_t i = 1; i < need.size(); ++i) {
    if (!need[i]) continue;
    if (!autograd::can_add_into(sinks[i], reads)) return false;
    for (std::size_t j = 1; j < i; ++j)  // nor another parameter's sink
      if (need[j] && sinks[j]->impl()->storage == sinks[i]->impl()->storage) return false;
  }
  return true;
}

bool narrow_mlp_applies(const Tensor& x, const Tensor& W1, const Tensor& W2) {
  return x.defined() && x.dtype() == DType::Float32 && x.dim() == 2 && ops::backend_of(x).has(backend::Fused::NarrowMlp) &&
         W1.device() == x.device() && W2.device() == x.device() &&
         W1.dtype() == DType::Float32 && W1.dim() == 2 && W2.dtype() == DType::Float32 && W2.dim() == 2 &&
         x.size(1) == W1.size(1) && W2.size(1) == W1.size(0) && W1.size(1) >= 1 &&
         W1.size(1) <= backend::kNarrowMlpMaxEnds && W2.size(0) >= 1 && W2.size(0) <= backend::kNarrowMlpMaxEnds;
}

Tensor narrow_mlp(const Tensor& x, const Tensor& W1, const Tensor& b1, Activation f, const Tensor& W2,
                  const Tensor& b2) {
  if (!narrow_mlp_applies(x, W1, W2) || !is_vector_of(b1, W1.size(0)) || !is_vector_of(b2, W2.size(0))) {
    throw ShapeError("narrow_mlp: input " + to_string(x.sizes()) + ", weights " + to_string(W1.sizes()) + " and " +
                     to_string(W2.sizes()) + " are not a 2-layer perceptron with at most " +
                     std::to_string(backend::kNarrowMlpMaxEnds) + " inputs and outputs");
  }
  Tensor xc = x.contiguous(), W1c = W1.contiguous(), W2c = W2.contiguous();
  Tensor b1c = b1.defined() ? b1.contiguous() : Tensor(), b2c = b2.defined() ? b2.contiguous() : Tensor();
  const backend::NarrowMlp p{x.size(0), W1.size(1), W1.size(0), W2.size(0), W1c.data<float>(),
                             data_or_null(b1c), W2c.data<float>(), data_or_null(b2c), f};
  std::vector<Tensor> inputs{x, W1, b1, W2, b2};
  const bool backward_follows = is_grad_enabled() && autograd::any_requires_grad(inputs);
  Tensor y = make_tensor({p.m, p.out}, DType::Float32, x.device());
  Tensor hidden = backward_follows && backend::narrow_mlp_keeps_hidden(p.f)
                      ? make_tensor({backend::narrow_mlp_hidden_floats(p.m, p.hidden)}, DType::Float32, x.device())
                      : Tensor();
  const backend::Backend& kernels = ops::backend_of(x);
  kernels.narrow_mlp_forward(p, xc.data<float>(), y.data<float>(), data_or_null(hidden));
  if (!backward_follows) return y;
  // Everything below moves into the node: each copy of a tensor handle is an atomic count.
  return autograd::record(
      "narrow_mlp", std::move(y), std::move(inputs),
      // The closure keeps the (contiguous) inputs alive, not detached copies: inputs, or fresh
      // copies of them, make no cycle (node.h), and a detach costs allocations every step.
      [p, xc = std::move(xc), W1c = std::move(W1c), b1c = std::move(b1c), W2c = std::move(W2c),
       b2c = std::move(b2c), hidden = std::move(hidden), &kernels, need = std::array<bool, 5>{
           x.requires_grad(), W1.requires_grad(), b1.defined() && b1.requires_grad(), W2.requires_grad(),
           b2.defined() && b2.requires_grad()}](const Tensor& dy, autograd::GradSinks sinks,
                                                const std::vector<Tensor>& in) {
        if (is_grad_enabled()) {  // a pass with create_graph: through the two layers it stands for
          return autograd::differentiate_again(
              [f = p.f](const std::vector<Tensor>& v) { return linear(linear(v[0], v[1], v[2], f), v[3], v[4]); }, in, dy);
        }
        // The kernel reads the parameters through p's pointers; the captured tensors keep them alive.
        const Tensor dyc = dy.contiguous();
        // x's own gradient (a leaf x with one already) is added by the engine after the kernel:
        // it counts as read, so that no parameter's addition comes before it in shared memory.
        const Tensor& x_grad = sinks.size() == need.size() && need[0] && sinks[0] ? *sinks[0] : Tensor();
        const bool into_sinks = narrow_mlp_adds_into_sinks(sinks, need, {&xc, &W1c, &b1c, &W2c, &b2c, &hidden, &dyc, &x_grad});
        const std::array<Shape, 5> shapes{Shape{p.m, p.in}, Shape{p.hidden, p.in}, Shape{p.hidden},
                                          Shape{p.out, p.hidden}, Shape{p.out}};
        std::vector<Tensor> g(shapes.size());
        std::array<float*, 5> out{};
        for (std::size_t i = 0; i < shapes.size(); ++i) {
          if (!need[i]) continue;
          if (i > 0 && into_sinks) {
            out[i] = sinks[i]->data<float>();  // the gradient is added there; g[i] stays undefined
          } else {
            g[i] = make_tensor(shapes[i], DType::Float32, dyc.device());
            out[i] = g[i].data<float>();
          }
        }
        kernels.narrow_mlp_backward(p, xc.data<float>(), data_or_null(hidden), dyc.data<float>(),
                                {out[0], out[1], out[2], out[3], out[4], into_sinks});
        return g;
      });
}

}  // namespace ann::detail
