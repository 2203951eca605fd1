#pragma once
// The checked device ("checked"): the CPU's kernels behind a strict device boundary. Its memory
// is mapped without access, and each core entry opens exactly the blocks its pointers fall in
// for the length of the call, so host code that touches a tensor's memory other than through
// the copy entries faults at once, and a host pointer passed as device memory is a DeviceError.
// It offers no fused entries: code run on it takes the compositions. The tests run on it
// (tests/CMakeLists.txt, ANN_TEST_DEVICE) to prove the boundary that a CUDA back end needs.
#include "backend/backend.h"

namespace ann::backend {

const Backend& checked_backend();

}  // namespace ann::backend
