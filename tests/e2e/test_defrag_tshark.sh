#!/usr/bin/env bash
# test_defrag_tshark.sh: IPv4 reassembly end to end, against tshark with
# its reassembly on (its default). tests/crafted/fragments.py writes a
# capture of a DNS query and three fragmented DNS answers (IPv4 in order,
# IPv4 out of order then a stray duplicate fragment, IPv6); netcap (default
# --defrag-memory) must give one UDP and one DNS record per reassembled
# answer, at the time and with the names tshark shows for the reassembled
# datagram (dns.qry.name, frame.time_epoch), one IP record per frame,
# the Defrag events in the summary, and the answer counted in the query's
# Connection by its real 5-tuple (the fragments carry no ports).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

need_engine
need_tshark
pcap=$TMP/fragments.pcap
"$PY" "$NETCAP_ROOT/tests/crafted/fragments.py" "$pcap" || fail "fragments.py failed"

out=$TMP/out
if ! "$NETCAP" -r "$pcap" -o "$out" -w 1 --no-progress >"$out.summary" 2>"$out.stderr"; then
  cat "$out.summary" "$out.stderr" >&2
  fail "netcap failed"
fi

# tshark: one line per DNS message, "seconds name".
tshark -n -r "$pcap" -Y dns -T fields -e frame.time_epoch -e dns.qry.name 2>/dev/null |
  awk '{ split($1, t, "."); print t[1], $2 }' >"$TMP/tshark.dns"
"$DUMP" --json "$out/DNS.ncap.gz" | "$PY" -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(int(r["Timestamp"]) // 1000000000, ",".join(q["Name"] for q in r.get("Questions", [])))
' >"$TMP/netcap.dns"
if ! diff "$TMP/tshark.dns" "$TMP/netcap.dns"; then
  fail "DNS records differ from tshark's reassembled messages (< tshark, > netcap)"
fi
[ "$(wc -l <"$TMP/netcap.dns")" -eq 4 ] || fail "expected 4 DNS messages"

want_udp=$(tshark -n -r "$pcap" -Y udp -T fields -e frame.number 2>/dev/null | wc -l)
got_udp=$("$DUMP" --count "$out/UDP.ncap.gz")
[ "$got_udp" = "$want_udp" ] || fail "$got_udp UDP records, tshark dissects UDP in $want_udp frames"
for ip in IPv4:ip IPv6:ipv6; do
  frames=$(tshark -n -r "$pcap" -Y "${ip#*:}" -T fields -e frame.number 2>/dev/null | wc -l)
  got_ip=$("$DUMP" --count "$out/${ip%:*}.ncap.gz")
  [ "$got_ip" = "$frames" ] || fail "$got_ip ${ip%:*} records for $frames frames: one per fragment expected"
done
# The UDP length of the reassembled answers, as tshark reads it.
want_len=$(tshark -n -r "$pcap" -Y udp -T fields -e udp.length 2>/dev/null | tr '\n' ' ')
got_len=$("$DUMP" --select Length "$out/UDP.ncap.gz" | tail -n +2 | tr '\n' ' ')
[ "$got_len" = "$want_len" ] || fail "UDP lengths: netcap $got_len, tshark $want_len"

grep -q 'Defrag fragment 9, Defrag reassembled 3' "$out.summary" ||
  { grep events "$out.summary" >&2; fail "the summary lacks the Defrag events"; }

# The query and its reassembled answer: one connection of two packets.
conn=$("$DUMP" --select SrcPort,DstPort,NumPackets "$out/Connection.ncap.gz" | grep '^40000,53,' || true)
[ "$conn" = "40000,53,2" ] || fail "Connection of the query: '$conn', want 40000,53,2"

# With --defrag-memory 0 the fragments are decoded one by one, as before.
run_netcap "$TMP/off" -r "$pcap" -w 1 -q
[ "$("$DUMP" --count "$TMP/off/DNS.ncap.gz")" = 1 ] || fail "without reassembly only the query is DNS"
echo "ok"
