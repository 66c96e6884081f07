#!/usr/bin/env bash
# test_engine_workers.sh: the records do not depend on the lcore layout.
#
# A multi-flow capture (several ndpi captures merged by time with mergecap:
# IPv4, IPv6, TCP, UDP, VLAN tags, IP in IP, IPv4 fragments) is replayed
# with 1 worker, 2 workers (inline compression), 2 workers with compressors
# of their own, 4 workers on 2 CPUs (more lcores than CPUs), the default
# layout of 4 lcores (a reader of its own, 2 workers, a compressor) and 3
# workers with 8 compressors (Ethernet, IPv4 and TCP each spread over two
# compressors that share the type's file). For every
# record type the files must hold the same records as multisets (sorted
# netcap-dump CSV lines).
#
# Per flow, the order must be kept too: the dispatcher sends both
# directions of a connection to one worker (flow_hash_symmetric, unit test
# tests/unit/test_flowhash.c), whose records stay in packet order, so the
# TCP records of each connection (and the UDP records of each pair of
# endpoints) come in the same order whatever the layout. (Flows inside IP in
# IP are left out: the hash covers the inner tuple and the tunnel, and one
# inner flow may ride two tunnels.) Small chunks
# (--chunk-size 4K) interleave the workers' output finely, so that a flow
# split over two workers would show.
#
# The summary's per-lcore table (docs/performance.md, "Where the time
# goes"): one line per lcore, whose stage shares sum to 100 (to rounding);
# with -w 2 on two lcores the roles RX, dispatch, worker 0 and 1, the
# aggregator and one compressor, each on exactly one of them.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

INPUTS="1kxun.pcap teams.pcap skype_no_unknown.pcap http_ipv6.pcap 4in4tunnel.pcap 6in6tunnel.pcap
  tls_invalid_reads.pcap ipv6_in_gtp.pcap webex.pcap whatsapp_login_call.pcap quic.pcap
  dns_long_domainname.pcap bittorrent.pcap synscan.pcap"

need_engine
need_corpus ndpi
command -v mergecap >/dev/null || skip "mergecap absent (apt-get install wireshark-common)"
[ -x "$PY" ] || skip "$PY absent"

files=()
for f in $INPUTS; do
  [ -f "$NETCAP_CORPUS/ndpi/$f" ] || fail "ndpi/$f absent from the corpus"
  files+=("$NETCAP_CORPUS/ndpi/$f")
done
mergecap -F pcap -w "$TMP/merged.pcap" "${files[@]}" || fail "mergecap failed"
packets=$(capinfos -c -M "$TMP/merged.pcap" | awk '/Number of packets/ {print $NF}')
echo "-- merged capture: $packets packets from $(echo $INPUTS | wc -w) captures"

# name|netcap arguments
LAYOUTS=(
  "w1|-w 1"
  "w2|-w 2 --chunk-size 4K -- -l 0-1"
  "w2c2|-w 2 --compressors 2 --chunk-size 4K -- --lcores=0@0,1@1,2@0,3@1"
  "w4|-w 4 --chunk-size 4K -- --lcores=0@0,1@1,2@0,3@1"
  "reader|--chunk-size 4K -- --lcores=0@0,1@1,2@0,3@1"
  "spread|-w 3 --compressors 8 --chunk-size 4K -- --lcores=(0-11)@(0-1)"
)
for l in "${LAYOUTS[@]}"; do
  name=${l%%|*}
  # shellcheck disable=SC2086 # the arguments are words
  run_netcap "$TMP/$name" -r "$TMP/merged.pcap" ${l#*|}
  grep -E '^  (packets|layout)' "$TMP/$name.summary" | sed "s/^/$name: /"
  got=$(awk '/^  packets/ {print $2}' "$TMP/$name.summary")
  [ "$got" = "$packets" ] || fail "$name: read $got of $packets packets"
  for t in $ENGINE_TYPES; do
    if [ -f "$TMP/$name/$t.ncap.gz" ]; then
      "$DUMP" "$TMP/$name/$t.ncap.gz" >"$TMP/$name.$t.all" || fail "netcap-dump $TMP/$name/$t.ncap.gz failed"
      head -n 1 "$TMP/$name.$t.all" >"$TMP/$t.header"
      tail -n +2 "$TMP/$name.$t.all" >"$TMP/$name.$t.csv"
      rm "$TMP/$name.$t.all"
    else
      : >"$TMP/$name.$t.csv"
    fi
  done
done
grep -q '^  layout      4 workers' "$TMP/w4.summary" || fail "w4 did not run 4 workers: $(cat "$TMP/w4.summary")"
grep -q '^  layout      2 workers, 2 compressors$' "$TMP/w2c2.summary" ||
  fail "w2c2 did not run 2 workers with 2 compressors of their own: $(grep layout "$TMP/w2c2.summary")"
grep -q '^  layout      2 workers, 1 compressor, a reader of its own$' "$TMP/reader.summary" ||
  fail "reader: 4 lcores by default are not a reader, 2 workers and a compressor: $(grep layout "$TMP/reader.summary")"
grep -q '^  layout      3 workers, 8 compressors, a reader of its own; spread: Ethernet over 2, IPv4 over 3, TCP over 2$' \
  "$TMP/spread.summary" ||
  fail "spread: the busy types are not spread over compressors: $(grep layout "$TMP/spread.summary")"
for t in Ethernet IPv4 TCP; do
  gzip -t "$TMP/spread/$t.ncap.gz" || fail "spread: $t.ncap.gz, filled by two compressors, is not a valid gzip file"
done

"$PY" - "$TMP" "${LAYOUTS[@]%%|*}" <<'EOF' || fail "per-lcore table wrong (see above)"
import re, sys
tmp, layouts = sys.argv[1], sys.argv[2:]
bad = False
for lay in layouts:
    lines = open(f"{tmp}/{lay}.summary").read().splitlines()
    head = [l.split() for l in lines if l.startswith("  lcore ")]
    rows = [l.split(None, 12) for l in lines if re.match(r"^ +[0-9]+ ", l)]
    if not head or head[0][1:10] != "rx dispatch decode records flows compress aggregate wait idle".split():
        print(f"{lay}: no per-lcore table header: {head}")
        bad = True
        continue
    if lay == "w2" and len(rows) != 2:
        print(f"w2: {len(rows)} lcore lines, want 2")
        bad = True
    roles = []
    for r in rows:
        total = sum(float(x) for x in r[1:10])
        print(f"{lay}: lcore {r[0]}: {' '.join(r[1:12])} ({total:.1f}%) {r[12]}")
        if abs(total - 100) > 1:
            print(f"{lay}: lcore {r[0]}: stage shares sum to {total}, not 100")
            bad = True
        roles += r[12].split(", ")
        decoded = any(x.startswith("worker ") for x in r[12].split(", "))
        if (r[11] != "-") != decoded:
            print(f"{lay}: lcore {r[0]}: decoded Mpps {r[11]} with roles {r[12]}")
            bad = True
    if lay == "w2" and sorted(roles) != sorted(["rx", "dispatch", "worker 0", "worker 1", "aggregator", "compressor 0"]):
        print(f"w2: roles {roles}, want rx, dispatch, worker 0, worker 1, aggregator and compressor 0 once each")
        bad = True
    if not any(l.startswith("  waits ") for l in lines) or not any(l.startswith("  memory      peak RSS ") for l in lines):
        print(f"{lay}: no waits or memory line")
        bad = True
sys.exit(1 if bad else 0)
EOF

"$PY" - "$TMP" "$ENGINE_TYPES" "${LAYOUTS[@]%%|*}" <<'EOF'
import collections, csv, io, sys
tmp, types, layouts = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
ref = layouts[0]
problems = []

def rows(layout, t):
    return open(f"{tmp}/{layout}.{t}.csv", newline="").read().splitlines()

# Timestamps of packets with IP in IP: more IP records than frames. The
# dispatcher hashes the inner tuple with the tunnel's identity (outer
# addresses, docs/flows.md "Tunnels"), so the packets of one inner
# connection may ride different tunnels and so reach different workers
# (ndpi/6in6tunnel.pcap: one UDP flow in two tunnels); such flows are left
# out of the order check.
def stamps(layout, t):
    return collections.Counter(l.split(",", 1)[0] for l in rows(layout, t))
frames = stamps(ref, "Ethernet")
ip_layers = stamps(ref, "IPv4") + stamps(ref, "IPv6")
tunneled = {ts for ts, n in ip_layers.items() if n > frames[ts]}

def flows(lines, key_cols):
    """Records per flow (endpoints in either direction), in file order."""
    out = collections.defaultdict(list)
    for line in lines:
        r = next(csv.reader(io.StringIO(line)))
        a, b = tuple(r[i] for i in key_cols[0]), tuple(r[i] for i in key_cols[1])
        out[tuple(sorted((a, b)))].append(line)
    return out

for t in types:
    base = rows(ref, t)
    for lay in layouts[1:]:
        other = rows(lay, t)
        if sorted(base) != sorted(other):
            a, b = collections.Counter(base), collections.Counter(other)
            only_ref, only_lay = list((a - b).elements()), list((b - a).elements())
            problems.append(f"{t}: {ref} has {len(base)} records, {lay} {len(other)}; "
                            f"{len(only_ref)} only in {ref}, {len(only_lay)} only in {lay}")
            for l in only_ref[:3]:
                problems.append(f"  only in {ref}: {l}")
            for l in only_lay[:3]:
                problems.append(f"  only in {lay}: {l}")
        print(f"{t}: {len(base)} records, {ref} and {lay} " + ("equal" if sorted(base) == sorted(other) else "DIFFER"))

for t in ("TCP", "UDP"):
    base = rows(ref, t)
    if not base:
        continue
    col = next(csv.reader(open(f"{tmp}/{t}.header"))).index
    key = ((col("SrcIP"), col("SrcPort")), (col("DstIP"), col("DstPort")))
    fb = flows(base, key)
    for lay in layouts[1:]:
        fl = flows(rows(lay, t), key)
        inner = [k for k in fb if any(l.split(",", 1)[0] in tunneled for l in fb[k])]
        reordered = [k for k in fb if fb[k] != fl.get(k) and k not in inner]
        # A flow whose records are the same but in another order: split over
        # workers. (Different records are reported above.)
        split = [k for k in reordered if sorted(fb[k]) == sorted(fl.get(k, []))]
        print(f"{t}: {len(fb) - len(inner)} flows ({len(inner)} inside tunnels left out), "
              f"{len(split)} reordered in {lay}")
        for k in split[:5]:
            problems.append(f"{t} flow {k[0]} <-> {k[1]}: records in another order with {lay} than with {ref}")
        if len(split) > 5:
            problems.append(f"{t}: {len(split) - 5} more flows reordered with {lay}")

for p in problems:
    print("MISMATCH " + p)
sys.exit(1 if problems else 0)
EOF
rc=$?
[ "$rc" -eq 0 ] || fail "records depend on the worker layout (see MISMATCH lines above)"
echo "ok"
