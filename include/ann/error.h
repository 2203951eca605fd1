#pragma once
// Every misuse of ann throws an exception derived from ann::Error. The message names the
// operation and the shapes or values involved, e.g.
//   "matmul: shapes [3000, 3] and [2, 100] do not align (3 != 2)".
// Only the CLI turns errors into exit codes; the library never aborts on user input.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ann {

/// Base of every exception thrown by ann.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Tensor shapes that do not fit the operation (matmul, broadcasting, view, ...).
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// A value out of its allowed range (an index, a class label, a hyper-parameter).
class ValueError : public Error {
 public:
  using Error::Error;
};

/// A tensor of the wrong element type for the operation.
class TypeError : public Error {
 public:
  using Error::Error;
};

/// A device that this build cannot use (e.g. CUDA in a CPU-only build).
class DeviceError : public Error {
 public:
  using Error::Error;
};

/// A file that cannot be read or written, or whose contents are invalid.
class IOError : public Error {
 public:
  using Error::Error;
};

/// Autograd misuse (backward on a non-scalar without a gradient, on a tensor without grad, ...).
class AutogradError : public Error {
 public:
  using Error::Error;
};

}  // namespace ann
