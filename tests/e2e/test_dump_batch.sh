#!/usr/bin/env bash
# test_dump_batch.sh: end-to-end test of netcap-dump -o OUTDIR (batch
# conversion, issue 14): the real netcap writes record files from
# tests/data/sample.pcap (and a corpus capture when ../shared/corpus is
# there), netcap-dump -o converts the folder, and every OUTDIR/<Type>.csv
# (.json) must equal what netcap-dump prints for that file alone, byte for
# byte, with the same options. Also: refusals (existing outputs without
# --force, two files of one type), a corrupt input among good ones, the
# progress lines and summary, a full disk (a small tmpfs, when this runs as
# root), and an interrupted run (no partial or temporary file left).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"
need_engine

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() { [ "$2" = "$3" ] || fail "$1: expected [$2], got [$3]"; }
# run_status CMD...: runs CMD with stdout/stderr in $TMP/out, $TMP/err; sets rc.
run_status() { rc=0; "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?; }

# same_as_per_file IN_DIR OUT_DIR EXT OPTIONS...: every record file of
# IN_DIR converted, each output equal to netcap-dump OPTIONS FILE.
same_as_per_file() {
  local in=$1 out=$2 ext=$3 f t n=0
  shift 3
  for f in "$in"/*.ncap.gz; do
    t=$(basename "$f" .ncap.gz)
    [ -f "$out/$t.$ext" ] || fail "$out/$t.$ext missing"
    "$DUMP" "$@" "$f" >"$TMP/want" 2>/dev/null || fail "netcap-dump $* $f failed"
    cmp "$TMP/want" "$out/$t.$ext" || fail "$out/$t.$ext differs from netcap-dump $* $f"
    n=$((n + 1))
  done
  expect_eq "outputs in $out" "$n" "$(ls "$out" | wc -l)"
  [ -z "$(ls -A "$out" | grep '^\.')" ] || fail "hidden (temporary) files left in $out: $(ls -A "$out")"
}

echo "-- netcap writes the record files"
run_netcap "$TMP/sample" -r "$NETCAP_ROOT/tests/data/sample.pcap"
DIRS=("$TMP/sample")
if [ -f "$NETCAP_CORPUS/ndpi/1kxun.pcap" ]; then
  run_netcap "$TMP/corpus" -r "$NETCAP_CORPUS/ndpi/1kxun.pcap"
  DIRS+=("$TMP/corpus")
else
  echo "   (corpus absent: $NETCAP_CORPUS/ndpi/1kxun.pcap; sample.pcap only)"
fi
ntypes=$(ls "$TMP/sample"/*.ncap.gz | wc -l)
[ "$ntypes" -ge 10 ] || fail "netcap wrote only $ntypes record files from sample.pcap"

for d in "${DIRS[@]}"; do
  name=$(basename "$d")
  echo "-- $name: CSV, byte for byte"
  run_status "$DUMP" -o "$TMP/$name.csv" "$d"
  expect_eq "exit status" 0 "$rc"
  same_as_per_file "$d" "$TMP/$name.csv" csv
  echo "-- $name: --json"
  run_status "$DUMP" --json -o "$TMP/$name.json" "$d"
  expect_eq "--json exit status" 0 "$rc"
  same_as_per_file "$d" "$TMP/$name.json" json --json
  echo "-- $name: --tsv --safe-csv --utc, one job"
  run_status "$DUMP" --tsv --safe-csv --utc --jobs 1 -o "$TMP/$name.tsv" "$d"
  expect_eq "--tsv exit status" 0 "$rc"
  same_as_per_file "$d" "$TMP/$name.tsv" csv --tsv --safe-csv --utc
done

echo "-- --select with --utc, over the types that have the fields; files named one by one"
mkdir "$TMP/ip"
for t in IPv4 IPv6 TCP UDP; do ln -s "$TMP/sample/$t.ncap.gz" "$TMP/ip/$t.ncap.gz"; done
run_status "$DUMP" --select Timestamp,SrcIP,DstIP --utc -o "$TMP/sel" "$TMP"/ip/*.ncap.gz
expect_eq "--select exit status" 0 "$rc"
same_as_per_file "$TMP/ip" "$TMP/sel" csv --select Timestamp,SrcIP,DstIP --utc
expect_eq "selected header" "Timestamp,SrcIP,DstIP" "$(head -n 1 "$TMP/sel/TCP.csv")"
grep -q '^[0-9-]*T[0-9:.]*Z,' <(sed -n 2p "$TMP/sel/TCP.csv") || fail "--utc: $(sed -n 2p "$TMP/sel/TCP.csv")"
run_status "$DUMP" --select Timestamp,SrcIP,DstIP -o "$TMP/sel2" "$TMP/sample"
expect_eq "--select a type lacks: exit" 2 "$rc"
grep -q 'unknown field "SrcIP"' "$TMP/err" || fail "--select message: $(cat "$TMP/err")"
[ ! -e "$TMP/sel2" ] || fail "a refused run created its OUTDIR"

echo "-- the summary; progress lines with --progress"
run_status "$DUMP" -o "$TMP/sum" "$TMP/sample"
nrec=0
for f in "$TMP/sample"/*.ncap.gz; do nrec=$((nrec + $("$DUMP" --count "$f"))); done
bytes=$(cat "$TMP/sum"/*.csv | wc -c)
grep -q "^netcap-dump: $ntypes files converted, 0 failed: $nrec records, 0 skipped, $bytes bytes written to $TMP/sum in [0-9.]* s\$" "$TMP/err" ||
  fail "summary: $(cat "$TMP/err") (expected $ntypes files, $nrec records, $bytes bytes)"
expect_eq "stderr is the summary alone (not a terminal)" 1 "$(wc -l <"$TMP/err")"
[ ! -s "$TMP/out" ] || fail "-o wrote to standard output: $(head -n 3 "$TMP/out")"
run_status "$DUMP" --progress -o "$TMP/prog" "$TMP/sample"
expect_eq "--progress: a line per file" "$ntypes" "$(grep -c -- ' -> .*: [0-9]* records$' "$TMP/err")"
grep -q "$TMP/sample/TCP.ncap.gz -> $TMP/prog/TCP.csv: " "$TMP/err" || fail "--progress: $(cat "$TMP/err")"

echo "-- existing outputs: refused without --force, replaced with it"
echo "keep me" >"$TMP/sum/UDP.csv"
rm "$TMP/sum/TCP.csv"
run_status "$DUMP" -o "$TMP/sum" "$TMP/sample"
expect_eq "existing output exit" 2 "$rc"
grep -q "^netcap-dump: $TMP/sum/UDP.csv exists (from $TMP/sample/UDP.ncap.gz); --force replaces it\$" "$TMP/err" ||
  fail "existing output message: $(cat "$TMP/err")"
expect_eq "existing output kept" "keep me" "$(cat "$TMP/sum/UDP.csv")"
[ ! -e "$TMP/sum/TCP.csv" ] || fail "a refused run converted TCP"
run_status "$DUMP" --force -o "$TMP/sum" "$TMP/sample"
expect_eq "--force exit" 0 "$rc"
same_as_per_file "$TMP/sample" "$TMP/sum" csv

echo "-- two files of one type: refused, both named"
mkdir "$TMP/other"
cp "$TMP/sample/TCP.ncap.gz" "$TMP/other/"
run_status "$DUMP" -o "$TMP/dup" "$TMP/sample" "$TMP/other"
expect_eq "duplicate type exit" 2 "$rc"
grep -q "$TMP/other/TCP.ncap.gz.* both hold TCP records" "$TMP/err" && grep -q "$TMP/sample/TCP.ncap.gz" "$TMP/err" ||
  fail "duplicate message: $(cat "$TMP/err")"
[ ! -e "$TMP/dup" ] || fail "a refused run created its OUTDIR"

echo "-- a corrupt and a misnamed file among good ones; usage errors"
mkdir "$TMP/mixed"
cp "$TMP/sample/TCP.ncap.gz" "$TMP/sample/UDP.ncap.gz" "$TMP/mixed/"
cp "$TMP/sample/DNS.ncap.gz" "$TMP/mixed/monday.ncap.gz"
echo "not a record file" >"$TMP/mixed/IPv4.ncap.gz"
run_status "$DUMP" -o "$TMP/mixed.out" "$TMP/mixed"
expect_eq "corrupt input exit" 1 "$rc"
grep -q "^netcap-dump: $TMP/mixed/IPv4.ncap.gz: offset 0: not a gzip file.*; not converted\$" "$TMP/err" ||
  fail "corrupt input message: $(cat "$TMP/err")"
expect_eq "outputs" "DNS.csv TCP.csv UDP.csv" "$(ls "$TMP/mixed.out" | tr '\n' ' ' | sed 's/ $//')"
cmp <("$DUMP" "$TMP/mixed/monday.ncap.gz") "$TMP/mixed.out/DNS.csv" || fail "DNS.csv (type from the header)"
grep -q ' 3 files converted, 1 failed: ' "$TMP/err" || fail "summary: $(cat "$TMP/err")"
run_status "$DUMP" -o "$TMP/x" --count "$TMP/sample"
expect_eq "-o --count exit" 2 "$rc"
run_status "$DUMP" --force "$TMP/sample/TCP.ncap.gz"
expect_eq "--force without -o exit" 2 "$rc"
run_status "$DUMP" -o "$TMP/x" - <"$TMP/sample/TCP.ncap.gz"
expect_eq "-o with standard input exit" 2 "$rc"

if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && [ -z "${BATCH_NS:-}" ]; then
  echo "-- a full disk: a small tmpfs (in a mount namespace of its own)"
  export NETCAP_BUILD NETCAP_ROOT
  # Largest first, one at a time: the largest outputs do not fit, the
  # space their temporary files took comes back, smaller ones fit.
  BATCH_NS=1 unshare -m --propagation private bash -c '
    set -u
    disk=$1; src=$2; dump=$3
    mkdir -p "$disk"
    mount -t tmpfs -o size=16k tmpfs "$disk" 2>"$disk.err" || { echo "cannot mount a tmpfs: $(cat "$disk.err")"; exit 77; }
    rc=0
    "$dump" --jobs 1 -o "$disk/out" "$src" >"$disk.stdout" 2>"$disk.stderr" || rc=$?
    cp -r "$disk/out" "$disk.out"
    ls -A "$disk/out" >"$disk.listing"
    umount "$disk"
    exit $rc' _ "$TMP/disk" "$TMP/sample" "$DUMP" && rc=0 || rc=$?
  if [ "$rc" = 77 ]; then
    cat "$TMP/disk.stdout" 2>/dev/null || true
  else
    expect_eq "full disk exit" 1 "$rc"
    grep -q "^netcap-dump: $TMP/disk/out/\.[A-Za-z0-9]*\.csv\.[0-9]*\.tmp: writing $TMP/disk/out/[A-Za-z0-9]*\.csv: No space left on device; $TMP/sample/[A-Za-z0-9]*\.ncap\.gz not converted\$" "$TMP/disk.stderr" ||
      fail "no ENOSPC message naming the file: $(cat "$TMP/disk.stderr")"
    failed=$(grep -c 'No space left on device' "$TMP/disk.stderr")
    converted=$(wc -l <"$TMP/disk.listing")
    [ "$converted" -ge 1 ] || fail "nothing converted on the small disk: $(cat "$TMP/disk.stderr")"
    expect_eq "converted + failed" "$ntypes" $((converted + failed))
    grep -q "^netcap-dump: $converted files\\? converted, $failed failed: " "$TMP/disk.stderr" ||
      fail "summary on a full disk: $(cat "$TMP/disk.stderr")"
    ! grep -q '^\.' "$TMP/disk.listing" || fail "temporary files left: $(cat "$TMP/disk.listing")"
    for f in "$TMP/disk.out"/*.csv; do
      t=$(basename "$f" .csv)
      cmp <("$DUMP" "$TMP/sample/$t.ncap.gz") "$f" || fail "$t.csv on the small disk is not whole"
      ! grep -q "$TMP/sample/$t.ncap.gz not converted" "$TMP/disk.stderr" || fail "$t reported failed and converted"
    done
    echo "   $converted converted, $failed failed with ENOSPC"
  fi
else
  echo "   (full disk case skipped: needs root and unshare)"
fi

echo "-- interrupted: no partial or temporary file left"
if $PY -c 'import google.protobuf' 2>/dev/null && command -v protoc >/dev/null; then
  protoc --python_out="$TMP" -I "$NETCAP_ROOT/proto" "$NETCAP_ROOT/proto/netcap.proto"
  mkdir "$TMP/big"
  PYTHONPATH=$TMP $PY - "$TMP/big/UDP.ncap.gz" <<'EOF'
import gzip, sys
import netcap_pb2 as pb
def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)
one = pb.UDP(Timestamp=1, SrcPort=53, SrcIP="10.2.0.1", DstIP="10.2.0.2").SerializeToString()
head = pb.Header(Created=1, InputSource="t", Type=pb.NC_UDP, Version="0.1.0").SerializeToString()
body = varint(len(one)) + one
with gzip.open(sys.argv[1], "wb", compresslevel=1) as f:
    f.write(varint(len(head)) + head)
    for _ in range(40):
        f.write(body * 50000)
EOF
  "$DUMP" -o "$TMP/int" "$TMP/big" 2>"$TMP/err" &
  pid=$!
  for _ in $(seq 500); do
    ls -A "$TMP/int" 2>/dev/null | grep -q '^\.UDP\.csv\.' && break
    sleep 0.01
  done
  kill -INT "$pid"
  rc=0; wait "$pid" || rc=$?
  if [ "$rc" = 0 ]; then
    echo "   (the conversion finished before the signal; nothing to check)"
  else
    expect_eq "interrupted exit" 130 "$rc"
    grep -q "interrupted (Interrupt)" "$TMP/err" || fail "interrupt message: $(cat "$TMP/err")"
    expect_eq "nothing left in OUTDIR" "" "$(ls -A "$TMP/int")"
  fi
else
  echo "   (skipped: python3-protobuf or protoc absent)"
fi

echo "ok"
