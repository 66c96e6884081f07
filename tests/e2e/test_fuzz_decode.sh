#!/usr/bin/env bash
# test_fuzz_decode.sh: runs the libFuzzer target tests/fuzz/fuzz_decode.c
# (decode_packet with every record type and entropy on, then both record
# serializers) for FUZZ_SECONDS (default 60) under AddressSanitizer and
# UndefinedBehaviorSanitizer. Any crash, sanitizer report, leak or timeout
# fails; the input that caused it is kept in $NETCAP_BUILD/fuzz/crashes/ and
# the message says how to replay it.
#
# Seeds: the first SEED_PACKETS (200) packets of each capture in SEEDS
# below, chosen for their link types (Ethernet, Linux SLL, BSD NULL, raw
# IPv4/IPv6, 802.11 with and without radiotap) and protocols (VLAN, IP in IP,
# IPv6, ARP, LLDP/CDP, CTP, ICMP, IGMP, DNS over UDP and TCP, DHCP, DHCPv6,
# NTP, SIP, SCTP), written one file per packet with fuzz_decode's link byte.
# Without the corpus the fuzzer still runs, from an empty corpus, and says so.
#
# Needs clang with libFuzzer (Debian: clang-14 and libclang-rt-14-dev, in
# scripts/install-deps.sh; FUZZ_CC picks another clang); skips when they are
# absent. FUZZ_SECONDS, SEED_PACKETS: see above.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECONDS_TO_FUZZ=${FUZZ_SECONDS:-60}
SEED_PACKETS=${SEED_PACKETS:-200}
FUZZ_CC=${FUZZ_CC:-$(command -v clang-14 || command -v clang || echo clang-14)}
SEEDS="ndpi/1kxun.pcap ndpi/http_ipv6.pcap ndpi/sip.pcap ndpi/NTPv4.pcap ndpi/malformed_dns.pcap
  ndpi/quickplay.pcap ndpi/4in6tunnel.pcap ndpi/6in6tunnel.pcap tcpdump/dhcp-rfc3004.pcap
  tcpdump/dhcpv6-ia-na.pcap tcpdump/dns_tcp.pcap tcpdump/LLDP_and_CDP.pcap tcpdump/IGMP_V2.pcap
  tcpdump/icmpv6.pcap tcpdump/forces1.pcap tcpdump/ieee802.11_exthdr.pcap
  tcpdump/ieee802.11_tim_ie_oobr.pcap tcpdump/dns-badcookie.pcap tcpdump/babel_rtt.pcap
  tcpdump/beep-oobr.pcap tcpdump/extract_read2_asan.pcap tcpdump/RADIUS-RFC3162.pcap
  tcpdump/loopback.pcap tcpdump/arp-oobr.pcap tcpdump/QinQpacket.pcap tcpdump/mptcp-v1.pcap"

command -v "$FUZZ_CC" >/dev/null || skip "$FUZZ_CC absent (apt-get install clang-14 libclang-rt-14-dev)"
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$TMP/probe.c"
"$FUZZ_CC" -fsanitize=fuzzer,address,undefined "$TMP/probe.c" -o "$TMP/probe" 2>"$TMP/probe.err" ||
  skip "$FUZZ_CC cannot link -fsanitize=fuzzer (libFuzzer absent: apt-get install libclang-rt-14-dev)"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "$PY absent"

FUZZ_BUILD=$NETCAP_BUILD/fuzz
FUZZER=$FUZZ_BUILD/fuzz_decode
start=$(date +%s)
if ! make -s -C "$NETCAP_ROOT" -j"$(nproc)" BUILD="$NETCAP_BUILD" FUZZ_CC="$FUZZ_CC" "$FUZZER" \
    >"$TMP/build.log" 2>&1; then
  tail -n 30 "$TMP/build.log"
  fail "building $FUZZER failed"
fi
echo "-- $FUZZER ready in $(( $(date +%s) - start )) s"

# Seeds: one file per packet, byte 0 = index of the capture's link type in
# fuzz_decode.c's links[] (keep the two tables in step).
mkdir -p "$TMP/seeds" "$TMP/new" "$TMP/artifacts"
if [ -d "$NETCAP_CORPUS/ndpi" ] && [ -d "$NETCAP_CORPUS/tcpdump" ]; then
  paths=()
  for rel in $SEEDS; do
    if [ -f "$NETCAP_CORPUS/$rel" ]; then paths+=("$NETCAP_CORPUS/$rel"); else echo "note: $rel absent"; fi
  done
  "$PY" - "$TMP/seeds" "$SEED_PACKETS" "${paths[@]}" <<'EOF' || fail "writing the seeds failed"
import os, struct, sys
out, limit, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
# LINKTYPE_ value in the file -> index in fuzz_decode.c's links[]:
# Ethernet, raw (LINKTYPE_RAW 101 = DLT_RAW 12), IPv4, IPv6, SLL, SLL2,
# NULL, LOOP, 802.11, radiotap (DLT_RAW 14 has no LINKTYPE of its own).
INDEX = {1: 0, 101: 1, 12: 1, 228: 2, 229: 3, 113: 4, 276: 5, 0: 6, 108: 7, 105: 8, 127: 9}

def pcap_packets(d):
    magic = d[:4]
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    link = struct.unpack(e + "I", d[20:24])[0] & 0xffff
    off = 24
    while off + 16 <= len(d):
        cap = struct.unpack(e + "I", d[off + 8:off + 12])[0]
        yield link, d[off + 16:off + 16 + cap]
        off += 16 + cap

def pcapng_packets(d):
    off, e, links = 0, "<", []
    while off + 12 <= len(d):
        btype = struct.unpack(e + "I", d[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            e = "<" if d[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        blen = struct.unpack(e + "I", d[off + 4:off + 8])[0]
        if blen < 12:
            return
        body = d[off + 8:off + blen - 4]
        if btype == 1:
            links.append(struct.unpack(e + "H", body[:2])[0])
        elif btype == 6 and len(body) >= 20:
            iface, cap = struct.unpack(e + "I", body[:4])[0], struct.unpack(e + "I", body[12:16])[0]
            if iface < len(links):
                yield links[iface], body[20:20 + cap]
        elif btype == 3 and links:
            yield links[0], body[4:]
        off += blen

n = 0
for path in paths:
    d = open(path, "rb").read()
    packets = pcapng_packets(d) if d[:4] == b"\x0a\x0d\x0d\x0a" else pcap_packets(d)
    for i, (link, frame) in enumerate(packets):
        if i >= limit:
            break
        if link not in INDEX:
            continue
        with open(os.path.join(out, f"{os.path.basename(path)}.{i + 1}"), "wb") as f:
            f.write(bytes([INDEX[link]]) + frame)
        n += 1
print(f"-- {n} seed packets from {len(paths)} captures")
EOF
else
  echo "note: corpus absent ($NETCAP_CORPUS): fuzzing from an empty corpus"
fi

# -error_exitcode: libFuzzer's default, 77, would read as "skipped".
rc=0
(cd "$TMP" && "$FUZZER" "$TMP/new" "$TMP/seeds" -max_total_time="$SECONDS_TO_FUZZ" -max_len=4096 \
   -timeout=10 -rss_limit_mb=2048 -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
   -artifact_prefix="$TMP/artifacts/") >"$TMP/fuzz.log" 2>&1 || rc=$?
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$TMP/fuzz.log" | sed 's/^/   /' || true
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$TMP/fuzz.log" | sed 's/^/   /' || true
if [ "$rc" -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|==[0-9]+== ?ERROR' "$TMP/fuzz.log"; then
  grep -E -B 2 -A 30 'ERROR:|runtime error:|fuzz_decode:' "$TMP/fuzz.log" | head -n 60 || tail -n 30 "$TMP/fuzz.log"
  mkdir -p "$FUZZ_BUILD/crashes"
  for a in "$TMP"/artifacts/*; do
    [ -f "$a" ] || continue
    cp "$a" "$FUZZ_BUILD/crashes/"
    echo "input kept: $FUZZ_BUILD/crashes/$(basename "$a") ($(stat -c %s "$a") bytes; byte 0 = link index)"
    echo "replay: $FUZZER $FUZZ_BUILD/crashes/$(basename "$a")"
    od -A x -t x1z -v "$a" | head -n 12
  done
  fail "fuzz_decode found a problem (exit $rc)"
fi
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/fuzz.log")
echo "-- ${execs:-?} inputs in ${SECONDS_TO_FUZZ} s, $(ls "$TMP/new" | wc -l) new corpus entries, no finding"
echo "ok"
