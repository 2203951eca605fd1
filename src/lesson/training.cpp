// The building blocks of the lesson's experiments: the model, the optimizer, and the
// five-step training loop (with what TrainingControl adds around the steps).
#include <chrono>
#include <cmath>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/lesson.h"
#include "ann/nn/utils.h"
#include "ann/ops.h"
#include "finite_checks.h"

namespace ann::lesson {

Activation parse_activation(std::string_view name) {
  if (name == "none") return Activation::None;
  if (name == "relu") return Activation::ReLU;
  if (name == "tanh") return Activation::Tanh;
  if (name == "sigmoid") return Activation::Sigmoid;
  throw ValueError("activation: unknown \"" + std::string(name) + "\"; choose relu, tanh, sigmoid or none");
}

std::string_view to_string(Activation activation) {
  switch (activation) {
    case Activation::None: return "none";
    case Activation::ReLU: return "relu";
    case Activation::Tanh: return "tanh";
    case Activation::Sigmoid: return "sigmoid";
  }
  return "?";
}

OptimizerKind parse_optimizer(std::string_view name) {
  if (name == "sgd") return OptimizerKind::SGD;
  if (name == "adam") return OptimizerKind::Adam;
  throw ValueError("optimizer: unknown \"" + std::string(name) + "\"; choose sgd or adam");
}

std::string_view to_string(OptimizerKind kind) { return kind == OptimizerKind::SGD ? "sgd" : "adam"; }

namespace {
void push_activation(nn::Sequential& model, Activation activation) {
  switch (activation) {
    case Activation::None: break;
    case Activation::ReLU: model.push_back(nn::ReLU()); break;
    case Activation::Tanh: model.push_back(nn::Tanh()); break;
    case Activation::Sigmoid: model.push_back(nn::Sigmoid()); break;
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

nn::Sequential make_mlp(std::int64_t in, std::int64_t hidden, std::int64_t layers, std::int64_t out,
                        Activation activation) {
  if (layers < 1) throw ValueError("make_mlp: needs at least 1 hidden layer, got " + std::to_string(layers));
  nn::Sequential model;
  model.push_back(nn::Linear(in, hidden));
  push_activation(model, activation);
  for (std::int64_t l = 1; l < layers; ++l) {
    model.push_back(nn::Linear(hidden, hidden));
    push_activation(model, activation);
  }
  model.push_back(nn::Linear(hidden, out));
  return model;
}

std::unique_ptr<optim::Optimizer> make_optimizer(OptimizerKind kind, std::vector<Tensor> parameters, double lr,
                                                 double weight_decay, double momentum) {
  if (kind == OptimizerKind::SGD) {
    return std::make_unique<optim::SGD>(std::move(parameters),
                                        optim::SGDOptions{.lr = lr, .momentum = momentum, .weight_decay = weight_decay});
  }
  return std::make_unique<optim::Adam>(std::move(parameters),
                                       optim::AdamOptions{.lr = lr, .weight_decay = weight_decay});
}

float accuracy(const Tensor& logits, const Tensor& labels) {
  NoGradGuard no_grad;
  const Tensor predicted = argmax(logits, 1);
  return static_cast<float>(sum(labels == predicted).item<std::int64_t>()) / static_cast<float>(labels.size(0));
}

std::vector<std::pair<std::string, Tensor>> snapshot(const nn::Module& model) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& [name, p] : model.named_parameters()) out.emplace_back(name, p.detach().clone());
  return out;
}

namespace {

void check_control(const TrainingControl& c, std::int64_t epochs, bool classify) {
  if (c.start_epoch < 0 || c.start_epoch > epochs) {
    throw ValueError("train: start epoch " + std::to_string(c.start_epoch) + " is outside [0, " +
                     std::to_string(epochs) + "]");
  }
  const auto start = static_cast<std::size_t>(c.start_epoch);
  if (c.history.loss.size() != start || (classify && c.history.accuracy.size() != start)) {
    throw ValueError("train: the history holds " + std::to_string(c.history.loss.size()) +
                     " epochs but the run resumes after " + std::to_string(start));
  }
  if (!(c.clip_grad_norm >= 0) || !std::isfinite(c.clip_grad_norm)) {
    throw ValueError("train: clip_grad_norm must be a finite number >= 0, got " + std::to_string(c.clip_grad_norm));
  }
}

// The lesson's loop. `criterion` gives the loss; `classify` says whether to measure accuracy.
template <class Criterion>
History train(nn::Module& model, optim::Optimizer& optimizer, const Tensor& X, const Tensor& y, std::int64_t epochs,
              const TrainingControl& control, const Progress& progress, Criterion&& criterion, bool classify) {
  check_control(control, epochs, classify);
  History h = control.history;
  h.loss.reserve(static_cast<std::size_t>(epochs));
  if (classify) h.accuracy.reserve(static_cast<std::size_t>(epochs));
  const detail::FiniteChecks finite(model);
  const double earlier = h.seconds;
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t t = control.start_epoch; t < epochs; ++t) {
    Tensor y_pred = model(X);             // 1. forward
    Tensor loss = criterion(y_pred, y);   // 2. loss
    EpochReport report{t, epochs, loss.item(), classify ? accuracy(y_pred, y) : 0.f};
    h.loss.push_back(report.loss);
    if (classify) h.accuracy.push_back(report.accuracy);
    optimizer.zero_grad();                // 3. zero the gradients
    loss.backward();                      // 4. back-propagate (accumulate into .grad)
    if (control.check_finite) finite.after_backward(t, report.loss);
    if (control.clip_grad_norm > 0) nn::utils::clip_grad_norm_(optimizer.parameters(), control.clip_grad_norm);
    optimizer.step();                     // 5. step of gradient descent
    if (control.check_finite) finite.after_step(t);
    if (progress) progress(report);
    if (control.after_epoch) {
      h.seconds = earlier + seconds_since(start);
      control.after_epoch(TrainingState{model, optimizer, t + 1, epochs, h});
    }
  }
  h.seconds = earlier + seconds_since(start);
  return h;
}

}  // namespace

History train_classifier(nn::Module& model, optim::Optimizer& optimizer, const Tensor& X, const Tensor& y,
                         std::int64_t epochs, const Progress& progress) {
  return train(model, optimizer, X, y, epochs, TrainingControl{}, progress, nn::CrossEntropyLoss(), true);
}

History train_regressor(nn::Module& model, optim::Optimizer& optimizer, const Tensor& X, const Tensor& y,
                        std::int64_t epochs, const Progress& progress) {
  return train(model, optimizer, X, y, epochs, TrainingControl{}, progress, nn::MSELoss(), false);
}

History train_classifier(nn::Module& model, optim::Optimizer& optimizer, const Tensor& X, const Tensor& y,
                         std::int64_t epochs, const TrainingControl& control, const Progress& progress) {
  return train(model, optimizer, X, y, epochs, control, progress, nn::CrossEntropyLoss(), true);
}

History train_regressor(nn::Module& model, optim::Optimizer& optimizer, const Tensor& X, const Tensor& y,
                        std::int64_t epochs, const TrainingControl& control, const Progress& progress) {
  return train(model, optimizer, X, y, epochs, control, progress, nn::MSELoss(), false);
}

}  // namespace ann::lesson
