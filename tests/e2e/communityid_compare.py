#!/usr/bin/python3
"""communityid_compare.py: NETCAP's CommunityID against Suricata's community_id.

usage: communityid_compare.py MANIFEST
  MANIFEST: one line per capture, tab-separated: NAME, Suricata's eve.json
  (flow events, community-id on), netcap-dump CSV of the Connection records
  (columns below), netcap-dump CSV of the Flow records.

For every flow event of Suricata that has a community_id, the Connection
records of the same protocol and endpoints (either order) whose time span
overlaps the flow's are looked up; the one whose first packet is nearest the
flow's start is the match. Each flow falls in one category:

  agree             a matched Connection has Suricata's Community ID
  suricata-noports  the protocol has no ports (GRE, ESP, IGMP, ...): the
                    spec hashes no ports, Suricata two zero ports
  suricata-icmp     ICMP(v6) message without a counterpart type (errors,
                    ...): the spec hashes (type, code) in the message's
                    direction, Suricata (type, 0) ordered as ports
  suricata-same-address  both endpoints on one address (loopback): the spec
                    orders by port, Suricata 7.0 by the ports' network-order
                    bytes read as little-endian integers
  icmp-split        ICMP: netcap keeps every message between two hosts in one
                    Connection (ICMP is keyed on addresses), whose ID is its
                    first message's; Suricata splits them by type and
                    direction, and this flow's ID is not the first one's (the
                    Connection's ID must be that of another Suricata flow
                    matched to it)
  suricata-only     no Connection of that tuple and time (tunnel carriers
                    netcap counts only inside, datagrams it never completes)
  DIFFERENT         anything else: the test fails

The suricata-* categories count only when this script's own Community ID
(hashlib, from the tuple Suricata logged) as the spec defines it equals
NETCAP's, and Suricata's value equals this script's rendering of
Suricata's formula (src/output-json.c, CalculateCommunityFlowIdv4/v6) for
the same tuple: the difference is Suricata's, proven flow by flow.
Every other matched value is also checked against the spec's computed
here. Flow records of TCP, UDP and SCTP must carry their Connection's ID.

Prints one line per capture, every flow not in `agree` with its category,
and TOTAL lines; exits 1 on any DIFFERENT flow or inconsistent Flow record.
"""
import base64
import csv
import datetime
import hashlib
import ipaddress
import json
import socket
import struct
import sys

PORT_PROTOS = {6, 17, 132}
ICMP_PROTOS = {1, 58}
ICMP4_PAIRS = {8: 0, 0: 8, 10: 9, 9: 10, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17}
ICMP6_PAIRS = {128: 129, 129: 128, 130: 131, 131: 130, 133: 134, 134: 133, 135: 136, 136: 135,
               139: 140, 140: 139, 144: 145, 145: 144}
NETCAP_PROTO = {"TCP": 6, "UDP": 17, "SCTP": 132, "ICMPv4": 1, "ICMPv6": 58, "IGMP": 2}
SURICATA_PROTO = {"TCP": 6, "UDP": 17, "SCTP": 132, "ICMP": 1, "IPV6-ICMP": 58, "ICMPV6": 58,
                  "IGMP": 2, "GRE": 47, "ESP": 50, "AH": 51, "PIM": 103, "VRRP": 112, "OSPF": 89,
                  "OSPFIGP": 89, "RSVP": 46, "IPV6": 41, "IPIP": 4, "IPV4": 4}


def proto_number(name):
    if name.isdigit():
        return int(name)
    up = name.upper()
    if up in SURICATA_PROTO:
        return SURICATA_PROTO[up]
    try:
        return socket.getprotobyname(name)
    except OSError:
        return None


def render(data):
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()


def spec_id(proto, src, dst, sport, dport):
    """The spec's Community ID v1, seed 0. ICMP: sport, dport = type, code."""
    a, b = src.packed, dst.packed
    ports = proto in PORT_PROTOS or proto in ICMP_PROTOS
    one_way = False
    if proto in ICMP_PROTOS:
        pairs = ICMP4_PAIRS if proto == 1 else ICMP6_PAIRS
        if sport in pairs:
            dport = pairs[sport]
        else:
            one_way = True
    if not one_way and (a > b or (a == b and ports and sport > dport)):
        a, b, sport, dport = b, a, dport, sport
    data = struct.pack("!H", 0) + a + b + struct.pack("BB", proto, 0)
    if ports:
        data += struct.pack("!HH", sport, dport)
    return render(data)


def swap16(v):
    return (v >> 8) | ((v & 0xff) << 8)


def suricata_id(proto, src, dst, sport, dport):
    """Suricata 7.0's: ports always (0 without), ICMP (type, counterpart or 0),
    always ordered; with equal addresses, by the ports' network-order bytes
    read as host (little-endian) integers."""
    a, b = src.packed, dst.packed
    if proto in ICMP_PROTOS:
        pairs = ICMP4_PAIRS if proto == 1 else ICMP6_PAIRS
        dport = pairs.get(sport, 0)
    elif proto not in PORT_PROTOS:
        sport = dport = 0
    if a > b or (a == b and swap16(sport) >= swap16(dport)):
        a, b, sport, dport = b, a, dport, sport
    return render(struct.pack("!H", 0) + a + b + struct.pack("BB", proto, 0) + struct.pack("!HH", sport, dport))


def eve_time(s):
    t = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z")
    return int(t.timestamp()) * 1_000_000_000 + t.microsecond * 1000


def key_of(proto, a, pa, b, pb):
    ends = sorted([(a.packed, pa), (b.packed, pb)])
    return (proto, ends[0], ends[1])


def load_netcap(path):
    """Connection records with IP, by key: [(first, last, id, row)]."""
    by_key = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if not r["NetworkProto"]:
                continue
            proto = NETCAP_PROTO.get(r["TransportProto"], -1)   # -1: another IP protocol
            src, dst = ipaddress.ip_address(r["SrcIP"]), ipaddress.ip_address(r["DstIP"])
            sp = int(r["SrcPort"] or 0) if proto in PORT_PROTOS else 0
            dp = int(r["DstPort"] or 0) if proto in PORT_PROTOS else 0
            rec = (int(r["TimestampFirst"]), int(r["TimestampLast"]), r["CommunityID"], r)
            by_key.setdefault(key_of(proto, src, sp, dst, dp), []).append(rec)
    return by_key


def check_flows(conn_path, flow_path):
    """Every TCP/UDP/SCTP Flow record has the ID of a Connection of its tuple."""
    ids = {}
    with open(conn_path, newline="") as f:
        for r in csv.DictReader(f):
            if r["TransportProto"] in ("TCP", "UDP", "SCTP"):
                k = (r["TransportProto"],) + tuple(sorted([(r["SrcIP"], r["SrcPort"]), (r["DstIP"], r["DstPort"])]))
                ids.setdefault(k, set()).add(r["CommunityID"])
    bad, n = [], 0
    with open(flow_path, newline="") as f:
        for r in csv.DictReader(f):
            if r["TransportProto"] not in ("TCP", "UDP", "SCTP"):
                continue
            n += 1
            k = (r["TransportProto"],) + tuple(sorted([(r["SrcIP"], r["SrcPort"]), (r["DstIP"], r["DstPort"])]))
            if r["CommunityID"] not in ids.get(k, ()):
                bad.append("%s %s:%s -> %s:%s %s" % (r["TransportProto"], r["SrcIP"], r["SrcPort"], r["DstIP"],
                                                      r["DstPort"], r["CommunityID"]))
    return n, bad


def compare(name, eve_path, conn_path):
    conns = load_netcap(conn_path)
    flows = []      # (event, proto, src, dst, sp, dp, spec, suricata's formula, matched Connection)
    counts, by_proto, out = {}, {}, []
    for line in open(eve_path):
        e = json.loads(line)
        if e.get("event_type") != "flow" or "community_id" not in e:
            continue
        proto = proto_number(e["proto"])
        if proto is None:
            out.append("  DIFFERENT unknown protocol name %r" % e["proto"])
            counts["DIFFERENT"] = counts.get("DIFFERENT", 0) + 1
            continue
        src, dst = ipaddress.ip_address(e["src_ip"]), ipaddress.ip_address(e["dest_ip"])
        if proto in PORT_PROTOS:
            sp, dp = e.get("src_port", 0), e.get("dest_port", 0)
        elif proto in ICMP_PROTOS:
            sp, dp = e.get("icmp_type", 0), e.get("icmp_code", 0)
        else:
            sp = dp = 0
        want_spec = spec_id(proto, src, dst, sp, dp)
        start, end = eve_time(e["flow"]["start"]), eve_time(e["flow"]["end"])
        nk = proto if proto in PORT_PROTOS or proto in ICMP_PROTOS or proto == 2 else -1
        kp = (sp, dp) if proto in PORT_PROTOS else (0, 0)
        cands = [c for c in conns.get(key_of(nk, src, kp[0], dst, kp[1]), [])
                 if c[0] <= end + 1000 and c[1] + 1000 >= start]
        # Another IP protocol: netcap names none; the ID tells which.
        if nk == -1:
            cands = [c for c in cands if c[2] in (want_spec, e["community_id"])]
        match = min(cands, key=lambda c: abs(c[0] - start)) if cands else None
        flows.append((e, proto, src, dst, sp, dp, want_spec, suricata_id(proto, src, dst, sp, dp), match))
    # The spec IDs of the Suricata flows each Connection was matched with.
    specs_of = {}
    for f in flows:
        if f[8] is not None:
            specs_of.setdefault(id(f[8]), set()).add(f[6])
    for e, proto, src, dst, sp, dp, want_spec, want_suri, match in flows:
        got_suri = e["community_id"]
        desc = "%s %s:%s -> %s:%s suricata %s spec %s" % (e["proto"], src, sp, dst, dp, got_suri, want_spec)
        if match is None:
            cat = "suricata-only"
            desc += " (no Connection of this tuple and time)"
        else:
            got = match[2]
            desc += " netcap %s" % got
            suri_ok = got_suri == want_suri
            if got == got_suri and got == want_spec:
                cat = "agree"
            elif got == want_spec and suri_ok and proto not in PORT_PROTOS | ICMP_PROTOS:
                cat = "suricata-noports"
            elif got == want_spec and suri_ok and proto in ICMP_PROTOS:
                cat = "suricata-icmp"
            elif got == want_spec and suri_ok and src == dst:
                cat = "suricata-same-address"
            elif proto in ICMP_PROTOS and got != want_spec and got in specs_of[id(match)]:
                # One Connection holds every ICMP message between two hosts;
                # Suricata splits them by type and direction: the
                # Connection's ID is its first message's, another flow's.
                cat = "icmp-split"
            else:
                cat = "DIFFERENT"
        counts[cat] = counts.get(cat, 0) + 1
        if cat == "agree":
            pname = {6: "TCP", 17: "UDP", 132: "SCTP", 1: "ICMP", 58: "ICMPv6"}.get(proto, "other")
            pname += "/IPv%d" % src.version
            by_proto[pname] = by_proto.get(pname, 0) + 1
        else:
            out.append("  %s %s" % (cat, desc))
    netcap_only = sum(1 for recs in conns.values() for c in recs if id(c) not in specs_of)
    return counts, by_proto, netcap_only, out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    total, protos, n_only, flow_n, bad_flows = {}, {}, 0, 0, []
    for line in open(sys.argv[1]):
        name, eve, conn, flow = line.rstrip("\n").split("\t")
        counts, by_proto, netcap_only, out = compare(name, eve, conn)
        n, bad = check_flows(conn, flow)
        flow_n += n
        bad_flows += ["%s: %s" % (name, b) for b in bad]
        for k, v in counts.items():
            total[k] = total.get(k, 0) + v
        for k, v in by_proto.items():
            protos[k] = protos.get(k, 0) + v
        n_only += netcap_only
        print("%s: %s; netcap only %d" % (name, ", ".join("%s %d" % kv for kv in sorted(counts.items())) or "no flows",
                                          netcap_only))
        for o in out:
            print(o)
    both = sum(v for k, v in total.items() if k != "suricata-only")
    print("TOTAL flows both tools see: %d; %s" % (both, ", ".join("%s %d" % kv for kv in sorted(total.items()))))
    print("TOTAL agree by protocol: %s" % ", ".join("%s %d" % kv for kv in sorted(protos.items())))
    print("TOTAL Connections netcap only: %d; Flow records (TCP/UDP/SCTP) with their Connection's ID: %d of %d"
          % (n_only, flow_n - len(bad_flows), flow_n))
    for b in bad_flows[:20]:
        print("  FLOW %s" % b)
    sys.exit(1 if total.get("DIFFERENT") or bad_flows else 0)


if __name__ == "__main__":
    main()
