#!/usr/bin/env bash
# test_collect_adversarial.sh: netcap-collect against hostile traffic
# (issue 15). A collector on 127.0.0.1 (a free port) allows two sensor keys;
# tests/tools/collect-forge sends every class of hostile datagram (a key not
# allowed, a box from the wrong key, a bit flipped in each region,
# truncations, oversized datagrams, garbage, a wrong version, unsafe ids,
# malformed headers, an unknown type, batches that do not unpack, fragments
# that disagree). Checked from --stats-file: each class counted under its
# cause, exactly; the process alive; nothing created under -o. Then valid
# traffic (batches, a fragmented batch out of order, replays, too old
# numbers, ids claimed twice): files written and read by netcap-dump with
# the records the stats count; SIGHUP: the file renamed to
# <Type>.<UTC>.ncap.gz, valid, a new one opened by the next batch; an
# earlier run's file moved aside at start; SIGTERM: exit 0, every file
# valid.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COLLECT=$NETCAP_BUILD/netcap-collect
FORGE=$NETCAP_BUILD/tests/collect-forge
DUMP=$NETCAP_BUILD/netcap-dump
GEN=$NETCAP_BUILD/tests/ncap-gen
for b in "$COLLECT" "$FORGE" "$DUMP" "$GEN"; do
  [ -x "$b" ] || fail "$b not built (make all $NETCAP_BUILD/tests/collect-forge)"
done
command -v python3 >/dev/null || fail "python3 needed"

cd "$TMP"
for k in coll a b c; do "$COLLECT" --gen-keypair "$TMP/$k" >/dev/null || fail "--gen-keypair $k"; done
[ "$(stat -c %a "$TMP/coll.key")" = 600 ] || fail "coll.key is not mode 0600"
grep -qxE '[0-9a-f]{64}' "$TMP/coll.pub" || fail "coll.pub is not 64 hex digits"
"$COLLECT" --gen-keypair "$TMP/coll" >/dev/null 2>&1 && fail "--gen-keypair overwrote a key pair"
{ echo "# sensors"; echo "$(cat a.pub) sensor-a"; echo "$(cat b.pub)"; } >allow
"$GEN" "$TMP/recs" --count 20 >/dev/null || fail "ncap-gen"
RECS=$TMP/recs/UDP.ncap.gz

port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
OUT=$TMP/out
# An earlier run's file of sensor b (bravo), which sends nothing hostile:
# moved aside when its first UDP batch comes.
mkdir -p "$OUT/bravo"
cp "$RECS" "$OUT/bravo/UDP.ncap.gz"
touch -d '2020-01-02 03:04:05 UTC' "$OUT/bravo/UDP.ncap.gz"

"$COLLECT" --listen "127.0.0.1:$port" --key coll.key --allow allow -o "$OUT" --threads 2 \
  --max-datagram 2000 --stats-file "$TMP/stats.json" --stats-interval 1 2>"$TMP/collect.log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do [ -f "$TMP/stats.json" ] && break; sleep 0.1; done
[ -f "$TMP/stats.json" ] || { cat "$TMP/collect.log"; fail "no stats file"; }

: >"$TMP/expect"
# forge KEY CLASS [ARGS]: sends CLASS as sensor KEY, its expectations added up.
forge() {
  local key=$1 cls=$2
  shift 2
  "$FORGE" --to "127.0.0.1:$port" --collector-pub coll.pub --sensor-key "$key.key" \
    --records "$RECS" --dgram 2000 "$@" "$cls" >"$TMP/forge.out" || fail "collect-forge $cls failed"
  cat "$TMP/forge.out" >>"$TMP/expect"
}

# check_stats: waits for the collector to have every datagram sent so far,
# then compares each cause with the sum of the expectations.
check_stats() {
  python3 - "$TMP/stats.json" "$TMP/expect" <<'PY' || { tail -n 20 "$TMP/collect.log"; fail "counters differ"; }
import json, sys, time
want, sent = {}, 0
for line in open(sys.argv[2]):
    w = line.split()
    if w[0] == "expect": want[w[1]] = want.get(w[1], 0) + int(w[2])
    elif w[0] == "sent": sent += int(w[1])
for _ in range(100):
    try: st = json.load(open(sys.argv[1]))
    except (ValueError, OSError): st = None
    if st and st["datagrams"] >= sent: break
    time.sleep(0.1)
ok = st["datagrams"] == sent
print(f"datagrams {st['datagrams']} (sent {sent}), accepted {st['accepted']}, receive errors {st['receive_errors']}")
if st["accepted"] != want.get("accepted", 0):
    print(f"accepted: {st['accepted']}, expected {want.get('accepted', 0)}"); ok = False
for cause, n in st["drops"].items():
    if n != want.get(cause, 0):
        print(f"{cause}: {n}, expected {want.get(cause, 0)}"); ok = False
    elif n: print(f"  {cause}: {n}")
for cause in want:
    if cause != "accepted" and cause not in st["drops"]:
        print(f"cause {cause} missing from the stats file"); ok = False
sys.exit(0 if ok else 1)
PY
}
alive() { kill -0 $pid 2>/dev/null || { cat "$TMP/collect.log"; fail "netcap-collect died ($1)"; }; }

echo "-- hostile traffic"
forge c forged-key
forge a wrong-box
forge a flip
forge a truncate
forge a oversized
forge a garbage
forge a version
forge a bad-id
forge a bad-header
forge a unknown-type
forge a bad-batch
forge a frag-disagree
check_stats
alive "hostile traffic"
[ "$(find "$OUT" -mindepth 1 | sort)" = "$OUT/bravo
$OUT/bravo/UDP.ncap.gz" ] || fail "files created for rejected traffic: $(find "$OUT" -mindepth 1)"
cmp "$RECS" "$OUT/bravo/UDP.ncap.gz" || fail "the earlier run's file changed"
python3 - "$TMP/stats.json" "$(cat a.pub)" "$(cat b.pub)" <<'PY' || fail "per-sensor counters"
import json, sys
st = json.load(open(sys.argv[1]))
s = {x["key"]: x for x in st["sensors"]}
a, b = s[sys.argv[2]], s[sys.argv[3]]
assert a["name"] == "sensor-a" and b["name"] == "", (a["name"], b["name"])
assert a["id"] == "alpha", a["id"]          # bound by its first authenticated datagram
assert a["drops"]["auth_failed"] == 3 + 8 * 3 + 5, a["drops"]  # wrong-box, flips, 5 cuts of 113+ bytes
assert a["drops"]["bad_batch"] == 2 and a["drops"]["bad_fragment"] == 1, a["drops"]
assert a["drops"]["bad_sensor_id"] == 3 and a["drops"]["unknown_type"] == 1, a["drops"]
assert a["records"] == 0 and a["fragments_gave_up"] == 1, a
assert b["id"] is None and b["datagrams"] == 0 and b["last_seen"] is None, b
PY

echo "-- valid traffic"
forge a valid --id alpha
valid_records=$(sed -n 's/^records //p' "$TMP/forge.out")
forge a fragments --id alpha
forge a replay --id alpha
forge a old --id alpha
forge b id-claim --id alpha    # another key claiming alpha
forge a id-claim --id beta     # alpha's key with another id
forge b valid --id bravo
check_stats
alive "valid traffic"
[ -f "$OUT/bravo/UDP.20200102T030405Z.ncap.gz" ] || fail "the earlier run's file was not moved aside: $(ls "$OUT/bravo")"
cmp "$RECS" "$OUT/bravo/UDP.20200102T030405Z.ncap.gz" || fail "the earlier run's file changed when moved"

echo "-- SIGHUP: rotation"
kill -HUP $pid
for _ in $(seq 50); do [ -f "$OUT/alpha/UDP.ncap.gz" ] || break; sleep 0.1; done
[ ! -f "$OUT/alpha/UDP.ncap.gz" ] || fail "UDP.ncap.gz still there after SIGHUP"
rotated=$(ls "$OUT/alpha" | grep -E '^UDP\.[0-9]{8}T[0-9]{6}Z(-[0-9]+)?\.ncap\.gz$' | grep -v 20200102T030405Z)
[ "$(echo "$rotated" | wc -l)" = 1 ] && [ -n "$rotated" ] || fail "no rotated file: $(ls "$OUT/alpha")"
n=$("$DUMP" --count "$OUT/alpha/$rotated" | awk 'NR==1{print $NF}') || fail "netcap-dump cannot read $rotated"
want=$(python3 -c 'import json,sys; st=json.load(open(sys.argv[1])); print(next(s["records"] for s in st["sensors"] if s["id"]=="alpha"))' "$TMP/stats.json")
[ "$n" = "$want" ] || fail "$rotated holds $n records, the collector counted $want"
[ "$n" -gt "$valid_records" ] || fail "$rotated: $n records, fewer than the $valid_records sent valid"
"$DUMP" --header "$OUT/alpha/$rotated" | grep -q 'sensor alpha (forge)' || fail "Header.InputSource is not \"sensor alpha (forge)\""
forge a valid --id alpha
check_stats

echo "-- SIGTERM"
kill -TERM $pid
rc=0
wait $pid || rc=$?
trap 'rm -rf "$TMP"' EXIT
[ "$rc" = 0 ] || { cat "$TMP/collect.log"; fail "netcap-collect exited $rc on SIGTERM"; }
grep -q 'final' "$TMP/collect.log" || fail "no final summary"
[ -f "$OUT/alpha/UDP.ncap.gz" ] || fail "no new UDP.ncap.gz after the rotation"
[ "$(ls "$OUT/bravo" | grep -cE '^UDP\.[0-9]{8}T[0-9]{6}Z\.ncap\.gz$')" = 2 ] ||
  fail "sensor b: the earlier file and the rotated one expected: $(ls "$OUT/bravo")"
for f in "$OUT"/*/*.ncap.gz; do
  "$DUMP" --count "$f" >/dev/null 2>"$TMP/dump.err" || { cat "$TMP/dump.err"; fail "netcap-dump cannot read $f"; }
done
n=$("$DUMP" --count "$OUT/alpha/UDP.ncap.gz" | awk 'NR==1{print $NF}')
[ "$n" = "$valid_records" ] || fail "the new UDP.ncap.gz holds $n records, $valid_records sent"
[ -z "$(find "$OUT" -name '*.tmp')" ] || fail "temporary files left"
[ ! -e "$TMP/stats.json.tmp" ] || fail "stats.json.tmp left"
echo "ok"
