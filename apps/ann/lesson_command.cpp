// `ann lesson`: both notebooks with the lesson's settings, a summary table, and the results
// saved for the figures.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ann/lesson.h"
#include "commands.h"
#include "lesson_outputs.h"
#include "output_path.h"
#include "progress.h"

namespace ann::cli {

namespace {

struct LessonOptions {
  std::string out = "figures";
  std::string format = "png";
  std::string theme = "dark";
  bool quiet = false;
};

struct Row {
  std::string model;
  std::string optimizer;
  float loss;
  std::string accuracy;  // "-" for regression
  double seconds;
};

// One row per regression family: the mean final MSE of its nets, their total training time.
Row family_row(const lesson::RegressionRun& run, lesson::Activation family, const char* label) {
  double mse = 0, seconds = 0;
  int count = 0;
  for (const lesson::RegressionNet& net : run.nets) {
    if (net.activation != family) continue;
    mse += net.history.loss.back();
    seconds += net.history.seconds;
    ++count;
  }
  return {fmt::format("regression {} x{} (mean MSE)", label, count), "adam", static_cast<float>(mse / count), "-",
          seconds};
}

void print_table(const lesson::LessonRun& run) {
  const std::vector<Row> rows = {
      {"linear (Linear-Linear)", "sgd", run.linear_history.loss.back(),
       fmt::format("{:.3f}", run.linear_history.accuracy.back()), run.linear_history.seconds},
      {"two-layer ReLU", "adam", run.relu_history.loss.back(), fmt::format("{:.3f}", run.relu_history.accuracy.back()),
       run.relu_history.seconds},
      family_row(run.regression, lesson::Activation::ReLU, "ReLU"),
      family_row(run.regression, lesson::Activation::Tanh, "Tanh"),
  };
  fmt::print("{:<30}  {:<9}  {:>10}  {:>8}  {:>7}\n", "model", "optimizer", "final loss", "accuracy", "seconds");
  for (const Row& r : rows)
    fmt::print("{:<30}  {:<9}  {:>10.6f}  {:>8}  {:>7.2f}\n", r.model, r.optimizer, r.loss, r.accuracy, r.seconds);
}

void run_lesson_command(const LessonOptions& o) {
  const plot::Format format = plot::parse_format(o.format);
  const plot::Theme theme = plot::parse_theme(o.theme);
  // Creating the directory first also checks, before the long run, that it can be created.
  prepare_output_dir(o.out, "--out");

  ProgressDisplay display(stdout, ProgressDisplay::mode_for(stdout, o.quiet));
  std::int64_t regression_index = -1;
  std::string name;
  const lesson::LessonRun run = lesson::run_lesson([&](std::string_view run_name, const lesson::EpochReport& r) {
    if (r.epoch == 0) {
      name = run_name == "regression"
                 ? "regression " + regression_run_name(++regression_index, lesson::RegressionConfig{}.networks)
                 : "spiral " + std::string(run_name);
    }
    display.update(name, r, run_name != "regression");
  });
  display.clear();

  print_table(run);
  if (!o.quiet) fmt::print("drawing the figures into {}/ ...\n", o.out);
  for (const std::filesystem::path& file : write_lesson_outputs(run, o.out, format, theme))
    fmt::print("wrote {}\n", file.string());
}

}  // namespace

Command add_lesson_command(CLI::App& parent) {
  auto o = std::make_shared<LessonOptions>();
  CLI::App* app = parent.add_subcommand(
      "lesson", "Run the whole lesson (spiral: linear and two-layer ReLU; regression ensembles) and save its results.");
  app->add_option("--out", o->out, "Directory for the figures and lesson.json, created if missing")->type_name("DIR");
  app->add_option("--format", o->format, "Figure files: png, svg or both")->check(CLI::IsMember({"png", "svg", "both"}));
  app->add_option("--theme", o->theme, "Figure colours: dark (the notebooks') or light")
      ->check(CLI::IsMember({"dark", "light"}));
  app->add_flag("--quiet", o->quiet, "No progress, only the summary table");
  return {app, [o] { run_lesson_command(*o); }};
}

}  // namespace ann::cli
