#!/usr/bin/env bash
# bench-decode.sh: the decoders' cost on the benchmark input of
# scripts/bench.sh (scripts/make-bench-input.sh builds it once), every
# record type with a decoder on (netcap's default), PayloadEntropy on and
# off. Per setting, BENCH_RUNS runs; prints the medians of netcap's own
# figures: Mpps of the run ("packets N ... in S s") and "decoding N
# ns/packet per worker" (TSC time in decode_packet and record packing,
# divided by the packets each worker decoded), and the entropy's share.
# Called by scripts/bench.sh (`make bench`) after its table; runs alone too.
#
# Environment: BENCH_MB (400), BENCH_RUNS (3), BENCH_WORKERS (netcap's
# default layout when empty; a number gives -w N), BENCH_CORPUS (see
# make-bench-input.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MB=${BENCH_MB:-400}
RUNS=${BENCH_RUNS:-3}
WORKERS=${BENCH_WORKERS:-}
NETCAP=$ROOT/build/netcap
WORK=$ROOT/bench-data/decode
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench-decode: BENCH_RUNS must be a positive integer" >&2; exit 2; }
[ -x "$NETCAP" ] || { echo "bench-decode: $NETCAP missing: run 'make'" >&2; exit 2; }

input=$(BENCH_MB=$MB scripts/make-bench-input.sh)
cat "$input" >/dev/null   # page cache warm for every run
mkdir -p "$WORK"
extra_w=()
[ -n "$WORKERS" ] && extra_w=(-w "$WORKERS")

median() { sort -g | awk '{v[NR]=$1} END{if (NR==0) print ""; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

declare -A MPPS NS LAYOUT
for setting in entropy no-entropy; do
  : >"$WORK/$setting.mpps"
  : >"$WORK/$setting.ns"
  for ((r = 1; r <= RUNS; r++)); do
    flag=(--entropy)
    [ "$setting" = no-entropy ] && flag=(--no-entropy)
    rm -rf "$WORK/out"
    if ! "$NETCAP" -r "$input" -o "$WORK/out" --no-progress "${flag[@]}" "${extra_w[@]}" \
        >"$WORK/stdout" 2>"$WORK/stderr"; then
      tail -n 20 "$WORK/stderr" "$WORK/stdout" >&2
      echo "bench-decode: netcap failed ($setting)" >&2
      exit 1
    fi
    mpps=$(sed -n 's/^  packets .* s: \([0-9.]*\) Mpps.*/\1/p' "$WORK/stdout")
    ns=$(sed -n 's/^  decoding *\([0-9.]*\) ns\/packet.*/\1/p' "$WORK/stdout")
    if [ -z "$mpps" ] || [ -z "$ns" ]; then
      cat "$WORK/stdout" >&2
      echo "bench-decode: no Mpps or decoding figure in netcap's summary" >&2
      exit 1
    fi
    grep -qE '^  incomplete|^  drops +[1-9]' "$WORK/stdout" &&
      { echo "bench-decode: warning: $setting run $r lost packets:" >&2; grep -E '^  incomplete|^  drops' "$WORK/stdout" >&2; }
    echo "$mpps" >>"$WORK/$setting.mpps"
    echo "$ns" >>"$WORK/$setting.ns"
    LAYOUT[$setting]=$(sed -n 's/^  layout *//p' "$WORK/stdout")
    printf '  decode bench %-10s run %d/%d: %s Mpps, decoding %s ns/packet per worker\n' \
      "$setting" "$r" "$RUNS" "$mpps" "$ns" >&2
  done
  MPPS[$setting]=$(median <"$WORK/$setting.mpps")
  NS[$setting]=$(median <"$WORK/$setting.ns")
done
rm -rf "$WORK/out"

packets=$(sed -n 's/^  packets *\([0-9]*\) .*/\1/p' "$WORK/stdout")
echo
echo "Decoding, every decoder on: $input, $packets packets, ${LAYOUT[entropy]}; medians of $RUNS runs"
echo
echo "| setting | Mpps | decoding ns/packet per worker |"
echo "|---|--:|--:|"
for setting in entropy no-entropy; do
  echo "| $setting | ${MPPS[$setting]} | ${NS[$setting]} |"
done
awk -v a="${NS[entropy]}" -v b="${NS[no-entropy]}" 'BEGIN {
  if (a > 0) printf "\nPayloadEntropy costs %.0f ns/packet per worker (%.0f %% of decoding with it on)\n", a - b, 100 * (a - b) / a }'
