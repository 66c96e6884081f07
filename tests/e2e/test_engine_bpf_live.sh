#!/usr/bin/env bash
# test_engine_bpf_live.sh: the capture filter (--bpf) on live capture
# through net_af_packet, the path of test_engine_bpf.sh's replays but with
# the RX role's own bursts (no dispatcher) and wall-clock time.
#
# A veth pair as in test_engine_live.sh (one end captured, silent; the
# other in a namespace of its own); tcpreplay sends a corpus capture at top
# speed while netcap captures with --bpf 'tcp and not port 80'. Then:
#   - /netcap/stats counts every packet read, and as filtered exactly those
#     tcpdump's copy of the filter refuses (also per lcore: lcore_filtered);
#   - after SIGINT netcap exits 0, its summary says the same filtered count,
#     and it wrote as many Ethernet, Dot1Q, IPv4, IPv6, TCP and UDP records
#     as a replay of tcpdump's filtered copy of the capture.
# Needs root and `ip netns`; skips with the reason otherwise.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

CAPTURE=ndpi/1kxun.pcap   # no frame above 1514 bytes (veth MTU 1500)
FILTER='tcp and not port 80'
P=nb$$
NS=$P CAP_IF=${P}a SEND_IF=${P}b PREFIX=$P
RUNDIR=/var/run/dpdk/$PREFIX
QUERY=$NETCAP_ROOT/tests/e2e/telemetry_query.py

need_engine
need_corpus ndpi
[ -x "$PY" ] || skip "$PY absent"
[ "$(id -u)" -eq 0 ] || skip "live capture needs root (veth pair, network namespace, af_packet)"
command -v ip >/dev/null || skip "ip absent (apt-get install iproute2)"
command -v tcpreplay >/dev/null || skip "tcpreplay absent (apt-get install tcpreplay)"
command -v tcpdump >/dev/null || skip "tcpdump absent (apt-get install tcpdump)"
command -v capinfos >/dev/null || skip "capinfos absent (apt-get install wireshark-common)"
pcap=$NETCAP_CORPUS/$CAPTURE
[ -f "$pcap" ] || fail "$CAPTURE absent from the corpus"

pid=
cleanup() {
  if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
  ip link del "$CAP_IF" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$RUNDIR" "$TMP"
}
trap cleanup EXIT

veth_pair

# What the filter keeps, by tcpdump, replayed: the records to expect.
tcpdump -r "$pcap" -w "$TMP/kept.pcap" "$FILTER" 2>/dev/null || fail "tcpdump -r $pcap '$FILTER' failed"
total=$(capinfos -T -c -M -r "$pcap" | awk -F'\t' '{print $2}')
kept=$(capinfos -T -c -M -r "$TMP/kept.pcap" | awk -F'\t' '{print $2}')
want_filtered=$((total - kept))
run_netcap "$TMP/replay" -r "$TMP/kept.pcap"

out=$TMP/out
"$NETCAP" -i "$CAP_IF" -o "$out" -w 1 --bpf "$FILTER" -- --no-huge -m 256 --no-pci --no-shconf -l 0 \
  --file-prefix "$PREFIX" >"$out.summary" 2>"$out.stderr" &
pid=$!

wait_started "$pid" "$out"

ip netns exec "$NS" tcpreplay -i "$SEND_IF" --topspeed "$pcap" >"$TMP/replay.log" 2>&1 ||
  { cat "$TMP/replay.log"; fail "tcpreplay failed"; }
sent=$(awk '/Successful packets:/ {print $3}' "$TMP/replay.log")
[ "$sent" = "$total" ] || fail "tcpreplay sent $sent of $total packets"

wait_packets_seen "$total"
stats=$STATS seen=$SEEN
[ "$seen" = "$total" ] || fail "/netcap/stats counts $seen packets, $total were sent"
"$PY" -c '
import json, sys
d, want = json.loads(sys.argv[1]), int(sys.argv[2])
assert d.get("filtered") == want, "filtered %s, expected %d" % (d.get("filtered"), want)
assert sum(d.get("lcore_filtered", [])) == want, "lcore_filtered %s" % d.get("lcore_filtered")
assert d["decoded"] == d["packets"] - want, "decoded %d of %d" % (d["decoded"], d["packets"])
' "$stats" "$want_filtered" || fail "/netcap/stats: $stats"
echo "-- /netcap/stats: $total packets, $want_filtered filtered"

kill -INT "$pid"
wait_exit "$pid" 30
rc=$WAIT_RC
pid=
cat "$out.summary"
[ "$rc" -eq 0 ] || { cat "$out.stderr"; fail "netcap exited $rc after SIGINT"; }
grep -q '^  drops       0 ' "$out.summary" || fail "packets dropped"
got=$(awk '$1 == "filtered" {print $2}' "$out.summary")
[ "$got" = "$want_filtered" ] || fail "summary: ${got:-no} filtered, expected $want_filtered"
netcap_counts "$out" >"$TMP/live"
netcap_counts "$TMP/replay" >"$TMP/want"
paste -d' ' "$TMP/live" "$TMP/want" | awk '{printf "   %-9s %7d %7d%s\n", $1, $2, $4, $2 == $4 ? "" : "   MISMATCH"}'
cmp -s "$TMP/live" "$TMP/want" || fail "live --bpf records differ from a replay of tcpdump's filtered copy"
echo "ok"
