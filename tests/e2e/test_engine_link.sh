#!/usr/bin/env bash
# test_engine_link.sh: the link-layer records (ARP, LLC, SNAP, EthernetCTP,
# EthernetCTPReply, LinkLayerDiscovery, LinkLayerDiscoveryInfo) and the
# link types Linux SLL, SLL2, BSD NULL and LOOP, PPP, Cisco HDLC and NFLOG
# (and PPPoE and MPLS below Ethernet), against tshark.
#
# For captures chosen for their link-layer content (ARP, also in VLANs and
# malformed; 802.3 with LLC, SNAP, Novell IPX, Cisco ISL; Ethernet loopback;
# LLDP, also malformed; Linux cooked and BSD loopback captures; PPP, with
# MPLS, Cisco HDLC with SLARP and IS-IS, NFLOG, PPPoE discovery and session,
# MPLS in UDP), and for an
# SLL2 and a LOOP capture made here from an SLL and a NULL one (the corpus
# has none), tests/e2e/link_fields.py compares every field of those records
# with tshark's dissection, and the records per type (the types above and
# Ethernet, Dot1Q, IPv4, IPv6, TCP, UDP) with tshark's layers. A count
# difference passes only when docs/decoding.md lists it ("Link-layer count
# differences") with the same two counts; a field difference always fails.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

CAPTURES="ndpi/nest_log_sink.pcap tcpdump/QinQpacket.pcap tcpdump/arp-oobr.pcap
  tcpdump/getname_2_read4_asan.pcap tcpdump/ipx.pcap tcpdump/802.1D_spanning_tree.pcap
  tcpdump/3560_CDP.pcap tcpdump/DTP.pcap tcpdump/rpvstp-trunk-native-vid5.pcap tcpdump/kday4.pcap
  tcpdump/spb.pcap tcpdump/loopback.pcap tcpdump/LLDP_and_CDP.pcap tcpdump/dcb_ets.pcap
  tcpdump/lldp_mudurl.pcap tcpdump/lldp-app-priority.pcap tcpdump/lldp-infinite-loop-1.pcap
  tcpdump/lldp_asan.pcap tcpdump/lldp_8021_linkagg.pcap ndpi/quickplay.pcap
  ndpi/KakaoTalk_talk.pcap tcpdump/mptcp-v1.pcap ndpi/rdp.pcap tcpdump/ikev2four.pcap
  tcpdump/dns-badcookie.pcap tcpdump/mpls-traceroute.pcap tcpdump/lspping-fec-ldp.pcap
  tcpdump/ppp-invalid-lengths.pcap tcpdump/HDLC.pcap tcpdump/ISIS_p2p_adjacency.pcap
  tcpdump/nflog.pcap tcpdump/pppoe.pcap tcpdump/pppoes.pcap tcpdump/mpls-over-udp.pcap"

need_engine
need_tshark
need_corpus ndpi
need_corpus tcpdump
tshark_opts

# The corpus has no SLL2 or LOOP capture: rewrite an SLL one's headers as
# SLL2 and a NULL one's family in network order (pcap files).
cat >"$TMP/relink.py" <<'EOF'
import struct, sys
mode, src, dst = sys.argv[1:4]
d = open(src, "rb").read()
e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
swap = ">" if e == "<" else "<"
out = bytearray(d[:20] + struct.pack(e + "I", 276 if mode == "sll2" else 108))
off = 24
while off + 16 <= len(d):
    sec, frac, cap, wire = struct.unpack(e + "IIII", d[off:off + 16])
    pk = d[off + 16:off + 16 + cap]
    off += 16 + cap
    if mode == "sll2" and cap >= 16:
        pkttype, hatype, halen = struct.unpack(">HHH", pk[:6])
        pk = pk[14:16] + b"\0\0" + struct.pack(">IHBB", 1, hatype, pkttype, halen) + pk[6:14] + pk[16:]
        cap, wire = cap + 4, wire + 4
    elif mode == "loop" and cap >= 4:
        family = struct.unpack(e + "I", pk[:4])[0]
        if family & 0xffffff00:
            family = struct.unpack(swap + "I", pk[:4])[0]
        pk = struct.pack(">I", family) + pk[4:]
    out += struct.pack(e + "IIII", sec, frac, cap, wire) + pk
open(dst, "wb").write(out)
EOF
mkdir -p "$TMP/relinked"
"$PY" "$TMP/relink.py" sll2 "$NETCAP_CORPUS/ndpi/quickplay.pcap" "$TMP/relinked/quickplay-sll2.pcap"
"$PY" "$TMP/relink.py" loop "$NETCAP_CORPUS/ndpi/rdp.pcap" "$TMP/relinked/rdp-loop.pcap"
[ "$(link_type "$TMP/relinked/quickplay-sll2.pcap")" = linux-sll2 ] || fail "SLL2 capture not made"
[ "$(link_type "$TMP/relinked/rdp-loop.pcap")" = loop ] || fail "LOOP capture not made"

# The accepted count differences: "capture type netcap tshark" per row.
awk -F'|' '/^### Link-layer count differences/ {on=1; next} on && /^##/ {on = 0}
  on && $2 ~ /`/ { for (i = 2; i <= 5; i++) gsub(/[ `]/, "", $i); print $2, $3, $4, $5 }' \
  "$DECODING_DOC" >"$TMP/accepted"
[ -s "$TMP/accepted" ] || fail "no link-layer count differences found in $DECODING_DOC"

failed=0
: >"$TMP/counts"
for rel in $CAPTURES relinked/quickplay-sll2.pcap relinked/rdp-loop.pcap; do
  case $rel in relinked/*) pcap=$TMP/$rel;; *) pcap=$NETCAP_CORPUS/$rel;; esac
  [ -f "$pcap" ] || fail "$rel absent from the corpus"
  out=$TMP/out
  rm -rf "$out"
  run_netcap "$out" -r "$pcap" -w 1 -q
  if ! "$PY" "$NETCAP_ROOT/tests/e2e/link_fields.py" "$DUMP" "$pcap" "$out" "${TSHARK_OPTS[@]}" \
      >"$TMP/log" 2>&1; then
    failed=1
  fi
  { grep -v '^COUNT ' "$TMP/log" || true; } | sed "s|^|$rel: |"
  awk -v c="$rel" '$1 == "COUNT" {print c, $2, $3, $4}' "$TMP/log" >>"$TMP/counts"
done

counts_ok=1
"$PY" - "$TMP/counts" "$TMP/accepted" <<'EOF' || counts_ok=0
import sys
accepted = {}
for line in open(sys.argv[2]):
    cap, typ, nc, ts = line.split()
    accepted[(cap, typ)] = (int(nc), int(ts))
bad, ok, listed = [], 0, []
for line in open(sys.argv[1]):
    cap, typ, nc, ts = line.split()
    pair, want = (int(nc), int(ts)), accepted.pop((cap, typ), None)
    if pair[0] == pair[1]:
        ok += 1
        if want:
            bad.append(f"{cap} {typ}: listed as netcap {want[0]} / tshark {want[1]}, now both {pair[0]}: remove the row")
    elif want == pair:
        listed.append(f"{cap} {typ}: netcap {pair[0]} tshark {pair[1]} (accepted, docs/decoding.md)")
    else:
        extra = f" (docs/decoding.md lists netcap {want[0]} / tshark {want[1]})" if want else ""
        bad.append(f"{cap} {typ}: netcap {pair[0]} tshark {pair[1]}{extra}")
for (cap, typ) in accepted:
    bad.append(f"docs/decoding.md lists {cap} {typ}, which this test does not compare")
for l in listed:
    print(l)
print(f"{ok} (capture, type) counts equal, {len(listed)} accepted differences, {len(bad)} unexplained")
for l in bad:
    print("MISMATCH " + l)
sys.exit(1 if bad else 0)
EOF
[ "$counts_ok" -eq 1 ] || fail "record counts differ from tshark (see MISMATCH lines above)"
[ "$failed" -eq 0 ] || fail "record fields differ from tshark (see MISMATCH lines above)"
echo "ok"
