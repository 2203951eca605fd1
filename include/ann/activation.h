#pragma once
// The squashing functions of the lesson's networks, as one type for every layer that names one:
// the ops (ann/ops.h), the modules' fusion (ann/nn/fusion.h) and the back end's fused kernels.
namespace ann {

/// The squashing function applied after an affine layer (None: the layer stays affine).
enum class Activation { None, ReLU, Tanh, Sigmoid };

}  // namespace ann
