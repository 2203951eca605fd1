#pragma once
// The lesson's experiments as functions: the spiral classifier, the regression ensembles,
// and the whole lesson in the notebooks' order and random stream. The `ann` CLI, the
// examples' figures and the PyTorch parity tests all run these same functions.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ann/data.h"
#include "ann/generator.h"
#include "ann/nn.h"
#include "ann/ops.h"
#include "ann/optim.h"

namespace ann::lesson {

// ---- building blocks ------------------------------------------------------------------------

/// The squashing function after each hidden affine layer; None is the lesson's linear model.
using ann::Activation;
enum class OptimizerKind { SGD, Adam };

/// "none", "relu", "tanh", "sigmoid" (and back); throws ValueError naming the valid choices.
Activation parse_activation(std::string_view name);
std::string_view to_string(Activation activation);
/// "sgd", "adam" (and back); throws ValueError naming the valid choices.
OptimizerKind parse_optimizer(std::string_view name);
std::string_view to_string(OptimizerKind kind);

/// Linear(in, H), act, [Linear(H, H), act] × (layers − 1), Linear(H, out); no act modules for
/// Activation::None. Layers are initialised in that order from the global generator.
nn::Sequential make_mlp(std::int64_t in, std::int64_t hidden, std::int64_t layers, std::int64_t out,
                        Activation activation);

/// SGD (with momentum) or Adam (L2 weight decay) over `parameters`.
std::unique_ptr<optim::Optimizer> make_optimizer(OptimizerKind kind, std::vector<Tensor> parameters, double lr,
                                                 double weight_decay, double momentum = 0.0);

/// One epoch's numbers, measured before that epoch's step (what the notebooks print).
struct EpochReport {
  std::int64_t epoch = 0;   ///< 0-based
  std::int64_t epochs = 0;  ///< total in this run
  float loss = 0.f;
  float accuracy = 0.f;     ///< classification only
};
using Progress = std::function<void(const EpochReport&)>;

/// Loss (and accuracy) per epoch of one training run.
struct History {
  std::vector<float> loss;
  std::vector<float> accuracy;  ///< empty for regression
  double seconds = 0.0;
};

/// Full-batch training with the lesson's five steps per epoch: forward, loss (cross-entropy
/// on labels; the accuracy argmax(ŷ) == y is measured too), zero_grad, backward, step.
History train_classifier(nn::Module& model, optim::Optimizer& optimizer, const Tensor& X, const Tensor& y,
                         std::int64_t epochs, const Progress& progress = {});
/// The same with the mean squared error on real targets.
History train_regressor(nn::Module& model, optim::Optimizer& optimizer, const Tensor& X, const Tensor& y,
                        std::int64_t epochs, const Progress& progress = {});

/// Fraction of rows whose argmax over the logits equals the label.
float accuracy(const Tensor& logits, const Tensor& labels);

/// Parameters by state_dict name, copied out (to keep a model's initial weights).
std::vector<std::pair<std::string, Tensor>> snapshot(const nn::Module& model);

// ---- spiral classification -----------------------------------------------------------------

struct SpiralConfig {
  std::uint64_t seed = 12345;
  std::int64_t per_class = 1000;
  std::int64_t classes = 3;
  double noise = 0.2;
  std::int64_t hidden = 100;
  std::int64_t layers = 1;
  Activation activation = Activation::ReLU;
  OptimizerKind optimizer = OptimizerKind::Adam;
  double lr = 1e-3;
  double weight_decay = 1e-5;
  double momentum = 0.0;
  std::int64_t epochs = 1000;
};

/// Throws ValueError naming the first option out of range (epochs < 1, lr <= 0 or NaN, ...).
void validate(const SpiralConfig& config);

struct SpiralRun {
  data::Labelled data;
  std::shared_ptr<nn::Sequential> model;
  std::vector<std::pair<std::string, Tensor>> initial_parameters;
  History history;
};

/// manual_seed(seed); spiral data; model; trains full-batch — as `ann spiral`.
SpiralRun run_spiral(const SpiralConfig& config, const Progress& progress = {});

// ---- regression ensembles ------------------------------------------------------------------

struct RegressionConfig {
  std::uint64_t seed = 1;
  std::int64_t points = 100;
  std::int64_t networks = 10;  ///< the first half ReLU, the rest Tanh
  std::int64_t hidden = 100;
  std::int64_t epochs = 1000;
  double lr = 1e-3;
  double weight_decay = 1e-5;
};

void validate(const RegressionConfig& config);

struct RegressionNet {
  Activation activation;
  std::shared_ptr<nn::Sequential> model;
  Tensor before;       ///< predictions on X before training [points, 1]
  History history;
  Tensor predictions;  ///< on x_new, after training [1001]
};

struct RegressionRun {
  data::Labelled data;
  std::shared_ptr<nn::Sequential> linear_model;  ///< Linear(1, H), Linear(H, 1), SGD
  History linear_history;
  std::vector<RegressionNet> nets;
  Tensor x_new;  ///< linspace(−4, 4, 1001)
  /// Spread of each family's predictions on x_new (unbiased, across its nets); [1001] each.
  Tensor var_relu, std_relu, var_tanh, std_tanh;
};

/// The regression notebook: manual_seed(seed); cubic data; the linear model (SGD); then the
/// nets one after the other, each initialised just before it is trained (Adam).
RegressionRun run_regression(const RegressionConfig& config, const Progress& progress = {});

// ---- the whole lesson ----------------------------------------------------------------------

struct LessonRun {
  data::Labelled spiral;
  std::shared_ptr<nn::Sequential> linear_model, relu_model;
  std::vector<std::pair<std::string, Tensor>> linear_initial, relu_initial;
  History linear_history, relu_history;
  RegressionRun regression;
};

/// Which run of the lesson a progress report belongs to.
using LessonProgress = std::function<void(std::string_view run, const EpochReport&)>;

/// The notebooks in order: seed 12345, spiral data, linear model (SGD), two-layer ReLU model
/// (Adam) initialised from the same stream, then the regression notebook (seed 1).
LessonRun run_lesson(const LessonProgress& progress = {});

}  // namespace ann::lesson
