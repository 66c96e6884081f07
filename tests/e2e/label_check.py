#!/usr/bin/env python3
"""label_check.py: the oracle of test_label_e2e.sh. Checks netcap-label's
output (OUTDIR/<Type>_labeled.csv, unmatched_alerts.csv, the summary on
stderr) against Suricata's eve.json, read here with the standard library
only, by a plain linear scan: for every alert, every record of every
labeled file is tried against the matching rules of docs/labeling.md
("Matching rules"). Nothing of lib/label is reused: no index, no sorting
by key, no binary search.

  label_check.py check --eve EVE --dir OUT [--collect] [--description]
      [--exclude CLASS]... [--summary STDERR] [--lands] [--ipv6]
      [--tolerance-ns N] [--slack-ns N]
    Every record's Label is the text the documented rules give (the alerts
    it is reached by, after --exclude; the most severe one, or every
    distinct label with --collect); each record an alert reaches carries
    that alert's label; every record no alert reaches is `normal`; every
    labeled record is reached; unmatched_alerts.csv lists exactly the
    alerts that reach no record; the summary's figures are the files'.
    --lands: every alert reaches the Connection, Flow and NetworkFlow
    records of its flow and the per-packet records of its packet (Ethernet,
    IPv4/IPv6, TCP/UDP/ICMPv4/ICMPv6, DNS for DNS alerts; an alert Suricata
    raised on the pseudo-packet of a flow's timeout, without pcap_cnt, has
    no packet) and HTTP/TLS alerts the HTTP/TLSClientHello record of their
    connection. --ipv6: IPv6 alerts
    label IPv6 records and the TCP records of IPv6 packets.

  label_check.py strict --eve EVE --dir OUT --stderr FILE --plain DIR
      [--exclude CLASS]...
    OUT is a --strict run over the records of DIR (a run of the same
    records without --strict and without --collect): the types with a
    record reached by alerts of two classifications are not written and
    stderr names their first such record (its number in the file, from 1)
    and the classes; the other types are byte for byte DIR's.

  label_check.py select --full DIR --sel DIR --fields F1,F2 --types T1,T2
    The --select run (of the types T1,T2) has exactly the fields named then
    Label, and the rows of the full run's columns.

Records: the CSV netcap-label writes without --utc (Timestamp in integer
ns). Alerts: eve.json's timestamps (microseconds, with their offset).
Exit status 0 when everything holds, 1 with the failures on stderr.
"""
import argparse
import csv
import ipaddress
import json
import os
import re
import sys
import calendar

csv.field_size_limit(1 << 30)

TOLERANCE_NS = 1000            # LABEL_TOLERANCE_DEFAULT_NS, docs: "1 us"
SLACK_NS = 5 * 1000000000      # docs: the application slack, 5 s
NETWORK_TYPES = {"IPv4", "IPv6", "IPv6Fragment"}
APP_TYPES = {"HTTP", "TLSClientHello", "TLSServerHello"}
# The IP protocol a record type carries (docs: TCP, UDP, SCTP records take
# only alerts of their protocol; HTTP and TLS are TCP); None: any.
TYPE_PROTO = {"TCP": 6, "UDP": 17, "SCTP": 132, "HTTP": 6, "TLSClientHello": 6,
              "TLSServerHello": 6}
PROTO_NAMES = {"TCP": 6, "UDP": 17, "ICMP": 1, "IPV6-ICMP": 58, "SCTP": 132,
               "ICMPV4": 1, "ICMPV6": 58}

failures = []


def fail(msg):
    failures.append(msg)


def finish(what):
    if failures:
        for f in failures[:40]:
            print("FAIL: " + f, file=sys.stderr)
        if len(failures) > 40:
            print("FAIL: ... and %d more" % (len(failures) - 40), file=sys.stderr)
        sys.exit(1)
    print("ok: " + what)


def proto_number(name):
    if name is None or name == "":
        return None
    if isinstance(name, int):
        return name
    if name.isdigit():
        return int(name)
    up = name.upper()
    if up in PROTO_NAMES:
        return PROTO_NAMES[up]
    try:
        with open("/etc/protocols") as f:
            for line in f:
                parts = line.split("#")[0].split()
                if len(parts) >= 2 and (parts[0].upper() == up or
                                        any(p.upper() == up for p in parts[2:])):
                    return int(parts[1])
    except OSError:
        pass
    return None


TS_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?"
                   r"(Z|[+-]\d\d(?::?\d\d)?)$")


def eve_time_ns(text):
    m = TS_RE.match(text)
    if not m:
        raise ValueError("timestamp %r" % text)
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    frac = (m.group(7) or "").ljust(9, "0")
    off = m.group(8)
    off_s = 0
    if off != "Z":
        sign = -1 if off[0] == "-" else 1
        digits = off[1:].replace(":", "")
        off_s = sign * (int(digits[:2]) * 3600 + (int(digits[2:4]) * 60 if len(digits) > 2 else 0))
    secs = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) - off_s
    return secs * 1000000000 + int(frac)


class Alert:
    __slots__ = ("no", "line", "ts", "src", "dst", "sport", "dport", "proto", "sid",
                 "signature", "classification", "priority", "version", "raw_proto",
                 "pseudo", "flow_start")


# Whether alerts carry eve.json's flow start (off for a --fast run).
FLOW_START = True


def read_eve(path):
    alerts = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            ev = json.loads(line)
            if ev.get("event_type") != "alert":
                continue
            if "src_ip" not in ev or "dest_ip" not in ev:
                continue  # a decoder event: no tuple, not read (docs)
            a = Alert()
            a.no = len(alerts)
            a.line = line_no
            a.ts = eve_time_ns(ev["timestamp"])
            a.src = ipaddress.ip_address(ev["src_ip"])
            a.dst = ipaddress.ip_address(ev["dest_ip"])
            a.version = a.src.version
            a.sport = ev.get("src_port", 0)
            a.dport = ev.get("dest_port", 0)
            a.raw_proto = ev["proto"]
            a.proto = proto_number(ev["proto"])
            al = ev["alert"]
            a.sid = al["signature_id"]
            a.signature = al.get("signature", "")
            a.classification = al.get("category", "")
            a.priority = al.get("severity", 3)
            # Raised on a pseudo-packet Suricata makes when it flushes a
            # flow (at its timeout or at the end of the capture): no packet
            # of the capture is the alert's.
            a.pseudo = "pcap_cnt" not in ev or "flow timeout" in ev.get("pkt_src", "")
            # The flow's start (eve.json only: a --fast run has none).
            start = ev.get("flow", {}).get("start")
            a.flow_start = eve_time_ns(start) if start and FLOW_START else 0
            alerts.append(a)
    return alerts


def label_of(a, description):
    if description or not a.classification:
        return a.signature
    return a.classification


def expected_text(alerts, description, collect):
    """The Label of a record reached by alerts (already without the
    excluded ones), by docs/labeling.md "The Label column"."""
    if not alerts:
        return "normal"
    order = sorted(alerts, key=lambda a: (a.ts, a.sid, a.no))
    if collect:
        seen = []
        for a in order:
            l = label_of(a, description)
            if l not in seen:
                seen.append(l)
        return " | ".join(seen)
    best = order[0]
    for a in order[1:]:
        if a.priority < best.priority:
            best = a
    return label_of(best, description)


def addr(text):
    if not text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def port(text):
    if text == "" or text is None:
        return None
    try:
        v = int(text)
    except ValueError:
        return -1
    return v if 0 <= v <= 65535 else -1


class Table:
    """One <Type>_labeled.csv: its family by the documented rules, decided
    from the columns it has, and its rows."""

    def __init__(self, name, path):
        self.name = name
        self.path = path
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        if not rows:
            raise ValueError("%s: empty" % path)
        self.header = rows[0]
        self.rows = rows[1:]
        for i, r in enumerate(self.rows):
            if len(r) != len(self.header):
                raise ValueError("%s: row %d has %d cells, header %d" %
                                 (path, i + 1, len(r), len(self.header)))
        if self.header[-1] != "Label":
            raise ValueError("%s: last column %r, not Label" % (path, self.header[-1]))
        c = {n: i for i, n in enumerate(self.header)}
        self.col = c
        has = lambda *n: all(x in c for x in n)
        addrs, ports = has("SrcIP", "DstIP"), has("SrcPort", "DstPort")
        self.proto = TYPE_PROTO.get(name)
        if has("TimestampFirst", "TimestampLast"):
            self.family = "flow" if addrs else "none"
        elif not has("Timestamp"):
            self.family = "none"
        elif name in APP_TYPES:
            self.family = "app" if addrs and (name == "HTTP" or ports) else "none"
        elif addrs and ports and name not in NETWORK_TYPES:
            self.family = "tuple"
        elif addrs:
            self.family = "addrs"
        else:
            self.family = "time"
        self.has_ports = ports
        # Per row: what matching needs, parsed once.
        self.recs = []
        for r in self.rows:
            rec = {}
            if self.family == "flow":
                rec["t0"], rec["t1"] = int(r[c["TimestampFirst"]]), int(r[c["TimestampLast"]])
            elif self.family != "none":
                rec["t0"] = rec["t1"] = int(r[c["Timestamp"]])
            if addrs:
                rec["a"], rec["b"] = addr(r[c["SrcIP"]]), addr(r[c["DstIP"]])
                rec["empty"] = r[c["SrcIP"]] == "" and r[c["DstIP"]] == ""
            if ports:
                rec["ap"], rec["bp"] = port(r[c["SrcPort"]]), port(r[c["DstPort"]])
            if "TransportProto" in c:
                rec["tp"] = r[c["TransportProto"]]
            if "DoneAfter" in c:
                rec["done"] = int(r[c["DoneAfter"]] or 0)
            self.recs.append(rec)

    def label(self, i):
        return self.rows[i][-1]


def same_addrs(rec, a):
    x, y = rec.get("a"), rec.get("b")
    if x is None or y is None or x.version != y.version or x.version != a.version:
        return False
    return (x == a.src and y == a.dst) or (x == a.dst and y == a.src)


def same_tuple(rec, a):
    x, y, xp, yp = rec.get("a"), rec.get("b"), rec.get("ap"), rec.get("bp")
    if x is None or y is None or x.version != y.version or x.version != a.version:
        return False
    return ((x == a.src and xp == a.sport and y == a.dst and yp == a.dport) or
            (x == a.dst and xp == a.dport and y == a.src and yp == a.sport))


def ports_ok(rec):
    """Both ports readable, or both absent (docs: "Bad records")."""
    ap, bp = rec.get("ap"), rec.get("bp")
    if ap == -1 or bp == -1:
        return None
    if (ap is None) != (bp is None):
        return None
    return ap is not None


def reaches(t, rec, a, tol, slack):
    """Whether alert a matches record rec of table t, by docs/labeling.md's
    "Matching rules" table."""
    f = t.family
    if f == "none":
        return False
    if f in ("tuple", "addrs", "time"):
        if abs(rec["t0"] - a.ts) > tol:
            return False
        if f == "time":
            return True
        if f == "addrs":
            return same_addrs(rec, a)
        if t.proto is not None and a.proto != t.proto:
            return False
        return ports_ok(rec) is not None and same_tuple(rec, a)
    if f == "flow":
        if rec["t1"] < rec["t0"] or rec.get("empty"):
            return False
        have = ports_ok(rec) if t.has_ports else False
        if have is None:
            return False
        proto = proto_number(rec.get("tp", ""))
        in_span = rec["t0"] - tol <= a.ts <= rec["t1"] + tol
        # An alert stamped after the record's end whose flow (eve.json's
        # flow.start) started in the span or the slack before it: raised
        # when Suricata flushed the flow. Exact tuples only (ports and a
        # known protocol).
        late = (have and proto is not None and a.flow_start and a.ts > rec["t1"] + tol and
                rec["t0"] - slack - tol <= a.flow_start <= rec["t1"] + tol)
        if not (in_span or late):
            return False
        if proto is not None and a.proto != proto:
            return False
        if have:
            return same_tuple(rec, a)
        return same_addrs(rec, a)
    if f == "app":
        end = rec["t0"] + max(rec.get("done", 0), 0) + slack
        if not (rec["t0"] - tol <= a.ts <= end + tol) or a.proto != 6:
            return False
        if t.has_ports:
            return ports_ok(rec) and same_tuple(rec, a)
        return same_addrs(rec, a)
    raise AssertionError(f)


def load_tables(d):
    tables = {}
    for fn in sorted(os.listdir(d)):
        if fn.endswith("_labeled.csv"):
            name = fn[: -len("_labeled.csv")]
            tables[name] = Table(name, os.path.join(d, fn))
    return tables


def scan(alerts, tables, tol, slack):
    """reached[type][row] = alerts reaching that record; hits[alert] = the
    (type, row) it reaches. A plain scan: every alert against every
    record."""
    reached = {n: [[] for _ in t.rows] for n, t in tables.items()}
    hits = [[] for _ in alerts]
    for a in alerts:
        for n, t in tables.items():
            rr = reached[n]
            for i, rec in enumerate(t.recs):
                if reaches(t, rec, a, tol, slack):
                    rr[i].append(a)
                    hits[a.no].append((n, i))
    return reached, hits


def describe(a):
    return "alert line %d sid %d %s %s:%s -> %s:%s at %d ns (%s)%s" % (
        a.line, a.sid, a.raw_proto, a.src, a.sport, a.dst, a.dport, a.ts,
        a.classification or a.signature, " on a flow-timeout pseudo-packet" if a.pseudo else "")


def row_text(t, i, width=160):
    s = ",".join(t.rows[i])
    return "%s row %d: %s" % (t.name, i + 1, s if len(s) <= width else s[:width] + "...")


def cmd_check(o):
    global FLOW_START
    FLOW_START = not o.fast
    alerts = read_eve(o.eve)
    tables = load_tables(o.dir)
    if not tables:
        fail("%s: no _labeled.csv file" % o.dir)
    excl = set(o.exclude or [])
    reached, hits = scan(alerts, tables, o.tolerance_ns, o.slack_ns)

    n_records = n_labeled = 0
    per_type = {}
    for n, t in tables.items():
        lab = 0
        for i in range(len(t.rows)):
            got = t.label(i)
            kept = [a for a in reached[n][i] if a.classification not in excl]
            want = expected_text(kept, o.description, o.collect)
            if got != "normal":
                lab += 1
            parts = got.split(" | ")
            if not kept and got != "normal":
                fail("%s is labeled %r but no alert reaches it" % (row_text(t, i), got))
                continue
            for a in kept:
                if label_of(a, o.description) not in parts and o.collect:
                    fail("%s: Label %r lacks %r of %s" % (row_text(t, i), got,
                                                        label_of(a, o.description), describe(a)))
            if got != want:
                fail("%s: Label %r, expected %r (reached by: %s)" % (
                    row_text(t, i), got, want, "; ".join(describe(a) for a in reached[n][i])))
        per_type[n] = (lab, len(t.rows))
        n_records += len(t.rows)
        n_labeled += lab

    # Records matched only through the tolerance, not at the same microsecond:
    # informative (docs: "At T" means within the tolerance).
    by_tol = 0
    for n, t in tables.items():
        if t.family in ("tuple", "addrs", "time"):
            for i, rec in enumerate(t.recs):
                for a in reached[n][i]:
                    if rec["t0"] // 1000 != a.ts // 1000:
                        by_tol += 1

    # The unmatched list: exactly the alerts reaching no record.
    um_path = os.path.join(o.dir, "unmatched_alerts.csv")
    listed = set()
    if not os.path.exists(um_path):
        fail("%s missing" % um_path)
    else:
        with open(um_path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        hdr = rows[0] if rows else []
        want_hdr = ["Timestamp", "Source", "Line", "Protocol", "SrcIP", "SrcPort", "DstIP",
                    "DstPort", "Gid", "Sid", "Rev", "Priority", "Classification", "Signature"]
        if hdr != want_hdr:
            fail("%s: header %r" % (um_path, hdr))
        # A --fast run lists fast.log's lines: its rows are found by what
        # they say instead.
        by_line = {a.line: a for a in alerts}
        by_what = {(a.sid, fmt_utc(a.ts), a.src, a.sport, a.dst, a.dport): a for a in alerts}
        for r in rows[1:]:
            rec = dict(zip(hdr, r))
            try:
                line = int(rec["Line"])
                what = (int(rec["Sid"]), rec["Timestamp"], addr(rec["SrcIP"]), int(rec["SrcPort"]),
                        addr(rec["DstIP"]), int(rec["DstPort"]))
            except (KeyError, ValueError):
                fail("%s: row %r" % (um_path, r))
                continue
            a = by_line.get(line) if FLOW_START else by_what.get(what)
            if a is None:
                fail("%s: line %d is no alert of %s" % (um_path, line, o.eve))
                continue
            listed.add(a.no)
            if int(rec["Sid"]) != a.sid or addr(rec["SrcIP"]) != a.src or \
               addr(rec["DstIP"]) != a.dst or int(rec["SrcPort"]) != a.sport or \
               int(rec["DstPort"]) != a.dport:
                fail("%s: row %r is not %s" % (um_path, r, describe(a)))
            if rec["Timestamp"] != fmt_utc(a.ts):
                fail("%s: row %r: Timestamp, expected %s" % (um_path, r, fmt_utc(a.ts)))
        for a in alerts:
            if hits[a.no] and a.no in listed:
                fail("%s listed as unmatched but reaches %s" % (describe(a), hits[a.no][:3]))
            if not hits[a.no] and a.no not in listed:
                fail("%s reaches no record and is not in %s" % (describe(a), um_path))
    n_unmatched = sum(1 for a in alerts if not hits[a.no])

    if o.lands:
        check_lands(alerts, tables, hits, reached)
    if o.ipv6:
        check_ipv6(alerts, tables, hits)
    if o.summary:
        check_summary(o.summary, alerts, per_type, n_records, n_labeled, n_unmatched)
    finish("%s: %d alerts (%d reach no record), %d records in %d files, %d labeled, "
           "%d alert-record pairs within the tolerance but not the same microsecond" % (
               o.dir, len(alerts), n_unmatched, n_records, len(tables), n_labeled, by_tol))


def fmt_utc(ns):
    import time
    s, frac = divmod(ns, 1000000000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%06dZ" % (frac // 1000)


def check_lands(alerts, tables, hits, reached):
    """Every alert reaches the flow records of its flow and the per-packet
    records of its packet (an alert on a pseudo-packet has no packet: only
    its flow's records)."""
    for a in alerts:
        types = {n for n, _ in hits[a.no]}
        # An alert on a pseudo-packet, stamped after its flow, reaches the
        # flow's Connection and Flow records through its flow start, which
        # only eve.json gives (not NetworkFlow, matched by addresses).
        want = ["Connection", "Flow", "NetworkFlow"]
        if a.pseudo:
            want = ["Connection", "Flow"] if a.flow_start else []
        if not a.pseudo:
            want.append("IPv4" if a.version == 4 else "IPv6")
            if "Ethernet" in tables:
                want.append("Ethernet")
            want.append({6: "TCP", 17: "UDP", 1: "ICMPv4", 58: "ICMPv6"}.get(a.proto, "?"))
        if a.signature == "DNS query":
            want.append("DNS")
        for n in want:
            if n not in tables:
                fail("%s: no %s_labeled.csv to land on" % (describe(a), n))
            elif n not in types:
                fail("%s reaches no %s record" % (describe(a), n))
        # Per-packet records: the record of its packet is at its time (within
        # the tolerance) and of its tuple.
        for n in ("TCP", "UDP"):
            if n in types:
                t = tables[n]
                if not any(abs(t.recs[i]["t0"] - a.ts) <= TOLERANCE_NS for m, i in hits[a.no]
                           if m == n):
                    fail("%s: no %s record at its time" % (describe(a), n))
        # HTTP and TLS alerts: the record of their connection.
        app = {"HTTP GET": "HTTP", "TLS SNI": "TLSClientHello"}.get(a.signature)
        if app:
            if app not in types:
                fail("%s: the %s record of its connection is not labeled by it" % (describe(a), app))
            else:
                for m, i in hits[a.no]:
                    if m == app and label_of(a, False) not in tables[m].label(i).split(" | "):
                        fail("%s: %s" % (describe(a), row_text(tables[m], i)))


def check_ipv6(alerts, tables, hits):
    v6 = [a for a in alerts if a.version == 6]
    if not v6:
        fail("no IPv6 alert")
        return
    t = tables.get("IPv6")
    if t is None or not any(t.label(i) != "normal" for i in range(len(t.rows))):
        fail("IPv6_labeled.csv has no labeled row")
    tcp = tables.get("TCP")
    for a in v6:
        types = {n for n, _ in hits[a.no]}
        if "IPv6" not in types:
            fail("IPv6 %s labels no IPv6 record" % describe(a))
        if a.proto == 6:
            ok = [i for n, i in hits[a.no] if n == "TCP" and tcp.recs[i]["a"].version == 6
                  and tcp.label(i) != "normal"]
            if not ok:
                fail("IPv6 %s labels no TCP record of an IPv6 packet" % describe(a))


SUM_ALERTS = re.compile(r"alerts: (\d+) read(?: \(\d+ in two files counted once\))?, "
                        r"(\d+) malformed lines, (\d+) matched a record, (\d+) matched none")
SUM_TYPE = re.compile(r"^netcap-label:   (\S+) +(\d+) of (\d+) records labeled")
SUM_TOTAL = re.compile(r"(\d+) files? written.*, (\d+) failed: (\d+) of (\d+) records labeled")


def check_summary(path, alerts, per_type, n_records, n_labeled, n_unmatched):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    m = SUM_ALERTS.search(text)
    if not m:
        fail("%s: no alerts line" % path)
        return
    read, malformed, matched, none = (int(x) for x in m.groups())
    if read != len(alerts):
        fail("summary: %d alerts read, eve.json has %d alert lines" % (read, len(alerts)))
    if malformed:
        fail("summary: %d malformed lines" % malformed)
    if none != n_unmatched or matched != len(alerts) - n_unmatched:
        fail("summary: %d matched, %d none; the files say %d and %d" % (
            matched, none, len(alerts) - n_unmatched, n_unmatched))
    seen = {}
    for line in text.splitlines():
        mt = SUM_TYPE.match(line)
        if mt:
            seen[mt.group(1)] = (int(mt.group(2)), int(mt.group(3)))
    for n, fig in per_type.items():
        if seen.get(n) != fig:
            fail("summary: %s %s, the file has %d of %d labeled" % (n, seen.get(n), fig[0], fig[1]))
    for n in seen:
        if n not in per_type:
            fail("summary names %s, which has no file" % n)
    mt = SUM_TOTAL.search(text)
    if not mt:
        fail("%s: no total line" % path)
    else:
        files, failed, lab, recs = (int(x) for x in mt.groups())
        if (files, failed, lab, recs) != (len(per_type), 0, n_labeled, n_records):
            fail("summary total %s; the files: %d files, %d of %d labeled" % (
                mt.group(0), len(per_type), n_labeled, n_records))


STRICT_RE = re.compile(r"(?:^|/)([A-Za-z0-9]+)\.ncap\.gz: .*record (\d+) at .*--strict: the record "
                       r"matches alerts of different classifications: (.*)$")


def cmd_strict(o):
    alerts = read_eve(o.eve)
    plain = load_tables(o.plain)
    excl = set(o.exclude or [])
    reached, _ = scan(alerts, plain, o.tolerance_ns, o.slack_ns)
    with open(o.stderr, encoding="utf-8", errors="replace") as f:
        named = {}
        for line in f:
            m = STRICT_RE.search(line.rstrip("\n"))
            if m:
                if m.group(1) in named:
                    fail("stderr names two records of %s" % m.group(1))
                named[m.group(1)] = (int(m.group(2)), m.group(3))
    conflicts = 0
    for n, t in plain.items():
        first = None
        for i in range(len(t.rows)):
            kept = sorted((a for a in reached[n][i] if a.classification not in excl),
                          key=lambda a: (a.ts, a.sid, a.no))
            classes = []
            for a in kept:
                if a.classification not in classes:
                    classes.append(a.classification)
            if len(classes) > 1:
                first = (i + 1, " | ".join(classes))
                break
        out = os.path.join(o.dir, n + "_labeled.csv")
        if first:
            conflicts += 1
            if os.path.exists(out):
                fail("--strict wrote %s although record %d of %s matches %s" % (out, first[0], n,
                                                                                 first[1]))
            if named.get(n) != first:
                fail("--strict: stderr names %s for %s, expected record %d (%s)" % (
                    named.get(n), n, first[0], first[1]))
        else:
            if n in named:
                fail("--strict named %s of %s, which has no conflict" % (named[n], n))
            if not os.path.exists(out):
                fail("--strict did not write %s (no conflict in it)" % out)
            else:
                with open(out, "rb") as x, open(t.path, "rb") as y:
                    if x.read() != y.read():
                        fail("--strict: %s differs from %s" % (out, t.path))
    if not conflicts:
        fail("no record of %s matches two classifications: --strict is not exercised" % o.plain)
    finish("--strict: %d types with a conflict refused, their first conflicting record named" %
           conflicts)


def cmd_select(o):
    fields = o.fields.split(",")
    full = load_tables(o.full)
    sel = load_tables(o.sel)
    types = o.types.split(",")
    if sorted(sel) != sorted(types):
        fail("--select wrote %s, expected %s" % (sorted(sel), sorted(types)))
    for n, t in sel.items():
        if t.header != fields + ["Label"]:
            fail("%s: header %r, expected %r" % (t.path, t.header, fields + ["Label"]))
            continue
        f = full[n]
        idx = [f.col[x] for x in fields] + [len(f.header) - 1]
        want = [[r[i] for i in idx] for r in f.rows]
        if want != t.rows:
            fail("%s: rows differ from %s's columns" % (t.path, f.path))
    finish("--select: %s" % ", ".join("%s %d rows" % (n, len(t.rows)) for n, t in sel.items()))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("check", "strict"):
        s = sub.add_parser(name)
        s.add_argument("--eve", required=True)
        s.add_argument("--dir", required=True)
        s.add_argument("--exclude", action="append")
        s.add_argument("--tolerance-ns", type=int, default=TOLERANCE_NS)
        s.add_argument("--slack-ns", type=int, default=SLACK_NS)
        if name == "check":
            s.add_argument("--collect", action="store_true")
            s.add_argument("--description", action="store_true")
            s.add_argument("--summary")
            s.add_argument("--lands", action="store_true")
            s.add_argument("--ipv6", action="store_true")
            s.add_argument("--fast", action="store_true",
                           help="DIR was labeled from fast.log: no flow starts, fast.log lines")
        else:
            s.add_argument("--stderr", required=True)
            s.add_argument("--plain", required=True)
    s = sub.add_parser("select")
    s.add_argument("--full", required=True)
    s.add_argument("--sel", required=True)
    s.add_argument("--fields", required=True)
    s.add_argument("--types", required=True, help="the types the --select run wrote")
    o = p.parse_args()
    try:
        {"check": cmd_check, "strict": cmd_strict, "select": cmd_select}[o.cmd](o)
    except (OSError, ValueError, KeyError) as e:
        print("FAIL: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
