#pragma once
// The lesson's data sets, built exactly as its notebooks build them, so that with the same
// seed they hold the same numbers as in PyTorch.
#include <cstdint>

#include "ann/generator.h"
#include "ann/tensor.h"

namespace ann::data {

/// Inputs X and integer class labels y.
struct Labelled {
  Tensor X;  ///< [m, D] float32
  Tensor y;  ///< [m] int64 class labels (classification) or [m, 1] float32 targets (regression)
};

/// The K-branch spiral of the lesson (Eqn. 1(a), 1(b)): for class k = 0..K−1 and
/// t = linspace(0, 1, N),
///   X_k(t) = t · ( sin[2π/K (2t + k) + ε],  cos[2π/K (2t + k) + ε] ),  ε = noise · N(0, 1)
/// (the lesson's k runs from 1, hence its k − 1). As the notebook does it: the angle is
/// linspace(2π/K·k, 2π/K·(2 + k), N) + randn(N)·noise in float32, its sin and cos are taken in
/// double and rounded to float32, then scaled by t. Rows are stored class by class; one
/// randn(N) is drawn per class even when noise is 0.
/// Throws ValueError for per_class < 1, classes < 2 or a negative/non-finite noise.
Labelled spiral(std::int64_t per_class, std::int64_t classes, double noise, Generator& generator = default_generator());

/// The lesson's Y ∈ ℝ^{m×K}: row i is zero but for a 1 at column labels[i]; float32, for the
/// lesson's arithmetic (torch.one_hot's int64 is ann::one_hot).
Tensor one_hot(const Tensor& labels, std::int64_t classes);

/// The regression data: X = linspace(−1, 1, n) as an [n, 1] column, y = X³ + 0.3·U(0, 1).
Labelled cubic(std::int64_t points, Generator& generator = default_generator());

}  // namespace ann::data
