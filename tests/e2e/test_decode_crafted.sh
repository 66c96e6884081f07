#!/usr/bin/env bash
# test_decode_crafted.sh: the encapsulations the corpus lacks, against
# tshark 4.0, on captures of our own. tests/crafted/tunnels.py writes an
# Ethernet capture (GRE with key and sequence number, GRE with checksum,
# ERSPAN II, ERSPAN III with and without the platform subheader, PPTP GRE
# carrying PPP, VXLAN, Geneve with two options, Teredo with authentication
# and origin indication, a Teredo bubble, GTP-U with two extension headers,
# MPLS with three labels, MPLS with a control word and an Ethernet
# pseudowire, PPPoE sessions carrying IPv4 and IPv6, a PPPoE PADI, VN-Tag,
# 802.1BR E-tag, 802.1ah PBB, IPv6 with SRH and destination options, IPv6
# AH, IPv4 ESP, an IPv6 UDP datagram in three fragments out of order) and a
# DLT_PPP capture (IPv4, IPv6, ACFC/PFC, MPLS); each carries TCP, UDP or a
# DNS query inside.
#
# 1. The captures are sound: tshark with IP, TCP and UDP checksum
#    validation on (GRE's it checks always) finds no bad checksum and no
#    malformed or warning-level expert item in them.
# 2. Fields, as test_decode_tshark.sh compares them (its comparison, run on
#    a corpus of these two files: NETCAP_CORPUS=$TMP/corpus, ndpi/ and
#    tcpdump/ each holding one): every row of tests/e2e/tshark_fields.tsv,
#    netcap with --payload and --defrag-memory 0, tshark with reassembly
#    off. Here every compared value must agree (AGREEMENT_BAR 100), every
#    tshark layer must line up with a record (LINEUP_BAR 100), and, per
#    type, NETCAP's records = tshark's layers = lined up. The one exception
#    is the list of values tshark does not show (ABSENT below): GRE's
#    optional fields, which tshark shows only when their flag says they are
#    there (PPTP's key as gre.key.payload_length/call_id), while NETCAP
#    records 0 as gopacket does (docs/decoding.md, "Tunnels"); the list
#    must be exactly this one.
# 3. Records per frame, netcap as shipped (reassembly on): each frame's
#    per-packet records (the types of tunnels.frames: Ethernet, IPv4, GRE,
#    inner IPv4/IPv6, TCP/UDP, DNS ...) are exactly those tunnels.py says
#    it wrote, the totals per type those of tunnels.counts, no other
#    per-packet record type appears, the summary has no malformed or
#    unknown layer, and the fragments give 3 Defrag fragments and 1
#    reassembled datagram (its UDP record at the last fragment's time).
#
# tshark needs no preference to decode any of them: ERSPAN II and III are
# told apart by the GRE protocol and the header's version (type I, which
# needs erspan.fake_erspan, is not in the capture), Teredo and GTP-U are
# on their UDP ports, VN-Tag, E-tag, PBB, PPPoE on their ethertypes. Its MPLS
# pseudowire heuristic (pwethheuristic) takes the control word for one only
# when the addresses after it have vendor prefixes it knows; tunnels.py
# uses such addresses there (Cisco's, Intel's) rather than a -o preference.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

need_engine
need_tshark
for t in capinfos mergecap editcap; do
  command -v "$t" >/dev/null || skip "$t absent (apt-get install wireshark-common)"
done
"$PY" "$NETCAP_ROOT/tests/crafted/tunnels.py" "$TMP" || fail "tunnels.py failed"
FILES="tunnels.pcap tunnels-ppp.pcap"

# ---- 1. the captures are sound ----------------------------------------
for f in $FILES; do
  bad=$(tshark -n -r "$TMP/$f" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
          -o udp.check_checksum:TRUE \
          -Y 'ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0 || gre.checksum.status == 0 || _ws.malformed || _ws.expert.severity >= 0x00600000' \
          -T fields -e frame.number -e _ws.expert.message 2>"$TMP/tshark.err") ||
    { cat "$TMP/tshark.err" >&2; fail "tshark could not read $f"; }
  [ -z "$bad" ] || { echo "$bad" >&2; fail "$f: tshark finds bad checksums or malformed packets"; }
done

# ---- 2. fields, with test_decode_tshark.sh's comparison ----------------
mkdir -p "$TMP/corpus/ndpi" "$TMP/corpus/tcpdump"
cp "$TMP/tunnels.pcap" "$TMP/corpus/ndpi/"
cp "$TMP/tunnels-ppp.pcap" "$TMP/corpus/tcpdump/"
rc=0
NETCAP_CORPUS=$TMP/corpus AGREEMENT_BAR=100 LINEUP_BAR=100 TCPDUMP_EVERY=1 DIFF_EXAMPLES=10 \
  bash "$NETCAP_ROOT/tests/e2e/test_decode_tshark.sh" >"$TMP/diff.log" 2>&1 || rc=$?
[ "$rc" -eq 77 ] && skip "$(grep '^skipped:' "$TMP/diff.log" | sed 's/^skipped: //')"
if [ "$rc" -ne 0 ]; then
  cat "$TMP/diff.log"
  fail "test_decode_tshark.sh on the crafted captures: a value differs or a layer did not line up (above)"
fi
# Per type: records = tshark's layers = lined up; the types that must have
# been compared at all.
"$PY" - "$TMP/diff.log" <<'EOF' || { cat "$TMP/diff.log"; fail "records and tshark's layers differ (above)"; }
import re, sys
log = open(sys.argv[1]).read()
rows = {}
table = log.split("lined up  not lined up")[1].split("\n\n")[0]
for line in table.splitlines()[1:]:
    f = line.split()
    if len(f) >= 4 and f[1].isdigit():
        rows[f[0]] = tuple(int(x) for x in f[1:4])
bad = [f"{t}: {r[0]} records, {r[1]} tshark layers, {r[2]} lined up" for t, r in rows.items()
       if not r[0] == r[1] == r[2]]
want = "Ethernet MPLS IPv4 IPv6 IPv6Fragment IPSecAH IPSecESP TCP UDP DNS GRE VXLAN Geneve".split()
bad += [f"{t}: nothing compared" for t in want if rows.get(t, (0, 0, 0))[2] == 0]
# Values tshark does not show: exactly GRE's optional fields (see above).
ABSENT = {"GRE.AckPresent": 5, "GRE.Checksum": 5, "GRE.Offset": 5, "GRE.Ack": 5, "GRE.Key": 5, "GRE.Seq": 1}
absent = {}
HEAD = "values tshark does not show (the captures with most):"
if HEAD in log:
    for line in log.split(HEAD)[1].split("\n\n")[0].splitlines()[1:]:
        m = re.match(r"\s+(\S+): (\d+);", line)
        if m:
            absent[m.group(1)] = int(m.group(2))
if absent != ABSENT:
    bad.append(f"values tshark does not show: {absent}, expected {ABSENT}")
m = re.search(r"^overall: (\d+) of (\d+) values agree", log, re.M)
lu = re.search(r"^lined up: (\d+) of tshark's (\d+) layers", log, re.M)
if not m or m.group(1) != m.group(2) or not lu or lu.group(1) != lu.group(2):
    bad.append("the overall figures are not all-agreeing")
else:
    print(f"-- fields: {m.group(1)} of {m.group(2)} values agree, {lu.group(1)} of {lu.group(2)} layers lined up")
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
EOF

# ---- 3. records per frame, reassembly on --------------------------------
# Per-packet record types (those with a Timestamp of the packet); the flow
# types (Connection, Flow, LinkFlow, NetworkFlow, TransportFlow) are not.
FLOW_TYPES=" Connection Flow LinkFlow NetworkFlow TransportFlow "
for f in $FILES; do
  out=$TMP/out.${f%.pcap}
  if ! "$NETCAP" -r "$TMP/$f" -o "$out" -w 1 --no-progress >"$out.summary" 2>"$out.stderr"; then
    cat "$out.summary" "$out.stderr" >&2
    fail "netcap failed on $f"
  fi
  grep -q 'decode      0 malformed, 0 with an unknown layer' "$out.summary" ||
    { grep -E 'decode|events' "$out.summary" >&2; fail "$f: malformed or unknown layers"; }
  for file in "$out"/*.ncap.gz; do
    typ=$(basename "$file" .ncap.gz)
    case "$FLOW_TYPES" in *" $typ "*) continue;; esac
    "$DUMP" --select Timestamp "$file" | tail -n +2 | awk -v t="$typ" '{ print int($1 / 1000000000), t }'
  done >"$out.records" || fail "netcap-dump failed on $out"
done
grep -q 'Defrag fragment 3, Defrag reassembled 1' "$TMP/out.tunnels.summary" ||
  { grep events "$TMP/out.tunnels.summary" >&2; fail "the summary lacks the Defrag events of the 3 fragments"; }

"$PY" - "$TMP" $FILES <<'EOF' || fail "records per frame differ from what tunnels.py wrote (above)"
import collections, os, sys
tmp, files = sys.argv[1], sys.argv[2:]
want_frames = collections.defaultdict(dict)   # file -> second -> (name, Counter)
for line in open(os.path.join(tmp, "tunnels.frames")):
    f, sec, name, *types = line.split()
    want_frames[f][int(sec)] = (name, collections.Counter(types))
want_totals = collections.defaultdict(collections.Counter)
for line in open(os.path.join(tmp, "tunnels.counts")):
    f, typ, n = line.split()
    if typ != "frames":
        want_totals[f][typ] = int(n)
bad = 0
for f in files:
    got = collections.defaultdict(collections.Counter)
    totals = collections.Counter()
    for line in open(os.path.join(tmp, "out." + f[:-len(".pcap")] + ".records")):
        sec, typ = line.split()
        got[int(sec)][typ] += 1
        totals[typ] += 1
    for sec in sorted(set(got) | set(want_frames[f])):
        name, want = want_frames[f].get(sec, ("(no such frame)", collections.Counter()))
        if got[sec] != want:
            bad += 1
            print(f"  {f} {name} ({sec}): records {dict(sorted(got[sec].items()))}, want {dict(sorted(want.items()))}")
    if totals != want_totals[f]:
        bad += 1
        print(f"  {f}: records per type {dict(sorted(totals.items()))}, tunnels.counts {dict(sorted(want_totals[f].items()))}")
    else:
        print(f"-- {f}: {len(want_frames[f])} frames, " + ", ".join(f"{t} {n}" for t, n in sorted(totals.items())))
sys.exit(1 if bad else 0)
EOF
echo "ok"
