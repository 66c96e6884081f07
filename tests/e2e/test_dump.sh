#!/usr/bin/env bash
# test_dump.sh: end-to-end test of netcap-dump on record files written by an
# independent implementation (Debian's python3-protobuf), covering CSV, JSON,
# the options, several files, and files that are cut short or not gzip.
source "$(dirname "$0")/lib.sh"

DUMP=$NETCAP_BUILD/netcap-dump
PY=/usr/bin/python3
[ -x "$DUMP" ] || skip "$DUMP not built"
command -v protoc >/dev/null || skip "protoc absent (protobuf-compiler)"
$PY -c 'import google.protobuf' 2>/dev/null || skip "python3-protobuf absent"

protoc --python_out="$TMP" -I "$NETCAP_ROOT/proto" "$NETCAP_ROOT/proto/netcap.proto"

# The files, framed as docs/file-format.md says: a Header record, then the
# records, each after its varint length, in gzip members.
mkdir -p "$TMP/good" "$TMP/trunc" "$TMP/bad" "$TMP/mixed" "$TMP/big"
PYTHONPATH=$TMP $PY - "$TMP" <<'EOF'
import gzip, sys
import netcap_pb2 as pb

tmp = sys.argv[1]
CREATED = 1549166706000000000

def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)

def framed(msgs):
    return b"".join(varint(len(m.SerializeToString())) + m.SerializeToString() for m in msgs)

def header(t):
    return pb.Header(Created=CREATED, InputSource="test.pcap", Type=t, Version="0.1.0")

tcp = [
    pb.TCP(Timestamp=1549166706123456789, SrcPort=443, DstPort=51000, SeqNum=1000,
           DataOffset=5, SYN=True, Window=65535, PayloadEntropy=0.1, PayloadSize=2,
           Payload=b"\x00\xff", SrcIP='host "a",b', DstIP="10.0.0.2",
           Options=[pb.TCPOption(OptionType=2, OptionLength=4, OptionData=b"\x05\xb4"),
                    pb.TCPOption(OptionType=1, OptionLength=1)]),
    pb.TCP(Timestamp=-1, SrcPort=80, DstPort=8080, ACK=True, SrcIP="10.0.0.3", DstIP="10.0.0.4"),
    pb.TCP(Timestamp=0, SrcPort=22, DstPort=2222, SrcIP="10.0.0.5", DstIP="10.0.0.6"),
]
# Two members: the header and two records, then the third record.
member1 = gzip.compress(framed([header(pb.NC_TCP)] + tcp[:2]))
member2 = gzip.compress(framed(tcp[2:]))
open(f"{tmp}/good/TCP.ncap.gz", "wb").write(member1 + member2)
# Cut inside the second member: the first two records are still readable.
open(f"{tmp}/trunc/TCP.ncap.gz", "wb").write(member1 + member2[: len(member2) // 2])
open(f"{tmp}/bad/TCP.ncap.gz", "wb").write(b"this is not a gzip file\n")

udp = [pb.UDP(Timestamp=5, SrcPort=53, DstPort=5353, SrcIP="10.1.0.1", DstIP="10.1.0.2")]
open(f"{tmp}/good/UDP.ncap.gz", "wb").write(gzip.compress(framed([header(pb.NC_UDP)] + udp)))

# A string that is not UTF-8 (protobuf-c accepts it), then a record that
# does not decode at all, then a good one.
raw = [pb.UDP(SrcPort=1).SerializeToString(), b"\x4a\x02\xff\xfe", b"\xff\xff\xff",
       pb.UDP(SrcPort=4).SerializeToString()]
open(f"{tmp}/mixed/UDP.ncap.gz", "wb").write(gzip.compress(
    framed([header(pb.NC_UDP)]) + b"".join(varint(len(r)) + r for r in raw)))

many = [pb.UDP(Timestamp=i, SrcPort=i % 65536, SrcIP="10.2.0.1") for i in range(100000)]
open(f"{tmp}/big/UDP.ncap.gz", "wb").write(gzip.compress(framed([header(pb.NC_UDP)] + many)))
EOF
TCP=$TMP/good/TCP.ncap.gz
UDP=$TMP/good/UDP.ncap.gz

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() { [ "$2" = "$3" ] || fail "$1: expected [$2], got [$3]"; }
# run_status CMD...: runs CMD with stdout/stderr in $TMP/out, $TMP/err; sets rc.
run_status() { rc=0; "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?; }

echo "-- CSV: header line, values, quoting, compact form"
"$DUMP" "$TCP" >"$TMP/out"
expect_eq "header line" \
  "Timestamp,SrcPort,DstPort,SeqNum,AckNum,DataOffset,FIN,SYN,RST,PSH,ACK,URG,ECE,CWR,NS,Window,Checksum,Urgent,Padding,Options,PayloadEntropy,PayloadSize,Payload,SrcIP,DstIP,Truncated" \
  "$(head -n 1 "$TMP/out")"
expect_eq "first record" \
  '1549166706123456789,443,51000,1000,0,5,false,true,false,false,false,false,false,false,false,65535,0,0,,[(2;4;05b4)|(1;1;)],0.1,2,00ff,"host ""a"",b",10.0.0.2,false' \
  "$(sed -n 2p "$TMP/out")"
expect_eq "line count" 4 "$(wc -l <"$TMP/out")"
# Python's csv module reads it back, quoted cell included.
$PY -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert len(rows) == 4 and all(len(r) == 26 for r in rows), rows
assert rows[1][23] == "host \"a\",b", rows[1][23]
assert rows[2][0] == "-1" and rows[2][19] == "[]", rows[2]
' "$TMP/out" || fail "CSV not readable by python csv"

echo "-- --select order, single-dash and = forms"
expect_eq "--select" $'DstPort,SrcPort\n51000,443\n8080,80\n2222,22' "$("$DUMP" --select DstPort,SrcPort "$TCP")"
expect_eq "-select" "$("$DUMP" --select DstPort,SrcPort "$TCP")" "$("$DUMP" -select DstPort,SrcPort "$TCP")"
expect_eq "--select=" "$("$DUMP" --select DstPort,SrcPort "$TCP")" "$("$DUMP" --select=DstPort,SrcPort "$TCP")"

echo "-- --tsv, --sep"
expect_eq "--tsv" $'SrcPort\tDstPort\n443\t51000' "$("$DUMP" --tsv --select SrcPort,DstPort "$TCP" | head -n 2)"
expect_eq "-sep \\t" "$("$DUMP" --tsv "$TCP")" "$("$DUMP" -sep '\t' "$TCP")"
expect_eq "--sep ;" $'SrcPort;SrcIP\n443;"host ""a"",b"\n80;10.0.0.3' "$("$DUMP" --sep ';' --select SrcPort,SrcIP "$TCP" | head -n 3)"

echo "-- --json"
"$DUMP" --json "$TCP" >"$TMP/out"
$PY -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 3, recs
r = recs[0]
assert list(r)[:3] == ["Timestamp", "SrcPort", "DstPort"] and len(r) == 26, list(r)
assert r["Timestamp"] == 1549166706123456789 and r["SrcPort"] == 443 and r["SYN"] is True
assert r["Options"] == [{"OptionType": 2, "OptionLength": 4, "OptionData": "05b4"},
                        {"OptionType": 1, "OptionLength": 1, "OptionData": ""}], r["Options"]
assert r["Payload"] == "00ff" and r["Padding"] == "" and r["PayloadEntropy"] == 0.1
assert r["SrcIP"] == "host \"a\",b"
assert recs[1]["Options"] == [] and recs[1]["FIN"] is False
' "$TMP/out" || fail "--json output wrong"
expect_eq "-json" "$(cat "$TMP/out")" "$("$DUMP" -json "$TCP")"

echo "-- --utc"
expect_eq "--utc CSV" \
  $'Timestamp\n2019-02-03T04:05:06.123456789Z\n1969-12-31T23:59:59.999999999Z\n1970-01-01T00:00:00.000000000Z' \
  "$("$DUMP" --utc --select Timestamp "$TCP")"
expect_eq "--utc JSON" '{"Timestamp":"2019-02-03T04:05:06.123456789Z"}' \
  "$("$DUMP" -utc -json -select Timestamp "$TCP" | head -n 1)"

echo "-- --count, --fields, --header"
expect_eq "--count" 3 "$("$DUMP" --count "$TCP")"
expect_eq "-count files" "3	$TCP
1	$UDP
4	total" "$("$DUMP" -count "$TCP" "$UDP")"
expect_eq "--fields" "$(head -n 1 <("$DUMP" "$TCP"))" "$("$DUMP" --fields "$TCP")"
expect_eq "-fields --select" "SrcIP,Timestamp" "$("$DUMP" -fields -select SrcIP,Timestamp "$TCP")"
expect_eq "--header" $'Created,InputSource,Type,Version,ContainsPayloads\n1549166706000000000,test.pcap,NC_TCP,0.1.0,false\n1549166706000000000,test.pcap,NC_UDP,0.1.0,false' \
  "$("$DUMP" --header "$TCP" "$UDP")"
expect_eq "--header --json" '{"Created":"2019-02-03T04:05:06.000000000Z","InputSource":"test.pcap","Type":"NC_TCP","Version":"0.1.0","ContainsPayloads":false}' \
  "$("$DUMP" --header --json --utc "$TCP")"

echo "-- several files, standard input"
expect_eq "same type: one header line" 7 "$("$DUMP" "$TCP" "$TCP" | wc -l)"
"$DUMP" --select SrcPort "$TCP" "$UDP" "$TCP" >"$TMP/out"
expect_eq "type changes: new header lines" $'SrcPort\n443\n80\n22\nSrcPort\n53\nSrcPort\n443\n80\n22' "$(cat "$TMP/out")"
expect_eq "stdin" "$("$DUMP" "$TCP")" "$("$DUMP" - <"$TCP")"

echo "-- usage errors exit 2"
run_status "$DUMP" --select SrcPort,Bogus "$TCP"
expect_eq "unknown field exit" 2 "$rc"
grep -q 'Bogus' "$TMP/err" && grep -q 'Timestamp,SrcPort,DstPort' "$TMP/err" ||
  fail "unknown field message does not name it and list the fields: $(cat "$TMP/err")"
run_status "$DUMP" --bogus "$TCP"
expect_eq "unknown option exit" 2 "$rc"
grep -q -- '--bogus' "$TMP/err" || fail "unknown option not named: $(cat "$TMP/err")"
run_status "$DUMP" --sep ab "$TCP"
expect_eq "bad --sep exit" 2 "$rc"
grep -q -- '--sep' "$TMP/err" || fail "bad --sep not named: $(cat "$TMP/err")"
run_status "$DUMP" --sep $'\xc3' "$TCP"
expect_eq "non-ASCII --sep exit" 2 "$rc"
run_status "$DUMP" --select
expect_eq "missing value exit" 2 "$rc"
run_status "$DUMP"
expect_eq "no file exit" 2 "$rc"

echo "-- faults: truncated file, not gzip, missing file"
run_status "$DUMP" --select SrcPort "$TMP/trunc/TCP.ncap.gz"
expect_eq "truncated exit" 1 "$rc"
expect_eq "records before the fault" $'SrcPort\n443\n80' "$(cat "$TMP/out")"
grep -q "^netcap-dump: $TMP/trunc/TCP.ncap.gz: offset [0-9]*: " "$TMP/err" ||
  fail "truncated file message: $(cat "$TMP/err")"
run_status "$DUMP" --count "$TMP/trunc/TCP.ncap.gz"
expect_eq "truncated --count exit" 1 "$rc"
run_status "$DUMP" "$TMP/bad/TCP.ncap.gz" "$TCP"
expect_eq "not gzip exit" 1 "$rc"
grep -q "^netcap-dump: $TMP/bad/TCP.ncap.gz: .*gzip" "$TMP/err" ||
  fail "not-gzip message: $(cat "$TMP/err")"
expect_eq "next file still printed" 4 "$(wc -l <"$TMP/out")"
run_status "$DUMP" "$TMP/none/TCP.ncap.gz"
expect_eq "missing file exit" 1 "$rc"
grep -q "$TMP/none/TCP.ncap.gz" "$TMP/err" || fail "missing file not named: $(cat "$TMP/err")"

echo "-- invalid UTF-8 repaired, an undecodable record reported and skipped"
run_status "$DUMP" --select SrcPort,SrcIP "$TMP/mixed/UDP.ncap.gz"
expect_eq "undecodable record exit" 1 "$rc"
expect_eq "records around it" $'SrcPort,SrcIP\n1,\n0,\xef\xbf\xbd\xef\xbf\xbd\n4,' "$(cat "$TMP/out")"
grep -q "^netcap-dump: $TMP/mixed/UDP.ncap.gz: offset 0: record 3 at uncompressed offset 39: cannot be decoded: UDP at byte 0: field key cut off by the end of the message; record skipped\$" "$TMP/err" ||
  fail "undecodable record message: $(cat "$TMP/err")"

echo "-- a closed pipe ends quietly"
set -o pipefail
first=$("$DUMP" "$TMP/big/UDP.ncap.gz" 2>"$TMP/err" | head -n 1) || fail "| head: non-zero exit"
expect_eq "| head" "Timestamp,SrcPort,DstPort,Length,Checksum,PayloadEntropy,PayloadSize,Payload,SrcIP,DstIP,Truncated" "$first"
[ ! -s "$TMP/err" ] || fail "| head wrote to stderr: $(cat "$TMP/err")"
expect_eq "big --count" 100000 "$("$DUMP" --count "$TMP/big/UDP.ncap.gz")"

echo "ok"
