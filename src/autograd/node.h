#pragma once
// One recorded operation of the autograd graph. The graph points backwards only:
// an output tensor owns its Node, the Node owns its input tensors. Backward closures must
// therefore capture inputs or detached tensors only — capturing the output would make a
// cycle (output -> node -> closure -> output) and leak.
#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "ann/autograd.h"
#include "ann/tensor.h"

namespace ann::autograd {

/// One entry per input of a node: the leaf gradient (.grad) the engine would add that input's
/// gradient into, or null (not a leaf, or no gradient yet).
using GradSinks = std::span<Tensor* const>;

/// The sink a backward pass offers for `input`'s gradient: its .grad, where it is a leaf that
/// requires grad, has a gradient already and no hooks; else null.
Tensor* grad_sink(const Tensor& input);

/// Whether a backward may add a gradient into `sink` itself: a float32 contiguous leaf gradient
/// whose memory none of `reads` (what the backward reads, other sinks it writes) shares.
bool can_add_into(const Tensor* sink, std::initializer_list<const Tensor*> reads);

/// Maps the gradient of the op's output to the gradients of its inputs (one per input,
/// undefined where an input needs none), given the node's inputs. A backward may instead add an
/// input's gradient into its sink itself (the same float additions), returning an undefined
/// tensor for it: a fused kernel adds while its sums are in registers, saving a tensor and a
/// pass per parameter.
using BackwardFn =
    std::function<std::vector<Tensor>(const Tensor& dout, GradSinks sinks, const std::vector<Tensor>& inputs)>;

class Node {
 public:
  Node(const char* name, std::vector<Tensor> inputs, BackwardFn backward, bool differentiable);
  /// Releases the chain of nodes behind this one iteratively: a 10 000-op chain must not
  /// recurse 10 000 levels deep through shared_ptr destructors.
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const char* name() const { return name_; }
  const std::vector<Tensor>& inputs() const { return inputs_; }
  /// Whether the backward computes from the inputs it is given with recorded ops only, so that
  /// a pass with create_graph can differentiate it again.
  bool differentiable() const { return differentiable_; }
  /// Runs the derivative; throws AutogradError if the graph was already freed, or if an input
  /// or the output was modified in place since the node was made (their values are what the
  /// derivative reads).
  std::vector<Tensor> apply(const Tensor& dout, GradSinks sinks) const;
  /// Notes the output's version when the node is made.
  void set_output_version(std::uint32_t version) { output_version_ = version; }
  /// The tensor this node made, for its hooks and retained gradient (retain_grad,
  /// register_hook); watched only once one is asked for, and never kept alive by the node.
  void watch_output(const std::shared_ptr<TensorImpl>& output) {
    output_ = output;
    watched_ = true;
  }
  std::shared_ptr<TensorImpl> watched_output() const { return watched_ ? output_.lock() : nullptr; }
  /// Throws AutogradError if `output` (the tensor this node made, as the engine reaches it) was
  /// modified in place since: the derivatives of exp, tanh, sigmoid, softmax read it.
  void check_output(const Tensor& output) const;
  /// Frees what the backward pass needed (saved tensors and inputs).
  void release();

 private:
  void check_versions() const;

  const char* name_;
  std::vector<Tensor> inputs_;
  BackwardFn backward_;
  bool differentiable_;
  // The inputs' storage versions when the node was made: inline for the first few (every op
  // but cat), so that recording them costs no allocation.
  static constexpr std::size_t kInlineVersions = 4;
  std::array<std::uint32_t, kInlineVersions> input_versions_{};
  std::vector<std::uint32_t> more_versions_;
  std::uint32_t output_version_ = 0;
  std::weak_ptr<TensorImpl> output_;
  bool watched_ = false;
};

/// Whether any defined tensor in `inputs` requires grad.
bool any_requires_grad(const std::vector<Tensor>& inputs);

/// Whether an op on these inputs is recorded (grad mode on, some input requires grad). Ops
/// ask before building their backward closure, whose captures cost allocations every step.
template <class... Tensors>
bool should_record(const Tensors&... inputs) {
  return is_grad_enabled() && ((inputs.defined() && inputs.requires_grad()) || ...);
}

Tensor record_node(const char* name, Tensor out, std::vector<Tensor> inputs, BackwardFn backward, bool differentiable);

/// Attaches a Node named `name` to `out` (making it require grad) when grad mode is on and
/// any input requires grad; otherwise returns `out` untouched. `backward` takes one of
///   (dout)                 a derivative from what it captured;
///   (dout, sinks)          the same, adding into leaf gradients itself where it can;
///   (dout, inputs)         a differentiable derivative: it reads the node's inputs and composes
///                          recorded ops only (no fused kernel while grad mode is on), so that
///                          autograd::grad(..., create_graph) can differentiate it again.
///   (dout, sinks, inputs)  both: a fused derivative, and a differentiable one while grad mode is
///                          on (usually differentiate_again on the fused op's composition).
template <class F>
Tensor record(const char* name, Tensor out, std::vector<Tensor> inputs, F backward) {
  if constexpr (std::is_invocable_v<F&, const Tensor&, GradSinks, const std::vector<Tensor>&>) {
    return record_node(name, std::move(out), std::move(inputs), std::move(backward), true);
  } else if constexpr (std::is_invocable_v<F&, const Tensor&, const std::vector<Tensor>&>) {
    return record_node(name, std::move(out), std::move(inputs),
                       [f = std::move(backward)](const Tensor& dout, GradSinks, const std::vector<Tensor>& in) {
                         return f(dout, in);
                       },
                       true);
  } else if constexpr (std::is_invocable_v<F&, const Tensor&, GradSinks>) {
    return record_node(name, std::move(out), std::move(inputs),
                       [f = std::move(backward)](const Tensor& dout, GradSinks sinks, const std::vector<Tensor>&) {
                         return f(dout, sinks);
                       },
                       false);
  } else {
    return record_node(name, std::move(out), std::move(inputs),
                       [f = std::move(backward)](const Tensor& dout, GradSinks, const std::vector<Tensor>&) {
                         return f(dout);
                       },
                       false);
  }
}

/// leaf.grad += g as a backward pass does it (the leaf's hooks first; g itself taken where no
/// gradient is there yet and nothing else holds g): for ops that compute a leaf's gradient
/// outside the graph (ann::TrainStep).
void accumulate_grad(const Tensor& leaf, Tensor g);

/// Runs back-propagation from `root` seeded with `seed` (same shape as root), recorded with
/// create_graph.
void run_backward(const Tensor& root, const Tensor& seed, bool retain_graph, bool create_graph);

/// The derivative of a fused op in a pass with create_graph: its forward composed again from
/// `inputs` (recorded), then differentiated with the pass recorded — dout · ∂out/∂input_i for
/// each input, the others held fixed (undefined where an input needs none).
std::vector<Tensor> differentiate_again(const std::function<Tensor(const std::vector<Tensor>&)>& compose,
                                        const std::vector<Tensor>& inputs, const Tensor& dout);

}  // namespace ann::autograd
