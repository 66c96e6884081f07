#!/usr/bin/env bash
# seed_reader.sh OUTDIR: seeds for fuzz_reader (input format in
# tests/fuzz/fuzz_reader.c: a name byte, then the file):
#   - record files netcap writes from a few corpus captures (DNS with odd
#     names, LLDP/CDP, HTTP over IPv6, SIP, DHCP, malformed DNS), those
#     under 48 KiB, read under a generic and under their own name;
#   - the same files plain (decompressed), cut in half, with a byte
#     changed, with garbage or a second file after them, with an empty
#     gzip member inside, re-compressed as a single member;
#   - every record type with every field set ($NETCAP_BUILD/tests/ncap-gen,
#     when built), and files made here: a header of unknown fields, a DNS
#     record of 3000 empty answers, records cut inside a varint.
# Environment: NETCAP_BUILD (netcap, tests/ncap-gen), NETCAP_CORPUS. What
# is missing is skipped with a note; the files made here always come.
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
  tcpdump/dhcp-rfc3004.pcap ndpi/malformed_dns.pcap tcpdump/dhcpv6-ia-na.pcap"
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
  "$build/tests/ncap-gen" "$work/gen" --count 2 >/dev/null && cp "$work"/gen/*.ncap.gz "$work/files/" 2>/dev/null || true
else
  echo "note: $build/tests/ncap-gen not built: no every-field seeds"
fi

python3 - "$work/files" "$out" <<'EOF'
import gzip, os, random, sys
src, out = sys.argv[1], sys.argv[2]
# fuzz_reader.c's type_names[] (byte 0 bits 2-6) and name forms (bits 0-1).
TYPES = ["TCP", "UDP", "DNS", "IPv4", "IPv6", "Ethernet", "ARP", "HTTP", "TLSClientHello", "DHCPv4",
         "DHCPv6", "LinkLayerDiscoveryInfo", "LinkLayerDiscovery", "ICMPv4", "ICMPv6", "SIP", "NTP",
         "IGMP", "Dot11", "Dot1Q", "Connection", "Flow", "IPv6HopByHop", "SNAP", "LLC", "SCTP",
         "TLSServerHello", "ICMPv6RouterAdvertisement", "CiscoDiscovery", "Header", "Nope", "IPSecAH"]
GENERIC_GZ, GENERIC_PLAIN, TYPED_GZ, TYPED_PLAIN = 0, 1, 2, 3
rnd = random.Random(1)
count = 0

def seed(name, form, data, type_name=None, long_path=False):
    global count
    b = form | (TYPES.index(type_name) << 2 if type_name in TYPES else 0) | (0x80 if long_path else 0)
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([b]) + data)
    count += 1

def varint(n):
    o = bytearray()
    while n >= 0x80:
        o.append(n & 0x7F | 0x80)
        n >>= 7
    o.append(n)
    return bytes(o)

def key(field, wire):
    return varint(field << 3 | wire)

def ld(field, payload):
    return key(field, 2) + varint(len(payload)) + payload

def rec(m):
    return varint(len(m)) + m

def header(type_id):
    return key(1, 0) + varint(1549166706000000000) + ld(2, b"seed") + key(3, 0) + varint(type_id) + ld(4, b"0.1.0")

for fn in sorted(os.listdir(src)):
    data = open(os.path.join(src, fn), "rb").read()
    if len(data) > 48 << 10:
        continue
    t = fn.split(".")[0]
    seed(f"{t}.gz", GENERIC_GZ, data)
    if t in TYPES:
        seed(f"{t}.typed.gz", TYPED_GZ, data, t)
    plain = gzip.decompress(data)
    if len(plain) <= 64 << 10:
        seed(f"{t}.plain", GENERIC_PLAIN, plain)
        seed(f"{t}.typed.plain", TYPED_PLAIN, plain, t if t in TYPES else "Nope")
        seed(f"{t}.one-member.gz", GENERIC_GZ, gzip.compress(plain, 9))
    seed(f"{t}.cut.gz", GENERIC_GZ, data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[rnd.randrange(len(data))] ^= 1 << rnd.randrange(8)
    seed(f"{t}.flip.gz", GENERIC_GZ, bytes(flipped))
    seed(f"{t}.garbage.gz", GENERIC_GZ, data + b"garbage after the last member\n")
    seed(f"{t}.twice.gz", GENERIC_GZ, data + data)
    seed(f"{t}.long-path.gz", GENERIC_GZ, data, long_path=True)
    empty = gzip.compress(b"")
    seed(f"{t}.empty-member.gz", GENERIC_GZ, empty + data)

# Made here: costly and broken records in small files.
NC_DNS, NC_UDP = 41, 37
seed("hdr-unknown.plain", GENERIC_PLAIN, rec(header(NC_DNS) + b"\x90\x03\x01" * 2000))
answers = b"\x82\x01\x00" * 3000
seed("dns-answers.gz", TYPED_GZ, gzip.compress(rec(header(NC_DNS)) + rec(answers) + rec(key(2, 0) + b"\x09")), "DNS")
seed("udp-cut-varint.plain", GENERIC_PLAIN, rec(header(NC_UDP)) + rec(b"\x10\x35") + rec(b"\x10\x80") + rec(b"\x4a\x05ab"))
seed("udp-len-cut.plain", TYPED_PLAIN, rec(header(NC_UDP)) + b"\x85", "UDP")
seed("wrong-name.gz", TYPED_GZ, gzip.compress(rec(header(NC_UDP)) + rec(b"\x10\x35")), "TCP")
seed("not-gzip.gz", GENERIC_GZ, b"this is not a record file\n")
seed("empty.gz", GENERIC_GZ, b"")
print(f"-- {count} seed files")
EOF
