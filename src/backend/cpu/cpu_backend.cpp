#include "backend/cpu/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

#include "backend/cpu/activations.h"
#include "backend/cpu/argmax.h"
#include "backend/cpu/block_cache.h"
#include "backend/cpu/cross_entropy.h"
#include "backend/cpu/narrow_mlp.h"
#include "backend/cpu/sgemm.h"
#include "backend/cpu/simd.h"

namespace ann::backend {
namespace {

using std::int64_t;

// Calls f(a_offset, b_offset, out_index, inner_len, a_inner_stride, b_inner_stride) for each
// run of the innermost dimension of `sizes`, walking the outer dimensions like an odometer.
// The same iteration space with dimensions of size 1 dropped and neighbours merged where both
// operands step through them as one (the output is contiguous): a [100, 1] column becomes one
// run of 100, not 100 runs of 1; a contiguous [3000, 3] one run of 9000.
struct Coalesced {
  Shape sizes, a_strides, b_strides;
};
inline Coalesced coalesce(const Shape& sizes, const Shape& a_strides, const Shape& b_strides) {
  Coalesced c;
  for (std::size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 1) continue;
    if (!c.sizes.empty() && c.a_strides.back() == a_strides[d] * sizes[d] &&
        c.b_strides.back() == b_strides[d] * sizes[d]) {
      c.sizes.back() *= sizes[d];
      c.a_strides.back() = a_strides[d];
      c.b_strides.back() = b_strides[d];
    } else {
      c.sizes.push_back(sizes[d]);
      c.a_strides.push_back(a_strides[d]);
      c.b_strides.push_back(b_strides[d]);
    }
  }
  return c;
}

template <class F>
void for_each_inner_run(const Shape& full_sizes, const Shape& full_a_strides, const Shape& full_b_strides, F&& f) {
  for (int64_t n : full_sizes)
    if (n == 0) return;
  const Coalesced c = coalesce(full_sizes, full_a_strides, full_b_strides);
  const Shape& sizes = c.sizes;
  const Shape& a_strides = c.a_strides;
  const Shape& b_strides = c.b_strides;
  const std::size_t rank = sizes.size();
  if (rank == 0) {
    f(int64_t{0}, int64_t{0}, int64_t{0}, int64_t{1}, int64_t{0}, int64_t{0});
    return;
  }
  const int64_t inner = sizes[rank - 1];
  int64_t outer = 1;
  for (std::size_t d = 0; d + 1 < rank; ++d) outer *= sizes[d];
  if (inner == 0 || outer == 0) return;
  Shape counter(rank, 0);
  int64_t a_off = 0, b_off = 0;
  for (int64_t run = 0; run < outer; ++run) {
    f(a_off, b_off, run * inner, inner, a_strides[rank - 1], b_strides[rank - 1]);
    for (std::size_t d = rank - 1; d-- > 0;) {
      if (++counter[d] < sizes[d]) {
        a_off += a_strides[d];
        b_off += b_strides[d];
        break;
      }
      a_off -= a_strides[d] * (sizes[d] - 1);
      b_off -= b_strides[d] * (sizes[d] - 1);
      counter[d] = 0;
    }
  }
}

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
    default: break;
  }
}

// Sum over the middle of [outer, n, inner] with inner > 1: walk rows in memory order, adding
// each row into a row of double accumulators (contiguous, so it vectorises; columnwise
// walks miss the cache on tall matrices like the [3000, 100] bias gradient).
ANN_KERNEL void sum_rows_body(const float* x, float* out, int64_t outer, int64_t n, int64_t inner) {
  std::vector<double> acc(static_cast<std::size_t>(inner));
  for (int64_t o = 0; o < outer; ++o) {
    std::fill(acc.begin(), acc.end(), 0.0);
    const float* block = x + o * n * inner;
    for (int64_t j = 0; j < n; ++j) {
      const float* row = block + j * inner;
      for (int64_t i = 0; i < inner; ++i) acc[static_cast<std::size_t>(i)] += row[i];
    }
    for (int64_t i = 0; i < inner; ++i) out[o * inner + i] = static_cast<float>(acc[static_cast<std::size_t>(i)]);
  }
}
ANN_DISPATCH(sum_rows)

// Σ of n contiguous floats in double: eight running sums (lane l takes elements l, l + 8, ...)
// added pairwise at the end, always in the same order. Independent lanes vectorise; one running
// sum was a chain of dependent additions (the lesson's mean loss over 3000 rows).
// value(j) gives the j-th float; sum_contiguous and squared_error_kernel add theirs alike.
template <class Value>
__attribute__((always_inline)) inline double sum_in_lanes(int64_t n, Value value) {
  constexpr int kLanes = 8;
  double lane[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) lane[l] += value(j + l);
  for (int l = 0; j < n; ++j, ++l) lane[l] += value(j);
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l) lane[l] += lane[l + width];
  return lane[0];
}
__attribute__((always_inline)) inline double sum_contiguous(const float* p, int64_t n) {
  return sum_in_lanes(n, [p](int64_t j) { return p[j]; });
}

// diff = a − b and Σ diff² in one pass; the squares are rounded to float before they are added,
// so the sum is bit for bit sum(diff * diff).
ANN_KERNEL double squared_error_kernel_body(const float* a, const float* b, float* diff, int64_t n) {
  return sum_in_lanes(n, [=](int64_t j) {
    diff[j] = a[j] - b[j];
    return diff[j] * diff[j];
  });
}
ANN_DISPATCH(squared_error_kernel)

// How many of n bools are true (an accuracy's hits): bytes added into 32 bits vectorise, where
// into 64 bits they did not (3 % of the spiral's epoch).
__attribute__((always_inline)) inline int64_t count_true(const bool* p, int64_t n) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(p);
  int64_t count = 0;
  constexpr int64_t kChunk = int64_t{1} << 24;  // a chunk's count fits 32 bits
  for (int64_t j0 = 0; j0 < n; j0 += kChunk) {
    const int64_t end = std::min(n, j0 + kChunk);
    std::uint32_t part = 0;
    for (int64_t j = j0; j < end; ++j) part += bytes[j];
    count += part;
  }
  return count;
}

// The index of the first maximum of p[0], p[stride], ... p[(n−1)·stride], or of the first NaN (as
// torch.argmax). Without branches: which class wins is data, and a mispredicted branch per row
// cost more than the comparisons.
template <class T>
__attribute__((always_inline)) inline int64_t argmax_of(const T* p, int64_t n, int64_t stride) {
  int64_t best_j = 0;
  T best = p[0];
  for (int64_t j = 1; j < n; ++j) {
    const T v = p[j * stride];
    const bool take = (v > best) | ((v != v) & (best == best));
    best = take ? v : best;
    best_j = take ? j : best_j;
  }
  return best_j;
}

template <class T>
__attribute__((always_inline)) inline void reduce_typed(ReduceOp op, const T* x, void* out_raw, int64_t outer,
                                                        int64_t n, int64_t inner) {
  if constexpr (std::is_same_v<T, float>) {
    if (op == ReduceOp::Sum && inner > 1) return sum_rows(x, static_cast<float*>(out_raw), outer, n, inner);
    if (op == ReduceOp::ArgMax && inner == 1 && n >= 2 && n <= kArgmaxShortRowsMax)
      return argmax_short_rows(x, static_cast<int64_t*>(out_raw), outer, n);
  }
  // One loop nest per op (the op chosen once, not per output element).
  auto each_output = [&](auto&& reduce_one) {
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) reduce_one(x + o * n * inner + i, o * inner + i);
  };
  switch (op) {
    case ReduceOp::Sum:
      each_output([&](const T* p, int64_t dst) {
        if constexpr (std::is_same_v<T, float>) {
          // double accumulation keeps long sums exact to float precision
          static_cast<float*>(out_raw)[dst] = static_cast<float>(sum_contiguous(p, n));  // inner is 1 here
        } else {
          int64_t acc = 0;
          if (inner == 1) {  // a contiguous loop vectorises
            if constexpr (std::is_same_v<T, bool>) acc = count_true(p, n);
            else
              for (int64_t j = 0; j < n; ++j) acc += static_cast<int64_t>(p[j]);
          } else {
            for (int64_t j = 0; j < n; ++j) acc += static_cast<int64_t>(p[j * inner]);
          }
          static_cast<int64_t*>(out_raw)[dst] = acc;
        }
      });
      break;
    case ReduceOp::Max:
    case ReduceOp::Min:
      each_output([&](const T* p, int64_t dst) {
        T best = p[0];
        for (int64_t j = 1; j < n; ++j) {
          const T v = p[j * inner];
          // NaN propagates, as in torch.max
          if (std::isnan(static_cast<double>(v))) { best = v; break; }
          if (op == ReduceOp::Max ? v > best : v < best) best = v;
        }
        static_cast<T*>(out_raw)[dst] = best;
      });
      break;
    case ReduceOp::ArgMax:
      each_output([&](const T* p, int64_t dst) { static_cast<int64_t*>(out_raw)[dst] = argmax_of(p, n, inner); });
      break;
  }
}

ANN_KERNEL void reduce_kernel_body(ReduceOp op, DType dtype, const void* x, void* out, int64_t outer, int64_t n,
                                   int64_t inner) {
  switch (dtype) {
    case DType::Float32: reduce_typed(op, static_cast<const float*>(x), out, outer, n, inner); break;
    case DType::Int64: reduce_typed(op, static_cast<const int64_t*>(x), out, outer, n, inner); break;
    case DType::Bool: reduce_typed(op, static_cast<const bool*>(x), out, outer, n, inner); break;
  }
}
ANN_DISPATCH(reduce_kernel)

// Flattened: the lambdas of binary_typed are functions of their own, compiled for the baseline
// ISA unless inlined into each level's copy.
ANN_KERNEL void binary_contiguous_kernel_body(BinaryOp op, DType dtype, const void* a, const void* b, void* out,
                                              int64_t n) {
  auto one_run = [&](auto&& f) { f(0, 0, 0, n, 1, 1); };
  if (dtype == DType::Int64) {
    binary_typed(op, static_cast<const int64_t*>(a), static_cast<const int64_t*>(b), out, one_run);
  } else {
    binary_typed(op, static_cast<const float*>(a), static_cast<const float*>(b), out, one_run);
  }
}
ANN_DISPATCH_FLATTENED(binary_contiguous_kernel)

// One pass that vectorises (every epoch checks every label: a count, as GCC does not vectorise
// an OR of bools; unsigned, a negative value is above any bound), then a second to find which.
ANN_KERNEL int64_t first_outside_kernel_body(const int64_t* v, int64_t n, int64_t bound) {
  int64_t outside = 0;
  for (int64_t i = 0; i < n; ++i) outside += static_cast<std::uint64_t>(v[i]) >= static_cast<std::uint64_t>(bound);
  if (outside == 0) return -1;
  for (int64_t i = 0; i < n; ++i)
    if (v[i] < 0 || v[i] >= bound) return i;
  return -1;
}
ANN_DISPATCH(first_outside_kernel)

ANN_KERNEL void unary_kernel_body(UnaryOp op, const float* x, float* y, int64_t n, float p0, float p1) {
  auto map = [&](auto&& f) {
    for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
  };
  switch (op) {
    case UnaryOp::Neg: map([](float v) { return -v; }); break;
    case UnaryOp::Exp: map(vmath::exp); break;
    case UnaryOp::Log: map(vmath::log); break;
    case UnaryOp::Sqrt: map([](float v) { return std::sqrt(v); }); break;
    case UnaryOp::Abs: map([](float v) { return std::fabs(v); }); break;
    case UnaryOp::Relu: map(relu_of); break;
    case UnaryOp::Tanh: map(tanh_of); break;
    case UnaryOp::Sigmoid: map(sigmoid_of); break;
    case UnaryOp::Pow:
      // small integer and half exponents as torch's pow kernel computes them (x·x·x, not powf)
      if (p0 == 2.f) map([](float v) { return v * v; });
      else if (p0 == 3.f) map([](float v) { return v * v * v; });
      else if (p0 == 0.5f) map([](float v) { return std::sqrt(v); });
      else if (p0 == -1.f) map([](float v) { return 1.f / v; });
      else map([p0](float v) { return std::pow(v, p0); });
      break;
    case UnaryOp::Clamp: map([p0, p1](float v) { return std::min(std::max(v, p0), p1); }); break;
    case UnaryOp::Scale: map([p0](float v) { return v * p0; }); break;
  }
}
ANN_DISPATCH(unary_kernel)

ANN_KERNEL void unary_backward_kernel_body(UnaryOp op, const float* x, const float* y, const float* dy, float* dx,
                                           int64_t n, float p0, float p1) {
  auto map = [&](auto&& f) {
    for (int64_t i = 0; i < n; ++i) dx[i] = f(x[i], y[i], dy[i]);
  };
  switch (op) {
    // y = -x                 dy/dx = -1
    case UnaryOp::Neg: map([](float, float, float g) { return -g; }); break;
    // y = exp(x)             dy/dx = y
    case UnaryOp::Exp: map([](float, float v, float g) { return g * v; }); break;
    // y = log(x)             dy/dx = 1/x
    case UnaryOp::Log: map([](float u, float, float g) { return g / u; }); break;
    // y = sqrt(x)            dy/dx = 1/(2y)
    case UnaryOp::Sqrt: map([](float, float v, float g) { return g / (2.f * v); }); break;
    // y = |x|                dy/dx = sign(x), 0 at 0 (as torch)
    case UnaryOp::Abs: map([](float u, float, float g) { return u > 0.f ? g : (u < 0.f ? -g : 0.f); }); break;
    // y = max(x, 0)          dy/dx = [x > 0]
    case UnaryOp::Relu: map([](float, float v, float g) { return relu_grad(v, g); }); break;
    // y = tanh(x)            dy/dx = 1 - y²
    case UnaryOp::Tanh: map([](float, float v, float g) { return tanh_grad(v, g); }); break;
    // y = 1/(1+e^-x)         dy/dx = y(1 - y)
    case UnaryOp::Sigmoid: map([](float, float v, float g) { return sigmoid_grad(v, g); }); break;
    // y = x^p                dy/dx = p x^(p-1)
    case UnaryOp::Pow:
      map([p0](float u, float, float g) { return p0 == 0.f ? 0.f : g * p0 * std::pow(u, p0 - 1.f); });
      break;
    // y = clamp(x, lo, hi)   dy/dx = [lo <= x <= hi]
    case UnaryOp::Clamp: map([p0, p1](float u, float, float g) { return (u >= p0 && u <= p1) ? g : 0.f; }); break;
    // y = c x                dy/dx = c
    case UnaryOp::Scale: map([p0](float, float, float g) { return g * p0; }); break;
  }
}
ANN_DISPATCH(unary_backward_kernel)

// The hyper-parameters are copied in: read through a reference they might alias the float
// arrays, and would be reloaded every element.
ANN_KERNEL void sgd_kernel_body(const SgdStep& step, float* param, const float* grad, float* buf, int64_t n) {
  const SgdStep h = step;
  for (int64_t i = 0; i < n; ++i) {
    float g = grad[i];
    if (h.weight_decay != 0.f) g += h.weight_decay * param[i];             // g = ∇θ + λθ
    if (h.momentum != 0.f) {
      buf[i] = h.first_step ? g : buf[i] * h.momentum + h.one_minus_dampening * g;  // b = μb + (1−τ)g
      g = h.nesterov ? g + h.momentum * buf[i] : buf[i];                   // g = g + μb | b
    }
    param[i] -= h.lr * g;                                                  // θ = θ − lr·g
  }
}
ANN_DISPATCH(sgd_kernel)

ANN_KERNEL void adam_kernel_body(const AdamStep& step, float* param, const float* grad, float* m, float* v,
                                 int64_t n) {
  const AdamStep h = step;
  for (int64_t i = 0; i < n; ++i) {
    param[i] *= h.decay_factor;                                            // AdamW: θ = θ(1 − lr·λ)
    const float g = grad[i] + h.weight_decay * param[i];                   // Adam: g = ∇θ + λθ
    m[i] = m[i] * h.beta1 + h.one_minus_beta1 * g;                         // first moment
    v[i] = v[i] * h.beta2 + h.one_minus_beta2 * g * g;                     // second moment
    const float denom = std::sqrt(v[i]) / h.bias_correction2_sqrt + h.eps;  // √v̂ + eps, as torch orders it
    param[i] -= h.step_size * (m[i] / denom);                              // θ = θ − lr/(1−β1ᵗ) · m/denom
  }
}
ANN_DISPATCH(adam_kernel)

// y = f(y + b), row by row: the epilogue of an affine layer.
ANN_KERNEL void bias_activation_kernel_body(float* y, const float* b, int64_t m, int64_t n, Activation f) {
  for (int64_t r = 0; r < m; ++r) {
    float* row = y + r * n;
    if (b) for (int64_t i = 0; i < n; ++i) row[i] += b[i];
    switch (f) {
      case Activation::ReLU: for (int64_t i = 0; i < n; ++i) row[i] = relu_of(row[i]); break;
      case Activation::Tanh: for (int64_t i = 0; i < n; ++i) row[i] = tanh_of(row[i]); break;
      case Activation::Sigmoid: for (int64_t i = 0; i < n; ++i) row[i] = sigmoid_of(row[i]); break;
      case Activation::None: break;
    }
  }
}
ANN_DISPATCH(bias_activation_kernel)

// dz = dy ⊙ f'(y) and db = Σ_rows dz, in one pass (db in double, rows in order, as sum_rows).
ANN_KERNEL void activation_backward_bias_kernel_body(const float* y, const float* dy, float* dz, float* db,
                                                     int64_t m, int64_t n, Activation f) {
  std::vector<double> acc(db ? static_cast<std::size_t>(n) : 0, 0.0);
  for (int64_t r = 0; r < m; ++r) {
    const float* yr = y + r * n;
    const float* gr = dy + r * n;
    float* zr = dz + r * n;
    switch (f) {
      case Activation::ReLU: for (int64_t i = 0; i < n; ++i) zr[i] = relu_grad(yr[i], gr[i]); break;
      case Activation::Tanh: for (int64_t i = 0; i < n; ++i) zr[i] = tanh_grad(yr[i], gr[i]); break;
      case Activation::Sigmoid: for (int64_t i = 0; i < n; ++i) zr[i] = sigmoid_grad(yr[i], gr[i]); break;
      case Activation::None: for (int64_t i = 0; i < n; ++i) zr[i] = gr[i]; break;
    }
    if (db) for (int64_t i = 0; i < n; ++i) acc[static_cast<std::size_t>(i)] += zr[i];
  }
  for (std::size_t i = 0; i < acc.size(); ++i) db[i] = static_cast<float>(acc[i]);
}
ANN_DISPATCH(activation_backward_bias_kernel)

class CpuBackend final : public Backend {
 public:
  void* allocate(std::size_t nbytes) const override { return cache_.allocate(nbytes); }
  void deallocate(void* ptr, std::size_t nbytes) const override { cache_.release(ptr, nbytes); }

  void copy_strided(void* dst, const void* src, const Shape& sizes, const Shape& strides,
                    std::size_t elem_size) const override {
    auto* out = static_cast<std::byte*>(dst);
    const auto* in = static_cast<const std::byte*>(src);
    const Shape zero(sizes.size(), 0);
    for_each_inner_run(sizes, strides, zero, [&](int64_t ao, int64_t, int64_t oo, int64_t len, int64_t sa, int64_t) {
      if (sa == 1) {
        std::memcpy(out + oo * elem_size, in + ao * elem_size, static_cast<std::size_t>(len) * elem_size);
      } else {
        for (int64_t i = 0; i < len; ++i)
          std::memcpy(out + (oo + i) * elem_size, in + (ao + i * sa) * elem_size, elem_size);
      }
    });
  }

  void fill(void* dst, DType dtype, int64_t n, double value) const override {
    switch (dtype) {
      case DType::Float32: std::fill_n(static_cast<float*>(dst), n, static_cast<float>(value)); break;
      case DType::Int64: std::fill_n(static_cast<int64_t*>(dst), n, static_cast<int64_t>(value)); break;
      case DType::Bool: std::fill_n(static_cast<bool*>(dst), n, value != 0.0); break;
    }
  }

  void cast(const void* src, DType from, void* dst, DType to, int64_t n) const override {
    auto convert = [&](const auto* in) {
      switch (to) {
        case DType::Float32: std::transform(in, in + n, static_cast<float*>(dst), [](auto v) { return static_cast<float>(v); }); break;
        case DType::Int64: std::transform(in, in + n, static_cast<int64_t*>(dst), [](auto v) { return static_cast<int64_t>(v); }); break;
        case DType::Bool: std::transform(in, in + n, static_cast<bool*>(dst), [](auto v) { return v != 0; }); break;
      }
    };
    switch (from) {
      case DType::Float32: convert(static_cast<const float*>(src)); break;
      case DType::Int64: convert(static_cast<const int64_t*>(src)); break;
      case DType::Bool: convert(static_cast<const bool*>(src)); break;
    }
  }

  void unary(UnaryOp op, const float* x, float* y, int64_t n, float p0, float p1) const override {
    unary_kernel(op, x, y, n, p0, p1);
  }

  void unary_backward(UnaryOp op, const float* x, const float* y, const float* dy, float* dx, int64_t n, float p0,
                      float p1) const override {
    unary_backward_kernel(op, x, y, dy, dx, n, p0, p1);
  }

  void bias_activation(float* y, const float* b, int64_t m, int64_t n, Activation f) const override {
    bias_activation_kernel(y, b, m, n, f);
  }

  void activation_backward_bias(const float* y, const float* dy, float* dz, float* db, int64_t m, int64_t n,
                                Activation f) const override {
    activation_backward_bias_kernel(y, dy, dz, db, m, n, f);
  }

  // A kernel's scratch block, from the block cache: malloc serves blocks this size from its
  // slower bins, every step.
  struct Scratch {
    const CpuBackend& backend;
    std::size_t bytes;
    void* block = bytes ? backend.allocate(bytes) : nullptr;
    ~Scratch() {
      if (block) backend.deallocate(block, bytes);
    }
  };

  void narrow_mlp_forward(const NarrowMlp& p, const float* x, float* y, float* h) const override {
    const Scratch scratch{*this, narrow_mlp_forward_scratch_bytes(p, h != nullptr)};
    narrow_mlp_forward_cpu(p, x, y, h, scratch.block);
  }

  void narrow_mlp_backward(const NarrowMlp& p, const float* x, const float* h, const float* dy,
                           const NarrowMlpGrads& grads) const override {
    const Scratch scratch{*this, narrow_mlp_backward_scratch_bytes(p)};
    narrow_mlp_backward_cpu(p, x, h, dy, grads, scratch.block);
  }

  void binary(BinaryOp op, DType dtype, const void* a, const Shape& as, const void* b, const Shape& bs, void* out,
              const Shape& sizes) const override {
    auto runs = [&](auto&& f) { for_each_inner_run(sizes, as, bs, f); };
    if (dtype == DType::Int64) {
      binary_typed(op, static_cast<const int64_t*>(a), static_cast<const int64_t*>(b), out, runs);
    } else {
      binary_typed(op, static_cast<const float*>(a), static_cast<const float*>(b), out, runs);
    }
  }

  void binary_contiguous(BinaryOp op, DType dtype, const void* a, const void* b, void* out, int64_t n) const override {
    binary_contiguous_kernel(op, dtype, a, b, out, n);
  }

  int64_t first_outside(const int64_t* v, int64_t n, int64_t bound) const override {
    return first_outside_kernel(v, n, bound);
  }

  void reduce(ReduceOp op, DType dtype, const void* x, void* out, int64_t outer, int64_t n,
              int64_t inner) const override {
    reduce_kernel(op, dtype, x, out, outer, n, inner);
  }

  void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
            const float* B, int64_t ldb, float beta, float* C, int64_t ldc) const override {
    if (K == 0) {  // BLAS rejects lda = 0; the product of empty matrices is 0
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.f ? 0.f : beta * C[i * ldc + j];
      return;
    }
    cpu::sgemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }

  void softmax(bool log, const float* x, float* y, int64_t outer, int64_t n, int64_t inner) const override {
    // softmax(x)_j = exp(x_j - max) / Σ_k exp(x_k - max); subtracting the max keeps exp finite.
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const float* px = x + o * n * inner + i;
        float* py = y + o * n * inner + i;
        float mx = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j < n; ++j) mx = std::max(mx, px[j * inner]);
        double total = 0.0;
        for (int64_t j = 0; j < n; ++j) total += std::exp(static_cast<double>(px[j * inner] - mx));
        if (log) {
          const float lse = static_cast<float>(std::log(total));
          for (int64_t j = 0; j < n; ++j) py[j * inner] = px[j * inner] - mx - lse;
        } else {
          const double inv = 1.0 / total;
          for (int64_t j = 0; j < n; ++j)
            py[j * inner] = static_cast<float>(std::exp(static_cast<double>(px[j * inner] - mx)) * inv);
        }
      }
    }
  }

  void softmax_backward(bool log, const float* y, const float* dy, float* dx, int64_t outer, int64_t n,
                        int64_t inner) const override {
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t base = o * n * inner + i;
        double s = 0.0;
        if (log) {
          // y = log softmax(x):  dx_j = dy_j - softmax_j Σ_k dy_k
          for (int64_t j = 0; j < n; ++j) s += dy[base + j * inner];
          for (int64_t j = 0; j < n; ++j)
            dx[base + j * inner] = dy[base + j * inner] - std::exp(y[base + j * inner]) * static_cast<float>(s);
        } else {
          // y = softmax(x):      dx_j = y_j (dy_j - Σ_k y_k dy_k)
          for (int64_t j = 0; j < n; ++j) s += static_cast<double>(y[base + j * inner]) * dy[base + j * inner];
          for (int64_t j = 0; j < n; ++j)
            dx[base + j * inner] = y[base + j * inner] * (dy[base + j * inner] - static_cast<float>(s));
        }
      }
    }
  }

  void index_select(const void* x, std::size_t elem_size, const int64_t* index, int64_t k, void* out,
                    int64_t outer, int64_t n, int64_t inner) const override {
    const auto* in = static_cast<const std::byte*>(x);
    auto* o = static_cast<std::byte*>(out);
    const std::size_t row = static_cast<std::size_t>(inner) * elem_size;
    for (int64_t b = 0; b < outer; ++b)
      for (int64_t j = 0; j < k; ++j)
        std::memcpy(o + (b * k + j) * row, in + (b * n + index[j]) * row, row);
  }

  void index_add(const float* dy, const int64_t* index, int64_t k, float* dx, int64_t outer, int64_t n,
                 int64_t inner) const override {
    for (int64_t b = 0; b < outer; ++b)
      for (int64_t j = 0; j < k; ++j)
        for (int64_t i = 0; i < inner; ++i) dx[(b * n + index[j]) * inner + i] += dy[(b * k + j) * inner + i];
  }

  void gather(const float* x, const int64_t* index, float* out, int64_t outer, int64_t n, int64_t k,
              int64_t inner) const override {
    for (int64_t b = 0; b < outer; ++b)
      for (int64_t j = 0; j < k; ++j)
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t at = (b * k + j) * inner + i;
          out[at] = x[(b * n + index[at]) * inner + i];
        }
  }

  void scatter_add(const float* dy, const int64_t* index, float* dx, int64_t outer, int64_t n, int64_t k,
                   int64_t inner) const override {
    for (int64_t b = 0; b < outer; ++b)
      for (int64_t j = 0; j < k; ++j)
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t at = (b * k + j) * inner + i;
          dx[(b * n + index[at]) * inner + i] += dy[at];
        }
  }

  void cross_entropy(const float* logits, const int64_t* target, float* loss, float* grad, int64_t m,
                     int64_t c) const override {
    cross_entropy_cpu(logits, target, loss, grad, m, c);
  }

  void cross_entropy_backward(const float* grad, const float* scale, bool per_row, float* dlogits, int64_t m,
                              int64_t c) const override {
    cross_entropy_backward_cpu(grad, scale, per_row, dlogits, m, c);
  }

  void sgd_step(const SgdStep& h, float* param, const float* grad, float* buf, int64_t n) const override {
    sgd_kernel(h, param, grad, buf, n);
  }

  double squared_error(const float* a, const float* b, float* diff, int64_t n) const override {
    return squared_error_kernel(a, b, diff, n);
  }

  void adam_step(const AdamStep& h, float* param, const float* grad, float* m, float* v, int64_t n) const override {
    adam_kernel(h, param, grad, m, v, n);
  }

 private:
  mutable cpu::BlockCache cache_;  // allocation is logically const: it hands out fresh memory
};

}  // namespace

const Backend& cpu_backend() {
  // Never destroyed: a tensor with static storage duration (a global, a test's table) frees its
  // storage during exit, after function-local statics are gone, and must still find its backend
  // (and the block cache it returns memory to). Reachable to the end, so not a leak.
  static const CpuBackend& instance = *new CpuBackend;
  return instance;
}

}  // namespace ann::backend
