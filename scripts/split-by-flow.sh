#!/usr/bin/env bash
# split-by-flow.sh: splits a capture into N pcap files that each hold whole
# flows, for netcap --files-as-queues (each file is one worker's RX queue,
# read with no dispatcher):
#
#   scripts/split-by-flow.sh IN N OUTPREFIX
#   build/netcap --files-as-queues -w N -r OUTPREFIX.0.pcap -r OUTPREFIX.1.pcap ...
#
# Runs build/tests/split-by-flow (tests/tools/split-by-flow.c, which says
# how packets are spread), building it first when it is missing;
# NETCAP_BUILD names another build folder.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${NETCAP_BUILD:-$root/build}
[[ $build == /* ]] || build=$PWD/$build
tool=$build/tests/split-by-flow
if [ ! -x "$tool" ]; then
  make -s -C "$root" BUILD="$build" "$tool" >&2
fi
exec "$tool" "$@"
