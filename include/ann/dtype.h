#pragma once
// Element types. float32 is the fast default of every differentiable op; float64 runs the same
// ops in double precision (gradient checks, optimizer studies); int64 carries class labels and
// indices; bool carries comparison masks.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ann {

enum class DType : std::uint8_t { Float32, Int64, Bool, Float64 };

class TensorOptions;

/// A libtorch name for an element type: a DType that also stands for the options holding just
/// it, as libtorch's ScalarType does (torch::zeros({2}, torch::kFloat64)).
struct DTypeName {
  DType value;
  constexpr operator DType() const { return value; }  // NOLINT(google-explicit-constructor)
  operator TensorOptions() const;                     // NOLINT: in ann/tensor.h
};

/// libtorch's names for the element types (torch::kFloat32, torch::kLong, ...).
inline constexpr DTypeName kFloat32{DType::Float32};
inline constexpr DTypeName kFloat{DType::Float32};
inline constexpr DTypeName kFloat64{DType::Float64};
inline constexpr DTypeName kDouble{DType::Float64};
inline constexpr DTypeName kInt64{DType::Int64};
inline constexpr DTypeName kLong{DType::Int64};
inline constexpr DTypeName kBool{DType::Bool};

/// Size of one element in bytes.
constexpr std::size_t element_size(DType t) {
  switch (t) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int64: return 8;
    case DType::Bool: return 1;
  }
  return 0;
}

/// Whether `t` holds real numbers (float32 or float64): the types autograd differentiates.
constexpr bool is_floating_point(DType t) { return t == DType::Float32 || t == DType::Float64; }

/// PyTorch's spelling: "float32", "float64", "int64", "bool".
constexpr std::string_view to_string(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::Bool: return "bool";
  }
  return "?";
}

/// The DType of a C++ element type (float, double, std::int64_t, bool).
template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<double>() { return DType::Float64; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::Int64; }
template <> constexpr DType dtype_of<bool>() { return DType::Bool; }

}  // namespace ann
