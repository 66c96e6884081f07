#!/usr/bin/env bash
# test_app_tshark.sh: NETCAP's HTTP and TLS hello records against tshark
# 4.0, as multisets of values per capture (tests/e2e/app_tshark_compare.py):
# HTTP requests (method, Host, URL), HTTP final status codes, and per
# connection the first ClientHello's SNI and JA3 and the first
# ServerHello's JA3S.
#
# tshark is asked as the engine tests ask it (tshark_opts of engine_lib.sh:
# the dissectors of tunnels NETCAP does not decode turned off), but with
# TCP reassembly on, in order and out of order: the application layer is
# read from reassembled streams on both sides.
#
# Every difference fails the test unless EXPLAINED below lists it exactly
# (capture, the difference line app_tshark_compare.py prints, and why);
# an explained difference that no longer happens fails it too.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

# Captures of the nDPI corpus with HTTP (plain, pipelined, POST with 100
# Continue, attack strings) and TLS (TLS 1.2 and 1.3, GREASE, IPv6,
# hellos over several segments, odd cipher lists, SSLv2 hellos).
CAPTURES="quickplay pps 1kxun starcraft_battle weibo anyconnect-vpn WebattackSQLinj WebattackRCE
  waze ocs ookla android webex exe_download_as_png EAQ iphone KakaoTalk_talk teams skype_no_unknown
  zoom signal http_ipv6 tls_cipher_lens tls_certificate_too_long googledns_android10 snapchat
  whatsapp_login_call"

# capture <TAB> difference line (as printed, without its indent) <TAB> why.
EXPLAINED=$(cat <<'EOF'
KakaoTalk_talk	only-netcap sni 1 ""	TLS on port 8080 (10.24.82.188:32968 to 110.76.143.50:8080): tshark decodes 8080 as HTTP, NETCAP detects TLS by content; nDPI reports this flow's JA3C and JA3S, and they are NETCAP's (test_app_ndpi.sh). The ClientHello has no SNI.
KakaoTalk_talk	only-netcap ja3 1 "4b79ae67eb3b2cf1c75e68ea0100ca1b"	the same connection on port 8080 (above)
KakaoTalk_talk	only-netcap ja3s 1 "4ea82b75038dd27e8a1cb69d8b839b26"	the same connection on port 8080 (above)
skype_no_unknown	only-tshark sni 18 ""	18 connections open with an SSLv2-format ClientHello (record header 0x80, version 0x0002): tshark lists them as Client Hello without SNI or JA3; NETCAP reads TLS records (content type 22) only, and nDPI reports no JA3C for them either
skype_no_unknown	only-tshark ja3 18 ""	the same SSLv2-format ClientHellos (above)
WebattackRCE	only-tshark request 1 "GET 127.0.0.1 /cgi-bin/handler/netsonar;cat"	Nikto's probe sends raw spaces in the request-target ("GET /cgi-bin/handler/netsonar;cat /etc/passwd|?data=Download HTTP/1.1"): tshark's http.request.uri stops at the first space, NETCAP takes the version after the last space and keeps the target as sent, as nDPI reports it (test_app_ndpi.sh)
WebattackRCE	only-netcap request 1 "GET 127.0.0.1 /cgi-bin/handler/netsonar;cat /etc/passwd|?data=Download"	the same request (above)
tls_cipher_lens	only-tshark ja3 1 "12f72b3830028e0151f98b64f504bd9c"	frame 5's ClientHello has a cipher_suites list of length 0, below TLS's minimum of 2 (RFC 5246 7.4.1.2): NETCAP does not fingerprint a hello that does not parse (its record is Truncated, Ja3 empty), tshark hashes what it read ("769,,"); nDPI reports no JA3C for it
tls_cipher_lens	only-netcap ja3 1 ""	the same hello (above): its record, without a JA3
EOF
)

need_engine
need_tshark
need_corpus ndpi
tshark_opts
TSHARK_OPTS+=(-o tcp.desegment_tcp_streams:TRUE -o tcp.reassemble_out_of_order:TRUE)

start=$SECONDS
: >"$TMP/found"
problems=0 values=0
for name in $CAPTURES; do
  pcap=$NETCAP_CORPUS/ndpi/$name.pcap
  [ -f "$pcap" ] || fail "ndpi/$name.pcap absent from the corpus"
  out=$TMP/$name
  run_netcap "$out" -r "$pcap" -w 1 -q --include HTTP,TLSClientHello,TLSServerHello
  NETCAP_BUILD=$NETCAP_BUILD "$PY" "$NETCAP_ROOT/tests/e2e/app_tshark_compare.py" "$out" "$pcap" \
    "${TSHARK_OPTS[@]}" >"$out.cmp" || fail "app_tshark_compare.py $name"
  summary=$(grep -E '^[a-z0-9]+ tshark=' "$out.cmp" | awk '{printf "%s%s %s/%s/%s", sep, $1, $2, $3, $4; sep="; "}' |
            sed 's/tshark=//g; s/netcap=//g; s/common=//g')
  echo "ndpi/$name: $summary (tshark/netcap/common)"
  values=$((values + $(grep -E '^[a-z0-9]+ tshark=' "$out.cmp" | sed 's/.*tshark=\([0-9]*\).*/\1/' | paste -sd+ | bc)))
  while IFS= read -r line; do
    line=${line#  }
    why=$(awk -F'\t' -v c="$name" -v l="$line" '$1 == c && $2 == l { print $3 }' <<<"$EXPLAINED")
    if [ -n "$why" ]; then
      echo "  explained: $line ($why)" | cut -c1-220
      printf '%s\t%s\n' "$name" "$line" >>"$TMP/found"
    else
      echo "  DIFFERENCE: $line"
      problems=$((problems + 1))
    fi
  done < <(grep '^  only-' "$out.cmp")
  rm -rf "$out"
done
# Every explained difference must still happen.
while IFS=$'\t' read -r c l _; do
  [ -n "$c" ] || continue
  grep -qxF "$c"$'\t'"$l" "$TMP/found" || { echo "  STALE explanation: $c: $l"; problems=$((problems + 1)); }
done <<<"$EXPLAINED"
echo "total: $values tshark values compared, $problems unexplained differences, runtime $((SECONDS - start)) s"
[ "$values" -gt 1000 ] || fail "only $values values compared: tshark or the captures are not what they should be"
[ "$problems" -eq 0 ] || fail "$problems differences from tshark not explained (above)"
echo "ok"
