#!/usr/bin/env python3
"""make-worst-packets.py: crafted packets that cost the decoders the most.

For each decoder family, the most expensive packet we know how to build
against lib/decode/ (see docs/decoding.md, "Limits"): a `small` variant of at
most 1,514 bytes (an Ethernet frame of a standard MTU) and, where the
protocol lets a frame grow, a `large` variant of up to 262,144 bytes (the
largest pcap snaplen; IPv6 jumbograms, RFC 2675, carry transport and
application layers past 64 KiB). Each packet aims at one cost: many
elements of a repeated field, names or text that expand, nesting to the
depth limit, or plain size. Two `regress-` packets are the frames of issue
9's reports: the IGMPv3 null read (a crash) and the TCP layer that a
hop-by-hop Pad1 flood left without a record.

Writes OUTDIR/<name>.pcap, each holding COPIES copies of the packet (the
benchmark, scripts/bench-worst.sh, replays them), and prints one line per
file on stdout: name, wire bytes, copies, link type, and what the packet
does. Python 3 and struct only (no scapy), so it runs wherever the tests do.

Usage: make-worst-packets.py OUTDIR [--copies N] [--large-copies N]
                             [--bytes-per-file B] [--only NAME,...] [--list]
  --copies N          copies of each small packet (default 20000)
  --large-copies N    copies of each large packet; default: as many as fit
                      in --bytes-per-file (30 MB), at least 50
  --only              a comma list of names (or prefixes ending in '*')
  --list              only print the names and descriptions
The packets are the same on every run (no randomness), so results compare.
"""
import argparse
import os
import struct
import sys

SMALL_MAX = 1514
LARGE_MAX = 262144
LARGE_TARGET = 262000         # a little under the pcap maximum

LINK_ETHERNET = 1
LINK_IEEE802_11_RADIO = 127

SRC_MAC = bytes.fromhex('020000000001')
DST_MAC = bytes.fromhex('020000000002')
SRC4 = bytes([192, 0, 2, 1])
DST4 = bytes([198, 51, 100, 2])
# Long IPv6 text forms (no zero groups), as the address strings cost most.
SRC6 = bytes.fromhex('20010db8111122223333444455556666')
DST6 = bytes.fromhex('20010db8aaaabbbbccccddddeeeeffff')


# ---- layers ---------------------------------------------------------------

def ethernet(ethertype, payload):
    return DST_MAC + SRC_MAC + struct.pack('>H', ethertype) + payload


def ipv4(proto, payload, options=b''):
    assert len(options) % 4 == 0 and len(options) <= 40
    ihl = 5 + len(options) // 4
    total = 4 * ihl + len(payload)
    assert total <= 65535, total
    return struct.pack('>BBHHHBBH4s4s', 0x40 | ihl, 0, total, 0x1234, 0, 64, proto, 0,
                       SRC4, DST4) + options + payload


def ipv6(next_header, payload, src=SRC6, dst=DST6):
    assert len(payload) <= 65535, len(payload)
    return struct.pack('>IHBB', 0x60000000, len(payload), next_header, 64) + src + dst + payload


def ipv6_jumbo(next_header, payload):
    """IPv6 with payload length 0 and a hop-by-hop header holding a jumbo
    payload option (RFC 2675): the length may pass 65,535."""
    hbh = struct.pack('>BBBBI', next_header, 0, 0xc2, 4, 8 + len(payload))
    return struct.pack('>IHBB', 0x60000000, 0, 0, 64) + SRC6 + DST6 + hbh + payload


def udp(sport, dport, payload, jumbo=False):
    length = 0 if jumbo else 8 + len(payload)
    assert length <= 65535
    return struct.pack('>HHHH', sport, dport, length, 0) + payload


# The first copy's TCP sequence number; pcap_bytes() finds it in a frame
# and gives each copy the next one, so that the copies are one stream's
# consecutive data, each decoded in full, not retransmissions that the
# stream reassembler would count and skip.
TCP_SEQ_MARK = 0x5e9c0001


def tcp(sport, dport, payload, options=b''):
    assert len(options) % 4 == 0 and len(options) <= 40
    offset = 5 + len(options) // 4
    return struct.pack('>HHIIBBHHH', sport, dport, TCP_SEQ_MARK, 2, offset << 4, 0x18, 65535, 0, 0) + \
        options + payload


def tcp_seq_at(frame):
    """(offset of the sequence number, payload length) of the frame's TCP
    segment made by tcp(), or None."""
    at = frame.find(struct.pack('>I', TCP_SEQ_MARK))
    if at < 4:
        return None
    header = (frame[at + 8] >> 4) * 4
    return at, len(frame) - (at - 4) - header


def fill_to(total, overhead, unit):
    """How many units of `unit` bytes fit in `total` after `overhead`."""
    return max(0, (total - overhead) // unit)


# ---- families ---------------------------------------------------------------
# Each builder takes the size limit and returns (frame, link type).

def hbh_pad1(limit):
    """IPv6 hop-by-hop header of Pad1 options only (one option per byte; the
    header is at most 2,048 bytes), then TCP."""
    size = min(2048, (limit - 14 - 40 - 20) // 8 * 8)
    hbh = bytes([6, size // 8 - 1]) + bytes(size - 2)
    return ethernet(0x86dd, ipv6(0, hbh + tcp(1234, 80, b''))), LINK_ETHERNET


def hbh_chain(limit):
    """A hop-by-hop header, then 13 more out of place (each a record of its
    own, as gopacket decodes them; 14 headers are within ipv6.c's chain cap
    of 16), all Pad1, then TCP."""
    n = 14
    each = min(2048, (limit - 14 - 40 - 20) // n // 8 * 8)
    chain = b''
    for i in range(n):
        nxt = 0 if i + 1 < n else 6
        chain += bytes([nxt, each // 8 - 1]) + bytes(each - 2)
    return ethernet(0x86dd, ipv6(0, chain + tcp(1234, 80, b''))), LINK_ETHERNET


def hbh_then(k, size, nxt, tail):
    """Ethernet, IPv6 and k hop-by-hop headers of `size` bytes of Pad1, the
    last one's next header `nxt`, then tail."""
    chain = b''
    for i in range(k):
        chain += bytes([0 if i + 1 < k else nxt, size // 8 - 1]) + bytes(size - 2)
    return ethernet(0x86dd, ipv6(0, chain + tail)), LINK_ETHERNET


def regress_igmp(limit):
    """Issue 9's IGMPv3 null read: five hop-by-hop headers of Pad1 left the
    IGMP source list no space; the group records after it were read from
    source bytes (255.255.255.255) until the cursor ran out, and format_ip()
    read a NULL address. 8,234 bytes; the decoders crashed on it."""
    del limit
    report = struct.pack('>BBHHH', 0x22, 0, 0, 0, 8)
    for r in range(8):
        n = 77 if r == 0 else 0
        report += struct.pack('>BBH4s', 1, 0, n, bytes([239, 1, 1, r])) + b'\xff' * (4 * n)
    return hbh_then(5, 1560, 2, report)


def regress_tcp(limit):
    """Issue 9's blinded layer: eleven hop-by-hop headers of Pad1 (22,250
    bytes) used up the record space and TCP had no record."""
    del limit
    return hbh_then(11, 2016, 6, tcp(1234, 80, b''))


def destopts_pad1(limit):
    """Destination options headers of Pad1 (walked, no record), then TCP."""
    n = 13
    each = min(2048, (limit - 14 - 40 - 20) // n // 8 * 8)
    chain = b''
    for i in range(n):
        nxt = 60 if i + 1 < n else 6
        chain += bytes([nxt, each // 8 - 1]) + bytes(each - 2)
    return ethernet(0x86dd, ipv6(60, chain + tcp(1234, 80, b''))), LINK_ETHERNET


def igmp_query(limit, jumbo):
    """IGMPv3 query with as many sources as fit (a 16-bit count)."""
    over = 14 + (48 if jumbo else 20) + 12
    n = min(65535, fill_to(limit, over, 4))
    body = struct.pack('>BBH4sBBH', 0x11, 100, 0, bytes([224, 0, 0, 1]), 2, 125, n)
    body += b''.join(struct.pack('>I', 0x0a000000 + i) for i in range(n))
    ip = ipv6_jumbo(2, body) if jumbo else ipv4(2, body)
    return ethernet(0x86dd if jumbo else 0x0800, ip), LINK_ETHERNET


def igmp_report(limit, jumbo):
    """IGMPv3 report of group records with as many sources as fit."""
    over = 14 + (48 if jumbo else 20) + 8
    per_record = 64
    n_records = min(65535, fill_to(limit, over, 8 + 4 * per_record))
    records = b''
    for g in range(n_records):
        records += struct.pack('>BBH4s', 1, 0, per_record, bytes([239, 1, g >> 8 & 255, g & 255]))
        records += b''.join(struct.pack('>I', 0x0a000000 + i) for i in range(per_record))
    body = struct.pack('>BBHHH', 0x22, 0, 0, 0, n_records) + records
    ip = ipv6_jumbo(2, body) if jumbo else ipv4(2, body)
    return ethernet(0x86dd if jumbo else 0x0800, ip), LINK_ETHERNET


def igmp_report_groups(limit):
    """IGMPv3 report of empty group records, 8 bytes each."""
    n = fill_to(limit, 14 + 20 + 8, 8)
    records = b''.join(struct.pack('>BBH4s', 1, 0, 0, bytes([239, 1, g >> 8 & 255, g & 255]))
                       for g in range(n))
    body = struct.pack('>BBHHH', 0x22, 0, 0, 0, n) + records
    return ethernet(0x0800, ipv4(2, body)), LINK_ETHERNET


def long_name():
    """A 255-byte name in wire form whose text is longest: four labels of
    control bytes, each escaped as \\ooo (4 characters per byte)."""
    labels = [63, 63, 63, 61]     # 4 length bytes + 250 + the final zero: 255
    return b''.join(bytes([n]) + bytes([1]) * n for n in labels) + b'\x00'


def dns_message_pointers(size):
    """A DNS query: one long name, then questions that point back to it
    (2 bytes of name each, re-expanding 255 bytes)."""
    first = long_name() + struct.pack('>HH', 1, 1)
    n = min(65535, 1 + fill_to(size, 12 + len(first), 6))
    q = first + struct.pack('>HHH', 0xc00c, 1, 1) * (n - 1)
    return struct.pack('>HHHHHH', 0x1234, 0x0100, n, 0, 0, 0) + q


def dns_pointers(limit, jumbo):
    if jumbo:
        msg = dns_message_pointers(limit - 14 - 48 - 8)
        return ethernet(0x86dd, ipv6_jumbo(17, udp(1053, 53, msg, jumbo=True))), LINK_ETHERNET
    msg = dns_message_pointers(limit - 14 - 20 - 8)
    return ethernet(0x0800, ipv4(17, udp(1053, 53, msg))), LINK_ETHERNET


def dns_answers(limit):
    """A response of A records whose names point to a long name: 16 bytes
    per record, each with a name, an address text and Data."""
    first_name = long_name()
    head = first_name + struct.pack('>HH', 1, 1)
    n = fill_to(limit - 14 - 20 - 8, 12 + len(head), 16)
    rrs = struct.pack('>HHHIH4s', 0xc00c, 1, 1, 60, 4, bytes([10, 0, 0, 1])) * n
    msg = struct.pack('>HHHHHH', 0x1234, 0x8180, 1, n, 0, 0) + head + rrs
    return ethernet(0x0800, ipv4(17, udp(53, 1053, msg))), LINK_ETHERNET


def dns_txt(limit, jumbo):
    """TXT records of empty character-strings (one byte each)."""
    over = 14 + (48 if jumbo else 20) + 8 + 12 + 7
    # Several records when one RDLENGTH (16 bits) cannot hold the rest.
    total = limit - over
    rrs = b''
    n_rr = 0
    while total > 12 + 16:
        rd = min(65535, total - 12)
        rrs += struct.pack('>HHHIH', 0xc00c, 16, 1, 60, rd) + bytes(rd)
        total -= 12 + rd
        n_rr += 1
    msg = struct.pack('>HHHHHH', 0x1234, 0x8180, 1, n_rr, 0, 0) + b'\x01a\x00' + struct.pack('>HH', 16, 1) + rrs
    if jumbo:
        return ethernet(0x86dd, ipv6_jumbo(17, udp(53, 1053, msg, jumbo=True))), LINK_ETHERNET
    return ethernet(0x0800, ipv4(17, udp(53, 1053, msg))), LINK_ETHERNET


def dns_tcp(limit):
    """DNS over TCP in a jumbogram: as many length-prefixed messages of
    pointer questions as fit (at most 65,535 bytes each)."""
    room = limit - 14 - 48 - 20
    msgs = b''
    while room > 2 + 12 + 300:
        m = dns_message_pointers(min(65535, room - 2))
        msgs += struct.pack('>H', len(m)) + m
        room -= 2 + len(m)
    return ethernet(0x86dd, ipv6_jumbo(6, tcp(1053, 53, msgs))), LINK_ETHERNET


def lldp_tlvs(limit):
    """An LLDPDU of empty TLVs of types Info does not decode (each kept in
    Values and in Info's Unknown), 2 bytes each."""
    mandatory = struct.pack('>H', 1 << 9 | 7) + b'\x04' + SRC_MAC + \
        struct.pack('>H', 2 << 9 | 7) + b'\x03' + SRC_MAC + struct.pack('>HH', 3 << 9 | 2, 120)
    n = fill_to(limit, 14 + len(mandatory) + 2, 2)
    tlvs = b''.join(struct.pack('>H', (9 + i % 100) << 9) for i in range(n))
    return ethernet(0x88cc, mandatory + tlvs + b'\x00\x00'), LINK_ETHERNET


def lldp_values(limit):
    """An LLDPDU of 511-byte organisation TLVs (OrgTLVs and Values both keep
    every byte)."""
    mandatory = struct.pack('>H', 1 << 9 | 7) + b'\x04' + SRC_MAC + \
        struct.pack('>H', 2 << 9 | 7) + b'\x03' + SRC_MAC + struct.pack('>HH', 3 << 9 | 2, 120)
    n = fill_to(limit, 14 + len(mandatory) + 2, 513)
    tlv = struct.pack('>H', 127 << 9 | 511) + b'\x00\x80\xc2\x01' + bytes(range(256)) * 2
    tlv = tlv[:513]
    return ethernet(0x88cc, mandatory + tlv * n + b'\x00\x00'), LINK_ETHERNET


def dhcp_fixed():
    return struct.pack('>BBBBIHH4s4s4s4s16s64s128sI', 1, 1, 6, 0, 0x12345678, 0, 0,
                       bytes(4), bytes(4), bytes(4), bytes(4), SRC_MAC + bytes(10),
                       bytes(64), bytes(128), 0x63825363)


def dhcpv4(limit, kind, jumbo):
    """DHCPv4: `pad` fills the options with Pad (one byte, one option
    each); `hex` with 255-byte binary options (Data is hex: 2 characters
    per byte)."""
    over = 14 + (48 if jumbo else 20) + 8 + 240 + 1
    room = limit - over
    if kind == 'pad':
        opts = bytes(room)
    else:
        opts = b''
        while room >= 257:
            opts += bytes([43, 255]) + bytes(range(255))
            room -= 257
    msg = dhcp_fixed() + opts + b'\xff'
    if jumbo:
        return ethernet(0x86dd, ipv6_jumbo(17, udp(68, 67, msg, jumbo=True))), LINK_ETHERNET
    return ethernet(0x0800, ipv4(17, udp(68, 67, msg))), LINK_ETHERNET


def dhcpv6(limit, kind, jumbo):
    """DHCPv6: `empty` fills the message with empty options (4 bytes
    each); `hex` with one option as long as fits (Data is hex)."""
    over = 14 + (48 if jumbo else 40) + 8 + 4
    room = limit - over
    if kind == 'empty':
        opts = b''.join(struct.pack('>HH', 1000 + i % 1000, 0) for i in range(room // 4))
    else:
        opts = b''
        while room > 4:
            n = min(65535, room - 4)
            opts += struct.pack('>HH', 17, n) + bytes(i & 255 for i in range(n))
            room -= 4 + n
    msg = b'\x01\x00\x00\x01' + opts
    if jumbo:
        return ethernet(0x86dd, ipv6_jumbo(17, udp(546, 547, msg, jumbo=True))), LINK_ETHERNET
    return ethernet(0x86dd, ipv6(17, udp(546, 547, msg))), LINK_ETHERNET


def sip(limit, kind, jumbo):
    """SIP: `headers` is a request of as many short header lines as fit;
    `long` one header line as long as fits; `folded` one header of many
    folded continuation lines."""
    over = 14 + (48 if jumbo else 20) + 8
    room = limit - over
    start = b'INVITE sip:a@b SIP/2.0\r\n'
    if kind == 'headers':
        body = b'A: b\n' * ((room - len(start) - 1) // 5)
    elif kind == 'long':
        body = b'Subject: ' + b'x' * (room - len(start) - 12) + b'\n'
    else:
        body = b'Subject: x\n' + b' y\n' * ((room - len(start) - 12) // 3)
    msg = start + body + b'\n'
    msg = msg[:room]
    if jumbo:
        return ethernet(0x86dd, ipv6_jumbo(17, udp(5060, 5060, msg, jumbo=True))), LINK_ETHERNET
    return ethernet(0x0800, ipv4(17, udp(5060, 5060, msg))), LINK_ETHERNET


def icmpv6_ra(limit, jumbo):
    """A router advertisement of as many 8-byte options as fit."""
    over = 14 + (48 if jumbo else 40) + 16
    n = fill_to(limit, over, 8)
    body = struct.pack('>BBHBBHII', 134, 0, 0, 64, 0, 1800, 0, 0)
    body += b''.join(bytes([1, 1]) + SRC_MAC for _ in range(n))
    ip = ipv6_jumbo(58, body) if jumbo else ipv6(58, body)
    return ethernet(0x86dd, ip), LINK_ETHERNET


NOPS40 = b'\x01' * 40


def ip_tcp_options(limit):
    """IPv4 and TCP headers of 40 no-op options each."""
    del limit
    return ethernet(0x0800, ipv4(6, tcp(1234, 80, b'', NOPS40), NOPS40)), LINK_ETHERNET


def ip_in_ip(limit):
    """IPv4 in IPv4 to the depth limit, every header with 40 no-op options,
    then TCP with 40 no-op options."""
    del limit
    inner = tcp(1234, 80, b'', NOPS40)
    proto = 6
    for _ in range(14):
        inner = ipv4(proto, inner, NOPS40)
        proto = 4
    return ethernet(0x0800, inner), LINK_ETHERNET


def ipv6_in_ipv6(limit):
    """IPv6 in IPv6 to the depth limit (two long address texts each)."""
    del limit
    inner = tcp(1234, 80, b'', NOPS40)
    nxt = 6
    for _ in range(14):
        inner = ipv6(nxt, inner)
        nxt = 41
    return ethernet(0x86dd, inner), LINK_ETHERNET


def vlan_stack(limit):
    """VLAN tags to the depth limit, then IPv4 and TCP with options."""
    del limit
    payload = ipv4(6, tcp(1234, 80, b'', NOPS40), NOPS40)
    tags = b''
    for i in range(13):
        tags += struct.pack('>HH', 100 + i, 0x8100 if i + 1 < 13 else 0x0800)
    return DST_MAC + SRC_MAC + b'\x81\x00' + tags + payload, LINK_ETHERNET


def ntp(limit, jumbo):
    """NTP with extension bytes filling the datagram."""
    over = 14 + (48 if jumbo else 20) + 8
    msg = bytes([0x23]) + bytes(47) + bytes(i & 255 for i in range(limit - over - 48))
    if jumbo:
        return ethernet(0x86dd, ipv6_jumbo(17, udp(123, 123, msg, jumbo=True))), LINK_ETHERNET
    return ethernet(0x0800, ipv4(17, udp(123, 123, msg))), LINK_ETHERNET


def ctp(limit):
    """An Ethernet CTP reply whose data fills the frame."""
    body = struct.pack('<HHH', 0, 1, 7) + bytes(i & 255 for i in range(limit - 14 - 6))
    return ethernet(0x9000, body), LINK_ETHERNET


def arp_long(limit):
    """ARP with 255-byte hardware and protocol addresses (hex text)."""
    del limit
    body = struct.pack('>HHBBH', 1, 0x0800, 255, 255, 1) + bytes(range(255)) * 4
    return ethernet(0x0806, body), LINK_ETHERNET


def tcp_payload(limit, jumbo):
    """A plain TCP segment as large as fits: the payload's entropy."""
    over = 14 + (48 if jumbo else 20) + 20
    payload = bytes((i * 7919) & 255 for i in range(limit - over))
    ip = ipv6_jumbo(6, tcp(1234, 80, payload)) if jumbo else ipv4(6, tcp(1234, 80, payload))
    return ethernet(0x86dd if jumbo else 0x0800, ip), LINK_ETHERNET


def tcp_segment(payload, jumbo, dport):
    ip = ipv6_jumbo(6, tcp(40000, dport, payload)) if jumbo else ipv4(6, tcp(40000, dport, payload))
    return ethernet(0x86dd if jumbo else 0x0800, ip), LINK_ETHERNET


def http_headers(limit, jumbo):
    """One HTTP request per copy (the copies are one connection's stream):
    as many distinct short headers as fit, past the record's 64-entry map
    cap; the jumbogram's head passes the 16 KiB head cap too. No response
    comes: each request waits, eight at most, then is written alone."""
    room = limit - 14 - (48 if jumbo else 20) - 20
    start = b'GET /?' + b'&'.join(b'p%d=v' % i for i in range(100)) + b' HTTP/1.1\r\nHost: h\r\n'
    head, i = start, 0
    while len(head) + 16 + 2 <= room:
        head += b'H%d: v\r\n' % i
        i += 1
    return tcp_segment(head + b'\r\n', jumbo, 80)


def tls_hello(limit, jumbo):
    """A ClientHello as large as fits (one per connection: each copy opens
    its own, see NEW_CONNECTION_PER_COPY): as many cipher suites as fit,
    GREASE among them (past the 512 cap in the jumbogram), then 100 empty
    extensions; in the jumbogram the handshake message spans TLS records
    of 16 KiB."""
    room = limit - 14 - (48 if jumbo else 20) - 20
    room = min(room, (64 << 10) - 1024)      # under the 64 KiB handshake cap
    n_records = (room + 16383) // 16384
    body_room = room - 5 * n_records - 4 - 2 - 32 - 1 - 1 - 2 - 2
    exts = b''.join(struct.pack('>HH', 0x1000 + i, 0) for i in range(100))
    n_ciphers = (body_room - len(exts)) // 2 - 1
    ciphers = b''.join(struct.pack('>H', 0x0a0a if i % 50 == 0 else i + 1) for i in range(n_ciphers))
    body = struct.pack('>H', 0x0303) + bytes(32) + b'\x00' + struct.pack('>H', len(ciphers)) + ciphers + \
        b'\x01\x00' + struct.pack('>H', len(exts)) + exts
    msg = struct.pack('>I', 0x01000000 | len(body)) + body
    records = b''
    for at in range(0, len(msg), 16384):
        part = msg[at:at + 16384]
        records += struct.pack('>BHH', 22, 0x0301, len(part)) + part
    return tcp_segment(records, jumbo, 443)


def radiotap_dot11(limit):
    """Radiotap with a long chain of presence words, then a QoS data frame
    with HT Control, four addresses, LLC/SNAP, IPv4 and TCP with options."""
    n_words = min(16000, (limit - 200) // 4)
    words = struct.pack('<I', 0x80000002) * (n_words - 1) + struct.pack('<I', 0x00000002)
    body = words + b'\x00'   # then Flags: no FCS, no padding
    rt = struct.pack('<BBH', 0, 0, 4 + len(body)) + body
    fc = bytes([0x88, 0x83])   # QoS data, ToDS|FromDS, Order
    mac = fc + b'\x00\x00' + DST_MAC + SRC_MAC + DST_MAC + b'\x00\x00' + SRC_MAC + b'\x00\x00' + \
        b'\x00\x00\x00\x00'
    llc = b'\xaa\xaa\x03\x00\x00\x00\x08\x00'
    return rt + mac + llc + ipv4(6, tcp(1234, 80, b'', NOPS40), NOPS40), LINK_IEEE802_11_RADIO


def small(fn, *a):
    return lambda: fn(SMALL_MAX, *a)


def large(fn, *a):
    return lambda: fn(LARGE_TARGET, *a)


# (name, builder, description). Names ending in -large are the variants past
# 1,514 bytes; regress- packets are the two frames of issue 9's reports
# (each broke the decoders before the fix; tests/e2e/test_decode_limits.sh
# replays them).
FAMILIES = [
    ('ipv6-hbh-pad1', small(hbh_pad1), 'hop-by-hop header of 1,440 Pad1 options, then TCP'),
    ('ipv6-hbh-chain', small(hbh_chain), '14 hop-by-hop headers of 96 bytes of Pad1 (13 out of place), then TCP'),
    ('ipv6-hbh-chain-large', large(hbh_chain), '14 hop-by-hop headers of 2,048 bytes of Pad1, then TCP'),
    ('ipv6-destopts', small(destopts_pad1), '13 destination options headers of Pad1, then TCP'),
    ('ipv6-destopts-large', large(destopts_pad1), '13 destination options headers of 2,048 bytes, then TCP'),
    ('regress-igmp-after-pad1', large(regress_igmp), 'IGMPv3 report after 5 hop-by-hop headers of Pad1 (8,234 bytes: the null read)'),
    ('regress-tcp-after-pad1', large(regress_tcp), 'TCP after 11 hop-by-hop headers of Pad1 (22,250 bytes: TCP had no record)'),
    ('igmpv3-query', small(igmp_query, False), 'IGMPv3 query with 367 sources'),
    ('igmpv3-query-large', large(igmp_query, True), 'IGMPv3 query with 65,481 sources (IPv6 jumbogram)'),
    ('igmpv3-report', small(igmp_report, False), 'IGMPv3 report, 5 group records of 64 sources'),
    ('igmpv3-report-groups', small(igmp_report_groups), 'IGMPv3 report of 184 empty group records'),
    ('igmpv3-report-large', large(igmp_report, True), 'IGMPv3 report, 992 group records of 64 sources (jumbogram)'),
    ('dns-pointers', small(dns_pointers, False), 'DNS query: 201 questions, pointers to a 255-byte name escaped to 1,003 characters'),
    ('dns-pointers-large', large(dns_pointers, True), 'DNS query of 43,610 such questions (UDP jumbogram)'),
    ('dns-answers', small(dns_answers), 'DNS response: 75 A records named by pointers to that name'),
    ('dns-txt', small(dns_txt, False), 'DNS TXT record of 1,441 empty strings'),
    ('dns-txt-large', large(dns_txt, True), 'DNS TXT records of 65,535 empty strings (UDP jumbogram)'),
    ('dns-tcp-large', large(dns_tcp), 'DNS over TCP: 4 messages of pointer questions, up to 65,535 bytes each'),
    ('lldp-tlvs', small(lldp_tlvs), 'LLDPDU of 738 empty TLVs'),
    ('lldp-tlvs-large', large(lldp_tlvs), 'LLDPDU of 130,981 empty TLVs'),
    ('lldp-values-large', large(lldp_values), 'LLDPDU of 510 organisation TLVs of 511 bytes'),
    ('dhcpv4-pad', small(dhcpv4, 'pad', False), 'DHCPv4 of 1,231 Pad options'),
    ('dhcpv4-pad-large', large(dhcpv4, 'pad', True), 'DHCPv4 of 261,689 Pad options (UDP jumbogram)'),
    ('dhcpv4-hex', small(dhcpv4, 'hex', False), 'DHCPv4 of 4 binary options of 255 bytes (hex Data)'),
    ('dhcpv4-hex-large', large(dhcpv4, 'hex', True), 'DHCPv4 of 1,018 binary options of 255 bytes (UDP jumbogram)'),
    ('dhcpv6-options', small(dhcpv6, 'empty', False), 'DHCPv6 of 362 empty options'),
    ('dhcpv6-options-large', large(dhcpv6, 'empty', True), 'DHCPv6 of 65,481 empty options (UDP jumbogram)'),
    ('dhcpv6-hex-large', large(dhcpv6, 'hex', True), 'DHCPv6 of 4 options of up to 65,535 bytes (hex Data; jumbogram)'),
    ('sip-headers', small(sip, 'headers', False), 'SIP request of 289 short headers'),
    ('sip-headers-large', large(sip, 'headers', True), 'SIP request of 52,381 short headers (UDP jumbogram)'),
    ('sip-long-large', large(sip, 'long', True), 'SIP request with one header of 261,900 bytes'),
    ('sip-folded-large', large(sip, 'folded', True), 'SIP header folded over 87,298 lines'),
    ('icmpv6-ra', small(icmpv6_ra, False), 'router advertisement with 180 options'),
    ('icmpv6-ra-large', large(icmpv6_ra, True), 'router advertisement with 32,740 options (jumbogram)'),
    ('ip-tcp-options', small(ip_tcp_options), 'IPv4 and TCP with 40 no-op options each'),
    ('ipv4-in-ipv4', small(ip_in_ip), '14 nested IPv4 headers of 40 no-op options, then TCP'),
    ('ipv6-in-ipv6', small(ipv6_in_ipv6), '14 nested IPv6 headers, then TCP'),
    ('vlan-stack', small(vlan_stack), '13 VLAN tags, then IPv4 and TCP with options'),
    ('ntp-extension', small(ntp, False), 'NTP with 1,424 extension bytes'),
    ('ntp-extension-large', large(ntp, True), 'NTP with 261,882 extension bytes (UDP jumbogram)'),
    ('ctp-reply', small(ctp), 'Ethernet CTP reply of 1,494 data bytes'),
    ('ctp-reply-large', large(ctp), 'Ethernet CTP reply of 261,980 data bytes'),
    ('arp-long', small(arp_long), 'ARP with 255-byte addresses'),
    ('radiotap-dot11', small(radiotap_dot11), 'radiotap of 328 presence words, QoS data with HT Control, IPv4, TCP'),
    ('radiotap-dot11-large', large(radiotap_dot11), 'radiotap of 16,000 presence words, then the same'),
    ('http-headers', small(http_headers, False), 'HTTP request of 149 short headers and 100 query parameters, one per copy on one connection'),
    ('http-headers-large', large(http_headers, True), 'HTTP request head of 261,700 bytes (jumbogram): past the head cap'),
    ('tls-hello', small(tls_hello, False), 'TLS ClientHello of 504 cipher suites (GREASE among them) and 100 extensions, a connection per copy'),
    ('tls-hello-large', large(tls_hello, True), 'TLS ClientHello of 31,000 cipher suites over 4 TLS records (jumbogram)'),
    ('tcp-payload', small(tcp_payload, False), 'plain TCP segment of 1,460 bytes (entropy)'),
    ('tcp-payload-large', large(tcp_payload, True), 'plain TCP segment of 261,918 bytes (jumbogram)'),
]


def is_large(name):
    return name.endswith('-large') or name.startswith('regress-')


# Families whose copies each open a connection of their own (a TLS hello
# is read once per connection); the others' TCP copies are one stream.
NEW_CONNECTION_PER_COPY = {'tls-hello', 'tls-hello-large'}


def pcap_bytes(frame, link, copies, new_connections=False):
    snap = LARGE_MAX
    out = [struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, snap, link)]
    seq = tcp_seq_at(frame)
    for i in range(copies):
        out.append(struct.pack('<IIII', 1700000000 + i // 1000000, i % 1000000, len(frame), len(frame)))
        if seq and new_connections:
            at = seq[0] - 4      # the source port: one connection per copy
            frame = frame[:at] + struct.pack('>H', 1024 + i % 64000) + frame[at + 2:]
        elif seq:
            at, n = seq
            frame = frame[:at] + struct.pack('>I', (TCP_SEQ_MARK + i * n) & 0xffffffff) + frame[at + 4:]
        out.append(frame)
    return b''.join(out)


def selected(name, only):
    if not only:
        return True
    for pat in only:
        if pat.endswith('*') and name.startswith(pat[:-1]):
            return True
        if name == pat:
            return True
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('outdir', nargs='?')
    ap.add_argument('--copies', type=int, default=20000)
    ap.add_argument('--large-copies', type=int, default=0)
    ap.add_argument('--bytes-per-file', type=int, default=30000000)
    ap.add_argument('--only', default='')
    ap.add_argument('--list', action='store_true')
    a = ap.parse_args()
    only = [s for s in a.only.split(',') if s]
    if a.list:
        for name, _, desc in FAMILIES:
            if selected(name, only):
                print('%-24s %s' % (name, desc))
        return 0
    if not a.outdir:
        ap.error('OUTDIR is required')
    os.makedirs(a.outdir, exist_ok=True)
    found = False
    for name, build, desc in FAMILIES:
        if not selected(name, only):
            continue
        found = True
        frame, link = build()
        limit = LARGE_MAX if is_large(name) else SMALL_MAX
        if len(frame) > limit:
            sys.exit('make-worst-packets: %s is %d bytes, over %d' % (name, len(frame), limit))
        if is_large(name):
            copies = a.large_copies or max(50, min(a.copies, a.bytes_per_file // len(frame)))
        else:
            copies = a.copies
        path = os.path.join(a.outdir, name + '.pcap')
        with open(path + '.tmp', 'wb') as f:
            f.write(pcap_bytes(frame, link, copies, name in NEW_CONNECTION_PER_COPY))
        os.replace(path + '.tmp', path)
        print('%s\t%d\t%d\t%d\t%s' % (name, len(frame), copies, link, desc))
    if not found:
        sys.exit('make-worst-packets: no packet matches --only %s' % a.only)
    return 0


if __name__ == '__main__':
    sys.exit(main())
