#!/usr/bin/env bash
# install-deps.sh: install every Debian package NETCAP builds, tests or
# benchmarks with, and nothing when they are all present already.
# Called by `make run`, `make test` and `make bench`; safe to run by hand.
set -euo pipefail

packages=(
  build-essential pkg-config
  libdpdk-dev dpdk-dev            # capture engine (DPDK 22.11)
  libprotobuf-c-dev protobuf-c-compiler
  libdeflate-dev libsodium-dev libpcap-dev
  nettle-dev                      # MD5 and SHA-256 for JA3, JA3S, JA4, JA4S
  libcriterion-dev                # unit tests
  libjansson-dev                  # eve.json alerts for netcap-label (lib/label/alerts.c)
  libnats-dev nats-server         # NATS JetStream for netcap-collect (lib/collect/nats.c; the server for its tests)
  clang-14 libclang-rt-14-dev     # libFuzzer targets (make fuzz, tests/e2e/test_fuzz.sh)
  python3 python3-protobuf protobuf-compiler   # wire-compatibility oracle
  tshark tcpdump tcpreplay iproute2 time       # oracles, live-capture tests, bench peak RSS
  curl                            # scrapes the metrics endpoints (tests/e2e/test_metrics.sh)
  nfdump                          # nfpcapd: the flow benchmark's reference (scripts/bench-flows.sh)
  man-db groff-base systemd       # make install's man pages and units: man -l, systemd-analyze (tests/e2e/test_install.sh)
)
# From bookworm-backports: Debian 12 itself has no Suricata 7.
backports=(
  suricata                        # the benchmark's IDS row (scripts/bench.sh), alert labels
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
missing_bpo=()
for p in "${backports[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing_bpo+=("$p")
done
[ ${#missing[@]} -eq 0 ] && [ ${#missing_bpo[@]} -eq 0 ] && exit 0

# The backports serve the benchmark and labeling, not the build or the
# tests: without them (no root, no route to the backports) the rest goes on.
bpo_hint="sudo apt-get install -t bookworm-backports ${missing_bpo[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: warning: ${missing_bpo[*]} missing (as root: $bpo_hint); the build and the tests do not need it" >&2
    exit 0
  fi
  echo "install-deps: missing packages: ${missing[*]} ${missing_bpo[*]}" >&2
  echo "install-deps: run as root (or: sudo apt-get install ${missing[*]}; $bpo_hint)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]} ${missing_bpo[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer before it asks.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ${#missing_bpo[@]} -gt 0 ]; then
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo 'deb http://deb.debian.org/debian bookworm-backports main' >/etc/apt/sources.list.d/netcap-backports.list
  fi
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends -t bookworm-backports \
           "${missing_bpo[@]}" >/dev/null; }; then
    echo "install-deps: warning: could not install ${missing_bpo[*]} from bookworm-backports; the build and the tests do not need it (make bench skips its Suricata row)" >&2
  fi
fi
