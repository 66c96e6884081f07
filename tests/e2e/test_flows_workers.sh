#!/usr/bin/env bash
# test_flows_workers.sh: the five flow record families (Connection, Flow,
# LinkFlow, NetworkFlow, TransportFlow), and the records of reassembled TCP
# streams (HTTP, TLSClientHello, TLSServerHello: a stream's idle expiry must
# not depend on what else its worker carries), do not depend on the number
# of workers.
#
# Several ndpi captures merged chronologically (mergecap without -a: time
# only runs forward; IPv4, IPv6, TCP closes and resets, UDP, ICMP, VLAN
# tags, IP in IP, GTP, a SYN scan, TSO frames) are replayed with 1, 2 and 4
# workers (4 lcores on 2 CPUs). Connection and Flow records are built where
# the dispatcher sends both directions of a connection, the others are
# summed from every worker's shares by the aggregator; each family's records
# must be the same multiset (sorted netcap-dump CSV lines, UID included).
# The replay is done a second time with short timeouts and smaller tables
# (--flow-capacity 4096: the SYN scan alone has 2000 port pairs within a
# second), so that expiry by idle time, TCP close and active timeout
# happens all along: identical again, as long as no table is full (the
# summary must report none written early).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NETCAP=$NETCAP_BUILD/netcap
DUMP=$NETCAP_BUILD/netcap-dump
TYPES="Connection Flow LinkFlow NetworkFlow TransportFlow HTTP TLSClientHello TLSServerHello"
INPUTS="1kxun.pcap teams.pcap skype_no_unknown.pcap http_ipv6.pcap 4in4tunnel.pcap 6in6tunnel.pcap
  tls_invalid_reads.pcap ipv6_in_gtp.pcap webex.pcap whatsapp_login_call.pcap quic.pcap
  dns_long_domainname.pcap bittorrent.pcap synscan.pcap mongodb.pcap anydesk-2.pcap"

[ -x "$NETCAP" ] && [ -x "$DUMP" ] || skip "netcap not built (make)"
need_corpus ndpi
command -v mergecap >/dev/null || skip "mergecap absent (apt-get install wireshark-common)"

files=()
for f in $INPUTS; do
  [ -f "$NETCAP_CORPUS/ndpi/$f" ] || fail "ndpi/$f absent from the corpus"
  files+=("$NETCAP_CORPUS/ndpi/$f")
done
mergecap -F pcap -w "$TMP/merged.pcap" "${files[@]}" || fail "mergecap failed"

LAYOUTS=(
  "w1|-w 1"
  "w2|-w 2"
  "w4|-w 4 -- --lcores=0@0,1@1,2@0,3@1"
)
SETTINGS=(
  "defaults|"
  "short|--flow-capacity 4096 --tcp-idle-timeout 20 --udp-idle-timeout 5 --idle-timeout 5 --active-timeout 30 --tcp-close-timeout 1 --aggregate-window 10"
)
status=0
for s in "${SETTINGS[@]}"; do
  sname=${s%%|*}
  for l in "${LAYOUTS[@]}"; do
    name=$sname-${l%%|*}
    # shellcheck disable=SC2086 # the arguments are words
    if ! "$NETCAP" -r "$TMP/merged.pcap" -o "$TMP/$name" --include "${TYPES// /,}" ${s#*|} ${l#*|} \
        >"$TMP/$name.summary" 2>&1; then
      cat "$TMP/$name.summary" >&2
      fail "netcap failed ($name)"
    fi
    grep -q ' 0 written early' "$TMP/$name.summary" ||
      fail "$name: tables were full, records may depend on the layout: $(grep flows "$TMP/$name.summary")"
    for t in $TYPES; do
      [ -f "$TMP/$name/$t.ncap.gz" ] || fail "$name: no $t records"
      "$DUMP" "$TMP/$name/$t.ncap.gz" | tail -n +2 | LC_ALL=C sort >"$TMP/$name.$t.csv"
    done
  done
  grep -q '^  layout      4 workers' "$TMP/$sname-w4.summary" || fail "$sname-w4 did not run 4 workers"
  for t in $TYPES; do
    n=$(wc -l <"$TMP/$sname-w1.$t.csv")
    for l in w2 w4; do
      if cmp -s "$TMP/$sname-w1.$t.csv" "$TMP/$sname-$l.$t.csv"; then
        echo "$sname $t: $n records, w1 and $l identical"
      else
        echo "$sname $t: w1 and $l DIFFER ($n and $(wc -l <"$TMP/$sname-$l.$t.csv") records)"
        diff "$TMP/$sname-w1.$t.csv" "$TMP/$sname-$l.$t.csv" | head -n 6
        status=1
      fi
    done
  done
done
[ $status -eq 0 ] || fail "records differ between worker counts"
