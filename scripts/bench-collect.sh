#!/usr/bin/env bash
# bench-collect.sh: the collector load benchmark (issue 15; docs/performance.md,
# "Collector"): 8 load generators (build/bench/collect-load, each standing
# in for one sensor: its own key pair, id and epoch) send sealed record
# batches at once to one build/netcap-collect on loopback, at a total rate
# stepped up from 0.25 M records/s to unlimited. Per step it prints, medians
# of COLLECT_BENCH_RUNS runs: the rate offered and the rate received
# (records/s, datagrams/s), the datagrams lost (sequence gaps the collector
# counted, plus those of the end of the run it never saw), drops by cause,
# and the CPU time of the collector and of the senders. Every run checks
# that the collector received exactly what was sent less what was lost.
#
#   make bench-collect                  # install deps, build, run this
#   scripts/bench-collect.sh [WORKDIR]  # the same without install and build
#
# WORKDIR (default ${TMPDIR:-/tmp}/netcap-bench-collect) holds the keys (8
# sensors, the collector, the allow file) and the record input: build/netcap
# -r on scripts/make-bench-input.sh's 50 MB input, --include
# COLLECT_BENCH_TYPES, made once. The collector writes its record files to
# /dev/shm when it is a tmpfs with room, else to WORKDIR/out; each run's are
# removed after it.
#
# Environment:
#   COLLECT_BENCH_RATES    total records/s per step, 0 = unlimited (default
#                          250000,500000,1000000,1500000,2000000,3000000,0)
#   COLLECT_BENCH_SECONDS  sending time per run (default 4)
#   COLLECT_BENCH_RUNS     runs per step (default 3); medians
#   COLLECT_BENCH_SENSORS  load generators (default 8)
#   COLLECT_BENCH_UNLIMITED_RECORDS  records each generator seals for an
#                          unlimited step (default 1500000; it stops after
#                          COLLECT_BENCH_SECONDS in any case)
#   COLLECT_BENCH_TYPES    record types of the input (default TCP,UDP,IPv4,Ethernet)
#   COLLECT_BENCH_THREADS  --threads of the collector (default: its own, one per CPU)
#   COLLECT_BENCH_PORT     UDP port on 127.0.0.1 (default 17650)
#   BENCH_CORPUS           as scripts/make-bench-input.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${1:-${TMPDIR:-/tmp}/netcap-bench-collect}
RATES=${COLLECT_BENCH_RATES:-250000,500000,1000000,1500000,2000000,3000000,0}
SECONDS_RUN=${COLLECT_BENCH_SECONDS:-4}
RUNS=${COLLECT_BENCH_RUNS:-3}
NS=${COLLECT_BENCH_SENSORS:-8}
UNL_RECORDS=${COLLECT_BENCH_UNLIMITED_RECORDS:-1500000}
TYPES=${COLLECT_BENCH_TYPES:-TCP,UDP,IPv4,Ethernet}
THREADS=${COLLECT_BENCH_THREADS:-}
PORT=${COLLECT_BENCH_PORT:-17650}
NETCAP=$ROOT/build/netcap
COLLECT=$ROOT/build/netcap-collect
LOAD=$ROOT/build/bench/collect-load
for v in SECONDS_RUN RUNS NS UNL_RECORDS PORT; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench-collect: $v must be a positive integer" >&2; exit 2; }
done
[[ $RATES =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "bench-collect: COLLECT_BENCH_RATES: numbers, comma-separated" >&2; exit 2; }
for b in "$NETCAP" "$COLLECT" "$LOAD"; do
  [ -x "$b" ] || { echo "bench-collect: $b missing: run 'make bench-collect' (or 'make all build/bench/collect-load')" >&2; exit 2; }
done
command -v jq >/dev/null || { echo "bench-collect: jq missing" >&2; exit 2; }
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
HZ=$(getconf CLK_TCK)

# ---- keys ------------------------------------------------------------------
keys=$WORK/keys
if [ ! -s "$keys/allow" ] || [ "$(grep -c . "$keys/allow")" -ne "$NS" ]; then
  rm -rf "$keys"; mkdir -p "$keys"
  "$COLLECT" --gen-keypair "$keys/collector" >/dev/null
  for i in $(seq 1 "$NS"); do
    "$COLLECT" --gen-keypair "$keys/sensor$i" >/dev/null
    echo "$(cat "$keys/sensor$i.pub") sensor$i" >>"$keys/allow"
  done
fi

# ---- record input -------------------------------------------------------------
rec=$WORK/records
pcap=$(BENCH_MB=50 scripts/make-bench-input.sh)
sig="$(stat -c '%s %Y' "$pcap") $TYPES"
if [ ! -s "$rec/.done" ] || [ "$(cat "$rec/.done")" != "$sig" ]; then
  rm -rf "$rec" "$rec.tmp"
  "$NETCAP" -r "$pcap" -o "$rec.tmp" --include "$TYPES" --no-progress >"$WORK/netcap.log" 2>&1 ||
    { tail -n 20 "$WORK/netcap.log" >&2; echo "bench-collect: netcap failed" >&2; exit 1; }
  echo "$sig" >"$rec.tmp/.done"
  mv "$rec.tmp" "$rec"
fi
inputs=("$rec"/*.ncap.gz)

out=/dev/shm/netcap-bench-collect.$$
if ! [ -d /dev/shm ] || [ "$(df --output=avail -k /dev/shm 2>/dev/null | tail -n 1)" -lt 2000000 ] 2>/dev/null; then
  out=$WORK/out
fi
RUNDIR=$WORK/run
rm -rf "$RUNDIR"; mkdir -p "$RUNDIR"
col_pid=
load_pids=()
cleanup() {
  [ -n "$col_pid" ] && kill "$col_pid" 2>/dev/null || true
  for p in "${load_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$out"
}
trap cleanup EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# "TID TICKS" per thread of a process.
thread_ticks() { for f in /proc/"$1"/task/*/stat; do awk '{print $1, $14 + $15}' "$f" 2>/dev/null; done; }
rcvbuf_errors() { awk '/^Udp:/ {n++; if (n == 1) for (i = 1; i <= NF; i++) c[$i] = i; else print $c["RcvbufErrors"]}' /proc/net/snmp; }
# Bytes waiting in the receive queues of sockets bound to our port.
rx_queue() {
  awk -v p="$(printf ':%04X' "$PORT")" 'NR > 1 && substr($2, length($2) - 4) == p {split($5, q, ":"); print q[2]}' /proc/net/udp |
    { local s=0 h; while read -r h; do s=$((s + 16#$h)); done; echo $s; }
}
now_ns() { date +%s%N; }
# Whether a UDP socket is bound to our port: netcap-collect binds with
# SO_REUSEPORT, so a second collector (another run of this script) would
# silently share the port and take some of the sensors.
port_busy() {
  awk -v p="$(printf ':%04X' "$PORT")" 'NR > 1 && substr($2, length($2) - 4) == p {f = 1} END {exit !f}' \
    /proc/net/udp /proc/net/udp6 2>/dev/null
}

# run_once RATE R: one run; appends its figures (one line) to $RUNDIR/rate-RATE.
run_once() {
  local rate=$1 r=$2 d=$RUNDIR/$1.$2 per recs t_go t_end c0 c1 e0 e1 i
  mkdir -p "$d"; rm -rf "$out"
  if port_busy; then
    echo "bench-collect: UDP port $PORT on this machine is in use (another collector?); set COLLECT_BENCH_PORT" >&2
    exit 1
  fi
  "$COLLECT" --listen "127.0.0.1:$PORT" --key "$keys/collector.key" --allow "$keys/allow" -o "$out" \
    --stats-file "$d/stats.json" --stats-interval 0 --quiet ${THREADS:+--threads $THREADS} 2>"$d/collector.err" &
  col_pid=$!
  for _ in $(seq 50); do [ -s "$d/stats.json" ] && break; sleep 0.1; done
  [ -s "$d/stats.json" ] || { cat "$d/collector.err" >&2; echo "bench-collect: collector did not start" >&2; exit 1; }
  if [ "$rate" = 0 ]; then per=0; recs=$UNL_RECORDS
  else per=$(awk -v r="$rate" -v n="$NS" 'BEGIN{printf "%.0f", r / n}'); recs=$(awk -v p="$per" -v s="$SECONDS_RUN" 'BEGIN{printf "%.0f", p * s}'); fi
  load_pids=()
  for i in $(seq 1 "$NS"); do
    "$LOAD" --to "127.0.0.1:$PORT" --collector-pub "$keys/collector.pub" --sensor-key "$keys/sensor$i.key" \
      --id "sensor$i" --rate "$per" --seconds "$SECONDS_RUN" --records "$recs" --wait-signal "${inputs[@]}" \
      >"$d/load$i.out" 2>"$d/load$i.err" &
    load_pids+=($!)
  done
  for i in $(seq 1 "$NS"); do   # every generator has sealed its datagrams
    until grep -q ': ready$' "$d/load$i.err" 2>/dev/null; do
      kill -0 "${load_pids[$((i - 1))]}" 2>/dev/null || { cat "$d/load$i.err" >&2; exit 1; }
      sleep 0.05
    done
  done
  e0=$(rcvbuf_errors); c0=$(cpu_ticks "$col_pid"); thread_ticks "$col_pid" >"$d/threads0"
  t_go=$(now_ns)
  kill -USR1 "${load_pids[@]}"
  for p in "${load_pids[@]}"; do wait "$p" || { echo "bench-collect: a generator failed" >&2; cat "$d"/load*.err >&2; exit 1; }; done
  load_pids=()
  for _ in $(seq 100); do [ "$(rx_queue)" = 0 ] && break; sleep 0.05; done   # the collector drains its sockets
  sleep 0.2
  t_end=$(now_ns); c1=$(cpu_ticks "$col_pid"); e1=$(rcvbuf_errors); thread_ticks "$col_pid" >"$d/threads1"
  # the busiest thread's CPU ticks over the run
  local tmax
  tmax=$(awk 'NR == FNR {a[$1] = $2; next} {d = $2 - a[$1]; if (d > m) m = d} END {print m + 0}' "$d/threads0" "$d/threads1")
  kill -TERM "$col_pid"; wait "$col_pid" || true; col_pid=
  rm -rf "$out"
  # sent: sums over the generators; received: the collector's final stats.
  local st
  st=$(jq -r '[.datagrams, .accepted, .dropped, ([.sensors[].records] | add), ([.sensors[].gaps] | add),
               ([.sensors[].last_seen_ns] | max),
               ([.drops | to_entries[] | select(.value > 0) | "\(.key)=\(.value)"] | join(",") | if . == "" then "-" else . end)]
              | @tsv' "$d/stats.json")
  cat "$d"/load*.out | awk -v rate="$rate" -v t_go="$t_go" -v c="$((c1 - c0))" -v hz="$HZ" \
      -v kerr="$((e1 - e0))" -v st="$st" -v seq="$r" -v tmax="$tmax" '
    { for (i = 2; i < NF; i += 2) v[$i] = $(i + 1)
      rec += v["records"]; dg += v["datagrams"]; by += v["bytes"]; err += v["send_errors"]
      cpu += v["cpu_s"]; if (v["seconds"] > secs) secs = v["seconds"]
      if (v["rpd_max"] + 0 > rmax) rmax = v["rpd_max"] + 0
      if (NR == 1 || v["rpd_min"] + 0 < rmin) rmin = v["rpd_min"] + 0 }
    END {
      split(st, s, "\t")
      rdg = s[2]; rrec = s[4]; gaps = s[5]; last = s[6]; drops = s[7]
      unseen = dg - rdg - gaps   # never seen: lost after the last datagram received
      lost = dg - rdg
      rsecs = (last - t_go) / 1e9; if (rsecs < secs) rsecs = secs
      # records: exact when nothing was lost, else within what the lost
      # datagrams can have held.
      if (lost == 0) ok = (rrec == rec && s[3] == 0) ? "ok" : "MISMATCH"
      else ok = (rrec <= rec - lost * rmin && rrec >= rec - lost * rmax && unseen >= 0 && s[3] == 0) ? "ok" : "MISMATCH"
      printf "%s %d %d %d %d %.3f %d %d %d %d %d %.3f %s %.3f %.3f %s %d %d %.3f\n", rate, rec, dg, by, err, secs, rrec, rdg,
             gaps, unseen, lost, rsecs, drops, c / hz, cpu, ok, kerr, seq, tmax / hz
    }' >>"$RUNDIR/rate-$rate"
  # gaps per sensor, for the progress line
  jq -r '[.sensors[] | select(.gaps > 0) | "\(.id) \(.gaps)"] | join(", ")' "$d/stats.json" >"$d/gaps"
}

median() { sort -g | awk '{v[NR]=$1} END{if (NR==0) print ""; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
col() { awk -v k="$1" '{print $k}' "$2" | median; }

IFS=, read -r -a rates <<<"$RATES"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
sealed=
echo "bench-collect: $NS generators, ${SECONDS_RUN} s a run, $RUNS runs per step, input $(basename -a "${inputs[@]}" | tr '\n' ' ')" >&2
echo "bench-collect: collector output in $out; load average before: $load_before" >&2
for r in $(seq 1 "$RUNS"); do
  for rate in "${rates[@]}"; do
    run_once "$rate" "$r"
    tail -n 1 "$RUNDIR/rate-$rate" | awk -v g="$(cat "$RUNDIR/$rate.$r/gaps")" '{printf "bench-collect: run %s rate %s: sent %d records %d datagrams in %.2f s, received %d records %d datagrams, lost %d (gaps %d%s, unseen %d), drops %s, collector %.2f CPU s, senders %.2f CPU s, %s\n", $18, ($1 ? $1 : "unlimited"), $2, $3, $6, $7, $8, $11, $9, (g != "" ? ": " g : ""), $10, $13, $14, $15, $16}' >&2
    [ -n "$sealed" ] || sealed=$(grep -h 'sealed' "$RUNDIR/$rate.$r/load1.err" | head -n 1)
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- table -----------------------------------------------------------------------
echo
echo "Measured $(date -u '+%Y-%m-%d %H:%M') UTC at commit $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) CPUs, load average before $load_before, after $load_after."
echo "$NS generators x ${SECONDS_RUN} s, medians of $RUNS runs; collector: $("$COLLECT" --version 2>/dev/null | head -n 1 || true) ${THREADS:+--threads $THREADS}(threads: $(jq .threads "$RUNDIR/${rates[0]}.1/stats.json"))."
echo "Input: ${sealed#collect-load: sensor1: }"
echo
echo "| offered (target) | sent records/s | received records/s | received datagrams/s | lost datagrams (gaps + unseen) | loss | drops | kernel RcvbufErrors | collector CPU (busiest thread) | senders CPU | check |"
echo "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|"
for rate in "${rates[@]}"; do
  f=$RUNDIR/rate-$rate
  # per run: sent rate, received rate, datagrams/s, loss %, CPU %
  awk '{ s = $6 > 0 ? $2 / $6 : 0; rr = $12 > 0 ? $7 / $12 : 0; dr = $12 > 0 ? $8 / $12 : 0
         loss = $3 > 0 ? 100 * $11 / $3 : 0
         printf "%.0f %.0f %.0f %.3f %.0f %.0f %d %.0f\n", s, rr, dr, loss, 100 * $14 / $12, 100 * $15 / $12, $11, 100 * $19 / $12 }' "$f" >"$f.derived"
  m() { awk -v k="$1" '{print $k}' "$f.derived" | median; }
  lost_all=$(awk '{printf "%s%d (%d+%d)", (NR > 1 ? ", " : ""), $11, $9, $10}' "$f")
  drops=$(awk '{print $13}' "$f" | sort -u | paste -sd' ')
  kerr=$(awk '{printf "%s%d", (NR > 1 ? ", " : ""), $17}' "$f")
  checks=$(awk '{print $16}' "$f" | sort -u | paste -sd' ')
  label=$([ "$rate" = 0 ] && echo "unlimited" || awk -v r="$rate" 'BEGIN{printf "%.2f M/s", r / 1e6}')
  lossr=$(awk '{printf "%s%.2f%%", (NR > 1 ? ", " : ""), $4}' "$f.derived")
  printf '| %s | %.3f M | %.3f M | %.0f | %s | %s | %s | %s | %s%% (%s%%) | %s%% | %s |\n' "$label" \
    "$(m 1 | awk '{print $1 / 1e6}')" "$(m 2 | awk '{print $1 / 1e6}')" "$(m 3)" "$lost_all" "$lossr" \
    "$drops" "$kerr" "$(m 5)" "$(m 8)" "$(m 6)" "$checks"
done
echo
echo "Runs in $RUNDIR (per run: stats.json, generator outputs)."
