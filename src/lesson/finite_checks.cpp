// FiniteChecks: one pass over the parameters or their gradients per check, which costs little
// next to an epoch's forward and backward passes over the whole data set.
#include "finite_checks.h"

#include <cmath>
#include <cstdio>

namespace ann::lesson::detail {

namespace {

std::string show(float value) {
  if (std::isnan(value)) return "nan";  // printf's "-nan" would suggest a sign that means nothing
  char text[32];
  std::snprintf(text, sizeof text, "%g", static_cast<double>(value));
  return text;
}

std::string at_epoch(std::int64_t epoch) { return "epoch " + std::to_string(epoch + 1) + ": "; }

}  // namespace

std::pair<std::string, float> FiniteChecks::first_bad(bool gradients) const {
  for (const auto& [name, parameter] : parameters_) {
    const Tensor values = gradients ? parameter.grad() : parameter;
    if (!values.defined()) continue;  // no gradient (yet): nothing to check
    for (float v : values.to_vector<float>())
      if (!std::isfinite(v)) return {name, v};
  }
  return {};
}

void FiniteChecks::after_backward(std::int64_t epoch, float loss) const {
  const auto [gradient, value] = first_bad(true);
  if (!std::isfinite(loss)) {
    throw TrainingDiverged(at_epoch(epoch) + "the loss is not finite (" + show(loss) + "); " +
                               (gradient.empty() ? "the gradients are finite"
                                                 : "first non-finite gradient: " + gradient + " (" + show(value) + ")"),
                           epoch + 1);
  }
  if (!gradient.empty()) {
    throw TrainingDiverged(at_epoch(epoch) + "the gradient of " + gradient + " is not finite (" + show(value) +
                               ") while the loss is " + show(loss),
                           epoch + 1);
  }
}

void FiniteChecks::after_step(std::int64_t epoch) const {
  const auto [parameter, value] = first_bad(false);
  if (!parameter.empty()) {
    throw TrainingDiverged(at_epoch(epoch) + "the step made parameter " + parameter + " non-finite (" + show(value) +
                               ")",
                           epoch + 1);
  }
}

}  // namespace ann::lesson::detail
