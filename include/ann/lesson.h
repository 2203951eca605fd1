#pragma once
// The lesson's experiments as functions: the spiral classifier, the regression ensembles,
// and the whole lesson in the notebooks' order and random stream. The `ann` CLI, the
// examples' figures and the PyTorch parity tests all run these same functions.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ann/data.h"
#include "ann/error.h"
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

// ---- training control: resuming, checkpoints, clipping, divergence --------------------------

/// A run stopped because its loss, a gradient or a parameter is no longer a finite number
/// (typically a learning rate far too large). The message names the epoch and the first
/// non-finite tensor; the `ann` tool exits with code 3 for it.
struct TrainingDiverged : Error {
  TrainingDiverged(const std::string& message, std::int64_t epoch) : Error(message), epoch(epoch) {}
  std::int64_t epoch;  ///< the epoch that went wrong, counted from 1 as in the message
};

/// The loop's state after an epoch's step, as TrainingControl::after_epoch sees it.
struct TrainingState {
  const nn::Module& model;
  const optim::Optimizer& optimizer;
  std::int64_t epochs_done;  ///< epochs completed, this one included
  std::int64_t epochs;       ///< epochs of the whole run
  const History& history;    ///< every epoch so far (a resumed run's earlier ones included); seconds so far
};

/// What the training loop does besides its five steps. The defaults give the plain loop.
struct TrainingControl {
  /// Epochs already done (a resumed run): the loop runs epochs start_epoch .. epochs − 1, and
  /// `history`, which must hold those start_epoch epochs, begins the History it returns.
  std::int64_t start_epoch = 0;
  History history;
  /// > 0: nn::utils::clip_grad_norm_(parameters, clip_grad_norm) between backward and step.
  double clip_grad_norm = 0.0;
  /// Throw TrainingDiverged as soon as the loss or a gradient (before the step) or a parameter
  /// (after it) is NaN or infinite; that is before after_epoch, which never sees a bad state.
  bool check_finite = false;
  /// Called after every epoch's step and progress report, e.g. to write a checkpoint.
  std::function<void(const TrainingState&)> after_epoch;
};

/// The five-step loops with a TrainingControl. Throws ValueError for a start_epoch outside
/// [0, epochs] or a history that does not hold start_epoch epochs.
History train_classifier(nn::Module& model, optim::Optimizer& optimizer, const Tensor& X, const Tensor& y,
                         std::int64_t epochs, const TrainingControl& control, const Progress& progress = {});
History train_regressor(nn::Module& model, optim::Optimizer& optimizer, const Tensor& X, const Tensor& y,
                        std::int64_t epochs, const TrainingControl& control, const Progress& progress = {});

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

/// Throws ValueError naming the first option out of range (epochs < 1, lr <= 0 or NaN, ...),
/// or for a run that would need more memory than the machine has (memory_needed).
void validate(const SpiralConfig& config);

struct SpiralRun {
  data::Labelled data;
  std::shared_ptr<nn::Sequential> model;
  std::vector<std::pair<std::string, Tensor>> initial_parameters;
  History history;
  std::int64_t resumed_at = 0;  ///< epochs a resumed run found done in its checkpoint
};

/// manual_seed(seed); spiral data; model; trains full-batch.
SpiralRun run_spiral(const SpiralConfig& config, const Progress& progress = {});

/// How `ann spiral` trains and keeps a run, besides its configuration.
struct SpiralTraining {
  /// Where to keep a checkpoint (model, optimizer, generator, epochs done, the configuration
  /// and the curves so far), written atomically every `checkpoint_every` epochs and after the
  /// last one; empty: none.
  std::filesystem::path checkpoint{};
  std::int64_t checkpoint_every = 0;  ///< 0: only after the last epoch
  /// A checkpoint of a run with the same configuration to continue from (`epochs` may be
  /// larger than the checkpoint's, to train longer); empty: start afresh.
  std::filesystem::path resume{};
  double clip_grad_norm = 0.0;  ///< > 0: clip the total gradient norm to this before each step
  bool check_finite = true;     ///< stop with TrainingDiverged at a non-finite loss, gradient or parameter
};

/// Throws ValueError for checkpoint_every < 0 or clip_grad_norm < 0 or NaN.
void validate(const SpiralTraining& training);

/// run_spiral with checkpoints, resuming, clipping and divergence checks — as `ann spiral`.
/// Interrupted and resumed or not, the run is bit for bit the uninterrupted one, and its
/// history holds every epoch. Throws ValueError when `resume` holds another configuration
/// (naming every difference), IOError when a checkpoint cannot be read or written (a failed
/// write keeps the previous checkpoint), TrainingDiverged (the checkpoint keeps the last good
/// epoch). Leftover temporary files of killed writers of the checkpoint are removed.
SpiralRun run_spiral(const SpiralConfig& config, const SpiralTraining& training, const Progress& progress = {});

/// Metadata for a model file or checkpoint of this configuration: describe_mlp's keys (so
/// that load_mlp rebuilds the model from the file alone) and every option as "spiral.<name>".
/// Throws ValueError for a model too large to describe (more than 2^28 parameters).
std::map<std::string, std::string> spiral_metadata(const SpiralConfig& config);

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

/// As validate(SpiralConfig): options out of range, or more memory than the machine has.
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

// ---- memory -------------------------------------------------------------------------------

/// About how many bytes a run needs at its peak: the data; every layer's outputs, kept for
/// backward, and their gradients; the parameters with their gradients, optimizer state and
/// initial copy; the loss curves. A rough upper estimate, to refuse sizes the machine cannot hold before
/// allocating anything. Computed in double: absurd sizes do not overflow.
double memory_needed(const SpiralConfig& config);
double memory_needed(const RegressionConfig& config);
/// The machine's physical memory in bytes (sysconf), 0 when unknown.
double physical_memory();

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
