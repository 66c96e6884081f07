#!/usr/bin/env python3
"""tunnels.py OUT_DIR: small captures of the encapsulations the corpus lacks,
for tests/e2e/test_decode_crafted.sh (hand-built bytes: no scapy needed).

Writes OUT_DIR/tunnels.pcap (Ethernet), OUT_DIR/tunnels-ppp.pcap (DLT_PPP,
9), OUT_DIR/tunnels.counts: one line "FILE TYPE N" per file and record
type, the records netcap must write for it with reassembly on (its
default), and a line "FILE frames N"; and OUT_DIR/tunnels.frames: one line
"FILE SECOND NAME TYPE..." per frame, its timestamp, a name for the
encapsulation and the per-packet records netcap must write for it (sorted). Every frame is one second after the
previous one (1,700,000,000 s on), so that each is a group of its own when
records and tshark's layers are lined up by time. IPv4 header, TCP, UDP and
GRE checksums are valid (tshark does not check them by default).

tunnels.pcap, one frame each unless said:
   1 GRE (key, sequence number) over IPv4: IPv4, UDP, DNS query
   2 GRE with checksum over IPv4: IPv6, TCP
   3 ERSPAN type II (GRE 0x88be with sequence number): Ethernet, IPv4, TCP
   4 ERSPAN type III without the platform subheader: Ethernet, IPv6, UDP,
     DNS query
   5 ERSPAN type III with the platform subheader (O bit): Ethernet, IPv4,
     UDP
   6 PPTP enhanced GRE (version 1, key, sequence, ack) carrying PPP
     (ff 03 0021): IPv4, TCP
   7 VXLAN (UDP 4789): Ethernet, IPv4, TCP
   8 Geneve (UDP 6081) with two options, protocol 0x6558: Ethernet, IPv4,
     UDP, DNS query
   9 Teredo (UDP 3544) with an authentication header and an origin
     indication: IPv6, UDP, DNS query
  10 a Teredo bubble (IPv6, next header 59, no payload)
  11 GTP-U (UDP 2152) G-PDU with two extension headers (PDU session
     container, then UDP port): IPv4, TCP
  12 MPLS, three labels: IPv4, UDP, DNS query
  13 MPLS, two labels, a pseudowire control word and an Ethernet frame:
     IPv4, TCP
  14 PPPoE session, PPP IPv4: UDP, DNS query
  15 PPPoE session, PPP IPv6: TCP
  16 PPPoE discovery: a PADI with Service-Name, Host-Uniq, End-Of-List
  17 VN-Tag: IPv4, TCP
  18 802.1BR E-tag: IPv4, UDP, DNS query
  19 802.1ah PBB (I-tag and customer addresses): IPv4, TCP
  20 IPv6, routing header type 4 (SRH, two segments, one TLV), destination
     options (PadN), TCP
  21 IPv6, AH (12-byte ICV), TCP
  22 IPv4 ESP
  23-25 an IPv6 UDP datagram (port 7000, 3,000 bytes) in three fragments:
     the middle one, the last, the first

tunnels-ppp.pcap: PPP with address and control, IPv4 UDP DNS query; the
same with IPv6 TCP; PPP without address and control and with a one-byte
protocol (ACFC, PFC): IPv4 TCP; PPP MPLS (0x0281), one label: IPv4 UDP.
"""
import collections
import os
import struct
import sys

from packets import csum, name


# A part of a frame: (bytes, [record types netcap writes for it, outermost first]).
def dns_query(ident, qname):
    m = struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + name(qname) + struct.pack(">HH", 1, 1)
    return m, ["DNS"]


def raw(data):
    return data, []


def pseudo(src, dst, proto, length):
    if len(src) == 4:
        return src + dst + struct.pack(">BBH", 0, proto, length)
    return src + dst + struct.pack(">IxxxB", length, proto)


def udp(src, dst, sport, dport, inner):
    data, recs = inner
    h = struct.pack(">HHHH", sport, dport, 8 + len(data), 0)
    c = csum(pseudo(src, dst, 17, 8 + len(data)) + h + data) or 0xFFFF
    return h[:6] + struct.pack(">H", c) + data, ["UDP"] + recs


def tcp(src, dst, sport, dport, seq, flags=0x02, data=b""):
    h = struct.pack(">HHIIBBHHH", sport, dport, seq, 0 if flags == 0x02 else 0x01020304,
                    5 << 4, flags, 64240, 0, 0)
    c = csum(pseudo(src, dst, 6, len(h) + len(data)) + h + data)
    return h[:16] + struct.pack(">H", c) + h[18:] + data, ["TCP"]


def ipv4(src, dst, proto, inner, ident=0x1234, ttl=64):
    data, recs = inner
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(data), ident, 0x4000, ttl, proto, 0, src, dst)
    h = h[:10] + struct.pack(">H", csum(h)) + h[12:]
    return h + data, ["IPv4"] + recs


def ipv6(src, dst, nxt, inner, plen=None, hlim=64):
    data, recs = inner
    h = struct.pack(">IHBB16s16s", 0x60000000 | 0x12345, len(data) if plen is None else plen, nxt, hlim, src, dst)
    return h + data, ["IPv6"] + recs


def ether(ethertype, inner, dst=b"\x00\x11\x22\x33\x44\x55", src=b"\x66\x77\x88\x99\xaa\xbb"):
    data, recs = inner
    return dst + src + struct.pack(">H", ethertype) + data, ["Ethernet"] + recs


def cat(*parts):
    return b"".join(p[0] for p in parts), [r for p in parts for r in p[1]]


A4 = bytes([192, 0, 2, 1])
B4 = bytes([192, 0, 2, 53])
C4 = bytes([198, 51, 100, 1])   # tunnel endpoints
D4 = bytes([198, 51, 100, 2])
A6 = bytes.fromhex("20010db8000000000000000000000001")
B6 = bytes.fromhex("20010db8000000000000000000000053")
TEREDO_CLIENT = bytes.fromhex("20010000c633640200003ffe9bffffff")  # 2001:0::/32 prefix
S2 = bytes.fromhex("20010db8000200000000000000000002")


def udp4(sport, dport, inner, src=A4, dst=B4):
    return ipv4(src, dst, 17, udp(src, dst, sport, dport, inner))


def tcp4(sport, dport, seq, src=A4, dst=B4):
    return ipv4(src, dst, 6, tcp(src, dst, sport, dport, seq))


def udp6(sport, dport, inner, src=A6, dst=B6):
    return ipv6(src, dst, 17, udp(src, dst, sport, dport, inner))


def tcp6(sport, dport, seq, src=A6, dst=B6):
    return ipv6(src, dst, 6, tcp(src, dst, sport, dport, seq))


def inner_eth(ethertype, inner):
    return ether(ethertype, inner, dst=b"\x02\x00\x00\x00\x00\x02", src=b"\x02\x00\x00\x00\x00\x01")


def gre(flags_ver, proto, inner, key=None, seq=None, ack=None, checksum=False):
    data, recs = inner
    h = struct.pack(">HH", flags_ver, proto)
    opt = b""
    if checksum:
        opt += b"\0\0\0\0"  # checksum, offset (reserved1)
    if key is not None:
        opt += struct.pack(">I", key)
    if seq is not None:
        opt += struct.pack(">I", seq)
    if ack is not None:
        opt += struct.pack(">I", ack)
    whole = h + opt + data
    if checksum:
        whole = whole[:4] + struct.pack(">H", csum(whole)) + whole[6:]
    return whole, ["GRE"] + recs


def outer_udp(dport, inner, sport=49152):
    return ether(0x0800, udp4(sport, dport, inner, src=C4, dst=D4))


def outer_gre(g):
    return ether(0x0800, ipv4(C4, D4, 47, g))


def vxlan(inner):
    data, recs = inner
    return struct.pack(">BxxxI", 0x08, 5001 << 8) + data, ["VXLAN"] + recs


def geneve(inner):
    data, recs = inner
    opts = struct.pack(">HBB", 0x0102, 0x01, 1) + b"\xde\xad\xbe\xef"       # class 0x0102, type 1, 4 bytes
    opts += struct.pack(">HBB", 0xFFFF, 0x80, 2) + bytes(range(8))          # critical type, 8 bytes
    h = struct.pack(">BBHI", len(opts) // 4, 0x00, 0x6558, 0xABCDE << 8)
    return h + opts + data, ["Geneve"] + recs


def teredo_auth_origin(inner):
    data, recs = inner
    ident, auth = b"cli1", b"\x11" * 8
    h = struct.pack(">HBB", 0x0001, len(ident), len(auth)) + ident + auth + b"\x01\x02\x03\x04\x05\x06\x07\x08" + b"\x00"
    h += struct.pack(">HH4s", 0x0000, 0xFFFF ^ 40000, bytes(x ^ 0xFF for x in bytes([203, 0, 113, 7])))
    return h + data, recs


def gtpu(inner):
    data, recs = inner
    ext = bytes([1, 0x10, 0x01, 0x40])          # PDU session container (0x85): UL, QFI 1; next: UDP port
    ext += bytes([1]) + struct.pack(">H", 2152) + bytes([0])  # UDP port extension; next: none
    body = struct.pack(">HBB", 0x0102, 0, 0x85) + ext + data  # sequence, N-PDU, next extension 0x85
    h = struct.pack(">BBHI", 0x34, 255, len(body), 0x00C0FFEE)
    return h + body, recs


def mpls(labels, inner, tc=0, ttl=64):
    data, recs = inner
    h = b""
    for i, label in enumerate(labels):
        h += struct.pack(">I", label << 12 | tc << 9 | (1 if i == len(labels) - 1 else 0) << 8 | (ttl - i))
    return h + data, ["MPLS"] * len(labels) + recs


def pppoe_session(proto, inner):
    data, recs = inner
    payload = struct.pack(">H", proto) + data
    return struct.pack(">BBHH", 0x11, 0x00, 0x0042, len(payload)) + payload, recs


def pppoe_padi():
    tags = struct.pack(">HH", 0x0101, 0) + struct.pack(">HH", 0x0103, 4) + b"\xca\xfe\xba\xbe" + struct.pack(">HH", 0, 0)
    return struct.pack(">BBHH", 0x11, 0x09, 0, len(tags)) + tags, []


def ipv6_srh_dst_tcp():
    segs = [B6, S2]                 # segment list: the last segment first
    tlv = bytes([4, 6]) + b"\0" * 6  # a PadN TLV (type 4, RFC 8754 2.1.1.2): 8 bytes in all
    body = bytes([1, 0]) + b"\0\0" + b"".join(segs) + tlv  # last entry 1, flags 0, tag 0
    length = (4 + len(body)) // 8 - 1
    srh = bytes([60, length, 4, 1]) + body      # next: destination options; type 4; segments left 1
    dst = bytes([6, 0, 1, 4, 0, 0, 0, 0])       # next: TCP; PadN of 4
    t = tcp(A6, B6, 40020, 80, 1000)             # the final destination (B6) in the pseudo header
    return ipv6(A6, S2, 43, (srh + dst + t[0], t[1]))


def ipv6_ah_tcp():
    t = tcp(A6, B6, 40021, 443, 2000)
    ah = struct.pack(">BBHII", 6, 4, 0, 0x00001001, 7) + bytes(range(0xA0, 0xAC))
    data, recs = ipv6(A6, B6, 51, (ah + t[0], t[1]))
    return data, recs[:1] + ["IPSecAH"] + recs[1:]


def ipv4_esp():
    esp = struct.pack(">II", 0x81000001, 9) + bytes(range(32))
    data, recs = ipv4(A4, B4, 50, raw(esp))
    return data, recs + ["IPSecESP"]


def ipv6_fragments():
    payload = bytes(i & 0xFF for i in range(2992))
    datagram = udp(A6, B6, 40030, 7000, raw(payload))[0]
    out, size, ident = [], 1232, 0x0BADF00D
    for off in range(0, len(datagram), size):
        part = datagram[off:off + size]
        more = off + size < len(datagram)
        frag = struct.pack(">BBHI", 17, 0, off | (1 if more else 0), ident)
        ip = struct.pack(">IHBB16s16s", 0x60000000, 8 + len(part), 44, 64, A6, B6) + frag + part
        # Records with reassembly on: IPv6 and IPv6Fragment per fragment; the
        # UDP record of the datagram comes with the fragment that completes it.
        out.append(ether(0x86DD, (ip, ["IPv6Fragment"])))
    return out


def ethernet_frames():
    f = []
    f.append(outer_gre(gre(0x3000, 0x0800, udp4(40001, 53, dns_query(0x0001, "gre.example.org"))
                           , key=0x0000BEEF, seq=1)))
    f.append(outer_gre(gre(0x8000, 0x86DD, tcp6(40002, 80, 100), checksum=True)))
    erspan2 = struct.pack(">HHI", 0x1000 | 10, 0x2000 | 0x0123, 0x00000005)  # ver 1, VLAN 10; COS/En/T, session 0x123; index 5
    f.append(outer_gre(gre(0x1000, 0x88BE, cat(raw(erspan2), inner_eth(0x0800, tcp4(40003, 22, 200))), seq=7)))
    erspan3 = struct.pack(">HHIHH", 0x2000 | 20, 0x0456, 0x01020304, 0x0000, 0x0000)  # ver 2, VLAN 20, session 0x456, timestamp, SGT; flags: Ethernet, no O
    f.append(outer_gre(gre(0x1000, 0x22EB, cat(raw(erspan3), inner_eth(0x86DD, udp6(40004, 53, dns_query(0x0004, "erspan3.example.org")))), seq=8)))
    erspan3o = struct.pack(">HHIHH", 0x2000 | 21, 0x0457, 0x01020305, 0x0000, 0x0001)  # O bit set
    platform = struct.pack(">II", 0x0C000000 | 0x1234, 0x5678ABCD)  # platform id 3, switch id, timestamp
    f.append(outer_gre(gre(0x1000, 0x22EB, cat(raw(erspan3o + platform), inner_eth(0x0800, udp4(40005, 9999, raw(b"erspan3-platform")))), seq=9)))
    ppp = cat(raw(b"\xff\x03\x00\x21"), tcp4(40006, 1723, 300, src=bytes([10, 0, 0, 1]), dst=bytes([10, 0, 0, 2])))
    key = len(ppp[0]) << 16 | 0x0007
    f.append(outer_gre(gre(0x3081, 0x880B, ppp, key=key, seq=11, ack=10)))
    f.append(outer_udp(4789, vxlan(inner_eth(0x0800, tcp4(40007, 443, 400)))))
    f.append(outer_udp(6081, geneve(inner_eth(0x0800, udp4(40008, 53, dns_query(0x0008, "geneve.example.org"))))))
    f.append(outer_udp(50000, teredo_auth_origin(udp6(40009, 53, dns_query(0x0009, "teredo.example.org"), src=TEREDO_CLIENT)), sport=3544))
    f.append(outer_udp(50001, ipv6(TEREDO_CLIENT, B6, 59, raw(b"")), sport=3544))
    f.append(outer_udp(2152, gtpu(tcp4(40011, 80, 500, src=bytes([10, 45, 0, 1]))), sport=2152))
    f.append(ether(0x8847, mpls([100, 200, 300], udp4(40012, 53, dns_query(0x000C, "mpls.example.org")))))
    # tshark's pwethheuristic takes the first 4 bytes for a control word only
    # when the 12 bytes after them are two addresses of vendors it knows
    # (OUIs of its manuf table: 00:00:0c Cisco, 00:1b:21 Intel).
    pw = ether(0x0800, tcp4(40013, 179, 600), dst=b"\x00\x00\x0c\x00\x00\x02", src=b"\x00\x1b\x21\x00\x00\x01")
    f.append(ether(0x8847, mpls([400, 500], cat(raw(b"\0\0\0\0"), pw))))
    f.append(ether(0x8864, pppoe_session(0x0021, udp4(40014, 53, dns_query(0x000E, "pppoe.example.org")))))
    f.append(ether(0x8864, pppoe_session(0x0057, tcp6(40015, 80, 700))))
    f.append(ether(0x8863, pppoe_padi(), dst=b"\xff\xff\xff\xff\xff\xff"))
    f.append(ether(0x8926, cat(raw(struct.pack(">IH", 0x80120034, 0x0800)), tcp4(40017, 80, 800))))
    f.append(ether(0x893F, cat(raw(struct.pack(">HHHH", 0x2000, 0x1005, 0x0000, 0x0800)), udp4(40018, 53, dns_query(0x0012, "etag.example.org")))))
    pbb = struct.pack(">I", 0x00012345) + b"\x02\xaa\x00\x00\x00\x02" + b"\x02\xaa\x00\x00\x00\x01" + b"\x08\x00"
    f.append(ether(0x88E7, cat(raw(pbb), tcp4(40019, 80, 900))))
    f.append(ether(0x86DD, ipv6_srh_dst_tcp()))
    f.append(ether(0x86DD, ipv6_ah_tcp()))
    f.append(ether(0x0800, ipv4_esp()))
    frags = ipv6_fragments()
    for fr in frags:  # each fragment's own records: IPv6 (before IPv6Fragment)
        fr[1][1:1] = ["IPv6"]
    frags[0][1].append("UDP")  # the first fragment arrives last: it completes the datagram
    f += [frags[1], frags[2], frags[0]]
    return f


def ppp_frames():
    return [
        cat(raw(b"\xff\x03\x00\x21"), udp4(40101, 53, dns_query(0x0101, "ppp.example.org"))),
        cat(raw(b"\xff\x03\x00\x57"), tcp6(40102, 80, 1100)),
        cat(raw(b"\x21"), tcp4(40103, 80, 1200)),
        cat(raw(b"\xff\x03\x02\x81"), mpls([1000], udp4(40104, 9999, raw(b"mpls over ppp")))),
    ]


# One name per frame, in the order above: the test names a frame by it.
ETHERNET_NAMES = [
    "gre-key-seq", "gre-checksum", "erspan-ii", "erspan-iii", "erspan-iii-platform", "pptp-gre-ppp",
    "vxlan", "geneve-options", "teredo-auth-origin", "teredo-bubble", "gtpu-extensions", "mpls-3-labels",
    "mpls-cw-ethernet-pw", "pppoe-session-ipv4", "pppoe-session-ipv6", "pppoe-discovery-padi", "vntag",
    "etag-802.1br", "pbb-802.1ah", "ipv6-srh-dstopts", "ipv6-ah", "ipv4-esp", "ipv6-fragment-2-of-3",
    "ipv6-fragment-3-of-3", "ipv6-fragment-1-of-3",
]
PPP_NAMES = ["ppp-ipv4", "ppp-ipv6", "ppp-acfc-pfc-ipv4", "ppp-mpls"]


def write(path, linktype, frames, t0):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, (data, _) in enumerate(frames):
            f.write(struct.pack("<IIII", t0 + i, 0, len(data), len(data)))
            f.write(data)


def main():
    out = sys.argv[1]
    files = [("tunnels.pcap", 1, ethernet_frames(), ETHERNET_NAMES, 1700000000),
             ("tunnels-ppp.pcap", 9, ppp_frames(), PPP_NAMES, 1700001000)]
    with open(os.path.join(out, "tunnels.counts"), "w") as counts, \
            open(os.path.join(out, "tunnels.frames"), "w") as per_frame:
        for fname, linktype, frames, names, t0 in files:
            assert len(names) == len(frames)
            write(os.path.join(out, fname), linktype, frames, t0)
            counts.write(f"{fname} frames {len(frames)}\n")
            c = collections.Counter(r for _, recs in frames for r in recs)
            for typ in sorted(c):
                counts.write(f"{fname} {typ} {c[typ]}\n")
            # "FILE SECOND NAME TYPE..." : the records of one frame, sorted.
            for i, ((_, recs), frame_name) in enumerate(zip(frames, names)):
                per_frame.write(" ".join([fname, str(t0 + i), frame_name] + sorted(recs)) + "\n")


if __name__ == "__main__":
    main()
