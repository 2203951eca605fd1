// A Sequential's architecture in a model file's metadata, so that the file alone rebuilds the
// model: "ann.sequential" holds, per module, its class name and its extra_repr (the text
// PyTorch prints inside the parentheses), e.g.
//   [["Linear", "in_features=2, out_features=100, bias=True"], ["ReLU", ""], ...]
// Each kind of module ann can rebuild has a builder below that reads those arguments back.
#include <cctype>
#include <charconv>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ann/error.h"
#include "ann/generator.h"
#include "ann/nn/activation.h"
#include "ann/nn/linear.h"
#include "ann/nn/normalization.h"
#include "ann/serialize.h"
#include "io/safetensors.h"

namespace ann {

namespace st = io::safetensors;

namespace {

const std::string kKey = "ann.sequential";
// The largest model build_from_metadata makes (1 GiB of float32): the sizes come from a file,
// and a lying one must not make us allocate without bound.
constexpr double kMaxParameters = double(1 << 28);

// "in_features=2, out_features=100, bias=True" -> {in_features: 2, out_features: 100, bias: True}.
// Leading items without a name are positional, as torch prints LayerNorm's shape and
// BatchNorm1d's features: "(8,), eps=1e-05" -> {#0: (8,), eps: 1e-05}. Commas inside
// parentheses do not split.
std::map<std::string, std::string> arguments_of(const std::string& repr, const std::string& where) {
  std::map<std::string, std::string> args;
  std::size_t start = 0, positional = 0;
  while (start < repr.size()) {
    std::size_t end = start;
    for (int depth = 0; end < repr.size() && (depth > 0 || repr[end] != ','); ++end) depth += repr[end] == '(' ? 1 : repr[end] == ')' ? -1 : 0;
    std::string item = repr.substr(start, end - start);
    item.erase(0, item.find_first_not_of(' '));
    const std::size_t eq = item.find('=');
    const bool looks_positional = !item.empty() && (item.front() == '(' || std::isdigit(static_cast<unsigned char>(item.front())));
    if (eq == std::string::npos && looks_positional && args.size() == positional) {
      std::string key(1, '#');  // (appends only: GCC 12 warns falsely about "#" + std::string)
      key += std::to_string(positional++);
      args[key] = item;
    } else if (eq == std::string::npos || eq == 0) {
      throw ValueError(where + ": \"" + st::shorten(item) + "\" is not name=value");
    } else {
      args[item.substr(0, eq)] = item.substr(eq + 1);
    }
    start = end + 1;
  }
  return args;
}

struct Arguments {
  std::map<std::string, std::string> values;
  std::string where;

  std::int64_t integer(const std::string& name, std::int64_t min, std::int64_t max) const {
    const std::string& s = text(name);
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < min || v > max) {
      throw ValueError(where + ": " + name + "=" + st::shorten(s) + " is not an integer in [" + std::to_string(min) +
                       ", " + std::to_string(max) + "]");
    }
    return v;
  }
  double number(const std::string& name, double min, double max) const {
    const std::string& s = text(name);
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || !(v >= min && v <= max)) {
      throw ValueError(where + ": " + name + "=" + st::shorten(s) + " is not a number in [" + std::to_string(min) +
                       ", " + std::to_string(max) + "]");
    }
    return v;
  }
  // A Python tuple of one positive size, "(64,)": LayerNorm's normalized_shape over features.
  std::int64_t single_size_tuple(const std::string& name) const {
    const std::string& s = text(name);
    std::int64_t v = 0;
    const auto [end, ec] = s.size() > 3 && s.front() == '(' && s.ends_with(",)")
                               ? std::from_chars(s.data() + 1, s.data() + s.size() - 2, v)
                               : std::from_chars_result{s.data(), std::errc::invalid_argument};
    if (ec != std::errc() || end != s.data() + s.size() - 2 || v < 1 || v > (1 << 28)) {
      throw ValueError(where + ": " + st::shorten(s) + " is not a one-dimensional shape such as (64,)");
    }
    return v;
  }
  bool boolean(const std::string& name) const {
    const std::string& s = text(name);
    if (s != "True" && s != "False") throw ValueError(where + ": " + name + "=" + st::shorten(s) + " is not True or False");
    return s == "True";
  }
  const std::string& text(const std::string& name) const {
    const auto it = values.find(name);
    if (it == values.end()) throw ValueError(where + ": no " + name);
    return it->second;
  }
};

// A module to build, with the number of parameters it will hold (known before it is built).
struct Plan {
  std::function<nn::AnyModule()> build;
  double parameters = 0;
};
using Builder = std::function<Plan(const Arguments&)>;

template <class M>
Builder without_arguments() {
  return [](const Arguments&) { return Plan{[] { return nn::AnyModule(M()); }, 0}; };
}

const std::map<std::string, Builder>& builders() {
  static const std::map<std::string, Builder> table{
      {"Linear",
       [](const Arguments& a) {
         const std::int64_t in = a.integer("in_features", 1, 1 << 28), out = a.integer("out_features", 1, 1 << 28);
         const bool bias = a.boolean("bias");
         return Plan{[=] { return nn::AnyModule(nn::Linear(in, out, bias)); },
                     double(in) * double(out) + (bias ? double(out) : 0.0)};
       }},
      {"ReLU", without_arguments<nn::ReLU>()},
      {"Tanh", without_arguments<nn::Tanh>()},
      {"Sigmoid", without_arguments<nn::Sigmoid>()},
      {"Identity", without_arguments<nn::Identity>()},
      {"GELU", without_arguments<nn::GELU>()},
      {"SiLU", without_arguments<nn::SiLU>()},
      {"LeakyReLU",
       [](const Arguments& a) {
         const double slope = a.number("negative_slope", -1e6, 1e6);
         return Plan{[=] { return nn::AnyModule(nn::LeakyReLU(slope)); }, 0};
       }},
      {"ELU",
       [](const Arguments& a) {
         const double alpha = a.number("alpha", -1e6, 1e6);
         return Plan{[=] { return nn::AnyModule(nn::ELU(alpha)); }, 0};
       }},
      {"Softplus",
       [](const Arguments& a) {
         const double beta = a.number("beta", 1e-6, 1e6), threshold = a.number("threshold", -1e6, 1e6);
         return Plan{[=] { return nn::AnyModule(nn::Softplus(beta, threshold)); }, 0};
       }},
      {"Dropout",
       [](const Arguments& a) {
         const double p = a.number("p", 0, 1);
         return Plan{[=] { return nn::AnyModule(nn::Dropout(p)); }, 0};
       }},
      {"LayerNorm",
       [](const Arguments& a) {
         const std::int64_t features = a.single_size_tuple("#0");  // normalized_shape
         const double eps = a.number("eps", 0, 1);
         const bool affine = a.boolean("elementwise_affine");
         return Plan{[=] { return nn::AnyModule(nn::LayerNorm(features, eps, affine)); },
                     affine ? 2.0 * double(features) : 0.0};
       }},
      {"BatchNorm1d",
       [](const Arguments& a) {
         const std::int64_t features = a.integer("#0", 1, 1 << 28);  // num_features
         const double eps = a.number("eps", 1e-300, 1), momentum = a.number("momentum", 0, 1);
         const bool affine = a.boolean("affine"), track = a.boolean("track_running_stats");
         return Plan{[=] { return nn::AnyModule(nn::BatchNorm1d(features, eps, momentum, affine, track)); },
                     (affine ? 2.0 * double(features) : 0.0) + (track ? 2.0 * double(features) + 1.0 : 0.0)};
       }},
      {"Softmax",
       [](const Arguments& a) {
         const std::int64_t dim = a.integer("dim", -8, 7);
         return Plan{[=] { return nn::AnyModule(nn::Softmax(dim)); }, 0};
       }},
      {"LogSoftmax",
       [](const Arguments& a) {
         const std::int64_t dim = a.integer("dim", -8, 7);
         return Plan{[=] { return nn::AnyModule(nn::LogSoftmax(dim)); }, 0};
       }},
  };
  return table;
}

std::vector<Plan> plan(const Metadata& metadata, const std::string& op) {
  const auto it = metadata.find(kKey);
  if (it == metadata.end()) throw ValueError(op + ": the metadata has no \"" + kKey + "\" (no architecture)");
  const nlohmann::json modules = nlohmann::json::parse(it->second, nullptr, false);
  if (!modules.is_array() || modules.empty()) {
    throw ValueError(op + ": \"" + kKey + "\" is not a non-empty JSON array of [name, arguments] pairs");
  }
  std::vector<Plan> plans;
  double parameters = 0;
  for (std::size_t i = 0; i < modules.size(); ++i) {
    const nlohmann::json& m = modules[i];
    const std::string where = op + ": module " + std::to_string(i);
    if (!m.is_array() || m.size() != 2 || !m[0].is_string() || !m[1].is_string()) {
      throw ValueError(where + " is not a [name, arguments] pair of strings");
    }
    const std::string name = m[0].get<std::string>();
    const auto builder = builders().find(name);
    if (builder == builders().end()) {
      std::string known;
      for (const auto& [k, _] : builders()) known += (known.empty() ? "" : ", ") + k;
      throw ValueError(where + " is a " + st::shorten(name) + ", which ann cannot rebuild (it rebuilds " + known + ")");
    }
    plans.push_back(builder->second(Arguments{arguments_of(m[1].get<std::string>(), where + " (" + name + ")"),
                                              where + " (" + name + ")"}));
    parameters += plans.back().parameters;
    if (parameters > kMaxParameters) {
      throw ValueError(op + ": the architecture has more than 2^28 parameters, too many for a real model file");
    }
  }
  return plans;
}

// Building a model to load weights into should not shift the random stream.
nn::Sequential build(const std::vector<Plan>& plans) {
  const KeepGeneratorState keep;
  nn::Sequential model;
  for (const Plan& p : plans) model.push_back(p.build());
  return model;
}

}  // namespace

Metadata describe(const nn::Sequential& model) {
  nlohmann::json modules = nlohmann::json::array();
  for (const auto& [name, child] : model.named_children()) {
    if (!builders().contains(child->name())) {
      throw ValueError("describe: module " + name + " is a " + child->name() +
                       ", which ann cannot rebuild from a file");
    }
    modules.push_back({child->name(), child->extra_repr()});
  }
  Metadata metadata{{kKey, modules.dump()}};
  plan(metadata, "describe");  // the same checks as when it is read back
  return metadata;
}

nn::Sequential build_from_metadata(const Metadata& metadata) {
  return build(plan(metadata, "build_from_metadata"));
}

nn::Sequential load_model(const std::filesystem::path& path) {
  const TensorFile file = load_tensors(path);
  return load_model(file, file.metadata, path.string());
}

nn::Sequential load_model(const TensorFile& file, const Metadata& architecture, const std::string& source) {
  const std::vector<Plan> plans = plan(architecture, "load_model: " + source);
  // The tensors' element count is bounded by the file's size; the metadata's claim is not.
  double claimed = 0, stored = 0;
  for (const Plan& p : plans) claimed += p.parameters;
  for (const auto& [name, t] : file.tensors)
    if (!st::is_checkpoint_extra(file, name)) stored += double(t.numel());
  if (stored != claimed) {
    throw ValueError("load_model: " + source + ": the architecture has " + std::to_string(std::int64_t(claimed)) +
                     " parameters but the file holds " + std::to_string(std::int64_t(stored)) + " values");
  }
  nn::Sequential model = build(plans);
  // A model saved in float64 comes back in float64 (the architecture builds float32 modules).
  for (const auto& [name, t] : file.tensors) {
    if (!st::is_checkpoint_extra(file, name) && t.dtype() == DType::Float64) {
      model.to(DType::Float64);
      break;
    }
  }
  st::load_parameters(model, file, "load_model", source);
  return model;
}

}  // namespace ann
