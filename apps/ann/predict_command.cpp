// `ann predict`: a saved model on rows read as CSV, its predictions printed as CSV.
//  - A spiral classifier (`ann spiral --save`, or a checkpoint): x,y points in; the point, the
//    predicted class and the softmax probability of every class out.
//  - A tabular model (`ann train --save`): a table with a header naming the model's feature
//    columns (in any order; other columns, such as the target, are ignored); out come the
//    features, the prediction under the target's name (a class name, or a number in the
//    target's units), and for a classifier the probability of each class as p_<class>.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "ann/autograd.h"
#include "ann/csv.h"
#include "ann/error.h"
#include "ann/mlp_file.h"
#include "ann/ops.h"
#include "ann/serialize.h"
#include "ann/tabular.h"
#include "commands.h"

namespace ann::cli {

namespace {

struct PredictOptions {
  std::string model;
  std::string input;  // empty: standard input
};

// Rows per forward pass: bounds the activations' memory whatever the input's size.
constexpr std::int64_t kChunkRows = 16384;

// The shortest text that reads back as the same float32.
void append_number(std::string& out, float value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  out.append(text, result.ptr);
}

// Input columns are named x, y for the lesson's 2-D points, x1 ... xN otherwise.
std::vector<std::string> input_names(std::int64_t in) {
  if (in == 2) return {"x", "y"};
  std::vector<std::string> names;
  for (std::int64_t i = 1; i <= in; ++i) names.push_back("x" + std::to_string(i));
  return names;
}

void write_stdout(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) {
    throw IOError("predict: cannot write to standard output");
  }
}

// One CSV field: a name that holds a comma, a quote or a line break is quoted, as RFC 4180 says.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

void predict_tabular(TabularModel model, const PredictOptions& o) {
  const std::string source = o.input.empty() ? "stdin" : o.input;
  const std::string text = o.input.empty() ? std::string(std::istreambuf_iterator<char>(std::cin), {})
                                           : csv::read_text_file(o.input);
  const Tensor X = csv::parse_named_columns(text, {.columns = model.feature_names, .source = source});
  const std::int64_t in = X.size(1);

  std::string out;
  for (const std::string& name : model.feature_names) out += csv_field(name) + ",";
  out += csv_field(model.target);
  if (model.classification)
    for (const std::string& name : model.class_names) out += "," + csv_field("p_" + name);
  out += "\n";

  const std::vector<float> features = X.to_vector<float>();
  for (std::int64_t first = 0; first < X.size(0); first += kChunkRows) {
    const std::int64_t n = std::min(kChunkRows, X.size(0) - first);
    const Tensor prediction = model.predict(X.slice(0, first, first + n));
    const std::vector<float> values = prediction.to_vector<float>();
    const std::int64_t k = prediction.size(1);
    const std::vector<std::int64_t> classes =
        model.classification ? argmax(prediction, 1).to_vector<std::int64_t>() : std::vector<std::int64_t>();
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t j = 0; j < in; ++j) {
        append_number(out, features[static_cast<std::size_t>((first + i) * in + j)]);
        out += ',';
      }
      if (model.classification) {
        out += csv_field(model.class_names[static_cast<std::size_t>(classes[static_cast<std::size_t>(i)])]);
        for (std::int64_t c = 0; c < k; ++c) {
          out += ',';
          append_number(out, values[static_cast<std::size_t>(i * k + c)]);
        }
      } else {
        append_number(out, values[static_cast<std::size_t>(i)]);
      }
      out += '\n';
    }
    write_stdout(out);
    out.clear();
  }
  if (std::fflush(stdout) != 0) throw IOError("predict: cannot write to standard output");
}

void run_predict_command(const PredictOptions& o) {
  const TensorFile file = load_tensors(o.model);
  if (is_tabular(file.metadata)) return predict_tabular(load_tabular_model(file, o.model), o);
  nn::Sequential model = load_model(file, model_architecture(file.metadata, "load_mlp: " + o.model), o.model);
  const auto parameters = model.named_parameters();
  const std::int64_t in = parameters.front().second.size(1);   // first Linear's weight: [hidden, in]
  const std::int64_t out = parameters.back().second.size(0);   // last Linear's bias: [out]
  const std::vector<std::string> names = input_names(in);

  // The whole input is read (and checked) before anything is printed: a bad line fails
  // the command with nothing on stdout.
  const csv::Options options{.columns = static_cast<std::size_t>(in), .header = names,
                             .source = o.input.empty() ? "stdin" : o.input};
  const csv::Table table = o.input.empty() ? csv::read(std::cin, options) : csv::read_file(o.input, options);

  std::string text;
  for (const std::string& name : names) text += name + ",";
  text += "class";
  for (std::int64_t k = 0; k < out; ++k) text += ",p" + std::to_string(k);
  text += "\n";

  NoGradGuard no_grad;
  model.eval();
  const auto rows = static_cast<std::int64_t>(table.rows());
  for (std::int64_t first = 0; first < rows; first += kChunkRows) {
    const std::int64_t n = std::min(kChunkRows, rows - first);
    const auto begin = table.values.begin() + first * in;
    const Tensor X = from_vector(std::vector<float>(begin, begin + n * in), {n, in});
    const Tensor probabilities = softmax(model(X), 1);
    const std::vector<float> p = probabilities.to_vector<float>();
    const std::vector<std::int64_t> classes = argmax(probabilities, 1).to_vector<std::int64_t>();
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t j = 0; j < in; ++j) {
        append_number(text, table.values[static_cast<std::size_t>((first + i) * in + j)]);
        text += ',';
      }
      text += std::to_string(classes[static_cast<std::size_t>(i)]);
      for (std::int64_t k = 0; k < out; ++k) {
        text += ',';
        append_number(text, p[static_cast<std::size_t>(i * out + k)]);
      }
      text += '\n';
    }
    write_stdout(text);
    text.clear();
  }
  if (std::fflush(stdout) != 0) throw IOError("predict: cannot write to standard output");
}

}  // namespace

Command add_predict_command(CLI::App& parent) {
  auto o = std::make_shared<PredictOptions>();
  CLI::App* app = parent.add_subcommand(
      "predict",
      "Predict with a saved model: a spiral classifier reads x,y rows and prints x,y,class,p0,p1,...; a model of "
      "`ann train` reads a CSV table with its feature columns and prints them with the prediction");
  app->add_option("--model", o->model, "A model written by `ann spiral --save` (or a --checkpoint file) or `ann train --save`")
      ->type_name("FILE")
      ->required();
  app->add_option("--input", o->input, "CSV input (default: stdin): x,y points with an optional header x,y; for a model of `ann train`, a table whose header names its features")
      ->type_name("FILE");
  return {app, [o] { run_predict_command(*o); }};
}

}  // namespace ann::cli
