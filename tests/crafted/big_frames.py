#!/usr/bin/env python3
"""big_frames.py: a pcap of frames around and over 64 KiB, up to pcap's
262,144-byte maximum, for tests/e2e/test_engine_bigframes.sh.

  big_frames.py OUT.pcap EXPECTED.tsv

DPDK 22.11's pcap PMD copies a frame over 65,535 bytes through a 16-bit
length (its mbuf chain holds caplen mod 65,536 bytes under a pkt_len of
caplen), which crashed netcap in rte_pktmbuf_read. Frames here: Ethernet /
IPv4 / TCP (total length 0, as GRO and TSO captures show it), Ethernet /
IPv6 with a jumbo payload option / TCP (BIG TCP), and IPv4 frames that
carry VXLAN and Geneve tunnels (their inner frames are not decoded yet, but
must not hurt). Each payload is zeros for its first 14,580 bytes and
pseudo-random after, so a decoder that saw only what the PMD copied gets
another PayloadEntropy than one that saw the whole frame.

EXPECTED.tsv: one line per frame: frame length, then the Shannon entropy
(bits per byte) of the Ethernet payload, computed here independently.
"""
import math
import random
import struct
import sys

SIZES = [60, 1514, 2048, 2049, 9018, 65535, 65536, 65537, 66000, 80116,
         131072, 200000, 262144]


def entropy(data):
    if not data:
        return 0.0
    counts = [0] * 256
    for b in data:
        counts[b] += 1
    n = len(data)
    return -sum(c / n * math.log2(c / n) for c in counts if c)


def payload(n, rng):
    zeros = min(n, 14580)
    return bytes(zeros) + bytes(rng.getrandbits(8) for _ in range(n - zeros))


def eth(ethertype, body):
    return bytes.fromhex("020000000001") + bytes.fromhex("020000000002") + struct.pack("!H", ethertype) + body


def ipv4(proto, body, total=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 1, 0x4000, 64, proto, 0,
                      bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return hdr + body


def tcp(body):
    return struct.pack("!HHIIBBHHH", 40000, 80, 1, 1, 0x50, 0x18, 65535, 0, 0) + body


def udp(dport, body):
    return struct.pack("!HHHH", 50000, dport, 0, 0) + body


def ipv6_jumbo(body):
    # payload length 0, next header hop-by-hop carrying a jumbo payload option
    hbh = struct.pack("!BBBBI", 6, 0, 0xC2, 4, 8 + len(body))
    hdr = struct.pack("!IHBB", 0x60000000, 0, 0, 64) + bytes(15) + b"\x01" + bytes(15) + b"\x02"
    return hdr + hbh + body


def frame(kind, size, rng):
    if kind == "ipv4":
        head = 14 + 20 + 20
        return eth(0x0800, ipv4(6, tcp(payload(size - head, rng))))
    if kind == "ipv6":
        head = 14 + 40 + 8 + 20
        return eth(0x86DD, ipv6_jumbo(tcp(payload(size - head, rng))))
    inner_head = 14 + 20 + 20
    tunnel = bytes.fromhex("0800000000012300") if kind == "vxlan" else bytes.fromhex("0000655800012300")
    outer_head = 14 + 20 + 8 + len(tunnel)
    inner = eth(0x0800, ipv4(6, tcp(payload(size - outer_head - inner_head, rng))))
    return eth(0x0800, ipv4(17, udp(4789 if kind == "vxlan" else 6081, tunnel + inner)))


def main():
    out, expected = sys.argv[1], sys.argv[2]
    rng = random.Random(9)
    frames = []
    for size in SIZES:
        frames.append(frame("ipv4", size, rng))
        if size >= 200:
            frames.append(frame("ipv6", size, rng))
    for size in (80116, 262144):
        frames.append(frame("vxlan", size, rng))
        frames.append(frame("geneve", size, rng))
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, fr in enumerate(frames):
            assert len(fr) <= 262144
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)))
            f.write(fr)
    with open(expected, "w") as f:
        for fr in frames:
            f.write(f"{len(fr)}\t{entropy(fr[14:]):.12f}\n")


if __name__ == "__main__":
    main()
