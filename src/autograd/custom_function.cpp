#include "ann/autograd_function.h"

#include "ann/error.h"
#include "autograd/node.h"
#include "tensor_impl.h"

namespace ann::autograd {

namespace {
template <class T>
T get(const std::variant<std::monostate, double, std::int64_t, bool, Tensor>& v, const char* what) {
  if (const T* p = std::get_if<T>(&v)) return *p;
  throw TypeError(std::string("IValue: does not hold ") + what);
}
}  // namespace

double IValue::toDouble() const {
  if (const auto* i = std::get_if<std::int64_t>(&value_)) return static_cast<double>(*i);
  return get<double>(value_, "a number");
}
std::int64_t IValue::toInt() const { return get<std::int64_t>(value_, "an integer"); }
bool IValue::toBool() const { return get<bool>(value_, "a bool"); }
Tensor IValue::toTensor() const { return get<Tensor>(value_, "a tensor"); }

// Saved as detached handles: a saved output must not keep its own node alive (a cycle).
void AutogradContext::save_for_backward(variable_list tensors) {
  saved_.clear();
  versions_.clear();
  saved_sources_.clear();
  for (const Tensor& t : tensors) {
    saved_.push_back(t.defined() ? t.detach() : Tensor());
    versions_.push_back(t.defined() ? t._version() : 0);
    saved_sources_.push_back(t.defined() ? t.impl().get() : nullptr);
  }
}

variable_list AutogradContext::get_saved_variables() const {
  for (std::size_t i = 0; i < saved_.size(); ++i) {
    if (saved_[i].defined() && saved_[i]._version() != versions_[i]) {
      throw AutogradError("backward: saved tensor " + std::to_string(i) + " (shape " + to_string(saved_[i].sizes()) +
                          ") of a custom function was modified by an in-place operation after it was saved");
    }
  }
  if (live_inputs_ == nullptr) return saved_;
  variable_list live = saved_;
  for (std::size_t i = 0; i < saved_.size(); ++i) {
    if (!saved_[i].defined()) continue;
    if (saved_input_[i] < 0) {
      throw AutogradError(std::string("grad with create_graph: custom function ") + name_ + "'s saved tensor " +
                          std::to_string(i) + " (shape " + to_string(saved_[i].sizes()) +
                          ") is not one of its arguments, so its backward is not differentiable in ann "
                          "(save the arguments and recompute from them)");
    }
    live[i] = (*live_inputs_)[static_cast<std::size_t>(saved_input_[i])];
  }
  return live;
}

Tensor record_custom_function(const char* name, Tensor out, variable_list inputs, std::vector<std::size_t> positions,
                              std::size_t arguments, std::shared_ptr<AutogradContext> ctx,
                              std::function<variable_list(AutogradContext*, const Tensor&)> backward) {
  check_defined(out, name);
  if (!out.is_leaf() || out.requires_grad()) out = out.detach();  // forward ran without recording
  ctx->name_ = name;
  ctx->needs_input_grad_.clear();
  for (const Tensor& input : inputs) ctx->needs_input_grad_.push_back(input.defined() && input.requires_grad());
  ctx->saved_input_.clear();
  for (const void* source : ctx->saved_sources_) {
    std::ptrdiff_t found = -1;
    for (std::size_t k = 0; k < inputs.size() && source != nullptr; ++k)
      if (inputs[k].defined() && inputs[k].impl().get() == source) found = static_cast<std::ptrdiff_t>(k);
    ctx->saved_input_.push_back(found);
  }
  ctx->saved_sources_.clear();  // identities only: compared once, here, while the arguments live
  return record(name, std::move(out), std::move(inputs),
                [name, positions = std::move(positions), arguments, ctx = std::move(ctx), backward = std::move(backward)](
                    const Tensor& dout, const variable_list& live_inputs) {
                  // a pass with create_graph: backward recorded, reading the live arguments
                  struct Live {
                    AutogradContext& c;
                    ~Live() { c.live_inputs_ = nullptr; }
                  } live{*ctx};
                  if (is_grad_enabled()) ctx->live_inputs_ = &live_inputs;
                  const variable_list grads = backward(ctx.get(), dout);
                  if (grads.size() != arguments) {
                    throw AutogradError(std::string("backward of custom function ") + name + ": returned " +
                                        std::to_string(grads.size()) + " gradients for " + std::to_string(arguments) +
                                        " arguments of forward");
                  }
                  variable_list per_input;
                  for (const std::size_t p : positions) per_input.push_back(grads[p]);
                  return per_input;
                });
}

}  // namespace ann::autograd
