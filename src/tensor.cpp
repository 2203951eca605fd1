// Tensor handles: description, element access, creation and in-place updates.
// Differentiable views and operations live in src/ops/.
#include "ann/tensor.h"

#include <algorithm>
#include <cmath>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/generator.h"
#include "ann/ops.h"
#include "autograd/in_place.h"
#include "autograd/node.h"
#include "backend/backend.h"
#include "host_access.h"
#include "ops/op_util.h"
#include "tensor_impl.h"

namespace ann {

// ---- storage and impl ------------------------------------------------------------------------

Storage::Storage(std::size_t nbytes, const Device& device) : nbytes_(nbytes), device_(device) {
  data_ = backend::backend_for(device).allocate(nbytes);
}

Storage::~Storage() { backend::backend_for(device_).deallocate(data_, nbytes_); }

namespace {
// Row-major without gaps: each stride the product of the sizes after it (size-1 dims free).
// A tensor without elements is contiguous whatever its strides (as torch's).
bool is_contiguous_layout(const Shape& sizes, const Shape& strides) {
  if (std::find(sizes.begin(), sizes.end(), 0) != sizes.end()) return true;
  std::int64_t expected = 1;
  for (std::size_t i = sizes.size(); i-- > 0;) {
    if (sizes[i] != 1 && strides[i] != expected) return false;
    expected *= sizes[i];
  }
  return true;
}
}  // namespace

TensorImpl::TensorImpl(std::shared_ptr<Storage> storage_, std::int64_t offset_, Shape sizes_, Shape strides_,
                       DType dtype_)
    : storage(std::move(storage_)),
      offset(offset_),
      sizes(std::move(sizes_)),
      strides(std::move(strides_)),
      numel(numel_of(sizes)),
      dtype(dtype_),
      contiguous_(is_contiguous_layout(sizes, strides)) {}

Tensor make_tensor(const Shape& sizes, DType dtype, const Device& device) {
  for (std::int64_t s : sizes) {
    if (s < 0) throw ValueError("empty: negative size in shape " + to_string(sizes));
  }
  const auto n = static_cast<std::size_t>(numel_of(sizes));
  auto storage = make_pooled<Storage>(n * element_size(dtype), device);
  return Tensor(make_pooled<TensorImpl>(std::move(storage), 0, sizes, contiguous_strides(sizes), dtype));
}

void check_defined(const Tensor& t, const char* op) {
  if (!t.defined()) throw ValueError(std::string(op) + ": tensor is undefined");
}

void begin_in_place(const Tensor& t, const char* op) {
  check_defined(t, op);
  const TensorImpl& impl = *t.impl();
  if (impl.requires_grad && is_grad_enabled()) {
    if (!impl.grad_fn) {
      throw AutogradError(std::string(op) + ": a leaf tensor that requires grad (shape " + to_string(impl.sizes) +
                          ") cannot be modified in place while gradients are recorded; do it under NoGradGuard, "
                          "as optimizers do, or on its detach()");
    }
    throw AutogradError(std::string(op) + ": this tensor (shape " + to_string(impl.sizes) + ", made by '" +
                        t.grad_fn_name() + "') requires grad, and autograd does not follow '" + op +
                        "': its gradient would be wrong; write y = <op>(...) instead, or modify it under NoGradGuard");
  }
  for (std::size_t i = 0; i < impl.sizes.size(); ++i) {
    if (impl.strides[i] == 0 && impl.sizes[i] > 1) {
      throw ValueError(std::string(op) + ": more than one element of this tensor (shape " + to_string(impl.sizes) +
                       ", strides " + to_string(impl.strides) +
                       ", an expand()) refers to one memory location; write to a contiguous() copy");
    }
  }
  bump_version(t);
}

void throw_dtype_error(const Tensor& t, DType expected, const char* op) {
  check_defined(t, op);
  throw TypeError(std::string(op) + ": expected a " + std::string(to_string(expected)) + " tensor, got " +
                  std::string(to_string(t.dtype())) + " with shape " + to_string(t.sizes()));
}

namespace {
const TensorImpl& checked(const std::shared_ptr<TensorImpl>& impl) {
  if (!impl) throw ValueError("Tensor: operation on an undefined tensor");
  return *impl;
}

// The tensor's autograd state, a view's brought up to date with a write through another view
// of its base (autograd/in_place.h).
const TensorImpl& current(const std::shared_ptr<TensorImpl>& impl) {
  if (!impl) throw ValueError("Tensor: operation on an undefined tensor");
  autograd::refresh_view(*impl);
  return *impl;
}

// Offset in elements of a multi-index, after checking it against the shape.
std::int64_t element_offset(const TensorImpl& t, std::initializer_list<std::int64_t> index, const char* op) {
  if (static_cast<std::int64_t>(index.size()) != static_cast<std::int64_t>(t.sizes.size())) {
    throw ValueError(std::string(op) + ": " + std::to_string(index.size()) + " indices for a tensor of shape " +
                     to_string(t.sizes));
  }
  std::int64_t off = t.offset;
  std::size_t d = 0;
  for (std::int64_t i : index) {
    const std::int64_t wrapped = i < 0 ? i + t.sizes[d] : i;
    if (wrapped < 0 || wrapped >= t.sizes[d]) {
      throw ValueError(std::string(op) + ": index " + std::to_string(i) + " out of range for dimension " +
                       std::to_string(d) + " of size " + std::to_string(t.sizes[d]));
    }
    off += wrapped * t.strides[d];
    ++d;
  }
  return off;
}

// The element at `off` (in elements), fetched through the back end's copy to the host.
template <class T>
T read_as(const Tensor& tensor, std::int64_t off) {
  const TensorImpl& t = *tensor.impl();
  const std::size_t es = element_size(t.dtype);
  const auto at = static_cast<std::size_t>(off) * es;
  switch (t.dtype) {
    case DType::Float32: { float v; read_bytes(tensor, at, &v, es); return static_cast<T>(v); }
    case DType::Float64: { double v; read_bytes(tensor, at, &v, es); return static_cast<T>(v); }
    case DType::Int64: { std::int64_t v; read_bytes(tensor, at, &v, es); return static_cast<T>(v); }
    case DType::Bool: { bool v; read_bytes(tensor, at, &v, es); return static_cast<T>(v); }
  }
  return T{};
}

// Writes one element at `off`, converted to the tensor's type, through the back end's copy.
template <class T>
void write_as(const Tensor& tensor, std::int64_t off, T value) {
  const TensorImpl& t = *tensor.impl();
  const std::size_t es = element_size(t.dtype);
  const auto at = static_cast<std::size_t>(off) * es;
  switch (t.dtype) {
    case DType::Float32: { const auto v = static_cast<float>(value); write_bytes(tensor, at, &v, es); break; }
    case DType::Float64: { const auto v = static_cast<double>(value); write_bytes(tensor, at, &v, es); break; }
    case DType::Int64: { const auto v = static_cast<std::int64_t>(value); write_bytes(tensor, at, &v, es); break; }
    case DType::Bool: { const auto v = static_cast<bool>(value); write_bytes(tensor, at, &v, es); break; }
  }
}
}  // namespace

Tensor::Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

// ---- description ------------------------------------------------------------------------------

const Shape& Tensor::sizes() const { return checked(impl_).sizes; }
const Shape& Tensor::strides() const { return checked(impl_).strides; }
std::int64_t Tensor::dim() const { return static_cast<std::int64_t>(sizes().size()); }
std::int64_t Tensor::numel() const { return checked(impl_).numel; }
DType Tensor::dtype() const { return checked(impl_).dtype; }
Device Tensor::device() const { return checked(impl_).storage->device(); }
bool Tensor::is_contiguous() const { return checked(impl_).is_contiguous(); }

std::int64_t Tensor::size(std::int64_t dim) const {
  const Shape& s = checked(impl_).sizes;
  const auto rank = static_cast<std::int64_t>(s.size());
  if (dim >= 0 && dim < rank) return s[static_cast<std::size_t>(dim)];  // the common case, checked once
  if (rank == 0) throw ValueError("size: dimension " + std::to_string(dim) + " of a 0-d tensor, which has none");
  return s[static_cast<std::size_t>(wrap_dim(dim, rank, "size"))];
}

// ---- element access ----------------------------------------------------------------------------

float Tensor::item() const { return item<float>(); }

template <class T>
T Tensor::item() const {
  const TensorImpl& t = checked(impl_);
  if (t.numel != 1) {
    throw ValueError("item: tensor with " + std::to_string(t.numel) + " elements (shape " + to_string(t.sizes) +
                     ") cannot be converted to a scalar");
  }
  return read_as<T>(*this, t.offset);
}

template <class T>
T Tensor::at(std::initializer_list<std::int64_t> index) const {
  const TensorImpl& t = checked(impl_);
  return read_as<T>(*this, element_offset(t, index, "at"));
}

template <class T>
void Tensor::set(std::initializer_list<std::int64_t> index, T value) {
  const TensorImpl& t = checked(impl_);
  const std::int64_t at = element_offset(t, index, "set");
  begin_in_place(*this, "set");
  write_as(*this, at, value);
}

template <class T>
T* Tensor::data() {
  check_dtype(*this, dtype_of<T>(), "data");
  return impl_->data<T>();
}

template <class T>
const T* Tensor::data() const {
  check_dtype(*this, dtype_of<T>(), "data");
  return impl_->data<T>();
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  const Tensor c = to(dtype_of<T>());
  const HostRead host(c);
  const T* p = host.data<T>();
  return std::vector<T>(p, p + c.numel());
}

#define ANN_INSTANTIATE_ACCESS(T)                                              \
  template T Tensor::item<T>() const;                                          \
  template T Tensor::at<T>(std::initializer_list<std::int64_t>) const;         \
  template void Tensor::set<T>(std::initializer_list<std::int64_t>, T);        \
  template T* Tensor::data<T>();                                               \
  template const T* Tensor::data<T>() const;                                   \
  template std::vector<T> Tensor::to_vector<T>() const;
ANN_INSTANTIATE_ACCESS(float)
ANN_INSTANTIATE_ACCESS(double)
ANN_INSTANTIATE_ACCESS(std::int64_t)
ANN_INSTANTIATE_ACCESS(bool)
#undef ANN_INSTANTIATE_ACCESS

// ---- conversion ------------------------------------------------------------------------------

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::detach() const {
  const TensorImpl& t = checked(impl_);
  return Tensor(make_pooled<TensorImpl>(t.storage, t.offset, t.sizes, t.strides, t.dtype));
}

Tensor Tensor::to(DType target) const {
  if (dtype() == target) return *this;
  const Tensor src = contiguous();
  Tensor out = make_tensor(src.sizes(), target, src.device());
  backend::backend_for(src.device())
      .cast(src.impl()->raw_data(), src.dtype(), out.impl()->raw_data(), target, src.numel());
  return out;  // conversions between element types are not differentiable
}

// y = x on another device      dx = dy brought back to x's device
Tensor Tensor::to(const TensorOptions& options) const {
  const Tensor moved = to(options.device());
  return options.has_dtype() ? moved.to(options.dtype()) : moved;
}

Tensor Tensor::to(const Device& device) const {
  check_defined(*this, "to");
  check_available(device, "to");
  const Device from = this->device();
  if (device == from) return *this;
  Tensor out = make_tensor(sizes(), dtype(), device);
  {
    const HostRead host(*this);  // between two devices through the host: one copy each way
    write_bytes(out, 0, host.bytes(), static_cast<std::size_t>(numel()) * element_size(dtype()));
  }
  if (!autograd::should_record(*this)) return out;
  return autograd::record("to", std::move(out), {*this},
                          [from](const Tensor& dy, const std::vector<Tensor>&) { return std::vector<Tensor>{dy.to(from)}; });
}

Shape broadcast_strides(const Tensor& t, const Shape& out) {
  const Shape& sizes = t.sizes();
  const Shape& strides = t.strides();
  Shape result(out.size(), 0);
  const std::size_t lead = out.size() - sizes.size();
  for (std::size_t i = 0; i < sizes.size(); ++i) result[lead + i] = sizes[i] == 1 ? 0 : strides[i];
  return result;
}

void move_storage(const Tensor& t, const Device& device) {
  check_defined(t, "to");
  check_available(device, "to");
  TensorImpl& impl = *t.impl();
  if (impl.storage->device() != device) {
    auto moved = make_pooled<Storage>(impl.storage->nbytes(), device);
    std::vector<std::byte> host(impl.storage->nbytes());
    if (!host.empty()) {
      backend::backend_for(impl.storage->device()).copy_to_host(host.data(), impl.storage->data(), host.size());
      backend::backend_for(device).copy_from_host(moved->data(), host.data(), host.size());
    }
    impl.storage = std::move(moved);
  }
  if (impl.grad.defined()) move_storage(impl.grad, device);
}

void convert_storage(const Tensor& t, DType dtype) {
  check_defined(t, "to");
  TensorImpl& impl = *t.impl();
  if (impl.dtype != dtype) {
    const std::size_t count = impl.storage->nbytes() / element_size(impl.dtype);
    auto converted = make_pooled<Storage>(count * element_size(dtype), impl.storage->device());
    backend::backend_for(impl.storage->device()).cast(impl.storage->data(), impl.dtype, converted->data(), dtype,
                                                      static_cast<std::int64_t>(count));
    impl.storage = std::move(converted);
    impl.dtype = dtype;
  }
  if (impl.grad.defined()) convert_storage(impl.grad, dtype);
}

// ---- autograd --------------------------------------------------------------------------------

bool Tensor::requires_grad() const { return current(impl_).requires_grad; }

Tensor& Tensor::requires_grad_(bool requires_grad) {
  checked(impl_);
  if (!is_leaf() && !requires_grad) {
    throw AutogradError("requires_grad_: cannot turn off requires_grad on the non-leaf output of '" +
                        grad_fn_name() + "'; use detach()");
  }
  if (requires_grad && !is_floating_point(dtype())) {
    throw TypeError("requires_grad_: only float32 and float64 tensors can require grad, got " +
                    std::string(to_string(dtype())));
  }
  impl_->requires_grad = requires_grad;
  return *this;
}

Tensor Tensor::grad() const { return checked(impl_).grad; }

void Tensor::set_grad(const Tensor& grad) {
  checked(impl_);
  if (grad.defined() && grad.sizes() != sizes()) {
    throw ShapeError("set_grad: gradient of shape " + to_string(grad.sizes()) + " for a tensor of shape " +
                     to_string(sizes()));
  }
  impl_->grad = grad;
}

void Tensor::zero_grad() {
  checked(impl_);
  if (impl_->grad.defined()) impl_->grad.zero_();
}

bool Tensor::is_leaf() const { return current(impl_).grad_fn == nullptr; }

void Tensor::retain_grad() const {
  checked(impl_);
  TensorImpl& t = *impl_;
  if (!t.requires_grad) {
    throw AutogradError("retain_grad: a tensor of shape " + to_string(t.sizes) + " that does not require grad has no gradient to keep");
  }
  if (!t.grad_fn || t.retains_grad) return;  // a leaf keeps its gradient anyway
  t.retains_grad = true;
  // A hook in the order of registration, as libtorch 1.13's: hooks registered later do not
  // change what is kept. It holds the tensor by pointer: its hooks live and die with it.
  TensorImpl* self = impl_.get();
  add_hook([self](const Tensor& g) {
    self->grad = self->grad.defined() ? self->grad + g : g.detach().clone();
    return Tensor();
  });
}

bool Tensor::retains_grad() const { return checked(impl_).retains_grad; }

unsigned Tensor::add_hook(std::function<Tensor(const Tensor&)> hook) const {
  checked(impl_);
  TensorImpl& t = *impl_;
  if (!t.requires_grad) {
    throw AutogradError("register_hook: a tensor of shape " + to_string(t.sizes) + " that does not require grad never gets a gradient");
  }
  if (t.grad_fn) t.grad_fn->watch_output(impl_);
  t.hooks.push_back(std::move(hook));
  return static_cast<unsigned>(t.hooks.size() - 1);
}

void Tensor::remove_hook(unsigned handle) const {
  checked(impl_);
  TensorImpl& t = *impl_;
  if (handle >= t.hooks.size()) throw ValueError("remove_hook: no hook " + std::to_string(handle));
  t.hooks[handle] = nullptr;
}

std::uint32_t Tensor::_version() const { return checked(impl_).storage->version; }

std::string Tensor::grad_fn_name() const {
  const TensorImpl& t = current(impl_);
  return t.grad_fn ? t.grad_fn->name() : "";
}

void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph, bool create_graph) const {
  const TensorImpl& t = checked(impl_);
  if (!t.requires_grad) {
    throw AutogradError("backward: tensor of shape " + to_string(t.sizes) +
                        " does not require grad and has no grad_fn");
  }
  Tensor seed = gradient;
  if (!seed.defined()) {
    if (t.numel != 1) {
      throw AutogradError("backward: called on a tensor with " + std::to_string(t.numel) +
                          " elements; pass a gradient or reduce to a scalar first");
    }
    seed = ones(t.sizes, TensorOptions().dtype(t.dtype).device(device()));
  } else if (seed.sizes() != t.sizes) {
    throw ShapeError("backward: gradient of shape " + to_string(seed.sizes()) + " for a tensor of shape " +
                     to_string(t.sizes));
  } else {
    seed = seed.to(t.dtype);
  }
  autograd::run_backward(*this, seed, retain_graph.value_or(create_graph), create_graph);
}

// ---- in-place updates --------------------------------------------------------------------------

Tensor& Tensor::fill_(double value) {
  const TensorImpl& t = checked(impl_);
  if (autograd::records_in_place(*this, {})) {
    return autograd::assign_recorded(*this, "fill_", {}, [value](const Tensor& self, const Tensor&) {
      return full(self.sizes(), value, TensorOptions().dtype(self.dtype()).device(self.device()));
    });
  }
  begin_in_place(*this, "fill_");
  if (t.is_contiguous()) {
    backend::backend_for(device()).fill(t.raw_data(), t.dtype, t.numel, value);
  } else {
    copy_(full({}, value, TensorOptions().dtype(t.dtype)));
  }
  return *this;
}

Tensor& Tensor::zero_() { return fill_(0.f); }

Tensor& Tensor::copy_(const Tensor& src) {
  const TensorImpl& t = checked(impl_);
  check_defined(src, "copy_");
  if (broadcast_shapes(t.sizes, src.sizes(), "copy_") != t.sizes) {
    throw ShapeError("copy_: source of shape " + to_string(src.sizes()) + " does not broadcast to " +
                     to_string(t.sizes));
  }
  if (autograd::records_in_place(*this, src)) {
    return autograd::assign_recorded(*this, "copy_", src, [](const Tensor& self, const Tensor& source) {
      // d/d(source) = dy summed back over the broadcast (to and expand record it); the old
      // values get a zero gradient, as libtorch's CopyBackwards gives them.
      const Tensor value = source.to(self.device()).to(self.dtype()).expand(self.sizes());
      return autograd::record("copy_", value.detach(), {self, value}, [](const Tensor& dy, const std::vector<Tensor>&) {
        return std::vector<Tensor>{zeros_like(dy), dy};
      });
    });
  }
  begin_in_place(*this, "copy_");
  NoGradGuard no_grad;
  // The source on our device in our dtype, then written through our strides, broadcast.
  Tensor values = src.to(device()).to(t.dtype);
  if (values.impl()->storage == t.storage) values = values.clone();  // x.copy_(x.t()) reads what it writes
  backend::backend_for(device()).copy_strided(t.raw_data(), t.strides, values.impl()->raw_data(),
                                              broadcast_strides(values, t.sizes), t.sizes,
                                              element_size(t.dtype));
  return *this;
}

Tensor& Tensor::uniform_(double from, double to) { return uniform_(from, to, default_generator()); }
Tensor& Tensor::uniform_(double from, double to, Generator& generator) {
  ops::check_floating(*this, "uniform_");
  if (!is_contiguous()) throw ValueError("uniform_: needs a contiguous tensor, got strides " + to_string(strides()));
  if (!(from <= to)) {
    throw ValueError("uniform_: expects from <= to, got from=" + std::to_string(from) + " to=" + std::to_string(to));
  }
  begin_in_place(*this, "uniform_");
  HostWrite host(*this);
  const auto n = static_cast<std::size_t>(numel());
  if (dtype() == DType::Float64) generator.fill_uniform(host.data<double>(), n, from, to);
  else generator.fill_uniform(host.data<float>(), n, from, to);
  host.commit();
  return *this;
}

Tensor& Tensor::normal_(double mean, double std) { return normal_(mean, std, default_generator()); }
Tensor& Tensor::normal_(double mean, double std, Generator& generator) {
  ops::check_floating(*this, "normal_");
  if (!is_contiguous()) throw ValueError("normal_: needs a contiguous tensor, got strides " + to_string(strides()));
  if (!(std >= 0.0)) throw ValueError("normal_: expects std >= 0, got " + std::to_string(std));
  begin_in_place(*this, "normal_");
  HostWrite host(*this);
  const auto n = static_cast<std::size_t>(numel());
  if (dtype() == DType::Float64) generator.fill_normal(host.data<double>(), n, mean, std);
  else generator.fill_normal(host.data<float>(), n, mean, std);
  host.commit();
  return *this;
}

// ---- creation ----------------------------------------------------------------------------------

namespace {
Tensor finish(Tensor t, const TensorOptions& options) {
  if (options.requires_grad()) t.requires_grad_(true);
  return t;
}
}  // namespace

Tensor empty(const Shape& shape, const TensorOptions& options) {
  return finish(make_tensor(shape, options.dtype_or(DType::Float32), options.device()), options);
}

Tensor full(const Shape& shape, double value, const TensorOptions& options) {
  const DType dtype = options.dtype_or(DType::Float32);
  Tensor t = make_tensor(shape, dtype, options.device());
  backend::backend_for(options.device()).fill(t.impl()->raw_data(), dtype, t.numel(), value);
  return finish(t, options);
}

Tensor zeros(const Shape& shape, const TensorOptions& options) { return full(shape, 0.0, options); }
Tensor ones(const Shape& shape, const TensorOptions& options) { return full(shape, 1.0, options); }
Tensor zeros_like(const Tensor& t) { return zeros(t.sizes(), TensorOptions().dtype(t.dtype()).device(t.device())); }
Tensor ones_like(const Tensor& t) { return ones(t.sizes(), TensorOptions().dtype(t.dtype()).device(t.device())); }
Tensor scalar_tensor(double value, const TensorOptions& options) { return full({}, value, options); }

Tensor arange(Scalar start_, Scalar end_, Scalar step_, const TensorOptions& options) {
  const double start = start_.to_double(), end = end_.to_double(), step = step_.to_double();
  // as torch: int64 when every bound is an integer, else the default float type
  const DType dtype = options.dtype_or(start_.is_integral() && end_.is_integral() && step_.is_integral()
                                           ? DType::Int64 : DType::Float32);
  if (step == 0.0 || !std::isfinite(start) || !std::isfinite(end) || !std::isfinite(step) ||
      (end - start) / step < 0.0) {
    throw ValueError("arange: invalid range start=" + std::to_string(start) + " end=" + std::to_string(end) +
                     " step=" + std::to_string(step));
  }
  // torch.arange: size = ceil((end - start) / step), element i = start + i·step (in double)
  const auto n = static_cast<std::int64_t>(std::ceil((end - start) / step));
  Tensor t = make_tensor({n}, dtype, options.device());
  HostWrite host(t);
  for (std::int64_t i = 0; i < n; ++i) {
    const double v = start + static_cast<double>(i) * step;
    switch (dtype) {
      case DType::Float32: host.data<float>()[i] = static_cast<float>(v); break;
      case DType::Float64: host.data<double>()[i] = v; break;
      case DType::Int64: host.data<std::int64_t>()[i] = static_cast<std::int64_t>(v); break;
      case DType::Bool: host.data<bool>()[i] = v != 0.0; break;
    }
  }
  host.commit();
  return finish(t, options);
}

Tensor arange(Scalar end, const TensorOptions& options) { return arange(0, end, 1, options); }

Tensor eye(std::int64_t n, std::int64_t m, const TensorOptions& options) {
  if (m < 0) m = n;
  if (n < 0) throw ValueError("eye: n must be non-negative, got " + std::to_string(n));
  std::vector<double> values(static_cast<std::size_t>(n * m), 0.0);
  for (std::int64_t i = 0; i < std::min(n, m); ++i) values[static_cast<std::size_t>(i * m + i)] = 1.0;
  return from_vector(values, {n, m}, options.dtype(options.dtype()));  // float32 unless given, as libtorch
}

namespace {
// torch's CPU linspace kernel, as its AVX2 build runs it, in T: the step in T; the first half
// counts up from start, the second half down from end, so both ends are exact. Element i alone is
//   start + step·i  or  end − step·(steps − 1 − i)      (one fused multiply-add each).
// While two vectors' worth of elements remain they are made in blocks of one vector (8 floats,
// 4 doubles) from the block's first index b: base = the value of element b as above, then
// base + k·step (k·step rounded, then added), and the whole block takes the half of b. Checked
// bit for bit against torch.linspace.
template <class T>
void linspace_into(T* p, double start, double end, std::int64_t steps) {
  if (steps == 1) p[0] = static_cast<T>(start);
  if (steps <= 1) return;
  const T s = static_cast<T>(start), e = static_cast<T>(end);
  const T step = (e - s) / static_cast<T>(steps - 1);
  const std::int64_t half = steps / 2;
  auto element = [&](std::int64_t i) {
    return i < half ? std::fma(step, static_cast<T>(i), s) : std::fma(-step, static_cast<T>(steps - i - 1), e);
  };
  constexpr std::int64_t kBlock = 32 / sizeof(T);  // Vectorized<T>::size() with AVX2
  T offsets[kBlock];                                // k·step, rounded on its own (never fused into the add)
  for (std::int64_t k = 0; k < kBlock; ++k) offsets[k] = static_cast<T>(k) * step;
  const std::int64_t blocked = steps / (2 * kBlock) * (2 * kBlock);
  for (std::int64_t b = 0; b < blocked; b += kBlock) {
    const T base = element(b);
    for (std::int64_t k = 0; k < kBlock; ++k) p[b + k] = base + offsets[k];
  }
  for (std::int64_t i = blocked; i < steps; ++i) p[i] = element(i);
}
}  // namespace

Tensor linspace(double start, double end, std::int64_t steps, const TensorOptions& options) {
  if (steps < 0) throw ValueError("linspace: number of steps must be non-negative, got " + std::to_string(steps));
  const DType dtype = options.dtype_or(DType::Float32);
  if (!is_floating_point(dtype)) {
    throw TypeError("linspace: expects a float32 or float64 dtype, got " + std::string(to_string(dtype)));
  }
  Tensor t = make_tensor({steps}, dtype, options.device());
  HostWrite host(t);
  if (dtype == DType::Float64) linspace_into(host.data<double>(), start, end, steps);
  else linspace_into(host.data<float>(), start, end, steps);
  host.commit();
  return finish(t, options);
}

Tensor rand(const Shape& shape, const TensorOptions& options) { return rand(shape, default_generator(), options); }
Tensor rand(const Shape& shape, Generator& generator, const TensorOptions& options) {
  const DType dtype = options.dtype_or(DType::Float32);
  if (!is_floating_point(dtype)) {  // as torch: no uniform integers
    throw TypeError("rand: expects a float32 or float64 dtype, got " + std::string(to_string(dtype)));
  }
  Tensor t = make_tensor(shape, dtype, options.device());
  t.uniform_(0.0, 1.0, generator);
  return finish(t, options);
}

Tensor randn(const Shape& shape, const TensorOptions& options) { return randn(shape, default_generator(), options); }
Tensor randn(const Shape& shape, Generator& generator, const TensorOptions& options) {
  const DType dtype = options.dtype_or(DType::Float32);
  if (!is_floating_point(dtype)) {
    throw TypeError("randn: expects a float32 or float64 dtype, got " + std::string(to_string(dtype)));
  }
  Tensor t = make_tensor(shape, dtype, options.device());
  t.normal_(0.0, 1.0, generator);
  return finish(t, options);
}

Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, const TensorOptions& options) {
  return randint(low, high, shape, default_generator(), options);
}
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& generator,
               const TensorOptions& options) {
  if (!(low < high)) {
    throw ValueError("randint: expects low < high, got low=" + std::to_string(low) + " high=" + std::to_string(high));
  }
  // torch's random_from_to on the CPU: each element (random() % range) + low, with a 64-bit draw
  // when the range needs more than 32 bits.
  const auto range = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
  std::vector<std::int64_t> values(static_cast<std::size_t>(numel_of(shape)));
  for (std::int64_t& v : values) {
    const std::uint64_t draw = range >= (std::uint64_t{1} << 32) ? generator.random64() : generator.random();
    v = static_cast<std::int64_t>(draw % range + static_cast<std::uint64_t>(low));
  }
  Tensor t = from_vector(values, shape).to(options.device());
  return finish(t.to(options.dtype_or(DType::Int64)), options);
}

Tensor randperm(std::int64_t n, const TensorOptions& options) { return randperm(n, default_generator(), options); }
Tensor randperm(std::int64_t n, Generator& generator, const TensorOptions& options) {
  if (n < 0) throw ValueError("randperm: n must be non-negative, got " + std::to_string(n));
  // torch's randperm_cpu: r = 0 .. n−1, then for i < n − 1 swap r[i] and r[i + random() % (n − i)]
  std::vector<std::int64_t> r(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) r[static_cast<std::size_t>(i)] = i;
  for (std::int64_t i = 0; i + 1 < n; ++i) {
    const auto z = static_cast<std::int64_t>(generator.random() % static_cast<std::uint64_t>(n - i));
    std::swap(r[static_cast<std::size_t>(i)], r[static_cast<std::size_t>(i + z)]);
  }
  Tensor t = from_vector(r, {n}).to(options.device());
  return finish(t.to(options.dtype_or(DType::Int64)), options);
}

namespace {
template <class T>
Tensor from_values(const T* values, std::size_t count, const Shape& shape, DType dtype, const Device& device) {
  if (static_cast<std::int64_t>(count) != numel_of(shape)) {
    throw ShapeError("from_vector: " + std::to_string(count) + " values do not fill shape " + to_string(shape) +
                     " (" + std::to_string(numel_of(shape)) + " elements)");
  }
  Tensor t = make_tensor(shape, dtype, device);
  HostWrite host(t);
  std::copy(values, values + count, host.template data<T>());
  host.commit();
  return t;
}
}  // namespace

Tensor from_vector(const std::vector<float>& values, const Shape& shape, const TensorOptions& options) {
  Tensor t = from_values(values.data(), values.size(), shape, DType::Float32, options.device());
  return finish(t.to(options.dtype_or(DType::Float32)), options);
}

Tensor from_vector(const std::vector<double>& values, const Shape& shape, const TensorOptions& options) {
  Tensor t = from_values(values.data(), values.size(), shape, DType::Float64, options.device());
  return finish(t.to(options.dtype_or(DType::Float64)), options);
}

Tensor from_vector(const std::vector<std::int64_t>& values, const Shape& shape) {
  return from_values(values.data(), values.size(), shape, DType::Int64, default_device());
}

Tensor from_vector(const std::vector<bool>& values, const Shape& shape) {
  std::vector<std::int64_t> widened(values.begin(), values.end());
  return from_vector(widened, shape).to(DType::Bool);
}

namespace {
// How many list levels a nested list's items have below them (a number: none).
template <class T> constexpr std::size_t nesting = 0;
template <class T> constexpr std::size_t nesting<std::initializer_list<T>> = 1 + nesting<T>;

// The nested lists' values, row-major, appended to `flat`; the shape of one level and all below
// it, checked to be the same for every sibling (ragged lists are refused).
template <class V, class T>
void flatten_into(std::vector<V>& flat, Shape& shape, T value) {
  (void)shape;
  flat.push_back(static_cast<V>(value));
}
template <class V, class List>
void flatten_into(std::vector<V>& flat, Shape& shape, std::initializer_list<List> list) {
  Shape first;
  bool seen = false;
  for (const auto& item : list) {
    Shape inner;
    flatten_into(flat, inner, item);
    if (seen && inner != first) {
      throw ShapeError("tensor: ragged nested list (parts of shape " + to_string(first) + " and " + to_string(inner) + ")");
    }
    first = inner;
    seen = true;
  }
  if (!seen) first = Shape(nesting<List>, 0);  // an empty list: sizes 0 below it
  shape = Shape{static_cast<std::int64_t>(list.size())};
  for (const std::int64_t size : first) shape.push_back(size);
}
// Fractions are read as double (float32 unless options say float64), integers as int64.
template <class List>
Tensor tensor_of(std::initializer_list<List> list, const TensorOptions& options) {
  std::vector<double> flat;
  Shape shape;
  flatten_into(flat, shape, list);
  return from_vector(flat, shape, options.dtype(options.dtype_or(DType::Float32)));
}
template <class List>
Tensor integers_of(std::initializer_list<List> list, DType fallback, const TensorOptions& options) {
  std::vector<std::int64_t> flat;
  Shape shape;
  flatten_into(flat, shape, list);
  return finish(from_vector(flat, shape).to(options.device()).to(options.dtype_or(fallback)), options);
}
}  // namespace

Tensor tensor(std::initializer_list<double> values, const TensorOptions& options) { return tensor_of(values, options); }
Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, const TensorOptions& options) {
  return tensor_of(rows, options);
}
Tensor tensor(std::initializer_list<std::initializer_list<std::initializer_list<double>>> planes,
              const TensorOptions& options) {
  return tensor_of(planes, options);
}
Tensor tensor(std::initializer_list<int> values, const TensorOptions& options) {
  return integers_of(values, DType::Int64, options);
}
Tensor tensor(std::initializer_list<std::initializer_list<int>> rows, const TensorOptions& options) {
  return integers_of(rows, DType::Int64, options);
}
Tensor tensor(std::initializer_list<std::int64_t> values, const TensorOptions& options) {
  return integers_of(values, DType::Int64, options);
}
Tensor tensor(std::initializer_list<bool> values, const TensorOptions& options) {
  return integers_of(values, DType::Bool, options);
}

Tensor tensor(Scalar value, const TensorOptions& options) {
  const DType dtype = options.dtype_or(value.is_integral() ? DType::Int64 : DType::Float32);
  return full({}, value.to_double(), options.dtype(dtype));
}

}  // namespace ann
