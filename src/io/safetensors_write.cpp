// save_tensors: the whole file is built in memory, then handed to write_file_atomic, so a
// crash never leaves a half-written file behind. The layout is the one in safetensors.h, with
// the tensors in the caller's order (same call, same bytes) and the header padded with spaces
// to a multiple of 8, so that the data section starts 8-aligned as the reference writer's does.
#include <bit>
#include <cstring>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "ann/error.h"
#include "ann/io.h"
#include "ann/serialize.h"
#include "io/safetensors.h"
#include "tensor_impl.h"

namespace ann::io::safetensors {

static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

std::string encode(const std::vector<std::pair<std::string, Tensor>>& tensors,
                   const std::map<std::string, std::string>& metadata, const std::string& target) {
  auto bad = [&target](const std::string& what) { return ValueError("save_tensors: " + target + ": " + what); };
  // ordered_json keeps the tensors in the caller's order, so the same call gives the same bytes
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> contiguous;
  contiguous.reserve(tensors.size());
  std::set<std::string_view> names;
  std::uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__") throw bad("\"__metadata__\" is reserved and cannot name a tensor");
    if (!names.insert(name).second) throw bad("two tensors are named \"" + name + "\"");
    if (!tensor.defined()) throw bad("tensor \"" + name + "\" is undefined");
    Tensor t = tensor.detach().to(Device()).contiguous();  // read on the host
    const std::uint64_t nbytes = static_cast<std::uint64_t>(t.numel()) * element_size(t.dtype());
    header[name] = {
        {"dtype", dtype_name(t.dtype())}, {"shape", t.sizes()}, {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
    contiguous.push_back(std::move(t));
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {  // names and metadata must be valid UTF-8
    throw bad(std::string("a tensor name or metadata string is not valid UTF-8: ") + e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');

  std::string out;
  out.reserve(kLengthBytes + text.size() + offset);
  for (std::size_t i = 0; i < kLengthBytes; ++i) out.push_back(static_cast<char>((text.size() >> (8 * i)) & 0xff));
  out += text;
  for (const Tensor& t : contiguous) {
    const auto* bytes = static_cast<const char*>(t.impl()->raw_data());
    out.append(bytes, static_cast<std::size_t>(t.numel()) * element_size(t.dtype()));
  }
  return out;
}

}  // namespace ann::io::safetensors

namespace ann {

void save_tensors(const std::vector<std::pair<std::string, Tensor>>& tensors, const std::filesystem::path& path,
                  const Metadata& metadata) {
  io::write_file_atomic(path, io::safetensors::encode(tensors, metadata, path.string()));
}

}  // namespace ann
