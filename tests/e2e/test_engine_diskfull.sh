#!/usr/bin/env bash
# test_engine_diskfull.sh: a full disk loses records, never files (issue 9,
# item 9).
#
# The test runs in a mount namespace of its own with the output on a small
# tmpfs, so the disk really fills (ENOSPC), partly through a gzip member.
#
# Offline: a replay whose records do not fit. netcap must exit 1, say how
# many records of which type were lost, and leave every file readable to
# its end by netcap-dump (no partial member: the writer cuts a file back to
# its last whole member); the records read back plus those reported lost
# must equal the records the summary says were made, type by type.
#
# Live (af_packet on a veth pair): the disk is full while a first replay
# arrives, then space comes back (a filler file is removed) and a second
# replay arrives. The capture must keep running, report that writing
# resumed, and the second replay's records must be on disk.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"
need_engine
need_corpus ndpi
[ "$(id -u)" -eq 0 ] || skip "needs root (a tmpfs in a mount namespace, a veth pair)"
if [ -z "${DISKFULL_NS:-}" ]; then
  command -v unshare >/dev/null || skip "unshare absent (util-linux)"
  DISKFULL_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi

DISK=$TMP/disk
mkdir -p "$DISK"
mount -t tmpfs -o size=128k tmpfs "$DISK" 2>"$TMP/err" || skip "cannot mount a tmpfs here: $(cat "$TMP/err")"
trap 'umount "$DISK" 2>/dev/null; rm -rf "$TMP"' EXIT

# check_files DIR SUMMARY: every file reads to its end; read + lost = made.
check_files() {
  local dir=$1 summary=$2 f t made lost got bad=0
  for f in "$dir"/*.ncap.gz; do
    [ -f "$f" ] || continue
    t=$(basename "$f" .ncap.gz)
    got=$("$DUMP" --count "$f" 2>"$TMP/dump.err") || { cat "$TMP/dump.err"; fail "$f does not read to its end"; }
    made=$(awk -v t="$t" '$1 == t && $3 == "records" {print $2}' "$summary")
    lost=$(sed -n 's/^  lost .*(\(.*\))$/\1/p' "$summary" | tr ',' '\n' | awk -v t="$t" '$1 == t {print $2}')
    if [ "$got" -ne $(( ${made:-0} - ${lost:-0} )) ]; then
      echo "   $t: made ${made:-0}, lost ${lost:-0}, on disk $got"
      bad=1
    fi
  done
  [ "$bad" = 0 ] || fail "records on disk do not add up with the summary"
}

echo "-- offline: $(ls "$NETCAP_CORPUS"/ndpi/chrome.pcap) onto a 128 KB tmpfs"
rc=0
"$NETCAP" -r "$NETCAP_CORPUS/ndpi/chrome.pcap" -o "$DISK/out" >"$TMP/off.summary" 2>"$TMP/off.stderr" || rc=$?
cat "$TMP/off.summary"; head -n 5 "$TMP/off.stderr"
[ "$rc" -eq 1 ] || fail "netcap exited $rc on a full disk (expected 1)"
grep -q '^  lost  ' "$TMP/off.summary" || fail "the summary does not say records were lost"
grep -q 'No space left on device' "$TMP/off.stderr" || fail "no ENOSPC message on stderr"
check_files "$DISK/out" "$TMP/off.summary"
echo "-- offline: every file reads to its end; on disk + lost = made, per type"
rm -rf "$DISK/out"

# ---- live ---------------------------------------------------------------
need_tshark
command -v ip >/dev/null || skip "ip absent (apt-get install iproute2)"
command -v tcpreplay >/dev/null || skip "tcpreplay absent (apt-get install tcpreplay)"
pcap=$NETCAP_CORPUS/ndpi/1kxun.pcap
P=nf$$
NS=$P CAP_IF=${P}a SEND_IF=${P}b
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
  ip link del "$CAP_IF" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  umount "$DISK" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
veth_pair

# Room enough for both replays once the filler is gone.
umount "$DISK"
mount -t tmpfs -o size=2m tmpfs "$DISK" || fail "cannot mount the second tmpfs"
out=$DISK/live
"$NETCAP" -i "$CAP_IF" -o "$out" -w 1 -- --no-huge -m 256 --no-pci --no-shconf -l 0 --no-telemetry \
  >"$TMP/live.summary" 2>"$TMP/live.stderr" &
pid=$!
for _ in $(seq 100); do [ -d "$out" ] && break; sleep 0.1; done
sleep 1
# Fill what is left of the disk.
dd if=/dev/zero of="$DISK/filler" bs=4k 2>/dev/null || true
ip netns exec "$NS" tcpreplay -i "$SEND_IF" --topspeed "$pcap" >/dev/null 2>&1 || fail "tcpreplay failed"
# Chunks and members go out every 5 s in live mode: wait for a failed write.
for _ in $(seq 150); do grep -q 'No space left' "$TMP/live.stderr" && break; sleep 0.1; done
grep -q 'No space left' "$TMP/live.stderr" || { cat "$TMP/live.stderr"; fail "no write error while the disk was full"; }
kill -0 "$pid" 2>/dev/null || fail "netcap stopped on a full disk"
echo "-- live: the disk is full and netcap runs on: $(grep -m1 'No space' "$TMP/live.stderr")"
rm -f "$DISK/filler"
ip netns exec "$NS" tcpreplay -i "$SEND_IF" --topspeed "$pcap" >/dev/null 2>&1 || fail "tcpreplay failed"
for _ in $(seq 150); do grep -q 'writing again' "$TMP/live.stderr" && break; sleep 0.1; done
grep -q 'writing again' "$TMP/live.stderr" || { cat "$TMP/live.stderr"; fail "writing did not resume when space came back"; }
kill -INT "$pid"
wait_exit "$pid" 30
rc=$WAIT_RC
pid=
cat "$TMP/live.summary"
[ "$rc" -eq 1 ] || fail "netcap exited $rc after losing records (expected 1)"
expected=$(capinfos -c -M "$pcap" | awk '/Number of packets/ {print $NF}')
grep -q "^  packets     $((2 * expected)) " "$TMP/live.summary" || fail "the capture did not see both replays"
check_files "$out" "$TMP/live.summary"
eth=$("$DUMP" --count "$out/Ethernet.ncap.gz")
[ "$eth" -ge "$expected" ] || fail "only $eth Ethernet records on disk: the second replay's should all be there"
echo "-- live: $eth Ethernet records on disk after space came back; every file reads to its end"
echo "ok"
