// `ann spiral`: one spiral classifier, every hyper-parameter an option.
#include <memory>
#include <string>

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

struct SpiralOptions {
  lesson::SpiralConfig config;  // the numeric options are bound straight to it
  std::string activation{lesson::to_string(lesson::SpiralConfig{}.activation)};
  std::string optimizer{lesson::to_string(lesson::SpiralConfig{}.optimizer)};
  std::string json;
  std::string plot;
  std::string theme = "dark";
  bool quiet = false;
};

nlohmann::json config_json(const lesson::SpiralConfig& c) {
  return {{"seed", c.seed},
          {"per_class", c.per_class},
          {"classes", c.classes},
          {"noise", c.noise},
          {"hidden", c.hidden},
          {"layers", c.layers},
          {"activation", std::string(lesson::to_string(c.activation))},
          {"optimizer", std::string(lesson::to_string(c.optimizer))},
          {"lr", c.lr},
          {"weight_decay", c.weight_decay},
          {"momentum", c.momentum},
          {"epochs", c.epochs}};
}

void run_spiral_command(SpiralOptions& o) {
  // Everything that can be wrong with the input is found before training starts.
  o.config.activation = lesson::parse_activation(o.activation);
  o.config.optimizer = lesson::parse_optimizer(o.optimizer);
  lesson::validate(o.config);
  if (!o.json.empty()) check_output_file(o.json, "--json");
  const plot::Theme theme = plot::parse_theme(o.theme);
  if (!o.plot.empty()) check_figure_file(o.plot, "--plot");

  ProgressDisplay display(stdout, ProgressDisplay::mode_for(stdout, o.quiet));
  const lesson::SpiralRun run =
      lesson::run_spiral(o.config, [&](const lesson::EpochReport& r) { display.update("spiral", r, true); });
  display.clear();

  const lesson::History& h = run.history;
  fmt::print("spiral: final loss {:.6f}  accuracy {:.3f}  {:.2f} s\n", h.loss.back(), h.accuracy.back(), h.seconds);
  if (!o.json.empty()) {
    write_json(o.json, {{"config", config_json(o.config)},
                        {"loss", json_array(h.loss)},
                        {"accuracy", json_array(h.accuracy)},
                        {"final_loss", json_number(h.loss.back())},
                        {"final_accuracy", json_number(h.accuracy.back())},
                        {"seconds", h.seconds}});
    fmt::print("wrote {}\n", o.json);
  }
  if (!o.plot.empty()) {
    const std::string name = o.config.activation == lesson::Activation::None ? "Linear model" : "Trained model";
    plot::boundary_figure(*run.model, run.data, name, {.theme = theme}).save(o.plot);
    fmt::print("wrote {}\n", o.plot);
  }
}

}  // namespace

Command add_spiral_command(CLI::App& parent) {
  auto o = std::make_shared<SpiralOptions>();
  lesson::SpiralConfig& c = o->config;
  CLI::App* app = parent.add_subcommand("spiral", "Train one classifier on the spiral data (the lesson's first notebook).");
  app->add_option("--seed", c.seed, "Seed of the random generator (data, then weights)")
      ->check(non_negative());
  app->add_option("--per-class", c.per_class, "Points per class");
  app->add_option("--classes", c.classes, "Number of classes (spiral arms)");
  app->add_option("--noise", c.noise, "Standard deviation of the angle noise");
  app->add_option("--hidden", c.hidden, "Hidden units per layer");
  app->add_option("--layers", c.layers, "Hidden layers");
  app->add_option("--activation", o->activation, "Non-linearity after each hidden layer (none: the linear model)")
      ->check(CLI::IsMember({"relu", "tanh", "sigmoid", "none"}));
  app->add_option("--optimizer", o->optimizer, "Optimizer")->check(CLI::IsMember({"sgd", "adam"}));
  app->add_option("--lr", c.lr, "Learning rate");
  app->add_option("--weight-decay", c.weight_decay, "L2 weight decay");
  app->add_option("--momentum", c.momentum, "SGD momentum");
  app->add_option("--epochs", c.epochs, "Full-batch training epochs");
  app->add_option("--json", o->json, "Write the config and the loss and accuracy curves to FILE (default: no file)")
      ->type_name("FILE");
  app->add_option("--plot", o->plot, "Draw the trained model's decision regions to FILE (.png or .svg)")
      ->type_name("FILE");
  app->add_option("--theme", o->theme, "Colours of --plot: dark or light")->check(CLI::IsMember({"dark", "light"}));
  app->add_flag("--quiet", o->quiet, "No progress, only the final result");
  return {app, [o] { run_spiral_command(*o); }};
}

}  // namespace ann::cli
