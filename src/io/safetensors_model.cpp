// Models in safetensors files: parameters under their state_dict names (so the file loads into
// the equivalent torch model with load_state_dict), and the metadata that lets ann rebuild the
// lesson's MLP from the file alone.
#include <charconv>
#include <cstdio>
#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "ann/error.h"
#include "ann/serialize.h"
#include "io/safetensors.h"
#include "tensor_impl.h"

namespace ann::io::safetensors {

namespace {

// The first few names, quoted and cut short: a hostile file with thousands of strays, or
// very long names, should not make a huge message.
std::string quoted_list(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 10;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kShown; ++i) out += (i ? ", \"" : "\"") + shorten(names[i]) + "\"";
  if (names.size() > kShown) out += " and " + std::to_string(names.size() - kShown) + " more";
  return out;
}

}  // namespace

bool is_checkpoint_extra(const TensorFile& file, const std::string& name) {
  const auto kind = file.metadata.find(std::string(kKindKey));
  if (kind == file.metadata.end() || kind->second != kCheckpointKind) return false;
  return name.starts_with(kOptimizerPrefix) || name.starts_with(kGeneratorPrefix);
}

std::vector<ParameterCopy> match_parameters(const nn::Module& model, const TensorFile& file,
                                            const std::function<bool(const std::string&)>& is_extra,
                                            const std::string& op, const std::string& source) {
  const std::string prefix = op + ": " + source + ": ";
  const auto parameters = model.named_parameters();
  std::vector<std::string> missing, unknown;
  std::set<std::string> known;
  for (const auto& [name, p] : parameters) {
    known.insert(name);
    if (!file.tensors.contains(name)) missing.push_back(name);
  }
  for (const auto& [name, t] : file.tensors) {
    if (!known.contains(name) && !is_extra(name)) unknown.push_back(name);
  }
  if (!missing.empty() || !unknown.empty()) {
    std::string what = "the file does not match the model:";
    if (!missing.empty()) what += " it lacks the parameters " + quoted_list(missing) + ";";
    if (!unknown.empty()) what += " it has unexpected tensors " + quoted_list(unknown) + ";";
    what.pop_back();
    throw ValueError(prefix + what);
  }
  std::vector<ParameterCopy> copies;
  for (const auto& [name, p] : parameters) {
    const Tensor& value = file.tensors.at(name);
    if (value.sizes() != p.sizes()) {
      throw ShapeError(prefix + "tensor \"" + name + "\" has shape " + to_string(value.sizes()) + " in the file but " +
                       to_string(p.sizes()) + " in the model");
    }
    if (value.dtype() != p.dtype()) {
      throw TypeError(prefix + "tensor \"" + name + "\" is " + std::string(to_string(value.dtype())) +
                      " in the file but " + std::string(to_string(p.dtype())) + " in the model");
    }
    copies.push_back({p, value});
  }
  return copies;
}

void copy_parameters(const std::vector<ParameterCopy>& copies) {
  for (const auto& [parameter, value] : copies) {
    Tensor target = parameter;
    // memcpy rather than copy_, which goes through float arithmetic: -0.0 and NaN payloads
    // must survive, or a resumed run would not be bit-identical.
    if (target.is_contiguous()) {
      std::memcpy(target.impl()->raw_data(), value.impl()->raw_data(),
                  static_cast<std::size_t>(value.numel()) * element_size(value.dtype()));
    } else {
      target.copy_(value);
    }
  }
}

}  // namespace ann::io::safetensors

namespace ann {

namespace st = io::safetensors;

namespace {

// The largest model build_mlp_from_metadata makes (1 GiB of float32): the sizes come from a
// file, and a lying one must not make us allocate without bound.
constexpr double kMaxMlpParameters = double(1 << 28);

struct MlpSpec {
  std::int64_t in = 0, hidden = 0, layers = 0, out = 0;
  lesson::Activation activation = lesson::Activation::ReLU;

  double parameter_count() const {
    const double h = double(hidden);
    return double(in) * h + h + double(layers - 1) * (h * h + h) + h * double(out) + double(out);
  }
};

// A parameter count, which may exceed int64 when the metadata lies.
std::string count_text(double count) {
  char buffer[400];
  std::snprintf(buffer, sizeof buffer, "%.0f", count);
  return buffer;
}

const std::string& require(const Metadata& metadata, const char* key, const std::string& op) {
  const auto it = metadata.find(key);
  if (it == metadata.end()) {
    throw ValueError(op + ": metadata lacks \"" + key +
                     "\" (the file needs describe_mlp's metadata to rebuild its model)");
  }
  return it->second;
}

std::int64_t positive(const Metadata& metadata, const char* key, const std::string& op) {
  const std::string& text = require(metadata, key, op);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1) {
    throw ValueError(op + ": metadata \"" + key + "\" is \"" + st::shorten(text) + "\", not a positive integer");
  }
  return value;
}

MlpSpec parse_mlp(const Metadata& metadata, const std::string& op) {
  const std::string& arch = require(metadata, "ann.arch", op);
  if (arch != "mlp")
    throw ValueError(op + ": metadata \"ann.arch\" is \"" + st::shorten(arch) + "\"; only \"mlp\" can be built");
  MlpSpec spec;
  spec.in = positive(metadata, "ann.in", op);
  spec.hidden = positive(metadata, "ann.hidden", op);
  spec.layers = positive(metadata, "ann.layers", op);
  spec.out = positive(metadata, "ann.out", op);
  try {
    spec.activation = lesson::parse_activation(require(metadata, "ann.activation", op));
  } catch (const ValueError& e) {
    throw ValueError(op + ": metadata \"ann.activation\": " + e.what());
  }
  if (spec.parameter_count() > kMaxMlpParameters) {
    throw ValueError(op + ": metadata describes an MLP of " + count_text(spec.parameter_count()) +
                     " parameters, more than the limit of 2^28");
  }
  return spec;
}

// Restores the global generator's state on every exit from the scope.
class KeepGeneratorState {
 public:
  KeepGeneratorState() : saved_(default_generator().state()) {}
  KeepGeneratorState(const KeepGeneratorState&) = delete;
  KeepGeneratorState& operator=(const KeepGeneratorState&) = delete;
  ~KeepGeneratorState() { default_generator().set_state(saved_); }

 private:
  Generator::State saved_;
};

nn::Sequential build(const MlpSpec& spec) {
  const KeepGeneratorState keep;
  return lesson::make_mlp(spec.in, spec.hidden, spec.layers, spec.out, spec.activation);
}

void load_into(nn::Module& model, const TensorFile& file, const std::string& op, const std::string& source) {
  const auto extra = [&file](const std::string& name) { return st::is_checkpoint_extra(file, name); };
  st::copy_parameters(st::match_parameters(model, file, extra, op, source));
}

}  // namespace

void save(const nn::Module& model, const std::filesystem::path& path, const Metadata& metadata) {
  Metadata all = metadata;
  all.emplace("format", "pt");  // safetensors.torch's loaders look for it
  save_tensors(model.named_parameters(), path, all);
}

void load(nn::Module& model, const std::filesystem::path& path) {
  load_into(model, load_tensors(path), "load", path.string());
}

Metadata describe_mlp(std::int64_t in, std::int64_t hidden, std::int64_t layers, std::int64_t out,
                      lesson::Activation activation) {
  Metadata metadata{{"ann.arch", "mlp"},
                    {"ann.in", std::to_string(in)},
                    {"ann.hidden", std::to_string(hidden)},
                    {"ann.layers", std::to_string(layers)},
                    {"ann.out", std::to_string(out)},
                    {"ann.activation", std::string(lesson::to_string(activation))}};
  parse_mlp(metadata, "describe_mlp");  // the same checks as when it is read back
  return metadata;
}

nn::Sequential build_mlp_from_metadata(const Metadata& metadata) {
  return build(parse_mlp(metadata, "build_mlp_from_metadata"));
}

nn::Sequential load_mlp(const std::filesystem::path& path) {
  const std::string source = path.string();
  const TensorFile file = load_tensors(path);
  const MlpSpec spec = parse_mlp(file.metadata, "load_mlp: " + source);
  // The tensors' element count is bounded by the file's size; the metadata's claim is not.
  // Comparing the two first means a lying file cannot make us build a huge model.
  double stored = 0;
  for (const auto& [name, t] : file.tensors) {
    if (!st::is_checkpoint_extra(file, name)) stored += double(t.numel());
  }
  if (stored != spec.parameter_count()) {
    throw ValueError("load_mlp: " + source + ": the metadata describes an MLP of " +
                     count_text(spec.parameter_count()) + " parameters but the file holds " + count_text(stored) +
                     " values");
  }
  nn::Sequential model = build(spec);
  load_into(model, file, "load_mlp", source);
  return model;
}

}  // namespace ann
