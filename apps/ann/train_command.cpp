// `ann train`: a fully connected network on a user's CSV table, with mini-batches, a validation
// split, early stopping and a learning-rate schedule; the model file it saves (`--save`) holds
// the feature names, their standardisation and the class names, so `ann predict` needs nothing
// else.
#include <charconv>
#include <cmath>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "ann/csv.h"
#include "ann/error.h"
#include "ann/plot/report_figures.h"
#include "commands.h"
#include "json_output.h"
#include "output_path.h"
#include "progress.h"
#include "tabular_training.h"
#include "validators.h"

namespace ann::cli {

namespace {

struct TrainOptions {
  TrainingConfig config;
  std::string data, target;
  std::string task = "auto";
  std::string hidden = "64,64";
  std::string save, json, plot;
  std::string theme = "dark";
  bool quiet = false;
};

// "64,32" → {64, 32}; "none" → {} (a linear model).
std::vector<std::int64_t> parse_hidden(const std::string& text) {
  std::vector<std::int64_t> widths;
  if (text == "none" || text == "0") return widths;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    std::int64_t w = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), w);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || w < 1) {
      throw ValueError("train: --hidden " + text + ": \"" + item +
                       "\" is not a layer width (expected widths such as 64,32, or none)");
    }
    widths.push_back(w);
    start = end + 1;
  }
  return widths;
}

bool all_numbers(const std::vector<std::string>& names) {
  for (const std::string& s : names) {
    double v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) return false;
  }
  return true;
}

std::string joined(const std::vector<std::string>& names, std::size_t most = 10) {
  std::string text;
  for (std::size_t i = 0; i < names.size() && i < most; ++i) text += (i ? ", " : "") + names[i];
  if (names.size() > most) text += fmt::format(", ... ({} more)", names.size() - most);
  return text;
}

// Why --task auto chose what it chose, in a few words.
std::string task_reason(const csv::LabelledTable& t, std::size_t max_classes) {
  if (!t.classification) return fmt::format("numbers with more than {} distinct values or fractions", max_classes);
  if (all_numbers(t.class_names)) return fmt::format("{} distinct integers", t.class_names.size());
  return "text";
}

std::string metric_text(const Evaluation& e, bool classification) {
  return classification ? fmt::format("loss {:.4f}  accuracy {:.3f}", e.loss, e.accuracy)
                        : fmt::format("loss {:.4f}  MSE {:.6g}  R² {:.3f}", e.loss, e.mse, e.r2);
}

nlohmann::json evaluation_json(const Evaluation& e, bool classification) {
  if (classification) return {{"loss", e.loss}, {"accuracy", e.accuracy}};
  return {{"loss", e.loss}, {"mse", e.mse}, {"r2", e.r2}};
}

nlohmann::json nullable(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

void run_train_command(TrainOptions& o) {
  // Every option and output path is checked before the data is read, and the data before training.
  o.config.hidden = parse_hidden(o.hidden);
  validate(o.config);
  if (!o.save.empty()) check_output_file(o.save, "--save");
  if (!o.json.empty()) check_output_file(o.json, "--json");
  if (!o.plot.empty()) check_figure_file(o.plot, "--plot");
  const plot::Theme theme = plot::parse_theme(o.theme);

  csv::LabelledOptions read_options{.target = o.target};
  read_options.task = o.task == "classify"  ? csv::LabelledOptions::Task::Classify
                      : o.task == "regress" ? csv::LabelledOptions::Task::Regress
                                            : csv::LabelledOptions::Task::Auto;
  const csv::LabelledTable table = csv::read_labelled_file(o.data, read_options);
  const bool classification = table.classification;
  split_sizes(table.X.size(0), o.config.val_split);  // refused before anything is printed
  const std::string task = classification ? fmt::format("classification, {} classes ({})", table.class_names.size(),
                                                        joined(table.class_names))
                                          : std::string("regression");
  fmt::print("train: {}: {} rows, {} features; target \"{}\": {}{}\n", o.data, table.X.size(0),
             table.feature_names.size(), table.target, task,
             o.task == "auto" ? " (--task auto: the target holds " + task_reason(table, read_options.max_auto_classes) + ")" : "");

  ProgressDisplay display(stdout, ProgressDisplay::mode_for(stdout, o.quiet));
  const char* metric = classification ? "accuracy" : "R²";  // lower case in the progress line
  const TrainingResult r = train_on_table(table, o.config, [&](std::int64_t epoch, std::int64_t epochs, const EpochRecord& e) {
    std::string numbers = fmt::format("loss {:.4f}  {} {:.3f}", e.train_loss, metric, e.train_metric);
    if (std::isfinite(e.validation_loss)) numbers += fmt::format("  val loss {:.4f}  val {} {:.3f}", e.validation_loss, metric, e.validation_metric);
    display.update("train", epoch, epochs, numbers);
  });
  display.clear();

  const std::int64_t epochs_run = static_cast<std::int64_t>(r.history.size());
  fmt::print("train: {} rows to train on, {} to validate; {} epochs in {:.2f} s\n", r.train_rows, r.validation_rows,
             epochs_run, r.seconds);
  if (r.stopped_early) {
    fmt::print("train: stopped early: the validation loss has not improved for {} epochs; kept epoch {}'s weights\n",
               o.config.early_stopping, r.best_epoch + 1);
  } else if (r.best_epoch >= 0) {
    fmt::print("train: kept epoch {}'s weights (the lowest validation loss)\n", r.best_epoch + 1);
  }
  fmt::print("train       {}\n", metric_text(r.train, classification));
  if (r.validation_rows > 0) fmt::print("validation  {}\n", metric_text(r.validation, classification));

  if (!o.save.empty()) {
    save(r.model, o.save);
    fmt::print("wrote {}\n", o.save);
  }
  if (!o.json.empty()) {
    nlohmann::json history = nlohmann::json::object();
    for (const char* key : {"train_loss", "train_metric", "validation_loss", "validation_metric", "lr"}) history[key] = nlohmann::json::array();
    for (const EpochRecord& e : r.history) {
      history["train_loss"].push_back(nullable(e.train_loss));
      history["train_metric"].push_back(nullable(e.train_metric));
      history["validation_loss"].push_back(nullable(e.validation_loss));
      history["validation_metric"].push_back(nullable(e.validation_metric));
      history["lr"].push_back(e.lr);
    }
    const TrainingConfig& c = o.config;
    nlohmann::json document{
        {"config", {{"data", o.data}, {"target", o.target}, {"task", classification ? "classify" : "regress"},
                    {"hidden", c.hidden}, {"activation", c.activation}, {"dropout", c.dropout},
                    {"batch_size", c.batch_size}, {"epochs", c.epochs}, {"optimizer", c.optimizer},
                    {"lr", effective_lr(c)}, {"weight_decay", c.weight_decay}, {"momentum", c.momentum},
                    {"scheduler", c.scheduler}, {"val_split", c.val_split}, {"early_stopping", c.early_stopping},
                    {"seed", c.seed}}},
        {"features", table.feature_names},
        {"metric", classification ? "accuracy" : "r2"},
        {"rows", {{"train", r.train_rows}, {"validation", r.validation_rows}}},
        {"history", history},
        {"epochs_run", epochs_run},
        {"best_epoch", r.best_epoch >= 0 ? nlohmann::json(r.best_epoch + 1) : nlohmann::json(nullptr)},
        {"stopped_early", r.stopped_early},
        {"train", evaluation_json(r.train, classification)},
        {"validation", r.validation_rows > 0 ? evaluation_json(r.validation, classification) : nlohmann::json(nullptr)},
        {"seconds", r.seconds}};
    if (classification) {
      document["classes"] = table.class_names;
      const std::int64_t k = r.reported().confusion.size(0);
      const std::vector<std::int64_t> counts = r.reported().confusion.to_vector<std::int64_t>();
      nlohmann::json matrix = nlohmann::json::array();
      for (std::int64_t i = 0; i < k; ++i) matrix.push_back(std::vector<std::int64_t>(counts.begin() + i * k, counts.begin() + (i + 1) * k));
      document["confusion_matrix"] = matrix;
    }
    write_json(o.json, document);
    fmt::print("wrote {}\n", o.json);
  }
  if (!o.plot.empty()) {
    plot::TrainingCurves curves{.metric = classification ? "Accuracy" : "R²", .loss_name = classification ? "cross-entropy" : "MSE, standardised",
                                .best_epoch = r.best_epoch};
    for (const EpochRecord& e : r.history) {
      curves.train_loss.push_back(static_cast<float>(e.train_loss));
      curves.train_metric.push_back(static_cast<float>(e.train_metric));
      if (r.validation_rows > 0) {
        curves.validation_loss.push_back(static_cast<float>(e.validation_loss));
        curves.validation_metric.push_back(static_cast<float>(e.validation_metric));
      }
    }
    plot::training_report_figure(curves, r.reported().confusion, table.class_names, r.validation_rows > 0 ? "validation" : "train",
                                 {.theme = theme})
        .save(o.plot);
    fmt::print("wrote {}\n", o.plot);
  }
}

std::string choices(const std::vector<std::string>& names) { return joined(names, names.size()); }

}  // namespace

Command add_train_command(CLI::App& parent) {
  auto o = std::make_shared<TrainOptions>();
  TrainingConfig& c = o->config;
  CLI::App* app = parent.add_subcommand(
      "train", "Train a fully connected network on your own CSV table (a header row, numeric features, a target column).");
  app->add_option("--data", o->data, "The table: CSV with a header row")->type_name("FILE.csv")->required();
  app->add_option("--target", o->target, "The column to predict (its name in the header)")->type_name("COLUMN")->required();
  app->add_option("--task", o->task,
                  "classify, regress, or auto: classify when the target is text or at most 20 distinct integers")
      ->check(CLI::IsMember({"auto", "classify", "regress"}));
  app->add_option("--hidden", o->hidden, "Widths of the hidden layers, comma-separated (none: a linear model)")
      ->type_name("W1,W2,...");
  app->add_option("--activation", c.activation, "Non-linearity after each hidden layer: " + choices(activation_names()))
      ->check(CLI::IsMember(activation_names()));
  app->add_option("--dropout", c.dropout, "Dropout probability after each hidden layer (0: none)");
  app->add_option("--batch-size", c.batch_size, "Rows per mini-batch (the training rows are shuffled every epoch)");
  app->add_option("--epochs", c.epochs, "Passes over the training rows (at most; see --early-stopping)");
  app->add_option("--optimizer", c.optimizer, "Optimizer: " + choices(optimizer_names()))->check(CLI::IsMember(optimizer_names()));
  app->add_option("--lr", c.lr, "Learning rate (0: the optimizer's PyTorch default: 0.001 for adam and adamw, 0.01 otherwise)");
  app->add_option("--weight-decay", c.weight_decay, "L2 penalty (adamw: decoupled weight decay)");
  app->add_option("--momentum", c.momentum, "Momentum of sgd");
  app->add_option("--scheduler", c.scheduler,
                  "Learning-rate schedule: none; step (x0.1 each third of the run); exponential (to 1% at the end); "
                  "cosine; plateau (x0.1 after 10 epochs without a better validation loss); onecycle (per batch, peak --lr)")
      ->check(CLI::IsMember(scheduler_names()));
  app->add_option("--val-split", c.val_split, "Fraction of the rows kept aside for validation (0: none)");
  app->add_option("--early-stopping", c.early_stopping,
                  "Stop after this many epochs without a better validation loss, keeping the best epoch's weights (0: off)")
      ->type_name("PATIENCE");
  app->add_option("--seed", c.seed, "Seed of the random generator (split, weights, shuffles, dropout)")->check(non_negative());
  app->add_option("--save", o->save, "Write the model to FILE (safetensors with features, scaling and classes; `ann predict --model FILE`)")
      ->type_name("FILE");
  app->add_option("--json", o->json, "Write the config, the curves and the final numbers to FILE")->type_name("FILE");
  app->add_option("--plot", o->plot, "Draw the curves (and the confusion matrix of a classifier) to FILE (.png or .svg)")
      ->type_name("FILE");
  app->add_option("--theme", o->theme, "Colours of --plot: dark or light")->check(CLI::IsMember({"dark", "light"}));
  app->add_flag("--quiet", o->quiet, "No progress, only the final result");
  return {app, [o] { run_train_command(*o); }};
}

}  // namespace ann::cli
