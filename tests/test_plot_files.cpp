// The files the figures become: SVG that is well-formed XML with the expected curves, GIF
// animations with the expected frames, delays and loop, and the whole lesson into a directory.
#include <gtest/gtest.h>

#include <set>

#include "ann/plot/gif.h"
#include "ann/plot/lesson_figures.h"
#include "test_plot_helpers.h"

namespace {

using namespace ann;
using namespace ann::plot;
using namespace ann::plot::testing;

TEST(plot_svg, EnsemblesAreWellFormedWithOneStrokePerCurve) {
  const lesson::RegressionRun run = synthetic_regression(2);
  const std::string svg = regression_ensembles_figure(run, 1.0, {Theme::Dark, 0.5}).encode(Format::SVG);
  ASSERT_TRUE(well_formed_xml(svg));
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("width=\"800px\""), std::string::npos);  // one SVG unit per pixel
  // Curves are stroked with round joins (legend samples and axis lines are not): per panel,
  // 2 prediction curves + the variance + the std.
  EXPECT_EQ(count(svg, "stroke-linejoin:round"), 2u * (2 + 2));
  // matplotlib's 'y' (10 × std) and 'g' (10 × variance): one curve and one legend sample per panel.
  EXPECT_EQ(count(svg, "stroke:rgb(75%,75%,0%)"), 4u);
  EXPECT_EQ(count(svg, "stroke:rgb(0%,50%,0%)"), 4u);
  // The first two colours of the bmh cycle, one curve per panel each.
  EXPECT_EQ(count(svg, "stroke:rgb(20.392157%,54.117647%,74.117647%)"), 2u);  // #348abd
  EXPECT_EQ(count(svg, "stroke:rgb(65.098039%,2.352941%,15.686275%)"), 2u);   // #a60628
}

TEST(plot_svg, BoundaryEmbedsTheRegionsAndEveryPoint) {
  nn::Sequential model = wedge_model();
  const data::Labelled data = small_spiral(20);
  const std::string svg = boundary_figure(model, data, "Wedges", {Theme::Light, 0.25}).encode(Format::SVG);
  ASSERT_TRUE(well_formed_xml(svg));
  EXPECT_EQ(count(svg, "<image"), 1u);  // the regions, rasterised once
  // Every point a filled path in its class colour (60 points: 20 per class).
  std::size_t points = 0;
  for (const char* fill : {"fill:rgb(61.960784%,0.392157%,25.882353%)", "fill:rgb(36.862745%,30.980392%,63.529412%)"})
    points += count(svg, fill);
  EXPECT_EQ(points, 40u);
}

TEST(plot_gif, FramesDelaysAndLoopAreWritten) {
  std::vector<Image> frames;
  for (int k = 0; k < 3; ++k) {
    Figure fig(40, 30, k == 1 ? Theme::Light : Theme::Dark, 20);
    fig.add_axes().axis_off().plot({{0, 1}, {0, k * 0.5}, class_color(k, 3), 3.0, ""});
    frames.push_back(fig.render());
  }
  const Scratch dir("gif");
  write_gif(dir / "a.gif", frames, {.delay_cs = 7, .last_delay_cs = 90, .loop = true});
  const GifInfo info = parse_gif(read_file(dir / "a.gif"));
  ASSERT_TRUE(info.valid) << info.error;
  EXPECT_EQ(info.version, "GIF89a");
  EXPECT_EQ(info.width, 40);
  EXPECT_EQ(info.height, 30);
  EXPECT_EQ(info.frames, 3);
  EXPECT_TRUE(info.loops);
  EXPECT_EQ(info.delays, (std::vector<int>{7, 7, 90}));
  // The palette keeps the flat colours exactly.
  const auto palette = gif_palette(frames);
  EXPECT_LE(palette.size(), 256u);
  EXPECT_NE(std::find(palette.begin(), palette.end(), kBlack), palette.end());
  EXPECT_NE(std::find(palette.begin(), palette.end(), kWhite), palette.end());

  EXPECT_THROW(encode_gif({}), ValueError);
  frames.push_back(Figure(41, 30).render());
  EXPECT_THROW(encode_gif(frames), ValueError);
}

TEST(plot_gif, AnimationTrainsAndRecordsEveryKEpochs) {
  const data::Labelled data = small_spiral(30);
  const auto before = default_generator().state();
  AnimationOptions options;
  options.epochs = 12;
  options.every = 5;
  options.hidden = 10;
  options.lr = 1e-2;
  options.style = {Theme::Dark, 0.25};
  const Scratch dir("animation");
  // Frames: before training, after 5 and 10 steps, and after the last (12).
  EXPECT_EQ(boundary_animation(data, dir / "b.gif", options), 4u);
  EXPECT_TRUE(default_generator().state() == before) << "the global generator was left changed";
  const GifInfo info = parse_gif(read_file(dir / "b.gif"));
  ASSERT_TRUE(info.valid) << info.error;
  EXPECT_EQ(info.frames, 4);
  EXPECT_EQ(info.width, 200);
  EXPECT_TRUE(info.loops);
  options.every = 0;
  EXPECT_THROW(boundary_animation(data, dir / "c.gif", options), ValueError);
}

TEST(plot_lesson, WritesEveryFigureOfTheLesson) {
  // A small stand-in for lesson::run_lesson(): the same structure, untrained small models.
  lesson::LessonRun run;
  run.spiral = small_spiral(30);
  {
    Generator g(3);
    run.linear_model =
        std::make_shared<nn::Sequential>(nn::Sequential{nn::Linear(2, 8, true, g), nn::Linear(8, 3, true, g)});
    run.relu_model = std::make_shared<nn::Sequential>(
        nn::Sequential{nn::Linear(2, 8, true, g), nn::ReLU(), nn::Linear(8, 3, true, g)});
  }
  run.relu_initial = lesson::snapshot(*run.relu_model);
  run.linear_history = synthetic_history(5, 0.86, 0.5);
  run.relu_history = synthetic_history(5, 0.18, 0.95);
  run.regression = synthetic_regression(2);

  const Scratch scratch("lesson");
  const char* names[] = {"spiral_clean",      "spiral_noisy",         "boundary_linear",
                         "boundary_relu",     "training_curves",      "regression_linear",
                         "regression_before", "regression_ensembles", "regression_extrapolation",
                         "gradient_descent"};
  // One format per call (Both is the two in turn), each into a directory the call creates.
  for (Format format : {Format::SVG, Format::PNG}) {
    const auto dir = scratch / std::string(to_string(format));
    const auto paths = write_lesson_figures(run, dir, format, format == Format::SVG ? Theme::Light : Theme::Dark);
    std::vector<std::filesystem::path> expected;
    for (const char* n : names) expected.push_back(dir / (std::string(n) + "." + std::string(to_string(format))));
    expected.push_back(dir / "boundary_animation.gif");
    ASSERT_EQ(paths, expected);
    for (const auto& p : paths) {
      ASSERT_TRUE(std::filesystem::is_regular_file(p)) << p;
      if (p.extension() == ".png") {
        const Image img = read_png(p);
        EXPECT_EQ(img.height, p.stem() == "training_curves" ? 640 : 800) << p;  // 8 × 6.4 inches
        EXPECT_EQ(img.at(0, 0), kBlack) << p;                                   // the dark theme
      }
      if (p.extension() == ".svg") {
        const std::string svg = read_file(p);
        EXPECT_TRUE(well_formed_xml(svg)) << p;
        EXPECT_NE(svg.find("fill:rgb(100%,100%,100%)"), std::string::npos) << p;  // the light background
      }
    }
    // The animation replays the 5-epoch run: before training and after every epoch.
    const GifInfo gif = parse_gif(read_file(dir / "boundary_animation.gif"));
    ASSERT_TRUE(gif.valid) << gif.error;
    EXPECT_EQ(gif.frames, 6);
  }
}

}  // namespace
