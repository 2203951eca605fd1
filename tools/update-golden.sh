#!/usr/bin/env bash
# Regenerates the golden images of tests/golden/ from the current renderer, after a change
# to how figures look that is meant. Look at every new image before committing it.
#   tools/update-golden.sh [BUILD_DIR]     (default: build)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target test_plot_golden
# With ANN_UPDATE_GOLDEN set, each golden test writes its figure instead of comparing.
ANN_UPDATE_GOLDEN=1 "$build/tests/test_plot_golden" --gtest_brief=1
# Then compare, to be sure the new files read back as written.
"$build/tests/test_plot_golden" --gtest_brief=1
ls -l "$root/tests/golden"/*.png
