// Elementwise operations: arithmetic with NumPy broadcasting, functions, comparisons.
// Each forward is followed by its backward; broadcast gradients are summed back (sum_to).
#include <cfloat>
#include <cmath>

#include <limits>

#include "ann/error.h"
#include "ann/ops.h"
#include "autograd/node.h"
#include "ops/op_util.h"

namespace ann {

using autograd::record;
using backend::BinaryOp;
using backend::UnaryOp;

namespace {

// Element type both operands are computed in, as torch promotes: float64 if either is float64,
// else float32 if either is float32, else int64.
DType common_dtype(const Tensor& a, const Tensor& b) {
  if (is_floating_point(a.dtype()) || is_floating_point(b.dtype())) {
    return a.dtype() == DType::Float64 || b.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
  }
  return DType::Int64;
}

// out = a op b, broadcast; not recorded. A 0-d operand on another device is brought over (a
// number, as torch allows a CPU scalar with a CUDA tensor); any other mix is a DeviceError.
Tensor binary_kernel(BinaryOp op, const Tensor& a_arg, const Tensor& b_arg, const char* name) {
  check_defined(a_arg, name);
  check_defined(b_arg, name);
  Tensor a_in = a_arg, b_in = b_arg;
  if (a_in.device() != b_in.device()) {
    if (b_in.dim() == 0) b_in = b_in.to(a_in.device());
    else if (a_in.dim() == 0) a_in = a_in.to(b_in.device());
    else ops::check_same_device(a_in, b_in, name);
  }
  if (a_in.sizes() == b_in.sizes() && a_in.dtype() == b_in.dtype() && a_in.dtype() != DType::Bool &&
      a_in.is_contiguous() && b_in.is_contiguous()) {
    Tensor out = make_tensor(a_in.sizes(), backend::is_comparison(op) ? DType::Bool : a_in.dtype(), a_in.device());
    ops::backend_of(a_in).binary_contiguous(op, a_in.dtype(), a_in.impl()->raw_data(), b_in.impl()->raw_data(),
                                            out.impl()->raw_data(), a_in.numel());
    return out;
  }
  const Shape out_shape = broadcast_shapes(a_in.sizes(), b_in.sizes(), name);
  const DType dtype = common_dtype(a_in, b_in);
  const Tensor a = a_in.to(dtype), b = b_in.to(dtype);
  Tensor out = make_tensor(out_shape, backend::is_comparison(op) ? DType::Bool : dtype, a.device());
  ops::backend_of(a).binary(op, dtype, a.impl()->raw_data(), ops::broadcast_strides(a, out_shape),
                            b.impl()->raw_data(), ops::broadcast_strides(b, out_shape), out.impl()->raw_data(),
                            out_shape);
  return out;
}

// A number as a 0-d tensor on the device of the tensor it meets, of its type when that is
// floating (a float64 tensor meets the number's every digit), else float32 (an undefined one
// is refused by the op itself).
Tensor number_for(const Tensor& t, double value) {
  if (!t.defined()) return scalar_tensor(value);
  return scalar_tensor(value, TensorOptions().dtype(is_floating_point(t.dtype()) ? t.dtype() : DType::Float32).device(t.device()));
}

// ELU's slope below 0 is y + α, from its output, where α >= 0 keeps the sign of x in y.
bool elu_from_output(UnaryOp op, double alpha) { return op == UnaryOp::Elu && alpha >= 0.0; }

// dx = dy · f'(x) for y = f(x), composed from the forward primitives so that every back end
// has it; y is f(x), kept by the forward, which several derivatives are cheaper from (each of x
// and y is defined only where the derivative reads it). The
// products round as the CPU's fused epilogue does (src/backend/cpu/activations.h).
Tensor unary_derivative(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& dy, double p0, double p1) {
  // The activations' derivatives are the affine layer's fused epilogue without a bias (one pass
  // instead of several), from y for ReLU, Tanh, Sigmoid and ELU (α >= 0) and from x for the
  // others; the compositions below are what it computes. Fused kernels are not recorded: a pass
  // with create_graph (grad mode on) composes instead.
  const bool from_output =
      op == UnaryOp::Relu || op == UnaryOp::Tanh || op == UnaryOp::Sigmoid || elu_from_output(op, p0);
  const Tensor& from = from_output ? y : x;
  if (!is_grad_enabled() && backend::is_squash(op) && from.dtype() == DType::Float32 &&
      dy.dtype() == DType::Float32 && ops::backend_of(from).has(backend::Fused::LinearEpilogue) &&
      dy.device() == from.device()) {
    const Tensor fc = from.contiguous(), dyc = dy.contiguous();
    Tensor dx = make_tensor(from.sizes(), DType::Float32, from.device());
    ops::backend_of(from).activation_backward_bias(fc.data<float>(),
                                                   from_output ? backend::Kept::Output : backend::Kept::Input,
                                                   dyc.data<float>(), dx.data<float>(), nullptr, 1, from.numel(),
                                                   backend::Squash{true, op, p0, p1});
    return dx;
  }
  const Tensor& kept = x.defined() ? x : y;
  const auto mask = [&](const Tensor& condition) { return condition.to(kept.dtype()); };
  const auto number = [&](double v) { return number_for(kept, v); };
  switch (op) {
    case UnaryOp::Neg: return neg(dy);                                        // −1
    case UnaryOp::Exp: return dy * y;                                         // exp x = y
    case UnaryOp::Log: return dy / x;                                         // 1/x
    case UnaryOp::Sqrt: return dy / (y * 2.f);                                // 1/(2y)
    case UnaryOp::Abs: return dy * (mask(x > number(0.0)) - mask(x < number(0.0)));  // sign x, 0 at 0 (as torch)
    case UnaryOp::Relu: return dy * mask(y > number(0.0));                      // [x > 0] = [y > 0]
    case UnaryOp::Tanh: return dy * (1.f - y * y);                            // 1 − y²
    case UnaryOp::Sigmoid: return dy * y * (1.f - y);                         // y (1 − y)
    case UnaryOp::Pow:                                                        // p x^(p−1)
      return p0 == 0.0 ? zeros_like(dy) : dy * p0 * pow(x, p0 - 1.0);
    case UnaryOp::Clamp:                                                      // [lo ≤ x ≤ hi]
      return dy * (mask(x >= number(p0)) * mask(x <= number(p1)));
    case UnaryOp::Scale: return dy * p0;                                      // c
    case UnaryOp::LeakyRelu: {                                                // 1 for x > 0, else slope
      const Tensor positive = mask(x > number(0.0));
      return dy * (positive + (1.f - positive) * p0);
    }
    case UnaryOp::Elu: {                                                      // 1 for x > 0, else α eˣ
      if (elu_from_output(op, p0)) {  // α eˣ = y + α (activations.h's elu_grad); min(y, 0): no inf · 0
        const Tensor positive = mask(y > number(0.0));
        return dy * (positive + (1.f - positive) * (clamp(y, -DBL_MAX, 0.0) + p0));
      }
      const Tensor positive = mask(x > number(0.0));  // eˣ of min(x, 0): no inf · 0 where x is large
      return dy * (positive + (1.f - positive) * (exp(clamp(x, -DBL_MAX, 0.0)) * p0));
    }
    case UnaryOp::Gelu: {                            // Φ(x) + x φ(x), φ(x) = e^(−a²)/√(2π), a = x/√2
      const Tensor a = x * M_SQRT1_2;
      const Tensor cdf = (erf(a) + 1.0) * 0.5;
      const Tensor pdf = exp(-(a * a)) * (M_2_SQRTPI * M_SQRT1_2 * 0.5);
      return dy * (cdf + x * pdf);
    }
    case UnaryOp::Silu: {                                                     // σ + y (1 − σ), y = x σ(x)
      const Tensor s = sigmoid(x);
      return dy * (s + x * s * (1.f - s));
    }
    case UnaryOp::Softplus: {  // σ(βx), 1 past the threshold: (βx >= 0 ? 1 : s)/(1 + s), s = e^(−|βx|)
      const Tensor scaled = x * p0;
      const Tensor linear = mask(scaled > number(p1)), positive = mask(scaled >= number(0.0));
      // e^(−|βx|) with βx's sign as a factor ±1: abs's derivative at 0 is 0, which would make the
      // slope's own derivative 0 at x = 0 (β/4 there)
      const Tensor s = exp(scaled * (1.f - 2.f * positive));
      return dy * (linear + (1.f - linear) * ((positive + (1.f - positive) * s) / (s + 1.f)));
    }
    case UnaryOp::Erf: return dy * exp(x * x * -1.0) * M_2_SQRTPI;  // 2/√π e^(−x²)
    case UnaryOp::Log1p: return dy / (x + 1.0);                        // 1/(1 + x)
  }
  return Tensor();
}

// y = f(x) elementwise, recorded with dx = dy · f'(x).
Tensor unary(const char* name, UnaryOp op, const Tensor& x, double p0 = 0.0, double p1 = 0.0) {
  ops::check_floating(x, name);
  const Tensor xc = x.contiguous();
  Tensor y = make_tensor(x.sizes(), x.dtype(), x.device());
  ops::backend_of(x).unary(op, x.dtype(), xc.impl()->raw_data(), y.impl()->raw_data(), x.numel(), p0, p1);
  if (!autograd::should_record(x)) return y;
  // y is kept only where the derivative reads it: a kept tensor shares y's memory, which a
  // recorded in-place op on y then refuses (autograd/in_place.h). A pass with create_graph makes
  // y again from x, recorded, so that its dependence on x is differentiated too.
  // ELU's derivative reads y too, but torch keeps only x for elu, leaving its output free for
  // in-place ops: y is made again from x (the same bits) where the derivative needs it.
  const bool reads_output = op == UnaryOp::Exp || op == UnaryOp::Sqrt || op == UnaryOp::Relu ||
                            op == UnaryOp::Tanh || op == UnaryOp::Sigmoid;
  return record(name, y, {x}, [ys = reads_output ? y.detach() : Tensor(), name, op, p0, p1](const Tensor& dy, const std::vector<Tensor>& in) {
    const Tensor& x = in[0];
    const bool again = (ys.defined() && is_grad_enabled()) || elu_from_output(op, p0);
    const Tensor y_again = again ? unary(name, op, x, p0, p1) : ys;
    return std::vector<Tensor>{unary_derivative(op, x, y_again, dy, p0, p1)};
  });
}

}  // namespace

// ---- arithmetic ------------------------------------------------------------------------------

// y = a + b          da = dy, db = dy   (summed back over broadcast dims)
Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = binary_kernel(BinaryOp::Add, a, b, "add");
  if (!autograd::should_record(a, b)) return y;
  return record("add", std::move(y), {a, b}, [sa = a.sizes(), sb = b.sizes()](const Tensor& dy, const std::vector<Tensor>&) {
    return std::vector<Tensor>{ops::sum_to(dy, sa), ops::sum_to(dy, sb)};
  });
}

// y = a − b          da = dy, db = −dy
Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = binary_kernel(BinaryOp::Sub, a, b, "sub");
  if (!autograd::should_record(a, b)) return y;
  return record("sub", std::move(y), {a, b}, [sa = a.sizes(), sb = b.sizes()](const Tensor& dy, const std::vector<Tensor>&) {
    return std::vector<Tensor>{ops::sum_to(dy, sa), ops::sum_to(neg(dy), sb)};
  });
}

// y = a · b          da = dy · b, db = dy · a
Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = binary_kernel(BinaryOp::Mul, a, b, "mul");
  if (!autograd::should_record(a, b)) return y;
  return record("mul", std::move(y), {a, b}, [](const Tensor& dy, const std::vector<Tensor>& in) {
    const Tensor &a = in[0], &b = in[1];
    return std::vector<Tensor>{ops::sum_to(mul(dy, b), a.sizes()), ops::sum_to(mul(dy, a), b.sizes())};
  });
}

// y = a / b          da = dy / b, db = −dy · a / b²
Tensor div(const Tensor& a, const Tensor& b) {
  // True division, as torch: integer operands are divided as float32 (3 / 2 = 1.5, 1 / 0 = inf;
  // an int64 kernel would truncate, and trap on a zero divisor).
  check_defined(a, "div");
  check_defined(b, "div");
  if (!is_floating_point(a.dtype()) && !is_floating_point(b.dtype())) return div(a.to(DType::Float32), b);
  Tensor y = binary_kernel(BinaryOp::Div, a, b, "div");
  if (!autograd::should_record(a, b)) return y;
  return record("div", std::move(y), {a, b}, [](const Tensor& dy, const std::vector<Tensor>& in) {
    const Tensor &a = in[0], &b = in[1];
    return std::vector<Tensor>{ops::sum_to(div(dy, b), a.sizes()),
                               ops::sum_to(neg(div(mul(dy, a), mul(b, b))), b.sizes())};
  });
}

namespace {
// y = max(a, b)     the gradient goes to the larger (half to each where they tie, as torch)
// y = min(a, b)     likewise to the smaller
Tensor extremum(BinaryOp op, const Tensor& a, const Tensor& b, const char* name) {
  Tensor y = binary_kernel(op, a, b, name);
  if (!autograd::should_record(a, b)) return y;
  return record(name, std::move(y), {a, b}, [op](const Tensor& dy, const std::vector<Tensor>& in) {
    const Tensor a = in[0].detach(), b = in[1].detach();  // the shares are constants
    const Tensor a_wins = (op == BinaryOp::Max ? a > b : a < b).to(dy.dtype());
    const Tensor tie = (a == b).to(dy.dtype()) * 0.5;
    const Tensor share_a = a_wins + tie;
    return std::vector<Tensor>{ops::sum_to(dy * share_a, a.sizes()), ops::sum_to(dy * (1.f - share_a), b.sizes())};
  });
}

}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) { return extremum(BinaryOp::Max, a, b, "maximum"); }
Tensor minimum(const Tensor& a, const Tensor& b) { return extremum(BinaryOp::Min, a, b, "minimum"); }

Tensor neg(const Tensor& x) { return unary("neg", UnaryOp::Neg, x); }
Tensor pow(const Tensor& x, double exponent) { return unary("pow", UnaryOp::Pow, x, exponent); }

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, double b) { return add(a, number_for(a, b)); }
Tensor operator-(const Tensor& a, double b) { return sub(a, number_for(a, b)); }
// A float tensor times a number: one pass, without a 0-d tensor for the number and the
// broadcast machinery (the same products, as x · c rounds like c · x).
Tensor operator*(const Tensor& a, double b) {
  if (a.defined() && is_floating_point(a.dtype())) return unary("mul", UnaryOp::Scale, a, b);
  return mul(a, number_for(a, b));
}
Tensor operator/(const Tensor& a, double b) { return div(a, number_for(a, b)); }
Tensor operator+(double a, const Tensor& b) { return add(number_for(b, a), b); }
Tensor operator-(double a, const Tensor& b) { return sub(number_for(b, a), b); }
Tensor operator*(double a, const Tensor& b) { return b * a; }
Tensor operator/(double a, const Tensor& b) { return div(number_for(b, a), b); }

// ---- functions (derivatives in unary_derivative above) -------------------------------------

Tensor exp(const Tensor& x) { return unary("exp", UnaryOp::Exp, x); }
Tensor log(const Tensor& x) { return unary("log", UnaryOp::Log, x); }
Tensor sqrt(const Tensor& x) { return unary("sqrt", UnaryOp::Sqrt, x); }
Tensor abs(const Tensor& x) { return unary("abs", UnaryOp::Abs, x); }
Tensor relu(const Tensor& x) { return unary("relu", UnaryOp::Relu, x); }
Tensor tanh(const Tensor& x) { return unary("tanh", UnaryOp::Tanh, x); }
Tensor sigmoid(const Tensor& x) { return unary("sigmoid", UnaryOp::Sigmoid, x); }

Tensor leaky_relu(const Tensor& x, double negative_slope) { return unary("leaky_relu", UnaryOp::LeakyRelu, x, negative_slope); }
Tensor elu(const Tensor& x, double alpha) { return unary("elu", UnaryOp::Elu, x, alpha); }
Tensor gelu(const Tensor& x) { return unary("gelu", UnaryOp::Gelu, x); }
Tensor silu(const Tensor& x) { return unary("silu", UnaryOp::Silu, x); }
Tensor softplus(const Tensor& x, double beta, double threshold) {
  if (!(beta > 0.0)) throw ValueError("softplus: beta must be positive, got " + std::to_string(beta));
  return unary("softplus", UnaryOp::Softplus, x, beta, threshold);
}
Tensor erf(const Tensor& x) { return unary("erf", UnaryOp::Erf, x); }
Tensor log1p(const Tensor& x) { return unary("log1p", UnaryOp::Log1p, x); }

// y = sign(x) ∈ {−1, 0, 1} (NaN stays NaN)      dx = 0, as torch
Tensor sign(const Tensor& x) {
  ops::check_floating(x, "sign");
  Tensor y;
  {
    NoGradGuard no_grad;
    y = (x > 0.0).to(x.dtype()) - (x < 0.0).to(x.dtype());
    y = where(x != x, x, y);  // x != x only for a NaN
  }
  if (!autograd::should_record(x)) return y;
  return record("sign", y, {x}, [](const Tensor& dy, const std::vector<Tensor>&) { return std::vector<Tensor>{zeros_like(dy)}; });
}

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  if (!min && !max) throw ValueError("clamp: at least one of min and max must be given");
  const double lo = min.value_or(-std::numeric_limits<double>::infinity());
  const double hi = max.value_or(std::numeric_limits<double>::infinity());
  if (!(lo <= hi)) {
    throw ValueError("clamp: min " + std::to_string(lo) + " is greater than max " + std::to_string(hi));
  }
  return unary("clamp", UnaryOp::Clamp, x, lo, hi);
}
Tensor clamp_min(const Tensor& x, double lo) { return clamp(x, lo, std::nullopt); }
Tensor clamp_max(const Tensor& x, double hi) { return clamp(x, std::nullopt, hi); }

// ---- comparisons -----------------------------------------------------------------------------

Tensor eq(const Tensor& a, const Tensor& b) { return binary_kernel(BinaryOp::Eq, a, b, "eq"); }
Tensor ne(const Tensor& a, const Tensor& b) { return binary_kernel(BinaryOp::Ne, a, b, "ne"); }
Tensor lt(const Tensor& a, const Tensor& b) { return binary_kernel(BinaryOp::Lt, a, b, "lt"); }
Tensor le(const Tensor& a, const Tensor& b) { return binary_kernel(BinaryOp::Le, a, b, "le"); }
Tensor gt(const Tensor& a, const Tensor& b) { return binary_kernel(BinaryOp::Gt, a, b, "gt"); }
Tensor ge(const Tensor& a, const Tensor& b) { return binary_kernel(BinaryOp::Ge, a, b, "ge"); }
Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }

namespace {
// The pair a comparison with a number compares: the number as a 0-d tensor of a's type, or
// both as float32 when a holds integers and the number is not one.
std::pair<Tensor, Tensor> against_number(const Tensor& a, double b, const char* op) {
  check_defined(a, op);
  if (is_floating_point(a.dtype())) return {a, number_for(a, b)};
  const Tensor number = number_for(a, b);  // float32
  if (std::floor(b) == b) return {a, number.to(a.dtype())};
  return {a.to(DType::Float32), number};
}
}  // namespace

Tensor operator==(const Tensor& a, double b) { const auto [x, y] = against_number(a, b, "eq"); return eq(x, y); }
Tensor operator!=(const Tensor& a, double b) { const auto [x, y] = against_number(a, b, "ne"); return ne(x, y); }
Tensor operator<(const Tensor& a, double b) { const auto [x, y] = against_number(a, b, "lt"); return lt(x, y); }
Tensor operator<=(const Tensor& a, double b) { const auto [x, y] = against_number(a, b, "le"); return le(x, y); }
Tensor operator>(const Tensor& a, double b) { const auto [x, y] = against_number(a, b, "gt"); return gt(x, y); }
Tensor operator>=(const Tensor& a, double b) { const auto [x, y] = against_number(a, b, "ge"); return ge(x, y); }

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  if (a.sizes() != b.sizes()) {
    throw ShapeError("allclose: shapes " + to_string(a.sizes()) + " and " + to_string(b.sizes()) + " differ");
  }
  const std::vector<double> va = a.to_vector<double>(), vb = b.to_vector<double>();
  for (std::size_t i = 0; i < va.size(); ++i) {
    if (!(std::fabs(va[i] - vb[i]) <= atol + rtol * std::fabs(vb[i])))
      return false;
  }
  return true;
}

Tensor operator==(double a, const Tensor& b) { return b == a; }
Tensor operator!=(double a, const Tensor& b) { return b != a; }
Tensor operator<(double a, const Tensor& b) { return b > a; }
Tensor operator<=(double a, const Tensor& b) { return b >= a; }
Tensor operator>(double a, const Tensor& b) { return b < a; }
Tensor operator>=(double a, const Tensor& b) { return b <= a; }

// ---- logical operations: on bool masks, as 0/1 integers ---------------------------------------
namespace {
Tensor as_bits(const Tensor& t, const char* op) {
  check_dtype(t, DType::Bool, op);
  return t.to(DType::Int64);
}
}  // namespace

Tensor logical_and(const Tensor& a, const Tensor& b) { return as_bits(a, "logical_and") * as_bits(b, "logical_and") > 0.0; }
Tensor logical_or(const Tensor& a, const Tensor& b) { return as_bits(a, "logical_or") + as_bits(b, "logical_or") > 0.0; }
Tensor logical_xor(const Tensor& a, const Tensor& b) { return as_bits(a, "logical_xor") != as_bits(b, "logical_xor"); }
Tensor logical_not(const Tensor& a) { return as_bits(a, "logical_not") == 0.0; }
Tensor operator&(const Tensor& a, const Tensor& b) { return logical_and(a, b); }
Tensor operator|(const Tensor& a, const Tensor& b) { return logical_or(a, b); }
Tensor operator^(const Tensor& a, const Tensor& b) { return logical_xor(a, b); }
Tensor operator~(const Tensor& a) { return logical_not(a); }

}  // namespace ann
