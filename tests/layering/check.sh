#!/usr/bin/env bash
# The layering of docs/architecture.md, checked on the sources and the built library, so that
# it stays true:
#   1. only src/backend/ includes the CPU back end's headers (src/backend/cpu/): ops, nn, optim,
#      autograd and io reach kernels through src/backend/backend.h;
#   2. the core library (src/ but lesson/ and plot/; include/ann/ but plot/, lesson.h and
#      mlp_file.h) includes nothing of the lesson, the figures, cairo or giflib;
#   3. public headers (include/ann/) include only public headers and the standard library;
#   4. the built core library (libann.a) calls no cairo or giflib function;
#   5. in the vector kernels' objects (the two-layer kernel, cross-entropy, argmax) every local
#      function is one of a kernel's ISA copies (src/backend/cpu/simd.h): a helper GCC left out
#      of line runs at the baseline level whatever the CPU (measured once: the spiral 2.3x slower).
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

drawing=$(nm -u "$libann" | grep -E ' (cairo_|DGif|EGif|Gif)' || true)
if [[ -n $drawing ]]; then
  violation "rule 4, libann.a calls cairo or giflib: $(head -3 <<<"$drawing" | tr -s ' \n' ' ')"
fi

symbols=$(nm -C --defined-only "$libann" | awk '/:$/ { member = $0; next } NF { print member " " $0 }')
if grep -q '_avx512<' <<<"$symbols"; then  # (one copy only in sanitizer and clang builds)
  while IFS= read -r hit; do
    violation "rule 5, kernel helpers are inlined into each ISA copy, not left out of line: $hit"
  done < <(grep -E '^(narrow_mlp_forward|narrow_mlp_backward|cross_entropy|argmax)\.cpp\.o: [0-9a-f]+ t ' <<<"$symbols" |
    grep -v -E '_avx512<|_avx2<|_baseline<|decltype\(auto\)|\.cold| std::' | cut -c1-200 || true)
fi

if ((failures > 0)); then
  echo "layering: $failures violation(s); docs/architecture.md says what may include what" >&2
  exit 1
fi
echo "layering: all five rules hold"
