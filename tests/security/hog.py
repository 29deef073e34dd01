#!/usr/bin/env python3
"""hog.py SECONDS - a client that takes every socket a netcon service gives it.

Run under intercept: it calls socket() until one fails (bounded at 20,000),
prints "hog COUNT ERRNO" at once, then holds them all and retries socket()
every 10 ms for SECONDS, printing "retries N ok M" at the end, so the test
can see the service refusing it without spinning while an honest client
carries on.
"""
import socket
import sys
import time

hold = float(sys.argv[1])
socks, err = [], 0
for _ in range(20000):
    try:
        socks.append(socket.socket())
    except OSError as e:
        err = e.errno
        break
print("hog %d %d" % (len(socks), err), flush=True)
end, retries, ok = time.monotonic() + hold, 0, 0
while time.monotonic() < end:
    time.sleep(0.01)
    retries += 1
    try:
        socks.append(socket.socket())
        ok += 1
    except OSError:
        pass
print("retries %d ok %d" % (retries, ok), flush=True)
