#pragma once
// The safetensors container, private to the library. The format, described once:
//
//   bytes [0, 8)        N, the header length: unsigned 64-bit, little-endian
//   bytes [8, 8 + N)    the header: a UTF-8 JSON object, starting with '{', possibly padded with
//                       trailing spaces (writers pad so the data section starts 8-aligned)
//                         { "NAME": {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]},
//                           ...,
//                           "__metadata__": {"KEY": "VALUE", ...} }      (optional, strings only)
//   bytes [8 + N, EOF)  the data section: each tensor's elements, row-major, little-endian, at
//                       [BEGIN, END) relative to the start of the data section.
//
// Rules every file must follow (each is checked on load, with a message saying which failed):
//  - END − BEGIN == product(shape) × element size; shape entries are integers >= 0;
//  - sorted by offset, the tensors tile the data section exactly: the first starts at 0, each
//    next one starts where the previous ended (no overlap, no hole), the last ends at EOF
//    (no trailing bytes);
//  - tensor names are unique; "__metadata__" is not a tensor; no JSON key appears twice in an
//    object (JSON parsers would silently keep the last); the header holds no NUL byte.
// ann reads and writes the dtypes it has: F32 (float32), F64 (float64), I64 (int64), BOOL (one
// byte, 0 or 1). Other dtypes of the spec (F16, BF16, I32, U8, ...) are recognised and refused by
// name.
//
// Hostile files: sizes are checked against the bytes actually present before any tensor is
// allocated, so a lying header cannot make us allocate more than the file holds; the header
// itself is capped at 100 MB (the reference implementation's limit).
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ann/dtype.h"
#include "ann/nn/module.h"
#include "ann/serialize.h"
#include "ann/shape.h"
#include "ann/tensor.h"

namespace ann::io::safetensors {

/// Longest header we accept, in bytes.
inline constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
/// Size of the header-length field.
inline constexpr std::uint64_t kLengthBytes = 8;

/// One tensor as the header describes it; offsets are relative to the data section.
struct Entry {
  std::string name;
  DType dtype = DType::Float32;
  Shape shape;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

/// A validated header: entries sorted by offset, tiling [0, data_bytes) exactly.
struct Layout {
  std::vector<Entry> entries;
  std::map<std::string, std::string> metadata;
};

/// The spec's name of an element type: "F32", "F64", "I64", "BOOL".
constexpr std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return "F32";
    case DType::Float64:
      return "F64";
    case DType::Int64:
      return "I64";
    case DType::Bool:
      return "BOOL";
  }
  return "?";
}

/// Text from a file (a name, a metadata value, a JSON excerpt) for an error message: cut to
/// 120 bytes, since a hostile file can make it as long as it likes.
inline std::string shorten(std::string_view text) {
  constexpr std::size_t kMax = 120;
  if (text.size() <= kMax) return std::string(text);
  return std::string(text.substr(0, kMax)) + "...";  // may cut a UTF-8 sequence: it is only a message
}

/// Reads N from the first 8 bytes and checks it against the limit and the file's size;
/// `source` names the file in error messages. Throws IOError.
std::uint64_t header_length(std::string_view first_bytes, std::uint64_t file_bytes, const std::string& source);

/// Parses and validates the JSON header of a file whose data section holds `data_bytes` bytes.
/// Throws IOError naming `source` and the rule broken.
Layout parse_header(std::string_view header, std::uint64_t data_bytes, const std::string& source);

/// Copies `nbytes` bytes that start at data-section offset `offset` into `destination`.
using ReadAt = std::function<void(std::uint64_t offset, void* destination, std::size_t nbytes)>;

/// Allocates the layout's tensors and fills them through `read`; BOOL bytes other than 0 and 1
/// are refused (an IOError), since they are not valid `bool` values.
TensorFile materialise(const Layout& layout, const ReadAt& read, const std::string& source);

/// The whole file for these tensors (contiguous copies are made of strided views).
/// Throws ValueError for duplicate or reserved names and undefined tensors, naming `target`.
std::string encode(const std::vector<std::pair<std::string, Tensor>>& tensors,
                   const std::map<std::string, std::string>& metadata, const std::string& target);

// ---- shared by models and checkpoints (safetensors_model.cpp) ----------------------------------

/// Metadata key and value that mark a checkpoint, and the name prefixes of its own tensors.
inline constexpr std::string_view kKindKey = "ann.kind";
inline constexpr std::string_view kCheckpointKind = "checkpoint";
inline constexpr std::string_view kOptimizerPrefix = "optim.";
inline constexpr std::string_view kGeneratorPrefix = "generator.";

/// Whether the file is a checkpoint and `name` one of its optimizer or generator tensors.
bool is_checkpoint_extra(const TensorFile& file, const std::string& name);

/// A model parameter and the file's tensor to copy into it.
struct ParameterCopy {
  Tensor parameter;
  Tensor value;
};

/// Pairs every named parameter of `model` with the file's tensor of that name, checking
/// everything before anything is copied. Throws ValueError listing missing parameters and
/// unknown tensors (those for which `is_extra` holds belong to the caller), ShapeError naming
/// the tensor and both shapes, TypeError naming both dtypes. `op` and `source` start messages.
std::vector<ParameterCopy> match_parameters(const nn::Module& model, const TensorFile& file,
                                            const std::function<bool(const std::string&)>& is_extra,
                                            const std::string& op, const std::string& source);

/// Copies each value into its parameter, bit for bit, in place.
void copy_parameters(const std::vector<ParameterCopy>& copies);

/// match_parameters then copy_parameters, the file's checkpoint tensors allowed: a model's
/// parameters from a model or checkpoint file already read. `op` and `source` name the call and
/// the file in errors.
void load_parameters(nn::Module& model, const TensorFile& file, const std::string& op, const std::string& source);

}  // namespace ann::io::safetensors

namespace ann {

/// load_tensors on bytes already in memory (what the fuzzer drives); `source` names them in
/// error messages. Same checks, same exceptions.
TensorFile load_tensors_from_bytes(std::string_view bytes, const std::string& source = "<memory>");

}  // namespace ann
