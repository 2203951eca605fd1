#!/usr/bin/env bash
# Crash safety of `ann spiral --checkpoint`: the checkpoint on disk must always be whole and
# resumable, and a resumed run must end bit for bit like the uninterrupted one.
#
#   tests/kill/kill_resume.sh ANN_BINARY [KILLS]
#
#  1. A reference run (with checkpoints, uninterrupted) gives the loss curve and its duration T.
#  2. KILLS times (default 5): start the run (resuming the checkpoint when there is one), SIGKILL
#     it after a random delay in [0, T) (T timed again from a run that ends before its kill:
#     the machine may be less loaded than during the reference), then check that at most one orphaned temporary file
#     is left, that `ann predict` loads the checkpoint, and that a resume from a copy of it
#     finishes with the reference's curve, bit for bit (the JSON floats round-trip exactly).
#  3. The chain of killed runs is resumed to the end: the reference's curve again, and no
#     temporary file left (the resumed run removes the killed runs' orphans).
#  4. A full disk (a file-size limit, `ulimit -f`, makes writes fail with EFBIG) and a checkpoint
#     directory replaced by a file mid-run: exit code 2 with one clear error line, and the
#     previous checkpoint is kept and resumes to the reference.
# The delays come from $RANDOM seeded with ANN_KILL_SEED (default: the time); the seed is printed.
set -euo pipefail

ann=${1:?usage: kill_resume.sh ANN_BINARY [KILLS]}
kills=${2:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/ann-kill.XXXXXX")
trap 'rm -rf "$work"' EXIT
seed=${ANN_KILL_SEED:-$(date +%s)}
RANDOM=$seed
echo "kill_resume: seed $seed (ANN_KILL_SEED=$seed reproduces the delays)"

run=(spiral --per-class 200 --hidden 50 --epochs 3000 --quiet)
failures=0
fail() { echo "kill_resume: FAIL: $*" >&2; failures=$((failures + 1)); }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# The loss and accuracy curves of a JSON result: what must match bit for bit.
curves() { grep -o '"accuracy":\[[^]]*\]\|"loss":\[[^]]*\]\|"final_loss":[^,}]*' "$1"; }
temps() { find "$(dirname "$1")" -maxdepth 1 -name "$(basename "$1").tmp-*" | wc -l; }
epoch_of() { grep -a -o '"ann.epoch":"[0-9]*"' "$1" | grep -o '[0-9]*' || echo "?"; }

# Checks that checkpoint $1 loads as a model and resumes to the reference.
check_resumes() {
  local checkpoint=$1 label=$2
  if ! printf '0,0\n' | "$ann" predict --model "$checkpoint" >"$work/predict.out" 2>"$work/predict.err"; then
    fail "$label: ann predict cannot load the checkpoint: $(cat "$work/predict.err")"
    return
  fi
  cp "$checkpoint" "$work/copy.ckpt"
  if ! "$ann" "${run[@]}" --resume "$work/copy.ckpt" --json "$work/resumed.json" >/dev/null 2>"$work/resume.err"; then
    fail "$label: the resume failed: $(cat "$work/resume.err")"
    return
  fi
  [[ "$(curves "$work/resumed.json")" == "$(curves "$work/reference.json")" ]] ||
    fail "$label: the resumed run's curves differ from the uninterrupted run's"
}

# ---- 1. the reference ---------------------------------------------------------------------------
start=$(now_ms)
"$ann" "${run[@]}" --checkpoint "$work/reference.ckpt" --checkpoint-every 5 --json "$work/reference.json" >/dev/null
duration=$(($(now_ms) - start))
echo "kill_resume: uninterrupted run $duration ms, final $(curves "$work/reference.json" | grep final_loss)"

# ---- 2. kills -----------------------------------------------------------------------------------
checkpoint=$work/run.ckpt
survived=0 landed=0 early=0 attempts=0
while ((landed < kills && attempts < 3 * kills)); do
  attempts=$((attempts + 1))
  # Resume the checkpoint when there is one, unless it is nearly done: a kill needs time to land.
  resume=() done_epochs=0
  if [[ -f $checkpoint ]]; then
    done_epochs=$(epoch_of "$checkpoint")
    if ((done_epochs > 2700)); then rm -f "$checkpoint"; done_epochs=0; else resume=(--resume "$checkpoint"); fi
  fi
  window=$((duration * (3000 - done_epochs) / 3000))
  delay=$(((RANDOM * 32768 + RANDOM) % (window > 1 ? window : 1)))
  run_start=$(now_ms)
  "$ann" "${run[@]}" --checkpoint "$checkpoint" --checkpoint-every 5 "${resume[@]}" >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  kill -KILL "$pid" 2>/dev/null || true
  status=0
  { wait "$pid"; } 2>/dev/null || status=$?  # (without bash's "Killed" job report)
  if [[ $status -ne 137 ]]; then
    echo "kill_resume: a run from epoch $done_epochs finished before its kill at $delay ms (status $status); again"
    [[ $status -eq 0 ]] || fail "a run exited with status $status"
    # The reference was timed while other tests loaded the machine; runs can be faster now.
    # Time the whole run again from this one, so that the next delays fall inside a run.
    ran=$(($(now_ms) - run_start))
    ((status != 0 || ran >= duration)) || duration=$((ran * 3000 / (3000 - done_epochs)))
    continue
  fi
  landed=$((landed + 1))
  orphans=$(temps "$checkpoint")
  [[ $orphans -le 1 ]] || fail "kill $landed left $orphans temporary files"
  if [[ ! -f $checkpoint ]]; then
    echo "kill_resume: kill $landed at $delay ms came before the first checkpoint"
    early=$((early + 1)) survived=$((survived + 1))
    continue
  fi
  before=$failures
  check_resumes "$checkpoint" "kill $landed"
  if [[ $failures -eq $before ]]; then
    survived=$((survived + 1))
    echo "kill_resume: kill $landed, $delay ms into a run from epoch $done_epochs: the checkpoint (epoch" \
      "$(epoch_of "$checkpoint"); $orphans orphaned temp file) loads and resumes to the same curve"
  fi
done
((landed == kills)) || fail "only $landed of $kills kills landed before their run ended"

# ---- 3. the chain to its end --------------------------------------------------------------------
resume=()
[[ -f $checkpoint ]] && resume=(--resume "$checkpoint")
"$ann" "${run[@]}" --checkpoint "$checkpoint" --checkpoint-every 5 "${resume[@]}" --json "$work/chain.json" >/dev/null
[[ "$(curves "$work/chain.json")" == "$(curves "$work/reference.json")" ]] ||
  fail "the killed-and-resumed chain ends with other curves than the uninterrupted run"
[[ $(temps "$checkpoint") -eq 0 ]] || fail "temporary files remain after a successful run: $(ls "$work")"
echo "kill_resume: $survived of $landed kills survived ($early before the first checkpoint); the chain of resumed runs ends bit for bit as the uninterrupted one"

# ---- 4. a full disk, a vanished directory -------------------------------------------------------
# Writes beyond 40 KiB fail (EFBIG; SIGXFSZ ignored, as a full disk fails with ENOSPC): the
# checkpoint grows with its loss curve, so the first ones fit and a later one does not.
full=$work/full.ckpt
status=0
(trap '' XFSZ; ulimit -f 40; exec "$ann" "${run[@]}" --checkpoint "$full" --checkpoint-every 5) \
  >/dev/null 2>"$work/full.err" || status=$?
echo "kill_resume: full disk: status $status: $(cat "$work/full.err")"
[[ $status -eq 2 ]] || fail "full disk: exit status $status, expected 2"
[[ $(wc -l <"$work/full.err") -eq 1 ]] || fail "full disk: not one error line"
grep -q "full.ckpt holds the checkpoint of epoch" "$work/full.err" ||
  fail "full disk: the error does not say what the checkpoint holds"
[[ $(temps "$full") -eq 0 ]] || fail "full disk: a temporary file was left"
[[ -f $full ]] && check_resumes "$full" "full disk" || fail "full disk: no checkpoint kept"

mkdir "$work/dir"
status=0
"$ann" "${run[@]}" --checkpoint "$work/dir/run.ckpt" --checkpoint-every 5 >/dev/null 2>"$work/dir.err" &
pid=$!
for ((waited = 0; waited < 1000; waited++)); do
  [[ -f $work/dir/run.ckpt ]] && break
  sleep 0.005
done
mv "$work/dir" "$work/moved" && touch "$work/dir"  # the directory is gone; a file has its name
wait "$pid" || status=$?
echo "kill_resume: vanished directory: status $status: $(cat "$work/dir.err")"
[[ $status -eq 2 ]] || fail "vanished directory: exit status $status, expected 2"
[[ $(wc -l <"$work/dir.err") -eq 1 ]] || fail "vanished directory: not one error line"
# The write that was under way when the directory moved may leave its temp behind, in the
# moved directory (it unlinks by the old path); never more than that one.
[[ $(temps "$work/moved/run.ckpt") -le 1 ]] || fail "vanished directory: temporary files left"
check_resumes "$work/moved/run.ckpt" "vanished directory"

if [[ $failures -ne 0 ]]; then
  echo "kill_resume: $failures check(s) failed" >&2
  exit 1
fi
echo "kill_resume: all checks passed"
