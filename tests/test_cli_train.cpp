// `ann train` and `ann predict` on its models, run as a user would, on the real tables in
// examples/data (made by tools/make_datasets.py from scikit-learn's copies).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ann/cpu.h"
#include "cli_support.h"
#include "fixtures.h"
#include "test_support.h"

using ann::testing::expect_error;
using ann::testing::lines_of;
using ann::testing::read_file;

namespace {

class cli_train : public ann::testing::CliTest {};

const std::string kData = ANN_EXAMPLES_DATA;
const std::string kIris = "train --data " + kData + "/iris.csv --target species --quiet ";

std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream s(line);
  for (std::string f; std::getline(s, f, ',');) out.push_back(f);
  return out;
}

// PNG width and height from its IHDR chunk.
std::pair<int, int> png_size(const std::string& bytes) {
  const auto u32 = [&](std::size_t at) {
    return (static_cast<unsigned char>(bytes[at]) << 24) | (static_cast<unsigned char>(bytes[at + 1]) << 16) |
           (static_cast<unsigned char>(bytes[at + 2]) << 8) | static_cast<unsigned char>(bytes[at + 3]);
  };
  if (bytes.size() < 24 || bytes.compare(1, 3, "PNG") != 0) return {0, 0};
  return {static_cast<int>(u32(16)), static_cast<int>(u32(20))};
}

TEST_F(cli_train, IrisTrainsSavesAndPredictsClassNames) {
  const auto r = run(kIris + "--epochs 60 --batch-size 16 --save " + file("m.safetensors") + " --json " +
                     file("run.json") + " --plot " + file("run.png"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("classification, 3 classes (setosa, versicolor, virginica)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--task auto: the target holds text"), std::string::npos) << r.out;
  const nlohmann::json j = json("run.json");
  EXPECT_EQ(j["rows"]["train"], 120);
  EXPECT_EQ(j["rows"]["validation"], 30);
  EXPECT_EQ(j["history"]["train_loss"].size(), 60u);
  EXPECT_EQ(j["history"]["validation_metric"].size(), 60u);
  EXPECT_LT(j["history"]["train_loss"].back().get<double>(), j["history"]["train_loss"].front().get<double>() / 5);
  const double accuracy = j["validation"]["accuracy"];
  EXPECT_GE(accuracy, 0.9);
  // The confusion matrix counts the 30 validation rows; its diagonal is the accuracy.
  const nlohmann::json& confusion = j["confusion_matrix"];
  ASSERT_EQ(confusion.size(), 3u);
  int total = 0, right = 0;
  for (int t = 0; t < 3; ++t)
    for (int p = 0; p < 3; ++p) total += confusion[t][p].get<int>(), right += t == p ? confusion[t][p].get<int>() : 0;
  EXPECT_EQ(total, 30);
  EXPECT_NEAR(right / 30.0, accuracy, 1e-12);
  EXPECT_EQ(png_size(read_file(path("run.png"))), std::make_pair(2400, 640));  // three 800-pixel panels

  // predict: the training table itself (its target column is ignored), class names out.
  const auto p = run("predict --model " + file("m.safetensors") + " --input " + kData + "/iris.csv");
  ASSERT_EQ(p.code, 0) << p.err;
  const std::vector<std::string> lines = lines_of(p.out);
  ASSERT_EQ(lines.size(), 151u);
  EXPECT_EQ(lines[0], "sepal_length,sepal_width,petal_length,petal_width,species,p_setosa,p_versicolor,p_virginica");
  const std::vector<std::string> truth = lines_of(read_file(kData + "/iris.csv"));
  int agree = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> f = fields(lines[i]);
    ASSERT_EQ(f.size(), 8u) << lines[i];
    EXPECT_TRUE(f[4] == "setosa" || f[4] == "versicolor" || f[4] == "virginica") << lines[i];
    const double sum = std::stod(f[5]) + std::stod(f[6]) + std::stod(f[7]);
    EXPECT_NEAR(sum, 1.0, 1e-5) << lines[i];
    agree += f[4] == fields(truth[i])[4];
  }
  EXPECT_GE(agree, 140) << "the model should classify most of its own table";

  // Columns in another order and no target column: the same predictions.
  const auto q = run("predict --model " + file("m.safetensors"),
                     "petal_width,sepal_length,petal_length,sepal_width\n0.2,5.1,1.4,3.5\n2.3,6.7,5.2,3.0\n");
  ASSERT_EQ(q.code, 0) << q.err;
  const std::vector<std::string> few = lines_of(q.out);
  ASSERT_EQ(few.size(), 3u);
  // iris.csv's first row: 5.1,3.5,1.4,0.2, with the same probabilities to float32's last digits
  // (a product's kernel, and so its rounding, may depend on the batch's size: src/backend/cpu/gemm.cpp)
  const std::vector<std::string> alone = fields(few[1]), in_table = fields(lines[1]);
  EXPECT_EQ(alone[4], in_table[4]);
  for (std::size_t k = 5; k < 8; ++k) EXPECT_NEAR(std::stod(alone[k]), std::stod(in_table[k]), 1e-6) << k;
  EXPECT_EQ(fields(few[2])[4], "virginica");     // row 146 of iris.csv
}

// tools/parity/make_train_fixtures.py does `ann train`'s procedure in PyTorch 1.13: the same
// split, standardisation, initial weights, shuffles and dropout masks give the same curves.
TEST_F(cli_train, FollowsPyTorchsCurvesEpochByEpoch) {
  const nlohmann::json fixture = ann::testing::load_fixture("train_runs.json");
  for (const nlohmann::json& expected : fixture.at("runs")) {
    const nlohmann::json& c = expected.at("config");
    std::string hidden;
    for (const auto& h : c.at("hidden")) {
      if (!hidden.empty()) hidden += ',';
      hidden += std::to_string(h.get<int>());
    }
    const std::string name = c.at("name");
    const auto r = run("train --quiet --data " + kData + "/" + c.at("data").get<std::string>() + " --target " +
                       c.at("target").get<std::string>() + " --hidden " + hidden + " --activation " +
                       c.at("activation").get<std::string>() + " --dropout " + std::to_string(c.at("dropout").get<double>()) +
                       " --batch-size " + std::to_string(c.at("batch_size").get<int>()) + " --epochs " +
                       std::to_string(c.at("epochs").get<int>()) + " --optimizer " + c.at("optimizer").get<std::string>() +
                       " --lr " + std::to_string(c.at("lr").get<double>()) + " --scheduler " +
                       c.at("scheduler").get<std::string>() + " --seed " + std::to_string(c.at("seed").get<int>()) +
                       " --json " + file("run.json"));
    ASSERT_EQ(r.code, 0) << name << ": " << r.err;
    const nlohmann::json history = json("run.json").at("history");
    const double validation_rows = json("run.json").at("rows").at("validation");
    for (const std::string key : {"train_loss", "validation_loss", "train_metric", "validation_metric"}) {
      const nlohmann::json& want = expected.at(key);
      const nlohmann::json& got = history.at(key);
      ASSERT_EQ(got.size(), want.size()) << name << " " << key;
      for (std::size_t e = 0; e < want.size(); ++e) {
        const double w = want[e], g = got[e];
        // A validation accuracy may differ by one row whose two best scores tie within rounding.
        const double tolerance = key == "validation_metric" && c.at("data") != "diabetes.csv"
                                     ? 1.0 / validation_rows + 1e-9
                                     : 1e-4 * std::max(1.0, std::fabs(w));
        EXPECT_NEAR(g, w, tolerance) << name << " " << key << " epoch " << e + 1;
      }
    }
  }
}

TEST_F(cli_train, TheSameSeedGivesTheSameRunAndAnotherSeedAnother) {
  const std::string args = kIris + "--epochs 5 --dropout 0.2 --batch-size 8 --json ";
  ASSERT_EQ(run(args + file("a.json") + " --seed 3").code, 0);
  ASSERT_EQ(run(args + file("b.json") + " --seed 3").code, 0);
  ASSERT_EQ(run(args + file("c.json") + " --seed 4").code, 0);
  EXPECT_EQ(json("a.json")["history"], json("b.json")["history"]);
  EXPECT_NE(json("a.json")["history"]["train_loss"], json("c.json")["history"]["train_loss"]);
}

// The README's promise for ann's own kernels: the avx2 and avx512 copies give the same bits (both
// have fused multiply-adds; only baseline rounds differently). `ann train`'s default network runs
// the chain kernel (src/backend/cpu/mlp_chain.cpp) and the fused cross-entropy: batches of 32
// (sums along lanes) and of 300 (a 256-row chunk summed across lanes, then 44 rows along), each
// run under both levels.
TEST_F(cli_train, Avx2AndAvx512KernelsGiveTheSameBits) {
  const auto levels = ann::supported_cpu_levels();
  if (std::find(levels.begin(), levels.end(), "avx512") == levels.end()) GTEST_SKIP() << "needs an AVX-512 CPU";
  const std::string digits = "train --data " + kData + "/digits.csv --target digit --quiet --epochs 3 ";
  for (const int batch : {32, 300}) {
    for (const char* level : {"avx512", "avx2"}) {
      ::setenv("ANN_CPU_LEVEL", level, 1);
      const auto r = run(digits + "--activation gelu --batch-size " + std::to_string(batch) + " --json " +
                         file(std::string(level) + ".json"));
      ::unsetenv("ANN_CPU_LEVEL");
      ASSERT_EQ(r.code, 0) << level << ": " << r.err;
    }
    nlohmann::json wide = json("avx512.json"), narrow = json("avx2.json");
    wide.erase("seconds");
    narrow.erase("seconds");
    EXPECT_EQ(wide, narrow) << "batches of " << batch;
  }
}

TEST_F(cli_train, DiabetesIsARegressionReportedInTheTargetsUnits) {
  const auto r = run("train --data " + kData + "/diabetes.csv --target progression --quiet --epochs 40 --save " +
                     file("m.safetensors") + " --json " + file("run.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"progression\": regression"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("R²"), std::string::npos) << r.out;
  const nlohmann::json j = json("run.json");
  EXPECT_EQ(j["metric"], "r2");
  EXPECT_GT(j["validation"]["r2"].get<double>(), 0.3);
  // The loss is the MSE of standardised targets; the MSE is in the target's units (its
  // variance is about 5900, so the two differ by that factor).
  const double ratio = j["validation"]["mse"].get<double>() / j["validation"]["loss"].get<double>();
  EXPECT_GT(ratio, 4000);
  EXPECT_LT(ratio, 8000);

  const auto p = run("predict --model " + file("m.safetensors") + " --input " + kData + "/diabetes.csv");
  ASSERT_EQ(p.code, 0) << p.err;
  const std::vector<std::string> lines = lines_of(p.out);
  ASSERT_EQ(lines.size(), 443u);
  EXPECT_EQ(fields(lines[0]).back(), "progression");
  double mean = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) mean += std::stod(fields(lines[i]).back());
  mean /= 442;
  EXPECT_GT(mean, 120);  // the target's mean is 152
  EXPECT_LT(mean, 185);
}

TEST_F(cli_train, EarlyStoppingKeepsTheBestEpochsWeights) {
  const auto r = run("train --data " + kData + "/breast_cancer.csv --target diagnosis --quiet --epochs 400 "
                     "--early-stopping 5 --json " + file("run.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = json("run.json");
  ASSERT_TRUE(j["stopped_early"].get<bool>()) << "400 epochs of Adam on 455 rows overfit long before the end";
  const int best = j["best_epoch"], ran = j["epochs_run"];
  EXPECT_EQ(ran, best + 5);
  EXPECT_NE(r.out.find("kept epoch " + std::to_string(best) + "'s weights"), std::string::npos) << r.out;
  // The final validation loss is the best epoch's, the lowest of the run: the weights were restored.
  const nlohmann::json& losses = j["history"]["validation_loss"];
  const double lowest = *std::min_element(losses.begin(), losses.end());
  EXPECT_EQ(losses[best - 1].get<double>(), lowest);
  EXPECT_NEAR(j["validation"]["loss"].get<double>(), lowest, 1e-6);
}

TEST_F(cli_train, EveryOptimizerAndScheduleTrainsAndTheScheduleShowsInTheRates) {
  for (const std::string optimizer : {"sgd", "adam", "adamw", "rmsprop", "adagrad"}) {
    for (const std::string scheduler : {"none", "step", "exponential", "cosine", "plateau", "onecycle"}) {
      const std::string context = optimizer + " + " + scheduler;
      const auto r = run(kIris + "--epochs 9 --hidden 16 --activation tanh --optimizer " + optimizer +
                         " --scheduler " + scheduler + " --lr 0.01 --json " + file("run.json"));
      ASSERT_EQ(r.code, 0) << context << ": " << r.err;
      const nlohmann::json j = json("run.json");
      const nlohmann::json& lr = j["history"]["lr"];
      ASSERT_EQ(lr.size(), 9u) << context;
      EXPECT_LT(j["history"]["train_loss"].back().get<double>(), j["history"]["train_loss"].front().get<double>())
          << context;
      if (scheduler == "none" || scheduler == "plateau") {
        EXPECT_DOUBLE_EQ(lr[8].get<double>(), 0.01) << context;
      }
      if (scheduler == "step") {  // x0.1 after each third of 9 epochs
        EXPECT_DOUBLE_EQ(lr[2].get<double>(), 0.01) << context;
        EXPECT_NEAR(lr[3].get<double>(), 0.001, 1e-12) << context;
        EXPECT_NEAR(lr[6].get<double>(), 0.0001, 1e-12) << context;
      }
      if (scheduler == "exponential") {
        EXPECT_NEAR(lr[8].get<double>(), 0.01 * std::pow(0.01, 8.0 / 9.0), 1e-12) << context;
      }
      if (scheduler == "cosine") {
        EXPECT_LT(lr[8].get<double>(), 0.001) << context;
      }
      if (scheduler == "onecycle") {
        EXPECT_NEAR(lr[0].get<double>(), 0.01 / 25, 1e-12) << context;  // from max_lr / 25
      }
    }
  }
}

TEST_F(cli_train, EveryActivationAndALinearModelTrain) {
  for (const std::string activation : {"relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu", "silu", "softplus"}) {
    const auto r = run(kIris + "--epochs 30 --lr 0.01 --hidden 8,8 --activation " + activation + " --save " + file("m.st") +
                       " --json " + file("run.json"));
    ASSERT_EQ(r.code, 0) << activation << ": " << r.err;
    EXPECT_GE(json("run.json")["validation"]["accuracy"].get<double>(), 0.6) << activation;
    const auto p = run("predict --model " + file("m.st"), "sepal_length,sepal_width,petal_length,petal_width\n5,3,1.5,0.2\n");
    EXPECT_EQ(p.code, 0) << activation << ": " << p.err;
  }
  const auto linear = run(kIris + "--epochs 30 --lr 0.01 --hidden none --json " + file("run.json"));
  ASSERT_EQ(linear.code, 0) << linear.err;
  EXPECT_GE(json("run.json")["validation"]["accuracy"].get<double>(), 0.6);
}

TEST_F(cli_train, ProgressLinesShowTrainingAndValidationNumbers) {
  const auto r = run("train --data " + kData + "/iris.csv --target species --epochs 20");
  ASSERT_EQ(r.code, 0) << r.err;
  int progress = 0;
  for (const std::string& line : lines_of(r.out)) progress += line.find("val loss") != std::string::npos;
  EXPECT_EQ(progress, 10) << r.out;  // a plain line at every tenth of the run when stdout is a file
}

TEST_F(cli_train, BadInputIsOneLineAndExit2BeforeTrainingAndWritesNothing) {
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(path(name), std::ios::binary) << text;
    return file(name);
  };
  const std::string iris = kData + "/iris.csv";
  struct Case {
    std::string args, message;
  };
  const std::vector<Case> cases{
      {"--data " + iris + " --target nope", "no column named \"nope\" for the target; the header has \"sepal_length\""},
      {"--data " + write("ragged.csv", "a,b,t\n1,2,x\n3,4\n") + " --target t", "line 3: expected 3 fields"},
      {"--data " + write("text.csv", "a,b,t\n1,2,x\n1,zz,y\n") + " --target t", "line 3: column 2 (\"b\"): \"zz\" is not a number"},
      {"--data " + write("empty.csv", "") + " --target t", "the input is empty"},
      {"--data " + write("header.csv", "a,b,t\n") + " --target t", "no rows after its header"},
      {"--data " + write("single.csv", "a,b,t\n1,2,x\n3,4,x\n") + " --target t", "holds a single class (\"x\")"},
      {"--data " + write("nan.csv", "a,b,t\n1,nan,x\n3,4,y\n") + " --target t", "\"nan\" is not a finite number"},
      {"--data " + write("inf.csv", "a,b,t\n1,2,x\n-inf,4,y\n") + " --target t", "\"-inf\" is not a finite number"},
      {"--data " + write("two.csv", "a,b,t\n1,2,x\n3,4,y\n") + " --target t", "keeps no row aside for validation"},
      {"--data " + iris + " --target species --task regress", "\"setosa\" is not a number; a regression target must be numeric"},
      {"--data " + iris + " --target species --hidden 8,x", "--hidden 8,x: \"x\" is not a layer width"},
      {"--data " + iris + " --target species --dropout 1", "--dropout 1 is not in [0, 1)"},
      {"--data " + iris + " --target species --val-split 1", "--val-split 1 is not in [0, 1)"},
      {"--data " + iris + " --target species --batch-size 0", "--batch-size 0 is below 1"},
      {"--data " + iris + " --target species --val-split 0 --early-stopping 3", "keeps no rows aside"},
      {"--data " + file("missing.csv") + " --target t", "cannot open"},
      {"--data " + iris + " --target species --json " + file("no/such/dir/run.json"), "--json"},
      {"--data " + iris, "--target is required"},
  };
  for (const Case& c : cases) {
    expect_error(run("train " + c.args + " --save " + file("model.st")), 2, c.message, c.args);
    EXPECT_FALSE(std::filesystem::exists(path("model.st"))) << c.args;
  }
}

TEST_F(cli_train, PredictRefusesATableWithoutTheModelsFeatures) {
  ASSERT_EQ(run(kIris + "--epochs 2 --save " + file("m.st")).code, 0);
  expect_error(run("predict --model " + file("m.st"), "sepal_length,sepal_width,petal_length\n1,2,3\n"), 2,
               "no column named \"petal_width\"", "a missing feature");
  expect_error(run("predict --model " + file("m.st"), "sepal_length,sepal_width,petal_length,petal_width\n1,2,3,x\n"), 2,
               "line 2: column 4 (\"petal_width\"): \"x\" is not a number", "a bad value");
}

}  // namespace
