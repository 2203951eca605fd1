#include "backend/backend.h"

#include <string>

#include "ann/error.h"
#include "backend/checked/checked_backend.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/parallel.h"

namespace ann::backend {

const Backend& backend_for(const Device& device) {
  check_available(device, "backend");
  return device.type() == DeviceType::Checked ? checked_backend() : cpu_backend();
}

namespace {
// What a fused entry a back end lacks does when called anyway: callers ask has() first.
[[noreturn]] void missing(const char* entry, const char* fused) {
  throw DeviceError(std::string(entry) + ": this back end has no fused " + fused + " kernel (has(Fused::" + fused +
                    ") is false); the caller should have run the composition");
}
}  // namespace

void Backend::bias_activation(float*, float*, const float*, std::int64_t, std::int64_t, const Squash&) const {
  missing("bias_activation", "LinearEpilogue");
}
void Backend::activation_backward_bias(const float*, Kept, const float*, float*, float*, std::int64_t, std::int64_t,
                                       const Squash&) const {
  missing("activation_backward_bias", "LinearEpilogue");
}
bool Backend::has_first_layer_backward(std::int64_t, std::int64_t, std::int64_t) const { return false; }
void Backend::first_layer_backward(const float*, const float*, const float*, float*, bool, float*, std::int64_t,
                                   std::int64_t, std::int64_t, const Squash&) const {
  missing("first_layer_backward", "LinearEpilogue");
}
void Backend::narrow_mlp_forward(const NarrowMlp&, const float*, float*, float*) const {
  missing("narrow_mlp_forward", "NarrowMlp");
}
void Backend::narrow_mlp_backward(const NarrowMlp&, const float*, const float*, const float*,
                                  const NarrowMlpGrads&) const {
  missing("narrow_mlp_backward", "NarrowMlp");
}
void Backend::mlp_chain_forward(const MlpChain&, const float*, float*, float*) const {
  missing("mlp_chain_forward", "MlpChain");
}
void Backend::mlp_chain_backward(const MlpChain&, const float*, const float*, const float*,
                                 const MlpChainGrads&) const {
  missing("mlp_chain_backward", "MlpChain");
}
void Backend::cross_entropy(const float*, const std::int64_t*, float*, float*, std::int64_t, std::int64_t) const {
  missing("cross_entropy", "CrossEntropy");
}
void Backend::cross_entropy_backward(const float*, const float*, float, float*, std::int64_t, std::int64_t) const {
  missing("cross_entropy_backward", "CrossEntropy");
}
double Backend::squared_error(const float*, const float*, float*, std::int64_t) const {
  missing("squared_error", "SquaredError");
}
double Backend::pointwise_loss(PointwiseLoss, const float*, const float*, float*, std::int64_t, double) const {
  missing("pointwise_loss", "PointwiseLoss");
}
void Backend::sgd_step(std::span<const SgdUpdate>) const { missing("sgd_step", "OptimizerSteps"); }
void Backend::adam_step(std::span<const AdamUpdate>) const { missing("adam_step", "OptimizerSteps"); }
void Backend::rmsprop_step(std::span<const RmspropUpdate>) const { missing("rmsprop_step", "OptimizerSteps"); }
void Backend::adagrad_step(std::span<const AdagradUpdate>) const { missing("adagrad_step", "OptimizerSteps"); }

void set_num_threads(int threads) { cpu::set_threads(threads); }

}  // namespace ann::backend
