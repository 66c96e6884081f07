#!/usr/bin/env python3
"""streams.py OUT_DIR: an adversarial TCP capture for the stream reassembler
and the parsers over it (HTTP, TLS, DNS over TCP), for
tests/e2e/test_stream_crafted.sh (hand-built bytes: no scapy needed).

Writes OUT_DIR/streams.pcap (Ethernet, IPv4, TCP; IPv4 and TCP checksums
valid) and OUT_DIR/streams.expect.json: what netcap must report for it:
  "records": one entry per record, in the order netcap writes them per
      connection and type: {"scenario", "type", "client_port", "fields":
      {path: value}}; a path is a field name, or names and list indexes
      joined by dots ("Questions.0.Name"). A connection's records of a type
      are exactly those listed (none more).
  "events": {"TCPStream out-of-order": ["==", 2], ...}: the summary's
      decoder events (report.c: "<Protocol> <reason> <count>"); any other
      HTTP, TLS or DNS event is an error too.
  "scenarios": {letter: what it is}; "starts": {letter: its first second}:
      a record belongs to the scenario whose 10 s its Timestamp falls in
      (HTTP records have no ports).
  "malformed_on_purpose": client ports of the connections whose hellos
      are malformed on purpose (tshark says so; the test lets it).

One connection per scenario, each from its own client port, 10 s apart
(1,700,000,000 s on), packets 1 ms apart; each ends with FIN both ways
unless said (so its records are written at the close, not at shutdown):
  a  an HTTP GET in three segments, delivered third, first, second
  b  "first copy wins": a request whose second half arrives first (held),
     then the whole request again with other bytes over the held half
     (overlap with different data: the held bytes stay), then that
     segment retransmitted with yet other bytes (a retransmission of
     bytes already delivered). The URL is the first copy's.
  c  sequence numbers that wrap past 2^32 inside the request (client) and
     inside the response (server)
  d  a TLS ClientHello (GREASE in ciphers, extensions and groups; SNI;
     ALPN h2, http/1.1) in two TLS records over three TCP segments cut
     across the record boundaries, then a ServerHello (TLS 1.3 through
     supported_versions); JA3, JA3S (Salesforce), JA4, JA4S (FoxIO)
     computed here
  e  a request whose head is longer than 16 KiB (20 KiB of headers):
     cut, record Truncated; the next request on the connection is read
  f  three pipelined requests in one segment, then three responses in
     one segment: request i pairs with response i
  g  a response without a request (the client sends nothing)
  h  DNS over TCP (port 53): two queries in one segment, a third split
     over two segments
  i  a connection picked up midstream: no SYN, a request and its response
  j  a TLS 1.0 ClientHello and ServerHello without extensions (optional
     in TLS 1.0-1.2): JA3 "769,4-5-10-47,,,", JA3S "769,4,"
  k  a warning alert (unrecognized_name) in front of the ServerHello, in
     the same segment (as servers send when they know no such name)
  l  a ClientHello that does not parse (compression methods length 0, one
     byte left over: as in the nDPI corpus's tls_invalid_reads.pcap), then
     a good ServerHello: the client's record is Truncated, the server's is
     whole
  m  a SYN-ACK whose IPv4 total length claims 4,096 bytes more than the
     frame, which is whole (caplen = wire length), holds: a lie, not a
     snaplen cut, so no gap (as in tls_invalid_reads.pcap, whose lying
     SYN-ACK must not blind the server's direction); then a request and its
     response
"""
import hashlib
import json
import os
import struct
import sys

from packets import csum, name

T0 = 1_700_000_000
CLIENT_MAC = b"\x02\x00\x00\x00\x00\x01"
SERVER_MAC = b"\x02\x00\x00\x00\x00\x02"
CLIENT_IP = bytes([10, 0, 0, 1])
SERVER_IP = bytes([10, 0, 0, 2])
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
GREASE = [0x0a0a + 0x1010 * i for i in range(16)]

frames = []         # (ts_us, bytes)


def ip_str(b):
    return ".".join(str(x) for x in b)


def tcp_frame(src, dst, sport, dport, seq, ack, flags, data, ip_extra=0):
    """ip_extra: the IPv4 total length claims that many bytes more than the
    frame holds (a lie: the frame is whole, caplen = wire length)."""
    h = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags,
                    65535, 0, 0)
    pseudo = src + dst + struct.pack(">BBH", 0, 6, len(h) + len(data))
    c = csum(pseudo + h + data)
    seg = h[:16] + struct.pack(">H", c) + h[18:] + data
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(seg) + ip_extra, 0x4321, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack(">H", csum(ip)) + ip[12:]
    eth = (SERVER_MAC + CLIENT_MAC if src == CLIENT_IP else CLIENT_MAC + SERVER_MAC) + b"\x08\x00"
    return eth + ip + seg


class Conn:
    """One TCP connection; seq numbers are absolute, wrapping at 2^32."""

    def __init__(self, scenario, cport, sport, t, cisn=1000, sisn=5000):
        self.scenario, self.cport, self.sport, self.t = scenario, cport, sport, t
        self.next = [cisn + 1, sisn + 1]    # next seq per direction (0: client)
        self.isn = [cisn, sisn]

    def emit(self, d, seq, flags, data=b"", ip_extra=0):
        src, dst = (CLIENT_IP, SERVER_IP) if d == 0 else (SERVER_IP, CLIENT_IP)
        sp, dp = (self.cport, self.sport) if d == 0 else (self.sport, self.cport)
        ack = self.next[1 - d] if flags & ACK else 0
        frames.append((self.t, tcp_frame(src, dst, sp, dp, seq, ack, flags, data, ip_extra)))
        self.t += 1000

    def handshake(self):
        self.emit(0, self.isn[0], SYN)
        self.emit(1, self.isn[1], SYN | ACK)
        self.emit(0, self.next[0], ACK)

    def send(self, d, data, at=None, flags=PSH | ACK):
        """data at stream offset `at` (bytes from the direction's current
        next byte; None: at the next byte, which then advances)."""
        if at is None:
            self.emit(d, self.next[d], flags, data)
            self.next[d] += len(data)
        else:
            self.emit(d, self.next[d] + at, flags, data)

    def advance(self, d, n):
        self.next[d] += n

    def close(self):
        self.emit(0, self.next[0], FIN | ACK)
        self.next[0] += 1
        self.emit(1, self.next[1], FIN | ACK)
        self.next[1] += 1
        self.emit(0, self.next[0], ACK)


def request(path, host, extra=b""):
    return (b"GET " + path.encode() + b" HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
            b"User-Agent: streams.py\r\n" + extra + b"\r\n")


def response(code, body=b"ok"):
    reason = {200: b"OK", 201: b"Created", 204: b"No Content", 302: b"Found", 404: b"Not Found"}[code]
    return (b"HTTP/1.1 %d " % code + reason + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)


expect = {"records": [], "events": {}, "scenarios": {}, "starts": {}, "malformed_on_purpose": []}


def want(conn, typ, **fields):
    expect["records"].append({"scenario": conn.scenario, "type": typ, "client_port": conn.cport,
                              "fields": {k.replace("__", "."): v for k, v in fields.items()}})


def http_record(conn, method, url, host, code, truncated=False):
    want(conn, "HTTP", Method=method, URL=url, Host=host, StatusCode=code, Truncated=truncated,
         SrcIP=ip_str(CLIENT_IP), DstIP=ip_str(SERVER_IP))


# ---- TLS hellos and their fingerprints ------------------------------

def ext(typ, body):
    return struct.pack(">HH", typ, len(body)) + body


def vec16(b):
    return struct.pack(">H", len(b)) + b


def vec8(b):
    return bytes([len(b)]) + b


CH_CIPHERS = [GREASE[2], 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
              0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035]
CH_GROUPS = [GREASE[5], 0x001d, 0x0017, 0x0018]
CH_POINTS = [0]
CH_SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]
CH_ALPN = [b"h2", b"http/1.1"]
SNI = "tls.streams.example"


def client_hello():
    exts = [
        (GREASE[0], b""),
        (0x0000, vec16(b"\x00" + vec16(SNI.encode()))),
        (0x0017, b""),                                             # extended master secret
        (0xff01, b"\x00"),                                         # renegotiation info
        (0x000a, vec16(b"".join(struct.pack(">H", g) for g in CH_GROUPS))),
        (0x000b, vec8(bytes(CH_POINTS))),
        (0x0023, b""),                                             # session ticket
        (0x0010, vec16(b"".join(vec8(p) for p in CH_ALPN))),
        (0x0005, b"\x01\x00\x00\x00\x00"),                         # status request
        (0x000d, vec16(b"".join(struct.pack(">H", s) for s in CH_SIGALGS))),
        (0x0012, b""),                                             # SCT
        (0x0033, vec16(struct.pack(">HH", GREASE[5], 1) + b"\x00"
                       + struct.pack(">HH", 0x001d, 32) + bytes(range(32)))),
        (0x002d, vec8(b"\x01")),                                   # psk modes
        (0x002b, vec8(struct.pack(">HHH", GREASE[7], 0x0304, 0x0303))),
        (0x001b, vec8(struct.pack(">H", 2))),                     # compress certificate: brotli
        (GREASE[11], b"\x00"),
        (0x0015, b"\x00" * 40),                                    # padding
    ]
    body = (struct.pack(">H", 0x0303) + bytes(range(32)) + vec8(bytes(32 * [0x55]))
            + vec16(b"".join(struct.pack(">H", c) for c in CH_CIPHERS)) + vec8(b"\x00")
            + vec16(b"".join(ext(t, b) for t, b in exts)))
    ext_types = [t for t, _ in exts]
    return b"\x01" + struct.pack(">I", len(body))[1:] + body, ext_types


SH_CIPHER = 0x1301
SH_EXTS = [(0x002b, struct.pack(">H", 0x0304)), (0x0033, struct.pack(">HH", 0x001d, 32) + bytes(32))]


def server_hello():
    body = (struct.pack(">H", 0x0303) + bytes(range(100, 132)) + vec8(bytes(32 * [0x55]))
            + struct.pack(">HB", SH_CIPHER, 0) + vec16(b"".join(ext(t, b) for t, b in SH_EXTS)))
    return b"\x02" + struct.pack(">I", len(body))[1:] + body


# TLS 1.0 hellos without an extensions block (RFC 5246 7.4.1.2: optional).
OLD_CIPHERS = [0x0004, 0x0005, 0x000a, 0x002f]
OLD_CIPHER = 0x0004


def old_client_hello():
    body = (struct.pack(">H", 0x0301) + bytes(range(32)) + vec8(b"")
            + vec16(b"".join(struct.pack(">H", c) for c in OLD_CIPHERS)) + vec8(b"\x00"))
    return b"\x01" + struct.pack(">I", len(body))[1:] + body


def old_server_hello():
    body = struct.pack(">H", 0x0301) + bytes(range(32)) + vec8(b"") + struct.pack(">HB", OLD_CIPHER, 0)
    return b"\x02" + struct.pack(">I", len(body))[1:] + body


def old_fingerprints():
    """JA3, JA3S, JA4, JA4S of the hellos without extensions: JA3's empty
    lists stay empty fields; JA4's hash of no extensions is twelve zeros
    (FoxIO: "if there are no ... extensions ... 000000000000")."""
    j3 = hashlib.md5(("769," + dashed(OLD_CIPHERS) + ",,,").encode()).hexdigest()
    j3s = hashlib.md5(f"769,{OLD_CIPHER},".encode()).hexdigest()
    j4 = f"t10i{len(OLD_CIPHERS):02d}0000_" + sha12(",".join(f"{c:04x}" for c in sorted(OLD_CIPHERS))) \
        + "_000000000000"
    j4s = f"t100000_{OLD_CIPHER:04x}_000000000000"
    return j3, j3s, j4, j4s


def dashed(vals):
    return "-".join(str(v) for v in vals if v not in GREASE)


def ja3(ext_types):
    s = ",".join(["771", dashed(CH_CIPHERS), dashed(ext_types), dashed(CH_GROUPS), dashed(CH_POINTS)])
    return hashlib.md5(s.encode()).hexdigest(), s


def ja3s():
    s = ",".join(["771", str(SH_CIPHER), dashed([t for t, _ in SH_EXTS])])
    return hashlib.md5(s.encode()).hexdigest(), s


def sha12(s):
    return hashlib.sha256(s.encode()).hexdigest()[:12]


def ja4(ext_types):
    """FoxIO JA4 (github.com/FoxIO-LLC/ja4, technical_details/JA4.md)."""
    ciphers = [c for c in CH_CIPHERS if c not in GREASE]
    exts = [e for e in ext_types if e not in GREASE]
    alpn = CH_ALPN[0].decode()
    a = f"t13d{len(ciphers):02d}{len(exts):02d}{alpn[0]}{alpn[-1]}"
    b = sha12(",".join(f"{c:04x}" for c in sorted(ciphers)))
    c = sha12(",".join(f"{e:04x}" for e in sorted(e for e in exts if e not in (0x0000, 0x0010)))
              + "_" + ",".join(f"{s:04x}" for s in CH_SIGALGS))
    return f"{a}_{b}_{c}"


def ja4s():
    exts = [t for t, _ in SH_EXTS]
    return f"t13{len(exts):02d}00_{SH_CIPHER:04x}_" + sha12(",".join(f"{e:04x}" for e in exts))


def tls_record(body, ctype=22):
    return struct.pack(">BHH", ctype, 0x0301, len(body)) + body


# ---- the scenarios ---------------------------------------------------

def scenarios():
    port = iter(range(40001, 41000))
    t = T0 * 1000000

    def conn(letter, what, sport=80, **kw):
        nonlocal t
        expect["scenarios"][letter] = what
        expect["starts"][letter] = t // 1000000
        c = Conn(letter, next(port), sport, t, **kw)
        t += 10 * 1000000
        return c

    # a: three segments, third first.
    c = conn("a", "HTTP GET in three segments delivered 3, 1, 2")
    c.handshake()
    req = request("/three-segments-out-of-order", "a.example")
    p1, p2, p3 = req[:9], req[9:30], req[30:]
    c.send(0, p3, at=len(p1) + len(p2))
    c.send(0, p1, at=0)
    c.send(0, p2, at=len(p1))
    c.advance(0, len(req))
    c.send(1, response(200))
    c.close()
    http_record(c, "GET", "/three-segments-out-of-order", "a.example", 200)

    # b: first copy wins, an overlap with other bytes, a retransmission with
    # other bytes.
    c = conn("b", "overlap and retransmission with different data: the first copy wins")
    c.handshake()
    req = request("/first-copy-wins", "b.example")
    evil = request("/evil-second-copy", "evil.example")[:len(req)]
    evil = req[:8] + evil[8:]           # differs from byte 8 on ("GET /fir" alike)
    c.send(0, req[8:], at=8)            # held: ahead of the next byte
    c.send(0, evil, at=0)               # overlaps the held bytes with others
    c.advance(0, len(req))
    c.send(0, evil.replace(b"evil", b"EVIL"), at=-len(req))    # old bytes again
    c.send(1, response(200))
    c.close()
    http_record(c, "GET", "/first-copy-wins", "b.example", 200)

    # c: sequence numbers wrap inside the request and inside the response.
    req = request("/sequence-wraps-past-2-to-the-32", "c.example")
    resp = response(200, b"wrapped body " * 5)
    c = conn("c", "sequence numbers wrap past 2^32 in the request and the response",
             cisn=(1 << 32) - 20, sisn=(1 << 32) - 30)
    c.handshake()
    c.send(0, req[:40])                 # bytes 19..20 of it sit at 2^32 - 1, 0
    c.send(0, req[40:])
    c.send(1, resp[:25])
    c.send(1, resp[25:])
    c.close()
    http_record(c, "GET", "/sequence-wraps-past-2-to-the-32", "c.example", 200)

    # d: a ClientHello in two TLS records over three TCP segments.
    c = conn("d", "ClientHello in two TLS records over three TCP segments, ServerHello", sport=443)
    c.handshake()
    hello, ext_types = client_hello()
    recs = tls_record(hello[:100]) + tls_record(hello[100:])
    cuts = [0, 60, 140, len(recs)]     # inside record 1; the second segment spans the boundary (105)
    for i in range(3):
        c.send(0, recs[cuts[i]:cuts[i + 1]])
    c.send(1, tls_record(server_hello()) + tls_record(b"\x01", ctype=20))
    c.close()
    j3, j3raw = ja3(ext_types)
    s3, s3raw = ja3s()
    # The hello's lists as sent, GREASE values included.
    want(c, "TLSClientHello", SNI=SNI, Ja3=j3, Ja4=ja4(ext_types), SrcIP=ip_str(CLIENT_IP),
         SrcPort=c.cport, DstPort=443, Truncated=False, Extensions=ext_types, CipherSuites=CH_CIPHERS,
         SupportedGroups=CH_GROUPS, SupportedPoints=CH_POINTS, SignatureAlgs=CH_SIGALGS,
         ALPNs=[p.decode() for p in CH_ALPN])
    want(c, "TLSServerHello", Ja3s=s3, Ja4s=ja4s(), SrcIP=ip_str(SERVER_IP), SrcPort=443,
         DstPort=c.cport, CipherSuite=SH_CIPHER, Truncated=False, Extensions=[t for t, _ in SH_EXTS],
         SupportedVersion=0x0304)
    expect["tls"] = {"ja3_raw": j3raw, "ja3s_raw": s3raw}

    # e: a head over 16 KiB, then another request.
    c = conn("e", "request head over 16 KiB (cut, Truncated), then a request that is read")
    c.handshake()
    pad = b"".join(b"X-Pad-%02d: %s\r\n" % (i, b"p" * 500) for i in range(40))
    big = request("/big-head", "e.example", pad)
    assert len(big) > 20000
    after = request("/after-the-big-head", "e.example")
    data = big + after
    for i in range(0, len(data), 1400):
        c.send(0, data[i:i + 1400])
    c.send(1, response(200) + response(201))
    c.close()
    http_record(c, "GET", "/big-head", "e.example", 200, truncated=True)
    http_record(c, "GET", "/after-the-big-head", "e.example", 201)

    # f: three pipelined requests, then their three responses.
    c = conn("f", "three pipelined requests in one segment, then three responses in one")
    c.handshake()
    urls = ["/pipelined-1", "/pipelined-2", "/pipelined-3"]
    codes = [200, 404, 302]
    c.send(0, b"".join(request(u, "f.example") for u in urls))
    c.send(1, b"".join(response(code, b"body-%d" % i) for i, code in enumerate(codes)))
    c.close()
    for u, code in zip(urls, codes):
        http_record(c, "GET", u, "f.example", code)

    # g: a response and no request.
    c = conn("g", "a response without a request")
    c.handshake()
    c.send(1, response(204, b""))
    c.close()
    want(c, "HTTP", Method="", URL="", Host="", StatusCode=204, Truncated=False)

    # h: DNS over TCP.
    c = conn("h", "DNS over TCP: two queries in one segment, one over two segments", sport=53)
    c.handshake()
    names = ["one.streams.example", "two.streams.example", "three.streams.example"]
    msgs = []
    for i, n in enumerate(names):
        m = struct.pack(">HHHHHH", 0x1000 + i, 0x0100, 1, 0, 0, 0) + name(n) + struct.pack(">HH", 1, 1)
        msgs.append(struct.pack(">H", len(m)) + m)
    c.send(0, msgs[0] + msgs[1])
    c.send(0, msgs[2][:9])
    c.send(0, msgs[2][9:])
    c.close()
    for i, n in enumerate(names):
        want(c, "DNS", ID=0x1000 + i, QR=False, Questions__0__Name=n, SrcIP=ip_str(CLIENT_IP),
             SrcPort=c.cport, DstPort=53)

    # j: hellos without extensions.
    c = conn("j", "TLS 1.0 ClientHello and ServerHello without extensions", sport=443)
    c.handshake()
    c.send(0, tls_record(old_client_hello()))
    c.send(1, tls_record(old_server_hello()) + tls_record(b"\x01", ctype=20))
    c.close()
    j3, j3s, j4, j4s = old_fingerprints()
    want(c, "TLSClientHello", SNI="", Ja3=j3, Ja4=j4, SrcPort=c.cport, Truncated=False)
    want(c, "TLSServerHello", Ja3s=j3s, Ja4s=j4s, SrcPort=443, CipherSuite=OLD_CIPHER, Truncated=False)

    # k: a warning alert before the ServerHello.
    c = conn("k", "a warning alert (unrecognized_name) before the ServerHello, one segment", sport=443)
    c.handshake()
    hello, ext_types = client_hello()
    c.send(0, tls_record(hello))
    c.send(1, tls_record(b"\x01\x70", ctype=21) + tls_record(server_hello()) + tls_record(b"\x01", ctype=20))
    c.close()
    want(c, "TLSClientHello", SNI=SNI, Ja3=ja3(ext_types)[0], Ja4=ja4(ext_types), SrcPort=c.cport)
    want(c, "TLSServerHello", Ja3s=ja3s()[0], Ja4s=ja4s(), SrcPort=443, CipherSuite=SH_CIPHER)

    # l: a ClientHello that does not parse, then a good ServerHello.
    c = conn("l", "a ClientHello that does not parse (no compression method), then a ServerHello",
             sport=443)
    c.handshake()
    bad = bytearray(old_client_hello())
    bad[-2] = 0                         # compression methods: none, then a stray byte
    c.send(0, tls_record(bytes(bad)))
    c.send(1, tls_record(old_server_hello()) + tls_record(b"\x01", ctype=20))
    c.close()
    want(c, "TLSClientHello", SrcPort=c.cport, Truncated=True)
    expect["malformed_on_purpose"] = [c.cport]
    want(c, "TLSServerHello", Ja3s=j3s, Ja4s=j4s, SrcPort=443, CipherSuite=OLD_CIPHER, Truncated=False)

    # m: a SYN-ACK whose IP length lies (4,096 bytes more than the whole
    # frame holds), then an ordinary exchange.
    c = conn("m", "a SYN-ACK whose IPv4 total length claims 4,096 bytes the (whole) frame lacks")
    c.emit(0, c.isn[0], SYN)
    c.emit(1, c.isn[1], SYN | ACK, ip_extra=4096)
    c.emit(0, c.next[0], ACK)
    c.send(0, request("/after-a-lying-syn-ack", "m.example"))
    c.send(1, response(200))
    c.close()
    http_record(c, "GET", "/after-a-lying-syn-ack", "m.example", 200)
    expect["malformed_on_purpose"].append(c.cport)

    # i: midstream: no handshake.
    c = conn("i", "a connection picked up midstream (no SYN)", cisn=70000, sisn=90000)
    c.send(0, request("/picked-up-midstream", "i.example"))
    c.send(1, response(200))
    c.close()
    http_record(c, "GET", "/picked-up-midstream", "i.example", 200)

    # The events of these scenarios, as many as they cause: a segment
    # ahead of the next byte in a and in b; one overlap with other bytes
    # and one retransmission (of bytes delivered) in b; one connection
    # without SYN in i. Nothing else is any of these: a pure ACK, the last
    # one of a close included, retransmits nothing. No hole is left open.
    expect["events"] = {
        "TCPStream out-of-order": ["==", 2],            # a, b
        "TCPStream overlap-different-data": ["==", 1],  # b
        "TCPStream retransmission": ["==", 1],          # b
        "TCPStream midstream": ["==", 1],               # i
        "TCPStream gap": ["==", 0],
        "TCPStream memory-exhausted": ["==", 0],
        "TCPStream depth": ["==", 0],
        "HTTP capped": ["==", 1],                       # e
        "HTTP midstream": ["==", 1],                    # g: a response paired with no request
        "TLS bad-length": ["==", 1],                    # l: the hello that does not parse
        "IPv4 bad-length": ["==", 1],                   # m: the lying SYN-ACK
    }


def write_pcap(path):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for ts, b in frames:
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(b), len(b)) + b)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    scenarios()
    write_pcap(os.path.join(out, "streams.pcap"))
    with open(os.path.join(out, "streams.expect.json"), "w") as f:
        json.dump(expect, f, indent=1)


main()
