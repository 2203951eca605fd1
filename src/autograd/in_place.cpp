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

// The position in its base's memory (counted in the base's elements) of each element of the
// view `v`: int64 of v's shape, on v's device.
Tensor positions_in_base(const TensorImpl& v) {
  const TensorImpl& base = *v.view_base;
  std::vector<std::int64_t> at(static_cast<std::size_t>(v.numel));
  std::vector<std::int64_t> index(v.sizes.size(), 0);
  for (std::int64_t& p : at) {
    p = v.offset - base.offset;
    for (std::size_t d = 0; d < index.size(); ++d) p += index[d] * v.strides[d];
    for (std::size_t d = index.size(); d-- > 0;) {  // the next index, row-major
      if (++index[d] < v.sizes[d]) break;
      index[d] = 0;
    }
  }
  return from_vector(at, v.sizes).to(v.storage->device());
}

// y = the view's elements of its base      dx = dy added at their positions (several where
// elements share one: an expand), zeros elsewhere. scatter_add records its own derivative.
std::shared_ptr<Node> view_node(const Tensor& base, const Tensor& positions) {
  return make_pooled<Node>(
      "view_of_rebased", std::vector<Tensor>{base},
      [positions, base_sizes = base.sizes()](const Tensor& dy, GradSinks, const std::vector<Tensor>&) {
        const Tensor flat = zeros({numel_of(base_sizes)}, TensorOptions().dtype(dy.dtype()).device(dy.device()));
        return std::vector<Tensor>{scatter_add(flat, 0, positions.reshape({-1}), dy.reshape({-1})).reshape(base_sizes)};
      },
      true);
}

// In-place through a view v of base b (libtorch's CopySlices): v's new values are
//   value = f(v's old values, other)        (recorded, v's old values gathered from b's old ones)
// written into the memory; then b's new node takes b's old values and `value`:
//   d b_old = dy with the view's positions zeroed     d value = dy at the view's positions
// and v becomes a view of the new b.
Tensor& assign_through_view(Tensor& self, const char* op, const Tensor& other, const InPlaceFn& compute) {
  TensorImpl& v = *self.impl();
  const std::shared_ptr<TensorImpl> base_impl = v.view_base;
  Tensor base(base_impl);
  const std::string where = std::string(op) + ": this view (shape " + to_string(v.sizes) + ") of a tensor of shape " +
                            to_string(base_impl->sizes);
  if (base_impl->requires_grad && !base_impl->grad_fn) {
    throw AutogradError(where + " is a view of a leaf tensor that requires grad, which cannot be written in place "
                        "while gradients are recorded (as libtorch); write it under NoGradGuard, or into a clone()");
  }
  for (std::size_t d = 0; d < v.sizes.size(); ++d) {
    if (v.strides[d] == 0 && v.sizes[d] > 1) {
      throw AutogradError(where + ": several of its elements share one memory location (an expand), so an in-place "
                          "write is ambiguous (libtorch refuses it too); write into a clone() or contiguous()");
    }
  }
  if (!base_impl->is_contiguous()) {
    throw AutogradError(where + ": ann records writes through views only of tensors laid out contiguously in their "
                        "memory; write into a clone() instead");
  }
  if (graph_uses(other, base_impl.get()) || graph_uses(other, &v)) {
    throw AutogradError(where + ": the other operand was computed from the tensor written, which ann cannot record "
                        "in place (the old value would follow the new one in the graph); compute it into a clone() first");
  }
  const Tensor positions = positions_in_base(v);
  const Tensor flat_positions = positions.reshape({-1});
  const Tensor before = old_self(base);
  const Tensor view_before = gather(before.reshape({-1}), 0, flat_positions).reshape(v.sizes);
  const Tensor& other_value = other.defined() && other.impl() == self.impl() ? view_before : other;  // v.add_(v)
  const Tensor value = compute(view_before, other_value);
  check_in_place_result(self, value, op);
  {
    NoGradGuard no_grad;
    self.copy_(value);  // counts the write in the version
  }
  const Tensor rebased = record(op, base.detach(), {before, value},
                                [flat_positions, view_sizes = v.sizes](const Tensor& dy, const std::vector<Tensor>&) {
                                  const Tensor flat = dy.reshape({-1});
                                  return std::vector<Tensor>{scatter(flat, 0, flat_positions, 0.0).reshape(dy.sizes()),
                                                             gather(flat, 0, flat_positions).reshape(view_sizes)};
                                });
  const std::uint32_t version = base_impl->storage->version;
  base_impl->grad_fn = rebased.impl()->grad_fn;
  base_impl->requires_grad = true;
  base_impl->grad_fn->set_output_version(version);
  v.grad_fn = view_node(base, positions);
  v.grad_fn->set_output_version(version);
  v.requires_grad = true;
  v.view_version = version;
  return self;
}

}  // namespace

void rebuild_view_grad_fn(TensorImpl& view) {
  const TensorImpl& base = *view.view_base;
  view.view_version = view.storage->version;
  if (!base.requires_grad) return;
  if (!base.is_contiguous()) {
    throw AutogradError("a view (shape " + to_string(view.sizes) + ") of a tensor whose memory was written in place "
                        "since the view was made, through another view, cannot follow the write: its base is not "
                        "contiguous in memory; make the view again after the write");
  }
  view.grad_fn = view_node(Tensor(view.view_base), positions_in_base(view));
  view.grad_fn->set_output_version(view.view_version);
  view.requires_grad = true;
}

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
  if (t.view_base) return assign_through_view(self, op, other, compute);
  const std::string where = std::string(op) + ": this tensor (shape " + to_string(t.sizes) + ")";
  if (t.requires_grad && !t.grad_fn) begin_in_place(self, op);  // refuses a leaf, with its message
  if (t.storage.use_count() > 1) {
    throw AutogradError(where + " shares its memory with another tensor (a view of it made without recording, "
                        "or a value saved for a derivative, or an alias from detach()), whose place in the "
                        "graph would not follow the write; write y = <op>(y, ...) instead, or write into a "
                        "clone() (or, to write the values without recording them, under NoGradGuard)");
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
