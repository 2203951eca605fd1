// The CPU back end's elementwise kernels. A map, top to bottom:
//   binary_typed         a op b over runs of a strided walk, for each op and element type
//   binary, binary_contiguous   a op b broadcast (strided), and for one contiguous shape
//   unary                y = f(x) for each UnaryOp (derivatives: src/ops/elementwise.cpp)
//   bias_activation, activation_backward_bias   an affine layer's epilogue: h = f(z + b) (with
//                               f'(z + b) kept, backend.h's Kept::Slope), and dz = dy ⊙ f'(·)
//                               with db = Σ_rows dz
#include "backend/cpu/elementwise.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/activations.h"
#include "backend/cpu/parallel.h"
#include "backend/cpu/simd.h"
#include "backend/cpu/strided.h"

namespace ann::backend::cpu {

namespace {

// for_each_run(f) calls f(a_offset, b_offset, out_index, len, a_stride, b_stride) per run, as
// for_each_inner_run does (or once, for operands of one contiguous shape).
template <class T, class ForEachRun>
__attribute__((always_inline)) inline void binary_typed(BinaryOp op, const T* a, const T* b, void* out_raw,
                                                        ForEachRun&& for_each_run) {
  auto run = [&](auto&& fn, auto* out) {
    for_each_run([&](int64_t ao, int64_t bo, int64_t oo, int64_t len, int64_t sa, int64_t sb) {
      const T* pa = a + ao;
      const T* pb = b + bo;
      auto* po = out + oo;
      if (sa == 1 && sb == 1) {
        for (int64_t i = 0; i < len; ++i) po[i] = fn(pa[i], pb[i]);
      } else if (sa == 1 && sb == 0) {
        const T vb = *pb;
        for (int64_t i = 0; i < len; ++i) po[i] = fn(pa[i], vb);
      } else if (sa == 0 && sb == 1) {
        const T va = *pa;
        for (int64_t i = 0; i < len; ++i) po[i] = fn(va, pb[i]);
      } else {
        for (int64_t i = 0; i < len; ++i) po[i] = fn(pa[i * sa], pb[i * sb]);
      }
    });
  };
  if (is_comparison(op)) {
    bool* out = static_cast<bool*>(out_raw);
    switch (op) {
      case BinaryOp::Eq: run([](T x, T y) { return x == y; }, out); break;
      case BinaryOp::Ne: run([](T x, T y) { return x != y; }, out); break;
      case BinaryOp::Lt: run([](T x, T y) { return x < y; }, out); break;
      case BinaryOp::Le: run([](T x, T y) { return x <= y; }, out); break;
      case BinaryOp::Gt: run([](T x, T y) { return x > y; }, out); break;
      case BinaryOp::Ge: run([](T x, T y) { return x >= y; }, out); break;
      default: break;
    }
    return;
  }
  T* out = static_cast<T*>(out_raw);
  switch (op) {
    case BinaryOp::Add: run([](T x, T y) { return x + y; }, out); break;
    case BinaryOp::Sub: run([](T x, T y) { return x - y; }, out); break;
    case BinaryOp::Mul: run([](T x, T y) { return x * y; }, out); break;
    case BinaryOp::Div: run([](T x, T y) { return x / y; }, out); break;
    // torch.maximum / minimum: a NaN on either side gives NaN (x != x only for a NaN)
    case BinaryOp::Max: run([](T x, T y) { return x != x ? x : (y != y ? y : (x > y ? x : y)); }, out); break;
    case BinaryOp::Min: run([](T x, T y) { return x != x ? x : (y != y ? y : (x < y ? x : y)); }, out); break;
    default: break;
  }
}

// Flattened: the lambdas of binary_typed are functions of their own, compiled for the baseline
// ISA unless inlined into each level's copy.
ANN_KERNEL void binary_contiguous_kernel_body(BinaryOp op, DType dtype, const void* a, const void* b, void* out,
                                              int64_t n) {
  auto one_run = [&](auto&& f) { f(0, 0, 0, n, 1, 1); };
  switch (dtype) {
    case DType::Int64: binary_typed(op, static_cast<const int64_t*>(a), static_cast<const int64_t*>(b), out, one_run); break;
    case DType::Float64: binary_typed(op, static_cast<const double*>(a), static_cast<const double*>(b), out, one_run); break;
    default: binary_typed(op, static_cast<const float*>(a), static_cast<const float*>(b), out, one_run); break;
  }
}
ANN_DISPATCH_FLATTENED(binary_contiguous_kernel)

// The functions of float32 and float64 that differ: float32 takes ann's vectorising exp, log,
// log1p, erf and tanh (vector_math.h), float64 the C library's, as torch's double kernels compute them.
struct Float32Math {
  ANN_KERNEL static float exp(float v) { return vmath::exp(v); }
  ANN_KERNEL static float expm1_nonpositive(float v) { return vmath::expm1_nonpositive(v); }
  ANN_KERNEL static float log(float v) { return vmath::log(v); }
  ANN_KERNEL static float log1p(float v) { return vmath::log1p(v); }
  ANN_KERNEL static float softplus(float v) { return vmath::softplus(v); }
  ANN_KERNEL static float erf(float v) { return vmath::erf(v); }
  ANN_KERNEL static float relu(float v) { return relu_of(v); }
  ANN_KERNEL static float tanh(float v) { return tanh_of(v); }
  ANN_KERNEL static float sigmoid(float v) { return sigmoid_of(v); }
};
struct Float64Math {
  ANN_KERNEL static double exp(double v) { return std::exp(v); }
  ANN_KERNEL static double expm1_nonpositive(double v) { return std::exp(v) - 1.0; }  // as it ever was
  ANN_KERNEL static double log(double v) { return std::log(v); }
  ANN_KERNEL static double log1p(double v) { return std::log1p(v); }
  ANN_KERNEL static double softplus(double v) { return std::log1p(std::exp(v)); }
  ANN_KERNEL static double erf(double v) { return std::erf(v); }
  ANN_KERNEL static double relu(double v) { return v > 0.0 ? v : (v != v ? v : 0.0); }  // NaN stays NaN (torch)
  ANN_KERNEL static double tanh(double v) { return std::tanh(v); }
  ANN_KERNEL static double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }
};

// GELU's erf(x/√2) needs only erf's first piece while |x/√2| < 1, as most pre-activations of a
// freshly initialised layer are; a vectorised loop computes both pieces for every lane. So
// GELU goes by chunks of 64 values, and a chunk whose arguments all lie below 1 takes
// vmath::erf_near_zero (the same values, a third of erf's work), the others erf.
// `value(i, erf(a))` is called for each element i, a = x[i]/√2, to write the activation's
// formula; with kGaussian, `value(i, erf(a), e^(−a²))` (the slope's): the exponential erf's
// second piece computes, or computed alone in a chunk near zero.
template <bool kGaussian = false, class Value>
ANN_KERNEL void map_gelu_chunks(const float* x, int64_t n, Value value) {
  constexpr float root_half = static_cast<float>(M_SQRT1_2);
  constexpr int64_t kChunk = 64;
  for (int64_t i = 0; i < n; i += kChunk) {
    const int64_t length = std::min(kChunk, n - i);
    float arg[kChunk], erf[kChunk], gaussian[kChunk];  // local: nothing aliases them (value may write x)
    int far = 0;
    for (int64_t j = 0; j < length; ++j) {
      arg[j] = x[i + j] * root_half;
      far |= !(std::fabs(arg[j]) < 1.f);  // NaN too
    }
    if (far && kGaussian) {
      for (int64_t j = 0; j < length; ++j) erf[j] = vmath::erf_with_gaussian(arg[j], gaussian[j]);
    } else if (far) {
      for (int64_t j = 0; j < length; ++j) erf[j] = vmath::erf(arg[j]);
    } else {
      for (int64_t j = 0; j < length; ++j) erf[j] = vmath::erf_near_zero(arg[j]);
      if constexpr (kGaussian)
        for (int64_t j = 0; j < length; ++j) gaussian[j] = vmath::exp(-(arg[j] * arg[j]));
    }
    if constexpr (kGaussian) {
      for (int64_t j = 0; j < length; ++j) value(i + j, erf[j], gaussian[j]);
    } else {
      for (int64_t j = 0; j < length; ++j) value(i + j, erf[j]);
    }
  }
}

template <class T, class M>
__attribute__((always_inline)) inline void unary_typed(UnaryOp op, const T* x, T* y, int64_t n, T p0, T p1) {
  auto map = [&](auto&& f) {
    for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
  };
  const T zero = 0, one = 1;
  switch (op) {
    case UnaryOp::Neg: map([](T v) { return -v; }); break;
    case UnaryOp::Exp: map([](T v) { return M::exp(v); }); break;
    case UnaryOp::Log: map([](T v) { return M::log(v); }); break;
    case UnaryOp::Sqrt: map([](T v) { return std::sqrt(v); }); break;
    case UnaryOp::Abs: map([](T v) { return std::fabs(v); }); break;
    case UnaryOp::Relu: map([](T v) { return M::relu(v); }); break;
    case UnaryOp::Tanh: map([](T v) { return M::tanh(v); }); break;
    case UnaryOp::Sigmoid: map([](T v) { return M::sigmoid(v); }); break;
    case UnaryOp::Pow:
      // small integer and half exponents as torch's pow kernel computes them (x·x·x, not powf)
      if (p0 == 2) map([](T v) { return v * v; });
      else if (p0 == 3) map([](T v) { return v * v * v; });
      else if (p0 == T(0.5)) map([](T v) { return std::sqrt(v); });
      else if (p0 == -1) map([one](T v) { return one / v; });
      else map([p0](T v) { return std::pow(v, p0); });
      break;
    case UnaryOp::Clamp: map([p0, p1](T v) { return std::min(std::max(v, p0), p1); }); break;
    case UnaryOp::Scale: map([p0](T v) { return v * p0; }); break;
    // the activations as torch's CPU kernels write them
    case UnaryOp::LeakyRelu: map([p0](T v) { return leaky_relu_of(v, p0); }); break;
    case UnaryOp::Elu: map([p0, zero](T v) { return v > zero ? v : M::expm1_nonpositive(v) * p0; }); break;
    case UnaryOp::Gelu:  // x/2 · (1 + erf(x/√2)), the exact form
      if constexpr (std::is_same_v<T, float>) {
        map_gelu_chunks(x, n, [x, y, one](int64_t i, T erf) { y[i] = x[i] * T(0.5) * (one + erf); });
      } else {
        map([one](T v) { return v * T(0.5) * (one + M::erf(v * static_cast<T>(M_SQRT1_2))); });
      }
      break;
    case UnaryOp::Silu: map([](T v) { return v * M::sigmoid(v); }); break;  // x σ(x): activations.h's silu_slope
    case UnaryOp::Softplus:  // log(1 + e^(βx))/β, and x itself once βx passes the threshold
      // β = 1 (torch's default) without its multiply and division, which change no bit there:
      // 10 % less time (BM_activation, softplus forward: 1.31–1.36 → 1.17–1.21 ns a value)
      if (p0 == one) map([p1](T v) { return v > p1 ? v : M::softplus(v); });
      else map([p0, p1](T v) { return v * p0 > p1 ? v : M::softplus(v * p0) / p0; });
      break;
    case UnaryOp::Erf: map([](T v) { return M::erf(v); }); break;
    case UnaryOp::Log1p: map([](T v) { return M::log1p(v); }); break;
  }
}

ANN_KERNEL void unary_kernel_body(UnaryOp op, DType dtype, const void* x, void* y, int64_t n, double p0, double p1) {
  if (dtype == DType::Float64) {
    unary_typed<double, Float64Math>(op, static_cast<const double*>(x), static_cast<double*>(y), n, p0, p1);
  } else {
    unary_typed<float, Float32Math>(op, static_cast<const float*>(x), static_cast<float*>(y), n,
                                    static_cast<float>(p0), static_cast<float>(p1));
  }
}
ANN_DISPATCH_FLATTENED(unary_kernel)  // M::exp and the like are passed as functions

// z ← z + b: an affine layer's bias. It is added row by row; a row narrower than a vector is
// added through a block of 16 rows at once, against the bias repeated 16 times (each element
// still gets z + b[column], the same sum).
ANN_KERNEL void add_bias_kernel_body(float* z, const float* b, int64_t m, int64_t n) {
  if (n < 16) {
    constexpr int64_t kRows = 16;
    float repeated[kRows * 16];
    for (int64_t k = 0; k < kRows * n; ++k) repeated[k] = b[k % n];
    int64_t r = 0;
    for (; r + kRows <= m; r += kRows) {
      float* block = z + r * n;
      for (int64_t k = 0; k < kRows * n; ++k) block[k] += repeated[k];
    }
    for (int64_t k = 0; k < (m - r) * n; ++k) z[r * n + k] += repeated[k];
    return;
  }
  for (int64_t r = 0; r < m; ++r) {
    float* row = z + r * n;
    for (int64_t i = 0; i < n; ++i) row[i] += b[i];
  }
}
ANN_DISPATCH(add_bias_kernel)

// dz = dy ⊙ f'(y) from the output y, for the activations whose derivative activations.h writes
// so (the derivative of unary's ReLU, Tanh, Sigmoid and ELU ops too), and LeakyReLU with a slope
// >= 0, whose y keeps x's sign: the same values as its derivative from x.
ANN_KERNEL void output_derivative_kernel_body(UnaryOp f, const float* y, const float* dy, float* dz, int64_t n,
                                              float p0) {
  switch (f) {
    case UnaryOp::Relu: for (int64_t i = 0; i < n; ++i) dz[i] = relu_grad(y[i], dy[i]); break;
    case UnaryOp::Tanh: for (int64_t i = 0; i < n; ++i) dz[i] = tanh_grad(y[i], dy[i]); break;
    case UnaryOp::Sigmoid: for (int64_t i = 0; i < n; ++i) dz[i] = sigmoid_grad(y[i], dy[i]); break;
    case UnaryOp::Elu: for (int64_t i = 0; i < n; ++i) dz[i] = elu_grad(y[i], dy[i], p0); break;
    case UnaryOp::LeakyRelu: for (int64_t i = 0; i < n; ++i) dz[i] = y[i] > 0.f ? dy[i] : dy[i] * p0; break;
    default: break;
  }
}
ANN_DISPATCH(output_derivative_kernel)

// sums[i] += Σ_rows dz[r, i] for `rows` rows of `width` columns (leading dimension ld), in
// double, rows in order, as sum_rows: db's sums, a block of rows at a time.
ANN_KERNEL void bias_gradient_kernel_body(const float* __restrict dz, int64_t ld, int64_t rows, int64_t width,
                                          double* __restrict sums) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = dz + r * ld;
    for (int64_t i = 0; i < width; ++i) sums[i] += row[i];
  }
}
ANN_DISPATCH(bias_gradient_kernel)

// f'(x) of the activations whose derivative is no function of their output (and LeakyReLU's),
// each the composition of src/ops/elementwise.cpp's unary_derivative in its order (whose 0/1
// masks multiply to exactly dy or drop out, as the slope 1 here): `out(i, f'(x_i), f(x_i))` for
// each i, f(x_i) rounded as unary computes it, from the work they share, where kValue (else 0).
template <bool kValue, class Out>
ANN_KERNEL void map_slopes(UnaryOp op, const float* x, int64_t n, float p0, float p1, Out out) {
  auto map = [&](auto&& f) {
    for (int64_t i = 0; i < n; ++i) f(i, x[i]);
  };
  switch (op) {
    case UnaryOp::LeakyRelu:  // 1, else the slope
      map([&](int64_t i, float v) { out(i, v > 0.f ? 1.f : p0, kValue ? leaky_relu_of(v, p0) : 0.f); });
      break;
    case UnaryOp::Elu:  // 1, else α eˣ (α < 0); eˣ as unary's where x <= 0
      map([&](int64_t i, float v) {
        const float e = vmath::exp(std::min(v, 0.f));
        out(i, v > 0.f ? 1.f : e * p0, kValue ? (v > 0.f ? v : (e - 1.f) * p0) : 0.f);
      });
      break;
    case UnaryOp::Gelu: {  // Φ(x) + x φ(x), φ(x) = e^(−a²)/√(2π) with a = x/√2 rounded, erf's own
      constexpr float pdf_scale = static_cast<float>(M_2_SQRTPI * M_SQRT1_2 * 0.5);  // 1/√(2π)
      map_gelu_chunks<true>(x, n, [x, &out](int64_t i, float erf, float gaussian) {
        const float cdf = (erf + 1.f) * 0.5f;
        out(i, cdf + x[i] * (gaussian * pdf_scale), kValue ? x[i] * 0.5f * (1.f + erf) : 0.f);
      });
      break;
    }
    case UnaryOp::Silu:  // σ + y (1 − σ), y = x σ
      map([&](int64_t i, float v) {
        const float s = sigmoid_of(v), y = v * s;
        out(i, silu_slope(s, y), y);
      });
      break;
    case UnaryOp::Softplus: {
      // σ(βx), 1 past the threshold, from softplus's own s = e^(−|βx|): 1/(1 + s) for βx >= 0 (as
      // 1/(1 + e^(−βx))), s/(1 + s) below (torch's z/(z + 1) with z = e^(βx)); no exponential of
      // its own. The value as unary's, β = 1 without its multiply and division.
      const auto slope = [p1](float scaled, float s) {
        return scaled > p1 ? 1.f : (scaled >= 0.f ? 1.f : s) / (1.f + s);
      };
      if (p0 == 1.f) {
        map([&](int64_t i, float v) {
          float s;
          const float value = vmath::softplus_with_exp(v, s);
          out(i, slope(v, s), v > p1 ? v : value);
        });
      } else {
        map([&](int64_t i, float v) {
          const float scaled = v * p0;
          float s;
          const float value = vmath::softplus_with_exp(scaled, s);
          out(i, slope(scaled, s), kValue ? (scaled > p1 ? v : value / p0) : 0.f);
        });
      }
      break;
    }
    default: break;
  }
}

// dx = dy · f'(x), from x.
ANN_KERNEL void unary_derivative_kernel_body(UnaryOp op, const float* x, const float* dy, float* dx, int64_t n,
                                             float p0, float p1) {
  map_slopes<false>(op, x, n, p0, p1, [dy, dx](int64_t i, float slope, float) { dx[i] = dy[i] * slope; });
}
ANN_DISPATCH_FLATTENED(unary_derivative_kernel)

// h = f(z) and z ← f'(z), what a fused layer keeps (backend.h's Kept::Slope).
ANN_KERNEL void slope_keeping_kernel_body(UnaryOp op, float* z, float* h, int64_t n, float p0, float p1) {
  map_slopes<true>(op, z, n, p0, p1, [z, h](int64_t i, float slope, float value) {
    h[i] = value;
    z[i] = slope;
  });
}
ANN_DISPATCH_FLATTENED(slope_keeping_kernel)

// dz = dy ⊙ f'(z) from the slope kept: unary_derivative_kernel's last multiply.
ANN_KERNEL void slope_product_kernel_body(const float* slope, const float* dy, float* dz, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dz[i] = dy[i] * slope[i];
}
ANN_DISPATCH(slope_product_kernel)

}  // namespace

// The entries below split their elements among the threads (parallel.h): each element is
// computed alone, so any split gives the same values; the bias's column sums are split by columns.

void unary_float_here(UnaryOp op, const float* x, float* y, int64_t n, double p0, double p1) {
  unary_kernel(op, DType::Float32, x, y, n, p0, p1);
}

void squash_keeping_here(const Squash& f, float* z, float* h, int64_t n) {
  slope_keeping_kernel(f.op, z, h, n, static_cast<float>(f.p0), static_cast<float>(f.p1));
}

// By what is kept, each rounding as unary's derivative: the slope (one multiply), the output
// (output_derivative_kernel: backend.h's derivative_from_output says for which f), or the input.
void squash_derivative_here(const Squash& f, Kept what, const float* kept, const float* dy, float* dz, int64_t n) {
  switch (what) {
    case Kept::Slope: slope_product_kernel(kept, dy, dz, n); break;
    case Kept::Output: output_derivative_kernel(f.op, kept, dy, dz, n, static_cast<float>(f.p0)); break;
    case Kept::Input:
      unary_derivative_kernel(f.op, kept, dy, dz, n, static_cast<float>(f.p0), static_cast<float>(f.p1));
      break;
  }
}

void squash_derivative_block(const Squash& f, Kept what, const float* kept, const float* dy, int64_t n, int64_t r0,
                             int64_t rows, int64_t first, int64_t width, float* dz, int64_t ldz) {
  if (width == n && ldz == n) {
    squash_derivative_here(f, what, kept + r0 * n, dy + r0 * n, dz, rows * n);
    return;
  }
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t at = (r0 + r) * n + first;
    squash_derivative_here(f, what, kept + at, dy + at, dz + r * ldz, width);
  }
}

void unary(UnaryOp op, DType dtype, const void* x, void* y, int64_t n, double p0, double p1) {
  const std::size_t size = element_size(dtype);
  parallel_for(n, [&](int64_t begin, int64_t end) {
    unary_kernel(op, dtype, static_cast<const char*>(x) + begin * size, static_cast<char*>(y) + begin * size,
                 end - begin, p0, p1);
  });
}

void binary(BinaryOp op, DType dtype, const void* a, const Shape& a_strides, const void* b, const Shape& b_strides,
            void* out, const Shape& sizes) {
  auto runs = [&](auto&& f) { for_each_inner_run(sizes, a_strides, b_strides, f); };
  switch (dtype) {
    case DType::Int64: binary_typed(op, static_cast<const int64_t*>(a), static_cast<const int64_t*>(b), out, runs); break;
    case DType::Float64: binary_typed(op, static_cast<const double*>(a), static_cast<const double*>(b), out, runs); break;
    default: binary_typed(op, static_cast<const float*>(a), static_cast<const float*>(b), out, runs); break;
  }
}

void binary_contiguous(BinaryOp op, DType dtype, const void* a, const void* b, void* out, int64_t n) {
  const std::size_t size = element_size(dtype), out_size = is_comparison(op) ? element_size(DType::Bool) : size;
  parallel_for(n, [&](int64_t begin, int64_t end) {
    binary_contiguous_kernel(op, dtype, static_cast<const char*>(a) + begin * size,
                             static_cast<const char*>(b) + begin * size, static_cast<char*>(out) + begin * out_size,
                             end - begin);
  });
}

void bias_activation(float* z, float* h, const float* b, int64_t m, int64_t n, const Squash& f) {
  // whole rows per part: row parts of about kMinParallelElements values or more, multiples of 16
  // rows; within a part, blocks of about 64 KiB of rows, f on each block right after its bias,
  // while it is in cache. (A part is megabytes where z is: on a VM of 12 GB/s, the bias and f
  // as two passes over each part took a third of 3-1709-46-347-5's step.)
  if (m <= 0 || n <= 0) return;
  const int64_t parts = part_count(m, m * n, kMinParallelElements, 16);
  const int64_t block = rows_per_cache_block(n);
  run_parts(parts, [&](int64_t p) {
    const int64_t first = part_begin(p, parts, m, 16), end = part_begin(p + 1, parts, m, 16);
    for (int64_t r0 = first; r0 < end; r0 += block) {
      const int64_t count = std::min(block, end - r0);
      if (b) add_bias_kernel(z + r0 * n, b, count, n);
      if (!f.applies) continue;
      if (h == z) unary_kernel(f.op, DType::Float32, z + r0 * n, z + r0 * n, count * n, f.p0, f.p1);
      else squash_keeping_here(f, z + r0 * n, h + r0 * n, count * n);
    }
  });
}

namespace {
// db[i] = Σ_rows source[r, i] for the columns [first, first + width), rows [0, m), in blocks of
// `block` rows; where `make_dz`, each block of dz is made first (the derivative of those rows'
// columns), then summed while in cache.
void bias_gradient_of_columns(const float* kept, Kept what, const float* dy, float* dz, float* db, int64_t m, int64_t n,
                              const Squash& f, int64_t first, int64_t width, int64_t block, bool make_dz) {
  thread_local std::vector<double> sums;  // (each worker's own)
  sums.assign(static_cast<std::size_t>(width), 0.0);
  const float* const source = f.applies ? dz : dy;
  for (int64_t r0 = 0; r0 < m; r0 += block) {
    const int64_t rows = std::min(block, m - r0);
    if (make_dz) squash_derivative_block(f, what, kept, dy, n, r0, rows, first, width, dz + r0 * n + first, n);
    bias_gradient_kernel(source + r0 * n + first, n, rows, width, sums.data());
  }
  for (int64_t i = 0; i < width; ++i) db[first + i] = static_cast<float>(sums[static_cast<std::size_t>(i)]);
}
}  // namespace

void activation_backward_bias(const float* kept, Kept what, const float* dy, float* dz, float* db, int64_t m, int64_t n,
                              const Squash& f) {
  // dz and db in one pass over dy and kept: a block of rows (about 64 KiB of dz) made, then summed
  // while in cache, instead of a second pass over all of dz (3626 × 1709, ReLU, one thread: 1.2×).
  // Columns cut among the threads, no more parts than threads; each db[i] sums its column's rows
  // in order whatever the cut. Where a part's rows would be short (a call of the derivative each)
  // the derivative runs over all elements first, and the sums on one thread after.
  const int64_t parts = std::min<int64_t>(threads(), part_count(n, m * n, kMinParallelElements, 16));
  if (!db || (parts > 1 && n / parts < 256)) {
    if (f.applies) {
      parallel_for(m * n, [&](int64_t begin, int64_t end) {
        squash_derivative_here(f, what, kept + begin, dy + begin, dz + begin, end - begin);
      });
    }
    if (db) bias_gradient_of_columns(kept, what, dy, dz, db, m, n, f, 0, n, std::max<int64_t>(m, 1), false);
    return;
  }
  run_parts(parts, [&](int64_t p) {
    const int64_t first = part_begin(p, parts, n, 16), width = part_begin(p + 1, parts, n, 16) - first;
    const int64_t block = std::min<int64_t>(rows_per_cache_block(width), 256);
    bias_gradient_of_columns(kept, what, dy, dz, db, m, n, f, first, width, block, f.applies);
  });
}

}  // namespace ann::backend::cpu
