// The CPU back end's worker threads (parallel.h's run_shares): started once, as many as the
// largest thread count asked for so far, and kept for the next parallel region. A step of a
// network runs regions by the dozen, a few µs to a few ms each: starting and joining threads
// for each cost 38 µs here, and so did waking sleeping ones through a condition variable (a
// futex each way on this VM). So a worker, done with a region, spins on the region counter
// for about 100 µs before it sleeps, and the calling thread spins likewise for the workers to
// finish: a region that follows another soon starts in well under a µs (0.4 µs measured).
// The shares are claimed, not assigned: the calling thread and the workers each take the next
// unclaimed share until none is left, so a worker still waking from its sleep (40 µs) never
// holds up a region, which the calling thread then runs alone.
//
// One region at a time: a region started while another holds the workers (a share that starts
// one itself, or another thread of the program computing at the same time), or in a child of
// fork() (which has none of its parent's workers), runs its shares on its own thread, one after
// another. That gives the same values, as a share computes the same wherever it runs.
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "backend/cpu/parallel.h"

namespace ann::backend::cpu {

namespace {

void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Spins while `busy()` for about 100 µs (a pause is 40-140 cycles), then sleeps on `wake`
// until `busy()` is false; `sleepers` counts the sleepers, so that a waker knows to notify.
// (Sequentially consistent throughout: a waker changes the state, then reads `sleepers`; a
// sleeper counts itself, then reads the state, under `mutex`. One of the two sees the other.)
template <class Busy>
void wait_while(Busy busy, std::mutex& mutex, std::condition_variable& wake, std::atomic<int>& sleepers) {
  for (int spin = 0; spin < 4096; ++spin) {
    if (!busy()) return;
    pause();
  }
  std::unique_lock lock(mutex);
  ++sleepers;
  wake.wait(lock, [&] { return !busy(); });
  --sleepers;
}

void notify(std::mutex& mutex, std::condition_variable& wake, const std::atomic<int>& sleepers) {
  if (sleepers == 0) return;
  std::lock_guard lock(mutex);  // a sleeper that counted itself is now waiting
  wake.notify_all();
}

class WorkerPool {
 public:
  // Runs share(context, i) for every i in [0, shares) on this thread and the workers; false
  // (and runs nothing) if another region holds the workers.
  bool run(std::int64_t shares, void (*share)(void*, std::int64_t), void* context) {
    if (owner_ != ::getpid() || shares >= (std::int64_t{1} << kShareBits)) return false;
    std::unique_lock caller(caller_, std::try_to_lock);
    if (!caller.owns_lock()) return false;
    while (static_cast<std::int64_t>(workers_.size()) < shares - 1) {
      workers_.emplace_back([this, seen = region_.load()] { work(seen); });
    }
    share_ = share;
    context_ = context;
    pending_ = shares;
    const std::uint64_t number = (region_ >> kShareBits) + 1;
    next_ = number << kShareBits;
    // Publishes the region: its number and its share count in one word. A worker reads share_
    // and context_ only once it has claimed a share of this number, which the next region's
    // claims cannot be until every share of this one is done.
    region_ = number << kShareBits | static_cast<std::uint64_t>(shares);
    notify(mutex_, start_, workers_asleep_);
    take_shares(number, shares);
    wait_while([this] { return pending_ != 0; }, mutex_, finish_, caller_asleep_);
    if (failed_) {
      failed_ = false;
      std::rethrow_exception(std::exchange(failure_, nullptr));
    }
    return true;
  }

 private:
  static constexpr int kShareBits = 16;  // at most 65535 threads
  static constexpr std::uint64_t kShareMask = (std::uint64_t{1} << kShareBits) - 1;

  // Claims shares of region `number` (of `shares`) and runs them until none is left. The first
  // share to throw, on any thread, has its exception kept for the caller, and the shares
  // claimed after it are skipped (counted as done).
  void take_shares(std::uint64_t number, std::int64_t shares) {
    for (;;) {
      std::uint64_t claim = next_;
      do {
        if (claim >> kShareBits != number || static_cast<std::int64_t>(claim & kShareMask) >= shares) return;
      } while (!next_.compare_exchange_weak(claim, claim + 1));
      if (!failed_) {
        try {
          share_(context_, static_cast<std::int64_t>(claim & kShareMask));
        } catch (...) {
          std::lock_guard lock(mutex_);
          if (!failed_.exchange(true)) failure_ = std::current_exception();
        }
      }
      if (--pending_ == 0) notify(mutex_, finish_, caller_asleep_);
    }
  }

  [[noreturn]] void work(std::uint64_t seen) {
    for (;;) {
      wait_while([&] { return region_ == seen; }, mutex_, start_, workers_asleep_);
      seen = region_;
      take_shares(seen >> kShareBits, static_cast<std::int64_t>(seen & kShareMask));
    }
  }

  const pid_t owner_ = ::getpid();
  std::mutex caller_;  // held by the caller for a whole region
  // The region: written by the caller before it publishes region_, read by a thread that has
  // claimed one of its shares, and left alone until they are all done (pending_ = 0).
  void (*share_)(void*, std::int64_t) = nullptr;
  void* context_ = nullptr;
  std::atomic<std::int64_t> pending_ = 0;
  std::atomic<std::uint64_t> next_ = 0;    // number << kShareBits | the next share to claim
  std::atomic<bool> failed_ = false;       // a share threw: failure_ holds its exception
  std::exception_ptr failure_;             // written under mutex_, read by the caller at the end
  std::atomic<std::uint64_t> region_ = 0;  // number << kShareBits | shares
  // Sleeping and waking.
  std::mutex mutex_;
  std::condition_variable start_, finish_;
  std::atomic<int> workers_asleep_ = 0, caller_asleep_ = 0;
  std::vector<std::thread> workers_;  // kept until the process ends
};

}  // namespace

void run_shares(std::int64_t shares, void (*share)(void*, std::int64_t), void* context) {
  // Never destroyed: its workers wait in it until the process ends (no join at exit, where a
  // static's destructor could run while another static's destructor still computes).
  static WorkerPool& pool = *new WorkerPool;
  if (shares > 1 && pool.run(shares, share, context)) return;
  for (std::int64_t i = 0; i < shares; ++i) share(context, i);
}

}  // namespace ann::backend::cpu
