#!/usr/bin/env bash
# bench-flows.sh: the flow records' benchmark, run at the end of
# scripts/bench.sh (`make bench`) or by hand after `make`. Two parts:
#
# 1. netcap with only the flow families (--include Connection,Flow,LinkFlow,
#    NetworkFlow,TransportFlow) beside nfpcapd (nfdump's pcap-to-flows
#    daemon) on the same input: the benchmark input of scripts/bench.sh
#    (scripts/make-bench-input.sh: the nDPI corpus repeated with shifted
#    addresses), when that script and the corpus are there. Median
#    wall-clock time of BENCH_RUNS runs, whole processes (netcap's start-up
#    of about 0.3 s included), and packets/s from it; netcap's own replay
#    rate (its summary, start-up excluded) too; the ratio netcap / nfpcapd.
# 2. The stress: scripts/make-flow-stress.c writes a pcap of FLOWS_STRESS
#    distinct flows (default 10 million, 1 to 3 64-byte packets each, about
#    2000 open at any time; cached in bench-data/), then netcap with the
#    five families at the default table size, netcap with Connection only
#    and --flow-capacity 65536, and nfpcapd, once each: wall time, flows/s,
#    packets/s, peak RSS, records, flows written early (tables full), and
#    the memory 10 million table entries would take at netcap's bytes per
#    entry.
#
# Environment: BENCH_RUNS (default 3), BENCH_MB (input size of part 1,
# default 400), FLOWS_STRESS (flows of part 2, default 10000000; 0 skips
# it), BENCH_DATA (default bench-data/ of the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${BENCH_RUNS:-3}
FLOWS=${FLOWS_STRESS:-10000000}
DATA=${BENCH_DATA:-$ROOT/bench-data}
NETCAP=$ROOT/build/netcap
FAMILIES=Connection,Flow,LinkFlow,NetworkFlow,TransportFlow
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench-flows: BENCH_RUNS must be a positive integer" >&2; exit 2; }
[[ $FLOWS =~ ^[0-9]+$ ]] || { echo "bench-flows: FLOWS_STRESS must be a number" >&2; exit 2; }
[ -x "$NETCAP" ] || { echo "bench-flows: $NETCAP missing: run make" >&2; exit 2; }
have_nfpcapd=1
command -v nfpcapd >/dev/null || { have_nfpcapd=0; echo "bench-flows: nfpcapd missing (apt-get install nfdump): its rows are skipped" >&2; }
mkdir -p "$DATA"
WORK=$(mktemp -d "$DATA/flows-run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

now() { date +%s.%N; }
calc() { awk "BEGIN {print $*}"; }

# measure NAME CMD...: runs CMD (output to $WORK/NAME.out, .err); sets SECS
# (wall clock) and RSS_KB (peak resident set: GNU time, else VmHWM polled
# from /proc). Fails when CMD fails.
measure() {
  local name=$1 t0 t1 rc=0
  shift
  rm -rf "$WORK/out"
  mkdir -p "$WORK/out"
  t0=$(now)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -o "$WORK/$name.rss" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    t1=$(now)
    RSS_KB=$(tail -n 1 "$WORK/$name.rss")
  else
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    local pid=$! peak=0 v
    while kill -0 $pid 2>/dev/null; do
      v=$(awk '/^VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || true)
      [ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
      sleep 0.05
    done
    wait $pid || rc=$?
    t1=$(now)
    RSS_KB=$peak
  fi
  [ $rc -eq 0 ] || { cat "$WORK/$name.out" "$WORK/$name.err" >&2; echo "bench-flows: $* failed" >&2; exit 1; }
  SECS=$(calc "$t1 - $t0")
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# The replay rate netcap prints: "packets N (B bytes) in S s: R Mpps, ..."
replay_mpps() { awk '/^  packets/ {for (i = 1; i <= NF; i++) if ($i == "Mpps,") print $(i-1)}' "$1"; }

echo "== flow records: netcap ($FAMILIES only) beside nfpcapd"
echo "   $(nproc) CPUs; $("$NETCAP" --version 2>/dev/null | head -n 1); nfdump $(dpkg-query -W -f='${Version}' nfdump 2>/dev/null || echo '?')"

# ---- 1. the benchmark input ------------------------------------------------
if [ -x scripts/make-bench-input.sh ] && input=$(scripts/make-bench-input.sh 2>/dev/null); then
  packets=$(capinfos -T -M -r -c "$input" | awk -F'\t' '{print $2}')
  cat "$input" >/dev/null
  echo
  echo "-- input $input: $packets packets, $(stat -c %s "$input") bytes; median of $RUNS runs"
  nc_t=() nc_r=() nf_t=()
  for ((i = 0; i < RUNS; i++)); do
    measure netcap "$NETCAP" -r "$input" -o "$WORK/out" --include $FAMILIES
    nc_t+=("$SECS"); nc_r+=("$(replay_mpps "$WORK/netcap.out")"); nc_rss=$RSS_KB
    if [ $have_nfpcapd = 1 ]; then
      measure nfpcapd nfpcapd -r "$input" -w "$WORK/out"
      nf_t+=("$SECS"); nf_rss=$RSS_KB
    fi
  done
  t=$(echo "${nc_t[*]}" | median)
  printf '   %-10s %8.2f s  %7.3f Mpps (replay alone %s Mpps)  peak RSS %6d MB   %s\n' netcap "$t" \
    "$(calc "$packets / $t / 1000000")" "$(echo "${nc_r[*]}" | median)" $((nc_rss / 1024)) "$(grep -E '^  layout' "$WORK/netcap.out" | sed 's/^ *//')"
  if [ $have_nfpcapd = 1 ]; then
    tn=$(echo "${nf_t[*]}" | median)
    printf '   %-10s %8.2f s  %7.3f Mpps                                   peak RSS %6d MB\n' nfpcapd "$tn" \
      "$(calc "$packets / $tn / 1000000")" $((nf_rss / 1024))
    printf '   ratio netcap/nfpcapd (packets/s, whole processes): %.2f\n' "$(calc "$tn / $t")"
  fi
else
  echo "-- no benchmark input (scripts/make-bench-input.sh or the corpus missing): part 1 skipped"
fi

# ---- 2. the stress ---------------------------------------------------------
[ "$FLOWS" -gt 0 ] || exit 0
cc -O2 -o "$WORK/make-flow-stress" scripts/make-flow-stress.c
stress=$DATA/flows-$FLOWS.pcap
if [ ! -f "$stress" ] || [ "$stress" -ot scripts/make-flow-stress.c ]; then
  t0=$(now)
  "$WORK/make-flow-stress" "$FLOWS" "$stress.tmp" >"$stress.info"
  mv "$stress.tmp" "$stress"
  echo "$(calc "$(now) - $t0")" >"$stress.gen-seconds"
fi
read -r _ nflows _ spackets _ _ <"$stress.info"
cat "$stress" >/dev/null
echo
printf -- '-- stress input %s: %d flows, %d packets, %d bytes (written in %.1f s)\n' "$stress" "$nflows" \
  "$spackets" "$(stat -c %s "$stress")" "$(cat "$stress.gen-seconds")"
stress_row() {
  local name=$1
  shift
  measure "$name" "$@"
  local early per records
  early=$(awk '/^  flows/ {for (i = 1; i <= NF; i++) if ($i == "written") print $(i-1)}' "$WORK/$name.out")
  per=$(awk '/^  flows/ {print $2}' "$WORK/$name.out")
  records=$(awk '/^  records/ {print $2}' "$WORK/$name.out" | tr -d ';')
  printf '   %-22s %8.2f s  %9.0f flows/s  %7.3f Mpps  peak RSS %6d MB  %s records, %s written early; %s bytes/entry\n' \
    "$name" "$SECS" "$(calc "$nflows / $SECS")" "$(calc "$spackets / $SECS / 1000000")" \
    $((RSS_KB / 1024)) "${records:-?}" "${early:-?}" "${per:-?}"
  [ -n "$per" ] && printf '   %-22s unbounded, %d flows would take %d MB per table at %d bytes per entry\n' "" "$nflows" \
    $((nflows * per / 1000000)) "$per"
  return 0
}
stress_row "netcap 5 families" "$NETCAP" -r "$stress" -o "$WORK/out" --include $FAMILIES
stress_row "netcap Connection 64K" "$NETCAP" -r "$stress" -o "$WORK/out" --include Connection --flow-capacity 65536
if [ $have_nfpcapd = 1 ]; then
  measure nfpcapd nfpcapd -r "$stress" -w "$WORK/out"
  printf '   %-22s %8.2f s  %9.0f flows/s  %7.3f Mpps  peak RSS %6d MB  %s\n' nfpcapd "$SECS" \
    "$(calc "$nflows / $SECS")" "$(calc "$spackets / $SECS / 1000000")" $((RSS_KB / 1024)) \
    "$(cat "$WORK/nfpcapd.out" "$WORK/nfpcapd.err" | grep -o 'Flows: [0-9]*' | head -n 1 | awk '{print $2}') flows (one direction each)"
fi
