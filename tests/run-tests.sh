#!/usr/bin/env bash
# run-tests.sh: runs every test of the project and prints one summary line.
#   build/tests/unit-tests    Criterion unit tests (lib/)
#   tests/e2e/*.sh            end-to-end tests of the real binaries; each
#                             exits 0 (pass), 77 (skip, with its reason on
#                             stdout) or anything else (fail)
# Environment: NETCAP_CORPUS (default ../shared/corpus beside the repo),
# TESTS=glob to run only some end-to-end tests.
set -uo pipefail
cd "$(dirname "$0")/.."
export NETCAP_ROOT=$PWD
export NETCAP_BUILD=${NETCAP_BUILD:-$PWD/build}
export NETCAP_CORPUS=${NETCAP_CORPUS:-$(cd .. && pwd)/shared/corpus}

passed=0 failed=0 skipped=0 failures=()

echo "== unit tests (Criterion)"
unit_log=$(mktemp)
"$NETCAP_BUILD/tests/unit-tests" --jobs 2 2>&1 | tee "$unit_log"
unit_rc=${PIPESTATUS[0]}
synth=$(grep -a 'Synthesis:' "$unit_log" | tail -n 1)
u_pass=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$synth")
u_fail=$(sed -n 's/.*Failing: \([0-9]*\).*/\1/p' <<<"$synth")
u_crash=$(sed -n 's/.*Crashing: \([0-9]*\).*/\1/p' <<<"$synth")
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
  log=$(mktemp)
  start=$(date +%s)
  bash "$t" >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  case $rc in
    0)  passed=$((passed + 1)); echo "PASS $name (${secs}s)";;
    77) skipped=$((skipped + 1)); echo "SKIP $name: $(tail -n 1 "$log")";;
    *)  failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name (exit $rc, ${secs}s)"; sed 's/^/    /' "$log" | tail -n 40;;
  esac
  rm -f "$log"
done

[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "total: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
