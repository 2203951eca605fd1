#pragma once
// Running the `ann` tool in a test as a user would: through the shell, with a stdin, reading
// its exit code, stdout, stderr and the files it writes in a fresh directory per test.
// ANN_CLI (the built binary's path) is set by apps/CMakeLists.txt; without the tool (built with
// ANN_BUILD_APPS=OFF) these tests are skipped.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace ann::testing {

struct CliResult {
  int code = -1;
  std::string out, err;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
#ifndef ANN_CLI
    GTEST_SKIP() << "the ann tool is not built (ANN_BUILD_APPS=OFF)";
#endif
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("ann_test_cli_" + std::to_string(::getpid()) + "_" + test->test_suite_name() + "_" + test->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "work");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Runs `ann <args>` with `input` on stdin; stdout and stderr go to files outside work/.
  CliResult run(const std::string& args, const std::string& input = "") {
    CliResult r;
#ifdef ANN_CLI
    const std::filesystem::path in = dir_ / "stdin.txt", out = dir_ / "stdout.txt", err = dir_ / "stderr.txt";
    std::ofstream(in, std::ios::binary) << input;
    const std::string command = "'" + std::string(ANN_CLI) + "' " + args + " <'" + in.string() + "' >'" +
                                out.string() + "' 2>'" + err.string() + "'";
    const int status = std::system(command.c_str());
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_file(out);
    r.err = read_file(err);
#else
    (void)args;
    (void)input;
#endif
    return r;
  }

  // A path in the work directory, quoted for the shell.
  std::string file(const std::string& name) const {
    std::string quoted(1, '\'');  // (appends only: GCC 12 warns falsely about "'" + std::string)
    quoted += (dir_ / "work" / name).string();
    quoted += '\'';
    return quoted;
  }
  std::filesystem::path path(const std::string& name) const { return dir_ / "work" / name; }
  nlohmann::json json(const std::string& name) const { return nlohmann::json::parse(read_file(path(name))); }

  std::filesystem::path dir_;
};

// A failure: exit code `code`, one "ann: error: " line holding `what`, nothing on stdout.
inline void expect_error(const CliResult& r, int code, const std::string& what, const std::string& context) {
  EXPECT_EQ(r.code, code) << context << "\n" << r.err;
  const std::vector<std::string> lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << context << ":\n" << r.err;
  EXPECT_EQ(lines[0].rfind("ann: error: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(what), std::string::npos) << context << ": " << lines[0];
  EXPECT_EQ(r.out, "") << context;
}

}  // namespace ann::testing
