#!/usr/bin/env bash
# test_decode_sanitizers.sh: every capture of $NETCAP_CORPUS/tcpdump (about
# 670 files, a quarter crafted to break parsers) through a netcap built with
# AddressSanitizer and UndefinedBehaviorSanitizer, every record type on
# (netcap's default) plus --payload, --errors-pcap and --unknown-pcap. Any
# sanitizer report, a non-zero exit or a replay that did not read every
# packet fails; the failing captures are then replayed one by one so that
# the message names the file that reproduces it.
#
# The sanitizer build goes to $NETCAP_BUILD/asan (SANITIZE_BUILD); make
# rebuilds only what changed, so later runs cost a few seconds.
#
# Speed: one EAL start per file would cost ~0.5 s x 670; instead each run
# replays BATCH files (-r repeated, one RX queue each; netcap takes at most
# 16). A file libpcap cannot open stops netcap before EAL starts, with
# "not a readable pcap or pcapng file": such a file is taken out of its
# batch and checked alone for that clean error (exit 2, no sanitizer
# report). Two files made here check that path whatever the corpus holds.
#
# Leaks: LeakSanitizer stays on. What it cannot follow is suppressed, not
# switched off (tests/lsan.supp): the per-worker state that setup_workers()
# allocates lives until exit and is pointed to only from DPDK memory
# (rte_zmalloc, which LSan does not scan), and glibc's
# pthread_attr_setaffinity_np extension of the control thread's attribute.
# Any other leak fails. Under make test-sanitize the suite's netcap is
# already the sanitizer build and is used as it is.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BATCH=${SANITIZE_BATCH:-16}
SAN_BUILD=${SANITIZE_BUILD:-$NETCAP_BUILD/asan}
SAN_CFLAGS='-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer'
SAN_LDFLAGS='-g -fsanitize=address,undefined'

need_corpus tcpdump
command -v "${CC:-cc}" >/dev/null || skip "no C compiler"
echo 'int main(void){return 0;}' >"$TMP/probe.c"
"${CC:-cc}" -fsanitize=address,undefined "$TMP/probe.c" -o "$TMP/probe" 2>/dev/null ||
  skip "${CC:-cc} cannot link -fsanitize=address,undefined (libasan/libubsan absent)"

start=$(date +%s)
if [ "${NETCAP_SANITIZED:-}" = 1 ] && [ -x "$NETCAP_BUILD/netcap" ]; then
  # make test-sanitize: the suite's own build is already the sanitizer one.
  NETCAP_SAN=$NETCAP_BUILD/netcap
elif ! make -s -C "$NETCAP_ROOT" -j"$(nproc)" BUILD="$SAN_BUILD" CFLAGS="$SAN_CFLAGS" \
    LDFLAGS="$SAN_LDFLAGS" "$SAN_BUILD/netcap" >"$TMP/build.log" 2>&1; then
  tail -n 30 "$TMP/build.log"
  fail "sanitizer build of netcap failed"
else
  NETCAP_SAN=$SAN_BUILD/netcap
fi
echo "-- sanitizer build $NETCAP_SAN ready in $(( $(date +%s) - start )) s"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=86:detect_stack_use_after_return=0
export LSAN_OPTIONS=suppressions=$NETCAP_ROOT/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86
SAN_PATTERN='ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)|runtime error:|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer'

# replay OUT FILE...: runs the sanitizer netcap on the files; RC, and the
# output in OUT.stdout / OUT.stderr.
replay() {
  local out=$1; shift
  local args=() f
  for f in "$@"; do args+=(-r "$f"); done
  rm -rf "$out"
  RC=0
  "$NETCAP_SAN" "${args[@]}" -o "$out" --errors-pcap --unknown-pcap --payload --no-progress \
    >"$out.stdout" 2>"$out.stderr" || RC=$?
}

# clean_unreadable FILE: FILE alone must give exit 2 and a message naming
# it, without a sanitizer report.
clean_unreadable() {
  local out=$TMP/unreadable
  replay "$out" "$1"
  if [ "$RC" -ne 2 ] || ! grep -qF "$1: not a readable pcap or pcapng file" "$out.stderr" ||
     grep -qE "$SAN_PATTERN" "$out.stderr"; then
    sed 's/^/    /' "$out.stderr" | head -n 40
    echo "BAD unreadable file $1: exit $RC, expected 2 and a clear message"
    return 1
  fi
  echo "unreadable (clean error): ${1#"$NETCAP_CORPUS"/}: $(head -n 1 "$out.stderr")"
}

# A file that is no capture at all, and a pcap header cut short.
head -c 4096 /dev/urandom >"$TMP/garbage.pcap"
printf '\xd4\xc3\xb2\xa1\x02\x00' >"$TMP/short.pcap"
problems=0
for f in "$TMP/garbage.pcap" "$TMP/short.pcap"; do
  clean_unreadable "$f" || problems=$((problems + 1))
done

# The corpus, in name order; DPDK's device arguments cannot carry ',' or '='
# in a file name: those are replayed through a symbolic link.
mkdir -p "$TMP/links"
files=()
for f in "$NETCAP_CORPUS"/tcpdump/*.pcap "$NETCAP_CORPUS"/tcpdump/*.pcapng; do
  [ -f "$f" ] || continue
  case $(basename "$f") in
    *[,=]*) l=$TMP/links/$(basename "$f" | tr ',=' '__'); ln -sf "$f" "$l"; files+=("$l");;
    *) files+=("$f");;
  esac
done
[ ${#files[@]} -ge 100 ] || fail "only ${#files[@]} captures in $NETCAP_CORPUS/tcpdump"
echo "-- ${#files[@]} captures, $BATCH per run"

# bad FILE...: a failed batch; each file alone tells which reproduce.
bad() {
  local f found=0
  for f in "$@"; do
    replay "$TMP/single" "$f"
    if [ "$RC" -ne 0 ] || grep -qE "$SAN_PATTERN" "$TMP/single.stderr" ||
       grep -qE '^  incomplete' "$TMP/single.stdout"; then
      found=1
      echo "FAILS: $f (exit $RC); reproduce: ASAN_OPTIONS=$ASAN_OPTIONS $NETCAP_SAN -r $f -o /tmp/out --errors-pcap --unknown-pcap --payload"
      grep -E -A 25 "$SAN_PATTERN" "$TMP/single.stderr" | head -n 40 | sed 's/^/    /'
      [ -s "$TMP/single.stderr" ] && ! grep -qE "$SAN_PATTERN" "$TMP/single.stderr" &&
        sed 's/^/    /' "$TMP/single.stderr" | tail -n 10
      problems=$((problems + 1))
    fi
  done
  if [ "$found" = 0 ]; then
    echo "FAILS: the batch $* (no single file reproduces it)"
    grep -E -A 25 "$SAN_PATTERN" "$TMP/batch.stderr" | head -n 40 | sed 's/^/    /'
    tail -n 10 "$TMP/batch.stderr" | sed 's/^/    /'
    problems=$((problems + 1))
  fi
}

runs=0 replayed=0 packets=0 unreadable=0
i=0
while [ "$i" -lt ${#files[@]} ]; do
  batch=("${files[@]:i:BATCH}")
  i=$((i + BATCH))
  while [ ${#batch[@]} -gt 0 ]; do
    replay "$TMP/batch" "${batch[@]}"
    runs=$((runs + 1))
    # A file libpcap cannot open: netcap stops before EAL; take it out.
    if [ "$RC" -eq 2 ] && ! grep -qE "$SAN_PATTERN" "$TMP/batch.stderr" &&
       victim=$(sed -n 's/^netcap: \(.*\): not a readable pcap or pcapng file.*/\1/p' "$TMP/batch.stderr" | head -n 1) &&
       [ -n "$victim" ]; then
      clean_unreadable "$victim" || problems=$((problems + 1))
      unreadable=$((unreadable + 1))
      rest=()
      for f in "${batch[@]}"; do [ "$f" = "$victim" ] || rest+=("$f"); done
      [ ${#rest[@]} -lt ${#batch[@]} ] || fail "netcap named $victim, which is not in its batch"
      batch=("${rest[@]}")
      continue
    fi
    if [ "$RC" -ne 0 ] || grep -qE "$SAN_PATTERN" "$TMP/batch.stderr" ||
       grep -qE '^  incomplete' "$TMP/batch.stdout"; then
      bad "${batch[@]}"
    else
      replayed=$((replayed + ${#batch[@]}))
      n=$(sed -n 's/^  packets *\([0-9]*\) .*/\1/p' "$TMP/batch.stdout")
      packets=$((packets + ${n:-0}))
    fi
    break
  done
done

secs=$(( $(date +%s) - start ))
echo "-- $replayed captures ($packets packets) replayed clean in $runs runs, $unreadable unreadable by libpcap (clean error), $problems problems, ${secs} s"
[ "$problems" -eq 0 ] || fail "$problems sanitizer findings or failed replays (see above)"
echo "ok"
