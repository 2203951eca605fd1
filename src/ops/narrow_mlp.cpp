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

bool narrow_mlp_biases_fit(const Tensor& W1, const Tensor& b1, const Tensor& W2, const Tensor& b2) {
  return is_vector_of(b1, W1.size(0)) && is_vector_of(b2, W2.size(0));
}

Tensor narrow_mlp(const Tensor& x, const Tensor& W1, const Tensor& b1, Activation f, const Tensor& W2,
                  const Tensor& b2) {
  if (!narrow_mlp_applies(x, W1, W2) || !narrow_mlp_biases_fit(W1, b1, W2, b2)) {
    throw ShapeError("narrow_mlp: input " + to_string(x.sizes()) + ", weights " + to_string(W1.sizes()) + " and " +
                     to_string(W2.sizes()) + " are not a 2-layer perceptron with at most " +
                     std::to_string(backend::kNarrowMlpMaxEnds) + " inputs and outputs");
  }
  std::vector<Tensor> inputs{x, W1, b1, W2, b2};
  const bool backward_follows = is_grad_enabled() && autograd::any_requires_grad(inputs);
  NarrowMlpPass pass(x, W1, b1, f, W2, b2, backward_follows);
  Tensor y = pass.take_output();
  if (!backward_follows) return y;
  return autograd::record(
      "narrow_mlp", std::move(y), std::move(inputs),
      // The pass keeps the (contiguous) inputs alive, not detached copies: inputs, or fresh copies
      // of them, make no cycle (node.h), and a detach costs allocations every step.
      [pass = std::move(pass), f, need = std::array<bool, 5>{x.requires_grad(), W1.requires_grad(),
                                                             b1.defined() && b1.requires_grad(), W2.requires_grad(),
                                                             b2.defined() && b2.requires_grad()}](
          const Tensor& dy, autograd::GradSinks sinks, const std::vector<Tensor>& in) {
        if (is_grad_enabled()) {  // a pass with create_graph: through the two layers it stands for
          return autograd::differentiate_again(
              [f](const std::vector<Tensor>& v) { return linear(linear(v[0], v[1], v[2], f), v[3], v[4]); }, in, dy);
        }
        return pass.gradients(dy, need, sinks);
      });
}

NarrowMlpPass::NarrowMlpPass(const Tensor& x, const Tensor& W1, const Tensor& b1, Activation f, const Tensor& W2,
                             const Tensor& b2, bool keep)
    : kernels_(&ops::backend_of(x)),
      xc_(x.contiguous()),
      W1c_(W1.contiguous()),
      b1c_(b1.defined() ? b1.contiguous() : Tensor()),
      W2c_(W2.contiguous()),
      b2c_(b2.defined() ? b2.contiguous() : Tensor()) {
  p_ = {x.size(0), W1.size(1), W1.size(0), W2.size(0), W1c_.data<float>(), data_or_null(b1c_), W2c_.data<float>(),
        data_or_null(b2c_), f};
  y_ = make_tensor({p_.m, p_.out}, DType::Float32, x.device());
  if (keep && backend::narrow_mlp_keeps_hidden(p_.f))
    hidden_ = make_tensor({backend::narrow_mlp_hidden_floats(p_.m, p_.hidden)}, DType::Float32, x.device());
  kernels_->narrow_mlp_forward(p_, xc_.data<float>(), y_.data<float>(), data_or_null(hidden_));
}

std::vector<Tensor> NarrowMlpPass::gradients(const Tensor& dy, const std::array<bool, 5>& need,
                                             autograd::GradSinks sinks) const {
  const Tensor dyc = dy.contiguous();
  // x's own gradient (a leaf x with one already) is added by the engine after the kernel: it
  // counts as read, so that no parameter's addition comes before it in shared memory.
  const Tensor& x_grad = sinks.size() == need.size() && need[0] && sinks[0] ? *sinks[0] : Tensor();
  const bool into_sinks =
      narrow_mlp_adds_into_sinks(sinks, need, {&xc_, &W1c_, &b1c_, &W2c_, &b2c_, &hidden_, &dyc, &x_grad});
  const std::array<Shape, 5> shapes{Shape{p_.m, p_.in}, Shape{p_.hidden, p_.in}, Shape{p_.hidden},
                                    Shape{p_.out, p_.hidden}, Shape{p_.out}};
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
  kernels_->narrow_mlp_backward(p_, xc_.data<float>(), data_or_null(hidden_),
                                dyc.data<float>(), {out[0], out[1], out[2], out[3], out[4], into_sinks});
  return g;
}

}  // namespace ann::detail
