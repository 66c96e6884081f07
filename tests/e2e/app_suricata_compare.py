#!/usr/bin/env python3
"""app_suricata_compare.py: NETCAP's TLS hello records against Suricata 7's
eve.json "tls" events (JA4, JA3, JA3S, SNI), for one capture.

    app_suricata_compare.py CAPTURE NETCAP_DIR EVE_JSON

NETCAP_DIR holds the capture's TLSClientHello and TLSServerHello records
(netcap-dump --json from $NETCAP_BUILD, or TYPE.json, one JSON object a
line, when that file is there). Suricata writes one tls event per TLS
session: its flow's endpoints (src is the side of the flow's first packet),
tls.ja4, tls.ja3.hash, tls.ja3s.hash, tls.sni. A flow is the unordered
pair of endpoints; our records of it are those with these endpoints either
way round.

For each value Suricata gives: found (ours has it, and no other value in
that flow), missing (ours has no value there), contradicting (ours has
another) or explained. Compared: ja4 = Ja4, ja3 = Ja3, ja3s = Ja3s, sni =
SNI (both lower-cased).

Explained, the one known difference: a ClientHello without a
signature_algorithms extension. FoxIO's definition (technical_details/
JA4.md, "Extension hash"; FoxIO-LLC/ja4 issue 146, whose reference Zeek
script was fixed to follow it) hashes the sorted extensions alone, "If
there are no signature algorithms in the hello packet, then the string
ends without an underscore"; Suricata 7.0 always appends "_". When our
record has no SignatureAlgs, our JA4 follows the definition, and the hash
of our record's extensions with "_" appended is Suricata's, the value is
explained, not contradicting.

Output: "  contradicting FIELD FLOW suricata=V ours=[...]",
"  explained ..." and "  missing FIELD FLOW suricata=V" lines, then
"TOTAL CAPTURE FIELD=reported/found/missing/contradicting/explained ..."
per field.
Exits 0; the caller judges (test_app_suricata.sh).
"""
import hashlib
import ipaddress
import json
import os
import sys
from collections import defaultdict
import netcap_records

FIELDS = (("ja4", "TLSClientHello", "Ja4"), ("ja3", "TLSClientHello", "Ja3"),
          ("ja3s", "TLSServerHello", "Ja3s"), ("sni", "TLSClientHello", "SNI"))


def records(netcap_dir, typ):
    return netcap_records.records(netcap_dir, typ)


def key(a_ip, a_port, b_ip, b_port):
    try:
        return frozenset(((ipaddress.ip_address(a_ip), int(a_port)), (ipaddress.ip_address(b_ip), int(b_port))))
    except (ValueError, TypeError):
        return None


GREASE = {0x0a0a + 0x1010 * i for i in range(16)}


def suricata_style_ja4(rec):
    """Our record's JA4 with Suricata 7's trailing "_" in the hashed
    extension string when there are no signature algorithms; None when
    that does not apply."""
    ja4 = rec.get("Ja4", "")
    if rec.get("SignatureAlgs") or len(ja4) != 36:
        return None
    exts = sorted(e for e in rec.get("Extensions", []) if e not in GREASE and e not in (0x0000, 0x0010))
    text = ",".join(f"{e:04x}" for e in exts)
    # No extensions: the definition's "000000000000", Suricata's hash of "_".
    mine = hashlib.sha256(text.encode()).hexdigest()[:12] if exts else "000000000000"
    if mine != ja4[-12:]:
        return None     # ours is not the definition's: no excuse
    return ja4[:-12] + hashlib.sha256((text + "_").encode()).hexdigest()[:12]


def consistent(rec):
    """Whether our record's Extensions and SignatureAlgs hash to its own
    JA4_c (when not, the record's lists are wrong, or its JA4)."""
    ja4 = rec.get("Ja4", "")
    exts = sorted(e for e in rec.get("Extensions", []) if e not in GREASE and e not in (0x0000, 0x0010))
    if not exts:
        return ja4.endswith("000000000000")
    text = ",".join(f"{e:04x}" for e in exts)
    sigs = [s for s in rec.get("SignatureAlgs", []) if s not in GREASE]
    if sigs:
        text += "_" + ",".join(f"{s:04x}" for s in sigs)
    return hashlib.sha256(text.encode()).hexdigest()[:12] == ja4[-12:]


def main():
    capture, netcap_dir, eve = sys.argv[1:4]
    ours = {}
    for typ in ("TLSClientHello", "TLSServerHello"):
        d = defaultdict(list)
        for r in records(netcap_dir, typ):
            d[key(r.get("SrcIP"), r.get("SrcPort"), r.get("DstIP"), r.get("DstPort"))].append(r)
        ours[typ] = d
    n = {f: [0, 0, 0, 0, 0] for f, _, _ in FIELDS}
    with open(eve, encoding="utf-8", errors="replace") as f:
        events = [json.loads(line) for line in f if line.strip()]
    for e in events:
        if e.get("event_type") != "tls" or e.get("proto") != "TCP":
            continue
        k = key(e.get("src_ip"), e.get("src_port"), e.get("dest_ip"), e.get("dest_port"))
        flow = f"{e.get('src_ip')}:{e.get('src_port')} {e.get('dest_ip')}:{e.get('dest_port')}"
        tls = e.get("tls", {})
        theirs = {"ja4": tls.get("ja4"), "ja3": (tls.get("ja3") or {}).get("hash"),
                  "ja3s": (tls.get("ja3s") or {}).get("hash"), "sni": tls.get("sni")}
        for field, typ, name in FIELDS:
            want = theirs[field]
            if not want:
                continue
            recs = ours[typ].get(k, [])
            have = [r.get(name, "") for r in recs]
            have = [v.lower() if field == "sni" else v for v in have if v]
            want = want.lower() if field == "sni" else want
            n[field][0] += 1
            if not have:
                n[field][2] += 1
                print(f"  missing {field} {flow} suricata={want!r}")
            elif all(v == want for v in have):
                n[field][1] += 1
            elif field == "ja4" and all(suricata_style_ja4(r) == want for r in recs if r.get(name)):
                n[field][4] += 1
                print(f"  explained {field} {flow} suricata={want!r} ours={sorted(set(have))!r} "
                      "(no signature algorithms: Suricata hashes a trailing '_')")
            else:
                n[field][3] += 1
                hint = ""
                if field == "ja4" and not all(consistent(r) for r in recs if r.get(name)):
                    hint = " (our record's Extensions and SignatureAlgs do not hash to its own JA4_c)"
                print(f"  contradicting {field} {flow} suricata={want!r} ours={sorted(set(have))!r}{hint}")
    print(f"TOTAL {capture} " + " ".join(f"{f}={'/'.join(map(str, v))}" for f, v in n.items()))


main()
