#!/usr/bin/env python3
"""fake_service.py SOCKET RECORD - a stand-in for netcon-service run by another user.

It listens where a service would (SOCK_SEQPACKET, mode 0777 so anyone can
connect) and never answers: it only counts the bytes each client sends and
rewrites RECORD after every message ("total N" then one "pid uid bytes" line
per client), so the test can tell whether libnetcon sent anything to it
before checking who it is. A client is dropped after its first message, so a
program that did talk to it fails fast instead of waiting for a reply.
"""
import os
import socket
import struct
import sys
import time

path, record = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
srv.bind(path)
os.chmod(path, 0o777)
srv.listen(64)
srv.settimeout(1.0)
clients = []  # [pid, uid, bytes]


def write_record():
    tmp = record + ".tmp"
    with open(tmp, "w") as f:
        f.write("total %d\n" % sum(c[2] for c in clients))
        for c in clients:
            f.write("%d %d %d\n" % tuple(c))
    os.replace(tmp, record)


write_record()
# Bounded: the test stops it by PID long before this runs out.
deadline = time.monotonic() + 600
while time.monotonic() < deadline:
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        continue
    cred = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _gid = struct.unpack("3i", cred)
    entry = [pid, uid, 0]
    clients.append(entry)
    conn.settimeout(2.0)
    try:
        data = conn.recv(65536)
        entry[2] += len(data)
    except OSError:
        pass
    conn.close()
    write_record()
