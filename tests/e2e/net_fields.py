#!/usr/bin/python3
"""net_fields.py: the network, transport and 802.11 records of one capture
against tshark.

usage: net_fields.py DUMP PCAP OUTDIR [TSHARK_OPTION...]

OUTDIR holds what `netcap -r PCAP -o OUTDIR -w 1` wrote; DUMP is netcap-dump.
The ICMP and ICMPv6 dissectors stay on whatever the options say (they are
what is compared here). tshark dissects PCAP once (-T fields, every
occurrence of each field); then

  1. counts, one line per type, "COUNT type netcap tshark":
       ICMPv4, ICMPv6   packets with an icmp / icmpv6 layer (the first one: an
                        error's quote of an ICMP packet is no second record)
       ICMPv6Echo, ...RouterSolicitation, ...RouterAdvertisement,
       ...NeighborSolicitation, ...NeighborAdvertisement
                        those packets by the first icmpv6.type (128/129, 133,
                        134, 135, 136), when tshark could read the message's
                        fixed fields
       IGMP             packets with an igmp layer of type 0x11, 0x12, 0x16,
                        0x17 or 0x22 (the versions NETCAP decodes)
       SCTP             packets with an sctp layer
       IPv6HopByHop     ipv6.hopopts layers
       Dot11            packets with a wlan layer whose frame control tshark
                        read
  2. fields: records and tshark's layers are matched by timestamp (whole
     microseconds) and order; for the timestamps where both sides have the
     same number, the fields below are compared, normalised as
     docs/decoding.md ("Network, transport and 802.11") says. Differences
     print as "MISMATCH ...".
       ICMPv4   TypeCode, Checksum, Id and Seq (where tshark has icmp.ident:
                echo, timestamp, ... messages, not quoted in an error),
                SrcIP, DstIP
       ICMPv6   TypeCode, Checksum, SrcIP, DstIP; Echo Identifier,
                SeqNumber; RA HopLimit, Flags, RouterLifetime, ReachableTime,
                RetransTimer; NS/NA TargetAddress, NA Flags (the top byte of
                tshark's icmpv6.nd.na.flag); the option types of RS/RA/NS/NA
       IGMP     Type, Version, Checksum, SrcIP, DstIP; GroupAddress,
                MaxResponseTime (tshark's decoded tenths of a second, in ns),
                S, QRV, QQIC (as gopacket reads it), sources of queries;
                group record types, source counts, addresses of v3 reports
       SCTP     SrcPort, DstPort, VerificationTag, Checksum
       IPv6HopByHop  the option types (packets with one hop-by-hop header and
                no destination options, whose options tshark lists too)
       Dot11    Type (subtype << 2 | type from wlan.fc.type_subtype), Proto,
                Flags, DurationID, Address1 (receiver), Address2
                (transmitter, or BSSID for CF-End), Address3 (BSSID, DA or
                SA by the DS bits), Address4 (SA of 4-address frames),
                SequenceNumber, FragmentNumber, Checksum (where tshark has
                wlan.fcs), QOS from wlan.qos, and the HT Control field's HT
                or VHT subfields (tshark's SNR is without gopacket's +22 dB;
                HE variants are skipped)

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
TSHARK_OPTS = []
rest = sys.argv[4:]
while rest:
    if rest[0] == "--disable-protocol" and len(rest) > 1 and rest[1] in ("icmp", "icmpv6"):
        rest = rest[2:]
        continue
    TSHARK_OPTS.append(rest.pop(0))

TYPES = ["ICMPv4", "ICMPv6", "ICMPv6Echo", "ICMPv6RouterSolicitation",
         "ICMPv6RouterAdvertisement", "ICMPv6NeighborSolicitation",
         "ICMPv6NeighborAdvertisement", "IGMP", "SCTP", "IPv6HopByHop", "Dot11"]
IGMP_TYPES = (0x11, 0x12, 0x16, 0x17, 0x22)

FIELDS = """frame.time_epoch frame.protocols ip.src ip.dst ipv6.src ipv6.dst
icmp.type icmp.code icmp.checksum icmp.ident icmp.seq
icmpv6.type icmpv6.code icmpv6.checksum icmpv6.echo.identifier icmpv6.echo.sequence_number
icmpv6.nd.ns.target_address icmpv6.nd.na.target_address icmpv6.nd.na.flag
icmpv6.nd.ra.cur_hop_limit icmpv6.nd.ra.flag icmpv6.nd.ra.router_lifetime
icmpv6.nd.ra.reachable_time icmpv6.nd.ra.retrans_timer icmpv6.opt.type
igmp.type igmp.version igmp.checksum igmp.maddr igmp.max_resp igmp.s igmp.qrv igmp.qqic
igmp.num_src igmp.saddr igmp.num_grp_recs igmp.record_type
sctp.srcport sctp.dstport sctp.verification_tag sctp.checksum
ipv6.opt.type
wlan.fc.type_subtype wlan.fc.version wlan.flags wlan.duration wlan.ra wlan.ta wlan.bssid
wlan.da wlan.sa wlan.seq wlan.frag wlan.fcs wlan.qos wlan.htc
wlan.htc.vht wlan.htc.he wlan.htc.ac_constraint wlan.htc.rdg_more_ppdu wlan.htc.lac.trq
wlan.htc.lac.mai.mrq wlan.htc.lac.mai.msi wlan.htc.lac.mfsi wlan.htc.lac.mfb
wlan.htc.lac.asel.command wlan.htc.lac.asel.data wlan.htc.cal.pos wlan.htc.cal.seq
wlan.htc.csi_steering wlan.htc.ndp_announcement wlan.htc.mrq wlan.htc.msi
wlan.htc.unsolicited_mfb wlan.htc.num_sts wlan.htc.vht_mcs wlan.htc.bw wlan.htc.snr
wlan.htc.compressed_msi wlan.htc.ppdu_stbc_encoded wlan.htc.coding_type wlan.htc.fb_tx_type""".split()


def num(v):
    return None if v is None else int(v, 0)


def boolean(v):
    return None if v is None else v in ("1", "True")


def tshark_rows():
    cmd = ["tshark", "-n", "-r", PCAP] + TSHARK_OPTS + ["-T", "fields", "-E", "occurrence=a",
                                                        "-E", "aggregator=|"]
    for f in FIELDS:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0 and "cut short" not in res.stderr:
        sys.exit(f"tshark failed on {PCAP}: {res.stderr.strip()}")
    rows = []
    for n, line in enumerate(res.stdout.splitlines(), 1):
        r = {f: (c.split("|") if c else []) for f, c in zip(FIELDS, line.split("\t"))}
        r["_frame"] = n
        r["_protos"] = r["frame.protocols"][0].split(":") if r["frame.protocols"] else []
        rows.append(r)
    return rows


def first(r, f, default=None):
    return r[f][0] if r[f] else default


def us(text):
    sec, _, frac = text.partition(".")
    sign = -1 if sec.startswith("-") else 1
    return int(sec) * 1000000 + sign * int((frac + "000000")[:6])


def before(protos, name, until):
    """The number of `name` layers before the first `until` layer."""
    n = 0
    for p in protos:
        if p == until:
            break
        n += p == name
    return n


def addresses(r, version, proto):
    k = before(r["_protos"], "ip" if version == 4 else "ipv6", proto) - 1
    src, dst = ("ip.src", "ip.dst") if version == 4 else ("ipv6.src", "ipv6.dst")
    if k < 0 or len(r[src]) <= k:
        return {}
    return {"SrcIP": r[src][k], "DstIP": r[dst][k]}


def icmpv4(r, exp):
    ty, co = num(first(r, "icmp.type")), num(first(r, "icmp.code"))
    d = {"TypeCode": None if ty is None or co is None else ty << 8 | co,
         "Checksum": num(first(r, "icmp.checksum"))}
    if r["icmp.ident"] and r["_protos"].count("icmp") == 1:
        d["Id"], d["Seq"] = num(r["icmp.ident"][0]), num(first(r, "icmp.seq"))
    d.update(addresses(r, 4, "icmp"))
    exp["ICMPv4"].append(d)


def icmpv6(r, exp):
    ty, co = num(first(r, "icmpv6.type")), num(first(r, "icmpv6.code"))
    ip = addresses(r, 6, "icmpv6")
    d = {"TypeCode": None if ty is None or co is None else ty << 8 | co,
         "Checksum": num(first(r, "icmpv6.checksum"))}
    d.update(ip)
    exp["ICMPv6"].append(d)
    opts = {"Options": [num(x) for x in r["icmpv6.opt.type"]]}
    if ty in (128, 129) and r["icmpv6.echo.sequence_number"]:
        d = {"Identifier": num(r["icmpv6.echo.identifier"][0]),
             "SeqNumber": num(r["icmpv6.echo.sequence_number"][0])}
        exp["ICMPv6Echo"].append(dict(d, **ip))
    elif ty == 133:
        exp["ICMPv6RouterSolicitation"].append(dict(opts, **ip))
    elif ty == 134 and r["icmpv6.nd.ra.retrans_timer"]:
        d = {"HopLimit": num(first(r, "icmpv6.nd.ra.cur_hop_limit")),
             "Flags": num(first(r, "icmpv6.nd.ra.flag")),
             "RouterLifetime": num(first(r, "icmpv6.nd.ra.router_lifetime")),
             "ReachableTime": num(first(r, "icmpv6.nd.ra.reachable_time")),
             "RetransTimer": num(first(r, "icmpv6.nd.ra.retrans_timer"))}
        exp["ICMPv6RouterAdvertisement"].append(dict(d, **opts, **ip))
    elif ty == 135 and r["icmpv6.nd.ns.target_address"]:
        d = {"TargetAddress": r["icmpv6.nd.ns.target_address"][0]}
        exp["ICMPv6NeighborSolicitation"].append(dict(d, **opts, **ip))
    elif ty == 136 and r["icmpv6.nd.na.target_address"]:
        d = {"TargetAddress": r["icmpv6.nd.na.target_address"][0],
             "Flags": num(first(r, "icmpv6.nd.na.flag")) >> 24}
        exp["ICMPv6NeighborAdvertisement"].append(dict(d, **opts, **ip))


def igmp_time_ns(code):
    tenths = code if code < 128 else ((code & 0x0f) | 0x10) << (((code >> 4) & 7) + 3)
    return tenths * 100000000


def igmp(r, exp):
    ty = num(first(r, "igmp.type"))
    if ty not in IGMP_TYPES:
        return
    d = {"Type": ty, "Checksum": num(first(r, "igmp.checksum")),
         "Version": num(first(r, "igmp.version"))}
    d.update(addresses(r, 4, "igmp"))
    if ty == 0x22:
        d["NumberOfGroupRecords"] = num(first(r, "igmp.num_grp_recs"))
        d["_records"] = ([num(x) for x in r["igmp.record_type"]], [num(x) for x in r["igmp.num_src"]],
                         r["igmp.maddr"], r["igmp.saddr"])
    else:
        d["GroupAddress"] = first(r, "igmp.maddr")
        if r["igmp.max_resp"]:
            d["MaxResponseTime"] = num(r["igmp.max_resp"][0]) * 100000000
        if r["igmp.qrv"]:
            d["RobustnessValue"] = num(r["igmp.qrv"][0])
            d["SupressRouterProcessing"] = boolean(first(r, "igmp.s"))
            d["IntervalTime"] = igmp_time_ns(num(r["igmp.qqic"][0]))
            d["NumberOfSources"] = num(first(r, "igmp.num_src"))
            d["SourceAddresses"] = r["igmp.saddr"]
    exp["IGMP"].append(d)


def dot11(r, exp):
    ts = num(r["wlan.fc.type_subtype"][0])
    typ, sub = (ts >> 4) & 3, ts & 0xf
    flags = num(first(r, "wlan.flags", "0"))
    d = {"Type": sub << 2 | typ, "Proto": num(first(r, "wlan.fc.version")), "Flags": flags,
         "DurationID": num(first(r, "wlan.duration")), "Address1": first(r, "wlan.ra", "")}
    if typ != 1 or sub in (10, 11, 14, 15):      # PS-Poll, RTS, CF-End(+Ack)
        d["Address2"] = first(r, "wlan.ta", first(r, "wlan.bssid", ""))
    if typ == 0:
        d["Address3"] = first(r, "wlan.bssid", "")
    elif typ == 2:
        ds = flags & 3
        d["Address3"] = first(r, {0: "wlan.bssid", 1: "wlan.da", 2: "wlan.sa", 3: "wlan.da"}[ds], "")
        if ds == 3:
            d["Address4"] = first(r, "wlan.sa", "")
    if typ in (0, 2) and r["wlan.seq"]:
        d["SequenceNumber"] = num(r["wlan.seq"][0])
        d["FragmentNumber"] = num(first(r, "wlan.frag", "0"))
    if r["wlan.fcs"]:
        d["Checksum"] = num(r["wlan.fcs"][0])
    if r["wlan.qos"]:
        q = num(r["wlan.qos"][0])
        d["QOS.TID"], d["QOS.EOSP"] = q & 0xf, bool(q & 0x10)
        d["QOS.AckPolicy"], d["QOS.TXOP"] = (q >> 5) & 3, q >> 8
    if r["wlan.htc"] and not boolean(first(r, "wlan.htc.he")):
        B = lambda f: boolean(first(r, f))
        N = lambda f: num(first(r, f))
        d["HTControl.ACConstraint"] = B("wlan.htc.ac_constraint")
        d["HTControl.RDGMorePPDU"] = B("wlan.htc.rdg_more_ppdu")
        if B("wlan.htc.vht"):
            v = "HTControl.VHT."
            d[v + "MRQ"], d[v + "UnsolicitedMFB"] = B("wlan.htc.mrq"), B("wlan.htc.unsolicited_mfb")
            d[v + "MFB.NumSTS"], d[v + "MFB.VHTMCS"] = N("wlan.htc.num_sts"), N("wlan.htc.vht_mcs")
            d[v + "MFB.BW"] = N("wlan.htc.bw")
            snr = N("wlan.htc.snr")
            d[v + "MFB.SNR"] = None if snr is None else snr + 22
            if d[v + "UnsolicitedMFB"]:
                d[v + "CompressedMSI"] = N("wlan.htc.compressed_msi")
                d[v + "STBCIndication"] = B("wlan.htc.ppdu_stbc_encoded")
                d[v + "CodingType"] = N("wlan.htc.coding_type")
                d[v + "FbTXBeamformed"] = B("wlan.htc.fb_tx_type")
            elif d[v + "MRQ"]:
                d[v + "MSI"] = N("wlan.htc.msi")
        else:
            h, lac = "HTControl.HT.", "HTControl.HT.LinkAdapationControl."
            d[lac + "TRQ"], d[lac + "MFSI"] = B("wlan.htc.lac.trq"), N("wlan.htc.lac.mfsi")
            if r["wlan.htc.lac.asel.command"]:
                d[lac + "ASEL.Command"] = N("wlan.htc.lac.asel.command")
                d[lac + "ASEL.Data"] = N("wlan.htc.lac.asel.data")
            else:
                d[lac + "MRQ"], d[lac + "MFB"] = B("wlan.htc.lac.mai.mrq"), N("wlan.htc.lac.mfb")
                if d[lac + "MRQ"]:
                    d[lac + "MSI"] = N("wlan.htc.lac.mai.msi")
            d[h + "CalibrationPosition"] = N("wlan.htc.cal.pos")
            d[h + "CalibrationSequence"] = N("wlan.htc.cal.seq")
            d[h + "CSISteering"] = N("wlan.htc.csi_steering")
            d[h + "NDPAnnouncement"] = B("wlan.htc.ndp_announcement")
    exp["Dot11"].append(d)


def expected(rows):
    """Per type, per timestamp (us): the layers tshark shows, in order."""
    exp = defaultdict(lambda: defaultdict(list))
    for r in rows:
        p = r["_protos"]
        per = defaultdict(list)
        if "icmp" in p:
            icmpv4(r, per)
        if "icmpv6" in p:
            icmpv6(r, per)
        if "igmp" in p and r["igmp.type"]:
            igmp(r, per)
        if "sctp" in p:
            per["SCTP"].append({"SrcPort": num(first(r, "sctp.srcport")),
                                "DstPort": num(first(r, "sctp.dstport")),
                                "VerificationTag": num(first(r, "sctp.verification_tag")),
                                "Checksum": num(first(r, "sctp.checksum"))})
        n_hbh = p.count("ipv6.hopopts")
        for _ in range(n_hbh):
            one = n_hbh == 1 and "ipv6.dstopts" not in p
            per["IPv6HopByHop"].append({"_options": [num(x) for x in r["ipv6.opt.type"]]} if one else {})
        if "wlan" in p and r["wlan.fc.type_subtype"]:
            dot11(r, per)
        t = us(first(r, "frame.time_epoch"))
        for ty, layers in per.items():
            for d in layers:
                d["_frame"] = r["_frame"]
                exp[ty][t].append(d)
    return exp


def records(ty):
    path = os.path.join(OUT, ty + ".ncap.gz")
    if not os.path.exists(path):
        return []
    out = subprocess.run([DUMP, "--json", path], capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def dig(rec, path):
    for part in path.split("."):
        rec = rec.get(part) if isinstance(rec, dict) else None
    return rec


def same(got, want, key):
    if isinstance(want, str) and ("IP" in key or "Address" in key):
        try:
            return ipaddress.ip_address(got or "") == ipaddress.ip_address(want)
        except ValueError:
            return got == want
    return got == want


def compare(ty, rec, d):
    diffs = []
    for key, want in d.items():
        if key == "_options":
            got = [o.get("OptionType", 0) for o in rec.get("Options") or []]
        elif key == "_records":
            groups = rec.get("GroupRecords") or []
            got = ([g.get("Type", 0) for g in groups], [g.get("NumberOfSources", 0) for g in groups],
                   [g.get("MulticastAddress", "") for g in groups],
                   [s for g in groups for s in g.get("SourceAddresses") or []])
        elif key == "Options":
            got = [o.get("Type", 0) for o in rec.get("Options") or []]
        elif key.startswith("_") or want is None:
            continue
        else:
            got = dig(rec, key)
            if got is None:     # an absent nested message: its fields are 0
                got = False if isinstance(want, bool) else 0
        if not same(got, want, key):
            diffs.append(f"{key}: netcap {got!r}, tshark {want!r}")
    return diffs


def main():
    exp = expected(tshark_rows())
    failed = False
    for ty in TYPES:
        recs = records(ty)
        by_time = defaultdict(list)
        for rec in recs:
            by_time[rec["Timestamp"] // 1000].append(rec)
        want = exp.get(ty, {})
        print(f"COUNT {ty} {len(recs)} {sum(len(v) for v in want.values())}")
        for t, layers in want.items():
            got = by_time.get(t, [])
            if len(got) != len(layers):
                frames = sorted({d["_frame"] for d in layers})
                print(f"note: {ty} at {t} us (frame {frames[0]}): {len(got)} records, "
                      f"{len(layers)} tshark layers: not compared")
                continue
            for rec, d in zip(got, layers):
                diffs = compare(ty, rec, d)
                if diffs:
                    failed = True
                    print(f"MISMATCH {ty} frame {d['_frame']}: " + "; ".join(diffs))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
