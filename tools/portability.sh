#!/usr/bin/env bash
# By hand, for the record (not run by `make test` or CI): under every OpenBLAS core type this
# CPU can run, forced one command at a time with OPENBLAS_CORETYPE,
#   - which row cuts of a product OpenBLAS itself leaves bit for bit unchanged
#     (tools/portability/sgemm_split_probe.cpp: "same" for cuts at multiples of g), and
#   - whether `ann spiral` gives the same loss curve on 1 and 2 threads, at each of ann's own
#     ISA levels (ANN_CPU_LEVEL).
# Prints a Markdown table. Usage: tools/portability.sh [path/to/ann]  (default build/apps/ann)
set -euo pipefail
cd "$(dirname "$0")/.."
ann=${1:-build/apps/ann}
[ -x "$ann" ] || { echo "portability: no $ann; run make build first" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
g++ -O2 -std=c++20 -o "$work/probe" tools/portability/sgemm_split_probe.cpp -lopenblas

# OpenBLAS 0.3.21's x86-64 core types (driver/others/dynamic.c), oldest first, after OpenBLAS's
# own choice ("unset": what a machine that sets nothing gets).
cores=(unset Prescott Core2 Penryn Dunnington Nehalem Atom Opteron Opteron_SSE3 Barcelona Nano Bobcat Sandybridge
       Bulldozer Piledriver Steamroller Excavator Haswell Zen SkylakeX Cooperlake)
levels="baseline avx2 avx512"  # ann's own; a level this CPU lacks shows n/a
spiral=(spiral --per-class 333 --hidden 250 --layers 2 --epochs 20 --quiet)

with_core() {  # $1: core type or "unset", then the command
  local core=$1
  shift
  if [ "$core" = unset ]; then env -u OPENBLAS_CORETYPE "$@"; else OPENBLAS_CORETYPE=$core "$@"; fi
}

same_curve() {  # $1: core type, $2: ISA level
  for threads in 1 2; do
    with_core "$1" env ANN_CPU_LEVEL="$2" "$ann" --threads $threads "${spiral[@]}" --json "$work/$threads.json" \
      >/dev/null 2>&1 || { echo "n/a"; return; }
  done
  if python3 -c 'import json,sys; a,b=(json.load(open(f))["loss"] for f in sys.argv[1:]); sys.exit(a!=b)' \
       "$work/1.json" "$work/2.json"; then echo "same"; else echo "DIFF"; fi
}

printf '| OPENBLAS_CORETYPE | runs as | cuts OpenBLAS keeps exact (97×61×75) |'
for level in $levels; do printf ' 1 vs 2 threads, %s |' "$level"; done
echo
printf '|---|---|---|'; for _ in $levels; do printf -- '---|'; done; echo
for core in "${cores[@]}"; do
  if ! out=$(with_core "$core" "$work/probe" 97 61 75 nn 2>/dev/null); then
    echo "| $core | cannot run on this CPU | |"
    continue
  fi
  ran=$(awk '{print $1}' <<<"$out")
  exact=$(grep -o '[0-9]*:same' <<<"$out" | cut -d: -f1 | paste -sd' ')
  printf '| %s | %s | multiples of %s |' "$core" "$ran" "${exact:-none}"
  for level in $levels; do
    ANN_CPU_LEVEL=$level "$ann" spiral --epochs 1 --per-class 2 --quiet >/dev/null 2>&1 || { printf ' n/a |'; continue; }
    printf ' %s |' "$(same_curve "$core" "$level")"
  done
  echo
done
