#!/usr/bin/env python3
"""app_ndpi_compare.py: NETCAP's TLS and HTTP records against nDPI 4.2's
expected output (the corpus's NAME.pcap.out), for one capture.

    app_ndpi_compare.py CAPTURE NDPI_OUT NETCAP_DIR [EXCEPTIONS_TSV]

CAPTURE is the capture's name as the exceptions file writes it (e.g.
"ndpi/chrome.pcap"); NDPI_OUT its .out file; NETCAP_DIR holds the
records netcap wrote for it (TLSClientHello, TLSServerHello, HTTP; each
read with netcap-dump --json from $NETCAP_BUILD, or from TYPE.json, one
JSON object a line, when that file is there: how the script is checked on
hand-made records).

What is compared, on nDPI's TCP flows only. nDPI writes a flow once, with
its endpoints in either order ("->" or "<->"), so a flow is the unordered
pair of endpoints, and every record of ours with those endpoints, either
way round, belongs to it (a capture that reuses a 4-tuple gives nDPI one
flow and us several connections). HTTP records have no ports: an HTTP
flow's records are those between its two addresses.
  JA3C  nDPI's [JA3C: x]  vs our TLSClientHello Ja3
  JA3S  nDPI's [JA3S: x]  vs our TLSServerHello Ja3s (nDPI's " (WEAK)" etc.
        after the hash left out)
  SNI   nDPI's [Hostname/SNI: x] of a TLS flow (one whose protocol is TLS
        or TLS.<app>, or that has a JA3C or JA3S) vs our TLSClientHello
        SNI. nDPI lower-cases the names it keeps; so does the comparison.
  URL   nDPI's [URL: host/path] of an HTTP flow (protocol HTTP or
        HTTP.<app>) vs Host + URL of one of our HTTP records of the flow
        (Host the record's, else the server's address, as nDPI does; an
        absolute-form URL, a proxy's "http://h/p", alone, as nDPI keeps
        it); nDPI keeps 255 characters, a longer URL of ours matches by
        prefix. A URL may hold "]": it ends at a "]" before the next "[".
  Code  nDPI's [StatusCode: n] vs one of our HTTP records' StatusCode.
For JA3C, JA3S and SNI each nDPI value is: found (ours has it, and no
other value for that field in that flow), missing (ours has no value for
the flow: no record, or an empty field) or contradicting (ours has a
different value). For URL and Code (many requests per flow, nDPI keeps one)
found when one of ours has it, else missing.

Output: one line per problem, "  STATUS FIELD FLOW nDPI=VALUE ours=[...]"
(STATUS missing, contradicting, or excepted when EXCEPTIONS_TSV lists
CAPTURE, FLOW and FIELD: tab-separated capture, flow, field, reason; FLOW
as printed here: "A:p B:q", nDPI's order), then one line of totals:
  "TOTAL CAPTURE reported=R found=F missing=M contradicting=C excepted=E
   http_reported=HR http_found=HF http_missing=HM http_excepted=HE"
and, for every exception row of CAPTURE that matched nothing,
  "  UNUSED-EXCEPTION FIELD FLOW" (a stale exception is an error too).
Exits 0; the caller judges the figures (test_app_ndpi.sh).
"""
import ipaddress
import os
import re
import sys
from collections import defaultdict
import netcap_records

NDPI_URL_MAX = 255      # ndpiReader's url[256]


def records(netcap_dir, typ):
    """Our records of one type: a list of dicts."""
    return netcap_records.records(netcap_dir, typ)


def endpoint(text):
    """'1.2.3.4:80' or '[2001:db8::1]:80' -> (ip_address, port); None when
    it does not parse (nDPI prints what it decoded, even nonsense)."""
    m = re.fullmatch(r"\[(.*)\]:(\d+)|([^:]+):(\d+)", text)
    if not m:
        return None
    ip, port = (m.group(1), m.group(2)) if m.group(1) is not None else (m.group(3), m.group(4))
    try:
        return (ipaddress.ip_address(ip), int(port))
    except ValueError:
        return None


def flow_key(a, b):
    return frozenset((a, b)) if a != b else frozenset((a,))


FLOW_RE = re.compile(r"^\t(\d+)\tTCP (\S+) <?-> (\S+) (.*)$")


def ndpi_flows(path):
    """nDPI's TCP flows: (flow text, key, proto, {tag: value})."""
    flows = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            m = FLOW_RE.match(line.rstrip("\n"))
            if not m:
                continue
            a, b = endpoint(m.group(2)), endpoint(m.group(3))
            if a is None or b is None:
                continue
            tags = {}
            for t in re.finditer(r"\[([A-Za-z0-9/ -]+): ([^\]]*)\]", m.group(4)):
                tags.setdefault(t.group(1), t.group(2))
            # A URL may hold "]": it ends at a "]" that starts the next tag.
            u = re.search(r"\[URL: (.*?)\](?=\[|$)", m.group(4))
            if u:
                tags["URL"] = u.group(1)
            proto = tags.get("proto", "").split("/", 1)[-1]
            flows.append((f"{m.group(2)} {m.group(3)}", flow_key(a, b), proto, tags))
    return flows


def rec_key(r):
    try:
        a = (ipaddress.ip_address(r["SrcIP"]), int(r["SrcPort"]))
        b = (ipaddress.ip_address(r["DstIP"]), int(r["DstPort"]))
    except (KeyError, ValueError):
        return None
    return flow_key(a, b)


def ip_pair(r):
    try:
        return frozenset((ipaddress.ip_address(r["SrcIP"]), ipaddress.ip_address(r["DstIP"])))
    except (KeyError, ValueError):
        return None


def by_flow(recs, key=rec_key):
    d = defaultdict(list)
    for r in recs:
        k = key(r)
        if k is not None:
            d[k].append(r)
    return d


def main():
    capture, ndpi_out, netcap_dir = sys.argv[1:4]
    exc_path = sys.argv[4] if len(sys.argv) > 4 else None
    exceptions = {}
    if exc_path and os.path.exists(exc_path):
        with open(exc_path, encoding="utf-8") as f:
            for line in f:
                if not line.strip() or line.startswith("#"):
                    continue
                cols = line.rstrip("\n").split("\t")
                if len(cols) < 4 or not cols[3].strip():
                    sys.exit(f"{exc_path}: a row needs capture, flow, field and a reason: {line!r}")
                if cols[0] == capture:
                    exceptions[(cols[1], cols[2])] = cols[3]
    used = set()

    ch = by_flow(records(netcap_dir, "TLSClientHello"))
    sh = by_flow(records(netcap_dir, "TLSServerHello"))
    http = by_flow(records(netcap_dir, "HTTP"), ip_pair)
    n = defaultdict(int)

    def judge(status, field, flow, want, ours, http_field=False):
        pre = "http_" if http_field else ""
        n[pre + "reported"] += 1
        if status == "found":
            n[pre + "found"] += 1
            return
        if (flow, field) in exceptions:
            used.add((flow, field))
            status = "excepted"
        n[pre + status] += 1
        print(f"  {status} {field} {flow} nDPI={want!r} ours={sorted(set(ours))!r}"
              + (f" ({exceptions[(flow, field)]})" if status == "excepted" else ""))

    for flow, key, proto, tags in ndpi_flows(ndpi_out):
        tls = proto == "TLS" or proto.startswith("TLS.") or "JA3C" in tags or "JA3S" in tags
        checks = []
        if "JA3C" in tags:
            checks.append(("JA3C", tags["JA3C"].split()[0].lower(), [r.get("Ja3", "") for r in ch[key]]))
        if "JA3S" in tags:
            checks.append(("JA3S", tags["JA3S"].split()[0].lower(), [r.get("Ja3s", "") for r in sh[key]]))
        if tls and tags.get("Hostname/SNI"):
            checks.append(("SNI", tags["Hostname/SNI"].lower(), [r.get("SNI", "").lower() for r in ch[key]]))
        for field, want, ours in checks:
            ours = [v for v in ours if v]
            if not ours:
                status = "missing"
            elif all(v == want for v in ours):
                status = "found"
            else:
                status = "contradicting"
            judge(status, field, flow, want, ours)
        if not (proto == "HTTP" or proto.startswith("HTTP.")):
            continue
        if tags.get("URL"):
            want = tags["URL"]
            ours = []
            hkey = frozenset(ip for ip, _ in key)
            for r in http[hkey]:
                if not r.get("URL") and not r.get("Method"):
                    continue        # a response without a request
                url = r.get("URL", "")
                # nDPI keeps an absolute-form target (a proxy's) as it is.
                if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", url):
                    ours.append(url)
                else:
                    ours.append((r.get("Host") or r.get("DstIP", "")) + url)
            ok = any(v == want or (len(want) >= NDPI_URL_MAX and v.startswith(want)) for v in ours)
            judge("found" if ok else "missing", "URL", flow, want, ours, True)
        if tags.get("StatusCode", "0") not in ("", "0"):
            want = int(tags["StatusCode"])
            ours = [r.get("StatusCode", 0) for r in http[frozenset(ip for ip, _ in key)]]
            judge("found" if want in ours else "missing", "Code", flow, want,
                  [v for v in ours if v], True)

    print(f"TOTAL {capture} reported={n['reported']} found={n['found']} missing={n['missing']} "
          f"contradicting={n['contradicting']} excepted={n['excepted']} "
          f"http_reported={n['http_reported']} http_found={n['http_found']} "
          f"http_missing={n['http_missing']} http_excepted={n['http_excepted']}")
    for flow, field in sorted(set(exceptions) - used):
        print(f"  UNUSED-EXCEPTION {field} {flow}")


main()
