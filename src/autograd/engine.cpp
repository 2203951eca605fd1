// backward(): the reverse walk over the recorded graph, in two steps as in micrograd —
// (1) put the nodes in topological order, (2) walk it backwards from the root, seeded with
// dJ/dJ = 1, handing each node the sum of the gradients of its output.
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/ops.h"
#include "autograd/node.h"
#include "ops/op_util.h"
#include "tensor_impl.h"

namespace ann::autograd {

namespace {

// Node → value for the nodes of one backward pass. A training step's graph has a handful of
// nodes, for which a linear search beats hashing and one reserved vector is the only
// allocation; past kFew entries (a long chain of ops) it moves to a hash map.
template <class V>
class NodeMap {
 public:
  V* find(const Node* node) {
    if (!many_.empty()) {
      const auto it = many_.find(node);
      return it == many_.end() ? nullptr : &it->second;
    }
    for (auto& [key, value] : few_)
      if (key == node) return &value;
    return nullptr;
  }
  // Inserts node → value unless the node is there; returns its value and whether it was new.
  std::pair<V*, bool> try_emplace(const Node* node, V value) {
    if (V* found = find(node)) return {found, false};
    if (few_.capacity() == 0) few_.reserve(kFew);
    if (many_.empty() && few_.size() < kFew) return {&few_.emplace_back(node, std::move(value)).second, true};
    if (many_.empty()) {
      many_.reserve(2 * kFew);
      for (auto& [key, v] : few_) many_.emplace(key, std::move(v));
      few_.clear();
    }
    return {&many_.emplace(node, std::move(value)).first->second, true};
  }
  // Empties the map. The short list keeps its memory for the next pass; the hash table of a
  // long chain is let go (its clear() would wipe every bucket each pass after).
  void clear() {
    few_.clear();
    if (!many_.empty()) many_ = {};
  }

 private:
  static constexpr std::size_t kFew = 32;
  std::vector<std::pair<const Node*, V>> few_;
  std::unordered_map<const Node*, V> many_;
};

// What one backward pass keeps while it runs: the nodes in order, the walk's stack and marks,
// the pending gradients and one node's sinks. Kept per thread from pass to pass (a training
// step's pass otherwise spent six allocations on them) and emptied when a pass ends, however it
// ends: nothing of a graph outlives its pass here.
struct PassScratch {
  std::vector<std::shared_ptr<Node>> order;
  std::vector<std::pair<std::shared_ptr<Node>, std::size_t>> stack;
  NodeMap<bool> seen;
  NodeMap<Tensor> pending;  // dJ/d(output of node), summed over uses
  std::vector<Tensor*> sinks;
  bool in_use = false;

  void clear() {
    seen.clear();
    pending.clear();
    sinks.clear();
    // The lists of a long chain are let go rather than kept for the thread's lifetime.
    constexpr std::size_t kKeptNodes = 64;
    if (order.capacity() > kKeptNodes) {
      order = {};
      stack = {};
    } else {
      order.clear();
      stack.clear();
    }
  }
};

// The calling thread's scratch, or a fresh one for a pass that starts inside another.
class ScratchLease {
 public:
  ScratchLease() : scratch_(shared().in_use ? own_.emplace() : shared()) { scratch_.in_use = true; }
  ~ScratchLease() {
    scratch_.clear();
    scratch_.in_use = false;
  }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  PassScratch& operator*() { return scratch_; }
  PassScratch* operator->() { return &scratch_; }

 private:
  static PassScratch& shared() {
    thread_local PassScratch scratch;
    return scratch;
  }
  std::optional<PassScratch> own_;
  PassScratch& scratch_;
};

// Post-order depth-first walk with an explicit stack (a 10 000-op chain must not recurse):
// inputs before the nodes that use them.
void topological_order(const std::shared_ptr<Node>& root, PassScratch& s) {
  s.seen.try_emplace(root.get(), true);
  s.stack.emplace_back(root, 0);
  while (!s.stack.empty()) {
    auto& [node, next_input] = s.stack.back();
    if (next_input < node->inputs().size()) {
      const Tensor& input = node->inputs()[next_input++];
      const auto& child = input.defined() ? input.impl()->grad_fn : nullptr;
      if (child && s.seen.try_emplace(child.get(), true).second) s.stack.emplace_back(child, 0);
    } else {
      s.order.push_back(std::move(node));
      s.stack.pop_back();
    }
  }
}

// Whether nothing but the caller's handle sees g's memory: a fresh gradient the leaf may keep.
bool sole_owner(const Tensor& g) {
  const auto& impl = g.impl();
  return impl.use_count() == 1 && impl->storage.use_count() == 1 && impl->offset == 0 && impl->is_contiguous();
}

// leaf.grad <- leaf.grad + g (the lesson's step 4: gradients accumulate)
void accumulate_into_leaf(TensorImpl& leaf, Tensor&& g) {
  if (leaf.grad.defined()) {
    ops::add_into(leaf.grad, g);
  } else if (sole_owner(g)) {
    leaf.grad = std::move(g);
  } else {
    leaf.grad = g.clone();  // own storage: g may alias another tensor's gradient
  }
}

}  // namespace

void run_backward(const Tensor& root, const Tensor& seed, bool retain_graph) {
  NoGradGuard no_grad;  // the backward pass itself is not recorded
  const auto& root_node = root.impl()->grad_fn;
  if (!root_node) {  // backward() on a leaf: its gradient is the seed
    accumulate_into_leaf(*root.impl(), Tensor(seed));
    return;
  }
  root_node->check_output(root);
  ScratchLease s;
  topological_order(root_node, *s);
  s->pending.try_emplace(root_node.get(), seed);
  for (auto it = s->order.rbegin(); it != s->order.rend(); ++it) {
    Node& node = **it;
    Tensor* found = s->pending.find(&node);
    if (!found || !found->defined()) continue;  // no path from the root carries a gradient here
    const Tensor dout = std::move(*found);  // leaves the slot undefined: each node is visited once

    // A leaf that has a gradient already is a sink: the node may add into it itself.
    s->sinks.clear();
    for (const Tensor& input : node.inputs()) {
      TensorImpl* leaf = input.defined() && input.requires_grad() && !input.impl()->grad_fn ? input.impl().get() : nullptr;
      s->sinks.push_back(leaf && leaf->grad.defined() ? &leaf->grad : nullptr);
    }
    std::vector<Tensor> dinputs = node.apply(dout, s->sinks);
    for (std::size_t i = 0; i < node.inputs().size(); ++i) {
      const Tensor& input = node.inputs()[i];
      if (i >= dinputs.size() || !dinputs[i].defined() || !input.defined() || !input.requires_grad()) continue;
      if (dinputs[i].sizes() != input.sizes()) {
        throw AutogradError(std::string("backward: '") + node.name() + "' produced a gradient of shape " +
                            to_string(dinputs[i].sizes()) + " for an input of shape " + to_string(input.sizes()));
      }
      // A gradient has its input's type, as torch's engine casts it: float32 · float64 is float64,
      // and its float32 operand gets a float32 gradient.
      if (dinputs[i].impl()->dtype != input.impl()->dtype) dinputs[i] = dinputs[i].to(input.impl()->dtype);
      if (const auto& producer = input.impl()->grad_fn) {
        producer->check_output(input);
        if (Tensor* slot = s->pending.find(producer.get())) {
          *slot = *slot + dinputs[i];
        } else {
          s->pending.try_emplace(producer.get(), std::move(dinputs[i]));
        }
      } else {
        accumulate_into_leaf(*input.impl(), std::move(dinputs[i]));
      }
    }
  }
  if (!retain_graph) {
    for (const auto& node : s->order) node->release();
  }
}

}  // namespace ann::autograd
