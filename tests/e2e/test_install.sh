#!/usr/bin/env bash
# test_install.sh: `make install` into a temporary root (DESTDIR, PREFIX=/usr),
# then: the installed programs replay the sample capture and the installed
# netcap-dump reads the records; every installed man page renders without
# warnings and names every option its program's --help lists; the systemd
# units pass `systemd-analyze verify` and `systemd-analyze security` stays
# under a bound; a changed netcap.conf survives install and uninstall; and
# `make uninstall` leaves no file of ours.
source "$(dirname "$0")/lib.sh"

for tool in make man systemd-analyze; do
  command -v $tool >/dev/null || skip "$tool absent (scripts/install-deps.sh installs it)"
done
ROOT=$TMP/root
MAKE=(make --no-print-directory -s -C "$NETCAP_ROOT" BUILD="$NETCAP_BUILD" DESTDIR="$ROOT" PREFIX=/usr)

echo "== make install DESTDIR=$ROOT PREFIX=/usr"
"${MAKE[@]}" install >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; fail "make install failed"; }
(cd "$ROOT" && find . -type f | sort) | tee "$TMP/files"
expected="./etc/netcap/netcap.conf
./usr/bin/netcap
./usr/bin/netcap-collect
./usr/bin/netcap-dump
./usr/bin/netcap-label
./usr/lib/systemd/system/netcap-collect.service
./usr/lib/systemd/system/netcap@.service
./usr/share/man/man1/netcap-dump.1
./usr/share/man/man1/netcap-label.1
./usr/share/man/man8/netcap-collect.8
./usr/share/man/man8/netcap.8"
[ "$(cat "$TMP/files")" = "$expected" ] || fail "installed files differ from the list above"
cmp -s "$NETCAP_ROOT/config/netcap.conf" "$ROOT/etc/netcap/netcap.conf" || fail "netcap.conf not installed as is"
[ "$(stat -c %a "$ROOT/usr/bin/netcap")" = 755 ] || fail "netcap not mode 755"
# PREFIX's default and the unit directory that goes with it.
"${MAKE[@]}" -n install PREFIX=/usr/local >"$TMP/dry-run" 2>&1 || true
grep -q "$ROOT/usr/local/lib/systemd/system" "$TMP/dry-run" ||
  fail "PREFIX=/usr/local: units not for /usr/local/lib/systemd/system"

echo "== the installed programs on the sample capture"
BIN=$ROOT/usr/bin
"$BIN/netcap" -r "$NETCAP_ROOT/tests/data/sample.pcap" -o "$TMP/out" -q || fail "installed netcap failed"
"$BIN/netcap-dump" --count "$TMP/out"/*.ncap.gz | tee "$TMP/count"
total=$(awk '$2 == "total" { n = $1 } END { print n + 0 }' "$TMP/count")
[ "$total" -gt 0 ] || fail "no records counted by the installed netcap-dump"
"$BIN/netcap-dump" "$TMP/out/TCP.ncap.gz" | head -n 3
[ "$("$BIN/netcap-dump" "$TMP/out/TCP.ncap.gz" | wc -l)" -gt 1 ] || fail "no TCP records"
# The same records as the build tree's programs write.
"$NETCAP_BUILD/netcap" -r "$NETCAP_ROOT/tests/data/sample.pcap" -o "$TMP/ref" -q
"$NETCAP_BUILD/netcap-dump" --count "$TMP/ref"/*.ncap.gz | sed "s|$TMP/ref|DIR|" >"$TMP/count.ref"
sed "s|$TMP/out|DIR|" "$TMP/count" | diff - "$TMP/count.ref" || fail "installed and built netcap differ"
"$BIN/netcap-collect" --gen-keypair "$TMP/k" >/dev/null || fail "installed netcap-collect --gen-keypair failed"
"$BIN/netcap-label" --version >/dev/null || fail "installed netcap-label --version failed"

echo "== man pages"
for page in "$ROOT"/usr/share/man/man*/*; do
  prog=$(basename "${page%.*}")
  warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  [ -z "$warn" ] || fail "$page: man warns: $warn"
  MANWIDTH=80 man -l "$page" >"$TMP/page.txt" 2>/dev/null
  [ "$(grep -c . "$TMP/page.txt")" -gt 20 ] || fail "$page renders almost nothing"
  for section in NAME SYNOPSIS DESCRIPTION OPTIONS 'EXIT STATUS' 'SEE ALSO'; do
    grep -q "^$section" "$TMP/page.txt" || fail "$page: no $section section"
  done
  # Every option of --help in the page's OPTIONS section: wide, so that no
  # line breaks in one.
  MANWIDTH=2000 man -l "$page" 2>/dev/null | sed -n '/^OPTIONS/,/^[A-Z]/p' | tr -s ' \n' '  ' >"$TMP/page.flat"
  "$BIN/$prog" --help >"$TMP/help"
  # The options --help defines: on its indented lines (option lines and
  # their continuations, where netcap's --no-NAME forms are).
  opts=$( { grep -E '^ ' "$TMP/help" | grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]';
            grep -E '^  -' "$TMP/help" | grep -oE -- '(^|[ ,])-[a-zA-Z]\b' | tr -d ' ,'; } | sort -u)
  n=0
  for o in $opts; do
    grep -qE -- "(^|[^a-zA-Z0-9-])$o([^a-zA-Z0-9-]|$)" "$TMP/page.flat" || fail "$page: $o of $prog --help is not in the page"
    n=$((n + 1))
  done
  [ "$n" -ge 10 ] || fail "$prog --help: only $n options found"
  echo "$page: renders without warnings, all $n options of --help in it"
done

echo "== systemd units"
# verify checks that ExecStart's program exists and that the man pages of
# Documentation= open: the DESTDIR copies, pointing at the DESTDIR programs.
mkdir -p "$TMP/units"
for u in "$ROOT"/usr/lib/systemd/system/*.service; do
  sed "s|=/usr/bin/|=$BIN/|" "$u" >"$TMP/units/$(basename "$u")"
done
grep -q "^ExecStart=$BIN/netcap -c /etc/netcap/%i.conf" "$TMP/units/netcap@.service" || fail "netcap@.service: ExecStart"
for unit in netcap@netcap.service netcap-collect.service; do
  out=$(MANPATH=$ROOT/usr/share/man systemd-analyze verify "$TMP/units/$unit" 2>&1) ||
    fail "systemd-analyze verify $unit: $out"
  [ -z "$out" ] || fail "systemd-analyze verify $unit warns: $out"
  echo "$unit: systemd-analyze verify: no complaint"
done
# The exposure score (0 best, 10 worst; systemd calls up to 4.0 "OK").
# netcap needs root with CAP_NET_RAW, CAP_NET_ADMIN and CAP_IPC_LOCK, AF_PACKET
# and the devices: 3.0 here, bound 4.0 (OK). netcap-collect runs with no
# privilege at all: 1.2 here, bound 2.0, so losing a setting shows.
check_exposure() {
  local unit=$1 bound=$2 line level
  line=$(systemd-analyze security --offline=yes "$TMP/units/$unit" 2>&1 | grep 'Overall exposure level') ||
    fail "systemd-analyze security $unit gave no exposure level"
  echo "$line"
  level=$(sed -n 's/.*: \([0-9.]*\) .*/\1/p' <<<"$line")
  awk -v l="$level" -v b="$bound" 'BEGIN { exit !(l != "" && l <= b) }' ||
    fail "$unit: exposure $level above $bound"
}
check_exposure netcap@netcap.service 4.0
check_exposure netcap-collect.service 2.0

echo "== a changed netcap.conf is kept"
echo "; changed" >>"$ROOT/etc/netcap/netcap.conf"
"${MAKE[@]}" install >"$TMP/install2.log" 2>&1 || { cat "$TMP/install2.log"; fail "second make install failed"; }
grep -q 'netcap.conf.new' "$TMP/install2.log" || fail "second install did not say where the new netcap.conf went"
cmp -s "$NETCAP_ROOT/config/netcap.conf" "$ROOT/etc/netcap/netcap.conf.new" || fail "no netcap.conf.new"
tail -n 1 "$ROOT/etc/netcap/netcap.conf" | grep -q changed || fail "changed netcap.conf overwritten"
"${MAKE[@]}" uninstall >/dev/null || fail "make uninstall failed"
left=$(cd "$ROOT" && find . -type f)
[ "$left" = ./etc/netcap/netcap.conf ] || fail "after uninstall with a changed netcap.conf: $left"

echo "== make uninstall leaves nothing"
cp "$NETCAP_ROOT/config/netcap.conf" "$ROOT/etc/netcap/netcap.conf"
"${MAKE[@]}" install >/dev/null 2>&1 || fail "third make install failed"
"${MAKE[@]}" uninstall >/dev/null || fail "make uninstall failed"
left=$(cd "$ROOT" && find . -type f -o -type l)
[ -z "$left" ] || fail "left after make uninstall: $left"
[ ! -e "$ROOT/etc/netcap" ] || fail "$ROOT/etc/netcap left"
echo "uninstall: no file left"
