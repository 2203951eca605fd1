#pragma once
// How many CPU threads ann's kernels may use. The default is 1: the lesson's networks are
// too small for threads to pay off. Results are bit-identical whatever the count: work is
// split so that no sum changes its order.
namespace ann {

/// Sets the thread count (>= 1); throws ValueError otherwise.
void set_num_threads(int threads);
int get_num_threads();

}  // namespace ann
