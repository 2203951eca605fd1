#pragma once
// The backend boundary: every loop over tensor elements, and every access of the host to a
// tensor's memory, runs behind this interface, so a CUDA backend can be added by implementing
// it, without touching ops, nn or optim.
//
// A back end has a required core — memory and the copies between host and device, the
// elementwise, reduction, indexing and matrix-product primitives — from which src/ops composes
// every op and its derivative. On top it may offer fused entries (`Fused`): a caller asks has()
// and, when the answer is no, runs the composition the fused kernel stands for, which stays the
// tested reference. The checked device (src/backend/checked/) has the core only, and the tests
// run on it, so both paths are exercised.
//
// Kernels see raw pointers into device memory, never host memory; tensors given to them are
// contiguous unless strides are passed explicitly. Shapes are in elements.
//
// Element types: the core entries take the dtype of their real-valued operands, float32 or
// float64, and compute in it (a float64 tensor is never rounded through float); their scalars
// come as double and are rounded once to float for float32 operands. The fused entries are
// float32 only: they are the fast paths, and float64 runs the compositions they stand for.
#include <cstddef>
#include <cstdint>
#include <span>

#include "ann/activation.h"
#include "ann/device.h"
#include "ann/dtype.h"
#include "ann/shape.h"

namespace ann::backend {

enum class UnaryOp {
  Neg, Exp, Log, Sqrt, Abs, Relu, Tanh, Sigmoid, Pow, Clamp, Scale,
  LeakyRelu, Elu, Gelu, Silu, Softplus, Erf,  // p0: slope; alpha; -; -; beta (p1: threshold); -
  Log1p,
};

/// An activation as the fused kernels take it (an affine layer's epilogue, the chain): unary's
/// op with its scalars p0, p1 (LeakyReLU's slope, ELU's α, Softplus's β and threshold), one of
/// the eight of nn/activation.h (is_squash); none when !applies.
struct Squash {
  bool applies = false;
  UnaryOp op = UnaryOp::Relu;
  double p0 = 0, p1 = 0;
};
/// The lesson's names of ann/activation.h as a Squash.
constexpr Squash squash_of(Activation f) {
  switch (f) {
    case Activation::ReLU: return {true, UnaryOp::Relu};
    case Activation::Tanh: return {true, UnaryOp::Tanh};
    case Activation::Sigmoid: return {true, UnaryOp::Sigmoid};
    case Activation::None: break;
  }
  return {};
}
/// Whether op is one of the activations the fused kernels have.
constexpr bool is_squash(UnaryOp op) {
  return op == UnaryOp::Relu || op == UnaryOp::Tanh || op == UnaryOp::Sigmoid || op == UnaryOp::LeakyRelu ||
         op == UnaryOp::Elu || op == UnaryOp::Gelu || op == UnaryOp::Silu || op == UnaryOp::Softplus;
}
/// Whether f's derivative is a function of its output h (ReLU, Tanh, Sigmoid; LeakyReLU with a
/// slope >= 0 and ELU with α >= 0, whose h keeps z's sign; none): the fused kernels then keep h
/// alone for the backward, and f's slope f'(z) too for the others (GELU, SiLU, Softplus, and
/// LeakyReLU and ELU with a negative parameter): Kept::Slope.
constexpr bool derivative_from_output(const Squash& f) {
  return !f.applies || f.op == UnaryOp::Relu || f.op == UnaryOp::Tanh || f.op == UnaryOp::Sigmoid ||
         ((f.op == UnaryOp::LeakyRelu || f.op == UnaryOp::Elu) && f.p0 >= 0);
}
/// What an activation's backward reads beside dy (Backend::activation_backward_bias): f's
/// output h, its input z (the activation ops of ann/ops.h, whose node keeps its input), or its
/// slope f'(z), which the fused layers compute beside h in the forward and keep in z's place
/// where the derivative is no function of h (bias_activation, the chain). Then the backward is
/// one multiply, dz = dy · f'(z), with the same bits as from z: GELU's erf and exponential,
/// SiLU's sigmoid (an exponential and a division) are computed once, in the forward, where the
/// backward computed them again (GELU's derivative from z took ~80 multiply-add lane slots a
/// value, as many as the products of a layer 27 wide; bench/README.md, stop 48).
enum class Kept { Output, Input, Slope };
/// What the fused layers keep of f for its backward.
constexpr Kept kept_by_layers(const Squash& f) { return derivative_from_output(f) ? Kept::Output : Kept::Slope; }

/// The fused entries a back end may offer beyond its core (Backend::has).
enum class Fused {
  LinearEpilogue,  // bias_activation, activation_backward_bias, first_layer_backward
  NarrowMlp,       // narrow_mlp_forward, narrow_mlp_backward
  MlpChain,        // mlp_chain_forward, mlp_chain_backward
  CrossEntropy,    // cross_entropy, cross_entropy_backward
  SquaredError,    // squared_error
  PointwiseLoss,   // pointwise_loss
  OptimizerSteps,  // sgd_step, adam_step, rmsprop_step, adagrad_step
};
/// The losses of Fused::PointwiseLoss of an input a and a target b. Of d = a − b and a knee k:
/// L1 |d|; SmoothL1 d²/(2k) below k, |d| − k/2 beyond; Huber d²/2 below k, k(|d| − k/2) beyond.
/// BceWithLogits max(a, 0) − a·b + log(1 + e^−|a|), whose slope is σ(a) − b (no knee).
enum class PointwiseLoss { L1, SmoothL1, Huber, BceWithLogits };
enum class BinaryOp { Add, Sub, Mul, Div, Max, Min, Eq, Ne, Lt, Le, Gt, Ge };  // Max/Min keep NaN
enum class ReduceOp { Sum, Max, Min, ArgMax, Prod };

/// True for the comparison ops, whose result is a bool mask.
constexpr bool is_comparison(BinaryOp op) { return op >= BinaryOp::Eq; }

/// Constants of one optimizer update. The optimizer computes them in double, as PyTorch's
/// Python code does; a float32 update rounds each to float once, as PyTorch's kernels receive
/// them (a float64 one, composed of tensor ops, uses them as they are).
struct SgdStep {
  double lr, momentum, one_minus_dampening, weight_decay;
  bool nesterov;
  bool first_step;  // the momentum buffer starts as a copy of the gradient
};
struct AdamStep {
  double weight_decay;           // L2 term added to the gradient (Adam), else 0
  double decay_factor;           // θ ← θ·(1 − lr·λ) before the update (AdamW), else 1
  double beta1, one_minus_beta1, beta2, one_minus_beta2;
  double bias_correction2_sqrt;  // √(1 − β2ᵗ)
  double eps;
  double step_size;              // lr / (1 − β1ᵗ)
};

struct RmspropStep {
  double lr, alpha, one_minus_alpha, eps, weight_decay, momentum;
  bool centered;  // subtract the running mean's square: grad_avg is then given
};
struct AdagradStep {
  double clr;  // lr / (1 + (t − 1)·lr_decay)
  double eps, weight_decay;
};

/// One parameter's part of a fused optimizer pass: its constants, its n values, their gradient
/// and its state (a null state array is one the update does not keep).
struct SgdUpdate {
  SgdStep h;
  float* param;
  const float* grad;
  float* momentum_buffer;  // null without momentum
  std::int64_t n;
};
struct AdamUpdate {
  AdamStep h;
  float* param;
  const float* grad;
  float* exp_avg;
  float* exp_avg_sq;
  std::int64_t n;
};
struct RmspropUpdate {
  RmspropStep h;
  float* param;
  const float* grad;
  float* square_avg;
  float* grad_avg;         // null unless h.centered
  float* momentum_buffer;  // null unless h.momentum > 0
  std::int64_t n;
};
struct AdagradUpdate {
  AdagradStep h;
  float* param;
  const float* grad;
  float* sum;
  std::int64_t n;
};

/// A two-layer perceptron with narrow ends, y = f(x W1ᵀ + b1) W2ᵀ + b2, that the CPU backend
/// runs as one kernel: x [m, in], W1 [hidden, in], b1 [hidden], W2 [out, hidden], b2 [out],
/// all contiguous; a null bias is zero; f is the activation (None: the net is one affine map).
struct NarrowMlp {
  std::int64_t m, in, hidden, out;
  const float *W1, *b1, *W2, *b2;
  Activation f;
};
/// Where a NarrowMlp's backward puts its gradients: dx [m, in], dW1, db1, dW2 and db2, each
/// skipped when null. dx is written; the parameters' gradients are written too, or, with
/// add_to_parameters, added to what they hold (g ← g + ∂L/∂θ: the addition autograd makes into
/// a leaf's .grad, done while the sums are at hand instead of in a pass of its own).
struct NarrowMlpGrads {
  float *dx, *dW1, *db1, *dW2, *db2;
  bool add_to_parameters;
};
/// in and out of a NarrowMlp are at most this; hidden and m are free.
constexpr std::int64_t kNarrowMlpMaxEnds = 4;
/// Whether a narrow MLP's forward keeps its hidden activations for the backward: not without
/// an activation, where the net is one affine map and the kernel uses that.
constexpr bool narrow_mlp_keeps_hidden(Activation f) { return f != Activation::None; }
/// The size in floats of what a narrow MLP's forward keeps for its backward: the hidden
/// activations, rows padded to blocks of 16, and a 16-bit word per hidden unit and run of 16
/// blocks (which blocks the unit was computed in, where ReLU leaves units out; allocated for
/// every net, a few hundred bytes). The kernel's own layout, opaque to callers.
constexpr std::int64_t narrow_mlp_hidden_floats(std::int64_t m, std::int64_t hidden) {
  const std::int64_t blocks = (m + 15) / 16, runs = (blocks + 15) / 16;
  return blocks * 16 * hidden + (runs * hidden + 1) / 2;
}

/// One layer of an MlpChain: y = f(x Wᵀ + b), W [out, in] contiguous, b [out] or null (zero).
struct ChainLayer {
  std::int64_t in, out;
  const float *W, *b;
  Squash f;
};
/// A stack of fully connected layers that the CPU backend runs as one kernel, carrying blocks of
/// rows through every layer while they are in cache: x [m, layers[0].in] → y [m, layers[depth−1].out],
/// each layer's in equal to the previous one's out.
struct MlpChain {
  std::int64_t m;
  const ChainLayer* layers;
  int depth;
};
/// Where an MlpChain's backward writes its gradients: dx [m, in] and, per layer, dW [out, in] and
/// db [out]; each skipped when null (the arrays dW and db have depth entries).
struct MlpChainGrads {
  float* dx;
  float* const* dW;
  float* const* db;
};
/// The chain takes any layer up to this wide (ops/mlp_chain.h's mlp_chain_takes; wider ones only
/// between thin sides, and the kernel itself any width): wider layers next to wide ones are
/// matrix products that the per-layer path runs near the core's peak (measured, one thread:
/// the chain 12-13 % faster at widths 80-100, even at 120-128).
constexpr std::int64_t kMlpChainMaxWidth = 128;
/// Rows a chain kernel carries through all layers at once (a multiple of 16).
constexpr std::int64_t kMlpChainRows = 256;
/// The values a chain keeps of layer l per row: out, or 2·out with f'(z) (Kept::Slope).
constexpr std::int64_t chain_kept_per_row(const ChainLayer& l) { return l.out * (derivative_from_output(l.f) ? 1 : 2); }
/// Whether the chain's backward needs layer i's kept values: every layer's but the last's, which
/// only an activation's derivative needs.
constexpr bool chain_keeps(const MlpChain& p, int i) { return i + 1 < p.depth || p.layers[i].f.applies; }
/// The floats a chain's forward keeps of layer i for the backward: none where chain_keeps says
/// so, else its m rows (padded to 16) of chain_kept_per_row values, in the kernel's own layout.
constexpr std::int64_t chain_layer_kept_floats(const MlpChain& p, int i) {
  return chain_keeps(p, i) ? (p.m + 15) / 16 * 16 * chain_kept_per_row(p.layers[i]) : 0;
}
/// All that a chain's forward keeps, the layers one after the other.
constexpr std::int64_t mlp_chain_kept_floats(const MlpChain& p) {
  std::int64_t n = 0;
  for (int i = 0; i < p.depth; ++i) n += chain_layer_kept_floats(p, i);
  return n;
}

class Backend {
 public:
  virtual ~Backend() = default;

  // ---- memory: the required core --------------------------------------------------------
  virtual void* allocate(std::size_t nbytes) const = 0;
  /// Frees a block from allocate(nbytes).
  virtual void deallocate(void* ptr, std::size_t nbytes) const = 0;
  /// Whether the host may read and write this back end's memory in place (the CPU): then
  /// host code may skip a copy (src/host_access.h); otherwise it goes through the copies below.
  virtual bool host_accessible() const { return false; }
  /// nbytes from device memory `src` to host memory `host_dst`.
  virtual void copy_to_host(void* host_dst, const void* src, std::size_t nbytes) const = 0;
  /// nbytes from host memory `host_src` to device memory `dst`.
  virtual void copy_from_host(void* dst, const void* host_src, std::size_t nbytes) const = 0;
  /// dst[i] <- src[i] for every multi-index i of `sizes`, each operand read or written with its
  /// own strides (0 where src is broadcast); elements of `elem_size` bytes.
  virtual void copy_strided(void* dst, const Shape& dst_strides, const void* src, const Shape& src_strides,
                            const Shape& sizes, std::size_t elem_size) const = 0;
  /// n elements of `dtype` set to `value`.
  virtual void fill(void* dst, DType dtype, std::int64_t n, double value) const = 0;
  /// Converts n contiguous elements between element types.
  virtual void cast(const void* src, DType from, void* dst, DType to, std::int64_t n) const = 0;

  /// Whether this back end offers the fused entries `entry` names (see Fused); calling an entry
  /// it lacks throws DeviceError.
  virtual bool has(Fused) const { return false; }

  // ---- elementwise -----------------------------------------------------------------------
  /// y = f(x), x and y of the floating `dtype`; p0, p1 are the op's scalars (Pow: exponent;
  /// Clamp: lo, hi). Derivatives are compositions of these primitives, written next to each op
  /// in src/ops/.
  virtual void unary(UnaryOp op, DType dtype, const void* x, void* y, std::int64_t n, double p0,
                     double p1) const = 0;
  /// out = a op b over `sizes`, reading a and b with the given (broadcast, 0 where
  /// broadcast) strides; out is contiguous, of a's type for arithmetic and bool for
  /// comparisons. a and b have element type `dtype` (float32, float64 or int64).
  virtual void binary(BinaryOp op, DType dtype, const void* a, const Shape& a_strides, const void* b,
                      const Shape& b_strides, void* out, const Shape& sizes) const = 0;
  /// The same for a, b and out contiguous and of one shape, n elements: the common case,
  /// without the per-call work of walking shapes and strides.
  virtual void binary_contiguous(BinaryOp op, DType dtype, const void* a, const void* b, void* out,
                                 std::int64_t n) const = 0;

  // ---- reductions (x contiguous, seen as [outer, n, inner], reduced over n) ---------------
  /// out has x's type for Sum/Max/Min/Prod of floating input (sums and products accumulate in
  /// double), int64 for ArgMax and for Sum or Prod of int64 or bool.
  virtual void reduce(ReduceOp op, DType dtype, const void* x, void* out, std::int64_t outer, std::int64_t n,
                      std::int64_t inner) const = 0;

  // ---- matrix product --------------------------------------------------------------------
  /// C[M,N] = alpha * op(A) op(B) + beta * C, row-major, op = transpose when the flag is set;
  /// A, B and C of the floating `dtype`.
  virtual void gemm(DType dtype, bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
                    double alpha, const void* A, std::int64_t lda, const void* B, std::int64_t ldb, double beta,
                    void* C, std::int64_t ldc) const = 0;

  // ---- running sums (x contiguous, seen as [outer, n, inner]) ----------------------------
  /// y[o, j, i] = Σ_{k ≤ j} x[o, k, i] (reverse: Σ_{k ≥ j}), accumulated in double, each partial
  /// sum rounded to the floating `dtype`, as torch's cumsum.
  virtual void cumsum(DType dtype, const void* x, void* y, std::int64_t outer, std::int64_t n, std::int64_t inner,
                      bool reverse) const = 0;

  // ---- softargmax (x seen as [outer, n, inner], normalised over n) ------------------------
  virtual void softmax(bool log, DType dtype, const void* x, void* y, std::int64_t outer, std::int64_t n,
                       std::int64_t inner) const = 0;

  // ---- indexing (x contiguous, seen as [outer, n, inner]; index along n) ------------------
  /// out[o, j, i] = x[o, index[j], i] for j < k.
  virtual void index_select(const void* x, std::size_t elem_size, const std::int64_t* index, std::int64_t k,
                            void* out, std::int64_t outer, std::int64_t n, std::int64_t inner) const = 0;
  /// dx[o, index[j], i] += dy[o, j, i]; dx and dy of the floating `dtype`.
  virtual void index_add(DType dtype, const void* dy, const std::int64_t* index, std::int64_t k, void* dx,
                         std::int64_t outer, std::int64_t n, std::int64_t inner) const = 0;
  /// out[o, j, i] = x[o, index[o, j, i], i]; index has shape [outer, k, inner].
  virtual void gather(const void* x, std::size_t elem_size, const std::int64_t* index, void* out,
                      std::int64_t outer, std::int64_t n, std::int64_t k, std::int64_t inner) const = 0;
  /// out[o, index[o, j, i], i] = src[o, j, i], in the order of j (the last write wins);
  /// elements of any type moved as they are.
  virtual void scatter(const void* src, std::size_t elem_size, const std::int64_t* index, void* out,
                       std::int64_t outer, std::int64_t n, std::int64_t k, std::int64_t inner) const = 0;
  /// dx[o, index[o, j, i], i] += dy[o, j, i]; dx and dy of the floating `dtype`.
  virtual void scatter_add(DType dtype, const void* dy, const std::int64_t* index, void* dx, std::int64_t outer,
                           std::int64_t n, std::int64_t k, std::int64_t inner) const = 0;

  // ==== fused entries, each only where has(its Fused) ======================================
  // The default bodies throw DeviceError; callers ask has() first and otherwise compose.

  // ---- Fused::LinearEpilogue (y [m, n] contiguous, b [n] or null) -------------------------
  /// z ← z + b, then h = f(z) (h [m, n], or z itself: in place), row by row; f rounds as unary
  /// computes it. Where h is not z, f's derivative must be no function of h, and z becomes f'(z)
  /// (Kept::Slope), rounded as unary's derivative rounds it.
  virtual void bias_activation(float* z, float* h, const float* b, std::int64_t m, std::int64_t n,
                               const Squash& f) const;
  /// dz = dy ⊙ f'(·), from `kept`, which holds what `what` says: f'(z), or h where
  /// derivative_from_output(f) allows it, or z for the others (LeakyReLU either), rounded as
  /// unary's derivative; when f does not apply dz is neither read nor written, and may be null:
  /// dy is the gradient itself. And db = Σ_rows dz (summed in double, when db is not null).
  virtual void activation_backward_bias(const float* kept, Kept what, const float* dy, float* dz, float* db,
                                        std::int64_t m, std::int64_t n, const Squash& f) const;
  /// Whether first_layer_backward takes a layer of k inputs, n outputs on m rows (false where
  /// the back end has no such kernel).
  virtual bool has_first_layer_backward(std::int64_t m, std::int64_t n, std::int64_t k) const;
  /// The backward of a layer whose input's gradient nobody needs (a first layer, x the data), x
  /// [m, k]: dW = dzᵀ·x (added into dW where `accumulate`) and db = Σ_rows dz (where db is not
  /// null), dz = dy ⊙ f'(·) as activation_backward_bias makes it from kept, Kept as
  /// kept_by_layers(f) says (bias_activation's) — made a block of rows at a
  /// time and never stored whole. dW's elements are those of the back end's product dzᵀ·x; db's
  /// may differ from activation_backward_bias's in the last bits (another order of the sums).
  virtual void first_layer_backward(const float* x, const float* kept, const float* dy, float* dW, bool accumulate,
                                    float* db, std::int64_t m, std::int64_t n, std::int64_t k, const Squash& f) const;

  // ---- Fused::NarrowMlp: two-layer perceptron with narrow ends (see NarrowMlp) ------------
  /// y [m, out]; h (narrow_mlp_hidden_floats; null when no backward follows or when
  /// !narrow_mlp_keeps_hidden(p.f)) keeps f(x W1ᵀ + b1).
  virtual void narrow_mlp_forward(const NarrowMlp& p, const float* x, float* y, float* h) const;
  /// From dy [m, out] and the forward's h (null when not kept): the gradients (NarrowMlpGrads).
  virtual void narrow_mlp_backward(const NarrowMlp& p, const float* x, const float* h, const float* dy,
                                   const NarrowMlpGrads& grads) const;

  // ---- Fused::MlpChain: a stack of narrow fully connected layers (see MlpChain) ----------
  /// y [m, out]; kept (mlp_chain_kept_floats; null when no backward follows) keeps what the
  /// backward needs.
  virtual void mlp_chain_forward(const MlpChain& p, const float* x, float* y, float* kept) const;
  /// From dy [m, out], x and the forward's kept values: the gradients (MlpChainGrads), written.
  virtual void mlp_chain_backward(const MlpChain& p, const float* x, const float* kept, const float* dy,
                                  const MlpChainGrads& grads) const;

  // ---- Fused::CrossEntropy (logits [m, c] contiguous, target int64 [m]) -------------------
  /// loss[i] = −log softmax(logits[i])[target[i]]; grad[i] = softmax(logits[i]) − onehot(target[i]),
  /// the gradient of loss[i], kept for the backward.
  virtual void cross_entropy(const float* logits, const std::int64_t* target, float* loss, float* grad,
                             std::int64_t m, std::int64_t c) const;
  /// dlogits[i] = row_scale[i] * grad[i] (grad from cross_entropy), or uniform_scale for every
  /// row when row_scale is null (a mean or sum reduction).
  virtual void cross_entropy_backward(const float* grad, const float* row_scale, float uniform_scale,
                                      float* dlogits, std::int64_t m, std::int64_t c) const;

  // ---- Fused::SquaredError -----------------------------------------------------------------
  /// diff = a − b (n floats) and Σ diff², each square rounded to float and added in double
  /// in reduce's order for Sum: the squared-error loss in one pass.
  virtual double squared_error(const float* a, const float* b, float* diff, std::int64_t n) const;

  // ---- Fused::PointwiseLoss ----------------------------------------------------------------
  /// Σ ℓ(a − b) over n floats, each ℓ rounded to float and added in double in reduce's order
  /// for Sum (the composition's numbers), and slope = ∂ℓ/∂a for the backward (torch's: the
  /// sign, or d/k, or d, clamped where the loss turns linear; σ(a) − b).
  virtual double pointwise_loss(PointwiseLoss kind, const float* a, const float* b, float* slope, std::int64_t n,
                                double knee) const;

  // ---- Fused::OptimizerSteps ---------------------------------------------------------------
  /// One pass over all the parameters given, as PyTorch's fused (multi-tensor) optimizers: each
  /// update is a parameter's arrays of n elements with its constants; the elements are updated
  /// one by one, each alone, so the pass may cut them anywhere.
  virtual void sgd_step(std::span<const SgdUpdate> updates) const;
  virtual void adam_step(std::span<const AdamUpdate> updates) const;
  virtual void rmsprop_step(std::span<const RmspropUpdate> updates) const;
  virtual void adagrad_step(std::span<const AdagradUpdate> updates) const;
};

/// Calls f(T{}) with T the C++ type of the floating `dtype` (float, or double for float64): a
/// kernel written once as a template over its element type, instantiated for both.
template <class F> decltype(auto) visit_floating(DType dtype, F&& f) {
  if (dtype == DType::Float64) return f(double{});
  return f(float{});
}

/// The index of the first of v[0 .. n) outside [0, bound), or −1: a scan of host memory (labels
/// and indices read through src/host_access.h), compiled at the CPU's ISA levels because the
/// lesson checks 3000 labels an epoch.
std::int64_t first_outside_on_host(const std::int64_t* v, std::int64_t n, std::int64_t bound);

/// Threads every backend may use for one operation (ann::set_num_threads): results do not change.
void set_num_threads(int threads);

/// The backend that runs tensors on `device`; throws DeviceError if this build has none.
const Backend& backend_for(const Device& device);

}  // namespace ann::backend
