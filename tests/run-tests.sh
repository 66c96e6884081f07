#!/usr/bin/env bash
# run-tests.sh: runs every test of the project and prints one summary line.
#   build/tests/unit-tests    Criterion unit tests (lib/)
#   tests/e2e/*.sh            end-to-end tests of the real binaries; each
#                             exits 0 (pass), 77 (skip, with its reason on
#                             stdout) or anything else (fail)
# Environment: NETCAP_CORPUS (default ../shared/corpus beside the repo),
# NETCAP_BUILD (default build/), TESTS=glob to run only some end-to-end
# tests, EXCLUDE=glob to leave some out.
#   CI set (any value): a skipped test is a failure. The corpus and every
#       tool are installed in CI, so a skip there means something broke.
#   NETCAP_SANITIZED=1 (make test-sanitize): the binaries are ASan+UBSan
#       builds; every sanitizer report of any process a test starts is
#       written to a log directory, and a test with a report fails even
#       when its own checks passed.
set -uo pipefail
cd "$(dirname "$0")/.."
export NETCAP_ROOT=$PWD
export NETCAP_BUILD=${NETCAP_BUILD:-$PWD/build}
export NETCAP_CORPUS=${NETCAP_CORPUS:-$(cd .. && pwd)/shared/corpus}

passed=0 failed=0 skipped=0 failures=()

san_logs=
if [ "${NETCAP_SANITIZED:-}" = 1 ]; then
  san_logs=$(mktemp -d)
  trap 'rm -rf "$san_logs"' EXIT
  export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:exitcode=86:detect_stack_use_after_return=0:log_path=$san_logs/asan
  export LSAN_OPTIONS=suppressions=$NETCAP_ROOT/tests/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86:log_path=$san_logs/ubsan
fi
# sanitizer_reports NAME: true (after printing them) when processes of NAME
# left sanitizer reports; false when none did or this is no sanitizer run.
sanitizer_reports() {
  [ -n "$san_logs" ] || return 1
  local f found=1
  for f in "$san_logs"/*; do
    [ -f "$f" ] || continue
    grep -qE 'ERROR: |runtime error:|SUMMARY: ' "$f" || { rm -f "$f"; continue; }
    found=0
    echo "    sanitizer report in $1 ($(basename "$f")):"
    sed 's/^/      /' "$f" | head -n 40
    rm -f "$f"
  done
  return $found
}

echo "== unit tests (Criterion)"
unit_log=$(mktemp)
"$NETCAP_BUILD/tests/unit-tests" --jobs 2 --verbose 2>&1 | grep -av '^\[RUN \]\|^\[PASS\]' | tee "$unit_log"
unit_rc=${PIPESTATUS[0]}
if sanitizer_reports unit-tests; then failed=$((failed + 1)); failures+=("unit-tests (sanitizer report)"); fi
synth=$(grep -a 'Synthesis:' "$unit_log" | tail -n 1)
u_pass=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$synth")
u_fail=$(sed -n 's/.*Failing: \([0-9]*\).*/\1/p' <<<"$synth")
u_crash=$(sed -n 's/.*Crashing: \([0-9]*\).*/\1/p' <<<"$synth")
unit_skipped=$(grep -ac '^\[SKIP\]' "$unit_log")
passed=$((passed + ${u_pass:-0}))
failed=$((failed + ${u_fail:-0} + ${u_crash:-0}))
if [ "$unit_rc" -ne 0 ] && [ $(( ${u_fail:-0} + ${u_crash:-0} )) -eq 0 ]; then
  failed=$((failed + 1)); failures+=("unit-tests (exit $unit_rc)")
fi
rm -f "$unit_log"

echo "== end-to-end tests"
for t in tests/e2e/test_${TESTS:-*}.sh; do
  [ -f "$t" ] || continue
  name=$(basename "$t" .sh)
  # shellcheck disable=SC2053
  [ -n "${EXCLUDE:-}" ] && [[ $name == test_$EXCLUDE ]] && continue
  log=$(mktemp)
  start=$(date +%s)
  bash "$t" >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  if [ "$rc" != 77 ] && sanitizer_reports "$name"; then
    echo "    (the test itself exited $rc)"
    rc=86
  fi
  case $rc in
    0)  passed=$((passed + 1)); echo "PASS $name (${secs}s)";;
    77) skipped=$((skipped + 1)); echo "SKIP $name: $(tail -n 1 "$log")";;
    *)  failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name (exit $rc, ${secs}s)"; sed 's/^/    /' "$log" | tail -n 40;;
  esac
  rm -f "$log"
done

# Criterion leaves skipped tests out of its synthesis; each is a [SKIP] line.
skipped=$((skipped + unit_skipped))
if [ -n "${CI:-}" ] && [ "$skipped" -gt 0 ]; then
  echo "CI: $skipped skipped tests count as failures (the corpus and every tool are installed in CI)"
  failed=$((failed + skipped))
  failures+=("skipped tests under CI")
fi
[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "total: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
