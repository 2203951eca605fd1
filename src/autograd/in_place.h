#pragma once
// In-place operations, self ← f(self, other), and the autograd graph.
//
// Outside recording (grad mode off, or nothing involved requires grad) the op writes its
// out-of-place result back into self's memory: every view of that memory sees it.
//
// While recording, as libtorch does, the op becomes self's new place in the graph:
//   before  = self's old values, in memory of their own, with self's old grad_fn
//   value   = f(before, other)                     (recorded as the out-of-place op)
//   self   ← value's numbers; self.grad_fn = value's node
// so the gradient reaching self flows through f to the old graph and to other. The copy is
// what lets f's derivative read the old values after they are overwritten.
//
// Through a view made while recording (select, slice, narrow, permute, index, ...), the write
// goes to the view's base, as libtorch's CopySlices: the base takes a new node whose derivative
// splits the gradient between its old values (outside the view) and the op's result (inside),
// and the view becomes a view of the new base; other views of that base rebuild their grad_fn
// from the base's when next asked (rebuild_view_grad_fn).
//
// Recorded in-place ops are refused (AutogradError naming the op) where this would be wrong:
//   - on a leaf that requires grad, or a view of one (libtorch refuses both);
//   - through a view whose elements share memory (expand; libtorch refuses it too);
//   - on a tensor that is not such a view while another tensor shares its memory (the base of
//     a live view, a view made without recording, an alias from detach()): that tensor's place
//     in the graph would not follow the write;
//   - when `other` was computed from self (x.mul_(x.sigmoid())): ann's graph finds a node's
//     inputs through their tensors, so the old self would become its own successor.
// Nodes that used self before the write keep it as an input; backward() refuses them (the
// version counter), never reading the new values in silence.
#include <functional>

#include "ann/autograd.h"
#include "ann/tensor.h"
#include "tensor_impl.h"

namespace ann::autograd {

/// f(self's value, other): the out-of-place op an in-place one stands for.
using InPlaceFn = std::function<Tensor(const Tensor& self, const Tensor& other)>;

/// Gives a view whose base's memory was written since its grad_fn was set a grad_fn from the
/// base's current one (what refresh_view does when that is so).
void rebuild_view_grad_fn(TensorImpl& view);
inline void refresh_view(TensorImpl& t) {
  if (t.view_base && t.view_version != t.storage->version) rebuild_view_grad_fn(t);
}

/// Whether an in-place op on self reading `other` (may be undefined) is recorded.
inline bool records_in_place(const Tensor& self, const Tensor& other) {
  return is_grad_enabled() && ((self.defined() && self.requires_grad()) || (other.defined() && other.requires_grad()));
}

/// The recorded path (see the file's comment).
Tensor& assign_recorded(Tensor& self, const char* op, const Tensor& other, const InPlaceFn& compute);

/// Checks that `value` can be written into self (its shape, a type self can hold).
void check_in_place_result(const Tensor& self, const Tensor& value, const char* op);

/// self ← compute(self, other) in place, recorded when records_in_place says so.
template <class F>
Tensor& assign_in_place(Tensor& self, const char* op, const Tensor& other, F compute) {
  if (records_in_place(self, other)) return assign_recorded(self, op, other, InPlaceFn(std::move(compute)));
  begin_in_place(self, op);
  NoGradGuard no_grad;
  const Tensor value = compute(self, other);
  check_in_place_result(self, value, op);
  return self.copy_(value);
}

}  // namespace ann::autograd
