#include "ann/device.h"

#include <atomic>
#include <charconv>
#include <cstdint>

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
// The type in the high 32 bits, the index in the low: one lock-free word (an atomic<Device>
// needs libatomic under Clang), read each time a TensorOptions is made.
constexpr std::uint64_t pack(const Device& d) {
  return (static_cast<std::uint64_t>(d.type()) << 32) | static_cast<std::uint32_t>(d.index());
}
Device unpack(std::uint64_t word) {
  return Device(static_cast<DeviceType>(word >> 32), static_cast<int>(static_cast<std::uint32_t>(word)));
}
// Constant-initialised, so set before any other file's static initialisers read or set it.
constinit std::atomic<std::uint64_t> the_default_device{pack(Device())};
}  // namespace

Device default_device() { return unpack(the_default_device.load(std::memory_order_relaxed)); }

void set_default_device(const Device& device) {
  check_available(device, "set_default_device");
  the_default_device.store(pack(device), std::memory_order_relaxed);
}

}  // namespace ann
