#!/usr/bin/env bash
# test_app_suricata.sh: NETCAP's JA4 (and JA3, JA3S, SNI) against Suricata
# 7's, per TLS flow (tests/e2e/app_suricata_compare.py), on TLS captures of
# the nDPI corpus and on tests/crafted/streams.py's capture (a ClientHello
# with GREASE over two TLS records and three segments, hellos without
# extensions: its JA4 values, computed by streams.py, are checked here
# against Suricata's too).
#
# Suricata (7.0.x, bookworm-backports; built with JA4: `suricata
# --build-info` says "JA4 support: yes") runs offline with no rules, no
# checksum checks, and a configuration of its own written here: eve.json
# with tls events that carry ja3, ja3s and ja4 (eve-log types.tls: ja4 on,
# custom fields), app-layer.protocols.tls.ja3-fingerprints and
# ja4-fingerprints on.
#
# One difference is explained, not a contradiction: a ClientHello without
# signature algorithms, whose JA4_c Suricata 7 hashes with a trailing "_"
# where FoxIO's definition has none (app_suricata_compare.py).
#
# Fails on any contradiction (a flow where Suricata and NETCAP give
# different values), on too few JA4 values compared, and when streams.py's
# expected JA4 is not Suricata's. A value Suricata has and NETCAP not is
# printed (the nDPI and tshark tests judge coverage); Suricata absent:
# skipped, the only reason to skip.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

CAPTURES="webex teams android iphone waze signal zoom googledns_android10 tls_certificate_too_long
  anyconnect-vpn http_ipv6 KakaoTalk_talk snapchat whatsapp_login_call skype_no_unknown tls_cipher_lens"
MIN_JA4=150

command -v suricata >/dev/null || skip "suricata absent (apt-get install -t bookworm-backports suricata)"
# (Read whole first: grep -q leaving early would break the pipe under pipefail.)
build_info=$(suricata --build-info 2>&1) || fail "suricata --build-info failed"
grep -qE 'JA4 support: +yes' <<<"$build_info" || fail "this suricata has no JA4 support (suricata --build-info)"
need_engine
need_corpus ndpi
[ -x "$PY" ] || skip "$PY absent"

cat >"$TMP/suricata.yaml" <<'EOF'
%YAML 1.1
---
outputs:
  - eve-log:
      enabled: yes
      filetype: regular
      filename: eve.json
      types:
        - tls:
            extended: yes
            ja4: on
            custom: [sni, version, ja3, ja3s, ja4]
app-layer:
  protocols:
    tls:
      enabled: yes
      detection-ports:
        dp: 443
      ja3-fingerprints: yes
      ja4-fingerprints: yes
EOF

PYTHONDONTWRITEBYTECODE=1 "$PY" "$NETCAP_ROOT/tests/crafted/streams.py" "$TMP/crafted" || fail "streams.py failed"

start=$SECONDS
: >"$TMP/all.cmp"
run_one() {     # NAME PCAP
  local name=$1 pcap=$2 out
  out=$TMP/$(basename "$2")
  mkdir -p "$out.eve"
  if ! suricata -c "$TMP/suricata.yaml" -r "$pcap" -k none -S /dev/null --runmode single \
       -l "$out.eve" >"$out.eve/stdout" 2>&1; then
    tail -20 "$out.eve/stdout" >&2
    fail "suricata failed on $name"
  fi
  [ -f "$out.eve/eve.json" ] || fail "suricata wrote no eve.json for $name"
  run_netcap "$out" -r "$pcap" -w 1 -q --include TLSClientHello,TLSServerHello
  NETCAP_BUILD=$NETCAP_BUILD "$PY" "$NETCAP_ROOT/tests/e2e/app_suricata_compare.py" \
    "$name" "$out" "$out.eve/eve.json" >"$out.cmp" || fail "app_suricata_compare.py $name"
  grep '^TOTAL ' "$out.cmp" | sed 's/^TOTAL //'
  grep "^  " "$out.cmp" | grep -v '^  explained' | head -10 || true
  cat "$out.cmp" >>"$TMP/all.cmp"
}
for name in $CAPTURES; do
  pcap=$NETCAP_CORPUS/ndpi/$name.pcap
  [ -f "$pcap" ] || fail "ndpi/$name.pcap absent from the corpus"
  run_one "ndpi/$name" "$pcap"
done
run_one crafted/streams.pcap "$TMP/crafted/streams.pcap"

# streams.py's JA4 = Suricata's, for every ClientHello Suricata logs
# (it logs no tls event for the hellos without extensions), the one with
# GREASE, ALPN and signature algorithms among them.
"$PY" - "$TMP/crafted/streams.expect.json" "$TMP/streams.pcap.eve/eve.json" <<'EOF' || fail "streams.py's JA4 is not Suricata's"
import json, sys
want = {r["client_port"]: r["fields"]["Ja4"] for r in json.load(open(sys.argv[1]))["records"]
        if r["type"] == "TLSClientHello" and "Ja4" in r["fields"]}
got = {}
for l in open(sys.argv[2]):
    e = json.loads(l)
    if e.get("event_type") == "tls" and "ja4" in e.get("tls", {}):
        got[e["src_port"]] = e["tls"]["ja4"]
bad = {p: (v, want.get(p)) for p, v in got.items() if want.get(p) != v}
print(f"-- streams.py's JA4 values {sorted(want.values())}; Suricata's {sorted(got.values())}")
sys.exit(1 if bad or not any(v.startswith("t13d") and v in got.values() for v in want.values()) else 0)
EOF

"$PY" - "$TMP/all.cmp" "$MIN_JA4" <<'EOF' || fail "NETCAP contradicts Suricata (above)"
import sys
tot = {}
for line in open(sys.argv[1]):
    if line.startswith("TOTAL "):
        for kv in line.split()[2:]:
            f, v = kv.split("=")
            tot[f] = [a + int(b) for a, b in zip(tot.get(f, [0] * 5), v.split("/"))]
for f, (rep, found, miss, contra, expl) in tot.items():
    note = " (no signature algorithms: Suricata 7 hashes a trailing '_')" if f == "ja4" else ""
    print(f"total {f}: Suricata {rep}, found {found}, missing {miss}, contradicting {contra}, "
          f"explained {expl}{note}")
bad = sum(v[3] for v in tot.values())
if tot.get("ja4", [0])[0] < int(sys.argv[2]):
    print(f"only {tot.get('ja4', [0])[0]} JA4 values from Suricata (at least {sys.argv[2]} expected)")
    bad += 1
sys.exit(1 if bad else 0)
EOF
echo "runtime: $((SECONDS - start)) s"
echo "ok"
