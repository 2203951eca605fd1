#pragma once
// A stack of narrow fully connected layers, Linear – f – Linear – f – …, as one autograd node,
// which nn::Sequential uses by itself (src/nn/fusion.cpp). The kernel carries blocks of rows
// through every layer (src/backend/cpu/mlp_chain.cpp, with the math); the result equals the
// layers run one by one up to rounding (other summation orders). tests/test_mlp_chain.cpp
// checks both and the gradients.
#include <vector>

#include "ann/tensor.h"
#include "backend/backend.h"

namespace ann::detail {

/// One layer of a chain: f(x Wᵀ + b) (b may be undefined; f may not apply).
struct ChainStage {
  Tensor W, b;
  backend::Squash f;
};

/// Layers up to this wide join a chain between narrow ones (mlp_chain_takes): both of their
/// products are thin, so the layer by layer path spends its time writing and reading their
/// values, which stay in a chunk here (measured, one thread, bench/README.md stop 49: 11-593-2
/// ELU 1.35× at 64 rows, 2.1-2.7× from 1024; 8-1000-1 Sigmoid 1.85×). Wider ones put a chunk's
/// values (256 rows) past half of L2: 3-2876-36 ran 0.75-0.95× in the chain from 256 rows; and a
/// wide layer after a wide one is a square product, which the library runs faster (2927 wide
/// 0.71×, 187 wide 0.93×).
constexpr std::int64_t kMlpChainMaxThinWidth = 1024;
/// The most inputs and next layer's units together that such a wide layer has: its multiply-adds
/// per unit and row, which its values' traffic outweighs in the layer by layer path at few
/// (30-700-30 GELU 1.14× in the chain, 5-200-10-500-3 SiLU 1.53×) and no longer at more
/// (22-979-63 SiLU on 26 rows 0.94×, 100-800-10 ReLU 1.02×, 64-512-64 ReLU 1.09×).
constexpr std::int64_t kMlpChainThinSides = 64;

/// Whether the chain takes a layer of `out` units on `in` inputs, which a layer of `next_out`
/// units follows (0: none): at most backend::kMlpChainMaxWidth, or up to kMlpChainMaxThinWidth
/// where in + next_out is at most kMlpChainThinSides.
constexpr bool mlp_chain_takes(std::int64_t in, std::int64_t out, std::int64_t next_out) {
  if (out <= backend::kMlpChainMaxWidth) return out >= 1;
  return out <= kMlpChainMaxThinWidth && next_out >= 1 && in + next_out <= kMlpChainThinSides;
}

/// Whether mlp_chain computes the stages on x: x a 2-D float32 tensor on a device whose back
/// end has the chain kernel, at least two stages of float32 weights that follow each other
/// (each W [out, in], in the previous out, the first in x's columns), each taken by
/// mlp_chain_takes, biases undefined or [out]; and x at most kMlpChainMaxWidth columns wide, or
/// fewer than kMlpChainWideInputRows rows.
bool mlp_chain_applies(const Tensor& x, const std::vector<ChainStage>& stages);

/// Rows below which the chain also takes inputs wider than backend::kMlpChainMaxWidth. Its
/// kernel transposes x's rows into lanes twice a step; from 64 rows on, a wide first layer runs
/// faster as a matrix product of its own (measured: a 262-37-1 net, 256-row batches, 0.55 ms a
/// step in the chain against 0.48 ms layer by layer; 16-row batches 25 against 27 µs).
constexpr std::int64_t kMlpChainWideInputRows = 64;

/// Whether the chain is worth taking for `rows` rows of layers that hold `multiply_adds` (Σ in·out)
/// over `depth` layers, where it applies: under 16 rows its kernel still computes a whole block of
/// 16 (the rows sit in the lanes of a vector), while the layers one by one (each its own node, of
/// about half a microsecond's bookkeeping a step) compute only the true rows. So it takes a batch
/// of fewer than 16 rows while the padding's work, (16 − rows)·Σ in·out, is at most a budget a
/// layer: kMlpChainPaddingFewRows for 1–4 rows, whose layers take the few-row products
/// (src/backend/cpu/few_rows_gemm.h, kFewRowsMax), several times faster than the library's
/// that 5 rows and more take; kMlpChainPaddingMultiplyAdds from 5 rows on.
/// Measured, each shape in the chain and layer by layer (one thread; bench/README.md):
/// - stop 36 (Xeon): 16×5 and 32×4 wide (256 and 870 a layer) faster in the chain at 1–15 rows,
///   10-64-64-10 (1 792) faster layer by layer up to 8 rows, 288-82×7-29 on 3 rows 1.37× so;
/// - stop 42 (AMD EPYC, Zen 5, with the few-row products): 10-64×4-10 (2 714 a layer) 1.36–1.5×
///   faster in the chain at 6 and 8 rows, 10-64-64-64-10 1.29–1.36× at 5–8; of 18 drawn shapes of
///   5–13 rows that the budget of 32 000 moves into the chain, 15 faster (up to 1.84×), 2 slower
///   (0.96×, 0.84×: 96 wide), 1 even; of 8 of 1–4 rows that 20 000 would have moved, 6 slower.
constexpr std::int64_t kMlpChainPaddingFewRows = 16000;
constexpr std::int64_t kMlpChainPaddingMultiplyAdds = 32000;
constexpr bool mlp_chain_pays(std::int64_t rows, std::int64_t multiply_adds, std::int64_t depth) {
  const std::int64_t budget = rows <= 4 ? kMlpChainPaddingFewRows : kMlpChainPaddingMultiplyAdds;
  return rows == 0 || rows >= 16 || (16 - rows) * multiply_adds <= budget * depth;
}

/// The chain's two kernels on one batch, as tensors and without a node: mlp_chain's node runs
/// them, and nn::TrainStep, which records no graph for the chain, runs them itself.
class ChainPass {
 public:
  /// Runs the forward on x, keeping what gradients() reads where `keep`. mlp_chain_applies(x,
  /// stages) must hold.
  ChainPass(const Tensor& x, const std::vector<ChainStage>& stages, bool keep);
  /// y, once: the pass does not hold it after (a node that holds the pass holds no cycle).
  Tensor take_output() { return std::move(y_); }
  /// From dy = ∂L/∂y, fresh tensors ∂L/∂x, ∂L/∂W_1, ∂L/∂b_1, …, ∂L/∂b_L: entry i where need[i]
  /// (in that order), undefined elsewhere. Needs the pass built with `keep`.
  std::vector<Tensor> gradients(const Tensor& dy, const std::vector<bool>& need) const;
  const std::vector<backend::ChainLayer>& layers() const { return layers_; }

 private:
  backend::MlpChain problem() const { return {xc_.size(0), layers_.data(), static_cast<int>(layers_.size())}; }

  const backend::Backend* kernels_;
  std::vector<Tensor> held_;  // the weights' and biases' contiguous forms, which layers_ point into
  std::vector<backend::ChainLayer> layers_;
  Tensor xc_, kept_, y_;
};

/// y = f_L(… f_1(x W_1ᵀ + b_1) … W_Lᵀ + b_L), one node; throws ShapeError where it does not apply.
Tensor mlp_chain(const Tensor& x, const std::vector<ChainStage>& stages);

}  // namespace ann::detail
