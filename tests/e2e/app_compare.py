#!/usr/bin/env python3
"""app_compare.py: NETCAP's DNS, DHCPv4, DHCPv6, NTP and SIP records against
tshark 4.0, field by field, for one capture.

    app_compare.py NETCAP_DIR PCAP [TSHARK_ARG...]

NETCAP_DIR holds the capture's <Type>.ncap.gz files (netcap -w 1, so that
records are in packet order); netcap-dump is taken from $NETCAP_BUILD (or
build/). tshark is asked for the layers of each protocol on the ports of
NETCAP's port table only (tshark also dissects DNS and SIP on other ports
heuristically). Records and tshark layers are paired by (timestamp in
microseconds, source port, destination port), in order. Prints one line per
type: "TYPE tshark=N netcap=M paired=P fields=F differ=D", then the
differences (at most 20 per type), the frames tshark has and NETCAP not
("tshark-only", with frame numbers) and records NETCAP has and tshark not.
Exits 0; the caller judges the figures (test_engine_app.sh).

How tshark's fields are read:
  DNS     -T fields (dns.* is shared by the dns, mdns and llmnr dissectors);
          header bits from dns.flags; names "<Root>" are ""; mDNS classes
          lose their top bit (cache-flush / unicast-response), which tshark
          shows apart; class and TTL are compared for every RR but OPT
          (whose class and TTL tshark shows as payload size and flags); TXT
          strings for TXT records.
  others  -T json -x: the raw bytes of each field. DHCPv4 options are the
          top-level dhcp.option.type_raw items without the End option;
          DHCPv6 options the top-level dhcpv6.option.type_str_raw items
          (a relay message's inner message is inside its option).
"""
import codecs
import ipaddress
import json
import os
import subprocess
import sys
from collections import defaultdict, deque

NETCAP_DIR, PCAP = sys.argv[1], sys.argv[2]
TSHARK_ARGS = sys.argv[3:]
BUILD = os.environ.get("NETCAP_BUILD", "build")
DUMP = os.path.join(BUILD, "netcap-dump")

codecs.register_error("perbyte", lambda e: ("\ufffd" * (e.end - e.start), e.end))

FILTERS = {
    "DNS": "((udp.port in {53,5353,5355}) or tcp.port == 53) and (dns or mdns or llmnr)",
    "DHCPv4": "udp.port in {67,68} and dhcp",
    "DHCPv6": "udp.port in {546,547} and dhcpv6",
    "NTP": "udp.port == 123 and ntp",
    "SIP": "(udp.port == 5060 or tcp.port == 5060) and sip",
}
SIP_METHODS = ["", "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "SUBSCRIBE",
               "NOTIFY", "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE", "PING"]


def netcap_records(typ):
    path = os.path.join(NETCAP_DIR, f"{typ}.ncap.gz")
    if not os.path.exists(path):
        return []
    out = subprocess.run([DUMP, "--json", path], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line]


def tshark(args):
    r = subprocess.run(["tshark", "-n", "-r", PCAP] + TSHARK_ARGS + args, capture_output=True,
                       text=True, errors="surrogateescape")
    # 2 is also what a capture cut short mid-packet gives.
    if r.returncode not in (0, 2) or (r.returncode == 2 and "cut short" not in r.stderr):
        sys.exit(f"tshark failed: {r.stderr}")
    return r.stdout


def ts_us(epoch):
    sec, _, frac = epoch.partition(".")
    return int(sec) * 1000000 + int((frac + "000000")[:6])


def key_of(rec):
    return (rec["Timestamp"] // 1000, rec["SrcPort"], rec["DstPort"])


# ---- DNS --------------------------------------------------------------

DNS_FIELDS = ["frame.number", "frame.time_epoch", "frame.protocols", "udp.srcport", "udp.dstport",
              "tcp.srcport", "tcp.dstport", "dns.id", "dns.flags", "dns.count.queries",
              "dns.count.answers", "dns.count.auth_rr", "dns.count.add_rr", "dns.qry.name",
              "dns.qry.type", "dns.qry.class", "dns.resp.name", "dns.resp.type", "dns.resp.class",
              "dns.resp.ttl", "dns.resp.len", "dns.a", "dns.aaaa", "dns.ns", "dns.cname",
              "dns.ptr.domain_name", "dns.soa.mname", "dns.soa.rname", "dns.soa.serial_number",
              "dns.soa.refresh_interval", "dns.soa.retry_interval", "dns.soa.expire_limit",
              "dns.soa.minimum_ttl", "dns.srv.priority", "dns.srv.weight", "dns.srv.port",
              "dns.srv.target", "dns.mx.preference", "dns.mx.mail_exchange", "dns.txt"]


def tshark_dns():
    out = tshark(["-Y", FILTERS["DNS"], "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=\x01"]
                 + [a for f in DNS_FIELDS for a in ("-e", f)])
    units = []
    for line in out.split("\n"):
        if not line:
            continue
        cols = line.split("\t")
        d = {f: (c.split("\x01") if c != "" else []) for f, c in zip(DNS_FIELDS, cols)}
        protos = d["frame.protocols"][0].split(":")
        n = sum(p in ("dns", "mdns", "llmnr") for p in protos)
        sport = d["udp.srcport"] or d["tcp.srcport"]
        dport = d["udp.dstport"] or d["tcp.dstport"]
        d["_mdns"] = "mdns" in protos
        units.append((d["frame.number"][0], (ts_us(d["frame.time_epoch"][0]), int(sport[0]),
                                             int(dport[0])), n, d))
    return units


def dns_name(v):
    return "" if v == "<Root>" else v


def text(v):
    """Bytes that are not UTF-8: netcap-dump prints one U+FFFD per byte,
    tshark one per invalid sequence; both are left out."""
    return v.replace("\ufffd", "")


def nsec_bitmap_types(data_hex):
    """How many types an NSEC RDATA's bitmap lists (tshark shows each as a
    dns.resp.type after the record's own)."""
    b = bytes.fromhex(data_hex)
    i = 0
    while i < len(b) and b[i] and b[i] < 0xc0:
        i += 1 + b[i]
    i += 2 if i < len(b) and b[i] >= 0xc0 else 1   # mDNS compresses it
    n = 0
    while i + 2 <= len(b):
        length = b[i + 1]
        n += sum(bin(x).count("1") for x in b[i + 2:i + 2 + length])
        i += 2 + length
    return n


def flat_rrs(recs):
    rrs = []
    for r in recs:
        rrs += r["Answers"] + r["Authorities"] + r["Additionals"]
    return rrs


def hexstr(s):
    return s.encode("utf-8", "surrogateescape").hex()


def compare_dns(recs, d, diff):
    """recs: NETCAP records of one frame; d: tshark fields of the frame."""
    mdns = d["_mdns"]
    cls = (lambda c: c & 0x7fff) if mdns else (lambda c: c)
    # Header fields, per message.
    for i, r in enumerate(recs):
        flags = int(d["dns.flags"][i], 16)
        want = {"ID": int(d["dns.id"][i], 16), "QR": bool(flags & 0x8000), "OpCode": flags >> 11 & 15,
                "AA": bool(flags & 0x400), "TC": bool(flags & 0x200), "RD": bool(flags & 0x100),
                "RA": bool(flags & 0x80), "Z": flags >> 4 & 7, "ResponseCode": flags & 15,
                "QDCount": int(d["dns.count.queries"][i]), "ANCount": int(d["dns.count.answers"][i]),
                "NSCount": int(d["dns.count.auth_rr"][i]), "ARCount": int(d["dns.count.add_rr"][i])}
        for k, v in want.items():
            diff(k, r[k], v)
    qs = [q for r in recs for q in r["Questions"]]
    diff("Questions.Name", [text(q["Name"]) for q in qs], [text(dns_name(v)) for v in d["dns.qry.name"]])
    diff("Questions.Type", [q["Type"] for q in qs], [int(v) for v in d["dns.qry.type"]])
    diff("Questions.Class", [cls(q["Class"]) for q in qs], [int(v, 16) for v in d["dns.qry.class"]])
    rrs = flat_rrs(recs)
    # tshark shows an SRV record's owner as dns.srv.service/proto/name.
    diff("RR.Name", [text(r["Name"]) for r in rrs if r["Type"] != 33],
         [text(dns_name(v)) for v in d["dns.resp.name"]])
    types = []
    for r in rrs:
        types.append(r["Type"])
        if r["Type"] == 47:
            types += ["nsec-bitmap"] * nsec_bitmap_types(r["Data"])
    want = [int(v) for v in d["dns.resp.type"]]
    diff("RR.Type", [t for t in types], [w if t != "nsec-bitmap" else t for t, w in zip(types, want)]
         + want[len(types):])
    diff("RR.DataLength", [r["DataLength"] for r in rrs], [int(v) for v in d["dns.resp.len"]])
    not_opt = [r for r in rrs if r["Type"] != 41]
    diff("RR.Class", [cls(r["Class"]) for r in not_opt], [int(v, 16) for v in d["dns.resp.class"]])
    diff("RR.TTL", [r["TTL"] for r in not_opt], [int(v) for v in d["dns.resp.ttl"]])
    of = lambda t: [r for r in rrs if r["Type"] == t]
    diff("RR.IP(A)", [r["IP"] for r in of(1)], d["dns.a"])
    diff("RR.IP(AAAA)", [ipaddress.ip_address(r["IP"]) if r["IP"] else "" for r in of(28)],
         [ipaddress.ip_address(v) for v in d["dns.aaaa"]])
    name_bytes = lambda h: text(bytes.fromhex(h).decode("utf-8", "perbyte"))
    diff("RR.NS", [name_bytes(r["NS"]) for r in of(2)], [text(dns_name(v)) for v in d["dns.ns"]])
    diff("RR.CNAME", [name_bytes(r["CNAME"]) for r in of(5)], [text(dns_name(v)) for v in d["dns.cname"]])
    diff("RR.PTR", [name_bytes(r["PTR"]) for r in of(12)],
         [text(dns_name(v)) for v in d["dns.ptr.domain_name"]])
    soa = [r["SOA"] for r in of(6)]
    diff("RR.SOA.MName", [s["MName"] for s in soa], [hexstr(dns_name(v)) for v in d["dns.soa.mname"]])
    diff("RR.SOA.RName", [s["RName"] for s in soa], [hexstr(dns_name(v)) for v in d["dns.soa.rname"]])
    for k, f in (("Serial", "serial_number"), ("Refresh", "refresh_interval"), ("Retry", "retry_interval"),
                 ("Expire", "expire_limit"), ("Minimum", "minimum_ttl")):
        diff("RR.SOA." + k, [s[k] for s in soa], [int(v) for v in d["dns.soa." + f]])
    srv = [r["SRV"] for r in of(33)]
    for k in ("Priority", "Weight", "Port"):
        diff("RR.SRV." + k, [s[k] for s in srv], [int(v) for v in d["dns.srv." + k.lower()]])
    diff("RR.SRV.Name", [s["Name"] for s in srv], [hexstr(dns_name(v)) for v in d["dns.srv.target"]])
    mx = [r["MX"] for r in of(15)]
    diff("RR.MX.Preference", [m["Preference"] for m in mx], [int(v) for v in d["dns.mx.preference"]])
    diff("RR.MX.Name", [m["Name"] for m in mx], [dns_name(v) for v in d["dns.mx.mail_exchange"]])
    txts = [t for r in of(16) for t in r["TXTs"]]
    if txts == [""] and not d["dns.txt"]:
        txts = []      # one empty occurrence reads back as none from -T fields
    diff("RR.TXTs", txts, [hexstr(v) for v in d["dns.txt"]])


# ---- the JSON-read protocols -------------------------------------------

def tshark_json(typ, layer_names):
    out = tshark(["-Y", FILTERS[typ], "-T", "json", "-x", "--no-duplicate-keys"])
    units = []
    for pkt in json.loads(out or "[]"):
        L = pkt["_source"]["layers"]
        frame = L["frame"]
        tr = L.get("udp") or L.get("tcp")
        if isinstance(tr, list):
            tr = tr[-1]
        pre = "udp" if "udp" in L else "tcp"
        key = (ts_us(frame["frame.time_epoch"]), int(tr[pre + ".srcport"]), int(tr[pre + ".dstport"]))
        layers = []
        for name in layer_names:
            v = L.get(name)
            if v is None:
                continue
            layers += v if isinstance(v, list) else [v]
        units.append((frame["frame.number"], key, len(layers), (layers, tr)))
    return units


def raw(layer, field):
    v = layer.get(field + "_raw")
    if v is None:
        return None
    return v[0] if not isinstance(v[0], list) else [x[0] for x in v]


def raw_int(layer, field):
    v = raw(layer, field)
    return int(v, 16) if v is not None else None


def option_data_hex(data, length):
    """NETCAP's option Data back to hex: hex already, or text."""
    if len(data) == 2 * length and all(c in "0123456789abcdef" for c in data) and length:
        return data
    return hexstr(data)


def compare_dhcpv4(recs, unit, diff):
    layers, _ = unit
    for r, l in zip(recs, layers):
        for k, f in (("Operation", "dhcp.type"), ("HardwareType", "dhcp.hw.type"),
                     ("HardwareLen", "dhcp.hw.len"), ("HardwareOpts", "dhcp.hops"), ("Xid", "dhcp.id"),
                     ("Secs", "dhcp.secs"), ("Flags", "dhcp.flags")):
            diff(k, r[k], raw_int(l, f))
        for k, f in (("ClientIP", "dhcp.ip.client"), ("YourClientIP", "dhcp.ip.your"),
                     ("NextServerIP", "dhcp.ip.server"), ("RelayAgentIP", "dhcp.ip.relay")):
            diff(k, r[k], l.get(f))
        if "dhcp.hw.mac_addr" in l:
            diff("ClientHWAddr", r["ClientHWAddr"], l["dhcp.hw.mac_addr"])
        diff("ServerName", r["ServerName"], raw(l, "dhcp.server"))
        diff("File", r["File"], raw(l, "dhcp.file"))
        opts = raw(l, "dhcp.option.type") or []
        if isinstance(opts, str):
            opts = [opts]
        opts = [o for o in opts if o != "ff"]
        diff("Options.Type", [o["Type"] for o in r["Options"]], [int(o[:2], 16) for o in opts])
        diff("Options.Length", [o["Length"] for o in r["Options"]],
             [int(o[2:4], 16) if o[:2] != "00" else 0 for o in opts])
        diff("Options.Data", [option_data_hex(o["Data"], o["Length"]) for o in r["Options"]],
             [o[4:] for o in opts])
        diff("Fingerprint", r["Fingerprint"], ",".join(str(int(o[:2], 16)) for o in opts))


def compare_dhcpv6(recs, unit, diff):
    layers, _ = unit
    for r, l in zip(recs, layers):
        diff("MsgType", r["MsgType"], raw_int(l, "dhcpv6.msgtype"))
        if r["MsgType"] in (12, 13):
            diff("HopCount", r["HopCount"], raw_int(l, "dhcpv6.hopcount"))
            diff("LinkAddr", ipaddress.ip_address(r["LinkAddr"]), ipaddress.ip_address(l["dhcpv6.linkaddr"]))
            diff("PeerAddr", ipaddress.ip_address(r["PeerAddr"]), ipaddress.ip_address(l["dhcpv6.peeraddr"]))
        else:
            diff("TransactionID", r["TransactionID"], raw(l, "dhcpv6.xid"))
        opts = raw(l, "dhcpv6.option.type_str") or []
        if isinstance(opts, str):
            opts = [opts]
        diff("Options.Code", [o["Code"] for o in r["Options"]], [int(o[:4], 16) for o in opts])
        diff("Options.Length", [o["Length"] for o in r["Options"]], [int(o[4:8], 16) for o in opts])
        diff("Options.Data", [o["Data"] for o in r["Options"]], [o[8:] for o in opts])
        diff("Fingerprint", r["Fingerprint"], ",".join(str(int(o[:4], 16)) for o in opts))


def compare_ntp(recs, unit, diff):
    layers, tr = unit
    for r, l in zip(recs, layers):
        flags = raw_int(l, "ntp.flags")
        diff("LeapIndicator", r["LeapIndicator"], flags >> 6)
        diff("Version", r["Version"], flags >> 3 & 7)
        diff("Mode", r["Mode"], flags & 7)
        if r["Mode"] in (6, 7):
            continue       # tshark shows control/private fields instead
        s8 = lambda v: v - 256 if v >= 128 else v
        for k, f, conv in (("Stratum", "ntp.stratum", int), ("Poll", "ntp.ppoll", s8),
                           ("Precision", "ntp.precision", s8), ("RootDelay", "ntp.rootdelay", int),
                           ("RootDispersion", "ntp.rootdispersion", int), ("ReferenceID", "ntp.refid", int),
                           ("ReferenceTimestamp", "ntp.reftime", int), ("OriginTimestamp", "ntp.org", int),
                           ("ReceiveTimestamp", "ntp.rec", int), ("TransmitTimestamp", "ntp.xmt", int)):
            v = raw_int(l, f)
            diff(k, r[k], conv(v) if v is not None else None)
        diff("len(ExtensionBytes)", len(r["ExtensionBytes"]) // 2, int(tr["udp.length"]) - 8 - 48)


def sip_headers(hdr_hex):
    """tshark's raw header block as NETCAP's "Name: value" list."""
    # NETCAP's rules: lines end with LF (a last line without one is left
    # out), a header ends at a NUL byte (a C string), bytes that are not
    # UTF-8 print as U+FFFD each.
    block = bytes.fromhex(hdr_hex).decode("utf-8", "perbyte")
    out = []
    for line in block.split("\n")[:-1]:
        line = line.strip("\r\n")
        if not line:
            break
        if line[0] in " \t":
            if out:
                out[-1] += " " + line.strip(" \t")
            continue
        name, colon, value = line.partition(":")
        if colon:
            out.append(name.strip(" ") + ": " + value.strip(" "))
    return [h.split("\x00")[0] for h in out[:64]]


def compare_sip(recs, unit, diff):
    layers, _ = unit
    for r, l in zip(recs, layers):
        if "sip.Status-Line" in l:
            diff("IsResponse", r["IsResponse"], True)
            tree = l.get("sip.Status-Line_tree", {})
            diff("ResponseCode", r["ResponseCode"], int(tree.get("sip.Status-Code", -1)))
            line = l["sip.Status-Line"]
            diff("ResponseStatus", r["ResponseStatus"], line.split(" ", 2)[2] if line.count(" ") >= 2 else "")
            diff("Version", r["Version"], {"SIP/2.0": 2, "SIP/1.0": 1}.get(line.split(" ")[0].upper()))
        else:
            diff("IsResponse", r["IsResponse"], False)
            tree = l.get("sip.Request-Line_tree", {})
            m = tree.get("sip.Method", "").upper()
            diff("Method", r["Method"], SIP_METHODS.index(m) if m in SIP_METHODS else 0)
            line = l.get("sip.Request-Line", "")
            diff("Version", r["Version"], {"SIP/2.0": 2, "SIP/1.0": 1}.get(line.split(" ")[-1].upper()))
        hdr = raw(l, "sip.msg_hdr")
        if hdr is not None:
            diff("Headers", r["Headers"], sip_headers(hdr))


COMPARE = {"DHCPv4": (["dhcp"], compare_dhcpv4), "DHCPv6": (["dhcpv6"], compare_dhcpv6),
           "NTP": (["ntp"], compare_ntp), "SIP": (["sip"], compare_sip)}


def main():
    for typ in ("DNS", "DHCPv4", "DHCPv6", "NTP", "SIP"):
        recs = netcap_records(typ)
        if typ == "DNS":
            units = tshark_dns()
            cmp = lambda rs, u, diff: compare_dns(rs, u, diff)
        else:
            names, fn = COMPARE[typ]
            units = tshark_json(typ, names)
            cmp = fn
        if not recs and not units:
            continue
        by_key = defaultdict(deque)
        for r in recs:
            by_key[key_of(r)].append(r)
        n_layers = sum(u[2] for u in units)
        paired = fields = 0
        diffs, tshark_only = [], []
        for frame, key, n, data in units:
            mine = [by_key[key].popleft() for _ in range(min(n, len(by_key[key])))]
            if len(mine) < n:
                tshark_only.append(f"{frame}({n - len(mine)})")
            if not mine:
                continue
            paired += len(mine)

            def diff(name, a, b, frame=frame):
                nonlocal fields
                fields += 1
                if a != b:
                    diffs.append(f"frame {frame} {name}: netcap {a!r} tshark {b!r}")
            if len(mine) == n:
                cmp(mine, data, diff)
        netcap_only = [k for k, q in by_key.items() for _ in q]
        print(f"{typ} tshark={n_layers} netcap={len(recs)} paired={paired} fields={fields} "
              f"differ={len(diffs)}")
        for d in diffs[:20]:
            print("  DIFF " + d)
        if len(diffs) > 20:
            print(f"  ... {len(diffs) - 20} more")
        if tshark_only:
            print("  tshark-only frames: " + " ".join(tshark_only[:40]) + (" ..." if len(tshark_only) > 40 else ""))
        if netcap_only:
            print("  netcap-only records: " + " ".join(map(str, netcap_only[:10])))


main()
