#!/usr/bin/env bash
# test_label_alerts.sh: the alert parsers (lib/label/alerts.c) on output
# of the Suricata installed here, made now: the unit tests'
# suricata_fixture_* (tests/unit/test_label_alerts.c) run on fresh
# eve.json and fast.log files, written by Suricata in the zones those tests
# read them in (Europe/Berlin, summer, +0200; America/New_York, winter,
# -0500, IPv6; Europe/Berlin, winter, ICMPv6), with
# tests/rules/labeling.rules. The two files of each run must give the
# same alerts, none malformed. Guards against a Suricata update changing
# either format. Suricata absent: skipped.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v suricata >/dev/null || skip "suricata absent (apt-get install -t bookworm-backports suricata)"
need_corpus ndpi
unit=$NETCAP_BUILD/tests/unit-tests
[ -x "$unit" ] || fail "$unit not built (make check builds it)"

data=$TMP/data
mkdir -p "$data"
run() { # NAME PCAP ZONE
  local out=$TMP/run-$1
  mkdir -p "$out"
  TZ=$3 suricata -r "$NETCAP_CORPUS/ndpi/$2" -k none -S "$NETCAP_ROOT/tests/rules/labeling.rules" \
    --runmode single -l "$out" >"$out/stdout" 2>&1 || { tail -n 20 "$out/stdout"; fail "suricata failed on $2"; }
  [ -s "$out/fast.log" ] || fail "suricata wrote no alert for $2"
  cp "$out/fast.log" "$data/$1.fast.log"
  cp "$out/eve.json" "$data/$1.eve.json"
  echo "-- $2 in $3: $(wc -l <"$out/fast.log") alerts"
}
run 1kxun-berlin 1kxun.pcap Europe/Berlin
run http_ipv6-newyork http_ipv6.pcap America/New_York
run android-berlin android.pcap Europe/Berlin

cd "$NETCAP_ROOT"
NETCAP_LABEL_DATA=$data "$unit" --filter 'label_alerts/suricata_fixture_*' ||
  fail "the parsers disagree on fresh Suricata output"
echo "PASS: eve.json and fast.log of $(suricata -V 2>/dev/null | sed -n "s/.*version //p") give the same alerts"
