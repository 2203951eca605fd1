#pragma once
// What a Tensor handle points to: a view (offset, sizes, strides, dtype) of a shared
// storage, plus its autograd state. Private to the library.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <functional>
#include <utility>
#include <vector>

#include "ann/device.h"
#include "ann/dtype.h"
#include "ann/shape.h"
#include "ann/tensor.h"
#include "small_object_pool.h"

namespace ann {

namespace autograd { class Node; }

/// A block of device memory, freed by the backend that allocated it.
class Storage {
 public:
  Storage(std::size_t nbytes, const Device& device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }
  const Device& device() const { return device_; }

  /// Counts the in-place writes to this storage (through any view), as torch's version
  /// counter: a node of the autograd graph notes the versions of what it saved, and backward()
  /// refuses to run on values that changed since (src/autograd/node.cpp).
  std::uint32_t version = 0;

 private:
  void* data_ = nullptr;
  std::size_t nbytes_ = 0;
  Device device_;
};

class TensorImpl {
 public:
  TensorImpl(std::shared_ptr<Storage> storage, std::int64_t offset, Shape sizes, Shape strides, DType dtype);

  std::shared_ptr<Storage> storage;
  // The view's layout is fixed when it is made (a reshape or transpose makes a new TensorImpl),
  // so whether it is contiguous is worked out once: ops ask several times a call.
  const std::int64_t offset = 0;  // in elements
  const Shape sizes;
  const Shape strides;  // in elements
  const std::int64_t numel = 0;
  DType dtype = DType::Float32;  // changed only with the whole storage (convert_storage)

  // autograd
  bool requires_grad = false;
  Tensor grad;                               // accumulated by backward() on leaves
  std::shared_ptr<autograd::Node> grad_fn;   // the op that made this tensor; null on leaves
  bool retains_grad = false;                 // a non-leaf's grad kept (retain_grad, one of the hooks)
  std::vector<std::function<Tensor(const Tensor&)>> hooks;  // register_hook; removed ones empty
  // A view made while gradients were recorded: the tensor whose memory it reads (never itself a
  // view), and the storage version its grad_fn stands for. A write through another view of that
  // memory (recorded, libtorch's CopySlices) gives the base a new place in the graph, and the
  // view's grad_fn is then rebuilt from the base's when next asked (autograd/in_place.h).
  std::shared_ptr<TensorImpl> view_base;
  std::uint32_t view_version = 0;

  template <class T> T* data() const { return static_cast<T*>(storage->data()) + offset; }
  void* raw_data() const { return static_cast<std::byte*>(storage->data()) + offset * element_size(dtype); }
  bool is_contiguous() const { return contiguous_; }

 private:
  const bool contiguous_;
};

/// A fresh contiguous tensor of the given shape (contents uninitialised).
Tensor make_tensor(const Shape& sizes, DType dtype, const Device& device);

/// std::make_shared from the small-object pool: for TensorImpl, Storage and autograd::Node,
/// made and freed about a dozen times a training step of a small network.
template <class T, class... Args>
std::shared_ptr<T> make_pooled(Args&&... args) {
  return std::allocate_shared<T>(detail::PoolAllocator<T>(), std::forward<Args>(args)...);
}

/// Strides that read `t` as if broadcast to `out` (0 along broadcast dimensions).
Shape broadcast_strides(const Tensor& t, const Shape& out);

/// Moves the storage under `t` to `device`, keeping the tensor object: every handle to it (a
/// module's parameter, an optimizer's list) sees the new device, as torch's module.to() sets
/// param.data. Its accumulated gradient moves too. The whole storage moves, so t's view of it
/// is unchanged; other views of the old storage keep the old one.
void move_storage(const Tensor& t, const Device& device);

/// Converts the storage under `t` to element type `dtype`, keeping the tensor object, as
/// move_storage does for a device (torch's module.to(dtype)): every element of the storage is
/// converted, so t's view of it (offset and strides, in elements) is unchanged. Its accumulated
/// gradient is converted too.
void convert_storage(const Tensor& t, DType dtype);

/// Throws ValueError if `t` is undefined, else TypeError naming `op`, `expected` and t's dtype
/// and shape (check_dtype's slow path).
[[noreturn]] void throw_dtype_error(const Tensor& t, DType expected, const char* op);

/// Throws TypeError unless `t` has dtype `expected` (ValueError if undefined); `op` names the
/// caller. Inline: ops and data<T>() ask several times a call, and the check is one comparison.
inline void check_dtype(const Tensor& t, DType expected, const char* op) {
  if (!t.defined() || t.impl()->dtype != expected) throw_dtype_error(t, expected, op);
}

/// Throws ValueError if `t` is undefined; `op` names the caller.
void check_defined(const Tensor& t, const char* op);

/// What every unrecorded in-place write does first: refuses it while gradients are recorded if
/// `t` requires grad (AutogradError naming `op`: the gradient would silently be wrong), then
/// counts it in the storage's version. Kernels that write a tensor through its pointer (the
/// optimizers' fused steps) call it too; recorded ones go through autograd/in_place.h.
void begin_in_place(const Tensor& t, const char* op);
/// Counts an in-place write to t's storage without the check (an optimizer's own update).
inline void bump_version(const Tensor& t) { ++t.impl()->storage->version; }

}  // namespace ann
