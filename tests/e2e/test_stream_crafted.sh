#!/usr/bin/env bash
# test_stream_crafted.sh: TCP reassembly and the parsers over it (HTTP,
# TLS, DNS over TCP) on an adversarial capture of our own,
# tests/crafted/streams.py (its docstring lists the scenarios: segments out
# of order, overlaps and retransmissions with other bytes, sequence
# numbers wrapping, a ClientHello over two TLS records and three segments,
# a head over 16 KiB, pipelining, a response without a request, DNS
# messages split and joined, a connection picked up midstream, hellos
# without extensions, an alert before the ServerHello, a ClientHello that
# does not parse, a SYN-ACK whose IP length lies).
#
# 1. The capture is sound: tshark with IP and TCP checksum validation on
#    finds no bad checksum and nothing malformed (but in the connections
#    malformed on purpose, scenarios l and m); tshark's JA3 and JA3S of the
#    hellos are those streams.py computed (its JA4 is checked against
#    Suricata's by test_app_suricata.sh; its JA4S follows FoxIO's example,
#    "t130200_1301_234ea6891581" for extensions 0033,002b).
# 2. netcap (--include HTTP,TLSClientHello,TLSServerHello,DNS) writes, per
#    connection and type, exactly the records streams.expect.json lists,
#    in order, with the listed field values (URL, Host, StatusCode,
#    Truncated; SNI, JA3/JA3S/JA4/JA4S and the hello's lists as sent;
#    DNS question names).
# 3. Its summary's decoder events ("events      TCPStream out-of-order 2,
#    ...", lib/pipeline/report.c) are those streams.expect.json lists, in
#    number: each scenario's out-of-order segments, overlap with other
#    bytes, retransmission, midstream pick-up, cut head, response without a
#    request, bad hello, bad IP length; no gap, memory or depth event (a
#    pure ACK is no retransmission); no other HTTP, TLS or DNS event.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

need_engine
need_tshark
PYTHONDONTWRITEBYTECODE=1 "$PY" "$NETCAP_ROOT/tests/crafted/streams.py" "$TMP" || fail "streams.py failed"
PCAP=$TMP/streams.pcap

# ---- 1. the capture is sound -------------------------------------------
# The hellos malformed on purpose (scenario l) are malformed to tshark too.
on_purpose=$("$PY" -c 'import json, sys; print(",".join(map(str, json.load(open(sys.argv[1]))["malformed_on_purpose"])))' \
  "$TMP/streams.expect.json") || fail "streams.expect.json unreadable"
bad=$(tshark -n -r "$PCAP" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
        -Y "ip.checksum.status == 0 || tcp.checksum.status == 0 || ((_ws.malformed || _ws.expert.severity >= 0x00800000) && !(tcp.port in {${on_purpose:-0}}))" \
        -T fields -e frame.number -e _ws.expert.message 2>"$TMP/tshark.err") ||
  { cat "$TMP/tshark.err" >&2; fail "tshark could not read streams.pcap"; }
[ -z "$bad" ] || { echo "$bad" >&2; fail "streams.pcap: tshark finds bad checksums or malformed packets"; }
tshark -n -r "$PCAP" -o tcp.reassemble_out_of_order:TRUE \
  -Y "(tls.handshake.type == 1 || tls.handshake.type == 2) && !(tcp.port in {${on_purpose:-0}})" \
  -T fields -e tls.handshake.ja3 -e tls.handshake.ja3s >"$TMP/ja3.tshark" 2>"$TMP/tshark.err" ||
  { cat "$TMP/tshark.err" >&2; fail "tshark could not read streams.pcap"; }
"$PY" - "$TMP/streams.expect.json" "$TMP/ja3.tshark" <<'EOF' || fail "streams.py's JA3 or JA3S is not tshark's"
import json, sys
e = json.load(open(sys.argv[1]))
want = sorted(r["fields"].get("Ja3") or r["fields"]["Ja3s"] for r in e["records"]
              if r["type"].startswith("TLS") and r["client_port"] not in e["malformed_on_purpose"])
got = sorted(v for line in open(sys.argv[2]) for v in line.split() if v)
print(f"-- tshark's JA3/JA3S {got}, streams.py's {want}")
sys.exit(0 if got == want else 1)
EOF

# ---- 2. and 3. netcap's records and events -------------------------------
out=$TMP/out
if ! "$NETCAP" -r "$PCAP" -o "$out" -w 1 --no-progress --include HTTP,TLSClientHello,TLSServerHello,DNS \
     >"$out.summary" 2>"$out.stderr"; then
  cat "$out.summary" "$out.stderr" >&2
  fail "netcap failed on streams.pcap"
fi
for t in HTTP TLSClientHello TLSServerHello DNS; do
  if [ -f "$out/$t.ncap.gz" ]; then
    "$DUMP" --json "$out/$t.ncap.gz" >"$out/$t.json" || fail "netcap-dump --json $t.ncap.gz failed"
  else
    : >"$out/$t.json"
  fi
done

"$PY" - "$TMP/streams.expect.json" "$out" "$out.summary" <<'EOF' || fail "netcap's records or events differ from what streams.py expects (above)"
import collections, json, os, re, sys
expect = json.load(open(sys.argv[1]))
out, summary = sys.argv[2], open(sys.argv[3]).read()
# A record's scenario: the one whose 10 seconds its time falls in (HTTP
# records have no ports); the scenario's records carry its client port.
starts = sorted((s, letter) for letter, s in expect["starts"].items())
port_of = {e["scenario"]: e["client_port"] for e in expect["records"]}
got = collections.defaultdict(list)        # (type, client port) -> records
for typ in ("HTTP", "TLSClientHello", "TLSServerHello", "DNS"):
    for line in open(os.path.join(out, typ + ".json")):
        r = json.loads(line)
        sec = r["Timestamp"] // 1000000000
        letter = next((l for s, l in starts if s <= sec < s + 10), None)
        got[(typ, port_of.get(letter))].append(r)

def value(rec, path):
    v = rec
    for k in path.split("."):
        try:
            v = v[int(k)] if isinstance(v, list) else v[k]
        except (KeyError, IndexError, TypeError, ValueError):
            return "<absent>"
    return v

want = collections.defaultdict(list)
for e in expect["records"]:
    want[(e["type"], e["client_port"])].append(e)
bad = collections.defaultdict(list)
for key in sorted(set(want) | set(got), key=str):
    typ, port = key
    w, g = want.get(key, []), got.get(key, [])
    scen = w[0]["scenario"] if w else "(none)"
    if len(w) != len(g):
        bad[scen].append(f"{typ}: {len(g)} records, want {len(w)}: "
                         + "; ".join(str({k: r.get(k) for k in ("Method", "URL", "StatusCode", "SNI",
                                                                "Questions") if k in r}) for r in g))
    for i, (e, r) in enumerate(zip(w, g)):
        for path, v in e["fields"].items():
            if value(r, path) != v:
                bad[scen].append(f"{typ} #{i} {path}: {value(r, path)!r}, want {v!r}")
for letter, what in expect["scenarios"].items():
    status = "ok" if not bad[letter] else "FAIL"
    print(f"-- {letter} {status}: {what}")
    for b in bad[letter]:
        print(f"     {b}")
for b in bad.get("(none)", []):
    print(f"  records of no scenario: {b}")

# Events: "  events      TCPStream out-of-order 2, HTTP capped 1, ..."
events = {}
m = re.search(r"^  events +(.*)$", summary, re.M)
if m:
    for item in m.group(1).split(", "):
        name, _, n = item.rpartition(" ")
        events[name] = int(n)
ev_bad = 0
for name, (op, n) in expect["events"].items():
    have = events.get(name, 0)
    ok = have >= n if op == ">=" else have == n
    ev_bad += not ok
    print(f"-- event {name}: {have} (want {op} {n}){'' if ok else '  FAIL'}")
others = {k: v for k, v in events.items() if k.split()[0] in ("HTTP", "TLS", "DNS") and k not in expect["events"]}
if others:
    ev_bad += 1
    print(f"-- unexpected application-layer events: {others}  FAIL")
sys.exit(1 if any(bad.values()) or ev_bad else 0)
EOF
echo "ok"
