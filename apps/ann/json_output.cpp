// JSON for the lesson's results. nlohmann stores numbers as double; a float converted to
// double would print 17 digits, so each float goes through its shortest decimal first.
#include "json_output.h"

#include <charconv>
#include <cmath>

#include "ann/io.h"

namespace ann::cli {

nlohmann::json json_number(float value) {
  if (!std::isfinite(value)) return nullptr;
  char text[32];
  const auto written = std::to_chars(text, text + sizeof text, value);
  double shortest = value;
  std::from_chars(text, written.ptr, shortest);
  // Reading the decimal as a double and then rounding to float could in principle land on a
  // neighbouring float (double rounding); the exact double of the float is always safe.
  if (static_cast<float>(shortest) != value) shortest = value;
  return shortest;
}

nlohmann::json json_array(const std::vector<float>& values) {
  nlohmann::json array = nlohmann::json::array();
  for (float v : values) array.push_back(json_number(v));
  return array;
}

nlohmann::json json_array(const Tensor& values) { return json_array(values.contiguous().to_vector<float>()); }

nlohmann::json history_json(const lesson::History& history) {
  nlohmann::json j = {{"loss", json_array(history.loss)}};
  if (!history.accuracy.empty()) j["accuracy"] = json_array(history.accuracy);
  j["seconds"] = history.seconds;
  return j;
}

double regression_seconds(const lesson::RegressionRun& run) {
  double seconds = run.linear_history.seconds;
  for (const lesson::RegressionNet& net : run.nets) seconds += net.history.seconds;
  return seconds;
}

nlohmann::json regression_json(const lesson::RegressionRun& run, bool curves) {
  nlohmann::json final_mse = nlohmann::json::array();
  nlohmann::json activations = nlohmann::json::array();
  nlohmann::json predictions = nlohmann::json::array();
  for (const lesson::RegressionNet& net : run.nets) {
    final_mse.push_back(json_number(net.history.loss.back()));
    activations.push_back(std::string(lesson::to_string(net.activation)));
    predictions.push_back(json_array(net.predictions));
  }
  nlohmann::json j = {
      {"final_mse", final_mse},
      {"activation", activations},
      {"linear_final_mse", json_number(run.linear_history.loss.back())},
      {"x", json_array(run.x_new)},
      {"predictions", predictions},
      {"std_relu", json_array(run.std_relu)},
      {"std_tanh", json_array(run.std_tanh)},
      {"var_relu", json_array(run.var_relu)},
      {"var_tanh", json_array(run.var_tanh)},
      {"seconds", regression_seconds(run)},
  };
  if (curves) {
    j["data"] = {{"X", json_array(run.data.X)}, {"y", json_array(run.data.y)}};
    j["linear"] = history_json(run.linear_history);
    nlohmann::json nets = nlohmann::json::array();
    for (const lesson::RegressionNet& net : run.nets) {
      nlohmann::json n = history_json(net.history);
      n["activation"] = std::string(lesson::to_string(net.activation));
      n["before"] = json_array(net.before);
      nets.push_back(std::move(n));
    }
    j["nets"] = std::move(nets);
  }
  return j;
}

void write_json(const std::filesystem::path& path, const nlohmann::json& document) {
  io::write_file_atomic(path, document.dump() + "\n");
}

}  // namespace ann::cli
