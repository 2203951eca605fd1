// The data pipeline against PyTorch 1.13 (tests/fixtures/data_loader.json, made by
// tools/parity/make_data_fixtures.py): randperm, the loader's batches over several epochs and
// the generator draws it makes (the rand(4) after it must agree too), random_split's parts.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "ann/ann.h"
#include "fixtures.h"
#include "test_support.h"

namespace {

using namespace ann;
using ann::testing::load_fixture;

data::TensorDataset numbered(std::int64_t n) {  // as the fixture's: X[i] = i, y[i] = 10 i
  return data::TensorDataset(arange(0, static_cast<double>(n)).unsqueeze(1),
                             arange(0, static_cast<double>(n), 1.0, TensorOptions().dtype(DType::Int64)) * from_vector(std::vector<std::int64_t>{10}, {}));
}

std::vector<float> floats(const nlohmann::json& j) { return j.get<std::vector<float>>(); }

TEST(Randperm, MatchesTorch) {
  const nlohmann::json fixture = load_fixture("data_loader.json");  // alive for the whole loop
  for (const auto& c : fixture.at("randperm")) {
    Generator g(c.at("seed").get<std::uint64_t>());
    const Tensor p = randperm(c.at("n").get<std::int64_t>(), g);
    EXPECT_EQ(p.dtype(), DType::Int64);
    EXPECT_EQ(p.to_vector<std::int64_t>(), c.at("perm").get<std::vector<std::int64_t>>()) << c.at("n");
  }
  EXPECT_EQ(randperm(3, TensorOptions().dtype(DType::Float32)).dtype(), DType::Float32);
  EXPECT_THROW(randperm(-1), ValueError);
}

TEST(DataLoader, VisitsTorchsBatchesAndDrawsTorchsNumbers) {
  const nlohmann::json fixture = load_fixture("data_loader.json");  // alive for the whole loop
  for (const auto& c : fixture.at("loaders")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    manual_seed(c.at("global_seed").get<std::uint64_t>());
    std::optional<Generator> own;
    if (!c.at("generator_seed").is_null()) own.emplace(c.at("generator_seed").get<std::uint64_t>());
    data::DataLoader loader(numbered(c.at("n").get<std::int64_t>()),
                            {.batch_size = c.at("batch_size").get<std::int64_t>(),
                             .shuffle = c.at("shuffle").get<bool>(),
                             .drop_last = c.at("drop_last").get<bool>(),
                             .generator = own ? &*own : nullptr});
    const auto expected = c.at("batches").get<std::vector<std::vector<std::vector<std::int64_t>>>>();
    for (const auto& epoch : expected) {
      std::vector<std::vector<std::int64_t>> seen;
      for (const auto& batch : loader) {
        ASSERT_EQ(batch.size(), 2u);
        std::vector<std::int64_t> ids;
        for (float v : batch[0].to_vector<float>()) ids.push_back(static_cast<std::int64_t>(v));
        EXPECT_EQ(batch[0].sizes(), (Shape{static_cast<std::int64_t>(ids.size()), 1}));
        std::vector<std::int64_t> tens;
        for (std::int64_t id : ids) tens.push_back(10 * id);
        EXPECT_EQ(batch[1].to_vector<std::int64_t>(), tens);  // the rows of every tensor go together
        seen.push_back(ids);
      }
      EXPECT_EQ(seen, epoch);
      EXPECT_EQ(static_cast<std::int64_t>(seen.size()), loader.size());
    }
    EXPECT_EQ(rand({4}).to_vector<float>(), floats(c.at("global_rand_after")));
    if (own) {
      EXPECT_EQ(rand({4}, *own).to_vector<float>(), floats(c.at("generator_rand_after")));
    }
  }
}

TEST(DataLoader, RefusesABatchSizeBelowOne) {
  const std::string m =
      ann::testing::message_of<ValueError>([] { data::DataLoader(numbered(3), {.batch_size = 0}); });
  EXPECT_NE(m.find("batch_size"), std::string::npos) << m;
}

TEST(TensorDataset, RefusesTensorsOfDifferentLengths) {
  EXPECT_THROW(data::TensorDataset({zeros({3, 2}), zeros({4})}), ShapeError);
  EXPECT_THROW(data::TensorDataset({zeros({})}), ShapeError);
  EXPECT_THROW(data::TensorDataset(std::vector<Tensor>{}), ValueError);
}

TEST(RandomSplit, SplitsAsTorch) {
  const nlohmann::json fixture = load_fixture("data_loader.json");  // alive for the whole loop
  for (const auto& c : fixture.at("splits")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    manual_seed(c.at("global_seed").get<std::uint64_t>());
    std::optional<Generator> own;
    if (!c.at("generator_seed").is_null()) own.emplace(c.at("generator_seed").get<std::uint64_t>());
    const auto parts = data::random_split(numbered(c.at("n").get<std::int64_t>()),
                                          c.at("lengths").get<std::vector<double>>(),
                                          own ? *own : default_generator());
    const auto expected = c.at("parts").get<std::vector<std::vector<std::int64_t>>>();
    ASSERT_EQ(parts.size(), expected.size());
    for (std::size_t i = 0; i < parts.size(); ++i) {
      std::vector<std::int64_t> ids;
      for (float v : parts[i].tensors()[0].to_vector<float>()) ids.push_back(static_cast<std::int64_t>(v));
      EXPECT_EQ(ids, expected[i]) << "part " << i;
    }
    EXPECT_EQ(rand({4}).to_vector<float>(), floats(c.at("global_rand_after")));
  }
}

TEST(RandomSplit, RefusesLengthsThatDoNotAddUp) {
  const data::TensorDataset d = numbered(10);
  EXPECT_NE(ann::testing::message_of<ValueError>([&] { data::random_split(d, {3, 3}); }).find("sum to 6"),
            std::string::npos);
  EXPECT_THROW(data::random_split(d, {-1, 11}), ValueError);
  EXPECT_THROW(data::random_split(d, {2.5, 7.5}), ValueError);
}

}  // namespace
