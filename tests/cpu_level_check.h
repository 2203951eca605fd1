#pragma once
// For the suites that `make test` also runs under each ISA level (tests/CMakeLists.txt sets
// ANN_CPU_LEVEL): skips every test of the program when ANN_CPU_LEVEL names a level this CPU or
// build cannot run, instead of failing at the first kernel call.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "ann/cpu.h"

namespace ann::testing_support {

class CpuLevelCheck : public ::testing::Environment {
 public:
  void SetUp() override {
    const char* wanted = std::getenv("ANN_CPU_LEVEL");
    if (wanted == nullptr || *wanted == '\0') return;
    const auto levels = supported_cpu_levels();
    if (std::find(levels.begin(), levels.end(), std::string_view(wanted)) == levels.end())
      GTEST_SKIP() << "ANN_CPU_LEVEL=" << wanted << ": this CPU or build cannot run that level";
    std::printf("ann kernels at ISA level %s\n", std::string(cpu_level()).c_str());
  }
};

inline ::testing::Environment* const kCpuLevelCheck = ::testing::AddGlobalTestEnvironment(new CpuLevelCheck);

}  // namespace ann::testing_support
