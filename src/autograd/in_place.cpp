#include "autograd/in_place.h"

#include <algorithm>
#include <string>
#include <vector>

#include "ann/error.h"
#include "ann/ops.h"
#include "autograd/node.h"

namespace ann::autograd {

namespace {

// Whether a node reachable from `from` (its graph) takes `target` as an input.
bool graph_uses(const Tensor& from, const TensorImpl* target) {
  if (!from.defined() || !from.impl()->grad_fn) return false;
  std::vector<const Node*> stack{from.impl()->grad_fn.get()};
  std::vector<const Node*> seen = stack;
  while (!stack.empty()) {
    const Node* node = stack.back();
    stack.pop_back();
    for (const Tensor& input : node->inputs()) {
      if (!input.defined()) continue;
      if (input.impl().get() == target) return true;
      const Node* next = input.impl()->grad_fn.get();
      if (next && std::find(seen.begin(), seen.end(), next) == seen.end()) {
        seen.push_back(next);
        stack.push_back(next);
      }
    }
  }
  return false;
}

// Self's old values in memory of their own, holding self's old place in the graph: what the
// recorded op reads, and where the gradient of the old self goes.
Tensor old_self(const Tensor& self) {
  Tensor before;
  {
    NoGradGuard no_grad;
    before = self.clone();
  }
  TensorImpl& b = *before.impl();
  const TensorImpl& s = *self.impl();
  b.grad_fn = s.grad_fn;
  b.requires_grad = s.requires_grad;
  b.storage->version = s.storage->version;  // what the old node noted of its output
  return before;
}

// Whether value's node is its own: made by this op, seen by no other tensor.
bool owns_its_node(const Tensor& value) {
  return value.impl().use_count() == 1 && value.impl()->grad_fn && value.impl()->grad_fn.use_count() == 1;
}

}  // namespace

void check_in_place_result(const Tensor& self, const Tensor& value, const char* op) {
  if (value.sizes() != self.sizes()) {
    throw ShapeError(std::string(op) + ": the result's shape " + to_string(value.sizes()) + " is not the shape " +
                     to_string(self.sizes()) + " of the tensor written in place");
  }
  if (value.dtype() != self.dtype() && !is_floating_point(self.dtype())) {
    throw TypeError(std::string(op) + ": the result is " + std::string(to_string(value.dtype())) +
                    ", which cannot be written into a " + std::string(to_string(self.dtype())) + " tensor");
  }
}

Tensor& assign_recorded(Tensor& self, const char* op, const Tensor& other, const InPlaceFn& compute) {
  check_defined(self, op);
  TensorImpl& t = *self.impl();
  const std::string where = std::string(op) + ": this tensor (shape " + to_string(t.sizes) + ")";
  if (t.requires_grad && !t.grad_fn) begin_in_place(self, op);  // refuses a leaf, with its message
  if (t.storage.use_count() > 1) {
    throw AutogradError(where + " shares its memory with another tensor (a view of it, the tensor it is a view of, "
                        "or a value saved for a derivative), whose place in the graph would not follow the write; "
                        "ann records in-place operations only on tensors with memory of their own: write "
                        "y = <op>(y, ...) instead, or write into a clone() (or, to write the values without "
                        "recording them, under NoGradGuard)");
  }
  if (graph_uses(other, &t)) {
    throw AutogradError(where + ": the other operand was computed from this tensor, which ann cannot record in "
                        "place (the old value would follow the new one in the graph); write y = <op>(y, ...) instead");
  }
  const Tensor before = old_self(self);
  const Tensor& other_value = other.defined() && other.impl() == self.impl() ? before : other;  // x.add_(x)
  Tensor value = compute(before, other_value);
  check_in_place_result(self, value, op);
  if (!value.requires_grad() && before.requires_grad()) {
    // fill_, or copy_ from a constant: the result no longer depends on the old values, whose
    // gradient is zero — but self stays in the graph, as in libtorch.
    value = autograd::record(op, value, {before}, [](const Tensor& dy, const std::vector<Tensor>&) {
      return std::vector<Tensor>{zeros_like(dy)};
    });
  } else if (value.requires_grad() && !owns_its_node(value)) {
    value = value.clone();  // copy_ of a tensor as it is: self gets a node of its own
  }
  {
    NoGradGuard no_grad;
    self.copy_(value);  // counts the write in the version
  }
  if (value.requires_grad()) {
    t.grad_fn = value.impl()->grad_fn;
    t.requires_grad = true;
    t.grad_fn->set_output_version(t.storage->version);
  }
  return self;
}

}  // namespace ann::autograd
