#pragma once
// nn::Linear — the affine layer of the lesson, y = x Wᵀ + b (PyTorch's "miss-named" Linear).
#include <cstdint>

#include "ann/generator.h"
#include "ann/nn/module.h"
#include "ann/ops.h"

namespace ann::nn {

class Linear : public Module {
 public:
  /// W [out, in] then b [out], both drawn from U(−1/√in, 1/√in) on the global generator,
  /// exactly as torch.nn.Linear initialises them (same order, same values for the same seed).
  Linear(std::int64_t in_features, std::int64_t out_features, bool bias = true);
  /// The same, drawing from `generator`.
  Linear(std::int64_t in_features, std::int64_t out_features, bool bias, Generator& generator);

  /// x [*, in] -> [*, out]: one sample [in], a batch [m, in], or more leading dimensions.
  Tensor forward(const Tensor& x) override;
  /// f(x Wᵀ + b) as one fused node (what Sequential runs for Linear followed by f).
  Tensor forward(const Tensor& x, Activation f);
  std::string name() const override { return "Linear"; }
  std::string extra_repr() const override;

  std::int64_t in_features() const { return in_features_; }
  std::int64_t out_features() const { return out_features_; }

  Tensor weight;  ///< [out, in]
  Tensor bias;    ///< [out], undefined when built without bias

 private:
  std::int64_t in_features_, out_features_;
};

}  // namespace ann::nn
