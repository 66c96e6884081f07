#!/usr/bin/env bash
# test_engine_mmap.sh: classic pcap files replayed from a memory map
# (lib/pipeline/pcapmap.c, the default) give exactly what the pcap PMD
# gives (--no-mmap), and a file cut short under the map ends its input
# with a warning, never a crash (issue 11, zero-copy input).
#
# 1. build/tests/pcapmap-check reads every capture of the corpus (tcpdump's
#    suite, malformed on purpose, and nDPI's) and the variants of
#    tests/crafted/pcap_variants.py (both byte orders, micro- and
#    nanosecond times, times before 1970 and after 2038, fractions over
#    2^31, a short snapshot length, empty records, a capture length over
#    262,144, files cut in a record's data or header, version 2.3) through
#    libpcap and through the mapped reader: packet for packet the same
#    capture time as the PMD stores it, lengths and bytes, and the same
#    end. Files the reader leaves to the PMD (pcapng, version 2.3, link
#    types whose pseudo-header libpcap rewrites) are counted.
# 2. netcap runs each variant and some corpus captures both ways: every
#    record file the same, byte for byte once dumped (records sorted), and the same
#    warnings for the files that end early.
# 3. A 150 MB capture is cut to 50 MB while netcap replays it: exit 0, a
#    warning naming the file and the offset its bytes end at, and every
#    output file complete and readable.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"
need_engine
[ -x "$PY" ] || skip "$PY absent"
CHECK=$NETCAP_BUILD/tests/pcapmap-check
[ -x "$CHECK" ] || skip "$CHECK not built (make)"
need_corpus tcpdump
need_corpus ndpi

# --- 1. the reader against libpcap
"$PY" "$NETCAP_ROOT/tests/crafted/pcap_variants.py" "$TMP/variants" || fail "pcap_variants.py failed"
"$CHECK" "$TMP"/variants/*.pcap >"$TMP/variants.check" || { cat "$TMP/variants.check"; fail "variants: the mapped reader differs from libpcap"; }
cat "$TMP/variants.check"
grep -q ": 13 files: 12 mapped (246 packets, 3 ending early at a bad record), 1 left to the PMD," "$TMP/variants.check" ||
  fail "variants: not every variant was read as expected"
"$CHECK" "$NETCAP_CORPUS"/tcpdump/* "$NETCAP_CORPUS"/ndpi/*.pcap* >"$TMP/corpus.check" ||
  { cat "$TMP/corpus.check"; fail "corpus: the mapped reader differs from libpcap"; }
cat "$TMP/corpus.check"
mapped=$(sed -n 's/.* files: \([0-9]*\) mapped .*/\1/p' "$TMP/corpus.check")
[ "${mapped:-0}" -ge 600 ] || fail "corpus: only ${mapped:-0} captures mapped (expected over 600 classic pcap files)"

# --- 2. netcap both ways
dump_all() { # DIR -> DIR.csv/<Type>, records sorted (several workers interleave their chunks)
  mkdir -p "$1.csv"
  local f
  for f in "$1"/*.ncap.gz; do
    [ -e "$f" ] || continue # a capture that gives no record
    "$DUMP" "$f" >"$TMP/dump.csv" || fail "netcap-dump $f failed"
    { head -n 1 "$TMP/dump.csv"; tail -n +2 "$TMP/dump.csv" | LC_ALL=C sort; } >"$1.csv/$(basename "$f" .ncap.gz)"
  done
}
both_ways() { # NAME FILE [netcap args]
  local name=$1 file=$2; shift 2
  run_netcap "$TMP/$name.map" -r "$file" "$@"
  run_netcap "$TMP/$name.pmd" -r "$file" --no-mmap "$@"
  dump_all "$TMP/$name.map"
  dump_all "$TMP/$name.pmd"
  diff -r "$TMP/$name.pmd.csv" "$TMP/$name.map.csv" >"$TMP/$name.diff" ||
    { head -20 "$TMP/$name.diff"; fail "$name: records differ between the mapped file and the pcap PMD"; }
  # The warnings of a file that ends early, offsets and all.
  diff <(grep -o 'warning: .*' "$TMP/$name.pmd.stderr" | sed 's/ at offset [0-9]*//') \
       <(grep -o 'warning: .*' "$TMP/$name.map.stderr" | sed 's/ at offset [0-9]*//') ||
    fail "$name: the warnings differ"
  local packets
  packets=$(awk '/^  packets/ {print $2; exit}' "$TMP/$name.map.summary")
  echo "$name: $packets packets, $(ls "$TMP/$name.map.csv" | wc -l) record files equal both ways"
}
for f in "$TMP"/variants/*.pcap; do
  both_ways "$(basename "$f" .pcap)" "$f" -w 1
done
grep -q "warning: $TMP/variants/cut-in-data.pcap: truncated dump file; tried to read 1418 captured bytes, only got 1381 at offset 9931 after 14 packets" \
  "$TMP/cut-in-data.map.stderr" || { cat "$TMP/cut-in-data.map.stderr"; fail "cut-in-data: no warning naming the offset"; }
both_ways 1kxun "$NETCAP_CORPUS/ndpi/1kxun.pcap"
both_ways 1kxun-w2 "$NETCAP_CORPUS/ndpi/1kxun.pcap" -w 2 -- -l 0-1
both_ways pptp-big-endian "$NETCAP_CORPUS/tcpdump/pptp.pcap" -w 1
# one packet of nanosecond pcap, loopback, cut inside the next header
both_ways fuzz-nanoseconds "$NETCAP_CORPUS/ndpi/fuzz-2021-10-13.pcap" -w 1

# --- 3. cut short while mapped
"$PY" - "$TMP/long.pcap" <<'PYEOF' || fail "writing the long capture failed"
import struct, sys
body = bytes(range(256)) * 3 + bytes(1000 - 14 - 20 - 8 - 768)
udp = struct.pack(">HHHH", 1000, 2000, 8 + len(body), 0) + body
ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + udp
frame = bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0]) + ip
record = struct.pack("<IIII", 1600000000, 0, len(frame), len(frame)) + frame
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
    block = record * 10000
    for _ in range(15):
        f.write(block)
PYEOF
"$NETCAP" -r "$TMP/long.pcap" -o "$TMP/cut" -w 1 --no-progress >"$TMP/cut.summary" 2>"$TMP/cut.stderr" &
pid=$!
sleep 0.1
truncate -s 50000000 "$TMP/long.pcap"
wait $pid || { cat "$TMP/cut.summary" "$TMP/cut.stderr"; fail "cut: netcap failed when its input shrank"; }
grep -q "warning: $TMP/long.pcap: the file shrank while being read (its bytes from offset 50000000 are gone)" "$TMP/cut.stderr" ||
  { cat "$TMP/cut.stderr"; fail "cut: no warning naming the file and the offset"; }
packets=$(awk '/^  packets/ {print $2; exit}' "$TMP/cut.summary")
for f in "$TMP"/cut/*.ncap.gz; do
  gzip -t "$f" || fail "cut: $f is not a complete gzip file"
  "$DUMP" --count "$f" >/dev/null || fail "cut: $f unreadable"
done
udp=$("$DUMP" --count "$TMP/cut/UDP.ncap.gz")
# Every whole record before the cut (50,000,000 bytes hold 49,212 of the
# 1,016-byte records), each once; packets already handed on when the
# pages went may decode as zeros (malformed, counted), never twice.
[ "$packets" -ge 49212 ] && [ "$udp" -le "$packets" ] && [ "$udp" -ge 1 ] ||
  fail "cut: $packets packets read, $udp UDP records"
echo "cut: $packets packets read before the file shrank, $udp UDP records, every file readable"
echo "ok"
