#include "backend/cpu/block_cache.h"

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace ann::backend::cpu {

namespace {
// Each thread keeps a few blocks of each small size for itself, taken and given back without
// the mutex: a small network's training step frees and re-allocates about ten tensors of the
// same sizes (the lock and unlock were half the cost of a block). Not counted in
// kMaxCachedBytes; at most kThreadDepth blocks of each bin up to 2^kThreadBins bytes per
// thread, 512 KiB in all.
constexpr std::size_t kThreadBins = 17;  // blocks up to 64 KiB
constexpr std::uint8_t kThreadDepth = 4;

// Trivially destructible, so that blocks freed after the janitor has run (tensors with static
// storage duration, at exit) find `closed` set and go to the shared bins.
struct ThreadBins {
  void* blocks[kThreadBins][kThreadDepth];
  std::uint8_t count[kThreadBins];
  bool closed;
};
thread_local ThreadBins thread_bins{};

struct ThreadBinsJanitor {
  ~ThreadBinsJanitor() {
    for (std::size_t bin = 0; bin < kThreadBins; ++bin)
      for (std::uint8_t i = 0; i < thread_bins.count[bin]; ++i) std::free(thread_bins.blocks[bin][i]);
    thread_bins = {};
    thread_bins.closed = true;
  }
};
thread_local ThreadBinsJanitor thread_bins_janitor;
}  // namespace

std::size_t BlockCache::bin_of(std::size_t nbytes) {
  // Powers of two from 64 bytes: few bins, at most 2× the request (pages beyond what a
  // tensor touches are never faulted in, so resident memory grows far less than that).
  return static_cast<std::size_t>(std::bit_width(nbytes <= 64 ? std::size_t{63} : nbytes - 1));
}

BlockCache::~BlockCache() {
  for (auto& blocks : free_)
    for (void* p : blocks) std::free(p);
}

void* BlockCache::allocate(std::size_t nbytes) {
  // Past 2^62 bytes the rounded size would be 2^63, which no allocation gets: refused early.
  if (nbytes > (std::size_t{1} << 62)) throw std::bad_alloc();
  const std::size_t bin = bin_of(nbytes);
  if (bin < kThreadBins && thread_bins.count[bin] > 0) return thread_bins.blocks[bin][--thread_bins.count[bin]];
  const std::size_t size = std::size_t{1} << bin;
  {
    std::lock_guard lock(mutex_);
    if (auto& blocks = free_[bin]; !blocks.empty()) {
      void* p = blocks.back();
      blocks.pop_back();
      cached_bytes_ -= size;
      return p;
    }
  }
  void* p = std::aligned_alloc(64, size);  // 64 bytes: an AVX-512 register, a cache line
  if (!p) throw std::bad_alloc();
  return p;
}

void BlockCache::release(void* ptr, std::size_t nbytes) {
  if (!ptr) return;
  const std::size_t bin = bin_of(nbytes);
  if (bin < kThreadBins && !thread_bins.closed && thread_bins.count[bin] < kThreadDepth) {
    if (thread_bins.count[bin] == 0) (void)&thread_bins_janitor;  // constructed once per thread: frees them at its exit
    thread_bins.blocks[bin][thread_bins.count[bin]++] = ptr;
    return;
  }
  const std::size_t size = std::size_t{1} << bin;
  {
    std::lock_guard lock(mutex_);
    if (cached_bytes_ + size <= kMaxCachedBytes) {
      try {  // release runs in destructors: a full bin's growth failing frees the block instead
        free_[bin].push_back(ptr);
        cached_bytes_ += size;
        return;
      } catch (const std::bad_alloc&) {
      }
    }
  }
  std::free(ptr);
}

}  // namespace ann::backend::cpu
