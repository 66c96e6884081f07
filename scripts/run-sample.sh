#!/usr/bin/env bash
# run-sample.sh: what `make run` shows: replay the bundled sample capture
# through the appliance, print its summary, then the first TCP records.
set -euo pipefail
cd "$(dirname "$0")/.."
pcap=${1:-tests/data/sample.pcap}
out=${OUT:-out}
rm -rf "$out"
echo "== build/netcap -r $pcap -o $out"
build/netcap -r "$pcap" -o "$out"
echo
echo "== files in $out/"
ls -l "$out"
echo
echo "== build/netcap-dump $out/TCP.ncap.gz | head -n 6"
build/netcap-dump "$out/TCP.ncap.gz" | head -n 6
echo
echo "(every file reads the same way: build/netcap-dump --json $out/IPv4.ncap.gz, --select, --utc; see README.md)"
