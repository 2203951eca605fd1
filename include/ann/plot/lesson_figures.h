#pragma once
// Every figure of the lesson, drawn from ann's own results (lesson::LessonRun and friends)
// the way its notebooks draw them: Spectral class colours, point size 20, axis square,
// limits ±1.1, axis off with thin grey lines through 0, dark background.
//
// Each figure has a builder returning the Figure (to save, render, or look into) and a
// writer named as the figure, which saves it to a path: .png or .svg by the extension.
//
//   auto run = ann::lesson::run_lesson();
//   ann::plot::write_lesson_figures(run, "figures", ann::plot::Format::Both);
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ann/data.h"
#include "ann/lesson.h"
#include "ann/plot/figure.h"
#include "ann/plot/gif.h"

namespace ann::plot {

/// How a lesson figure looks. scale 1: 800 px per panel at 100 dpi (an 8-inch matplotlib
/// figure); everything, text included, scales with it (0.25 gives 200 px panels).
struct Style {
  Theme theme = Theme::Dark;
  double scale = 1.0;
};

// ---- the pieces every spiral figure shares --------------------------------------------------

/// The notebooks' mesh: arange(−1.1, 1.1, 0.01) both ways (220 × 220 points); the model's
/// argmax over classes at each point, evaluated in one batch under NoGradGuard, with the
/// Spectral class colours at alpha 0.3 (the contourf of plot_model), boundaries smoothed.
Regions decision_regions(nn::Module& model);
/// The data as plot_data scatters it: points of size 20 coloured by class (of `classes`).
Scatter class_scatter(const data::Labelled& data, std::int64_t classes);
/// Number of classes in a label vector: max label + 1 (at least 2).
std::int64_t class_count(const Tensor& labels);

// ---- builders -------------------------------------------------------------------------------

/// The spiral data coloured by class (Fig. 1a/1b, Fig. 8).
Figure spiral_figure(const data::Labelled& data, const std::string& title, const Style& style = {});
/// Decision regions of a trained classifier with the data on top; the title is `name` and
/// the model's accuracy on the data (Fig. 9, 10).
Figure boundary_figure(nn::Module& model, const data::Labelled& data, const std::string& name, const Style& style = {});
/// Loss and accuracy per epoch of the two spiral models, in two panels.
Figure training_figure(const lesson::History& linear, const lesson::History& relu, const Style& style = {});
/// The regression data and the linear model's fitted line.
Figure regression_linear_figure(const lesson::RegressionRun& run, const Style& style = {});
/// The untrained networks' predictions on X and 10 × their variance.
Figure regression_before_figure(const lesson::RegressionRun& run, const Style& style = {});
/// Two panels, "ReLU models" and "Tanh models": each family's prediction curves over x_new,
/// the data, 10 × std (yellow) and 10 × variance (green); limits ±1.1·zoom (Fig. 11: zoom 1,
/// Fig. 12: zoom 4).
Figure regression_ensembles_figure(const lesson::RegressionRun& run, double zoom, const Style& style = {});

/// A one-parameter loss for the lesson's Fig. 7 and how gradient descent walks down it.
struct DescentProblem {
  std::function<double(double)> loss = [](double t) { return 0.5 * (t - 1.0) * (t - 1.0) + 0.5; };  ///< J(ϑ)
  std::function<double(double)> slope = [](double t) { return t - 1.0; };                           ///< J′(ϑ)
  double theta0 = 3.5;  ///< the starting point ϑ₀
  double lr = 0.3;      ///< η
  int steps = 8;
  double lo = -1.0, hi = 4.5;  ///< the ϑ range shown
};
/// ϑ₀, ϑ₁, … with ϑ_{k+1} = ϑ_k − η J′(ϑ_k): steps + 1 values.
std::vector<double> descent_path(const DescentProblem& problem);
/// J(ϑ), the tangent at ϑ₀, and the steps of gradient descent as arrows to the minimum.
Figure gradient_descent_figure(const DescentProblem& problem = {}, const Style& style = {});

// ---- writers: one file each, format from the extension ---------------------------------------

void spiral_clean(const data::Labelled& clean, const std::filesystem::path& path, const Style& style = {});
void spiral_noisy(const data::Labelled& noisy, const std::filesystem::path& path, const Style& style = {});
void boundary_linear(nn::Module& model, const data::Labelled& data, const std::filesystem::path& path,
                     const Style& style = {});
void boundary_relu(nn::Module& model, const data::Labelled& data, const std::filesystem::path& path,
                   const Style& style = {});
void training_curves(const lesson::History& linear, const lesson::History& relu, const std::filesystem::path& path,
                     const Style& style = {});
void regression_linear(const lesson::RegressionRun& run, const std::filesystem::path& path, const Style& style = {});
void regression_before(const lesson::RegressionRun& run, const std::filesystem::path& path, const Style& style = {});
void regression_ensembles(const lesson::RegressionRun& run, const std::filesystem::path& path, const Style& style = {});
void regression_extrapolation(const lesson::RegressionRun& run, const std::filesystem::path& path,
                              const Style& style = {});
void gradient_descent(const std::filesystem::path& path, const Style& style = {}, const DescentProblem& problem = {});

// ---- the decision regions as training proceeds (an animated GIF) ------------------------------

/// Renders the boundary figure of a model, frame after frame, for an animation.
class BoundaryRecorder {
 public:
  BoundaryRecorder(data::Labelled data, Style style);
  /// Adds a frame of `model`'s decision regions titled `name` and its accuracy.
  void record(nn::Module& model, const std::string& name);
  const std::vector<Image>& frames() const { return frames_; }
  /// Writes the frames as a GIF (atomically).
  void write(const std::filesystem::path& path, const GifOptions& options = {}) const;

 private:
  data::Labelled data_;
  Style style_;
  std::vector<Image> frames_;
};

struct AnimationOptions {
  std::int64_t epochs = 1000;
  std::int64_t every = 20;  ///< a frame every `every` epochs, plus one before the first step
  std::int64_t hidden = 100;
  double lr = 1e-3;
  double weight_decay = 1e-5;
  /// Seeds the new model's weights; the global generator is restored afterwards.
  std::uint64_t seed = 12345;
  /// When given (e.g. LessonRun::relu_initial), the model starts from these weights instead,
  /// and the animation replays that training run.
  std::vector<std::pair<std::string, Tensor>> initial;
  Style style{Theme::Dark, 0.5};
  GifOptions gif;
};

/// Trains a fresh Linear(2, H)-ReLU-Linear(H, K) on `data` with Adam (lesson::make_mlp,
/// make_optimizer, train_classifier), records the decision regions every `every` epochs, and
/// writes them to `gif`. Returns the number of frames. ValueError for epochs or every < 1.
std::size_t boundary_animation(const data::Labelled& data, const std::filesystem::path& gif,
                               const AnimationOptions& options = {});

// ---- everything at once ---------------------------------------------------------------------

/// Writes every figure above for a lesson run into `dir` (created if missing): each file
/// named as its writer (spiral_clean.png, boundary_relu.svg, …) in the chosen formats, and
/// boundary_animation.gif. Returns the paths written, in that order.
std::vector<std::filesystem::path> write_lesson_figures(const lesson::LessonRun& run, const std::filesystem::path& dir,
                                                        Format format = Format::PNG, Theme theme = Theme::Dark);

}  // namespace ann::plot
