#!/bin/sh
# The libtorch oracle for tests/libtorch/: builds each program there against Debian's libtorch
# 1.13 (libtorch-dev; never needed to build or test ann) and writes its output to
# tests/fixtures/libtorch/<program>.txt, which ann's build of the same program must reproduce
# (tests/CMakeLists.txt, compare_output).
#
# How to run (from the repository root):  sh tools/parity/run_libtorch_programs.sh
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$root/tests/fixtures/libtorch"
for source in "$root"/tests/libtorch/*.cpp; do
  name=$(basename "$source" .cpp)
  [ "$name" = compare_output ] && continue
  g++ -std=c++17 -O1 -DANN_LIBTORCH_ORACLE -I/usr/include/torch/csrc/api/include "$source" \
      -o "$work/$name" -ltorch -ltorch_cpu -lc10
  OMP_NUM_THREADS=1 "$work/$name" > "$work/$name.txt"  # a program that fails leaves the fixture as it was
  mv "$work/$name.txt" "$root/tests/fixtures/libtorch/$name.txt"
  echo "wrote tests/fixtures/libtorch/$name.txt"
done
