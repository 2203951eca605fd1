// A tabular model's file: the network as any Sequential (architecture and state_dict), plus one
// metadata entry, "ann.table", a JSON object:
//   {"features": [names], "target": name, "task": "classify" | "regress",
//    "classes": [names] (classify), "feature_mean": [...], "feature_scale": [...],
//    "target_mean": [m], "target_scale": [s] (regress)}
// Floats are written as JSON numbers of the float64 that holds them exactly, so they read back
// bit for bit.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/ops.h"
#include "ann/tabular.h"

namespace ann {

namespace {

const std::string kKey = "ann.table";

nlohmann::json numbers(const std::vector<float>& values) {
  nlohmann::json array = nlohmann::json::array();
  for (float v : values) array.push_back(static_cast<double>(v));
  return array;
}

struct Reader {
  const nlohmann::json& table;
  std::string where;

  const nlohmann::json& field(const std::string& name) const {
    if (!table.contains(name)) throw ValueError(where + ": \"" + kKey + "\" has no \"" + name + "\"");
    return table.at(name);
  }
  std::vector<std::string> strings(const std::string& name) const {
    const nlohmann::json& f = field(name);
    std::vector<std::string> out;
    if (f.is_array())
      for (const nlohmann::json& s : f)
        if (s.is_string()) out.push_back(s.get<std::string>());
    if (!f.is_array() || out.size() != f.size() || out.empty()) {
      throw ValueError(where + ": \"" + kKey + "\"." + name + " is not a non-empty list of names");
    }
    return out;
  }
  std::vector<float> floats(const std::string& name) const {
    const nlohmann::json& f = field(name);
    std::vector<float> out;
    if (f.is_array())
      for (const nlohmann::json& v : f)
        if (v.is_number()) out.push_back(static_cast<float>(v.get<double>()));
    if (!f.is_array() || out.size() != f.size()) throw ValueError(where + ": \"" + kKey + "\"." + name + " is not a list of numbers");
    return out;
  }
  data::Standardizer standardizer(const std::string& prefix) const {
    try {
      return data::Standardizer(floats(prefix + "_mean"), floats(prefix + "_scale"));
    } catch (const ValueError& e) {
      throw ValueError(where + ": \"" + kKey + "\"." + prefix + ": " + e.what());
    }
  }
};

}  // namespace

Tensor TabularModel::predict(const Tensor& X) {
  NoGradGuard no_grad;
  network.eval();
  const Tensor output = network(features.transform(X));
  return classification ? softmax(output, 1) : target_scale.inverse_transform(output);
}

Metadata describe(const TabularModel& m) {
  const auto fail = [](const std::string& what) { throw ValueError("describe(TabularModel): " + what); };
  if (m.feature_names.empty()) fail("no feature names");
  if (static_cast<std::int64_t>(m.feature_names.size()) != m.features.columns()) {
    fail(std::to_string(m.feature_names.size()) + " feature names but a standardisation of " +
         std::to_string(m.features.columns()) + " columns");
  }
  nlohmann::json table{{"features", m.feature_names},
                       {"target", m.target},
                       {"task", m.classification ? "classify" : "regress"},
                       {"feature_mean", numbers(m.features.mean())},
                       {"feature_scale", numbers(m.features.scale())}};
  if (m.classification) {
    if (m.class_names.size() < 2) fail("a classifier needs at least two class names");
    table["classes"] = m.class_names;
  } else {
    if (m.target_scale.columns() != 1) fail("a regression needs a one-column target scale");
    table["target_mean"] = numbers(m.target_scale.mean());
    table["target_scale"] = numbers(m.target_scale.scale());
  }
  Metadata metadata = describe(m.network);
  metadata[kKey] = table.dump();
  return metadata;
}

void save(const TabularModel& model, const std::filesystem::path& path) { save(model.network, path, describe(model)); }

bool is_tabular(const Metadata& metadata) { return metadata.contains(kKey); }

TabularModel load_tabular_model(const std::filesystem::path& path) {
  return load_tabular_model(load_tensors(path), path.string());
}

TabularModel load_tabular_model(const TensorFile& file, const std::string& source) {
  const std::string where = "load_tabular_model: " + source;
  const auto it = file.metadata.find(kKey);
  if (it == file.metadata.end()) throw ValueError(where + ": not a tabular model (no \"" + kKey + "\" metadata)");
  const nlohmann::json table = nlohmann::json::parse(it->second, nullptr, false);
  if (!table.is_object()) throw ValueError(where + ": \"" + kKey + "\" is not a JSON object");
  const Reader read{table, where};

  TabularModel m;
  m.feature_names = read.strings("features");
  if (!read.field("target").is_string()) throw ValueError(where + ": \"" + kKey + "\".target is not a name");
  m.target = read.field("target").get<std::string>();
  const nlohmann::json& task = read.field("task");
  if (task != "classify" && task != "regress") throw ValueError(where + ": \"" + kKey + "\".task is not classify or regress");
  m.classification = task == "classify";
  m.features = read.standardizer("feature");
  if (m.features.columns() != static_cast<std::int64_t>(m.feature_names.size())) {
    throw ValueError(where + ": " + std::to_string(m.feature_names.size()) + " features but a standardisation of " +
                     std::to_string(m.features.columns()));
  }
  if (m.classification) {
    m.class_names = read.strings("classes");
    if (m.class_names.size() < 2) throw ValueError(where + ": a classifier with fewer than two classes");
  } else {
    m.target_scale = read.standardizer("target");
    if (m.target_scale.columns() != 1) throw ValueError(where + ": the target scale is not one column");
  }
  m.network = load_model(file, file.metadata, source);
  // The network must fit the names: inputs = features, outputs = classes (or 1).
  const auto parameters = m.network.named_parameters();
  const std::int64_t in = parameters.front().second.size(-1);
  const std::int64_t out = parameters.back().second.size(0);
  const auto expected_out = static_cast<std::int64_t>(m.classification ? m.class_names.size() : 1);
  if (in != m.features.columns() || out != expected_out) {
    throw ValueError(where + ": the network maps " + std::to_string(in) + " inputs to " + std::to_string(out) +
                     " outputs, but the table has " + std::to_string(m.features.columns()) + " features and " +
                     std::to_string(expected_out) + (m.classification ? " classes" : " target"));
  }
  return m;
}

}  // namespace ann
