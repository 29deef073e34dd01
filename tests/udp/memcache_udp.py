#!/usr/bin/python3
# memcache_udp.py HOST PORT: values stored with "set" over memcached's TCP
# port, then read back with "get" over its UDP port, each request and answer
# framed by memcached's 8-byte UDP header (request id, sequence number,
# datagram count, reserved; big-endian). A 20,000-byte value comes back in
# several datagrams, reassembled by sequence number. A missing key answers
# "END". Prints "OK ..." or "FAIL ..." (exit 1).
import os
import socket
import struct
import sys

host, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET


def die(msg):
    print("FAIL", msg, flush=True)
    sys.exit(1)


values = {"small": b"hello over udp", "empty": b"",
          "mid": os.urandom(1000), "big": os.urandom(20000)}
t = socket.create_connection((host, port), timeout=5)
f = t.makefile("rb")
for k, v in values.items():
    t.sendall(b"set %s 42 0 %d\r\n%s\r\n" % (k.encode(), len(v), v))
    line = f.readline()
    if line != b"STORED\r\n":
        die("set %s: %r" % (k, line))

u = socket.socket(fam, socket.SOCK_DGRAM)
u.settimeout(3)
datagrams = 0


def get(key, reqid):
    global datagrams
    u.sendto(struct.pack("!HHHH", reqid, 0, 1, 0) + b"get %s\r\n" % key.encode(), (host, port))
    parts, total = {}, None
    while total is None or len(parts) < total:
        try:
            d, src = u.recvfrom(65536)
        except socket.timeout:
            die("get %s: %s of %s datagrams within 3 s" % (key, len(parts), total))
        if len(d) < 8:
            die("get %s: short datagram of %d bytes" % (key, len(d)))
        rid, seq, count, _ = struct.unpack("!HHHH", d[:8])
        if rid != reqid:
            die("get %s: request id %d, expected %d" % (key, rid, reqid))
        if total is not None and count != total:
            die("get %s: datagram count changed %d -> %d" % (key, total, count))
        total = count
        parts[seq] = d[8:]
        datagrams += 1
    if sorted(parts) != list(range(total)):
        die("get %s: sequence numbers %r" % (key, sorted(parts)))
    return b"".join(parts[i] for i in range(total)), total


for n, (k, v) in enumerate(values.items()):
    body, count = get(k, 100 + n)
    want = b"VALUE %s 42 %d\r\n%s\r\nEND\r\n" % (k.encode(), len(v), v)
    if body != want:
        die("get %s over UDP: %d bytes in %d datagrams, expected %d" % (k, len(body), count, len(want)))
body, _ = get("nosuchkey", 7)
if body != b"END\r\n":
    die("get nosuchkey: %r" % body[:100])
# TCP sees the same store.
t.sendall(b"get big\r\n")
want = b"VALUE big 42 20000\r\n" + values["big"] + b"\r\nEND\r\n"
got = b""
while len(got) < len(want):
    chunk = t.recv(65536)
    if not chunk:
        break
    got += chunk
if got != want:
    die("get big over TCP differs")
print("OK", len(values) + 1, "gets over UDP in", datagrams, "datagrams", flush=True)
