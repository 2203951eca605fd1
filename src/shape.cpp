#include "ann/shape.h"

#include <algorithm>

#include "ann/error.h"

namespace ann {

void Shape::throw_too_many_dims(size_type count) {
  throw ShapeError("shape: " + std::to_string(count) + " dimensions, more than the " + std::to_string(kMaxDims) +
                   " a tensor may have");
}

std::string to_string(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::int64_t numel_of(const Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t s : shape) n *= s;
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  std::int64_t step = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = step;
    step *= std::max<std::int64_t>(shape[i], 1);
  }
  return strides;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    // align from the right, as NumPy does
    const std::int64_t sa = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::int64_t sb = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (sa != sb && sa != 1 && sb != 1) {
      throw ShapeError(std::string(op) + ": shapes " + to_string(a) + " and " + to_string(b) +
                       " cannot be broadcast (" + std::to_string(sa) + " vs " + std::to_string(sb) + " in dimension " +
                       std::to_string(i) + ")");
    }
    out[i] = sa == 1 ? sb : sa;
  }
  return out;
}

std::int64_t wrap_dim(std::int64_t dim, std::int64_t rank, const char* op) {
  const std::int64_t r = std::max<std::int64_t>(rank, 1);  // a 0-d tensor accepts dim 0 / -1
  if (dim < -r || dim >= r) {
    throw ValueError(std::string(op) + ": dimension " + std::to_string(dim) + " out of range for a tensor with " +
                     std::to_string(rank) + " dimensions");
  }
  return dim < 0 ? dim + r : dim;
}

}  // namespace ann
