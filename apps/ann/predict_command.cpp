// `ann predict`: a saved classifier (a --save file or a checkpoint) on points read as CSV.
// Prints CSV: the point, the predicted class and the softmax probability of every class.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "ann/autograd.h"
#include "ann/csv.h"
#include "ann/error.h"
#include "ann/mlp_file.h"
#include "ann/ops.h"
#include "ann/serialize.h"
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

// A file with a Sequential's architecture (ann::describe) or the lesson's MLP (describe_mlp),
// read once.
nn::Sequential load_any_model(const std::filesystem::path& path) {
  const TensorFile file = load_tensors(path);
  return load_model(file, model_architecture(file.metadata, "load_mlp: " + path.string()), path.string());
}

void run_predict_command(const PredictOptions& o) {
  nn::Sequential model = load_any_model(o.model);
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
      "predict", "Classify points with a saved model: reads x,y rows (CSV), prints x,y,class,p0,p1,...");
  app->add_option("--model", o->model, "A model written by `ann spiral --save` (or a --checkpoint file)")
      ->type_name("FILE")
      ->required();
  app->add_option("--input", o->input, "CSV of points, one x,y per line, optional header x,y (default: stdin)")
      ->type_name("FILE");
  return {app, [o] { run_predict_command(*o); }};
}

}  // namespace ann::cli
