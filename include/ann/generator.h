#pragma once
// Random numbers that match PyTorch 1.13's CPU generator bit for bit. Why: a model seeded with
// manual_seed(s) must start from exactly the weights PyTorch gives it, so that whole training
// runs can be compared against PyTorch fixtures instead of "roughly the same" statistics.
//
// What PyTorch 1.13.1 (Debian build) does with its AVX2 kernels, which it also uses on AVX512
// CPUs; each point checked against torch. (Without AVX2, torch's own results differ: about half
// of uniform_ values by 1 ulp, since nothing is fused, and normals by up to 2e-6.)
//  - Engine: the standard MT19937. manual_seed(s) keeps all 64 bits of s for initial_seed() but
//    seeds MT19937 with s & 0xffffffff (2**32 + 7 and 7 give the same stream), and drops the
//    cached normal sample.
//  - random64() = (first 32-bit draw << 32) | second draw.
//  - uniform_(from, to) on float: from and to are rounded to float; each element takes one draw
//    x, u = (x & 0xFFFFFF) * 2^-24, and is fma(u, to - from, from) in float (single rounding:
//    torch's AVX2 kernel is compiled with FMA contraction).
//  - normal_(mean, std) / randn on a contiguous float tensor of n >= 16 elements: fill all n
//    with uniforms as above, then Box-Muller per block of 16 (v[j], v[j+8] for j < 8) with
//    torch's AVX2 float code (Cephes-style log / sincos polynomials). When 16 does not divide
//    n, the last 16 elements get 16 fresh uniforms and are transformed again as one block.
//  - On float64 tensors, the uniforms are 53-bit (one random64() each) and the blocks of 16
//    are computed in double with the C library's functions (torch has no vector path there).
//  - n < 16: per element, torch's normal_distribution<double>: u1, u2 = 53-bit uniforms from
//    random64(), r = sqrt(-2 ln(1 - u2)), theta = 2 pi u1; it returns r cos theta and caches
//    r sin theta, which the next n < 16 element (in this or a later call) takes instead of
//    drawing. The n >= 16 path leaves the cache alone. Output: float(fma(z, std, mean)).
// The exact float operation sequence is written once, in src/generator.cpp.
//
// Not thread-safe: share a Generator between threads only behind a lock.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace ann {

class Generator {
 public:
  /// torch's default_rng_seed_val: the seed of a freshly constructed torch.Generator().
  static constexpr std::uint64_t kDefaultSeed = 67280421310721ULL;
  /// Number of 32-bit words in the MT19937 state.
  static constexpr std::size_t kStateWords = 624;

  /// Everything needed to resume the stream exactly (checkpoint / resume). Plain data.
  struct State {
    /// MT19937 state words.
    std::array<std::uint32_t, kStateWords> mt{};
    /// Next word of `mt` to temper and return; kStateWords means "twist before the next draw".
    std::uint32_t index = static_cast<std::uint32_t>(kStateWords);
    /// The 64-bit seed last given to manual_seed (only its low 32 bits reach MT19937).
    std::uint64_t seed = kDefaultSeed;
    /// Second Box-Muller sample (standard normal) kept by the < 16 element normal path.
    std::optional<double> next_normal;
    /// Member-wise equality: equal states produce equal streams.
    bool operator==(const State&) const = default;
  };

  /// A generator seeded like torch.Generator().manual_seed(seed).
  explicit Generator(std::uint64_t seed = kDefaultSeed);

  /// Reseeds like torch.manual_seed: MT19937 from seed's low 32 bits, cached normal dropped.
  void manual_seed(std::uint64_t seed);
  /// The seed last given to the constructor or manual_seed, all 64 bits (torch.initial_seed()).
  std::uint64_t initial_seed() const;

  /// One 32-bit MT19937 draw.
  std::uint32_t random();
  /// Two draws composed as torch does: (first << 32) | second.
  std::uint64_t random64();

  /// Same values and stream position as torch's uniform_(from, to) on a contiguous float tensor.
  void fill_uniform(float* out, std::size_t n, double from, double to);
  /// Same values and stream position as torch's normal_(mean, std) / randn on a contiguous
  /// float tensor of n elements (n < 16 and n >= 16 take different paths, as in torch).
  void fill_normal(float* out, std::size_t n, double mean, double std);
  /// The same on a float64 tensor, as torch's double kernels: each uniform takes one 64-bit
  /// draw (its low 53 bits · 2^-53); normals are Box-Muller in blocks of 16 on those uniforms,
  /// with the C library's log, sin and cos (n < 16: the per-element path above).
  void fill_uniform(double* out, std::size_t n, double from, double to);
  void fill_normal(double* out, std::size_t n, double mean, double std);

  /// A copy of the whole generator state.
  State state() const;
  /// Restores a state taken with state(); throws ann::ValueError if its index is out of range.
  void set_state(const State& state);

 private:
  void twist();
  /// fill(words, m, i) for the next n draws, in runs of m untempered state words between twists
  /// (i: how many came before), as n calls of random() would give them.
  template <class Fill>
  void for_each_run(std::size_t n, Fill fill);
  double uniform53();
  double standard_normal();

  State s_;
};

/// The process-wide generator used when no Generator is passed (torch's default CPU generator,
/// except that it starts from kDefaultSeed instead of a nondeterministic seed).
Generator& default_generator();
/// Seeds the process-wide generator (torch.manual_seed).
void manual_seed(std::uint64_t seed);

/// Puts the process-wide generator's state back when the scope ends, however it ends: for work
/// that draws (building a model to load weights into, drawing a figure) without shifting the
/// stream a later experiment draws from.
class KeepGeneratorState {
 public:
  KeepGeneratorState() : saved_(default_generator().state()) {}
  ~KeepGeneratorState() { default_generator().set_state(saved_); }
  KeepGeneratorState(const KeepGeneratorState&) = delete;
  KeepGeneratorState& operator=(const KeepGeneratorState&) = delete;

 private:
  Generator::State saved_;
};

}  // namespace ann
