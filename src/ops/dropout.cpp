// Dropout with torch 1.13's masks: each element is kept when a 53-bit uniform from one 64-bit
// draw is below 1 − p (torch's bernoulli_(1 − p) without MKL, as Debian builds it), and kept
// elements are scaled by 1/(1 − p) rounded to float (noise.div_(1 − p)).
//   y = x ⊙ m / (1 − p)      dx = dy ⊙ m / (1 − p)
#include <string>
#include <vector>

#include "ann/error.h"
#include "ann/generator.h"
#include "ann/ops.h"
#include "ops/op_util.h"

namespace ann {

Tensor dropout(const Tensor& x, double p, bool training) { return dropout(x, p, training, default_generator()); }

Tensor dropout(const Tensor& x, double p, bool training, Generator& generator) {
  if (!(p >= 0.0 && p <= 1.0)) throw ValueError("dropout: probability has to be between 0 and 1, but got " + std::to_string(p));
  ops::check_floating(x, "dropout");
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x * zeros_like(x);  // torch: all dropped, still recorded
  const double keep = 1.0 - p;
  // The mask in x's type: the scale 1 / (1 − p) in float for float32 (as torch's div_), in double
  // for float64.
  auto mask = [&](auto one) {
    using T = decltype(one);
    const T scale = one / static_cast<T>(keep);
    std::vector<T> noise(static_cast<std::size_t>(x.numel()));
    for (T& m : noise) {
      const double u = static_cast<double>(generator.random64() & ((std::uint64_t{1} << 53) - 1)) * 0x1p-53;
      m = u < keep ? scale : T(0);
    }
    return from_vector(noise, x.sizes(), TensorOptions().dtype(x.dtype()).device(x.device()));
  };
  return x * (x.dtype() == DType::Float64 ? mask(1.0) : mask(1.f));
}

}  // namespace ann
