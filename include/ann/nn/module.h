#pragma once
// nn::Module — the base of every layer: it owns named parameters and named child modules,
// and is called like a function, y = module(x).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ann/device.h"
#include "ann/tensor.h"

namespace ann::nn {

class Module {
 public:
  virtual ~Module() = default;

  /// The layer's computation.
  virtual Tensor forward(const Tensor& input) = 0;
  /// Same as forward(input).
  Tensor operator()(const Tensor& input) { return forward(input); }

  /// The class name shown when printing, e.g. "Linear".
  virtual std::string name() const = 0;
  /// The text inside the parentheses when printing, e.g. "in_features=2, out_features=100, bias=True".
  virtual std::string extra_repr() const { return ""; }
  /// PyTorch-style description of the module tree.
  std::string str() const;

  /// Every parameter of this module and its children, in registration order.
  std::vector<Tensor> parameters() const;
  /// Parameters with PyTorch state_dict names: "weight", "0.weight", "2.bias", ...
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  /// The direct children, with their names ("0", "1", ... in a Sequential).
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& named_children() const { return children_; }

  /// Buffers: state that is not trained but belongs to the model (BatchNorm's running
  /// statistics), with state-dict names, in registration order.
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;
  std::vector<Tensor> buffers() const;

  /// Parameters and buffers by state-dict name, detached (torch's state_dict(), in its order:
  /// each module's parameters, then its buffers, then its children's). Model files hold these.
  std::vector<std::pair<std::string, Tensor>> state_dict() const;
  /// Copies `state` into the parameters and buffers, in place (handles held elsewhere see the
  /// values). strict: every entry must be given and nothing else. Throws ValueError naming the
  /// missing and unexpected keys, ShapeError naming a key whose shape differs; nothing is
  /// copied when a check fails.
  void load_state_dict(const std::vector<std::pair<std::string, Tensor>>& state, bool strict = true);

  /// Clears the gradient of every parameter (the lesson's step 3): drops it (set_to_none, the
  /// default, as libtorch) or zeroes it in place (optim::Optimizer::zero_grad says why).
  void zero_grad(bool set_to_none = true);
  /// Training mode (the default) or evaluation mode, for this module and its children.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  /// Moves the parameters (and their gradients) and the buffers to `device` in place, as torch: they stay the
  /// same tensors, so handles held elsewhere (an optimizer, a submodule) follow. Throws
  /// DeviceError for a device this build lacks.
  Module& to(const Device& device);
  /// Converts the floating parameters (and gradients) and buffers to `dtype` (float32 or
  /// float64) in place, as torch's module.to(torch::kFloat64): the same tensors, so an optimizer
  /// made afterwards, or a handle held before, sees them. Integer buffers (BatchNorm's count)
  /// keep their type. TypeError for a non-floating dtype.
  Module& to(DType dtype);

 protected:
  Module() = default;
  Module(const Module&) = default;
  Module& operator=(const Module&) = default;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;

  /// Registers a parameter under `name` (it is made to require grad) and returns it.
  Tensor register_parameter(std::string name, Tensor value);
  /// Registers a buffer under `name` (it never requires grad) and returns it.
  Tensor register_buffer(std::string name, Tensor value);
  /// Registers a child module under `name`.
  void register_module(std::string name, std::shared_ptr<Module> child);

 private:
  using Named = std::vector<std::pair<std::string, Tensor>>;
  Named named(Named Module::*own) const;

  Named parameters_;
  Named buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

std::ostream& operator<<(std::ostream& os, const Module& m);

}  // namespace ann::nn
