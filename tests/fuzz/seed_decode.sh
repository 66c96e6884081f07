#!/usr/bin/env bash
# seed_decode.sh OUTDIR: seeds for fuzz_decode: the first SEED_PACKETS
# (default 200) packets of each capture in SEEDS below, chosen for their
# link types (Ethernet, Linux SLL, BSD NULL, raw IPv4/IPv6, 802.11 with and
# without radiotap, PPP, Cisco HDLC, NFLOG) and protocols (VLAN, IP in IP,
# IPv6, ARP, LLDP/CDP, CTP, ICMP, IGMP, DNS over UDP and TCP, DHCP, DHCPv6,
# NTP, SIP, SCTP, MPLS, PPPoE), written
# one file per packet with fuzz_decode's link byte first. Needs
# $NETCAP_CORPUS; without it writes nothing and says so.
set -euo pipefail
out=$1
mkdir -p "$out"
SEED_PACKETS=${SEED_PACKETS:-200}
SEEDS="ndpi/1kxun.pcap ndpi/http_ipv6.pcap ndpi/sip.pcap ndpi/NTPv4.pcap ndpi/malformed_dns.pcap
  ndpi/quickplay.pcap ndpi/4in6tunnel.pcap ndpi/6in6tunnel.pcap tcpdump/dhcp-rfc3004.pcap
  tcpdump/dhcpv6-ia-na.pcap tcpdump/dns_tcp.pcap tcpdump/LLDP_and_CDP.pcap tcpdump/IGMP_V2.pcap
  tcpdump/icmpv6.pcap tcpdump/forces1.pcap tcpdump/ieee802.11_exthdr.pcap
  tcpdump/ieee802.11_tim_ie_oobr.pcap tcpdump/dns-badcookie.pcap tcpdump/babel_rtt.pcap
  tcpdump/beep-oobr.pcap tcpdump/extract_read2_asan.pcap tcpdump/RADIUS-RFC3162.pcap
  tcpdump/loopback.pcap tcpdump/arp-oobr.pcap tcpdump/QinQpacket.pcap tcpdump/mptcp-v1.pcap
  tcpdump/mpls-traceroute.pcap tcpdump/HDLC.pcap tcpdump/nflog.pcap tcpdump/pppoes.pcap
  tcpdump/mpls-over-udp.pcap tcpdump/wb-oobr.pcap"
if [ ! -d "$NETCAP_CORPUS/ndpi" ] || [ ! -d "$NETCAP_CORPUS/tcpdump" ]; then
  echo "note: corpus absent ($NETCAP_CORPUS): no seeds"
  exit 0
fi
paths=()
for rel in $SEEDS; do
  if [ -f "$NETCAP_CORPUS/$rel" ]; then paths+=("$NETCAP_CORPUS/$rel"); else echo "note: $rel absent"; fi
done
python3 - "$out" "$SEED_PACKETS" "${paths[@]}" <<'EOF'
import os, struct, sys
out, limit, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
# LINKTYPE_ value in the file -> index in fuzz_decode.c's links[]:
# Ethernet, raw (LINKTYPE_RAW 101 = DLT_RAW 12), IPv4, IPv6, SLL, SLL2,
# NULL, LOOP, 802.11, radiotap (DLT_RAW 14 has no LINKTYPE of its own),
# then PPP, PPP in HDLC framing, Cisco HDLC, NFLOG.
INDEX = {1: 0, 101: 1, 12: 1, 228: 2, 229: 3, 113: 4, 276: 5, 0: 6, 108: 7, 105: 8, 127: 9,
         9: 11, 50: 12, 104: 13, 239: 14}

def pcap_packets(d):
    magic = d[:4]
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    link = struct.unpack(e + "I", d[20:24])[0] & 0xffff
    off = 24
    while off + 16 <= len(d):
        cap = struct.unpack(e + "I", d[off + 8:off + 12])[0]
        yield link, d[off + 16:off + 16 + cap]
        off += 16 + cap

def pcapng_packets(d):
    off, e, links = 0, "<", []
    while off + 12 <= len(d):
        btype = struct.unpack(e + "I", d[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            e = "<" if d[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        blen = struct.unpack(e + "I", d[off + 4:off + 8])[0]
        if blen < 12:
            return
        body = d[off + 8:off + blen - 4]
        if btype == 1:
            links.append(struct.unpack(e + "H", body[:2])[0])
        elif btype == 6 and len(body) >= 20:
            iface, cap = struct.unpack(e + "I", body[:4])[0], struct.unpack(e + "I", body[12:16])[0]
            if iface < len(links):
                yield links[iface], body[20:20 + cap]
        elif btype == 3 and links:
            yield links[0], body[4:]
        off += blen

n = 0
for path in paths:
    d = open(path, "rb").read()
    packets = pcapng_packets(d) if d[:4] == b"\x0a\x0d\x0d\x0a" else pcap_packets(d)
    for i, (link, frame) in enumerate(packets):
        if i >= limit:
            break
        if link not in INDEX:
            continue
        with open(os.path.join(out, f"{os.path.basename(path)}.{i + 1}"), "wb") as f:
            f.write(bytes([INDEX[link]]) + frame)
        n += 1
print(f"-- {n} seed packets from {len(paths)} captures")
EOF
# The crafted worst-case packets of scripts/make-worst-packets.py (caps,
# arena limits, frames up to 262,144 bytes), one copy each.
root=${NETCAP_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
crafted=$(mktemp -d)
python3 "$root/scripts/make-worst-packets.py" "$crafted" --copies 1 --large-copies 1 >/dev/null
python3 - "$out" "$crafted"/*.pcap <<'PY'
import os, struct, sys
out = sys.argv[1]
INDEX = {1: 0, 127: 9}   # Ethernet, radiotap: fuzz_decode.c's links[]
n = 0
for path in sys.argv[2:]:
    d = open(path, "rb").read()
    link = struct.unpack("<I", d[20:24])[0] & 0xffff
    cap = struct.unpack("<I", d[32:36])[0]
    if link in INDEX:
        with open(os.path.join(out, "worst-" + os.path.basename(path)), "wb") as f:
            f.write(bytes([INDEX[link]]) + d[40:40 + cap])
        n += 1
print(f"-- {n} crafted worst-case packets")
PY
rm -rf "$crafted"
