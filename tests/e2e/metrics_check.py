#!/usr/bin/python3
"""metrics_check.py: checks for tests/e2e/test_metrics.sh.

  metrics_check.py parse FILE            checks FILE is Prometheus text format
                                         0.0.4 (HTTP headers first are skipped);
                                         prints its sample count
  metrics_check.py monotonic A B ...     each file parses, and every counter of
                                         a file is in the next with a value as
                                         large
  metrics_check.py get FILE NAME [L=V..] prints the value of one series
  metrics_check.py summary FILE SUMMARY  netcap: the scrape agrees with the
                                         end-of-run summary (see the test)
  metrics_check.py collect FILE STATS    netcap-collect: per-sensor counters
                                         equal those of the stats file
  metrics_check.py hostile HOST PORT     hostile clients (see the test)
"""
import json
import math
import re
import socket
import sys
import time
import urllib.request

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


class Bad(Exception):
    pass


def parse_labels(s, where):
    """'a="x",b="y"' into a tuple of pairs; escapes \\\\ \\" \\n only."""
    out, i = [], 0
    while i < len(s):
        m = LABEL.match(s, i)
        if not m:
            raise Bad(f"{where}: bad label name at {s[i:]!r}")
        name = m.group(0)
        if name.startswith("__"):
            raise Bad(f"{where}: reserved label name {name}")
        i = m.end()
        if s[i:i + 2] != '="':
            raise Bad(f"{where}: expected =\" after {name}")
        i += 2
        v = []
        while True:
            if i >= len(s):
                raise Bad(f"{where}: unterminated label value")
            c = s[i]
            if c == "\\":
                e = s[i + 1:i + 2]
                if e not in ("\\", '"', "n"):
                    raise Bad(f"{where}: bad escape \\{e}")
                v.append("\n" if e == "n" else e)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise Bad(f"{where}: raw newline in a label value")
            else:
                v.append(c)
                i += 1
        out.append((name, "".join(v)))
        if i < len(s):
            if s[i] != ",":
                raise Bad(f"{where}: expected , at {s[i:]!r}")
            i += 1
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise Bad(f"{where}: a label twice")
    return tuple(sorted(out))


def parse_text(text):
    """{(name, labels): value} and {name: type}; raises Bad."""
    types, helps, samples, done, current = {}, {}, {}, set(), None
    if not text.endswith("\n"):
        raise Bad("the page does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = f"line {n}"
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME.fullmatch(name):
                    raise Bad(f"{where}: bad metric name {name!r}")
                if parts[1] == "TYPE":
                    t = parts[3] if len(parts) > 3 else ""
                    if t not in ("counter", "gauge", "untyped", "summary", "histogram"):
                        raise Bad(f"{where}: bad type {t!r}")
                    if name in types:
                        raise Bad(f"{where}: second TYPE for {name}")
                    if name in done:
                        raise Bad(f"{where}: TYPE for {name} after its samples")
                    types[name] = t
                else:
                    if name in helps:
                        raise Bad(f"{where}: second HELP for {name}")
                    h = parts[3] if len(parts) > 3 else ""
                    if re.search(r"\\[^\\n]", h.replace("\\\\", "")):
                        raise Bad(f"{where}: bad escape in HELP")
                    helps[name] = h
                if current != name and name in done:
                    raise Bad(f"{where}: {name} split in two")
                current = name
            continue
        if not line.strip():
            raise Bad(f"{where}: empty line")
        m = NAME.match(line)
        if not m:
            raise Bad(f"{where}: bad metric name in {line!r}")
        name, rest = m.group(0), line[m.end():]
        labels = ()
        if rest.startswith("{"):
            end = None
            i, inq = 1, False
            while i < len(rest):
                c = rest[i]
                if inq and c == "\\":
                    i += 2
                    continue
                if c == '"':
                    inq = not inq
                elif c == "}" and not inq:
                    end = i
                    break
                i += 1
            if end is None:
                raise Bad(f"{where}: unterminated labels")
            labels = parse_labels(rest[1:end], where)
            rest = rest[end + 1:]
        fields = rest.split(" ")
        if len(fields) not in (2, 3) or fields[0] != "":
            raise Bad(f"{where}: expected ' value [timestamp]' in {line!r}")
        v = fields[1]
        if v in ("+Inf", "-Inf", "NaN"):
            value = float(v.replace("Inf", "inf").replace("NaN", "nan"))
        else:
            try:
                value = float(v)
            except ValueError:
                raise Bad(f"{where}: bad value {v!r}")
            if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", v):
                raise Bad(f"{where}: bad value {v!r}")
        if name != current:
            if name in done:
                raise Bad(f"{where}: samples of {name} split")
            if current:
                done.add(current)
            current = name
        if name not in types:
            raise Bad(f"{where}: {name} has no TYPE line before it")
        key = (name, labels)
        if key in samples:
            raise Bad(f"{where}: series twice: {key}")
        samples[key] = value
    for name, t in types.items():
        if t == "counter" and not name.endswith("_total"):
            raise Bad(f"counter {name} does not end in _total")
        if name not in helps:
            raise Bad(f"{name} has no HELP")
    return samples, types


def load(path):
    data = open(path, "rb").read()
    if data.startswith(b"HTTP/"):
        head, _, data = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise Bad(f"{path}: {head.splitlines()[0]!r}")
        if b"text/plain; version=0.0.4" not in head:
            raise Bad(f"{path}: content type: {head!r}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Bad(f"{path}: not UTF-8: {e}")
    try:
        return parse_text(text)
    except Bad as e:
        raise Bad(f"{path}: {e}")


def value(samples, name, **labels):
    want = tuple(sorted(labels.items()))
    for (n, l), v in samples.items():
        if n == name and all(p in l for p in want):
            return v
    return None


def series(samples, name):
    return {l: v for (n, l), v in samples.items() if n == name}


def cmd_monotonic(paths):
    prev = None
    for p in paths:
        s, t = load(p)
        if prev:
            ps, pt = prev
            for (n, l), v in ps.items():
                if pt.get(n) != "counter":
                    continue
                if (n, l) not in s:
                    raise Bad(f"{p}: counter {n}{dict(l)} gone")
                if s[(n, l)] < v:
                    raise Bad(f"{p}: counter {n}{dict(l)} went from {v} to {s[(n, l)]}")
        prev = (s, t)
    print(f"monotonic over {len(paths)} scrapes")


# Record types made per packet, at once (worker.c): final once the packets
# are decoded. Flow and stream types are written at the end too.
LAYER_TYPES = {"Ethernet", "Dot1Q", "IPv4", "IPv6", "TCP", "UDP", "ARP", "ICMPv4", "ICMPv6",
               "IPv6HopByHop", "IGMP", "LLC", "SNAP"}


def cmd_summary(path, summary_path):
    s, _ = load(path)
    text = open(summary_path).read()
    m = re.search(r"^  packets\s+(\d+) \((\d+) bytes\)", text, re.M)
    if not m:
        raise Bad("no packets line in the summary")
    packets, nbytes = int(m.group(1)), int(m.group(2))
    recs = {t: int(n) for t, n in re.findall(r"^    (\w+)\s+(\d+) records", text, re.M)}
    m = re.search(r"^  drops\s+(\d+) ", text, re.M)
    drops = int(m.group(1)) if m else None
    ok = True

    def check(what, got, want, equal=True):
        nonlocal ok
        good = got == want if equal else (got is not None and got <= want)
        print(f"  {what:<34} scrape {got!s:>10}  summary {want!s:>10}{'' if good else '   MISMATCH'}")
        ok &= good

    check("packets", value(s, "netcap_packets_total"), packets)
    check("bytes", value(s, "netcap_bytes_total"), nbytes)
    check("packets (lcore sum)", sum(series(s, "netcap_lcore_packets_read_total").values()), packets)
    check("packets (queue sum)", sum(series(s, "netcap_queue_received_packets_total").values()), packets)
    if drops is not None:
        check("drops", sum(series(s, "netcap_drops_total").values()), drops)
    scraped = {dict(l)["type"]: v for l, v in series(s, "netcap_records_total").items()}
    for t in sorted(set(recs) | set(scraped)):
        got = scraped.get(t, 0)
        if t in LAYER_TYPES:
            check(f"records {t}", got, recs.get(t, 0))
        else:
            check(f"records {t} (at most)", got, recs.get(t, 0), equal=False)
    if not any(t in LAYER_TYPES for t in scraped):
        print("  no layer records scraped")
        ok = False
    if not ok:
        raise Bad("the last scrape disagrees with the summary")


def cmd_collect(path, stats_path):
    s, _ = load(path)
    st = json.load(open(stats_path))
    ok = True
    for k, name in (("datagrams", "netcap_collect_datagrams_total"), ("accepted", "netcap_collect_accepted_total"),
                    ("receive_errors", "netcap_collect_receive_errors_total")):
        got = value(s, name)
        print(f"  {k:<16} scrape {got}  stats {st[k]}")
        ok &= got == st[k]
    for cause, n in st["drops"].items():
        got = value(s, "netcap_collect_drops_total", cause=cause)
        ok &= got == n
        if got != n:
            print(f"  drops {cause}: scrape {got}, stats {n}")
    seen = 0
    for sen in st["sensors"]:
        if sen["id"] is None and not sen["dropped"]:
            continue
        seen += 1
        lab = {"key": sen["key"]}
        for k in ("datagrams", "records", "bytes", "batches", "records_lost", "epochs"):
            got = value(s, f"netcap_collect_sensor_{k}_total", **lab)
            ok &= got == sen[k]
            print(f"  sensor {sen['id']} {k:<14} scrape {got}  stats {sen[k]}")
        got = value(s, "netcap_collect_sensor_gaps", **lab)
        ok &= got == sen["gaps"]
        if sen["id"] is not None and value(s, "netcap_collect_sensor_records_total", **lab) is not None:
            sl = [dict(l) for l in series(s, "netcap_collect_sensor_records_total") if dict(l)["key"] == sen["key"]]
            ok &= sl[0]["sensor"] == sen["id"]
        last = value(s, "netcap_collect_sensor_last_seen_timestamp_seconds", **lab)
        if sen["last_seen_ns"]:
            ok &= last is not None and abs(last - sen["last_seen_ns"] / 1e9) < 1e-3
            print(f"  sensor {sen['id']} last seen     scrape {last}  stats {sen['last_seen_ns'] / 1e9}")
        for cause, n in sen["drops"].items():
            ok &= value(s, "netcap_collect_sensor_drops_total", cause=cause, **lab) == n
    if not seen:
        print("  no sensor in the stats file")
        ok = False
    if not ok:
        raise Bad("the scrape disagrees with the stats file")


def raw(host, port, data, timeout=10.0, close_write=True):
    """Sends data, returns the answer until the server closes."""
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(data)
        if close_write:
            s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                return out
            out += b
    finally:
        s.close()


def status(answer):
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", answer)
    return int(m.group(1)) if m else None


def scrape(host, port):
    t = time.monotonic()
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=15) as r:
        body = r.read().decode()
    parse_text(body)
    return time.monotonic() - t


def cmd_hostile(host, port):
    port = int(port)

    def expect(what, got, want):
        print(f"  {what}: {got}")
        if got != want:
            raise Bad(f"{what}: {got}, expected {want}")

    expect("overlong request line (64 KiB)", status(raw(host, port, b"GET /" + b"a" * 65536 + b" HTTP/1.1\r\n\r\n", close_write=False)), 414)
    expect("overlong headers", status(raw(host, port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 2000 + b"\r\n", close_write=False)), 431)
    expect("garbage", status(raw(host, port, bytes(range(256)) * 4, close_write=False)), 400)
    expect("TLS hello", status(raw(host, port, bytes.fromhex("160301020001000200030300") + b"\x00" * 64, close_write=False)), 400)
    expect("half a request, then EOF", status(raw(host, port, b"GET /metrics HTTP/1.1\r\nHo")), 400)
    expect("no Host", status(raw(host, port, b"GET /metrics HTTP/1.1\r\n\r\n")), 400)
    expect("a body", status(raw(host, port, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")), 400)
    expect("POST", status(raw(host, port, b"POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n")), 405)
    expect("GET /", status(raw(host, port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")), 404)
    # Slowloris: a connection that sends nothing does not hold the server.
    idle = socket.create_connection((host, port))
    took = scrape(host, port)
    print(f"  scrape beside an idle connection: {took:.2f} s")
    if took > 2:
        raise Bad(f"a scrape beside an idle connection took {took:.2f} s")
    # One byte every second: cut off 5 s after it connected (408).
    slow = socket.create_connection((host, port), timeout=15)
    t = time.monotonic()
    got = b""
    try:
        for c in b"GET /metrics HTTP/1.1\r\nHost: x\r\n":
            slow.send(bytes([c]))
            time.sleep(1)
            if time.monotonic() - t > 12:
                break
    except OSError:
        pass
    try:
        slow.settimeout(5)
        got = slow.recv(4096)
    except OSError:
        pass
    slow.close()
    took = time.monotonic() - t
    print(f"  one byte a second: cut after {took:.1f} s, answer {status(got)}")
    if took > 9 or status(got) not in (408, None):
        raise Bad(f"a slow client held its connection {took:.1f} s (answer {got[:40]!r})")
    # Every slot taken by idle connections: a scrape waits at most until
    # they time out (5 s), then works.
    idles = [socket.create_connection((host, port)) for _ in range(12)]
    took = scrape(host, port)
    print(f"  scrape behind 12 idle connections: {took:.2f} s")
    if took > 8:
        raise Bad(f"a scrape behind idle connections took {took:.2f} s")
    for s in idles + [idle]:
        s.close()
    took = scrape(host, port)
    print(f"  scrape after: {took:.2f} s")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    try:
        if cmd == "parse":
            s, t = load(args[0])
            print(f"{len(s)} samples in {len(t)} families")
        elif cmd == "monotonic":
            cmd_monotonic(args)
        elif cmd == "get":
            s, _ = load(args[0])
            labels = dict(a.split("=", 1) for a in args[2:])
            v = value(s, args[1], **labels)
            if v is None:
                raise Bad(f"no {args[1]} {labels} in {args[0]}")
            print(int(v) if v == int(v) else v)
        elif cmd == "summary":
            cmd_summary(args[0], args[1])
        elif cmd == "collect":
            cmd_collect(args[0], args[1])
        elif cmd == "hostile":
            cmd_hostile(args[0], args[1])
        else:
            raise Bad(f"unknown command {cmd}")
    except Bad as e:
        print(f"metrics_check: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
