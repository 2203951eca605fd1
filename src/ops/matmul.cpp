// Matrix products: matmul (with the vector cases of torch.matmul) and linear, the affine
// layer y = x Wᵀ + b as one node.
#include "ann/error.h"
#include "ann/ops.h"
#include "autograd/node.h"
#include "ops/linear.h"
#include "ops/op_util.h"

namespace ann {

using autograd::record;

namespace {

// A 2-D operand as BLAS wants it: a pointer, its leading dimension, and whether it is stored
// transposed. Row-major and column-major (transposed view) layouts are used in place.
struct GemmOperand {
  Tensor keep_alive;
  const void* data;
  std::int64_t ld;
  bool transposed;
};

GemmOperand gemm_operand(const Tensor& t) {
  const std::int64_t rows = t.size(0), cols = t.size(1);
  const Shape& st = t.strides();
  if (st[1] == 1 && (st[0] >= std::max<std::int64_t>(cols, 1) || rows == 1))
    return {t, t.impl()->raw_data(), std::max<std::int64_t>(st[0], cols), false};
  if (st[0] == 1 && (st[1] >= std::max<std::int64_t>(rows, 1) || cols == 1))
    return {t, t.impl()->raw_data(), std::max<std::int64_t>(st[1], rows), true};
  const Tensor c = t.contiguous().detach();
  return {c, c.impl()->raw_data(), std::max<std::int64_t>(cols, 1), false};
}

// C[M,N] = A[M,K] B[K,N], not recorded.
Tensor mm_kernel(const Tensor& a, const Tensor& b) {
  ops::check_same_device(a, b, "matmul");
  Tensor c = make_tensor({a.size(0), b.size(1)}, a.dtype(), a.device());
  const GemmOperand ga = gemm_operand(a), gb = gemm_operand(b);
  const std::int64_t M = a.size(0), K = a.size(1), N = b.size(1);
  ops::backend_of(a).gemm(a.dtype(), ga.transposed, gb.transposed, M, N, K, 1.0, ga.data, ga.ld, gb.data, gb.ld, 0.0,
                          c.impl()->raw_data(), std::max<std::int64_t>(N, 1));
  return c;
}

// c += a b for a float32 contiguous c of the product's shape, not recorded: a gradient added
// into a leaf's .grad by the product itself (beta = 1), without a tensor and a pass of its own.
void mm_add_into(const Tensor& a, const Tensor& b, Tensor& c) {
  const GemmOperand ga = gemm_operand(a), gb = gemm_operand(b);
  const std::int64_t M = a.size(0), K = a.size(1), N = b.size(1);
  ops::backend_of(a).gemm(a.dtype(), ga.transposed, gb.transposed, M, N, K, 1.0, ga.data, ga.ld, gb.data, gb.ld, 1.0,
                          c.impl()->raw_data(), std::max<std::int64_t>(N, 1));
}

// y = a b            da = dy bᵀ, db = aᵀ dy      (a [n,k], b [k,m], dy [n,m])
Tensor mm(const Tensor& a, const Tensor& b) {
  Tensor y = mm_kernel(a, b);
  if (!autograd::should_record(a, b)) return y;
  // Products are the expensive part of a step: skip those whose gradient nobody needs.
  return record("matmul", std::move(y), {a, b},
                [need_da = a.requires_grad(), need_db = b.requires_grad()](const Tensor& dy, const std::vector<Tensor>& in) {
                  const Tensor &a = in[0], &b = in[1];
                  return std::vector<Tensor>{need_da ? mm(dy, b.t()) : Tensor(), need_db ? mm(a.t(), dy) : Tensor()};
                });
}

}  // namespace

// y[i] = a[i] b[i] for each batch i      (a [B, n, k], b [B, k, m]); each product its own node
Tensor bmm(const Tensor& a, const Tensor& b) {
  ops::check_floating(a, "bmm");
  ops::check_floating(b, "bmm");
  ops::check_same_dtype(a, b, "bmm");
  if (a.dim() != 3 || b.dim() != 3 || a.size(0) != b.size(0) || a.size(2) != b.size(1)) {
    throw ShapeError("bmm: expects [B, n, k] and [B, k, m], got " + to_string(a.sizes()) + " and " +
                     to_string(b.sizes()));
  }
  if (a.size(0) == 0) return zeros({0, a.size(1), b.size(2)}, TensorOptions().dtype(a.dtype()).device(a.device()));
  std::vector<Tensor> products;
  for (std::int64_t i = 0; i < a.size(0); ++i) products.push_back(mm(a.select(0, i), b.select(0, i)));
  return stack(products, 0);
}

// beta · input + alpha · (m1 m2), input broadcast to the product's shape, as torch.addmm
Tensor addmm(const Tensor& input, const Tensor& m1, const Tensor& m2, double beta, double alpha) {
  if (!m1.defined() || !m2.defined() || m1.dim() != 2 || m2.dim() != 2) {
    throw ShapeError("addmm: expects two 2-D matrices, got " + (m1.defined() ? to_string(m1.sizes()) : std::string("undefined")) +
                     " and " + (m2.defined() ? to_string(m2.sizes()) : std::string("undefined")));
  }
  Tensor product = matmul(m1, m2);
  if (alpha != 1.0) product = product * alpha;
  if (beta == 0.0) return product;  // input ignored, its NaNs too, as torch
  return (beta == 1.0 ? input : input * beta) + product;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  ops::check_floating(a, "matmul");
  ops::check_floating(b, "matmul");
  ops::check_same_dtype(a, b, "matmul");
  const auto ra = a.dim(), rb = b.dim();
  if (ra < 1 || rb < 1) {
    throw ShapeError("matmul: both operands need at least one dimension, got shapes " + to_string(a.sizes()) + " and " +
                     to_string(b.sizes()));
  }
  if (ra > 2 || rb > 2) {
    // Batched, as torch.matmul: a vector becomes a row (left) or a column (right), the batch
    // dimensions broadcast, and the vector's dimension is dropped again at the end.
    const Tensor a3 = ra == 1 ? a.unsqueeze(0) : a;
    const Tensor b3 = rb == 1 ? b.unsqueeze(1) : b;
    const std::int64_t n = a3.size(-2), k = a3.size(-1), m = b3.size(-1);
    if (b3.size(-2) != k) {
      throw ShapeError("matmul: shapes " + to_string(a.sizes()) + " and " + to_string(b.sizes()) + " do not align (" +
                       std::to_string(k) + " != " + std::to_string(b3.size(-2)) + ")");
    }
    const Shape batch = broadcast_shapes(Shape(a3.sizes().begin(), a3.sizes().end() - 2),
                                         Shape(b3.sizes().begin(), b3.sizes().end() - 2), "matmul");
    Shape a_shape = batch, b_shape = batch, out_shape = batch;
    for (const std::int64_t s : {n, k}) a_shape.push_back(s);
    for (const std::int64_t s : {k, m}) b_shape.push_back(s);
    for (const std::int64_t s : {n, m}) out_shape.push_back(s);
    Tensor y = bmm(a3.expand(a_shape).reshape({-1, n, k}), b3.expand(b_shape).reshape({-1, k, m})).reshape(out_shape);
    if (rb == 1) y = y.squeeze(-1);
    if (ra == 1) y = y.squeeze(rb == 1 ? -1 : -2);
    return y;
  }
  const std::int64_t ka = a.size(-1), kb = b.size(0);
  if (ka != kb) {
    throw ShapeError("matmul: shapes " + to_string(a.sizes()) + " and " + to_string(b.sizes()) + " do not align (" +
                     std::to_string(ka) + " != " + std::to_string(kb) + ")");
  }
  // Vectors become a row (left) or a column (right), and that dimension is dropped after.
  const Tensor a2 = ra == 1 ? a.unsqueeze(0) : a;
  const Tensor b2 = rb == 1 ? b.unsqueeze(1) : b;
  Tensor y = mm(a2, b2);
  if (rb == 1) y = y.squeeze(1);
  if (ra == 1) y = y.squeeze(0);
  return y;
}

namespace detail {

namespace {
[[noreturn]] void not_an_activation(const backend::Squash& f) {
  throw ValueError("linear: unary op " + std::to_string(static_cast<int>(f.op)) +
                   " is not one of the fused activations");
}
}  // namespace

Tensor squash(const Tensor& z, const backend::Squash& f) {
  using backend::UnaryOp;
  if (!f.applies) return z;
  switch (f.op) {
    case UnaryOp::Relu: return relu(z);
    case UnaryOp::Tanh: return tanh(z);
    case UnaryOp::Sigmoid: return sigmoid(z);
    case UnaryOp::LeakyRelu: return leaky_relu(z, f.p0);
    case UnaryOp::Elu: return elu(z, f.p0);
    case UnaryOp::Gelu: return gelu(z);
    case UnaryOp::Silu: return silu(z);
    case UnaryOp::Softplus: return softplus(z, f.p0, f.p1);
    default: break;
  }
  not_an_activation(f);
}

namespace {
// The composition the fused epilogue stands for, each op recording its own derivative: what
// runs without the fused kernel, and what a pass with create_graph differentiates.
Tensor linear_composition(const Tensor& x, const Tensor& weight, const Tensor& bias, const backend::Squash& f) {
  Tensor z = mm(x, weight.t());
  if (bias.defined()) z = z + bias;
  return squash(z, f);
}

const char* linear_name(const backend::Squash& f) {
  using backend::UnaryOp;
  if (!f.applies) return "linear";
  switch (f.op) {
    case UnaryOp::Relu: return "linear_relu";
    case UnaryOp::Tanh: return "linear_tanh";
    case UnaryOp::Sigmoid: return "linear_sigmoid";
    case UnaryOp::LeakyRelu: return "linear_leaky_relu";
    case UnaryOp::Elu: return "linear_elu";
    case UnaryOp::Gelu: return "linear_gelu";
    case UnaryOp::Silu: return "linear_silu";
    case UnaryOp::Softplus: return "linear_softplus";
    default: return "linear";
  }
}
}  // namespace

// h = f(z), z = x Wᵀ + b      dz = dy ⊙ f'(z), from h where f' is a function of it (ReLU, Tanh,
//                             Sigmoid, LeakyReLU with a slope >= 0), else from f'(z), which the
//                             forward computes beside h and keeps
//                             dx = dz W, dW = dzᵀ x, db = Σ_rows dz   (x [m,in], W [out,in], dy [m,out])
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const backend::Squash& f) {
  ops::check_floating(x, "linear");
  ops::check_floating(weight, "linear");
  ops::check_same_dtype(x, weight, "linear");
  // As libtorch, any leading shape [*, in]: one sample, or batches of sequences, run as rows of
  // one matrix (the reshapes are views, recorded, so the gradient flows back the same way).
  if (weight.dim() == 2 && x.dim() != 2 && x.dim() >= 1 && x.size(-1) == weight.size(1)) {
    Shape out_shape(x.sizes().begin(), x.sizes().end() - 1);
    out_shape.push_back(weight.size(0));
    return linear(x.reshape({-1, weight.size(1)}), weight, bias, f).reshape(out_shape);
  }
  if (weight.dim() != 2 || x.dim() != 2 || x.size(1) != weight.size(1)) {
    throw ShapeError("linear: input of shape " + to_string(x.sizes()) + " and weight of shape " +
                     to_string(weight.sizes()) + " do not align (expected input [m, " +
                     std::to_string(weight.dim() == 2 ? weight.size(1) : -1) + "])");
  }
  const std::int64_t out = weight.size(0);
  if (bias.defined()) {
    ops::check_floating(bias, "linear");
    ops::check_same_dtype(x, bias, "linear");
    if (bias.sizes() != Shape{out}) {
      throw ShapeError("linear: bias of shape " + to_string(bias.sizes()) + " for " + std::to_string(out) +
                       " outputs");
    }
  }
  if (f.applies && !backend::is_squash(f.op)) not_an_activation(f);
  ops::check_same_device(x, weight, "linear");
  if (bias.defined()) ops::check_same_device(x, bias, "linear");
  if (x.dtype() != DType::Float32 || !ops::backend_of(x).has(backend::Fused::LinearEpilogue)) {
    return linear_composition(x, weight, bias, f);
  }
  // Products are skipped when nobody needs their gradient (the first layer's input is data).
  LinearPass pass(x, weight, bias, f, is_grad_enabled() && autograd::any_requires_grad({x, weight, bias}));
  Tensor h = pass.take_output();
  return record(linear_name(f), std::move(h), {x, weight, bias},
                [pass = std::move(pass), f,
                 need = std::vector<bool>{x.requires_grad(), weight.requires_grad(), bias.defined() && bias.requires_grad()}](
                    const Tensor& dy, autograd::GradSinks sinks, const std::vector<Tensor>& inputs) {
                  if (is_grad_enabled()) {  // a pass with create_graph
                    return autograd::differentiate_again(
                        [f](const std::vector<Tensor>& in) { return linear_composition(in[0], in[1], in[2], f); }, inputs, dy);
                  }
                  return pass.gradients(dy, need, sinks.size() == 3 ? sinks[1] : nullptr,
                                        sinks.size() == 3 ? sinks[0] : nullptr);
                });
}

bool linear_pass_applies(const Tensor& x, const Tensor& weight, const Tensor& bias, const backend::Squash& f) {
  auto float32_on_x = [&](const Tensor& t) { return t.dtype() == DType::Float32 && t.device() == x.device(); };
  return x.defined() && x.dim() == 2 && x.dtype() == DType::Float32 &&
         ops::backend_of(x).has(backend::Fused::LinearEpilogue) && weight.defined() && weight.dim() == 2 &&
         weight.size(1) == x.size(1) && float32_on_x(weight) &&
         (!bias.defined() || (bias.sizes() == Shape{weight.size(0)} && float32_on_x(bias))) &&
         (!f.applies || backend::is_squash(f.op));
}

LinearPass::LinearPass(const Tensor& x, const Tensor& weight, const Tensor& bias, const backend::Squash& f, bool keep)
    : f_(f) {
  const Tensor b = bias.defined() ? bias.contiguous() : Tensor();
  Tensor z = mm_kernel(x, weight.t());
  // z's buffer becomes f'(z), apart from h, only where the backward needs it (Kept::Slope)
  const bool keep_slope = keep && backend::kept_by_layers(f) == backend::Kept::Slope;
  h_ = keep_slope ? make_tensor(z.sizes(), DType::Float32, z.device()) : z;
  ops::backend_of(x).bias_activation(z.data<float>(), h_.data<float>(), b.defined() ? b.data<float>() : nullptr,
                                     x.size(0), weight.size(0), f);
  if (keep) {  // detached: a node that holds the pass holds no cycle through h
    x_ = x.detach();
    w_ = weight.detach();
    kept_ = z.detach();  // f'(z), or h itself
  }
}

std::vector<Tensor> LinearPass::gradients(const Tensor& dy, const std::vector<bool>& need, Tensor* weight_grad,
                                          const Tensor* input_grad) const {
  const bool need_dx = need[0], need_dw = need[1], need_db = need[2];
  const Tensor dyc = dy.contiguous();
  const backend::Backend& device = ops::backend_of(dyc);
  const std::int64_t m = dyc.size(0), n = dyc.size(1), k = x_.size(1);
  if (!need_dx && need_dw && device.has_first_layer_backward(m, n, k)) {
    // a first layer: dz is only summed, a block of rows at a time, never stored whole
    const Tensor x = x_.contiguous();
    Tensor db = need_db ? make_tensor({n}, DType::Float32, dyc.device()) : Tensor();
    const bool into_grad = autograd::can_add_into(weight_grad, {&x_, &w_, &dyc, &db, input_grad});
    Tensor dw = into_grad ? Tensor() : make_tensor({n, k}, DType::Float32, dyc.device());
    device.first_layer_backward(x.data<float>(), kept_.data<float>(), dyc.data<float>(),
                                (into_grad ? *weight_grad : dw).data<float>(), into_grad,
                                need_db ? db.data<float>() : nullptr, m, n, k, f_);
    return {Tensor(), dw, db};
  }
  // without an activation dz is dy itself: no copy
  Tensor dz = !f_.applies ? dyc : make_tensor(dyc.sizes(), DType::Float32, dyc.device());
  Tensor db = need_db ? make_tensor({dyc.size(1)}, DType::Float32, dyc.device()) : Tensor();
  if (f_.applies || need_db) {
    device.activation_backward_bias(kept_.data<float>(), backend::kept_by_layers(f_), dyc.data<float>(),
                                    f_.applies ? dz.data<float>() : nullptr,
                                    need_db ? db.data<float>() : nullptr, m, n, f_);
  }
  // W's gradient goes straight into W.grad where it has one (the same sums: after zero_grad it
  // holds zeros, and the library adds each product into C)
  Tensor dw;
  if (need_dw && autograd::can_add_into(weight_grad, {&x_, &w_, &dz, &dyc, &db, input_grad})) {
    mm_add_into(dz.t(), x_, *weight_grad);
  } else if (need_dw) {
    dw = mm_kernel(dz.t(), x_);
  }
  return {need_dx ? mm_kernel(dz, w_) : Tensor(), dw, db};
}

}  // namespace detail

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, Activation activation) {
  return detail::linear(x, weight, bias, backend::squash_of(activation));
}

Tensor outer(const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined() || a.dim() != 1 || b.dim() != 1) {
    throw ShapeError("outer: expects two 1-D tensors, got " + (a.defined() ? to_string(a.sizes()) : std::string("undefined")) +
                     " and " + (b.defined() ? to_string(b.sizes()) : std::string("undefined")));
  }
  return a.unsqueeze(1) * b.unsqueeze(0);
}

Tensor dot(const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined() || a.dim() != 1 || b.dim() != 1 || a.size(0) != b.size(0)) {
    throw ShapeError("dot: expects two 1-D tensors of one length, got " +
                     (a.defined() ? to_string(a.sizes()) : std::string("undefined")) + " and " +
                     (b.defined() ? to_string(b.sizes()) : std::string("undefined")));
  }
  return matmul(a, b);
}

}  // namespace ann
