#!/usr/bin/env bash
# test_flows_ndpi.sh: Connection records agree with nDPI's.
#
# For every capture of the corpus's ndpi/ folder, nDPI 4.2's expected
# result NAME.out lists each flow with its packets and bytes per direction
# (whole frames, as netcap counts). netcap replays the capture (one worker,
# Connection and Flow records only, idle and active timeouts long enough
# that nothing is cut by time: nDPI never cuts) and flows_compare.py matches
# the flows: a flow agrees exactly when netcap has one Connection with the
# same protocol and endpoints and the same packets (from the Flow records of
# each direction) and bytes in each direction.
#
# Prints the agreement per capture and each differing flow with its
# category; fails when the agreement drops below THRESHOLD percent, or a
# difference falls in none of the accepted categories (docs/flows.md,
# "Agreement with nDPI and tshark", gives the figures, the categories and
# why this threshold).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

THRESHOLD=98.5
NETCAP=$NETCAP_BUILD/netcap
DUMP=$NETCAP_BUILD/netcap-dump
PY=/usr/bin/python3
LONG=(--udp-idle-timeout 86400 --tcp-idle-timeout 86400 --idle-timeout 86400 --active-timeout 604800)

[ -x "$NETCAP" ] && [ -x "$DUMP" ] || skip "netcap not built (make)"
need_corpus ndpi
[ -x "$PY" ] || skip "$PY absent"

: >"$TMP/manifest"
n=0
for f in "$NETCAP_CORPUS"/ndpi/*.pcap "$NETCAP_CORPUS"/ndpi/*.pcapng; do
  [ -f "$f.out" ] || continue
  name=$(basename "$f")
  out=$TMP/$name
  if ! "$NETCAP" -r "$f" -o "$out" -w 1 --include Connection,Flow "${LONG[@]}" >"$out.log" 2>&1; then
    cat "$out.log" >&2
    fail "netcap failed on $name"
  fi
  for t in Connection Flow; do
    cols=TransportProto,SrcIP,SrcPort,DstIP,DstPort,NumPackets
    [ $t = Connection ] && cols=$cols,BytesClientToServer,BytesServerToClient || cols=$cols,Size
    [ -f "$out/$t.ncap.gz" ] && { "$DUMP" --select $cols "$out/$t.ncap.gz" >"$out.$t.csv" ||
      fail "netcap-dump $out/$t.ncap.gz failed"; }
  done
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$f.out" "$out.Connection.csv" "$out.Flow.csv" "$out.log" >>"$TMP/manifest"
  n=$((n + 1))
done
[ "$n" -gt 0 ] || skip "no capture with an expected .out file in $NETCAP_CORPUS/ndpi"
echo "-- $n captures"
"$PY" "$NETCAP_ROOT/tests/e2e/flows_compare.py" ndpi "$TMP/manifest" "$THRESHOLD"
