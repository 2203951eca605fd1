#pragma once
// Reuses freed memory blocks. A training step allocates the same tensor sizes every epoch;
// fresh pages from the OS cost a page fault each (and zeroing), which dominated the small
// networks of the lesson. Freed blocks are kept in bins by rounded size and handed out again:
// a few small ones in bins of the freeing thread (no lock; block_cache.cpp), the rest in bins
// shared under a mutex. Blocks are interchangeable between caches.
#include <array>
#include <cstddef>
#include <mutex>
#include <vector>

namespace ann::backend::cpu {

class BlockCache {
 public:
  /// Most bytes kept for reuse; blocks freed beyond it go back to the OS. A network's gradients
  /// come back here between zero_grad and the next backward (optim::Optimizer::zero_grad), so
  /// the cache must hold them: with 256 MiB, the six 43 MB weight gradients of a
  /// 391-3279×7-31 net (bins of 64 MiB) were returned to the OS every step and faulted in
  /// again, a step 178 → 197 ms; with 1 GiB it takes 145 ms (bench/README.md, stop 33).
  static constexpr std::size_t kMaxCachedBytes = std::size_t{1} << 30;

  ~BlockCache();
  /// A 64-byte aligned block of at least `nbytes` bytes.
  void* allocate(std::size_t nbytes);
  /// Returns a block obtained from allocate(nbytes) for reuse.
  void release(void* ptr, std::size_t nbytes);

 private:
  // Bin b holds blocks of 2^b bytes (64 bytes and up; b < 64 covers every size_t).
  static std::size_t bin_of(std::size_t nbytes);

  std::mutex mutex_;
  std::array<std::vector<void*>, 64> free_;
  std::size_t cached_bytes_ = 0;
};

}  // namespace ann::backend::cpu
