#!/usr/bin/env python3
"""app_tshark_compare.py: NETCAP's HTTP and TLS hello records against tshark
4.0, as multisets of values, for one capture.

    app_tshark_compare.py NETCAP_DIR PCAP [TSHARK_ARG...]

NETCAP_DIR holds the capture's HTTP, TLSClientHello and TLSServerHello
records (netcap-dump --json from $NETCAP_BUILD, or TYPE.json, one JSON
object a line, when that file is there: how the script is checked on
hand-made records). tshark is run with the TSHARK_ARGs (the caller's:
tshark_opts of engine_lib.sh, with TCP reassembly back on) over TCP only.

Kinds of values, tshark's side / ours:
  request  -Y http.request: "METHOD host uri" per request (several in one
           frame when pipelined) / "Method Host URL" of records with a Method
  response -Y http.response: http.response.code / StatusCode of records
           with one; tshark's 1xx interim responses (100 Continue, 101
           Switching Protocols, 103 Early Hints) are left out: a
           transaction's record carries its final response. tshark misses
           responses either way it is asked: with http.desegment_body on
           (its default) it shows a response only once its whole body is
           there, never one whose body the capture cuts short (NETCAP
           writes that one, at the end of its connection); off, it loses
           the message boundaries after a body that ends inside a segment
           and takes the next head for body. So per connection (tcp.stream)
           the larger reading of the two counts, value by value. Requests
           are read with it on (off, tshark loses requests whose body
           follows in other segments).
  sni      -Y tls.handshake.type == 1: the server name of each connection's
           first ClientHello (tcp.stream) / SNI of TLSClientHello records
           ("" when none)
  ja3      the same hellos' tls.handshake.ja3 / Ja3
  ja3s     -Y tls.handshake.type == 2: each connection's first
           ServerHello's tls.handshake.ja3s / Ja3s
Only a connection's first hello each way counts: NETCAP records those
(a renegotiation's or a HelloRetryRequest's second ClientHello is not one).

Output: one line per kind, "KIND tshark=N netcap=M common=C", then for
each value found more often on one side than on the other
"  only-tshark KIND COUNT VALUE" or "  only-netcap KIND COUNT VALUE"
(VALUE as JSON, so that spaces and odd bytes show). Exits 0; the caller
judges (test_app_tshark.sh).
"""
import json
import os
import subprocess
import sys
from collections import Counter
import netcap_records

NETCAP_DIR, PCAP = sys.argv[1], sys.argv[2]
TSHARK_ARGS = sys.argv[3:]
SEP = "\x01"


def records(typ):
    return netcap_records.records(NETCAP_DIR, typ)


def tshark(filt, fields, extra=()):
    r = subprocess.run(["tshark", "-n", "-r", PCAP] + TSHARK_ARGS + list(extra)
                       + ["-Y", f"tcp && ({filt})", "-T", "fields", "-E", "occurrence=a",
                          "-E", "aggregator=" + SEP] + [a for f in fields for a in ("-e", f)],
                       capture_output=True, text=True, errors="replace")
    # 2 is also what a capture cut short mid-packet gives.
    if r.returncode not in (0, 2) or (r.returncode == 2 and "cut short" not in r.stderr):
        sys.exit(f"tshark failed: {r.stderr}")
    rows = []
    for line in r.stdout.split("\n"):
        if line:
            rows.append([c.split(SEP) if c else [] for c in line.split("\t")])
    return rows


def text(v):
    """Bytes that are not UTF-8: netcap-dump prints one U+FFFD per byte,
    tshark one per invalid sequence (or escapes); both are left out."""
    return v.replace("\ufffd", "")


def first_per_stream(rows, n_fields):
    seen, out = set(), []
    for row in rows:
        stream = row[0][0] if row[0] else ""
        if stream in seen:
            continue
        seen.add(stream)
        out.append([(c[0] if c else "") for c in row[1:1 + n_fields]])
    return out


def main():
    http = records("HTTP")
    ch = records("TLSClientHello")
    sh = records("TLSServerHello")
    ts, nc = {}, {}

    rows = tshark("http.request", ["http.request.method", "http.host", "http.request.uri"])
    ts["request"] = Counter()
    for methods, hosts, uris in (r + [[]] * (3 - len(r)) for r in rows):
        # One Host per request; a request without one has none in the list.
        hosts = hosts + [""] * (len(methods) - len(hosts))
        for m, h, u in zip(methods, hosts, uris):
            ts["request"][text(f"{m} {h} {u}")] += 1
    nc["request"] = Counter(text(f"{r['Method']} {r['Host']} {r['URL']}") for r in http if r.get("Method"))

    # Per connection, the larger reading of body reassembly on and off.
    ts["response"] = Counter()
    per = {}
    for setting in ("TRUE", "FALSE"):
        per[setting] = {}
        for stream, codes in tshark("http.response", ["tcp.stream", "http.response.code"],
                                    ["-o", "http.desegment_body:" + setting]):
            c = per[setting].setdefault(stream[0] if stream else "", Counter())
            c.update(v for v in codes if not v.startswith("1"))
    for stream in set(per["TRUE"]) | set(per["FALSE"]):
        ts["response"] += per["TRUE"].get(stream, Counter()) | per["FALSE"].get(stream, Counter())
    nc["response"] = Counter(str(r["StatusCode"]) for r in http if r.get("StatusCode"))

    rows = first_per_stream(tshark("tls.handshake.type == 1", ["tcp.stream", "tls.handshake.extensions_server_name",
                                                              "tls.handshake.ja3"]), 2)
    ts["sni"] = Counter(text(r[0]) for r in rows)
    ts["ja3"] = Counter(r[1] for r in rows)
    nc["sni"] = Counter(text(r.get("SNI", "")) for r in ch)
    nc["ja3"] = Counter(r.get("Ja3", "") for r in ch)

    rows = first_per_stream(tshark("tls.handshake.type == 2", ["tcp.stream", "tls.handshake.ja3s"]), 1)
    ts["ja3s"] = Counter(r[0] for r in rows)
    nc["ja3s"] = Counter(r.get("Ja3s", "") for r in sh)

    for kind in ("request", "response", "sni", "ja3", "ja3s"):
        common = sum((ts[kind] & nc[kind]).values())
        print(f"{kind} tshark={sum(ts[kind].values())} netcap={sum(nc[kind].values())} common={common}")
        for side, a, b in (("only-tshark", ts[kind], nc[kind]), ("only-netcap", nc[kind], ts[kind])):
            for v, n in sorted((a - b).items()):
                print(f"  {side} {kind} {n} {json.dumps(v)}")


main()
