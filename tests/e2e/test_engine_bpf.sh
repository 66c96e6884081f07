#!/usr/bin/env bash
# test_engine_bpf.sh: the capture filter (--bpf EXPR). For a set of tcpdump
# expressions on corpus captures, `netcap -r F --bpf EXPR` writes the same
# number of records of every type as `netcap -r G`, where G is what
# `tcpdump -r F -w G EXPR` keeps (the same packets reach the engine, so the
# flow records match too, not only the per-packet types), and its summary
# counts F's packets less G's as filtered. Then the other ways in: the
# dispatcher (-w 2), --files-as-queues, a link type other than Ethernet,
# the config file's `bpf` key and netcap's `-bpf` spelling; and invalid
# expressions, which must fail at start-up with exit status 2 and a message
# naming the expression. The live path (af_packet, NICs) runs the same
# worker code (worker.c, filter_burst) and is not replayed here.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

need_engine
need_corpus ndpi
command -v tcpdump >/dev/null || skip "tcpdump absent (apt-get install tcpdump)"
command -v capinfos >/dev/null || skip "capinfos absent (apt-get install wireshark-common)"

# all_counts DIR: "Type N" for every record file in DIR, sorted.
all_counts() {
  local f n
  for f in "$1"/*.ncap.gz; do
    [ -e "$f" ] || continue
    n=$("$DUMP" --count "$f") || fail "netcap-dump --count $f failed"
    echo "$(basename "$f" .ncap.gz) $n"
  done | sort
}

packets_of() {
  local n
  n=$(capinfos -T -c -M -r "$1" 2>/dev/null | awk -F'\t' 'NR == 1 {print $2}')
  [ -n "$n" ] || fail "capinfos could not count the packets of $1"
  echo "$n"
}

# filtered_of SUMMARY: the summary's filtered count.
filtered_of() {
  awk '$1 == "filtered" {print $2}' "$1"
}

n_checks=0
# check NAME EXPR "FILES..." [NETCAP_ARGS...]: netcap --bpf on FILES against
# netcap on what tcpdump keeps of each file.
check() {
  local name=$1 expr=$2 files=$3; shift 3
  local d=$TMP/$name f i=0 want=0 ra=() rb=()
  mkdir -p "$d"
  for f in $files; do
    tcpdump -r "$f" -w "$d/kept.$i.pcap" "$expr" 2>/dev/null || fail "$name: tcpdump -r $f '$expr' failed"
    ra+=(-r "$d/kept.$i.pcap")
    rb+=(-r "$f")
    want=$((want + $(packets_of "$f") - $(packets_of "$d/kept.$i.pcap")))
    i=$((i + 1))
  done
  run_netcap "$d/tcpdump" "${ra[@]}" "$@"
  run_netcap "$d/bpf" "${rb[@]}" --bpf "$expr" "$@"
  all_counts "$d/tcpdump" >"$d/want"
  all_counts "$d/bpf" >"$d/got"
  if ! diff "$d/want" "$d/got" >"$d/diff"; then
    cat "$d/diff" >&2
    fail "$name: --bpf '$expr' wrote other record counts than a replay of tcpdump's output (< tcpdump, > --bpf)"
  fi
  local got
  got=$(filtered_of "$d/bpf.summary")
  [ "$got" = "$want" ] || fail "$name: summary says ${got:-nothing} filtered, expected $want"
  local kept
  kept=$(awk '$1 == "IPv4" || $1 == "IPv6" || $1 == "Ethernet" {s += $2} END {print s + 0}' "$d/got")
  echo "ok: $name '$expr': $want filtered; $(wc -l <"$d/got") record types equal ($kept Ethernet/IP records)"
  n_checks=$((n_checks + 1))
}

C=$NETCAP_CORPUS
VPN=$C/ndpi/anyconnect-vpn.pcap
KXUN=$C/ndpi/1kxun.pcap
V6=$C/ndpi/http_ipv6.pcap
for f in "$VPN" "$KXUN" "$V6"; do [ -f "$f" ] || skip "$f absent from the corpus"; done
# first_host CAPTURE: the source address of its first IPv4 packet.
first_host() {
  tcpdump -nr "$1" -c 1 ip 2>/dev/null | awk '{split($3, a, "."); print a[1] "." a[2] "." a[3] "." a[4]}'
}

echo "== expressions, one worker"
k=0
for cap in "$VPN" "$KXUN"; do
  host=$(first_host "$cap")
  [ -n "$host" ] || fail "no IPv4 address found in $cap"
  # The last one matches nothing.
  for e in "tcp" "udp port 53" "host $host" "not arp" "ip6" "tcp[tcpflags] & tcp-syn != 0" "icmp or icmp6" \
           "portrange 1-1024" "greater 1000" "udp and not port 53" "tcp[13] = 0x18 and ip[2:2] > 200" \
           "vlan" "ether proto 0x9999"; do
    check "one$k" "$e" "$cap"
    k=$((k + 1))
  done
done
check v6-tcp "ip6 and tcp port 443" "$V6"
check v6-host "host 2a00:1450:4006:804::200e" "$V6"
check v6-psh "ip6 and ip6[6] = 6 and ip6[53] & 0x08 != 0" "$V6"

echo "== frames over one mbuf (chains) and over 64 KiB (bigframe.h)"
if [ -x "$PY" ] && "$PY" "$NETCAP_ROOT/tests/crafted/big_frames.py" "$TMP/big.pcap" "$TMP/big.tsv" >/dev/null 2>&1; then
  check big-len "greater 70000" "$TMP/big.pcap"
  check big-small "less 3000" "$TMP/big.pcap"
  # Loads deep into the frame: in a later segment of a chain, in a frame
  # over 64 KiB (the bytes there are random).
  check big-deep "ether[5000] & 1 = 1 or ether[100000] & 1 = 1" "$TMP/big.pcap"
  check big-deep2 "ether[200000:4] > 0x80000000 or udp" "$TMP/big.pcap" -w 2
else
  echo "note: tests/crafted/big_frames.py unavailable; chains not checked"
fi

echo "== VLAN and other link types"
QINQ=$C/tcpdump/QinQpacket.pcap
if [ -f "$QINQ" ]; then
  check qinq-vlan "vlan" "$QINQ"
  check qinq-vlan100 "vlan 100 and vlan" "$QINQ"
  check qinq-none "not vlan" "$QINQ"
else
  echo "note: $QINQ absent from the corpus"
fi
PPP=$C/tcpdump/mpls-traceroute.pcap
if [ -f "$PPP" ] && [ "$(link_type "$PPP")" != ether ]; then
  check ppp-icmp "icmp" "$PPP"
  # Two files of two link types: one program each.
  check mixed "icmp or udp" "$PPP $VPN" -w 2
else
  echo "note: $PPP absent from the corpus"
fi

echo "== the dispatcher (-w 2) and --files-as-queues"
# One file each: with several files the reader takes a burst of each in
# turn, so a filtered copy interleaves its files otherwise than the
# originals and each worker's flow clock (packet time) jumps between the
# files at other points, which changes where streams and flows end (HTTP
# records, for one): not a difference of the filter. ("mixed" above has
# one file of 18 packets, read in its first burst either way.)
check disp-tcp "tcp" "$KXUN" -w 2
check disp-dns "udp port 53 or arp" "$VPN" -w 2
SPLIT=$NETCAP_ROOT/scripts/split-by-flow.sh
if [ -x "$NETCAP_BUILD/tests/split-by-flow" ] || [ -x "$SPLIT" ]; then
  if "$SPLIT" "$VPN" 2 "$TMP/part" >"$TMP/split.log" 2>&1; then
    check faq-tcp "tcp or icmp" "$TMP/part.0.pcap $TMP/part.1.pcap" --files-as-queues -w 2
  else
    cat "$TMP/split.log"
    echo "note: split-by-flow.sh failed; --files-as-queues not checked"
  fi
fi

echo "== the config file's bpf key and netcap's -bpf spelling"
mkdir -p "$TMP/conf"
printf '[input]\nbpf = udp port 53\n' >"$TMP/conf/netcap.conf"
run_netcap "$TMP/conf/file" -c "$TMP/conf/netcap.conf" -r "$VPN"
run_netcap "$TMP/conf/dash" -r "$VPN" -bpf 'udp port 53'
run_netcap "$TMP/conf/flag" -r "$VPN" --bpf 'udp port 53'
for v in file dash; do
  all_counts "$TMP/conf/$v" >"$TMP/conf/$v.counts"
  all_counts "$TMP/conf/flag" | diff - "$TMP/conf/$v.counts" >/dev/null || fail "$v: other records than --bpf"
  [ "$(filtered_of "$TMP/conf/$v.summary")" = "$(filtered_of "$TMP/conf/flag.summary")" ] || fail "$v: other filtered count"
done
# A flag overrides the file.
run_netcap "$TMP/conf/over" -c "$TMP/conf/netcap.conf" -r "$VPN" --bpf 'tcp'
grep -q "refused by --bpf 'tcp'" "$TMP/conf/over.summary" || fail "--bpf did not override the config file's bpf"
echo "ok: config file, -bpf and --bpf agree"

echo "== invalid expressions"
for e in "tcp port" "nonsense" "host 999.1.1.1" "vlan and (" "port 99999"; do
  rc=0
  "$NETCAP" -r "$VPN" -o "$TMP/bad" --bpf "$e" >"$TMP/bad.out" 2>"$TMP/bad.err" || rc=$?
  [ "$rc" -eq 2 ] || { cat "$TMP/bad.err"; fail "--bpf '$e': exit status $rc, expected 2"; }
  grep -qF -- "--bpf '$e'" "$TMP/bad.err" || { cat "$TMP/bad.err"; fail "--bpf '$e': the error does not name the expression"; }
  grep -q "EAL" "$TMP/bad.err" && { cat "$TMP/bad.err"; fail "--bpf '$e': DPDK started before the error"; }
  [ ! -e "$TMP/bad" ] || [ -z "$(ls -A "$TMP/bad")" ] || fail "--bpf '$e': output written"
  echo "ok: --bpf '$e': $(head -n 1 "$TMP/bad.err")"
done
# A filter valid on Ethernet but not on the file's link type names both.
if [ -f "$PPP" ] && [ "$(link_type "$PPP")" != ether ]; then
  rc=0
  "$NETCAP" -r "$PPP" -o "$TMP/bad" --bpf "ether host 00:11:22:33:44:55" >/dev/null 2>"$TMP/bad.err" || rc=$?
  [ "$rc" -eq 2 ] && grep -q "link type" "$TMP/bad.err" || { cat "$TMP/bad.err"; fail "ether host on PPP: exit $rc"; }
  echo "ok: $(head -n 1 "$TMP/bad.err")"
fi

[ "$n_checks" -ge 24 ] || fail "only $n_checks filters checked against tcpdump"
echo "-- $n_checks filters checked against tcpdump"
