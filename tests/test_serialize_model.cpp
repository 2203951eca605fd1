// Models and training checkpoints in safetensors files (ann/serialize.h): state_dict names,
// clear errors when a file does not fit the model, rebuilding the MLP from metadata, and
// resuming training from a checkpoint bit for bit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ann/data.h"
#include "ann/error.h"
#include "ann/lesson.h"
#include "ann/mlp_file.h"
#include "ann/ops.h"
#include "ann/optim/adam.h"
#include "ann/optim/sgd.h"
#include "ann/serialize.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using namespace ann;
using ann::testing::message_of;
using ann::testing::TempDir;
using lesson::Activation;

// Bit patterns, so that -0.0 and NaN compare as what they are.
std::vector<std::uint32_t> bits(const Tensor& t) {
  const std::vector<float> v = t.to_vector<float>();
  std::vector<std::uint32_t> out(v.size());
  std::memcpy(out.data(), v.data(), v.size() * sizeof(float));
  return out;
}

void expect_same_parameters(const nn::Module& a, const nn::Module& b) {
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i].first, pb[i].first);
    EXPECT_EQ(bits(pa[i].second), bits(pb[i].second)) << pa[i].first;
  }
}

nn::Sequential mlp(std::uint64_t seed, std::int64_t hidden = 16, std::int64_t layers = 2,
                   Activation activation = Activation::Tanh) {
  manual_seed(seed);
  return lesson::make_mlp(2, hidden, layers, 3, activation);
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "\"" << (needle) << "\" not in: " << (haystack)

// ---- models --------------------------------------------------------------------------------------

TEST(serialize_model, RoundTripWithStateDictNames) {
  TempDir dir;
  nn::Sequential saved = mlp(1);
  save(saved, dir / "m.safetensors", describe_mlp(2, 16, 2, 3, Activation::Tanh));

  const TensorFile file = load_tensors(dir / "m.safetensors");
  std::vector<std::string> names;
  for (const auto& [name, t] : file.tensors) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"}));
  EXPECT_EQ(file.tensors.at("0.weight").sizes(), (Shape{16, 2}));
  EXPECT_EQ(file.metadata.at("format"), "pt");
  EXPECT_EQ(file.metadata.at("ann.activation"), "tanh");

  nn::Sequential loaded = mlp(2);
  load(loaded, dir / "m.safetensors");
  expect_same_parameters(saved, loaded);
  const Tensor x = randn({5, 2});
  EXPECT_EQ(bits(saved(x)), bits(loaded(x)));
}

TEST(serialize_model, LoadWritesIntoTheExistingParameters) {
  // An optimizer made before load() must see the loaded values: same storage, not new tensors.
  TempDir dir;
  save(mlp(1), dir / "m.safetensors");
  nn::Sequential model = mlp(2);
  const Tensor first = model.parameters().front();
  load(model, dir / "m.safetensors");
  EXPECT_EQ(bits(first), bits(mlp(1).parameters().front()));
}

TEST(serialize_model, FileThatDoesNotFitTheModel) {
  TempDir dir;
  nn::Sequential model = mlp(2);
  const auto before = lesson::snapshot(model);
  const fs::path path = dir / "m.safetensors";
  auto named = model.named_parameters();

  // missing parameters
  save_tensors({named.begin(), named.begin() + 4}, path);
  std::string m = message_of<ValueError>([&] { load(model, path); });
  EXPECT_CONTAINS(m, path.string());
  EXPECT_CONTAINS(m, "it lacks the parameters \"4.weight\", \"4.bias\"");

  // unknown tensors
  auto extra = named;
  extra.emplace_back("9.weight", zeros({1}));
  extra.emplace_back("head.bias", zeros({1}));
  save_tensors(extra, path);
  m = message_of<ValueError>([&] { load(model, path); });
  EXPECT_CONTAINS(m, "unexpected tensors \"9.weight\", \"head.bias\"");

  // wrong shape: another hidden width
  save(mlp(3, 8), path);
  m = message_of<ShapeError>([&] { load(model, path); });
  EXPECT_CONTAINS(m, path.string());
  EXPECT_CONTAINS(m, "tensor \"0.weight\" has shape [8, 2] in the file but [16, 2] in the model");

  // wrong dtype
  auto retyped = named;
  retyped[1].second = zeros({16}, TensorOptions().dtype(DType::Int64));
  save_tensors(retyped, path);
  m = message_of<TypeError>([&] { load(model, path); });
  EXPECT_CONTAINS(m, "tensor \"0.bias\" is int64 in the file but float32 in the model");

  // corrupt file
  save(mlp(1), path);
  fs::resize_file(path, fs::file_size(path) - 1);
  m = message_of<IOError>([&] { load(model, path); });
  EXPECT_CONTAINS(m, path.string());
  EXPECT_CONTAINS(m, "run past the end of the data section");

  // no failed load changed the model
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(bits(before[i].second), bits(model.named_parameters()[i].second)) << before[i].first;
  }
}

TEST(serialize_model, RebuildsTheMlpFromTheFileAlone) {
  TempDir dir;
  nn::Sequential saved = mlp(4, 10, 3, Activation::Sigmoid);
  save(saved, dir / "m.safetensors", describe_mlp(2, 10, 3, 3, Activation::Sigmoid));
  const Generator::State stream = default_generator().state();
  nn::Sequential loaded = load_mlp(dir / "m.safetensors");
  EXPECT_EQ(default_generator().state(), stream) << "building the model must not shift the global stream";
  EXPECT_EQ(loaded.str(), saved.str());
  expect_same_parameters(saved, loaded);
}

TEST(serialize_model, MetadataErrors) {
  const Metadata good = describe_mlp(2, 100, 1, 3, Activation::ReLU);
  EXPECT_EQ(good, (Metadata{{"ann.arch", "mlp"},
                            {"ann.in", "2"},
                            {"ann.hidden", "100"},
                            {"ann.layers", "1"},
                            {"ann.out", "3"},
                            {"ann.activation", "relu"}}));
  EXPECT_EQ(build_mlp_from_metadata(good).str(), lesson::make_mlp(2, 100, 1, 3, Activation::ReLU).str());

  auto with = [&](const std::string& key, const std::string& value) {
    Metadata m = good;
    m[key] = value;
    return m;
  };
  Metadata missing = good;
  missing.erase("ann.hidden");
  EXPECT_CONTAINS(message_of<ValueError>([&] { build_mlp_from_metadata(missing); }), "lacks \"ann.hidden\"");
  EXPECT_CONTAINS(message_of<ValueError>([&] { build_mlp_from_metadata(with("ann.arch", "cnn")); }),
                  "\"ann.arch\" is \"cnn\"");
  EXPECT_CONTAINS(message_of<ValueError>([&] { build_mlp_from_metadata(with("ann.layers", "0")); }),
                  "\"ann.layers\" is \"0\", not a positive integer");
  EXPECT_CONTAINS(message_of<ValueError>([&] { build_mlp_from_metadata(with("ann.in", "2x")); }),
                  "\"ann.in\" is \"2x\"");
  EXPECT_CONTAINS(message_of<ValueError>([&] { build_mlp_from_metadata(with("ann.out", "99999999999999999999")); }),
                  "not a positive integer");
  EXPECT_CONTAINS(message_of<ValueError>([&] { build_mlp_from_metadata(with("ann.activation", "gelu")); }),
                  "\"ann.activation\"");
  Metadata huge = with("ann.hidden", "100000");
  huge["ann.layers"] = "3";  // 2e10 parameters
  EXPECT_CONTAINS(message_of<ValueError>([&] { build_mlp_from_metadata(huge); }), "more than the limit");
  EXPECT_THROW(describe_mlp(2, 0, 1, 3, Activation::ReLU), ValueError);
}

TEST(serialize_model, LyingMetadataIsCaughtBeforeBuilding) {
  TempDir dir;
  Metadata lie = describe_mlp(2, 16, 2, 3, Activation::Tanh);
  lie["ann.hidden"] = "16000";  // 96003 parameters claimed, 371 stored
  lie["ann.layers"] = "1";
  save(mlp(1), dir / "m.safetensors", lie);
  const std::string m = message_of<ValueError>([&] { (void)load_mlp(dir / "m.safetensors"); });
  EXPECT_CONTAINS(m, "the architecture has 96003 parameters but the file holds 371 values");
}

// ---- checkpoints ---------------------------------------------------------------------------------

struct Training {
  nn::Sequential model;
  std::unique_ptr<optim::Optimizer> optimizer;
};

Training make_run(lesson::OptimizerKind kind, std::uint64_t seed) {
  Training r{mlp(seed), nullptr};
  r.optimizer = lesson::make_optimizer(kind, r.model.parameters(), 0.05, 1e-4, 0.9);
  return r;
}

const data::Labelled& spiral_data() {
  static const data::Labelled d = [] {
    Generator g(12345);
    return data::spiral(50, 3, 0.2, g);
  }();
  return d;
}

std::vector<float> train(Training& r, std::int64_t epochs) {
  return lesson::train_classifier(r.model, *r.optimizer, spiral_data().X, spiral_data().y, epochs).loss;
}

std::vector<std::uint32_t> float_bits(const std::vector<float>& v) {
  std::vector<std::uint32_t> out(v.size());
  std::memcpy(out.data(), v.data(), v.size() * sizeof(float));
  return out;
}

// An uninterrupted run of 2n epochs against n epochs, a checkpoint, a fresh process-like
// restart (other weights, other generator state), and n more epochs.
void expect_resume_is_bit_identical(lesson::OptimizerKind kind) {
  TempDir dir;
  constexpr std::int64_t n = 6;
  Training straight = make_run(kind, 7);
  const std::vector<float> all = train(straight, 2 * n);

  Training first = make_run(kind, 7);
  (void)train(first, n);
  manual_seed(99);
  (void)randn({3});
  const Generator::State at_checkpoint = default_generator().state();
  ASSERT_TRUE(at_checkpoint.next_normal.has_value());
  save_checkpoint(dir / "c.safetensors", first.model, *first.optimizer, at_checkpoint, n,
                  describe_mlp(2, 16, 2, 3, Activation::Tanh));

  manual_seed(1234);  // the restarted process starts from a different stream and weights
  Training resumed = make_run(kind, 8);
  const Checkpoint c = load_checkpoint(dir / "c.safetensors", resumed.model, *resumed.optimizer);
  EXPECT_EQ(c.epoch, n);
  EXPECT_EQ(c.generator, at_checkpoint);
  EXPECT_EQ(c.metadata.at("ann.hidden"), "16");
  expect_same_parameters(first.model, resumed.model);
  const std::vector<float> rest = train(resumed, n);
  EXPECT_EQ(float_bits(rest), float_bits(std::vector<float>(all.begin() + n, all.end())));
  expect_same_parameters(straight.model, resumed.model);
}

TEST(serialize_checkpoint, ResumeWithSgdMomentumIsBitIdentical) {
  expect_resume_is_bit_identical(lesson::OptimizerKind::SGD);
}

TEST(serialize_checkpoint, ResumeWithAdamIsBitIdentical) {
  expect_resume_is_bit_identical(lesson::OptimizerKind::Adam);
}

TEST(serialize_checkpoint, StoresTheOptimizerStateUnderItsNames) {
  TempDir dir;
  Training adam = make_run(lesson::OptimizerKind::Adam, 1);
  (void)train(adam, 3);
  save_checkpoint(dir / "a.safetensors", adam.model, *adam.optimizer, default_generator().state(), 3);
  const TensorFile a = load_tensors(dir / "a.safetensors");
  EXPECT_EQ(a.tensors.at("optim.0.step").dtype(), DType::Int64);
  EXPECT_EQ(a.tensors.at("optim.0.step").item<std::int64_t>(), 3);
  EXPECT_EQ(a.tensors.at("optim.5.exp_avg_sq").sizes(), (Shape{3}));
  const auto& state = dynamic_cast<optim::Adam&>(*adam.optimizer).state();
  EXPECT_EQ(bits(a.tensors.at("optim.2.exp_avg")), bits(state[2].exp_avg));
  EXPECT_EQ(a.metadata.at("ann.optimizer"), "adam");
  EXPECT_EQ(a.metadata.at("ann.epoch"), "3");
  EXPECT_EQ(a.metadata.at("ann.optimizer.lr"), "0.05");
  EXPECT_EQ(a.tensors.at("generator.mt").sizes(), (Shape{624}));

  Training sgd = make_run(lesson::OptimizerKind::SGD, 1);
  (void)train(sgd, 2);
  save_checkpoint(dir / "s.safetensors", sgd.model, *sgd.optimizer, default_generator().state(), 2);
  const TensorFile s = load_tensors(dir / "s.safetensors");
  EXPECT_EQ(bits(s.tensors.at("optim.4.momentum_buffer")),
            bits(dynamic_cast<optim::SGD&>(*sgd.optimizer).state()[4].momentum_buffer));
  EXPECT_EQ(s.metadata.at("ann.optimizer"), "sgd");
  EXPECT_EQ(s.metadata.at("ann.optimizer.momentum"), "0.9");

  // load() takes the model out of a checkpoint, ignoring the optimizer and generator tensors
  nn::Sequential model = mlp(5);
  load(model, dir / "s.safetensors");
  expect_same_parameters(model, sgd.model);
}

TEST(serialize_checkpoint, GeneratorStateIsExact) {
  TempDir dir;
  Training r = make_run(lesson::OptimizerKind::SGD, 1);
  Generator g(0xdeadbeefcafeULL);
  std::vector<float> one(1);
  g.fill_normal(one.data(), 1, 0, 1);  // leaves a cached normal
  for (int i = 0; i < 700; ++i) (void)g.random();
  const Generator::State s = g.state();
  ASSERT_TRUE(s.next_normal.has_value());
  save_checkpoint(dir / "c.safetensors", r.model, *r.optimizer, s, 0);
  EXPECT_EQ(load_checkpoint(dir / "c.safetensors", r.model, *r.optimizer).generator, s);

  Generator fresh(0);
  save_checkpoint(dir / "c.safetensors", r.model, *r.optimizer, fresh.state(), 0);
  const Generator::State back = load_checkpoint(dir / "c.safetensors", r.model, *r.optimizer).generator;
  EXPECT_EQ(back, fresh.state());
  EXPECT_FALSE(back.next_normal.has_value());
}

TEST(serialize_checkpoint, Mismatches) {
  TempDir dir;
  const fs::path path = dir / "c.safetensors";
  Training adam = make_run(lesson::OptimizerKind::Adam, 1);
  (void)train(adam, 2);
  save_checkpoint(path, adam.model, *adam.optimizer, default_generator().state(), 2);

  Training sgd = make_run(lesson::OptimizerKind::SGD, 2);
  (void)train(sgd, 1);
  const auto model_before = lesson::snapshot(sgd.model);
  const Tensor buffer_before = dynamic_cast<optim::SGD&>(*sgd.optimizer).state()[0].momentum_buffer.clone();
  std::string m = message_of<ValueError>([&] { (void)load_checkpoint(path, sgd.model, *sgd.optimizer); });
  EXPECT_CONTAINS(m, path.string());
  EXPECT_CONTAINS(m, "the checkpoint holds adam state but the optimizer is sgd");

  optim::AdamW adamw(adam.model.parameters());
  m = message_of<ValueError>([&] { (void)load_checkpoint(path, adam.model, adamw); });
  EXPECT_CONTAINS(m, "holds adam state but the optimizer is adamw");

  nn::Sequential small = mlp(1, 16, 1);
  optim::Adam fewer(small.parameters());
  m = message_of<ValueError>([&] { (void)load_checkpoint(path, small, fewer); });
  EXPECT_CONTAINS(m, "the checkpoint's optimizer has 6 parameters but this one has 4");

  save(adam.model, dir / "model.safetensors");
  m = message_of<ValueError>([&] { (void)load_checkpoint(dir / "model.safetensors", adam.model, *adam.optimizer); });
  EXPECT_CONTAINS(m, "not a checkpoint");

  m = message_of<ValueError>([&] {
    save_checkpoint(dir / "x.safetensors", adam.model, *adam.optimizer, default_generator().state(), 1,
                    {{"ann.epoch", "7"}});
  });
  EXPECT_CONTAINS(m, "metadata key \"ann.epoch\" is reserved");

  // nothing was modified by the failed loads
  for (std::size_t i = 0; i < model_before.size(); ++i) {
    EXPECT_EQ(bits(model_before[i].second), bits(sgd.model.named_parameters()[i].second));
  }
  EXPECT_EQ(bits(buffer_before), bits(dynamic_cast<optim::SGD&>(*sgd.optimizer).state()[0].momentum_buffer));
}

TEST(serialize_checkpoint, CorruptCheckpointContents) {
  TempDir dir;
  const fs::path path = dir / "c.safetensors";
  Training r = make_run(lesson::OptimizerKind::Adam, 1);
  (void)train(r, 1);
  save_checkpoint(path, r.model, *r.optimizer, default_generator().state(), 1);
  const TensorFile good = load_tensors(path);
  auto rewrite = [&](const std::function<void(TensorFile&)>& edit) {
    TensorFile f = good;
    edit(f);
    save_tensors({f.tensors.begin(), f.tensors.end()}, path, f.metadata);
  };
  auto expect_io_error = [&](const std::string& needle) {
    const std::string m = message_of<IOError>([&] { (void)load_checkpoint(path, r.model, *r.optimizer); });
    EXPECT_CONTAINS(m, path.string());
    EXPECT_CONTAINS(m, needle);
  };

  rewrite([](TensorFile& f) { f.metadata["ann.generator.index"] = "625"; });
  expect_io_error("\"ann.generator.index\" is \"625\", not an integer in [0, 624]");
  rewrite([](TensorFile& f) { f.metadata["ann.generator.next_normal"] = "nope"; });
  expect_io_error("\"ann.generator.next_normal\" is \"nope\"");
  rewrite([](TensorFile& f) { f.metadata.erase("ann.epoch"); });
  expect_io_error("metadata lacks \"ann.epoch\"");
  rewrite([](TensorFile& f) {
    f.tensors["generator.mt"] = from_vector(std::vector<std::int64_t>(624, std::int64_t{1} << 32), {624});
  });
  expect_io_error("word 0 is 4294967296, not a 32-bit value");
  rewrite([](TensorFile& f) { f.tensors.erase("generator.mt"); });
  expect_io_error("tensor \"generator.mt\" is missing");
  rewrite([](TensorFile& f) { f.tensors.erase("optim.3.exp_avg"); });
  expect_io_error("optimizer state: adam load_state_dict: parameter 3 has only part of its state (step, exp_avg, exp_avg_sq): no \"exp_avg\"");
  rewrite([](TensorFile& f) { f.tensors["optim.1.exp_avg"] = zeros({2}); });
  expect_io_error("tensor \"optim.1.exp_avg\" is float32 [2], expected float32 [16]");
  rewrite([](TensorFile& f) { f.tensors["optim.0.step"] = from_vector(std::vector<std::int64_t>{0}, {}); });
  expect_io_error("parameter 0's \"step\" is 0, not >= 1");

  rewrite([](TensorFile& f) { f.tensors["optim.0.bogus"] = zeros({1}); });
  const std::string m = message_of<ValueError>([&] { (void)load_checkpoint(path, r.model, *r.optimizer); });
  EXPECT_CONTAINS(m, "unexpected tensors \"optim.0.bogus\"");
}

}  // namespace
