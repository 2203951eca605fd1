// A Sequential's architecture in a model file (ann::describe, build_from_metadata, load_model):
// any Sequential of the modules ann can rebuild comes back from the file alone, with the same
// outputs; a file that lies about its architecture is refused before anything is built.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ann/ann.h"
#include "test_support.h"

namespace {

using namespace ann;
using ann::testing::message_of;
using ann::testing::TempDir;

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "\"" << (needle) << "\" not in: " << (haystack)

nn::Sequential mixed() {
  manual_seed(4);
  return nn::Sequential{nn::Linear(3, 7), nn::Tanh(),    nn::Linear(7, 5, false), nn::ReLU(), nn::Identity(),
                        nn::Linear(5, 4), nn::Sigmoid(), nn::Linear(4, 2),        nn::LogSoftmax(1)};
}

TEST(serialize_architecture, AnySequentialComesBackFromTheFileAlone) {
  TempDir dir;
  nn::Sequential model = mixed();
  save(model, dir / "m.safetensors", describe(model));
  manual_seed(77);
  const std::vector<float> next_draw = randn({4}).to_vector<float>();
  manual_seed(77);
  nn::Sequential again = load_model(dir / "m.safetensors");
  EXPECT_EQ(randn({4}).to_vector<float>(), next_draw) << "building the model must not shift the random stream";
  EXPECT_EQ(again.str(), model.str());
  const Tensor x = randn({6, 3});
  NoGradGuard no_grad;
  EXPECT_EQ(again(x).to_vector<float>(), model(x).to_vector<float>());
}

TEST(serialize_architecture, TheLessonsModelsAndSoftmaxToo) {
  manual_seed(1);
  nn::Sequential spiral{nn::Linear(2, 100), nn::ReLU(), nn::Linear(100, 3), nn::Softmax(-1)};
  const Metadata m = describe(spiral);
  EXPECT_EQ(m.at("ann.sequential"),
            R"([["Linear","in_features=2, out_features=100, bias=True"],["ReLU",""],)"
            R"(["Linear","in_features=100, out_features=3, bias=True"],["Softmax","dim=-1"]])");
  EXPECT_EQ(build_from_metadata(m).str(), spiral.str());
}

TEST(serialize_architecture, DescribeRefusesWhatItCannotRebuild) {
  nn::Sequential nested{nn::Linear(2, 2), nn::Sequential{nn::ReLU()}};
  EXPECT_CONTAINS(message_of<ValueError>([&] { (void)describe(nested); }),
                  "describe: module 1 is a Sequential, which ann cannot rebuild from a file");
}

TEST(serialize_architecture, BadArchitecturesAreNamed) {
  auto refused = [](const std::string& architecture, const std::string& needle) {
    const std::string m = message_of<ValueError>([&] { (void)build_from_metadata({{"ann.sequential", architecture}}); });
    EXPECT_CONTAINS(m, needle);
  };
  EXPECT_CONTAINS(message_of<ValueError>([] { (void)build_from_metadata({}); }), "no \"ann.sequential\"");
  refused("not json", "not a non-empty JSON array");
  refused("[]", "not a non-empty JSON array");
  refused(R"([["Linear"]])", "module 0 is not a [name, arguments] pair of strings");
  refused(R"([["Conv2d", ""]])", "module 0 is a Conv2d, which ann cannot rebuild (it rebuilds BatchNorm1d, Dropout, ELU, GELU, Identity, LayerNorm,");
  refused(R"([["ReLU", ""], ["Linear", "in_features=2, bias=True"]])", "module 1 (Linear): no out_features");
  refused(R"([["Linear", "in_features=0, out_features=2, bias=True"]])", "in_features=0 is not an integer in [1,");
  refused(R"([["Linear", "in_features=2, out_features=2, bias=yes"]])", "bias=yes is not True or False");
  refused(R"([["Linear", "in_features 2"]])", "\"in_features 2\" is not name=value");
  refused(R"([["Softmax", "dim=9"]])", "dim=9 is not an integer in [-8, 7]");
  refused(R"([["Linear", "in_features=100000, out_features=100000, bias=True"]])", "more than 2^28 parameters");
}

TEST(serialize_architecture, AFileLyingAboutItsSizeIsRefusedBeforeBuilding) {
  TempDir dir;
  nn::Sequential small{nn::Linear(2, 3)};
  Metadata lie = describe(nn::Sequential{nn::Linear(2, 3), nn::Linear(3, 16000)});
  save(small, dir / "lie.safetensors", lie);
  EXPECT_CONTAINS(message_of<ValueError>([&] { (void)load_model(dir / "lie.safetensors"); }),
                  "the architecture has 64009 parameters but the file holds 9 values");
}

}  // namespace
