#!/usr/bin/env bash
# bench-compare.sh: two netcap builds on the bench input, run after run in
# turn (A B A B ...) so that a machine that speeds up or slows down during
# the runs treats both alike; prints each run's in-process Mpps and
# decoding ns/packet, and their medians. For "did this change cost
# anything": build the old commit in a worktree and pass its binary.
#
#   scripts/bench-compare.sh OLD_NETCAP [NEW_NETCAP] [-- NETCAP_ARGS...]
#
# NEW_NETCAP defaults to build/netcap. NETCAP_ARGS go to both (e.g.
# --no-entropy, -w 1). Environment: BENCH_MB (input size, default 400, the
# input of `make bench`), BENCH_RUNS (runs per build, default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
OLD=$1; shift
NEW=build/netcap
if [ $# -ge 1 ] && [ "$1" != -- ]; then NEW=$1; shift; fi
[ "${1:-}" = -- ] && shift
RUNS=${BENCH_RUNS:-5}
for b in "$OLD" "$NEW"; do
  [ -x "$b" ] || { echo "bench-compare: $b is not an executable" >&2; exit 2; }
done
input=$(BENCH_MB=${BENCH_MB:-400} scripts/make-bench-input.sh)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat "$input" >/dev/null

# run NAME BINARY: one run; appends "Mpps ns" to $work/NAME.
run() {
  rm -rf "$work/out"
  "$2" -r "$input" -o "$work/out" --no-progress "${@:3}" >"$work/stdout" 2>"$work/stderr" || {
    echo "bench-compare: $2 failed:" >&2; tail -n 20 "$work/stderr" >&2; exit 1; }
  local pk secs ns
  read -r pk secs < <(sed -n 's/^  packets *\([0-9]*\) ([0-9]* bytes) in \([0-9.]*\) s.*/\1 \2/p' "$work/stdout")
  ns=$(sed -n 's/^  decoding *\([0-9.]*\) ns\/packet.*/\1/p' "$work/stdout")
  [ -n "${pk:-}" ] || { echo "bench-compare: no summary from $2" >&2; cat "$work/stdout" >&2; exit 1; }
  awk -v p="$pk" -v s="$secs" -v n="${ns:-0}" 'BEGIN{printf "%.4f %s\n", p / s / 1e6, n}' >>"$work/$1"
  printf '  %-3s run %d/%d: %s\n' "$1" "$r" "$RUNS" "$(tail -n 1 "$work/$1")" >&2
}
for r in $(seq 1 "$RUNS"); do
  run old "$OLD" "$@"
  run new "$NEW" "$@"
done
median() { sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
printf '%s\n' "input $input, $RUNS runs each, alternating; args: ${*:-(defaults)}"
printf '| build | median Mpps | median decode ns/pkt |\n|---|--:|--:|\n'
for b in old new; do
  bin=$OLD; [ $b = new ] && bin=$NEW
  printf '| %s (%s) | %s | %s |\n' "$b" "$bin" "$(cut -d' ' -f1 "$work/$b" | median)" "$(cut -d' ' -f2 "$work/$b" | median)"
done
