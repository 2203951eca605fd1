#pragma once
// The CPU implementation of the backend boundary: plain loops the compiler vectorises, and
// the BLAS sgemm (OpenBLAS, see sgemm.h) for matrix products.
#include "backend/backend.h"

namespace ann::backend {

const Backend& cpu_backend();

}  // namespace ann::backend
