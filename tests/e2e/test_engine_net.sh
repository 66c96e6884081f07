#!/usr/bin/env bash
# test_engine_net.sh: the ICMPv4, ICMPv6 (and its echo and neighbor
# discovery message), IGMP, SCTP, IPv6HopByHop and Dot11 records, and the
# IEEE 802.11 and radiotap link types, against tshark.
#
# For captures chosen for that content (ICMP echoes and errors over IPv4
# and IPv6, neighbor discovery with options, MLD and RPL, IGMP v1, v2 and
# v3 queries and reports, SCTP associations, hop-by-hop options, 802.11
# management, control and data frames under radiotap, malformed ones), and
# for two captures made here (radiotap and plain 802.11 frames of every
# addressing form, QoS, HT Control variants, data padding, with and without
# FCS: the corpus's 802.11 frames are nearly all management frames),
# tests/e2e/net_fields.py compares the fields of those records with tshark's
# dissection, and the records per type with tshark's layers. A count
# difference passes only when docs/decoding.md lists it ("Network and 802.11
# count differences") with the same two counts; a field difference always
# fails. ICMP and ICMPv6 stay dissected (the other engine tests turn them
# off for the inner layers of error quotes, which do not matter here).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

CAPTURES="ndpi/android.pcap ndpi/anyconnect-vpn.pcap ndpi/capwap.pcap ndpi/doq.pcapng
  ndpi/fuzz-2006-06-26-2594.pcap ndpi/googledns_android10.pcap ndpi/iphone.pcap ndpi/nintendo.pcap
  ndpi/quic_interop_V.pcapng ndpi/signal.pcap ndpi/skype_no_unknown.pcap ndpi/starcraft_battle.pcap
  ndpi/stun_signal.pcapng ndpi/teams.pcap ndpi/tls_certificate_too_long.pcap ndpi/wa_voice.pcap
  ndpi/whatsapp_login_call.pcap ndpi/zoom.pcap ndpi/zoom2.pcap
  tcpdump/IGMP_V1.pcap tcpdump/IGMP_V2.pcap tcpdump/igmpv3-queries.pcap tcpdump/mtrace.pcap
  tcpdump/mrinfo_query.pcap tcpdump/PIM-SM_join_prune.pcap tcpdump/eapon1.pcap
  tcpdump/hoobr_pimv1.pcap tcpdump/relts-0x80000000.pcap
  tcpdump/icmpv6.pcap tcpdump/icmpv6-RFC2894-RR.pcap tcpdump/icmpv6-ni-flags.pcap
  tcpdump/icmpv6-rfc7112.pcap tcpdump/icmpv6_opt24.pcap tcpdump/icmpv6-length-zero.pcapng
  tcpdump/rpl-14-dao.pcap tcpdump/rpl-19-pickdag.pcap tcpdump/rpl-26-senddaoack.pcap
  tcpdump/rpl-dao-oobr.pcap tcpdump/babel.pcap tcpdump/dcb_ets.pcap tcpdump/dcb_qcn.pcap
  tcpdump/ipv6-bad-version.pcap tcpdump/ipv6-routing-header.pcap tcpdump/ipv6-srh-ext-header.pcap
  tcpdump/ipv6-srh-ipproto-ether.pcap
  tcpdump/dhcp-rfc4388.pcap tcpdump/afs.pcap tcpdump/geneve.pcap tcpdump/vxlan.pcap
  tcpdump/PIM_register_register-stop.pcap tcpdump/icmp-icmp_print-oobr-1.pcap
  tcpdump/ip_ts_opts_asan.pcap tcpdump/macsec-integonly.pcap
  tcpdump/forces1.pcap tcpdump/forces2.pcap tcpdump/forces3.pcap tcpdump/isup.pcap
  tcpdump/ieee802.11_exthdr.pcap tcpdump/ieee802.11_rx-stbc.pcap
  tcpdump/status_code-0.pcap tcpdump/status_code-37.pcap tcpdump/status_code-104.pcap
  tcpdump/reason_code-1.pcap tcpdump/reason_code-34.pcap tcpdump/reason_code-66.pcap"

need_engine
need_tshark
need_corpus ndpi
need_corpus tcpdump
tshark_opts

# Radiotap (DLT 127) and plain 802.11 (DLT 105) frames: data frames in the
# four DS forms with and without FCS, QoS data with padding, HT Control (HT,
# ASEL and VHT variants) on QoS data and beacons, control frames, null and
# protected frames; then LLC/SNAP, IPv4, UDP in the data frames.
cat >"$TMP/synth80211.py" <<'EOF'
import random, struct, sys

def pcap(path, link, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, link))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 1000 * i, len(fr), len(fr)) + fr)

def radiotap(flags, tsft=False):
    body = (b"\x11" * 8 if tsft else b"") + bytes([flags])
    return struct.pack("<BBHI", 0, 0, 8 + len(body), 2 | tsft) + body

MAC = [bytes([2, 0, 0, 0, 0, i]) for i in range(1, 5)]
PAYLOAD = (b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + bytes.fromhex("4500002112340000401100000a0000010a000002")
           + bytes.fromhex("04d2162e000d0000") + b"hello")

def dot11(fc0, flags, qos=None, htc=None, body=b""):
    h = bytes([fc0, flags]) + struct.pack("<H", 0x2c) + MAC[0]
    typ, sub = (fc0 >> 2) & 3, fc0 >> 4
    if typ != 1 or sub in (10, 11, 14, 15):
        h += MAC[1]
    if typ != 1:
        h += MAC[2] + struct.pack("<H", 0x123 << 4 | 3)
    if typ == 2 and flags & 3 == 3:
        h += MAC[3]
    return h + (qos or b"") + (htc or b"") + body

rnd = random.Random(7)
frames = []
for ds in range(4):
    for fcs in (False, True):
        frames.append(radiotap(0x10 if fcs else 0) + dot11(0x08, ds, body=PAYLOAD)
                      + (b"\x78\x56\x34\x12" if fcs else b""))
for i in range(16):
    qos = bytes([rnd.randrange(128), rnd.randrange(256)])
    pad = i % 2 == 1
    head = dot11(0x88, 3 if i % 4 == 2 else 1, qos=qos)
    frames.append(radiotap(0x30 if pad else 0x10) + head
                  + (b"\0" * ((4 - len(head) % 4) % 4) if pad else b"") + PAYLOAD + b"\xde\xad\xbe\xef")
for i in range(40):
    htc = bytearray(rnd.randrange(256) for _ in range(4))
    htc[0] = [htc[0] & 0xfe, (htc[0] & 0xfc) | 1, (htc[0] & 0xc2) | 0x38][i % 3]
    if i % 2:
        f = dot11(0x88, 0x81, qos=b"\x05\x00", htc=bytes(htc), body=PAYLOAD)
    else:
        f = dot11(0x80, 0x80, htc=bytes(htc), body=b"\0" * 12 + b"\0\x04test")
    frames.append(radiotap(0x10, tsft=i % 4 == 0) + f + b"\x01\x02\x03\x04")
for fc0 in (0xb4, 0xa4, 0xc4, 0xd4, 0xe4, 0xf4):
    frames.append(radiotap(0x10) + dot11(fc0, 0) + b"\xaa\xbb\xcc\xdd")
frames.append(radiotap(0x10) + dot11(0x48, 0x11) + b"\0\0\0\0")
frames.append(radiotap(0x10) + dot11(0x88, 0x41, qos=b"\0\0", body=b"\0" * 20) + b"\0\0\0\0")
pcap(sys.argv[1], 127, frames)
pcap(sys.argv[2], 105, [dot11(0x08, ds, body=PAYLOAD) for ds in range(4)] + [dot11(0x80, 0, body=b"\0" * 16)])
EOF
mkdir -p "$TMP/made"
"$PY" "$TMP/synth80211.py" "$TMP/made/radiotap.pcap" "$TMP/made/dot11.pcap"
[ "$(link_type "$TMP/made/radiotap.pcap")" = ieee-802-11-radiotap ] || fail "radiotap capture not made"
[ "$(link_type "$TMP/made/dot11.pcap")" = ieee-802-11 ] || fail "802.11 capture not made"

# The accepted count differences: "capture type netcap tshark" per row.
awk -F'|' '/^### Network and 802.11 count differences/ {on=1; next} on && /^##/ {on = 0}
  on && $2 ~ /`/ { for (i = 2; i <= 5; i++) gsub(/[ `]/, "", $i); print $2, $3, $4, $5 }' \
  "$DECODING_DOC" >"$TMP/accepted"
[ -s "$TMP/accepted" ] || fail "no network/802.11 count differences found in $DECODING_DOC"

failed=0
: >"$TMP/counts"
for rel in $CAPTURES made/radiotap.pcap made/dot11.pcap; do
  case $rel in made/*) pcap=$TMP/$rel;; *) pcap=$NETCAP_CORPUS/$rel;; esac
  [ -f "$pcap" ] || fail "$rel absent from the corpus"
  out=$TMP/out
  rm -rf "$out"
  run_netcap "$out" -r "$pcap" -w 1 -q
  if ! "$PY" "$NETCAP_ROOT/tests/e2e/net_fields.py" "$DUMP" "$pcap" "$out" "${TSHARK_OPTS[@]}" \
      >"$TMP/log" 2>&1; then
    failed=1
  fi
  { grep -v '^COUNT ' "$TMP/log" || true; } | sed "s|^|$rel: |"
  awk -v rel="$rel" '$1 == "COUNT" { print rel, $2, $3, $4 }' "$TMP/log" >>"$TMP/counts"
done

# Counts: equal, or listed with exactly these numbers; listed ones must occur.
records=0
while read -r rel type nc ts; do
  records=$((records + nc))
  [ "$nc" = "$ts" ] && continue
  if grep -qxF "$rel $type $nc $ts" "$TMP/accepted"; then
    echo "accepted: $rel $type netcap $nc tshark $ts"
  else
    echo "COUNT DIFFERENCE $rel $type: netcap $nc, tshark $ts (not in $DECODING_DOC)"
    failed=1
  fi
done <"$TMP/counts"
while read -r rel type nc ts; do
  grep -qxF "$rel $type $nc $ts" "$TMP/counts" ||
    { echo "STALE docs/decoding.md row: $rel $type $nc $ts no longer occurs"; failed=1; }
done <"$TMP/accepted"

echo "$records records of $(wc -l <"$TMP/counts") capture/type pairs compared"
[ "$failed" -eq 0 ] || fail "network/802.11 records differ from tshark (see above)"
echo "ok"
