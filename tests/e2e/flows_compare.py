#!/usr/bin/env python3
"""flows_compare.py: compares netcap's Connection (and Flow) records with an
oracle's per-flow counts, capture by capture, for tests/e2e/test_flows_ndpi.sh
and test_flows_tshark.sh.

  flows_compare.py ndpi|tshark MANIFEST THRESHOLD_PERCENT

MANIFEST has one line per capture: NAME, ORACLE, CONNECTION_CSV, FLOW_CSV
(tab-separated). ORACLE is nDPI's expected NAME.out or the output of
`tshark -q -z conv,tcp -z conv,udp`. The CSV files are `netcap-dump --select`
output with the columns
  Connection: TransportProto,SrcIP,SrcPort,DstIP,DstPort,NumPackets,BytesClientToServer,BytesServerToClient
  Flow:       TransportProto,SrcIP,SrcPort,DstIP,DstPort,NumPackets,Size
(a missing CSV counts as no records).

An oracle flow agrees exactly when netcap has exactly one Connection with
the same protocol and endpoints (and the oracle one flow for them), and the
packets and bytes of each direction are equal: packets per direction from
the Flow records of the two directions, bytes from the Connection. Bytes are
whole frames on both sides; tshark prints sizes of 10 kB and more rounded
down to kB (or MB), so netcap's are rendered the same way first.

Every flow that does not agree gets a category, the accepted differences of
docs/flows.md; "unexplained" is none of them. Prints a line per capture
(`agree N of M`), the differing flows with their category, the categories
counted, and `total: N of M flows agree exactly (P%)`. Exits 1 when P is
below THRESHOLD_PERCENT or a flow outside the fuzzed captures is
unexplained.
"""
import csv
import os
import re
import sys
from collections import Counter, defaultdict

# nDPI's protocol names; netcap's TransportProto.
NDPI_PROTO = {"TCP": "TCP", "UDP": "UDP", "ICMP": "ICMPv4", "ICMPV6": "ICMPv6", "IGMP": "IGMP",
              "132": "SCTP"}
# UDP ports of tunnels that nDPI and tshark look into (GTP-U, CAPWAP, TZSP,
# VXLAN, Teredo) and IP protocols that carry IP (IPv4, IPv6 in IP, GRE).
TUNNEL_PORTS = {2152, 5246, 5247, 37008, 4789, 3544}
# The UDP tunnels netcap's flow key follows (GTP-U, VXLAN, Geneve, Teredo):
# their packets count in the inner conversation, not in the carrier's.
FOLLOWED_PORTS = {2152, 4789, 6081, 3544}

CATEGORIES = {
    "tunnel": "inside a tunnel the oracle opens and netcap does not follow (CAPWAP): netcap keys the outer header",
    "vlan": "one connection seen on several VLANs: nDPI keys each VLAN apart, netcap counts one",
    "carrier": "tshark also lists the tunnel's own UDP conversation (GTP-U, VXLAN, Geneve, Teredo); "
               "netcap counts its packets in the conversations inside",
    "tunnels": "one inner conversation seen in several tunnels (other outer endpoints, VNIs, GRE keys): "
               "netcap keys each tunnel apart, the oracle counts one",
    "teardown": "TCP packets after the close (FIN both ways or RST) plus --tcp-close-timeout start a new record",
    "stream": "tshark cut a TCP stream of one 5-tuple in two (its own sequence heuristics)",
    "fragment": "IP fragments of datagrams the defragmenter held that never completed, or refused "
                "(more than 64 fragments): netcap, as Suricata, counts no flow for them; the oracles "
                "key their first fragments",
    "skipped": "the oracle skipped packets netcap counts (IP length beyond the capture, frames over the MTU)",
    "direction": "same packets and bytes, assigned to the other direction by nDPI",
    "captured": "frames cut short in the capture: netcap counts captured bytes, tshark the original length",
    "fuzzed": "a deliberately malformed capture (fuzz-*)",
    "link": "a link type netcap's flow key does not parse (PPP): no IP records at all",
    "unexplained": "none of the above",
}


def ndpi_patch(addr):
    """nDPI 4.2 prints IPv6 addresses with ':0:' replaced by '::' (its
    patchIPv6Address); netcap's get the same treatment."""
    if ":" not in addr:
        return addr
    out, i = [], 0
    while i < len(addr):
        if addr[i:i + 3] == ":0:":
            out.append("::")
            i += 3
        else:
            out.append(addr[i])
            i += 1
    return "".join(out)


def split_endpoint(ep):
    if ep.startswith("["):
        addr, _, port = ep[1:].rpartition("]:")
    else:
        addr, _, port = ep.rpartition(":")
    return addr, int(port)


NDPI_LINE = re.compile(r"^\t(\d+)\t(\S+) (\S+) (<->|->) (\S+) (.*)$")
NDPI_COUNTS = re.compile(r"\[(\d+) pkts/(\d+) bytes (?:<->|->) (\d+) pkts/(\d+) bytes\]")


def read_ndpi(path):
    flows = []
    with open(path, "rb") as f:
        for raw in f:
            m = NDPI_LINE.match(raw.decode("utf-8", "replace").rstrip("\n"))
            if not m:
                continue
            c = NDPI_COUNTS.search(m.group(6))
            if not c:
                continue
            proto = m.group(2)
            proto = NDPI_PROTO.get(proto, "" if proto.isdigit() else proto)
            flows.append(dict(proto=proto, a=split_endpoint(m.group(3)), b=split_endpoint(m.group(5)),
                              pkts=(int(c.group(1)), int(c.group(3))), bytes=(int(c.group(2)), int(c.group(4))),
                              vlan="[VLAN:" in m.group(6),
                              text=f"{m.group(2)} {m.group(3)} {m.group(4)} {m.group(5)}"))
    return flows


# tshark 4.0: "A:port <-> B:port  <-frames <-bytes  ->frames ->bytes  total ...",
# "->" being A to B.
TSHARK_LINE = re.compile(r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+ \S+)\s+(\d+)\s+(\d+ \S+)\s+(\d+)\s+(\d+ \S+)")


def tshark_size(n):
    """tshark 4.0's format_size() with SI prefixes, as its conv tables print."""
    for div, unit in ((10**12, "TB"), (10**9, "GB"), (10**6, "MB"), (10**3, "kB")):
        if n // div >= 10:
            return f"{n // div} {unit}"
    return f"{n} bytes"


def tshark_bytes(s):
    n, unit = s.split()
    return int(n) * {"bytes": 1, "kB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}[unit]


def read_tshark(path):
    flows, proto = [], None
    with open(path) as f:
        for line in f:
            if line.startswith("TCP Conversations"):
                proto = "TCP"
            elif line.startswith("UDP Conversations"):
                proto = "UDP"
            m = TSHARK_LINE.match(line)
            if not m or not proto:
                continue
            flows.append(dict(proto=proto, a=split_endpoint(m.group(1)), b=split_endpoint(m.group(2)),
                              pkts=(int(m.group(5)), int(m.group(3))), bytes=(m.group(6), m.group(4)),
                              vlan=False, text=f"{proto} {m.group(1)} <-> {m.group(2)}"))
    return flows


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def compare_one(kind, name, oracle_path, conn_csv, flow_csv, netcap_log=None):
    patch = ndpi_patch if kind == "ndpi" else (lambda s: s)

    def ep(addr, port):
        return (patch(addr), int(port or 0))

    oracle = read_ndpi(oracle_path) if kind == "ndpi" else read_tshark(oracle_path)
    # netcap met fragments (its summary's events): a flow missing from its
    # records may be a datagram that never completed
    fragmented = bool(netcap_log) and "Defrag fragment" in open(netcap_log, errors="replace").read()
    conns = defaultdict(list)
    pairs = set()          # (proto, address pair) of port-less records: fragments
    tunnels = False        # a tunnel carrier among netcap's records
    for r in read_csv(conn_csv):
        if not r["SrcIP"]:
            continue       # non-IP: neither oracle reports it
        a, b = ep(r["SrcIP"], r["SrcPort"]), ep(r["DstIP"], r["DstPort"])
        conns[(r["TransportProto"], tuple(sorted((a, b))))].append(r)
        if a[1] == 0 and b[1] == 0:
            pairs.add((r["TransportProto"], tuple(sorted((a[0], b[0])))))
        if r["TransportProto"] == "" or (r["TransportProto"] == "UDP" and {a[1], b[1]} & TUNNEL_PORTS):
            tunnels = True
    directed = defaultdict(int)
    for r in read_csv(flow_csv):
        if r["SrcIP"]:
            directed[(r["TransportProto"], ep(r["SrcIP"], r["SrcPort"]), ep(r["DstIP"], r["DstPort"]))] += \
                int(r["NumPackets"])

    oracle_keys = Counter((o["proto"], tuple(sorted((o["a"], o["b"])))) for o in oracle)
    agree, diffs = 0, []
    for o in oracle:
        key = (o["proto"], tuple(sorted((o["a"], o["b"]))))
        mine = conns.get(key, [])
        total_pkts = sum(o["pkts"])
        carrier = o["proto"] == "UDP" and bool({o["a"][1], o["b"][1]} & FOLLOWED_PORTS)
        if len(mine) == 1 and oracle_keys[key] == 1:
            r = mine[0]
            src_is_a = ep(r["SrcIP"], r["SrcPort"]) == o["a"]
            c2s, s2c = int(r["BytesClientToServer"]), int(r["BytesServerToClient"])
            nbytes = (c2s, s2c) if src_is_a else (s2c, c2s)
            npkts = (directed[(o["proto"], o["a"], o["b"])], directed[(o["proto"], o["b"], o["a"])])
            if o["a"] == o["b"]:
                npkts = (int(r["NumPackets"]), 0)
            shown = tuple(tshark_size(x) for x in nbytes) if kind == "tshark" else nbytes
            if npkts == o["pkts"] and shown == o["bytes"]:
                agree += 1
                continue
            obytes = o["bytes"] if kind == "ndpi" else tuple(tshark_bytes(x) for x in o["bytes"])
            if npkts == o["pkts"] and kind == "tshark" and all(m <= t for m, t in zip(nbytes, obytes)):
                why = "captured"
            elif carrier and all(m <= t for m, t in zip(npkts, o["pkts"])):
                why = "carrier"   # the packets that are no tunnel (GTP echo, ...) stay
            elif sum(npkts) == total_pkts and sum(nbytes) == sum(obytes):
                why = "direction"
            elif all(m >= t for m, t in zip(npkts, o["pkts"])):
                why = "skipped"
            else:
                why = "unexplained"
            detail = f"oracle {o['pkts']} packets {o['bytes']} bytes, netcap {npkts} packets {shown} bytes"
        else:
            mine_pkts = sum(int(r["NumPackets"]) for r in mine)
            if not mine and carrier:
                why = "carrier"
            elif not mine:
                addr_pair = (o["proto"], tuple(sorted((patch(o["a"][0]), patch(o["b"][0])))))
                why = ("fragment" if addr_pair in pairs or (fragmented and o["proto"] in ("TCP", "UDP"))
                       else "link" if not conns else "tunnel" if tunnels else "unexplained")
            elif oracle_keys[key] > 1 and o["vlan"]:
                why = "vlan"
            elif oracle_keys[key] > 1 and len(mine) == 1 and o["proto"] == "TCP":
                why = "stream"
            elif oracle_keys[key] == 1 and len(mine) > 1 and o["proto"] != "TCP" and mine_pkts == total_pkts:
                # Every packet there, split over several records: with the
                # long timeouts of these runs, only the tunnel identity
                # splits a conversation other than TCP's (docs/flows.md,
                # "Tunnels").
                why = "tunnels"
            elif len(mine) > 1 and o["proto"] == "TCP" and any(int(r["NumPackets"]) for r in mine):
                why = "teardown"
            else:
                why = "unexplained"
            detail = f"oracle {oracle_keys[key]} flows, netcap {len(mine)} records ({mine_pkts} packets)"
        if name.startswith("fuzz-"):
            why = "fuzzed"
        diffs.append((why, o["text"], detail))
    return agree, len(oracle), diffs


def main():
    kind, manifest, threshold = sys.argv[1], sys.argv[2], float(sys.argv[3])
    total_agree = total = 0
    categories = Counter()
    unexplained = 0
    with open(manifest) as f:
        for line in f:
            name, oracle, conn_csv, flow_csv, *log = line.rstrip("\n").split("\t")
            agree, n, diffs = compare_one(kind, name, oracle, conn_csv, flow_csv, *log)
            total_agree += agree
            total += n
            print(f"{name}: agree {agree} of {n}")
            for why, text, detail in diffs:
                categories[why] += 1
                unexplained += why == "unexplained"
                print(f"    [{why}] {text}: {detail}")
    print("differences by category:")
    for why, count in categories.most_common():
        print(f"  {count:5d} {why}: {CATEGORIES[why]}")
    pct = 100.0 * total_agree / total if total else 0.0
    print(f"total: {total_agree} of {total} flows agree exactly ({pct:.2f}%), threshold {threshold}%")
    if pct < threshold:
        print("FAIL: agreement below the threshold")
        return 1
    if unexplained:
        print(f"FAIL: {unexplained} unexplained differences")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
