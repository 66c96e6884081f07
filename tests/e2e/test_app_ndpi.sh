#!/usr/bin/env bash
# test_app_ndpi.sh: NETCAP's TLS hellos and HTTP transactions against
# nDPI 4.2, on the whole nDPI corpus (../shared/corpus/ndpi: each capture's
# NAME.pcap.out is nDPI's own expected output, which ndpiReader 4.2
# reproduces).
#
# On every capture whose .out reports a JA3C, a JA3S, a TLS flow's SNI or
# an HTTP flow's URL on a TCP flow, netcap writes TLSClientHello,
# TLSServerHello and HTTP records (-w 1), and tests/e2e/app_ndpi_compare.py
# looks for each value nDPI reports among our records of the same flow (the
# unordered pair of endpoints): JA3C = Ja3, JA3S = Ja3s, SNI = SNI (nDPI
# lower-cases it), URL = Host + URL, StatusCode = StatusCode. Printed per
# capture and in total: values nDPI reports, found, missing,
# contradicting (ours has another value for the flow).
#
# The aim is all of them: the test fails on any missing or contradicting
# value not listed, with its investigated cause, in
# tests/e2e/app_ndpi_exceptions.tsv (capture, flow, field, reason), and on
# any listed exception that no longer happens (the list stays true).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

EXCEPTIONS=$NETCAP_ROOT/tests/e2e/app_ndpi_exceptions.tsv
# nDPI values of the corpus (717 TLS ones, 1,087 HTTP ones in nDPI 4.2's
# outputs): fewer means the .out files were not read as they should be.
MIN_TLS_VALUES=700
MIN_HTTP_VALUES=1000

need_engine
need_corpus ndpi
[ -x "$PY" ] || skip "$PY absent"
[ -f "$EXCEPTIONS" ] || fail "$EXCEPTIONS missing"

start=$SECONDS
n=0
: >"$TMP/all.cmp"
for pcap in "$NETCAP_CORPUS"/ndpi/*.pcap "$NETCAP_CORPUS"/ndpi/*.pcapng; do
  name=ndpi/$(basename "$pcap")
  ndpi_out=$pcap.out
  [ -f "$ndpi_out" ] || fail "$name: nDPI's output $ndpi_out absent"
  grep -aqE '^	[0-9]+	TCP .*\[(JA3C|JA3S|Hostname/SNI|URL): ' "$ndpi_out" || continue
  out=$TMP/$(basename "$pcap")
  run_netcap "$out" -r "$pcap" -w 1 -q --include HTTP,TLSClientHello,TLSServerHello
  NETCAP_BUILD=$NETCAP_BUILD "$PY" "$NETCAP_ROOT/tests/e2e/app_ndpi_compare.py" \
    "$name" "$ndpi_out" "$out" "$EXCEPTIONS" >"$out.cmp" || fail "app_ndpi_compare.py $name"
  grep -q '^TOTAL ' "$out.cmp" || fail "app_ndpi_compare.py $name printed no totals"
  cat "$out.cmp" >>"$TMP/all.cmp"
  rm -rf "$out"
  n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "no capture of $NETCAP_CORPUS/ndpi has TLS or HTTP values"
echo "runtime: $((SECONDS - start)) s for $n captures (netcap and the comparison)"

# Per capture with something reported, then the totals; the problems.
"$PY" - "$TMP/all.cmp" "$MIN_TLS_VALUES" "$MIN_HTTP_VALUES" "$EXCEPTIONS" <<'EOF' || fail "NETCAP's records miss or contradict nDPI's values (above)"
import collections, sys
path, min_tls, min_http, exc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
tot = collections.Counter()
problems, captures = [], 0
current = []
for line in open(path, encoding="utf-8", errors="replace"):
    if line.startswith("TOTAL "):
        _, name, *kv = line.split()
        c = collections.Counter({k: int(v) for k, v in (x.split("=") for x in kv)})
        tot += c
        captures += 1
        if c["reported"] or c["http_reported"]:
            print(f"{name}: nDPI {c['reported']} TLS values: found {c['found']}, missing {c['missing']}, "
                  f"contradicting {c['contradicting']}, excepted {c['excepted']}; "
                  f"{c['http_reported']} HTTP values: found {c['http_found']}, "
                  f"missing {c['http_missing']}, excepted {c['http_excepted']}")
        for p in current:
            print("  " + p)
            if not p.startswith("excepted"):
                problems.append(f"{name} {p}")
        current = []
    else:
        current.append(line.strip())
print(f"total: {captures} captures; nDPI {tot['reported']} TLS values (JA3C, JA3S, SNI): "
      f"found {tot['found']}, missing {tot['missing']}, contradicting {tot['contradicting']}, "
      f"excepted {tot['excepted']}; {tot['http_reported']} HTTP values (URL, StatusCode): "
      f"found {tot['http_found']}, missing {tot['http_missing']}, excepted {tot['http_excepted']}")
if tot["reported"] < min_tls or tot["http_reported"] < min_http:
    problems.append(f"only {tot['reported']} TLS and {tot['http_reported']} HTTP values read from nDPI's "
                    f"outputs (at least {min_tls} and {min_http} expected)")
rows = sum(1 for l in open(exc) if l.strip() and not l.startswith("#"))
if rows != tot["excepted"] + tot["http_excepted"] + sum("UNUSED-EXCEPTION" in p for p in problems):
    problems.append(f"{exc}: {rows} rows, {tot['excepted'] + tot['http_excepted']} used "
                    "(a row whose capture was not compared, or listed twice)")
for p in problems:
    print("PROBLEM " + p)
sys.exit(1 if problems else 0)
EOF
echo "ok"
