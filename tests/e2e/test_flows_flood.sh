#!/usr/bin/env bash
# test_flows_flood.sh: a hash flood does not slow the flow tables down or
# split their records.
#
# scripts/make-flow-flood.c writes 20,000 UDP flows solved to collide under
# the unkeyed CRC32-C hashes netcap used before its flow hashes were keyed
# (one Connection slot, one Flow slot, one worker, on that code), and
# 20,000 random flows, 5 packets each, same sizes and timing. netcap
# replays each with Connection and Flow records, one worker, three times in
# turns. Checks:
#   - both give exactly 20,000 Connection records of 5 packets each, and
#     none written early: the probe limit (docs/flows.md, "Hashing") never
#     cut a colliding flow;
#   - the colliding flows cost at most 5 times the random ones per packet
#     (netcap's "decoding N ns/packet per worker", the best of three runs
#     each). The issue's target is 2 and scripts/bench-flood.sh measures it
#     (about 1 with the keyed hashes); 5 leaves room for shared CPUs while
#     the old code, at 80 to 100 times, fails by far.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NETCAP=$NETCAP_BUILD/netcap
DUMP=$NETCAP_BUILD/netcap-dump
FLOWS=20000
PER=5
[ -x "$NETCAP" ] && [ -x "$DUMP" ] || skip "netcap not built (make)"
command -v cc >/dev/null || skip "no C compiler for scripts/make-flow-flood.c"

cc -O2 -o "$TMP/make-flow-flood" "$NETCAP_ROOT/scripts/make-flow-flood.c" || fail "make-flow-flood.c does not build"
for mode in collide random; do
  "$TMP/make-flow-flood" $mode $FLOWS $PER "$TMP/$mode.pcap" >/dev/null || fail "make-flow-flood $mode failed"
done

# run MODE: one replay; appends its ns/packet to $TMP/MODE.ns.
run() {
  local mode=$1
  rm -rf "$TMP/out-$mode"
  "$NETCAP" -r "$TMP/$mode.pcap" -o "$TMP/out-$mode" --no-progress --include Connection,Flow -w 1 \
    >"$TMP/$mode.summary" 2>&1 || { cat "$TMP/$mode.summary" >&2; fail "netcap failed on $mode flows"; }
  local ns
  ns=$(sed -n 's/^  decoding *\([0-9.]*\) ns\/packet.*/\1/p' "$TMP/$mode.summary")
  [ -n "$ns" ] || { cat "$TMP/$mode.summary" >&2; fail "no 'decoding' line in the summary"; }
  echo "$ns" >>"$TMP/$mode.ns"
}

for _ in 1 2 3; do
  run collide
  run random
done

for mode in collide random; do
  "$DUMP" --select NumPackets "$TMP/out-$mode/Connection.ncap.gz" | tail -n +2 | sort | uniq -c >"$TMP/$mode.counts"
  echo "-- $mode: Connection records by NumPackets: $(tr -s ' \n' ' ' <"$TMP/$mode.counts")"
  [ "$(awk '{print $1, $2}' "$TMP/$mode.counts")" = "$FLOWS $PER" ] ||
    fail "$mode flows: not $FLOWS Connection records of $PER packets each"
  grep -qE '^  flows .* 0 written early' "$TMP/$mode.summary" ||
    fail "$mode flows: records written early: $(grep -E '^  flows' "$TMP/$mode.summary")"
done

best() { sort -g "$TMP/$1.ns" | head -n 1; }
c=$(best collide)
r=$(best random)
ratio=$(awk -v c="$c" -v r="$r" 'BEGIN {printf "%.2f", c / r}')
echo "-- ns/packet, best of 3: colliding $c, random $r, ratio $ratio"
awk -v x="$ratio" 'BEGIN {exit !(x <= 5)}' || fail "colliding flows cost $ratio times random ones"
echo "ok"
