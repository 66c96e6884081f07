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
  libcriterion-dev                # unit tests
  clang-14 libclang-rt-14-dev     # libFuzzer targets (make fuzz, tests/e2e/test_fuzz.sh)
  python3 python3-protobuf protobuf-compiler   # wire-compatibility oracle
  tshark tcpdump tcpreplay iproute2 time       # oracles, live-capture tests, bench peak RSS
  nfdump                          # nfpcapd: the flow benchmark's reference (scripts/bench-flows.sh)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer before it asks.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
