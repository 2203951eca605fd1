// backward(): the reverse walk over the recorded graph, in two steps as in micrograd —
// (1) put the nodes in topological order, (2) walk it backwards from the root, seeded with
// dJ/dJ = 1, handing each node the sum of the gradients of its output.
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

 private:
  static constexpr std::size_t kFew = 32;
  std::vector<std::pair<const Node*, V>> few_;
  std::unordered_map<const Node*, V> many_;
};

// Post-order depth-first walk with an explicit stack (a 10 000-op chain must not recurse).
std::vector<std::shared_ptr<Node>> topological_order(const std::shared_ptr<Node>& root) {
  std::vector<std::shared_ptr<Node>> order;
  NodeMap<bool> seen;
  seen.try_emplace(root.get(), true);
  std::vector<std::pair<std::shared_ptr<Node>, std::size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    auto& [node, next_input] = stack.back();
    if (next_input < node->inputs().size()) {
      const Tensor& input = node->inputs()[next_input++];
      const auto& child = input.defined() ? input.impl()->grad_fn : nullptr;
      if (child && seen.try_emplace(child.get(), true).second) stack.emplace_back(child, 0);
    } else {
      order.push_back(std::move(node));
      stack.pop_back();
    }
  }
  return order;  // inputs before the nodes that use them
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
  const std::vector<std::shared_ptr<Node>> order = topological_order(root_node);

  NodeMap<Tensor> pending;  // dJ/d(output of node), summed over uses
  pending.try_emplace(root_node.get(), seed);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node& node = **it;
    Tensor* found = pending.find(&node);
    if (!found || !found->defined()) continue;  // no path from the root carries a gradient here
    const Tensor dout = std::move(*found);  // leaves the slot undefined: each node is visited once

    std::vector<Tensor> dinputs = node.apply(dout);
    for (std::size_t i = 0; i < node.inputs().size(); ++i) {
      const Tensor& input = node.inputs()[i];
      if (i >= dinputs.size() || !dinputs[i].defined() || !input.defined() || !input.requires_grad()) continue;
      if (dinputs[i].sizes() != input.sizes()) {
        throw AutogradError(std::string("backward: '") + node.name() + "' produced a gradient of shape " +
                            to_string(dinputs[i].sizes()) + " for an input of shape " + to_string(input.sizes()));
      }
      if (const auto& producer = input.impl()->grad_fn) {
        if (Tensor* slot = pending.find(producer.get())) {
          *slot = *slot + dinputs[i];
        } else {
          pending.try_emplace(producer.get(), std::move(dinputs[i]));
        }
      } else {
        accumulate_into_leaf(*input.impl(), std::move(dinputs[i]));
      }
    }
  }
  if (!retain_graph) {
    for (const auto& node : order) node->release();
  }
}

}  // namespace ann::autograd
