// Linked into every test program: before main, the environment that figures are drawn in is
// the tests' own, not the machine's or the user's. Fontconfig reads FONTCONFIG_FILE when cairo
// first draws text, in this process and in the `ann` processes the CLI tests start.
// ANN_TEST_DEVICE names the device tensors are made on by default (ann::set_default_device):
// tests/CMakeLists.txt runs the op, module and optimizer suites once more on "checked".
#include <cstdlib>

#include "ann/device.h"

namespace {
const bool kFontsPinned = [] { return ::setenv("FONTCONFIG_FILE", ANN_TEST_FONTCONFIG, 1) == 0; }();
const bool kDeviceChosen = [] {
  const char* device = std::getenv("ANN_TEST_DEVICE");
  if (device != nullptr && *device != '\0') ann::set_default_device(ann::Device(device));
  return true;
}();
}  // namespace
