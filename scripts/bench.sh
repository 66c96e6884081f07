#!/usr/bin/env bash
# bench.sh: what `make bench` runs after installing and building: measures,
# side by side on one input, pure pcap-PMD RX, netcap in three settings and
# tshark, each BENCH_RUNS times, and prints the medians as a table that also
# replaces the "Latest figures" section of docs/performance.md.
#
# Rows (see docs/performance.md):
#   pure RX        build/bench/rx-only FILE  (rx_burst + free only; the ceiling)
#   pure RX mapped build/bench/rx-only --mapped FILE  (netcap's default input:
#                  the file from a memory map, no copy; lib/pipeline/pcapmap.h)
#   netcap         build/netcap -r FILE -o OUT  (defaults: every record type, entropy on)
#   netcap PMD     ... --no-mmap (the file through the pcap PMD, as before)
#   no-entropy     ... --no-entropy
#   inline 1 lcore ... -w 1 --compressors 0 -- -l 0
#   tshark         tshark -r FILE -T fields (12 fields) > /dev/null, on the
#                  first BENCH_TSHARK_PACKETS packets only
#   suricata       suricata -r FILE -k none -S /dev/null --runmode single
#                  (no rules, eve.json on as Debian configures it): the IDS
#                  beside which netcap's wall clock is measured
#
# Environment:
#   BENCH_MB              input size in MB (default 400; built once in bench-data/)
#   BENCH_RUNS            runs per row, the median is reported (default 3)
#   BENCH_TSHARK_PACKETS  packets of the input tshark reads (default 200000;
#                         0 = all of it)
#   BENCH_ROWS            rows to run, comma-separated among rx,rxmap,netcap,
#                         pmd,noentropy,inline,tshark,suricata (default: all)
#   BENCH_DOC             1 (default) rewrites docs/performance.md's "Latest
#                         figures"; 0 leaves the file alone
#   BENCH_CORPUS          corpus directory (see scripts/make-bench-input.sh)
#   BENCH_DECODE          1 (default) runs scripts/bench-decode.sh after the
#                         table (the decoders' own figures); 0 skips it
#   BENCH_HOSTILE         1 (default) runs, after the decoders' figures,
#                         scripts/bench-flood.sh (20,000 flows colliding
#                         under the old CRC hashes vs 20,000 random ones)
#                         and scripts/bench-worst.sh (the most expensive
#                         packets per decoder against the corpus mean);
#                         0 skips both
#   BENCH_SCALING         1 (default) runs scripts/bench-scaling.sh after the
#                         decoders' figures: Mpps by worker count, for the
#                         dispatcher and the per-queue input; 0 skips it
#   BENCH_COLLECT         1 (default) runs scripts/bench-collect.sh before the
#                         flows (the collector under 8 load generators, one
#                         run per rate step); 0 skips it
#   BENCH_FLOWS           1 (default) runs scripts/bench-flows.sh last (flow
#                         families only beside nfpcapd, and the 10-million-flow
#                         stress: several minutes; FLOWS_STRESS=0 skips the
#                         stress alone); 0 skips it
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MB=${BENCH_MB:-400}
RUNS=${BENCH_RUNS:-3}
TSHARK_PACKETS=${BENCH_TSHARK_PACKETS:-200000}
ROWS=${BENCH_ROWS:-rx,rxmap,netcap,pmd,noentropy,inline,tshark,suricata}
DOC=${BENCH_DOC:-1}
NETCAP=$ROOT/build/netcap
RXONLY=$ROOT/build/bench/rx-only
WORK=$ROOT/bench-data/run
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_RUNS must be a positive integer" >&2; exit 2; }
[[ $TSHARK_PACKETS =~ ^[0-9]+$ ]] || { echo "bench: BENCH_TSHARK_PACKETS must be a number" >&2; exit 2; }
for b in "$NETCAP" "$RXONLY"; do
  [ -x "$b" ] || { echo "bench: $b missing: run 'make bench' (or 'make all bench-tools')" >&2; exit 2; }
done
want() { [[ ",$ROWS," == *",$1,"* ]]; }
if want tshark && ! command -v tshark >/dev/null; then
  echo "bench: tshark missing (make deps); its row is skipped" >&2
  ROWS=${ROWS//tshark/}
fi
if want suricata && ! command -v suricata >/dev/null; then
  echo "bench: suricata missing (make deps); its row is skipped" >&2
  ROWS=${ROWS//suricata/}
fi

input=$(BENCH_MB=$MB scripts/make-bench-input.sh)
in_packets=$(capinfos -T -M -r -c "$input" 2>/dev/null | awk -F'\t' '{print $2}' || true)
in_bytes=$(stat -c %s "$input")
mkdir -p "$WORK"
# The first run of every row reads from the page cache like the others.
cat "$input" >/dev/null

# tshark is ~50x slower than netcap: a slice of the input, cut once.
tshark_input=$input
tshark_note="whole input"
if want tshark && [ "$TSHARK_PACKETS" -gt 0 ] && [ "$TSHARK_PACKETS" -lt "$in_packets" ]; then
  tshark_input=${input%.pcap}.first$TSHARK_PACKETS.pcap
  if [ ! -f "$tshark_input" ] || [ "$tshark_input" -ot "$input" ]; then
    editcap -F pcap -r "$input" "$tshark_input.tmp" "1-$TSHARK_PACKETS" && mv "$tshark_input.tmp" "$tshark_input"
  fi
  tshark_note="first $TSHARK_PACKETS packets of the input"
  cat "$tshark_input" >/dev/null
fi

have_time=0
[ -x /usr/bin/time ] && have_time=1

now() { date +%s.%N; }

# measure OUT ERR RSSFILE CMD...: runs CMD with stdout to OUT and stderr to
# ERR; peak RSS in kB to RSSFILE (GNU time's "Maximum resident set size",
# else VmHWM polled from /proc); prints the wall-clock seconds.
measure() {
  local out=$1 err=$2 rssf=$3 t0 t1 rc=0
  shift 3
  t0=$(now)
  if [ $have_time = 1 ]; then
    /usr/bin/time -v -o "$rssf.tv" "$@" >"$out" 2>"$err" || rc=$?
    t1=$(now)
    awk -F': ' '/Maximum resident set size/{print $2}' "$rssf.tv" >"$rssf"
  else
    "$@" >"$out" 2>"$err" &
    local pid=$! hwm=0 v
    while kill -0 $pid 2>/dev/null; do
      v=$(awk '/^VmHWM:/{print $2}' /proc/$pid/status 2>/dev/null || true)
      [ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v
      sleep 0.05
    done
    wait $pid || rc=$?
    t1=$(now)
    echo "$hwm" >"$rssf"
  fi
  if [ $rc -ne 0 ]; then
    echo "bench: failed (exit $rc): $*" >&2
    tail -n 20 "$err" >&2; [ -f "$out" ] && tail -n 20 "$out" >&2
    exit 1
  fi
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f\n", b - a}'
}

median() { sort -g | awk '{v[NR]=$1} END{if (NR==0) print ""; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# Per row: label, then the medians of the columns, in results/<row>.
declare -A LABEL CMD
LABEL[rx]="pure RX (rx-only)"
LABEL[rxmap]="pure RX, mapped file"
LABEL[netcap]="netcap (defaults)"
LABEL[pmd]="netcap --no-mmap (pcap PMD)"
LABEL[noentropy]="netcap --no-entropy"
LABEL[inline]="netcap inline, 1 lcore"
LABEL[tshark]="tshark, 12 fields"
LABEL[suricata]="Suricata 7, no rules, eve"
CMD[rx]="build/bench/rx-only FILE"
CMD[rxmap]="build/bench/rx-only --mapped FILE"
CMD[netcap]="build/netcap -r FILE -o OUT"
CMD[pmd]="build/netcap -r FILE -o OUT --no-mmap"
CMD[noentropy]="build/netcap -r FILE -o OUT --no-entropy"
CMD[inline]="build/netcap -r FILE -o OUT -w 1 --compressors 0 -- -l 0"
TSHARK_FIELDS=(-e frame.time_epoch -e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport -e udp.srcport
               -e udp.dstport -e ip.len -e ip.ttl -e tcp.flags -e tcp.window_size_value -e eth.src)
CMD[tshark]="tshark -r SLICE -T fields ${TSHARK_FIELDS[*]} > /dev/null"
CMD[suricata]="suricata -r FILE -k none -S /dev/null --runmode single -l OUT"
rm -rf "$WORK/results"
mkdir -p "$WORK/results"

# run_once ROW R: one run of ROW; its figures are appended to $WORK/ROW/*.
run_once() {
  local row=$1 r=$2 secs pk by loop ns outb
  local d=$WORK/$row
  case $row in
    rx|rxmap)
      local how=()
      [ "$row" = rxmap ] && how=(--mapped)
      secs=$(measure "$d/stdout" "$d/stderr" "$d/rss1" "$RXONLY" "${how[@]}" "$input")
      read -r pk by loop < <(sed -n 's/^rx-only: packets \([0-9]*\) (\([0-9]*\) bytes) in \([0-9.]*\) s.*/\1 \2 \3/p' "$d/stdout")
      ns=""; outb=0
      ;;
    netcap|pmd|noentropy|inline)
      local extra=()
      case $row in
        pmd) extra=(--no-mmap) ;;
        noentropy) extra=(--no-entropy) ;;
        inline) extra=(-w 1 --compressors 0 -- -l 0) ;;
      esac
      rm -rf "$d/out"
      secs=$(measure "$d/stdout" "$d/stderr" "$d/rss1" "$NETCAP" -r "$input" -o "$d/out" --no-progress "${extra[@]}")
      read -r pk by loop < <(sed -n 's/^  packets *\([0-9]*\) (\([0-9]*\) bytes) in \([0-9.]*\) s.*/\1 \2 \3/p' "$d/stdout")
      ns=$(sed -n 's/^  decoding *\([0-9.]*\) ns\/packet.*/\1/p' "$d/stdout")
      # TCP reassembly's memory: the largest per-worker peak in use.
      sed -n 's/.*, streams [0-9.]* MiB (peak in use \([0-9.]*\) KiB.*/\1/p' "$d/stdout" >>"$d/streams"
      outb=$(du -sb "$d/out" | cut -f1)
      if grep -qE '^  incomplete|^  drops +[1-9]' "$d/stdout"; then
        echo "bench: warning: $row run $r lost packets:" >&2
        grep -E '^  incomplete|^  drops' "$d/stdout" >&2
      fi
      ;;
    suricata)
      rm -rf "$d/out"; mkdir -p "$d/out"
      secs=$(measure "$d/stdout" "$d/stderr" "$d/rss1" suricata -r "$input" -k none -S /dev/null \
               --runmode single -l "$d/out")
      pk=$in_packets; by=$in_bytes; loop=""; ns=""; outb=$(du -sb "$d/out" | cut -f1)
      ;;
    tshark)
        secs=$(measure /dev/null "$d/stderr" "$d/rss1" tshark -r "$tshark_input" -T fields "${TSHARK_FIELDS[@]}")
      pk=$(capinfos -T -M -r -c "$tshark_input" 2>/dev/null | awk -F'\t' '{print $2}' || true)
      by=$(capinfos -T -M -r -d "$tshark_input" 2>/dev/null | awk -F'\t' '{print $2}' || true)
      loop=""; ns=""; outb=""
      ;;
  esac
  if [ -z "${pk:-}" ]; then
    echo "bench: $row: no summary in its output:" >&2
    cat "$d/stdout" "$d/stderr" >&2 2>/dev/null || true
    exit 1
  fi
  echo "$secs" >>"$d/wall"
  [ -n "$loop" ] && echo "$loop" >>"$d/loop"
  [ -n "$ns" ] && echo "$ns" >>"$d/ns"
  [ -n "$outb" ] && echo "$outb" >>"$d/outb"
  cat "$d/rss1" >>"$d/rss"
  echo "$pk" >"$d/pk"
  echo "$by" >"$d/by"
  printf '  %-24s run %d/%d: %s packets, wall %s s%s\n' "${LABEL[$row]}" "$r" "$RUNS" "$pk" "$secs" \
    "${loop:+, in-process $loop s}" >&2
}

# summarise ROW: the medians to $WORK/results/ROW.
summarise() {
  local row=$1 d=$WORK/$1
  {
    echo "pk=$(cat "$d/pk")"
    echo "by=$(cat "$d/by")"
    echo "wall=$(median <"$d/wall")"
    echo "loop=$(median <"$d/loop")"
    echo "ns=$(median <"$d/ns" | awk 'NF{printf "%.0f", $1}')"
    echo "outb=$(median <"$d/outb")"
    echo "rss=$(median <"$d/rss")"
    echo "streams=$(median <"$d/streams" 2>/dev/null)"
    local secs_file=$d/loop
    [ -s "$secs_file" ] || secs_file=$d/wall
    echo "smin=$(sort -g "$secs_file" | head -n 1)"
    echo "smax=$(sort -g "$secs_file" | tail -n 1)"
  } >"$WORK/results/$row"
}

echo "bench: input $input: $in_packets packets, $in_bytes bytes; $RUNS runs per row, medians" >&2
echo "bench: load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
order=(rx rxmap netcap pmd noentropy inline tshark suricata)
# Rows take turns, run after run, so that a disturbance (another process
# waking up) spreads over the rows instead of hitting every run of one.
for row in "${order[@]}"; do
  want "$row" || continue
  mkdir -p "$WORK/$row"
  for f in wall loop ns outb rss pk by streams; do : >"$WORK/$row/$f"; done
done
for ((r = 1; r <= RUNS; r++)); do
  for row in "${order[@]}"; do
    want "$row" && run_once "$row" "$r"
  done
done
for row in "${order[@]}"; do
  want "$row" && summarise "$row"
done

# ---- the table -------------------------------------------------------
get() { sed -n "s/^$2=//p" "$WORK/results/$1" 2>/dev/null; }
rx_mpps=""
if [ -f "$WORK/results/rx" ]; then
  rx_mpps=$(awk -v p="$(get rx pk)" -v s="$(get rx loop)" 'BEGIN{printf "%.6f", p/s/1e6}')
fi
ts_wmpps=""
if [ -f "$WORK/results/tshark" ]; then
  ts_wmpps=$(awk -v p="$(get tshark pk)" -v s="$(get tshark wall)" 'BEGIN{printf "%.6f", p/s/1e6}')
fi
table=$WORK/table.md
{
  echo "| row | packets | seconds | Mpps | Mpps range | MB/s | wall s | wall Mpps | output | peak RSS | pure RX / row | row / tshark | decode ns/pkt |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
  for row in "${order[@]}"; do
    [ -f "$WORK/results/$row" ] || continue
    awk -v label="${LABEL[$row]}" -v row="$row" -v pk="$(get "$row" pk)" -v by="$(get "$row" by)" \
        -v wall="$(get "$row" wall)" -v loop="$(get "$row" loop)" -v ns="$(get "$row" ns)" \
        -v outb="$(get "$row" outb)" -v rss="$(get "$row" rss)" -v rx="$rx_mpps" -v ts="$ts_wmpps" \
        -v smin="$(get "$row" smin)" -v smax="$(get "$row" smax)" '
      function mb(b) { return b >= 1e6 ? sprintf("%.1f MB", b / 1e6) : sprintf("%.0f kB", b / 1e3) }
      BEGIN {
        s = loop != "" ? loop : wall
        mpps = pk / s / 1e6; wmpps = pk / wall / 1e6
        out = outb != "" ? mb(outb) : (row == "tshark" ? "(text to /dev/null)" : "-")
        if (row == "rx" || row == "rxmap") out = "-"
        vsrx = (rx != "" && row != "rx") ? sprintf("%.1fx", rx / mpps) : "-"
        vsts = (ts != "" && row != "tshark") ? sprintf("%.0fx", wmpps / ts) : "-"
        printf "| %s | %d | %.3f%s | %.3f | %.3f-%.3f | %.1f | %.3f | %.3f | %s | %.0f MB | %s | %s | %s |\n",
          label, pk, s, loop != "" ? "" : " (wall)", mpps, pk / smax / 1e6, pk / smin / 1e6, by / s / 1e6, wall, wmpps, out, rss / 1024,
          vsrx, vsts, ns != "" ? ns : "-"
      }'
  done
} >"$table"

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain -- lib app proto 2>/dev/null)" ] || commit="$commit + uncommitted changes in lib/, app/ or proto/"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
if [ -n "${MAKELEVEL:-}" ]; then how="make bench"; else how="scripts/bench.sh"; fi
command_line="BENCH_MB=$MB BENCH_RUNS=$RUNS BENCH_TSHARK_PACKETS=$TSHARK_PACKETS${BENCH_ROWS:+ BENCH_ROWS=$ROWS} $how"
facts=$WORK/facts.md
{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') at commit $commit on $(nproc) CPUs ($cpu),"
  echo "$(awk '/MemTotal/{printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM, $(. /etc/os-release && echo "$PRETTY_NAME"), load average before the run $load_before."
  echo "Command: \`$command_line\`."
  echo "Input: \`${input#"$ROOT"/}\`, $in_packets packets, $(awk -v b="$in_bytes" 'BEGIN{printf "%.1f", b/1e6}') MB"
  echo "(the Ethernet captures of the nDPI corpus, then copies with shifted addresses)."
  echo "Medians of $RUNS runs per row; page cache warm."
  if want tshark; then
    echo "tshark read the $tshark_note ($(get tshark pk) packets); its Mpps are computed on those."
  fi
} >"$facts"

echo
cat "$facts"
echo
cat "$table"
echo
verdict=$WORK/verdict.md
: >"$verdict"
if [ -n "$rx_mpps" ] && [ -f "$WORK/results/netcap" ]; then
  awk -v p="$(get netcap pk)" -v s="$(get netcap loop)" -v rx="$rx_mpps" 'BEGIN{
    m = p / s / 1e6
    printf "Target (netcap with defaults >= 1 Mpps, at most 6x below pure RX): %.3f Mpps, %.1fx below pure RX: **%s**.\n",
      m, rx / m, (m >= 1 && rx / m <= 6) ? "met" : "not met"
    printf "Issue 11 target (2 CPUs: netcap with defaults >= 0.4x pure pcap-PMD RX): %.2fx: **%s**.\n",
      m / rx, (m / rx >= 0.4) ? "met" : "not met" }' >"$verdict"
fi
if [ -f "$WORK/results/suricata" ] && [ -f "$WORK/results/netcap" ]; then
  awk -v nw="$(get netcap wall)" -v sw="$(get suricata wall)" 'BEGIN{
    printf "Wall clock beside Suricata 7 (same file, start-up included): netcap %.3f s, Suricata %.3f s: netcap %.2fx as fast (issue 11 target 1.8x: **%s**).\n",
      nw, sw, sw / nw, (sw / nw >= 1.8) ? "met" : "not met" }' >>"$verdict"
fi
if [ -n "$(get netcap streams)" ]; then
  echo "TCP reassembly (netcap with defaults): peak $(get netcap streams) KiB of stream memory in use per worker (the largest), of a 64 MiB budget each." >>"$verdict"
fi
cat "$verdict"
for row in netcap pmd noentropy inline; do
  [ -f "$WORK/results/$row" ] && echo "${LABEL[$row]}: decoding $(get "$row" ns) ns/packet per worker (netcap's own figure)"
done

if [ "$DOC" = 1 ]; then
  python3 - "$ROOT/docs/performance.md" "$facts" "$table" "$verdict" <<'PY'
import re, sys
doc, facts, table, verdict = sys.argv[1:5]
try:
    text = open(doc).read()
except FileNotFoundError:
    text = "# Performance\n\n## Latest figures\n"
section = ("## Latest figures\n\n<!-- written by scripts/bench.sh: edits here are overwritten -->\n\n"
           + open(facts).read() + "\n" + open(table).read() + "\n"
           + (open(verdict).read() + "\n" if open(verdict).read() else ""))
m = re.search(r'^## Latest figures\n.*?(?=^## |\Z)', text, flags=re.S | re.M)
text = text[:m.start()] + section + text[m.end():] if m else text.rstrip('\n') + "\n\n" + section
open(doc, 'w').write(text)
PY
  echo "bench: wrote the figures to docs/performance.md" >&2
fi

# Decoders: Mpps and ns/packet in decoding, entropy on and off (BENCH_DECODE=0 skips it).
[ "${BENCH_DECODE:-1}" = 0 ] || BENCH_MB=$MB BENCH_RUNS=$RUNS scripts/bench-decode.sh

# Scaling with workers (BENCH_SCALING=0 skips it; docs/performance.md, "Scaling").
[ "${BENCH_SCALING:-1}" = 0 ] || BENCH_MB=$MB BENCH_RUNS=$RUNS scripts/bench-scaling.sh

# Hostile input: hash flooding and the worst packet per decoder
# (BENCH_HOSTILE=0 skips both; docs/performance.md, "Hostile input").
if [ "${BENCH_HOSTILE:-1}" != 0 ]; then
  BENCH_RUNS=$RUNS scripts/bench-flood.sh
  BENCH_RUNS=$RUNS scripts/bench-worst.sh
fi

# The collector under 8 load generators (BENCH_COLLECT=0 skips it;
# docs/performance.md, "Collector"): one run per step here, 3 with
# `make bench-collect`.
[ "${BENCH_COLLECT:-1}" = 0 ] || COLLECT_BENCH_RUNS=${COLLECT_BENCH_RUNS:-1} \
  COLLECT_BENCH_SECONDS=${COLLECT_BENCH_SECONDS:-3} scripts/bench-collect.sh

# Flow records beside nfpcapd, and the stress (BENCH_FLOWS=0 skips it).
[ "${BENCH_FLOWS:-1}" = 0 ] || BENCH_MB=$MB BENCH_RUNS=$RUNS scripts/bench-flows.sh
