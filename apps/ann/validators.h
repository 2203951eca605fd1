#pragma once
// Option checks that CLI11 lacks in the form we want.
#include <string>

#include <CLI/CLI.hpp>

namespace ann::cli {

/// Rejects a leading minus sign. CLI11 would read "-1" into an unsigned option as 2^64 − 1,
/// and its NonNegativeNumber prints the whole range of a double in its message.
inline CLI::Validator non_negative() {
  return CLI::Validator(
      [](const std::string& value) -> std::string {
        return !value.empty() && value.front() == '-' ? "must not be negative, got " + value : std::string();
      },
      "");
}

}  // namespace ann::cli
