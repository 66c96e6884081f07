#!/usr/bin/env python3
"""make-label-alerts.py: writes a Suricata eve.json of alert events made from
NETCAP record files, the alert input of scripts/bench-label.sh (the
netcap-label benchmark, docs/performance.md, "Labeling").

    scripts/make-label-alerts.py RECORDS_DIR OUT.json [--alerts N]
        [--unmatched FRACTION] [--seed S] [--offset +HHMM] [--netcap-dump PROG]

Reads the TCP, UDP, ICMPv4 and ICMPv6 records of RECORDS_DIR with
`netcap-dump --select` (CSV) and picks packet records among them at random
(fixed seed; without replacement while there are enough): each becomes one
alert event on that packet, as Suricata 7 writes them (tests/data/label/
*.eve.json): the packet's time at microsecond precision with a UTC offset
(`2016-08-02T04:19:37.734137+0200`), src_ip/dest_ip (IPv6 with every group
in full), src_port/dest_port for TCP and UDP, icmp_type/icmp_code for ICMP,
proto, an alert object (gid, signature_id, rev, signature, category,
severity) from a handful of signatures per protocol, and a flow object.
One alert in five has its ends swapped (the matcher takes both directions).

A fraction (--unmatched, default 0.1) of the N alerts matches nothing: their
addresses are in the documentation ranges (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24; checked absent from the records' IPv4 files) and their times
are at least 10 us from every packet's (Ethernet records' times), so that
neither tuple, address nor time-only (link-layer) matching can take them.

Standard library only. Prints a summary on stderr.
"""
import argparse
import bisect
import csv
import datetime
import io
import ipaddress
import json
import os
import random
import subprocess
import sys

# (sid, signature, category, severity): a handful per protocol; "" is a rule
# without classtype (Suricata writes "category":"").
SIGS = {
    'TCP': [
        (2100001, 'ET SCAN Possible Nmap SYN scan', 'Attempted Information Leak', 2),
        (2100002, 'ET POLICY Outbound HTTP on unusual port', 'Potential Corporate Privacy Violation', 1),
        (2100003, 'ET MALWARE Suspicious TLS handshake', 'A Network Trojan was detected', 1),
        (2100004, 'TCP SYN', 'Not Suspicious Traffic', 3),
        (2100005, 'ET INFO Generic TCP payload', '', 3),
    ],
    'UDP': [
        (2200001, 'ET DNS Query to a suspicious TLD', 'Potentially Bad Traffic', 2),
        (2200002, 'ET INFO SSDP discovery', 'Misc activity', 3),
        (2200003, 'ET SCAN UDP port sweep', 'Detection of a Network Scan', 3),
        (2200004, 'DNS query', '', 3),
    ],
    'ICMP': [
        (2300001, 'ICMP any type', 'Misc activity', 3),
        (2300002, 'ET SCAN ICMP ping sweep', 'Attempted Information Leak', 2),
    ],
    'IPv6-ICMP': [
        (2400001, 'ICMPv6 any type', 'Misc activity', 3),
        (2400002, 'ICMPv6 router advertisement flood', 'Attempted Denial of Service', 2),
    ],
}
TEST_NETS = [ipaddress.ip_network(n) for n in ('192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24')]


def dump(prog, path, fields):
    """Yields the rows of netcap-dump --select FIELDS PATH (CSV, header skipped)."""
    p = subprocess.Popen([prog, '--select', ','.join(fields), path], stdout=subprocess.PIPE)
    rows = csv.reader(io.TextIOWrapper(p.stdout, encoding='utf-8', newline=''))
    next(rows, None)
    for row in rows:
        yield row
    if p.wait() != 0:
        sys.exit('make-label-alerts: %s --select %s %s failed' % (prog, ','.join(fields), path))


def record_file(d, t):
    for name in (t + '.ncap.gz', t + '.ncap'):
        if os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    return None


def eve_time(ns, tz):
    us = ns // 1000
    t = datetime.datetime.fromtimestamp(us // 1000000, tz).replace(microsecond=us % 1000000)
    s = t.strftime('%Y-%m-%dT%H:%M:%S.%f%z')  # %z: +0200, as Suricata writes
    return s


def addr(text):
    a = ipaddress.ip_address(text)
    return a.exploded if a.version == 6 else str(a)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('records')
    ap.add_argument('out')
    ap.add_argument('--alerts', type=int, default=100000)
    ap.add_argument('--unmatched', type=float, default=0.1)
    ap.add_argument('--seed', type=int, default=14)
    ap.add_argument('--offset', default='+0200', help='UTC offset of the timestamps, +HHMM')
    ap.add_argument('--netcap-dump', default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                          '..', 'build', 'netcap-dump'))
    a = ap.parse_args()
    if len(a.offset) != 5 or a.offset[0] not in '+-' or not a.offset[1:].isdigit():
        sys.exit('make-label-alerts: --offset must be +HHMM or -HHMM')
    sign = 1 if a.offset[0] == '+' else -1
    tz = datetime.timezone(sign * datetime.timedelta(hours=int(a.offset[1:3]), minutes=int(a.offset[3:])))
    rng = random.Random(a.seed)

    # Candidate packets: (ns, proto, src, dst, sport, dport, icmp type, code).
    cands = []
    per_type = {}
    for t, proto, ports in (('TCP', 'TCP', True), ('UDP', 'UDP', True),
                            ('ICMPv4', 'ICMP', False), ('ICMPv6', 'IPv6-ICMP', False)):
        f = record_file(a.records, t)
        if not f:
            continue
        fields = ['Timestamp', 'SrcIP', 'DstIP'] + (['SrcPort', 'DstPort'] if ports else ['TypeCode'])
        n0 = len(cands)
        for row in dump(a.netcap_dump, f, fields):
            if not row[1] or not row[2]:
                continue
            ns = int(row[0])
            if ports:
                cands.append((ns, proto, row[1], row[2], int(row[3]), int(row[4]), 0, 0))
            else:
                tc = int(row[3])
                cands.append((ns, proto, row[1], row[2], 0, 0, tc >> 8, tc & 0xff))
        per_type[t] = len(cands) - n0
    if not cands:
        sys.exit('make-label-alerts: no TCP, UDP or ICMP records in %s' % a.records)

    n_unmatched = int(round(a.alerts * a.unmatched))
    n_matched = a.alerts - n_unmatched
    if n_matched <= len(cands):
        picks = sorted(rng.sample(range(len(cands)), n_matched))
    else:
        picks = sorted(rng.randrange(len(cands)) for _ in range(n_matched))

    events = []  # (ns, proto, src, dst, sport, dport, itype, icode)
    for i in picks:
        c = cands[i]
        if rng.random() < 0.2:  # the other direction
            c = (c[0], c[1], c[3], c[2], c[5], c[4], c[6], c[7])
        events.append(c)

    if n_unmatched:
        # Times of every packet (every packet has an Ethernet record).
        times = []
        f = record_file(a.records, 'Ethernet')
        if f:
            times = sorted(int(r[0]) for r in dump(a.netcap_dump, f, ['Timestamp']))
        seen = set()
        f = record_file(a.records, 'IPv4')
        if f:
            for r in dump(a.netcap_dump, f, ['SrcIP', 'DstIP']):
                seen.update(r)
        pool = [str(h) for n in TEST_NETS for h in n.hosts() if str(h) not in seen]
        if len(pool) < 2:
            sys.exit('make-label-alerts: the documentation ranges are in use in the records')
        gap = 10000  # ns: far outside the default 1 us tolerance
        made = 0
        while made < n_unmatched:
            base = cands[rng.randrange(len(cands))]
            ns = (base[0] + rng.randrange(1, 5000) * 1000) // 1000 * 1000
            k = bisect.bisect_left(times, ns - gap)
            if k < len(times) and times[k] <= ns + gap:
                continue
            src, dst = rng.sample(pool, 2)
            proto = rng.choice(('TCP', 'TCP', 'UDP', 'ICMP'))
            if proto == 'ICMP':
                events.append((ns, proto, src, dst, 0, 0, 8, 0))
            else:
                events.append((ns, proto, src, dst, rng.randrange(1024, 65536),
                               rng.choice((80, 443, 53, 22, 8080)), 0, 0))
            made += 1
        # Interleaved with the others, in pcap order as far as it goes:
        # each right after a matched alert.
        matched, extra = events[:n_matched], events[n_matched:]
        slots = sorted(rng.randrange(n_matched + 1) for _ in extra)
        merged, j = [], 0
        for i, e in enumerate(matched):
            while j < len(extra) and slots[j] == i:
                merged.append(extra[j]); j += 1
            merged.append(e)
        merged.extend(extra[j:])
        events = merged

    flow_ids = {}
    counts = {}
    with open(a.out, 'w') as w:
        for n, (ns, proto, src, dst, sport, dport, itype, icode) in enumerate(events, 1):
            sid, sig, cat, sev = rng.choice(SIGS[proto])
            counts[proto] = counts.get(proto, 0) + 1
            key = (proto, min((src, sport), (dst, dport)), max((src, sport), (dst, dport)))
            fid = flow_ids.setdefault(key, rng.randrange(1, 1 << 51))
            ts = eve_time(ns, tz)
            ev = {'timestamp': ts, 'flow_id': fid, 'pcap_cnt': n, 'event_type': 'alert',
                  'src_ip': addr(src)}
            if proto in ('TCP', 'UDP'):
                ev['src_port'] = sport
            ev['dest_ip'] = addr(dst)
            if proto in ('TCP', 'UDP'):
                ev['dest_port'] = dport
            ev['proto'] = proto
            if proto in ('ICMP', 'IPv6-ICMP'):
                ev['icmp_type'] = itype
                ev['icmp_code'] = icode
            ev['pkt_src'] = 'wire/pcap'
            ev['alert'] = {'action': 'allowed', 'gid': 1, 'signature_id': sid, 'rev': 1,
                           'signature': sig, 'category': cat, 'severity': sev}
            ev['direction'] = 'to_server'
            flow = {'pkts_toserver': 1, 'pkts_toclient': 0, 'bytes_toserver': 60,
                    'bytes_toclient': 0, 'start': ts, 'src_ip': ev['src_ip'], 'dest_ip': ev['dest_ip']}
            if proto in ('TCP', 'UDP'):
                flow['src_port'] = sport
                flow['dest_port'] = dport
            ev['flow'] = flow
            w.write(json.dumps(ev, separators=(',', ':')) + '\n')
    print('make-label-alerts: %d alerts (%d on packets picked among %d TCP/UDP/ICMP records: %s; '
          '%d matching nothing) to %s; by proto: %s; seed %d'
          % (len(events), n_matched, len(cands),
             ', '.join('%s %d' % kv for kv in per_type.items()), n_unmatched, a.out,
             ', '.join('%s %d' % kv for kv in sorted(counts.items())), a.seed), file=sys.stderr)


if __name__ == '__main__':
    main()
