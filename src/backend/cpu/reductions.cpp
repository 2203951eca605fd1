// The CPU back end's reductions. A map, top to bottom:
//   sum_rows          sums over the middle dimension of [outer, n, inner], rows in memory order
//   sum_in_lanes      a contiguous sum in eight double lanes (the one summation order of Sum)
//   squared_error     diff = a − b and Σ diff² in one pass
//   pointwise_loss    Σ ℓ(a, b) and the slope ∂ℓ/∂a in one pass (L1, smooth L1, Huber, BCE with logits)
//   count_true, argmax_of, reduce_typed, reduce   every ReduceOp for each element type
//   first_outside_on_host   the first index outside [0, bound), for label and index checks
#include "backend/cpu/reductions.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "backend/cpu/activations.h"
#include "backend/cpu/argmax.h"
#include "backend/cpu/simd.h"

namespace ann::backend::cpu {

namespace {

using std::int64_t;

// Sum over the middle of [outer, n, inner] with inner > 1: walk rows in memory order, adding
// each row into a row of double accumulators (contiguous, so it vectorises; columnwise
// walks miss the cache on tall matrices like the [3000, 100] bias gradient).
template <class T>
ANN_KERNEL void sum_rows_body(const T* x, T* out, int64_t outer, int64_t n, int64_t inner) {
  std::vector<double> acc(static_cast<std::size_t>(inner));
  for (int64_t o = 0; o < outer; ++o) {
    std::fill(acc.begin(), acc.end(), 0.0);
    const T* block = x + o * n * inner;
    for (int64_t j = 0; j < n; ++j) {
      const T* row = block + j * inner;
      for (int64_t i = 0; i < inner; ++i) acc[static_cast<std::size_t>(i)] += row[i];
    }
    for (int64_t i = 0; i < inner; ++i) out[o * inner + i] = static_cast<T>(acc[static_cast<std::size_t>(i)]);
  }
}
ANN_DISPATCH(sum_rows)

// Σ of n contiguous floats in double: eight running sums (lane l takes elements l, l + 8, ...)
// added pairwise at the end, always in the same order. Independent lanes vectorise; one running
// sum was a chain of dependent additions (the lesson's mean loss over 3000 rows).
// value(j) gives the j-th float; sum_contiguous and the losses add theirs alike.
// A value of many steps (BCE's two exponentials and a logarithm) is better made by chunks of
// kChunk first, which vectorise 16 wide apart from the sums, and then added: 3.6 → 2.5 ns a
// value for BCE with logits' forward and backward. A value of a step or two goes fastest added
// as it is made (kChunk = 0): in chunks of 64 a plain sum took 2.3 times as long. Chunks start
// at multiples of 8, so element j goes to lane j mod 8 either way, in the same order.
// A chunk's last values past a multiple of 16 are made as the 16 that end there, the values
// before them made again (a value is a function of its element alone, and writes what it wrote
// before): as one vector rather than one by one, which took half of BCE's time on 22 values.
template <int64_t kChunk = 0, class Value>
__attribute__((always_inline)) inline double sum_in_lanes(int64_t n, Value value) {
  constexpr int kLanes = 8;
  double lane[kLanes] = {};
  const auto add = [&lane](int64_t count, auto&& next) __attribute__((always_inline)) {
    int64_t j = 0;
    for (; j + kLanes <= count; j += kLanes)
      for (int l = 0; l < kLanes; ++l) lane[l] += next(j + l);
    for (int l = 0; j < count; ++j, ++l) lane[l] += next(j);
  };
  if constexpr (kChunk == 0) {
    add(n, value);
  } else {
    static_assert(kChunk % kLanes == 0);
    decltype(value(int64_t{0})) chunk[kChunk];
    constexpr int64_t kVector = 16;
    static_assert(kChunk % kVector == 0);
    for (int64_t j0 = 0; j0 < n; j0 += kChunk) {
      const int64_t length = std::min(kChunk, n - j0), whole = length / kVector * kVector;
      for (int64_t j = 0; j < whole; ++j) chunk[j] = value(j0 + j);
      if (whole < length && j0 + length >= kVector) {
        decltype(value(int64_t{0})) last[kVector];
        const int64_t start = j0 + length - kVector;
        for (int64_t l = 0; l < kVector; ++l) last[l] = value(start + l);
        for (int64_t j = whole; j < length; ++j) chunk[j] = last[j - (length - kVector)];
      } else {
        for (int64_t j = whole; j < length; ++j) chunk[j] = value(j0 + j);
      }
      add(length, [&chunk](int64_t j) { return chunk[j]; });
    }
  }
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l) lane[l] += lane[l + width];
  return lane[0];
}
template <class T>
__attribute__((always_inline)) inline double sum_contiguous(const T* p, int64_t n) {
  return sum_in_lanes(n, [p](int64_t j) { return p[j]; });
}

// diff = a − b and Σ diff² in one pass; the squares are rounded to float before they are added,
// so the sum is bit for bit sum(diff * diff).
ANN_KERNEL double squared_error_kernel_body(const float* a, const float* b, float* diff, int64_t n) {
  return sum_in_lanes(n, [=](int64_t j) {
    diff[j] = a[j] - b[j];
    return diff[j] * diff[j];
  });
}
ANN_DISPATCH(squared_error_kernel)

// ℓ(a, b), each line the composition's in src/nn/functional.cpp (the same floats, the same
// sum), and its slope ∂ℓ/∂a as torch's backward kernels write it.
template <PointwiseLoss kKind>
ANN_KERNEL double pointwise_loss_loop(const float* a, const float* b, float* slope, int64_t n, float knee,
                                      float half_knee) {
  if constexpr (kKind == PointwiseLoss::BceWithLogits) {
    // (always_inline: GCC keeps a lambda this long as a call, compiled for the baseline ISA)
    return sum_in_lanes<64>(n, [=](int64_t j) __attribute__((always_inline)) {
      const float x = a[j], y = b[j];
      slope[j] = sigmoid_of(x) - y;                                      // σ(x) − y
      return (relu_of(x) - x * y) + vmath::softplus(-std::fabs(x));
    });
  } else {
    return sum_in_lanes(n, [=](int64_t j) {
      const float d = a[j] - b[j], magnitude = std::fabs(d);
      const float sign = d > 0.f ? 1.f : (d < 0.f ? -1.f : 0.f);
      if constexpr (kKind == PointwiseLoss::L1) {
        slope[j] = sign;                                                 // sign d, 0 at 0
        return magnitude;
      } else if constexpr (kKind == PointwiseLoss::SmoothL1) {
        const bool inside = magnitude < knee;
        slope[j] = inside ? d / knee : sign;                             // d/k, or sign d
        return inside ? magnitude * magnitude * 0.5f / knee : magnitude - half_knee;
      } else {
        const bool inside = magnitude < knee;
        slope[j] = inside ? d : sign * knee;                             // d, or k · sign d
        return inside ? magnitude * magnitude * 0.5f : (magnitude - half_knee) * knee;
      }
    });
  }
}
ANN_KERNEL double pointwise_loss_kernel_body(PointwiseLoss kind, const float* a, const float* b, float* slope,
                                             int64_t n, float knee, float half_knee) {
  switch (kind) {
    case PointwiseLoss::L1: return pointwise_loss_loop<PointwiseLoss::L1>(a, b, slope, n, knee, half_knee);
    case PointwiseLoss::SmoothL1: return pointwise_loss_loop<PointwiseLoss::SmoothL1>(a, b, slope, n, knee, half_knee);
    case PointwiseLoss::Huber: return pointwise_loss_loop<PointwiseLoss::Huber>(a, b, slope, n, knee, half_knee);
    case PointwiseLoss::BceWithLogits:
      return pointwise_loss_loop<PointwiseLoss::BceWithLogits>(a, b, slope, n, knee, half_knee);
  }
  return 0;
}
ANN_DISPATCH(pointwise_loss_kernel)

// How many of n bools are true (an accuracy's hits): bytes added into 32 bits vectorise, where
// into 64 bits they did not (3 % of the spiral's epoch).
__attribute__((always_inline)) inline int64_t count_true(const bool* p, int64_t n) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(p);
  int64_t count = 0;
  constexpr int64_t kChunk = int64_t{1} << 24;  // a chunk's count fits 32 bits
  for (int64_t j0 = 0; j0 < n; j0 += kChunk) {
    const int64_t end = std::min(n, j0 + kChunk);
    std::uint32_t part = 0;
    for (int64_t j = j0; j < end; ++j) part += bytes[j];
    count += part;
  }
  return count;
}

// The index of the first maximum of p[0], p[stride], ... p[(n−1)·stride], or of the first NaN (as
// torch.argmax). Without branches: which class wins is data, and a mispredicted branch per row
// cost more than the comparisons.
template <class T>
__attribute__((always_inline)) inline int64_t argmax_of(const T* p, int64_t n, int64_t stride) {
  int64_t best_j = 0;
  T best = p[0];
  for (int64_t j = 1; j < n; ++j) {
    const T v = p[j * stride];
    const bool take = (v > best) | ((v != v) & (best == best));
    best = take ? v : best;
    best_j = take ? j : best_j;
  }
  return best_j;
}

template <class T>
__attribute__((always_inline)) inline void reduce_typed(ReduceOp op, const T* x, void* out_raw, int64_t outer,
                                                        int64_t n, int64_t inner) {
  if constexpr (std::is_floating_point_v<T>) {
    if (op == ReduceOp::Sum && inner > 1) return sum_rows(x, static_cast<T*>(out_raw), outer, n, inner);
  }
  if constexpr (std::is_same_v<T, float>) {
    if (op == ReduceOp::ArgMax && inner == 1 && n >= 2 && n <= kArgmaxShortRowsMax)
      return argmax_short_rows(x, static_cast<int64_t*>(out_raw), outer, n);
  }
  // One loop nest per op (the op chosen once, not per output element).
  auto each_output = [&](auto&& reduce_one) {
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) reduce_one(x + o * n * inner + i, o * inner + i);
  };
  switch (op) {
    case ReduceOp::Sum:
      each_output([&](const T* p, int64_t dst) {
        if constexpr (std::is_floating_point_v<T>) {
          // double accumulation keeps long float32 sums exact to float precision
          static_cast<T*>(out_raw)[dst] = static_cast<T>(sum_contiguous(p, n));  // inner is 1 here
        } else {
          int64_t acc = 0;
          if (inner == 1) {  // a contiguous loop vectorises
            if constexpr (std::is_same_v<T, bool>) acc = count_true(p, n);
            else
              for (int64_t j = 0; j < n; ++j) acc += static_cast<int64_t>(p[j]);
          } else {
            for (int64_t j = 0; j < n; ++j) acc += static_cast<int64_t>(p[j * inner]);
          }
          static_cast<int64_t*>(out_raw)[dst] = acc;
        }
      });
      break;
    case ReduceOp::Max:
    case ReduceOp::Min:
      each_output([&](const T* p, int64_t dst) {
        T best = p[0];
        for (int64_t j = 1; j < n; ++j) {
          const T v = p[j * inner];
          // NaN propagates, as in torch.max
          if (std::isnan(static_cast<double>(v))) { best = v; break; }
          if (op == ReduceOp::Max ? v > best : v < best) best = v;
        }
        static_cast<T*>(out_raw)[dst] = best;
      });
      break;
    case ReduceOp::ArgMax:
      each_output([&](const T* p, int64_t dst) { static_cast<int64_t*>(out_raw)[dst] = argmax_of(p, n, inner); });
      break;
    case ReduceOp::Prod:
      each_output([&](const T* p, int64_t dst) {
        if constexpr (std::is_floating_point_v<T>) {
          double acc = 1.0;  // in double, rounded once
          for (int64_t j = 0; j < n; ++j) acc *= p[j * inner];
          static_cast<T*>(out_raw)[dst] = static_cast<T>(acc);
        } else {
          int64_t acc = 1;
          for (int64_t j = 0; j < n; ++j) acc *= static_cast<int64_t>(p[j * inner]);
          static_cast<int64_t*>(out_raw)[dst] = acc;
        }
      });
      break;
  }
}

ANN_KERNEL void reduce_kernel_body(ReduceOp op, DType dtype, const void* x, void* out, int64_t outer, int64_t n,
                                   int64_t inner) {
  switch (dtype) {
    case DType::Float32: reduce_typed(op, static_cast<const float*>(x), out, outer, n, inner); break;
    case DType::Float64: reduce_typed(op, static_cast<const double*>(x), out, outer, n, inner); break;
    case DType::Int64: reduce_typed(op, static_cast<const int64_t*>(x), out, outer, n, inner); break;
    case DType::Bool: reduce_typed(op, static_cast<const bool*>(x), out, outer, n, inner); break;
  }
}
ANN_DISPATCH(reduce_kernel)

// One pass that vectorises (every epoch checks every label: a count, as GCC does not vectorise
// an OR of bools; unsigned, a negative value is above any bound), then a second to find which.
ANN_KERNEL int64_t first_outside_kernel_body(const int64_t* v, int64_t n, int64_t bound) {
  int64_t outside = 0;
  for (int64_t i = 0; i < n; ++i) outside += static_cast<std::uint64_t>(v[i]) >= static_cast<std::uint64_t>(bound);
  if (outside == 0) return -1;
  for (int64_t i = 0; i < n; ++i)
    if (v[i] < 0 || v[i] >= bound) return i;
  return -1;
}
ANN_DISPATCH(first_outside_kernel)

}  // namespace

void reduce(ReduceOp op, DType dtype, const void* x, void* out, int64_t outer, int64_t n, int64_t inner) {
  reduce_kernel(op, dtype, x, out, outer, n, inner);
}

double squared_error(const float* a, const float* b, float* diff, int64_t n) {
  return squared_error_kernel(a, b, diff, n);
}

double pointwise_loss(PointwiseLoss kind, const float* a, const float* b, float* slope, int64_t n, double knee) {
  // the composition's scalars, rounded to float as a float32 tensor meets them
  return pointwise_loss_kernel(kind, a, b, slope, n, static_cast<float>(knee), static_cast<float>(0.5 * knee));
}

}  // namespace ann::backend::cpu

namespace ann::backend {
std::int64_t first_outside_on_host(const std::int64_t* v, std::int64_t n, std::int64_t bound) {
  return cpu::first_outside_kernel(v, n, bound);
}
}  // namespace ann::backend
