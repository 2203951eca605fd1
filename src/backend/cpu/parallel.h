#pragma once
// The CPU back end's threads (ann::set_num_threads): work cut into parts that depend on its
// size alone, never on the thread count, and threads that share out whole parts. A part is
// computed by the same code on the same memory whichever thread runs it, so results are
// bit-identical on any number of threads. The threads wait between calls (thread_pool.cpp);
// only work of some ten µs or more is split (kMinParallelElements).
#include <algorithm>
#include <cstdint>

namespace ann::backend::cpu {

/// Threads the CPU kernels may use (1 by default).
void set_threads(int threads);
int threads();

/// Runs share(context, i) for i in [0, shares) on this thread and the worker threads, whichever
/// claims each first (src/backend/cpu/thread_pool.cpp), and returns when all are done. The
/// first exception a share throws, on any thread, propagates once the others are done.
void run_shares(std::int64_t shares, void (*share)(void*, std::int64_t), void* context);

/// Runs part(p) for p in [0, parts) on up to threads() threads, in t shares: share i is the
/// parts [i·parts/t, (i+1)·parts/t).
template <class Part>
void run_parts(std::int64_t parts, Part&& part) {
  const std::int64_t t = std::min<std::int64_t>(threads(), parts);
  if (t <= 1) {
    for (std::int64_t p = 0; p < parts; ++p) part(p);
    return;
  }
  auto share = [&](std::int64_t i) {
    for (std::int64_t p = i * parts / t; p < (i + 1) * parts / t; ++p) part(p);
  };
  run_shares(t, [](void* context, std::int64_t i) { (*static_cast<decltype(share)*>(context))(i); }, &share);
}

/// Into how many parts `count` items (rows, columns, elements) are cut: at most 8, each of at
/// least `align` items and worth at least `min_work` of the whole's `work`; a function of its
/// arguments alone, never of the thread count.
constexpr std::int64_t part_count(std::int64_t count, std::int64_t work, std::int64_t min_work, std::int64_t align) {
  const std::int64_t most = std::clamp<std::int64_t>((count + align - 1) / align, 1, 8);
  return std::clamp<std::int64_t>(work / min_work, 1, most);
}

/// The items per part when part_count's parts are each a multiple of `align` items, as equal as
/// that allows (the last part may be shorter, and there may be fewer parts).
constexpr std::int64_t part_length(std::int64_t count, std::int64_t work, std::int64_t min_work, std::int64_t align) {
  const std::int64_t parts = part_count(count, work, min_work, align);
  return ((count + parts - 1) / parts + align - 1) / align * align;
}

/// Elementwise work over [0, n) worth splitting: at least this many elements per part, some ten
/// µs of an optimizer's or an activation's work. (2¹⁸ when each region started its threads, at
/// 38 µs; a region now starts in 0.4 µs, and a worker that is asleep only misses its shares. A
/// 25-328×5-2 ELU net on 360 rows, whose activations and RMSprop pass then ran on one thread,
/// went from 1.39 to 1.47 times as fast on 2 threads as on 1.)
constexpr std::int64_t kMinParallelElements = std::int64_t{1} << 15;

/// f(begin, end) over [0, n), in parts of at least kMinParallelElements (multiples of 64, whole
/// cache lines of floats and doubles): for loops whose elements are independent.
template <class F>
void parallel_for(std::int64_t n, F&& f) {
  if (n <= 0) return;
  const std::int64_t size = part_length(n, n, kMinParallelElements, 64);
  run_parts((n + size - 1) / size, [&](std::int64_t p) { f(p * size, std::min(n, (p + 1) * size)); });
}

}  // namespace ann::backend::cpu
