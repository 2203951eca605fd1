#include "backend/cpu/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include "ann/error.h"
#include "backend/cpu/argmax.h"
#include "backend/cpu/block_cache.h"
#include "backend/cpu/cross_entropy.h"
#include "backend/cpu/elementwise.h"
#include "backend/cpu/few_inputs_gradient.h"
#include "backend/cpu/mlp_chain.h"
#include "backend/cpu/narrow_mlp.h"
#include "backend/cpu/optimizer_steps.h"
#include "backend/cpu/reductions.h"
#include "backend/cpu/parallel.h"
#include "backend/cpu/sgemm.h"
#include "backend/cpu/strided.h"

namespace ann::backend {
namespace {

using std::int64_t;

using cpu::for_each_inner_run;

class CpuBackend final : public Backend {
 public:
  void* allocate(std::size_t nbytes) const override { return cache_.allocate(nbytes); }
  void deallocate(void* ptr, std::size_t nbytes) const override { cache_.release(ptr, nbytes); }

  bool host_accessible() const override { return true; }
  void copy_to_host(void* host_dst, const void* src, std::size_t nbytes) const override {
    if (nbytes) std::memcpy(host_dst, src, nbytes);
  }
  void copy_from_host(void* dst, const void* host_src, std::size_t nbytes) const override {
    if (nbytes) std::memcpy(dst, host_src, nbytes);
  }

  void copy_strided(void* dst, const Shape& dst_strides, const void* src, const Shape& src_strides, const Shape& sizes,
                    std::size_t elem_size) const override {
    auto* out = static_cast<std::byte*>(dst);
    const auto* in = static_cast<const std::byte*>(src);
    for_each_inner_run(sizes, src_strides, dst_strides,
                       [&](int64_t ao, int64_t bo, int64_t, int64_t len, int64_t sa, int64_t sb) {
                         if (sa == 1 && sb == 1) {
                           std::memcpy(out + bo * elem_size, in + ao * elem_size,
                                       static_cast<std::size_t>(len) * elem_size);
                         } else {
                           for (int64_t i = 0; i < len; ++i)
                             std::memcpy(out + (bo + i * sb) * elem_size, in + (ao + i * sa) * elem_size, elem_size);
                         }
                       });
  }

  void fill(void* dst, DType dtype, int64_t n, double value) const override {
    cpu::parallel_for(n, [&](int64_t b, int64_t e) {  // zero_grad's pass over every gradient
      switch (dtype) {
        case DType::Float32: std::fill(static_cast<float*>(dst) + b, static_cast<float*>(dst) + e, static_cast<float>(value)); break;
        case DType::Float64: std::fill(static_cast<double*>(dst) + b, static_cast<double*>(dst) + e, value); break;
        case DType::Int64: std::fill(static_cast<int64_t*>(dst) + b, static_cast<int64_t*>(dst) + e, static_cast<int64_t>(value)); break;
        case DType::Bool: std::fill(static_cast<bool*>(dst) + b, static_cast<bool*>(dst) + e, value != 0.0); break;
      }
    });
  }

  void cast(const void* src, DType from, void* dst, DType to, int64_t n) const override {
    auto convert = [&](const auto* in) {
      switch (to) {
        case DType::Float32: std::transform(in, in + n, static_cast<float*>(dst), [](auto v) { return static_cast<float>(v); }); break;
        case DType::Float64: std::transform(in, in + n, static_cast<double*>(dst), [](auto v) { return static_cast<double>(v); }); break;
        case DType::Int64: std::transform(in, in + n, static_cast<int64_t*>(dst), [](auto v) { return static_cast<int64_t>(v); }); break;
        case DType::Bool: std::transform(in, in + n, static_cast<bool*>(dst), [](auto v) { return v != 0; }); break;
      }
    };
    switch (from) {
      case DType::Float32: convert(static_cast<const float*>(src)); break;
      case DType::Float64: convert(static_cast<const double*>(src)); break;
      case DType::Int64: convert(static_cast<const int64_t*>(src)); break;
      case DType::Bool: convert(static_cast<const bool*>(src)); break;
    }
  }

  void unary(UnaryOp op, DType dtype, const void* x, void* y, int64_t n, double p0, double p1) const override {
    cpu::unary(op, dtype, x, y, n, p0, p1);
  }

  // Every fused entry of backend.h.
  bool has(Fused) const override { return true; }

  void bias_activation(float* z, float* h, const float* b, int64_t m, int64_t n, const Squash& f) const override {
    cpu::bias_activation(z, h, b, m, n, f);
  }

  void activation_backward_bias(const float* kept, Kept what, const float* dy, float* dz, float* db, int64_t m,
                                int64_t n, const Squash& f) const override {
    cpu::activation_backward_bias(kept, what, dy, dz, db, m, n, f);
  }
  bool has_first_layer_backward(int64_t m, int64_t n, int64_t k) const override {
    return cpu::sgemm_sums_few_inputs(true, false, n, k, m);
  }
  void first_layer_backward(const float* x, const float* kept, const float* dy, float* dW, bool accumulate, float* db,
                            int64_t m, int64_t n, int64_t k, const Squash& f) const override {
    cpu::first_layer_backward(x, kept, dy, dW, accumulate, db, m, n, k, f);
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

  void mlp_chain_forward(const MlpChain& p, const float* x, float* y, float* kept) const override {
    const Scratch scratch{*this, mlp_chain_scratch_bytes(p, false)};
    mlp_chain_forward_cpu(p, x, y, kept, scratch.block);
  }

  void mlp_chain_backward(const MlpChain& p, const float* x, const float* kept, const float* dy,
                          const MlpChainGrads& grads) const override {
    const Scratch scratch{*this, mlp_chain_scratch_bytes(p, true)};
    mlp_chain_backward_cpu(p, x, kept, dy, grads, scratch.block);
  }

  void binary(BinaryOp op, DType dtype, const void* a, const Shape& as, const void* b, const Shape& bs, void* out,
              const Shape& sizes) const override {
    cpu::binary(op, dtype, a, as, b, bs, out, sizes);
  }

  void binary_contiguous(BinaryOp op, DType dtype, const void* a, const void* b, void* out, int64_t n) const override {
    cpu::binary_contiguous(op, dtype, a, b, out, n);
  }

  void reduce(ReduceOp op, DType dtype, const void* x, void* out, int64_t outer, int64_t n,
              int64_t inner) const override {
    cpu::reduce(op, dtype, x, out, outer, n, inner);
  }

  void gemm(DType dtype, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const void* A,
            int64_t lda, const void* B, int64_t ldb, double beta, void* C, int64_t ldc) const override {
    visit_floating(dtype, [&](auto zero) {
      using T = decltype(zero);
      T* c = static_cast<T*>(C);
      if (K == 0) {  // BLAS rejects lda = 0; the product of empty matrices is 0
        for (int64_t i = 0; i < M; ++i)
          for (int64_t j = 0; j < N; ++j) c[i * ldc + j] = beta == 0.0 ? T(0) : static_cast<T>(beta) * c[i * ldc + j];
        return;
      }
      cpu::gemm(trans_a, trans_b, M, N, K, static_cast<T>(alpha), static_cast<const T*>(A), lda,
                static_cast<const T*>(B), ldb, static_cast<T>(beta), c, ldc);
    });
  }

  void cumsum(DType dtype, const void* x_raw, void* y_raw, int64_t outer, int64_t n, int64_t inner,
              bool reverse) const override {
    visit_floating(dtype, [&](auto zero) {
      using T = decltype(zero);
      const T* x = static_cast<const T*>(x_raw);
      T* y = static_cast<T*>(y_raw);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          double running = 0.0;
          for (int64_t step = 0; step < n; ++step) {
            const int64_t at = (o * n + (reverse ? n - 1 - step : step)) * inner + i;
            running += x[at];
            y[at] = static_cast<T>(running);
          }
        }
    });
  }

  void softmax(bool log, DType dtype, const void* x, void* y, int64_t outer, int64_t n, int64_t inner) const override {
    visit_floating(dtype, [&](auto zero) {
      softmax_typed(log, static_cast<const decltype(zero)*>(x), static_cast<decltype(zero)*>(y), outer, n, inner);
    });
  }

  // softmax(x)_j = exp(x_j - max) / Σ_k exp(x_k - max); subtracting the max keeps exp finite.
  // The sum is in double for both types.
  template <class T>
  static void softmax_typed(bool log, const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const T* px = x + o * n * inner + i;
        T* py = y + o * n * inner + i;
        T mx = -std::numeric_limits<T>::infinity();
        for (int64_t j = 0; j < n; ++j) mx = std::max(mx, px[j * inner]);
        double total = 0.0;
        for (int64_t j = 0; j < n; ++j) total += std::exp(static_cast<double>(px[j * inner] - mx));
        if (log) {
          const T lse = static_cast<T>(std::log(total));
          for (int64_t j = 0; j < n; ++j) py[j * inner] = px[j * inner] - mx - lse;
        } else {
          const double inv = 1.0 / total;
          for (int64_t j = 0; j < n; ++j)
            py[j * inner] = static_cast<T>(std::exp(static_cast<double>(px[j * inner] - mx)) * inv);
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

  void index_add(DType dtype, const void* dy_raw, const int64_t* index, int64_t k, void* dx_raw, int64_t outer,
                 int64_t n, int64_t inner) const override {
    visit_floating(dtype, [&](auto zero) {
      const auto* dy = static_cast<const decltype(zero)*>(dy_raw);
      auto* dx = static_cast<decltype(zero)*>(dx_raw);
      for (int64_t b = 0; b < outer; ++b)
        for (int64_t j = 0; j < k; ++j)
          for (int64_t i = 0; i < inner; ++i) dx[(b * n + index[j]) * inner + i] += dy[(b * k + j) * inner + i];
    });
  }

  // Elements moved as unsigned words of their size: a copy, whatever they hold.
  template <class F>
  static void visit_words(std::size_t elem_size, const char* op, F&& f) {
    switch (elem_size) {
      case 1: f(std::uint8_t{}); break;
      case 4: f(std::uint32_t{}); break;
      case 8: f(std::uint64_t{}); break;
      default: throw DeviceError(std::string(op) + ": elements of " + std::to_string(elem_size) + " bytes");
    }
  }

  void gather(const void* x, std::size_t elem_size, const int64_t* index, void* out, int64_t outer, int64_t n,
              int64_t k, int64_t inner) const override {
    visit_words(elem_size, "gather", [&](auto word) {
      using W = decltype(word);
      const auto* in = static_cast<const W*>(x);
      auto* o = static_cast<W*>(out);
      for (int64_t b = 0; b < outer; ++b)
        for (int64_t j = 0; j < k; ++j)
          for (int64_t i = 0; i < inner; ++i) {
            const int64_t at = (b * k + j) * inner + i;
            o[at] = in[(b * n + index[at]) * inner + i];
          }
    });
  }

  void scatter(const void* src, std::size_t elem_size, const int64_t* index, void* out, int64_t outer, int64_t n,
               int64_t k, int64_t inner) const override {
    visit_words(elem_size, "scatter", [&](auto word) {
      using W = decltype(word);
      const auto* in = static_cast<const W*>(src);
      auto* o = static_cast<W*>(out);
      for (int64_t b = 0; b < outer; ++b)
        for (int64_t j = 0; j < k; ++j)
          for (int64_t i = 0; i < inner; ++i) {
            const int64_t at = (b * k + j) * inner + i;
            o[(b * n + index[at]) * inner + i] = in[at];
          }
    });
  }

  void scatter_add(DType dtype, const void* dy_raw, const int64_t* index, void* dx_raw, int64_t outer, int64_t n,
                   int64_t k, int64_t inner) const override {
    visit_floating(dtype, [&](auto zero) {
      const auto* dy = static_cast<const decltype(zero)*>(dy_raw);
      auto* dx = static_cast<decltype(zero)*>(dx_raw);
      for (int64_t b = 0; b < outer; ++b)
        for (int64_t j = 0; j < k; ++j)
          for (int64_t i = 0; i < inner; ++i) {
            const int64_t at = (b * k + j) * inner + i;
            dx[(b * n + index[at]) * inner + i] += dy[at];
          }
    });
  }

  void cross_entropy(const float* logits, const int64_t* target, float* loss, float* grad, int64_t m,
                     int64_t c) const override {
    cross_entropy_cpu(logits, target, loss, grad, m, c);
  }

  void cross_entropy_backward(const float* grad, const float* row_scale, float uniform_scale, float* dlogits,
                              int64_t m, int64_t c) const override {
    cross_entropy_backward_cpu(grad, row_scale ? row_scale : &uniform_scale, row_scale != nullptr, dlogits, m, c);
  }

  void sgd_step(std::span<const SgdUpdate> updates) const override { cpu::sgd_step(updates); }

  double squared_error(const float* a, const float* b, float* diff, int64_t n) const override {
    return cpu::squared_error(a, b, diff, n);
  }

  double pointwise_loss(PointwiseLoss kind, const float* a, const float* b, float* slope, int64_t n,
                        double knee) const override {
    return cpu::pointwise_loss(kind, a, b, slope, n, knee);
  }

  void adam_step(std::span<const AdamUpdate> updates) const override { cpu::adam_step(updates); }
  void rmsprop_step(std::span<const RmspropUpdate> updates) const override { cpu::rmsprop_step(updates); }
  void adagrad_step(std::span<const AdagradUpdate> updates) const override { cpu::adagrad_step(updates); }

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
