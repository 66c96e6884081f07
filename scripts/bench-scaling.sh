#!/usr/bin/env bash
# bench-scaling.sh: how netcap's throughput grows with workers, on the
# benchmark input of `make bench`, for both ways packets reach the workers:
#
#   dispatcher  one file; one lcore reads it and hands each packet to a
#               worker by flow hash (the reader has an lcore of its own
#               from 4 lcores on): `netcap -r FILE -w W`
#   per-queue   the same input split by the symmetric flow hash into W
#               files (build/tests/split-by-flow), each read by its own
#               worker with no dispatcher, as NIC RSS or af_packet fanout
#               deliver: `netcap -r F0 ... -r FW-1 --files-as-queues -w W`
#
# for W = 1, 2, 4, ... up to the lcores (BENCH_LCORES, default every CPU),
# and W = the lcores themselves; compressors are netcap's defaults for the
# lcores left. Each row: median Mpps (netcap's own timer), its share of pure RX
# (rx-only, measured in the same runs), speedup over one worker of the same
# path, peak RSS, and the layout netcap chose. On 2 CPUs that is two rows
# per path; on a big machine the table shows where scaling stops.
#
# Environment: BENCH_MB (input size, default 400), BENCH_RUNS (runs per
# row, default 3), BENCH_LCORES (default: nproc), BENCH_SCALING_ARGS (extra
# netcap flags for every row, e.g. "--include Connection,Flow"). For a
# machine without the build or the benchmark input's tools (the many-core
# machine: scripts/device-kit.sh sets these): NETCAP, RXONLY, SPLIT (the
# programs), BENCH_INPUT (the input, made elsewhere), BENCH_EAL_ARGS (EAL
# arguments for every run, e.g. "-d PLUGIN_DIR"), BENCH_KEEP (a folder that
# keeps every run's summary, per-lcore table included). Without
# /usr/bin/time the peak RSS is netcap's own (its summary's memory line).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${BENCH_RUNS:-3}
LCORES=${BENCH_LCORES:-$(nproc)}
read -r -a EXTRA <<<"${BENCH_SCALING_ARGS:-}"
read -r -a EAL <<<"${BENCH_EAL_ARGS:-}"
NETCAP=${NETCAP:-$ROOT/build/netcap}
RXONLY=${RXONLY:-$ROOT/build/bench/rx-only}
SPLIT=${SPLIT:-$ROOT/build/tests/split-by-flow}
for b in "$NETCAP" "$RXONLY" "$SPLIT"; do
  [ -x "$b" ] || { echo "bench-scaling: $b missing: run 'make all bench-tools build/tests/split-by-flow'" >&2; exit 2; }
done
input=${BENCH_INPUT:-$(BENCH_MB=${BENCH_MB:-400} scripts/make-bench-input.sh)}
[ -f "$input" ] || { echo "bench-scaling: no input $input" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

workers=()
for ((w = 1; w < LCORES; w *= 2)); do workers+=("$w"); done
workers+=("$LCORES")

# The per-queue inputs, split once per worker count and kept beside the input.
split_files() {
  local w=$1 dir=${input%.pcap}.split$1
  if [ "$w" = 1 ]; then echo "$input"; return; fi
  if [ ! -f "$dir/done" ] || [ "$dir/done" -ot "$input" ]; then
    rm -rf "$dir"; mkdir -p "$dir"
    "$SPLIT" "$input" "$w" "$dir/part" >&2
    touch "$dir/done"
  fi
  for ((i = 0; i < w; i++)); do echo "$dir/part.$i.pcap"; done
}

# run KEY CMD...: one run; appends "Mpps rss_kB" to $work/KEY and keeps the
# layout line of netcap's summary in $work/KEY.layout.
run() {
  local key=$1; shift
  rm -rf "$work/out"
  local timed=()
  [ -x /usr/bin/time ] && timed=(/usr/bin/time -f '%M' -o "$work/rss")
  if ! "${timed[@]}" "$@" >"$work/stdout" 2>"$work/stderr"; then
    echo "bench-scaling: failed: $*" >&2; tail -n 20 "$work/stderr" >&2; exit 1
  fi
  if [ ! -x /usr/bin/time ]; then # netcap's own peak RSS (MiB), in kB; 0 for rx-only
    sed -n 's/^  memory *peak RSS \([0-9.]*\) MiB.*/\1/p' "$work/stdout" | awk '{printf "%.0f\n", $1 * 1024} END{if (!NR) print 0}' >"$work/rss"
  fi
  if [ -n "${BENCH_KEEP:-}" ]; then
    mkdir -p "$BENCH_KEEP"
    cat "$work/stdout" "$work/stderr" >"$BENCH_KEEP/$key.$r.txt"
  fi
  local mpps
  mpps=$(sed -n -e 's/^rx-only: packets \([0-9]*\) ([0-9]* bytes) in \([0-9.]*\) s.*/\1 \2/p' \
                -e 's/^  packets *\([0-9]*\) ([0-9]* bytes) in \([0-9.]*\) s.*/\1 \2/p' "$work/stdout" |
         awk '{printf "%.4f", $1 / $2 / 1e6}')
  [ -n "$mpps" ] || { echo "bench-scaling: no figures from: $*" >&2; cat "$work/stdout" >&2; exit 1; }
  echo "$mpps $(tail -n 1 "$work/rss")" >>"$work/$key"
  sed -n 's/^  layout *//p' "$work/stdout" >"$work/$key.layout"
  printf '  %-16s %s Mpps\n' "$key" "$mpps" >&2
}

cat "$input" >/dev/null
for ((r = 1; r <= RUNS; r++)); do
  echo "bench-scaling: run $r/$RUNS" >&2
  run rx "$RXONLY" "$input" -- "${EAL[@]}"
  run rxmap "$RXONLY" --mapped "$input" -- "${EAL[@]}"
  for w in "${workers[@]}"; do
    run "dispatcher-$w" "$NETCAP" -r "$input" -o "$work/out" --no-progress -w "$w" "${EXTRA[@]}" -- -l "0-$((LCORES - 1))" "${EAL[@]}"
    mapfile -t parts < <(split_files "$w")
    args=()
    for f in "${parts[@]}"; do args+=(-r "$f"); done
    run "perqueue-$w" "$NETCAP" "${args[@]}" --files-as-queues -o "$work/out" --no-progress -w "$w" "${EXTRA[@]}" \
      -- -l "0-$((LCORES - 1))" "${EAL[@]}"
  done
done

median() { sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
rx=$(cut -d' ' -f1 "$work/rx" | median)
rxmap=$(cut -d' ' -f1 "$work/rxmap" | median)
echo
echo "Scaling on $LCORES lcores ($(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)),"
echo "input \`${input#"$ROOT"/}\`, medians of $RUNS runs; pure RX $rx Mpps (pcap PMD), $rxmap Mpps (mapped file, netcap's default input). Extra flags: ${BENCH_SCALING_ARGS:-none}."
echo "Command: \`BENCH_MB=${BENCH_MB:-400} BENCH_RUNS=$RUNS BENCH_LCORES=$LCORES scripts/bench-scaling.sh\`."
echo
echo "| path | workers | layout | Mpps | share of pure RX | speedup over 1 worker | peak RSS |"
echo "|---|--:|---|--:|--:|--:|--:|"
for path in dispatcher perqueue; do
  one=$(cut -d' ' -f1 "$work/$path-1" | median)
  for w in "${workers[@]}"; do
    m=$(cut -d' ' -f1 "$work/$path-$w" | median)
    rss=$(cut -d' ' -f2 "$work/$path-$w" | median)
    awk -v p="$path" -v w="$w" -v l="$(cat "$work/$path-$w.layout")" -v m="$m" -v rx="$rx" -v one="$one" -v rss="$rss" \
      'BEGIN{printf "| %s | %d | %s | %.3f | %.2f | %.2fx | %.0f MB |\n", p, w, l, m, m / rx, m / one, rss / 1024}'
  done
done
