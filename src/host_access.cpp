#include "host_access.h"

#include "ann/error.h"
#include "backend/backend.h"
#include "tensor_impl.h"

namespace ann {

namespace {
const backend::Backend& backend_of(const Tensor& t) { return backend::backend_for(t.device()); }
std::byte* storage_bytes(const Tensor& t) { return static_cast<std::byte*>(t.impl()->storage->data()); }
}  // namespace

HostRead::HostRead(const Tensor& t) : contiguous_(t.contiguous()) {
  const backend::Backend& backend = backend_of(contiguous_);
  if (backend.host_accessible()) {
    data_ = contiguous_.impl()->raw_data();
    return;
  }
  copy_.resize(static_cast<std::size_t>(contiguous_.numel()) * element_size(contiguous_.dtype()));
  backend.copy_to_host(copy_.data(), contiguous_.impl()->raw_data(), copy_.size());
  data_ = copy_.data();
}

HostWrite::HostWrite(Tensor& t) : tensor_(t) {
  if (!t.is_contiguous()) throw ValueError("HostWrite: needs a contiguous tensor, got strides " + to_string(t.strides()));
  if (backend_of(t).host_accessible()) {
    data_ = t.impl()->raw_data();
    return;
  }
  buffer_.resize(static_cast<std::size_t>(t.numel()) * element_size(t.dtype()));
  data_ = buffer_.data();
}

void HostWrite::commit() {
  if (!buffer_.empty()) backend_of(tensor_).copy_from_host(tensor_.impl()->raw_data(), buffer_.data(), buffer_.size());
}

void read_bytes(const Tensor& t, std::size_t offset_bytes, void* host_dst, std::size_t n) {
  backend_of(t).copy_to_host(host_dst, storage_bytes(t) + offset_bytes, n);
}

void write_bytes(const Tensor& t, std::size_t offset_bytes, const void* host_src, std::size_t n) {
  backend_of(t).copy_from_host(storage_bytes(t) + offset_bytes, host_src, n);
}

}  // namespace ann
