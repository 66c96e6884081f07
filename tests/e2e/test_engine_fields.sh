#!/usr/bin/env bash
# test_engine_fields.sh: field values of the engine's records = tshark's, row
# by row, for a few captures chosen for variety: mixed IPv4/IPv6/TCP/UDP,
# TCP flag combinations (a SYN scan), IP in IP both ways, stacked VLAN tags,
# 802.3 frames behind a VLAN tag, IPv6 extension headers, IPv4 fragments,
# IPv4 total length 0 (TCP segmentation offload, ndpi/anydesk-2.pcap).
#
# The mapping NETCAP field -> tshark field and how each is normalised is
# tests/e2e/tshark_fields.tsv. With one worker (-w 1) the records of a type
# are in packet order, as tshark's rows (-Y PROTO) are; a packet with two
# layers of a protocol (IP in IP) has two occurrences of each tshark field
# and two records, matched in order. A type whose record count differs from
# tshark's layer count is not compared here (test_engine_counts.sh explains
# or fails those).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

MAP=$NETCAP_ROOT/tests/e2e/tshark_fields.tsv
CAPTURES="ndpi/1kxun.pcap ndpi/http_ipv6.pcap ndpi/synscan.pcap ndpi/4in4tunnel.pcap
  ndpi/4in6tunnel.pcap ndpi/6in6tunnel.pcap ndpi/ipv6_in_gtp.pcap ndpi/tls_invalid_reads.pcap
  ndpi/ip_fragmented_garbage.pcap ndpi/dns_long_domainname.pcap ndpi/teams.pcap ndpi/anydesk-2.pcap
  tcpdump/rpvstp-trunk-native-vid5.pcap tcpdump/ipv6-routing-header.pcap tcpdump/dcb_ets.pcap"

need_engine
need_tshark
need_corpus ndpi
need_corpus tcpdump
tshark_opts
[ -f "$MAP" ] || fail "$MAP missing"

# Display filter and frame.protocols name of each record type's layer.
declare -A FILTER=([Ethernet]=eth [Dot1Q]=vlan [IPv4]=ip [IPv6]=ipv6 [TCP]=tcp [UDP]=udp)

compared=0
for rel in $CAPTURES; do
  pcap=$NETCAP_CORPUS/$rel
  [ -f "$pcap" ] || fail "$rel absent from the corpus"
  out=$TMP/$(echo "$rel" | tr '/' '_')
  run_netcap "$out" -r "$pcap" -w 1 -q
  for type in $ENGINE_TYPES; do
    nc_fields=$(awk -F'\t' -v t="$type" '!/^#/ && $1 == t {printf "%s%s", sep, $2; sep=","}' "$MAP")
    [ -n "$nc_fields" ] || continue
    # Every tshark field, alternatives (A|B) included, in the order of the map.
    ts_fields=()
    while IFS= read -r f; do ts_fields+=(-e "$f"); done < <(awk -F'\t' -v t="$type" '!/^#/ && $1 == t {
      n = split($3, alt, "|"); for (i = 1; i <= n; i++) print alt[i] }' "$MAP")
    if [ -f "$out/$type.ncap.gz" ]; then
      "$DUMP" --select "$nc_fields" "$out/$type.ncap.gz" >"$out.$type.nc" || fail "netcap-dump $out/$type.ncap.gz"
    else
      echo "$nc_fields" >"$out.$type.nc"
    fi
    tshark -n -r "$pcap" "${TSHARK_OPTS[@]}" -Y "${FILTER[$type]}" -T fields -E occurrence=a \
      -E aggregator=, -e frame.protocols "${ts_fields[@]}" >"$out.$type.ts" 2>"$out.tshark.err" ||
      grep -q 'cut short' "$out.tshark.err" || { cat "$out.tshark.err"; fail "tshark $rel"; }
    echo "$rel $type $out.$type.nc $out.$type.ts" >>"$TMP/jobs"
    compared=$((compared + 1))
  done
done
[ "$compared" -gt 0 ] || fail "nothing compared"

PYTHONPATH="$NETCAP_ROOT/tests/e2e" "$PY" - "$MAP" "$TMP/jobs" <<'EOF'
import csv, sys
from tshark_fields import load_map, norm_nc, norm_ts

MAP, JOBS = sys.argv[1], sys.argv[2]
TOKENS = {"Ethernet": {"eth"}, "Dot1Q": {"vlan"}, "IPv4": {"ip"}, "IPv6": {"ipv6"},
          "TCP": {"tcp"}, "UDP": {"udp"}}
mapping, _ = load_map(MAP)

failures, notes, total_rows = [], [], 0
for job in open(JOBS):
    cap, typ, nc_path, ts_path = job.split()
    fields = mapping[typ]
    nc_rows = list(csv.reader(open(nc_path, newline="")))[1:]
    # Expand tshark's rows into one row per layer occurrence.
    ts_rows, bad_rows = [], 0
    for line in open(ts_path):
        cols = line.rstrip("\n").split("\t")
        n = sum(1 for p in cols[0].split(":") if p in TOKENS[typ])
        if n == 0:
            continue  # a filter match inside a layer NETCAP ignores
        raw = [c.split(",") if c != "" else [] for c in cols[1:]]
        occ = []
        for nc, ts, norm in fields:  # alternatives A|B: whichever the packet has
            k = ts.count("|") + 1
            occ.append([v for alt in raw[:k] for v in alt])
            raw = raw[k:]
        for i, (nc, ts, norm) in enumerate(fields):
            if ts.startswith("frame."):
                occ[i] = occ[i] * n
            elif len(occ[i]) == 0 and norm == "hex0":
                occ[i] = [""] * n
        if any(len(o) != n for o in occ):
            bad_rows += 1
            ts_rows.extend([None] * n)
            continue
        ts_rows.extend([[o[k] for o in occ] for k in range(n)])
    if len(ts_rows) != len(nc_rows):
        notes.append(f"{cap} {typ}: not compared, {len(nc_rows)} records vs {len(ts_rows)} tshark layers "
                     "(test_engine_counts.sh covers counts)")
        continue
    if bad_rows:
        failures.append(f"{cap} {typ}: {bad_rows} tshark rows give some fields for only some of their "
                        f"{typ} layers: cannot line them up with the records")
    mism = 0
    for r, (a, b) in enumerate(zip(nc_rows, ts_rows)):
        if b is None:
            continue
        for i, (nc, ts, norm) in enumerate(fields):
            try:
                va, vb = norm_nc(a[i], norm), norm_ts(b[i], norm)
            except (ValueError, KeyError) as e:
                va, vb = a[i], f"{b[i]} (unreadable: {e})"
            if va != vb:
                mism += 1
                if mism <= 10:
                    failures.append(f"{cap} {typ} record {r + 1} (tshark row order): {nc}={a[i]} "
                                    f"but {ts}={b[i]} ({norm})")
    if mism > 10:
        failures.append(f"{cap} {typ}: {mism - 10} more differences")
    total_rows += len(nc_rows)
    if nc_rows:
        print(f"{cap} {typ}: {len(nc_rows)} records x {len(fields)} fields compared" + (f", {mism} differ" if mism else ""))

for n in notes:
    print("note: " + n)
print(f"{total_rows} records compared, {len(failures)} problems")
for f in failures:
    print("MISMATCH " + f)
sys.exit(1 if failures else 0)
EOF
rc=$?
[ "$rc" -eq 0 ] || fail "record fields differ from tshark (see MISMATCH lines above)"
echo "ok"
