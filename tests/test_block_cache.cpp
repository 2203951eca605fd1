// The CPU backend's block cache (src/backend/cpu/block_cache.h): freed blocks come back for
// requests of the same rounded size, first from the thread's own bins (no lock), then from the
// shared ones; other sizes never get them.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>
#include <vector>

#include "../src/backend/cpu/block_cache.h"

using ann::backend::cpu::BlockCache;

TEST(BlockCache, AFreedBlockServesTheNextRequestOfItsSize) {
  BlockCache cache;
  void* block = cache.allocate(1000);  // 1024-byte bin
  cache.release(block, 1000);
  EXPECT_EQ(cache.allocate(1000), block);
  void* other_size = cache.allocate(5000);
  EXPECT_NE(other_size, block);
  cache.release(block, 1000);
  cache.release(other_size, 5000);
}

TEST(BlockCache, BlocksBeyondTheThreadsBinsComeBackFromTheSharedOnes) {
  BlockCache cache;
  std::vector<void*> blocks;
  for (int i = 0; i < 10; ++i) blocks.push_back(cache.allocate(3000));
  for (void* b : blocks) cache.release(b, 3000);
  std::vector<void*> again;
  for (int i = 0; i < 10; ++i) again.push_back(cache.allocate(3000));
  EXPECT_EQ(std::set<void*>(again.begin(), again.end()), std::set<void*>(blocks.begin(), blocks.end()));
  for (void* b : again) cache.release(b, 3000);
}

TEST(BlockCache, AThreadThatExitsLeavesItsBlocksUsable) {
  BlockCache cache;
  std::thread([&] {
    for (int round = 0; round < 3; ++round) {
      std::vector<void*> blocks;
      for (int i = 0; i < 6; ++i) blocks.push_back(cache.allocate(200));
      for (void* b : blocks) static_cast<char*>(b)[255] = 1;  // the whole rounded block (256 bytes) is ours
      for (void* b : blocks) cache.release(b, 200);
    }
  }).join();  // its own bins are freed as it exits; the rest stay in the shared bins
  void* b = cache.allocate(200);
  static_cast<char*>(b)[255] = 2;
  cache.release(b, 200);
}
