// train_on_table: the five-step loop over mini-batches, with a validation pass per epoch,
// a learning-rate schedule, and early stopping that keeps the best epoch's weights.
#include "tabular_training.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>

#include <fmt/format.h>

#include "ann/autograd.h"
#include "ann/data/dataloader.h"
#include "ann/data/dataset.h"
#include "ann/error.h"
#include "ann/lesson.h"
#include "ann/metrics.h"
#include "ann/nn.h"
#include "ann/ops.h"
#include "ann/optim.h"
#include "ann/train_step.h"

namespace ann::cli {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Rows per forward pass when evaluating: bounds the activations' memory on large tables.
constexpr std::int64_t kEvaluationChunk = 16384;

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainingConfig& c, std::vector<Tensor> parameters) {
  const double lr = effective_lr(c);
  if (c.optimizer == "sgd") return std::make_unique<optim::SGD>(parameters, optim::SGDOptions{.lr = lr, .momentum = c.momentum, .weight_decay = c.weight_decay});
  if (c.optimizer == "adam") return std::make_unique<optim::Adam>(parameters, optim::AdamOptions{.lr = lr, .weight_decay = c.weight_decay});
  if (c.optimizer == "adamw") return std::make_unique<optim::AdamW>(parameters, optim::AdamWOptions{.lr = lr, .weight_decay = c.weight_decay});
  if (c.optimizer == "rmsprop") return std::make_unique<optim::RMSprop>(parameters, optim::RMSpropOptions{.lr = lr, .weight_decay = c.weight_decay});
  if (c.optimizer == "adagrad") return std::make_unique<optim::Adagrad>(parameters, optim::AdagradOptions{.lr = lr, .weight_decay = c.weight_decay});
  throw ValueError("train: unknown --optimizer " + c.optimizer);
}

// The learning-rate schedules `ann train` offers, with defaults that suit a run of `epochs`:
//   step: ×0.1 after each third of the run; exponential: down to 1 % of the rate at the end;
//   cosine: half a cosine over the run; plateau: ×0.1 after 10 epochs without a better
//   validation loss; onecycle: PyTorch's 1cycle over every batch of the run, peaking at --lr.
class Schedule {
 public:
  Schedule(const TrainingConfig& c, optim::Optimizer& optimizer, std::int64_t batches_per_epoch) {
    const std::string& s = c.scheduler;
    if (s == "step") {
      epochwise_ = std::make_unique<optim::StepLR>(optimizer, optim::StepLROptions{.step_size = std::max<std::int64_t>(1, c.epochs / 3), .gamma = 0.1});
    } else if (s == "exponential") {
      epochwise_ = std::make_unique<optim::ExponentialLR>(optimizer, std::pow(0.01, 1.0 / static_cast<double>(c.epochs)));
    } else if (s == "cosine") {
      epochwise_ = std::make_unique<optim::CosineAnnealingLR>(optimizer, optim::CosineAnnealingLROptions{.T_max = c.epochs});
    } else if (s == "plateau") {
      plateau_ = std::make_unique<optim::ReduceLROnPlateau>(optimizer);
    } else if (s == "onecycle") {
      per_batch_ = std::make_unique<optim::OneCycleLR>(
          optimizer, optim::OneCycleLROptions{.max_lr = effective_lr(c), .total_steps = c.epochs * batches_per_epoch,
                                              .cycle_momentum = optimizer.has_momentum()});
    } else if (s != "none") {
      throw ValueError("train: unknown --scheduler " + s);
    }
  }
  void after_batch() {
    if (per_batch_) per_batch_->step();
  }
  void after_epoch(double monitored_loss) {
    if (epochwise_) epochwise_->step();
    if (plateau_) plateau_->step(monitored_loss);
  }

 private:
  std::unique_ptr<optim::LRScheduler> epochwise_, per_batch_;
  std::unique_ptr<optim::ReduceLROnPlateau> plateau_;
};

Tensor loss_of(const Tensor& output, const Tensor& target, bool classification, nn::Reduction reduction) {
  return classification ? nn::functional::cross_entropy(output, target, reduction)
                        : nn::functional::mse_loss(output, target, reduction);
}

// The model's loss and metric on rows X, y (standardised), in evaluation mode.
Evaluation evaluate(nn::Sequential& model, const Tensor& X, const Tensor& y, bool classification,
                    const data::Standardizer& target_scale) {
  NoGradGuard no_grad;
  model.eval();
  const std::int64_t rows = X.size(0);
  double loss_sum = 0;
  std::vector<Tensor> outputs;
  for (std::int64_t first = 0; first < rows; first += kEvaluationChunk) {
    const std::int64_t n = std::min(kEvaluationChunk, rows - first);
    const Tensor output = model(X.slice(0, first, first + n));
    loss_sum += loss_of(output, y.slice(0, first, first + n), classification, nn::Reduction::Sum).item();
    outputs.push_back(output);
  }
  const Tensor output = outputs.size() == 1 ? outputs.front() : cat(outputs, 0);
  Evaluation e;
  e.loss = loss_sum / static_cast<double>(classification ? rows : y.numel());
  if (classification) {
    // One argmax for both: the accuracy is the confusion matrix's diagonal over the rows.
    const std::int64_t classes = output.size(1);
    e.confusion = metrics::confusion_matrix(argmax(output, 1), y, classes);
    const std::vector<std::int64_t> counts = e.confusion.to_vector<std::int64_t>();
    std::int64_t right = 0;
    for (std::int64_t c = 0; c < classes; ++c) right += counts[static_cast<std::size_t>(c * classes + c)];
    e.accuracy = static_cast<double>(right) / static_cast<double>(rows);
  } else {
    const double scale = target_scale.scale().front();
    e.mse = e.loss * scale * scale;  // the loss is the MSE of standardised targets
    e.r2 = metrics::r2_score(output, y);  // unchanged by the standardisation
  }
  return e;
}

std::vector<std::pair<std::string, Tensor>> copy_of_state(const nn::Module& model) {
  std::vector<std::pair<std::string, Tensor>> state = model.state_dict();
  for (auto& [name, tensor] : state) tensor = tensor.clone();
  return state;
}

}  // namespace

const std::vector<std::string>& activation_names() { return nn::activation_names(); }
const std::vector<std::string>& optimizer_names() {
  static const std::vector<std::string> names{"sgd", "adam", "adamw", "rmsprop", "adagrad"};
  return names;
}
const std::vector<std::string>& scheduler_names() {
  static const std::vector<std::string> names{"none", "step", "exponential", "cosine", "plateau", "onecycle"};
  return names;
}

double effective_lr(const TrainingConfig& c) {
  if (c.lr > 0) return c.lr;
  return c.optimizer == "adam" || c.optimizer == "adamw" ? 1e-3 : 1e-2;  // PyTorch's defaults; SGD has none
}

void validate(const TrainingConfig& c) {
  const auto fail = [](const std::string& what) { throw ValueError("train: " + what); };
  for (const std::int64_t h : c.hidden)
    if (h < 1 || h > (1 << 20)) fail(fmt::format("--hidden: a layer of {} units (need 1 to {})", h, 1 << 20));
  if (c.hidden.size() > 64) fail(fmt::format("--hidden: {} layers, more than 64", c.hidden.size()));
  const auto in = [](const std::string& x, const std::vector<std::string>& set) { return std::find(set.begin(), set.end(), x) != set.end(); };
  if (!in(c.activation, activation_names())) fail("unknown --activation " + c.activation);
  if (!in(c.optimizer, optimizer_names())) fail("unknown --optimizer " + c.optimizer);
  if (!in(c.scheduler, scheduler_names())) fail("unknown --scheduler " + c.scheduler);
  if (!(c.dropout >= 0 && c.dropout < 1)) fail(fmt::format("--dropout {} is not in [0, 1)", c.dropout));
  if (c.batch_size < 1) fail(fmt::format("--batch-size {} is below 1", c.batch_size));
  if (c.epochs < 1) fail(fmt::format("--epochs {} is below 1", c.epochs));
  if (!(c.lr >= 0 && std::isfinite(c.lr))) fail(fmt::format("--lr {} is not a positive number", c.lr));
  if (!(c.weight_decay >= 0 && std::isfinite(c.weight_decay))) fail(fmt::format("--weight-decay {} is negative", c.weight_decay));
  if (!(c.momentum >= 0 && c.momentum < 1)) fail(fmt::format("--momentum {} is not in [0, 1)", c.momentum));
  if (!(c.val_split >= 0 && c.val_split < 1)) fail(fmt::format("--val-split {} is not in [0, 1)", c.val_split));
  if (c.early_stopping < 0) fail(fmt::format("--early-stopping {} is negative", c.early_stopping));
  if (c.early_stopping > 0 && c.val_split == 0) {
    fail("--early-stopping watches the validation loss, but --val-split 0 keeps no rows aside");
  }
}

std::pair<std::int64_t, std::int64_t> split_sizes(std::int64_t rows, double val_split) {
  if (val_split == 0) return {rows, 0};
  // random_split's fractions: floor(rows · f) each, the remainder handed out from the first part.
  std::int64_t train = static_cast<std::int64_t>(std::floor(static_cast<double>(rows) * (1.0 - val_split)));
  std::int64_t validation = static_cast<std::int64_t>(std::floor(static_cast<double>(rows) * val_split));
  for (std::int64_t i = 0; i < rows - train - validation; ++i) ++(i % 2 == 0 ? train : validation);
  if (validation == 0) {
    throw ValueError(fmt::format("train: --val-split {} of {} rows keeps no row aside for validation; raise it or use --val-split 0",
                                 val_split, rows));
  }
  if (train == 0) throw ValueError(fmt::format("train: --val-split {} of {} rows leaves no row to train on", val_split, rows));
  return {train, validation};
}

TrainingResult train_on_table(const csv::LabelledTable& table, const TrainingConfig& config, const EpochCallback& on_epoch) {
  validate(config);
  const bool classification = table.classification;
  const std::int64_t rows = table.X.size(0);
  manual_seed(config.seed);

  // 1. The split, drawn as torch.utils.data.random_split(dataset, [1 − v, v]) draws it.
  split_sizes(rows, config.val_split);  // both parts hold rows
  data::TensorDataset all(table.X, table.y);
  data::TensorDataset train_rows = all, validation_rows = all;
  if (config.val_split > 0) {
    auto parts = data::random_split(all, {1.0 - config.val_split, config.val_split});
    train_rows = parts[0];
    validation_rows = parts[1];
  }

  // 2. Standardisation with the training rows' statistics only.
  TrainingResult result;
  TabularModel& m = result.model;
  m.feature_names = table.feature_names;
  m.target = table.target;
  m.classification = classification;
  m.class_names = table.class_names;
  m.features = data::Standardizer::fit(train_rows.tensors()[0]);
  if (!classification) m.target_scale = data::Standardizer::fit(train_rows.tensors()[1]);
  const auto standardised = [&](const data::TensorDataset& d) {
    return data::TensorDataset(m.features.transform(d.tensors()[0]),
                               classification ? d.tensors()[1] : m.target_scale.transform(d.tensors()[1]));
  };
  const data::TensorDataset train_set = standardised(train_rows);
  const bool has_validation = config.val_split > 0;
  const data::TensorDataset validation_set = has_validation ? standardised(validation_rows) : train_set;
  result.train_rows = train_set.size();
  result.validation_rows = has_validation ? validation_set.size() : 0;

  // 3. The network: (Linear → activation [→ Dropout]) per hidden layer, then Linear.
  std::int64_t width = m.features.columns();
  for (const std::int64_t h : config.hidden) {
    m.network.push_back(nn::Linear(width, h));
    m.network.push_back(nn::make_activation(config.activation));
    if (config.dropout > 0) m.network.push_back(nn::Dropout(config.dropout));
    width = h;
  }
  m.network.push_back(nn::Linear(width, classification ? static_cast<std::int64_t>(m.class_names.size()) : 1));
  nn::Sequential& model = m.network;

  const std::unique_ptr<optim::Optimizer> optimizer = make_optimizer(config, model.parameters());
  data::DataLoader loader(train_set, {.batch_size = config.batch_size, .shuffle = true});
  TrainStep::Criterion criterion;
  if (classification) criterion = nn::CrossEntropyLoss();
  else criterion = nn::MSELoss();
  TrainStep train_step(model, criterion, *optimizer);
  Schedule schedule(config, *optimizer, loader.size());

  // A regression's R² over the training rows: every epoch sees all of them (no batch is
  // dropped), so the total sum of squares SST = Σy² − (Σy)²/n is the same each epoch.
  double train_sst = 0;
  if (!classification) {
    const Tensor& y = train_set.tensors()[1];
    const double y_sum = sum(y).item(), n = static_cast<double>(y.size(0));
    train_sst = static_cast<double>(sum(y * y).item()) - y_sum * y_sum / n;
  }

  double best_loss = std::numeric_limits<double>::infinity();
  std::vector<std::pair<std::string, Tensor>> best_state;
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t epoch = 0; epoch < config.epochs; ++epoch) {
    EpochRecord record;
    record.lr = optimizer->lr();
    model.train();
    double loss_sum = 0, right = 0;
    std::int64_t seen = 0, batch_index = 0;
    for (const auto& batch : loader) {
      const Tensor& X = batch[0];
      const Tensor& y = batch[1];
      const Tensor loss = train_step(X, y);  // forward, loss, zero_grad, backward, step (ann/train_step.h)
      const Tensor& y_pred = train_step.last_output();
      schedule.after_batch();

      const double value = loss.item();
      if (!std::isfinite(value)) {
        throw lesson::TrainingDiverged(
            fmt::format("train: the loss became {} at epoch {}, batch {}; try a smaller --lr (it was {:g})", value,
                        epoch + 1, batch_index + 1, record.lr),
            epoch);
      }
      const auto n = static_cast<double>(X.size(0));
      loss_sum += value * n;
      if (classification) {
        NoGradGuard no_grad;
        right += sum(argmax(y_pred, 1) == y).item();
      }
      seen += X.size(0);
      ++batch_index;
    }
    record.train_loss = loss_sum / static_cast<double>(seen);
    if (classification) {
      record.train_metric = right / static_cast<double>(seen);
    } else {  // R² = 1 − SSE / SST, with SSE = n · MSE
      record.train_metric = train_sst > 0 ? 1.0 - loss_sum / train_sst : kNaN;
    }
    record.validation_loss = record.validation_metric = kNaN;
    if (has_validation) {
      const Evaluation e = evaluate(model, validation_set.tensors()[0], validation_set.tensors()[1], classification, m.target_scale);
      record.validation_loss = e.loss;
      record.validation_metric = classification ? e.accuracy : e.r2;
    }
    result.history.push_back(record);
    schedule.after_epoch(has_validation ? record.validation_loss : record.train_loss);
    if (on_epoch) on_epoch(epoch, config.epochs, record);

    if (config.early_stopping > 0) {
      if (record.validation_loss < best_loss) {
        best_loss = record.validation_loss;
        best_state = copy_of_state(model);
        result.best_epoch = epoch;
      } else if (epoch - result.best_epoch >= config.early_stopping) {
        result.stopped_early = true;
        break;
      }
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!best_state.empty()) model.load_state_dict(best_state);

  result.train = evaluate(model, train_set.tensors()[0], train_set.tensors()[1], classification, m.target_scale);
  if (has_validation) {
    result.validation = evaluate(model, validation_set.tensors()[0], validation_set.tensors()[1], classification, m.target_scale);
  }
  return result;
}

}  // namespace ann::cli
