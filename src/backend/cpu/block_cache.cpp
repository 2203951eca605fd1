#include "backend/cpu/block_cache.h"

#include <bit>
#include <cstdlib>
#include <new>

namespace ann::backend::cpu {

std::size_t BlockCache::bin_size(std::size_t nbytes) {
  // Powers of two from 64 bytes: few bins, at most 2× the request (pages beyond what a
  // tensor touches are never faulted in, so resident memory grows far less than that).
  return std::bit_ceil(nbytes < 64 ? std::size_t{64} : nbytes);
}

BlockCache::~BlockCache() {
  for (auto& [size, blocks] : free_)
    for (void* p : blocks) std::free(p);
}

void* BlockCache::allocate(std::size_t nbytes) {
  const std::size_t size = bin_size(nbytes);
  {
    std::lock_guard lock(mutex_);
    auto it = free_.find(size);
    if (it != free_.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
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
  const std::size_t size = bin_size(nbytes);
  {
    std::lock_guard lock(mutex_);
    if (cached_bytes_ + size <= kMaxCachedBytes) {
      free_[size].push_back(ptr);
      cached_bytes_ += size;
      return;
    }
  }
  std::free(ptr);
}

}  // namespace ann::backend::cpu
