#!/usr/bin/env bash
# test_flows_communityid.sh: the CommunityID of Connection and Flow records
# equals Suricata 7's community_id for every flow both tools see.
#
# For every capture of the corpus's ndpi/ folder, Suricata (no rules,
# `--runmode single`, a minimal config with eve-log's `community-id: yes`,
# seed 0, flow events only) and netcap (one worker, Connection and Flow,
# long timeouts so that neither tool cuts a conversation by time) read the
# capture; tests/e2e/communityid_compare.py matches each Suricata flow to the
# Connection of the same protocol and endpoints whose time span overlaps it,
# and compares the two IDs, both checked against its own rendering of the
# spec (hashlib) from the tuple Suricata logged. Three differences are
# Suricata 7.0's, proven flow by flow (Suricata's value is its formula's,
# netcap's the spec's): protocols without ports (Suricata hashes two zero
# ports), ICMP messages without a counterpart type (Suricata hashes
# (type, 0), ordered), and both ends on one address (Suricata orders the
# ports by their byte-swapped values). One is a split: netcap keeps every
# ICMP message between two hosts in one Connection, with its first
# message's ID, where Suricata has a flow per type and direction
# (docs/flows.md, "Community ID"). Fails on any other difference, on a Flow
# record whose ID is not its Connection's, and when too few flows of TCP,
# UDP, ICMP and IPv6 agree to mean anything.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NETCAP=$NETCAP_BUILD/netcap
DUMP=$NETCAP_BUILD/netcap-dump
PY=/usr/bin/python3
LONG=(--udp-idle-timeout 86400 --tcp-idle-timeout 86400 --idle-timeout 86400 --active-timeout 604800)
# At least this many flows must agree, in all and per kind (the corpus gives
# far more: see docs/flows.md).
MIN_AGREE=4000 MIN_TCP=3000 MIN_UDP=1000 MIN_ICMP=8 MIN_V6=80

[ -x "$NETCAP" ] && [ -x "$DUMP" ] || skip "netcap not built (make)"
command -v suricata >/dev/null || skip "suricata absent (scripts/install-deps.sh installs it)"
need_corpus ndpi
[ -x "$PY" ] || skip "$PY absent"

cat >"$TMP/suricata.yaml" <<'EOF'
%YAML 1.1
---
outputs:
  - eve-log:
      enabled: yes
      filetype: regular
      filename: eve.json
      community-id: yes
      community-id-seed: 0
      types:
        - flow
EOF

: >"$TMP/manifest"
n=0
for f in "$NETCAP_CORPUS"/ndpi/*.pcap "$NETCAP_CORPUS"/ndpi/*.pcapng; do
  [ -f "$f" ] || continue
  name=$(basename "$f")
  out=$TMP/$name
  mkdir -p "$out.eve"
  if ! suricata -c "$TMP/suricata.yaml" -r "$f" -k none -S /dev/null --runmode single \
       -l "$out.eve" >"$out.eve/stdout" 2>&1; then
    tail -20 "$out.eve/stdout" >&2
    fail "suricata failed on $name"
  fi
  [ -f "$out.eve/eve.json" ] || fail "suricata wrote no eve.json for $name"
  if ! "$NETCAP" -r "$f" -o "$out" -w 1 -q --include Connection,Flow "${LONG[@]}" >"$out.log" 2>&1; then
    cat "$out.log" >&2
    fail "netcap failed on $name"
  fi
  cols=TimestampFirst,TimestampLast,NetworkProto,TransportProto,SrcIP,SrcPort,DstIP,DstPort,CommunityID
  : >"$out.Connection.csv"
  : >"$out.Flow.csv"
  for t in Connection Flow; do
    if [ -f "$out/$t.ncap.gz" ]; then
      "$DUMP" --select $cols "$out/$t.ncap.gz" >"$out.$t.csv" || fail "netcap-dump $out/$t.ncap.gz failed"
    else
      echo "$cols" >"$out.$t.csv"
    fi
  done
  printf '%s\t%s\t%s\t%s\n' "$name" "$out.eve/eve.json" "$out.Connection.csv" "$out.Flow.csv" >>"$TMP/manifest"
  n=$((n + 1))
done
[ "$n" -gt 0 ] || skip "no capture in $NETCAP_CORPUS/ndpi"
echo "-- $n captures"
"$PY" "$NETCAP_ROOT/tests/e2e/communityid_compare.py" "$TMP/manifest" >"$TMP/report" || {
  grep '^  DIFFERENT\|^  FLOW\|^TOTAL' "$TMP/report" | head -60
  fail "CommunityID differs from Suricata's (above)"
}
# Every explained difference but the 400-odd loopback ones, then the totals.
grep '^  ' "$TMP/report" | grep -v '^  suricata-same-address' | head -40 || true
grep '^TOTAL' "$TMP/report"

# Enough of each kind agreed for the result to mean something.
"$PY" - "$TMP/report" "$MIN_AGREE" "$MIN_TCP" "$MIN_UDP" "$MIN_ICMP" "$MIN_V6" <<'EOF' || fail "too few flows agreed"
import re, sys
text = open(sys.argv[1]).read()
agree = int(re.search(r"^TOTAL flows both tools see: \d+; .*\bagree (\d+)", text, re.M).group(1))
protos = dict((k, int(v)) for k, v in re.findall(r"(\S+/IPv\d) (\d+)", re.search(r"^TOTAL agree by protocol: (.*)$", text, re.M).group(1)))
tcp = sum(v for k, v in protos.items() if k.startswith("TCP/"))
udp = sum(v for k, v in protos.items() if k.startswith("UDP/"))
icmp = sum(v for k, v in protos.items() if k.startswith("ICMP"))
v6 = sum(v for k, v in protos.items() if k.endswith("/IPv6"))
need = [int(x) for x in sys.argv[2:]]
got = [agree, tcp, udp, icmp, v6]
for what, g, n in zip(["all", "TCP", "UDP", "ICMP", "IPv6"], got, need):
    print("agree %-4s %6d (at least %d)" % (what, g, n))
sys.exit(0 if all(g >= n for g, n in zip(got, need)) else 1)
EOF
# The options: --no-community-id leaves the field empty; another seed gives
# other hashes for the same flows (the seeded values themselves are the
# spec's, tests/unit/test_communityid.c).
one=$NETCAP_CORPUS/ndpi/1kxun.pcap
for opts in "" "--no-community-id" "--community-id-seed 1"; do
  d=$TMP/opt$(echo "$opts" | tr -dc a-z0-9)
  # shellcheck disable=SC2086
  "$NETCAP" -r "$one" -o "$d" -q $opts || fail "netcap -r $one $opts failed"
  "$DUMP" --select CommunityID "$d/Connection.ncap.gz" | tail -n +2 >"$d.ids" ||
    fail "netcap-dump $d/Connection.ncap.gz failed"
done
base=$TMP/opt.ids off=$TMP/optnocommunityid.ids seeded=$TMP/optcommunityidseed1.ids
[ -s "$base" ] && grep -q '^1:' "$base" || fail "no CommunityID by default"
! grep -q . "$off" || fail "--no-community-id: CommunityID still written"
[ "$(wc -l <"$off")" = "$(wc -l <"$base")" ] || fail "--no-community-id changed the Connection records"
[ "$(paste -d' ' "$base" "$seeded" | awk '$1 != "" && $1 == $2' | wc -l)" = 0 ] ||
  fail "--community-id-seed 1 left hashes unchanged"
echo "PASS"
