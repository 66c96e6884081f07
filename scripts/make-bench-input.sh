#!/usr/bin/env bash
# make-bench-input.sh: builds (once) the benchmark input of scripts/bench.sh
# and prints its path on stdout, its packet count and size on stderr.
#
#   bench-data/bench-<MB>MB.pcap   every Ethernet pcap/pcapng of the nDPI
#       corpus concatenated in name order (mergecap -a -F pcap; files of any
#       other link type are left out, as capinfos reports it), then again and
#       again with shifted addresses until the file holds BENCH_MB megabytes
#       (10^6 bytes; the last copy is cut where the size is reached).
#       Copy 0 is the corpus unchanged; in copy k every IPv4 address has its
#       third octet XORed with k (second octet with k>>8), every IPv6 address
#       its 14th byte, except 0.0.0.0, 255.255.255.255, :: and ff00::/8, so
#       each copy carries flows of its own. Timestamps are kept (the corpus
#       spans decades and is not in time order anyway). No checksum is
#       fixed: NETCAP's decoders do not verify them.
#
#   scripts/make-bench-input.sh --merged OUT
#       writes only the first step, the merged corpus, to OUT (for
#       scripts/device-kit.sh, which scales it where the benchmark runs).
#
# Environment: BENCH_MB (default 400), BENCH_CORPUS (default
# $NETCAP_CORPUS/ndpi, else ../shared/corpus/ndpi beside the repo),
# BENCH_DATA (default bench-data/ of the repo). The file is rebuilt only when
# its size or the corpus (names and sizes of its files) changes.
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${BENCH_MB:-400}
CORPUS=${BENCH_CORPUS:-${NETCAP_CORPUS:-$(cd .. && pwd)/shared/corpus}/ndpi}
DATA=${BENCH_DATA:-$PWD/bench-data}
[[ $MB =~ ^[0-9]+$ ]] && [ "$MB" -gt 0 ] || { echo "make-bench-input: BENCH_MB must be a positive integer" >&2; exit 2; }
[ -d "$CORPUS" ] || { echo "make-bench-input: no corpus at $CORPUS (set BENCH_CORPUS)" >&2; exit 2; }
for tool in capinfos mergecap; do
  command -v $tool >/dev/null || { echo "make-bench-input: $tool missing (make deps)" >&2; exit 2; }
done
SCALE=$PWD/build/bench/scale-pcap
[ -x "$SCALE" ] || { echo "make-bench-input: $SCALE missing (make bench-tools)" >&2; exit 2; }
mkdir -p "$DATA"
out=$DATA/bench-${MB}MB.pcap
sig=$( (cd "$CORPUS" && find . -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) \
        -printf '%f %s\n' | LC_ALL=C sort; echo "mb=$MB v=2") | sha256sum | cut -c1-16)

MERGED_ONLY=
if [ "${1:-}" = --merged ]; then
  [ -n "${2:-}" ] || { echo "usage: make-bench-input.sh [--merged OUT]" >&2; exit 2; }
  MERGED_ONLY=$2
fi

if [ -z "$MERGED_ONLY" ] && [ -f "$out" ] && [ "$(cat "$out.sig" 2>/dev/null)" = "$sig" ]; then
  :
else
  rm -f "$out" "$out.sig"
  tmp=$(mktemp -d "$DATA/build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # Link type of every capture: capinfos' machine-readable table.
  mapfile -t all < <(cd "$CORPUS" && find . -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) \
                      -printf '%f\n' | LC_ALL=C sort)
  : >"$tmp/ether.list"
  skipped=()
  for f in "${all[@]}"; do
    enc=$(capinfos -T -M -r -E "$CORPUS/$f" 2>/dev/null | awk -F'\t' 'NR==1{print $2}' || true)
    if [ "$enc" = ether ]; then echo "$CORPUS/$f" >>"$tmp/ether.list"; else skipped+=("$f ($enc)"); fi
  done
  n_ether=$(wc -l <"$tmp/ether.list")
  echo "make-bench-input: $n_ether Ethernet captures of ${#all[@]} in $CORPUS; left out: ${skipped[*]:-none}" >&2
  # -a: concatenate in the order given, no sorting by time. Captures cut
  # short end where they are readable (mergecap warns and goes on).
  mapfile -t ether <"$tmp/ether.list"
  mergecap -a -F pcap -w "$tmp/merged.pcap" "${ether[@]}" 2> >(grep -v '^$' | sed 's/^/make-bench-input: mergecap: /' >&2) || true
  [ -s "$tmp/merged.pcap" ] || { echo "make-bench-input: mergecap produced nothing" >&2; exit 1; }
  if [ -n "$MERGED_ONLY" ]; then
    mv "$tmp/merged.pcap" "$MERGED_ONLY"
    echo "$MERGED_ONLY"
    exit 0
  fi
  # Copies with shifted addresses: bench/scale-pcap.c (also what
  # scripts/device-kit.sh runs on machines without this script's tools).
  "$SCALE" "$tmp/merged.pcap" "$tmp/out.pcap" "$MB" 2> >(sed 's/^scale-pcap:/make-bench-input:/' >&2)
  mv "$tmp/out.pcap" "$out"
  echo "$sig" >"$out.sig"
fi
packets=$(capinfos -T -M -r -c "$out" 2>/dev/null | awk -F'\t' '{print $2}' || true)
bytes=$(stat -c %s "$out")
echo "make-bench-input: $out: $packets packets, $bytes bytes ($(awk -v b=$bytes "BEGIN{printf \"%.1f\", b/1e6}") MB)" >&2
echo "$out"
