#!/usr/bin/env bash
# test_flows_stress.sh: many more flows than the tables hold run in bounded
# memory, and every packet is still counted.
#
# scripts/make-flow-stress.c writes 1 million distinct flows (2 million
# 64-byte packets, 1 to 3 per flow, TCP and UDP); netcap replays them with
# Connection records only and --flow-capacity 65536 (one worker). Checks:
#   - every packet read, and counted: the NumPackets of all Connection
#     records add up to the packets of the file;
#   - the summary reports flows written early (tables full): at least the
#     flows beyond the capacity;
#   - peak RSS (GNU time, else VmHWM polled from /proc) grows by less than
#     64 MB over the same replay of 1000 flows, where 1 million table
#     entries would take over 200 MB at the bytes per entry the summary
#     reports (scripts/bench-flows.sh does the same with 10 million flows).
# The 10-million-flow figures are in docs/flows.md.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NETCAP=$NETCAP_BUILD/netcap
DUMP=$NETCAP_BUILD/netcap-dump
FLOWS=1000000
CAPACITY=65536
[ -x "$NETCAP" ] && [ -x "$DUMP" ] || skip "netcap not built (make)"
command -v cc >/dev/null || skip "no C compiler for scripts/make-flow-stress.c"

# A sanitizer build (make test-sanitize) copies each packet to the heap
# and AddressSanitizer keeps freed blocks in a quarantine of 256 MB: keep
# it small, or it is the quarantine the RSS check measures.
[ "${NETCAP_SANITIZED:-}" = 1 ] && export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=4"

cc -O2 -o "$TMP/make-flow-stress" "$NETCAP_ROOT/scripts/make-flow-stress.c" || fail "make-flow-stress.c does not build"

# run NAME PCAP: replays PCAP; peak RSS in kB to $TMP/NAME.rss.
run() {
  local name=$1 pcap=$2 rc=0
  local args=(-r "$pcap" -o "$TMP/$name" --include Connection --flow-capacity $CAPACITY -w 1)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -o "$TMP/$name.time" "$NETCAP" "${args[@]}" >"$TMP/$name.summary" 2>&1 || rc=$?
    tail -n 1 "$TMP/$name.time" >"$TMP/$name.rss"
  else
    "$NETCAP" "${args[@]}" >"$TMP/$name.summary" 2>&1 &
    local pid=$! peak=0 v
    while kill -0 $pid 2>/dev/null; do
      v=$(awk '/^VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || true)
      [ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
      sleep 0.02
    done
    wait $pid || rc=$?
    echo $peak >"$TMP/$name.rss"
  fi
  [ $rc -eq 0 ] || { cat "$TMP/$name.summary" >&2; fail "netcap failed on $pcap"; }
}

"$TMP/make-flow-stress" 1000 "$TMP/small.pcap" >/dev/null || fail "make-flow-stress failed"
run small "$TMP/small.pcap"
t0=$(date +%s.%N)
read -r _ flows _ packets _ _ < <("$TMP/make-flow-stress" $FLOWS "$TMP/big.pcap") || fail "make-flow-stress failed"
echo "-- $flows flows, $packets packets, $(stat -c %s "$TMP/big.pcap") bytes, written in" \
  "$(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $t0}") s"
t0=$(date +%s.%N)
run big "$TMP/big.pcap"
secs=$(awk "BEGIN {print $(date +%s.%N) - $t0}")
grep -E '^  (packets|layout|records|flows) ' "$TMP/big.summary"

read_packets=$(awk '/^  packets/ {print $2}' "$TMP/big.summary")
[ "$read_packets" = "$packets" ] || fail "read $read_packets of $packets packets"
early=$(awk '/^  flows/ {for (i = 1; i <= NF; i++) if ($i == "written") print $(i-1)}' "$TMP/big.summary")
per_entry=$(awk '/^  flows/ {print $2}' "$TMP/big.summary")
[ -n "$early" ] && [ -n "$per_entry" ] || fail "no flows line in the summary"
[ "$early" -ge $((flows - CAPACITY)) ] ||
  fail "$early flows written early, expected at least $((flows - CAPACITY)) (tables full)"
counted=$("$DUMP" --select NumPackets "$TMP/big/Connection.ncap.gz" | awk 'NR > 1 {s += $1; n++} END {print s + 0, n + 0}')
read -r counted records <<<"$counted"
[ "$counted" = "$packets" ] || fail "Connection records count $counted packets of $packets"

small_kb=$(cat "$TMP/small.rss")
big_kb=$(cat "$TMP/big.rss")
grow_mb=$(((big_kb - small_kb) / 1024))
unbounded_mb=$((flows * per_entry / 1000000))
printf -- '-- %d records, every packet counted; %d written early; %.1f s, %.0f flows/s\n' "$records" "$early" \
  "$secs" "$(awk "BEGIN {print $flows / $secs}")"
echo "-- peak RSS $((big_kb / 1024)) MB, $((small_kb / 1024)) MB for 1000 flows: +$grow_mb MB" \
  "(1 million entries of $per_entry bytes: $unbounded_mb MB)"
[ "$big_kb" -gt 0 ] && [ "$small_kb" -gt 0 ] || fail "no peak RSS measured"
[ "$grow_mb" -lt 64 ] || fail "peak RSS grew by $grow_mb MB with $flows flows: not bounded by --flow-capacity $CAPACITY"
[ "$grow_mb" -lt $((unbounded_mb / 3)) ] || fail "peak RSS growth $grow_mb MB is not well below $unbounded_mb MB"
