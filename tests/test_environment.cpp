// Linked into every test program: before main, the environment that figures are drawn in is
// the tests' own, not the machine's or the user's. Fontconfig reads FONTCONFIG_FILE when cairo
// first draws text, in this process and in the `ann` processes the CLI tests start.
#include <cstdlib>

namespace {
const bool kFontsPinned = [] { return ::setenv("FONTCONFIG_FILE", ANN_TEST_FONTCONFIG, 1) == 0; }();
}  // namespace
