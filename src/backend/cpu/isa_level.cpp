#include <cstdlib>
#include <string>

#include "ann/cpu.h"
#include "ann/error.h"
#include "backend/cpu/simd.h"

namespace ann {

namespace {
constexpr std::string_view kNames[] = {"baseline", "avx2", "avx512"};

backend::cpu::IsaLevel widest_supported() {
#ifdef ANN_MULTI_ISA
  __builtin_cpu_init();
  if (__builtin_cpu_supports("x86-64-v4")) return backend::cpu::IsaLevel::Avx512;
  if (__builtin_cpu_supports("x86-64-v3")) return backend::cpu::IsaLevel::Avx2;
#endif
  // Without ANN_MULTI_ISA (another compiler or architecture, or the sanitizer build) the kernels
  // are compiled once, for the build's own target: that is the baseline.
  return backend::cpu::IsaLevel::Baseline;
}

backend::cpu::IsaLevel chosen_level() {
  const backend::cpu::IsaLevel widest = widest_supported();
  const char* forced = std::getenv("ANN_CPU_LEVEL");
  if (forced == nullptr || *forced == '\0') return widest;
  for (int level = 0; level <= static_cast<int>(widest); ++level)
    if (kNames[level] == forced) return static_cast<backend::cpu::IsaLevel>(level);
  std::string supported;
  for (std::string_view name : supported_cpu_levels()) supported += (supported.empty() ? "" : ", ") + std::string(name);
  throw ValueError("ANN_CPU_LEVEL=" + std::string(forced) + ": not a level this CPU and build can run (they are: " +
                   supported + ")");
}
}  // namespace

namespace backend::cpu {
IsaLevel isa_level() {
  static const IsaLevel level = chosen_level();
  return level;
}
}  // namespace backend::cpu

std::string_view cpu_level() { return kNames[static_cast<int>(backend::cpu::isa_level())]; }

std::vector<std::string_view> supported_cpu_levels() {
  std::vector<std::string_view> levels;
  for (int level = static_cast<int>(widest_supported()); level >= 0; --level) levels.push_back(kNames[level]);
  return levels;
}

}  // namespace ann
