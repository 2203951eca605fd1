#include "ops/op_util.h"

#include "ann/error.h"
#include "ann/ops.h"
#include "autograd/node.h"
#include "host_access.h"

namespace ann::ops {

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  if (a.device() != b.device()) {
    throw DeviceError(std::string(op) + ": tensors on different devices (" + a.device().str() + " and " +
                      b.device().str() + ")");
  }
}

Tensor broadcast_to(const Tensor& t, const Shape& shape) {
  if (t.sizes() == shape && t.is_contiguous()) return t;
  if (autograd::should_record(t)) return t.expand(shape).contiguous();  // a pass with create_graph
  Tensor out = make_tensor(shape, t.dtype(), t.device());
  backend_of(t).copy_strided(out.impl()->raw_data(), out.strides(), t.impl()->raw_data(), broadcast_strides(t, shape),
                             shape, element_size(t.dtype()));
  return out;
}

void add_into(Tensor& dst, const Tensor& src_in) {
  check_floating(dst, "add_into");
  check_floating(src_in, "add_into");
  const DType dtype = dst.impl()->dtype;
  // a gradient of another precision accumulates in dst's
  const Tensor converted = src_in.impl()->dtype == dtype ? Tensor() : src_in.to(dtype);
  const Tensor& src = converted.defined() ? converted : src_in;
  // Elementwise, each output position reads only the same position of dst: aliasing is safe.
  const Shape& shape = dst.sizes();
  if (src.sizes() == shape && dst.is_contiguous() && src.is_contiguous()) {
    backend_of(dst).binary_contiguous(backend::BinaryOp::Add, dtype, dst.impl()->raw_data(), src.impl()->raw_data(),
                                      dst.impl()->raw_data(), dst.numel());
    return;
  }
  if (broadcast_shapes(shape, src.sizes(), "add_into") != shape || !dst.is_contiguous()) {
    throw ShapeError("add_into: cannot add " + to_string(src.sizes()) + " into " + to_string(shape));
  }
  backend_of(dst).binary(backend::BinaryOp::Add, dtype, dst.impl()->raw_data(), dst.strides(), src.impl()->raw_data(),
                         broadcast_strides(src, shape), dst.impl()->raw_data(), shape);
}

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.sizes() == shape) return grad;
  Tensor g = grad;
  while (g.dim() > static_cast<std::int64_t>(shape.size())) g = sum(g, 0);
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1 && g.size(static_cast<std::int64_t>(d)) != 1) g = sum(g, static_cast<std::int64_t>(d), true);
  }
  return g;
}

Split split_at(const Shape& shape, std::int64_t dim) {
  Split s;
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(shape.size()); ++i) {
    const std::int64_t size = shape[static_cast<std::size_t>(i)];
    if (i < dim) s.outer *= size;
    else if (i == dim) s.n = size;
    else s.inner *= size;
  }
  return s;
}

Shape reduced_shape(const Shape& shape, std::int64_t dim, bool keepdim) {
  Shape out = shape;
  if (out.empty()) return out;
  if (keepdim) out[static_cast<std::size_t>(dim)] = 1;
  else out.erase(out.begin() + dim);
  return out;
}

void throw_not_floating(const Tensor& t, const char* op) {
  check_defined(t, op);
  throw TypeError(std::string(op) + ": expected a float32 or float64 tensor, got " + std::string(to_string(t.dtype())) +
                  " with shape " + to_string(t.sizes()));
}

void throw_dtypes_differ(const Tensor& a, const Tensor& b, const char* op) {
  throw TypeError(std::string(op) + ": expected both operands of one dtype, got " + std::string(to_string(a.dtype())) +
                  " " + to_string(a.sizes()) + " and " + std::string(to_string(b.dtype())) + " " + to_string(b.sizes()) +
                  " (convert one with .to(dtype))");
}

DType promote_floating(const Tensor& a, const Tensor& b) {
  return a.dtype() == DType::Float64 || b.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
}

std::optional<std::int64_t> first_outside(const Tensor& index, std::int64_t bound) {
  const HostRead host(index);
  const std::int64_t* v = host.data<std::int64_t>();
  const std::int64_t i = backend::first_outside_on_host(v, index.numel(), bound);
  if (i < 0) return std::nullopt;
  return v[i];
}

void check_indices(const Tensor& index, std::int64_t n, const char* op) {
  check_dtype(index, DType::Int64, op);
  if (const auto bad = first_outside(index, n)) {
    throw ValueError(std::string(op) + ": index " + std::to_string(*bad) + " out of range for a dimension of size " +
                     std::to_string(n));
  }
}

}  // namespace ann::ops
