#!/usr/bin/env bash
# seed_stream.sh OUTDIR: seeds for fuzz_stream (its input format is in
# tests/fuzz/fuzz_stream.c): a connection in order, the same reversed,
# overlapping segments (same and other bytes), sequence numbers wrapping
# past 2^32, a RST after held data, the depth reached, three connections
# in a table of two, FINs with a hole, a snaplen cut, an ignored direction.
set -euo pipefail
out=$1
mkdir -p "$out"
python3 - "$out" <<'PY'
import os, struct, sys
out = sys.argv[1]
FIN, SYN, RST, ACK, CUT = 8, 16, 32, 64, 128
def seg(dir=0, conn=0, flags=ACK, off=0, length=0, fill=0x41, dt=0, advance=False, ignore=False):
    b0 = dir | (conn << 1) | flags
    b5 = dt | (64 if advance else 0) | (128 if ignore else 0)
    return struct.pack(">BHBBB", b0, off, length, fill, b5)
def seed(cfg, segs):
    return bytes([cfg]) + b"".join(segs)
CONSISTENT, WRAP, CAP2, IDLE2 = 1, 16, 8, 32
def depth(i): return i << 1
hs = [seg(0, flags=SYN), seg(1, flags=SYN | ACK)]
data = [seg(0, off=1 + 100 * i, length=100) for i in range(5)]
reply = [seg(1, off=1, length=50), seg(1, off=51, length=50)]
fins = [seg(0, flags=FIN | ACK, off=501), seg(1, flags=FIN | ACK, off=101)]
seeds = {
    "in-order": seed(CONSISTENT | depth(2), hs + data + reply + fins),
    "reversed": seed(CONSISTENT | depth(2), hs + data[::-1] + reply[::-1] + fins),
    "overlap-same": seed(CONSISTENT | depth(2), hs + [seg(0, off=51, length=100), seg(0, off=101, length=100), seg(0, off=1, length=120)]),
    "overlap-different": seed(depth(2), hs + [seg(0, off=51, length=100, fill=1), seg(0, off=101, length=100, fill=2), seg(0, off=1, length=120, fill=3)]),
    "wrap": seed(CONSISTENT | WRAP | depth(1), hs + data[::-1] + reply + fins),
    "rst": seed(CONSISTENT | depth(2), hs + data[2:] + [seg(1, flags=RST, off=1), seg(0, off=1, length=10)]),
    "depth": seed(CONSISTENT | depth(0), hs + [seg(0, off=1 + 10 + 200 * i, length=200) for i in range(12)] + [seg(0, off=1, length=10)]),
    "evict": seed(CONSISTENT | CAP2 | depth(2), hs + [seg(0, conn=1, flags=SYN, dt=1), seg(0, conn=2, flags=SYN, dt=1), seg(0, off=1, length=10)]),
    "fin-hole": seed(CONSISTENT | depth(2), hs + [seg(0, off=21, length=20), seg(0, flags=FIN | ACK, off=61)]),
    "snaplen-idle": seed(CONSISTENT | IDLE2 | depth(3), hs + [seg(0, flags=ACK | CUT, off=1, length=50), seg(0, off=151, length=240 + 2), seg(0, off=200, length=10, dt=5, advance=True)]),
    "ignore": seed(CONSISTENT | depth(2), hs + [seg(0, off=1, length=10), seg(0, off=31, length=10, ignore=True), seg(0, off=11, length=30)]),
    "midstream-far": seed(CONSISTENT | depth(2), [seg(1, off=7, length=30), seg(1, off=0x8000 | 0x4100, length=20), seg(1, off=0x8000 | 0x7fff, length=5), seg(0, off=3, length=5)]),
}
for name, blob in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(blob)
PY
