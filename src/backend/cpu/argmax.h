#pragma once
// argmax along short contiguous float rows (a classifier's logits, 2–4 classes), 16 rows at a
// time in vector lanes (see argmax.cpp).
#include <cstdint>

namespace ann::backend {

/// The largest number of classes argmax_short_rows takes.
inline constexpr std::int64_t kArgmaxShortRowsMax = 4;

/// out[r] = index of the first maximum of x[r·n .. r·n + n), or of its first NaN (as
/// torch.argmax), for 2 <= n <= kArgmaxShortRowsMax.
void argmax_short_rows(const float* x, std::int64_t* out, std::int64_t rows, std::int64_t n);

}  // namespace ann::backend
