// The fused stack of narrow layers: forward and backward of one node. The math of both passes is
// written next to the kernel, src/backend/cpu/mlp_chain.cpp.
#include "ops/mlp_chain.h"

#include <string>

#include "ann/autograd.h"
#include "ann/error.h"
#include "ann/ops.h"
#include "autograd/node.h"
#include "ops/linear.h"
#include "ops/op_util.h"
#include "tensor_impl.h"

namespace ann::detail {

namespace {

bool is_matrix_on(const Tensor& W, const Tensor& x) {
  return W.defined() && W.dtype() == DType::Float32 && W.dim() == 2 && W.device() == x.device();
}
bool is_bias_of(const Tensor& b, const Tensor& W, const Tensor& x) {
  return !b.defined() || (b.dtype() == DType::Float32 && b.dim() == 1 && b.size(0) == W.size(0) &&
                          b.device() == x.device());
}

// The chain as the layer-by-layer ops compute it, on v = {x, W_1, b_1, …, W_L, b_L} with the
// layers' activations: the reference, and the derivative that create_graph differentiates again.
Tensor compose(const std::vector<Tensor>& v, const std::vector<backend::ChainLayer>& layers) {
  Tensor h = v[0];
  for (std::size_t i = 0; i < layers.size(); ++i) h = squash(linear(h, v[1 + 2 * i], v[2 + 2 * i]), layers[i].f);
  return h;
}

}  // namespace

bool mlp_chain_applies(const Tensor& x, const std::vector<ChainStage>& stages) {
  if (!x.defined() || x.dtype() != DType::Float32 || x.dim() != 2 || stages.size() < 2) return false;
  if (!ops::backend_of(x).has(backend::Fused::MlpChain)) return false;
  std::int64_t in = x.size(1);
  if (in < 1 || (in > backend::kMlpChainMaxWidth && x.size(0) >= kMlpChainWideInputRows)) return false;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const ChainStage& s = stages[i];
    if (!is_matrix_on(s.W, x) || !is_bias_of(s.b, s.W, x) || s.W.size(1) != in) return false;
    const Tensor* next = i + 1 < stages.size() ? &stages[i + 1].W : nullptr;
    const std::int64_t next_out = next && next->defined() && next->dim() == 2 ? next->size(0) : 0;
    if (!mlp_chain_takes(in, s.W.size(0), next_out)) return false;
    if (s.f.applies && !backend::is_squash(s.f.op)) return false;
    in = s.W.size(0);
  }
  return true;
}

ChainPass::ChainPass(const Tensor& x, const std::vector<ChainStage>& stages, bool keep)
    : kernels_(&ops::backend_of(x)) {
  held_.reserve(2 * stages.size());
  layers_.reserve(stages.size());
  for (const ChainStage& s : stages) {
    held_.push_back(s.W.contiguous());
    held_.push_back(s.b.defined() ? s.b.contiguous() : Tensor());
    const Tensor &W = held_[held_.size() - 2], &b = held_.back();
    layers_.push_back({W.size(1), W.size(0), W.data<float>(), b.defined() ? b.data<float>() : nullptr, s.f});
  }
  xc_ = x.contiguous();
  const backend::MlpChain p = problem();
  y_ = make_tensor({p.m, layers_.back().out}, DType::Float32, x.device());
  if (keep) kept_ = make_tensor({backend::mlp_chain_kept_floats(p)}, DType::Float32, x.device());
  kernels_->mlp_chain_forward(p, xc_.data<float>(), y_.data<float>(), kept_.defined() ? kept_.data<float>() : nullptr);
}

std::vector<Tensor> ChainPass::gradients(const Tensor& dy, const std::vector<bool>& need) const {
  const Tensor dyc = dy.contiguous();
  const int depth = static_cast<int>(layers_.size());
  std::vector<Tensor> g(need.size());
  std::vector<float*> dW(layers_.size(), nullptr), db(layers_.size(), nullptr);
  auto gradient = [&](std::size_t i, Shape shape) {
    g[i] = make_tensor(shape, DType::Float32, dyc.device());
    return g[i].data<float>();
  };
  const backend::MlpChain p = problem();
  float* dx = need[0] ? gradient(0, {p.m, layers_.front().in}) : nullptr;
  for (int l = 0; l < depth; ++l) {
    const backend::ChainLayer& L = layers_[static_cast<std::size_t>(l)];
    if (need[1 + 2 * l]) dW[l] = gradient(1 + 2 * l, {L.out, L.in});
    if (need[2 + 2 * l]) db[l] = gradient(2 + 2 * l, {L.out});
  }
  kernels_->mlp_chain_backward(p, xc_.data<float>(), kept_.defined() ? kept_.data<float>() : nullptr, dyc.data<float>(),
                               {dx, dW.data(), db.data()});
  return g;
}

Tensor mlp_chain(const Tensor& x, const std::vector<ChainStage>& stages) {
  if (!mlp_chain_applies(x, stages)) {
    std::string shapes;
    for (const ChainStage& s : stages) {
      shapes += ' ';  // (not " " + string: GCC 12 warns falsely of overlapping copies there)
      shapes += s.W.defined() ? to_string(s.W.sizes()) : std::string("(none)");
    }
    throw ShapeError("mlp_chain: input " + (x.defined() ? to_string(x.sizes()) : std::string("(none)")) +
                     " and weights" + shapes + " are not a chain of at least 2 float32 layers, each at most " +
                     std::to_string(backend::kMlpChainMaxWidth) + " wide (or " + std::to_string(kMlpChainMaxThinWidth) +
                     " with at most " + std::to_string(kMlpChainThinSides) +
                     " inputs and next units together), on a device with the chain kernel");
  }
  std::vector<Tensor> inputs{x};  // x, W_1, b_1, …, W_L, b_L
  inputs.reserve(1 + 2 * stages.size());
  for (const ChainStage& s : stages) {
    inputs.push_back(s.W);
    inputs.push_back(s.b);
  }
  const bool backward_follows = is_grad_enabled() && autograd::any_requires_grad(inputs);
  ChainPass pass(x, stages, backward_follows);
  Tensor y = pass.take_output();
  if (!backward_follows) return y;
  std::vector<bool> need(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) need[i] = inputs[i].defined() && inputs[i].requires_grad();
  return autograd::record(
      "mlp_chain", std::move(y), std::move(inputs),
      // The closure keeps the pass, which holds the contiguous inputs (its layers point into
      // them), not detached copies: inputs, or fresh copies of them, make no cycle (node.h).
      [pass = std::move(pass), need = std::move(need)](const Tensor& dy, autograd::GradSinks,
                                                        const std::vector<Tensor>& in) {
        if (is_grad_enabled()) {  // a pass with create_graph: through the layers it stands for
          return autograd::differentiate_again(
              [&pass](const std::vector<Tensor>& v) { return compose(v, pass.layers()); }, in, dy);
        }
        return pass.gradients(dy, need);
      });
}

}  // namespace ann::detail
