#!/usr/bin/env bash
# test_engine_bigframes.sh: frames over 64 KiB, up to pcap's 262,144-byte
# maximum, replay and decode whole (issue 9, item 1).
#
# tests/crafted/big_frames.py writes frames from 60 bytes to 262,144 (IPv4
# with total length 0 as GRO captures show it, IPv6 with a jumbo option,
# VXLAN and Geneve around them). DPDK's pcap PMD copies frames over 65,535
# bytes through a 16-bit length; before lib/pipeline/bigframe.c netcap died
# in rte_pktmbuf_read on the first of them. Checked here, with one worker,
# with two (the dispatcher path) and on one lcore: netcap exits 0, every
# frame gives its Ethernet record, and each record's PayloadSize and
# PayloadEntropy are those of the whole frame (the payloads are zeros for
# their first 14,580 bytes, what the PMD would have kept, and random after),
# computed independently by the generator. Both ways a file is read: from
# a memory map (the default) and through the pcap PMD (--no-mmap).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"
need_engine
[ -x "$PY" ] || skip "$PY absent"

"$PY" "$NETCAP_ROOT/tests/crafted/big_frames.py" "$TMP/big.pcap" "$TMP/expected.tsv" || fail "generator failed"
frames=$(wc -l <"$TMP/expected.tsv")

check() {
  local name=$1; shift
  run_netcap "$TMP/$name" -r "$TMP/big.pcap" "$@"
  grep -q "packets     $frames " "$TMP/$name.summary" || { cat "$TMP/$name.summary"; fail "$name: not every frame was read"; }
  if grep -q "mbufs" "$TMP/$name.summary"; then cat "$TMP/$name.summary"; fail "$name: frames counted as bad mbuf chains"; fi
  "$DUMP" --select PayloadSize,PayloadEntropy "$TMP/$name/Ethernet.ncap.gz" >"$TMP/$name.csv" ||
    fail "$name: netcap-dump failed"
  "$PY" - "$TMP/expected.tsv" "$TMP/$name.csv" "$name" <<'PYEOF' || exit 1
import csv, sys
expected = sorted((int(l.split("\t")[0]) - 14, float(l.split("\t")[1])) for l in open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
got = sorted((int(r["PayloadSize"]), float(r["PayloadEntropy"])) for r in rows)
if len(got) != len(expected):
    sys.exit(f"FAIL: {sys.argv[3]}: {len(got)} Ethernet records for {len(expected)} frames")
for (size, ent), (gsize, gent) in zip(expected, got):
    if size != gsize or abs(ent - gent) > 1e-9:
        sys.exit(f"FAIL: {sys.argv[3]}: frame with payload {size} bytes, entropy {ent:.9f}: "
                 f"record says {gsize} bytes, entropy {gent:.9f}")
print(f"-- {sys.argv[3]}: {len(got)} frames up to {max(s for s, _ in got) + 14} bytes decoded whole")
PYEOF
}

check one-worker -w 1
check two-workers -w 2
check one-lcore -w 1 --compressors 0 -- -l 0
# The same through the pcap PMD and lib/pipeline/bigframe.c (mapped files,
# the default, chain pieces of the map instead: pcapmap.h).
check pmd-one-worker --no-mmap -w 1
check pmd-two-workers --no-mmap -w 2
echo "ok"
