// argmax of rows too short to vectorise along (the lesson's 3 classes): 16 rows sit in the lanes
// of one vector per class and the comparisons run across rows, without branches (which class
// wins is data; a mispredicted branch per row cost more than the comparisons).
#include "backend/cpu/argmax.h"

#include "backend/cpu/simd.h"
#include "backend/cpu/vec16.h"

namespace ann::backend {

namespace {

using std::int64_t;
using vec16::kLanes;
using vec16::Vec;

template <int kN>
ANN_INLINE void argmax_block(const float* x, int64_t* out, int rows) {
  Vec column[kN];
  vec16::load_columns<kN>(x, rows, column);
  Vec best = column[0], best_j = {};  // the index as a float: exact, and the same lane type
  for (int j = 1; j < kN; ++j) {
    // Larger wins; a NaN wins unless a NaN came first. Each select tests one comparison (the
    // form GCC keeps in vector registers; combined masks it took apart lane by lane).
    const Vec v = column[j], jv = Vec{} + static_cast<float>(j);
    const Vec larger_j = v > best ? jv : best_j, larger = v > best ? v : best;
    const Vec nan_j = best != best ? best_j : jv, nan = best != best ? best : v;
    best_j = v != v ? nan_j : larger_j;
    best = v != v ? nan : larger;
  }
  for (int l = 0; l < rows; ++l) out[l] = static_cast<int64_t>(best_j[l]);
}

template <int kN>
ANN_INLINE void argmax_rows(const float* x, int64_t* out, int64_t rows) {
  int64_t r = 0;
  for (; r + kLanes <= rows; r += kLanes) argmax_block<kN>(x + r * kN, out + r, kLanes);
  if (r < rows) argmax_block<kN>(x + r * kN, out + r, static_cast<int>(rows - r));
}

ANN_KERNEL void argmax_kernel_body(const float* x, int64_t* out, int64_t rows, int64_t n) {
  switch (n) {
    case 2: return argmax_rows<2>(x, out, rows);
    case 3: return argmax_rows<3>(x, out, rows);
    case 4: return argmax_rows<4>(x, out, rows);
    default: break;
  }
}
ANN_DISPATCH(argmax_kernel)

}  // namespace

void argmax_short_rows(const float* x, int64_t* out, int64_t rows, int64_t n) { argmax_kernel(x, out, rows, n); }

}  // namespace ann::backend
