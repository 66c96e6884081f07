#!/usr/bin/env bash
# seed_tls.sh OUTDIR: seeds for fuzz_tls (its input format is in
# tests/fuzz/fuzz_tls.c): a Chrome ClientHello (nDPI corpus, chrome.pcap)
# and TLS 1.3 and TLS 1.2 ServerHellos (chrome.pcap, 443-firefox.pcap) in
# one call each; the ClientHello over two records and many small calls,
# byte by byte, with a gap, under a 16-byte cap, with the records off; a
# HelloRetryRequest; garbage, SSLv2 and a ChangeCipherSpec first; and a
# bare hello body for the fingerprint functions.
set -euo pipefail
out=$1
mkdir -p "$out"
python3 - "$out" <<'PY'
import os, struct, sys
out = sys.argv[1]
ch = bytes.fromhex(
    "1603010200010001fc0303d77aa0f252cff8ff81a9c82edc42621f8c80d83b0322361c96ae2f2bda7849ce207094dfde"
    "2fae965e90337a4b4c5c840b86caabaca5ab87a6e290440145ae762900209a9a130313011302cca9cca8c02bc02fc02c"
    "c030c013c014009c009d002f0035010001934a4a000000000013001100000e7777772e6969742e636e722e6974001700"
    "00ff01000100000a000a00086a6a001d00170018000b00020100002300000010000e000c02683208687474702f312e31"
    "000500050100000000000d0012001004030804040105030805050108060601001200000033002b00296a6a000100001d"
    "00203af18d95cb86205f04c0a3e2b8c68b9026c6a90ef630fe20a68d31ea2525b648002d00020101002b000b0a6a6a03"
    "04030303020301001b00030200024469000500030268326a6a000100001500c500000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000")
sh13 = bytes.fromhex(
    "160303007a020000760303bde1e9fe06132c1da4440c7a1761fbf245676f09ff1efc082abb5f147115e650207094dfde"
    "2fae965e90337a4b4c5c840b86caabaca5ab87a6e290440145ae7629130200002e002b0002030400330024001d002023"
    "2131aa29442dc2c135ef23f856e6990d455f6d39b9a991e0710e2daf6a3421")
sh12 = bytes.fromhex(
    "160303004e0200004a0303af33c2eb5caa28d2e9e87e01e871dbddfcdcbd07b8908fd5d914bdce5ea8e24a00cca80000"
    "22ff0100010000000000000b0004030001020023000000100005000302683200170000")
def calls(dir, data, size):
    """data as calls of at most `size` bytes (size <= 255)."""
    b = b""
    for i in range(0, len(data), size):
        part = data[i:i + size]
        b += bytes([dir, len(part)]) + part
    return b
def gap(dir, n):
    return bytes([dir | 2, n])
def records(msg, cuts):
    """msg (a handshake message) as type 22 records cut at the offsets."""
    b, start = b"", 0
    for end in cuts + [len(msg)]:
        b += struct.pack(">BHH", 22, 0x0301, end - start) + msg[start:end]
        start = end
    return b
ch_msg = ch[5:]
hrr_body = (struct.pack(">H", 0x0303) + bytes.fromhex(
    "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
    + b"\x00" + struct.pack(">HB", 0x1301, 0)
    + struct.pack(">H", 21) + struct.pack(">HHH", 43, 2, 0x0304)
    + struct.pack(">HHH", 51, 2, 0x17) + struct.pack(">HHH", 44, 5, 3) + b"abc")
hrr = records(bytes([2]) + len(hrr_body).to_bytes(3, "big") + hrr_body, [])
seeds = {
    "client-hello": b"\x00" + calls(0, ch, 255),
    "both-hellos": b"\x00" + calls(0, ch, 200) + calls(1, sh13, 255),
    "server-tls12": b"\x00" + calls(1, sh12, 255),
    "two-records-small-calls": b"\x00" + calls(0, records(ch_msg, [200]), 7),
    "byte-by-byte": b"\x00" + calls(0, records(ch_msg, [1, 3, 100]), 1),
    "gap": b"\x00" + calls(0, ch[:300], 255) + gap(0, 10) + calls(0, ch[310:], 255),
    "capped": b"\x02" + calls(0, ch, 255),
    "records-off": b"\x04" + calls(0, ch, 255) + calls(1, sh13, 255),
    "hello-retry-request": b"\x00" + calls(1, hrr, 255),
    "garbage": b"\x00" + calls(0, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 255),
    "sslv2": b"\x00" + calls(0, bytes.fromhex("802e0103010015000000100100800300800700c0"), 255),
    "change-cipher-spec": b"\x00" + calls(1, bytes.fromhex("140303000101"), 255),
    "hello-body": ch[9:],
}
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
PY
