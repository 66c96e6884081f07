#!/usr/bin/env bash
# seed_collect.sh OUTDIR: seeds for fuzz_collect (input format in
# tests/fuzz/fuzz_collect.c: datagrams, each a form byte, a 2-byte length
# and the bytes; the sealed forms give the plaintext, sealed there):
# valid stored and deflated batches, a replay, a fragmented batch out of
# order, two keys claiming one id, a sensor not allowed, a flipped bit,
# raw garbage. Made here, no inputs needed.
set -euo pipefail
out=$1
mkdir -p "$out"
python3 - "$out" <<'EOF_PY'
import os, struct, sys, zlib
out = sys.argv[1]
RAW, SEALED, FLIPPED, AGAIN = 0, 1, 2, 3
NC_UDP = 37

def varint(n):
    o = bytearray()
    while n >= 0x80:
        o.append(n & 0x7F | 0x80); n >>= 7
    o.append(n)
    return bytes(o)

def udp(ts, n):
    body = b"\x08" + varint(ts) + b"\x42" + varint(n) + bytes((i * 7 + ts) & 0xFF for i in range(n))
    return varint(len(body)) + body

def plain(seq, payload, inflated, sid=b"s0", dev=b"fuzz", flags=0, idx=0, count=1, epoch=1000, typ=NC_UDP):
    return struct.pack("<QQHBBBBHHHI", epoch, seq, typ, flags, len(sid), len(dev), 0, idx, count, 0,
                       inflated) + sid + dev + payload

def dg(form, who, b):
    return bytes([form | who << 2]) + struct.pack("<H", len(b)) + b

def deflate(b):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(b) + c.flush()

def seed(name, *dgs):
    with open(os.path.join(out, name), "wb") as f:
        f.write(b"".join(dgs))

recs = udp(1, 40) + udp(2, 60) + udp(3, 10)
seed("stored", dg(SEALED, 0, plain(1, recs, len(recs))))
z = deflate(recs * 4)
seed("deflated", dg(SEALED, 0, plain(1, z, len(recs) * 4, flags=1)))
seed("replay", dg(SEALED, 0, plain(1, recs, len(recs))), dg(AGAIN, 0, b""))
big = udp(9, 2000)
pieces = [big[i:i + 700] for i in range(0, len(big), 700)]
frags = [dg(SEALED, 0, plain(10 + i, p, len(big), flags=2, idx=i, count=len(pieces)))
         for i, p in enumerate(pieces)]
seed("fragments", *reversed(frags))
zb = deflate(big * 3)
zp = [zb[i:i + 40] for i in range(0, len(zb), 40)]
seed("fragments-deflated", *[dg(SEALED, 1, plain(5 + i, p, len(big) * 3, sid=b"s1", flags=3, idx=i, count=len(zp)))
                             for i, p in enumerate(zp)])
seed("id-claimed", dg(SEALED, 0, plain(1, recs, len(recs))), dg(SEALED, 1, plain(1, recs, len(recs))),
     dg(SEALED, 0, plain(2, recs, len(recs), sid=b"other")))
seed("not-allowed", dg(SEALED, 2, plain(1, recs, len(recs))))
seed("flipped", dg(FLIPPED, 0, plain(1, recs, len(recs))))
seed("epochs", dg(SEALED, 0, plain(5000, recs, len(recs))), dg(SEALED, 0, plain(1, recs, len(recs))),
     dg(SEALED, 0, plain(1, recs, len(recs), epoch=2000)), dg(SEALED, 0, plain(3, recs, len(recs), epoch=999)))
seed("garbage", dg(RAW, 0, b"NCSD\x01\x00\x00\x00" + bytes(range(200))), dg(RAW, 0, b"x" * 5000))
print("-- 10 seed files")
EOF_PY
