// The `ann` command-line tool, run as a user would: through the shell, reading its exit
// code, stdout, stderr and the files it writes. Also ann::io::write_file_atomic, which every
// file the tool writes goes through.
//
// ANN_CLI (the built binary's path) is set by apps/CMakeLists.txt; without the tool (built
// with ANN_BUILD_APPS=OFF) the CLI tests are skipped.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ann/error.h"
#include "ann/io.h"
#include "ann/lesson.h"
#include "cli_support.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace ann;

using ann::testing::entries_of;
using ann::testing::lines_of;
using ann::testing::read_file;
using ann::testing::TempDir;

namespace {

using Result = ann::testing::CliResult;

// Runs `ann <args>` with stdout and stderr redirected to files (outside the work directory), so
// stdout is not a terminal; file() names a path in the work directory, unquoted.
class cli : public ann::testing::CliTest {
 protected:
  std::string file(const std::string& name) const { return path(name).string(); }
  std::filesystem::path work() const { return dir_ / "work"; }
};

// The option's help line shows its default as "=value".
void expect_default(const std::string& help, const std::string& option, const std::string& value) {
  for (const std::string& line : lines_of(help)) {
    if (line.find("  " + option + " ") == std::string::npos) continue;
    EXPECT_NE(line.find("=" + value), std::string::npos) << option << " lacks its default " << value << ": " << line;
    return;
  }
  ADD_FAILURE() << option << " missing from help:\n" << help;
}

}  // namespace

TEST_F(cli, HelpListsEveryCommandAndOptionWithDefaults) {
  const Result top = run("--help");
  EXPECT_EQ(top.code, 0);
  for (const char* command : {"spiral", "regression", "lesson"}) EXPECT_NE(top.out.find(command), std::string::npos);

  const Result spiral = run("spiral --help");
  EXPECT_EQ(spiral.code, 0);
  for (const auto& [option, value] : std::vector<std::pair<std::string, std::string>>{
           {"--seed", "12345"}, {"--per-class", "1000"}, {"--classes", "3"}, {"--noise", "0.2"},
           {"--hidden", "100"}, {"--layers", "1"}, {"--activation", "relu"}, {"--optimizer", "adam"},
           {"--lr", "0.001"}, {"--weight-decay", "1e-05"}, {"--momentum", "0"}, {"--epochs", "1000"}})
    expect_default(spiral.out, option, value);
  EXPECT_NE(spiral.out.find("--json"), std::string::npos);
  EXPECT_NE(spiral.out.find("--quiet"), std::string::npos);

  const Result regression = run("regression --help");
  EXPECT_EQ(regression.code, 0);
  for (const auto& [option, value] : std::vector<std::pair<std::string, std::string>>{
           {"--seed", "1"}, {"--points", "100"}, {"--networks", "10"}, {"--hidden", "100"},
           {"--epochs", "1000"}, {"--lr", "0.001"}, {"--weight-decay", "1e-05"}})
    expect_default(regression.out, option, value);

  const Result lesson_help = run("lesson --help");
  EXPECT_EQ(lesson_help.code, 0);
  expect_default(lesson_help.out, "--out", "figures");
  EXPECT_NE(lesson_help.out.find("--quiet"), std::string::npos);
}

TEST_F(cli, SpiralJsonHoldsTheSameCurvesAsTheLibrary) {
  const Result r = run("spiral --per-class 50 --epochs 20 --quiet --json '" + file("out.json") + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const nlohmann::json j = nlohmann::json::parse(read_file(file("out.json")));

  lesson::SpiralConfig config;
  config.per_class = 50;
  config.epochs = 20;
  const lesson::SpiralRun direct = lesson::run_spiral(config);

  ASSERT_EQ(j.at("loss").size(), 20u);
  ASSERT_EQ(j.at("accuracy").size(), 20u);
  for (std::size_t i = 0; i < 20; ++i) {
    EXPECT_NEAR(j["loss"][i].get<double>(), direct.history.loss[i], 1e-6) << "epoch " << i;
    EXPECT_NEAR(j["accuracy"][i].get<double>(), direct.history.accuracy[i], 1e-6) << "epoch " << i;
  }
  // Floats are written so that they read back as the very same float32.
  EXPECT_EQ(j["final_loss"].get<float>(), direct.history.loss.back());
  EXPECT_EQ(j["final_accuracy"].get<float>(), direct.history.accuracy.back());
  EXPECT_GE(j.at("seconds").get<double>(), 0.0);

  const nlohmann::json& c = j.at("config");
  EXPECT_EQ(c.at("seed"), 12345);
  EXPECT_EQ(c.at("per_class"), 50);
  EXPECT_EQ(c.at("classes"), 3);
  EXPECT_EQ(c.at("noise"), 0.2);
  EXPECT_EQ(c.at("hidden"), 100);
  EXPECT_EQ(c.at("layers"), 1);
  EXPECT_EQ(c.at("activation"), "relu");
  EXPECT_EQ(c.at("optimizer"), "adam");
  EXPECT_EQ(c.at("lr"), 1e-3);
  EXPECT_EQ(c.at("weight_decay"), 1e-5);
  EXPECT_EQ(c.at("momentum"), 0.0);
  EXPECT_EQ(c.at("epochs"), 20);
  EXPECT_EQ(entries_of(work()), std::vector<std::string>{"out.json"});  // no temp file left
}

TEST_F(cli, ProgressIsPlainLinesWhenStdoutIsNotATerminal) {
  const Result r = run("spiral --per-class 20 --epochs 20");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find('\r'), std::string::npos);
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 11u) << r.out;  // every 10 % of 20 epochs, then the result
  for (int i = 0; i < 10; ++i) {
    EXPECT_NE(lines[i].find(std::to_string(2 * (i + 1)) + "/20 "), std::string::npos) << lines[i];
    EXPECT_NE(lines[i].find("loss "), std::string::npos);
    EXPECT_NE(lines[i].find("accuracy "), std::string::npos);
  }
  EXPECT_EQ(lines[10].rfind("spiral: final loss ", 0), 0u) << lines[10];
}

TEST_F(cli, QuietPrintsOnlyTheSummary) {
  const Result r = run("spiral --per-class 20 --epochs 20 --quiet");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  EXPECT_EQ(lines[0].rfind("spiral: final loss ", 0), 0u);
  EXPECT_EQ(r.err, "");
}

TEST_F(cli, BadValuesExitWithOneErrorLineAndWriteNothing) {
  for (const char* bad : {"--epochs 0", "--lr -1", "--lr nan", "--classes 1", "--hidden 0", "--activation foo",
                          "--optimizer bar", "--seed -3", "--per-class 0", "--epochs many", "--no-such-option"}) {
    const Result r = run(std::string("spiral --per-class 5 --epochs 2 ") + bad + " --json '" + file("out.json") + "'");
    EXPECT_EQ(r.code, 2) << bad;
    const std::vector<std::string> lines = lines_of(r.err);
    ASSERT_EQ(lines.size(), 1u) << bad << ":\n" << r.err;
    EXPECT_EQ(lines[0].rfind("ann: error: ", 0), 0u) << lines[0];
    EXPECT_EQ(r.out, "") << bad;
    EXPECT_TRUE(entries_of(work()).empty()) << bad;
  }
  // The messages say what was wrong.
  EXPECT_NE(run("spiral --epochs 0").err.find("epochs"), std::string::npos);
  EXPECT_NE(run("spiral --activation foo").err.find("relu"), std::string::npos);
  EXPECT_NE(run("regression --networks 3").err.find("networks"), std::string::npos);
  EXPECT_EQ(run("").code, 2);  // a command is required
}

TEST_F(cli, UnwritableJsonPathFailsBeforeTrainingAndLeavesNothing) {
  fs::create_directory(work() / "sub");
  for (const std::string& target : {file("missing/out.json"), file("sub")}) {
    const Result r = run("spiral --per-class 5 --epochs 2 --quiet --json '" + target + "'");
    EXPECT_EQ(r.code, 2) << target;
    ASSERT_EQ(lines_of(r.err).size(), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("ann: error: --json " + target, 0), 0u) << r.err;
    EXPECT_EQ(r.out, "");  // failed before training: no result line
  }
  EXPECT_EQ(entries_of(work()), std::vector<std::string>{"sub"});
  EXPECT_TRUE(entries_of(work() / "sub").empty());

  // An --out that is a file cannot become the lesson's directory; that too fails at once.
  std::ofstream(file("taken")) << "x";
  const Result r = run("lesson --quiet --out '" + file("taken") + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("ann: error: --out ", 0), 0u) << r.err;
  EXPECT_EQ(read_file(file("taken")), "x");
}

TEST_F(cli, RegressionJsonHoldsPredictionsOnTheWideGrid) {
  const Result r = run("regression --networks 2 --epochs 20 --points 20 --quiet --json '" + file("r.json") + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("relu 1/1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tanh 1/1"), std::string::npos) << r.out;
  const nlohmann::json j = nlohmann::json::parse(read_file(file("r.json")));
  ASSERT_EQ(j.at("x").size(), 1001u);
  EXPECT_EQ(j["x"][0].get<float>(), -4.f);
  EXPECT_NEAR(j["x"][500].get<float>(), 0.f, 1e-6);  // as torch.linspace: 0 up to rounding
  EXPECT_EQ(j["x"][1000].get<float>(), 4.f);
  ASSERT_EQ(j.at("predictions").size(), 2u);
  for (const auto& curve : j["predictions"]) EXPECT_EQ(curve.size(), 1001u);
  EXPECT_EQ(j.at("final_mse").size(), 2u);
  for (const char* key : {"std_relu", "std_tanh", "var_relu", "var_tanh"}) EXPECT_EQ(j.at(key).size(), 1001u) << key;
  EXPECT_EQ(j.at("config").at("networks"), 2);
  EXPECT_EQ(j.at("config").at("points"), 20);
  EXPECT_TRUE(j.contains("seconds"));
}

// ---- ann::io::write_file_atomic ------------------------------------------------------------

TEST(cli_io, WriteFileAtomicReplacesTheContent) {
  TempDir dir;
  const fs::path target = dir.path() / "a.json";
  io::write_file_atomic(target, "first");
  EXPECT_EQ(read_file(target), "first");
  io::write_file_atomic(target, std::string(100000, 'x'));
  EXPECT_EQ(read_file(target), std::string(100000, 'x'));
  io::write_file_atomic(target, "");
  EXPECT_EQ(read_file(target), "");
  EXPECT_EQ(entries_of(dir.path()), std::vector<std::string>{"a.json"});
}

TEST(cli_io, WriteFileAtomicKeepsTheOldContentWhenItFails) {
  TempDir dir;
  // A name of 250 bytes is valid (NAME_MAX 255) but leaves no room for the temp file's suffix,
  // so creating the temp file fails even for root, with the old file in place.
  const fs::path target = dir.path() / std::string(250, 'n');
  std::ofstream(target) << "old";
  try {
    io::write_file_atomic(target, "new");
    FAIL() << "no IOError";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("write_file_atomic: cannot create " + target.string()), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(read_file(target), "old");
  EXPECT_EQ(entries_of(dir.path()).size(), 1u);
}

TEST(cli_io, WriteFileAtomicRemovesItsTempFileWhenTheRenameFails) {
  TempDir dir;
  fs::create_directory(dir.path() / "d");
  std::ofstream(dir.path() / "d" / "inside") << "kept";
  EXPECT_THROW(io::write_file_atomic(dir.path() / "d", "bytes"), IOError);  // a directory is not replaced
  EXPECT_EQ(read_file(dir.path() / "d" / "inside"), "kept");
  EXPECT_EQ(entries_of(dir.path()), std::vector<std::string>{"d"});
}

TEST(cli_io, WriteFileAtomicNamesThePathAndTheReason) {
  try {
    io::write_file_atomic("/nonexistent-ann-dir/x.json", "{}");
    FAIL() << "no IOError";
  } catch (const IOError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("write_file_atomic: cannot create /nonexistent-ann-dir/x.json.tmp-", 0), 0u) << message;
    EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
  }
}
