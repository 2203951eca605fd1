#pragma once
// The containers: nn::ModuleList holds modules in order; nn::Sequential also feeds each
// module's output to the next:
//   nn::Sequential model{nn::Linear(2, 100), nn::ReLU(), nn::Linear(100, 3)};
#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <type_traits>
#include <vector>

#include "ann/nn/module.h"

namespace ann::nn {

/// A module held by a Sequential: built implicitly from a module value (copied in) or from a
/// shared_ptr to one, so that a brace list can mix module types.
struct AnyModule {
  template <class M>
    requires std::derived_from<std::remove_cvref_t<M>, Module>
  AnyModule(M&& module)  // NOLINT: implicit on purpose
      : ptr(std::make_shared<std::remove_cvref_t<M>>(std::forward<M>(module))) {}
  template <class M>
    requires std::derived_from<M, Module>
  AnyModule(std::shared_ptr<M> module) : ptr(std::move(module)) {}  // NOLINT: implicit on purpose

  std::shared_ptr<Module> ptr;
};

/// torch.nn.ModuleList: modules held in order, named "0", "1", ... (so that their parameters
/// are the list's), for a forward a subclass writes itself. Calling the list is an error.
class ModuleList : public Module {
 public:
  ModuleList() = default;
  /// A brace list is evaluated left to right: layers draw their weights in the order written.
  ModuleList(std::initializer_list<AnyModule> modules);

  /// Appends a module; it is named by its position ("0", "1", ...).
  void push_back(AnyModule module);
  /// Throws ValueError: a ModuleList has no forward of its own (as in torch).
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "ModuleList"; }

  std::size_t size() const { return modules_.size(); }
  /// The i-th module; throws ValueError when out of range.
  Module& operator[](std::size_t i) const;
  /// The i-th module as a concrete type; throws TypeError when it is another type.
  template <class M> M& at(std::size_t i) const {
    auto* m = dynamic_cast<M*>(&(*this)[i]);
    if (!m) throw_wrong_type(i);
    return *m;
  }
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

 protected:
  const std::vector<std::shared_ptr<Module>>& modules() const { return modules_; }

 private:
  [[noreturn]] void throw_wrong_type(std::size_t i) const;
  std::vector<std::shared_ptr<Module>> modules_;
};

/// A ModuleList whose forward feeds each module's output to the next.
class Sequential : public ModuleList {
 public:
  Sequential() = default;
  /// Builds from a brace list, in order: Sequential{Linear(2, 100), ReLU(), Linear(100, 3)}.
  /// A brace list is evaluated left to right, so the layers draw their initial weights from
  /// the generator in the order written — as in PyTorch. (A parenthesised argument list would
  /// leave that order to the compiler, which is why there is no variadic constructor.)
  Sequential(std::initializer_list<AnyModule> modules) : ModuleList(modules) {}

  /// Runs the modules in order; runs of modules that ann/nn/fusion.h fuses (Linear – ReLU,
  /// the lesson's Linear – f – Linear) as one node each, with the same values.
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Sequential"; }
};

}  // namespace ann::nn
