// Models in safetensors files: parameters and buffers under their state_dict names, so the file loads into
// the equivalent torch model with load_state_dict (and the other way round).
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "ann/autograd.h"
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
  const auto parameters = model.state_dict();  // parameters and buffers
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
  NoGradGuard no_grad;  // writing parameters is not part of any graph
  for (const auto& [parameter, value] : copies) {
    // copy_ between equal element types copies bytes: -0.0 and NaN payloads survive, so a
    // resumed run is bit-identical (tests/test_resume.cpp), on whatever device the model is.
    Tensor target = parameter;
    target.copy_(value);
  }
}

void load_parameters(nn::Module& model, const TensorFile& file, const std::string& op, const std::string& source) {
  const auto extra = [&file](const std::string& name) { return is_checkpoint_extra(file, name); };
  copy_parameters(match_parameters(model, file, extra, op, source));
}

}  // namespace ann::io::safetensors

namespace ann {

namespace st = io::safetensors;

void save(const nn::Module& model, const std::filesystem::path& path, const Metadata& metadata) {
  Metadata all = metadata;
  all.emplace("format", "pt");  // safetensors.torch's loaders look for it
  save_tensors(model.state_dict(), path, all);
}

void load(nn::Module& model, const std::filesystem::path& path) {
  st::load_parameters(model, load_tensors(path), "load", path.string());
}

}  // namespace ann
