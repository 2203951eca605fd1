// Reading a safetensors header: the length field, then the JSON, checked rule by rule (the
// rules are listed in safetensors.h). Everything here works on the header's numbers only; no
// tensor is allocated until parse_header has proven that the data section holds its bytes.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "ann/error.h"
#include "io/safetensors.h"

namespace ann::io::safetensors {

namespace {

using json = nlohmann::json;

// Containers nest 3 deep in a valid header (root > tensor > shape); a little slack keeps the
// messages about malformed shapes specific, and the bound keeps hostile input cheap.
constexpr int kMaxDepth = 8;

class Problem {
 public:
  explicit Problem(const std::string& source) : prefix_("load_tensors: " + source + ": ") {}
  IOError operator()(const std::string& what) const { return IOError(prefix_ + what); }

 private:
  std::string prefix_;
};

std::string in_quotes(std::string_view s) {
  std::string out;  // appended piecewise: GCC 12 warns (-Wrestrict, falsely) on "\"" + s + "\""
  out += '"';
  out += shorten(s);
  out += '"';
  return out;
}

std::string excerpt(const json& value) { return shorten(value.dump()); }

// data_offsets as the header writes them, and a span of bytes (half-open)
std::string range(std::uint64_t begin, std::uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}
std::string bytes(std::uint64_t begin, std::uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

// The dtypes of the safetensors spec that ann has no element type for: named in the error,
// so that "F16" reads as "not supported" rather than "garbage".
bool is_other_spec_dtype(std::string_view name) {
  static constexpr std::string_view kOthers[] = {"F16", "BF16", "I32", "I16",     "I8",
                                                 "U64", "U32", "U16",  "U8",  "F8_E4M3", "F8_E5M2"};
  return std::find(std::begin(kOthers), std::end(kOthers), name) != std::end(kOthers);
}

DType parse_dtype(const json& value, const std::string& tensor, const Problem& bad) {
  if (!value.is_string()) throw bad("tensor " + in_quotes(tensor) + ": \"dtype\" is not a string: " + excerpt(value));
  const std::string& name = value.get_ref<const std::string&>();
  if (name == "F32") return DType::Float32;
  if (name == "F64") return DType::Float64;
  if (name == "I64") return DType::Int64;
  if (name == "BOOL") return DType::Bool;
  if (is_other_spec_dtype(name)) {
    throw bad("tensor " + in_quotes(tensor) + ": dtype " + shorten(name) +
              " is not supported (ann reads F32, F64, I64, BOOL)");
  }
  throw bad("tensor " + in_quotes(tensor) + ": unknown dtype " + in_quotes(name));
}

// Sizes must be integers >= 0 whose product (zeros counted as ones) fits in int64: ann's
// shape arithmetic (numel, strides) then never overflows, whatever order it multiplies in.
Shape parse_shape(const json& value, const std::string& tensor, const Problem& bad) {
  const std::string what = "tensor " + in_quotes(tensor) + ": shape " + excerpt(value);
  if (!value.is_array()) throw bad(what + " is not a list");
  if (value.size() > Shape::kMaxDims) {
    throw bad(what + " has " + std::to_string(value.size()) + " dimensions, more than the " +
              std::to_string(Shape::kMaxDims) + " a tensor may have");
  }
  Shape shape;
  std::uint64_t product = 1;
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  for (const json& size : value) {
    if (size.is_number_integer() && !size.is_number_unsigned()) {
      throw bad(what + " has the negative size " + excerpt(size));
    }
    if (!size.is_number_unsigned()) throw bad(what + " holds " + excerpt(size) + ", not an integer size");
    const auto s = size.get<std::uint64_t>();
    const std::uint64_t factor = std::max<std::uint64_t>(s, 1);
    if (s > kMax || product > kMax / factor) throw bad(what + " has too many elements (overflows 64 bits)");
    product *= factor;
    shape.push_back(static_cast<std::int64_t>(s));
  }
  return shape;
}

void parse_offsets(const json& value, Entry& entry, std::uint64_t data_bytes, const Problem& bad) {
  const std::string what = "tensor " + in_quotes(entry.name) + ": data_offsets " + excerpt(value);
  if (!value.is_array() || value.size() != 2 || !value[0].is_number_unsigned() || !value[1].is_number_unsigned()) {
    throw bad(what + " is not a pair of integers [begin, end] >= 0");
  }
  entry.begin = value[0].get<std::uint64_t>();
  entry.end = value[1].get<std::uint64_t>();
  if (entry.begin > entry.end) throw bad(what + " end before they begin");
  if (entry.end > data_bytes) {
    throw bad(what + " run past the end of the data section (" + std::to_string(data_bytes) + " bytes)");
  }
  // span == numel * size, compared by division so that no product can overflow
  const std::uint64_t span = entry.end - entry.begin;
  const std::uint64_t size = element_size(entry.dtype);
  std::uint64_t numel = 1;
  for (std::int64_t s : entry.shape) numel *= static_cast<std::uint64_t>(s);  // fits: parse_shape
  if (span % size != 0 || span / size != numel) {
    throw bad(what + " hold " + std::to_string(span) + " bytes, but " + std::string(dtype_name(entry.dtype)) +
              " shape " + to_string(entry.shape) + " needs " + std::to_string(numel) + " x " + std::to_string(size));
  }
}

Entry parse_entry(const std::string& name, const json& value, std::uint64_t data_bytes, const Problem& bad) {
  if (!value.is_object()) throw bad("tensor " + in_quotes(name) + ": description is not an object: " + excerpt(value));
  for (const auto& [key, field] : value.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      throw bad("tensor " + in_quotes(name) + ": unknown field " + in_quotes(key));
    }
  }
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!value.contains(key)) throw bad("tensor " + in_quotes(name) + ": missing " + in_quotes(key));
  }
  Entry entry;
  entry.name = name;
  entry.dtype = parse_dtype(value.at("dtype"), name, bad);
  entry.shape = parse_shape(value.at("shape"), name, bad);
  parse_offsets(value.at("data_offsets"), entry, data_bytes, bad);
  return entry;
}

std::map<std::string, std::string> parse_metadata(const json& value, const Problem& bad) {
  if (!value.is_object()) throw bad("\"__metadata__\" is not an object of strings: " + excerpt(value));
  std::map<std::string, std::string> metadata;
  for (const auto& [key, field] : value.items()) {
    if (!field.is_string()) throw bad("metadata " + in_quotes(key) + " is not a string: " + excerpt(field));
    metadata.emplace(key, field.get<std::string>());
  }
  return metadata;
}

// Sorted by offset, the tensors must tile [0, data_bytes): each starts where the last ended.
void check_tiling(std::vector<Entry>& entries, std::uint64_t data_bytes, const Problem& bad) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  std::uint64_t cursor = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.begin < cursor) {
      throw bad("tensors " + in_quotes(previous->name) + " at " + range(previous->begin, previous->end) + " and " +
                in_quotes(e.name) + " at " + range(e.begin, e.end) + " overlap");
    }
    if (e.begin > cursor) {
      throw bad("data bytes " + bytes(cursor, e.begin) + " belong to no tensor (a hole before " + in_quotes(e.name) +
                ")");
    }
    cursor = e.end;
    previous = &e;
  }
  if (cursor < data_bytes) {
    throw bad(std::to_string(data_bytes - cursor) + " trailing bytes after the last tensor (data bytes " +
              bytes(cursor, data_bytes) + " belong to no tensor)");
  }
}

// Parses while refusing duplicate keys (JSON would silently keep the last one, hiding a tensor)
// and nesting deeper than kMaxDepth.
json parse_json(std::string_view header, const Problem& bad) {
  std::set<std::string> top_keys, inner_keys;
  auto guard = [&](int depth, json::parse_event_t event, json& value) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= kMaxDepth) {
      throw bad("header nests deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    if (event == json::parse_event_t::object_start && depth == 1) inner_keys.clear();
    if (event == json::parse_event_t::key && depth <= 2) {
      std::set<std::string>& seen = depth == 1 ? top_keys : inner_keys;
      if (!seen.insert(value.get<std::string>()).second) {
        throw bad("header has the key " + in_quotes(value.get<std::string>()) + " twice");
      }
    }
    return true;
  };
  try {
    return json::parse(header.begin(), header.end(), guard);
  } catch (const json::exception& e) {
    throw bad(std::string("header is not valid JSON: ") + e.what());
  }
}

}  // namespace

std::uint64_t header_length(std::string_view first_bytes, std::uint64_t file_bytes, const std::string& source) {
  const Problem bad(source);
  if (file_bytes < kLengthBytes || first_bytes.size() < kLengthBytes) {
    throw bad("file is " + std::to_string(file_bytes) +
              " bytes, too short for the 8-byte header length (truncated, or not a safetensors file)");
  }
  std::uint64_t n = 0;  // little-endian, assembled byte by byte whatever the host's order
  for (std::size_t i = kLengthBytes; i-- > 0;) n = (n << 8) | static_cast<unsigned char>(first_bytes[i]);
  if (n > kMaxHeaderBytes) {
    throw bad("header length " + std::to_string(n) + " exceeds the " + std::to_string(kMaxHeaderBytes) +
              "-byte limit (corrupt, or not a safetensors file)");
  }
  if (n > file_bytes - kLengthBytes) {
    throw bad("header length " + std::to_string(n) + " exceeds the file size (" + std::to_string(file_bytes) +
              " bytes; truncated?)");
  }
  return n;
}

Layout parse_header(std::string_view header, std::uint64_t data_bytes, const std::string& source) {
  const Problem bad(source);
  if (header.empty() || header.front() != '{') {
    throw bad("header does not start with '{' (corrupt, or not a safetensors file)");
  }
  // nlohmann's lexer takes NUL for the end of input and would ignore whatever follows it
  if (const auto nul = header.find('\0'); nul != std::string_view::npos) {
    throw bad("header contains a NUL byte at offset " + std::to_string(nul) + " (only spaces may pad it)");
  }
  const json root = parse_json(header, bad);
  if (!root.is_object()) throw bad("header is not a JSON object");
  Layout layout;
  for (const auto& [key, value] : root.items()) {
    if (key == "__metadata__") {
      layout.metadata = parse_metadata(value, bad);
    } else {
      layout.entries.push_back(parse_entry(key, value, data_bytes, bad));
    }
  }
  check_tiling(layout.entries, data_bytes, bad);
  return layout;
}

}  // namespace ann::io::safetensors
