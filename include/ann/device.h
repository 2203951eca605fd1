#pragma once
// Where a tensor's storage lives. Parsed from "cpu", "cuda", "cuda:0" like torch.device, and
// "checked": the CPU behind a strict device boundary, whose memory the host cannot touch except
// through copies (Tensor::to, item, to_vector). Code that runs on "checked" keeps every host
// access on the right side of the boundary, as a GPU needs; the tests run there too.
// No CUDA back end is built today; asking for CUDA throws DeviceError at the point of use.
#include <string>
#include <string_view>

namespace ann {

enum class DeviceType { CPU, CUDA, Checked };

class Device {
 public:
  /// The CPU.
  constexpr Device() = default;
  constexpr Device(DeviceType type, int index = -1) : type_(type), index_(index) {}
  /// Parses "cpu", "checked", "cuda" or "cuda:N"; throws ValueError on anything else.
  explicit Device(std::string_view spec);

  constexpr DeviceType type() const { return type_; }
  /// The device ordinal, or -1 when none was given ("cuda").
  constexpr int index() const { return index_; }
  constexpr bool is_cpu() const { return type_ == DeviceType::CPU; }
  /// "cpu", "cuda", "cuda:1".
  std::string str() const;

  friend constexpr bool operator==(const Device&, const Device&) = default;

 private:
  DeviceType type_ = DeviceType::CPU;
  int index_ = -1;
};

/// Whether this build of ann can run tensors on `device`.
bool is_available(const Device& device);

/// Throws DeviceError unless this build can run tensors on `device`; `op` names the caller.
void check_available(const Device& device, const char* op);

/// The device tensors are made on when their options name none (TensorOptions()): the CPU
/// unless set_default_device says otherwise, like torch.set_default_device. Per process.
Device default_device();
/// Throws DeviceError for a device this build lacks.
void set_default_device(const Device& device);

}  // namespace ann
