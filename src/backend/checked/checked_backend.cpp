#include "backend/checked/checked_backend.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "ann/error.h"
#include "backend/cpu/cpu_backend.h"

namespace ann::backend {
namespace {

using std::int64_t;

class CheckedBackend final : public Backend {
 public:
  // ---- memory: each block its own pages, mapped PROT_NONE while no entry is running --------
  void* allocate(std::size_t nbytes) const override {
    const std::size_t length = round_to_pages(nbytes);
    void* p = ::mmap(nullptr, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    const std::lock_guard lock(mutex_);
    blocks_.emplace(reinterpret_cast<std::uintptr_t>(p), Block{length, 0});
    return p;
  }

  void deallocate(void* ptr, std::size_t) const override {
    std::size_t length = 0;
    {
      const std::lock_guard lock(mutex_);
      const auto it = blocks_.find(reinterpret_cast<std::uintptr_t>(ptr));
      if (it == blocks_.end()) return;
      length = it->second.length;
      blocks_.erase(it);
    }
    ::munmap(ptr, length);
  }

  void copy_to_host(void* host_dst, const void* src, std::size_t nbytes) const override {
    const Open open(*this, "copy_to_host", {src});
    cpu().copy_to_host(host_dst, src, nbytes);
  }
  void copy_from_host(void* dst, const void* host_src, std::size_t nbytes) const override {
    const Open open(*this, "copy_from_host", {dst});
    cpu().copy_from_host(dst, host_src, nbytes);
  }
  void copy_strided(void* dst, const Shape& dst_strides, const void* src, const Shape& src_strides, const Shape& sizes,
                    std::size_t elem_size) const override {
    const Open open(*this, "copy_strided", {dst, src});
    cpu().copy_strided(dst, dst_strides, src, src_strides, sizes, elem_size);
  }
  void fill(void* dst, DType dtype, int64_t n, double value) const override {
    const Open open(*this, "fill", {dst});
    cpu().fill(dst, dtype, n, value);
  }
  void cast(const void* src, DType from, void* dst, DType to, int64_t n) const override {
    const Open open(*this, "cast", {src, dst});
    cpu().cast(src, from, dst, to, n);
  }

  // ---- the compute core ----------------------------------------------------------------------
  void unary(UnaryOp op, DType dtype, const void* x, void* y, int64_t n, double p0, double p1) const override {
    const Open open(*this, "unary", {x, y});
    cpu().unary(op, dtype, x, y, n, p0, p1);
  }
  void binary(BinaryOp op, DType dtype, const void* a, const Shape& as, const void* b, const Shape& bs, void* out,
              const Shape& sizes) const override {
    const Open open(*this, "binary", {a, b, out});
    cpu().binary(op, dtype, a, as, b, bs, out, sizes);
  }
  void binary_contiguous(BinaryOp op, DType dtype, const void* a, const void* b, void* out, int64_t n) const override {
    const Open open(*this, "binary_contiguous", {a, b, out});
    cpu().binary_contiguous(op, dtype, a, b, out, n);
  }
  void reduce(ReduceOp op, DType dtype, const void* x, void* out, int64_t outer, int64_t n,
              int64_t inner) const override {
    const Open open(*this, "reduce", {x, out});
    cpu().reduce(op, dtype, x, out, outer, n, inner);
  }
  void gemm(DType dtype, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const void* A,
            int64_t lda, const void* B, int64_t ldb, double beta, void* C, int64_t ldc) const override {
    const Open open(*this, "gemm", {A, B, C});
    cpu().gemm(dtype, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
  void cumsum(DType dtype, const void* x, void* y, int64_t outer, int64_t n, int64_t inner,
              bool reverse) const override {
    const Open open(*this, "cumsum", {x, y});
    cpu().cumsum(dtype, x, y, outer, n, inner, reverse);
  }
  void softmax(bool log, DType dtype, const void* x, void* y, int64_t outer, int64_t n, int64_t inner) const override {
    const Open open(*this, "softmax", {x, y});
    cpu().softmax(log, dtype, x, y, outer, n, inner);
  }
  void index_select(const void* x, std::size_t elem_size, const int64_t* index, int64_t k, void* out, int64_t outer,
                    int64_t n, int64_t inner) const override {
    const Open open(*this, "index_select", {x, index, out});
    cpu().index_select(x, elem_size, index, k, out, outer, n, inner);
  }
  void index_add(DType dtype, const void* dy, const int64_t* index, int64_t k, void* dx, int64_t outer, int64_t n,
                 int64_t inner) const override {
    const Open open(*this, "index_add", {dy, index, dx});
    cpu().index_add(dtype, dy, index, k, dx, outer, n, inner);
  }
  void gather(const void* x, std::size_t elem_size, const int64_t* index, void* out, int64_t outer, int64_t n,
              int64_t k, int64_t inner) const override {
    const Open open(*this, "gather", {x, index, out});
    cpu().gather(x, elem_size, index, out, outer, n, k, inner);
  }
  void scatter(const void* src, std::size_t elem_size, const int64_t* index, void* out, int64_t outer, int64_t n,
               int64_t k, int64_t inner) const override {
    const Open open(*this, "scatter", {src, index, out});
    cpu().scatter(src, elem_size, index, out, outer, n, k, inner);
  }
  void scatter_add(DType dtype, const void* dy, const int64_t* index, void* dx, int64_t outer, int64_t n, int64_t k,
                   int64_t inner) const override {
    const Open open(*this, "scatter_add", {dy, index, dx});
    cpu().scatter_add(dtype, dy, index, dx, outer, n, k, inner);
  }

 private:
  struct Block {
    std::size_t length;  // whole pages
    int open;            // entries running on it now
  };

  static const Backend& cpu() { return cpu_backend(); }

  static std::size_t round_to_pages(std::size_t nbytes) {
    static const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return (nbytes == 0 ? 1 : (nbytes + page - 1) / page) * page;
  }

  // Read and write access to the blocks holding `pointers` (null ones skipped) while it lives.
  class Open {
   public:
    Open(const CheckedBackend& backend, const char* entry, std::initializer_list<const void*> pointers)
        : backend_(backend) {
      const std::lock_guard lock(backend_.mutex_);
      for (const void* p : pointers) {
        if (p == nullptr) continue;
        const auto it = backend_.find_block(p);
        if (it == backend_.blocks_.end()) {
          close_all();
          throw DeviceError(std::string(entry) +
                            ": a pointer outside the checked device's memory (host memory passed to a device kernel)");
        }
        if (it->second.open++ == 0) ::mprotect(reinterpret_cast<void*>(it->first), it->second.length, PROT_READ | PROT_WRITE);
        opened_.push_back(it->first);
      }
    }
    ~Open() {
      const std::lock_guard lock(backend_.mutex_);
      close_all();
    }
    Open(const Open&) = delete;
    Open& operator=(const Open&) = delete;

   private:
    void close_all() {
      for (const std::uintptr_t base : opened_) {
        Block& block = backend_.blocks_.at(base);
        if (--block.open == 0) ::mprotect(reinterpret_cast<void*>(base), block.length, PROT_NONE);
      }
      opened_.clear();
    }
    const CheckedBackend& backend_;
    std::vector<std::uintptr_t> opened_;
  };

  // The block that p points into, or one past the end of (an empty view at a block's end).
  std::map<std::uintptr_t, Block>::iterator find_block(const void* p) const {
    const auto address = reinterpret_cast<std::uintptr_t>(p);
    auto it = blocks_.upper_bound(address);
    if (it == blocks_.begin()) return blocks_.end();
    --it;
    return address <= it->first + it->second.length ? it : blocks_.end();
  }

  mutable std::mutex mutex_;
  mutable std::map<std::uintptr_t, Block> blocks_;  // by base address
};

}  // namespace

const Backend& checked_backend() {
  static const CheckedBackend& instance = *new CheckedBackend;  // never destroyed, as cpu_backend()
  return instance;
}

}  // namespace ann::backend
