#pragma once
// torch.nn.init: fill a parameter in place, with PyTorch's fan and gain rules and its random
// draws, so the same seed gives the same weights.
//
//   ann::nn::init::kaiming_normal_(layer.weight, 0, ann::nn::init::FanMode::FanOut,
//                                  ann::nn::init::Nonlinearity::ReLU);
//   ann::nn::init::zeros_(layer.bias);
//
// Each takes the tensor (a handle: the parameter itself changes), fills it without recording a
// gradient, and returns it. Throws ValueError where PyTorch raises (fans of a tensor with fewer
// than 2 dimensions, a negative std).
#include <cstdint>
#include <utility>

#include "ann/tensor.h"

namespace ann::nn::init {

enum class Nonlinearity { Linear, Sigmoid, Tanh, ReLU, LeakyReLU, SELU };
enum class FanMode { FanIn, FanOut };

/// The recommended gain for a nonlinearity: 1 (linear, sigmoid), 5/3 (tanh), √2 (ReLU),
/// √(2 / (1 + slope²)) (leaky ReLU, `param` its slope, default 0.01), 3/4 (SELU).
double calculate_gain(Nonlinearity nonlinearity, double param = 0.01);
/// (fan_in, fan_out): size(1) and size(0), times the product of the sizes after the second.
std::pair<std::int64_t, std::int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor);

Tensor uniform_(Tensor tensor, double a = 0.0, double b = 1.0);
Tensor normal_(Tensor tensor, double mean = 0.0, double std = 1.0);
Tensor constant_(Tensor tensor, double value);
Tensor zeros_(Tensor tensor);
Tensor ones_(Tensor tensor);
/// U(−a, a), a = gain · √(6 / (fan_in + fan_out)).
Tensor xavier_uniform_(Tensor tensor, double gain = 1.0);
/// N(0, std²), std = gain · √(2 / (fan_in + fan_out)).
Tensor xavier_normal_(Tensor tensor, double gain = 1.0);
/// U(−b, b), b = √3 · gain / √fan, gain = calculate_gain(nonlinearity, a).
Tensor kaiming_uniform_(Tensor tensor, double a = 0.0, FanMode mode = FanMode::FanIn,
                        Nonlinearity nonlinearity = Nonlinearity::LeakyReLU);
/// N(0, std²), std = gain / √fan.
Tensor kaiming_normal_(Tensor tensor, double a = 0.0, FanMode mode = FanMode::FanIn,
                       Nonlinearity nonlinearity = Nonlinearity::LeakyReLU);

}  // namespace ann::nn::init
