#pragma once
// ann::Scalar — a number that remembers whether it was written as an integer, as libtorch's
// Scalar does: arange(5) is int64 where arange(5.0) is float32.
#include <cstdint>
#include <type_traits>

namespace ann {

class Scalar {
 public:
  /// Any arithmetic value; integers (not bool) are integral. Held as a double, so integers are
  /// exact up to 2^53.
  template <class T>
    requires std::is_arithmetic_v<T>
  Scalar(T value)  // NOLINT(google-explicit-constructor): implicit, as libtorch's
      : value_(static_cast<double>(value)), integral_(std::is_integral_v<T> && !std::is_same_v<T, bool>) {}

  double to_double() const { return value_; }
  bool is_integral() const { return integral_; }

 private:
  double value_;
  bool integral_;
};

}  // namespace ann
