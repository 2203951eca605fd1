// The figures' pixels: the colour map is matplotlib's Spectral, decision regions land where
// the model puts them (not transposed, not flipped), and the regression spread is drawn at
// the height of its values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "ann/plot/color.h"
#include "ann/plot/figure.h"
#include "ann/plot/lesson_figures.h"
#include "test_plot_helpers.h"

namespace {

using namespace ann;
using namespace ann::plot;
using namespace ann::plot::testing;

// ---- colour map -----------------------------------------------------------------------------

TEST(plot_color, SpectralIsMatplotlibs) {
  // The control colours at the ends, and matplotlib's 256-entry table in between:
  // Spectral(0.25) is entry 64, i.e. the interpolation at 64/255.
  EXPECT_EQ(to_rgb8(spectral(0.0)), (RGB8{158, 1, 66}));
  EXPECT_EQ(to_rgb8(spectral(1.0)), (RGB8{94, 79, 162}));
  EXPECT_EQ(to_rgb8(spectral(0.25)), (RGB8{249, 142, 82}));
  EXPECT_EQ(to_rgb8(spectral(0.1)), (RGB8{212, 61, 79}));  // entry 25, just short of #d53e4f
  // Out of range clamps; values in one table entry share a colour.
  EXPECT_EQ(spectral(-3.0), spectral(0.0));
  EXPECT_EQ(spectral(7.0), spectral(1.0));
  EXPECT_EQ(spectral(0.5), spectral(0.5 + 0.5 / 256));
}

TEST(plot_color, ThreeClassesAreRedYellowBlue) {
  for (int c = 0; c < 3; ++c) EXPECT_EQ(to_rgb8(class_color(c, 3)), kClasses[c]) << "class " << c;
  // Two classes: the two ends of the map.
  EXPECT_EQ(to_rgb8(class_color(1, 2)), kClass2);
  EXPECT_THROW(class_color(3, 3), ValueError);
  EXPECT_THROW(class_color(0, 1), ValueError);
  EXPECT_EQ(to_rgb8(hex("#3288bd")), (RGB8{0x32, 0x88, 0xbd}));
  EXPECT_THROW(hex("#12345"), ValueError);
}

TEST(plot_color, ValuesAreNormalisedToTheirRange) {
  const auto colors = spectral_by_value({-2.0, 0.0, 2.0});
  ASSERT_EQ(colors.size(), 3u);
  EXPECT_EQ(to_rgb8(colors[0]), kClass0);
  EXPECT_EQ(to_rgb8(colors[1]), kClass1);
  EXPECT_EQ(to_rgb8(colors[2]), kClass2);
}

// ---- formats and errors ---------------------------------------------------------------------

TEST(plot_figure, FormatComesFromTheExtension) {
  EXPECT_EQ(format_of("a/b.png"), Format::PNG);
  EXPECT_EQ(format_of("b.SVG"), Format::SVG);
  try {
    format_of("figure.jpg");
    FAIL() << "no error for .jpg";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find(".jpg"), std::string::npos) << e.what();
  }
  EXPECT_THROW(format_of("figure"), ValueError);
  EXPECT_EQ(parse_format("both"), Format::Both);
  EXPECT_EQ(parse_theme("light"), Theme::Light);
  EXPECT_THROW(parse_theme("blue"), ValueError);
}

TEST(plot_figure, SaveIsAtomicAndNamesThePathOnFailure) {
  const Scratch dir("save");
  Figure fig(60, 40);
  fig.add_axes().plot({{0, 1}, {0, 1}, hex("#ff0000"), 2.0, ""});
  fig.save(dir / "a.png");
  fig.save(dir / "a.png");  // replaces
  fig.save(dir / "a.svg");
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a.png", "a.svg"}));  // no temporary files left

  EXPECT_THROW(fig.save(dir / "a.gif"), ValueError);
  const auto missing = dir / "no" / "such" / "dir" / "a.png";
  try {
    fig.save(missing);
    FAIL() << "no error writing into a missing directory";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
  }
  EXPECT_THROW(Figure(0, 10), ValueError);
  EXPECT_THROW(fig.add_axes().xlim(1, 1), ValueError);
  EXPECT_THROW(fig.add_axes().scatter({{0, 1}, {0}, {hex("#000000")}, 20.0, ""}), ValueError);
}

TEST(plot_figure, PixelsLandWhereTheDataAre) {
  // A 1-pixel-wide mark at a known data point, read back from the PNG.
  const Scratch dir("mapping");
  Figure fig(300, 200, Theme::Light);
  Axes& ax = fig.add_axes().limits(-2, 4, 10, 20).axis_off();
  ax.scatter({{3.0}, {12.0}, {hex("#0000ff")}, 30.0, ""});
  fig.save(dir / "m.png");
  const Image img = read_png(dir / "m.png");
  ASSERT_EQ(img.width, 300);
  ASSERT_EQ(img.height, 200);
  const auto [px, py] = fig.to_pixel(0, 3.0, 12.0);
  const Box box = fig.plot_box(0);
  EXPECT_NEAR(px, box.x + box.width * 5.0 / 6.0, 1e-9);
  EXPECT_NEAR(py, box.y + box.height * 0.8, 1e-9);  // y grows upwards
  EXPECT_TRUE(pixel_is(img, px, py, {0, 0, 255}));
  EXPECT_TRUE(pixel_is(img, px - 10, py, kWhite));
}

// ---- decision regions -----------------------------------------------------------------------

// Pixel of data point (r cos a, r sin a).
std::pair<double, double> at_angle(const Figure& fig, double degrees, double r) {
  const double a = degrees * std::numbers::pi / 180.0;
  return fig.to_pixel(0, r * std::cos(a), r * std::sin(a));
}

void expect_wedges(Theme theme, RGB8 background) {
  nn::Sequential model = wedge_model();
  const data::Labelled data = wedge_data();
  const Figure fig = boundary_figure(model, data, "Wedges", {theme, 0.5});
  const Scratch dir("wedges");
  fig.save(dir / "w.png");
  const Image img = read_png(dir / "w.png");
  // Angle -> the class whose direction (80°, 200°, 320°) is nearest. 10° and 120° are the
  // asymmetric probes: a transposed grid (x <-> y) would show class 0 at 10° and class 2 at
  // 120°; an upside-down grid, class 1 at 120°.
  const std::pair<double, int> probes[] = {{80, 0}, {200, 1}, {320, 2}, {10, 2}, {120, 0}, {250, 1}, {170, 1}};
  for (const auto& [degrees, cls] : probes) {
    for (double r : {0.3, 0.6, 0.9}) {
      const auto [px, py] = at_angle(fig, degrees, r);
      EXPECT_TRUE(pixel_is(img, px, py, blend(kClasses[cls], 0.3, background)))
          << "at " << degrees << "°, r " << r << ": expected class " << cls;
    }
  }
  // Outside the plot box: the bare background.
  const Box box = fig.plot_box(0);
  EXPECT_TRUE(pixel_is(img, box.x - 3, box.y + box.height / 2, background, 0));
}

TEST(plot_regions, HandBuiltLinearModelGivesThreeWedges) { expect_wedges(Theme::Dark, kBlack); }
TEST(plot_regions, LightThemeBlendsOverWhite) { expect_wedges(Theme::Light, kWhite); }

TEST(plot_regions, MeshIsTheNotebooks) {
  nn::Sequential model = wedge_model();
  const Regions r = decision_regions(model);
  EXPECT_EQ(r.nx, 220);
  EXPECT_EQ(r.ny, 220);
  EXPECT_NEAR(r.x0, -1.1, 1e-6);
  EXPECT_DOUBLE_EQ(r.dx, 0.01);
  EXPECT_DOUBLE_EQ(r.alpha, 0.3);
  ASSERT_EQ(r.class_colors.size(), 3u);
  // Row i holds y = mesh[i]; column j, x = mesh[j]. At (x, y) = (1.0, -0.3), angle −17°:
  // class 2 (320°); transposed, (−0.3, 1.0) would be class 0.
  const auto index = [](double v) { return static_cast<std::int64_t>(std::lround((v + 1.1) / 0.01)); };
  EXPECT_EQ(r.classes[static_cast<std::size_t>(index(-0.3) * 220 + index(1.0))], 2);
  EXPECT_EQ(r.classes[static_cast<std::size_t>(index(1.0) * 220 + index(-0.3))], 0);
}

TEST(plot_regions, SmoothBoundariesFollowTheInterpolatedClasses) {
  // A 2×2 grid, class 1 only in the top-right cell (i = 1, j = 1). Nearest-cell drawing gives
  // class 1 from the midpoint on; smooth drawing only where its bilinear weight u·v > 1/2.
  for (bool smooth : {false, true}) {
    Figure fig(200, 200, Theme::Dark, 50);
    Regions r{2, 2, 0.0, 0.0, 1.0, 1.0, {0, 0, 0, 1}, {hex("#ff0000"), hex("#0000ff")}, 1.0, smooth};
    fig.add_axes().limits(-0.5, 1.5, -0.5, 1.5).axis_off().regions(r);
    const Image img = fig.render();
    auto pixel = [&](double x, double y) {
      const auto [px, py] = fig.to_pixel(0, x, y);
      return img.at(static_cast<int>(px), static_cast<int>(py));
    };
    EXPECT_EQ(pixel(0.6, 0.6), smooth ? (RGB8{255, 0, 0}) : (RGB8{0, 0, 255})) << "smooth " << smooth;
    EXPECT_EQ(pixel(0.85, 0.85), (RGB8{0, 0, 255}));
    EXPECT_EQ(pixel(0.1, 0.1), (RGB8{255, 0, 0}));
    EXPECT_EQ(pixel(1.2, 0.1), (RGB8{255, 0, 0}));  // bottom-right cell
  }
}

TEST(plot_regions, TrainedReluModelColoursItsClassesRegions) {
  // The brief's small run: spiral(100, 3, 0.2), Linear(2, 50)-ReLU-Linear(50, 3), Adam 1e-2.
  const data::Labelled data = small_spiral(100);
  Generator init(7);
  nn::Sequential model{nn::Linear(2, 50, true, init), nn::ReLU(), nn::Linear(50, 3, true, init)};
  optim::Adam adam(model.parameters(), {.lr = 1e-2});
  const lesson::History h = lesson::train_classifier(model, adam, data.X, data.y, 300);
  ASSERT_GT(h.accuracy.back(), 0.8f);

  const Figure fig = boundary_figure(model, data, "ReLU", {Theme::Dark, 0.5});
  const Scratch dir("trained");
  fig.save(dir / "b.png");
  const Image img = read_png(dir / "b.png");

  // Pixel <-> data through the figure's own mapping.
  const auto [ox, oy] = fig.to_pixel(0, 0, 0);
  const auto [ux, uy] = fig.to_pixel(0, 1, 1);
  const double sx = ux - ox, sy = uy - oy;
  const auto X = data.X.to_vector<float>();
  const auto y = data.y.to_vector<std::int64_t>();

  // Candidates: pixels 8–14 px from a point of class c, away from every marker, inside the
  // mesh; a candidate counts when the model gives class c over ±3 px around it.
  struct Candidate {
    int px, py;
    std::int64_t cls;
  };
  std::vector<Candidate> candidates;
  std::vector<float> probes;
  for (std::size_t i = 0; i < y.size(); i += 7) {
    const double cx = ox + X[2 * i] * sx, cy = oy + X[2 * i + 1] * sy;
    for (int k = 0; k < 8; ++k) {
      const double a = k * std::numbers::pi / 4, d = 8 + (i % 7);
      const int px = static_cast<int>(cx + d * std::cos(a)), py = static_cast<int>(cy + d * std::sin(a));
      bool clear = true;
      for (std::size_t j = 0; j < y.size() && clear; ++j)
        clear = std::hypot(ox + X[2 * j] * sx - (px + 0.5), oy + X[2 * j + 1] * sy - (py + 0.5)) > 5.0;
      const double dx = (px + 0.5 - ox) / sx, dy = (py + 0.5 - oy) / sy;
      // Inside the mesh, and off the thin grey lines through 0.
      if (!clear || std::abs(dx) > 1.05 || std::abs(dy) > 1.05 || std::abs(px + 0.5 - ox) < 4 ||
          std::abs(py + 0.5 - oy) < 4)
        continue;
      candidates.push_back({px, py, y[i]});
      for (int ix = -3; ix <= 3; ix += 3)
        for (int iy = -3; iy <= 3; iy += 3) {
          probes.push_back(static_cast<float>((px + 0.5 + ix - ox) / sx));
          probes.push_back(static_cast<float>((py + 0.5 + iy - oy) / sy));
        }
    }
  }
  std::vector<std::int64_t> predicted;
  {
    NoGradGuard no_grad;
    predicted = argmax(model(from_vector(probes, {static_cast<std::int64_t>(probes.size() / 2), 2})), 1)
                    .to_vector<std::int64_t>();
  }
  int checked[3] = {0, 0, 0};
  for (std::size_t k = 0; k < candidates.size(); ++k) {
    const Candidate& c = candidates[k];
    if (!std::all_of(predicted.begin() + 9 * k, predicted.begin() + 9 * (k + 1), [&](auto p) { return p == c.cls; }))
      continue;
    ++checked[c.cls];
    EXPECT_TRUE(pixel_is(img, c.px, c.py, blend(kClasses[c.cls], 0.3, kBlack))) << "class " << c.cls;
  }
  for (int c = 0; c < 3; ++c) EXPECT_GE(checked[c], 10) << "too few clear pixels checked for class " << c;
}

// ---- regression -----------------------------------------------------------------------------

// Rows of column `px`, from the top down to `bottom`, whose colour is the 'y' yellow of the
// std curve (r ≈ g, no blue — no Spectral or cycle colour looks like that). A std is never
// negative, so `bottom` (just under y = 0) also keeps the legend's sample out.
std::vector<int> yellow_rows(const Image& img, int px, const Box& box, double bottom) {
  std::vector<int> rows;
  for (int py = static_cast<int>(box.y); py < static_cast<int>(bottom); ++py) {
    const RGB8 c = img.at(px, py);
    if (c.r >= 150 && std::abs(c.r - c.g) <= 10 && c.b <= 30) rows.push_back(py);
  }
  return rows;
}

TEST(plot_regression, ExtrapolationStdCurveIsDrawnAtItsValueAndGrowsOutwards) {
  // Two nets per family, small and trained fast, but trained enough (MSE ≈ 0.006) that they
  // agree on the data and part outside it — the lesson's Fig. 12 in miniature.
  const lesson::RegressionRun run =
      lesson::run_regression({.points = 100, .networks = 4, .hidden = 20, .epochs = 300, .lr = 1e-2});
  const Figure fig = regression_ensembles_figure(run, 4.0, {Theme::Dark, 1.0});
  EXPECT_EQ(fig.axes(0).title_text(), "ReLU models");
  EXPECT_EQ(fig.axes(1).title_text(), "Tanh models");
  const Scratch dir("extrapolation");
  fig.save(dir / "e.png");
  const Image img = read_png(dir / "e.png");

  const auto x = run.x_new.to_vector<float>();
  for (std::size_t panel = 0; panel < 2; ++panel) {
    const Box box = fig.plot_box(panel);
    const auto std_v = (panel == 0 ? run.std_relu : run.std_tanh).to_vector<float>();
    double centre_row = 0;
    // x = 0 is sample 500 of linspace(−4, 4, 1001); ±2.4 and ±3.2 lie outside the data.
    for (std::size_t i : {500u, 200u, 100u, 800u, 900u}) {
      const auto [px, py] = fig.to_pixel(panel, x[i], 10.0 * std_v[i]);
      const auto rows = yellow_rows(img, static_cast<int>(px), box, fig.to_pixel(panel, 0, 0).second + 4);
      if (py < box.y) {  // above the view: nothing yellow may be drawn low in this column
        for (int r : rows) EXPECT_LT(r, centre_row - 20) << "panel " << panel << ", x " << x[i];
        continue;
      }
      ASSERT_FALSE(rows.empty()) << "no yellow at x " << x[i] << ", panel " << panel;
      const double nearest = *std::min_element(rows.begin(), rows.end(),
                                               [&](int a, int b) { return std::abs(a - py) < std::abs(b - py); });
      EXPECT_NEAR(nearest, py, 3.0) << "10 × std at x " << x[i] << " (" << std_v[i] << "), panel " << panel;
      if (i == 500) {
        centre_row = py;
        continue;
      }
      // Higher on screen (a smaller row) away from the data than at x = 0.
      EXPECT_LT(py, centre_row - 20) << "10 × std not larger at x " << x[i] << " than at 0, panel " << panel;
    }
  }
}

TEST(plot_regression, FiguresNeedTheirData) {
  lesson::RegressionRun empty;
  EXPECT_THROW(regression_ensembles_figure(empty, 1.0), ValueError);
  EXPECT_THROW(regression_linear_figure(empty), ValueError);
  EXPECT_THROW(regression_ensembles_figure(synthetic_regression(), 0.0), ValueError);
}

// ---- gradient descent -----------------------------------------------------------------------

TEST(plot_descent, StepsGoDownhillToTheMinimum) {
  const DescentProblem p;
  const auto theta = descent_path(p);
  ASSERT_EQ(theta.size(), static_cast<std::size_t>(p.steps + 1));
  EXPECT_DOUBLE_EQ(theta[0], p.theta0);
  for (std::size_t k = 1; k < theta.size(); ++k) {
    EXPECT_DOUBLE_EQ(theta[k], theta[k - 1] - p.lr * p.slope(theta[k - 1]));
    EXPECT_LT(p.loss(theta[k]), p.loss(theta[k - 1]));
  }
  // The default J is a parabola with its minimum at ϑ = 1: each step shrinks the distance by 1 − η.
  EXPECT_NEAR(theta.back() - 1.0, (p.theta0 - 1.0) * std::pow(1.0 - p.lr, p.steps), 1e-12);
  DescentProblem bad;
  bad.lr = 0;
  EXPECT_THROW(descent_path(bad), ValueError);
}

}  // namespace
