#pragma once
// The differentiable operations. Each records itself on the autograd graph when an input
// requires grad (and grad mode is on), so that backward() can run its derivative.
// Shapes follow PyTorch: elementwise binary ops broadcast like NumPy, reductions take a
// dimension (negative counts from the end) and keepdim.
#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include "ann/activation.h"
#include "ann/tensor.h"

namespace ann {

class Generator;

// ---- linear algebra ----------------------------------------------------------------------
/// [n, k] @ [k, m] -> [n, m]; [k] @ [k, m] -> [m]; [n, k] @ [k] -> [n]; [k] @ [k] -> [].
/// torch.matmul: 1-D and 2-D operands, and batches (more than 2 dimensions, the batch
/// dimensions broadcast).
Tensor matmul(const Tensor& a, const Tensor& b);
/// Batched product of [B, n, k] and [B, k, m] (torch.bmm).
Tensor bmm(const Tensor& a, const Tensor& b);
/// beta · input + alpha · (m1 m2), input broadcast (torch.addmm).
Tensor addmm(const Tensor& input, const Tensor& m1, const Tensor& m2, double beta = 1.0, double alpha = 1.0);

/// y = f(x Wᵀ + b), x [m, in], W [out, in], b [out] (optional) -> [m, out], as ONE node:
/// the bias and f are applied in one pass over the product, and the backward pass forms
/// dz = dy ⊙ f'(y) and Σ_rows dz in one pass too. nn::Sequential uses it for every Linear
/// followed by its activation; the result is bit-identical to linear() then f.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
              Activation activation = Activation::None);

// ---- elementwise arithmetic (broadcasting) -------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& x);
/// x^p for a scalar exponent p.
Tensor pow(const Tensor& x, double exponent);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);

/// Elementwise max / min of a and b, broadcast (torch.maximum / minimum: a NaN gives NaN; where
/// they tie, each side gets half the gradient).
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

// ---- elementwise functions ----------------------------------------------------------------
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
/// min(max(x, lo), hi); the gradient passes where lo <= x <= hi. Either bound may be left out
/// (torch.clamp(x, 0) has only a minimum).
Tensor clamp(const Tensor& x, std::optional<double> lo, std::optional<double> hi = std::nullopt);
Tensor clamp_min(const Tensor& x, double lo);
Tensor clamp_max(const Tensor& x, double hi);
Tensor relu(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
/// x for x > 0, else negative_slope · x.
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
/// x for x > 0, else alpha · (eˣ − 1).
Tensor elu(const Tensor& x, double alpha = 1.0);
/// x · Φ(x) = x/2 · (1 + erf(x/√2)) (torch's approximate='none').
Tensor gelu(const Tensor& x);
/// x · σ(x) (swish).
Tensor silu(const Tensor& x);
/// log(1 + e^(βx)) / β, and x where βx > threshold; beta > 0.
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
/// The error function, 2/√π ∫₀ˣ e^(−t²) dt.
Tensor erf(const Tensor& x);
/// log(1 + x), exact for small x.
Tensor log1p(const Tensor& x);
/// −1, 0 or 1 by the sign of x (NaN stays NaN); its gradient is 0.
Tensor sign(const Tensor& x);
/// Zeroes each element with probability p and scales the rest by 1/(1 − p), with torch's masks
/// for the same generator state (one 64-bit draw per element); x itself when !training or p = 0.
Tensor dropout(const Tensor& x, double p, bool training = true);
Tensor dropout(const Tensor& x, double p, bool training, Generator& generator);

// ---- softargmax ---------------------------------------------------------------------------
/// exp(x - max) / sum exp(x - max) along `dim`.
Tensor softmax(const Tensor& x, std::int64_t dim);
/// x - max - log sum exp(x - max) along `dim`.
Tensor log_softmax(const Tensor& x, std::int64_t dim);

// ---- reductions ---------------------------------------------------------------------------
Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, std::int64_t dim, bool keepdim = false);
/// Over several dimensions at once (an empty list: all), as torch's sum(dims, keepdim).
Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);
/// The product of all elements, or along a dimension (computed in double, rounded once).
Tensor prod(const Tensor& x);
Tensor prod(const Tensor& x, std::int64_t dim, bool keepdim = false);
/// Running sums along a dimension: y_j = x_0 + ... + x_j (accumulated in double, as torch).
Tensor cumsum(const Tensor& x, std::int64_t dim);
/// Largest value; the gradient goes to the (first) arg-max.
Tensor max(const Tensor& x);
/// Along `dim`: the values and the int64 indices of the (first) largest, as libtorch's
///   auto [values, indices] = max(x, 1);
std::tuple<Tensor, Tensor> max(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor min(const Tensor& x);
std::tuple<Tensor, Tensor> min(const Tensor& x, std::int64_t dim, bool keepdim = false);
/// Index of the first largest value (int64, not differentiable).
Tensor argmax(const Tensor& x);
/// The index of the (first) smallest, as argmax of −x: along `dim`, or of every element.
Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& x);
/// log Σ exp(x) along `dim`, computed as m + log Σ exp(x − m) with m the maximum (so that
/// large values do not overflow); differentiable (the gradient is softmax(x)).
Tensor logsumexp(const Tensor& x, std::int64_t dim, bool keepdim = false);
/// The same over several dimensions at once.
Tensor logsumexp(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);
/// The p-norm (Σ |x|^p)^(1/p) of every element (torch.norm(x, p)): p = 2 by default, 1 the sum of
/// magnitudes, infinity the largest; p > 0. Or over the dimensions `dims` (torch.norm(x, p, dims)).
Tensor norm(const Tensor& x, double p = 2.0);
Tensor norm(const Tensor& x, double p, const std::vector<std::int64_t>& dims, bool keepdim = false);
/// torch.one_hot: int64 of t's shape and one more dimension of `num_classes` (−1: the largest
/// label + 1), 1 at each label; labels int64 in [0, num_classes).
Tensor one_hot(const Tensor& t, std::int64_t num_classes = -1);
/// a ⊗ b: [n] and [m] give [n, m], out[i][j] = a[i]·b[j].
Tensor outer(const Tensor& a, const Tensor& b);
/// a · b = Σ a[i]·b[i] of two 1-D tensors of one length, a 0-dim tensor (torch.dot).
Tensor dot(const Tensor& a, const Tensor& b);
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false);
/// Variance, unbiased (divides by n - 1) by default like torch.var. Over all elements, or
/// along `dim`. (No var(x, bool) overload: var(x, 0) must mean dimension 0.)
Tensor var(const Tensor& x);
Tensor var(const Tensor& x, std::int64_t dim, bool unbiased = true, bool keepdim = false);
/// √var.
Tensor std(const Tensor& x);
Tensor std(const Tensor& x, std::int64_t dim, bool unbiased = true, bool keepdim = false);

// ---- joining and indexing -----------------------------------------------------------------
/// Joins tensors of equal shape along a new dimension `dim`.
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
/// Joins tensors along existing dimension `dim` (other sizes must match).
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
/// Picks the slices `index` (1-D int64) along `dim`.
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);
/// out[i][j] = x[i][index[i][j]] for dim 1 (and likewise for other dims), as torch.gather.
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index);
/// x with src written at index along dim: out[i][index[i][j]] = src[i][j] for dim 1, as
/// torch.scatter (a repeated index keeps the last write). index and src have one shape, equal to
/// x's outside dim. Differentiable in x and src.
Tensor scatter(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src);
/// scatter of one value: zeros({3, 4}).scatter(1, labels.unsqueeze(1), 1.0) is one-hot.
Tensor scatter(const Tensor& x, std::int64_t dim, const Tensor& index, double value);
/// As scatter, but adding: out[i][index[i][j]] += src[i][j] (repeated indices sum).
Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src);
/// condition ? a : b elementwise, the three broadcast together (condition bool), as
/// torch.where; differentiable in a and b, each gradient going to the branch chosen.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
/// A number as one branch, in the other's dtype (torch.where(c, x, 0.0)).
Tensor where(const Tensor& condition, const Tensor& a, double b);
Tensor where(const Tensor& condition, double a, const Tensor& b);
/// x with `value` where mask (bool, broadcast to x) is true, as torch.masked_fill; a 0-dim
/// tensor value is differentiable.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value);

// ---- comparisons (bool masks, not differentiable) -----------------------------------------
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
/// Against a number, as libtorch's x > 0.5: an int64 tensor is compared as float32 when the
/// number is not an integer (so that x >= 0.5 is not x >= 0).
Tensor operator==(const Tensor& a, double b);
Tensor operator!=(const Tensor& a, double b);
Tensor operator<(const Tensor& a, double b);
Tensor operator<=(const Tensor& a, double b);
Tensor operator>(const Tensor& a, double b);
Tensor operator>=(const Tensor& a, double b);

/// A number on the left, as libtorch's 0.5 < x.
Tensor operator==(double a, const Tensor& b);
Tensor operator!=(double a, const Tensor& b);
Tensor operator<(double a, const Tensor& b);
Tensor operator<=(double a, const Tensor& b);
Tensor operator>(double a, const Tensor& b);
Tensor operator>=(double a, const Tensor& b);

// ---- logical operations on bool masks (broadcast; TypeError for other dtypes) ---------------
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& a);
Tensor operator&(const Tensor& a, const Tensor& b);
Tensor operator|(const Tensor& a, const Tensor& b);
Tensor operator^(const Tensor& a, const Tensor& b);
Tensor operator~(const Tensor& a);

// ---- views and shape functions as free functions, as torch:: spells them (each the method) ---
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor permute(const Tensor& x, const Shape& dims);
Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1);
Tensor t(const Tensor& x);
Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length);
Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index);
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, std::int64_t dim);
Tensor unsqueeze(const Tensor& x, std::int64_t dim);
Tensor flatten(const Tensor& x, std::int64_t start_dim = 0, std::int64_t end_dim = -1);
std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t dim = 0);
std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, std::int64_t dim = 0);
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& split_sizes, std::int64_t dim = 0);

/// Whether every element of a and b differs by at most atol + rtol·|b| (shapes must match).
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8);

}  // namespace ann
