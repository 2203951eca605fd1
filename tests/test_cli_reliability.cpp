// The `ann` tool's reliability features, run as a user would: --save and `ann predict`,
// --checkpoint / --resume (bit for bit), exit code 3 for a diverging run, one-line errors and
// nothing written for bad input, and identical results across runs and thread counts.
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ann/autograd.h"
#include "ann/mlp_file.h"
#include "ann/ops.h"
#include "ann/serialize.h"
#include "cli_support.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace ann;

using ann::testing::entries_of;
using ann::testing::lines_of;
using ann::testing::read_file;

namespace {

using Result = ann::testing::CliResult;
using ann::testing::expect_error;

class cli_reliability : public ann::testing::CliTest {};

std::string shortest(float value) {
  char text[32];
  return std::string(text, std::to_chars(text, text + sizeof text, value).ptr);
}

const std::string kSmall = "spiral --per-class 50 --hidden 20 --quiet ";

TEST_F(cli_reliability, HelpShowsTheNewOptionsAndCommand) {
  EXPECT_NE(run("--help").out.find("predict"), std::string::npos);
  const Result spiral = run("spiral --help");
  for (const char* option : {"--save", "--checkpoint", "--checkpoint-every", "--resume", "--clip-grad-norm"})
    EXPECT_NE(spiral.out.find(option), std::string::npos) << option;
  const Result predict = run("predict --help");
  EXPECT_EQ(predict.code, 0);
  EXPECT_NE(predict.out.find("--model"), std::string::npos);
  EXPECT_NE(predict.out.find("--input"), std::string::npos);
}

TEST_F(cli_reliability, SaveWritesAModelThatPredictUses) {
  const Result r = run(kSmall + "--epochs 30 --save " + file("m.safetensors"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote " + path("m.safetensors").string()), std::string::npos) << r.out;
  const TensorFile saved = load_tensors(path("m.safetensors"));
  EXPECT_EQ(saved.metadata.at("ann.arch"), "mlp");  // rebuildable from the file alone
  EXPECT_EQ(saved.metadata.at("ann.hidden"), "20");
  EXPECT_EQ(saved.metadata.at("spiral.per_class"), "50");
  EXPECT_EQ(saved.metadata.at("format"), "pt");

  const Result p = run("predict --model " + file("m.safetensors"), "x,y\n0,0\n0.5,-0.25\n\n-1,1\n");
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_EQ(p.err, "");
  const std::vector<std::string> lines = lines_of(p.out);
  ASSERT_EQ(lines.size(), 4u) << p.out;
  EXPECT_EQ(lines[0], "x,y,class,p0,p1,p2");

  // The same numbers as the library's model on those points.
  nn::Sequential model = load_mlp(path("m.safetensors"));
  NoGradGuard no_grad;
  const std::vector<float> points{0, 0, 0.5f, -0.25f, -1, 1};
  const Tensor probabilities = softmax(model(from_vector(points, {3, 2})), 1);
  const Tensor classes = argmax(probabilities, 1);
  for (std::int64_t i = 0; i < 3; ++i) {
    std::string expected = shortest(points[2 * i]) + "," + shortest(points[2 * i + 1]) + "," +
                           std::to_string(classes.at<std::int64_t>({i}));
    for (std::int64_t k = 0; k < 3; ++k) {
      expected += ',';  // (appends only: GCC 12 warns falsely about "," + std::string here)
      expected += shortest(probabilities.at({i, k}));
    }
    EXPECT_EQ(lines[static_cast<std::size_t>(i) + 1], expected);
  }

  // --input reads a file; a bad line fails with its number and nothing on stdout.
  std::ofstream(path("points.csv")) << "0.25,0.75\n";
  const Result from_file = run("predict --model " + file("m.safetensors") + " --input " + file("points.csv"));
  EXPECT_EQ(lines_of(from_file.out).size(), 2u);
  std::ofstream(path("bad.csv")) << "x,y\n1,2\n3\n";
  expect_error(run("predict --model " + file("m.safetensors") + " --input " + file("bad.csv")), 2,
               "csv: " + path("bad.csv").string() + ": line 3: expected 2 numbers, got 1", "bad.csv");
}

TEST_F(cli_reliability, PredictUsesAnySequentialSavedWithItsArchitecture) {
  // A model the lesson's tool did not make (`predict` reads x,y points, so two inputs): a hidden
  // layer without bias, two activations, four classes, saved with ann::describe.
  manual_seed(3);
  nn::Sequential model{nn::Linear(2, 6, false), nn::Sigmoid(), nn::Linear(6, 6), nn::Tanh(), nn::Linear(6, 4)};
  save(model, path("any.safetensors"), describe(model));
  const Result p = run("predict --model " + file("any.safetensors"), "x,y\n0.5,-0.25\n");
  ASSERT_EQ(p.code, 0) << p.err;
  const std::vector<std::string> lines = lines_of(p.out);
  ASSERT_EQ(lines.size(), 2u) << p.out;
  EXPECT_EQ(lines[0], "x,y,class,p0,p1,p2,p3");
  NoGradGuard no_grad;
  const Tensor probabilities = softmax(model(from_vector(std::vector<float>{0.5f, -0.25f}, {1, 2})), 1);
  std::string expected = "0.5,-0.25," + std::to_string(argmax(probabilities, 1).at<std::int64_t>({0}));
  for (std::int64_t k = 0; k < 4; ++k) {
    expected += ',';
    expected += shortest(probabilities.at({0, k}));
  }
  EXPECT_EQ(lines[1], expected);
}

TEST_F(cli_reliability, PredictRefusesBadInput) {
  ASSERT_EQ(run(kSmall + "--epochs 2 --save " + file("m.safetensors")).code, 0);
  const std::string predict = "predict --model " + file("m.safetensors");
  for (const auto& [input, what] : std::vector<std::pair<std::string, std::string>>{
           {"", "csv: stdin: the input holds no rows"},
           {"x,y\n", "no rows after its header line"},
           {"1,2\n3\n", "line 2: expected 2 numbers, got 1"},
           {"1,2,3\n", "line 1: expected 2 numbers, got 3"},
           {"1,abc\n", "line 1: column 2: \"abc\" is not a number"},
           {"1,2\nnan,1\n", "line 2: column 1: \"nan\" is not a finite number"},
           {"inf,1\n", "\"inf\" is not a finite number"},
           {"1e39,0\n", "does not fit in a float32"}})
    expect_error(run(predict, input), 2, what, "input " + input);
  expect_error(run("predict"), 2, "--model is required", "no model");
  expect_error(run("predict --model " + file("missing")), 2, "cannot open", "missing model");
  std::ofstream(path("junk")) << "not a model";
  expect_error(run("predict --model " + file("junk")), 2, "not a safetensors file", "junk model");
  expect_error(run(predict + " --input " + file("missing.csv")), 2, "csv: cannot open", "missing input");
}

TEST_F(cli_reliability, ResumedRunsGiveTheUninterruptedCurvesBitForBit) {
  ASSERT_EQ(run(kSmall + "--epochs 30 --json " + file("straight.json")).code, 0);
  // Interrupted after 12 epochs (a run planned that long), then resumed twice over.
  ASSERT_EQ(run(kSmall + "--epochs 12 --checkpoint " + file("c.ckpt") + " --checkpoint-every 5").code, 0);
  const Result r = run(kSmall + "--epochs 30 --resume " + file("c.ckpt") + " --checkpoint " + file("c.ckpt") +
                       " --checkpoint-every 5 --json " + file("resumed.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(lines_of(r.out).at(0), "spiral: resumed at epoch 12 of 30");
  const nlohmann::json straight = json("straight.json"), resumed = json("resumed.json");
  EXPECT_EQ(resumed.at("loss").dump(), straight.at("loss").dump());  // shortest floats: same text, same bits
  EXPECT_EQ(resumed.at("accuracy").dump(), straight.at("accuracy").dump());
  EXPECT_EQ(resumed.at("final_loss"), straight.at("final_loss"));
  EXPECT_EQ(resumed.at("resumed_at"), 12);
  EXPECT_EQ(straight.at("resumed_at"), 0);
  EXPECT_EQ(entries_of(path("")), (std::vector<std::string>{"c.ckpt", "resumed.json", "straight.json"}));
  // The checkpoint is a model file too.
  EXPECT_EQ(run("predict --model " + file("c.ckpt"), "0,0\n").code, 0);
}

TEST_F(cli_reliability, ResumingAnotherConfigurationNamesTheDifferenceAndWritesNothing) {
  ASSERT_EQ(run(kSmall + "--epochs 5 --checkpoint " + file("c.ckpt")).code, 0);
  const std::string before = read_file(path("c.ckpt"));
  expect_error(run(kSmall + "--epochs 10 --hidden 21 --optimizer sgd --resume " + file("c.ckpt") + " --checkpoint " +
                   file("c.ckpt") + " --json " + file("out.json")),
               2, "hidden \"20\" in the checkpoint, \"21\" now; optimizer \"adam\" in the checkpoint, \"sgd\" now",
               "other config");
  expect_error(run(kSmall + "--epochs 4 --resume " + file("c.ckpt")), 2, "the checkpoint has done 5 epochs", "fewer");
  EXPECT_EQ(read_file(path("c.ckpt")), before);
  EXPECT_EQ(entries_of(path("")), std::vector<std::string>{"c.ckpt"});
}

TEST_F(cli_reliability, ADivergingRunExitsWith3AndKeepsItsLastGoodCheckpoint) {
  const Result r = run(kSmall + "--epochs 100 --optimizer sgd --lr 1e6 --checkpoint " + file("c.ckpt") +
                       " --checkpoint-every 1 --json " + file("out.json"));
  expect_error(r, 3, "the loss is not finite", "--lr 1e6");
  // "spiral: epoch N: ...; c.ckpt keeps epoch N-1"
  const std::string line = lines_of(r.err).at(0);
  const std::size_t at = line.find("spiral: epoch ");
  ASSERT_NE(at, std::string::npos) << line;
  const int epoch = std::stoi(line.substr(at + 14));
  EXPECT_NE(line.find(path("c.ckpt").string() + " keeps epoch " + std::to_string(epoch - 1)), std::string::npos)
      << line;
  EXPECT_EQ(load_tensors(path("c.ckpt")).metadata.at("ann.epoch"), std::to_string(epoch - 1));
  EXPECT_EQ(entries_of(path("")), std::vector<std::string>{"c.ckpt"});  // no JSON of a failed run
  // Clipping the gradients does not save a learning rate this large, but it is accepted.
  EXPECT_EQ(run(kSmall + "--epochs 5 --clip-grad-norm 0.5 --json " + file("clip.json")).code, 0);
  EXPECT_EQ(json("clip.json").at("config").at("clip_grad_norm"), 0.5);
}

TEST_F(cli_reliability, BadOptionsExitWith2BeforeWritingAnything) {
  std::ofstream(path("file")) << "x";
  const std::string outputs = " --json " + file("o.json") + " --save " + file("m.safetensors");
  for (const auto& [options, what] : std::vector<std::pair<std::string, std::string>>{
           {"--epochs 0", "epochs must be at least 1"},
           {"--epochs -5", "epochs must be at least 1"},
           {"--lr 0", "lr must be a positive number"},
           {"--lr nan", "lr must be a positive number, got nan"},
           {"--classes 1", "at least 2 classes"},
           {"--hidden 0", "hidden units must be at least 1"},
           {"--activation swish", "--activation"},
           {"--optimizer rmsprop", "--optimizer"},
           {"--per-class 4000000000", "this run needs about "},
           {"--hidden 200000 --layers 4", "GiB of memory; the machine has "},
           {"--epochs 1000000000000000000", "this run needs about "},  // the loss curve alone
           {"--clip-grad-norm -1", "gradient norm to clip to must be a finite number >= 0"},
           {"--clip-grad-norm nan", "gradient norm to clip to"},
           {"--checkpoint-every 5", "--checkpoint-every requires --checkpoint"},
           {"--checkpoint-every -5 --checkpoint " + file("c.ckpt"), "must not be negative"},
           {"--checkpoint " + file("file") + "/c.ckpt", "is not a directory"},
           {"--checkpoint " + file("missing") + "/c.ckpt", "does not exist"},
           {"--resume " + file("missing.ckpt"), "spiral: resuming from"},
           {"--resume " + file("file"), "spiral: resuming from"}}) {
    expect_error(run(kSmall + "--epochs 3 " + options + outputs), 2, what, options);
    EXPECT_EQ(entries_of(path("")), std::vector<std::string>{"file"}) << options;
  }
  expect_error(run(kSmall + "--epochs 3 --save " + file("")), 2, "--save", "--save to a directory");
}

TEST_F(cli_reliability, RunsAreBitIdenticalAcrossRepeatsAndThreadCounts) {
  // Large enough that the matrix products are split between two threads.
  const std::string spiral = "spiral --per-class 200 --hidden 256 --layers 2 --epochs 30 --quiet --json ";
  std::vector<std::string> curves;
  for (const std::string threads : {"1", "1", "2", "2"}) {
    const std::string name = std::to_string(curves.size()) + ".json";
    const Result r = run("--threads " + threads + " " + spiral + file(name));
    ASSERT_EQ(r.code, 0) << r.err;
    const nlohmann::json j = json(name);
    curves.push_back(j.at("loss").dump() + j.at("accuracy").dump());
  }
  for (std::size_t i = 1; i < curves.size(); ++i) EXPECT_EQ(curves[i], curves[0]) << "run " << i;
}

}  // namespace
