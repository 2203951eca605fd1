// `ann regression`: the regression notebook's ensembles of ReLU and Tanh networks.
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ann/lesson.h"
#include "ann/plot/lesson_figures.h"
#include "commands.h"
#include "json_output.h"
#include "output_path.h"
#include "progress.h"
#include "validators.h"

namespace ann::cli {

namespace {

struct RegressionOptions {
  lesson::RegressionConfig config;
  std::string json;
  std::string plot;
  double zoom = 1.0;
  std::string theme = "dark";
  bool quiet = false;
};

nlohmann::json config_json(const lesson::RegressionConfig& c) {
  return {{"seed", c.seed},     {"points", c.points}, {"networks", c.networks},         {"hidden", c.hidden},
          {"epochs", c.epochs}, {"lr", c.lr},         {"weight_decay", c.weight_decay}};
}

// Index of the x in `xs` nearest to `x` (the lesson reads the spread at x = -4, 0, 4).
std::size_t nearest(const std::vector<float>& xs, double x) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < xs.size(); ++i)
    if (std::abs(xs[i] - x) < std::abs(xs[best] - x)) best = i;
  return best;
}

void print_results(const lesson::RegressionRun& run) {
  fmt::print("regression: final MSE\n");
  fmt::print("  {:<10} {:.6f}\n", "linear", run.linear_history.loss.back());
  for (std::size_t i = 0; i < run.nets.size(); ++i)
    fmt::print("  {:<10} {:.6f}\n", regression_run_name(static_cast<std::int64_t>(i) + 1,
                                                        static_cast<std::int64_t>(run.nets.size())),
               run.nets[i].history.loss.back());
  const std::vector<float> xs = run.x_new.to_vector<float>();
  const std::vector<float> relu = run.std_relu.to_vector<float>();
  const std::vector<float> tanh = run.std_tanh.to_vector<float>();
  const double at[] = {-4.0, 0.0, 4.0};
  fmt::print("ensemble std  {:>9} {:>9} {:>9}\n", "x = -4", "x = 0", "x = 4");
  for (const auto& [family, spread] : {std::pair{"relu", &relu}, std::pair{"tanh", &tanh}}) {
    fmt::print("  {:<11}", family);
    for (double x : at) {
      const float s = (*spread)[nearest(xs, x)];
      // The spread of a single net is undefined (the unbiased variance divides by n - 1).
      if (std::isfinite(s)) fmt::print(" {:>9.4f}", s); else fmt::print(" {:>9}", "-");
    }
    fmt::print("\n");
  }
  fmt::print("training {:.2f} s\n", regression_seconds(run));
}

void run_regression_command(RegressionOptions& o) {
  lesson::validate(o.config);
  if (!o.json.empty()) check_output_file(o.json, "--json");
  const plot::Theme theme = plot::parse_theme(o.theme);
  if (!o.plot.empty()) check_figure_file(o.plot, "--plot");

  ProgressDisplay display(stdout, ProgressDisplay::mode_for(stdout, o.quiet));
  // run_regression reports its runs one after the other; epoch 0 marks the next one.
  std::int64_t index = -1;
  std::string name;
  const lesson::RegressionRun run = lesson::run_regression(o.config, [&](const lesson::EpochReport& r) {
    if (r.epoch == 0) name = regression_run_name(++index, o.config.networks);
    display.update(name, r, false);
  });
  display.clear();

  print_results(run);
  if (!o.json.empty()) {
    nlohmann::json document = regression_json(run, false);
    document["config"] = config_json(o.config);
    write_json(o.json, document);
    fmt::print("wrote {}\n", o.json);
  }
  if (!o.plot.empty()) {
    plot::regression_ensembles_figure(run, o.zoom, {.theme = theme}).save(o.plot);
    fmt::print("wrote {}\n", o.plot);
  }
}

}  // namespace

Command add_regression_command(CLI::App& parent) {
  auto o = std::make_shared<RegressionOptions>();
  lesson::RegressionConfig& c = o->config;
  CLI::App* app = parent.add_subcommand(
      "regression", "Train ensembles of ReLU and Tanh nets on noisy cubic data (the lesson's second notebook).");
  app->add_option("--seed", c.seed, "Seed of the random generator")->check(non_negative());
  app->add_option("--points", c.points, "Training points on [-1, 1]");
  app->add_option("--networks", c.networks, "Networks, even: the first half ReLU, the rest Tanh");
  app->add_option("--hidden", c.hidden, "Hidden units");
  app->add_option("--epochs", c.epochs, "Full-batch training epochs per network");
  app->add_option("--lr", c.lr, "Learning rate");
  app->add_option("--weight-decay", c.weight_decay, "L2 weight decay");
  app->add_option("--json", o->json, "Write the config, final MSEs, predictions and spreads to FILE (default: no file)")
      ->type_name("FILE");
  app->add_option("--plot", o->plot, "Draw the ensembles' predictions and spread to FILE (.png or .svg)")
      ->type_name("FILE");
  app->add_option("--zoom", o->zoom, "Axis limits ±1.1·zoom of --plot: 1 (Fig. 11) or 4 (Fig. 12)")
      ->check(CLI::IsMember({1.0, 4.0}));
  app->add_option("--theme", o->theme, "Colours of --plot: dark or light")->check(CLI::IsMember({"dark", "light"}));
  app->add_flag("--quiet", o->quiet, "No progress, only the final results");
  return {app, [o] { run_regression_command(*o); }};
}

}  // namespace ann::cli
