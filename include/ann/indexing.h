#pragma once
// libtorch's torch::indexing, for Python's x[...] in C++:
//
//   using namespace ann::indexing;
//   x.index({Slice(), 0})              // x[:, 0]
//   x.index({Slice(1, None, 2)})       // x[1::2]
//   x.index({"...", -1})               // x[..., -1]
//   x.index({None, Slice(0, 2)})       // x[None, 0:2]
//   x.index({mask})                    // x[mask], mask bool over the leading dimensions
//   x.index({Slice(), labels})         // x[:, labels], labels int64 of any shape
//   x.index({rows, cols})              // x[rows, cols], int64 tensors broadcast together
//   x.index_put_({mask}, 0.0);         // x[mask] = 0
//   x.index_put_({Slice(), 0}, v);     // x[:, 0] = v
//
// Integers, slices, None and "..." make views (they share x's storage); a tensor index makes a
// copy, as in libtorch; several tensor indices follow NumPy's advanced indexing (see
// src/ops/tensor_index.cpp).
#include <cstdint>
#include <optional>
#include <type_traits>

#include "ann/tensor.h"

namespace ann::indexing {

/// A new dimension of size 1 (x[None]); also an open end of a Slice.
inline constexpr std::nullopt_t None = std::nullopt;

struct EllipsisIndexType {};
/// As many full slices as the other indices leave dimensions (x[..., 0]); "..." is the same.
inline constexpr EllipsisIndexType Ellipsis{};

/// start:stop:step, as Python's: open ends (None) run from the start or to the end, negative
/// bounds count from the end, and the step (1 by default) must be positive.
struct Slice {
  Slice(std::optional<std::int64_t> start_ = None, std::optional<std::int64_t> stop_ = None,
        std::optional<std::int64_t> step_ = None)
      : start(start_), stop(stop_), step(step_) {}
  std::optional<std::int64_t> start, stop, step;
};

/// One entry of an index list.
class TensorIndex {
 public:
  enum class Kind { Integer, Slice, None, Ellipsis, Tensor };

  template <class T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
  TensorIndex(T integer) : kind_(Kind::Integer), integer_(static_cast<std::int64_t>(integer)) {}  // NOLINT
  TensorIndex(Slice slice) : kind_(Kind::Slice), slice_(slice) {}                                   // NOLINT
  TensorIndex(std::nullopt_t) : kind_(Kind::None) {}                                                // NOLINT
  TensorIndex(EllipsisIndexType) : kind_(Kind::Ellipsis) {}                                         // NOLINT
  /// "..." (any other text is refused with a ValueError).
  TensorIndex(const char* text);                                                                    // NOLINT
  /// A bool mask or an int64 tensor of indices.
  TensorIndex(Tensor tensor) : kind_(Kind::Tensor), tensor_(std::move(tensor)) {}                   // NOLINT

  Kind kind() const { return kind_; }
  std::int64_t integer() const { return integer_; }
  const Slice& slice() const { return slice_; }
  const Tensor& tensor() const { return tensor_; }

 private:
  Kind kind_;
  std::int64_t integer_ = 0;
  Slice slice_;
  Tensor tensor_ = {};
};

}  // namespace ann::indexing
