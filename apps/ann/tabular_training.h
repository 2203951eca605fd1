#pragma once
// The training run behind `ann train`: a user's table split into training and validation rows,
// standardised, and fitted by a fully connected network with mini-batches, with PyTorch's
// order of random draws (split, weights, then each epoch's shuffle and dropout masks), so that
// the same seed gives the same run as the equivalent PyTorch script.
#include <cstdint>
#include <functional>
#include <utility>
#include <string>
#include <vector>

#include "ann/csv.h"
#include "ann/tabular.h"
#include "ann/tensor.h"

namespace ann::cli {

struct TrainingConfig {
  std::vector<std::int64_t> hidden{64, 64};  ///< widths of the hidden layers; empty: a linear model
  std::string activation = "relu";           ///< relu, tanh, sigmoid, leaky_relu, elu, gelu, silu, softplus
  double dropout = 0.0;                      ///< after each hidden activation; 0: none
  std::int64_t batch_size = 32;
  std::int64_t epochs = 100;
  std::string optimizer = "adam";  ///< sgd, adam, adamw, rmsprop, adagrad
  double lr = 0.0;                 ///< 0: the optimizer's PyTorch default (SGD: 0.01)
  double weight_decay = 0.0;
  double momentum = 0.9;               ///< SGD only
  std::string scheduler = "none";      ///< none, step, exponential, cosine, plateau, onecycle
  double val_split = 0.2;              ///< fraction of the rows kept aside, in [0, 1)
  std::int64_t early_stopping = 0;     ///< patience in epochs; 0: train every epoch
  std::uint64_t seed = 0;
};

/// Throws ValueError naming the option for anything outside its range, before any data is read.
void validate(const TrainingConfig& config);
/// The options' choices, for --help and the CLI's checks.
const std::vector<std::string>& activation_names();
const std::vector<std::string>& optimizer_names();
const std::vector<std::string>& scheduler_names();
/// The learning rate `config` trains with (its lr, or the optimizer's default).
double effective_lr(const TrainingConfig& config);

/// How many of `rows` train and validate under `val_split`, as random_split's fractions round
/// them. ValueError when either part (the validation part only when val_split > 0) is empty.
std::pair<std::int64_t, std::int64_t> split_sizes(std::int64_t rows, double val_split);

/// Loss and metric on a set of rows: classification accuracy and the confusion matrix, or
/// regression MSE (in the target's units) and R².
struct Evaluation {
  double loss = 0, accuracy = 0, mse = 0, r2 = 0;
  Tensor confusion;  ///< classification: [classes, classes] counts, rows the truth
};

/// One epoch's numbers: the training rows' as seen during the epoch (the mean loss of its
/// batches, the accuracy or R² of their outputs), the validation rows' after it.
struct EpochRecord {
  double train_loss = 0, train_metric = 0;
  double validation_loss = 0, validation_metric = 0;  ///< NaN without validation rows
  double lr = 0;
};

struct TrainingResult {
  TabularModel model;  ///< the kept weights: the best epoch's with early stopping, else the last
  std::vector<EpochRecord> history;
  std::int64_t train_rows = 0, validation_rows = 0;
  std::int64_t best_epoch = -1;  ///< 0-based, with early stopping
  bool stopped_early = false;
  Evaluation train, validation;  ///< of the kept weights, in evaluation mode (validation: with validation rows)
  /// The evaluation a report shows: the validation rows', or the training rows' without them.
  const Evaluation& reported() const { return validation_rows > 0 ? validation : train; }
  double seconds = 0;            ///< the epochs' wall time
};

using EpochCallback = std::function<void(std::int64_t epoch, std::int64_t epochs, const EpochRecord&)>;

/// Trains on `table` as `config` says. ValueError, before training, when the split leaves no
/// row to train on or (with val_split > 0) none to validate on; lesson::TrainingDiverged when
/// the loss stops being finite (the message names the epoch and suggests a smaller --lr).
TrainingResult train_on_table(const csv::LabelledTable& table, const TrainingConfig& config,
                              const EpochCallback& on_epoch = {});

}  // namespace ann::cli
