// Resuming, checkpointing and divergence checks of the training loop (TrainingControl) and of
// lesson::run_spiral with SpiralTraining: a run interrupted and resumed is bit for bit the
// uninterrupted one, its history covers the whole run, and a diverging run stops at once.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/lesson.h"
#include "ann/mlp_file.h"
#include "ann/ops.h"
#include "ann/optim/sgd.h"
#include "ann/serialize.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using namespace ann;
using ann::testing::message_of;
using ann::testing::TempDir;

// Bit patterns, so that the comparisons are exact (and -0.0 is not 0.0).
std::vector<std::uint32_t> bits(const std::vector<float>& v) {
  std::vector<std::uint32_t> out(v.size());
  std::memcpy(out.data(), v.data(), v.size() * sizeof(float));
  return out;
}

void expect_same_parameters(const nn::Module& a, const nn::Module& b) {
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i)
    EXPECT_EQ(bits(pa[i].second.to_vector<float>()), bits(pb[i].second.to_vector<float>())) << pa[i].first;
}

lesson::SpiralConfig small_config(std::int64_t epochs) {
  lesson::SpiralConfig c;
  c.per_class = 40;
  c.hidden = 12;
  c.layers = 2;
  c.epochs = epochs;
  return c;
}

std::int64_t epoch_in(const fs::path& checkpoint) {
  return std::stoll(load_tensors(checkpoint).metadata.at("ann.epoch"));
}

// ---- the loop --------------------------------------------------------------------------------

TEST(training_control, TheDefaultsGiveThePlainLoop) {
  const lesson::SpiralConfig c = small_config(15);
  const auto run = [&](bool with_control) {
    manual_seed(3);
    const data::Labelled d = data::spiral(c.per_class, c.classes, c.noise);
    nn::Sequential model = lesson::make_mlp(2, c.hidden, c.layers, c.classes, c.activation);
    auto optimizer = lesson::make_optimizer(c.optimizer, model.parameters(), c.lr, c.weight_decay);
    return with_control ? lesson::train_classifier(model, *optimizer, d.X, d.y, c.epochs, lesson::TrainingControl{})
                        : lesson::train_classifier(model, *optimizer, d.X, d.y, c.epochs);
  };
  const lesson::History plain = run(false), controlled = run(true);
  EXPECT_EQ(bits(plain.loss), bits(controlled.loss));
  EXPECT_EQ(bits(plain.accuracy), bits(controlled.accuracy));
}

TEST(training_control, AfterEpochSeesEveryEpochAndTheWholeHistory) {
  manual_seed(4);
  const data::Labelled d = data::spiral(20, 3, 0.2);
  nn::Sequential model = lesson::make_mlp(2, 8, 1, 3, lesson::Activation::ReLU);
  optim::SGD sgd(model.parameters(), {.lr = 0.1});
  lesson::TrainingControl control;
  control.start_epoch = 2;
  control.history.loss = {9.f, 8.f};
  control.history.accuracy = {0.1f, 0.2f};
  std::vector<std::int64_t> seen;
  control.after_epoch = [&](const lesson::TrainingState& s) {
    seen.push_back(s.epochs_done);
    EXPECT_EQ(s.history.loss.size(), static_cast<std::size_t>(s.epochs_done));
    EXPECT_EQ(s.epochs, 5);
  };
  const lesson::History h = lesson::train_classifier(model, sgd, d.X, d.y, 5, control);
  EXPECT_EQ(seen, (std::vector<std::int64_t>{3, 4, 5}));
  ASSERT_EQ(h.loss.size(), 5u);
  EXPECT_EQ(h.loss[0], 9.f);  // the resumed history begins the result
  EXPECT_EQ(h.accuracy[1], 0.2f);

  control.history.loss.pop_back();
  EXPECT_NE(message_of<ValueError>([&] { lesson::train_classifier(model, sgd, d.X, d.y, 5, control); })
                .find("the history holds 1 epochs but the run resumes after 2"),
            std::string::npos);
  control.start_epoch = 6;
  EXPECT_THROW(lesson::train_classifier(model, sgd, d.X, d.y, 5, control), ValueError);
}

// A loss that is finite while a gradient is not: MSE of one huge prediction.
TEST(training_control, ANonFiniteGradientStopsTheRunNamingIt) {
  nn::Linear model(1, 1);
  {
    NoGradGuard no_grad;
    model.weight.fill_(1.f);
    model.bias.fill_(0.f);
  }
  // loss 2.25e38; d/dweight 4.5e38 = inf
  const Tensor X = from_vector(std::vector<float>{1.5e19f}, {1, 1}), y = zeros({1, 1});
  optim::SGD sgd(model.parameters(), {.lr = 1e-3});
  lesson::TrainingControl control;
  control.check_finite = true;
  try {
    lesson::train_regressor(model, sgd, X, y, 3, control);
    FAIL() << "no TrainingDiverged";
  } catch (const lesson::TrainingDiverged& e) {
    EXPECT_EQ(e.epoch, 1);
    EXPECT_EQ(std::string(e.what()), "epoch 1: the gradient of weight is not finite (inf) while the loss is 2.25e+38");
  }
  EXPECT_EQ(model.weight.item(), 1.f);  // stopped before the step
}

TEST(training_control, AStepThatMakesAParameterNonFiniteStopsTheRun) {
  nn::Linear model(1, 1);
  {
    NoGradGuard no_grad;
    model.weight.fill_(1.f);
    model.bias.fill_(0.f);
  }
  optim::SGD sgd(model.parameters(), {.lr = 3e38});  // gradient 2, step 6e38: -inf
  lesson::TrainingControl control;
  control.check_finite = true;
  int after = 0;
  control.after_epoch = [&](const lesson::TrainingState&) { ++after; };
  EXPECT_EQ(message_of<lesson::TrainingDiverged>(
                [&] { lesson::train_regressor(model, sgd, ones({1, 1}), zeros({1, 1}), 3, control); }),
            "epoch 1: the step made parameter weight non-finite (-inf)");
  EXPECT_EQ(after, 0);  // a bad state is never handed on (e.g. to a checkpoint)
}

// ---- run_spiral with checkpoints ---------------------------------------------------------------

TEST(spiral_resume, InterruptedAndResumedIsBitForBitTheUninterruptedRun) {
  TempDir dir;
  const lesson::SpiralRun straight = lesson::run_spiral(small_config(30));

  // 12 epochs planned as 12, then resumed as a run of 30 (a longer run is allowed).
  const fs::path checkpoint = dir / "run.ckpt";
  lesson::run_spiral(small_config(12), {.checkpoint = checkpoint});
  EXPECT_EQ(epoch_in(checkpoint), 12);
  default_generator().manual_seed(999);  // as in a new process: nothing may depend on it
  const lesson::SpiralRun resumed =
      lesson::run_spiral(small_config(30), {.checkpoint = checkpoint, .resume = checkpoint});

  EXPECT_EQ(resumed.resumed_at, 12);
  EXPECT_EQ(bits(resumed.history.loss), bits(straight.history.loss));
  EXPECT_EQ(bits(resumed.history.accuracy), bits(straight.history.accuracy));
  expect_same_parameters(*resumed.model, *straight.model);
  EXPECT_EQ(epoch_in(checkpoint), 30);
  EXPECT_EQ(default_generator().state(), [] {
    lesson::SpiralRun again = lesson::run_spiral(small_config(1));
    return default_generator().state();
  }());  // the generator is where the uninterrupted run left it
}

TEST(spiral_resume, SgdWithMomentumResumesBitForBitToo) {
  TempDir dir;
  lesson::SpiralConfig c = small_config(20);
  c.optimizer = lesson::OptimizerKind::SGD;
  c.lr = 0.05;
  c.momentum = 0.9;
  const lesson::SpiralRun straight = lesson::run_spiral(c);
  lesson::SpiralConfig first = c;
  first.epochs = 7;
  lesson::run_spiral(first, {.checkpoint = dir / "a.ckpt"});
  const lesson::SpiralRun resumed = lesson::run_spiral(c, {.resume = dir / "a.ckpt"});
  EXPECT_EQ(bits(resumed.history.loss), bits(straight.history.loss));
  expect_same_parameters(*resumed.model, *straight.model);
}

TEST(spiral_resume, CheckpointsAreWrittenEveryKEpochsAndAfterTheLast) {
  TempDir dir;
  const fs::path checkpoint = dir / "run.ckpt";
  std::vector<std::int64_t> on_disk;  // what the file holds when each epoch is reported
  const auto look = [&](const lesson::EpochReport&) {
    on_disk.push_back(fs::exists(checkpoint) ? epoch_in(checkpoint) : -1);
  };
  lesson::run_spiral(small_config(10), {.checkpoint = checkpoint, .checkpoint_every = 4}, look);
  // Progress comes before the epoch's checkpoint: epoch 4's report still sees nothing.
  EXPECT_EQ(on_disk, (std::vector<std::int64_t>{-1, -1, -1, -1, 4, 4, 4, 4, 8, 8}));
  EXPECT_EQ(epoch_in(checkpoint), 10);
  // Metadata: the model can be rebuilt from the checkpoint alone; the curves are there.
  const TensorFile file = load_tensors(checkpoint);
  EXPECT_EQ(file.metadata.at("ann.arch"), "mlp");
  EXPECT_EQ(file.metadata.at("spiral.hidden"), "12");
  EXPECT_EQ(std::count(file.metadata.at("spiral.loss").begin(), file.metadata.at("spiral.loss").end(), ','), 9);
  nn::Sequential model = load_mlp(checkpoint);
  EXPECT_EQ(model.named_parameters().size(), 6u);
  EXPECT_EQ(std::vector<std::string>{"run.ckpt"}, [&] {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
    return names;
  }());
}

TEST(spiral_resume, AResumedRunWithNothingLeftGivesTheSameResult) {
  TempDir dir;
  const lesson::SpiralRun straight = lesson::run_spiral(small_config(8), {.checkpoint = dir / "a.ckpt"});
  const lesson::SpiralRun again =
      lesson::run_spiral(small_config(8), {.checkpoint = dir / "b.ckpt", .resume = dir / "a.ckpt"});
  EXPECT_EQ(bits(again.history.loss), bits(straight.history.loss));
  EXPECT_EQ(epoch_in(dir / "b.ckpt"), 8);  // the final checkpoint is written all the same
}

TEST(spiral_resume, AnotherConfigurationIsRefusedNamingEachDifference) {
  TempDir dir;
  lesson::run_spiral(small_config(5), {.checkpoint = dir / "run.ckpt"});
  lesson::SpiralConfig other = small_config(5);
  other.hidden = 13;
  other.lr = 0.01;
  EXPECT_EQ(message_of<ValueError>([&] { lesson::run_spiral(other, {.resume = dir / "run.ckpt"}); }),
            "spiral: resuming from " + (dir / "run.ckpt").string() +
                ": the run's configuration differs from the checkpoint's: hidden \"12\" in the checkpoint, \"13\" "
                "now; lr \"0.001\" in the checkpoint, \"0.01\" now");
  EXPECT_NE(message_of<ValueError>([&] { lesson::run_spiral(small_config(4), {.resume = dir / "run.ckpt"}); })
                .find("the checkpoint has done 5 epochs, more than the 4 of this run"),
            std::string::npos);
  // A model file is no checkpoint; a missing file is an IOError naming it.
  save(*lesson::run_spiral(small_config(1)).model, dir / "model.safetensors", lesson::spiral_metadata(small_config(1)));
  EXPECT_NE(message_of<ValueError>([&] { lesson::run_spiral(small_config(5), {.resume = dir / "model.safetensors"}); })
                .find("not a checkpoint"),
            std::string::npos);
  EXPECT_NE(message_of<IOError>([&] { lesson::run_spiral(small_config(5), {.resume = dir / "missing.ckpt"}); })
                .find("spiral: resuming from " + (dir / "missing.ckpt").string()),
            std::string::npos);
}

TEST(spiral_resume, DivergenceStopsTheRunAndKeepsTheLastGoodCheckpoint) {
  TempDir dir;
  lesson::SpiralConfig c = small_config(100);
  c.optimizer = lesson::OptimizerKind::SGD;
  c.lr = 1e6;
  const fs::path checkpoint = dir / "run.ckpt";
  try {
    lesson::run_spiral(c, {.checkpoint = checkpoint, .checkpoint_every = 1});
    FAIL() << "no TrainingDiverged";
  } catch (const lesson::TrainingDiverged& e) {
    const std::string message = e.what();
    const std::string start = "spiral: epoch " + std::to_string(e.epoch) + ": the loss is not finite (nan)";
    EXPECT_EQ(message.rfind(start, 0), 0u) << message;
    EXPECT_NE(message.find("first non-finite gradient: 0.weight"), std::string::npos) << message;
    EXPECT_NE(message.find(checkpoint.string() + " keeps epoch " + std::to_string(e.epoch - 1)), std::string::npos)
        << message;
    EXPECT_EQ(epoch_in(checkpoint), e.epoch - 1);
  }
  for (const auto& [name, t] : load_tensors(checkpoint).tensors) {
    if (t.dtype() != DType::Float32) continue;
    for (float v : t.to_vector<float>()) ASSERT_TRUE(std::isfinite(v)) << name;
  }
}

// The checkpoint's directory is moved away mid-run and a file takes its name: the next write
// fails with a clear error, and the last checkpoint (in the moved directory) is whole.
TEST(spiral_resume, ACheckpointThatCannotBeWrittenStopsTheRunAndKeepsTheLastOne) {
  TempDir dir;
  fs::create_directory(dir / "d");
  const fs::path checkpoint = dir / "d" / "run.ckpt";
  const auto move_away = [&](const lesson::EpochReport& r) {
    if (r.epoch != 5) return;
    fs::rename(dir / "d", dir / "moved");
    std::ofstream(dir / "d") << "a file";
  };
  const std::string message = message_of<IOError>(
      [&] { lesson::run_spiral(small_config(20), {.checkpoint = checkpoint, .checkpoint_every = 4}, move_away); });
  EXPECT_EQ(message.rfind("spiral: cannot write the checkpoint of epoch 8 (write_file_atomic: cannot create " +
                              checkpoint.string() + ".tmp-",
                          0),
            0u)
      << message;
  EXPECT_NE(message.find("Not a directory); no checkpoint is at " + checkpoint.string()), std::string::npos) << message;
  EXPECT_EQ(epoch_in(dir / "moved" / "run.ckpt"), 4);
  const lesson::SpiralRun resumed = lesson::run_spiral(small_config(20), {.resume = dir / "moved" / "run.ckpt"});
  EXPECT_EQ(bits(resumed.history.loss), bits(lesson::run_spiral(small_config(20)).history.loss));
}

TEST(spiral_resume, OrphanedTempFilesOfDeadWritersAreRemoved) {
  TempDir dir;
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // its pid now belongs to no process
  const std::string dead = "run.ckpt.tmp-" + std::to_string(child) + "-0";
  const std::string live = "run.ckpt.tmp-" + std::to_string(::getppid()) + "-3";
  for (const std::string& name : {dead, live, std::string("run.ckpt.tmp-x"), std::string("other.tmp-1-1")})
    std::ofstream(dir / name) << "half";
  // Gone before the run's first checkpoint (here the only one, at its end): a run killed while
  // writing that one must not leave its temporary file beside the dead writer's.
  bool dead_seen_during_the_run = true;
  lesson::run_spiral(small_config(2), {.checkpoint = dir / "run.ckpt"},
                     [&](const lesson::EpochReport&) { dead_seen_during_the_run = fs::exists(dir / dead); });
  EXPECT_FALSE(dead_seen_during_the_run);
  EXPECT_FALSE(fs::exists(dir / dead));
  EXPECT_TRUE(fs::exists(dir / live));  // its writer may still be at work
  EXPECT_TRUE(fs::exists(dir / "run.ckpt.tmp-x"));
  EXPECT_TRUE(fs::exists(dir / "other.tmp-1-1"));
}

TEST(spiral_resume, TrainingOptionsAreValidated) {
  EXPECT_THROW(lesson::validate(lesson::SpiralTraining{.checkpoint_every = -1}), ValueError);
  EXPECT_THROW(lesson::validate(lesson::SpiralTraining{.checkpoint_every = 5}), ValueError);  // no file
  EXPECT_THROW(lesson::validate(lesson::SpiralTraining{.clip_grad_norm = -1}), ValueError);
  EXPECT_THROW(lesson::validate(lesson::SpiralTraining{.clip_grad_norm = std::nan("")}), ValueError);
  EXPECT_NO_THROW(lesson::validate(lesson::SpiralTraining{.checkpoint = "x", .checkpoint_every = 5}));
}

// ---- memory -----------------------------------------------------------------------------------

TEST(memory, TheLessonsRunsAreSmallAndAbsurdSizesAreRefused) {
  EXPECT_GT(lesson::physical_memory(), 0.0);
  const double spiral = lesson::memory_needed(lesson::SpiralConfig{});
  EXPECT_GT(spiral, 3000.0 * 100 * 4 * 2);  // at least the hidden layer's output and its activation
  EXPECT_LT(spiral, 64.0 * 1024 * 1024);
  EXPECT_LT(lesson::memory_needed(lesson::RegressionConfig{}), 64.0 * 1024 * 1024);

  lesson::SpiralConfig huge;
  huge.per_class = std::int64_t{1} << 40;
  const std::string message = message_of<ValueError>([&] { lesson::validate(huge); });
  EXPECT_EQ(message.rfind("spiral: this run needs about ", 0), 0u) << message;
  EXPECT_NE(message.find(" GiB of memory; the machine has "), std::string::npos) << message;
  lesson::RegressionConfig wide;
  wide.hidden = std::int64_t{1} << 40;
  EXPECT_THROW(lesson::validate(wide), ValueError);
  // Sizes whose products overflow int64 are refused too, not wrapped around.
  huge.per_class = std::int64_t{1} << 62;
  huge.hidden = std::int64_t{1} << 62;
  EXPECT_THROW(lesson::validate(huge), ValueError);
}

}  // namespace
