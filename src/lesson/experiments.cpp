// The lesson's experiments, in the notebooks' order of random draws.
#include <cmath>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/lesson.h"
#include "ann/ops.h"

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
}  // namespace

void validate(const SpiralConfig& c) {
  validate_training("spiral", c.epochs, c.lr, c.weight_decay, c.hidden);
  require(c.per_class >= 1, "spiral", "points per class must be at least 1, got " + std::to_string(c.per_class));
  require(c.classes >= 2, "spiral", "needs at least 2 classes, got " + std::to_string(c.classes));
  require(c.noise >= 0 && std::isfinite(c.noise), "spiral", "noise must be >= 0, got " + show(c.noise));
  require(c.layers >= 1, "spiral", "layers must be at least 1, got " + std::to_string(c.layers));
  require(c.momentum >= 0 && std::isfinite(c.momentum), "spiral", "momentum must be >= 0, got " + show(c.momentum));
}

void validate(const RegressionConfig& c) {
  validate_training("regression", c.epochs, c.lr, c.weight_decay, c.hidden);
  require(c.points >= 2, "regression", "needs at least 2 points, got " + std::to_string(c.points));
  require(c.networks >= 2 && c.networks % 2 == 0, "regression",
          "networks must be an even number >= 2 (half ReLU, half Tanh), got " + std::to_string(c.networks));
}

SpiralRun run_spiral(const SpiralConfig& c, const Progress& progress) {
  validate(c);
  manual_seed(c.seed);
  SpiralRun run;
  run.data = data::spiral(c.per_class, c.classes, c.noise);
  run.model = std::make_shared<nn::Sequential>(make_mlp(2, c.hidden, c.layers, c.classes, c.activation));
  run.initial_parameters = snapshot(*run.model);
  auto optimizer = make_optimizer(c.optimizer, run.model->parameters(), c.lr, c.weight_decay, c.momentum);
  run.history = train_classifier(*run.model, *optimizer, run.data.X, run.data.y, c.epochs, progress);
  return run;
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
