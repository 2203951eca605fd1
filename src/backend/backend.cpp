#include "backend/backend.h"

#include "ann/error.h"
#include "backend/cpu/cpu_backend.h"

namespace ann::backend {

const Backend& backend_for(const Device& device) {
  check_available(device, "backend");
  return cpu_backend();
}

}  // namespace ann::backend
