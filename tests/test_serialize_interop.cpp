// Safetensors files exchanged with PyTorch, both ways (tools/parity/safetensors_roundtrip.py):
//  - torch_model.safetensors, written by PyTorch, loads into ann's model and gives torch's outputs;
//  - ann_model.safetensors, written by ann, is what ann's save still writes; the script's
//    --check mode loads it into PyTorch and compares with ann_model_outputs.json.
// Set ANN_UPDATE_FIXTURES=1 to rewrite the two ann_model fixtures from this build.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ann/mlp_file.h"
#include "ann/ops.h"
#include "ann/serialize.h"
#include "fixtures.h"

namespace {

namespace fs = std::filesystem;
using namespace ann;
using ann::testing::load_fixture;
using ann::testing::max_abs_diff;
using lesson::Activation;

constexpr double kOutputTol = 1e-6;

const fs::path kFixtures = ANN_FIXTURES_DIR;

// Bit patterns of a float32 tensor (the fixtures hold float32 parameters only).
std::vector<std::uint32_t> bytes_of(const Tensor& t) {
  const std::vector<float> v = t.to_vector<float>();
  std::vector<std::uint32_t> out(v.size());
  std::memcpy(out.data(), v.data(), v.size() * sizeof(float));
  return out;
}

Tensor inputs_of(const nlohmann::json& j) {
  const auto rows = j.at("inputs").get<std::vector<std::vector<float>>>();
  std::vector<float> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return from_vector(flat, {static_cast<std::int64_t>(rows.size()), 2});
}

Tensor outputs_of(const nlohmann::json& j) {
  const auto rows = j.at("outputs").get<std::vector<std::vector<float>>>();
  std::vector<float> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return from_vector(flat, {static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(rows.front().size())});
}

TEST(serialize_interop, TorchModelLoadsAndGivesTorchOutputs) {
  const nlohmann::json expected = load_fixture("torch_model_outputs.json");
  // The architecture comes from the file's metadata...
  nn::Sequential rebuilt = load_mlp(kFixtures / "torch_model.safetensors");
  EXPECT_EQ(rebuilt.str(), lesson::make_mlp(2, 100, 1, 3, Activation::ReLU).str());
  EXPECT_LE(max_abs_diff(rebuilt(inputs_of(expected)), outputs_of(expected)), kOutputTol);
  // ...or from the caller, as for any state_dict
  nn::Sequential model = lesson::make_mlp(2, 100, 1, 3, Activation::ReLU);
  load(model, kFixtures / "torch_model.safetensors");
  EXPECT_LE(max_abs_diff(model(inputs_of(expected)), outputs_of(expected)), kOutputTol);
}

TEST(serialize_interop, TorchWeightsEqualAnnInitWithTheSameSeed) {
  // torch.manual_seed(5) then the model: ann's generator and Linear init match torch's bit for bit.
  const TensorFile torch_file = load_tensors(kFixtures / "torch_model.safetensors");
  manual_seed(5);
  const nn::Sequential ours = lesson::make_mlp(2, 100, 1, 3, Activation::ReLU);
  for (const auto& [name, p] : ours.named_parameters()) {
    ASSERT_TRUE(torch_file.tensors.contains(name)) << name;
    EXPECT_EQ(bytes_of(torch_file.tensors.at(name)), bytes_of(p)) << name;
  }
}

// The fixed model ann's fixture holds: the lesson's architecture, seed 7.
nn::Sequential fixed_model() {
  manual_seed(7);
  return lesson::make_mlp(2, 100, 1, 3, Activation::ReLU);
}

const Metadata& fixed_metadata() {
  static const Metadata m = describe_mlp(2, 100, 1, 3, Activation::ReLU);
  return m;
}

nlohmann::json recorded_outputs(nn::Sequential& model) {
  const std::vector<std::vector<float>> inputs = {{0.f, 0.f},   {0.5f, -0.25f}, {-1.f, 1.f},
                                                  {0.3f, 0.7f}, {1.5f, -2.f},   {-0.8f, -0.6f}};
  nlohmann::json j;
  j["_generated_by"] = "tests/test_serialize_interop.cpp with ANN_UPDATE_FIXTURES=1";
  j["model"] = "ann::lesson::make_mlp(2, 100, 1, 3, relu) after ann::manual_seed(7)";
  j["inputs"] = inputs;
  const Tensor y = model(inputs_of(j));
  std::vector<std::vector<float>> rows;
  for (std::int64_t i = 0; i < y.size(0); ++i) rows.push_back(y[i].to_vector<float>());
  j["outputs"] = rows;
  return j;
}

TEST(serialize_interop, AnnFixtureIsReproduced) {
  nn::Sequential model = fixed_model();
  if (std::getenv("ANN_UPDATE_FIXTURES")) {
    save(model, kFixtures / "ann_model.safetensors", fixed_metadata());
    std::ofstream(kFixtures / "ann_model_outputs.json") << recorded_outputs(model).dump(1) << "\n";
    GTEST_SKIP() << "ANN_UPDATE_FIXTURES is set: wrote the fixtures instead of comparing with them";
  }
  const fs::path ours_path = fs::temp_directory_path() / ("ann-ser-" + std::to_string(::getpid()) + "-interop.st");
  save(model, ours_path, fixed_metadata());
  const TensorFile ours = load_tensors(ours_path);
  fs::remove(ours_path);
  const TensorFile committed = load_tensors(kFixtures / "ann_model.safetensors");

  EXPECT_EQ(ours.metadata, committed.metadata);
  ASSERT_EQ(ours.tensors.size(), committed.tensors.size());
  for (const auto& [name, t] : committed.tensors) {
    ASSERT_TRUE(ours.tensors.contains(name)) << name;
    EXPECT_EQ(ours.tensors.at(name).sizes(), t.sizes()) << name;
    EXPECT_EQ(bytes_of(ours.tensors.at(name)), bytes_of(t)) << name;
  }
  const nlohmann::json recorded = load_fixture("ann_model_outputs.json");
  EXPECT_LE(max_abs_diff(model(inputs_of(recorded)), outputs_of(recorded)), kOutputTol);
}

}  // namespace
