#!/usr/bin/python3
# echo_client.py MODE HOST PORT [MYADDR]: 100 datagrams of assorted sizes
# (0 and the largest one, 65507 bytes over IPv4 and 65487 over IPv6 —
# netcon's limit, lwIP's packets stop at 65535 bytes with the IPv6 header;
# the kernel's 65527 is a known difference, tests/apps/conformance_udp.known —
# among them) sent one at a time to an echo server; every answer must come
# back within 3 s, equal byte for byte, from HOST:PORT.
#   sendto   - unconnected socket, sendto/recvfrom
#   connect  - connected socket, send/recv (and getpeername)
#   pktinfo  - unconnected, IP_PKTINFO / IPV6_RECVPKTINFO on, recvmsg: the
#              control message must name MYADDR as the destination
# Prints "OK MODE N datagrams B bytes", or how many came back right and the
# first differences (it goes on past a failed datagram, up to 5); exit 1 then.
import os
import random
import socket
import struct
import sys

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # not in Python 3.11's module

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
myaddr = sys.argv[4] if len(sys.argv) > 4 else None
six = ":" in host
fam = socket.AF_INET6 if six else socket.AF_INET
biggest = 65487 if six else 65507
rng = random.Random(1234 + len(mode))
sizes = [0, 1, biggest, 2, 1472, 1473, 8972, 8973, 65000, 512]
sizes += [rng.choice([rng.randrange(0, 64), rng.randrange(64, 1500),
                      rng.randrange(1500, 9000), rng.randrange(9000, biggest + 1)])
          for _ in range(100 - len(sizes))]
sizes[-1] = biggest


failures = []


def die(msg):
    print("FAIL", mode, msg, flush=True)
    sys.exit(1)


class Bad(Exception):
    pass


def bad(msg):
    raise Bad(msg)


s = socket.socket(fam, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.settimeout(3)
dest = (host, port)
if mode == "connect":
    s.connect(dest)
    peer = s.getpeername()
    if peer[0] != host or peer[1] != port:
        die("getpeername %r" % (peer,))
elif mode == "pktinfo":
    if six:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
    else:
        s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)

total = right = 0
for i, n in enumerate(sizes):
    data = os.urandom(n)
    try:
        if mode == "connect":
            sent = s.send(data)
        else:
            sent = s.sendto(data, dest)
        if sent != n:
            bad("datagram %d: sent %d of %d" % (i, sent, n))
        if mode == "connect":
            got, src = s.recv(70000), dest
        elif mode == "sendto":
            got, src = s.recvfrom(70000)
        else:
            got, anc, flags, src = s.recvmsg(70000, 1024)
            info = None
            for level, typ, val in anc:
                if not six and level == socket.IPPROTO_IP and typ == IP_PKTINFO:
                    ifindex, spec, addr = struct.unpack("i4s4s", val[:12])
                    info = socket.inet_ntop(socket.AF_INET, addr)
                    spec = socket.inet_ntop(socket.AF_INET, spec)
                    if ifindex <= 0 or spec != myaddr:
                        bad("datagram %d: pktinfo ifindex %d spec_dst %s" % (i, ifindex, spec))
                if six and level == socket.IPPROTO_IPV6 and typ == socket.IPV6_PKTINFO:
                    addr, ifindex = struct.unpack("16si", val[:20])
                    info = socket.inet_ntop(socket.AF_INET6, addr)
                    if ifindex <= 0:
                        bad("datagram %d: pktinfo ifindex %d" % (i, ifindex))
            if info is None:
                bad("datagram %d: no PKTINFO control message (%r)" % (i, anc))
            if myaddr and info != myaddr:
                bad("datagram %d: pktinfo destination %s, expected %s" % (i, info, myaddr))
            if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
                bad("datagram %d: flags %#x" % (i, flags))
        if src[0] != host or src[1] != port:
            bad("datagram %d: answer from %r" % (i, src))
        if got != data:
            bad("datagram %d: %d bytes sent, %d bytes back%s" % (
                i, n, len(got), ", content differs" if len(got) == n else ""))
    except socket.timeout:
        failures.append("datagram %d of %d bytes: no answer within 3 s" % (i, n))
    except Bad as e:
        failures.append(str(e))
    except OSError as e:
        failures.append("datagram %d of %d bytes: %s" % (i, n, e))
    else:
        right += 1
        total += n
    if len(failures) >= 5:
        break
if failures:
    die("%d of %d right; %s" % (right, len(sizes), "; ".join(failures)))
print("OK", mode, len(sizes), "datagrams", total, "bytes", flush=True)
