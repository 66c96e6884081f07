#!/usr/bin/env bash
# device-kit.sh: packs what the scaling benchmark needs on a many-core
# machine that has no DPDK, no Debian packages and no Python (the `device`
# tool's machine; ../shared/reference/platform-notes.md, "Measuring on a
# many-core machine"), into a folder the tool carries (64 MiB at most).
#
#   scripts/device-kit.sh [DIR]        (default device-kit/, git-ignored)
#
# DIR/bin       netcap, rx-only, split-by-flow, scale-pcap (built here:
#               run `make all bench-tools build/tests/split-by-flow` first)
# DIR/lib       every library they load except glibc's (librte_bus_vdev
#               among them: loaded as a plugin too it registers a second
#               vdev bus and the pcap port fails to probe)
# DIR/plugins   the DPDK plugins the run needs (pcap PMD, ring mempool),
#               named *.so: EAL's -d skips other names
# DIR/corpus.pcap  the merged Ethernet captures of the nDPI corpus
#               (make-bench-input.sh --merged); scale-pcap makes the 400 MB
#               input from it there, byte for byte the one `make bench` uses
# DIR/scripts/bench-scaling.sh and DIR/run.sh, which the device runs:
#
#   run(command="bash device-kit/run.sh", carry=["device-kit"])
#
# run.sh copies the kit under /root (EAL refuses a plugin folder under a
# world-writable one), makes the input, runs bench-scaling.sh for every
# record type and for flows only (--include Connection,Flow), and leaves
# the tables and every run's summary (per-lcore tables) in $OUT. Test the
# kit here first: `scripts/device-kit.sh && sudo unshare -m bash -c 'mount
# -t tmpfs none /usr/lib/x86_64-linux-gnu/dpdk && OUT=/tmp/kit-out
# BENCH_LCORES=2 BENCH_RUNS=1 BENCH_MB=50 bash device-kit/run.sh'` (the
# tmpfs hides the system's plugins, so a missing file shows).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DIR=${1:-device-kit}
BINS=(build/netcap build/bench/rx-only build/tests/split-by-flow build/bench/scale-pcap)
for b in "${BINS[@]}"; do
  [ -x "$b" ] || { echo "device-kit: $b missing: make all bench-tools build/tests/split-by-flow" >&2; exit 2; }
done
PMDS=$(pkg-config --variable=pmdsdir libdpdk 2>/dev/null || true)
[ -n "$PMDS" ] && [ -d "$PMDS" ] || PMDS=$(dirname "$(ls /usr/lib/x86_64-linux-gnu/dpdk/pmds-*/librte_net_pcap.so.* | head -n 1)")
rm -rf "$DIR"
mkdir -p "$DIR/bin" "$DIR/lib" "$DIR/plugins" "$DIR/scripts"
cp "${BINS[@]}" "$DIR/bin/"
# Plugins, then every library the programs and plugins load, but glibc's.
for p in librte_net_pcap librte_mempool_ring; do
  src=$(ls "$PMDS/$p.so."* | sort | tail -n 1)
  cp -L "$src" "$DIR/plugins/$p.so"
done
for f in "$DIR"/bin/* "$DIR"/plugins/*; do
  ldd "$f" | awk '$3 ~ /^\// {print $3}'
done | sort -u | while read -r lib; do
  case $(basename "$lib") in
    libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*|libresolv.so.*) continue ;;
  esac
  cp -L "$lib" "$DIR/lib/"
done
scripts/make-bench-input.sh --merged "$ROOT/$DIR/corpus.pcap" >/dev/null
cp scripts/bench-scaling.sh "$DIR/scripts/"
cat >"$DIR/run.sh" <<'RUN'
#!/usr/bin/env bash
# run.sh: the scaling benchmark on the many-core machine (made by
# scripts/device-kit.sh; see there). Environment: OUT (results; the device
# tool's $OUT), BENCH_MB (400), BENCH_RUNS (3), BENCH_LCORES (every CPU).
set -euo pipefail
KIT=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:?OUT must name the results folder}
HOME_KIT=/root/netcap-kit
DATA=/root/netcap-data
MB=${BENCH_MB:-400}
for tool in awk sed sort; do
  command -v $tool >/dev/null || { echo "run.sh: $tool missing on this machine" >&2; exit 2; }
done
rm -rf "$HOME_KIT"
mkdir -p "$HOME_KIT" "$DATA" "$OUT"
cp -a "$KIT"/. "$HOME_KIT"/
chmod 755 /root "$HOME_KIT" "$HOME_KIT/plugins"
export LD_LIBRARY_PATH=$HOME_KIT/lib
input=$DATA/bench-${MB}MB.pcap
[ -s "$input" ] || "$HOME_KIT/bin/scale-pcap" "$HOME_KIT/corpus.pcap" "$input" "$MB"
export NETCAP=$HOME_KIT/bin/netcap RXONLY=$HOME_KIT/bin/rx-only SPLIT=$HOME_KIT/bin/split-by-flow
export BENCH_INPUT=$input BENCH_EAL_ARGS="-d $HOME_KIT/plugins"
{ nproc; uname -a; sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1; } >"$OUT/machine.txt" 2>&1 || true
BENCH_KEEP=$OUT/runs-all bash "$HOME_KIT/scripts/bench-scaling.sh" | tee "$OUT/scaling-all.md"
BENCH_KEEP=$OUT/runs-flows BENCH_SCALING_ARGS="--include Connection,Flow" \
  bash "$HOME_KIT/scripts/bench-scaling.sh" | tee "$OUT/scaling-flows.md"
RUN
chmod +x "$DIR/run.sh"
echo "device-kit: $DIR: $(du -sh "$DIR" | cut -f1) ($(du -sb "$DIR" | cut -f1) bytes; the device tool carries 64 MiB)" >&2
