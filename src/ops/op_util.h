#pragma once
// Helpers shared by the op implementations.
#include <cstdint>
#include <optional>

#include "ann/ops.h"
#include "ann/tensor.h"
#include "backend/backend.h"
#include "tensor_impl.h"

namespace ann::ops {

/// The backend of the device `t` lives on.
inline const backend::Backend& backend_of(const Tensor& t) { return backend::backend_for(t.device()); }

/// Throws DeviceError naming `op` unless a and b are on one device.
void check_same_device(const Tensor& a, const Tensor& b, const char* op);

using ann::broadcast_strides;  // tensor_impl.h

/// `t` broadcast to `shape` and materialised contiguously (not recorded).
Tensor broadcast_to(const Tensor& t, const Shape& shape);

/// dst += src in place (src broadcast to dst's shape and converted to its type; dst contiguous
/// and floating). Not recorded.
void add_into(Tensor& dst, const Tensor& src);

/// Sums a gradient of a broadcast result back to the shape of the input that was broadcast:
/// leading dimensions are summed away, dimensions of size 1 are summed with keepdim.
Tensor sum_to(const Tensor& grad, const Shape& shape);

/// A shape seen around one dimension: [outer, n, inner] with n = shape[dim].
struct Split {
  std::int64_t outer = 1, n = 1, inner = 1;
};
Split split_at(const Shape& shape, std::int64_t dim);

/// `shape` without dimension `dim` (or with it set to 1 when keepdim).
Shape reduced_shape(const Shape& shape, std::int64_t dim, bool keepdim);

/// Throws TypeError unless `t` is a float32 or float64 tensor; `op` names the caller. Inline:
/// every op asks, and the check is one comparison (the throw is out of line).
[[noreturn]] void throw_not_floating(const Tensor& t, const char* op);
inline void check_floating(const Tensor& t, const char* op) {
  if (!t.defined() || !is_floating_point(t.impl()->dtype)) throw_not_floating(t, op);
}

/// Throws TypeError naming `op` unless a and b (defined) have one dtype (matrix products do not
/// promote, as torch's).
[[noreturn]] void throw_dtypes_differ(const Tensor& a, const Tensor& b, const char* op);
inline void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  if (a.impl()->dtype != b.impl()->dtype) throw_dtypes_differ(a, b, op);
}

/// The type two floating operands are computed in: float64 if either is, else float32.
DType promote_floating(const Tensor& a, const Tensor& b);

/// The first value of `index` (int64) outside [0, bound) (a class label, an index), if any;
/// read on the host.
std::optional<std::int64_t> first_outside(const Tensor& index, std::int64_t bound);

/// Throws ValueError naming `op` if an index in `index` (int64) is outside [0, n).
void check_indices(const Tensor& index, std::int64_t n, const char* op);

}  // namespace ann::ops
