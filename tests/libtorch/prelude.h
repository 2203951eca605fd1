// What every program in tests/libtorch/ starts with. The programs are written against libtorch
// 1.13; ann compiles them with nothing but this alias, and their output must match the same
// program's under libtorch (tools/parity/run_libtorch_programs.sh writes tests/fixtures/libtorch).
#pragma once
#include <cstdio>
#include <string>

#ifdef ANN_LIBTORCH_ORACLE
#include <torch/torch.h>
#else
#include <ann/ann.h>
namespace torch = ann;
#endif

// One line: the label, the shape, then every value (as float64, nine significant digits).
inline void show(const std::string& label, const torch::Tensor& t) {
  const torch::Tensor v = t.to(torch::kFloat64).contiguous();
  std::printf("%s [", label.c_str());
  for (std::size_t d = 0; d < v.sizes().size(); ++d) std::printf(d ? " %lld" : "%lld", static_cast<long long>(v.sizes()[d]));
  std::printf("]");
  const double* p = v.data_ptr<double>();
  for (std::int64_t i = 0; i < v.numel(); ++i) std::printf(" %.9g", p[i]);
  std::printf("\n");
}
