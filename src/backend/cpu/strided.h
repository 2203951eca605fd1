#pragma once
// Walking strided operands: the odometer over a shape's outer dimensions that the elementwise
// kernels and strided copies share.
#include <cstdint>
#include <utility>

#include "ann/shape.h"

namespace ann::backend::cpu {

using std::int64_t;

// Calls f(a_offset, b_offset, out_index, inner_len, a_inner_stride, b_inner_stride) for each
// run of the innermost dimension of `sizes`, walking the outer dimensions like an odometer.
// The same iteration space with dimensions of size 1 dropped and neighbours merged where both
// operands step through them as one (the output is contiguous): a [100, 1] column becomes one
// run of 100, not 100 runs of 1; a contiguous [3000, 3] one run of 9000.
struct Coalesced {
  Shape sizes, a_strides, b_strides;
};
inline Coalesced coalesce(const Shape& sizes, const Shape& a_strides, const Shape& b_strides) {
  Coalesced c;
  for (std::size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 1) continue;
    if (!c.sizes.empty() && c.a_strides.back() == a_strides[d] * sizes[d] &&
        c.b_strides.back() == b_strides[d] * sizes[d]) {
      c.sizes.back() *= sizes[d];
      c.a_strides.back() = a_strides[d];
      c.b_strides.back() = b_strides[d];
    } else {
      c.sizes.push_back(sizes[d]);
      c.a_strides.push_back(a_strides[d]);
      c.b_strides.push_back(b_strides[d]);
    }
  }
  return c;
}

template <class F>
void for_each_inner_run(const Shape& full_sizes, const Shape& full_a_strides, const Shape& full_b_strides, F&& f) {
  for (int64_t n : full_sizes)
    if (n == 0) return;
  const Coalesced c = coalesce(full_sizes, full_a_strides, full_b_strides);
  const Shape& sizes = c.sizes;
  const Shape& a_strides = c.a_strides;
  const Shape& b_strides = c.b_strides;
  const std::size_t rank = sizes.size();
  if (rank == 0) {
    f(int64_t{0}, int64_t{0}, int64_t{0}, int64_t{1}, int64_t{0}, int64_t{0});
    return;
  }
  const int64_t inner = sizes[rank - 1];
  int64_t outer = 1;
  for (std::size_t d = 0; d + 1 < rank; ++d) outer *= sizes[d];
  if (inner == 0 || outer == 0) return;
  Shape counter(rank, 0);
  int64_t a_off = 0, b_off = 0;
  for (int64_t run = 0; run < outer; ++run) {
    f(a_off, b_off, run * inner, inner, a_strides[rank - 1], b_strides[rank - 1]);
    for (std::size_t d = rank - 1; d-- > 0;) {
      if (++counter[d] < sizes[d]) {
        a_off += a_strides[d];
        b_off += b_strides[d];
        break;
      }
      a_off -= a_strides[d] * (sizes[d] - 1);
      b_off -= b_strides[d] * (sizes[d] - 1);
      counter[d] = 0;
    }
  }
}

}  // namespace ann::backend::cpu
