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
// the whole model as one chain (ann/nn/fusion.h's 2.), TrainStep runs the chain's two kernels
// itself, with no node for it: the loss alone is recorded, so backward() gives the gradient of
// the model's output, which the chain's backward kernel takes to the parameters' .grad. The
// kernels, their inputs and the order of every sum are the five steps' own, so the numbers are
// too (tests/test_train_step.cpp). Anything else (another model, fusion or input; an input that
// requires grad; grad mode off) runs the five steps as written.
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

  /// One training step on the batch (X, y); returns the loss (its graph already freed by the
  /// backward pass). Errors are the five steps' own.
  Tensor operator()(const Tensor& X, const Tensor& y);

  /// Whether the last call ran the chain's kernels itself (false: the five steps as written).
  bool last_step_fused() const { return fused_; }

 private:
  nn::Module& model_;
  Criterion criterion_;
  optim::Optimizer& optimizer_;
  bool fused_ = false;
  struct Chain;                   // the chain last found, for inputs of one shape (train_step.cpp)
  std::unique_ptr<Chain> chain_;
};

}  // namespace ann
