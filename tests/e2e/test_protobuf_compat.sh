#!/usr/bin/env bash
# test_protobuf_compat.sh: NETCAP's record files read by Google's protobuf.
#
# build/tests/ncap-gen writes one file per record type, every field of every
# record set (gzip, plain, and gzip in many small members). For each, Debian's
# python3-protobuf decodes every record (tests/e2e/protobuf_compat.py) and
# every field value must equal what NETCAP's reader and protobuf-c decoded;
# zcat must turn each .ncap.gz into the plain file's bytes; protoc's own
# decoder must read a header and a record. Two negative checks prove the
# comparison can fail: a copy of the schema with one field renumbered, and
# one with two field numbers swapped (which decodes without unknown fields:
# only the value comparison sees it), must each be rejected.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY=/usr/bin/python3   # Debian's, with python3-protobuf (not a pyenv one)
GEN=$NETCAP_BUILD/tests/ncap-gen
COMPAT=$NETCAP_ROOT/tests/e2e/protobuf_compat.py
PROTO=$NETCAP_ROOT/proto/netcap.proto

[ -x "$GEN" ] || fail "$GEN is not built (make build/tests/ncap-gen)"
command -v protoc >/dev/null || skip "protoc absent (apt-get install protobuf-compiler)"
[ -x "$PY" ] && "$PY" -c 'import google.protobuf' 2>/dev/null ||
  skip "$PY has no google.protobuf (apt-get install python3-protobuf)"

"$GEN" "$TMP/gz" --count 3 --seed 11 || fail "ncap-gen (gzip) failed"
"$GEN" "$TMP/plain" --plain --count 3 --seed 11 || fail "ncap-gen --plain failed"
"$GEN" "$TMP/members" --count 12 --seed 13 --member-cap 256 || fail "ncap-gen --member-cap failed"
n=$(ls "$TMP/gz" | wc -l)
[ "$n" -ge 60 ] || fail "ncap-gen wrote only $n files"

for d in gz plain members; do
  echo "== $d"
  "$PY" "$COMPAT" --gen "$GEN" --proto "$PROTO" "$TMP/$d" || fail "Google's protobuf disagrees on $d files"
done

echo "== zcat gives the plain file's bytes"
for f in "$TMP"/gz/*.ncap.gz; do
  base=$(basename "$f" .gz)
  gzip -dc "$f" | cmp -s - "$TMP/plain/$base" || fail "gzip -dc $base.gz differs from the plain $base"
done
members=$(gzip -dc "$TMP/members/DNS.ncap.gz" | wc -c)
[ "$members" -gt 0 ] || fail "gzip -dc of a many-member file gave nothing"

echo "== protoc --decode reads a header and a record"
gzip -dc "$TMP/gz/TCP.ncap.gz" > "$TMP/TCP.raw"
hlen=$(od -An -tu1 -N1 "$TMP/TCP.raw" | tr -d ' ')
[ "$hlen" -lt 128 ] || fail "header length $hlen needs a multi-byte varint; the test assumes one byte"
tail -c +2 "$TMP/TCP.raw" | head -c "$hlen" |
  protoc --decode=types.Header -I"$(dirname "$PROTO")" "$PROTO" > "$TMP/header.txt" ||
  fail "protoc --decode=types.Header failed"
cat "$TMP/header.txt"
for want in 'Created: 1700000000123456789' 'InputSource: "ncap-gen"' 'Type: NC_TCP' \
            'Version: "0.1.0"' 'ContainsPayloads: true'; do
  grep -qxF "$want" "$TMP/header.txt" || fail "protoc's header lacks: $want"
done
rlen=$(tail -c +$((2 + hlen)) "$TMP/TCP.raw" | od -An -tu1 -N2 | awk '{ print $1 < 128 ? $1 : ($1 - 128) + 128 * $2 }')
skip_bytes=$(( hlen + 1 + (rlen < 128 ? 1 : 2) ))
tail -c +$((1 + skip_bytes)) "$TMP/TCP.raw" | head -c "$rlen" |
  protoc --decode=types.TCP -I"$(dirname "$PROTO")" "$PROTO" > "$TMP/tcp.txt" ||
  fail "protoc --decode=types.TCP failed"
want=$("$GEN" --dump-json "$TMP/gz/TCP.ncap.gz" | sed -n 2p |
       "$PY" -c 'import json, sys; r = json.load(sys.stdin); print("SrcPort: %d\nSeqNum: %d" % (r["SrcPort"], r["SeqNum"]))')
while read -r line; do
  grep -qxF "$line" "$TMP/tcp.txt" || fail "protoc's first TCP record lacks '$line'"
done <<<"$want"

echo "== negative check: a schema with TCP.SrcPort renumbered must be rejected"
mkdir -p "$TMP/renum" "$TMP/one"
cp "$TMP/gz/TCP.ncap.gz" "$TMP/one/"
sed '/^message TCP {/,/^}/ s/SrcPort = 2;/SrcPort = 99;/' "$PROTO" > "$TMP/renum/netcap.proto"
cmp -s "$PROTO" "$TMP/renum/netcap.proto" && fail "could not alter the schema copy (TCP.SrcPort = 2 not found)"
if "$PY" "$COMPAT" --gen "$GEN" --proto "$TMP/renum/netcap.proto" "$TMP/one" > "$TMP/renum.log" 2>&1; then
  cat "$TMP/renum.log"; fail "a renumbered field went unnoticed"
fi
grep -q 'SrcPort' "$TMP/renum.log" || { cat "$TMP/renum.log"; fail "the renumbering was rejected, but not for SrcPort"; }
grep -q 'unknown field' "$TMP/renum.log" || fail "the renumbered field's bytes were not reported as unknown"
head -n 3 "$TMP/renum.log"

echo "== negative check: a schema with TCP.SrcPort and DstPort swapped must be rejected"
mkdir -p "$TMP/swap"
sed '/^message TCP {/,/^}/ { s/SrcPort = 2;/SrcPort = 3;/; t; s/DstPort = 3;/DstPort = 2;/ }' "$PROTO" > "$TMP/swap/netcap.proto"
[ "$(diff "$PROTO" "$TMP/swap/netcap.proto" | grep -c '^>')" -eq 2 ] || fail "could not swap the numbers in the schema copy"
if "$PY" "$COMPAT" --gen "$GEN" --proto "$TMP/swap/netcap.proto" "$TMP/one" > "$TMP/swap.log" 2>&1; then
  cat "$TMP/swap.log"; fail "swapped field numbers went unnoticed"
fi
grep -q 'SrcPort: Python decoded' "$TMP/swap.log" || { cat "$TMP/swap.log"; fail "the swap was rejected, but not for SrcPort's value"; }
head -n 3 "$TMP/swap.log"
echo "ok"
