// `ann spiral`: one spiral classifier, every hyper-parameter an option.
#include <memory>
#include <string>

#include <fmt/format.h>

#include "ann/lesson.h"
#include "ann/plot/lesson_figures.h"
#include "ann/serialize.h"
#include "commands.h"
#include "json_output.h"
#include "output_path.h"
#include "progress.h"
#include "validators.h"

namespace ann::cli {

namespace {

struct SpiralOptions {
  lesson::SpiralConfig config;      // the numeric options are bound straight to it
  lesson::SpiralTraining training;  // --checkpoint, --checkpoint-every, --resume, --clip-grad-norm
  std::string activation{lesson::to_string(lesson::SpiralConfig{}.activation)};
  std::string optimizer{lesson::to_string(lesson::SpiralConfig{}.optimizer)};
  std::string json;
  std::string save;
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
  lesson::validate(o.training);
  if (!o.json.empty()) check_output_file(o.json, "--json");
  if (!o.training.checkpoint.empty()) check_output_file(o.training.checkpoint, "--checkpoint");
  // The model file's metadata now: it refuses a model too large to describe before training.
  Metadata model_metadata;
  if (!o.save.empty()) {
    check_output_file(o.save, "--save");
    model_metadata = lesson::spiral_metadata(o.config);
  }
  const plot::Theme theme = plot::parse_theme(o.theme);
  if (!o.plot.empty()) check_figure_file(o.plot, "--plot");

  ProgressDisplay display(stdout, ProgressDisplay::mode_for(stdout, o.quiet));
  const lesson::SpiralRun run = lesson::run_spiral(
      o.config, o.training, [&](const lesson::EpochReport& r) { display.update("spiral", r, true); });
  display.clear();

  const lesson::History& h = run.history;
  if (run.resumed_at > 0) fmt::print("spiral: resumed at epoch {} of {}\n", run.resumed_at, o.config.epochs);
  fmt::print("spiral: final loss {:.6f}  accuracy {:.3f}  {:.2f} s\n", h.loss.back(), h.accuracy.back(), h.seconds);
  if (!o.training.checkpoint.empty()) fmt::print("wrote {}\n", o.training.checkpoint.string());
  if (!o.save.empty()) {
    ann::save(*run.model, o.save, model_metadata);
    fmt::print("wrote {}\n", o.save);
  }
  if (!o.json.empty()) {
    nlohmann::json config = config_json(o.config);
    config["clip_grad_norm"] = o.training.clip_grad_norm;
    write_json(o.json, {{"config", config},
                        {"loss", json_array(h.loss)},
                        {"accuracy", json_array(h.accuracy)},
                        {"final_loss", json_number(h.loss.back())},
                        {"final_accuracy", json_number(h.accuracy.back())},
                        {"resumed_at", run.resumed_at},
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
  app->add_option("--save", o->save,
                  "Write the trained model to FILE (safetensors, loads into PyTorch; `ann predict --model FILE`)")
      ->type_name("FILE");
  lesson::SpiralTraining& t = o->training;
  app->add_option("--checkpoint", t.checkpoint,
                  "Keep a checkpoint of the run in FILE (model, optimizer, epoch, curves; written atomically)")
      ->type_name("FILE");
  app->add_option("--checkpoint-every", t.checkpoint_every,
                  "Write the checkpoint every K epochs as well as after the last (0: only after the last)")
      ->type_name("K")
      ->check(non_negative())
      ->needs("--checkpoint");
  app->add_option("--resume", t.resume,
                  "Continue the run in checkpoint FILE (same options; --epochs may be larger)")
      ->type_name("FILE");
  app->add_option("--clip-grad-norm", t.clip_grad_norm,
                  "Scale the gradients down to this total L2 norm before each step (0: no clipping)")
      ->type_name("X");
  app->add_option("--plot", o->plot, "Draw the trained model's decision regions to FILE (.png or .svg)")
      ->type_name("FILE");
  app->add_option("--theme", o->theme, "Colours of --plot: dark or light")->check(CLI::IsMember({"dark", "light"}));
  app->add_flag("--quiet", o->quiet, "No progress, only the final result");
  return {app, [o] { run_spiral_command(*o); }};
}

}  // namespace ann::cli
