#!/usr/bin/env bash
# Runs the safetensors fuzzer for a bounded time on a copy of the seed corpus (the committed
# corpus is never modified). Inputs that crash are kept in $ANN_FUZZ_ARTIFACTS (default
# ${TMPDIR:-/tmp}/ann-fuzz-artifacts); the exit status is the fuzzer's (0: nothing found).
#
#   tests/fuzz/run.sh [SECONDS] [FUZZER_BINARY]
#
# SECONDS defaults to 60. Without FUZZER_BINARY the target is built in build-fuzz (or
# $ANN_FUZZ_BUILD), which is configured standalone with clang++ if it does not exist yet.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-60}
fuzzer=${2:-}

if [[ -z $fuzzer ]]; then
  build=${ANN_FUZZ_BUILD:-$root/build-fuzz}
  if [[ ! -f $build/CMakeCache.txt ]]; then
    cmake -S "$here" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++
  fi
  cmake --build "$build" --target fuzz_safetensors
  fuzzer=$(find "$build" -name fuzz_safetensors -type f -perm -u+x | head -n 1)
  [[ -n $fuzzer ]] || { echo "run.sh: fuzz_safetensors was not built (is the compiler Clang?)" >&2; exit 2; }
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/corpus_safetensors" "$work/corpus"
artifacts=${ANN_FUZZ_ARTIFACTS:-${TMPDIR:-/tmp}/ann-fuzz-artifacts}
mkdir -p "$artifacts"

# -max_len: headers and tensors of a few KB reach every check; -rss_limit_mb: a lying header
# that made us allocate would be reported as a crash rather than swap the machine.
status=0
"$fuzzer" "$work/corpus" \
  -dict="$here/safetensors.dict" \
  -max_total_time="$seconds" \
  -max_len=4096 \
  -rss_limit_mb=1024 \
  -timeout=10 \
  -print_final_stats=1 \
  -artifact_prefix="$artifacts/" || status=$?
echo "run.sh: corpus grew from $(ls "$here/corpus_safetensors" | wc -l) to $(ls "$work/corpus" | wc -l) inputs;" \
  "crash inputs (if any) are in $artifacts"
exit "$status"
