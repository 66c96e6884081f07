#!/usr/bin/env bash
# bench-label.sh: the netcap-label benchmark (issue 14; docs/performance.md,
# "Labeling"): labels about 1,000,000 records against 100,000 Suricata
# alerts, with the default jobs (one per CPU) and with --jobs 1, and beside
# them converts the same records to CSV without labels (netcap-dump -o), the
# floor that labeling adds its own cost to. Prints median wall seconds,
# records/s and peak RSS of each, the phases netcap-label reports, and the
# label summary.
#
#   make bench-label                 # install deps, build, run this
#   scripts/bench-label.sh [WORKDIR] # the same without install and build
#
# WORKDIR (default ${TMPDIR:-/tmp}/netcap-bench-label) holds the input, built
# once and reused while its parameters stay the same:
#   bench-<MB>MB.pcap  scripts/make-bench-input.sh's input (the Ethernet
#                      captures of the nDPI corpus, then copies with shifted
#                      addresses), LABEL_BENCH_MB megabytes: ~1.0M records
#   records/           build/netcap -r that pcap (every record type, defaults)
#   alerts.json        scripts/make-label-alerts.py: eve.json alert events on
#                      packets of TCP/UDP/ICMP records picked at random (fixed
#                      seed), 10% of them on addresses and times matching
#                      nothing
# The outputs (labeled CSV, plain CSV) go to /dev/shm when it is a tmpfs
# with room, else to WORKDIR/out; the script says which and removes them.
#
# Environment:
#   LABEL_BENCH_MB       input pcap size in MB (default 166: ~1.0M records)
#   LABEL_BENCH_ALERTS   alert events (default 100000)
#   LABEL_BENCH_SEED     the generator's seed (default 14)
#   LABEL_BENCH_RUNS     runs per row, the rows taking turns; medians (default 5)
#   LABEL_BENCH_ROWS     some of label,label1,dump,dump1 (default: all)
#   BENCH_CORPUS         as scripts/make-bench-input.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${1:-${TMPDIR:-/tmp}/netcap-bench-label}
MB=${LABEL_BENCH_MB:-166}
N_ALERTS=${LABEL_BENCH_ALERTS:-100000}
SEED=${LABEL_BENCH_SEED:-14}
RUNS=${LABEL_BENCH_RUNS:-5}
ROWS=${LABEL_BENCH_ROWS:-label,label1,dump,dump1}
NETCAP=$ROOT/build/netcap
DUMP=$ROOT/build/netcap-dump
LABEL=$ROOT/build/netcap-label
for v in MB N_ALERTS SEED RUNS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench-label: $v must be a positive integer" >&2; exit 2; }
done
for b in "$NETCAP" "$DUMP" "$LABEL"; do
  [ -x "$b" ] || { echo "bench-label: $b missing: run 'make bench-label' (or 'make all')" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench-label: /usr/bin/time missing (Debian package time; make deps)" >&2; exit 2; }
want() { [[ ",$ROWS," == *",$1,"* ]]; }
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

# ---- input: pcap, records, alerts -----------------------------------------
pcap=$(BENCH_MB=$MB BENCH_DATA=$WORK scripts/make-bench-input.sh)
rec=$WORK/records
if [ ! -s "$rec/.done" ] || [ "$(cat "$rec/.done")" != "$(stat -c '%s %Y' "$pcap")" ]; then
  rm -rf "$rec" "$rec.tmp"
  echo "bench-label: netcap -r $pcap -o $rec" >&2
  "$NETCAP" -r "$pcap" -o "$rec.tmp" --no-progress >"$WORK/netcap.log" 2>&1 ||
    { tail -n 20 "$WORK/netcap.log" >&2; echo "bench-label: netcap failed" >&2; exit 1; }
  if grep -qE '^  incomplete|^  drops +[1-9]' "$WORK/netcap.log"; then
    echo "bench-label: warning: netcap lost packets:" >&2
    grep -E '^  incomplete|^  drops' "$WORK/netcap.log" >&2
  fi
  stat -c '%s %Y' "$pcap" >"$rec.tmp/.done"
  mv "$rec.tmp" "$rec"
fi
"$DUMP" --count "$rec"/*.ncap.gz >"$WORK/count.txt"
records=$(awk '$2 == "total" {print $1}' "$WORK/count.txt")
packets=$(sed -n 's/^  packets *\([0-9]*\) .*/\1/p' "$WORK/netcap.log" | head -n 1)
echo "bench-label: $records records in $(grep -c ncap.gz "$WORK/count.txt") files from ${packets:-?} packets of ${pcap#"$ROOT"/}" >&2
if [ "$records" -lt 900000 ] || [ "$records" -gt 1100000 ]; then
  echo "bench-label: warning: $records records, outside 1.0M +- 10% (set LABEL_BENCH_MB)" >&2
fi

alerts=$WORK/alerts.json
sig="n=$N_ALERTS seed=$SEED records=$(cat "$rec/.done") v=1"
if [ ! -s "$alerts" ] || [ "$(cat "$alerts.sig" 2>/dev/null)" != "$sig" ]; then
  rm -f "$alerts" "$alerts.sig"
  python3 scripts/make-label-alerts.py "$rec" "$alerts.tmp" --alerts "$N_ALERTS" --seed "$SEED" \
    --netcap-dump "$DUMP" 2>"$WORK/alerts.log" || { cat "$WORK/alerts.log" >&2; exit 1; }
  mv "$alerts.tmp" "$alerts"
  echo "$sig" >"$alerts.sig"
fi
sed 's/^/bench-label: /' "$WORK/alerts.log" >&2 2>/dev/null || true

# ---- where the outputs go -------------------------------------------------
# Labeled CSV of 1M records is ~0.5 GB; ask for 2 GiB free.
free_kb() { df -Pk "$1" 2>/dev/null | awk 'NR==2{print $4}'; }
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ "$(free_kb /dev/shm)" -gt 2097152 ]; then
  outbase=$(mktemp -d /dev/shm/netcap-bench-label.XXXXXX)
  where="/dev/shm (tmpfs)"
else
  outbase=$WORK/out
  mkdir -p "$outbase"
  where="$outbase ($(stat -f -c %T "$WORK"))"
fi
trap 'rm -rf "$outbase"' EXIT
echo "bench-label: outputs to $where" >&2

# ---- runs -----------------------------------------------------------------
declare -A NAME CMDLINE
NAME[label]="netcap-label, default jobs ($(nproc))"
NAME[label1]="netcap-label --jobs 1"
NAME[dump]="netcap-dump -o (no labels), default jobs"
NAME[dump1]="netcap-dump -o (no labels) --jobs 1"
CMDLINE[label]="build/netcap-label -r RECORDS --eve alerts.json -o OUT --force --progress"
CMDLINE[label1]="${CMDLINE[label]} --jobs 1"
CMDLINE[dump]="build/netcap-dump -o OUT2 --force --progress RECORDS"
CMDLINE[dump1]="${CMDLINE[dump]} --jobs 1"
order=(label label1 dump dump1)
res=$WORK/results
rm -rf "$res"
mkdir -p "$res"

run_once() {
  local row=$1 r=$2 d=$res/$1 args=()
  mkdir -p "$d"
  case $row in
    label|label1)
      args=("$LABEL" -r "$rec" --eve "$alerts" -o "$outbase/$row" --force --progress) ;;
    dump|dump1)
      args=("$DUMP" -o "$outbase/$row" --force --progress "$rec") ;;
  esac
  [[ $row == *1 ]] && args+=(--jobs 1)
  local rc=0
  /usr/bin/time -f '%e %M' -o "$d/time.$r" "${args[@]}" >"$d/out.$r" 2>"$d/err.$r" || rc=$?
  if [ $rc -ne 0 ]; then
    echo "bench-label: $row run $r failed (exit $rc): ${args[*]}" >&2
    tail -n 20 "$d/err.$r" "$d/out.$r" >&2
    exit 1
  fi
  read -r wall rss <"$d/time.$r"
  echo "$wall" >>"$d/wall"
  echo "$rss" >>"$d/rss"
  # netcap-label: "N alerts read and indexed in X s"; both: "... in S s" (the
  # conversion phase, threads start to join).
  sed -n 's/.* alerts read and indexed in \([0-9.]*\) s$/\1/p' "$d/err.$r" >>"$d/index"
  sed -n 's/.* files* \(written\|converted\).* in \([0-9.]*\) s$/\2/p' "$d/err.$r" >>"$d/convert"
  printf '  %-44s run %d/%d: wall %s s, peak RSS %d MB\n' "${NAME[$row]}" "$r" "$RUNS" "$wall" \
    $((rss / 1024)) >&2
}

median() { sort -g | awk '{v[NR]=$1} END{if (NR==0) print ""; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench-label: load average before: $load_before; $RUNS runs per row, rows taking turns" >&2
cat "$rec"/*.ncap.gz "$alerts" >/dev/null
for ((r = 1; r <= RUNS; r++)); do
  for row in "${order[@]}"; do
    want "$row" && run_once "$row" "$r"
  done
done

# ---- report ---------------------------------------------------------------
echo
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain -- lib app proto 2>/dev/null)" ] || commit="$commit + uncommitted changes in lib/, app/ or proto/"
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') at commit $commit on $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), load average before $load_before."
echo "Input: $records records (${packets:-?} packets, ${pcap#"$ROOT"/}); $N_ALERTS alerts (seed $SEED); outputs to $where; medians of $RUNS runs."
echo
echo "Records by type (netcap-dump --count):"
sort -k1,1nr "$WORK/count.txt" | awk '$2 != "total" {n = $2; sub(/.*\//, "", n); sub(/\.ncap(\.gz)?$/, "", n); printf "%s %s\n", n, $1}' |
  awk '{s = s (NR > 1 ? ", " : "") $1 " " $2} END{print "  " s}'
echo
echo "| run | median s | range s | records/s | peak RSS | alerts read+indexed s | conversion s |"
echo "|---|--:|--:|--:|--:|--:|--:|"
for row in "${order[@]}"; do
  want "$row" || continue
  d=$res/$row
  awk -v name="${NAME[$row]}" -v rec="$records" -v w="$(median <"$d/wall")" \
      -v lo="$(sort -g "$d/wall" | head -n 1)" -v hi="$(sort -g "$d/wall" | tail -n 1)" \
      -v rss="$(median <"$d/rss")" -v ix="$(median <"$d/index")" -v cv="$(median <"$d/convert")" 'BEGIN{
    printf "| %s | %.2f | %.2f-%.2f | %.0f | %.0f MB | %s | %s |\n", name, w, lo, hi, rec / w, rss / 1024,
      ix == "" ? "-" : ix, cv == "" ? "-" : cv }'
done
echo
for row in label label1; do
  want "$row" || continue
  echo "${NAME[$row]}, last run's summary:"
  grep -v -e ' -> ' -e 'alerts read and indexed' -e ': [0-9]*/[0-9]* files, ' "$res/$row/err.$RUNS" | sed 's/^/  /'
  break
done
if want label && want label1; then
  # Both runs must label the same records.
  a=$(grep 'records labeled, ' "$res/label/err.$RUNS" | sed 's/.*: \([0-9]* of [0-9]*\) records.*/\1/')
  b=$(grep 'records labeled, ' "$res/label1/err.$RUNS" | sed 's/.*: \([0-9]* of [0-9]*\) records.*/\1/')
  [ "$a" = "$b" ] || echo "bench-label: warning: default jobs labeled $a records, --jobs 1 $b" >&2
  if ! diff -rq "$outbase/label" "$outbase/label1" >/dev/null; then
    echo "bench-label: warning: the outputs of default jobs and --jobs 1 differ" >&2
  fi
fi
