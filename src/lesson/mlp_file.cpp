// The lesson's MLPs in model files: the metadata that describes make_mlp's network, so that
// `ann predict` and load_mlp rebuild the model from the file alone.
#include <charconv>
#include <cstdio>
#include <string>

#include "ann/error.h"
#include "ann/lesson.h"
#include "ann/mlp_file.h"
#include "ann/serialize.h"
#include "io/safetensors.h"

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

}  // namespace

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
  st::load_parameters(model, file, "load_mlp", source);
  return model;
}

}  // namespace ann
