#!/usr/bin/python3
"""protobuf_compat.py: NETCAP's record files, read by Google's protobuf runtime.

Run with Debian's /usr/bin/python3 (python3-protobuf). For every record file
in DIR (written by build/tests/ncap-gen, every field of every record set):

  1. generates Python classes from PROTO with protoc --python_out;
  2. reads the file with nothing of NETCAP's: Python's gzip module (which
     reads concatenated members) or plain open(), and a varint reader;
  3. decodes the Header and every record with Google's runtime, and checks
     that nothing decodes as an unknown field, that every field of every
     record (nested ones too) holds a non-default value, and that Google's
     deterministic re-encoding is byte-identical to protobuf-c's;
  4. compares every field value with what NETCAP's own reader and protobuf-c
     decoded from the same file (`ncap-gen --dump-json FILE`, canonical JSON:
     tests/support/canon.h) after normalizing MessageToDict's output
     (bytes: base64 -> hex; float: to float32).

Exit status 0 when everything agrees; 1 with the differences otherwise.
usage: protobuf_compat.py --gen build/tests/ncap-gen --proto proto/netcap.proto DIR
"""
import argparse
import base64
import glob
import gzip
import importlib.util
import json
import os
import struct
import subprocess
import sys
import tempfile

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor as FD


def load_classes(proto, tmp):
    """protoc --python_out for PROTO; returns the generated module."""
    include = os.path.dirname(os.path.abspath(proto))
    subprocess.run(["protoc", "--python_out=" + tmp, "-I" + include, os.path.abspath(proto)],
                   check=True)
    name = os.path.splitext(os.path.basename(proto))[0] + "_pb2"
    spec = importlib.util.spec_from_file_location(name, os.path.join(tmp, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_records(path):
    """Every delimited record of a file, as bytes (header first)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    records, pos = [], 0
    while pos < len(data):
        length, shift = 0, 0
        while True:
            if pos >= len(data):
                raise ValueError("%s: varint cut off at uncompressed offset %d" % (path, pos))
            b = data[pos]
            pos += 1
            length |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
            if shift >= 70:
                raise ValueError("%s: varint longer than 10 bytes at offset %d" % (path, pos))
        if pos + length > len(data):
            raise ValueError("%s: record at offset %d runs past the end" % (path, pos))
        records.append(data[pos:pos + length])
        pos += length
    return records


def normalize(desc, d):
    """MessageToDict output -> canonical form of tests/support/canon.h."""
    out = {}
    for f in desc.fields:
        if f.name not in d:
            continue
        v = d[f.name]
        if f.type == FD.TYPE_MESSAGE and f.message_type.GetOptions().map_entry:
            vf = f.message_type.fields_by_name["value"]
            out[f.name] = {k: scalar(vf, x) for k, x in v.items()}
        elif f.label == FD.LABEL_REPEATED:
            out[f.name] = [scalar(f, x) for x in v]
        else:
            out[f.name] = scalar(f, v)
    return out


def scalar(f, v):
    if f.type == FD.TYPE_BYTES:
        return base64.b64decode(v).hex()
    if f.type == FD.TYPE_MESSAGE:
        return normalize(f.message_type, v)
    if f.type == FD.TYPE_FLOAT and isinstance(v, (int, float)):
        return struct.unpack("f", struct.pack("f", v))[0]
    return v


def canon_from_c(desc, d):
    """The C side's floats are printed as doubles: round them to float32 too."""
    out = dict(d)
    for f in desc.fields:
        if f.name not in out:
            continue
        if f.type == FD.TYPE_FLOAT:
            conv = lambda x: struct.unpack("f", struct.pack("f", x))[0] if isinstance(x, (int, float)) else x
        elif f.type == FD.TYPE_MESSAGE and not f.message_type.GetOptions().map_entry:
            conv = lambda x, m=f.message_type: canon_from_c(m, x)
        else:
            continue
        out[f.name] = [conv(x) for x in out[f.name]] if f.label == FD.LABEL_REPEATED else conv(out[f.name])
    return out


def diff(a, b, path, problems):
    """Appends 'path: python=... c=...' for every difference of a and b."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                problems.append("%s.%s: only %s has it (%r)" % (path, k, "C" if k in b else "Python",
                                                                 b.get(k, a.get(k))))
            else:
                diff(a[k], b[k], "%s.%s" % (path, k), problems)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, "%s[%d]" % (path, i), problems)
    elif a != b or isinstance(a, bool) != isinstance(b, bool):
        problems.append("%s: Python decoded %r, NETCAP decoded %r" % (path, a, b))


# ncap-gen fills messages this deep, then leaves them present but empty
# (tests/support/fill.h, FILL_MAX_DEPTH): only recursive ones reach it.
FILL_MAX_DEPTH = 8


def unset_fields(msg, path, problems, unknown, depth=0):
    """Fields holding their default value, and unknown fields, recursively."""
    if len(msg.UnknownFields()):
        unknown.append("%s: %d unknown field(s) (numbers %s)" % (
            path, len(msg.UnknownFields()), sorted({u.field_number for u in msg.UnknownFields()})))
    if depth >= FILL_MAX_DEPTH:
        return
    present = {f.name for f, _ in msg.ListFields()}
    for f in msg.DESCRIPTOR.fields:
        if f.containing_oneof is not None and msg.WhichOneof(f.containing_oneof.name) != f.name:
            continue
        if f.name not in present:
            problems.append("%s.%s is unset (default value)" % (path, f.name))
            continue
        if f.type != FD.TYPE_MESSAGE:
            continue
        value = getattr(msg, f.name)
        if f.message_type.GetOptions().map_entry:
            if f.message_type.fields_by_name["value"].type == FD.TYPE_MESSAGE:
                for k, sub in value.items():
                    unset_fields(sub, "%s.%s[%r]" % (path, f.name, k), problems, unknown, depth + 1)
        elif f.label == FD.LABEL_REPEATED:
            for i, sub in enumerate(value):
                unset_fields(sub, "%s.%s[%d]" % (path, f.name, i), problems, unknown, depth + 1)
        else:
            unset_fields(value, "%s.%s" % (path, f.name), problems, unknown, depth + 1)


def check_file(pb, gen, path):
    problems = []
    records = read_records(path)
    if not records:
        return ["%s: no header" % path]
    header = pb.Header.FromString(records[0])
    type_name = pb.Type.Name(header.Type)
    name = type_name[3:] if type_name.startswith("NC_") else type_name
    expected = os.path.basename(path).split(".")[0]
    if name != expected:
        problems.append("%s: header says %s" % (path, name))
    cls = getattr(pb, name)
    dump = subprocess.run([gen, "--dump-json", path], check=True, capture_output=True,
                          text=True).stdout.splitlines()
    if len(dump) != len(records):
        problems.append("%s: Python read %d records (header included), NETCAP's reader %d"
                        % (path, len(records), len(dump)))
    for i, (raw, line) in enumerate(zip(records, dump)):
        msg = (pb.Header if i == 0 else cls).FromString(raw)
        where = "%s: %s" % (os.path.basename(path), "header" if i == 0 else "record %d" % i)
        unknown = []
        if i > 0:
            unset = []
            unset_fields(msg, where + " " + name, unset, unknown)
            problems += unset[:5]
        elif len(msg.UnknownFields()):
            unknown.append(where + ": unknown fields")
        problems += unknown
        if msg.SerializeToString(deterministic=True) != raw:
            problems.append("%s: Google's re-encoding differs from protobuf-c's bytes" % where)
        mine = normalize(msg.DESCRIPTOR, json_format.MessageToDict(
            msg, preserving_proto_field_name=True, including_default_value_fields=True))
        theirs = canon_from_c(msg.DESCRIPTOR, json.loads(line))
        diff(mine, theirs, where, problems)
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gen", required=True, help="build/tests/ncap-gen")
    ap.add_argument("--proto", required=True, help="the schema to decode with")
    ap.add_argument("dir")
    args = ap.parse_args()
    files = sorted(glob.glob(os.path.join(args.dir, "*.ncap.gz")) +
                   glob.glob(os.path.join(args.dir, "*.ncap")))
    if not files:
        print("no record files in %s" % args.dir, file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        pb = load_classes(args.proto, tmp)
        problems, nrec, nfields = [], 0, 0
        for path in files:
            try:
                problems += check_file(pb, args.gen, path)
            except Exception as e:  # a decode error is a finding, not a crash
                problems.append("%s: %s: %s" % (path, type(e).__name__, e))
            nrec += max(0, len(read_records(path)) - 1) if os.path.getsize(path) else 0
    for p in problems[:40]:
        print(p)
    if len(problems) > 40:
        print("... and %d more" % (len(problems) - 40))
    print("%d files, %d records: %s" % (len(files), nrec,
                                        "%d problems" % len(problems) if problems else "all fields agree"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
