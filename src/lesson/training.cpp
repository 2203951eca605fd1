// The building blocks of the lesson's experiments: the model, the optimizer, and the
// five-step training loop.
#include <chrono>
#include <cmath>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/lesson.h"
#include "ann/ops.h"

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
// The lesson's loop. `criterion` gives the loss; `classify` says whether to measure accuracy.
template <class Criterion>
History train(nn::Module& model, optim::Optimizer& optimizer, const Tensor& X, const Tensor& y, std::int64_t epochs,
              const Progress& progress, Criterion&& criterion, bool classify) {
  History h;
  h.loss.reserve(static_cast<std::size_t>(epochs));
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t t = 0; t < epochs; ++t) {
    Tensor y_pred = model(X);             // 1. forward
    Tensor loss = criterion(y_pred, y);   // 2. loss
    EpochReport report{t, epochs, loss.item(), classify ? accuracy(y_pred, y) : 0.f};
    h.loss.push_back(report.loss);
    if (classify) h.accuracy.push_back(report.accuracy);
    optimizer.zero_grad();                // 3. zero the gradients
    loss.backward();                      // 4. back-propagate (accumulate into .grad)
    optimizer.step();                     // 5. step of gradient descent
    if (progress) progress(report);
  }
  h.seconds = seconds_since(start);
  return h;
}
}  // namespace

History train_classifier(nn::Module& model, optim::Optimizer& optimizer, const Tensor& X, const Tensor& y,
                         std::int64_t epochs, const Progress& progress) {
  return train(model, optimizer, X, y, epochs, progress, nn::CrossEntropyLoss(), true);
}

History train_regressor(nn::Module& model, optim::Optimizer& optimizer, const Tensor& X, const Tensor& y,
                        std::int64_t epochs, const Progress& progress) {
  return train(model, optimizer, X, y, epochs, progress, nn::MSELoss(), false);
}

}  // namespace ann::lesson
