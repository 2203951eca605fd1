#pragma once
// A shape is the list of sizes of a tensor's dimensions, outermost first ([rows, cols]).
#include <cstdint>
#include <string>
#include <vector>

namespace ann {

using Shape = std::vector<std::int64_t>;

/// "[3000, 3]" — the form used in every error message.
std::string to_string(const Shape& shape);

/// Number of elements of a tensor of this shape (1 for a scalar []).
std::int64_t numel_of(const Shape& shape);

/// Row-major (C-contiguous) strides of a shape, in elements.
Shape contiguous_strides(const Shape& shape);

/// NumPy broadcasting of two shapes; throws ShapeError naming `op` when they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

/// Wraps a possibly negative dimension index into [0, rank); throws ValueError naming `op`.
std::int64_t wrap_dim(std::int64_t dim, std::int64_t rank, const char* op);

}  // namespace ann
