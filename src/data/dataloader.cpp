#include "ann/data/dataloader.h"

#include <string>

#include "ann/error.h"

namespace ann::data {

namespace {
// torch.empty((), dtype=torch.int64).random_(): one 64-bit draw, kept to 63 bits.
std::int64_t random_int64(Generator& g) { return static_cast<std::int64_t>(g.random64() & 0x7fffffffffffffffULL); }
}  // namespace

DataLoader::DataLoader(TensorDataset dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(options) {
  if (options_.batch_size < 1) {
    throw ValueError("DataLoader: batch_size must be at least 1, got " + std::to_string(options_.batch_size));
  }
}

std::int64_t DataLoader::size() const {
  const std::int64_t n = dataset_.size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

// What torch 1.13 draws when an iteration starts (torch/utils/data/dataloader.py, sampler.py):
// the iterator's base seed for workers, one int64 from loader.generator (or the default); then,
// at the first batch, RandomSampler without a generator seeds a fresh one from another int64 of
// the default generator, and takes randperm(n) from it; with a generator it uses that directly.
std::vector<std::vector<std::int64_t>> DataLoader::epoch_indices() {
  Generator& source = options_.generator ? *options_.generator : default_generator();
  (void)random_int64(source);  // the base seed (no worker processes here, but the draw is made)
  const std::int64_t n = dataset_.size();
  std::vector<std::int64_t> order;
  if (options_.shuffle) {
    if (options_.generator) {
      order = randperm(n, *options_.generator).to_vector<std::int64_t>();
    } else {
      Generator fresh(static_cast<std::uint64_t>(random_int64(default_generator())));
      order = randperm(n, fresh).to_vector<std::int64_t>();
    }
  } else {
    order.resize(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  }
  std::vector<std::vector<std::int64_t>> batches;
  const auto b = static_cast<std::size_t>(options_.batch_size);
  for (std::size_t start = 0; start < order.size(); start += b) {
    const std::size_t stop = std::min(order.size(), start + b);
    if (stop - start < b && options_.drop_last) break;
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(start), order.begin() + static_cast<std::ptrdiff_t>(stop));
  }
  return batches;
}

DataLoader::Iterator::Iterator(const DataLoader* loader, std::vector<std::vector<std::int64_t>> batches,
                               std::size_t position)
    : loader_(loader), batches_(std::move(batches)), position_(position) {
  if (batches_.empty()) draw_tail();
  load();
}

// torch's RandomSampler, once its permutation is used up, computes one more for the remainder
// of num_samples / n (randperm(n)[:0]: n − 1 draws for nothing). With the loader's own generator
// that moves the stream, so it is drawn here at the same moment: when the last batch is
// partial, as it is fetched; otherwise when the loop asks for the batch after the last.
void DataLoader::Iterator::draw_tail() {
  if (tail_drawn_ || !loader_ || !loader_->options_.shuffle || !loader_->options_.generator) return;
  tail_drawn_ = true;
  (void)randperm(loader_->dataset_.size(), *loader_->options_.generator);
}

void DataLoader::Iterator::load() {
  batch_.clear();
  if (!loader_ || position_ >= batches_.size()) return;
  const bool last_is_partial = !loader_->options_.drop_last &&
                               static_cast<std::int64_t>(batches_.back().size()) < loader_->options_.batch_size;
  if (position_ + 1 == batches_.size() && last_is_partial) draw_tail();
  const std::vector<std::int64_t>& indices = batches_[position_];
  batch_ = loader_->dataset_.get(from_vector(indices, {static_cast<std::int64_t>(indices.size())}));
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  ++position_;
  if (position_ == batches_.size()) draw_tail();
  load();
  return *this;
}

DataLoader::Iterator DataLoader::begin() { return Iterator(this, epoch_indices(), 0); }

DataLoader::Iterator DataLoader::end() const {
  Iterator it;
  it.position_ = static_cast<std::size_t>(size());
  return it;
}

}  // namespace ann::data
