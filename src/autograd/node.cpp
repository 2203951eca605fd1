#include "autograd/node.h"

#include <utility>

#include "ann/autograd.h"
#include "ann/error.h"
#include "tensor_impl.h"

namespace ann::autograd {

namespace {
thread_local bool grad_enabled = true;

// Moves the nodes that only `inputs` keep alive onto `pending`, so the caller can destroy
// them one at a time instead of recursively.
void take_sole_owned_nodes(std::vector<Tensor>& inputs, std::vector<std::shared_ptr<Node>>& pending) {
  for (Tensor& t : inputs) {
    const auto& impl = t.impl();
    if (impl && impl.use_count() == 1 && impl->grad_fn && impl->grad_fn.use_count() == 1) {
      pending.push_back(std::move(impl->grad_fn));
    }
  }
  inputs.clear();
}
}  // namespace

Node::Node(const char* name, std::vector<Tensor> inputs, BackwardFn backward, bool differentiable)
    : name_(name), inputs_(std::move(inputs)), backward_(std::move(backward)), differentiable_(differentiable) {
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    const std::uint32_t v = inputs_[i].defined() ? inputs_[i].impl()->storage->version : 0;
    if (i < kInlineVersions) {
      input_versions_[i] = v;
    } else {
      more_versions_.push_back(v);
    }
  }
}

void Node::check_output(const Tensor& output) const {
  const std::uint32_t now = output.impl()->storage->version;
  if (now != output_version_) {
    throw AutogradError("backward: the output of '" + std::string(name_) + "' (shape " + to_string(output.sizes()) +
                        ") was modified by an in-place operation after it was made (its version is " +
                        std::to_string(now) + ", expected " + std::to_string(output_version_) +
                        "); the gradient needs the old values: modify a clone() instead");
  }
}

// The message names the op, which of its tensors changed, and how to avoid it, as torch's
// "one of the variables needed for gradient computation has been modified by an inplace operation".
void Node::check_versions() const {
  const auto changed = [&](const std::string& which, std::uint32_t now, std::uint32_t then) {
    throw AutogradError("backward: " + which + " of '" + name_ + "' was modified by an in-place operation after '" + name_ + "' used it (its version is " +
                        std::to_string(now) + ", expected " + std::to_string(then) +
                        "); the gradient needs the old values: modify a clone() instead");
  };
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    if (!inputs_[i].defined()) continue;
    const std::uint32_t then = i < kInlineVersions ? input_versions_[i] : more_versions_[i - kInlineVersions];
    const std::uint32_t now = inputs_[i].impl()->storage->version;
    if (now != then) changed("input " + std::to_string(i) + " (shape " + to_string(inputs_[i].sizes()) + ")", now, then);
  }
}

Node::~Node() {
  // The closure may share inputs; drop it first so inputs_ holds the last references.
  backward_ = nullptr;
  std::vector<std::shared_ptr<Node>> pending;
  take_sole_owned_nodes(inputs_, pending);
  while (!pending.empty()) {
    std::shared_ptr<Node> node = std::move(pending.back());
    pending.pop_back();
    node->backward_ = nullptr;
    take_sole_owned_nodes(node->inputs_, pending);
    // `node` is destroyed here with nothing left behind it.
  }
}

std::vector<Tensor> Node::apply(const Tensor& dout, GradSinks sinks) const {
  if (!backward_) {
    throw AutogradError(std::string("backward: the graph of '") + name_ +
                        "' was already freed; call backward(gradient, /*retain_graph=*/true) the first time");
  }
  check_versions();
  return backward_(dout, sinks, inputs_);
}

void Node::release() {
  backward_ = nullptr;
  std::vector<std::shared_ptr<Node>> pending;
  take_sole_owned_nodes(inputs_, pending);
}

bool any_requires_grad(const std::vector<Tensor>& inputs) {
  for (const Tensor& t : inputs) {
    if (t.defined() && t.requires_grad()) return true;
  }
  return false;
}

Tensor record_node(const char* name, Tensor out, std::vector<Tensor> inputs, BackwardFn backward, bool differentiable) {
  if (!grad_enabled || !any_requires_grad(inputs)) return out;
  out.impl()->requires_grad = true;
  out.impl()->grad_fn = make_pooled<Node>(name, std::move(inputs), std::move(backward), differentiable);
  out.impl()->grad_fn->set_output_version(out.impl()->storage->version);
  return out;
}

Tensor* grad_sink(const Tensor& input) {
  TensorImpl* leaf = input.defined() && input.requires_grad() && !input.impl()->grad_fn ? input.impl().get() : nullptr;
  // (a leaf with hooks gets its gradient through them: they see, and may replace, it first)
  return leaf && leaf->grad.defined() && leaf->hooks.empty() ? &leaf->grad : nullptr;
}

bool can_add_into(const Tensor* sink, std::initializer_list<const Tensor*> reads) {
  if (!sink || sink->dtype() != DType::Float32 || !sink->is_contiguous()) return false;
  const Storage* memory = sink->impl()->storage.get();
  for (const Tensor* read : reads)
    if (read && read->defined() && read->impl()->storage.get() == memory) return false;
  return true;
}

}  // namespace ann::autograd

namespace ann {
bool is_grad_enabled() { return autograd::grad_enabled; }
void set_grad_enabled(bool enabled) { autograd::grad_enabled = enabled; }
}  // namespace ann
