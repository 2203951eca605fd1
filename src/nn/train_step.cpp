#include "ann/train_step.h"

#include <typeinfo>
#include <utility>
#include <vector>

#include "ann/autograd.h"
#include "ann/nn/fusion.h"
#include "ann/nn/linear.h"
#include "ann/nn/sequential.h"
#include "autograd/node.h"
#include "nn/loss_without_graph.h"
#include "nn/whole_chain.h"
#include "ops/mlp_chain.h"

namespace ann {

// The chain Sequential's forward runs for inputs like the last: asking fusion.cpp again each
// step (a cast per module, the stages' tensors copied) took a tenth of a small net's step. It
// holds while the inputs keep their shape, type and device and the layers keep their tensors,
// of the same type and device (Module::to converts a parameter in place); a module list only
// grows, and the activations' parameters are fixed.
struct TrainStep::Chain {
  Shape input_sizes;
  DType input_dtype = DType::Float32;
  Device input_device;
  std::size_t modules = 0;
  nn::WholeChain chain;

  bool holds_for(const nn::Sequential& model, const Tensor& X) const {
    if (X.sizes() != input_sizes || X.dtype() != input_dtype || X.device() != input_device || model.size() != modules)
      return false;
    auto same = [&](const Tensor& now, const Tensor& then) {
      return now.is_same(then) && (!now.defined() || (now.dtype() == DType::Float32 && now.device() == input_device));
    };
    for (std::size_t l = 0; l < chain.layers.size(); ++l) {
      if (!same(chain.layers[l]->weight, chain.stages[l].W) || !same(chain.layers[l]->bias, chain.stages[l].b)) return false;
    }
    return true;
  }
};

TrainStep::TrainStep(nn::Module& model, Criterion criterion, optim::Optimizer& optimizer)
    : model_(model), criterion_(std::move(criterion)), optimizer_(optimizer) {}
TrainStep::~TrainStep() = default;
TrainStep::TrainStep(TrainStep&&) noexcept = default;

Tensor TrainStep::operator()(const Tensor& X, const Tensor& y) {
  // The chain, where Sequential's own forward (not a subclass's) would run all of it as one.
  const std::vector<detail::ChainStage>* stages = nullptr;
  if (typeid(model_) == typeid(nn::Sequential) && nn::fusion_enabled() && is_grad_enabled() && X.defined() &&
      !X.requires_grad()) {
    const auto& sequential = static_cast<const nn::Sequential&>(model_);
    if (!chain_ || !chain_->holds_for(sequential, X)) {
      chain_ = std::make_unique<Chain>(Chain{X.sizes(), X.dtype(), X.device(), sequential.size(),
                                             nn::whole_chain(nn::Modules(sequential.begin(), sequential.end()), X)});
    }
    stages = &chain_->chain.stages;
  }
  // Which of x, W_1, b_1, …, W_L, b_L get a gradient (x does not).
  const std::size_t depth = stages ? stages->size() : 0;
  std::vector<bool> need(1 + 2 * depth, false);
  bool any_parameter = false;
  for (std::size_t l = 0; l < depth; ++l) {
    const detail::ChainStage& s = (*stages)[l];
    need[1 + 2 * l] = s.W.requires_grad();
    need[2 + 2 * l] = s.b.defined() && s.b.requires_grad();
    any_parameter = any_parameter || need[1 + 2 * l] || need[2 + 2 * l];
  }
  fused_ = any_parameter;
  if (!fused_) {
    Tensor output = model_(X);               // 1. forward
    Tensor loss = criterion_(output, y);     // 2. loss
    last_output_ = output.detach();
    optimizer_.zero_grad();                  // 3. zero the gradients
    loss.backward();                         // 4. back-propagate
    optimizer_.step();                       // 5. a step of gradient descent
    return loss;
  }

  detail::ChainPass pass(X, *stages, /*keep=*/true);  // 1. forward, the chain's kernel
  Tensor output = pass.take_output();
  Tensor loss, d_output;
  if (nn::loss_without_graph(criterion_, output, y, loss, d_output)) {  // 2. loss, and its gradient
    optimizer_.zero_grad();                                              // 3. zero the gradients
  } else {
    output.requires_grad_();                           // a leaf: the loss's graph ends here
    loss = criterion_(output, y);                      // 2. loss
    optimizer_.zero_grad();                            // 3. zero the gradients
    loss.backward();                                   // 4. back-propagate to the output …
    d_output = output.grad();
  }
  last_output_ = output.detach();
  if (d_output.defined()) {                            // 4. … and through the chain's kernel
    std::vector<Tensor> grads = pass.gradients(d_output, need);
    NoGradGuard as_in_backward;  // (a pass without create_graph adds into a gradient in place)
    for (std::size_t l = 0; l < depth; ++l) {
      const detail::ChainStage& s = (*stages)[l];
      if (need[1 + 2 * l]) autograd::accumulate_grad(s.W, std::move(grads[1 + 2 * l]));
      if (need[2 + 2 * l]) autograd::accumulate_grad(s.b, std::move(grads[2 + 2 * l]));
    }
  }
  optimizer_.step();                                   // 5. a step of gradient descent
  return loss;
}

}  // namespace ann
