#!/usr/bin/env bash
# bench-worst.sh: what the most expensive packets cost the decoders,
# against the corpus mean.
#
# scripts/make-worst-packets.py crafts, per decoder family, the costliest
# packet we know (a variant of at most 1,514 bytes and, where the protocol
# allows, one of up to 262,144); each is replayed as a pcap of many copies
# through netcap inline on one lcore (decode, serialise and gzip on the same
# core, so the cost includes compressing the records):
#     netcap -r FILE -o DIR -w 1 --compressors 0 -- -l 0
# and so is the corpus benchmark input (scripts/make-bench-input.sh, nDPI's
# Ethernet captures). Each run's "decoding N ns/packet per worker" is read
# from netcap's summary; the rows take turns run after run (the corpus at
# the start and the end of each round) and the medians are printed as a
# markdown table:
#   packet, wire bytes, ns/packet, x the corpus mean packet, ns per wire
#   byte, x the corpus mean per wire byte, record bytes written per wire
#   byte (serialized, before gzip), malformed (packets counted malformed:
#   capped records count), and a flag.
# The target (docs/decoding.md, "Limits"): every packet within WORST_LIMIT
# (20) times the corpus mean per wire byte, and every packet of at most
# 1,514 bytes within WORST_LIMIT times the mean packet; a row past it is
# flagged OVER.
#
# Environment:
#   NETCAP_BUILD   build folder holding netcap (default build)
#   BENCH_MB       corpus input size in MB (default 50)
#   BENCH_RUNS     runs per row, the median is reported (default 3)
#   BENCH_CORPUS   corpus folder (see scripts/make-bench-input.sh)
#   WORST_COPIES   copies of each small packet (default 20000; large ones
#                  get as many as fit in 15 MB, at least 50)
#   WORST_ONLY     comma list of packet names (or prefixes ending in '*')
#   WORST_LIMIT    the flag threshold (default 20)
#   WORST_MD       also write the table (and the facts above it) to this file
#   WORST_STRICT   1: exit 1 when a row is flagged (default 0)
#   WORST_KEEP     1: keep the crafted pcaps (about 1 GB) in
#                  bench-data/worst/pcap; by default they go at the end
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${NETCAP_BUILD:-$ROOT/build}
NETCAP=$BUILD/netcap
MB=${BENCH_MB:-50}
RUNS=${BENCH_RUNS:-3}
COPIES=${WORST_COPIES:-20000}
ONLY=${WORST_ONLY:-}
LIMIT=${WORST_LIMIT:-20}
STRICT=${WORST_STRICT:-0}
WORK=$ROOT/bench-data/worst
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench-worst: BENCH_RUNS must be a positive integer" >&2; exit 2; }
[[ $COPIES =~ ^[1-9][0-9]*$ ]] || { echo "bench-worst: WORST_COPIES must be a positive integer" >&2; exit 2; }
[ -x "$NETCAP" ] || { echo "bench-worst: $NETCAP missing: run 'make'" >&2; exit 2; }
command -v python3 >/dev/null || { echo "bench-worst: python3 missing" >&2; exit 2; }

corpus=$(BENCH_MB=$MB scripts/make-bench-input.sh)
rm -rf "$WORK"
mkdir -p "$WORK/pcap" "$WORK/runs"
python3 scripts/make-worst-packets.py "$WORK/pcap" --copies "$COPIES" --bytes-per-file 15000000 \
  ${ONLY:+--only "$ONLY"} >"$WORK/manifest"

# rows: "corpus" first, then the packets in the generator's order.
declare -A FILE WIRE
rows=(corpus)
FILE[corpus]=$corpus
while IFS=$'\t' read -r name wire _copies _link _desc; do
  rows+=("$name")
  FILE[$name]=$WORK/pcap/$name.pcap
  WIRE[$name]=$wire
done <"$WORK/manifest"
cat "${FILE[@]}" >/dev/null   # page cache warm for every run

median() { sort -g | awk '{v[NR]=$1} END{if (NR==0) print ""; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# run_once ROW: one replay; appends "ns packets bytes record_bytes malformed" to runs/ROW.
run_once() {
  local row=$1 out=$WORK/out sum=$WORK/summary
  rm -rf "$out"
  if ! "$NETCAP" -r "${FILE[$row]}" -o "$out" --no-progress -w 1 --compressors 0 -- -l 0 >"$sum" 2>"$WORK/stderr"; then
    tail -n 20 "$WORK/stderr" "$sum" >&2
    echo "bench-worst: netcap failed on $row (${FILE[$row]})" >&2
    exit 1
  fi
  awk '
    /^  packets / { p = $2; b = substr($3, 2) }
    /^  decoding / { ns = $2 }
    /^  decode / { mal = $2 }
    /^    [A-Za-z0-9]+ +[0-9]+ records +[0-9]+ bytes/ { rb += $4 }
    END {
      if (ns == "" || p == "") exit 1
      print ns, p, b, rb + 0, mal + 0
    }' "$sum" >>"$WORK/runs/$row" || {
    cat "$sum" >&2
    echo "bench-worst: no decoding figure in netcap's summary for $row" >&2
    exit 1
  }
}

start=$(date +%s)
echo "bench-worst: ${#rows[@]} rows (the corpus and $(( ${#rows[@]} - 1 )) crafted packets), $RUNS runs each" >&2
for ((r = 1; r <= RUNS; r++)); do
  for row in "${rows[@]}"; do
    run_once "$row"
  done
  run_once corpus   # the reference twice a round: the machine's load drifts
  echo "bench-worst: run $r/$RUNS done ($(( $(date +%s) - start )) s)" >&2
done

# medians per row: ns/packet, and the counts of the last run
summ() {
  local f=$WORK/runs/$1
  local ns p b rb mal
  ns=$(awk '{print $1}' "$f" | median)
  read -r _ p b rb mal < <(tail -n 1 "$f")
  echo "$ns $p $b $rb $mal"
}
read -r c_ns c_p c_b _c_rb _c_mal < <(summ corpus)
c_wire=$(awk -v p="$c_p" -v b="$c_b" 'BEGIN{printf "%.1f", b / p}')
c_nsb=$(awk -v n="$c_ns" -v w="$c_wire" 'BEGIN{printf "%.3f", n / w}')

table=$WORK/table.md
over=0
{
  echo "| packet | wire bytes | ns/packet | x mean packet | ns/wire byte | x mean per byte | record bytes / wire byte | malformed | |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|---|"
  awk -v ns="$c_ns" -v w="$c_wire" -v nsb="$c_nsb" -v rb="$_c_rb" -v b="$c_b" -v m="$_c_mal" -v p="$c_p" 'BEGIN{
    printf "| corpus mean (%d packets) | %.0f | %.0f | 1.0 | %.2f | 1.0 | %.2f | %d | |\n", p, w, ns, nsb, rb / b, m }'
  for row in "${rows[@]:1}"; do
    read -r ns p b rb mal < <(summ "$row")
    awk -v name="$row" -v wire="${WIRE[$row]}" -v ns="$ns" -v cns="$c_ns" -v cnsb="$c_nsb" \
        -v rb="$rb" -v b="$b" -v mal="$mal" -v p="$p" -v lim="$LIMIT" 'BEGIN{
      xp = ns / cns; nsb = ns / wire; xb = nsb / cnsb
      flag = ""
      if (xb > lim || (wire <= 1514 && xp > lim)) flag = "OVER"
      printf "| %s | %d | %.0f | %.1f | %.2f | %.1f | %.2f | %d of %d | %s |\n", name, wire, ns, xp, nsb, xb, rb / b, mal, p, flag
    }'
  done
} >"$table"
grep -q 'OVER |$' "$table" && over=1

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain -- lib app proto 2>/dev/null)" ] || commit="$commit + uncommitted changes"
facts="Measured $(date -u '+%Y-%m-%d %H:%M UTC') at commit $commit on $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg);
\`netcap -w 1 --compressors 0 -- -l 0\` (inline), median of $RUNS runs; corpus: \`${corpus#"$ROOT"/}\`;
crafted packets: \`scripts/make-worst-packets.py\`, $COPIES copies of each small one. Target: at most ${LIMIT}x."
echo
echo "$facts"
echo
cat "$table"
[ -n "${WORST_MD:-}" ] && { echo "$facts"; echo; cat "$table"; } >"$WORST_MD"
echo "bench-worst: $(( $(date +%s) - start )) s" >&2
[ "${WORST_KEEP:-0}" = 1 ] || rm -rf "$WORK/pcap" "$WORK/out"
if [ "$over" = 1 ]; then
  echo "bench-worst: rows over ${LIMIT}x are flagged OVER" >&2
  [ "$STRICT" = 1 ] && exit 1
fi
exit 0
