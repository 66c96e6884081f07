# engine_lib.sh: helpers of the engine tests (test_engine_*.sh), sourced
# after lib.sh. Not a test itself.
#
# tshark is the oracle. How it is asked (reassembly off, dissectors of
# tunnels NETCAP does not decode yet turned off) is written down once, in
# docs/decoding.md, section "Differences from tshark accepted by the engine
# tests"; tshark_opts reads its list of disabled dissectors from there, so
# the document and the tests cannot drift apart.

NETCAP=$NETCAP_BUILD/netcap
DUMP=$NETCAP_BUILD/netcap-dump
DECODING_DOC=$NETCAP_ROOT/docs/decoding.md
PY=/usr/bin/python3
# The record types the engine tests compare, and the tshark protocols
# (frame.protocols names) of the same layers.
ENGINE_TYPES="Ethernet Dot1Q IPv4 IPv6 TCP UDP"

need_engine() {
  [ -x "$NETCAP" ] || skip "$NETCAP not built (make)"
  [ -x "$DUMP" ] || skip "$DUMP not built (make)"
}

need_tshark() {
  command -v tshark >/dev/null || skip "tshark absent (apt-get install tshark)"
  [ -x "$PY" ] || skip "$PY absent"
  # No personal preferences or disabled_protos of whoever runs the tests.
  export WIRESHARK_CONFIG_DIR=$TMP/wireshark-config
  mkdir -p "$WIRESHARK_CONFIG_DIR"
}

# The section of docs/decoding.md that lists the accepted differences.
doc_section() {
  [ -f "$DECODING_DOC" ] || fail "$DECODING_DOC missing"
  awk '/^## Differences from tshark accepted by the engine tests/ {on=1; next}
       on && /^## / {exit} on' "$DECODING_DOC"
}

# TSHARK_OPTS: the options every engine test gives tshark. One
# --disable-protocol per name: tshark 4.0 does not split a comma list.
# tshark_opts KEEP...: the same, but the dissectors named stay on (a test
# that compares the records of those protocols and lines up what they
# quote itself, as test_decode_tshark.sh does with icmp and icmpv6).
tshark_opts() {
  TSHARK_OPTS=(-o ip.defragment:FALSE -o ipv6.defragment:FALSE
               -o tcp.desegment_tcp_streams:FALSE -o tcp.relative_sequence_numbers:FALSE)
  local names n k keep
  names=$(doc_section | awk -F'|' '/^### Dissectors turned off/ {on=1; next} on && /^### / {on = 0}
    on && $2 ~ /^ *`[^`]+` *$/ { gsub(/[ `]/, "", $2); print $2 }')
  [ -n "$names" ] || fail "no disabled dissectors found in $DECODING_DOC"
  for n in $names; do
    keep=0
    for k in "$@"; do [ "$k" = "$n" ] && keep=1; done
    [ "$keep" = 1 ] || TSHARK_OPTS+=(--disable-protocol "$n")
  done
}

# run_netcap OUT_DIR NETCAP_ARGS...: a replay that must succeed; its summary
# goes to OUT_DIR.summary.
run_netcap() {
  local out=$1; shift
  # The engine tests compare with tshark with IP reassembly off
  # (tshark_opts), so netcap reassembles nothing either (--defrag-memory 0);
  # test_defrag_tshark.sh compares reassembly itself.
  if ! "$NETCAP" -o "$out" --defrag-memory 0 "$@" >"$out.summary" 2>"$out.stderr"; then
    cat "$out.summary" "$out.stderr" >&2
    fail "netcap -o $out $* failed"
  fi
}

# netcap_counts DIR: "Type N" per engine type (0 when the file is absent).
netcap_counts() {
  local t n
  for t in $ENGINE_TYPES; do
    n=0
    if [ -f "$1/$t.ncap.gz" ]; then
      n=$("$DUMP" --count "$1/$t.ncap.gz") || fail "netcap-dump --count $1/$t.ncap.gz failed"
    fi
    echo "$t $n"
  done
}

# tshark_counts PCAP: "Type N" per engine type: the number of layers of that
# protocol tshark dissects, every occurrence counted (stacked VLANs, IP in
# IP), read from frame.protocols in one pass.
tshark_counts() {
  local protos rc=0 err=$TMP/tshark.$BASHPID.err
  protos=$(tshark -n -r "$1" "${TSHARK_OPTS[@]}" -T fields -e frame.protocols 2>"$err") || rc=$?
  # A file cut short mid-packet: tshark says so and exits 2; libpcap, and
  # so the pcap PMD, stop at the same packet.
  if [ "$rc" -ne 0 ] && ! grep -q 'cut short' "$err"; then
    cat "$err" >&2
    fail "tshark could not read $1"
  fi
  awk -F: '
    { for (i = 1; i <= NF; i++) c[$i]++ }
    END {
      printf "Ethernet %d\nDot1Q %d\nIPv4 %d\nIPv6 %d\nTCP %d\nUDP %d\n",
        c["eth"], c["vlan"] + c["ieee8021ad"], c["ip"], c["ipv6"], c["tcp"], c["udp"]
    }' <<<"$protos"
}

# link_type PCAP: capinfos' short encapsulation name (ether, rawip, ...).
link_type() {
  capinfos -T -E -r "$1" 2>/dev/null | awk -F'\t' '{print $2}'
}

# wait_exit PID SECONDS: waits for background job PID to end; its exit
# status goes to WAIT_RC. Kills it and fails after SECONDS: a run that does
# not end after its signal must not hang the test suite.
wait_exit() {
  local pid=$1 limit=$(($2 * 10)) i=0
  while kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -gt "$limit" ]; then
      kill -9 "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
      fail "process $pid still running $2 s after it was told to stop"
    fi
    sleep 0.1
  done
  WAIT_RC=0
  wait "$pid" || WAIT_RC=$?
}

# wait_started PID OUT: waits, 30 s at most, until live netcap (background
# job PID, its summary and stderr in OUT.summary and OUT.stderr) answers
# /netcap/stats on $RUNDIR's telemetry socket ($QUERY asks), which it
# registers just before its lcores start, after the port is up. The answer
# goes to STATS.
wait_started() {
  local pid=$1 out=$2
  STATS=
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || { cat "$out.summary" "$out.stderr"; fail "netcap ended while starting"; }
    if [ -S "$RUNDIR/dpdk_telemetry.v2" ] &&
       STATS=$("$PY" "$QUERY" "$RUNDIR/dpdk_telemetry.v2" /netcap/stats 2>/dev/null); then
      return 0
    fi
    STATS=
    sleep 0.1
  done
  cat "$out.stderr"
  fail "no /netcap/stats answer on $RUNDIR/dpdk_telemetry.v2 within 30 s"
}

# wait_packets_seen WANT: polls /netcap/stats, 10 s at most, until its
# packets count reaches WANT; the last count goes to SEEN (the caller
# judges it), the last answer to STATS.
wait_packets_seen() {
  SEEN=
  for _ in $(seq 100); do
    STATS=$("$PY" "$QUERY" "$RUNDIR/dpdk_telemetry.v2" /netcap/stats) || fail "/netcap/stats stopped answering"
    SEEN=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["packets"])' "$STATS") ||
      fail "/netcap/stats has no packets count: $STATS"
    [ "$SEEN" -ge "$1" ] && return 0
    sleep 0.1
  done
}

# veth_pair: the network namespace $NS and a veth pair, $CAP_IF here (the
# capture side) and $SEND_IF inside $NS (where tcpreplay sends), both up
# with IPv6 off before they come up (no router solicitation, no MLD, no
# DAD: only the test's packets cross). Skips where namespaces or veth
# pairs are not permitted; NS is emptied then, so that a cleanup does not
# delete a namespace this test did not make.
veth_pair() {
  ip netns add "$NS" 2>"$TMP/err" || { NS=; skip "ip netns add not permitted here: $(cat "$TMP/err")"; }
  ip link add "$CAP_IF" type veth peer name "$SEND_IF" 2>"$TMP/err" ||
    skip "cannot create a veth pair here: $(cat "$TMP/err")"
  ip link set "$SEND_IF" netns "$NS" || fail "cannot move $SEND_IF into $NS"
  sysctl -q -w "net.ipv6.conf.$CAP_IF.disable_ipv6=1" || fail "cannot turn IPv6 off on $CAP_IF"
  ip netns exec "$NS" sysctl -q -w "net.ipv6.conf.$SEND_IF.disable_ipv6=1" ||
    fail "cannot turn IPv6 off on $SEND_IF"
  ip link set "$CAP_IF" up
  ip netns exec "$NS" ip link set "$SEND_IF" up
}
