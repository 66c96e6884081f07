#!/usr/bin/env bash
# test_engine_rotate.sh: file rotation (--rotate-interval, SIGHUP,
# --rotate-size, --keep, --keep-size; docs/deployment.md, "Rotation").
#
# Live part: a veth pair as in test_engine_live.sh (one end here, silent;
# the other in a network namespace of its own, from which tcpreplay sends a
# corpus capture at a fixed rate, about 9 s). Two netcaps capture the same
# interface at the same time, each its own DPDK process (--file-prefix,
# --no-shconf), each with its own af_packet socket, so both see every
# packet: R with --rotate-interval 2s (and a SIGHUP in the middle), S
# without rotation. After SIGINT:
#   - R wrote several generations, in OUT/<YYYY-MM-DD>/<Type>.<start>.ncap.gz,
#     and netcap-dump reads every one of its files without error;
#   - per record type other than the flow types, the union of R's
#     generations equals S's file as a multiset (netcap-dump CSV lines,
#     sorted); for the flow types (Connection, Flow, LinkFlow, NetworkFlow,
#     TransportFlow: written when a flow ends, so where it ends), the counts
#     are equal; both saw every packet (no drops);
#   - the SIGHUP started a generation of its own (a file whose start is not
#     on a 2 s boundary) and lost nothing (the union above).
# Offline part: --rotate-size with small members rotates a type's file
# several times, every file valid, the records adding up to a run without
# rotation; --keep-size 1 removes every closed file and leaves exactly the
# file of each type open at the end (a removed open file would be missing);
# --keep 1d removes an earlier run's files older than a day, the run's own
# stay. Needs root and `ip netns` for the live part; skips otherwise.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

CAPTURE=ndpi/1kxun.pcap   # 1439 packets, no frame above 1514 bytes (veth MTU 1500)
PPS=160                   # about 9 s
FLOW_TYPES=" Connection Flow LinkFlow NetworkFlow TransportFlow "
P=nr$$
NS=$P CAP_IF=${P}a SEND_IF=${P}b

need_engine
need_corpus ndpi
pcap=$NETCAP_CORPUS/$CAPTURE
[ -f "$pcap" ] || fail "$CAPTURE absent from the corpus"

# type_of FILE: the record type in a file name (Type.stamp.ncap.gz or Type.ncap.gz)
type_of() { local b; b=$(basename "$1"); echo "${b%%.*}"; }

# check_union ROTATED_DIR SINGLE_DIR: the comparison described above. DROP:
# a regex of the CSV fields not compared: none for two runs of a file; for
# two live captures the capture times, which are each socket's own stamps
# of its copy of a packet (compared apart, below): Timestamp, and HTTP's
# DoneAfter, FirstByteAfter, ... (differences of capture times).
check_union() {
  local rot=$1 one=$2 f t n m bad=0
  for f in "$rot"/*/*.ncap.gz; do
    "$DUMP" "$f" >/dev/null 2>"$TMP/dumperr" || { cat "$TMP/dumperr"; fail "netcap-dump cannot read $f"; }
  done
  for f in "$one"/*.ncap.gz; do
    t=$(type_of "$f")
    sel=$("$DUMP" --fields "$f" | tr , '\n' | grep -vE "$DROP" | paste -sd,)
    "$DUMP" --select "$sel" "$f" | tail -n +2 | sort >"$TMP/one.$t"
    : >"$TMP/rot.$t"
    for g in "$rot"/*/"$t".*.ncap.gz; do
      [ -f "$g" ] && "$DUMP" --select "$sel" "$g" | tail -n +2 >>"$TMP/rot.$t"
    done
    sort -o "$TMP/rot.$t" "$TMP/rot.$t"
    n=$(wc -l <"$TMP/one.$t"); m=$(wc -l <"$TMP/rot.$t")
    if [[ $FLOW_TYPES == *" $t "* ]]; then
      printf '   %-15s %7d %7d  (flow type: counts)%s\n' "$t" "$n" "$m" "$([ "$n" = "$m" ] || echo '   MISMATCH')"
      [ "$n" = "$m" ] || bad=1
    else
      if cmp -s "$TMP/one.$t" "$TMP/rot.$t"; then
        printf '   %-15s %7d %7d  (records equal as multisets)\n' "$t" "$n" "$m"
      else
        printf '   %-15s %7d %7d  MISMATCH of records\n' "$t" "$n" "$m"
        diff "$TMP/one.$t" "$TMP/rot.$t" >"$TMP/diff" || true
        head -n 6 "$TMP/diff" | cut -c1-300
        bad=1
      fi
    fi
  done
  # no type only in the rotated run
  for f in "$rot"/*/*.ncap.gz; do
    t=$(type_of "$f")
    [ -f "$one/$t.ncap.gz" ] || fail "$t written by the rotated run only"
  done
  [ "$bad" = 0 ] || fail "the rotated files do not add up to the single run's"
}

# ---- offline: --rotate-size, --keep-size, --keep -----------------------
echo "== offline replay: --rotate-size"
run_netcap "$TMP/single" -r "$pcap" -q
run_netcap "$TMP/sized" -r "$pcap" -q --rotate-size 8K --member-size 16K --chunk-size 4K
nfiles=$(find "$TMP/sized" -name '*.ncap.gz' | wc -l)
ntypes=$(find "$TMP/single" -name '*.ncap.gz' | wc -l)
echo "-- $nfiles files for $ntypes types"
[ "$nfiles" -gt "$ntypes" ] || fail "--rotate-size 8K started no second file of any type"
find "$TMP/sized" -name '*.ncap.gz' | grep -vqE '/[0-9]{4}-[0-9]{2}-[0-9]{2}/[A-Za-z0-9]+\.[0-9]{8}T[0-9]{6}Z(-[0-9]+)?\.ncap\.gz$' &&
  fail "a rotated file outside the layout: $(find "$TMP/sized" -name '*.ncap.gz' | head -n 3)"
DROP='^$'
check_union "$TMP/sized" "$TMP/single"

echo "== offline replay: --keep-size 1 and --keep 1d remove closed files, never an open one"
keep=$TMP/keep
mkdir -p "$keep/2020-01-01"
for t in Ethernet IPv4; do
  cp "$TMP/single/$t.ncap.gz" "$keep/2020-01-01/$t.20200101T000000Z.ncap.gz"
done
echo keep-me >"$keep/2020-01-01/notes.txt"   # not a rotated file: never removed
run_netcap "$keep" -r "$pcap" -q --rotate-size 8K --member-size 16K --chunk-size 4K --keep-size 1
[ -f "$keep/2020-01-01/notes.txt" ] || fail "--keep-size removed a file that is not a rotated record file"
[ ! -e "$keep/2020-01-01/Ethernet.20200101T000000Z.ncap.gz" ] || fail "--keep-size kept the oldest file"
left=$(find "$keep" -name '*.ncap.gz' | wc -l)
echo "-- $left files left of $nfiles written (one per type: the files open at the end)"
[ "$left" = "$ntypes" ] || fail "--keep-size 1 left $left files, expected one per type ($ntypes)"
for f in "$keep"/*/*.ncap.gz; do
  "$DUMP" --count "$f" >/dev/null || fail "netcap-dump cannot read $f"
done
age=$TMP/age
mkdir -p "$age/2020-01-01"
cp "$TMP/single/UDP.ncap.gz" "$age/2020-01-01/UDP.20200101T000000Z.ncap.gz"
touch -d '2020-01-01 00:00:00 UTC' "$age/2020-01-01/UDP.20200101T000000Z.ncap.gz"
run_netcap "$age" -r "$pcap" -q --rotate-size 8K --member-size 16K --chunk-size 4K --keep 1d
[ ! -e "$age/2020-01-01" ] || fail "--keep 1d kept a file of 2020 (or its directory)"
[ "$(find "$age" -name '*.ncap.gz' | wc -l)" -gt "$ntypes" ] || fail "--keep 1d removed files of this run"

# ---- live: two captures of the same packets -----------------------------
[ "$(id -u)" -eq 0 ] || skip "live capture needs root (veth pair, network namespace, af_packet)"
command -v ip >/dev/null || skip "ip absent (apt-get install iproute2)"
command -v tcpreplay >/dev/null || skip "tcpreplay absent (apt-get install tcpreplay)"
command -v capinfos >/dev/null || skip "capinfos absent (apt-get install tshark)"
QUERY=$NETCAP_ROOT/tests/e2e/telemetry_query.py

pid_r= pid_s=
cleanup() {
  for p in $pid_r $pid_s; do kill -9 "$p" 2>/dev/null || true; done
  ip link del "$CAP_IF" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "/var/run/dpdk/${P}r" "/var/run/dpdk/${P}s" "$TMP"
}
trap cleanup EXIT

veth_pair

# start_netcap NAME ARGS...: one capture on $CAP_IF, its own DPDK process
# (file prefix $P$NAME); its pid in pid_$NAME. Flow and reassembly settings
# as the engine tests': no IP reassembly (--defrag-memory 0).
start_netcap() {
  local name=$1; shift
  "$NETCAP" -i "$CAP_IF" -o "$TMP/live$name" -w 1 --defrag-memory 0 "$@" -- --no-huge -m 256 --no-pci \
    --no-shconf -l 0 --file-prefix "$P$name" >"$TMP/live$name.summary" 2>"$TMP/live$name.stderr" &
  eval "pid_$name=$!"
}
# wait_packets NAME PID N: /netcap/stats of NAME counts N packets (or more).
wait_packets() {
  local name=$1 pid=$2 want=$3 sock=/var/run/dpdk/$P$1/dpdk_telemetry.v2 stats seen=-1
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || { cat "$TMP/live$name.stderr"; fail "netcap $name ended early"; }
    if [ -S "$sock" ] && stats=$("$PY" "$QUERY" "$sock" /netcap/stats 2>/dev/null); then
      seen=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["packets"])' "$stats")
      [ "$seen" -ge "$want" ] && return 0
    fi
    sleep 0.1
  done
  fail "netcap $name counted $seen packets, not $want, within 30 s"
}

start_netcap r --rotate-interval 2s
start_netcap s
wait_packets r "$pid_r" 0
wait_packets s "$pid_s" 0
echo "-- both captures started"

expected=$(capinfos -c -M "$pcap" | awk '/Number of packets/ {print $NF}')
ip netns exec "$NS" tcpreplay -i "$SEND_IF" --pps "$PPS" "$pcap" >"$TMP/replay" 2>&1 &
replay=$!
sleep 4.3
kill -HUP "$pid_r"    # mid-run: a generation of its own, not on a 2 s boundary
hup_at=$(date -u +%s)
# While R writes on: the files of past generations are closed and whole
# (those of the newest start may still be open, and are left alone).
sleep 1
newest=$(find "$TMP/liver" -name '*.ncap.gz' | sed -E 's/.*\.([0-9]{8}T[0-9]{6}Z(-[0-9]+)?)\.ncap\.gz$/\1/' | sort | tail -n 1)
closed=0
for f in $(find "$TMP/liver" -name '*.ncap.gz' ! -name "*.$newest.ncap.gz"); do
  "$DUMP" --count "$f" >/dev/null 2>"$TMP/dumperr" || { cat "$TMP/dumperr"; fail "mid-run: netcap-dump cannot read $f"; }
  closed=$((closed + 1))
done
echo "-- mid-run: $closed files of past generations read whole while the capture went on"
[ "$closed" -gt 0 ] || fail "mid-run: no file of a past generation"
wait "$replay" || { cat "$TMP/replay"; fail "tcpreplay failed"; }
grep -E 'Actual|Successful packets|Failed packets' "$TMP/replay"
sent=$(awk '/Successful packets:/ {print $3}' "$TMP/replay")
[ "$sent" = "$expected" ] || fail "tcpreplay sent $sent of $expected packets"
wait_packets r "$pid_r" "$expected"
wait_packets s "$pid_s" "$expected"

for name in r s; do
  eval "p=\$pid_$name"
  kill -INT "$p"
  wait_exit "$p" 30
  rc=$WAIT_RC
  eval "pid_$name="
  [ "$rc" -eq 0 ] || { cat "$TMP/live$name.stderr"; fail "netcap $name exited $rc after SIGINT"; }
  grep -q '^  drops       0 ' "$TMP/live$name.summary" || { cat "$TMP/live$name.summary"; fail "netcap $name dropped packets"; }
done

rot=$TMP/liver
find "$rot" -type f | sort | sed "s|^$rot/|   |" | head -n 60
stamps=$(find "$rot" -name '*.ncap.gz' | sed -E 's/.*\.([0-9]{8}T[0-9]{6}Z(-[0-9]+)?)\.ncap\.gz$/\1/' | sort -u)
ngen=$(wc -l <<<"$stamps")
echo "-- $ngen generations: $(tr '\n' ' ' <<<"$stamps")"
[ "$ngen" -ge 3 ] || fail "only $ngen generations in a ~9 s run with --rotate-interval 2s"
[ -z "$(find "$rot" -maxdepth 1 -name '*.ncap.gz')" ] || fail "rotated run wrote files outside the date directories"
# SIGHUP's generation: its start second is odd (2 s boundaries are even), or the -1 of an even one
odd=0
for s in $stamps; do
  sec=${s:13:2}
  if [ $((10#$sec % 2)) = 1 ] || [[ $s == *-* ]]; then odd=1; fi
done
[ "$odd" = 1 ] || echo "-- note: SIGHUP at $hup_at fell on a 2 s boundary second"
echo "-- records per type, single run vs the union of the generations:"
DROP='^Timestamp$|After$'
check_union "$rot" "$TMP/lives"
# The timestamps: each socket stamps its own copy of a packet; paired in
# time order, the two captures' Ethernet timestamps differ by little.
"$DUMP" --select Timestamp "$TMP/lives/Ethernet.ncap.gz" | tail -n +2 | sort -n >"$TMP/ts.s"
for g in "$rot"/*/Ethernet.*.ncap.gz; do "$DUMP" --select Timestamp "$g" | tail -n +2; done | sort -n >"$TMP/ts.r"
paste -d' ' "$TMP/ts.s" "$TMP/ts.r" | awk '{d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d}
  END {printf "-- Ethernet timestamps of the two captures, paired in order: largest difference %.3f ms\n", m / 1e6;
       exit !(m < 1e9)}' || fail "the two captures' timestamps differ by a second or more"
echo "ok"
