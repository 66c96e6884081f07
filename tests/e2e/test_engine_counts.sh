#!/usr/bin/env bash
# test_engine_counts.sh: records per type written by the engine = layers per
# protocol dissected by tshark, per capture and type, for every Ethernet
# capture of the ndpi corpus up to NDPI_MAX_BYTES and some tcpdump captures
# with VLAN tags and IPv6 (extension headers, tunnels).
#
# tshark is asked as docs/decoding.md says (reassembly off, dissectors of
# tunnels NETCAP does not decode yet turned off); a difference passes only
# when that document's table lists it with the same two counts. Every other
# difference fails, printed with both counts. tshark runs in the background
# while the replays run one after another (one netcap at a time).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

NDPI_MAX_BYTES=${NDPI_MAX_BYTES:-5500000}
# VLAN: single, 802.1ad and stacked tags, VLAN-tagged STP, a vendor ethertype.
# IPv6: routing (segment routing) and hop-by-hop headers, a jumbo option,
# AH, a bad version, DHCPv6/UDP, IPv6 and IPv4 mixed.
TCPDUMP_FILES="QinQpacket.pcap rpvstp-trunk-native-vid5.pcap MSTP_Intra-Region_BPDUs.pcap
  arista_ether.pcap ipv6-routing-header.pcap ipv6-srh-ext-header.pcap ipv6-srh-insert-cksum.pcap
  ipv6-too-long-jumbo.pcap ipv6-bad-version.pcap icmpv6-rfc7112.pcap dhcpv6-ia-na.pcap
  dcb_ets.pcap kday3.pcap ntp-control.pcap OSPFv3_with_AH.pcap sflow-print-v6.pcap vrrp.pcap
  babel_rfc6126bis.pcap pim-packet-assortment.pcap hncp.pcap ahcp.pcapng"

need_engine
need_tshark
command -v capinfos >/dev/null || skip "capinfos absent (apt-get install wireshark-common)"
need_corpus ndpi
need_corpus tcpdump
tshark_opts

# The captures, as paths relative to the corpus: Ethernet only (the link
# types netcap's other decoders handle come with those decoders).
list=$TMP/captures
: >"$list"
while IFS=$'\t' read -r path encap; do
  [ "$encap" = ether ] || continue
  size=$(stat -c %s "$path")
  [ "$size" -le "$NDPI_MAX_BYTES" ] && echo "ndpi/$(basename "$path")" >>"$list"
done < <(capinfos -T -E -r "$NETCAP_CORPUS"/ndpi/*.pcap "$NETCAP_CORPUS"/ndpi/*.pcapng 2>/dev/null)
for f in $TCPDUMP_FILES; do
  if [ -f "$NETCAP_CORPUS/tcpdump/$f" ]; then
    [ "$(link_type "$NETCAP_CORPUS/tcpdump/$f")" = ether ] || fail "tcpdump/$f is not Ethernet"
    echo "tcpdump/$f" >>"$list"
  else
    echo "note: tcpdump/$f absent from the corpus"
  fi
done
n_files=$(wc -l <"$list")
[ "$n_files" -ge 100 ] || fail "only $n_files captures found in $NETCAP_CORPUS (expected the ndpi corpus)"
echo "-- $n_files captures"

mkdir -p "$TMP/ts" "$TMP/nc"
key() { echo "$1" | tr '/' '_'; }

# tshark in the background, netcap in the foreground.
(
  while read -r rel; do
    tshark_counts "$NETCAP_CORPUS/$rel" >"$TMP/ts/$(key "$rel").part"
    mv "$TMP/ts/$(key "$rel").part" "$TMP/ts/$(key "$rel")"
  done <"$list"
) &
tshark_pid=$!
trap 'kill "$tshark_pid" 2>/dev/null || true; rm -rf "$TMP"' EXIT

while read -r rel; do
  out=$TMP/out
  rm -rf "$out"
  run_netcap "$out" -r "$NETCAP_CORPUS/$rel" -w 1 -q
  netcap_counts "$out" >"$TMP/nc/$(key "$rel")"
done <"$list"
wait "$tshark_pid" || fail "tshark counting failed"

# The accepted differences: "capture type netcap tshark" per row.
doc_section | awk -F'|' '/^### Per-capture differences/ {on=1; next} on && /^### / {on = 0}
  on && $2 ~ /`/ { for (i = 2; i <= 5; i++) gsub(/[ `]/, "", $i); print $2, $3, $4, $5 }' >"$TMP/accepted"

"$PY" - "$list" "$TMP" <<'EOF'
import os, sys
captures = open(sys.argv[1]).read().split()
tmp = sys.argv[2]
accepted = {}
for line in open(os.path.join(tmp, "accepted")):
    cap, typ, nc, ts = line.split()
    accepted[(cap, typ)] = (int(nc), int(ts))

def counts(path):
    return {t: int(n) for t, n in (l.split() for l in open(path))}

bad, ok, listed_ok = [], 0, []
for cap in captures:
    k = cap.replace("/", "_")
    nc, ts = counts(os.path.join(tmp, "nc", k)), counts(os.path.join(tmp, "ts", k))
    for typ in nc:
        pair = (nc[typ], ts[typ])
        want = accepted.pop((cap, typ), None)
        if pair[0] == pair[1]:
            ok += 1
            if want:
                bad.append(f"{cap} {typ}: listed in docs/decoding.md as netcap {want[0]} / tshark {want[1]}, "
                           f"now both {pair[0]}: remove the row")
        elif want == pair:
            listed_ok.append(f"{cap} {typ}: netcap {pair[0]} tshark {pair[1]} (accepted, docs/decoding.md)")
        else:
            extra = f" (docs/decoding.md lists netcap {want[0]} / tshark {want[1]})" if want else ""
            bad.append(f"{cap} {typ}: netcap {pair[0]} tshark {pair[1]}{extra}")
# Rows left: a capture this run did not compare (absent, or above the size
# limit), or a type name that is not one of the compared types.
for (cap, typ), want in accepted.items():
    if cap in captures:
        bad.append(f"docs/decoding.md lists {cap} with type {typ!r}, which is not a compared type")
    else:
        print(f"note: docs/decoding.md lists {cap} {typ}, which this run did not compare")
for l in listed_ok:
    print(l)
print(f"{ok} (capture, type) counts equal, {len(listed_ok)} accepted differences, {len(bad)} unexplained")
for l in bad:
    print("MISMATCH " + l)
sys.exit(1 if bad else 0)
EOF
rc=$?
[ "$rc" -eq 0 ] || fail "record counts differ from tshark (see MISMATCH lines above)"
echo "ok"
