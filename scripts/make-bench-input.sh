#!/usr/bin/env bash
# make-bench-input.sh: builds (once) the benchmark input of scripts/bench.sh
# and prints its path on stdout, its packet count and size on stderr.
#
#   bench-data/bench-<MB>MB.pcap   every Ethernet pcap/pcapng of the nDPI
#       corpus concatenated in name order (mergecap -a -F pcap; files of any
#       other link type are left out, as capinfos reports it), then again and
#       again with shifted addresses until the file holds BENCH_MB megabytes
#       (10^6 bytes; the last copy is cut where the size is reached).
#       Copy 0 is the corpus unchanged; in copy k every IPv4 address has its
#       third octet XORed with k (second octet with k>>8), every IPv6 address
#       its 14th byte, except 0.0.0.0, 255.255.255.255, :: and ff00::/8, so
#       each copy carries flows of its own. Timestamps are kept (the corpus
#       spans decades and is not in time order anyway). No checksum is
#       fixed: NETCAP's decoders do not verify them.
#
# Environment: BENCH_MB (default 400), BENCH_CORPUS (default
# $NETCAP_CORPUS/ndpi, else ../shared/corpus/ndpi beside the repo),
# BENCH_DATA (default bench-data/ of the repo). The file is rebuilt only when
# its size or the corpus (names and sizes of its files) changes.
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${BENCH_MB:-400}
CORPUS=${BENCH_CORPUS:-${NETCAP_CORPUS:-$(cd .. && pwd)/shared/corpus}/ndpi}
DATA=${BENCH_DATA:-$PWD/bench-data}
[[ $MB =~ ^[0-9]+$ ]] && [ "$MB" -gt 0 ] || { echo "make-bench-input: BENCH_MB must be a positive integer" >&2; exit 2; }
[ -d "$CORPUS" ] || { echo "make-bench-input: no corpus at $CORPUS (set BENCH_CORPUS)" >&2; exit 2; }
for tool in capinfos mergecap python3; do
  command -v $tool >/dev/null || { echo "make-bench-input: $tool missing (make deps)" >&2; exit 2; }
done
mkdir -p "$DATA"
out=$DATA/bench-${MB}MB.pcap
sig=$( (cd "$CORPUS" && find . -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) \
        -printf '%f %s\n' | LC_ALL=C sort; echo "mb=$MB v=2") | sha256sum | cut -c1-16)

if [ -f "$out" ] && [ "$(cat "$out.sig" 2>/dev/null)" = "$sig" ]; then
  :
else
  rm -f "$out" "$out.sig"
  tmp=$(mktemp -d "$DATA/build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # Link type of every capture: capinfos' machine-readable table.
  mapfile -t all < <(cd "$CORPUS" && find . -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) \
                      -printf '%f\n' | LC_ALL=C sort)
  : >"$tmp/ether.list"
  skipped=()
  for f in "${all[@]}"; do
    enc=$(capinfos -T -M -r -E "$CORPUS/$f" 2>/dev/null | awk -F'\t' 'NR==1{print $2}' || true)
    if [ "$enc" = ether ]; then echo "$CORPUS/$f" >>"$tmp/ether.list"; else skipped+=("$f ($enc)"); fi
  done
  n_ether=$(wc -l <"$tmp/ether.list")
  echo "make-bench-input: $n_ether Ethernet captures of ${#all[@]} in $CORPUS; left out: ${skipped[*]:-none}" >&2
  # -a: concatenate in the order given, no sorting by time. Captures cut
  # short end where they are readable (mergecap warns and goes on).
  mapfile -t ether <"$tmp/ether.list"
  mergecap -a -F pcap -w "$tmp/merged.pcap" "${ether[@]}" 2> >(grep -v '^$' | sed 's/^/make-bench-input: mergecap: /' >&2) || true
  [ -s "$tmp/merged.pcap" ] || { echo "make-bench-input: mergecap produced nothing" >&2; exit 1; }
  python3 - "$tmp/merged.pcap" "$tmp/out.pcap" $((MB * 1000000)) <<'PY'
import struct, sys
src, dst, target = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, 'rb').read()
magic = data[:4]
if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
    e = '<'
elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
    e = '>'
else:
    sys.exit('make-bench-input: %s: not a pcap file' % src)
tick = 10**9 if magic in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d') else 10**6
rec = struct.Struct(e + 'IIII')
pkts = []  # (ts_sec, ts_frac, caplen, wirelen, offset of data)
off = 24
while off + 16 <= len(data):
    s, f, cap, wire = rec.unpack_from(data, off)
    if off + 16 + cap > len(data):
        break
    pkts.append((s, f, cap, wire, off + 16))
    off += 16 + cap
if not pkts:
    sys.exit('make-bench-input: no packets in the merged corpus')

def ipv4_addr(b, o, k2, k3):
    a = b[o:o + 4]
    if a == b'\x00\x00\x00\x00' or a == b'\xff\xff\xff\xff':
        return
    b[o + 1] ^= k2
    b[o + 2] ^= k3

def ipv6_addr(b, o, k):
    if b[o] == 0xff or b[o:o + 16] == bytes(16):
        return
    b[o + 13] ^= k

def shift(pkt, k):
    b = bytearray(pkt)
    o, t = 12, None
    while o + 2 <= len(b):
        t = (b[o] << 8) | b[o + 1]
        if t in (0x8100, 0x88a8, 0x9100) and o + 6 <= len(b):
            o += 4
            continue
        break
    o += 2
    if t == 0x0800 and o + 20 <= len(b) and b[o] >> 4 == 4:
        ipv4_addr(b, o + 12, (k >> 8) & 0xff, k & 0xff)
        ipv4_addr(b, o + 16, (k >> 8) & 0xff, k & 0xff)
    elif t == 0x86dd and o + 40 <= len(b) and b[o] >> 4 == 6:
        ipv6_addr(b, o + 8, k & 0xff or 1)
        ipv6_addr(b, o + 24, k & 0xff or 1)
    return bytes(b)

written = 24
n = 0
copies = 0
with open(dst, 'wb', buffering=1 << 22) as w:
    w.write(data[:24])
    k = 0
    while written < target:
        for s, f, cap, wire, o in pkts:
            if written + 16 + cap > target and n:
                written = target
                break
            pkt = data[o:o + cap] if k == 0 else shift(data[o:o + cap], k)
            w.write(rec.pack(s, f, cap, wire))
            w.write(pkt)
            written += 16 + cap
            n += 1
        copies += 1
        k += 1
print('make-bench-input: %d corpus packets; %d copies (the last one possibly cut)' % (len(pkts), copies), file=sys.stderr)
PY
  mv "$tmp/out.pcap" "$out"
  echo "$sig" >"$out.sig"
fi
packets=$(capinfos -T -M -r -c "$out" 2>/dev/null | awk -F'\t' '{print $2}' || true)
bytes=$(stat -c %s "$out")
echo "make-bench-input: $out: $packets packets, $bytes bytes ($(awk -v b=$bytes "BEGIN{printf \"%.1f\", b/1e6}") MB)" >&2
echo "$out"
