#!/usr/bin/env bash
# test_fuzz.sh: every libFuzzer target of tests/fuzz/, each for
# FUZZ_SECONDS (default 30) under AddressSanitizer and
# UndefinedBehaviorSanitizer (make fuzz builds them; see docs/testing.md).
# Any crash, sanitizer report, leak or timeout fails; the input that caused
# it is kept in $NETCAP_BUILD/fuzz/crashes/NAME/ and the message says how to
# replay it.
#
# Per target NAME (tests/fuzz/fuzz_NAME.c):
#   tests/fuzz/seed_NAME.sh OUTDIR   writes its seeds (from $NETCAP_CORPUS
#                                    and files made on the spot)
#   tests/fuzz/fuzz_NAME.options     extra libFuzzer flags, one line
#
# FUZZ_SECONDS: seconds per target. FUZZ_TARGETS: names to run (default
# every target). FUZZ_KEEP=DIR: keep each target's grown corpus under DIR
# (the long campaigns of docs/testing.md reuse it).
# Needs clang with libFuzzer (Debian: clang-14 and libclang-rt-14-dev, in
# scripts/install-deps.sh; FUZZ_CC picks another clang).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECONDS_PER_TARGET=${FUZZ_SECONDS:-30}
FUZZ_CC=${FUZZ_CC:-$(command -v clang-14 || command -v clang || echo clang-14)}
FUZZ_DIR=$NETCAP_ROOT/tests/fuzz

command -v "$FUZZ_CC" >/dev/null || skip "$FUZZ_CC absent (apt-get install clang-14 libclang-rt-14-dev)"
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$TMP/probe.c"
"$FUZZ_CC" -fsanitize=fuzzer,address,undefined "$TMP/probe.c" -o "$TMP/probe" 2>"$TMP/probe.err" ||
  skip "$FUZZ_CC cannot link -fsanitize=fuzzer (libFuzzer absent: apt-get install libclang-rt-14-dev)"

targets=${FUZZ_TARGETS:-$(cd "$FUZZ_DIR" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')}
bins=()
for t in $targets; do bins+=("$NETCAP_BUILD/fuzz/fuzz_$t"); done
start=$(date +%s)
if ! make -s -C "$NETCAP_ROOT" -j"$(nproc)" BUILD="$NETCAP_BUILD" FUZZ_CC="$FUZZ_CC" "${bins[@]}" \
    >"$TMP/build.log" 2>&1; then
  tail -n 30 "$TMP/build.log"
  fail "building the fuzz targets failed"
fi
echo "-- $(echo $targets | wc -w) targets built in $(( $(date +%s) - start )) s"

export NETCAP_BUILD NETCAP_ROOT NETCAP_CORPUS
failed=()
for t in $targets; do
  fuzzer=$NETCAP_BUILD/fuzz/fuzz_$t
  seeds=$TMP/$t/seeds corpus=${FUZZ_KEEP:+$FUZZ_KEEP/$t}
  corpus=${corpus:-$TMP/$t/new}
  mkdir -p "$seeds" "$corpus" "$TMP/$t/artifacts"
  if [ -x "$FUZZ_DIR/seed_$t.sh" ]; then
    "$FUZZ_DIR/seed_$t.sh" "$seeds" >"$TMP/$t/seed.log" 2>&1 || { cat "$TMP/$t/seed.log"; fail "seed_$t.sh failed"; }
  fi
  opts=()
  [ -f "$FUZZ_DIR/fuzz_$t.options" ] && read -r -a opts <"$FUZZ_DIR/fuzz_$t.options"
  # -error_exitcode: libFuzzer's default, 77, would read as "skipped".
  rc=0
  (cd "$TMP/$t" && "$fuzzer" "$corpus" "$seeds" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 \
     -rss_limit_mb=2048 -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
     -artifact_prefix="$TMP/$t/artifacts/" "${opts[@]}") >"$TMP/$t/fuzz.log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/$t/fuzz.log")
  if [ "$rc" -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|==[0-9]+== ?ERROR' "$TMP/$t/fuzz.log"; then
    grep -E -B 2 -A 30 'ERROR:|runtime error:|deadly signal' "$TMP/$t/fuzz.log" | head -n 60 || tail -n 30 "$TMP/$t/fuzz.log"
    mkdir -p "$NETCAP_BUILD/fuzz/crashes/$t"
    for a in "$TMP/$t"/artifacts/*; do
      [ -f "$a" ] || continue
      cp "$a" "$NETCAP_BUILD/fuzz/crashes/$t/"
      echo "input kept: $NETCAP_BUILD/fuzz/crashes/$t/$(basename "$a") ($(stat -c %s "$a") bytes)"
      echo "replay: $fuzzer $NETCAP_BUILD/fuzz/crashes/$t/$(basename "$a")"
    done
    echo "FAIL fuzz_$t (exit $rc after ${execs:-?} inputs)"
    failed+=("$t")
  else
    echo "-- fuzz_$t: ${execs:-?} inputs in ${SECONDS_PER_TARGET} s from $(ls "$seeds" | wc -l) seeds, $(ls "$corpus" | wc -l) corpus entries, no finding"
  fi
done
[ ${#failed[@]} -eq 0 ] || fail "fuzz targets with findings: ${failed[*]}"
echo "ok"
