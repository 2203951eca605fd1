#include "backend/cpu/block_cache.h"

#include <bit>
#include <cstdlib>
#include <new>

namespace ann::backend::cpu {

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
