#pragma once
// The lesson's results as JSON values, and writing a JSON document to a file.
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "ann/lesson.h"
#include "ann/tensor.h"

namespace ann::cli {

/// A float32 as the JSON number with the fewest digits that reads back as the same float
/// (0.8615 rather than 0.86150002479553223). Non-finite values become null, as JSON has no NaN.
nlohmann::json json_number(float value);
nlohmann::json json_array(const std::vector<float>& values);
/// The elements of a float tensor in row-major order, flattened.
nlohmann::json json_array(const Tensor& values);

/// {"loss": [...], "accuracy": [...] (classification only), "seconds"}.
nlohmann::json history_json(const lesson::History& history);

/// The ensembles' results: "final_mse" per net, "x" (x_new), "predictions" per net, the
/// spread per family ("std_relu", "std_tanh", "var_relu", "var_tanh"), "seconds" of training;
/// with `curves`, also the data, the linear model and every net's loss curve and its
/// predictions before training (what the figures need).
nlohmann::json regression_json(const lesson::RegressionRun& run, bool curves);

/// Training time of every run of a regression experiment, the linear model's included.
double regression_seconds(const lesson::RegressionRun& run);

/// Writes `document` (with a final newline) through io::write_file_atomic.
void write_json(const std::filesystem::path& path, const nlohmann::json& document);

}  // namespace ann::cli
