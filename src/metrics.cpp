#include "ann/metrics.h"

#include <string>
#include <vector>

#include "ann/error.h"
#include "ann/ops.h"

namespace ann::metrics {

namespace {

std::string shape_of(const Tensor& t) { return t.defined() ? to_string(t.sizes()) : std::string("undefined"); }

// Host copies of two equally shaped float tensors, in double.
std::pair<std::vector<double>, std::vector<double>> paired(const Tensor& a, const Tensor& b, const char* op) {
  if (!a.defined() || !b.defined() || a.sizes() != b.sizes() || a.numel() == 0) {
    throw ShapeError(std::string(op) + ": expected two non-empty tensors of one shape, got " + shape_of(a) + " and " +
                     shape_of(b));
  }
  const std::vector<float> x = a.contiguous().to_vector<float>(), y = b.contiguous().to_vector<float>();
  return {std::vector<double>(x.begin(), x.end()), std::vector<double>(y.begin(), y.end())};
}

}  // namespace

double accuracy(const Tensor& scores, const Tensor& labels) {
  if (!scores.defined() || !labels.defined() || scores.dim() != 2 || labels.dim() != 1 ||
      scores.size(0) != labels.size(0) || labels.size(0) == 0) {
    throw ShapeError("accuracy: expected scores [N, C] and labels [N] with N > 0, got " + shape_of(scores) + " and " +
                     shape_of(labels));
  }
  const std::vector<std::int64_t> predicted = argmax(scores, 1).to_vector<std::int64_t>();
  const std::vector<std::int64_t> truth = labels.contiguous().to_vector<std::int64_t>();
  std::int64_t right = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) right += predicted[i] == truth[i];
  return static_cast<double>(right) / static_cast<double>(truth.size());
}

Tensor confusion_matrix(const Tensor& predicted, const Tensor& labels, std::int64_t classes) {
  if (!predicted.defined() || !labels.defined() || predicted.dim() != 1 || predicted.sizes() != labels.sizes()) {
    throw ShapeError("confusion_matrix: expected predicted and labels of one shape [N], got " + shape_of(predicted) +
                     " and " + shape_of(labels));
  }
  if (classes < 1) throw ValueError("confusion_matrix: classes must be at least 1, got " + std::to_string(classes));
  const std::vector<std::int64_t> p = predicted.contiguous().to_vector<std::int64_t>();
  const std::vector<std::int64_t> t = labels.contiguous().to_vector<std::int64_t>();
  std::vector<std::int64_t> counts(static_cast<std::size_t>(classes * classes), 0);
  for (std::size_t i = 0; i < p.size(); ++i) {
    for (const auto& [value, what] : {std::pair{p[i], "predicted"}, std::pair{t[i], "labels"}}) {
      if (value < 0 || value >= classes) {
        throw ValueError(std::string("confusion_matrix: ") + what + "[" + std::to_string(i) + "] = " +
                         std::to_string(value) + " is not a class in [0, " + std::to_string(classes) + ")");
      }
    }
    ++counts[static_cast<std::size_t>(t[i] * classes + p[i])];
  }
  return from_vector(counts, {classes, classes});
}

double mean_squared_error(const Tensor& prediction, const Tensor& target) {
  const auto [p, t] = paired(prediction, target, "mean_squared_error");
  double sum = 0;
  for (std::size_t i = 0; i < p.size(); ++i) sum += (p[i] - t[i]) * (p[i] - t[i]);
  return sum / static_cast<double>(p.size());
}

double r2_score(const Tensor& prediction, const Tensor& target) {
  const auto [p, t] = paired(prediction, target, "r2_score");
  double mean = 0;
  for (double v : t) mean += v;
  mean /= static_cast<double>(t.size());
  double residual = 0, total = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    residual += (t[i] - p[i]) * (t[i] - p[i]);
    total += (t[i] - mean) * (t[i] - mean);
  }
  if (total == 0) return residual == 0 ? 1.0 : 0.0;
  return 1.0 - residual / total;
}

}  // namespace ann::metrics
