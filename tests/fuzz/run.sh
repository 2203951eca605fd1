#!/usr/bin/env bash
# Runs the fuzzers for a bounded time each on a copy of their seed corpus (the committed corpora
# are never modified). Inputs that crash are kept in $ANN_FUZZ_ARTIFACTS (default
# the build directory's artifacts/); the exit status is 0 when no fuzzer found anything.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET_OR_BINARY...]
#
# SECONDS (per target) defaults to 60. The targets are fuzz_safetensors and fuzz_csv (default:
# both). A name is built in build-fuzz (or $ANN_FUZZ_BUILD), which is configured standalone
# with clang++ if it does not exist yet; a path is run as it is, its corpus and dictionary
# chosen by its file name.
set -euo pipefail

# Exit 77 (ctest's "skipped") when there is no Clang: libFuzzer is Clang's.
clangxx=${ANN_CLANGXX:-$(command -v clang++ || true)}
if [[ -z $clangxx || $clangxx == *NOTFOUND ]]; then
  echo "run.sh: SKIPPED: clang++ is not installed (tools/install-deps.sh installs it)"
  exit 77
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(fuzz_safetensors fuzz_csv)
artifacts=${ANN_FUZZ_ARTIFACTS:-${ANN_FUZZ_BUILD:-$root/build-fuzz}/artifacts}  # this build's own, not shared
mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The binary of target $1: built on demand when given by name.
binary_of() {
  if [[ $1 == */* ]]; then
    echo "$1"
    return
  fi
  local build=${ANN_FUZZ_BUILD:-$root/build-fuzz}
  if [[ ! -f $build/CMakeCache.txt ]]; then
    cmake -S "$here" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$clangxx" >&2
  fi
  cmake --build "$build" --target "$1" >&2
  local found
  found=$(find "$build" -name "$1" -type f -perm -u+x | head -n 1)
  [[ -n $found ]] || { echo "run.sh: $1 was not built (is the compiler Clang?)" >&2; return 1; }
  echo "$found"
}

status=0
for target in "${targets[@]}"; do
  fuzzer=$(binary_of "$target") || exit 2
  name=$(basename "$fuzzer")
  # -max_len: a few KB reach every check of either reader; -rss_limit_mb: an input that made us
  # allocate hugely is reported as a crash rather than swapping the machine.
  case $name in
    *csv*) corpus=corpus_csv dict=csv.dict max_len=1024 ;;
    *) corpus=corpus_safetensors dict=safetensors.dict max_len=4096 ;;
  esac
  rm -rf "$work/corpus"
  cp -r "$here/$corpus" "$work/corpus"
  echo "run.sh: $name for $seconds s"
  result=0
  "$fuzzer" "$work/corpus" \
    -dict="$here/$dict" \
    -max_total_time="$seconds" \
    -max_len="$max_len" \
    -rss_limit_mb=1024 \
    -timeout=10 \
    -print_final_stats=1 \
    -artifact_prefix="$artifacts/$name-" || result=$?
  echo "run.sh: $name: status $result; corpus grew from $(ls "$here/$corpus" | wc -l) to $(ls "$work/corpus" | wc -l)" \
    "inputs; crash inputs (if any) are in $artifacts"
  [[ $result -eq 0 ]] || status=$result
done
exit "$status"
