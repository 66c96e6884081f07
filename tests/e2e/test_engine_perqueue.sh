#!/usr/bin/env bash
# test_engine_perqueue.sh: --files-as-queues, offline replay without a
# dispatcher, gives the records of the single-file run.
#
# With --files-as-queues each -r file is an RX queue of worker i % workers,
# which decodes what it reads at once, as under symmetric RSS: no packet
# crosses lcores before it is decoded. A multi-flow capture (ndpi captures
# merged by time: IPv4, IPv6, TCP, UDP, DNS, VLAN tags, IP in IP, IPv4
# fragments, a SYN scan) is split by build/tests/split-by-flow into 2 and 3
# files of whole flows, then replayed:
#
#   q2w2    2 files, 2 workers (inline compression)
#   q3w3    3 files, 3 workers, 4 lcores on 2 CPUs
#   q2idle  2 files, 1 compressor and the workers left to netcap: 5 on 6
#           lcores (2 CPUs), so 3 have no file and must finish at once
#   q3w2    3 files on 2 workers: worker 0 reads two queues
#
# A control tells this apart from a dispatcher: the same file read on two
# queues must give each of its records twice.
#
# Every record type's file must hold the records of the one-worker run of
# the merged capture as a multiset (sorted netcap-dump CSV lines). Flow
# records (Connection, Flow, and the LinkFlow, NetworkFlow, TransportFlow
# sums) must match too: a flow never spans files, and a worker with one
# file sees the packet times of its flows in the capture's order. Not so
# for q3w2: worker 0 takes bursts from two files in turn, each far along
# its own time line (the merged captures are years apart), so its flow
# clock jumps back and forth and Connection and Flow records expire
# elsewhere (the sums are summed by windows, but wait on that clock too);
# so do TCP streams, and with them the HTTP and TLS records a connection
# still had to give (docs/application.md); there only the per-packet types
# are compared.
#
# Refusals: --files-as-queues without -r, more workers than files with -w,
# and, when the pcap PMD reads them (--no-mmap), frames over 64 KiB in the
# files of 3 workers (they could exhaust the shared big-frame buffers:
# engine.c, setup_pcap_input) each fail with a message naming the flag.
# Frames over 64 KiB with 2 workers replay whole through the PMD, and with
# 3 from mapped files (pcapmap.h: no big-frame buffers needed).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

SPLIT=$NETCAP_BUILD/tests/split-by-flow
INPUTS="1kxun.pcap teams.pcap skype_no_unknown.pcap http_ipv6.pcap 4in4tunnel.pcap 6in6tunnel.pcap
  ipv6_in_gtp.pcap webex.pcap quic.pcap dns_long_domainname.pcap bittorrent.pcap synscan.pcap"
# Types whose records wait on the worker's clock (flow and stream expiry).
FLOW_TYPES="Connection Flow LinkFlow NetworkFlow TransportFlow HTTP TLSClientHello TLSServerHello"

need_engine
[ -x "$SPLIT" ] || skip "$SPLIT not built (make check)"
[ -x "$PY" ] || skip "$PY absent"

# refuse NAME PATTERN NETCAP_ARGS...: netcap must fail and say PATTERN.
refuse() {
  local name=$1 pattern=$2; shift 2
  if "$NETCAP" -o "$TMP/$name" "$@" >"$TMP/$name.out" 2>&1; then
    fail "$name: netcap $* succeeded"
  fi
  grep -q -e "$pattern" "$TMP/$name.out" || { cat "$TMP/$name.out"; fail "$name: no message with '$pattern'"; }
  echo "$name: refused: $(grep -e "$pattern" "$TMP/$name.out" | head -n 1)"
}

# split_capture NAME IN N: split IN into $TMP/NAME.0.pcap ...; every packet lands
# in one file, and every file gets some.
split_capture() {
  local name=$1 in=$2 n=$3 total got
  "$SPLIT" "$in" "$n" "$TMP/$name" >"$TMP/$name.split" || fail "split-by-flow $in $n failed"
  total=$(capinfos -c -M "$in" | awk '/Number of packets/ {print $NF}')
  got=$(awk '{s += $2} END {print s}' "$TMP/$name.split")
  [ "$got" = "$total" ] || fail "split-by-flow $in $n: $got of $total packets written"
  [ "$(wc -l <"$TMP/$name.split")" = "$n" ] || fail "split-by-flow $in $n: $(cat "$TMP/$name.split")"
  if grep -q ': 0 packets' "$TMP/$name.split"; then fail "split-by-flow $in $n left a file empty"; fi
  sed "s/^/$name: /" "$TMP/$name.split"
}

# files NAME N: the -r arguments of NAME's N files.
files() {
  local i
  for ((i = 0; i < $2; i++)); do printf -- '-r %s ' "$TMP/$1.$i.pcap"; done
}

# csv NAME: every record file of run NAME as sorted CSV lines, header left
# out, in $TMP/NAME.csv/<Type>.
csv() {
  local f t
  mkdir -p "$TMP/$1.csv"
  for f in "$TMP/$1"/*.ncap.gz; do
    t=$(basename "$f" .ncap.gz)
    "$DUMP" "$f" | tail -n +2 | LC_ALL=C sort >"$TMP/$1.csv/$t" || fail "netcap-dump $f failed"
  done
}

# --- refusals (no EAL needed for the first two)
refuse no-read '--files-as-queues needs -r' --files-as-queues
refuse iface '--files-as-queues needs -r' --files-as-queues -i lo
refuse too-few '--files-as-queues: 1 file for 2 workers' --files-as-queues -w 2 -r "$NETCAP_ROOT/tests/data/sample.pcap"

"$PY" "$NETCAP_ROOT/tests/crafted/big_frames.py" "$TMP/big.pcap" "$TMP/big.tsv" || fail "big_frames.py failed"
refuse big3 '--files-as-queues: 3 workers read files with frames over 64 KiB' \
  --no-mmap --files-as-queues -w 3 -r "$TMP/big.pcap" -r "$TMP/big.pcap" -r "$TMP/big.pcap" -- --lcores=0@0,1@1,2@0
# Two workers (PMD) or three (mapped) each reading frames over 64 KiB:
# every frame whole, as with one worker (the PMD's chain of such a frame is
# never decoded).
run_netcap "$TMP/big1" -w 1 -r "$TMP/big.pcap"
"$DUMP" --select PayloadSize,PayloadEntropy "$TMP/big1/Ethernet.ncap.gz" | tail -n +2 >"$TMP/big1.once"
big_copies() { # NAME COPIES NETCAP-ARGS...
  local name=$1 copies=$2; shift 2
  run_netcap "$TMP/$name" "$@"
  if grep -q mbufs "$TMP/$name.summary"; then cat "$TMP/$name.summary"; fail "$name: frames counted as bad mbuf chains"; fi
  for _ in $(seq "$copies"); do cat "$TMP/big1.once"; done | LC_ALL=C sort >"$TMP/$name.expected"
  "$DUMP" --select PayloadSize,PayloadEntropy "$TMP/$name/Ethernet.ncap.gz" | tail -n +2 | LC_ALL=C sort >"$TMP/$name.sorted"
  cmp -s "$TMP/$name.expected" "$TMP/$name.sorted" || fail "$name: Ethernet payloads differ from $copies times the one-worker run"
  echo "$name: $(wc -l <"$TMP/$name.sorted") frames up to 262,144 bytes decoded whole"
}
big_copies big2 2 --no-mmap --files-as-queues -w 2 -r "$TMP/big.pcap" -r "$TMP/big.pcap" -- -l 0-1
big_copies big3-mapped 3 --files-as-queues -w 3 -r "$TMP/big.pcap" -r "$TMP/big.pcap" -r "$TMP/big.pcap" -- --lcores=0@0,1@1,2@0

# --- the corpus capture
need_corpus ndpi
for tool in mergecap capinfos; do
  command -v $tool >/dev/null || skip "$tool absent (apt-get install wireshark-common)"
done
sources=()
for f in $INPUTS; do
  [ -f "$NETCAP_CORPUS/ndpi/$f" ] || fail "ndpi/$f absent from the corpus"
  sources+=("$NETCAP_CORPUS/ndpi/$f")
done
mergecap -F pcap -w "$TMP/merged.pcap" "${sources[@]}" || fail "mergecap failed"
packets=$(capinfos -c -M "$TMP/merged.pcap" | awk '/Number of packets/ {print $NF}')
echo "-- merged capture: $packets packets from $(echo "$INPUTS" | wc -w) captures"
split_capture s2 "$TMP/merged.pcap" 2
split_capture s3 "$TMP/merged.pcap" 3

# name|netcap arguments
RUNS=(
  "w1|-w 1 -r $TMP/merged.pcap"
  "q2w2|--files-as-queues -w 2 --chunk-size 4K $(files s2 2) -- -l 0-1"
  "q3w3|--files-as-queues -w 3 --chunk-size 4K $(files s3 3) -- --lcores=0@0,1@1,2@0,3@1"
  "q2idle|--files-as-queues --compressors 1 --chunk-size 4K $(files s2 2) -- --lcores=0@0,1@1,2@0,3@1,4@0,5@1"
  "q3w2|--files-as-queues -w 2 --chunk-size 4K $(files s3 3) -- -l 0-1"
)
for r in "${RUNS[@]}"; do
  name=${r%%|*}
  # shellcheck disable=SC2086 # the arguments are words
  run_netcap "$TMP/$name" ${r#*|}
  grep -E '^  (packets|layout)' "$TMP/$name.summary" | sed "s/^/$name: /"
  got=$(awk '/^  packets/ {print $2}' "$TMP/$name.summary")
  [ "$got" = "$packets" ] || fail "$name: read $got of $packets packets"
  csv "$name"
done
workers() { awk '/^  layout/ {print $2}' "$TMP/$1.summary"; }
[ "$(workers q3w3)" = 3 ] || fail "q3w3 ran $(workers q3w3) workers, not 3"
[ "$(workers q2idle)" -gt 2 ] || fail "q2idle ran $(workers q2idle) workers: none was left without a file"

status=0
types=$(ls "$TMP/w1.csv")
for t in DNS Connection Flow HTTP TLSClientHello; do
  [ -s "$TMP/w1.csv/$t" ] || fail "w1 wrote no $t records: the capture no longer covers what this test checks"
done
for r in "${RUNS[@]:1}"; do
  name=${r%%|*}
  for t in $types; do
    if [ "$name" = q3w2 ] && [[ " $FLOW_TYPES " == *" $t "* ]]; then
      continue
    fi
    n=$(wc -l <"$TMP/w1.csv/$t")
    [ -f "$TMP/$name.csv/$t" ] || : >"$TMP/$name.csv/$t"
    if cmp -s "$TMP/w1.csv/$t" "$TMP/$name.csv/$t"; then
      echo "$t: $n records, w1 and $name equal"
    else
      echo "MISMATCH $t: w1 has $n records, $name $(wc -l <"$TMP/$name.csv/$t")"
      diff "$TMP/w1.csv/$t" "$TMP/$name.csv/$t" | head -n 6
      status=1
    fi
  done
  for f in "$TMP/$name.csv"/*; do
    [ -f "$TMP/w1.csv/$(basename "$f")" ] || { echo "MISMATCH $name wrote $(basename "$f"), w1 did not"; status=1; }
  done
done
[ $status -eq 0 ] || fail "--files-as-queues changed the records (see MISMATCH lines above)"

# The control: one file given twice. Read per queue, each worker counts
# every flow of its copy, so every record comes twice; a dispatcher would
# send both copies of a flow to one worker, which would count it once
# with twice the packets.
run_netcap "$TMP/one" -w 1 -r "$TMP/s2.0.pcap"
run_netcap "$TMP/twice" --files-as-queues -w 2 -r "$TMP/s2.0.pcap" -r "$TMP/s2.0.pcap" -- -l 0-1
csv one
csv twice
for t in Ethernet TCP Connection Flow; do
  cat "$TMP/one.csv/$t" "$TMP/one.csv/$t" | LC_ALL=C sort | cmp -s - "$TMP/twice.csv/$t" ||
    fail "twice: the $t records of a file read on two queues are not those of one read, twice"
  echo "twice: $t: $(wc -l <"$TMP/twice.csv/$t") records, each of the one-queue run's twice"
done
echo "ok"
