#pragma once
// How good a trained model is, in the numbers people report: accuracy and the confusion matrix
// for a classifier, mean squared error and R² for a regression (scikit-learn's definitions).
#include <cstdint>

#include "ann/tensor.h"

namespace ann::metrics {

/// The fraction of rows whose highest score (scores [N, C]: logits or probabilities) is at
/// their label (labels [N] int64). ShapeError for other shapes or N = 0.
double accuracy(const Tensor& scores, const Tensor& labels);

/// counts[i, j]: rows of true class i predicted as class j, a [classes, classes] int64 tensor
/// (rows are the truth, as scikit-learn's confusion_matrix). predicted and labels are [N]
/// int64 in [0, classes); ValueError naming the first that is not.
Tensor confusion_matrix(const Tensor& predicted, const Tensor& labels, std::int64_t classes);

/// mean((prediction − target)²) over every element; same shapes, ShapeError otherwise.
double mean_squared_error(const Tensor& prediction, const Tensor& target);

/// R² = 1 − Σ(target − prediction)² / Σ(target − mean(target))² over every element: 1 is
/// perfect, 0 is as good as predicting the mean. A constant target gives 1 for a perfect fit
/// and 0 otherwise (scikit-learn's convention).
double r2_score(const Tensor& prediction, const Tensor& target);

}  // namespace ann::metrics
