#!/usr/bin/env bash
# seed_alerts.sh OUTDIR: seeds for fuzz_alerts (input format in
# tests/fuzz/fuzz_alerts.c: a configuration byte, then lines): pieces of
# the real Suricata 7 eve.json and fast.log of tests/data/label (IPv4,
# IPv6, ICMPv6, other events), each in UTC, Berlin and New York, and lines
# made here: every UTC offset form, DST edges in Berlin, ICMP, IPS actions,
# decoder events, and broken ones (cut, wrong types, huge numbers).
set -euo pipefail
out=$1
mkdir -p "$out"
root=${NETCAP_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
python3 - "$out" "$root/tests/data/label" <<'PY'
import glob, os, sys
out, data = sys.argv[1], sys.argv[2]

def put(name, cfg, lines):
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([cfg]) + b"\n".join(lines)[:16000])

for path in sorted(glob.glob(os.path.join(data, "*.eve.json")) + glob.glob(os.path.join(data, "*.fast.log"))):
    lines = open(path, "rb").read().split(b"\n")
    base = os.path.basename(path)
    for cfg in (0, 1, 2):
        put(f"{base}-{cfg}", cfg, lines[:12])
    put(f"{base}-tail", 1, lines[-6:])

fast = (b"%s  [**] [1:2013028:7] ET POLICY curl [**] [Classification: Attempted Information Leak] "
        b"[Priority: 2] {TCP} 192.168.1.2:50000 -> 1.2.3.4:80")
eve = (b'{"timestamp":"%s","event_type":"alert","src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2",'
       b'"dest_port":2,"proto":"UDP","alert":{"gid":1,"signature_id":5,"rev":1,"signature":"s",'
       b'"category":"c","severity":3}}')
put("fast-dst", 1, [fast % t for t in (b"10/30/2016-02:30:00.000001", b"10/30/2016-02:59:59.9",
                                      b"10/30/2016-02:00:01.5", b"03/27/2016-02:30:00.25",
                                      b"12/31/2199-23:59:59.999999", b"01/01/70-00:00:00.0")])
put("eve-offsets", 0, [eve % t for t in (b"2016-08-02T02:20:59.123456+0200", b"2016-08-02T00:20:59Z",
                                        b"2016-08-01T19:20:59.1-05:00", b"2016-08-02T00:20:59.123456789+00",
                                        b"1970-01-01T00:00:00+2359", b"2200-12-31T23:59:59-2359")])
put("mixed", 4, [eve % b"2016-08-02T00:20:59Z", fast % b"08/02/2016-00:20:59.000000"] * 3)
put("icmp-ips", 0, [
    b"08/02/2016-02:19:37.000001  [Drop] [**] [1:3:1] ICMP echo [**] [Classification: Misc activity] [Priority: 3] {ICMP} 10.0.0.1:8 -> 10.0.0.2:0",
    b"08/02/2016-02:19:37.000001  [wDrop] [**] [1:3:1] x [**] y [**] [Classification: (null)] [Priority: 3] {PROTO:047} [::1]:0 -> [::2]:0",
    b"08/02/2016-02:19:37.5  [**] [1:2200000:2] SURICATA too small [**] [Classification: Decode] [Priority: 3] [**] [Raw pkt: 00 01 ] [pcap file packet: 4]",
    b'{"timestamp":"2020-02-23T11:47:45.794321+0100","event_type":"alert","src_ip":"::","dest_ip":"ff02::1:ff9f:f627","proto":"IPv6-ICMP","icmp_type":135,"icmp_code":0,"alert":{"gid":1,"signature_id":3,"rev":1,"signature":"ICMP any","category":"Misc activity","severity":3}}',
])
put("broken", 2, [
    (fast % b"08/02/2016-02:20:59.123456")[:60], (eve % b"2016-08-02T00:20:59Z")[:80],
    b'{"event_type":"alert","src_ip":1}', b'{"event_type":"alert","alert":[]}', b"[" * 3000,
    b'{"timestamp":"2016-08-02T00:20:59Z","event_type":"alert","src_ip":"1.1.1.1","dest_ip":"::1"}',
    (eve % b"2016-08-02T00:20:59Z").replace(b'"signature_id":5', b'"signature_id":99999999999999999999'),
    b"\x00\xff\r\n", b"", b"\r",
])
PY
