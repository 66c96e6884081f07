#!/usr/bin/env bash
# seed_defrag.sh OUTDIR: seeds for fuzz_defrag (its input format is in
# tests/fuzz/fuzz_defrag.c): a datagram in order and out of order, through
# defrag_add and through the IPv4 decoder; duplicates and an overlap with
# other bytes; a tiny first TCP fragment; 70 fragments of one datagram;
# one past 65,535 bytes; two datagrams interleaved; an expiry; IPv6.
set -euo pipefail
out=$1
mkdir -p "$out"
python3 - "$out" <<'PY'
import os, struct, sys
out = sys.argv[1]
# flags: bit 0 IPv6, bit 1 MF, bits 2-3 id, bits 4-5 protocol (UDP, TCP, ICMP, 255)
def frag(off_bytes, length, more=False, v6=False, ident=0, proto=0, dt=0, data=b"ab"):
    flags = (1 if v6 else 0) | (2 if more else 0) | (ident << 2) | (proto << 4)
    return struct.pack(">BHHB2s", flags, off_bytes // 8, length, dt, data)
def seed(mode, frags):
    return bytes([mode]) + b"".join(frags)
in_order = [frag(0, 1480, True), frag(1480, 1480, True), frag(2960, 100)]
seeds = {
    "in-order": seed(0, in_order),
    "out-of-order": seed(0, in_order[::-1]),
    "decoder-in-order": seed(1, in_order),
    "decoder-out-of-order": seed(1, [in_order[1], in_order[2], in_order[0]]),
    "duplicate-overlap": seed(0, [frag(0, 24, True), frag(0, 24, True), frag(8, 24, True, data=b"XY"), frag(32, 8)]),
    "tiny-tcp": seed(1, [frag(0, 8, True, proto=1), frag(8, 32, proto=1)]),
    "many": seed(0, [frag(i * 8, 8, True) for i in range(70)] + [frag(560, 8)]),
    "oversize": seed(1, [frag(0, 1480, True), frag(65512, 8)]),
    "interleaved": seed(0, [frag(0, 16, True, ident=1), frag(0, 16, True, ident=2), frag(16, 4, ident=2), frag(16, 4, ident=1)]),
    "expiry": seed(0, [frag(0, 16, True), frag(16, 4, dt=40), frag(0, 16, True, dt=0x80 | 5)]),
    "ipv6": seed(0, [frag(1232, 100, v6=True), frag(0, 1232, True, v6=True), frag(0, 0, v6=True)]),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
PY
