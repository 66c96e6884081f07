"""tshark_fields.py: reading tests/e2e/tshark_fields.tsv, the one table that
maps NETCAP record fields to tshark fields, and the normalisations it
declares. Imported by test_engine_fields.sh and test_decode_tshark.sh
(sys.path gets this folder); not a test itself.

The table: one row per field, "type<TAB>netcap field<TAB>tshark field<TAB>
normalisation" (the normalisations are listed in its header). Lines starting
with '#' are comments, except "#layer<TAB>TYPE<TAB>SPEC" rows, which say
what one layer of TYPE is in tshark's dissection when the default does not
fit (see layer_spec), and "#payload<TAB>..." rows: fields netcap fills only
with --payload, read when the caller asks for them."""

import ipaddress

# Protocols whose dissection quotes another packet (an ICMP error quotes the
# IP header and 8 bytes of the packet that caused it): tshark shows the quote
# as further layers; NETCAP keeps it as the ICMP record's payload.
QUOTE_TOKENS = ("icmp", "icmpv6")


def load_map(path, payload=False):
    """(mapping, layers): mapping is {type: [(netcap, tshark, norm), ...]} in
    the table's order, with the #payload rows when payload is true (netcap
    ran with --payload); layers is {type: spec} from the #layer rows."""
    mapping, layers = {}, {}
    for line in open(path):
        if line.startswith("#layer\t"):
            _, typ, spec = line.rstrip("\n").split("\t")[:3]
            layers[typ] = spec
            continue
        if payload and line.startswith("#payload\t"):
            line = line[len("#payload\t"):]
        elif line.startswith("#") or not line.strip():
            continue
        typ, nc, ts, norm = line.rstrip("\n").split("\t")
        mapping.setdefault(typ, []).append((nc, ts, norm))
    return mapping, layers


def layer_spec(typ, fields, layers):
    """How to count a packet's layers of typ: ("tokens", {names}) counts
    frame.protocols tokens; ("field", name) counts the occurrences of a
    tshark field (for records that only some messages of a protocol give,
    such as ICMPv6Echo). A #layer row's SPEC is a field when it contains a
    dot, else comma-separated tokens. Default: the token that prefixes the
    type's first tshark field other than frame.* (ip.src -> ip)."""
    spec = layers.get(typ)
    if spec is None:
        for _, ts, _ in fields:
            first = ts.split("|")[0]
            if not first.startswith("frame."):
                spec = first.split(".")[0]
                break
    if spec is None:
        return None
    if "." in spec:
        return ("field", spec)
    return ("tokens", set(spec.split(",")))


def ts_fields(fields):
    """The tshark fields of a type's rows, alternatives (A|B) expanded, in
    the table's order."""
    return [alt for _, ts, _ in fields for alt in ts.split("|")]


def epoch_us(v):
    """tshark's frame.time_epoch in whole microseconds. The fraction is
    nanoseconds, 9 digits; a capture's sub-second part of a second or more
    (crafted files: 1010580000 ns) prints as is, with more digits."""
    sec, _, frac = v.partition(".")
    ns = int(frac) if len(frac) > 9 else int((frac + "000000000")[:9])
    return int(sec) * 1000000 + ns // 1000


def norm_ts(v, norm):
    if norm == "epoch_us":
        return epoch_us(v)
    if norm in ("hex", "hex0", "u32hex"):
        if v == "" and norm == "hex0":
            return 0
        return int(v, 16)
    if norm in ("int", "u32"):
        return int(v)
    if norm == "num":
        return int(v, 0)
    if norm == "words":
        return int(v) // 4
    if norm == "bool":
        return {"1": True, "0": False, "True": True, "False": False}[v]
    if norm == "ip":
        return ipaddress.ip_address(v)
    if norm == "sap":
        return int(v, 0) << 1
    if norm == "llcctl":
        c = int(v, 0)
        if c & 1 == 0 or c & 3 == 1:  # I and S frames: two bytes, read little endian
            c = (c & 0xff) << 8 | c >> 8
        return c
    if norm == "oui":
        return int(v, 0)
    if norm == "bytes":
        return v.lower()
    return v


def norm_nc(v, norm):
    if norm == "epoch_us":
        return int(v) // 1000
    if norm in ("hex", "hex0", "int", "num", "words", "sap", "llcctl"):
        return int(v)
    if norm in ("u32hex", "u32"):
        return int(v) & 0xFFFFFFFF
    if norm == "oui":
        return int(v, 16)
    if norm == "bool":
        return {"true": True, "false": False}[v]
    if norm == "ip":
        return ipaddress.ip_address(v)
    if norm == "bytes":
        return v.lower()
    return v


def same(ours, theirs, norm):
    """(equal, note): compares one NETCAP value with one tshark value after
    normalising both; a value that does not parse is a difference."""
    try:
        return norm_nc(ours, norm) == norm_ts(theirs, norm), ""
    except (ValueError, KeyError) as e:
        return False, f"unreadable: {e}"
