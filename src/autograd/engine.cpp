// backward(): the reverse walk over the recorded graph, in two steps as in micrograd —
// (1) put the nodes in topological order, (2) walk it backwards from the root, seeded with
// dJ/dJ = 1, handing each node the sum of the gradients of its output.
#include <algorithm>
#include <optional>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/ops.h"
#include "autograd/in_place.h"
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

// The tensor's hooks, in order, on its gradient g: each may replace it (register_hook).
Tensor run_hooks(const TensorImpl& t, Tensor g) {
  for (const auto& hook : t.hooks) {
    if (!hook) continue;
    Tensor replaced = hook(g);
    if (!replaced.defined()) continue;
    if (replaced.sizes() != g.sizes()) {
      throw AutogradError("register_hook: a hook returned a gradient of shape " + to_string(replaced.sizes()) +
                          " for a tensor of shape " + to_string(g.sizes()));
    }
    g = std::move(replaced);
  }
  return g;
}

// Where autograd::grad collects the gradients of its inputs, instead of the leaves' .grad.
// With `partial`, the pass stops at the inputs: each gets dout · ∂out/∂input with the other
// inputs held fixed (differentiate_again), and the graph behind them is never walked.
struct Capture {
  std::vector<const TensorImpl*> inputs;
  std::vector<Tensor> grads;
  bool partial = false;

  bool contains(const TensorImpl* t) const { return std::find(inputs.begin(), inputs.end(), t) != inputs.end(); }

  void add(const TensorImpl* t, const Tensor& g_in) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i] != t) continue;
      const Tensor g = t->hooks.empty() || t->grad_fn ? g_in : run_hooks(*t, g_in);
      grads[i] = grads[i].defined() ? grads[i] + g : g;
    }
  }
};

// Post-order depth-first walk with an explicit stack (a 10 000-op chain must not recurse):
// inputs before the nodes that use them. Several roots append to one order, which stays
// topological: a later root's new nodes can only lead to nodes already there.
void topological_order(const std::shared_ptr<Node>& root, PassScratch& s, const Capture* capture) {
  if (!s.seen.try_emplace(root.get(), true).second) return;
  const bool stop = capture && capture->partial;
  s.stack.emplace_back(root, 0);
  while (!s.stack.empty()) {
    auto& [node, next_input] = s.stack.back();
    if (next_input < node->inputs().size()) {
      const Tensor& input = node->inputs()[next_input++];
      const auto& child = input.defined() && !(stop && capture->contains(input.impl().get())) ? input.impl()->grad_fn : nullptr;
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
  if (!leaf.hooks.empty()) g = run_hooks(leaf, std::move(g));
  if (leaf.grad.defined() && is_grad_enabled()) {
    leaf.grad = leaf.grad + g;  // a pass with create_graph: the sum recorded too
  } else if (leaf.grad.defined()) {
    ops::add_into(leaf.grad, g);
  } else if (sole_owner(g)) {
    leaf.grad = std::move(g);
  } else {
    leaf.grad = g.clone();  // own storage: g may alias another tensor's gradient
  }
}

// One backward pass from `roots`, each seeded with its `seeds` entry: into the leaves' .grad, or
// into `capture` (then no leaf is touched and no sink is offered).
void run_pass(std::span<const Tensor> roots, std::span<const Tensor> seeds, bool retain_graph,
              bool create_graph, Capture* capture) {
  AutoGradMode mode(create_graph);  // the backward pass itself is recorded only for create_graph
  ScratchLease s;
  for (std::size_t r = 0; r < roots.size(); ++r) {
    refresh_view(*roots[r].impl());  // a view written through another view since: rebuilt
    const auto& node = roots[r].impl()->grad_fn;
    if (!node) {  // a leaf root: its gradient is the seed
      if (capture) capture->add(roots[r].impl().get(), seeds[r]);
      else accumulate_into_leaf(*roots[r].impl(), Tensor(seeds[r]));
      continue;
    }
    node->check_output(roots[r]);
    topological_order(node, *s, capture);
    if (Tensor* slot = s->pending.find(node.get())) *slot = *slot + seeds[r];
    else s->pending.try_emplace(node.get(), seeds[r]);
  }
  for (auto it = s->order.rbegin(); it != s->order.rend(); ++it) {
    Node& node = **it;
    Tensor* found = s->pending.find(&node);
    if (!found || !found->defined()) continue;  // no path from the root carries a gradient here
    Tensor dout = std::move(*found);  // leaves the slot undefined: each node is visited once
    if (const auto made = node.watched_output()) dout = run_hooks(*made, std::move(dout));  // the tensor made here
    if (capture) {  // an input made by this node: its gradient is the node's whole dout
      for (std::size_t i = 0; i < capture->inputs.size(); ++i)
        if (capture->inputs[i] && capture->inputs[i]->grad_fn.get() == &node) capture->grads[i] = dout;
    }
    if (create_graph && !node.differentiable()) {
      throw AutogradError(std::string("grad with create_graph: the derivative of '") + node.name() +
                          "' is not differentiable in ann (it runs a fused kernel or reads saved values); "
                          "compose the forward from differentiable ops (see docs/porting-from-libtorch.md)");
    }

    // A leaf that has a gradient already is a sink: the node may add into it itself.
    s->sinks.clear();
    for (const Tensor& input : node.inputs()) s->sinks.push_back(capture ? nullptr : grad_sink(input));
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
      if (capture && capture->partial && capture->contains(input.impl().get())) {
        capture->add(input.impl().get(), dinputs[i]);
      } else if (const auto& producer = input.impl()->grad_fn) {
        producer->check_output(input);
        if (Tensor* slot = s->pending.find(producer.get())) {
          *slot = *slot + dinputs[i];
        } else {
          s->pending.try_emplace(producer.get(), std::move(dinputs[i]));
        }
      } else if (capture) {
        capture->add(input.impl().get(), dinputs[i]);
      } else {
        accumulate_into_leaf(*input.impl(), std::move(dinputs[i]));
      }
    }
  }
  if (!retain_graph) {
    for (const auto& node : s->order) node->release();
  }
}

}  // namespace

void accumulate_grad(const Tensor& leaf, Tensor g) { accumulate_into_leaf(*leaf.impl(), std::move(g)); }

void run_backward(const Tensor& root, const Tensor& seed, bool retain_graph, bool create_graph) {
  run_pass({&root, 1}, {&seed, 1}, retain_graph, create_graph, nullptr);  // no list to allocate: once a step
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, std::optional<bool> retain_graph, bool create_graph,
                         bool allow_unused) {
  if (!grad_outputs.empty() && grad_outputs.size() != outputs.size()) {
    throw ValueError("grad: " + std::to_string(grad_outputs.size()) + " grad_outputs for " +
                     std::to_string(outputs.size()) + " outputs");
  }
  std::vector<Tensor> seeds;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    check_defined(out, "grad");
    if (!out.requires_grad()) {
      throw AutogradError("grad: output " + std::to_string(i) + " (shape " + to_string(out.sizes()) +
                          ") does not require grad and has no grad_fn");
    }
    const Tensor given = grad_outputs.empty() ? Tensor() : grad_outputs[i];
    if (given.defined()) {
      if (given.sizes() != out.sizes()) {
        throw ShapeError("grad: grad_output of shape " + to_string(given.sizes()) + " for output " + std::to_string(i) +
                         " of shape " + to_string(out.sizes()));
      }
      seeds.push_back(given.to(out.dtype()));
    } else if (out.numel() == 1) {
      seeds.push_back(ones(out.sizes(), TensorOptions().dtype(out.dtype()).device(out.device())));
    } else {
      throw AutogradError("grad: output " + std::to_string(i) + " has " + std::to_string(out.numel()) +
                          " elements; give its grad_output, or reduce it to a scalar first");
    }
  }
  Capture capture;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    check_defined(inputs[i], "grad");
    if (!inputs[i].requires_grad()) {
      throw AutogradError("grad: input " + std::to_string(i) + " (shape " + to_string(inputs[i].sizes()) +
                          ") does not require grad");
    }
    capture.inputs.push_back(inputs[i].impl().get());
  }
  capture.grads.resize(inputs.size());
  run_pass(outputs, seeds, retain_graph.value_or(create_graph), create_graph, &capture);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!capture.grads[i].defined() && !allow_unused) {
      throw AutogradError("grad: input " + std::to_string(i) + " (shape " + to_string(inputs[i].sizes()) +
                          ") is not used by the outputs' graph; pass allow_unused = true to get an undefined "
                          "tensor for it");
    }
  }
  return std::move(capture.grads);
}

std::vector<Tensor> differentiate_again(const std::function<Tensor(const std::vector<Tensor>&)>& compose,
                                        const std::vector<Tensor>& inputs, const Tensor& dout) {
  const Tensor out = compose(inputs);
  Capture capture;
  capture.partial = true;
  for (const Tensor& input : inputs) capture.inputs.push_back(input.defined() && input.requires_grad() ? input.impl().get() : nullptr);
  capture.grads.resize(inputs.size());
  // retained: the gradients it makes read the composition, which the next pass walks through
  if (out.requires_grad()) run_pass({&out, 1}, {&dout, 1}, true, true, &capture);
  return std::move(capture.grads);
}

}  // namespace ann::autograd
