// The lesson's experiments, in the notebooks' order of random draws.
#include <cmath>
#include <optional>
#include <system_error>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/lesson.h"
#include "ann/ops.h"
#include "spiral_checkpoint.h"

namespace ann::lesson {

namespace {
void require(bool ok, const char* experiment, const std::string& what) {
  if (!ok) throw ValueError(std::string(experiment) + ": " + what);
}

std::string show(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void validate_training(const char* experiment, std::int64_t epochs, double lr, double weight_decay,
                       std::int64_t hidden) {
  require(epochs >= 1, experiment, "epochs must be at least 1, got " + std::to_string(epochs));
  require(lr > 0 && std::isfinite(lr), experiment, "lr must be a positive number, got " + show(lr));
  require(weight_decay >= 0 && std::isfinite(weight_decay), experiment,
          "weight decay must be >= 0, got " + show(weight_decay));
  require(hidden >= 1, experiment, "hidden units must be at least 1, got " + std::to_string(hidden));
}

std::string gib(double bytes) {
  char buf[64];
  const double g = bytes / (1024.0 * 1024.0 * 1024.0);
  std::snprintf(buf, sizeof buf, g < 1024 ? "%.1f GiB" : "%.3g GiB", g);
  return buf;
}

// Last of the checks: the sizes are known to be valid numbers by now.
void require_memory(const char* experiment, double needed) {
  const double available = physical_memory();
  require(available <= 0 || needed <= available, experiment,
          "this run needs about " + gib(needed) + " of memory; the machine has " + gib(available));
}

// The data, the model and its optimizer, drawn in the notebook's order from `seed`.
struct SpiralSetup {
  SpiralRun run;
  std::unique_ptr<optim::Optimizer> optimizer;
};

SpiralSetup setup_spiral(const SpiralConfig& c) {
  manual_seed(c.seed);
  SpiralSetup s;
  s.run.data = data::spiral(c.per_class, c.classes, c.noise);
  s.run.model = std::make_shared<nn::Sequential>(make_mlp(2, c.hidden, c.layers, c.classes, c.activation));
  s.run.initial_parameters = snapshot(*s.run.model);
  s.optimizer = make_optimizer(c.optimizer, s.run.model->parameters(), c.lr, c.weight_decay, c.momentum);
  return s;
}

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec;
  return !a.empty() && !b.empty() && std::filesystem::equivalent(a, b, ec);
}
}  // namespace

void validate(const SpiralConfig& c) {
  validate_training("spiral", c.epochs, c.lr, c.weight_decay, c.hidden);
  require(c.per_class >= 1, "spiral", "points per class must be at least 1, got " + std::to_string(c.per_class));
  require(c.classes >= 2, "spiral", "needs at least 2 classes, got " + std::to_string(c.classes));
  require(c.noise >= 0 && std::isfinite(c.noise), "spiral", "noise must be >= 0, got " + show(c.noise));
  require(c.layers >= 1, "spiral", "layers must be at least 1, got " + std::to_string(c.layers));
  require(c.momentum >= 0 && std::isfinite(c.momentum), "spiral", "momentum must be >= 0, got " + show(c.momentum));
  require_memory("spiral", memory_needed(c));
}

void validate(const SpiralTraining& t) {
  require(t.checkpoint_every >= 0, "spiral",
          "checkpoint interval must be >= 0 epochs, got " + std::to_string(t.checkpoint_every));
  require(t.checkpoint_every == 0 || !t.checkpoint.empty(), "spiral", "a checkpoint interval needs a checkpoint file");
  require(t.clip_grad_norm >= 0 && std::isfinite(t.clip_grad_norm), "spiral",
          "the gradient norm to clip to must be a finite number >= 0, got " + show(t.clip_grad_norm));
}

void validate(const RegressionConfig& c) {
  validate_training("regression", c.epochs, c.lr, c.weight_decay, c.hidden);
  require(c.points >= 2, "regression", "needs at least 2 points, got " + std::to_string(c.points));
  require(c.networks >= 2 && c.networks % 2 == 0, "regression",
          "networks must be an even number >= 2 (half ReLU, half Tanh), got " + std::to_string(c.networks));
  require_memory("regression", memory_needed(c));
}

SpiralRun run_spiral(const SpiralConfig& c, const Progress& progress) {
  validate(c);
  SpiralSetup s = setup_spiral(c);
  s.run.history = train_classifier(*s.run.model, *s.optimizer, s.run.data.X, s.run.data.y, c.epochs, progress);
  return std::move(s.run);
}

SpiralRun run_spiral(const SpiralConfig& c, const SpiralTraining& training, const Progress& progress) {
  validate(c);
  validate(training);
  SpiralSetup s = setup_spiral(c);
  TrainingControl control;
  control.clip_grad_norm = training.clip_grad_norm;
  control.check_finite = training.check_finite;
  if (!training.resume.empty()) {
    detail::Resumed resumed = detail::resume_spiral(training.resume, c, *s.run.model, *s.optimizer);
    control.start_epoch = resumed.epochs_done;
    s.run.resumed_at = resumed.epochs_done;
    control.history = std::move(resumed.history);
  }
  std::optional<detail::SpiralCheckpointWriter> writer;
  if (!training.checkpoint.empty()) {
    const bool own = same_file(training.resume, training.checkpoint);  // resumed from the file it keeps
    writer.emplace(training.checkpoint, training.checkpoint_every, c, control.history,
                   own ? control.start_epoch : -1);
    control.after_epoch = [&writer](const TrainingState& state) { writer->after_epoch(state); };
  }
  try {
    s.run.history = train_classifier(*s.run.model, *s.optimizer, s.run.data.X, s.run.data.y, c.epochs, control,
                                     progress);
  } catch (const TrainingDiverged& e) {
    std::string message = "spiral: " + std::string(e.what());
    message += "; a smaller learning rate or gradient clipping may help";
    if (writer) {
      message += writer->on_disk() >= 0 ? "; " + writer->path().string() + " keeps epoch " +
                                               std::to_string(writer->on_disk())
                                         : "; no checkpoint was written";
    }
    throw TrainingDiverged(message, e.epoch);
  }
  if (writer) writer->finish(*s.run.model, *s.optimizer, s.run.history);
  return std::move(s.run);
}

RegressionRun run_regression(const RegressionConfig& c, const Progress& progress) {
  validate(c);
  manual_seed(c.seed);
  RegressionRun run;
  run.data = data::cubic(c.points);
  const Tensor& X = run.data.X;
  const Tensor& y = run.data.y;

  // A linear model cannot bend to the cubic.
  run.linear_model = std::make_shared<nn::Sequential>(make_mlp(1, c.hidden, 1, 1, Activation::None));
  optim::SGD sgd(run.linear_model->parameters(), {.lr = c.lr, .weight_decay = c.weight_decay});
  run.linear_history = train_regressor(*run.linear_model, sgd, X, y, c.epochs, progress);

  // The ensembles: each net is initialised just before it is trained.
  run.x_new = linspace(-4.0, 4.0, 1001).unsqueeze(1);
  for (std::int64_t i = 0; i < c.networks; ++i) {
    RegressionNet net;
    net.activation = i < c.networks / 2 ? Activation::ReLU : Activation::Tanh;
    net.model = std::make_shared<nn::Sequential>(make_mlp(1, c.hidden, 1, 1, net.activation));
    {
      NoGradGuard no_grad;
      net.before = (*net.model)(X);
    }
    optim::Adam adam(net.model->parameters(), {.lr = c.lr, .weight_decay = c.weight_decay});
    net.history = train_regressor(*net.model, adam, X, y, c.epochs, progress);
    NoGradGuard no_grad;
    net.predictions = (*net.model)(run.x_new).squeeze(1);
    run.nets.push_back(std::move(net));
  }
  run.x_new = run.x_new.squeeze(1);

  // The ensemble spread per family: variance across its nets at each x, and its square root.
  NoGradGuard no_grad;
  auto family = [&](Activation a) {
    std::vector<Tensor> curves;
    for (const RegressionNet& net : run.nets)
      if (net.activation == a) curves.push_back(net.predictions);
    return stack(curves, 0);
  };
  run.var_relu = var(family(Activation::ReLU), 0);
  run.std_relu = sqrt(run.var_relu);
  run.var_tanh = var(family(Activation::Tanh), 0);
  run.std_tanh = sqrt(run.var_tanh);
  return run;
}

LessonRun run_lesson(const LessonProgress& progress) {
  auto report = [&](std::string_view name) -> Progress {
    if (!progress) return {};
    return [&progress, name](const EpochReport& r) { progress(name, r); };
  };
  LessonRun run;
  manual_seed(12345);
  run.spiral = data::spiral(1000, 3, 0.2);
  const Tensor& X = run.spiral.X;
  const Tensor& y = run.spiral.y;

  run.linear_model = std::make_shared<nn::Sequential>(make_mlp(2, 100, 1, 3, Activation::None));
  run.linear_initial = snapshot(*run.linear_model);
  optim::SGD sgd(run.linear_model->parameters(), {.lr = 1e-3, .weight_decay = 1e-5});
  run.linear_history = train_classifier(*run.linear_model, sgd, X, y, 1000, report("linear"));

  run.relu_model = std::make_shared<nn::Sequential>(make_mlp(2, 100, 1, 3, Activation::ReLU));
  run.relu_initial = snapshot(*run.relu_model);
  optim::Adam adam(run.relu_model->parameters(), {.lr = 1e-3, .weight_decay = 1e-5});
  run.relu_history = train_classifier(*run.relu_model, adam, X, y, 1000, report("relu"));

  run.regression = run_regression(RegressionConfig{}, report("regression"));
  return run;
}

}  // namespace ann::lesson
