#pragma once
// Mini-batches from a dataset, as torch.utils.data.DataLoader (one process): with the same seed
// it visits the same samples in the same batches, and draws the same numbers from the generator,
// so random ops after it (dropout, the next epoch) stay in step with PyTorch.
//
//   ann::data::DataLoader loader(ann::data::TensorDataset(X, y), {.batch_size = 32, .shuffle = true});
//   for (int epoch = 0; epoch < 10; ++epoch)
//     for (const auto& batch : loader) {        // batch[0]: [≤32, D], batch[1]: [≤32]
//       ...
//     }
#include <cstdint>
#include <vector>

#include "ann/data/dataset.h"
#include "ann/generator.h"

namespace ann::data {

struct DataLoaderOptions {
  std::int64_t batch_size = 1;  ///< samples per batch, >= 1
  bool shuffle = false;         ///< a fresh permutation each epoch (torch's RandomSampler)
  bool drop_last = false;       ///< drop a last batch smaller than batch_size
  /// Where the epoch's random numbers come from; null: the default generator, as torch
  /// (which then seeds a fresh generator for the permutation from it each epoch).
  Generator* generator = nullptr;
};

class DataLoader {
 public:
  using Batch = std::vector<Tensor>;  ///< one tensor per dataset tensor

  /// Throws ValueError for a batch_size below 1.
  DataLoader(TensorDataset dataset, DataLoaderOptions options = {});

  /// Batches per epoch: ceil(size / batch_size), or floor with drop_last.
  std::int64_t size() const;
  const TensorDataset& dataset() const { return dataset_; }
  const DataLoaderOptions& options() const { return options_; }

  /// The sample indices of one epoch, batch by batch, drawing from the generator exactly as
  /// torch does when an iteration starts. begin() calls it.
  std::vector<std::vector<std::int64_t>> epoch_indices();

  class Iterator {
   public:
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    const Batch& operator*() const { return batch_; }
    const Batch* operator->() const { return &batch_; }
    Iterator& operator++();
    bool operator==(const Iterator& other) const { return position_ == other.position_; }

   private:
    friend class DataLoader;
    Iterator(const DataLoader* loader, std::vector<std::vector<std::int64_t>> batches, std::size_t position);
    void load();
    void draw_tail();
    const DataLoader* loader_ = nullptr;
    std::vector<std::vector<std::int64_t>> batches_;
    std::size_t position_ = 0;
    Batch batch_;
    bool tail_drawn_ = false;
  };

  /// Starts an epoch (the random draws happen here, as torch's iter(loader) and first batch).
  Iterator begin();
  Iterator end() const;

 private:
  TensorDataset dataset_;
  DataLoaderOptions options_;
};

}  // namespace ann::data
