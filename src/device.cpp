#include "ann/device.h"

#include <atomic>
#include <charconv>

#include "ann/error.h"

namespace ann {

Device::Device(std::string_view spec) {
  auto bad = [&] {
    return ValueError("Device: cannot parse \"" + std::string(spec) +
                      "\"; expected \"cpu\", \"checked\", \"cuda\" or \"cuda:N\"");
  };
  if (spec == "cpu") return;
  if (spec == "checked") {
    type_ = DeviceType::Checked;
    return;
  }
  if (spec.substr(0, 4) != "cuda") throw bad();
  type_ = DeviceType::CUDA;
  if (spec.size() == 4) return;
  if (spec[4] != ':' || spec.size() == 5) throw bad();
  const char* first = spec.data() + 5;
  const char* last = spec.data() + spec.size();
  auto [end, ec] = std::from_chars(first, last, index_);
  if (ec != std::errc() || end != last || index_ < 0) throw bad();
}

std::string Device::str() const {
  if (type_ == DeviceType::CPU) return "cpu";
  if (type_ == DeviceType::Checked) return "checked";
  return index_ < 0 ? "cuda" : "cuda:" + std::to_string(index_);
}

bool is_available(const Device& device) { return device.type() != DeviceType::CUDA; }

void check_available(const Device& device, const char* op) {
  if (!is_available(device)) {
    throw DeviceError(std::string(op) + ": device " + device.str() +
                      " is not available: this build of ann has no CUDA support (CPU only)");
  }
}

namespace {
std::atomic<Device> the_default_device{Device()};
}  // namespace

Device default_device() { return the_default_device.load(std::memory_order_relaxed); }

void set_default_device(const Device& device) {
  check_available(device, "set_default_device");
  the_default_device.store(device, std::memory_order_relaxed);
}

}  // namespace ann
