#!/usr/bin/env bash
# test_decode_limits.sh: netcap against the costliest packets we can craft
# (issue 9, "Hardening"; docs/decoding.md, "Limits").
#
# scripts/make-worst-packets.py writes, per decoder family, a packet of at
# most 1,514 bytes and one of up to 262,144 that aim at one cost each (Pad1
# floods in hop-by-hop headers, DNS names re-expanded through compression
# pointers, thousands of options, sources, TLVs or headers, nesting to the
# depth limit), and the two frames of issue 9's reports: an IGMPv3 report
# after hop-by-hop Pad1 floods (the decoders crashed on it: a NULL address
# read) and a TCP segment after more of them (its TCP record was lost to a
# full record space). netcap replays each (a few copies) and the test
# checks, per packet:
#   - netcap exits 0 and reads every copy;
#   - the records of the layers after the flood are there (TCP after the
#     hop-by-hop headers, IGMP with all 8 group records, DNS, ...), one per
#     copy, with what the table below says;
#   - each cap that cuts a record is counted: the summary's "events" line
#     names it ("DNS capped N"), and a packet without a cap has none;
#   - no record needed the engine's cut at 128 KiB (no "truncated" line),
#     and no serialized record is over 64 KiB (DECODE_RECORD_BOUND), read
#     from the files themselves.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"
need_engine
[ -x "$PY" ] || skip "$PY absent"

COPIES=3
"$PY" "$NETCAP_ROOT/scripts/make-worst-packets.py" "$TMP/pcap" --copies $COPIES --large-copies $COPIES \
  >"$TMP/manifest" || fail "make-worst-packets.py failed"

# name | events the summary must list (- for none) | records per copy, TYPE=N
# | a check of the first record of a type, TYPE: python expression on r
cat >"$TMP/expect" <<'EOF'
regress-igmp-after-pad1|IPv6Extension capped|IGMP=1 IPv6HopByHop=5|IGMP: len(r["GroupRecords"]) == 8 and len(r["GroupRecords"][0]["SourceAddresses"]) == 77 and [g["MulticastAddress"] for g in r["GroupRecords"]][7] == "239.1.1.7"
regress-tcp-after-pad1|IPv6Extension capped|TCP=1 IPv6HopByHop=11|TCP: r["DstPort"] == 80 and r["SrcIP"] == "2001:db8:1111:2222:3333:4444:5555:6666"
ipv6-hbh-pad1|IPv6Extension capped|TCP=1 IPv6HopByHop=1|IPv6HopByHop: len(r["Options"]) == 64 and r["Truncated"]
ipv6-hbh-chain|IPv6Extension capped|TCP=1 IPv6HopByHop=14|
ipv6-hbh-chain-large|IPv6Extension capped|TCP=1 IPv6HopByHop=14|
ipv6-destopts|-|TCP=1|
ipv6-destopts-large|-|TCP=1|
igmpv3-query|-|IGMP=1|IGMP: len(r["SourceAddresses"]) == 367
igmpv3-query-large|IGMP capped|IGMP=1|IGMP: len(r["SourceAddresses"]) == 1024 and r["NumberOfSources"] == 65481 and r["Truncated"]
igmpv3-report|-|IGMP=1|
igmpv3-report-groups|-|IGMP=1|IGMP: len(r["GroupRecords"]) == 184
igmpv3-report-large|IGMP capped|IGMP=1|
dns-pointers|DNS capped|DNS=1|DNS: 0 < len(r["Questions"]) < 201 and r["QDCount"] == 201 and r["Truncated"]
dns-pointers-large|DNS capped|DNS=1|
dns-answers|DNS capped|DNS=1|DNS: 0 < len(r["Answers"]) < 75 and r["Answers"][0]["IP"] == "10.0.0.1"
dns-txt|DNS capped|DNS=1|DNS: len(r["Answers"][0]["TXTs"]) == 256
dns-txt-large|DNS capped|DNS=1|
dns-tcp-large|DNS capped|DNS=4|
lldp-tlvs|LLDP capped|LinkLayerDiscovery=1 LinkLayerDiscoveryInfo=1|LinkLayerDiscovery: len(r["Values"]) == 128
lldp-tlvs-large|LLDP capped|LinkLayerDiscovery=1 LinkLayerDiscoveryInfo=1|
lldp-values-large|LLDP capped|LinkLayerDiscovery=1 LinkLayerDiscoveryInfo=1|
dhcpv4-pad|DHCPv4 capped|DHCPv4=1|DHCPv4: len(r["Options"]) == 128
dhcpv4-pad-large|DHCPv4 capped|DHCPv4=1|
dhcpv4-hex|-|DHCPv4=1|
dhcpv4-hex-large|DHCPv4 capped|DHCPv4=1|
dhcpv6-options|DHCPv6 capped|DHCPv6=1|
dhcpv6-options-large|DHCPv6 capped|DHCPv6=1|
dhcpv6-hex-large|DHCPv6 capped|DHCPv6=1|
sip-headers|SIP capped|SIP=1|SIP: len(r["Headers"]) == 64
sip-headers-large|SIP capped|SIP=1|
sip-long-large|SIP capped|SIP=1|
sip-folded-large|SIP capped|SIP=1|
icmpv6-ra|ICMPv6 capped|ICMPv6RouterAdvertisement=1|ICMPv6RouterAdvertisement: len(r["Options"]) == 64
icmpv6-ra-large|ICMPv6 capped|ICMPv6RouterAdvertisement=1|
ip-tcp-options|-|IPv4=1 TCP=1|TCP: len(r["Options"]) == 40
ipv4-in-ipv4|-|IPv4=14 TCP=1|
ipv6-in-ipv6|-|IPv6=14 TCP=1|
vlan-stack|-|Dot1Q=13 TCP=1|
ntp-extension|-|NTP=1|
ntp-extension-large|NTP capped|NTP=1|NTP: r["Truncated"]
ctp-reply|-|EthernetCTPReply=1|
ctp-reply-large|EthernetCTP capped|EthernetCTPReply=1|
arp-long|-|ARP=1|
radiotap-dot11|-|Dot11=1 TCP=1|
radiotap-dot11-large|-|Dot11=1 TCP=1|
http-headers|HTTP capped|HTTP=1|HTTP: len(r["RequestHeader"]) == 64 and len(r["Parameters"]) == 64 and r["Host"] == "h" and r["Truncated"]
http-headers-large|HTTP capped|HTTP=1|HTTP: len(r["RequestHeader"]) == 64 and r["Host"] == "h" and r["Truncated"]
tls-hello|-|TLSClientHello=1|TLSClientHello: len(r["CipherSuites"]) == 504 and len(r["Extensions"]) == 100 and len(r["Ja3"]) == 32 and r["Ja4"].startswith("t12i9999")
tls-hello-large|TLS capped|TLSClientHello=1|TLSClientHello: len(r["CipherSuites"]) == 512 and len(r["Ja3"]) == 32 and r["Truncated"]
tcp-payload|-|TCP=1|
tcp-payload-large|-|TCP=1|
EOF

# Every packet the generator writes has a line above, and the reverse.
cut -f1 "$TMP/manifest" | sort >"$TMP/made"
cut -d'|' -f1 "$TMP/expect" | sort >"$TMP/listed"
diff "$TMP/made" "$TMP/listed" >/dev/null ||
  fail "make-worst-packets.py and this test list different packets: $(diff "$TMP/made" "$TMP/listed" | tr '\n' ' ')"

# The largest serialized record of every record file in DIR (the length
# prefixes of the delimited stream, docs/file-format.md).
cat >"$TMP/largest.py" <<'PYEOF'
import glob, gzip, sys
largest = (0, "")
for path in glob.glob(sys.argv[1] + "/*.ncap.gz"):
    data = gzip.open(path).read()
    i = 0
    while i < len(data):
        n = shift = 0
        while True:
            b = data[i]; i += 1
            n |= (b & 0x7f) << shift; shift += 7
            if not b & 0x80:
                break
        largest = max(largest, (n, path.rsplit("/", 1)[1]))
        i += n
print(largest[0], largest[1])
PYEOF

# check_first DIR TYPE EXPR: EXPR holds for the first record of DIR/TYPE.
check_first() {
  [ -f "$1/$2.ncap.gz" ] || return 1
  "$DUMP" --json "$1/$2.ncap.gz" 2>/dev/null | head -n 1 >"$1.first.json"
  "$PY" - "$1.first.json" "$3" <<'PYEOF'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit(1)
sys.exit(0 if eval(sys.argv[2], {}, {"r": r}) else 1)
PYEOF
}

failures=0
while IFS='|' read -r name want_events counts check; do
  out=$TMP/out-$name
  pcap=$TMP/pcap/$name.pcap
  rc=0
  "$NETCAP" -r "$pcap" -o "$out" --no-progress -w 1 >"$out.summary" 2>"$out.stderr" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "FAIL $name: netcap exited $rc (a signal when over 128)"; tail -n 5 "$out.stderr" "$out.summary"
    failures=$((failures + 1)); continue
  fi
  problems=()
  grep -q "^  packets     $COPIES " "$out.summary" || problems+=("not every copy read")
  grep -q "^  truncated " "$out.summary" && problems+=("a record was over the engine's limit: $(grep '^  truncated' "$out.summary")")
  events=$(sed -n 's/^  events *//p' "$out.summary")
  if [ "$want_events" = - ]; then
    grep -q "capped" <<<"$events" && problems+=("capped without a reason: $events")
  else
    IFS=, read -ra wants <<<"$want_events"
    for w in "${wants[@]}"; do
      grep -q "$w [0-9]" <<<"$events" || problems+=("no '$w' event (events: ${events:-none})")
    done
  fi
  for tc in $counts; do
    type=${tc%%=*}; per=${tc#*=}
    n=0
    [ -f "$out/$type.ncap.gz" ] && n=$("$DUMP" --count "$out/$type.ncap.gz" | awk 'END{print $NF}')
    [ "$n" = $((per * COPIES)) ] || problems+=("$type: $n records, want $((per * COPIES))")
  done
  if [ -n "$check" ]; then
    type=${check%%:*}; expr=${check#*: }
    check_first "$out" "$type" "$expr" || problems+=("$type: not $expr")
  fi
  read -r size file < <("$PY" "$TMP/largest.py" "$out")
  [ "$size" -le 65536 ] || problems+=("a $size-byte record in $file, over 64 KiB")
  if [ ${#problems[@]} -gt 0 ]; then
    echo "FAIL $name:"; printf '    %s\n' "${problems[@]}"
    failures=$((failures + 1))
  else
    echo "ok   $name ($(sed -n 's/^  decoding *//p' "$out.summary"); largest record $size bytes${events:+; $events})"
  fi
done <"$TMP/expect"
[ "$failures" -eq 0 ] || fail "$failures crafted packets went wrong"
echo "ok"
