#!/usr/bin/env bash
# seed_metrics.sh OUTDIR: seeds for fuzz_metrics (input: a step byte, then
# what a client sends): scrapes as Prometheus, curl and wget send them,
# HEAD, HTTP/1.0, every error the parser knows (other paths and methods,
# bodies, folded and nameless headers, control bytes, overlong lines).
set -euo pipefail
out=$1
mkdir -p "$out"
python3 - "$out" <<'PY'
import os, sys
out = sys.argv[1]
reqs = {
    "prometheus": b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9100\r\nUser-Agent: Prometheus/2.45.0\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\nAccept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n",
    "curl": b"GET /metrics HTTP/1.1\r\nHost: localhost:9100\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n",
    "head": b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    "http10": b"GET /metrics HTTP/1.0\r\n\r\n",
    "query": b"GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n",
    "bare-lf": b"GET /metrics HTTP/1.1\nHost: x\n\n",
    "other-path": b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n",
    "post": b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
    "chunked": b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    "no-host": b"GET /metrics HTTP/1.1\r\n\r\n",
    "folded": b"GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
    "nameless": b"GET /metrics HTTP/1.1\r\n: v\r\nHost: x\r\n\r\n",
    "control": b"GET /met\x01rics HTTP/1.1\r\nHost: x\r\n\r\n",
    "version": b"GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n",
    "long-line": b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n",
    "many-headers": b"GET /metrics HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(80)) + b"\r\n",
    "cut": b"GET /metrics HTTP/1.1\r\nHost:",
    "pipelined": b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
}
for name, req in reqs.items():
    for step in (0, 6, 255):
        with open(os.path.join(out, "%s-%d" % (name, step)), "wb") as f:
            f.write(bytes([step]) + req[:11999])
PY
