#!/usr/bin/env bash
# seed_mbufchain.sh OUTDIR: seeds for fuzz_mbufchain (its input format is in
# tests/fuzz/fuzz_mbufchain.c): a one-segment frame, a consistent chain of
# eight 2,048-byte segments, and the chain DPDK's pcap PMD builds for an
# 80,116-byte frame (pkt_len 80,116 over 14,580 bytes).
set -euo pipefail
out=$1
mkdir -p "$out"
python3 - "$out" <<'PY'
import struct, sys, os
out = sys.argv[1]
def chain(pkt_len, segs, nb=None):
    b = bytes([len(segs) if nb is None else nb]) + struct.pack("<I", pkt_len)
    for i, (buf_len, off, dlen) in enumerate(segs):
        b += struct.pack("<HHHB", buf_len, off, dlen, i + 1)
    return b
full = [(2176, 128, 2048)] * 7 + [(2176, 128, 244)]
seeds = {
    "one-segment": chain(60, [(2176, 128, 60)]),
    "eight-segments": chain(14580, full),
    "pcap-pmd-80116": chain(80116, full),
    "segment-outside": chain(4096, [(2176, 128, 2048), (2176, 129, 2048)]),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
PY
