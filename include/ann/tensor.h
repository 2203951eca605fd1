#pragma once
// ann::Tensor — an N-d array that records the operations made on it, so that
// backward() can compute gradients (reverse-mode autograd).
//
//   ann::Tensor x = ann::randn({3000, 2});
//   ann::Tensor w = ann::zeros({2, 3}).requires_grad_();
//   ann::Tensor loss = ann::matmul(x, w).relu().sum();
//   loss.backward();                 // w.grad() now holds dloss/dw
//
// Memory: a Tensor is a cheap handle. Views (view, reshape, transpose, slice, operator[])
// share the storage of the tensor they come from; clone() and contiguous() copy.
// Storage is row-major; a view may have other strides, and operations that need
// contiguous data make a contiguous copy themselves.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "ann/device.h"
#include "ann/dtype.h"
#include "ann/scalar.h"
#include "ann/shape.h"

namespace ann {

class TensorImpl;
class Generator;
namespace indexing { class TensorIndex; }

/// Options for creating a tensor, libtorch's TensorOptions: element type, device
/// (default_device() unless given), and whether it requires grad. Each setter returns a copy:
///   zeros({2}, TensorOptions().dtype(kFloat64).requires_grad(true))
///   zeros({2}, dtype(kFloat64).requires_grad(true))        (the same, from the free functions)
///   zeros({2}, kFloat64), zeros({2}, x.dtype())             (just a dtype)
/// Without a dtype each creation function takes libtorch's: float32, or int64 where the values
/// are integers (tensor({0, 2, 1}), arange(5), randint, randperm).
class TensorOptions {
 public:
  TensorOptions() = default;
  /// Just a dtype or a device, as libtorch's implicit conversions: zeros({2}, t.dtype()).
  TensorOptions(DType dtype) : dtype_(dtype) {}                   // NOLINT(google-explicit-constructor)
  TensorOptions(const Device& device) : device_(device) {}        // NOLINT(google-explicit-constructor)

  TensorOptions dtype(DType value) const {
    TensorOptions o = *this;
    o.dtype_ = value;
    return o;
  }
  TensorOptions device(const Device& value) const {
    TensorOptions o = *this;
    o.device_ = value;
    return o;
  }
  TensorOptions requires_grad(bool value) const {
    TensorOptions o = *this;
    o.requires_grad_ = value;
    return o;
  }

  /// The dtype given, else float32 (libtorch's default dtype).
  DType dtype() const { return dtype_.value_or(DType::Float32); }
  bool has_dtype() const { return dtype_.has_value(); }
  /// The dtype given, else `fallback` (the creation function's own default).
  DType dtype_or(DType fallback) const { return dtype_.value_or(fallback); }
  const Device& device() const { return device_; }
  bool requires_grad() const { return requires_grad_; }

 private:
  std::optional<DType> dtype_;
  Device device_ = default_device();
  bool requires_grad_ = false;
};

inline DTypeName::operator TensorOptions() const { return TensorOptions().dtype(value); }

/// libtorch's free option functions: torch::dtype(torch::kFloat64).requires_grad(true).
inline TensorOptions dtype(DType value) { return TensorOptions().dtype(value); }
inline TensorOptions device(const Device& value) { return TensorOptions().device(value); }
inline TensorOptions requires_grad(bool value = true) { return TensorOptions().requires_grad(value); }

class Tensor {
 public:
  /// An undefined tensor (like a None gradient); most methods throw on it.
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl);

  // ---- description ---------------------------------------------------------------------
  /// Whether this handle refers to a tensor.
  bool defined() const { return impl_ != nullptr; }
  /// Whether both handles are the same tensor (as libtorch's is_same).
  bool is_same(const Tensor& other) const noexcept { return impl_ == other.impl_; }
  const Shape& sizes() const;
  /// Size of one dimension; negative dims count from the end.
  std::int64_t size(std::int64_t dim) const;
  const Shape& strides() const;
  std::int64_t dim() const;
  std::int64_t numel() const;
  DType dtype() const;
  /// libtorch's name for dtype().
  DType scalar_type() const { return dtype(); }
  Device device() const;
  bool is_contiguous() const;

  // ---- element access --------------------------------------------------------------------
  /// The value of a one-element tensor.
  float item() const;
  template <class T> T item() const;
  /// Element at the given indices (one per dimension), converted to T.
  template <class T = float> T at(std::initializer_list<std::int64_t> index) const;
  /// Writes one element (no autograd).
  template <class T = float> void set(std::initializer_list<std::int64_t> index, T value);
  /// Pointer to the first element in the device's memory; T must match dtype(). Mind strides
  /// on views. Only a CPU tensor's may be dereferenced by the host (as libtorch's data_ptr);
  /// item, at, set and to_vector work on every device.
  template <class T> T* data();
  template <class T> const T* data() const;
  /// libtorch's spelling of data(): the pointer, non-const, from any handle.
  template <class T> T* data_ptr() const { return const_cast<T*>(data<T>()); }
  /// The elements in row-major order, converted to T (copies).
  template <class T = float> std::vector<T> to_vector() const;

  // ---- views and copies ------------------------------------------------------------------
  /// Same storage, new shape; needs a contiguous tensor. One size may be -1.
  Tensor view(Shape shape) const;
  /// view() when possible, else a copy with the new shape.
  Tensor reshape(Shape shape) const;
  Tensor flatten() const;
  Tensor unsqueeze(std::int64_t dim) const;
  /// Removes dimension `dim` if it has size 1 (else returns the same shape, as libtorch).
  Tensor squeeze(std::int64_t dim) const;
  /// Removes every dimension of size 1.
  Tensor squeeze() const;
  Tensor transpose(std::int64_t dim0, std::int64_t dim1) const;
  /// Transpose of a 2-D tensor (a 0-D or 1-D tensor is returned as is).
  Tensor t() const;
  /// Elements start, start + step, ... before end along `dim` (a view). As libtorch: negative
  /// bounds count from the end, both are clamped into the dimension, end <= start gives an empty
  /// slice, and the step must be positive.
  Tensor slice(std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step = 1) const;
  /// Row i along the first dimension (a view with one dimension fewer).
  Tensor operator[](std::int64_t i) const;
  /// Python's x[...] with libtorch's torch::indexing (ann/indexing.h): integers, Slice, None and
  /// "..." make a view; bool masks and int64 index tensors make a copy. Differentiable.
  Tensor index(std::initializer_list<indexing::TensorIndex> indices) const;
  /// x[...] = values (broadcast to x.index(indices)'s shape) or = value, written into this
  /// tensor's memory (through views, as libtorch), recorded by autograd where in-place ops are.
  Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Tensor& values);
  Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, double value);
  // ---- more views, with libtorch's names and meanings (each shares this storage) --------
  /// Elements [start, start + length) along `dim`; ValueError when they do not all exist.
  Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
  /// Index `index` along `dim`, which disappears (x.select(0, i) is x[i]).
  Tensor select(std::int64_t dim, std::int64_t index) const;
  /// The dimensions reordered: result dimension i is this one's dims[i].
  Tensor permute(const Shape& dims) const;
  /// A broadcast view to `sizes` (-1 keeps a size; new leading dimensions allowed); sizes of 1
  /// repeat without copying (stride 0). ShapeError for a size that is neither 1 nor equal.
  Tensor expand(const Shape& sizes) const;
  /// Dimensions start_dim..end_dim merged into one.
  Tensor flatten(std::int64_t start_dim, std::int64_t end_dim = -1) const;
  /// `chunks` views along `dim` of ceil(size / chunks) elements each (the last may be smaller,
  /// and there may be fewer), as torch.chunk.
  std::vector<Tensor> chunk(std::int64_t chunks, std::int64_t dim = 0) const;
  /// The tensor tiled `repeats` times along each dimension (more repeats than dimensions add
  /// leading ones), as torch's repeat: a copy.
  Tensor repeat(const Shape& repeats) const;
  /// Views of split_size elements along `dim`, the last smaller, as torch.split; or of the
  /// sizes given, which must add up to the dimension's (torch.split with a list).
  std::vector<Tensor> split(std::int64_t split_size, std::int64_t dim = 0) const;
  std::vector<Tensor> split(const std::vector<std::int64_t>& split_sizes, std::int64_t dim = 0) const;
  /// A contiguous tensor with the same values (this one if already contiguous).
  Tensor contiguous() const;
  /// A copy with its own storage; gradients flow back to this tensor.
  Tensor clone() const;
  /// Shares storage, but is cut from the graph: no grad_fn, requires_grad false.
  Tensor detach() const;
  /// A copy converted to another element type (differentiable only float -> float).
  Tensor to(DType dtype) const;
  /// The tensor on another device (a copy; this tensor when already there); gradients flow
  /// back to this device. Throws DeviceError for a device this build lacks.
  Tensor to(const Device& device) const;
  /// To the options' device, then their dtype where they name one.
  Tensor to(const TensorOptions& options) const;
  Tensor to(DTypeName dtype) const { return to(DType(dtype)); }  // kFloat64: a DType, not options

  // ---- autograd --------------------------------------------------------------------------
  bool requires_grad() const;
  /// Marks a leaf tensor as a parameter whose gradient backward() accumulates.
  Tensor& requires_grad_(bool requires_grad = true);
  /// The accumulated gradient, or an undefined tensor before any backward().
  Tensor grad() const;
  void set_grad(const Tensor& grad);
  /// Zeroes the accumulated gradient in place (keeps it allocated), like torch's zero_grad.
  void zero_grad();
  /// Whether the tensor was created by the user rather than by a recorded operation.
  bool is_leaf() const;
  /// How many in-place writes its storage has had (torch's _version): a tensor saved for
  /// backward that changes afterwards makes backward() throw instead of using the new values.
  std::uint32_t _version() const;
  /// Name of the operation that created this tensor ("" for a leaf), e.g. "matmul".
  std::string grad_fn_name() const;
  /// Back-propagates from this tensor: every leaf x that requires grad gets
  /// x.grad <- x.grad + dthis/dx. A non-scalar needs `gradient` (same shape).
  /// The graph is freed afterwards unless retain_graph (default: create_graph). With
  /// create_graph the pass is recorded, so the gradients it accumulates can be differentiated
  /// again (as autograd::grad's, whose notes apply).
  void backward(const Tensor& gradient = Tensor(), std::optional<bool> retain_graph = std::nullopt,
                bool create_graph = false) const;
  /// Keeps this non-leaf tensor's gradient in grad() after backward (a leaf keeps it anyway).
  void retain_grad() const;
  bool retains_grad() const;
  /// Calls `hook` with this tensor's gradient whenever a backward pass (or autograd::grad)
  /// computes it, before it is used: a hook returning a Tensor replaces the gradient, one
  /// returning void only sees it. Returns a handle for remove_hook.
  template <class F>
  unsigned register_hook(F hook) const {
    if constexpr (std::is_void_v<std::invoke_result_t<F&, const Tensor&>>) {
      return add_hook([h = std::move(hook)](const Tensor& g) {
        h(g);
        return Tensor();
      });
    } else {
      return add_hook([h = std::move(hook)](const Tensor& g) { return Tensor(h(g)); });
    }
  }
  void remove_hook(unsigned handle) const;

  // ---- in-place updates ------------------------------------------------------------------
  // Each counts in the storage's version, so a tensor saved for backward that changes makes
  // backward() throw. While gradients are recorded, the arithmetic ones, masked_fill_, fill_,
  // zero_ and copy_ are recorded as libtorch's are (self takes the op's place in the graph);
  // they are refused on a leaf that requires grad and on memory that another tensor shares
  // (src/autograd/in_place.h says why). The others (uniform_, normal_, set) are refused on a
  // tensor that requires grad while recording. Under NoGradGuard all of them just write, as an
  // optimizer's update: NoGradGuard no_grad;  w.sub_(w.grad(), lr);   // w -= lr · ∇w
  // The arithmetic ones compute exactly what the out-of-place op does, broadcasting `other`
  // to this tensor's shape.
  Tensor& add_(const Tensor& other, double alpha = 1.0);
  Tensor& add_(double value);
  Tensor& sub_(const Tensor& other, double alpha = 1.0);
  Tensor& sub_(double value);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(double value);
  Tensor& div_(const Tensor& other);
  Tensor& div_(double value);
  Tensor& clamp_(std::optional<double> lo, std::optional<double> hi = std::nullopt);
  /// Writes `value` where mask (bool, broadcast to this shape) is true.
  Tensor& masked_fill_(const Tensor& mask, double value);
  /// ann::scatter and scatter_add, in place.
  Tensor& scatter_(std::int64_t dim, const Tensor& index, const Tensor& src);
  Tensor& scatter_(std::int64_t dim, const Tensor& index, double value);
  Tensor& scatter_add_(std::int64_t dim, const Tensor& index, const Tensor& src);
  /// Members, as libtorch's, so that a view takes them too: x[0] += 1.
  Tensor& operator+=(const Tensor& other) { return add_(other); }
  Tensor& operator-=(const Tensor& other) { return sub_(other); }
  Tensor& operator*=(const Tensor& other) { return mul_(other); }
  Tensor& operator/=(const Tensor& other) { return div_(other); }
  Tensor& operator+=(double value) { return add_(value); }
  Tensor& operator-=(double value) { return sub_(value); }
  Tensor& operator*=(double value) { return mul_(value); }
  Tensor& operator/=(double value) { return div_(value); }
  Tensor& fill_(double value);
  Tensor& zero_();
  /// Copies values from `src` (broadcast to this shape).
  Tensor& copy_(const Tensor& src);
  /// Draws U(from, to) exactly as torch's uniform_.
  Tensor& uniform_(double from = 0.0, double to = 1.0);
  Tensor& uniform_(double from, double to, Generator& generator);
  /// Draws N(mean, std²) exactly as torch's normal_.
  Tensor& normal_(double mean = 0.0, double std = 1.0);
  Tensor& normal_(double mean, double std, Generator& generator);

  // ---- operations as methods (see ann/ops.h for what each does) -------------------------
  Tensor matmul(const Tensor& other) const;
  Tensor dot(const Tensor& other) const;
  Tensor neg() const;
  Tensor pow(double exponent) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor abs() const;
  Tensor clamp(std::optional<double> min, std::optional<double> max = std::nullopt) const;
  Tensor clamp_min(double min) const;
  Tensor clamp_max(double max) const;
  /// This tensor with `value` where mask is true (ann::masked_fill).
  Tensor masked_fill(const Tensor& mask, double value) const;
  Tensor masked_fill(const Tensor& mask, const Tensor& value) const;
  Tensor sign() const;
  Tensor log1p() const;
  Tensor maximum(const Tensor& other) const;
  Tensor minimum(const Tensor& other) const;
  Tensor bmm(const Tensor& other) const;
  Tensor scatter(std::int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor scatter(std::int64_t dim, const Tensor& index, double value) const;
  Tensor scatter_add(std::int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor eq(const Tensor& other) const;
  Tensor ne(const Tensor& other) const;
  Tensor lt(const Tensor& other) const;
  Tensor le(const Tensor& other) const;
  Tensor gt(const Tensor& other) const;
  Tensor ge(const Tensor& other) const;
  Tensor eq(double other) const;
  Tensor ne(double other) const;
  Tensor lt(double other) const;
  Tensor le(double other) const;
  Tensor gt(double other) const;
  Tensor ge(double other) const;
  Tensor logical_not() const;
  Tensor relu() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor softmax(std::int64_t dim) const;
  Tensor log_softmax(std::int64_t dim) const;
  Tensor sum() const;
  Tensor sum(std::int64_t dim, bool keepdim = false) const;
  Tensor sum(const std::vector<std::int64_t>& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(std::int64_t dim, bool keepdim = false) const;
  Tensor mean(const std::vector<std::int64_t>& dims, bool keepdim = false) const;
  Tensor prod() const;
  Tensor prod(std::int64_t dim, bool keepdim = false) const;
  Tensor cumsum(std::int64_t dim) const;
  Tensor logsumexp(std::int64_t dim, bool keepdim = false) const;
  Tensor logsumexp(const std::vector<std::int64_t>& dims, bool keepdim = false) const;
  Tensor norm(double p = 2.0) const;
  Tensor norm(double p, const std::vector<std::int64_t>& dims, bool keepdim = false) const;
  Tensor max() const;
  std::tuple<Tensor, Tensor> max(std::int64_t dim, bool keepdim = false) const;
  Tensor min() const;
  std::tuple<Tensor, Tensor> min(std::int64_t dim, bool keepdim = false) const;
  Tensor argmax() const;
  Tensor argmax(std::int64_t dim, bool keepdim = false) const;
  Tensor argmin() const;
  Tensor argmin(std::int64_t dim, bool keepdim = false) const;
  Tensor var() const;
  Tensor var(std::int64_t dim, bool unbiased = true, bool keepdim = false) const;
  Tensor std() const;
  Tensor std(std::int64_t dim, bool unbiased = true, bool keepdim = false) const;

  /// PyTorch-style text: tensor([[0.1000, 0.2000], ...]).
  std::string str() const;

  /// The implementation object (for ann's own ops; not part of the stable API).
  const std::shared_ptr<TensorImpl>& impl() const { return impl_; }

 private:
  unsigned add_hook(std::function<Tensor(const Tensor&)> hook) const;
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// ---- creation ----------------------------------------------------------------------------
Tensor empty(const Shape& shape, const TensorOptions& options = {});
Tensor zeros(const Shape& shape, const TensorOptions& options = {});
Tensor ones(const Shape& shape, const TensorOptions& options = {});
Tensor full(const Shape& shape, double value, const TensorOptions& options = {});
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
/// The n × m identity matrix (m = n by default), as torch.eye.
Tensor eye(std::int64_t n, std::int64_t m = -1, const TensorOptions& options = {});
inline Tensor eye(std::int64_t n, const TensorOptions& options) { return eye(n, -1, options); }
/// A 0-D tensor (float32 unless options say otherwise).
Tensor scalar_tensor(double value, const TensorOptions& options = {});
/// [start, end) in steps of `step`, like torch.arange: int64 when all three are integers
/// (arange(5)), else float32 (arange(5.0), arange(0, 1, 0.1)), unless options give a dtype.
Tensor arange(Scalar start, Scalar end, Scalar step = 1, const TensorOptions& options = {});
Tensor arange(Scalar end, const TensorOptions& options = {});
inline Tensor arange(Scalar start, Scalar end, const TensorOptions& options) { return arange(start, end, 1, options); }
/// `steps` evenly spaced values from start to end inclusive, computed as torch.linspace does.
Tensor linspace(double start, double end, std::int64_t steps, const TensorOptions& options = {});
/// U[0, 1) from the global generator (or `generator`), as torch.rand; float32 or float64 (torch's
/// numbers for each), TypeError for another dtype, as torch has no uniform integers.
Tensor rand(const Shape& shape, const TensorOptions& options = {});
Tensor rand(const Shape& shape, Generator& generator, const TensorOptions& options = {});
/// N(0, 1) from the global generator (or `generator`), as torch.randn (float32 or float64).
Tensor randn(const Shape& shape, const TensorOptions& options = {});
Tensor randn(const Shape& shape, Generator& generator, const TensorOptions& options = {});

/// Integers uniform in [low, high), int64 unless options say otherwise: torch.randint's numbers
/// for the same generator state (each element one draw, modulo the range).
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, const TensorOptions& options = {});
/// From 0: torch::randint(high, size).
inline Tensor randint(std::int64_t high, const Shape& shape, const TensorOptions& options = {}) {
  return randint(0, high, shape, options);
}
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& generator,
               const TensorOptions& options = {});
/// A random permutation of 0 .. n−1 (int64), exactly torch.randperm's for the same generator
/// state: a Fisher–Yates shuffle taking n − 1 32-bit draws.
Tensor randperm(std::int64_t n, Generator& generator, const TensorOptions& options = {});
Tensor randperm(std::int64_t n, const TensorOptions& options = {});

/// Builds a tensor from values in row-major order; their count must equal the shape's.
Tensor from_vector(const std::vector<float>& values, const Shape& shape, const TensorOptions& options = {});
/// From doubles: float64 unless options say otherwise.
Tensor from_vector(const std::vector<double>& values, const Shape& shape, const TensorOptions& options = {});
Tensor from_vector(const std::vector<std::int64_t>& values, const Shape& shape);
Tensor from_vector(const std::vector<bool>& values, const Shape& shape);

/// Nested initializer lists, with libtorch's types: tensor({1.5, 2.}) and tensor({{1., 2.},
/// {3., 4.}}) are float32 (the values are read as double, so a float64 tensor keeps all their
/// digits); tensor({0, 2, 1}) is int64 and tensor({true, false}) bool; options may say otherwise.
/// A list mixing integers and fractions ({1, 2.5}) is ambiguous: write 1. (libtorch refuses it
/// when it runs).
Tensor tensor(std::initializer_list<double> values, const TensorOptions& options = {});
Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, const TensorOptions& options = {});
Tensor tensor(std::initializer_list<std::initializer_list<std::initializer_list<double>>> planes,
              const TensorOptions& options = {});
Tensor tensor(std::initializer_list<int> values, const TensorOptions& options = {});
Tensor tensor(std::initializer_list<std::initializer_list<int>> rows, const TensorOptions& options = {});
Tensor tensor(std::initializer_list<std::int64_t> values, const TensorOptions& options = {});
Tensor tensor(std::initializer_list<bool> values, const TensorOptions& options = {});
/// One number as a 0-dim tensor: torch::tensor(7.0) (float32), torch::tensor(3) (int64).
Tensor tensor(Scalar value, const TensorOptions& options = {});

}  // namespace ann
