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

/// Into how many parts `count` items (rows, columns, elements) are cut: 1, 2, 4 or 8, each of
/// at least `align` items, and about `work` / `min_work` of them (3 → 4, 5 → 4, 6 or 7 → 8); a
/// function of its arguments alone, never of the thread count. A power of two, so that 2, 4 or 8
/// threads share the parts evenly (3 parts gave 2 threads 2 and 1); and part_begin's parts differ
/// by one align at most: 1811 rows in tiles of 240 (the last 131) gave 2 threads 960 and 851 rows
/// (a 284-574×5-2 net on 1811 rows ran 1.69 times as fast on 2 threads as on 1, now 1.87).
constexpr std::int64_t part_count(std::int64_t count, std::int64_t work, std::int64_t min_work, std::int64_t align) {
  const std::int64_t most = std::clamp<std::int64_t>((count + align - 1) / align, 1, 8);
  const std::int64_t worth = std::clamp<std::int64_t>(work / min_work, 1, 8);
  std::int64_t parts = 1;
  while (parts * 2 <= worth) parts *= 2;
  if (2 * worth >= 3 * parts) parts *= 2;  // nearer the next power of two
  while (parts > most) parts /= 2;
  return parts;
}

/// Where part p of `parts` starts when `count` items are cut into parts of whole `align`s: part p
/// takes the aligns [p·a/parts, (p+1)·a/parts) of the a there are (the last one may be short), so
/// that parts differ by one align at most. part_begin(parts, parts, …) is `count`.
constexpr std::int64_t part_begin(std::int64_t p, std::int64_t parts, std::int64_t count, std::int64_t align) {
  const std::int64_t aligns = (count + align - 1) / align;
  return std::min(count, p * aligns / parts * align);
}

/// Elementwise work over [0, n) worth splitting: about this many elements per part, some ten
/// µs of an optimizer's or an activation's work. (2¹⁸ when each region started its threads, at
/// 38 µs; a region now starts in 0.4 µs, and a worker that is asleep only misses its shares. A
/// 25-328×5-2 ELU net on 360 rows, whose activations and RMSprop pass then ran on one thread,
/// went from 1.39 to 1.47 times as fast on 2 threads as on 1.)
constexpr std::int64_t kMinParallelElements = std::int64_t{1} << 15;

/// f(begin, end) over [0, n), in parts of about kMinParallelElements or more (multiples of 64, whole
/// cache lines of floats and doubles): for loops whose elements are independent.
template <class F>
void parallel_for(std::int64_t n, F&& f) {
  if (n <= 0) return;
  const std::int64_t parts = part_count(n, n, kMinParallelElements, 64);
  run_parts(parts, [&](std::int64_t p) { f(part_begin(p, parts, n, 64), part_begin(p + 1, parts, n, 64)); });
}

}  // namespace ann::backend::cpu
