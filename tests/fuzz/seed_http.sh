#!/usr/bin/env bash
# seed_http.sh OUTDIR: seeds for fuzz_http (its input format is in
# tests/fuzz/fuzz_http.c): a GET and its response, pipelined requests,
# chunked bodies with extensions and trailers, a POSTed form, cookies,
# 100 Continue, HEAD, 304, 101 and CONNECT, a response read to FIN, a gap
# inside a body and one in a head, a head over the cap, garbage, request
# smuggling shapes, one-byte calls and the pool nearly exhausted.
set -euo pipefail
out=$1
mkdir -p "$out"
python3 - "$out" <<'PY'
import os, sys
out = sys.argv[1]

def data(d, b, piece=0):
    """Operations sending bytes b in direction d (in calls of piece bytes)."""
    ops = b""
    ctl = (d << 2) | ((8 | ((piece - 1) << 4)) if piece else 0)
    for i in range(0, len(b), 255):
        part = b[i:i + 255]
        ops += bytes([ctl, len(part)]) + part
    return ops
def gap(d, n): return bytes([2 | (d << 2), n])
def fin(d): return bytes([3 | (d << 2), 0])
def cfg(head=4, body=0, disabled=False, tiny=False, drain=False):
    return bytes([head | (body << 3) | (0x20 if disabled else 0) | (0x40 if tiny else 0) | (0x80 if drain else 0)])

get = b"GET /index.html?a=1&b=%41+c HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8\r\nCookie: a=b; c=\"d\"\r\n\r\n"
ok = b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\n<html></html>"
chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: id=1; Path=/; Expires=Wed, 21 Oct 2015 07:28:00 GMT; "
           b"Max-Age=60; Secure; HttpOnly; SameSite=Lax\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n")
form = b"POST /f HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\na=1&b=%7E"
seeds = {
    "get": cfg() + data(0, get) + data(1, ok),
    "get-bodies": cfg(body=2) + data(0, get) + data(1, ok),
    "pipelined": cfg() + data(0, get * 3) + data(1, ok * 2 + chunked),
    "chunked-bytes": cfg(body=1) + data(0, get) + data(1, chunked, piece=1),
    "form": cfg(body=3) + data(0, form) + data(1, b"HTTP/1.1 204 No Content\r\n\r\n"),
    "continue-head-304": cfg() + data(0, b"POST /u HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok"
                                      b"HEAD / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n")
        + data(1, b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
                  b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n"),
    "upgrade": cfg() + data(0, b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n") + data(1, b"HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x00") + data(0, b"\x81\x80"),
    "connect": cfg() + data(0, b"CONNECT a:443 HTTP/1.1\r\n\r\n\x16\x03\x01") + data(1, b"HTTP/1.1 200 OK\r\n\r\n\x16\x03\x03"),
    "to-fin": cfg(body=2) + data(0, b"GET / HTTP/1.0\r\n\r\n") + data(1, b"HTTP/1.0 200 OK\r\n\r\n\x89PNG\r\n\x1a\n") + fin(1) + fin(0),
    "gap-in-body": cfg(body=2) + data(0, get * 2) + data(1, ok[:-8]) + gap(1, 4) + data(1, ok[-4:] + ok),
    "gap-in-head": cfg() + data(0, get[:20]) + gap(0, 30) + data(1, ok),
    "head-over-cap": cfg(head=0) + data(0, b"GET /" + b"x" * 300 + b" HTTP/1.1\r\nH: " + b"y" * 200 + b"\r\n\r\n") + data(1, ok),
    "garbage": cfg() + data(0, b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03") + data(1, b"SSH-2.0-x\r\n"),
    "smuggling": cfg() + data(0, b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                              b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
    "one-byte": cfg() + data(0, get, piece=1) + data(1, ok, piece=1),
    "tiny-pool": cfg(head=7, body=3, tiny=True) + data(0, form * 6) + data(1, chunked * 3),
    "disabled": cfg(disabled=True) + data(0, get * 2) + data(1, ok + chunked),
    "drain": cfg(drain=True) + data(0, get * 8) + data(1, ok * 8),
    "response-only": cfg() + data(1, ok + ok),
    # Request heads over several blocks (2032 bytes each), answered in turn.
    "straddle": cfg(head=7, body=3) + data(0, (b"GET /" + b"s" * 120 + b" HTTP/1.1\r\nHost: h\r\n\r\n") * 20)
        + data(1, ok * 20, piece=16),
}
for name, blob in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(blob)
PY
