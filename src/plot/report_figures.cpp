#include "ann/plot/report_figures.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "ann/error.h"
#include "lesson_common.h"

namespace ann::plot {

namespace {

std::vector<double> one_based(std::size_t n) {
  std::vector<double> e(n);
  for (std::size_t i = 0; i < n; ++i) e[i] = static_cast<double>(i + 1);
  return e;
}

// Train in blue, validation in orange (the lesson's two colours); the kept epoch dashed grey.
void curve_panel(Axes& axes, const std::string& title, const std::vector<float>& train,
                 const std::vector<float>& validation, std::int64_t best_epoch, double lo, double hi) {
  const double n = static_cast<double>(std::max<std::size_t>(train.size(), 1));
  axes.limits(0, n, lo, hi).grid().title(title).xlabel("epoch").legend(Corner::UpperRight);
  axes.plot({one_based(train.size()), {train.begin(), train.end()}, cycle_color(0), 2.0, "train"});
  if (!validation.empty()) {
    axes.plot({one_based(validation.size()), {validation.begin(), validation.end()}, cycle_color(4), 2.0, "validation"});
  }
  if (best_epoch >= 0) {
    const double x = static_cast<double>(best_epoch + 1);
    axes.plot({{x, x}, {lo, hi}, Color{0.5, 0.5, 0.5, 1.0}, 1.0, "kept", true});
  }
}

// The limits that show every finite value of both curves, with a margin; [0, 1] when none.
std::pair<double, double> span(const std::vector<float>& a, const std::vector<float>& b, bool from_zero) {
  double lo = from_zero ? 0.0 : INFINITY, hi = -INFINITY;
  for (const auto* v : {&a, &b})
    for (float x : *v)
      if (std::isfinite(x)) lo = std::min(lo, double(x)), hi = std::max(hi, double(x));
  if (!(hi > lo)) return {std::isfinite(lo) ? lo - 0.5 : 0.0, std::isfinite(lo) ? lo + 0.5 : 1.0};
  const double margin = 0.05 * (hi - lo);
  return {from_zero ? lo : lo - margin, hi + margin};
}

}  // namespace

void draw_confusion_matrix(Axes& axes, const Tensor& confusion, const std::vector<std::string>& class_names,
                           Theme theme) {
  if (!confusion.defined() || confusion.dim() != 2 || confusion.size(0) != confusion.size(1) ||
      confusion.dtype() != DType::Int64) {
    throw ValueError("draw_confusion_matrix: expected a square int64 matrix of counts, got " +
                     (confusion.defined() ? to_string(confusion.sizes()) : std::string("an undefined tensor")));
  }
  const std::int64_t c = confusion.size(0);
  if (static_cast<std::int64_t>(class_names.size()) != c) {
    throw ValueError("draw_confusion_matrix: " + std::to_string(class_names.size()) + " class names for a " +
                     std::to_string(c) + "×" + std::to_string(c) + " matrix");
  }
  const std::vector<std::int64_t> counts = confusion.contiguous().to_vector<std::int64_t>();
  const std::int64_t most = std::max<std::int64_t>(1, *std::max_element(counts.begin(), counts.end()));
  const ThemeColors colors = theme_colors(theme);
  const Color full{0.12, 0.38, 0.72, 1.0};  // the count's share of the largest cell, from the background to blue

  // Cell (truth t, predicted p) sits at column p, row c − 1 − t: class 0 at the top left, as
  // scikit-learn draws it. Each cell is its own "class" of a Regions grid, with its own colour.
  Regions cells{.nx = c, .ny = c, .x0 = 0.5, .y0 = 0.5, .dx = 1, .dy = 1, .alpha = 1.0};
  const double text_size = std::clamp(120.0 / static_cast<double>(c), 6.0, 16.0);
  std::vector<Text> labels;
  for (std::int64_t row = 0; row < c; ++row) {
    for (std::int64_t p = 0; p < c; ++p) {
      const std::int64_t t = c - 1 - row;
      const double share = double(counts[static_cast<std::size_t>(t * c + p)]) / double(most);
      const Color& bg = colors.background;
      const Color cell{bg.r + share * (full.r - bg.r), bg.g + share * (full.g - bg.g), bg.b + share * (full.b - bg.b), 1.0};
      cells.classes.push_back(static_cast<std::int64_t>(cells.class_colors.size()));
      cells.class_colors.push_back(cell);
      const double luminance = 0.2126 * cell.r + 0.7152 * cell.g + 0.0722 * cell.b;
      labels.push_back({.x = double(p) + 0.5, .y = double(row) + 0.5 - 0.12,
                        .text = std::to_string(counts[static_cast<std::size_t>(t * c + p)]), .size = text_size,
                        .align = Align::Center,
                        .color = luminance > 0.5 ? Color{0, 0, 0, 1} : Color{1, 1, 1, 1}});
    }
  }
  // Room on the left and below for the class names.
  axes.limits(-1.6, double(c), -1.0, double(c) + 0.1).square().axis_off().title("Confusion matrix");
  axes.regions(std::move(cells));
  for (Text& t : labels) axes.text(std::move(t));
  const double name_size = std::clamp(100.0 / static_cast<double>(c), 6.0, 12.0);
  for (std::int64_t k = 0; k < c; ++k) {
    const std::string& name = class_names[static_cast<std::size_t>(k)];
    const std::string shown = name.size() > 12 ? name.substr(0, 11) + "…" : name;
    axes.text({.x = -0.1, .y = double(c - 1 - k) + 0.5 - 0.1, .text = shown, .size = name_size, .align = Align::Right});
    axes.text({.x = double(k) + 0.5, .y = -0.45, .text = shown, .size = name_size, .align = Align::Center});
  }
  axes.text({.x = double(c) / 2, .y = -0.9, .text = "predicted", .size = name_size, .align = Align::Center});
  axes.text({.x = -1.55, .y = double(c) + 0.0, .text = "true", .size = name_size, .align = Align::Left});
}

Figure training_report_figure(const TrainingCurves& curves, const Tensor& confusion,
                              const std::vector<std::string>& class_names, const std::string& confusion_of,
                              const Style& style) {
  const std::size_t n = curves.train_loss.size();
  const auto check = [&](const std::vector<float>& v, const char* name, bool optional) {
    if (v.size() != n && !(optional && v.empty())) {
      throw ValueError(std::string("training_report_figure: ") + name + " has " + std::to_string(v.size()) +
                       " epochs, train_loss " + std::to_string(n));
    }
  };
  check(curves.validation_loss, "validation_loss", true);
  check(curves.train_metric, "train_metric", true);
  check(curves.validation_metric, "validation_metric", true);

  const bool matrix = confusion.defined();
  Figure fig = detail::lesson_canvas(matrix ? 3 : 2, style, 0.8);
  const auto [loss_lo, loss_hi] = span(curves.train_loss, curves.validation_loss, true);
  curve_panel(fig.add_axes(), "Loss (" + curves.loss_name + ")", curves.train_loss, curves.validation_loss,
              curves.best_epoch, loss_lo, loss_hi);
  const bool accuracy = curves.metric == "Accuracy" || curves.metric == "accuracy";
  const auto [lo, hi] = accuracy ? std::pair{0.0, 1.0} : span(curves.train_metric, curves.validation_metric, false);
  Axes& metric = fig.add_axes();
  curve_panel(metric, curves.metric.empty() ? std::string("metric") : curves.metric, curves.train_metric,
              curves.validation_metric, curves.best_epoch, lo, hi);
  metric.legend(Corner::LowerRight);
  if (matrix) {
    Axes& axes = fig.add_axes();
    draw_confusion_matrix(axes, confusion, class_names, style.theme);
    axes.title("Confusion matrix (" + confusion_of + ")");
  }
  return fig;
}

}  // namespace ann::plot
