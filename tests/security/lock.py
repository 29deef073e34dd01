#!/usr/bin/env python3
"""lock.py FILE SECONDS - hold an exclusive flock on FILE for at most SECONDS.

Prints "locked" once it holds the lock. The lock lives in this one process
(Python's descriptors are not inherited), so the suite releases it by
stopping this PID, whatever its own children do; a crashed suite frees it
after SECONDS at the latest.
"""
import fcntl
import sys
import time

f = open(sys.argv[1], "rb")
fcntl.flock(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
