#pragma once
// A network trained on a table (`ann train`), with everything a prediction needs besides its
// weights: the feature columns' names and standardisation, the target's name, and for a
// classifier its class names (index i is class i), for a regression the target's scale. One
// .safetensors file holds it all; its tensors are the network's state_dict, so PyTorch loads
// the weights as it loads any ann model, and the rest is in the file's metadata.
//
//   ann::TabularModel m = ann::load_tabular_model("iris.safetensors");
//   ann::Tensor p = m.predict(X);   // [N, classes] probabilities, columns in m.class_names' order
#include <filesystem>
#include <string>
#include <vector>

#include "ann/data/standardize.h"
#include "ann/nn/sequential.h"
#include "ann/serialize.h"

namespace ann {

struct TabularModel {
  nn::Sequential network;                 ///< takes standardised features, gives logits or a standardised target
  std::vector<std::string> feature_names;  ///< the input columns, in the network's order
  std::string target;                      ///< the predicted column's name
  bool classification = true;
  std::vector<std::string> class_names;  ///< classification: sorted, index i is class i
  data::Standardizer features;           ///< applied to the inputs
  data::Standardizer target_scale;       ///< regression: the network predicts (y − mean) / scale

  /// X [N, features] in the table's units → classification: softmax probabilities
  /// [N, classes]; regression: predictions [N, 1] in the target's units. Evaluation mode, no
  /// gradient. ShapeError for another column count.
  Tensor predict(const Tensor& X);
};

/// The metadata that describes everything but the network's architecture and weights
/// ("ann.table", JSON). Throws ValueError for an inconsistent model (name counts that do not
/// match the standardisation, fewer than two classes).
Metadata describe(const TabularModel& model);

/// Saves the network (ann::save with its architecture) and describe(model), atomically.
void save(const TabularModel& model, const std::filesystem::path& path);

/// Whether a model file's metadata is a tabular model's.
bool is_tabular(const Metadata& metadata);

/// The model save() wrote. ValueError naming the key for a file without or with malformed
/// "ann.table"; the errors of load_model for the network.
TabularModel load_tabular_model(const std::filesystem::path& path);
/// The same for a file already read; `source` names it in errors.
TabularModel load_tabular_model(const TensorFile& file, const std::string& source);

}  // namespace ann
