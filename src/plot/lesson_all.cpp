// Every figure of the lesson into one directory.
#include <algorithm>
#include <system_error>

#include "ann/error.h"
#include "lesson_common.h"

namespace ann::plot {

std::vector<std::filesystem::path> write_lesson_figures(const lesson::LessonRun& run, const std::filesystem::path& dir,
                                                        Format format, Theme theme) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IOError("plot: cannot create the directory " + dir.string() + ": " + ec.message());
  if (!run.linear_model || !run.relu_model) throw ValueError("plot: the lesson run has no trained spiral models");

  const Style style{theme, 1.0};
  std::vector<std::filesystem::path> written;
  // Each figure in the chosen format(s), PNG before SVG.
  auto each_format = [&](const std::string& name, const auto& write) {
    for (Format f : {Format::PNG, Format::SVG}) {
      if (format != Format::Both && format != f) continue;
      const std::filesystem::path path = dir / (name + "." + std::string(to_string(f)));
      write(path);
      written.push_back(path);
    }
  };

  // The clean spiral (noise 0) is not part of the run; its points do not depend on the
  // random stream, and a private generator leaves the global one alone.
  Generator generator(12345);
  const data::Labelled clean =
      data::spiral(run.spiral.X.size(0) / class_count(run.spiral.y), class_count(run.spiral.y), 0.0, generator);
  const lesson::RegressionRun& reg = run.regression;
  each_format("spiral_clean", [&](const auto& p) { spiral_clean(clean, p, style); });
  each_format("spiral_noisy", [&](const auto& p) { spiral_noisy(run.spiral, p, style); });
  each_format("boundary_linear", [&](const auto& p) { boundary_linear(*run.linear_model, run.spiral, p, style); });
  each_format("boundary_relu", [&](const auto& p) { boundary_relu(*run.relu_model, run.spiral, p, style); });
  each_format("training_curves",
              [&](const auto& p) { training_curves(run.linear_history, run.relu_history, p, style); });
  each_format("regression_linear", [&](const auto& p) { regression_linear(reg, p, style); });
  each_format("regression_before", [&](const auto& p) { regression_before(reg, p, style); });
  each_format("regression_ensembles", [&](const auto& p) { regression_ensembles(reg, p, style); });
  each_format("regression_extrapolation", [&](const auto& p) { regression_extrapolation(reg, p, style); });
  each_format("gradient_descent", [&](const auto& p) { gradient_descent(p, style); });

  // The animation replays the lesson's two-layer run: its initial weights (their shape gives
  // the hidden width), its number of epochs, the lesson's Adam settings; about 50 frames.
  AnimationOptions animation;
  animation.initial = run.relu_initial;
  for (const auto& [name, value] : run.relu_initial)
    if (name == "0.weight") animation.hidden = value.size(0);
  if (!run.relu_history.loss.empty()) animation.epochs = static_cast<std::int64_t>(run.relu_history.loss.size());
  animation.every = std::max<std::int64_t>(1, animation.epochs / 50);
  animation.style.theme = theme;
  const std::filesystem::path gif = dir / "boundary_animation.gif";
  boundary_animation(run.spiral, gif, animation);
  written.push_back(gif);
  return written;
}

}  // namespace ann::plot
