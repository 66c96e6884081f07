#!/usr/bin/env bash
# seed_config.sh OUTDIR: seeds for fuzz_config (input format in
# tests/fuzz/fuzz_config.c): the shipped config/netcap.conf with a few
# command lines, and small files with bad values.
set -euo pipefail
out=$1
mkdir -p "$out"
root=${NETCAP_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
i=0
seed() { # TEXT ARGS...
  local text=$1; shift
  { printf '%s' "$text"; for a in "$@"; do printf '\0%s' "$a"; done; } >"$out/seed$((i++))"
}
conf=$(cat "$root/config/netcap.conf")
seed "$conf"
seed "$conf" -r a.pcap -o out --include TCP,UDP
seed "$conf" -read a.pcap -out out -include DNS -w 2 -- -l 0-1 --no-huge
seed "[input]
read = a.pcap, b.pcap
[flows]
flow-capacity = 4096
[eal]
args = -l 0 --no-huge -m 256" -r x.pcap --no-entropy --level 12
seed "[output]
level = 99
chunk-size = 1G" -r x.pcap
seed "[lcores]
workers = -1" -i eth0 --ring-size 1000
seed "" --help
seed "[flows]
tcp-idle-timeout = 18446744073709551616" --pci 0000:01:00.0 --chunk-size 64K --member-size 4K
