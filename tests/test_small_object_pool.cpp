// The pool behind every tensor's TensorImpl and Storage (src/small_object_pool.h): a freed
// block is handed out again, on the thread that freed it, whichever thread made it; the
// allocator serves allocate_shared and larger requests alike.
#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "ann/ann.h"
#include "../src/small_object_pool.h"

using ann::detail::kPoolSmallObjects;
using ann::detail::PoolAllocator;
using ann::detail::SmallObjectPool;

namespace {
struct Block {
  char bytes[200];
};
}  // namespace

TEST(SmallObjectPool, AFreedBlockIsHandedOutAgain) {
  if (!kPoolSmallObjects) GTEST_SKIP() << "the pool is bypassed under AddressSanitizer";
  using Pool = SmallObjectPool<sizeof(Block)>;
  void* first = Pool::take();
  Pool::give(first);
  void* again = Pool::take();
  EXPECT_EQ(again, first);
  Pool::give(again);
}

TEST(SmallObjectPool, ABlockJoinsTheListOfTheThreadThatFreesIt) {
  if (!kPoolSmallObjects) GTEST_SKIP() << "the pool is bypassed under AddressSanitizer";
  using Pool = SmallObjectPool<sizeof(Block)>;
  void* made_here = Pool::take();
  void* reused_there = nullptr;
  std::thread([&] {
    Pool::give(made_here);
    reused_there = Pool::take();
    Pool::give(reused_there);
  }).join();  // the thread's list, with the block, is freed as it exits
  EXPECT_EQ(reused_there, made_here);
}

TEST(SmallObjectPool, AllocatorServesSharedPointersAndArrays) {
  auto shared = std::allocate_shared<Block>(PoolAllocator<Block>());
  shared->bytes[199] = 7;
  EXPECT_EQ(shared->bytes[199], 7);
  std::vector<long, PoolAllocator<long>> many(1000, 3);  // n > 1: plain operator new
  EXPECT_EQ(many[999], 3);
}

TEST(SmallObjectPool, TensorsMadeAndFreedOnManyThreadsKeepTheirValues) {
  std::vector<std::thread> threads;
  std::vector<float> sums(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &sums] {
      float total = 0;
      for (int i = 0; i < 500; ++i) {
        const ann::Tensor a = ann::full({8}, static_cast<float>(t));
        total += ann::sum(a + 1.f).item();
      }
      sums[static_cast<std::size_t>(t)] = total;
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(sums[static_cast<std::size_t>(t)], 500.f * 8 * (t + 1));
}
