#!/usr/bin/env python3
"""pcap_variants.py: classic pcap files in every variant netcap's mapped
reader (lib/pipeline/pcapmap.c) must read exactly as libpcap and the pcap
PMD do, for tests/e2e/test_engine_mmap.sh.

  pcap_variants.py OUTDIR

Writes OUTDIR/<name>.pcap for: both byte orders, microsecond and
nanosecond times, times before 1970 and after 2038 and fractions over 2^31
in both byte orders (libpcap reads the 32-bit fields signed in the host's
order, unsigned in the other), a snapshot
length shorter than some records' capture lengths (libpcap cuts them),
empty records, a record over 262,144 bytes in the middle (libpcap ends the
file there), a file cut inside a record's data, one cut inside a record
header, and a version 2.3 file (left to the PMD). Each holds Ethernet /
IPv4 / UDP packets of varied sizes and contents (seeded, so the files are
the same every time).
"""
import os
import random
import struct
import sys

LINK_ETHERNET = 1


def packet(rng, i, size):
    size = max(size, 42)
    payload = bytes(rng.getrandbits(8) for _ in range(size - 42)) if i % 3 else bytes(size - 42)
    udp = struct.pack(">HHHH", 1024 + i % 7, 53 + i % 3, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0,
                     bytes([10, 0, i % 5, 1]), bytes([10, 1, i % 4, 2])) + udp
    return bytes([2, 0, 0, 0, 0, i % 9]) + bytes([2, 0, 0, 0, 1, 1]) + b"\x08\x00" + ip


def header(order, nano, snaplen=262144, major=2, minor=4):
    magic = 0xa1b23c4d if nano else 0xa1b2c3d4
    return struct.pack(order + "IHHiIII", magic, major, minor, 0, 0, snaplen, LINK_ETHERNET)


def record(order, sec, frac, data, caplen=None, wire=None):
    caplen = len(data) if caplen is None else caplen
    wire = len(data) if wire is None else wire
    return struct.pack(order + "IIII", sec & 0xFFFFFFFF, frac & 0xFFFFFFFF, caplen, wire) + data


def plain(rng, order, nano, n=40, start=1_600_000_000):
    out = header(order, nano)
    for i in range(n):
        frac = (i * 123_457) % (1_000_000_000 if nano else 1_000_000)
        out += record(order, start + i, frac, packet(rng, i, 60 + (i * 97) % 1400))
    return out


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(11)
    files = {
        "le-usec": plain(rng, "<", False),
        "le-nsec": plain(rng, "<", True),
        "be-usec": plain(rng, ">", False),
        "be-nsec": plain(rng, ">", True),
    }
    # Times: before 1970, the last second of int32, after 2038, a fraction
    # over 2^31 (libpcap reads both fields signed).
    data = header("<", True)
    for i, (sec, frac) in enumerate([(0, 0), (-1, 999_999_999), (-2_000_000_000, 5), (2**31 - 1, 999_999_999),
                                     (2**31, 0), (2**32 - 1, 1), (1_700_000_000, 2**31 + 7),
                                     (1_700_000_000, 2**32 - 1)]):
        data += record("<", sec, frac, packet(rng, i, 100))
    files["times-nsec"] = data
    data = header(">", False)
    for i, (sec, frac) in enumerate([(-1, 999_999), (2**31, 1), (1_700_000_000, 2**31 + 3), (5, 1_500_000)]):
        data += record(">", sec, frac, packet(rng, i, 80))
    files["times-usec-be"] = data
    data = header(">", True)
    for i, (sec, frac) in enumerate([(-1, 999_999_999), (2**31, 2**31 + 1000), (7, 2**32 - 1)]):
        data += record(">", sec, frac, packet(rng, i, 80))
    files["times-nsec-be"] = data
    # A snapshot length of 100: longer records are cut to it by libpcap.
    data = header("<", False, snaplen=100)
    for i in range(20):
        p = packet(rng, i, 60 + i * 10)
        data += record("<", 1_600_000_000 + i, i, p, wire=len(p) + (i % 2) * 1000)
    files["snaplen-100"] = data
    # Empty records and one-byte records between normal ones.
    data = header("<", False)
    for i in range(12):
        p = packet(rng, i, 70) if i % 3 == 0 else (b"" if i % 3 == 1 else b"\x02")
        data += record("<", 1_600_000_000, i, p, wire=len(p) + 60)
    files["tiny-records"] = data
    # A capture length over 262,144 in the middle ends the file there.
    data = plain(rng, "<", False, n=10)
    data += struct.pack("<IIII", 1_600_000_100, 0, 300_000, 300_000) + bytes(64)
    data += record("<", 1_600_000_101, 0, packet(rng, 1, 300))
    files["caplen-over-max"] = data
    # Cut inside the last record's data, and inside a record header.
    whole = plain(rng, "<", False, n=15)
    files["cut-in-data"] = whole[:-37]
    files["cut-in-header"] = whole + struct.pack("<II", 1_600_000_200, 0)
    # Version 2.3: libpcap may swap the lengths; the PMD reads it.
    data = header("<", False, minor=3)
    for i in range(5):
        data += record("<", 1_600_000_000 + i, 0, packet(rng, i, 90))
    files["version-2.3"] = data
    for name, blob in files.items():
        with open(os.path.join(outdir, name + ".pcap"), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main()
