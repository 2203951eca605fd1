#include "backend/backend.h"

#include "ann/error.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/sgemm.h"

namespace ann::backend {

const Backend& backend_for(const Device& device) {
  check_available(device, "backend");
  return cpu_backend();
}

void Backend::narrow_mlp_forward(const NarrowMlp&, const float*, float*, float*) const {
  throw DeviceError("narrow_mlp_forward: this back end has no two-layer kernel (has_narrow_mlp() is false)");
}

void Backend::narrow_mlp_backward(const NarrowMlp&, const float*, const float*, const float*,
                                  const NarrowMlpGrads&) const {
  throw DeviceError("narrow_mlp_backward: this back end has no two-layer kernel (has_narrow_mlp() is false)");
}

void set_num_threads(int threads) { cpu::set_sgemm_threads(threads); }

}  // namespace ann::backend
