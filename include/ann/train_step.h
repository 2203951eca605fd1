#pragma once
// ann::TrainStep — the lesson's five steps as one call:
//
//   TrainStep train_step(model, criterion, optimizer);
//   for (...) {
//     Tensor loss = train_step(X, y);   // what these compute, to the bit:
//   }                                   //   Tensor loss = criterion(model(X), y);   // 1. 2.
//                                       //   optimizer.zero_grad();                  // 3.
//                                       //   loss.backward();                        // 4.
//                                       //   optimizer.step();                       // 5.
//
// Why it exists: on a small network a step's arithmetic takes less time than its bookkeeping
// (a node per op, tensors made and freed, a graph walked). Where Sequential's forward would run
// nothing but its fused nodes (ann/nn/fusion.h: the two-layer kernel, chains, and affine layers
// with or without their activation — any stack of Linear layers and ann's eight activations),
// TrainStep runs those nodes' kernels itself, with no node. The loss then comes, with
// its gradient, from its fused kernel where it has one (MSE, L1, smooth L1, Huber, BCE with
// logits, cross-entropy as loss modules without weights; no graph at all), or else is recorded
// alone, so that backward() gives
// the gradient of the model's output; the kernels' backward takes that to the parameters' .grad
// as backward would (hooks, accumulation). The kernels, their inputs and the order of every sum
// are the five steps' own, so the numbers are too (tests/test_train_step.cpp). Anything else
// (another model or module; an input that requires grad; a weight that is no leaf; grad mode
// or fusion off) runs the five steps as written.
#include <functional>
#include <memory>

#include "ann/nn/module.h"
#include "ann/optim/optimizer.h"
#include "ann/tensor.h"

namespace ann {

class TrainStep {
 public:
  /// A loss of (model output, target): a loss module (nn::MSELoss(), …) or any function.
  using Criterion = std::function<Tensor(const Tensor& output, const Tensor& target)>;

  /// The step of `optimizer` on `model` under `criterion`. Holds references to the model and the
  /// optimizer, which must outlive it.
  TrainStep(nn::Module& model, Criterion criterion, optim::Optimizer& optimizer);
  ~TrainStep();
  TrainStep(TrainStep&&) noexcept;
  TrainStep& operator=(TrainStep&&) = delete;

  /// One training step on the batch (X, y); returns the loss, whose graph the backward pass has
  /// freed (or which has none). Errors are the five steps' own.
  Tensor operator()(const Tensor& X, const Tensor& y);

  /// The model's output on the last step's batch, detached: for metrics (accuracy, …).
  const Tensor& last_output() const { return last_output_; }

  /// Whether the last call ran the layers' kernels itself (false: the five steps as written).
  bool last_step_fused() const { return fused_; }

 private:
  nn::Module& model_;
  Criterion criterion_;
  optim::Optimizer& optimizer_;
  bool fused_ = false;
  Tensor last_output_;
  struct Plan;                    // the kernels last found, for inputs of one shape (train_step.cpp)
  std::unique_ptr<Plan> plan_;
};

}  // namespace ann
