#!/usr/bin/env bash
# The layering of docs/architecture.md, checked on the sources and the built library, so that
# it stays true:
#   1. only src/backend/ includes the CPU back end's headers (src/backend/cpu/): ops, nn, optim,
#      autograd and io reach kernels through src/backend/backend.h;
#   2. the core library (src/ but lesson/ and plot/; include/ann/ but plot/, lesson.h and
#      mlp_file.h) includes nothing of the lesson, the figures, cairo or giflib;
#   3. public headers (include/ann/) include only public headers and the standard library;
#   4. the built core library (libann.a) calls no cairo or giflib function.
# Usage: check.sh SOURCE_DIR LIBANN
set -euo pipefail
root=$1
libann=$2
cd "$root"
failures=0
violation() { echo "layering: $*" >&2; failures=$((failures + 1)); }

while IFS= read -r hit; do
  violation "rule 1, only src/backend/ includes the CPU back end: $hit"
done < <(grep -rn '#include "backend/cpu/' src include --include='*.h' --include='*.cpp' | grep -v '^src/backend/' || true)

core_files() {
  find src include/ann -name '*.h' -o -name '*.cpp' | grep -v -e '^src/lesson/' -e '^src/plot/' \
    -e '^include/ann/plot/' -e '^include/ann/lesson.h$' -e '^include/ann/mlp_file.h$'
}
while IFS= read -r hit; do
  violation "rule 2, the core includes nothing of the lesson or the figures: $hit"
done < <(core_files | xargs grep -n -E '#include ["<](ann/lesson\.h|ann/mlp_file\.h|ann/plot/|lesson/|plot/|cairo|gif_lib)' || true)

while IFS= read -r hit; do
  violation "rule 3, public headers include only public headers: $hit"
done < <(grep -rn '#include "' include | grep -v '#include "ann/' || true)

if nm -u "$libann" | grep -E ' (cairo_|DGif|EGif|Gif)' | head -3 | grep -q .; then
  violation "rule 4, libann.a calls cairo or giflib: $(nm -u "$libann" | grep -E ' (cairo_|DGif|EGif|Gif)' | head -3 | tr '\n' ' ')"
fi

if ((failures > 0)); then
  echo "layering: $failures violation(s); docs/architecture.md says what may include what" >&2
  exit 1
fi
echo "layering: all four rules hold"
