#pragma once
// Draws for the tests that try shapes no list names (seeded, so a failure repeats).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

namespace ann::testing {

/// An integer in [1, hi], log-uniform: small sizes as often as large ones, in 1001 steps.
inline std::int64_t log_uniform(std::mt19937& draw, double hi) {
  return std::max<std::int64_t>(1, std::llround(std::exp(std::log(hi) * static_cast<double>(draw() % 1001) / 1000.0)));
}

}  // namespace ann::testing
