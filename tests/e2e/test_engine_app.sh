#!/usr/bin/env bash
# test_engine_app.sh: the DNS, DHCPv4, DHCPv6, NTP and SIP records of the
# engine = tshark's layers, in number and field by field
# (tests/e2e/app_compare.py), on captures where the two agree exactly:
# DNS over UDP and TCP, mDNS (TXT, SRV, NSEC, cache-flush classes), LLMNR,
# DNSSEC and EDNS records, DNS tunnelling names that are not UTF-8, DHCP
# through QinQ tags, DHCPv6 with IA options, NTP v3/v4, SIP over UDP.
# The captures where the counts differ, and why, are listed in
# docs/decoding.md ("Application layer").
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

CAPTURES="ndpi/android.pcap ndpi/iphone.pcap ndpi/telegram.pcap ndpi/1kxun.pcap ndpi/sip.pcap
  ndpi/webex.pcap ndpi/dns-tunnel-iodine.pcap ndpi/NTPv3.pcap ndpi/NTPv4.pcap ndpi/dns-invalid-chars.pcap
  tcpdump/dns_tcp.pcap tcpdump/dnssec.pcap tcpdump/edns-opts.pcap tcpdump/dns-uri.pcap
  tcpdump/QinQpacket.pcap tcpdump/dhcp-rfc5859.pcap tcpdump/dhcpv6-ia-na.pcap tcpdump/dhcpv6-mud.pcap
  tcpdump/ntp.pcap tcpdump/ntp-time.pcap"

need_engine
need_tshark
need_corpus ndpi
need_corpus tcpdump
tshark_opts

problems=0 layers=0
for rel in $CAPTURES; do
  pcap=$NETCAP_CORPUS/$rel
  [ -f "$pcap" ] || fail "$rel absent from the corpus"
  out=$TMP/$(echo "$rel" | tr '/' '_')
  run_netcap "$out" -r "$pcap" -w 1 -q --include DNS,DHCPv4,DHCPv6,NTP,SIP
  NETCAP_BUILD=$NETCAP_BUILD "$PY" "$NETCAP_ROOT/tests/e2e/app_compare.py" "$out" "$pcap" \
    "${TSHARK_OPTS[@]}" >"$out.cmp" || fail "app_compare.py $rel"
  while read -r typ ts nc paired fields differ; do
    ts=${ts#tshark=} nc=${nc#netcap=} paired=${paired#paired=} differ=${differ#differ=}
    echo "$rel $typ: $ts layers, $nc records, ${fields#fields=} fields, $differ differ"
    layers=$((layers + ts))
    if [ "$ts" != "$nc" ] || [ "$nc" != "$paired" ] || [ "$differ" != 0 ]; then
      problems=$((problems + 1))
    fi
  done < <(grep -E '^[A-Za-z0-9]+ tshark=' "$out.cmp")
  if grep -q '^  ' "$out.cmp"; then
    sed 's/^/  /' "$out.cmp" | grep '^    ' | head -20
    problems=$((problems + 1))
  fi
done
[ "$layers" -gt 0 ] || fail "nothing compared"
[ "$problems" -eq 0 ] || fail "$problems differences from tshark (see above)"
echo "ok"
