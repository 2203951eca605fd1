// One small golden image per kind of figure (tests/golden/*.png, 200 px panels): a change
// that moves, recolours or drops anything fails here. Regenerate after an intended change
// with tools/update-golden.sh (see tests/golden/README.md) and look at the new images.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "ann/plot/lesson_figures.h"
#include "test_plot_helpers.h"

namespace {

using namespace ann;
using namespace ann::plot;
using namespace ann::plot::testing;

// A pixel differs when a channel is off by more than this; a figure fails when more than
// kMaxDiffering of its pixels differ (font rasterisation may shift a few edge pixels).
constexpr int kChannelTolerance = 12;
constexpr double kMaxDiffering = 0.005;
constexpr Style kGoldenStyle{Theme::Dark, 0.25};

std::filesystem::path golden_dir() { return std::filesystem::path(ANN_FIXTURES_DIR).parent_path() / "golden"; }

void check_golden(const std::string& name, const Figure& fig) {
  const auto path = golden_dir() / (name + ".png");
  if (std::getenv("ANN_UPDATE_GOLDEN")) {
    fig.save(path);
    GTEST_SKIP() << "wrote " << path;
  }
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing; run tools/update-golden.sh";
  const Image golden = read_png(path);
  const Image now = fig.render();
  ASSERT_EQ(now.width, golden.width) << name;
  ASSERT_EQ(now.height, golden.height) << name;
  std::size_t differing = 0;
  std::string first;
  for (int y = 0; y < now.height; ++y)
    for (int x = 0; x < now.width; ++x)
      if (!near(now.at(x, y), golden.at(x, y), kChannelTolerance)) {
        if (differing++ == 0) {
          std::ostringstream out;
          out << "first at (" << x << ", " << y << "): " << show(now.at(x, y)) << " instead of "
              << show(golden.at(x, y));
          first = out.str();
        }
      }
  const double fraction = static_cast<double>(differing) / (static_cast<double>(now.width) * now.height);
  EXPECT_LE(fraction, kMaxDiffering) << name << ": " << differing << " pixels differ; " << first;
}

TEST(plot_golden, Spiral) { check_golden("spiral", spiral_figure(small_spiral(60), "Noisy spiral", kGoldenStyle)); }

TEST(plot_golden, Boundary) {
  nn::Sequential model = wedge_model();
  check_golden("boundary", boundary_figure(model, small_spiral(60), "Wedges", kGoldenStyle));
}

TEST(plot_golden, BoundaryLight) {
  nn::Sequential model = wedge_model();
  check_golden("boundary_light", boundary_figure(model, small_spiral(60), "Wedges", {Theme::Light, 0.25}));
}

TEST(plot_golden, TrainingCurves) {
  check_golden("training_curves",
               training_figure(synthetic_history(100, 0.86, 0.5), synthetic_history(100, 0.18, 0.95), kGoldenStyle));
}

TEST(plot_golden, RegressionLinear) {
  check_golden("regression_linear", regression_linear_figure(synthetic_regression(), kGoldenStyle));
}

TEST(plot_golden, RegressionBefore) {
  check_golden("regression_before", regression_before_figure(synthetic_regression(), kGoldenStyle));
}

TEST(plot_golden, RegressionEnsembles) {
  check_golden("regression_ensembles", regression_ensembles_figure(synthetic_regression(3), 1.0, kGoldenStyle));
}

TEST(plot_golden, RegressionExtrapolation) {
  check_golden("regression_extrapolation", regression_ensembles_figure(synthetic_regression(3), 4.0, kGoldenStyle));
}

TEST(plot_golden, GradientDescent) { check_golden("gradient_descent", gradient_descent_figure({}, kGoldenStyle)); }

}  // namespace
