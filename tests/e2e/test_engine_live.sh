#!/usr/bin/env bash
# test_engine_live.sh: live capture through net_af_packet, and the
# /netcap/stats telemetry command.
#
# A veth pair: one end (ncPIDa) stays in this namespace, up, without any
# address and with IPv6 off, so that the kernel sends nothing on it; the
# other end (ncPIDb) goes into a network namespace of its own (ncPID),
# likewise silent. netcap captures on ncPIDa with one worker on lcore 0;
# tcpreplay sends a corpus capture from ncPIDb at top speed. Then:
#   - /netcap/stats (DPDK telemetry socket, queried while netcap runs)
#     answers JSON whose packets count reaches the capture's packet count;
#   - after SIGINT, netcap exits 0 and its record files hold exactly as many
#     Ethernet, Dot1Q, IPv4, IPv6, TCP and UDP records as tshark finds
#     layers in the capture (nothing else crossed the link), with no drops.
# Needs root and `ip netns`; skips with the reason otherwise. The namespace,
# the veth pair and netcap are removed whatever happens.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

CAPTURE=ndpi/1kxun.pcap   # IPv4, IPv6, TCP, UDP; no frame above 1514 bytes (veth MTU 1500)
P=nc$$
NS=$P CAP_IF=${P}a SEND_IF=${P}b PREFIX=$P
RUNDIR=/var/run/dpdk/$PREFIX
QUERY=$NETCAP_ROOT/tests/e2e/telemetry_query.py

need_engine
need_tshark
need_corpus ndpi
[ "$(id -u)" -eq 0 ] || skip "live capture needs root (veth pair, network namespace, af_packet)"
command -v ip >/dev/null || skip "ip absent (apt-get install iproute2)"
command -v tcpreplay >/dev/null || skip "tcpreplay absent (apt-get install tcpreplay)"
tshark_opts
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

# The EAL arguments replace netcap's defaults for their groups (memory,
# lcores, PCI, shared config); it still adds the af_packet vdev and keeps
# telemetry on (live mode), whose socket lives in $RUNDIR.
out=$TMP/out
"$NETCAP" -i "$CAP_IF" -o "$out" -w 1 -- --no-huge -m 256 --no-pci --no-shconf -l 0 \
  --file-prefix "$PREFIX" >"$out.summary" 2>"$out.stderr" &
pid=$!

# Started: /netcap/stats answers.
wait_started "$pid" "$out"
stats=$STATS
echo "-- started; /netcap/stats: $stats"

expected=$(capinfos -c -M "$pcap" | awk '/Number of packets/ {print $NF}')
ip netns exec "$NS" tcpreplay -i "$SEND_IF" --topspeed "$pcap" >"$TMP/replay" 2>&1 ||
  { cat "$TMP/replay"; fail "tcpreplay failed"; }
grep -E 'Successful packets|Failed packets' "$TMP/replay"
sent=$(awk '/Successful packets:/ {print $3}' "$TMP/replay")
[ "$sent" = "$expected" ] || fail "tcpreplay sent $sent of $expected packets"

# Telemetry while running: the packets count reaches what was sent.
wait_packets_seen "$expected"
stats=$STATS seen=$SEEN
echo "-- /netcap/stats after the replay: $stats"
[ "$seen" = "$expected" ] || fail "/netcap/stats counts $seen packets, $expected were sent"
"$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
for k in ("packets", "bytes", "decoded", "malformed", "drops_imissed", "drops_ring_full", "Ethernet"):
    assert isinstance(d.get(k), int), f"{k} missing or not a number in {d}"
# TCP reassembly, per worker (docs/application.md): the capture has TCP
# connections with data, so some stream memory was in use at its peak.
for k in ("stream_bytes_in_use", "stream_bytes_peak", "stream_connections", "stream_refused", "stream_evicted"):
    assert isinstance(d.get(k), list) and d[k] and all(isinstance(v, int) for v in d[k]), f"{k} missing in {d}"
assert sum(d["stream_bytes_peak"]) > 0, "no stream memory ever in use"
' "$stats" || fail "/netcap/stats lacks counters"

# The same commands through DPDK's own client (dpdk-dev's
# usertools/dpdk-telemetry.py), as an operator would query a sensor.
if command -v dpdk-telemetry.py >/dev/null; then
  answers=$(printf '/netcap/stats\n/netcap/ports\nquit\n' | dpdk-telemetry.py -f "$PREFIX" 2>&1) ||
    fail "dpdk-telemetry.py -f $PREFIX failed: $answers"
  echo "-- dpdk-telemetry.py: $answers"
  "$PY" -c '
import json, sys
lines = [json.loads(l) for l in sys.argv[1].splitlines() if l.startswith("{")]
got = {k: v for d in lines for k, v in d.items()}
assert got.get("/netcap/stats", {}).get("packets") == int(sys.argv[2]), f"packets in {got}"
assert got.get("/netcap/ports"), f"no /netcap/ports answer in {got}"
' "$answers" "$expected" || fail "dpdk-telemetry.py did not read the counters"
else
  echo "-- dpdk-telemetry.py not installed (package dpdk-dev): checked with $QUERY only"
fi

kill -INT "$pid"
wait_exit "$pid" 30
rc=$WAIT_RC
pid=
cat "$out.summary"
[ "$rc" -eq 0 ] || { cat "$out.stderr"; fail "netcap exited $rc after SIGINT"; }
grep -q '^  drops       0 ' "$out.summary" || fail "packets dropped"

netcap_counts "$out" >"$TMP/nc"
tshark_counts "$pcap" >"$TMP/ts"
echo "-- records (netcap) vs layers in $CAPTURE (tshark):"
paste -d' ' "$TMP/nc" "$TMP/ts" | awk '{printf "   %-9s %7d %7d%s\n", $1, $2, $4, $2 == $4 ? "" : "   MISMATCH"}'
cmp -s "$TMP/nc" "$TMP/ts" || fail "live record counts differ from the capture's layers"
echo "ok"
