# lib.sh: helpers sourced by the end-to-end tests (not a test itself).
set -euo pipefail
: "${NETCAP_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${NETCAP_BUILD:=$NETCAP_ROOT/build}"
: "${NETCAP_CORPUS:=$(cd "$NETCAP_ROOT/.." && pwd)/shared/corpus}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "skipped: $*"; exit 77; }
need_corpus() { [ -d "$NETCAP_CORPUS/$1" ] || skip "corpus folder $NETCAP_CORPUS/$1 absent"; }
