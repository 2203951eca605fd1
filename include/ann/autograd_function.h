#pragma once
// Custom differentiable functions, as libtorch's torch::autograd::Function:
//
//   struct Cube : ann::autograd::Function<Cube> {
//     static Tensor forward(AutogradContext* ctx, const Tensor& x) {
//       ctx->save_for_backward({x});
//       return x * x * x;
//     }
//     static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
//       const Tensor x = ctx->get_saved_variables()[0];
//       return {grad_outputs[0] * 3.0 * x * x};
//     }
//   };
//   Tensor y = Cube::apply(x);
//
// forward runs without recording; backward returns one gradient per argument of forward
// (undefined for arguments that are not tensors or need none). One tensor output, which
// mark_dirty (an argument changed in place and returned) and mark_non_differentiable describe.
// In a pass with create_graph, backward runs recorded and the tensors it saved that are
// arguments of forward come back as those arguments themselves, so that its result is
// differentiable again (as libtorch's); a saved tensor that is not an argument (the output, an
// intermediate) would lose its own dependence on the inputs, so such a pass throws instead.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "ann/autograd.h"
#include "ann/tensor.h"

namespace ann::autograd {

using variable_list = std::vector<Tensor>;

/// A value a custom function keeps for its backward in ctx->saved_data (libtorch's IValue, for
/// numbers, flags and tensors).
class IValue {
 public:
  IValue() = default;
  template <class T>
    requires std::is_arithmetic_v<T>
  IValue(T value) {  // NOLINT(google-explicit-constructor)
    if constexpr (std::is_same_v<T, bool>) value_ = value;
    else if constexpr (std::is_integral_v<T>) value_ = static_cast<std::int64_t>(value);
    else value_ = static_cast<double>(value);
  }
  IValue(Tensor value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  double toDouble() const;
  std::int64_t toInt() const;
  bool toBool() const;
  Tensor toTensor() const;

 private:
  std::variant<std::monostate, double, std::int64_t, bool, Tensor> value_;
};

/// What forward hands its backward.
class AutogradContext {
 public:
  /// Tensors backward reads; changed in place before backward, they make it throw.
  void save_for_backward(variable_list tensors);
  variable_list get_saved_variables() const;
  /// Whether the i-th tensor argument of forward (counting tensors only, as libtorch) requires
  /// grad: backward may skip the others' gradients.
  bool needs_input_grad(std::size_t i) const { return i < needs_input_grad_.size() && needs_input_grad_[i]; }
  /// forward changed these arguments in place and returns one of them: the returned tensor takes
  /// the function's node as its new place in the graph, as an in-place op's result.
  void mark_dirty(const variable_list& tensors);
  /// forward's output is not differentiable (an index, a mask): it does not require grad.
  void mark_non_differentiable(const variable_list& outputs);
  std::unordered_map<std::string, IValue> saved_data;

 private:
  friend Tensor record_custom_function(const char*, Tensor, variable_list, std::vector<std::size_t>, std::size_t,
                                       std::shared_ptr<AutogradContext>,
                                       std::function<variable_list(AutogradContext*, const Tensor&)>);
  variable_list saved_;
  std::vector<std::uint32_t> versions_;
  std::vector<const void*> saved_sources_;  // each saved tensor's own impl, to find the arguments among them
  std::vector<std::ptrdiff_t> saved_input_;  // the input each saved tensor is, or -1
  std::vector<bool> needs_input_grad_;
  const variable_list* live_inputs_ = nullptr;  // during a pass with create_graph
  std::vector<const void*> dirty_, non_differentiable_;  // the impls marked
  const char* name_ = "";
};

/// Records `out` as made by a custom function of `inputs` (the tensor arguments, at `positions`
/// among `arguments` arguments), whose backward maps the output's gradient to one per argument.
Tensor record_custom_function(const char* name, Tensor out, variable_list inputs, std::vector<std::size_t> positions,
                              std::size_t arguments, std::shared_ptr<AutogradContext> ctx,
                              std::function<variable_list(AutogradContext*, const Tensor&)> backward);

template <class T>
struct Function {
  template <class... Args>
  static Tensor apply(Args&&... args) {
    auto ctx = std::make_shared<AutogradContext>();
    Tensor out;
    {
      NoGradGuard no_grad;
      out = T::forward(ctx.get(), args...);
    }
    variable_list inputs;
    std::vector<std::size_t> positions;
    std::size_t at = 0;
    (
        [&](const auto& arg) {
          if constexpr (std::is_same_v<std::decay_t<decltype(arg)>, Tensor>) {
            inputs.push_back(arg);
            positions.push_back(at);
          }
          ++at;
        }(args),
        ...);
    return record_custom_function(typeid(T).name(), std::move(out), std::move(inputs), std::move(positions),
                                  sizeof...(Args), std::move(ctx),
                                  [](AutogradContext* c, const Tensor& dout) { return T::backward(c, {dout}); });
  }
};

}  // namespace ann::autograd
