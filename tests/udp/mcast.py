#!/usr/bin/python3
# Multicast between programs.
#   mcast.py recv GROUP PORT N join|nojoin IFADDR STOPFILE
#     binds [::]:PORT or 0.0.0.0:PORT with SO_REUSEADDR, joins GROUP
#     (IP_ADD_MEMBERSHIP on IFADDR, "any" for INADDR_ANY; IPV6_JOIN_GROUP on
#     interface 0) unless nojoin, prints "ready", then counts datagrams until
#     the sender's end marker arrives or STOPFILE exists. Prints
#     "got K of N dup D bad B end E"; exit 0 when that is what was expected
#     (all N and the end marker when joined, nothing at all when not).
#   mcast.py send GROUP PORT N IFADDR
#     sends N datagrams (IP_MULTICAST_IF IFADDR for IPv4) of assorted sizes,
#     each one's content fixed by its number, then 3 end markers.
import hashlib
import os
import select
import socket
import struct
import sys
import time


def payload(i):
    n = (i * 7919) % 1400 + 8
    return (struct.pack("!I", i) + hashlib.sha256(b"%d" % i).digest() * 50)[:n]


cmd, group, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
six = ":" in group
fam = socket.AF_INET6 if six else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)

if cmd == "send":
    ifaddr = sys.argv[5]
    if six:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 1)
    else:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ifaddr))
    for i in range(n):
        s.sendto(payload(i), (group, port))
        time.sleep(0.002)
    for _ in range(3):
        time.sleep(0.1)
        s.sendto(b"end", (group, port))
    print("sent", n, flush=True)
    sys.exit(0)

join, ifaddr, stop = sys.argv[5], sys.argv[6], sys.argv[7]
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.bind(("::" if six else "0.0.0.0", port))
if join == "join":
    if six:
        mreq = socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", 0)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    else:
        iface = socket.inet_aton("0.0.0.0" if ifaddr == "any" else ifaddr)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(group) + iface)
print("ready", flush=True)
seen, dup, bad, end = set(), 0, 0, 0
while not end and not os.path.exists(stop):
    if not select.select([s], [], [], 0.1)[0]:
        continue
    d = s.recv(70000)
    if d == b"end":
        end = 1
        continue
    i = struct.unpack("!I", d[:4])[0] if len(d) >= 4 else -1
    if not 0 <= i < n or d != payload(i):
        bad += 1
    elif i in seen:
        dup += 1
    else:
        seen.add(i)
print("got %d of %d dup %d bad %d end %d" % (len(seen), n, dup, bad, end), flush=True)
ok = (len(seen) == n and end) if join == "join" else (not seen and not end)
sys.exit(0 if ok and not dup and not bad else 1)
