// FiniteChecks: one pass over the parameters or their gradients per check, which costs little
// next to an epoch's forward and backward passes over the whole data set.
#include "finite_checks.h"

#include <bit>
#include <cmath>
#include <cstdint>
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

// The first of n floats that is a NaN or an infinity (all exponent bits set), or -1: a count
// that vectorises, then a search only when it finds one (every epoch checks every value).
std::int64_t first_non_finite(const float* v, std::int64_t n) {
  std::int64_t bad = 0;
  for (std::int64_t i = 0; i < n; ++i) bad += (std::bit_cast<std::uint32_t>(v[i]) & 0x7f800000u) == 0x7f800000u;
  if (bad == 0) return -1;
  for (std::int64_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) return i;
  return -1;
}

}  // namespace

std::pair<std::string, float> FiniteChecks::first_bad(bool gradients) const {
  for (const auto& [name, parameter] : parameters_) {
    const Tensor values = gradients ? parameter.grad() : parameter;
    if (!values.defined()) continue;  // no gradient (yet): nothing to check
    const Tensor dense = values.to(Device()).contiguous();  // read on the host
    const float* v = dense.data<float>();
    if (const std::int64_t i = first_non_finite(v, dense.numel()); i >= 0) return {name, v[i]};
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
