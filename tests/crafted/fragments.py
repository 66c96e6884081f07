#!/usr/bin/env python3
"""fragments.py OUT.pcap: a small capture of fragmented DNS over UDP, for
tests/e2e/test_defrag_tshark.sh (hand-built bytes: no scapy needed).

Ethernet frames, one second apart:
  1. a DNS query 192.0.2.1:40000 > 192.0.2.53:53 for big.example.org TXT,
     whole;
  2-4. the answer, 3,460 bytes of UDP (thirteen 250-byte TXT strings), in
     three IPv4 fragments of 1,480, 1,480 and 500 bytes, in order;
  5-7. a second answer (to port 40001, www.example.net), its fragments out of
     order: the last, the first, the middle;
  8. a duplicate of the middle fragment of the second answer, after it
     completed: a new datagram that never completes (counted as a timeout
     or left in progress, never decoded);
  9-10. a third answer over IPv6 (2001:db8::53:53 > 2001:db8::1:40002,
     www.example.com), in two fragments, the last first.
"""
import struct
import sys

from packets import csum, name


def dns(ident, qname, answers):
    flags = 0x8180 if answers else 0x0100
    m = struct.pack(">HHHHHH", ident, flags, 1, len(answers), 0, 0)
    m += name(qname) + struct.pack(">HH", 16, 1)
    for text in answers:
        rdata = bytes([len(text)]) + text
        m += b"\xc0\x0c" + struct.pack(">HHIH", 16, 1, 300, len(rdata)) + rdata
    return m


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


SRC = bytes([192, 0, 2, 1])
DNS_SERVER = bytes([192, 0, 2, 53])


def ipv4(src, dst, ident, payload, offset=0, more=False):
    flags = (0x2000 if more else 0) | (offset // 8)
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags, 64, 17, 0, src, dst)
    h = h[:10] + struct.pack(">H", csum(h)) + h[12:]
    return h + payload


def ether(ip, ethertype=b"\x08\x00"):
    return b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb" + ethertype + ip


SRC6 = bytes.fromhex("20010db8000000000000000000000001")
DNS_SERVER6 = bytes.fromhex("20010db8000000000000000000530053")


def fragments6(src, dst, ident, datagram, size=1232):
    out = []
    for off in range(0, len(datagram), size):
        part = datagram[off:off + size]
        more = off + size < len(datagram)
        frag = struct.pack(">BBHI", 17, 0, off | (1 if more else 0), ident)
        ip = struct.pack(">IHBB16s16s", 0x60000000, 8 + len(part), 44, 64, src, dst) + frag + part
        out.append(ether(ip, b"\x86\xdd"))
    return out


def fragments(src, dst, ident, datagram, size=1480):
    out = []
    for off in range(0, len(datagram), size):
        part = datagram[off:off + size]
        out.append(ether(ipv4(src, dst, ident, part, off, off + size < len(datagram))))
    return out


def main():
    texts = [bytes([65 + i]) * 250 for i in range(13)]
    frames = [ether(ipv4(SRC, DNS_SERVER, 1, udp(40000, 53, dns(0x1111, "big.example.org", []))))]
    answer1 = udp(53, 40000, dns(0x1111, "big.example.org", texts))
    frames += fragments(DNS_SERVER, SRC, 0x0101, answer1)
    answer2 = udp(53, 40001, dns(0x2222, "www.example.net", texts[:12]))
    second = fragments(DNS_SERVER, SRC, 0x0202, answer2)
    frames += [second[2], second[0], second[1], second[1]]
    answer3 = udp(53, 40002, dns(0x3333, "www.example.com", texts[:8]))
    third = fragments6(DNS_SERVER6, SRC6, 0x03030303, answer3)
    frames += third[::-1]
    with open(sys.argv[1], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)))
            f.write(fr)


if __name__ == "__main__":
    main()
