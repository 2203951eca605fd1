#include "ann/data/dataset.h"

#include <cmath>
#include <string>

#include "ann/error.h"
#include "ann/ops.h"

namespace ann::data {

TensorDataset::TensorDataset(std::vector<Tensor> tensors) : tensors_(std::move(tensors)) {
  if (tensors_.empty()) throw ValueError("TensorDataset: needs at least one tensor");
  for (std::size_t i = 0; i < tensors_.size(); ++i) {
    const Tensor& t = tensors_[i];
    if (!t.defined()) throw ValueError("TensorDataset: tensor " + std::to_string(i) + " is undefined");
    if (t.dim() == 0) throw ShapeError("TensorDataset: tensor " + std::to_string(i) + " is 0-d; samples run along a first dimension");
    if (t.size(0) != tensors_[0].size(0)) {
      throw ShapeError("TensorDataset: size mismatch between tensors: " + to_string(tensors_[0].sizes()) + " and " +
                       to_string(t.sizes()) + " (the first dimension indexes the samples)");
    }
  }
  size_ = tensors_[0].size(0);
}

std::vector<Tensor> TensorDataset::get(const Tensor& indices) const {
  std::vector<Tensor> samples;
  samples.reserve(tensors_.size());
  for (const Tensor& t : tensors_) samples.push_back(index_select(t, 0, indices.to(t.device())));
  return samples;
}

TensorDataset TensorDataset::subset(const std::vector<std::int64_t>& indices) const {
  return TensorDataset(get(from_vector(indices, {static_cast<std::int64_t>(indices.size())})));
}

std::vector<TensorDataset> random_split(const TensorDataset& dataset, const std::vector<double>& lengths,
                                        Generator& generator) {
  const std::int64_t n = dataset.size();
  double total = 0;
  for (double l : lengths) total += l;
  std::vector<std::int64_t> counts;
  // torch: fractions when they sum to 1 (math.isclose) and not above
  if (std::fabs(total - 1.0) <= 1e-9 * std::max(1.0, std::fabs(total)) && total <= 1.0) {
    for (std::size_t i = 0; i < lengths.size(); ++i) {
      if (!(lengths[i] >= 0.0 && lengths[i] <= 1.0)) {
        throw ValueError("random_split: fraction at index " + std::to_string(i) + " is not between 0 and 1");
      }
      counts.push_back(static_cast<std::int64_t>(std::floor(static_cast<double>(n) * lengths[i])));
    }
    std::int64_t assigned = 0;
    for (std::int64_t c : counts) assigned += c;
    for (std::int64_t i = 0; i < n - assigned; ++i) ++counts[static_cast<std::size_t>(i) % counts.size()];
  } else {
    for (std::size_t i = 0; i < lengths.size(); ++i) {
      if (!(lengths[i] >= 0.0) || lengths[i] != std::floor(lengths[i])) {
        throw ValueError("random_split: length at index " + std::to_string(i) + " (" + std::to_string(lengths[i]) +
                         ") is not a count of samples, and the lengths do not sum to 1 as fractions would");
      }
      counts.push_back(static_cast<std::int64_t>(lengths[i]));
    }
  }
  std::int64_t sum = 0;
  for (std::int64_t c : counts) sum += c;
  if (sum != n) {
    throw ValueError("random_split: the lengths sum to " + std::to_string(sum) + ", not to the dataset's " +
                     std::to_string(n) + " samples");
  }
  const std::vector<std::int64_t> order = randperm(n, generator).to_vector<std::int64_t>();
  std::vector<TensorDataset> parts;
  std::int64_t offset = 0;
  for (std::int64_t c : counts) {
    parts.push_back(dataset.subset(std::vector<std::int64_t>(order.begin() + offset, order.begin() + offset + c)));
    offset += c;
  }
  return parts;
}

}  // namespace ann::data
