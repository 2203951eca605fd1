#include "ann/autograd_function.h"

#include <algorithm>

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

void AutogradContext::mark_dirty(const variable_list& tensors) {
  for (const Tensor& t : tensors)
    if (t.defined()) dirty_.push_back(t.impl().get());
}

void AutogradContext::mark_non_differentiable(const variable_list& outputs) {
  for (const Tensor& t : outputs)
    if (t.defined()) non_differentiable_.push_back(t.impl().get());
}

Tensor record_custom_function(const char* name, Tensor out, variable_list inputs, std::vector<std::size_t> positions,
                              std::size_t arguments, std::shared_ptr<AutogradContext> ctx,
                              std::function<variable_list(AutogradContext*, const Tensor&)> backward) {
  check_defined(out, name);
  const auto marked = [&](const std::vector<const void*>& impls) {
    return std::find(impls.begin(), impls.end(), out.impl().get()) != impls.end();
  };
  if (marked(ctx->non_differentiable_)) return out.is_leaf() && !out.requires_grad() ? out : out.detach();
  // An argument changed in place and returned (mark_dirty): the node takes the argument's old
  // place in the graph as its input, and the argument itself becomes the node's output.
  Tensor dirty;
  if (marked(ctx->dirty_)) {
    const auto k = std::find_if(inputs.begin(), inputs.end(), [&](const Tensor& t) { return t.impl() == out.impl(); });
    if (k == inputs.end()) {
      throw AutogradError(std::string("custom function ") + name + ": forward returned a tensor marked dirty that is "
                          "not one of its arguments");
    }
    TensorImpl& x = *out.impl();
    if (x.requires_grad && !x.grad_fn && is_grad_enabled()) {
      throw AutogradError(std::string("custom function ") + name + ": forward changed in place (mark_dirty) a leaf "
                          "tensor (shape " + to_string(x.sizes) + ") that requires grad");
    }
    if (x.view_base && x.requires_grad) {
      throw AutogradError(std::string("custom function ") + name + ": forward changed in place (mark_dirty) a view "
                          "(shape " + to_string(x.sizes) + "), which ann does not record; pass a clone()");
    }
    Tensor before = out.detach();
    before.impl()->grad_fn = x.grad_fn;
    before.impl()->requires_grad = x.requires_grad;
    *k = before;
    dirty = out;
  }
  if (!out.is_leaf() || out.requires_grad() || dirty.defined()) out = out.detach();  // forward ran without recording
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
  Tensor recorded = record(name, std::move(out), std::move(inputs),
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
  if (!dirty.defined() || !recorded.requires_grad()) return dirty.defined() ? dirty : recorded;
  TensorImpl& x = *dirty.impl();
  x.grad_fn = recorded.impl()->grad_fn;
  x.requires_grad = true;
  x.grad_fn->set_output_version(x.storage->version);
  return dirty;
}

}  // namespace ann::autograd
