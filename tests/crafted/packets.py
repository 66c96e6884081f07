"""packets.py: what the crafted-capture generators share: the Internet
checksum (RFC 1071) and DNS name encoding (RFC 1035). Imported by the
scripts of this folder (run as scripts, so this folder is on sys.path)."""
import struct


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def name(n):
    return b"".join(bytes([len(p)]) + p.encode() for p in n.split(".")) + b"\0"
