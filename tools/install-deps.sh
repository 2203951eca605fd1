#!/usr/bin/env bash
# Installs the Debian packages ann needs to build, test and run, skipping those already
# installed. Uses sudo only when not root. Debian packages only; nothing is downloaded
# from anywhere else.
set -euo pipefail

packages=(
  cmake ninja-build g++ make pkg-config   # toolchain
  libdnnl-dev libopenblas-dev              # tuned sgemm (oneDNN) and dgemm (OpenBLAS)
  libcli11-dev nlohmann-json3-dev libfmt-dev
  libcairo2-dev libgif-dev fonts-dejavu-core   # figures (the golden images use DejaVu Sans)
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-dev                    # the libFuzzer targets (tests/fuzz) that `make test` runs
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
