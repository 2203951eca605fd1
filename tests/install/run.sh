#!/usr/bin/env bash
# Installs the built ann into a temporary prefix, then configures, builds and runs a separate
# project that finds it with find_package(ann). Usage: run.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > /dev/null
cmake -S "$source/tests/install/consumer" -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" ${ANN_CONSUMER_FLAGS:-} > /dev/null
cmake --build "$work/consumer" > /dev/null
"$work/consumer/consumer"
"$work/consumer/lesson_consumer"
echo "find_package(ann) consumers of ann::ann and ann::lesson built and ran"
