#!/usr/bin/env bash
# test_decode_tshark.sh: the corpus-wide differential test of the decoders
# against tshark 4.0. For every capture of $NETCAP_CORPUS/ndpi and
# $NETCAP_CORPUS/tcpdump whose link type NETCAP decodes, every record type
# and every row of tests/e2e/tshark_fields.tsv, its #payload rows included
# (netcap runs with --payload: TCP and UDP Payload against tcp.payload and
# udp.payload), NETCAP's values (netcap -w 1: each type's records in packet
# order) are compared with tshark's (-T fields -E occurrence=a), normalised
# as the table says. It counts compared and
# agreeing values per (type, field), prints them as a table with the worst
# fields and examples (capture, packet number, both values), and passes when
# at least AGREEMENT_BAR (99.5) % of all compared values agree and at least
# LINEUP_BAR (99) % of tshark's layers were lined up with a record (so that
# records gone missing cannot pass as "nothing to compare").
#
# How (docs/decoding.md, "Corpus-wide differential test", says more):
# - Speed: tshark and netcap start once per chunk, not per capture. The
#   captures of one link type are concatenated (mergecap -a, pcap format)
#   into chunks of about CHUNK_PACKETS packets; both tools read the same
#   chunk, and a packet number in a chunk maps back to its capture. A
#   capture cut short mid-packet is first rewritten whole by editcap. Two
#   chunks are processed at a time.
# - Lining up: a packet's layers of a type are counted in tshark's
#   frame.protocols (the type's protocol, or a #layer row of the table);
#   records and layers are matched packet by packet through their timestamps
#   (consecutive packets with the same microsecond form one group, and
#   groups are lined up in order). A group whose record count differs from
#   tshark's layer count is not compared, only counted ("not lined up";
#   test_engine_counts.sh and the other tests judge counts).
# - ICMP and ICMPv6 stay on in tshark (the engine tests turn them off) so
#   that their records are compared; the IP/UDP/TCP layers tshark shows
#   inside an ICMP error's quote are ignored for the other types.
# - Timestamp rows are lined up by construction: shown, but left out of the
#   overall figure. A field tshark does not show for a layer (ARP addresses
#   of other hardware types, ...) is counted apart, as "absent", and so is
#   one it shows for only some of a packet's layers ("unassignable").
#
# Environment: AGREEMENT_BAR (99.5), LINEUP_BAR (99), TCPDUMP_EVERY (1: every tcpdump
# capture; N: every Nth, in name order), CHUNK_PACKETS (30000),
# DIFF_EXAMPLES (3 per field).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

MAP=$NETCAP_ROOT/tests/e2e/tshark_fields.tsv
BAR=${AGREEMENT_BAR:-99.5}
LINEUP_BAR=${LINEUP_BAR:-99}
EVERY=${TCPDUMP_EVERY:-1}
CHUNK_PACKETS=${CHUNK_PACKETS:-30000}
# The link types with a decoder (lib/decode/decode.c, link_table), as
# capinfos names them.
DECODED_LINKS=" ether rawip rawip4 rawip6 linux-sll linux-sll2 null loop ieee-802-11 ieee-802-11-radiotap ppp chdlc nflog "

need_engine
need_tshark
for t in capinfos mergecap editcap; do
  command -v "$t" >/dev/null || skip "$t absent (apt-get install wireshark-common)"
done
need_corpus ndpi
need_corpus tcpdump
tshark_opts icmp icmpv6
[ -f "$MAP" ] || fail "$MAP missing"
export PYTHONPATH=$NETCAP_ROOT/tests/e2e
start=$(date +%s)

# ---- the captures ------------------------------------------------------
cd "$NETCAP_CORPUS"
all=(ndpi/*.pcap ndpi/*.pcapng)
i=0
for f in tcpdump/*.pcap tcpdump/*.pcapng; do
  [ $((i % EVERY)) -eq 0 ] && all+=("$f")
  i=$((i + 1))
done
capinfos -T -E -c -r "${all[@]}" >"$TMP/inventory" 2>"$TMP/inventory.err" || true
cd - >/dev/null
# Captures tshark reads only up to a packet cut short: rewritten whole first.
grep -o 'The file "[^"]*" appears to have been cut short' "$TMP/inventory.err" |
  sed 's/^The file "\(.*\)" appears.*/\1/' | sort -u >"$TMP/cut_short" || true
mkdir -p "$TMP/fixed" "$TMP/chunks"
while read -r rel; do
  editcap -F pcap "$NETCAP_CORPUS/$rel" "$TMP/fixed/$(echo "$rel" | tr '/' '_')" >/dev/null 2>&1 || true
done <"$TMP/cut_short"

# Chunks: captures of one link type, in name order, up to CHUNK_PACKETS.
"$PY" - "$TMP/inventory" "$TMP/cut_short" "$TMP/chunks" "$CHUNK_PACKETS" "$DECODED_LINKS" "$TMP/fixed" \
  "${#all[@]}" <<'EOF' || fail "planning the chunks failed"
import collections, os, subprocess, sys
inv, cut, out, limit, links, fixed, n_all = sys.argv[1:8]
limit, decoded, n_all = int(limit), set(links.split()), int(n_all)
cut = set(open(cut).read().split())
skipped, empty, seen = collections.Counter(), 0, 0
groups = collections.OrderedDict()
for line in open(inv):
    rel, encap, count = line.rstrip("\n").split("\t")
    seen += 1
    if encap not in decoded:
        skipped[encap] += 1
        continue
    path = None
    if rel in cut:
        path = os.path.join(fixed, rel.replace("/", "_"))
        if not os.path.exists(path):
            skipped["cut short, not rewritable"] += 1
            continue
        r = subprocess.run(["capinfos", "-T", "-c", "-r", path], capture_output=True, text=True)
        count = r.stdout.split("\t")[-1].strip() or "0"
    if int(count) == 0:
        empty += 1
        continue
    groups.setdefault(encap, []).append((rel, path or "-", int(count)))
chunks = []
for encap, files in groups.items():
    cur, n = [], 0
    for f in files:
        if cur and n + f[2] > limit:
            chunks.append((encap, cur))
            cur, n = [], 0
        cur.append(f)
        n += f[2]
    if cur:
        chunks.append((encap, cur))
for k, (encap, files) in enumerate(chunks):
    with open(os.path.join(out, f"{k}.list"), "w") as fh:
        for rel, path, count in files:
            fh.write(f"{rel}\t{path}\t{count}\t{encap}\n")
used = sum(len(f) for _, f in chunks)
unread = n_all - seen
print(f"-- {used} captures in {len(chunks)} chunks; skipped {sum(skipped.values()) + unread + empty}: "
      + ", ".join(f"{v} {k}" for k, v in skipped.most_common())
      + f" (link types without a decoder), {unread} tshark cannot read (link types it does not know), "
      f"{empty} without packets")
EOF
ls "$TMP"/chunks/*.list >/dev/null 2>&1 || fail "no capture to compare"

# ---- netcap and tshark, per chunk --------------------------------------
# The record types of the table, each with the netcap fields to select
# (Timestamp first), and every tshark field of the table once.
"$PY" - "$MAP" >"$TMP/types" <<'EOF'
import sys
from tshark_fields import load_map
mapping, _ = load_map(sys.argv[1], payload=True)
for typ, fields in mapping.items():
    print(typ, ",".join(["Timestamp"] + [nc for nc, _, _ in fields]))
EOF
mapfile -t TS_FIELDS < <("$PY" - "$MAP" <<'EOF'
import sys
from tshark_fields import load_map, ts_fields
mapping, _ = load_map(sys.argv[1], payload=True)
seen = {"frame.number", "frame.time_epoch", "frame.protocols"}
for fields in mapping.values():
    for f in ts_fields(fields):
        if f not in seen:
            seen.add(f)
            print(f)
EOF
)
TS_ARGS=(-e frame.number -e frame.time_epoch -e frame.protocols)
for f in "${TS_FIELDS[@]}"; do TS_ARGS+=(-e "$f"); done

run_chunk() {
  local k=$1 d=$TMP/chunks/$1 inputs=() rel path count encap
  while IFS=$'\t' read -r rel path count encap; do
    if [ "$path" = - ]; then inputs+=("$NETCAP_CORPUS/$rel"); else inputs+=("$path"); fi
  done <"$d.list"
  mergecap -a -F pcap -w "$d.pcap" "${inputs[@]}" 2>"$d.merge.err" ||
    { cat "$d.merge.err"; echo "mergecap failed for chunk $k"; return 1; }
  local want got
  want=$(awk -F'\t' '{s += $3} END {print s}' "$d.list")
  got=$(capinfos -T -c -r "$d.pcap" | awk -F'\t' '{print $2}')
  [ "$want" = "$got" ] || { echo "chunk $k: $got packets merged, $want expected"; return 1; }
  # tshark runs with IP reassembly off (TSHARK_OPTS): so does netcap.
  if ! "$NETCAP" -r "$d.pcap" -o "$d.out" -w 1 -q --no-progress --payload --defrag-memory 0 >"$d.netcap.log" 2>&1; then
    cat "$d.netcap.log"; echo "netcap failed on chunk $k"; return 1
  fi
  local typ sel
  while read -r typ sel; do
    [ -f "$d.out/$typ.ncap.gz" ] || continue
    "$DUMP" --select "$sel" "$d.out/$typ.ncap.gz" >"$d.$typ.csv" ||
      { echo "netcap-dump $d.out/$typ.ncap.gz failed"; return 1; }
  done <"$TMP/types"
  tshark -n -r "$d.pcap" "${TSHARK_OPTS[@]}" -T fields -E occurrence=a -E aggregator=$'\x01' \
    "${TS_ARGS[@]}" >"$d.ts" 2>"$d.tshark.err" ||
    { cat "$d.tshark.err"; echo "tshark failed on chunk $k"; return 1; }
  rm -f "$d.pcap"
}

chunk_ids=()
for l in "$TMP"/chunks/*.list; do chunk_ids+=("$(basename "$l" .list)"); done
running=0 bad=0
for k in "${chunk_ids[@]}"; do
  run_chunk "$k" >"$TMP/chunks/$k.log" 2>&1 &
  running=$((running + 1))
  if [ "$running" -ge 2 ]; then
    wait -n || bad=$((bad + 1))
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || bad=$((bad + 1))
  running=$((running - 1))
done
if [ "$bad" -gt 0 ]; then
  cat "$TMP"/chunks/*.log
  fail "$bad chunks could not be replayed or dissected"
fi
echo "-- netcap and tshark done in $(( $(date +%s) - start )) s"

# ---- the comparison ----------------------------------------------------
rc=0
"$PY" - "$MAP" "$TMP/chunks" "$BAR" "$LINEUP_BAR" "${DIFF_EXAMPLES:-3}" "${chunk_ids[@]}" <<'EOF' || rc=$?
import collections, csv, difflib, os, sys
from tshark_fields import QUOTE_TOKENS, epoch_us, layer_spec, load_map, same

MAP, DIR, BAR, LINEUP_BAR, EXAMPLES = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
CHUNKS = sys.argv[6:]
mapping, layers = load_map(MAP, payload=True)
csv.field_size_limit(1 << 30)
UNASSIGNABLE = object()  # tshark gives the field for only some of the packet's layers
ABSENT = object()        # tshark gives no such field in the packet

compared = collections.Counter()      # (type, field) -> values compared
agreed = collections.Counter()
unassignable = collections.Counter()  # tshark gives a field for only some layers
absent = collections.Counter()        # tshark shows no value for the field
absent_files = collections.defaultdict(collections.Counter)
examples = collections.defaultdict(list)
diff_files = collections.defaultdict(collections.Counter)  # (type, field) -> capture -> differences
records = collections.Counter()       # type -> NETCAP records
ts_layers = collections.Counter()     # type -> tshark layers
lined_up = collections.Counter()      # type -> pairs compared
unlined = collections.defaultdict(collections.Counter)  # type -> capture -> layers not lined up
specs = {t: layer_spec(t, f, layers) for t, f in mapping.items()}
bad_rows = 0                          # tshark rows with a tab inside a value

def short(v):
    """A value for an example line: payloads are long."""
    return repr(v) if len(v) <= 64 else f"{v[:48]!r}... ({len(v)} characters)"

def runs(keys):
    """[(key, start, end)] of consecutive equal keys."""
    out = []
    for i, k in enumerate(keys):
        if out and out[-1][0] == k:
            out[-1][2] = i + 1
        else:
            out.append([k, i, i + 1])
    return out

for chunk in CHUNKS:
    base = os.path.join(DIR, chunk)
    # Packet number in the chunk -> (capture, packet number in it).
    offsets = []
    first = 1
    for line in open(base + ".list"):
        rel, _, count, _ = line.rstrip("\n").split("\t")
        offsets.append((first, rel))
        first += int(count)
    def where(frame):
        lo = 0
        for i, (f0, rel) in enumerate(offsets):
            if f0 <= frame:
                lo = i
            else:
                break
        return offsets[lo][1], frame - offsets[lo][0] + 1

    ts_names = None
    frames = []
    with open(base + ".ts", newline="") as fh:
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            frames.append(cols)
    # Column of each tshark field: the order of the script's -e list.
    names = ["frame.number", "frame.time_epoch", "frame.protocols"]
    for fields in mapping.values():
        for _, ts, _ in fields:
            for alt in ts.split("|"):
                if alt not in names:
                    names.append(alt)
    col = {n: i for i, n in enumerate(names)}
    bad_rows += sum(1 for cols in frames if len(cols) != len(names))
    frame_at = {}
    for cols in frames:
        try:
            frame_at.setdefault(epoch_us(cols[1]), int(cols[0]))
        except (ValueError, IndexError):
            continue

    for typ, fields in mapping.items():
        spec = specs[typ]
        if spec is None:
            continue
        # tshark's layers of typ, in packet order: (frame, us, values).
        tl = []
        for cols in frames:
            if len(cols) != len(names):
                continue  # counted once per chunk below
            protos = cols[2].split(":")
            cut = len(protos)
            for i, p in enumerate(protos):
                if p in QUOTE_TOKENS:
                    cut = i + 1
                    break
            quoted = cut < len(protos)
            if spec[0] == "tokens":
                n = sum(1 for p in protos[:cut] if p in spec[1])
            else:
                v = cols[col[spec[1]]]
                n = len(v.split("\x01")) if v != "" else 0
            if n == 0:
                continue
            try:
                us = epoch_us(cols[1])
            except ValueError:
                us = None
            per_row = []
            for nc, ts, norm in fields:
                occ = []
                for alt in ts.split("|"):
                    v = cols[col[alt]]
                    if v != "":
                        occ.extend(v.split("\x01"))
                if ts.startswith("frame."):
                    occ = occ * n
                # More occurrences than layers: those of an ICMP quote come
                # last; with one layer the first is the header's (DHCP's
                # client identifier option has a dhcp.hw.type of its own).
                if len(occ) == n or (len(occ) > n and (quoted or n == 1)):
                    per_row.append(occ[:n])
                elif not occ:  # tshark shows no such field: nothing to compare,
                    # but hex0's 0 and an empty payload (bytes)
                    per_row.append([""] * n if norm in ("hex0", "bytes") else [ABSENT] * n)
                else:
                    per_row.append([UNASSIGNABLE] * n)
            for k in range(n):
                tl.append((int(cols[0]), us, [r[k] for r in per_row]))
        ts_layers[typ] += len(tl)

        ours = []
        path = f"{base}.{typ}.csv"
        if os.path.exists(path):
            with open(path, newline="") as fh:
                rd = csv.reader(fh)
                next(rd, None)
                for row in rd:
                    ours.append((int(row[0]) // 1000, row[1:]))
        records[typ] += len(ours)
        if not ours or not tl:
            continue

        a, b = runs([o[0] for o in ours]), runs([t[1] for t in tl])
        if [r[0] for r in a] == [r[0] for r in b]:
            pairs = list(zip(a, b))
        else:
            sm = difflib.SequenceMatcher(None, [r[0] for r in a], [r[0] for r in b], autojunk=False)
            pairs = []
            for tag, i1, i2, j1, j2 in sm.get_opcodes():
                if tag == "equal":
                    pairs.extend(zip(a[i1:i2], b[j1:j2]))
        paired_a = paired_b = 0
        for ra, rb in pairs:
            if ra[2] - ra[1] != rb[2] - rb[1]:
                continue
            paired_a += ra[2] - ra[1]
            paired_b += rb[2] - rb[1]
            for x, y in zip(range(ra[1], ra[2]), range(rb[1], rb[2])):
                mine, (frame, _, theirs) = ours[x][1], tl[y]
                lined_up[typ] += 1
                for i, (nc, ts, norm) in enumerate(fields):
                    if theirs[i] is UNASSIGNABLE:
                        unassignable[(typ, nc)] += 1
                        continue
                    if theirs[i] is ABSENT:
                        absent[(typ, nc)] += 1
                        absent_files[(typ, nc)][where(frame)[0]] += 1
                        continue
                    compared[(typ, nc)] += 1
                    ok, note = same(mine[i], theirs[i], norm)
                    if ok:
                        agreed[(typ, nc)] += 1
                        continue
                    rel, num = where(frame)
                    diff_files[(typ, nc)][rel] += 1
                    if len(examples[(typ, nc)]) < EXAMPLES:
                        examples[(typ, nc)].append(
                            f"{rel} packet {num}: {nc}={short(mine[i])}, {ts}={short(theirs[i])}" + (f" ({note})" if note else ""))
        if paired_a < len(ours) or paired_b < len(tl):
            # Where the layers not lined up are: by the packets' timestamps.
            done_a = set(x for ra, rb in pairs if ra[2] - ra[1] == rb[2] - rb[1] for x in range(ra[1], ra[2]))
            done_b = set(y for ra, rb in pairs if ra[2] - ra[1] == rb[2] - rb[1] for y in range(rb[1], rb[2]))
            for x, (us, _) in enumerate(ours):
                if x not in done_a:
                    frame = frame_at.get(us)
                    rel = where(frame)[0] if frame else "(a time tshark reads otherwise)"
                    unlined[typ][rel] += 1
            for y, (frame, _, _) in enumerate(tl):
                if y not in done_b:
                    unlined[typ][where(frame)[0]] += 1

# ---- report ----
print()
print("per field: values compared, agreeing, %; then values tshark does not show (absent) and")
print("values of packets where tshark shows the field for only some layers (unassignable)")
print(f"{'type':<28} {'field':<22} {'compared':>9} {'agree':>9} {'%':>8} {'absent':>7} {'unassign.':>9}")
tot_c = tot_a = 0
for typ, fields in mapping.items():
    for nc, ts, norm in fields:
        c, a, u = compared[(typ, nc)], agreed[(typ, nc)], unassignable[(typ, nc)]
        pct = f"{100.0 * a / c:.3f}" if c else "-"
        mark = " (alignment key)" if nc == "Timestamp" else ""
        print(f"{typ:<28} {nc:<22} {c:>9} {a:>9} {pct:>8} {absent[(typ, nc)]:>7} {u:>9}{mark}")
        if nc != "Timestamp":
            tot_c += c
            tot_a += a
print()
print(f"{'type':<28} {'records':>9} {'tshark':>9} {'lined up':>9}  not lined up, by capture (both sides)")
for typ in mapping:
    top = ", ".join(f"{rel} {n}" for rel, n in unlined[typ].most_common(3))
    more = len(unlined[typ]) - 3
    print(f"{typ:<28} {records[typ]:>9} {ts_layers[typ]:>9} {lined_up[typ]:>9}  {top}" + (f" and {more} more" if more > 0 else ""))
if bad_rows:
    print(f"note: {bad_rows} tshark rows had more or fewer columns than fields (a tab in a value): not compared")
never = [t for t in mapping if lined_up[t] == 0]
if never:
    print("note: nothing lined up for " + ", ".join(never) + " (no such layer in the corpus, or none that both sides show alike)")

worst = sorted(((compared[k] - agreed[k], k) for k in compared if compared[k] != agreed[k]), reverse=True)
print()
print("worst fields (differences; the captures with most; examples):")
for d, k in worst[:15]:
    top = ", ".join(f"{rel} {n}" for rel, n in diff_files[k].most_common(3))
    print(f"  {k[0]}.{k[1]}: {d} of {compared[k]} differ ({100.0 * d / compared[k]:.3f} %); in {len(diff_files[k])} captures: {top}")
    for e in examples[k]:
        print(f"      {e}")
if not worst:
    print("  none")
if absent:
    print()
    print("values tshark does not show (the captures with most):")
    for k, n in absent.most_common():
        top = ", ".join(f"{rel} {c}" for rel, c in absent_files[k].most_common(3))
        print(f"  {k[0]}.{k[1]}: {n}; {top}")
pct = 100.0 * tot_a / tot_c if tot_c else 0.0
lu, tl_all = sum(lined_up.values()), sum(ts_layers.values())
lu_pct = 100.0 * lu / tl_all if tl_all else 0.0
print()
print(f"lined up: {lu} of tshark's {tl_all} layers ({lu_pct:.3f} %), bar {LINEUP_BAR} %")
print(f"overall: {tot_a} of {tot_c} values agree ({pct:.3f} %), bar {BAR} %; Timestamp rows left out")
sys.exit(0 if tot_c and pct >= BAR and lu_pct >= LINEUP_BAR else 1)
EOF
echo "-- $(( $(date +%s) - start )) s"
[ "$rc" -eq 0 ] || fail "agreement with tshark below ${BAR} %, or fewer than ${LINEUP_BAR} % of tshark's layers lined up with records (see above)"
echo "ok"
