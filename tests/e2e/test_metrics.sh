#!/usr/bin/env bash
# test_metrics.sh: the Prometheus endpoints, --metrics ADDR:PORT, of
# netcap-collect and netcap, scraped with real HTTP clients (curl for the
# scrapes, Python's urllib and raw sockets for the hostile clients);
# docs/deployment.md, "Monitoring".
#
# netcap-collect: two sensors send valid batches (tests/tools/collect-forge)
# and one sends garbage; the collector's --metrics is scraped before,
# during and after: every page parses as the text format 0.0.4
# (metrics_check.py: names, TYPE and HELP, label escapes, no series twice,
# counters end in _total), counters never go down, and the last page
# equals the stats file (datagrams, accepted, drops by cause, per sensor:
# datagrams, records, bytes, batches, gaps, epochs, drops, last seen).
# Then hostile clients: a 64 KiB request line (414), 16 KiB of headers
# (431), garbage and a TLS hello (400), half a request, no Host, a body
# (400), POST (405), another path (404), an idle connection (a scrape
# beside it is answered at once), a client sending a byte a second (cut
# after 5 s), twelve idle connections (a scrape behind them is answered
# once they time out, within 8 s); the server's own counters count them.
#
# netcap: a live run as test_engine_live.sh's (a veth pair, one end in a
# network namespace, tcpreplay of a corpus capture at top speed, SIGINT at
# the end), with the metrics address from the config file ([output]
# metrics). Scraped before the replay, then until the packet count has
# reached what was sent and two scrapes in a row agree, then the hostile
# clients, then once more, then SIGINT. What the last scrape must agree
# with in the summary: the metrics server stays up until the summary is
# printed, but then the process ends, so the test scrapes right before
# stopping and compares what cannot change any more: packets and bytes
# received (also summed per lcore and per queue), drops, and the records
# of the per-packet layer types (Ethernet, IPv4, IPv6, TCP, UDP, ...,
# made as each packet is decoded); flow and stream records are also
# written when the run ends, so for those the scrape is at most the
# summary's. A bad --metrics address and a port in use end netcap and
# netcap-collect at start with an error naming --metrics.
# The live part needs root and `ip netns`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

CHECK=$NETCAP_ROOT/tests/e2e/metrics_check.py
COLLECT=$NETCAP_BUILD/netcap-collect
FORGE=$NETCAP_BUILD/tests/collect-forge
GEN=$NETCAP_BUILD/tests/ncap-gen
CAPTURE=ndpi/1kxun.pcap

need_engine
for b in "$COLLECT" "$FORGE" "$GEN"; do
  [ -x "$b" ] || fail "$b not built (make all $NETCAP_BUILD/tests/collect-forge)"
done
command -v curl >/dev/null || skip "curl absent (apt-get install curl)"
[ -x "$PY" ] || skip "$PY absent"
need_corpus ndpi

free_port() { # TCP or UDP port free on 127.0.0.1 now
  "$PY" -c 'import socket,sys; s=socket.socket(socket.AF_INET, getattr(socket, sys.argv[1])); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}
scrape() { # scrape PORT FILE: GET /metrics with curl, headers in FILE too
  curl -sS -i --max-time 15 -o "$2" "http://127.0.0.1:$1/metrics" || fail "curl http://127.0.0.1:$1/metrics failed"
  "$PY" "$CHECK" parse "$2" >/dev/null || fail "scrape $2 is not Prometheus text"
}
promtool_check() { # promtool, when Debian's prometheus package is installed
  command -v promtool >/dev/null || return 0
  sed '1,/^\r$/d' "$1" | promtool check metrics || fail "promtool check metrics: $1"
}

pids=()
NS=
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ -n "$NS" ]; then
    ip link del "$CAP_IF" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$RUNDIR"
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

echo "== netcap-collect --metrics"
cd "$TMP"
for k in coll a b c; do "$COLLECT" --gen-keypair "$TMP/$k" >/dev/null || fail "--gen-keypair $k"; done
{ echo "$(cat a.pub) sensor-a"; echo "$(cat b.pub) sensor-b"; } >allow
"$GEN" "$TMP/recs" --count 50 >/dev/null || fail "ncap-gen"
RECS=$TMP/recs/UDP.ncap.gz
uport=$(free_port SOCK_DGRAM)
mport=$(free_port SOCK_STREAM)

"$COLLECT" --listen "127.0.0.1:$uport" --key coll.key --allow allow -o out --metrics "127.0.0.1:$uport-x" \
  2>bad.log && fail "netcap-collect took --metrics 127.0.0.1:$uport-x"
grep -q -- '--metrics' bad.log || { cat bad.log; fail "the error does not name --metrics"; }
"$PY" -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(30)' "$mport" &
holder=$!
pids+=("$holder")
sleep 0.5
"$COLLECT" --listen "127.0.0.1:$uport" --key coll.key --allow allow -o out --metrics "127.0.0.1:$mport" \
  2>bad.log && fail "netcap-collect started with its metrics port in use"
grep -q -- '--metrics' bad.log || { cat bad.log; fail "the error does not name --metrics"; }
kill "$holder"; wait "$holder" 2>/dev/null || true

"$COLLECT" --listen "127.0.0.1:$uport" --key coll.key --allow allow -o out --threads 2 \
  --metrics "127.0.0.1:$mport" --stats-file stats.json --stats-interval 1 2>collect.log &
cpid=$!
pids+=("$cpid")
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$mport/metrics" && break; sleep 0.1; done
scrape "$mport" c0.txt
forge() { # forge KEY CLASS: sends as sensor KEY
  "$FORGE" --to "127.0.0.1:$uport" --collector-pub coll.pub --sensor-key "$1.key" --records "$RECS" \
    --dgram 1400 "$2" >>forge.out || fail "collect-forge $1 $2"
}
forge a valid
scrape "$mport" c1.txt
forge b valid
forge a valid
forge c garbage
forge a replay
sent=$(awk '$1 == "sent" {n += $2} END {print n}' forge.out)
# Settled: the stats file (rewritten every second) and a scrape both have
# every datagram, and a second scrape a moment later is the same.
for _ in $(seq 100); do
  scrape "$mport" c2.txt
  got=$("$PY" "$CHECK" get c2.txt netcap_collect_datagrams_total)
  st=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["datagrams"])' stats.json 2>/dev/null || echo 0)
  [ "$got" = "$sent" ] && [ "$st" = "$sent" ] && break
  sleep 0.2
done
[ "$got" = "$sent" ] || fail "the scrape counts $got datagrams, $sent were sent"
sleep 1.2 # one more stats file
scrape "$mport" c3.txt
"$PY" "$CHECK" monotonic c0.txt c1.txt c2.txt c3.txt || fail "netcap-collect: a counter went down"
promtool_check c3.txt
echo "-- the scrape vs the stats file:"
"$PY" "$CHECK" collect c3.txt stats.json || fail "netcap-collect: the scrape differs from the stats file"
grep -q 'sensor="alpha"' c3.txt || fail "no sensor label alpha"
echo "-- hostile clients"
"$PY" "$CHECK" hostile 127.0.0.1 "$mport" || fail "netcap-collect: hostile clients"
kill -0 "$cpid" 2>/dev/null || { cat collect.log; fail "netcap-collect died"; }
scrape "$mport" c4.txt
"$PY" "$CHECK" monotonic c3.txt c4.txt || fail "netcap-collect: a counter went down"
for code in 400 404 405 414 431; do
  n=$("$PY" "$CHECK" get c4.txt netcap_collect_metrics_requests_total code=$code)
  [ "$n" -ge 1 ] || fail "no answer $code counted"
done
[ "$("$PY" "$CHECK" get c4.txt netcap_collect_metrics_timeouts_total)" -ge 9 ] || fail "idle connections not counted as timeouts"
# Nothing the hostile clients did changed the collector's counters.
"$PY" "$CHECK" collect c4.txt stats.json >/dev/null || fail "netcap-collect: counters moved"
kill -TERM "$cpid"
wait "$cpid" || fail "netcap-collect exited $? after SIGTERM"
pids=()
"$PY" "$CHECK" collect c4.txt stats.json >/dev/null || fail "the final stats file differs from the last scrape"

echo "== netcap --metrics (live)"
[ "$(id -u)" -eq 0 ] || skip "live capture needs root (veth pair, network namespace, af_packet)"
command -v ip >/dev/null || skip "ip absent (apt-get install iproute2)"
command -v tcpreplay >/dev/null || skip "tcpreplay absent (apt-get install tcpreplay)"
command -v capinfos >/dev/null || skip "capinfos absent (apt-get install tshark)"
pcap=$NETCAP_CORPUS/$CAPTURE
[ -f "$pcap" ] || fail "$CAPTURE absent from the corpus"

"$NETCAP" -r "$pcap" -o "$TMP/x" --metrics "127.0.0.1:99999" 2>bad.log && fail "netcap took --metrics 127.0.0.1:99999"
grep -q -- '--metrics' bad.log || { cat bad.log; fail "the error does not name --metrics"; }

P=nm$$
NS=$P CAP_IF=${P}a SEND_IF=${P}b PREFIX=$P
RUNDIR=/var/run/dpdk/$PREFIX
veth_pair

nport=$(free_port SOCK_STREAM)
printf '[output]\nmetrics = 127.0.0.1:%s\n' "$nport" >netcap.conf
out=$TMP/out
"$NETCAP" -c netcap.conf -i "$CAP_IF" -o "$out" -w 1 -- --no-huge -m 256 --no-pci --no-shconf -l 0 \
  --file-prefix "$PREFIX" >"$out.summary" 2>"$out.stderr" &
npid=$!
pids+=("$npid")
up=
for _ in $(seq 300); do
  kill -0 "$npid" 2>/dev/null || { cat "$out.summary" "$out.stderr"; fail "netcap ended while starting"; }
  curl -s -o /dev/null "http://127.0.0.1:$nport/metrics" && { up=1; break; }
  sleep 0.1
done
[ -n "$up" ] || { cat "$out.stderr"; fail "no metrics on 127.0.0.1:$nport within 30 s"; }
scrape "$nport" n0.txt
echo "-- started: $("$PY" "$CHECK" parse n0.txt)"

expected=$(capinfos -c -M "$pcap" | awk '/Number of packets/ {print $NF}')
ip netns exec "$NS" tcpreplay -i "$SEND_IF" --topspeed "$pcap" >"$TMP/replay" 2>&1 ||
  { cat "$TMP/replay"; fail "tcpreplay failed"; }
sent=$(awk '/Successful packets:/ {print $3}' "$TMP/replay")
[ "$sent" = "$expected" ] || fail "tcpreplay sent $sent of $expected packets"

# Until every packet is counted and two scrapes in a row agree on the
# packets and the layer records (the worker has decoded them all).
i=0 prev=
for _ in $(seq 100); do
  i=$((i + 1))
  scrape "$nport" "n$i.txt"
  seen=$("$PY" "$CHECK" get "n$i.txt" netcap_packets_total)
  now="$seen $(grep -E '^netcap_records_total\{type="(Ethernet|IPv4|IPv6|TCP|UDP)"\}' "n$i.txt" | tr '\n' ' ')"
  [ "$seen" -ge "$expected" ] && [ "$now" = "$prev" ] && break
  prev=$now
  sleep 0.2
done
[ "$seen" = "$expected" ] || fail "the scrape counts $seen packets, $expected were sent"
echo "-- $i scrapes; hostile clients"
"$PY" "$CHECK" hostile 127.0.0.1 "$nport" || fail "netcap: hostile clients"
kill -0 "$npid" 2>/dev/null || { cat "$out.stderr"; fail "netcap died"; }
i=$((i + 1))
scrape "$nport" "n$i.txt"
last=n$i.txt
"$PY" "$CHECK" monotonic $(for k in $(seq 0 $i); do echo "n$k.txt"; done) || fail "netcap: a counter went down"
promtool_check "$last"
for name in netcap_packets_total netcap_bytes_total netcap_packets_decoded_total netcap_flows_tracked \
            netcap_stream_bytes_peak netcap_waits_total netcap_lcore_seconds_total netcap_drops_total \
            netcap_info netcap_port_received_packets_total netcap_peak_rss_bytes; do
  grep -q "^$name[ {]" "$last" || fail "$name missing from the page"
done
grep -q '^netcap_lcore_packets_read_total{lcore="0",role="rx,worker' "$last" || fail "no per-lcore series with lcore and role labels"
grep -q '^netcap_records_total{type="TCP"} [1-9]' "$last" || fail "no TCP records counted"

kill -INT "$npid"
wait_exit "$npid" 30
rc=$WAIT_RC
pids=()
cat "$out.summary"
[ "$rc" -eq 0 ] || { cat "$out.stderr"; fail "netcap exited $rc after SIGINT"; }
echo "-- the last scrape vs the summary:"
"$PY" "$CHECK" summary "$last" "$out.summary" || fail "the last scrape disagrees with the summary"
echo "ok"
