#!/usr/bin/env bash
# test_collect_sensor.sh: netcap in sensor mode sends its records to
# netcap-collect, and the collector's files hold exactly the records of a
# local run (docs/sensor.md).
#
# Keys come from `netcap-collect --gen-keypair`; the collector listens on
# 127.0.0.1 at a free port with the sensor's .pub in its allow file. For
# each corpus capture:
#   - a sensor replay (`netcap -r CAPTURE --collector ... --sensor-id s1`)
#     into a fresh collector, and a local run (`netcap -r CAPTURE -o
#     LOCAL`); the collector stops on SIGTERM and exits 0 (also with
#     records in fragments, --datagram-size 512 --payload, and with 8
#     compressors, each sealing and sending its own share);
#   - per record type, the records of DIR/s1/<Type>.ncap.gz and of
#     LOCAL/<Type>.ncap.gz (netcap-dump, lines sorted) are the same
#     multiset, and the same types have files;
#   - no loss on either side: the sensor's summary counts every record sent
#     and none lost; the collector's stats file counts the same records for
#     s1, no drop, no sequence gap, nothing lost writing.
# Then --also-local gives both the collector's files and the local ones;
# a sensor whose collector does not listen counts its losses (refused)
# and ends normally, never waiting; bad settings fail at start-up naming
# the option and file. Last, a live capture (veth pair, tcpreplay; root,
# as test_engine_live.sh) shows partly filled batches reaching the
# collector within --batch-time while netcap still runs.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

COLLECT=$NETCAP_BUILD/netcap-collect
CAPTURES="ndpi/1kxun.pcap ndpi/zoom2.pcap ndpi/chrome.pcap"

need_engine
[ -x "$COLLECT" ] || skip "$COLLECT not built (make)"
[ -x "$PY" ] || skip "$PY absent"
need_corpus ndpi

cpid=
live_pid=
P=ns$$
NS=$P CAP_IF=${P}a SEND_IF=${P}b
cleanup() {
  if [ -n "$cpid" ]; then kill -9 "$cpid" 2>/dev/null || true; fi
  if [ -n "$live_pid" ]; then kill -9 "$live_pid" 2>/dev/null || true; fi
  ip link del "$CAP_IF" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "/var/run/dpdk/$P" "$TMP"
}
trap cleanup EXIT

# ---- keys --------------------------------------------------------------------
"$COLLECT" --gen-keypair "$TMP/collector" >/dev/null || fail "netcap-collect --gen-keypair collector failed"
"$COLLECT" --gen-keypair "$TMP/s1" >/dev/null || fail "netcap-collect --gen-keypair s1 failed"
{ echo "# the sensors of this test"; echo "$(cat "$TMP/s1.pub") s1"; } >"$TMP/allow"
SENSOR_ARGS=(--collector-pubkey "$TMP/collector.pub" --sensor-key "$TMP/s1.key" --sensor-id s1)

# A UDP port nobody uses now (the kernel's choice of a free one).
free_port() {
  "$PY" -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_collector DIR [STATS_INTERVAL]: netcap-collect on 127.0.0.1:$PORT
# into DIR (stats in DIR.stats.json), in the background ($cpid); returns
# once its socket is bound (binding the port without SO_REUSEPORT then
# fails).
start_collector() {
  PORT=$(free_port)
  "$COLLECT" --listen "127.0.0.1:$PORT" --key "$TMP/collector.key" --allow "$TMP/allow" -o "$1" \
    --stats-file "$1.stats.json" --stats-interval "${2:-0}" --quiet --threads 2 >"$1.out" 2>"$1.err" &
  cpid=$!
  for _ in $(seq 100); do
    kill -0 "$cpid" 2>/dev/null || { cat "$1.err" >&2; fail "netcap-collect ended while starting"; }
    if ! "$PY" -c 'import socket, sys; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))' \
         "$PORT" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  fail "netcap-collect did not bind 127.0.0.1:$PORT within 10 s"
}

# stop_collector DIR: SIGTERM; it must exit 0 within 30 s.
stop_collector() {
  kill -TERM "$cpid"
  wait_exit "$cpid" 30
  cpid=
  [ "$WAIT_RC" -eq 0 ] || { cat "$1.err" >&2; fail "netcap-collect exited $WAIT_RC after SIGTERM"; }
  [ -f "$1.stats.json" ] || fail "netcap-collect wrote no stats file $1.stats.json"
}

# run_sensor SUMMARY NETCAP_ARGS...: a sensor replay that must succeed.
run_sensor() {
  local summary=$1; shift
  if ! "$NETCAP" --defrag-memory 0 "$@" >"$summary" 2>"$summary.stderr"; then
    cat "$summary" "$summary.stderr" >&2
    fail "netcap $* failed"
  fi
}

# sensor_field SUMMARY N: the N-th number of the summary's "sensor" line
# (1 datagrams sent, 4 records sent, 5 datagrams lost, 6 records lost,
# 7 socket full, 8 send errors).
sensor_field() {
  grep '^  sensor ' "$1" | sed 's/^  sensor *[^ ]* -> [^ ]* //' | grep -oE '[0-9]+' | sed -n "$2p"
}

# records_total SUMMARY: the records the run made (the "records" line).
records_total() {
  awk '$1 == "records" { sub(";", "", $2); print $2 }' "$1"
}

# same_records A_DIR B_DIR WHAT: every record file of either directory is
# in both, with the same multiset of records (netcap-dump lines, sorted).
same_records() {
  local a=$1 b=$2 what=$3 f t n=0
  [ -d "$a" ] || fail "$what: $a missing"
  (cd "$a" && ls -- *.ncap.gz 2>/dev/null) | sort >"$TMP/files.a"
  (cd "$b" && ls -- *.ncap.gz 2>/dev/null) | sort >"$TMP/files.b"
  if ! diff "$TMP/files.a" "$TMP/files.b" >"$TMP/files.diff"; then
    cat "$TMP/files.diff" >&2
    fail "$what: the record files of $a and $b differ"
  fi
  [ -s "$TMP/files.a" ] || fail "$what: no record file in $a"
  while read -r f; do
    t=${f%.ncap.gz}
    "$DUMP" "$a/$f" | LC_ALL=C sort >"$TMP/a.csv" || fail "netcap-dump $a/$f failed"
    "$DUMP" "$b/$f" | LC_ALL=C sort >"$TMP/b.csv" || fail "netcap-dump $b/$f failed"
    if ! cmp -s "$TMP/a.csv" "$TMP/b.csv"; then
      diff "$TMP/a.csv" "$TMP/b.csv" | head -n 10 >&2
      fail "$what: $t records differ between $a and $b ($(wc -l <"$TMP/a.csv") and $(wc -l <"$TMP/b.csv") lines)"
    fi
    n=$((n + $(wc -l <"$TMP/a.csv") - 1))
  done <"$TMP/files.a"
  echo "   $what: $(wc -l <"$TMP/files.a") types, $n records alike"
}

# check_collector_stats DIR RECORDS: the collector took RECORDS records
# from s1 and lost, dropped or missed nothing.
check_collector_stats() {
  "$PY" - "$1.stats.json" "$2" <<'EOF' || fail "collector counters of $1 (above)"
import json, sys
d = json.load(open(sys.argv[1]))
want = int(sys.argv[2])
bad = []
for k in ("dropped", "receive_errors"):
    if d.get(k) != 0:
        bad.append(f"{k} {d.get(k)}")
if d.get("dropped"):
    bad.append("drops by cause " + ", ".join(f"{k} {v}" for k, v in d.get("drops", {}).items() if v))
if d.get("datagrams") != d.get("accepted"):
    bad.append(f"datagrams {d.get('datagrams')} but accepted {d.get('accepted')}")
s = [x for x in d.get("sensors", []) if x.get("id") == "s1"]
if len(s) != 1:
    bad.append(f"sensor s1 listed {len(s)} times")
else:
    s = s[0]
    if s["records"] != want:
        bad.append(f"s1 records {s['records']}, the sensor sent {want}")
    for k in ("gaps", "dropped", "records_lost", "write_errors", "fragments_gave_up", "fragments_pending"):
        if s.get(k):
            bad.append(f"s1 {k} {s[k]}")
if bad:
    print("collector stats:", "; ".join(bad), file=sys.stderr)
    sys.exit(1)
print(f"   collector: {d['accepted']} datagrams accepted, {want} records from s1, no drop, gap or loss")
EOF
}

# check_sensor_summary SUMMARY: every record of the run sent, none lost.
check_sensor_summary() {
  grep -q '^  sensor ' "$1" || { cat "$1" >&2; fail "$1: no sensor line in the summary"; }
  local total sent lost_d lost_r
  total=$(records_total "$1")
  sent=$(sensor_field "$1" 4)
  lost_d=$(sensor_field "$1" 5)
  lost_r=$(sensor_field "$1" 6)
  [ "$lost_d" = 0 ] && [ "$lost_r" = 0 ] || { grep '^  sensor ' "$1" >&2; fail "$1: the sensor lost datagrams"; }
  [ "$sent" = "$total" ] || { grep '^  sensor ' "$1" >&2; fail "$1: $total records made, $sent sent"; }
  echo "   sensor: $total records in $(sensor_field "$1" 1) datagrams, none lost"
}

# ---- replays: the collector's files are the local run's ---------------------
# NAME|CAPTURE|OPTIONS of both runs. Besides the default layout: records
# with their payloads in datagrams of 512 bytes (many records need
# fragments), and 8 compressors sharing the sensor's sequence numbers
# (IPv4, Ethernet, TCP spread over several: each its own sealer and
# sender), as test_engine_workers.sh lays them out on 2 CPUs.
CASES=()
for cap in $CAPTURES; do CASES+=("$(basename "$cap" .pcap)|$cap|"); done
CASES+=("fragments|ndpi/1kxun.pcap|--payload --datagram-size 512")
CASES+=("spread|ndpi/zoom2.pcap|-w 3 --compressors 8 --chunk-size 4K -- --lcores=(0-11)@(0-1)")
for c in "${CASES[@]}"; do
  IFS='|' read -r name cap opts <<<"$c"
  read -ra extra <<<"$opts"
  pcap=$NETCAP_CORPUS/$cap
  [ -f "$pcap" ] || fail "$cap absent from the corpus"
  echo "-- $name: $cap $opts"
  # The options before any EAL arguments (after --), where the sensor's go.
  pre=() eal=()
  for ((i = 0; i < ${#extra[@]}; i++)); do
    if [ "${extra[i]}" = -- ]; then eal=("${extra[@]:i}"); break; fi
    pre+=("${extra[i]}")
  done
  col=$TMP/col.$name local_dir=$TMP/local.$name
  start_collector "$col"
  run_sensor "$TMP/sensor.$name" -r "$pcap" --collector "127.0.0.1:$PORT" "${SENSOR_ARGS[@]}" \
    -o "$TMP/unused.$name" "${pre[@]}" "${eal[@]}"
  [ ! -e "$TMP/unused.$name" ] || fail "sensor mode without --also-local made its output directory"
  run_netcap "$local_dir" -r "$pcap" "${pre[@]}" "${eal[@]}"
  stop_collector "$col"
  check_sensor_summary "$TMP/sensor.$name"
  check_collector_stats "$col" "$(records_total "$TMP/sensor.$name")"
  [ "$(records_total "$TMP/sensor.$name")" = "$(records_total "$local_dir.summary")" ] ||
    fail "$cap: the sensor made $(records_total "$TMP/sensor.$name") records, the local run $(records_total "$local_dir.summary")"
  same_records "$col/s1" "$local_dir" "$name: collector vs local"
  case $name in
    fragments)
      n=$("$PY" -c 'import json, sys; print(sum(s["fragments_completed"] for s in json.load(open(sys.argv[1]))["sensors"]))' "$col.stats.json")
      [ "$n" -gt 0 ] || fail "fragments: no record travelled in fragments"
      echo "   $n records reassembled from fragments";;
    spread)
      grep -q 'layout      3 workers, 8 compressors' "$TMP/sensor.$name" ||
        fail "spread: not 8 compressors: $(grep layout "$TMP/sensor.$name")";;
  esac
done

# ---- --also-local: both ---------------------------------------------------------
echo "-- --also-local"
cap=ndpi/1kxun.pcap name=1kxun
col=$TMP/col.also
start_collector "$col"
run_sensor "$TMP/sensor.also" -r "$NETCAP_CORPUS/$cap" --collector "127.0.0.1:$PORT" "${SENSOR_ARGS[@]}" \
  --also-local -o "$TMP/also"
stop_collector "$col"
check_sensor_summary "$TMP/sensor.also"
check_collector_stats "$col" "$(records_total "$TMP/sensor.also")"
same_records "$TMP/also" "$TMP/local.$name" "--also-local: local files vs local run"
same_records "$col/s1" "$TMP/local.$name" "--also-local: collector vs local run"

# ---- nobody listening: losses counted, never a wait -----------------------------
echo "-- no collector"
port=$(free_port)
start=$(date +%s)
run_sensor "$TMP/sensor.refused" -r "$NETCAP_CORPUS/ndpi/1kxun.pcap" --collector "127.0.0.1:$port" "${SENSOR_ARGS[@]}"
[ $(( $(date +%s) - start )) -lt 30 ] || fail "a sensor without collector took over 30 s"
errors=$(sensor_field "$TMP/sensor.refused" 8)
lost_r=$(sensor_field "$TMP/sensor.refused" 6)
sent=$(sensor_field "$TMP/sensor.refused" 4)
total=$(records_total "$TMP/sensor.refused")
[ "${errors:-0}" -gt 0 ] || { cat "$TMP/sensor.refused" >&2; fail "no send error counted with nobody listening"; }
grep -q 'Connection refused' "$TMP/sensor.refused" || fail "the summary does not say why the datagrams were lost"
[ $((sent + lost_r)) -eq "$total" ] || fail "refused: $sent sent + $lost_r lost != $total records"
echo "   $errors datagrams ($lost_r records) refused and counted; $sent records sent"

# ---- bad settings fail at start-up, naming option and file -----------------------
echo "-- start-up errors"
expect_error() {
  local want=$1; shift
  local rc=0
  "$NETCAP" -r "$NETCAP_CORPUS/ndpi/1kxun.pcap" -q "$@" >"$TMP/err.out" 2>&1 || rc=$?
  [ "$rc" -ne 0 ] || fail "netcap $* succeeded"
  grep -qF -- "$want" "$TMP/err.out" || { cat "$TMP/err.out" >&2; fail "netcap $*: the error does not name '$want'"; }
}
cp "$TMP/s1.key" "$TMP/open.key"
chmod 644 "$TMP/open.key"
expect_error "--sensor-key $TMP/open.key" --collector 127.0.0.1:9 --collector-pubkey "$TMP/collector.pub" --sensor-key "$TMP/open.key"
expect_error "--collector-pubkey $TMP/none.pub" --collector 127.0.0.1:9 --collector-pubkey "$TMP/none.pub" --sensor-key "$TMP/s1.key"
echo garbage >"$TMP/garbage.pub"
expect_error "--collector-pubkey $TMP/garbage.pub" --collector 127.0.0.1:9 --collector-pubkey "$TMP/garbage.pub" --sensor-key "$TMP/s1.key"
expect_error '--collector "127.0.0.1"' --collector 127.0.0.1 "${SENSOR_ARGS[@]}"
expect_error '--collector "[::1]:99999"' --collector '[::1]:99999' "${SENSOR_ARGS[@]}"
expect_error "--sensor-id" --collector 127.0.0.1:9 --collector-pubkey "$TMP/collector.pub" --sensor-key "$TMP/s1.key" --sensor-id ../x
expect_error "--collector-pubkey FILE" --collector 127.0.0.1:9 --sensor-key "$TMP/s1.key"
expect_error "--also-local needs sensor mode" --also-local
echo "   every bad setting refused before the run"

# ---- live: partial batches arrive within --batch-time ---------------------------
echo "-- live capture"
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! command -v tcpreplay >/dev/null; then
  skip "live sensor part needs root, ip and tcpreplay (the replay parts passed)"
fi
veth_pair

# Per-packet types only (flow records wait for their timeouts): the local
# replay tells how many the capture gives.
TYPES=Ethernet,IPv4,IPv6,TCP,UDP
run_netcap "$TMP/live.local" -r "$NETCAP_CORPUS/ndpi/1kxun.pcap" --include "$TYPES"
want=$(records_total "$TMP/live.local.summary")
col=$TMP/col.live
start_collector "$col" 1
"$NETCAP" -i "$CAP_IF" --include "$TYPES" --collector "127.0.0.1:$PORT" "${SENSOR_ARGS[@]}" --batch-time 1 \
  -w 1 -- --no-huge -m 256 --no-pci --no-shconf -l 0 --file-prefix "$P" --no-telemetry \
  >"$TMP/live.summary" 2>"$TMP/live.stderr" &
live_pid=$!
sleep 3 # EAL and the port up
kill -0 "$live_pid" 2>/dev/null || { cat "$TMP/live.summary" "$TMP/live.stderr" >&2; fail "live netcap ended while starting"; }
ip netns exec "$NS" tcpreplay -i "$SEND_IF" --topspeed "$NETCAP_CORPUS/ndpi/1kxun.pcap" >"$TMP/replay" 2>&1 ||
  { cat "$TMP/replay"; fail "tcpreplay failed"; }
sent_at=$(date +%s.%N)
got=0
# --batch-time 1: the worker sends its partly filled chunks within 1.1 s
# (its 100 ms tick), the compressor seals and sends them at once, and the
# collector rewrites its stats every second: 3.5 s is ample, and less than
# the 5 s after which chunks would go out without sensor mode.
while :; do
  got=$("$PY" -c 'import json, sys
try:
    d = json.load(open(sys.argv[1]))
    print(sum(s["records"] for s in d["sensors"] if s.get("id") == "s1"))
except Exception:
    print(0)' "$col.stats.json")
  [ "$got" -ge "$want" ] && break
  if "$PY" -c 'import sys, time; sys.exit(time.time() - float(sys.argv[1]) < 3.5)' "$sent_at"; then
    break
  fi
  sleep 0.2
done
delay=$("$PY" -c 'import sys, time; print(f"{time.time() - float(sys.argv[1]):.1f}")' "$sent_at")
kill -0 "$live_pid" 2>/dev/null || fail "live netcap ended by itself"
[ "$got" -ge "$want" ] || fail "live: $got of $want records at the collector ${delay} s after the replay, netcap still running"
echo "   live: $got records at the collector ${delay} s after the last packet, before netcap stopped"
kill -INT "$live_pid"
wait_exit "$live_pid" 30
live_pid=
[ "$WAIT_RC" -eq 0 ] || { cat "$TMP/live.summary" "$TMP/live.stderr" >&2; fail "live netcap exited $WAIT_RC"; }
stop_collector "$col"
check_sensor_summary "$TMP/live.summary"
check_collector_stats "$col" "$(records_total "$TMP/live.summary")"
echo "PASS"
