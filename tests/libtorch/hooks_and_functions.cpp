// Autograd's extension points as libtorch programs use them: a custom function with saved
// tensors and saved data, its second derivative and needs_input_grad, tensor hooks that see or
// replace a gradient, and retain_grad.
#include "prelude.h"

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// y = x^n · scale, with its own derivative
struct PowerScale : public torch::autograd::Function<PowerScale> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, int64_t n, double scale) {
    ctx->save_for_backward({x});
    ctx->saved_data["n"] = n;
    ctx->saved_data["scale"] = scale;
    return x.pow(static_cast<double>(n)) * scale;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto x = ctx->get_saved_variables()[0];
    const auto n = ctx->saved_data["n"].toInt();
    const double scale = ctx->saved_data["scale"].toDouble();
    return {grad_outputs[0] * static_cast<double>(n) * scale * x.pow(static_cast<double>(n - 1)), torch::Tensor(),
            torch::Tensor()};
  }
};

// a · b summed; backward notes which tensor arguments need a gradient (10·first + second)
double needs_seen = -1;
struct Probe : public torch::autograd::Function<Probe> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor a, double scale, torch::Tensor b) {
    ctx->save_for_backward({a, b});
    return (a * b).sum() * scale;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    needs_seen = (ctx->needs_input_grad(0) ? 10 : 0) + (ctx->needs_input_grad(1) ? 1 : 0);
    const auto saved = ctx->get_saved_variables();
    return {grad_outputs[0] * saved[1], torch::Tensor(), torch::Tensor()};
  }
};

// buffer ← buffer·2 + w in place, returned (mark_dirty)
struct TwiceAddInPlace : public torch::autograd::Function<TwiceAddInPlace> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor buffer, torch::Tensor w) {
    buffer.mul_(2.0).add_(w);
    ctx->mark_dirty({buffer});
    return buffer;
  }
  static variable_list backward(AutogradContext*, variable_list grad_outputs) {
    return {grad_outputs[0] * 2.0, grad_outputs[0]};
  }
};

// where x is positive, as a float mask: no gradient (mark_non_differentiable)
struct PositiveMask : public torch::autograd::Function<PositiveMask> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x) {
    auto mask = (x > 0.0).to(x.scalar_type());
    ctx->mark_non_differentiable({mask});
    return mask;
  }
  static variable_list backward(AutogradContext*, variable_list grad_outputs) { return {grad_outputs[0]}; }
};

int main() {
  auto x = torch::tensor({0.5, -1.5, 2.0}, torch::requires_grad());
  const auto y = PowerScale::apply(x, 3, 0.5);
  show("custom_forward", y);
  (y * torch::tensor({1.0, 2.0, 3.0})).sum().backward();
  show("custom_grad", x.grad());

  // differentiated twice: the backward pass recorded (create_graph), then its gradient's sum
  auto x2 = torch::tensor({0.5, -1.5, 2.0}, torch::requires_grad());
  const auto dx = torch::autograd::grad({PowerScale::apply(x2, 4, 0.25).sum()}, {x2}, {}, {}, true)[0];
  show("custom_first_derivative", dx);
  show("custom_second_derivative", torch::autograd::grad({dx.sum()}, {x2})[0]);
  Probe::apply(x2, 2.0, torch::ones({3}, torch::kFloat64)).backward();
  show("needs_input_grad", torch::tensor({needs_seen}));

  auto x3 = torch::tensor({1.0, -2.0, 0.5}, torch::requires_grad());
  auto buffer = torch::ones({3});
  const auto same = TwiceAddInPlace::apply(buffer, x3);
  show("dirty_output", buffer);
  show("dirty_is_same_tensor", torch::tensor({same.data_ptr<float>() == buffer.data_ptr<float>() ? 1.0 : 0.0,
                                              buffer.requires_grad() ? 1.0 : 0.0}));
  (buffer * buffer).sum().backward();
  show("dirty_grad", x3.grad());
  const auto mask = PositiveMask::apply(x3);
  show("non_differentiable", torch::tensor({mask.requires_grad() ? 1.0 : 0.0, mask.sum().item<double>()}));

  auto w = torch::tensor({1.0, 2.0}, torch::requires_grad());
  double seen = 0.0;
  w.register_hook([&](torch::Tensor g) { seen = g.sum().item<double>(); });
  w.register_hook([](torch::Tensor g) { return g * 10.0; });
  auto h = w * 3.0;
  h.retain_grad();
  h.register_hook([](torch::Tensor g) { return g + 1.0; });
  (h * h).sum().backward();
  show("hooked_leaf_grad", w.grad());
  show("seen_by_hook", torch::tensor({seen}));
  show("retained_grad", h.grad());
  return 0;
}
