// Checkpoint and resume of a mini-batch run with everything that draws or keeps state: a
// shuffled DataLoader and Dropout (the generator), BatchNorm1d (buffers), every optimizer (its
// state) and a learning-rate schedule (its state_dict in the checkpoint's metadata). Interrupted
// after some epochs and resumed in fresh objects, the run is bit for bit the uninterrupted one.
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ann/ann.h"
#include "test_support.h"

namespace {

using namespace ann;
using ann::testing::TempDir;

std::vector<std::uint32_t> bits(const Tensor& t) {
  const std::vector<float> v = t.to(DType::Float32).to_vector<float>();
  std::vector<std::uint32_t> out(v.size());
  std::memcpy(out.data(), v.data(), v.size() * sizeof(float));
  return out;
}

struct TrainingRun {
  std::unique_ptr<nn::Sequential> model;
  std::unique_ptr<optim::Optimizer> optimizer;
  std::unique_ptr<optim::LRScheduler> scheduler;
  std::unique_ptr<optim::ReduceLROnPlateau> plateau;
  std::vector<float> losses;
};

using OptimizerFactory = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

// The model, optimizer and schedule of a case, built from `seed`'s weights.
TrainingRun make_run(std::uint64_t seed, const OptimizerFactory& make_optimizer, const std::string& schedule, std::int64_t steps) {
  manual_seed(seed);
  TrainingRun r;
  r.model = std::make_unique<nn::Sequential>(std::initializer_list<nn::AnyModule>{
      nn::Linear(13, 16), nn::BatchNorm1d(16), nn::ReLU(), nn::Dropout(0.3), nn::Linear(16, 3)});
  r.optimizer = make_optimizer(r.model->parameters());
  if (schedule == "step") r.scheduler = std::make_unique<optim::StepLR>(*r.optimizer, optim::StepLROptions{.step_size = 2, .gamma = 0.5});
  if (schedule == "onecycle") {
    r.scheduler = std::make_unique<optim::OneCycleLR>(
        *r.optimizer, optim::OneCycleLROptions{.max_lr = 0.02, .total_steps = steps, .cycle_momentum = r.optimizer->has_momentum()});
  }
  if (schedule == "plateau") r.plateau = std::make_unique<optim::ReduceLROnPlateau>(*r.optimizer, optim::ReduceLROnPlateauOptions{.patience = 0});
  return r;
}

// Epochs [first, last) of the five-step loop over the loader.
void train(TrainingRun& r, data::DataLoader& loader, std::int64_t first, std::int64_t last) {
  for (std::int64_t epoch = first; epoch < last; ++epoch) {
    r.model->train();
    double total = 0;
    for (const auto& batch : loader) {
      Tensor loss = nn::functional::cross_entropy((*r.model)(batch[0]), batch[1]);
      r.optimizer->zero_grad();
      loss.backward();
      r.optimizer->step();
      if (r.scheduler && dynamic_cast<optim::OneCycleLR*>(r.scheduler.get())) r.scheduler->step();
      r.losses.push_back(loss.item());
      total += r.losses.back();
    }
    if (r.scheduler && !dynamic_cast<optim::OneCycleLR*>(r.scheduler.get())) r.scheduler->step();
    if (r.plateau) r.plateau->step(total);
  }
}

optim::SchedulerState schedule_state(const TrainingRun& r) {
  if (r.scheduler) return r.scheduler->state_dict();
  if (r.plateau) return r.plateau->state_dict();
  return {};
}

TEST(MinibatchResume, EveryOptimizerAndScheduleResumesBitForBit) {
  const csv::LabelledTable wine = csv::read_labelled_file(ANN_EXAMPLES_DATA "/wine.csv", {.target = "cultivar"});
  const Tensor X = data::Standardizer::fit(wine.X).transform(wine.X);
  data::DataLoader loader(data::TensorDataset(X, wine.y), {.batch_size = 16, .shuffle = true});
  constexpr std::int64_t kEpochs = 6, kStop = 3;
  const std::int64_t steps = kEpochs * loader.size();

  const std::vector<std::pair<std::string, OptimizerFactory>> optimizers{
      {"sgd nesterov", [](std::vector<Tensor> p) { return std::make_unique<optim::SGD>(p, optim::SGDOptions{.lr = 0.01, .momentum = 0.9, .weight_decay = 1e-3, .nesterov = true}); }},
      {"adam amsgrad", [](std::vector<Tensor> p) { return std::make_unique<optim::Adam>(p, optim::AdamOptions{.lr = 0.01, .amsgrad = true}); }},
      {"adamw", [](std::vector<Tensor> p) { return std::make_unique<optim::AdamW>(p, optim::AdamWOptions{.lr = 0.01}); }},
      {"rmsprop centered", [](std::vector<Tensor> p) { return std::make_unique<optim::RMSprop>(p, optim::RMSpropOptions{.lr = 0.005, .momentum = 0.5, .centered = true}); }},
      {"adagrad", [](std::vector<Tensor> p) { return std::make_unique<optim::Adagrad>(p, optim::AdagradOptions{.lr = 0.05, .lr_decay = 0.01}); }},
  };
  const std::vector<std::string> schedules{"step", "onecycle", "plateau"};
  for (const auto& [optimizer_name, factory] : optimizers) {
    for (const std::string& schedule : schedules) {
      const std::string context = optimizer_name + " + " + schedule;
      // The whole run.
      TrainingRun whole = make_run(1, factory, schedule, steps);
      train(whole, loader, 0, kEpochs);

      // The same run stopped after kStop epochs...
      TempDir dir;
      const auto checkpoint = dir.path() / "run.ckpt";
      {
        TrainingRun first = make_run(1, factory, schedule, steps);
        train(first, loader, 0, kStop);
        save_checkpoint(checkpoint, *first.model, *first.optimizer, default_generator().state(), kStop,
                        scheduler_metadata(schedule_state(first)));
      }
      default_generator().manual_seed(999);  // whatever happened in between
      // ...and resumed in fresh objects with other weights.
      TrainingRun second = make_run(2, factory, schedule, steps);
      const Checkpoint c = load_checkpoint(checkpoint, *second.model, *second.optimizer);
      default_generator().set_state(c.generator);
      if (second.scheduler) second.scheduler->load_state_dict(scheduler_state(c.metadata));
      if (second.plateau) second.plateau->load_state_dict(scheduler_state(c.metadata));
      train(second, loader, c.epoch, kEpochs);

      const std::vector<float> tail(whole.losses.end() - static_cast<std::ptrdiff_t>(second.losses.size()), whole.losses.end());
      EXPECT_EQ(second.losses, tail) << context;
      EXPECT_EQ(second.optimizer->lr(), whole.optimizer->lr()) << context;
      const auto a = whole.model->state_dict(), b = second.model->state_dict();
      ASSERT_EQ(a.size(), b.size());
      for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(bits(a[i].second), bits(b[i].second)) << context << " " << a[i].first;
    }
  }
}

TEST(MinibatchResume, SchedulerMetadataRoundTripsExactlyAndRefusesJunk) {
  const optim::SchedulerState state{{"last_epoch", 7}, {"base_lr", 0.1 / 3}, {"last_lr", 1e-310}};
  EXPECT_EQ(scheduler_state(scheduler_metadata(state)), state);
  EXPECT_THROW(scheduler_state({}), ValueError);
  EXPECT_THROW(scheduler_state({{"ann.scheduler.last_epoch", "seven"}}), ValueError);
}

}  // namespace
