#!/usr/bin/env bash
# test_collect_nats.sh: NATS JetStream beyond one collector
# (lib/collect/nats.c, docs/collector-nats.md), against a local
# `nats-server -js` on a free port:
#   - the records of a corpus capture, published in batches as a collector
#     publishes them (twice: the second copy must be dropped by JetStream's
#     de-duplication; batches larger than the server's max_payload split),
#     come back from the durable consumer as the same multiset per type;
#   - a consumer stopped after some messages and started again resumes
#     where it stopped: nothing lost, nothing twice;
#   - a second durable reads everything again into a directory holding
#     files of an earlier run: those are moved aside, not overwritten;
#   - malformed messages (bad subject, unknown type, contradicting headers,
#     empty, broken records) are counted by cause and never written;
#   - SIGTERM ends a running consumer with exit 0 and valid files, the
#     library's and netcap-collect --from-nats alike.
source "$(dirname "$0")/lib.sh"

DUMP=$NETCAP_BUILD/netcap-dump
NETCAP=$NETCAP_BUILD/netcap
TOOL=$NETCAP_BUILD/tests/nats-roundtrip
COLLECT=$NETCAP_BUILD/netcap-collect
PCAP=$NETCAP_CORPUS/ndpi/1kxun.pcap
[ -x "$TOOL" ] || skip "$TOOL not built (make check builds it)"
[ -x "$NETCAP" ] && [ -x "$DUMP" ] && [ -x "$COLLECT" ] || skip "netcap, netcap-dump or netcap-collect not built (make)"
command -v nats-server >/dev/null || skip "nats-server absent (apt-get install nats-server)"
need_corpus ndpi
[ -f "$PCAP" ] || skip "$PCAP absent"

# A free port: the kernel picks one; the server binds it a moment later.
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=nats://127.0.0.1:$PORT
# A small max_payload so that batches split into several messages.
cat >"$TMP/nats.conf" <<EOF
listen: 127.0.0.1:$PORT
max_payload: 65536
jetstream { store_dir: "$TMP/js" }
EOF
nats-server -js -c "$TMP/nats.conf" >"$TMP/nats.log" 2>&1 &
NATS_PID=$!
CONSUMER_PID=
COLLECTOR_PID=
cleanup() {
  if [ -n "$CONSUMER_PID" ]; then kill "$CONSUMER_PID" 2>/dev/null || true; fi
  if [ -n "$COLLECTOR_PID" ]; then kill -9 "$COLLECTOR_PID" 2>/dev/null || true; fi
  kill "$NATS_PID" 2>/dev/null || true
  wait "$NATS_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
for _ in $(seq 50); do
  grep -q 'Server is ready' "$TMP/nats.log" && break
  kill -0 "$NATS_PID" 2>/dev/null || { cat "$TMP/nats.log" >&2; fail "nats-server did not start"; }
  sleep 0.1
done
grep -q 'Server is ready' "$TMP/nats.log" || fail "nats-server not ready after 5 s"

# counter FILE KEY: a counter of the tool's "key value" output.
counter() { awk -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print "missing" }' "$1"; }
expect() { # FILE KEY VALUE
  local v; v=$(counter "$1" "$2")
  [ "$v" = "$3" ] || { cat "$1" >&2; fail "$(basename "$1"): $2 is $v, expected $3"; }
}
# records DIR TYPE: every record of TYPE in DIR (all its files of that
# type, moved-aside ones included when asked) as sorted CSV lines.
records() {
  local f
  for f in "$1"/$2.ncap.gz; do
    [ -f "$f" ] || continue
    "$DUMP" "$f" | tail -n +2 || fail "netcap-dump $f failed"
  done | LC_ALL=C sort
}
# same_records EXPECTED_DIR GOT_DIR...: per type, equal multisets.
same_records() {
  local want=$1 t f; shift
  for f in "$want"/*.ncap.gz; do
    t=$(basename "$f" .ncap.gz)
    records "$want" "$t" >"$TMP/want"
    for d in "$@"; do records "$d" "$t"; done | LC_ALL=C sort >"$TMP/got"
    cmp -s "$TMP/want" "$TMP/got" ||
      fail "$t: $(wc -l <"$TMP/want") records locally, $(wc -l <"$TMP/got") through NATS ($*), or different ones"
  done
  for d in "$@"; do
    for f in "$d"/*.ncap.gz; do
      case $(basename "$f" .ncap.gz) in *.*) continue ;; esac # moved aside
      [ -f "$want/$(basename "$f")" ] || fail "$f: a type the local run did not write"
    done
  done
}

"$NETCAP" -r "$PCAP" -o "$TMP/local" >"$TMP/local.summary" 2>&1 || {
  cat "$TMP/local.summary" >&2; fail "netcap -r $PCAP failed"; }
ls "$TMP/local"/TCP.ncap.gz >/dev/null || fail "the local run wrote no TCP records"

echo "== publish twice (de-duplication), batches up to 200000 bytes split under 64 KiB"
"$TOOL" publish "$URL" NETCAP "$TMP/local" --sensor s1 --device "probe A" --epoch 7 \
  --batch-bytes 200000 --times 2 >"$TMP/pub" 2>"$TMP/pub.err" || {
  cat "$TMP/pub" "$TMP/pub.err" >&2; fail "publishing failed"; }
msgs=$(counter "$TMP/pub" messages)
batches=$(counter "$TMP/pub" batches)
[ "$msgs" -gt "$batches" ] || fail "no batch was split ($msgs messages for $batches batches)"
expect "$TMP/pub" acked "$msgs"
expect "$TMP/pub" duplicates $((msgs / 2))
expect "$TMP/pub" failed 0
stored=$((msgs / 2))

echo "== durable consumer: stopped after 5 messages, then resumed"
"$TOOL" consume "$URL" NETCAP "$TMP/out1" d1 --max-msgs 5 --batch 2 >"$TMP/c1" || fail "consumer 1 failed"
expect "$TMP/c1" messages 5
expect "$TMP/c1" written 5
"$TOOL" consume "$URL" NETCAP "$TMP/out2" d1 --idle-exit 1500 >"$TMP/c2" || fail "consumer 2 failed"
expect "$TMP/c2" messages $((stored - 5))
expect "$TMP/c2" written $((stored - 5))
expect "$TMP/c2" redelivered 0
same_records "$TMP/local" "$TMP/out1/s1" "$TMP/out2/s1"
"$DUMP" --header "$TMP/out2/s1/TCP.ncap.gz" | grep -q 'sensor s1 (probe A) via NATS stream NETCAP' ||
  fail "the file's Header does not name the sensor and stream"

echo "== a second durable into a directory with files of an earlier run"
before=$(find "$TMP/out1/s1" -name '*.ncap.gz' | wc -l)
"$TOOL" consume "$URL" NETCAP "$TMP/out1" d2 --idle-exit 1500 >"$TMP/c3" || fail "consumer 3 failed"
expect "$TMP/c3" messages "$stored"
moved=$(find "$TMP/out1/s1" -name '*.*T*Z.ncap.gz' | wc -l)
[ "$moved" = "$before" ] || fail "$before files of the earlier run, $moved moved aside"
same_records "$TMP/local" "$TMP/out1/s1"
for f in "$TMP/out1/s1"/*T*Z.ncap.gz; do "$DUMP" --count "$f" >/dev/null || fail "$f unreadable"; done

echo "== malformed messages: counted by cause, never written"
raw() { "$TOOL" raw "$URL" "$@" || fail "raw publish $* failed"; }
raw netcap.s1.TCP --hex ffffffff0102                    # records: a length past the end
raw netcap.s1.TCP --hex 0a08ffffffffffffffffff          # records: a field's varint never ends
raw netcap.s1.TCP                                       # size: empty
raw netcap.s1.NoSuchType --hex 00                       # type
raw netcap.s1.Header --hex 00                           # type: no records of it
raw netcap.s1.NC_TCP --hex 00                           # type: one spelling only
raw netcap.s1 --hex 00                                  # subject: no type
raw 'netcap.bad$id.TCP' --hex 00                        # subject: unsafe sensor id
raw netcap.s1.TCP --hex 00 --header Netcap-Sensor=s2    # header contradicts the subject
raw netcap.s1.UDP --hex 00 --header Netcap-Type=TCP     # header contradicts the subject
"$TOOL" consume "$URL" NETCAP "$TMP/out3" d1 --idle-exit 1500 >"$TMP/c4" || fail "consumer 4 failed"
expect "$TMP/c4" messages 10
expect "$TMP/c4" written 0
expect "$TMP/c4" files 0
expect "$TMP/c4" bad_records 2
expect "$TMP/c4" bad_size 1
expect "$TMP/c4" bad_type 3
expect "$TMP/c4" bad_subject 2
expect "$TMP/c4" bad_header 2
[ -z "$(find "$TMP/out3" -mindepth 1)" ] || { find "$TMP/out3" >&2; fail "malformed messages left files"; }
# Terminated, not handed back: a restart does not see them again.
"$TOOL" consume "$URL" NETCAP "$TMP/out3" d1 --idle-exit 1000 >"$TMP/c5" || fail "consumer 5 failed"
expect "$TMP/c5" messages 0

echo "== SIGTERM ends a running consumer with valid files"
"$TOOL" consume "$URL" NETCAP "$TMP/out4" d3 >"$TMP/c6" 2>"$TMP/c6.err" &
CONSUMER_PID=$!
want=$(for f in "$TMP/local"/*.ncap.gz; do "$DUMP" --count "$f"; done | awk '{ s += $NF } END { print s }')
for _ in $(seq 100); do
  got=0
  for f in "$TMP/out4/s1"/*.ncap.gz; do
    [ -f "$f" ] && got=$((got + $("$DUMP" --count "$f" 2>/dev/null | awk '{ print $NF }')))
  done
  [ "$got" = "$want" ] && break
  sleep 0.1
done
[ "$got" = "$want" ] || fail "the running consumer flushed $got of $want records in 10 s"
kill -TERM "$CONSUMER_PID"
rc=0; wait "$CONSUMER_PID" || rc=$?
CONSUMER_PID=
[ "$rc" = 0 ] || { cat "$TMP/c6.err" >&2; fail "the consumer exited $rc on SIGTERM"; }
expect "$TMP/c6" messages "$((stored + 10))"
same_records "$TMP/local" "$TMP/out4/s1"

echo "== netcap-collect --from-nats, stopped by SIGTERM"
"$COLLECT" --from-nats "$URL" -o "$TMP/out6" --durable d4 2>"$TMP/c7.err" &
CONSUMER_PID=$!
for _ in $(seq 100); do
  got=0
  for f in "$TMP/out6/s1"/*.ncap.gz; do
    [ -f "$f" ] && got=$((got + $("$DUMP" --count "$f" 2>/dev/null | awk '{ print $NF }')))
  done
  [ "$got" = "$want" ] && break
  sleep 0.1
done
[ "$got" = "$want" ] || fail "netcap-collect --from-nats flushed $got of $want records in 10 s"
kill -TERM "$CONSUMER_PID"
rc=0; wait "$CONSUMER_PID" || rc=$?
CONSUMER_PID=
[ "$rc" = 0 ] || { cat "$TMP/c7.err" >&2; fail "netcap-collect --from-nats exited $rc on SIGTERM"; }
same_records "$TMP/local" "$TMP/out6/s1"
grep -q "from NATS: $((stored + 10)) messages, $stored written.*bad: subject 2 type 3 header 2 size 1 records 2" \
  "$TMP/c7.err" || { cat "$TMP/c7.err" >&2; fail "netcap-collect's summary is not the expected one"; }
"$COLLECT" --from-nats "$URL" --listen 127.0.0.1:1 -o "$TMP/out7" 2>/dev/null &&
  fail "--from-nats with --listen accepted"

echo "== a sensor through netcap-collect --nats-only, read back with --from-nats"
# The whole path: netcap in sensor mode, the collector publishing what it
# accepts (no files), JetStream, a consumer writing record files: the
# local run's records, every type (the stream holds the messages of the
# tests above too, of sensor s1: only s9's are compared).
"$COLLECT" --gen-keypair "$TMP/col" >/dev/null && "$COLLECT" --gen-keypair "$TMP/s9" >/dev/null ||
  fail "netcap-collect --gen-keypair failed"
cp "$TMP/s9.pub" "$TMP/allow"
UPORT=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$COLLECT" --listen "127.0.0.1:$UPORT" --key "$TMP/col.key" --allow "$TMP/allow" --nats "$URL" \
  --nats-only --stats-interval 0 2>"$TMP/col.err" &
COLLECTOR_PID=$!
for _ in $(seq 100); do
  python3 -c 'import socket, sys; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))' \
    "$UPORT" 2>/dev/null || break
  kill -0 "$COLLECTOR_PID" 2>/dev/null || { cat "$TMP/col.err" >&2; fail "netcap-collect --nats did not start"; }
  sleep 0.1
done
"$NETCAP" -r "$PCAP" --collector "127.0.0.1:$UPORT" --collector-pubkey "$TMP/col.pub" \
  --sensor-key "$TMP/s9.key" --sensor-id s9 >"$TMP/sensor.summary" 2>&1 ||
  { cat "$TMP/sensor.summary" >&2; fail "netcap in sensor mode failed"; }
kill -TERM "$COLLECTOR_PID"
rc=0; wait "$COLLECTOR_PID" || rc=$?
[ "$rc" = 0 ] || { cat "$TMP/col.err" >&2; fail "netcap-collect --nats exited $rc on SIGTERM"; }
grep -q 'final: NATS: .* 0 pending; failed: input 0, too large 0, stalled 0, publish 0, ack 0' \
  "$TMP/col.err" || { cat "$TMP/col.err" >&2; fail "the collector lost batches to NATS"; }
grep -q ' 0 dropped' "$TMP/col.err" || { cat "$TMP/col.err" >&2; fail "the collector dropped datagrams"; }
"$COLLECT" --from-nats "$URL" -o "$TMP/out9" --durable d9 2>"$TMP/c9.err" &
CONSUMER_PID=$!
want9=$(awk '$1 == "records" { sub(";", "", $2); print $2; exit }' "$TMP/local.summary")
for _ in $(seq 100); do
  got=0
  for f in "$TMP/out9/s9"/*.ncap.gz; do
    [ -f "$f" ] && got=$((got + $("$DUMP" --count "$f" 2>/dev/null | awk '{ print $NF }')))
  done
  [ "$got" = "$want9" ] && break
  sleep 0.1
done
kill -TERM "$CONSUMER_PID"
rc=0; wait "$CONSUMER_PID" || rc=$?
CONSUMER_PID=
[ "$rc" = 0 ] || { cat "$TMP/c9.err" >&2; fail "netcap-collect --from-nats exited $rc"; }
[ -d "$TMP/out9/s9" ] || fail "nothing came through NATS for sensor s9"
same_records "$TMP/local" "$TMP/out9/s9"
echo "   $want9 records: sensor -> collector -> JetStream -> files, equal to the local run"

echo "== errors name what is wrong"
"$TOOL" consume "$URL" NOSTREAM "$TMP/out5" d1 --idle-exit 500 >/dev/null 2>"$TMP/e1" &&
  fail "a missing stream was accepted"
grep -q 'NOSTREAM' "$TMP/e1" || { cat "$TMP/e1" >&2; fail "the error does not name the stream"; }
"$TOOL" consume "$URL" NETCAP "$TMP/out5" bad.name --idle-exit 500 >/dev/null 2>"$TMP/e2" &&
  fail "a durable name with a dot was accepted"
grep -q 'bad.name' "$TMP/e2" || { cat "$TMP/e2" >&2; fail "the error does not name the durable"; }
"$TOOL" publish nats://127.0.0.1:1 NETCAP "$TMP/local" --sensor s1 >/dev/null 2>"$TMP/e3" &&
  fail "publishing to no server succeeded"
grep -q 'nats://127.0.0.1:1' "$TMP/e3" || { cat "$TMP/e3" >&2; fail "the error does not name the URL"; }
echo "ok"
