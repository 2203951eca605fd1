#pragma once
// Subnormal floats (below 2⁻¹²⁶) cost a microcode assist of a hundred cycles or more in every
// x86 operation that reads or makes one. Where a kernel's results need not keep them (its
// comment says why), it runs under SubnormalsAsZero: MXCSR's flush-to-zero and
// denormals-are-zero bits set on this thread (what torch.set_flush_denormal(True) sets for a
// whole program), restored after. Each thread of a parallel kernel sets its own.

namespace ann::backend::cpu {

class SubnormalsAsZero {
 public:
  explicit SubnormalsAsZero(bool on = true) : on_(on) {
#if defined(__x86_64__)
    if (on_) {
      saved_ = __builtin_ia32_stmxcsr();
      __builtin_ia32_ldmxcsr(saved_ | kFlushToZero | kDenormalsAreZero);
    }
#endif
  }
  ~SubnormalsAsZero() {
#if defined(__x86_64__)
    if (on_) __builtin_ia32_ldmxcsr(saved_);
#endif
  }
  SubnormalsAsZero(const SubnormalsAsZero&) = delete;
  SubnormalsAsZero& operator=(const SubnormalsAsZero&) = delete;

 private:
  static constexpr unsigned kFlushToZero = 1u << 15, kDenormalsAreZero = 1u << 6;
  bool on_;
  unsigned saved_ = 0;
};

}  // namespace ann::backend::cpu
