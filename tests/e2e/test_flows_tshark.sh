#!/usr/bin/env bash
# test_flows_tshark.sh: Connection records agree with tshark's conversations.
#
# For every capture of the corpus's ndpi/ folder, `tshark -q -z conv,tcp
# -z conv,udp` lists the TCP and UDP conversations with frames and bytes per
# direction (whole frames, as netcap counts; sizes from 10 kB up rounded down
# to kB, which flows_compare.py reproduces for netcap's counts). netcap
# replays the capture (one worker, Connection and Flow records only, idle
# and active timeouts long enough that nothing is cut by time: tshark keys
# conversations without time) and a conversation agrees exactly when netcap
# has one Connection with the same protocol and endpoints and the same
# packets (from the Flow records of each direction) and bytes in each
# direction.
#
# Prints the agreement per capture and each differing conversation with its
# category; fails when the agreement drops below THRESHOLD percent, or a
# difference falls in none of the accepted categories (docs/flows.md,
# "Agreement with nDPI and tshark", gives the figures, the categories and
# why this threshold).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

THRESHOLD=99.0
NETCAP=$NETCAP_BUILD/netcap
DUMP=$NETCAP_BUILD/netcap-dump
PY=/usr/bin/python3
LONG=(--udp-idle-timeout 86400 --tcp-idle-timeout 86400 --idle-timeout 86400 --active-timeout 604800)

[ -x "$NETCAP" ] && [ -x "$DUMP" ] || skip "netcap not built (make)"
need_corpus ndpi
command -v tshark >/dev/null || skip "tshark absent (apt-get install tshark)"
[ -x "$PY" ] || skip "$PY absent"
# tshark's defaults, not the preferences of whoever runs the tests.
export WIRESHARK_CONFIG_DIR=$TMP/wireshark-config
mkdir -p "$WIRESHARK_CONFIG_DIR"

: >"$TMP/manifest"
n=0
for f in "$NETCAP_CORPUS"/ndpi/*.pcap "$NETCAP_CORPUS"/ndpi/*.pcapng; do
  [ -f "$f" ] || continue
  name=$(basename "$f")
  out=$TMP/$name
  tshark -r "$f" -q -z conv,tcp -z conv,udp >"$out.conv" 2>"$out.tshark-stderr" || true
  grep -q '^TCP Conversations' "$out.conv" || { cat "$out.tshark-stderr" >&2; fail "tshark failed on $name"; }
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
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$out.conv" "$out.Connection.csv" "$out.Flow.csv" "$out.log" >>"$TMP/manifest"
  n=$((n + 1))
done
[ "$n" -gt 0 ] || skip "no capture in $NETCAP_CORPUS/ndpi"
echo "-- $n captures"
"$PY" "$NETCAP_ROOT/tests/e2e/flows_compare.py" tshark "$TMP/manifest" "$THRESHOLD"
