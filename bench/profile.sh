#!/usr/bin/env bash
# profile.sh: where netcap's packet loop spends its time, on the benchmark
# input (scripts/make-bench-input.sh), with one lcore doing everything
# (-w 1 --compressors 0 -- -l 0) so that every cost lands on one thread.
#
#   bench/profile.sh [perf|callgrind|both]     (default: both that work)
#
#   perf       perf record -e cpu-clock (a timer: this VM has no hardware
#              counters) with DWARF call graphs over the whole input; only
#              samples under lcore_main count (start-up, the libpcap
#              pre-count and EAL set-up are left out).
#   callgrind  valgrind --tool=callgrind --toggle-collect=lcore_main on the
#              first PROFILE_PACKETS packets: instructions, not time, but
#              exact and inclusive.
#
# Prints the top functions by self share and by inclusive share of the
# packet loop. Environment: BENCH_MB (input; default 100), PROFILE_PACKETS
# (callgrind slice; default 20000), PROFILE_ARGS (netcap options; default
# "-w 1 --compressors 0 -- -l 0"; options go before the --; PROFILE_ARGS= (empty)
# profiles the default layout), PROFILE_TOP
# (rows; default 25). Files go to bench-data/profile/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MODE=${1:-both}
MB=${BENCH_MB:-100}
PACKETS=${PROFILE_PACKETS:-20000}
TOP=${PROFILE_TOP:-25}
read -r -a ARGS <<<"${PROFILE_ARGS--w 1 --compressors 0 -- -l 0}"
NETCAP=$ROOT/build/netcap
DIR=$ROOT/bench-data/profile
[ -x "$NETCAP" ] || { echo "profile: build/netcap missing: make" >&2; exit 2; }
mkdir -p "$DIR"
input=$(BENCH_MB=$MB scripts/make-bench-input.sh)

# netcap options before the --, EAL arguments after it.
split_args() {
  NC_OPTS=() EAL_OPTS=()
  local seen=0 a
  for a in "${ARGS[@]}"; do
    if [ $seen = 0 ] && [ "$a" = -- ]; then seen=1; continue; fi
    if [ $seen = 0 ]; then NC_OPTS+=("$a"); else EAL_OPTS+=("$a"); fi
  done
}
split_args

run_perf() {
  if ! perf record -e cpu-clock -o /dev/null -- true >/dev/null 2>&1; then
    echo "profile: perf record does not work here; skipping perf" >&2
    return 0
  fi
  cat "$input" >/dev/null
  rm -rf "$DIR/out-perf"
  echo "== perf (cpu-clock, DWARF call graphs): netcap ${ARGS[*]} on $input"
  perf record -q -e cpu-clock -F 2999 --call-graph dwarf,16384 -o "$DIR/perf.data" -- \
    "$NETCAP" -r "$input" -o "$DIR/out-perf" --no-progress "${NC_OPTS[@]}" -- "${EAL_OPTS[@]}" \
    | sed -n 's/^  \(packets\|decoding\|layout\)/  \1/p'
  perf script -i "$DIR/perf.data" -F comm,tid,ip,sym,dso 2>/dev/null | python3 -c '
import sys, collections
top = int(sys.argv[1])
samples, in_loop = 0, 0
self_c, incl_c, threads = collections.Counter(), collections.Counter(), collections.Counter()
thread = None
import re
# Stage of a sample: the first of these met walking from the leaf frame up.
STAGES = [(st, re.compile(rx)) for st, rx in [
    ("gzip (libdeflate)", r"libdeflate|^compress_chunk|^ncap_writer_write"),
    ("entropy", r"^histogram_|^entropy_|^shannon_entropy|^xlogx"),
    ("flow table, Flow/Connection records", r"^flows?_|^conn_|^aggregat|^index_|^wheel_|^node_at|^endpoint_key|^run_slot"),
    ("serialising records", r"^ncap_fastpack|^protobuf_c_|^pb_|^ncap_varint|^emit_one|^emit_records|^ncap_chunk_append|libprotobuf-c"),
    ("RX (mapped file, or pcap PMD, libpcap, read)", r"^pcapmap_|^record_at$|^field32$|^slide_window$|^point_|^cut_before$|^rte_eth_rx_burst|librte_net_pcap|^pcap_next_ex|libpcap"),
    ("decoding (headers, records, strings)", r"^decode_|^format_|^record_new|^fill_|^parse_|^cur_|^kl_|^types__"),
    ("loop, rings, mbufs", r"^process_burst|^rx_step|^worker_step|^dispatch|^chunk_|^rte_|^idle_backoff|^maybe_finish|^compressor_step"),
]]
stage_c = collections.Counter()
thread_stage = collections.defaultdict(collections.Counter)
thread_self = collections.defaultdict(collections.Counter)
thread_incl = collections.defaultdict(collections.Counter)
def name(line):
    parts = line.strip().split(None, 1)
    if len(parts) < 2:
        return "?"
    rest = parts[1]
    sym, _, dso = rest.rpartition(" (")
    dso = dso.rstrip(")").rsplit("/", 1)[-1]
    if not sym or sym.startswith("[unknown]"):
        return "[" + dso + "]" if dso != "inlined" else "?"
    if dso == "inlined":
        return sym
    if dso.startswith("[kernel"):
        return "[kernel] " + sym
    return sym
def flush(stack):
    global samples, in_loop
    if not stack:
        return
    samples += 1
    names = [name(l) for l in stack]
    if "lcore_main" not in names:
        return
    in_loop += 1
    threads[thread] += 1
    self_c[names[0]] += 1
    thread_self[thread][names[0]] += 1
    for n in set(names[:names.index("lcore_main")]):
        incl_c[n] += 1
        thread_incl[thread][n] += 1
    stage = "other"
    for n in names[:names.index("lcore_main")]:
        hit = next((st for st, rx in STAGES if rx.search(n)), None)
        if hit:
            stage = hit
            break
    stage_c[stage] += 1
    thread_stage[thread][stage] += 1
stack = []
for line in sys.stdin:
    if line.startswith((" ", "\t")):
        stack.append(line)
    else:
        flush(stack); stack = []
        if line.strip():
            thread = " ".join(line.split()[:2])
flush(stack)
print(f"{samples} samples, {in_loop} ({100*in_loop/max(samples,1):.0f}%) in the packet loop (lcore_main); shares below are of those")
if len(threads) > 1:
    print("per thread: " + ", ".join(f"{t} {100*c/in_loop:.0f}%" for t, c in threads.most_common()))
print(f"\n  self %  function (leaf frame; inlined functions by their own name)")
for n, c in self_c.most_common(top):
    print(f"  {100*c/in_loop:6.1f}  {n}")
print(f"\n  incl %  function (it and everything it calls)")
for n, c in incl_c.most_common(top):
    print(f"  {100*c/in_loop:6.1f}  {n}")
print("\n  share  stage (first stage met from the leaf frame up)")
for st, c in stage_c.most_common():
    print(f"  {100*c/in_loop:5.1f}%  {st}")
if len(threads) > 1:
    for t, tc in threads.most_common():
        print(f"\nthread {t}: by stage: " + ", ".join(f"{st} {100*c/tc:.0f}%" for st, c in thread_stage[t].most_common()))
    for t, tc in threads.most_common():
        print(f"\nthread {t}: {tc} samples; shares of the samples of this thread")
        print("  self %  function")
        for n, c in thread_self[t].most_common(top // 2):
            print(f"  {100*c/tc:6.1f}  {n}")
        print("  incl %  function")
        for n, c in thread_incl[t].most_common(top):
            print(f"  {100*c/tc:6.1f}  {n}")
' "$TOP" | tee "$DIR/perf-report.txt"
}

run_callgrind() {
  if ! command -v valgrind >/dev/null; then
    echo "profile: valgrind missing; skipping callgrind" >&2
    return 0
  fi
  local slice=${input%.pcap}.first$PACKETS.pcap
  [ -f "$slice" ] && [ "$slice" -nt "$input" ] || editcap -F pcap -r "$input" "$slice" "1-$PACKETS"
  rm -rf "$DIR/out-callgrind" "$DIR/callgrind.out"
  echo "== callgrind (instructions, only inside lcore_main): netcap ${ARGS[*]} on the first $PACKETS packets"
  valgrind -q --tool=callgrind --toggle-collect=lcore_main --callgrind-out-file="$DIR/callgrind.out" \
    "$NETCAP" -r "$slice" -o "$DIR/out-callgrind" --no-progress "${NC_OPTS[@]}" -- "${EAL_OPTS[@]}" \
    | sed -n 's/^  \(packets\|decoding\|layout\)/  \1/p'
  callgrind_annotate --auto=no --threshold=100 "$DIR/callgrind.out" >"$DIR/callgrind-self.txt" 2>/dev/null
  callgrind_annotate --auto=no --inclusive=yes --threshold=100 "$DIR/callgrind.out" >"$DIR/callgrind-incl.txt" 2>/dev/null
  {
    total=$(awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1}' "$DIR/callgrind-self.txt")
    echo "$total instructions in the packet loop, $((total / PACKETS)) per packet"
    echo
    echo "  self %  function (libdeflate has no symbols: its functions show as addresses)"
    awk '/file:function/{on=1; next} on && /^ *[0-9,]+ \(/{print}' "$DIR/callgrind-self.txt" |
      sed -E 's/^ *[0-9,]+ \( *([0-9.]+)%\) +/\1 /; s/ \[([^]]*)\]$/ [\1]/; s|^([0-9.]+) [^ ]*:|\1 |' |
      awk '{dso=$3; sub(/.*\//, "", dso); sub(/\]$/, "", dso);
        name = ($2 ~ /^0x/) ? "[" dso "] " $2 : $2; pct[name] += $1}
        END {for (n in pct) printf "  %5.1f  %s\n", pct[n], n}' | sort -k1,1gr | head -n "$TOP"
    echo
    echo "  incl %  function"
    awk '/file:function/{on=1; next} on && /^ *[0-9,]+ \(/{print}' "$DIR/callgrind-incl.txt" |
      sed -E 's/^ *[0-9,]+ \( *([0-9.]+)%\) +/\1 /; s|^([0-9.]+) [^ ]*:|\1 |' |
      awk -v top="$TOP" '($1 < 100 || $2 == "lcore_main") && !seen[$2]++ && n < top {n++; printf "  %5.1f  %s\n", $1, $2}'
  } | tee "$DIR/callgrind-report.txt"
}

case $MODE in
  perf) run_perf ;;
  callgrind) run_callgrind ;;
  both) run_perf; echo; run_callgrind ;;
  *) echo "usage: bench/profile.sh [perf|callgrind|both]" >&2; exit 2 ;;
esac
