// Training on a user's table, the library's side: the standardisation, the metrics, the tabular
// model file (bit-exact round trip, refusals), reading named columns, architecture files of the
// new modules, and the confusion-matrix figure checked by its pixels.
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ann/ann.h"
#include "ann/plot/report_figures.h"
#include "test_plot_helpers.h"
#include "test_support.h"

using namespace ann;
using ann::testing::message_of;
using ann::testing::TempDir;

namespace {

// ---- Standardizer ------------------------------------------------------------------------------

TEST(Standardizer, FitsColumnMeansAndPopulationDeviations) {
  // Column 0: 1, 2, 3 → mean 2, std √(2/3); column 1 constant → scale 1.
  const Tensor X = from_vector(std::vector<float>{1, 10, 2, 10, 3, 10}, {3, 2});
  const data::Standardizer s = data::Standardizer::fit(X);
  EXPECT_FLOAT_EQ(s.mean()[0], 2.f);
  EXPECT_FLOAT_EQ(s.mean()[1], 10.f);
  EXPECT_FLOAT_EQ(s.scale()[0], std::sqrt(2.f / 3.f));
  EXPECT_FLOAT_EQ(s.scale()[1], 1.f);
  const std::vector<float> z = s.transform(X).to_vector<float>();
  EXPECT_FLOAT_EQ(z[0], -1.f / std::sqrt(2.f / 3.f));
  EXPECT_FLOAT_EQ(z[2], 0.f);
  EXPECT_FLOAT_EQ(z[1], 0.f);  // the constant column maps to 0, not NaN
  const std::vector<float> back = s.inverse_transform(s.transform(X)).to_vector<float>();
  const std::vector<float> original = X.to_vector<float>();
  for (std::size_t i = 0; i < back.size(); ++i) EXPECT_NEAR(back[i], original[i], 1e-5) << i;
}

TEST(Standardizer, RefusesWhatItCannotUse) {
  EXPECT_NE(message_of<ShapeError>([] { data::Standardizer::fit(zeros({0, 3})); }).find("at least one row"), std::string::npos);
  EXPECT_THROW(data::Standardizer::fit(zeros({4})), ShapeError);
  EXPECT_THROW(data::Standardizer({1.f}, {0.f}), ValueError);
  EXPECT_THROW(data::Standardizer({1.f, 2.f}, {1.f}), ValueError);
  const data::Standardizer s({0.f, 0.f}, {1.f, 1.f});
  EXPECT_NE(message_of<ShapeError>([&] { s.transform(zeros({5, 3})); }).find("expected [rows, 2], got [5, 3]"), std::string::npos);
}

// ---- metrics -----------------------------------------------------------------------------------

TEST(Metrics, AccuracyAndConfusionMatrixCountAsScikitLearn) {
  const Tensor scores = from_vector(std::vector<float>{2, 1, 0, 0, 3, 1, 0, 1, 5, 9, 0, 0}, {4, 3});  // argmax 0, 1, 2, 0
  const Tensor labels = from_vector(std::vector<std::int64_t>{0, 1, 1, 2}, {4});
  EXPECT_DOUBLE_EQ(metrics::accuracy(scores, labels), 0.5);
  const Tensor m = metrics::confusion_matrix(argmax(scores, 1), labels, 3);
  // rows are the truth: class 1 was once predicted 1 and once 2; class 2 once predicted 0
  EXPECT_EQ(m.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0, 0, 0, 1, 1, 1, 0, 0}));
  EXPECT_NE(message_of<ValueError>([&] { metrics::confusion_matrix(labels, labels, 2); }).find("predicted[3] = 2 is not a class in [0, 2)"), std::string::npos)
      << "a class outside [0, classes) names itself";
}

TEST(Metrics, MeanSquaredErrorAndR2MatchHandComputedValues) {
  const Tensor y = from_vector(std::vector<float>{1, 2, 3, 4}, {4, 1});
  const Tensor p = from_vector(std::vector<float>{1, 2, 3, 5}, {4, 1});
  EXPECT_DOUBLE_EQ(metrics::mean_squared_error(p, y), 0.25);
  EXPECT_DOUBLE_EQ(metrics::r2_score(p, y), 1.0 - 1.0 / 5.0);  // SS_tot = 2.25 + 0.25 + 0.25 + 2.25
  EXPECT_DOUBLE_EQ(metrics::r2_score(y, y), 1.0);
  const Tensor constant = full({3, 1}, 2.f);
  EXPECT_DOUBLE_EQ(metrics::r2_score(constant, constant), 1.0);
  EXPECT_DOUBLE_EQ(metrics::r2_score(y.slice(0, 0, 3), constant), 0.0);
  EXPECT_THROW(metrics::r2_score(p, y.view({4})), ShapeError);
}

// ---- the tabular model file --------------------------------------------------------------------

TabularModel iris_like_model() {
  manual_seed(1);
  TabularModel m;
  m.network = nn::Sequential{nn::Linear(4, 8), nn::GELU(), nn::Dropout(0.25), nn::LayerNorm(8), nn::Linear(8, 3)};
  m.feature_names = {"a", "b", "c", "d"};
  m.target = "kind";
  m.class_names = {"one", "three, quoted", "two"};
  m.features = data::Standardizer({1.5f, -2.f, 0.1f, 3.25f}, {2.f, 0.5f, 1.f / 3.f, 7.f});
  return m;
}

TEST(TabularModel, RoundTripsBitForBitAndPredictsTheSame) {
  TempDir dir;
  TabularModel m = iris_like_model();
  save(m, dir.path() / "m.safetensors");
  TabularModel again = load_tabular_model(dir.path() / "m.safetensors");
  EXPECT_EQ(again.feature_names, m.feature_names);
  EXPECT_EQ(again.class_names, m.class_names);
  EXPECT_EQ(again.target, "kind");
  EXPECT_TRUE(again.classification);
  EXPECT_EQ(again.features.mean(), m.features.mean());
  EXPECT_EQ(again.features.scale(), m.features.scale());  // 1/3 exactly as a float
  EXPECT_EQ(again.network.str(), m.network.str());
  const Tensor X = randn({5, 4});
  const Tensor p = m.predict(X), q = again.predict(X);
  EXPECT_EQ(p.to_vector<float>(), q.to_vector<float>());
  for (std::int64_t i = 0; i < 5; ++i) EXPECT_NEAR(p[i].sum().item(), 1.f, 1e-6f);
  // The file is also a plain model file: the architecture alone rebuilds the network.
  EXPECT_EQ(load_model(dir.path() / "m.safetensors").str(), m.network.str());
}

TEST(TabularModel, ARegressionPredictsInTheTargetsUnits) {
  TempDir dir;
  TabularModel m;
  m.network = nn::Sequential{nn::Linear(2, 1)};
  m.feature_names = {"x", "y"};
  m.target = "z";
  m.classification = false;
  m.features = data::Standardizer({0.f, 0.f}, {1.f, 1.f});
  m.target_scale = data::Standardizer({100.f}, {10.f});
  save(m, dir.path() / "r.safetensors");
  TabularModel again = load_tabular_model(dir.path() / "r.safetensors");
  const Tensor X = randn({3, 2});
  NoGradGuard no_grad;
  const std::vector<float> raw = m.network(X).to_vector<float>();
  const std::vector<float> p = again.predict(X).to_vector<float>();
  for (std::size_t i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(p[i], raw[i] * 10.f + 100.f);
}

TEST(TabularModel, RefusesInconsistentModelsAndFiles) {
  TempDir dir;
  TabularModel m = iris_like_model();
  m.feature_names.pop_back();
  EXPECT_NE(message_of<ValueError>([&] { describe(m); }).find("3 feature names but a standardisation of 4 columns"), std::string::npos);
  m = iris_like_model();
  m.class_names = {"only"};
  EXPECT_THROW(describe(m), ValueError);
  // A plain model file is not a tabular one.
  nn::Sequential plain{nn::Linear(4, 3)};
  save(plain, dir.path() / "plain.safetensors", describe(plain));
  EXPECT_NE(message_of<ValueError>([&] { load_tabular_model(dir.path() / "plain.safetensors"); }).find("not a tabular model"),
            std::string::npos);
  // Names that do not fit the network: three classes named, two outputs.
  m = iris_like_model();
  m.network = nn::Sequential{nn::Linear(4, 2)};
  save(m.network, dir.path() / "bad.safetensors", [&] {
    Metadata meta = describe(iris_like_model());
    const Metadata net = describe(m.network);
    meta["ann.sequential"] = net.at("ann.sequential");
    return meta;
  }());
  EXPECT_NE(message_of<ValueError>([&] { load_tabular_model(dir.path() / "bad.safetensors"); }).find("maps 4 inputs to 2 outputs"),
            std::string::npos);
}

// ---- named columns -----------------------------------------------------------------------------

TEST(Csv, NamedColumnsComeInTheAskedOrderAndOthersAreIgnored) {
  const Tensor X = csv::parse_named_columns("id,b,a,label\n7,2,1,x\n8,4,3,y\n", {.columns = {"a", "b"}});
  EXPECT_EQ(X.sizes(), (Shape{2, 2}));
  EXPECT_EQ(X.to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_NE(message_of<ValueError>([] { csv::parse_named_columns("a,c\n1,2\n", {.columns = {"a", "b"}, .source = "t.csv"}); })
                .find("csv: t.csv: line 1: no column named \"b\"; the header has \"a\", \"c\""),
            std::string::npos);
  EXPECT_NE(message_of<ValueError>([] { csv::parse_named_columns("a,b\n1,2\n3\n", {.columns = {"a"}}); }).find("line 3: expected 2 fields"),
            std::string::npos);
  EXPECT_NE(message_of<ValueError>([] { csv::parse_named_columns("a,b\n", {.columns = {"a"}}); }).find("no rows"), std::string::npos);
}

// ---- architecture files of the new modules -----------------------------------------------------

TEST(Architecture, RebuildsEveryActivationDropoutAndLayerNorm) {
  manual_seed(0);
  nn::Sequential model{nn::Linear(3, 6), nn::LeakyReLU(0.2), nn::ELU(0.5), nn::GELU(), nn::SiLU(),
                       nn::Softplus(2, 10), nn::Dropout(0.3), nn::LayerNorm(6, 1e-3, true), nn::Linear(6, 2)};
  const nn::Sequential again = build_from_metadata(describe(model));
  EXPECT_EQ(again.str(), model.str());
  EXPECT_EQ(again.parameters().size(), model.parameters().size());
  Metadata broken = describe(model);
  const std::string text = broken.at("ann.sequential");
  broken["ann.sequential"] = text.substr(0, text.find("p=0.3")) + "p=1.5" + text.substr(text.find("p=0.3") + 5);
  EXPECT_NE(message_of<ValueError>([&] { build_from_metadata(broken); }).find("p=1.5 is not a number in [0"), std::string::npos);
}

// ---- the confusion matrix figure ---------------------------------------------------------------

TEST(ReportFigure, ConfusionMatrixCellsAreShadedByTheirCounts) {
  const Tensor counts = from_vector(std::vector<std::int64_t>{8, 0, 2, 4}, {2, 2});
  plot::Figure fig(400, 400, plot::Theme::Light);
  plot::Axes& axes = fig.add_axes();
  plot::draw_confusion_matrix(axes, counts, {"no", "yes"}, plot::Theme::Light);
  const plot::Image image = fig.render();
  // Cell (truth t, predicted p) is centred on (p + 0.5, c − 1 − t + 0.5); sample beside its
  // number, a quarter cell off centre.
  const auto at = [&](double x, double y) {
    const auto [px, py] = fig.to_pixel(0, x, y);
    return image.at(static_cast<int>(px), static_cast<int>(py));
  };
  const plot::RGB8 largest = at(0.25, 1.75);   // truth 0, predicted 0: 8, the full blue
  const plot::RGB8 empty = at(1.25, 1.75);     // truth 0, predicted 1: 0, the background
  const plot::RGB8 quarter = at(0.25, 0.75);   // truth 1, predicted 0: 2
  const plot::RGB8 half = at(1.25, 0.75);      // truth 1, predicted 1: 4
  EXPECT_EQ(empty, ann::plot::testing::kWhite);
  EXPECT_EQ(largest, (plot::RGB8{31, 97, 184}));  // {0.12, 0.38, 0.72}
  // Shares 1/4 and 1/2 lie between the background and the blue, in order.
  EXPECT_GT(quarter.r, half.r);
  EXPECT_GT(half.r, largest.r);
  EXPECT_NEAR(half.r, (255 + 31) / 2.0, 2);
  EXPECT_THROW(plot::draw_confusion_matrix(axes, counts, {"only one"}, plot::Theme::Light), ValueError);
}

}  // namespace
