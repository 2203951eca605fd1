#pragma once
// Reading the PyTorch fixtures of tests/fixtures/ (written by tools/parity/make_fixtures.py).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ann/tensor.h"

namespace ann::testing {

inline nlohmann::json load_fixture(const std::string& name) {
  std::ifstream in(std::string(ANN_FIXTURES_DIR) + "/" + name);
  if (!in) throw std::runtime_error("cannot open fixture " + name);
  return nlohmann::json::parse(in);
}

/// {"shape": [...], "data": [...]} -> float32 tensor.
inline Tensor fixture_tensor(const nlohmann::json& j) {
  return from_vector(j.at("data").get<std::vector<float>>(), j.at("shape").get<Shape>());
}

/// Largest |a − b| over two tensors of the same shape.
inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  const std::vector<float> va = a.to_vector<float>(), vb = b.to_vector<float>();
  if (va.size() != vb.size()) return INFINITY;
  double worst = 0.0;
  for (std::size_t i = 0; i < va.size(); ++i) worst = std::max(worst, std::abs(double(va[i]) - double(vb[i])));
  return worst;
}

/// Largest |a − b| / max(1, |b|): absolute below 1, relative above (extrapolated curves reach ±10).
inline double max_scaled_diff(const Tensor& a, const Tensor& b) {
  const std::vector<float> va = a.to_vector<float>(), vb = b.to_vector<float>();
  if (va.size() != vb.size()) return INFINITY;
  double worst = 0.0;
  for (std::size_t i = 0; i < va.size(); ++i)
    worst = std::max(worst, std::abs(double(va[i]) - double(vb[i])) / std::max(1.0, std::abs(double(vb[i]))));
  return worst;
}

/// Largest |a − b| / |b| over two series of the same length.
inline double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::abs(double(a[i]) - double(b[i])) / std::max(std::abs(double(b[i])), 1e-12));
  return worst;
}

}  // namespace ann::testing
