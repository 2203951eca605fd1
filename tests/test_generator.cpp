// ann::Generator against values PyTorch 1.13 produced (tests/fixtures/generator.json, written
// by tools/parity/make_generator_fixtures.py), plus the properties checkpointing relies on.
#include "ann/generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ann/error.h"
#include "ann/tensor.h"

#ifndef ANN_FIXTURES_DIR
#error "ANN_FIXTURES_DIR must name the fixtures directory as a string literal"
#endif

namespace {

using ann::Generator;
using nlohmann::json;

const json& fixture() {
  static const json doc = [] {
    const std::string path = std::string(ANN_FIXTURES_DIR) + "/generator.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    return json::parse(in);
  }();
  return doc;
}

// Replays one fixture op on g; returns the values as doubles (float32 ops widened exactly).
std::vector<double> replay(Generator& g, const json& op) {
  const std::string kind = op.at("op");
  const std::size_t n = op.at("n");
  std::vector<double> out;
  if (kind == "rand_f64" || kind == "randn_f64") {
    // torch.rand / randn with dtype=float64: 53-bit uniforms from random64(), and Box-Muller in
    // double on them
    out.resize(n);
    if (kind == "rand_f64") g.fill_uniform(out.data(), n, 0.0, 1.0);
    else g.fill_normal(out.data(), n, 0.0, 1.0);
    return out;
  }
  std::vector<float> v(n);
  if (kind == "rand") {
    g.fill_uniform(v.data(), n, 0.0, 1.0);
  } else if (kind == "randn") {
    g.fill_normal(v.data(), n, 0.0, 1.0);
  } else if (kind == "uniform_") {
    g.fill_uniform(v.data(), n, op.at("from").get<double>(), op.at("to").get<double>());
  } else if (kind == "normal_") {
    g.fill_normal(v.data(), n, op.at("mean").get<double>(), op.at("std").get<double>());
  } else {
    ADD_FAILURE() << "unknown op " << kind;
  }
  out.assign(v.begin(), v.end());
  return out;
}

// Normals on fewer than 16 elements go through the C library's double log / sin / cos (as in
// torch), so their last bit could differ on another libm; everything else is integer work and
// IEEE float arithmetic with explicit fma, which must match exactly anywhere.
bool uses_libm(const json& op) {
  const std::string kind = op.at("op");
  // float64 normals take the C library's functions at every size
  return kind == "randn_f64" || ((kind == "randn" || kind == "normal_") && op.at("n").get<std::size_t>() < 16);
}

struct Tally {
  std::size_t values = 0, exact = 0, libm_values = 0, libm_exact = 0;
  double worst = 0.0;
};

// Runs every fixture case on g (freshly seeded by `seed_it`) and checks every value.
template <class SeedFn>
Tally check_all_cases(SeedFn seed_it) {
  Tally t;
  for (const json& c : fixture().at("cases")) {
    const std::uint64_t seed = c.at("seed");
    Generator g = seed_it(seed);
    EXPECT_EQ(g.initial_seed(), c.at("initial_seed").get<std::uint64_t>()) << c.at("name");
    std::size_t op_index = 0;
    for (const json& op : c.at("ops")) {
      const std::vector<double> got = replay(g, op);
      const std::vector<double> want = op.at("values").get<std::vector<double>>();
      const bool is_f64 = op.at("op") == "rand_f64" || op.at("op") == "randn_f64";
      const bool libm = uses_libm(op);
      EXPECT_EQ(got.size(), want.size()) << c.at("name");
      if (got.size() != want.size()) continue;
      for (std::size_t i = 0; i < got.size(); ++i) {
        // The fixture's float32 values are '%.9g': rounding the parsed double to float gives
        // torch's float back exactly.
        const double expected = is_f64 ? want[i] : static_cast<double>(static_cast<float>(want[i]));
        const double err = std::fabs(got[i] - expected);
        const bool exact = got[i] == expected;
        t.values++;
        t.exact += exact;
        if (libm) {
          t.libm_values++;
          t.libm_exact += exact;
        }
        t.worst = std::max(t.worst, err);
        EXPECT_LE(err, 1e-6) << "seed " << seed << ", " << c.at("name") << ", op " << op_index
                             << " (" << op.at("op") << "), element " << i;
        if (!libm) {
          EXPECT_TRUE(exact) << "not bit-exact: seed " << seed << ", " << c.at("name") << ", op "
                             << op_index << ", element " << i << ": " << got[i] << " vs "
                             << expected;
        }
      }
      ++op_index;
    }
  }
  return t;
}

TEST(GeneratorParity, FixtureIsGeneratedByTorch) {
  const json& doc = fixture();
  EXPECT_EQ(doc.at("_generated_by"), "tools/parity/make_generator_fixtures.py");
  EXPECT_EQ(doc.at("_cpu_capability"), "AVX2");
  EXPECT_GT(doc.at("cases").size(), 100u);
}

TEST(GeneratorParity, MatchesTorchAfterConstruction) {
  const Tally t = check_all_cases([](std::uint64_t seed) { return Generator(seed); });
  std::cout << "[ parity   ] " << t.exact << " / " << t.values << " values bit-exact ("
            << t.libm_exact << " / " << t.libm_values << " on the n < 16 libm path), worst |err| "
            << t.worst << "\n";
  EXPECT_GT(t.values, 10000u);
}

TEST(GeneratorParity, MatchesTorchAfterManualSeedOfAUsedGenerator) {
  // manual_seed must reset everything, including a cached normal sample.
  const Tally t = check_all_cases([](std::uint64_t seed) {
    Generator g(999);
    float scratch[3];
    g.fill_normal(scratch, 3, 0.0, 1.0);  // odd count: leaves a cached sample behind
    EXPECT_TRUE(g.state().next_normal.has_value());
    g.manual_seed(seed);
    return g;
  });
  EXPECT_EQ(t.exact, t.values);
}

TEST(GeneratorParity, SeedKeeps64BitsButMtSeesLow32) {
  Generator wide((std::uint64_t{1} << 32) + 7);
  Generator narrow(7);
  EXPECT_EQ(wide.initial_seed(), (std::uint64_t{1} << 32) + 7);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(wide.random(), narrow.random());
}

TEST(Generator, Mt19937MatchesStdMt19937) {
  // The reference property of MT19937: the 10000th output for seed 5489 is 4123659995.
  Generator g(5489);
  std::uint32_t last = 0;
  for (int i = 0; i < 10000; ++i) last = g.random();
  EXPECT_EQ(last, 4123659995u);
  for (std::uint64_t seed : {0ull, 1ull, 42ull, 4294967295ull, 67280421310721ull}) {
    Generator mine(seed);
    std::mt19937 ref(static_cast<std::uint32_t>(seed));
    for (int i = 0; i < 2000; ++i) {
      ASSERT_EQ(mine.random(), ref()) << "seed " << seed << " draw " << i;
    }
  }
}

TEST(Generator, Random64IsFirstDrawHigh) {
  Generator a(3), b(3);
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t hi = b.random();
    const std::uint64_t lo = b.random();
    ASSERT_EQ(a.random64(), (hi << 32) | lo);
  }
}

// A mix that touches every path: cached normal, both normal paths, uniform, a twist boundary.
std::vector<std::uint32_t> mixed_stream(Generator& g) {
  std::vector<std::uint32_t> bits;
  std::vector<float> v(700);
  auto take = [&](std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) bits.push_back(std::bit_cast<std::uint32_t>(v[i]));
  };
  g.fill_normal(v.data(), 5, 0.5, 2.0);
  take(5);
  g.fill_uniform(v.data(), 700, -0.1, 0.1);
  take(700);
  g.fill_normal(v.data(), 33, 0.0, 1.0);
  take(33);
  g.fill_normal(v.data(), 1, 0.0, 1.0);
  take(1);
  const std::uint64_t r = g.random64();
  bits.push_back(static_cast<std::uint32_t>(r >> 32));
  bits.push_back(static_cast<std::uint32_t>(r));
  return bits;
}

TEST(Generator, StateRoundTripReproducesTheStream) {
  Generator g(12345);
  std::vector<float> warm(3);
  g.fill_normal(warm.data(), 3, 0.0, 1.0);
  const Generator::State saved = g.state();
  ASSERT_TRUE(saved.next_normal.has_value());  // the round trip must carry the cached sample

  const std::vector<std::uint32_t> first = mixed_stream(g);
  EXPECT_NE(g.state(), saved);

  g.set_state(saved);
  EXPECT_EQ(g.state(), saved);
  EXPECT_EQ(mixed_stream(g), first);

  Generator other(1);  // a different generator resumes the same stream from the saved state
  other.set_state(saved);
  EXPECT_EQ(other.initial_seed(), 12345u);
  EXPECT_EQ(mixed_stream(other), first);
}

TEST(Generator, DroppingTheCachedSampleChangesTheStream) {
  // Guards the test above: the cached sample really is part of what must be saved.
  Generator g(12345);
  std::vector<float> warm(3);
  g.fill_normal(warm.data(), 3, 0.0, 1.0);
  Generator::State without = g.state();
  without.next_normal.reset();
  const std::vector<std::uint32_t> with_cache = mixed_stream(g);
  g.set_state(without);
  EXPECT_NE(mixed_stream(g), with_cache);
}

TEST(Generator, SameSeedSameStream) {
  Generator a(42), b(42), c(43);
  EXPECT_EQ(a.state(), b.state());
  EXPECT_NE(a.state(), c.state());
  const std::vector<std::uint32_t> sa = mixed_stream(a);
  EXPECT_EQ(sa, mixed_stream(b));
  EXPECT_NE(sa, mixed_stream(c));
  EXPECT_EQ(a.state(), b.state());
}

TEST(Generator, DefaultSeedIsTorchGeneratorDefault) {
  Generator g;
  EXPECT_EQ(g.initial_seed(), Generator::kDefaultSeed);
  EXPECT_EQ(g.state(), Generator(67280421310721ULL).state());
}

TEST(Generator, ManualSeedDropsCachedNormal) {
  Generator g(5);
  float x[1];
  g.fill_normal(x, 1, 0.0, 1.0);
  const float first = x[0];
  EXPECT_TRUE(g.state().next_normal.has_value());
  g.manual_seed(5);
  EXPECT_FALSE(g.state().next_normal.has_value());
  g.fill_normal(x, 1, 0.0, 1.0);
  EXPECT_EQ(x[0], first);
}

TEST(Generator, EmptyFillsDoNotAdvance) {
  Generator g(8);
  const Generator::State before = g.state();
  g.fill_uniform(static_cast<float*>(nullptr), 0, 0.0, 1.0);
  g.fill_normal(static_cast<float*>(nullptr), 0, 0.0, 1.0);
  EXPECT_EQ(g.state(), before);
}

TEST(Generator, RejectsInvalidArguments) {
  Generator g(8);
  float x[4];
  EXPECT_THROW(g.fill_normal(x, 4, 0.0, -1.0), ann::ValueError);
  EXPECT_THROW(g.fill_uniform(x, 4, 1.0, 0.0), ann::ValueError);
  Generator::State bad = g.state();
  bad.index = Generator::kStateWords + 1;
  EXPECT_THROW(g.set_state(bad), ann::ValueError);
}

TEST(DefaultGenerator, ManualSeedSeedsTheGlobalGenerator) {
  EXPECT_EQ(&ann::default_generator(), &ann::default_generator());
  ann::manual_seed(42);
  EXPECT_EQ(ann::default_generator().initial_seed(), 42u);
  Generator ref(42);
  EXPECT_EQ(ann::default_generator().state(), ref.state());
  EXPECT_EQ(mixed_stream(ann::default_generator()), mixed_stream(ref));

  // Same values as torch: rand(2) after torch.manual_seed(42) (from the fixture).
  ann::manual_seed(42);
  float x[2];
  ann::default_generator().fill_uniform(x, 2, 0.0, 1.0);
  for (const json& c : fixture().at("cases")) {
    if (c.at("seed") == 42 && c.at("name") == "rand(2)") {
      EXPECT_EQ(x[0], c.at("ops")[0].at("values")[0].get<float>());
      EXPECT_EQ(x[1], c.at("ops")[0].at("values")[1].get<float>());
    }
  }
}

}  // namespace

namespace {

// torch.manual_seed(5); torch.randint(3, 10, (12,)); torch.rand(2)  (PyTorch 1.13)
TEST(Randint, DrawsTorchsNumbersAndKeepsTheStreamInStep) {
  using namespace ann;
  manual_seed(5);
  const Tensor a = randint(3, 10, {12});
  EXPECT_EQ(a.dtype(), DType::Int64);
  EXPECT_EQ(a.to_vector<std::int64_t>(), (std::vector<std::int64_t>{4, 8, 5, 6, 9, 4, 4, 6, 8, 7, 3, 9}));
  const std::vector<float> after = rand({2}).to_vector<float>();
  EXPECT_FLOAT_EQ(after[0], 0.0724121928f);
  EXPECT_FLOAT_EQ(after[1], 0.659338951f);
  manual_seed(7);  // torch.randint(-5, 5, (2, 3))
  EXPECT_EQ(randint(-5, 5, {2, 3}).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, -3, -4, 1, -2, 2}));
  manual_seed(1);  // torch.randint(0, 2**33, (3,)): a 64-bit draw each
  EXPECT_EQ(randint(0, std::int64_t{1} << 33, {3}).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{8577843435, 4005303368, 4845257609}));
  EXPECT_THROW(randint(3, 3, {2}), ValueError);
  EXPECT_THROW(randn({2}, TensorOptions().dtype(DType::Int64)), TypeError);
}

}  // namespace
