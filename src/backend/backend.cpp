#include "backend/backend.h"

#include "ann/error.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/sgemm.h"

namespace ann::backend {

const Backend& backend_for(const Device& device) {
  check_available(device, "backend");
  return cpu_backend();
}

void set_num_threads(int threads) { cpu::set_sgemm_threads(threads); }

}  // namespace ann::backend
