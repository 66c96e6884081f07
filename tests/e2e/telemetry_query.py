#!/usr/bin/python3
"""telemetry_query.py SOCKET COMMAND: sends one command to a DPDK telemetry
socket (dpdk_telemetry.v2, SOCK_SEQPACKET) and prints the JSON answer's
value for that command on one line. Exit 1 when the socket cannot be
reached or the answer is not JSON; exit 2 when the command is unknown (the
value is null). What usertools/dpdk-telemetry.py does, for machines without
the dpdk package."""
import json
import socket
import sys

path, command = sys.argv[1], sys.argv[2]
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(path)
    hello = json.loads(s.recv(16384).decode())
    s.send(command.encode())
    answer = json.loads(s.recv(hello.get("max_output_len", 16384)).decode())
    s.close()
except (OSError, ValueError) as e:
    print(f"telemetry_query: {path}: {e}", file=sys.stderr)
    sys.exit(1)
value = answer.get(command)
print(json.dumps(value))
sys.exit(2 if value is None else 0)
