#pragma once
// Datasets of tensors whose first dimension indexes the samples, and their random split, with
// torch.utils.data's meanings: the same seed gives the same rows as PyTorch 1.13.
//
//   ann::data::TensorDataset all(X, y);                       // X [N, D], y [N]
//   auto parts = ann::data::random_split(all, {0.8, 0.2});    // 80 % / 20 %, as torch
//   ann::data::TensorDataset train = parts[0], val = parts[1];
#include <cstdint>
#include <vector>

#include "ann/generator.h"
#include "ann/tensor.h"

namespace ann::data {

/// torch.utils.data.TensorDataset: sample i is row i of each tensor.
class TensorDataset {
 public:
  /// Throws ShapeError unless every tensor has at least one dimension and all share the first
  /// size; ValueError for none or an undefined one.
  explicit TensorDataset(std::vector<Tensor> tensors);
  TensorDataset(std::initializer_list<Tensor> tensors) : TensorDataset(std::vector<Tensor>(tensors)) {}
  /// The usual pair: inputs and targets.
  TensorDataset(Tensor inputs, Tensor targets) : TensorDataset(std::vector<Tensor>{std::move(inputs), std::move(targets)}) {}

  /// Number of samples (the shared first size).
  std::int64_t size() const { return size_; }
  const std::vector<Tensor>& tensors() const { return tensors_; }
  /// The samples at `indices` (an int64 tensor), one tensor per dataset tensor, stacked along
  /// a new first dimension as torch's default collate does.
  std::vector<Tensor> get(const Tensor& indices) const;
  /// The dataset of the samples at `indices`, in that order (torch's Subset, materialised).
  TensorDataset subset(const std::vector<std::int64_t>& indices) const;

 private:
  std::vector<Tensor> tensors_;
  std::int64_t size_ = 0;
};

/// torch.utils.data.random_split: `lengths` are sample counts summing to the dataset's size, or
/// fractions summing to 1 (each floor(size · f), the remainder handed out one by one from the
/// first). The samples are split in the order of randperm(size, generator). Throws ValueError
/// for a negative length, a fraction outside [0, 1], or counts that do not add up.
std::vector<TensorDataset> random_split(const TensorDataset& dataset, const std::vector<double>& lengths,
                                        Generator& generator = default_generator());

}  // namespace ann::data
