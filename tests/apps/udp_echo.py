#!/usr/bin/env python3
"""udp_echo.py - a UDP echo server and a checking client, for the suites.

  udp_echo.py serve PORT             echo every datagram back to its sender
                                     (IPv4 and IPv6: a dual-stack socket);
                                     prints "listening" once bound
  udp_echo.py goodbye HOST PORT N    N times: a connected socket sends a
                                     datagram and an empty one, and is closed
                                     at once (the empty record just before the
                                     close looks like end-of-file to the
                                     service; once, it spun on it for ever)
  udp_echo.py check HOST PORT COUNT  send COUNT datagrams of sizes from 0 up
                                     to 65507 bytes (each with a unique
                                     content), alternating an unconnected
                                     socket (sendto/recvfrom, the source
                                     checked) and a connected one
                                     (send/recv); every answer must be the
                                     datagram sent, whole. A lost datagram is
                                     sent again (UDP may drop), at most 5
                                     times. Exit 0 if all came back.
"""
import os
import socket
import sys


def serve(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("::", port))
    print("listening", flush=True)
    while True:
        data, addr = s.recvfrom(65536)
        s.sendto(data, addr)


def sizes(count):
    fixed = [0, 1, 2, 63, 64, 65, 512, 1400, 1472, 1473, 8972, 8973, 9000, 32768, 65507]
    for i in range(count):
        if i < len(fixed):
            yield fixed[i]
        else:
            yield (i * 7919) % 65508


def answer(sk, host, port, i):
    """The answer to datagram @i, skipping late answers to earlier ones; None on timeout."""
    while True:
        try:
            got, src = sk.recvfrom(65536)
        except socket.timeout:
            return None
        if src[0] != host or src[1] != port:
            raise SystemExit(f"datagram {i}: answer from {src}, not {host}:{port}")
        if len(got) >= 4 and int.from_bytes(got[:4], "big") < i and got[:4] != i.to_bytes(4, "big"):
            continue
        return got


def check(host, port, count):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    free = socket.socket(family, socket.SOCK_DGRAM)
    conn = socket.socket(family, socket.SOCK_DGRAM)
    conn.connect((host, port))
    for sk in (free, conn):
        sk.settimeout(2.0)
        sk.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    bad = 0
    for i, n in enumerate(sizes(count)):
        payload = (i.to_bytes(4, "big") + os.urandom(16)) * (n // 20 + 1)
        payload = payload[:n]
        sk = conn if i % 2 else free
        for attempt in range(5):
            if sk is conn:
                sk.send(payload)
            else:
                sk.sendto(payload, (host, port))
            got = answer(sk, host, port, i)
            if got is None:
                continue
            if got != payload:
                print(f"datagram {i} ({n} bytes): answer of {len(got)} bytes differs")
                bad += 1
            break
        else:
            print(f"datagram {i} ({n} bytes): no answer in 5 tries")
            bad += 1
    print(f"{count} datagrams checked, {bad} bad")
    return 1 if bad else 0


def goodbye(host, port, n):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(n):
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.connect((host, port))
        s.send(b"bye")
        s.send(b"")
        s.close()
    print(f"{n} sockets closed after an empty datagram")
    return 0


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "goodbye":
        sys.exit(goodbye(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    elif len(sys.argv) == 5 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
