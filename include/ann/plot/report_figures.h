#pragma once
// Figures of a training run on a user's data (`ann train --plot`): the loss and the metric per
// epoch for the training and validation rows, and for a classifier the confusion matrix.
#include <string>
#include <vector>

#include "ann/plot/figure.h"
#include "ann/plot/lesson_figures.h"
#include "ann/tensor.h"

namespace ann::plot {

/// What a training run measured, epoch by epoch.
struct TrainingCurves {
  std::vector<float> train_loss{}, validation_loss{};  ///< validation empty: none kept aside
  std::string metric{};                                 ///< "accuracy" or "R²"
  std::vector<float> train_metric{}, validation_metric{};
  std::string loss_name = "loss";                        ///< e.g. "cross-entropy"
  std::int64_t best_epoch = -1;                          ///< 0-based; ≥ 0 marks the kept weights
};

/// Panels: the loss, the metric, and — when `confusion` is defined ([C, C] int64, rows the
/// true classes) — the confusion matrix with its counts written in each cell and the class
/// names along both sides. `confusion_of` names the rows it counts ("validation").
/// Throws ValueError for curves of different lengths, or names that do not fit the matrix.
Figure training_report_figure(const TrainingCurves& curves, const Tensor& confusion,
                              const std::vector<std::string>& class_names, const std::string& confusion_of,
                              const Style& style = {});

/// A confusion matrix alone, drawn into `axes` (counts [C, C], rows the truth).
void draw_confusion_matrix(Axes& axes, const Tensor& confusion, const std::vector<std::string>& class_names,
                           Theme theme);

}  // namespace ann::plot
