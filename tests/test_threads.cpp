// The thread count changes speed, never results.
#include <gtest/gtest.h>

#include "ann/ann.h"
#include "ann/lesson.h"

namespace {

using namespace ann;

class ThreadCount : public ::testing::Test {
 protected:
  void TearDown() override { set_num_threads(1); }
};

TEST_F(ThreadCount, DefaultsToOneAndRejectsZero) {
  EXPECT_EQ(get_num_threads(), 1);
  EXPECT_THROW(set_num_threads(0), ValueError);
  set_num_threads(2);
  EXPECT_EQ(get_num_threads(), 2);
}

TEST_F(ThreadCount, LargeMatrixProductIsBitIdenticalOnOneAndTwoThreads) {
  manual_seed(3);
  const Tensor a = randn({700, 513}), b = randn({513, 301});
  set_num_threads(1);
  const std::vector<float> one = matmul(a, b).to_vector<float>();
  set_num_threads(2);
  const std::vector<float> two = matmul(a, b).to_vector<float>();
  EXPECT_EQ(one, two);
}

TEST_F(ThreadCount, TrainingLossesAreBitIdenticalOnOneAndTwoThreads) {
  lesson::SpiralConfig config{.per_class = 200, .hidden = 256, .layers = 2, .epochs = 30};
  set_num_threads(1);
  const std::vector<float> one = lesson::run_spiral(config).history.loss;
  set_num_threads(2);
  const std::vector<float> two = lesson::run_spiral(config).history.loss;
  EXPECT_EQ(one, two);
}

}  // namespace
