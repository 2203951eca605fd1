// Rows to lanes and back (src/backend/cpu/vec16.h), which the chain kernel and cross-entropy
// use to put 16 rows in the lanes of a vector: every value where it belongs, zeros past the
// rows, and nothing read or written outside the rows given (the arrays are exactly that long,
// so the sanitizer build catches a stray access; a gap between strided rows must stay as it was).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "backend/cpu/vec16.h"

namespace {

using ann::backend::vec16::from_lanes;
using ann::backend::vec16::kLanes;
using ann::backend::vec16::to_lanes;

constexpr float kUntouched = -7.5f;

struct Layout {
  std::int64_t rows, cols, ld;
  std::int64_t R() const { return (rows + kLanes - 1) / kLanes * kLanes + kLanes; }  // a block of zero rows too
  std::size_t floats() const { return static_cast<std::size_t>((rows - 1) * ld + cols); }
  std::string describe() const {
    return std::to_string(rows) + " rows, " + std::to_string(cols) + " columns, ld " + std::to_string(ld);
  }
};

std::vector<Layout> layouts() {
  std::vector<Layout> all;
  for (std::int64_t rows : {1, 2, 5, 15, 16, 17, 31, 33, 40})
    for (std::int64_t cols : {1, 2, 3, 4, 5, 7, 13, 15, 16, 17, 23, 31, 32, 33, 40})
      for (std::int64_t gap : {0, 1, 5}) all.push_back({rows, cols, cols + gap});
  return all;
}

TEST(Vec16, ToLanesPutsRowsInLanesAndZerosAfter) {
  for (const Layout& l : layouts()) {
    std::vector<float> src(l.floats());
    for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<float>(i) + 0.25f;
    const std::int64_t R = l.R();
    std::vector<float> dst(static_cast<std::size_t>(l.cols * R), kUntouched);
    to_lanes(src.data(), l.ld, l.rows, l.cols, dst.data(), R);
    for (std::int64_t c = 0; c < l.cols; ++c) {
      for (std::int64_t r = 0; r < R; ++r) {
        const float expected = r < l.rows ? src[static_cast<std::size_t>(r * l.ld + c)] : 0.f;
        ASSERT_EQ(dst[static_cast<std::size_t>(c * R + r)], expected) << l.describe() << ": row " << r << ", column " << c;
      }
    }
  }
}

TEST(Vec16, FromLanesWritesTheRowsOnly) {
  for (const Layout& l : layouts()) {
    const std::int64_t R = l.R();
    std::vector<float> src(static_cast<std::size_t>(l.cols * R));
    for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<float>(i) + 0.5f;
    std::vector<float> dst(l.floats(), kUntouched);
    from_lanes(src.data(), R, l.rows, l.cols, dst.data(), l.ld);
    for (std::int64_t r = 0; r < l.rows; ++r) {
      for (std::int64_t c = 0; c < l.ld && r * l.ld + c < static_cast<std::int64_t>(dst.size()); ++c) {
        const float expected = c < l.cols ? src[static_cast<std::size_t>(c * R + r)] : kUntouched;
        ASSERT_EQ(dst[static_cast<std::size_t>(r * l.ld + c)], expected) << l.describe() << ": row " << r << ", column " << c;
      }
    }
  }
}

TEST(Vec16, RoundTrip) {
  for (const Layout& l : layouts()) {
    std::vector<float> x(l.floats());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 97) - 40.f;
    const std::int64_t R = l.R();
    std::vector<float> lanes(static_cast<std::size_t>(l.cols * R)), back(l.floats(), kUntouched);
    to_lanes(x.data(), l.ld, l.rows, l.cols, lanes.data(), R);
    from_lanes(lanes.data(), R, l.rows, l.cols, back.data(), l.ld);
    for (std::int64_t r = 0; r < l.rows; ++r)
      for (std::int64_t c = 0; c < l.cols; ++c)
        ASSERT_EQ(back[static_cast<std::size_t>(r * l.ld + c)], x[static_cast<std::size_t>(r * l.ld + c)])
            << l.describe() << ": row " << r << ", column " << c;
  }
}

}  // namespace
