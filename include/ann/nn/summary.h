#pragma once
// A model's summary in torchinfo's layout (its tree drawn more simply): each layer with its
// output shape and parameter count, then the totals.
//
//   std::cout << ann::nn::summary(model, {32, 4});   // an input batch of 32 rows of 4 features
#include <string>

#include "ann/nn/module.h"
#include "ann/shape.h"

namespace ann::nn {

/// Runs `model` once, without gradients, on zeros of `input_shape` and describes it: a
/// Sequential layer by layer (nested ones indented, numbered depth-index as torchinfo does),
/// any other module as one row. Throws what the forward throws for a wrong shape.
std::string summary(Module& model, const Shape& input_shape);

}  // namespace ann::nn
