// libFuzzer target for the safetensors reader: arbitrary bytes must load or throw an ann::Error,
// never crash, hang, leak or trip a sanitizer. Whatever loads must also survive a write and a
// second read unchanged (the reader and the writer agree on the format).
// Build and run: see tests/fuzz/README.md.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ann/error.h"
#include "ann/serialize.h"
#include "io/safetensors.h"

namespace {

// The elements' bytes, whatever the dtype (loaded tensors are contiguous with their own storage).
std::string raw(const ann::Tensor& t) {
  std::string out;
  switch (t.dtype()) {
    case ann::DType::Float32: {
      const std::vector<float> v = t.to_vector<float>();
      out.assign(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
      break;
    }
    case ann::DType::Float64: {
      const std::vector<double> v = t.to_vector<double>();
      out.assign(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double));
      break;
    }
    case ann::DType::Int64: {
      const std::vector<std::int64_t> v = t.to_vector<std::int64_t>();
      out.assign(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(std::int64_t));
      break;
    }
    case ann::DType::Bool:
      for (bool b : t.to_vector<bool>()) out.push_back(b ? '\1' : '\0');
      break;
  }
  return out;
}

bool same(const ann::TensorFile& a, const ann::TensorFile& b) {
  if (a.metadata != b.metadata || a.tensors.size() != b.tensors.size()) return false;
  for (const auto& [name, t] : a.tensors) {
    const auto it = b.tensors.find(name);
    if (it == b.tensors.end()) return false;
    const ann::Tensor& u = it->second;
    if (t.dtype() != u.dtype() || t.sizes() != u.sizes() || raw(t) != raw(u)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ann::TensorFile file;
  try {
    file = ann::load_tensors_from_bytes(bytes, "<fuzz input>");
  } catch (const ann::Error&) {
    return 0;  // refused with a message: the expected outcome for most inputs
  }
  // Outside the try: an exception from here on is a bug, and libFuzzer reports it as a crash.
  const std::vector<std::pair<std::string, ann::Tensor>> tensors(file.tensors.begin(), file.tensors.end());
  const std::string again = ann::io::safetensors::encode(tensors, file.metadata, "<fuzz re-encode>");
  if (!same(file, ann::load_tensors_from_bytes(again, "<fuzz re-encode>"))) __builtin_trap();
  return 0;
}
