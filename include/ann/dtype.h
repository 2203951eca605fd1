#pragma once
// Element types. float32 is the working type of every differentiable op; int64 carries
// class labels and indices; bool carries comparison masks.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ann {

enum class DType : std::uint8_t { Float32, Int64, Bool };

/// Size of one element in bytes.
constexpr std::size_t element_size(DType t) {
  switch (t) {
    case DType::Float32: return 4;
    case DType::Int64: return 8;
    case DType::Bool: return 1;
  }
  return 0;
}

/// PyTorch's spelling: "float32", "int64", "bool".
constexpr std::string_view to_string(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Int64: return "int64";
    case DType::Bool: return "bool";
  }
  return "?";
}

/// The DType of a C++ element type (float, std::int64_t, bool).
template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::Int64; }
template <> constexpr DType dtype_of<bool>() { return DType::Bool; }

}  // namespace ann
