#!/usr/bin/python3
"""link_fields.py: the link-layer records of one capture against tshark.

usage: link_fields.py DUMP PCAP OUTDIR [TSHARK_OPTION...]

OUTDIR holds what `netcap -r PCAP -o OUTDIR -w 1` wrote; DUMP is netcap-dump.
tshark dissects PCAP once (-T json -x, with the options given); then

  1. counts: for each record type, the records in OUTDIR against tshark's
     layers (frame.protocols tokens: eth, vlan + ieee8021ad, ip, ipv6, tcp,
     udp, arp, llc, loop, lldp; SNAP = llc layers with an OUI; Info =
     lldp). One line per type with both counts: "COUNT type netcap tshark".
  2. fields: records and tshark layers are matched by timestamp (whole
     microseconds) and order; for the packets where both sides have the
     same number, every field of ARP, LLC, SNAP, EthernetCTP,
     EthernetCTPReply, LinkLayerDiscovery and LinkLayerDiscoveryInfo is
     compared, normalised as docs/decoding.md ("Link layer") says: SAPs
     without the low bit, a two-byte LLC control field byte-swapped (tshark
     reads it little endian), ARP protocol addresses of 4 or 16 bytes as
     addresses whatever the protocol type, LLDP values from the frame's bytes
     at tshark's TLV offsets, the last management address TLV. Differences
     print as "MISMATCH ...".

Exit status 1 when a field differs, else 0 (counts are judged by the
caller against the accepted differences).
"""
import ipaddress
import json
import os
import subprocess
import sys
from collections import defaultdict

DUMP, PCAP, OUT = sys.argv[1:4]
TSHARK_OPTS = sys.argv[4:]


class Obj(list):
    """A JSON object as its (key, value) pairs: tshark repeats keys."""


def get(node, key, default=None):
    if isinstance(node, Obj):
        for k, v in node:
            if k == key:
                return v
    return default


def find(node, key):
    """The first value of key anywhere below node."""
    if not isinstance(node, Obj):
        return None
    for k, v in node:
        if k == key:
            return v
        r = find(v, key)
        if r is not None:
            return r
    return None


def hexstr(s):
    return s.replace(":", "").lower()


def colon_hex(h):
    return ":".join(h[i:i + 2] for i in range(0, len(h), 2))


def epoch_us(v):
    sec, _, frac = v.partition(".")
    return int(sec) * 1000000 + int((frac + "000000")[:6])


p = subprocess.run(["tshark", "-n", "-r", PCAP, *TSHARK_OPTS, "-T", "json", "-x"],
                   capture_output=True)
# A capture cut short mid-packet: tshark exits 2 after the packets it read.
if p.returncode not in (0, 2):
    sys.exit("tshark failed: " + p.stderr.decode(errors="replace"))
packets = json.loads((p.stdout or b"[]").decode("utf-8", "replace"), object_pairs_hook=Obj)

COUNT_TOKENS = {"Ethernet": ["eth"], "Dot1Q": ["vlan", "ieee8021ad"], "IPv4": ["ip"],
                "IPv6": ["ipv6"], "TCP": ["tcp"], "UDP": ["udp"], "ARP": ["arp"], "LLC": ["llc"],
                "EthernetCTP": ["loop"], "LinkLayerDiscovery": ["lldp"],
                "LinkLayerDiscoveryInfo": ["lldp"]}
FIELD_TYPES = ["ARP", "LLC", "SNAP", "EthernetCTP", "EthernetCTPReply", "LinkLayerDiscovery",
               "LinkLayerDiscoveryInfo"]
tshark_count = defaultdict(int)
expected = defaultdict(list)   # type -> [(frame number, us, fields)]


def arp_fields(a):
    d = {"AddrType": int(get(a, "arp.hw.type")), "Protocol": int(get(a, "arp.proto.type"), 16),
         "HwAddressSize": int(get(a, "arp.hw.size")),
         "ProtocolAddressSize": int(get(a, "arp.proto.size")),
         "Operation": int(get(a, "arp.opcode"))}
    for side, nc in (("src", "Src"), ("dst", "Dst")):
        mac, hw = get(a, f"arp.{side}.hw_mac"), get(a, f"arp.{side}.hw")
        d[nc + "HwAddress"] = mac if mac is not None else colon_hex(hexstr(hw or ""))
        ip, pr = get(a, f"arp.{side}.proto_ipv4"), get(a, f"arp.{side}.proto")
        if ip is None and pr is not None and len(hexstr(pr)) in (8, 32):
            ip = str(ipaddress.ip_address(bytes.fromhex(hexstr(pr))))
        d[nc + "ProtocolAddress"] = ip if ip is not None else colon_hex(hexstr(pr or ""))
    return d


def llc_fields(l):
    dsap, ssap = int(get(l, "llc.dsap"), 16), int(get(l, "llc.ssap"), 16)
    control = int(get(l, "llc.control"), 16)
    if control & 1 == 0 or control & 3 == 1:
        control = (control & 0xff) << 8 | control >> 8
    return {"DSAP": dsap & 0xfe, "IG": bool(dsap & 1), "SSAP": ssap & 0xfe, "CR": bool(ssap & 1),
            "Control": control}


def snap_fields(l):
    pid = None
    for k, v in l:
        if k in ("llc.type", "llc.pid") or (k.endswith("_pid") and not k.endswith("_raw")):
            pid = int(v, 16)
    return {"OrganizationalCode": "%06x" % int(get(l, "llc.oui")), "Type": pid}


def lldp_fields(layer, raw):
    d = {"ChassisID": None, "PortID": None, "TTL": 0, "Values": []}
    info = {"PortDescription": "", "SysName": "", "SysDescription": "", "SystemCap": 0,
            "EnabledCap": 0, "MgmtAddress": None, "OrgTLVs": [], "Unknown": []}
    for label, node in layer:
        t = get(node, "lldp.tlv.type")
        if t is None or label.endswith("_raw"):
            continue
        t, n = int(t), int(get(node, "lldp.tlv.len"))
        at = get(node, "lldp.tlv.type_raw")[1] + 2
        val = raw[at:at + n]
        if t == 0:
            continue
        if t in (1, 2):
            d["ChassisID" if t == 1 else "PortID"] = {"Subtype": val[0], "ID": val[1:].hex()}
            continue
        if t == 3:
            d["TTL"] = int(get(node, "lldp.time_to_live"))
            continue
        d["Values"].append({"Type": t, "Length": n, "Value": val.hex()})
        text = lambda key: find(node, key) or ""
        if t == 4:
            info["PortDescription"] = text("lldp.port.desc")
        elif t == 5:
            info["SysName"] = text("lldp.tlv.system.name")
        elif t == 6:
            info["SysDescription"] = text("lldp.tlv.system.desc")
        elif t == 7:
            info["SystemCap"] = int(find(node, "lldp.tlv.system_cap"), 16)
            info["EnabledCap"] = int(find(node, "lldp.tlv.enable_system_cap"), 16)
        elif t == 8:
            addr = find(node, "lldp.mgn.addr.ip4") or find(node, "lldp.mgn.addr.ip6")
            addr = ipaddress.ip_address(addr).packed.hex() if addr else hexstr(
                find(node, "lldp.mgn.addr.hex") or "")
            info["MgmtAddress"] = {
                "Subtype": int(find(node, "lldp.mgn.address.subtype")), "Address": addr,
                "InterfaceSubtype": int(find(node, "lldp.mgn.interface.subtype")),
                "InterfaceNumber": int(find(node, "lldp.mgn.interface.number")),
                "OID": find(node, "lldp.mgn.obj.id") or ""}
        elif t == 127:
            sub = next((int(v, 0) for k, v in node
                        if k.endswith("subtype") and not k.endswith("_raw")), None)
            info["OrgTLVs"].append({"OUI": int(find(node, "lldp.orgtlv.oui")), "SubType": sub,
                                    "Info": val[4:].hex()})
        else:
            info["Unknown"].append({"Type": t, "Length": n, "Value": val.hex()})
    return d, info


for pk in packets:
    layers = get(get(pk, "_source"), "layers")
    frame = get(layers, "frame")
    num, us = int(get(frame, "frame.number")), epoch_us(get(frame, "frame.time_epoch"))
    for token in get(frame, "frame.protocols").split(":"):
        for typ, tokens in COUNT_TOKENS.items():
            if token in tokens:
                tshark_count[typ] += 1
    raw = bytes.fromhex(get(layers, "frame_raw")[0])
    for i, (name, layer) in enumerate(layers):
        if name == "arp":
            expected["ARP"].append((num, us, arp_fields(layer)))
        elif name == "llc":
            expected["LLC"].append((num, us, llc_fields(layer)))
            if get(layer, "llc.oui") is not None:
                tshark_count["SNAP"] += 1
                expected["SNAP"].append((num, us, snap_fields(layer)))
        elif name == "loop":
            expected["EthernetCTP"].append((num, us, {"SkipCount": int(get(layer, "loop.skipcount"))}))
            receipt = get(layer, "loop.receipt_number")
            if receipt is not None:
                tshark_count["EthernetCTPReply"] += 1
                data = next((get(v, "data.data") for k, v in layers[i + 1:] if k == "data"), "")
                expected["EthernetCTPReply"].append((num, us, {
                    "Function": 1, "ReceiptNumber": int(receipt), "Data": hexstr(data)}))
        elif name == "lldp":
            d, info = lldp_fields(layer, raw)
            expected["LinkLayerDiscovery"].append((num, us, d))
            expected["LinkLayerDiscoveryInfo"].append((num, us, info))


def capabilities(c):
    names = ["Other", "Repeater", "Bridge", "WLANAP", "Router", "Phone", "DocSis",
             "StationOnly", "CVLAN", "SVLAN", "TMPR"]
    return sum(1 << i for i, n in enumerate(names) if c[n])


def netcap_fields(typ, r):
    r = dict(r)
    r.pop("Timestamp")
    if typ == "LinkLayerDiscoveryInfo":
        caps = r.pop("SysCapabilities")
        r["SystemCap"] = capabilities(caps["SystemCap"])
        r["EnabledCap"] = capabilities(caps["EnabledCap"])
        m = r["MgmtAddress"]
        if m == {"Subtype": 0, "Address": "", "InterfaceSubtype": 0, "InterfaceNumber": 0, "OID": ""}:
            r["MgmtAddress"] = None
    return r


def same(key, got, want):
    if key == "OrgTLVs":
        # tshark names each organisation's subtype field differently; one it
        # does not dissect has none (None: not compared).
        return len(got) == len(want) and all(
            g["OUI"] == w["OUI"] and g["Info"] == w["Info"] and
            (w["SubType"] is None or g["SubType"] == w["SubType"]) for g, w in zip(got, want))
    return got == want


def netcap_records(typ):
    path = os.path.join(OUT, typ + ".ncap.gz")
    if not os.path.exists(path):
        return []
    out = subprocess.run([DUMP, "--json", path], capture_output=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def netcap_count(typ):
    path = os.path.join(OUT, typ + ".ncap.gz")
    if not os.path.exists(path):
        return 0
    out = subprocess.run([DUMP, "--count", path], capture_output=True, check=True, text=True)
    return int(out.stdout.split()[-1])


name = os.path.basename(PCAP)
for typ in list(COUNT_TOKENS) + ["SNAP", "EthernetCTPReply"]:
    print(f"COUNT {typ} {netcap_count(typ)} {tshark_count[typ]}")

mismatches = 0
for typ in FIELD_TYPES:
    nc = defaultdict(list)
    for r in netcap_records(typ):
        nc[r["Timestamp"] // 1000].append(r)
    ts = defaultdict(list)
    for num, us, d in expected[typ]:
        ts[us].append((num, d))
    rows = 0
    for us in sorted(set(nc) & set(ts)):
        if len(nc[us]) != len(ts[us]):
            continue   # a count difference: judged from the counts
        for r, (num, want) in zip(nc[us], ts[us]):
            rows += 1
            got = netcap_fields(typ, r)
            for key in want:
                if not same(key, got.get(key), want[key]):
                    mismatches += 1
                    if mismatches <= 20:
                        print(f"MISMATCH {name} {typ} frame {num}: {key}: "
                              f"netcap {got.get(key)!r} tshark {want[key]!r}")
    if rows:
        print(f"FIELDS {typ} {rows} records compared")
sys.exit(1 if mismatches else 0)
