#!/usr/bin/env bash
# test_dump_limits.sh: netcap-dump on record files made to exhaust it. A
# 16 KiB DNS.ncap.gz whose records are 16 MiB of empty repeated elements
# (protobuf-c would allocate over a gigabyte per record and take seconds)
# is refused record by record, quickly and in bounded memory, each refusal
# naming the file, the record's position and the field; the records around
# them print; the exit status is 1. Also: the options that move the limits,
# malformed records, and a header made of unknown fields.
# The files are written byte by byte (python3, no protobuf runtime needed).
source "$(dirname "$0")/lib.sh"

DUMP=$NETCAP_BUILD/netcap-dump
PY=/usr/bin/python3
[ -x "$DUMP" ] || skip "$DUMP not built"
[ -x "$PY" ] || skip "$PY absent"

mkdir -p "$TMP/big" "$TMP/small" "$TMP/bad" "$TMP/hdr"
$PY - "$TMP" <<'EOF'
import gzip, sys
tmp = sys.argv[1]

def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)

def key(field, wire):
    return varint(field << 3 | wire)

def ld(field, payload):
    return key(field, 2) + varint(len(payload)) + payload

def rec(msg):
    return varint(len(msg)) + msg

NC_DNS = 41
header = key(1, 0) + varint(1549166706000000000) + ld(2, b"crafted") + key(3, 0) + varint(NC_DNS) + ld(4, b"0.1.0")

def dns(ident, *more):
    return key(2, 0) + varint(ident) + b"".join(more)

# DNS.Answers (16) and DNS.Questions (15): empty elements, 3 and 2 bytes
# each, up to 16 MiB (the reader's record limit).
answers = (b"\x82\x01\x00") * ((16 << 20) // 3)
questions = (b"\x7a\x00") * ((16 << 20) // 2)
records = [dns(9), answers, dns(10), questions, dns(11)]
# One member per record, as NETCAP cuts members around large records;
# remember where each record is for the expected messages.
members, where = [], []
stream_off, file_off = 0, 0
for m in [rec(header)] + [rec(r) for r in records]:
    z = gzip.compress(m, 9)
    where.append((file_off, stream_off))
    members.append(z)
    file_off += len(z)
    stream_off += len(m)
data = b"".join(members)
open(f"{tmp}/big/DNS.ncap.gz", "wb").write(data)
with open(f"{tmp}/big/expect", "w") as f:
    path = f"{tmp}/big/DNS.ncap.gz"
    fo, so = where[2]
    f.write(f"netcap-dump: {path}: offset {fo}: record 2 at uncompressed offset {so}: "
            f"DNS.Answers: {(16 << 20) // 3} elements, more than the cap of 1048576; record skipped\n")
    fo, so = where[4]
    f.write(f"netcap-dump: {path}: offset {fo}: record 4 at uncompressed offset {so}: "
            f"DNS.Questions: {(16 << 20) // 2} elements, more than the cap of 1048576; record skipped\n")

# 2000 answers with a name each: fine by default, over a lowered cap.
named = dns(12, b"".join(ld(16, ld(1, b"host%d.example" % i)) for i in range(2000)))
open(f"{tmp}/small/DNS.ncap", "wb").write(rec(header) + rec(dns(1)) + rec(named) + rec(dns(2)))

# Malformed: a name running past its answer; a group wire type.
bad = [dns(1), dns(5, b"\x82\x01\x03\x0a\x05x"), dns(6, b"\x0b"), dns(7)]
open(f"{tmp}/bad/DNS.ncap", "wb").write(rec(header) + b"".join(rec(r) for r in bad))

# A header of 16 MiB of unknown fields (field 50 = 1).
h = header + b"\x90\x03\x01" * (((16 << 20) - len(header)) // 3)
open(f"{tmp}/hdr/DNS.ncap.gz", "wb").write(gzip.compress(rec(h) + rec(dns(1)), 9))
EOF
BIG=$TMP/big/DNS.ncap.gz

expect_eq() { [ "$2" = "$3" ] || fail "$1: expected [$2], got [$3]"; }
# Address space and resident memory allowed: the attack needs gigabytes.
# ASan builds (make test-sanitize) reserve terabytes of address space for
# their shadow memory and use more of it: no address space limit there,
# the resident limit raised.
VM_KB=600000 RSS_MAX_KB=200000
if [ "${NETCAP_SANITIZED:-}" = 1 ]; then VM_KB=unlimited RSS_MAX_KB=800000; fi
# run_limited CMD...: runs CMD in at most VM_KB of address space, stdout
# and stderr in $TMP/out, $TMP/err; sets rc and ms (wall time) and, where
# GNU time is installed, rss_kb.
run_limited() {
  local t0 t1
  rc=0 rss_kb=
  t0=$(date +%s%N)
  if [ -x /usr/bin/time ]; then
    (ulimit -v "$VM_KB"; /usr/bin/time -f '%M' -o "$TMP/rss" "$@") >"$TMP/out" 2>"$TMP/err" || rc=$?
    rss_kb=$(tail -n 1 "$TMP/rss")
  else
    (ulimit -v "$VM_KB"; "$@") >"$TMP/out" 2>"$TMP/err" || rc=$?
  fi
  t1=$(date +%s%N)
  ms=$(( (t1 - t0) / 1000000 ))
}

echo "-- a $(stat -c %s "$BIG")-byte file of two 16 MiB records of empty elements"
[ "$(stat -c %s "$BIG")" -lt 65536 ] || fail "the crafted file should be small"
run_limited "$DUMP" --select ID "$BIG"
echo "   exit $rc in $ms ms${rss_kb:+, max RSS $rss_kb KB}"
expect_eq "exit status" 1 "$rc"
expect_eq "records around the refused ones" $'ID\n9\n10\n11' "$(cat "$TMP/out")"
expect_eq "messages" "$(cat "$TMP/big/expect")" "$(cat "$TMP/err")"
[ "$ms" -lt 20000 ] || fail "took $ms ms"
[ -z "$rss_kb" ] || [ "$rss_kb" -lt "$RSS_MAX_KB" ] || fail "max RSS $rss_kb KB"
# --json and --count take the same path (--count decodes nothing).
run_limited "$DUMP" --json --select ID "$BIG"
expect_eq "--json exit status" 1 "$rc"
expect_eq "--json records" $'{"ID":9}\n{"ID":10}\n{"ID":11}' "$(cat "$TMP/out")"
expect_eq "--count" 5 "$("$DUMP" --count "$BIG")"

echo "-- --max-elements lifted: the memory budget refuses them"
run_limited "$DUMP" --select ID --max-elements 10000000 "$BIG"
expect_eq "exit status" 1 "$rc"
expect_eq "records" $'ID\n9\n10\n11' "$(cat "$TMP/out")"
expect_eq "two refusals" 2 "$(grep -c 'DNS: decoding needs about [0-9]* MiB of memory, more than the budget of 64 MiB (the most for \(Answers\|Questions\)); record skipped$' "$TMP/err")"

echo "-- the limits move both ways"
SMALL=$TMP/small/DNS.ncap
expect_eq "2000 answers by default" $'ID\n1\n12\n2' "$("$DUMP" --select ID "$SMALL")"
run_limited "$DUMP" --select ID --max-elements 1999 "$SMALL"
expect_eq "--max-elements 1999 exit" 1 "$rc"
expect_eq "--max-elements 1999 records" $'ID\n1\n2' "$(cat "$TMP/out")"
expect_eq "--max-elements 1999 message" \
  "netcap-dump: $SMALL: offset 32: record 2: DNS.Answers: 2000 elements, more than the cap of 1999; record skipped" \
  "$(cat "$TMP/err")"
run_limited "$DUMP" --select ID --max-record-memory 100K "$SMALL"
expect_eq "--max-record-memory 100K exit" 1 "$rc"
grep -q "^netcap-dump: $SMALL: offset 32: record 2: DNS: decoding needs about [0-9]* KiB of memory, more than the budget of 100 KiB (the most for Answers); record skipped\$" "$TMP/err" ||
  fail "--max-record-memory message: $(cat "$TMP/err")"
expect_eq "--max-record-memory=1M" $'ID\n1\n12\n2' "$("$DUMP" --select ID --max-record-memory=1M "$SMALL")"
for bad in 0 -5 1X 12KB "" 99999999999999999999; do
  run_limited "$DUMP" --max-record-memory "$bad" "$SMALL"
  expect_eq "--max-record-memory '$bad' exit" 2 "$rc"
  grep -q -- '--max-record-memory takes a positive number' "$TMP/err" || fail "bad value '$bad': $(cat "$TMP/err")"
done
run_limited "$DUMP" --max-elements 1K "$SMALL"
expect_eq "--max-elements 1K exit (no suffixes)" 2 "$rc"

echo "-- malformed records: the field and byte named, the next records print"
BAD=$TMP/bad/DNS.ncap
run_limited "$DUMP" --select ID "$BAD"
expect_eq "exit status" 1 "$rc"
expect_eq "records" $'ID\n1\n7' "$(cat "$TMP/out")"
expect_eq "messages" "netcap-dump: $BAD: offset 32: record 2: cannot be decoded: DNS.Answers[0].Name at byte 5: length 5 runs past the end of its message (1 bytes left); record skipped
netcap-dump: $BAD: offset 41: record 3: cannot be decoded: DNS.Timestamp at byte 2: wire type 3 (field 1): groups and reserved wire types are not supported; record skipped" \
  "$(cat "$TMP/err")"

echo "-- a header of 16 MiB of unknown fields"
run_limited "$DUMP" "$TMP/hdr/DNS.ncap.gz"
expect_eq "exit status" 1 "$rc"
expect_eq "message" "netcap-dump: $TMP/hdr/DNS.ncap.gz: offset 0: missing header: the first record is not a valid Header (Header: 5592396 unknown fields, more than the cap of 1024)" \
  "$(cat "$TMP/err")"
[ -z "$rss_kb" ] || [ "$rss_kb" -lt "$RSS_MAX_KB" ] || fail "max RSS $rss_kb KB"

echo "ok"
