// The two-layer model's decision regions as training proceeds, as an animated GIF.
#include <algorithm>

#include "ann/autograd.h"
#include "ann/error.h"
#include "lesson_common.h"

namespace ann::plot {

BoundaryRecorder::BoundaryRecorder(data::Labelled data, Style style) : data_(std::move(data)), style_(style) {}

void BoundaryRecorder::record(nn::Module& model, const std::string& name) {
  frames_.push_back(boundary_figure(model, data_, name, style_).render());
}

void BoundaryRecorder::write(const std::filesystem::path& path, const GifOptions& options) const {
  write_gif(path, frames_, options);
}

namespace {

void load(nn::Module& model, const std::vector<std::pair<std::string, Tensor>>& initial) {
  NoGradGuard no_grad;
  auto params = model.named_parameters();
  for (const auto& entry : initial) {
    // (no structured binding: clang 14 cannot capture one in the lambda below)
    const std::string& name = entry.first;
    const Tensor& value = entry.second;
    auto it = std::find_if(params.begin(), params.end(), [&](const auto& p) { return p.first == name; });
    if (it == params.end() || it->second.sizes() != value.sizes()) {
      throw ValueError("plot: initial parameter \"" + name + "\" does not fit the animation's model");
    }
    NoGradGuard no_grad;
    it->second.copy_(value);
  }
}
}  // namespace

std::size_t boundary_animation(const data::Labelled& data, const std::filesystem::path& gif,
                               const AnimationOptions& options) {
  if (options.epochs < 1 || options.every < 1) {
    throw ValueError("plot: the animation needs epochs >= 1 and a frame every >= 1 epochs, got epochs " +
                     std::to_string(options.epochs) + ", every " + std::to_string(options.every));
  }
  const std::int64_t classes = class_count(data.y);
  // A model of its own seed; drawing figures never changes what a later experiment draws.
  const KeepGeneratorState keep;
  manual_seed(options.seed);
  nn::Sequential model = lesson::make_mlp(2, options.hidden, 1, classes, lesson::Activation::ReLU);
  load(model, options.initial);
  auto optimizer =
      lesson::make_optimizer(lesson::OptimizerKind::Adam, model.parameters(), options.lr, options.weight_decay);

  BoundaryRecorder recorder(data, options.style);
  auto name = [](std::int64_t epoch) { return "Epoch " + std::to_string(epoch); };
  recorder.record(model, name(0));
  // train_classifier reports after each step: report.epoch + 1 steps have been taken.
  lesson::train_classifier(model, *optimizer, data.X, data.y, options.epochs, [&](const lesson::EpochReport& r) {
    const std::int64_t done = r.epoch + 1;
    if (done % options.every == 0 || done == options.epochs) recorder.record(model, name(done));
  });
  recorder.write(gif, options.gif);
  return recorder.frames().size();
}

}  // namespace ann::plot
