#pragma once
// For the suites `make test` also runs on the checked device (ANN_TEST_DEVICE=checked): what the
// default device's back end offers. The CPU has every fused entry; "checked" has none, so a
// test of a fused kernel itself skips there while the compositions run.
#include <gtest/gtest.h>

#include "ann/device.h"
#include "backend/backend.h"

namespace ann::testing {

inline bool default_device_has(backend::Fused entry) { return backend::backend_for(default_device()).has(entry); }

}  // namespace ann::testing

/// Skips the rest of a test of a fused kernel when the default device lacks it.
#define ANN_SKIP_WITHOUT_FUSED(entry)                                                             \
  if (!::ann::testing::default_device_has(::ann::backend::Fused::entry))                          \
  GTEST_SKIP() << "the " << ::ann::default_device().str() << " back end has no fused " #entry " kernel"
