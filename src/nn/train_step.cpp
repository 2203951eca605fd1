#include "ann/train_step.h"

#include <algorithm>
#include <array>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include "ann/autograd.h"
#include "ann/nn/fusion.h"
#include "ann/nn/linear.h"
#include "ann/nn/sequential.h"
#include "autograd/node.h"
#include "nn/fused_plan.h"
#include "nn/loss_without_graph.h"
#include "ops/linear.h"
#include "ops/mlp_chain.h"
#include "ops/narrow_mlp.h"

namespace ann {

// The segments Sequential's forward runs for inputs like the last: asking fusion.cpp again each
// step (a cast per module, the stages' tensors copied) took a tenth of a small net's step. It
// holds while the inputs keep their shape, type and device and the layers keep their tensors,
// of the same type and device (Module::to converts a parameter in place); a module list only
// grows, and the activations' parameters are fixed.
struct TrainStep::Plan {
  Shape input_sizes;
  DType input_dtype = DType::Float32;
  Device input_device;
  std::size_t modules = 0;
  std::vector<nn::FusedSegment> segments;
  std::vector<std::vector<bool>> need;  // gradients_needed's, refilled each step in place

  bool holds_for(const nn::Sequential& model, const Tensor& X) const {
    if (X.sizes() != input_sizes || X.dtype() != input_dtype || X.device() != input_device || model.size() != modules)
      return false;
    auto same = [&](const Tensor& now, const Tensor& then) {
      return now.is_same(then) && (!now.defined() || (now.dtype() == DType::Float32 && now.device() == input_device));
    };
    for (const nn::FusedSegment& segment : segments) {
      for (std::size_t l = 0; l < segment.layers.size(); ++l) {
        if (!same(segment.layers[l]->weight, segment.stages[l].W) || !same(segment.layers[l]->bias, segment.stages[l].b))
          return false;
      }
    }
    return true;
  }
};

TrainStep::TrainStep(nn::Module& model, Criterion criterion, optim::Optimizer& optimizer)
    : model_(model), criterion_(std::move(criterion)), optimizer_(optimizer) {}
TrainStep::~TrainStep() = default;
TrainStep::TrainStep(TrainStep&&) noexcept = default;

namespace {

using SegmentPass = std::variant<detail::NarrowMlpPass, detail::ChainPass, detail::LinearPass>;

// Which of a segment's x, W_1, b_1, …, W_L, b_L get a gradient, as backward would give them: x
// where a parameter before the segment gets one (the model's input does not; TrainStep takes
// none that requires grad), each parameter where it requires grad. False where a parameter that
// requires grad is no leaf: backward would take its gradient further, which TrainStep does not.
bool gradients_needed(const std::vector<nn::FusedSegment>& segments, std::vector<std::vector<bool>>& need,
                      bool& any_parameter) {
  need.resize(segments.size());  // (the inner vectors keep their memory from step to step)
  any_parameter = false;
  for (std::size_t s = 0; s < segments.size(); ++s) {
    need[s].clear();
    need[s].push_back(any_parameter);
    for (const detail::ChainStage& stage : segments[s].stages) {
      for (const Tensor* p : {&stage.W, &stage.b}) {
        const bool needed = p->defined() && p->requires_grad();
        if (needed && !p->is_leaf()) return false;
        need[s].push_back(needed);
        any_parameter = any_parameter || needed;
      }
    }
  }
  return true;
}

// The model's output on X, each segment's kernels run with no node; `passes` keeps what their
// backward reads, where a gradient is needed there.
Tensor forward_through(const std::vector<nn::FusedSegment>& segments, const std::vector<std::vector<bool>>& need,
                       const Tensor& X, std::vector<SegmentPass>& passes) {
  passes.reserve(segments.size());
  Tensor h = X;
  for (std::size_t s = 0; s < segments.size(); ++s) {
    const nn::FusedSegment& segment = segments[s];
    const bool keep = std::find(need[s].begin(), need[s].end(), true) != need[s].end();
    const detail::ChainStage& layer = segment.stages.front();
    switch (segment.kind) {
      case nn::FusedSegment::Kind::TwoLayer: {
        const detail::ChainStage& second = segment.stages.back();
        h = std::get<detail::NarrowMlpPass>(passes.emplace_back(std::in_place_type<detail::NarrowMlpPass>, h, layer.W,
                                                                 layer.b, segment.two_layer_f, second.W, second.b, keep))
                .take_output();
        break;
      }
      case nn::FusedSegment::Kind::Chain:
        h = std::get<detail::ChainPass>(passes.emplace_back(std::in_place_type<detail::ChainPass>, h, segment.stages, keep))
                .take_output();
        break;
      case nn::FusedSegment::Kind::Affine:
        h = std::get<detail::LinearPass>(
                passes.emplace_back(std::in_place_type<detail::LinearPass>, h, layer.W, layer.b, layer.f, keep))
                .take_output();
        break;
    }
  }
  return h;
}

// One segment's gradients from dy, as its node's backward gives them: where the node adds a
// parameter's gradient into its .grad itself (the sinks a backward pass offers), so does this.
std::vector<Tensor> gradients_of(const nn::FusedSegment& segment, const SegmentPass& pass, const Tensor& dy,
                                 const std::vector<bool>& need) {
  switch (segment.kind) {
    case nn::FusedSegment::Kind::TwoLayer: {
      const detail::ChainStage &first = segment.stages.front(), &second = segment.stages.back();
      const std::array<Tensor*, 5> sinks{nullptr, autograd::grad_sink(first.W), autograd::grad_sink(first.b),
                                         autograd::grad_sink(second.W), autograd::grad_sink(second.b)};
      return std::get<detail::NarrowMlpPass>(pass).gradients(dy, {need[0], need[1], need[2], need[3], need[4]}, sinks);
    }
    case nn::FusedSegment::Kind::Chain: return std::get<detail::ChainPass>(pass).gradients(dy, need);
    case nn::FusedSegment::Kind::Affine:
      return std::get<detail::LinearPass>(pass).gradients(dy, need, autograd::grad_sink(segment.stages[0].W), nullptr);
  }
  return {};
}

// From dy = ∂L/∂output, through each segment's kernels, last to first, as backward would: the
// gradients the kernels do not add into a .grad themselves handed to the parameters as backward
// hands them (hooks, accumulation).
void backward_through(const std::vector<nn::FusedSegment>& segments, const std::vector<SegmentPass>& passes,
                      const std::vector<std::vector<bool>>& need, Tensor dy) {
  NoGradGuard as_in_backward;  // (a pass without create_graph adds into a gradient in place)
  for (std::size_t s = segments.size(); s-- > 0 && dy.defined();) {
    const nn::FusedSegment& segment = segments[s];
    std::vector<Tensor> grads = gradients_of(segment, passes[s], dy, need[s]);
    for (std::size_t l = 0; l < segment.stages.size(); ++l) {
      const detail::ChainStage& stage = segment.stages[l];
      if (grads[1 + 2 * l].defined()) autograd::accumulate_grad(stage.W, std::move(grads[1 + 2 * l]));
      if (grads[2 + 2 * l].defined()) autograd::accumulate_grad(stage.b, std::move(grads[2 + 2 * l]));
    }
    dy = std::move(grads[0]);
  }
}

}  // namespace

Tensor TrainStep::operator()(const Tensor& X, const Tensor& y) {
  // The segments, where Sequential's own forward (not a subclass's) would run only its fused
  // nodes.
  const std::vector<nn::FusedSegment>* segments = nullptr;
  std::vector<std::vector<bool>>* need = nullptr;
  if (typeid(model_) == typeid(nn::Sequential) && nn::fusion_enabled() && is_grad_enabled() && X.defined() &&
      !X.requires_grad()) {
    const auto& sequential = static_cast<const nn::Sequential&>(model_);
    if (!plan_ || !plan_->holds_for(sequential, X)) {
      plan_ = std::make_unique<Plan>(Plan{X.sizes(), X.dtype(), X.device(), sequential.size(),
                                          nn::fused_plan(nn::Modules(sequential.begin(), sequential.end()), X), {}});
    }
    segments = &plan_->segments;
    need = &plan_->need;
  }
  bool any_parameter = false;
  fused_ = segments && !segments->empty() && gradients_needed(*segments, *need, any_parameter) && any_parameter;
  if (!fused_) {
    Tensor output = model_(X);               // 1. forward
    Tensor loss = criterion_(output, y);     // 2. loss
    last_output_ = output.detach();
    optimizer_.zero_grad();                  // 3. zero the gradients
    loss.backward();                         // 4. back-propagate
    optimizer_.step();                       // 5. a step of gradient descent
    return loss;
  }

  std::vector<SegmentPass> passes;
  Tensor output = forward_through(*segments, *need, X, passes);  // 1. forward, each segment's kernels
  Tensor loss, d_output;
  if (nn::loss_without_graph(criterion_, output, y, loss, d_output)) {  // 2. loss, and its gradient
    optimizer_.zero_grad();                                              // 3. zero the gradients
  } else {
    output.requires_grad_();                           // a leaf: the loss's graph ends here
    loss = criterion_(output, y);                      // 2. loss
    optimizer_.zero_grad();                            // 3. zero the gradients
    loss.backward();                                   // 4. back-propagate to the output …
    d_output = output.grad();
  }
  last_output_ = output.detach();
  backward_through(*segments, passes, *need, std::move(d_output));  // 4. … and through the segments
  optimizer_.step();                                   // 5. a step of gradient descent
  return loss;
}

}  // namespace ann
