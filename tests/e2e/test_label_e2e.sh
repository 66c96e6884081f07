#!/usr/bin/env bash
# test_label_e2e.sh: netcap-label end to end (issue 14). Real Suricata on
# corpus captures with tests/rules/labeling.rules, real netcap, then
# netcap-label three ways (eve.json, fast.log read in the sensor's zone,
# --pcap/--rules running both tools itself): the three give the same files
# byte for byte, and label_check.py, reading eve.json itself and trying
# every alert against every record by docs/labeling.md's matching rules,
# finds every alert on the Connection/Flow records of its flow and the
# per-packet records of its packet, every other record `normal`, the
# unmatched list and the summary's figures right, IPv6 alerts on IPv6
# records (http_ipv6.pcap: TCP and TLS; android.pcap: ICMPv6). Then the
# options on 1kxun.pcap: --description, --exclude-class, --strict (a SYN
# alert and an HTTP alert in one connection), --skip-clean, --include,
# --select, and an existing output without --force.
#
# The captures, together: HTTP GET, DNS queries, TLS SNI, TCP SYN
# (1kxun.pcap, android.pcap), IPv6 TCP and TLS (http_ipv6.pcap), ICMPv6
# (android.pcap, through the `icmp` rule), ICMP echo (googledns_android10.pcap).
# Suricata writes fast.log in local time: it runs in Europe/Berlin, which
# netcap-label is told with --tz.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v suricata >/dev/null || skip "suricata absent (apt-get install -t bookworm-backports suricata)"
need_corpus ndpi
NETCAP=$NETCAP_BUILD/netcap
LABEL=$NETCAP_BUILD/netcap-label
PY=/usr/bin/python3
CHECK=$NETCAP_ROOT/tests/e2e/label_check.py
RULES=$NETCAP_ROOT/tests/rules/labeling.rules
ZONE=Europe/Berlin
[ -x "$NETCAP" ] || skip "$NETCAP not built (make)"
[ -x "$LABEL" ] || skip "$LABEL not built (make)"
[ -x "$PY" ] || skip "$PY absent"
[ -f "$RULES" ] || fail "$RULES missing"

# label NAME OUTDIR ARGS...: a netcap-label run that must succeed; its
# stderr (the summary) goes to OUTDIR.stderr.
label() {
  local name=$1 out=$2; shift 2
  if ! "$LABEL" -o "$out" --jobs 2 "$@" >"$out.stdout" 2>"$out.stderr"; then
    cat "$out.stdout" "$out.stderr" >&2
    fail "$name: netcap-label -o $out $* failed"
  fi
}

# same_outputs A B WHAT [COLUMNS [SKIP]]: the same _labeled.csv files (but
# those whose name matches the regex SKIP), byte for byte, and the same
# unmatched list but for its Source column (the alert file's name), or but
# for COLUMNS (cut -f: 1,4- also leaves out Line, the line in an alert file
# of the other format).
same_outputs() {
  local a=$1 b=$2 what=$3 cols=${4:-1,3-} skip=${5:-'^$'} f
  diff <(cd "$a" && ls) <(cd "$b" && ls) >&2 || fail "$what: not the same files"
  for f in "$a"/*_labeled.csv; do
    [[ $(basename "$f") =~ $skip ]] && continue
    cmp "$f" "$b/$(basename "$f")" ||
      { diff "$f" "$b/$(basename "$f")" | head -n 8 >&2 || true; fail "$what: $(basename "$f") differs"; }
  done
  diff <(cut -d, -f"$cols" "$a/unmatched_alerts.csv") <(cut -d, -f"$cols" "$b/unmatched_alerts.csv") >&2 ||
    fail "$what: unmatched_alerts.csv differs"
}

# summary_figures FILE: the summary's alert and per-type lines, without
# the output directory's name.
summary_figures() {
  grep -E '^netcap-label: (alerts: |  [A-Za-z0-9]+ +[0-9]+ of )' "$1" | sed 's/ (listed in .*//'
}

# step WHAT CMD...: runs CMD in a subshell; a failure there is recorded
# and the test goes on (one run reports every failing part), failing at
# the end.
FAILED=()
step() {
  local what=$1 rc; shift
  set +e
  (set -e; "$@")
  rc=$?
  set -e
  [ "$rc" = 0 ] || { echo "FAIL (going on): $what" >&2; FAILED+=("$what"); }
}

# prepare NAME: Suricata and netcap on ndpi/NAME.pcap, then netcap-label
# three ways, into $TMP/NAME.
prepare() {
  local name=$1
  local pcap=$NETCAP_CORPUS/ndpi/$name.pcap d=$TMP/$name
  [ -f "$pcap" ] || fail "$pcap missing"
  mkdir -p "$d/suricata"
  TZ=$ZONE suricata -r "$pcap" -k none -S "$RULES" --runmode single -l "$d/suricata" \
    >"$d/suricata.log" 2>&1 || { tail -n 20 "$d/suricata.log" >&2; fail "suricata failed on $name"; }
  [ -s "$d/suricata/fast.log" ] || fail "suricata wrote no alert for $name"
  if ! "$NETCAP" -r "$pcap" -o "$d/records" >"$d/netcap.log" 2>&1; then
    cat "$d/netcap.log" >&2
    fail "netcap -r $pcap failed"
  fi
  label "$name" "$d/eve" --collect -r "$d/records" --eve "$d/suricata/eve.json"
  label "$name" "$d/fast" --collect -r "$d/records" --fast "$d/suricata/fast.log" --tz "$ZONE"
  # --pcap reads Suricata's eve.json: the zone it runs in changes nothing.
  TZ=America/New_York label "$name" "$d/pcap" --collect --pcap "$pcap" --rules "$RULES" \
    --work-dir "$d/work"
  echo "-- $name: $(grep -c '"event_type":"alert"' "$d/suricata/eve.json") alerts," \
    "sids $(grep -o '"signature_id":[0-9]*' "$d/suricata/eve.json" | cut -d: -f2 | sort -u | tr '\n' ' ')"
}

# check_labels NAME [CHECK_ARGS...]: the --eve run against eve.json.
check_labels() {
  local name=$1 d=$TMP/$1; shift
  "$PY" "$CHECK" check --eve "$d/suricata/eve.json" --dir "$d/eve" --collect \
    --summary "$d/eve.stderr" --lands "$@" || fail "$name: the labels are not the alerts'"
}

# same_fast NAME, same_pcap NAME: --fast and --pcap give --eve's files.
# Alerts Suricata raises when it flushes a flow come after the flow's last
# packet; only eve.json's flow.start ties them to its Connection and Flow
# records (docs/labeling.md). Where a capture has such alerts, those two
# files and the figures they change differ, and the --fast run is checked
# on its own by the same rules without flow starts.
same_fast() {
  local name=$1 d=$TMP/$1 skip='^$' figures='^$'
  if grep -q '"pkt_src":"stream (flow timeout)"' "$d/suricata/eve.json"; then
    skip='^(Connection|Flow)_labeled.csv$'
    figures='^netcap-label: (alerts: |  (Connection|Flow) )'
    "$PY" "$CHECK" check --eve "$d/suricata/eve.json" --dir "$d/fast" --collect --fast \
      --summary "$d/fast.stderr" || fail "$name: the labels of --fast are not the alerts'"
  fi
  same_outputs "$d/eve" "$d/fast" "$name: --fast --tz $ZONE against --eve" 1,4- "$skip"
  diff <(summary_figures "$d/eve.stderr" | grep -Ev "$figures") \
    <(summary_figures "$d/fast.stderr" | grep -Ev "$figures") >&2 ||
    fail "$name: the summaries of --eve and --fast differ"
}
same_pcap() {
  local name=$1 d=$TMP/$1
  same_outputs "$d/eve" "$d/pcap" "$name: --pcap --rules against --eve"
  diff <(summary_figures "$d/eve.stderr") <(summary_figures "$d/pcap.stderr") >&2 ||
    fail "$name: the summaries of --eve and --pcap differ"
}

capture() {
  local name=$1; shift
  prepare "$name"
  step "$name: labels" check_labels "$name" "$@"
  step "$name: --fast" same_fast "$name"
  step "$name: --pcap" same_pcap "$name"
}

capture 1kxun
capture http_ipv6 --ipv6
capture android --ipv6
capture googledns_android10

# The kinds of alert the captures were chosen for, all present.
for sid in 1000001 1000002 1000003 1000004 1000005 1000007; do
  grep -qs "\"signature_id\":$sid," "$TMP"/*/suricata/eve.json || fail "no alert of sid $sid"
done
grep -q '"proto":"IPv6-ICMP"' "$TMP"/android/suricata/eve.json || fail "no ICMPv6 alert in android.pcap"
grep -q '"proto":"ICMP"' "$TMP"/googledns_android10/suricata/eve.json || fail "no ICMP alert"

# ---- options, on 1kxun.pcap ----------------------------------------------------
d=$TMP/1kxun
eve=$d/suricata/eve.json
check() { "$PY" "$CHECK" check --eve "$eve" "$@" || fail "label_check.py check $*"; }

# Without --collect: the most severe alert's label.
opt_plain() {
  label options "$d/plain" -r "$d/records" --eve "$eve"
  check --dir "$d/plain" --summary "$d/plain.stderr"
}

# --description: signatures.
opt_description() {
  label options "$d/desc" --collect --description -r "$d/records" --eve "$eve"
  check --dir "$d/desc" --collect --description --summary "$d/desc.stderr"
  grep -q ',HTTP GET$' "$d/desc/TCP_labeled.csv" || fail "--description: no HTTP GET label in TCP"
  ! grep -q 'Potential Corporate Privacy Violation' "$d"/desc/*_labeled.csv ||
    fail "--description: a classification is left"
}

# --exclude-class: that class's alerts neither label nor conflict.
opt_exclude() {
  local nst="Not Suspicious Traffic"
  grep -q ",$nst\$" "$d/eve/TCP_labeled.csv" || fail "1kxun.pcap has no \"$nst\" label to exclude"
  label options "$d/excl" --collect --exclude-class "$nst" -r "$d/records" --eve "$eve"
  check --dir "$d/excl" --collect --exclude "$nst" --summary "$d/excl.stderr"
  ! grep -q "$nst" "$d"/excl/*_labeled.csv || fail "--exclude-class \"$nst\": still a label"
}

# --strict: a connection with a SYN alert and an HTTP alert matches two
# classes; those files fail (exit 1) with the record named, the others are
# written as without --strict (opt_plain's files).
opt_strict() {
  local rc=0
  "$LABEL" -o "$d/strict" --jobs 2 --strict -r "$d/records" --eve "$eve" >/dev/null \
    2>"$d/strict.stderr" || rc=$?
  [ "$rc" = 1 ] || { cat "$d/strict.stderr" >&2; fail "--strict with conflicts: exit $rc, expected 1"; }
  grep -q 'Connection.ncap.gz: .*record [0-9]* .*--strict' "$d/strict.stderr" ||
    fail "--strict: no Connection record named"
  "$PY" "$CHECK" strict --eve "$eve" --dir "$d/strict" --stderr "$d/strict.stderr" \
    --plain "$d/plain" || fail "--strict: not the expected refusals"
}

# --skip-clean: only the types with a labeled record, the same files.
opt_skip_clean() {
  local want f
  label options "$d/clean" --collect --skip-clean -r "$d/records" --eve "$eve"
  want=$(for f in "$d"/eve/*_labeled.csv; do
    awk -F, 'NR > 1 && $NF != "normal" {n++} END {exit n ? 0 : 1}' "$f" && basename "$f"
  done; echo unmatched_alerts.csv)
  diff <(echo "$want" | sort) <(cd "$d/clean" && ls | sort) >&2 || fail "--skip-clean: not the labeled types"
  [ "$(ls "$d/clean" | wc -l)" -lt "$(ls "$d/eve" | wc -l)" ] || fail "--skip-clean left nothing out"
  for f in "$d"/clean/*_labeled.csv; do
    cmp "$f" "$d/eve/$(basename "$f")" || fail "--skip-clean: $f differs"
  done
}

# --include: those types only; the alerts only the others match are listed
# as unmatched.
opt_include() {
  label options "$d/incl" --collect --include TCP -r "$d/records" --eve "$eve"
  [ "$(cd "$d/incl" && ls | tr '\n' ' ')" = "TCP_labeled.csv unmatched_alerts.csv " ] ||
    fail "--include TCP wrote $(ls "$d/incl")"
  cmp "$d/incl/TCP_labeled.csv" "$d/eve/TCP_labeled.csv" || fail "--include TCP: TCP differs"
  [ "$(wc -l <"$d/incl/unmatched_alerts.csv")" -gt 1 ] || fail "--include TCP: no unmatched alert"
  check --dir "$d/incl" --collect --summary "$d/incl.stderr"
  # The same list from fast.log, but for the columns naming the file.
  label options "$d/incl-fast" --collect --include TCP -r "$d/records" \
    --fast "$d/suricata/fast.log" --tz "$ZONE"
  same_outputs "$d/incl" "$d/incl-fast" "--include TCP: --fast against --eve" 1,4-
}

# --select: those columns, then Label.
opt_select() {
  local fields=Timestamp,SrcIP,DstIP,SrcPort,DstPort
  label options "$d/sel" --collect --include TCP,UDP --select "$fields" -r "$d/records" --eve "$eve"
  "$PY" "$CHECK" select --full "$d/eve" --sel "$d/sel" --fields "$fields" --types TCP,UDP ||
    fail "--select"
}

# An existing output without --force: exit 2, nothing written; with --force
# the same files again.
snap() { (cd "$1" && ls -la --time-style=+%s.%N && md5sum -- *); }
opt_force() {
  local before rc=0
  before=$(snap "$d/eve")
  "$LABEL" -o "$d/eve" --collect -r "$d/records" --eve "$eve" >/dev/null 2>"$TMP/refused.stderr" || rc=$?
  [ "$rc" = 2 ] || fail "existing output without --force: exit $rc, expected 2"
  [ "$(snap "$d/eve")" = "$before" ] || fail "existing output without --force: files changed"
  mkdir "$d/one"
  echo x >"$d/one/TCP_labeled.csv"
  rc=0
  "$LABEL" -o "$d/one" --collect -r "$d/records" --eve "$eve" >/dev/null 2>"$TMP/refused.stderr" || rc=$?
  [ "$rc" = 2 ] || fail "an existing TCP_labeled.csv without --force: exit $rc, expected 2"
  [ "$(cd "$d/one" && ls -A)" = TCP_labeled.csv ] && [ "$(cat "$d/one/TCP_labeled.csv")" = x ] ||
    fail "an existing TCP_labeled.csv without --force: something was written ($(ls -A "$d/one"))"
  rc=0
  "$LABEL" -o "$d/pcap" --collect --pcap "$NETCAP_CORPUS/ndpi/1kxun.pcap" --rules "$RULES" \
    >/dev/null 2>"$TMP/refused.stderr" || rc=$?
  [ "$rc" = 2 ] || fail "--pcap into an existing output without --force: exit $rc, expected 2"
  label options "$d/one" --force --collect -r "$d/records" --eve "$eve"
  same_outputs "$d/eve" "$d/one" "--force"
}

step "--collect off" opt_plain
step "--description" opt_description
step "--exclude-class" opt_exclude
step "--strict" opt_strict
step "--skip-clean" opt_skip_clean
step "--include" opt_include
step "--select" opt_select
step "--force" opt_force

[ ${#FAILED[@]} = 0 ] || fail "$(printf '%s; ' "${FAILED[@]}")"
echo "PASS: netcap-label's labels are Suricata's alerts on 4 captures, eve.json, fast.log and --pcap alike"
