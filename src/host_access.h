#pragma once
// The host's only ways to a tensor's elements (the device boundary, src/backend/backend.h):
// in place where the back end's memory is host memory (the CPU), else through its copies.
// Private to the library; users have Tensor::item, at, set, to_vector and to(Device).
#include <cstddef>
#include <vector>

#include "ann/tensor.h"

namespace ann {

/// A tensor's elements, contiguous, for the host to read while this lives.
class HostRead {
 public:
  explicit HostRead(const Tensor& t);
  template <class T> const T* data() const { return static_cast<const T*>(data_); }
  const void* bytes() const { return data_; }

 private:
  Tensor contiguous_;
  std::vector<std::byte> copy_;
  const void* data_ = nullptr;
};

/// Host memory for writing all the elements of a contiguous tensor: the tensor's own where the
/// host can reach it, else a buffer that commit() copies to the device. Uncommitted writes are
/// lost (a throw midway leaves the tensor as it was on a device, partly written on the CPU,
/// as an in-place op that fails would).
class HostWrite {
 public:
  explicit HostWrite(Tensor& t);
  template <class T> T* data() { return static_cast<T*>(data_); }
  void commit();

 private:
  Tensor tensor_;
  std::vector<std::byte> buffer_;
  void* data_ = nullptr;
};

/// Copies n bytes at `offset_bytes` into t's storage to or from host memory (one element of at
/// or set, a whole tensor): the copy entries of t's back end.
void read_bytes(const Tensor& t, std::size_t offset_bytes, void* host_dst, std::size_t n);
void write_bytes(const Tensor& t, std::size_t offset_bytes, const void* host_src, std::size_t n);

}  // namespace ann
