#!/usr/bin/env python3
"""make-sample-pcap.py: writes tests/data/sample.pcap, NETCAP's own sample.

A small, deterministic capture made by the project (no third-party data):
a few TCP connections with handshake, data and teardown over IPv4 and IPv6,
DNS over UDP, NTP, a VLAN-tagged flow, ICMP echo and ARP. `make run`
replays it; tests use it where a tiny known input is enough.

Usage: scripts/make-sample-pcap.py [OUT]   (default tests/data/sample.pcap)
"""
import random
import struct
import sys

rng = random.Random(2019)
T0 = 1_700_000_000  # 2023-11-14T22:13:20Z
packets = []
clock = [T0 * 1_000_000]  # microseconds


def tick(us):
    clock[0] += us
    return clock[0]


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def ip6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed


def ether(src, dst, ethertype, payload, vlan=None):
    hdr = mac(dst) + mac(src)
    if vlan is not None:
        hdr += struct.pack("!HH", 0x8100, vlan)
    frame = hdr + struct.pack("!H", ethertype) + payload
    return frame + b"\0" * max(0, 60 - len(frame))  # minimum frame size


def ipv4(src, dst, proto, payload, ttl=64, ident=None):
    ident = rng.randrange(65536) if ident is None else ident
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, ttl, proto, 0,
                      ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr, hdr + payload


def ipv6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB16s16s", 0x60000000 | rng.randrange(1 << 20), len(payload), nh, hlim,
                       ip6(src), ip6(dst)) + payload


def pseudo4(src, dst, proto, length):
    return ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, length)


def pseudo6(src, dst, proto, length):
    return ip6(src) + ip6(dst) + struct.pack("!IxxxB", length, proto)


def tcp_seg(sport, dport, seq, ack, flags, data=b"", opts=b"", pseudo=None, window=64240):
    off = (20 + len(opts)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, window, 0, 0) + opts
    seg = hdr + data
    c = csum(pseudo(len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp_dgram(sport, dport, data, pseudo):
    d = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = csum(pseudo(len(d)) + d) or 0xFFFF
    return d[:6] + struct.pack("!H", c) + d[8:]


def emit(frame, gap_us):
    packets.append((tick(gap_us), frame))


FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16
SYN_OPTS = bytes.fromhex("020405b4") + bytes.fromhex("0402") + bytes.fromhex("080a") + \
    struct.pack("!II", 1000, 0) + bytes.fromhex("01") + bytes.fromhex("030307")


def tcp_conversation(cmac, smac, cip, sip, cport, sport, request, response, v6=False, vlan=None):
    if v6:
        def ps(n, a=cip, b=sip):
            return pseudo6(a, b, 6, n)

        def ps_back(n):
            return pseudo6(sip, cip, 6, n)

        def wrap(src, dst, seg):
            return ether(cmac if src == cip else smac, smac if src == cip else cmac, 0x86DD,
                         ipv6(src, dst, 6, seg), vlan)
    else:
        def ps(n, a=cip, b=sip):
            return pseudo4(a, b, 6, n)

        def ps_back(n):
            return pseudo4(sip, cip, 6, n)

        def wrap(src, dst, seg):
            return ether(cmac if src == cip else smac, smac if src == cip else cmac, 0x0800,
                         ipv4(src, dst, 6, seg)[1], vlan)
    cseq, sseq = rng.randrange(1 << 32), rng.randrange(1 << 32)
    emit(wrap(cip, sip, tcp_seg(cport, sport, cseq, 0, SYN, opts=SYN_OPTS, pseudo=ps)), 1000)
    emit(wrap(sip, cip, tcp_seg(sport, cport, sseq, cseq + 1, SYN | ACK, opts=SYN_OPTS, pseudo=ps_back)), 800)
    cseq += 1
    sseq += 1
    emit(wrap(cip, sip, tcp_seg(cport, sport, cseq, sseq, ACK, pseudo=ps)), 300)
    emit(wrap(cip, sip, tcp_seg(cport, sport, cseq, sseq, PSH | ACK, request, pseudo=ps)), 200)
    cseq += len(request)
    for i in range(0, len(response), 1400):
        part = response[i:i + 1400]
        emit(wrap(sip, cip, tcp_seg(sport, cport, sseq, cseq, PSH | ACK, part, pseudo=ps_back, window=509)), 900)
        sseq += len(part)
    emit(wrap(cip, sip, tcp_seg(cport, sport, cseq, sseq, ACK, pseudo=ps)), 150)
    emit(wrap(cip, sip, tcp_seg(cport, sport, cseq, sseq, FIN | ACK, pseudo=ps)), 5000)
    emit(wrap(sip, cip, tcp_seg(sport, cport, sseq, cseq + 1, FIN | ACK, pseudo=ps_back)), 700)
    emit(wrap(cip, sip, tcp_seg(cport, sport, cseq + 1, sseq + 1, ACK, pseudo=ps)), 300)


def dns_name(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"


def dns_exchange(cmac, smac, cip, sip, name, answer_ip):
    qid = rng.randrange(65536)
    question = dns_name(name) + struct.pack("!HH", 1, 1)
    query = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + question
    answer = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + \
        struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + ip4(answer_ip)
    cport = 30000 + rng.randrange(20000)
    emit(ether(cmac, smac, 0x0800, ipv4(cip, sip, 17, udp_dgram(cport, 53, query,
         lambda n: pseudo4(cip, sip, 17, n)))[1]), 2000)
    emit(ether(smac, cmac, 0x0800, ipv4(sip, cip, 17, udp_dgram(53, cport, answer,
         lambda n: pseudo4(sip, cip, 17, n)))[1]), 12000)


CLIENT, ROUTER, SERVER = "02:00:00:00:00:01", "02:00:00:00:00:fe", "02:00:00:00:00:02"
# ARP for the gateway
arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac(CLIENT), ip4("192.0.2.10"), bytes(6), ip4("192.0.2.1"))
emit(ether(CLIENT, "ff:ff:ff:ff:ff:ff", 0x0806, arp), 0)
arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, mac(ROUTER), ip4("192.0.2.1"), mac(CLIENT), ip4("192.0.2.10"))
emit(ether(ROUTER, CLIENT, 0x0806, arp), 400)

dns_exchange(CLIENT, ROUTER, "192.0.2.10", "192.0.2.53", "www.example.com", "93.184.216.34")
http_req = (b"GET / HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: netcap-sample/1.0\r\n"
            b"Accept: */*\r\n\r\n")
body = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz <>/\n") for _ in range(3000))
http_resp = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 3000\r\n\r\n" + body
tcp_conversation(CLIENT, ROUTER, "192.0.2.10", "93.184.216.34", 51000, 80, http_req, http_resp)

dns_exchange(CLIENT, ROUTER, "192.0.2.10", "192.0.2.53", "api.example.net", "198.51.100.7")
tls_like = bytes([0x16, 0x03, 0x01, 0x00, 0x40]) + bytes(rng.randrange(256) for _ in range(64))
tcp_conversation(CLIENT, ROUTER, "192.0.2.10", "198.51.100.7", 51001, 443, tls_like,
                 bytes(rng.randrange(256) for _ in range(5000)))

# IPv6 connection
tcp_conversation(CLIENT, ROUTER, "2001:db8::10", "2001:db8:100::7", 51002, 8080,
                 b"GET /v6 HTTP/1.1\r\nHost: v6.example.org\r\n\r\n",
                 b"HTTP/1.1 204 No Content\r\n\r\n", v6=True)

# A VLAN-tagged internal connection
tcp_conversation("02:00:00:00:10:01", "02:00:00:00:10:02", "10.1.0.5", "10.1.0.6", 40000, 22,
                 b"SSH-2.0-OpenSSH_9.2\r\n", b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n", vlan=100)

# NTP client/server
ntp_req = bytes([0x23]) + bytes(47)
emit(ether(CLIENT, ROUTER, 0x0800, ipv4("192.0.2.10", "192.0.2.123", 17,
     udp_dgram(123, 123, ntp_req, lambda n: pseudo4("192.0.2.10", "192.0.2.123", 17, n)))[1]), 3000)
ntp_resp = bytes([0x24, 2, 6, 0xE9]) + bytes(44)
emit(ether(ROUTER, CLIENT, 0x0800, ipv4("192.0.2.123", "192.0.2.10", 17,
     udp_dgram(123, 123, ntp_resp, lambda n: pseudo4("192.0.2.123", "192.0.2.10", 17, n)))[1]), 9000)

# ICMP echo
for seq in range(1, 4):
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x1234, seq) + bytes(range(32))
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    emit(ether(CLIENT, ROUTER, 0x0800, ipv4("192.0.2.10", "192.0.2.1", 1, icmp)[1]), 1000000)
    rep = struct.pack("!BBHHH", 0, 0, 0, 0x1234, seq) + bytes(range(32))
    rep = rep[:2] + struct.pack("!H", csum(rep)) + rep[4:]
    emit(ether(ROUTER, CLIENT, 0x0800, ipv4("192.0.2.1", "192.0.2.10", 1, rep)[1]), 900)

out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/sample.pcap"
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for ts, frame in packets:
        f.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(frame), len(frame)) + frame)
print(f"{out}: {len(packets)} packets")
