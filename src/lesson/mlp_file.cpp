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

// The class name of make_mlp's activation module.
std::string module_name(Activation activation) {
  switch (activation) {
    case Activation::ReLU: return nn::ReLU().name();
    case Activation::Tanh: return nn::Tanh().name();
    case Activation::Sigmoid: return nn::Sigmoid().name();
    case Activation::None: break;
  }
  return "";
}

// The Sequential that make_mlp builds for `spec`, as ann::describe would write it. (Appends
// only: GCC 12 warns falsely about "literal" + std::string.)
Metadata architecture_of(const MlpSpec& spec) {
  std::string modules = "[";
  auto add_linear = [&modules](std::int64_t in, std::int64_t out) {
    if (modules.size() > 1) modules += ',';
    modules += R"(["Linear","in_features=)";
    modules += std::to_string(in);
    modules += ", out_features=";
    modules += std::to_string(out);
    modules += R"(, bias=True"])";
  };
  auto add_activation = [&modules, &spec] {
    if (spec.activation == Activation::None) return;
    modules += R"(,[")";
    modules += module_name(spec.activation);
    modules += R"(",""])";
  };
  add_linear(spec.in, spec.hidden);
  add_activation();
  for (std::int64_t l = 1; l < spec.layers; ++l) {
    add_linear(spec.hidden, spec.hidden);
    add_activation();
  }
  add_linear(spec.hidden, spec.out);
  modules += ']';
  return {{"ann.sequential", modules}};
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
  return build_from_metadata(architecture_of(parse_mlp(metadata, "build_mlp_from_metadata")));
}

Metadata model_architecture(const Metadata& metadata, const std::string& op) {
  const auto own = metadata.find("ann.sequential");
  if (own != metadata.end()) return {*own};
  return architecture_of(parse_mlp(metadata, op));
}

nn::Sequential load_mlp(const std::filesystem::path& path) {
  const std::string source = path.string();
  const TensorFile file = load_tensors(path);
  return load_model(file, architecture_of(parse_mlp(file.metadata, "load_mlp: " + source)), source);
}

}  // namespace ann
