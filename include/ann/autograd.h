#pragma once
// Grad mode and the autograd functions beyond backward(): while a NoGradGuard lives (in this
// thread), operations are not recorded, as under `with torch.no_grad():` — use it for inference
// and for optimizer updates.
#include <optional>
#include <vector>

#include "ann/tensor.h"

namespace ann {

/// Whether operations on tensors that require grad are currently recorded.
bool is_grad_enabled();
void set_grad_enabled(bool enabled);

/// Sets grad mode for its lifetime, restoring the previous mode on exit (torch's AutoGradMode;
/// AutoGradMode(true) is torch.enable_grad()).
class AutoGradMode {
 public:
  explicit AutoGradMode(bool enabled) : previous_(is_grad_enabled()) { set_grad_enabled(enabled); }
  ~AutoGradMode() { set_grad_enabled(previous_); }
  AutoGradMode(const AutoGradMode&) = delete;
  AutoGradMode& operator=(const AutoGradMode&) = delete;

 private:
  bool previous_;
};

/// Disables recording for its lifetime, restoring the previous mode on exit.
class NoGradGuard : public AutoGradMode {
 public:
  NoGradGuard() : AutoGradMode(false) {}
};

/// libtorch's InferenceMode, as ann has it: recording off for its lifetime (InferenceMode(false)
/// leaves the mode as it is). ann does not mark the tensors made under it; they are ordinary
/// tensors without grad, which libtorch's inference tensors would also be for every later use
/// that does not record.
class InferenceMode {
 public:
  explicit InferenceMode(bool enabled = true) : guard_(enabled ? false : is_grad_enabled()) {}

 private:
  AutoGradMode guard_;
};

namespace autograd {

/// The gradients of `outputs` with respect to `inputs`, as torch::autograd::grad: returned,
/// not accumulated into any .grad. grad_outputs weigh the outputs (needed for outputs with more
/// than one element). With create_graph the pass itself is recorded, so the gradients can be
/// differentiated again (second derivatives); every op on the path must then have a
/// differentiable derivative, else AutogradError names the op. The graph is kept when
/// retain_graph (default: create_graph). An input the outputs do not use is an AutogradError,
/// or an undefined tensor with allow_unused.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, std::optional<bool> retain_graph = std::nullopt,
                         bool create_graph = false, bool allow_unused = false);

}  // namespace autograd

}  // namespace ann
