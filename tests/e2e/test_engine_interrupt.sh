#!/usr/bin/env bash
# test_engine_interrupt.sh: SIGINT and SIGTERM in the middle of a replay end
# it cleanly.
#
# A replay input of about 390 MB (1.7 M packets: small-packet ndpi captures
# merged, then repeated with mergecap -a) is started in the background with
# --level 6 (slower compression: the run lasts a few seconds). Half a second
# after the first record file appears, the signal is sent. Then:
#   - netcap exits 0 and its summary says "incomplete N of M packets read
#     (interrupted)", M being the packets in the file (capinfos) and N < M;
#   - the summary's packets line says N too, and its Ethernet record count
#     is N (every packet read is decoded before the end, and each is one
#     Ethernet frame);
#   - every .ncap.gz written reads to its end with netcap-dump (exit 0), and
#     holds as many records as the summary says for its type.
# SIGINT with one worker; SIGTERM with two workers (the dispatcher's rings
# are drained after the stop).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

MIX="ip_fragmented_garbage.pcap synscan.pcap vnc.pcap fix.pcap 1kxun.pcap teams.pcap
  skype_no_unknown.pcap nintendo.pcap"
REPEAT=90

need_engine
need_corpus ndpi
command -v mergecap >/dev/null || skip "mergecap absent (apt-get install wireshark-common)"

files=()
for f in $MIX; do
  [ -f "$NETCAP_CORPUS/ndpi/$f" ] || fail "ndpi/$f absent from the corpus"
  files+=("$NETCAP_CORPUS/ndpi/$f")
done
mergecap -F pcap -w "$TMP/mix.pcap" "${files[@]}" || fail "mergecap failed"
copies=()
for _ in $(seq "$REPEAT"); do copies+=("$TMP/mix.pcap"); done
mergecap -a -F pcap -w "$TMP/big.pcap" "${copies[@]}" || fail "mergecap -a failed"
rm -f "$TMP/mix.pcap"
total=$(capinfos -c -M "$TMP/big.pcap" | awk '/Number of packets/ {print $NF}')
echo "-- input: $(($(stat -c %s "$TMP/big.pcap") >> 20)) MB, $total packets"

pid=
trap 'if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi; rm -rf "$TMP"' EXIT

# interrupted_run NAME SIGNAL NETCAP_ARGS...
interrupted_run() {
  local name=$1 sig=$2 out=$TMP/$1; shift 2
  echo "-- $name: $sig after the first record file appears, netcap $*"
  "$NETCAP" -r "$TMP/big.pcap" -o "$out" --level 6 "$@" >"$out.summary" 2>"$out.stderr" &
  pid=$!
  local waited=0
  until compgen -G "$out/*.ncap.gz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$out.summary" "$out.stderr"; fail "$name: netcap ended before writing anything"; }
    sleep 0.1
    waited=$((waited + 1))
    [ "$waited" -lt 600 ] || fail "$name: no record file after 60 s"
  done
  sleep 0.5
  kill -"$sig" "$pid" 2>/dev/null || true
  wait_exit "$pid" 60
  local rc=$WAIT_RC
  pid=
  cat "$out.summary"
  [ "$rc" -eq 0 ] || { cat "$out.stderr"; fail "$name: netcap exited $rc after $sig"; }

  local line read_n of_m
  line=$(grep '^  incomplete' "$out.summary") ||
    fail "$name: no 'incomplete' line: the run ended before $sig (make the input larger)"
  read -r read_n of_m <<<"$(sed -n 's/^  incomplete  \([0-9]*\) of \([0-9]*\) packets read (interrupted)$/\1 \2/p' <<<"$line")"
  [ -n "$read_n" ] || fail "$name: unexpected line: $line"
  [ "$of_m" = "$total" ] || fail "$name: summary says of $of_m packets, the file has $total"
  [ "$read_n" -lt "$total" ] && [ "$read_n" -gt 0 ] || fail "$name: $read_n of $total packets read"
  local packets
  packets=$(awk '/^  packets/ {print $2}' "$out.summary")
  [ "$packets" = "$read_n" ] || fail "$name: packets line says $packets, incomplete line $read_n"

  local t n_sum n_file checked=0
  for t in $(awk '$3 == "records" && $1 ~ /^[A-Za-z0-9]+$/ {print $1}' "$out.summary"); do
    n_sum=$(awk -v t="$t" '$1 == t && $3 == "records" {print $2}' "$out.summary")
    [ -f "$out/$t.ncap.gz" ] || fail "$name: summary has $n_sum $t records, no $t.ncap.gz"
    n_file=$("$DUMP" --count "$out/$t.ncap.gz" 2>"$out.dump.err") ||
      fail "$name: netcap-dump cannot read $t.ncap.gz: $(cat "$out.dump.err")"
    "$DUMP" "$out/$t.ncap.gz" >/dev/null 2>"$out.dump.err" ||
      fail "$name: netcap-dump fails printing $t.ncap.gz: $(cat "$out.dump.err")"
    [ "$n_file" = "$n_sum" ] || fail "$name: $t: summary $n_sum records, file $n_file"
    echo "$name: $t $n_file records, as the summary says"
    checked=$((checked + 1))
  done
  [ "$checked" -gt 0 ] || fail "$name: no record type in the summary"
  # No file without a summary line either.
  local f
  for f in "$out"/*.ncap.gz; do
    t=$(basename "$f" .ncap.gz)
    grep -qE "^    $t +[0-9]+ records" "$out.summary" || {
      n_file=$("$DUMP" --count "$f") || fail "$name: netcap-dump cannot read $f"
      [ "$n_file" = 0 ] || fail "$name: $f holds $n_file records, the summary none"
    }
  done
  local eth
  eth=$(awk '$1 == "Ethernet" && $3 == "records" {print $2}' "$out.summary")
  [ "$eth" = "$read_n" ] || fail "$name: $read_n packets read, $eth Ethernet records"
  rm -rf "$out"
}

interrupted_run sigint INT -w 1
interrupted_run sigterm TERM -w 2 -- -l 0-1
echo "ok"
