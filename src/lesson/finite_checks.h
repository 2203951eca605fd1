#pragma once
// The training loop's guard against a diverging run: after backward it looks at the loss and
// every gradient, after the step at every parameter, and throws TrainingDiverged naming the
// epoch and the first tensor (by state_dict name) that holds a NaN or an infinity.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ann/lesson.h"

namespace ann::lesson::detail {

class FiniteChecks {
 public:
  explicit FiniteChecks(const nn::Module& model) : parameters_(model.named_parameters()) {}

  /// `epoch` is 0-based; messages count from 1, as the progress display does.
  void after_backward(std::int64_t epoch, float loss) const;
  void after_step(std::int64_t epoch) const;

 private:
  // The first parameter whose gradient (or value) is not finite, and that value; {} if none.
  std::pair<std::string, float> first_bad(bool gradients) const;

  std::vector<std::pair<std::string, Tensor>> parameters_;  // handles: they see every update
};

}  // namespace ann::lesson::detail
