#!/usr/bin/env python3
# switch_requests.py SWITCH_DIR - hostile control requests to a local switch's
# DIR/ctl (src/service/vswitch.c). Every malformed request must be refused:
# the switch closes the connection without an answer. A valid request sent in
# pieces, or followed by a long description, must be answered; so must one
# sent after 300 idle connections are dropped (the switch holds at most 256
# ports and must refuse, not fail, past that). Exits 1 if any case is wrong.
import os, socket, struct, sys, time

sw = sys.argv[1]
MAGIC, VERSION = 0xFEEDFACE, 3
failed = 0


def sun(path, family=socket.AF_UNIX):
    """A struct sockaddr_un: family, then 108 bytes of path."""
    raw = path if isinstance(path, bytes) else path.encode()
    return struct.pack("=H", family) + raw[:108].ljust(108, b"\0")


def request(path, magic=MAGIC, version=VERSION, rtype=0, family=socket.AF_UNIX, descr=b"test"):
    return struct.pack("=III", magic, version, rtype) + sun(path, family) + descr


def ctl():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect(sw + "/ctl")
    return s


def check(name, ok, why=""):
    global failed
    print(("ok   " if ok else "FAIL ") + name + (": " + why if why and not ok else ""))
    if not ok:
        failed += 1


def refused(name, payload):
    """The switch must close the connection and send nothing back."""
    s = ctl()
    try:
        if payload:
            s.sendall(payload)
        got = s.recv(200)
        check(name, got == b"", "answered %d bytes" % len(got))
    except socket.timeout:
        check(name, False, "no answer and still open after 3 s")
    except ConnectionResetError:
        check(name, True)
    finally:
        s.close()


def data_socket():
    path = "%s/.req-%d-%d" % (sw, os.getpid(), time.monotonic_ns() % 1000000)
    d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    d.bind(path)
    return d, path


def answered(name, pieces, gap=0.2):
    """A valid request (possibly in pieces) must get the port's address, usable at once."""
    d, path = data_socket()
    s = ctl()
    try:
        whole = request(path) if pieces is None else None
        parts = [whole] if whole else pieces(path)
        for i, p in enumerate(parts):
            if i:
                time.sleep(gap)
            s.sendall(p)
        got = s.recv(200)
        fam = struct.unpack("=H", got[:2])[0] if len(got) >= 2 else -1
        port = got[2:].split(b"\0")[0].decode(errors="replace")
        ok = len(got) == 110 and fam == socket.AF_UNIX and os.path.dirname(port) == os.path.realpath(sw)
        if ok:
            d.connect(port)
            d.send(b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x99" + b"\x08\x06" + b"\0" * 46)
        check(name, ok, "answer %r" % got[:40])
    except (socket.timeout, OSError) as e:
        check(name, False, str(e))
    finally:
        s.close()
        d.close()
        os.unlink(path)


# Half a request, then gone: the switch must drop the connection (checked by
# the valid requests that follow being answered).
for payload in (b"", os.urandom(10), request("/nonexistent")[:100]):
    s = ctl()
    if payload:
        s.sendall(payload)
    s.close()
refused("bad-magic", request("/nonexistent", magic=0x12345678))
refused("version-2", request("/nonexistent", version=2))
refused("not-a-new-port", request("/nonexistent", rtype=1))
refused("not-af-unix", request("/nonexistent", family=socket.AF_INET))
refused("path-unterminated", struct.pack("=III", MAGIC, VERSION, 0) + struct.pack("=H", 1) + b"A" * 108)
refused("path-empty", request(""))
refused("path-missing", request(sw + "/no-such-socket"))
refused("path-regular-file", request(os.path.abspath(__file__)))
refused("random-4k", os.urandom(4096))
answered("valid", None)
answered("valid-in-pieces", lambda p: [request(p)[:5], request(p)[5:60], request(p)[60:]])
answered("valid-long-description", lambda p: [request(p, descr=b"d" * 3000)])

idle = []
for i in range(300):
    for attempt in range(100):  # the listening queue is short: wait for the switch to take them
        try:
            idle.append(ctl())
            break
        except (BlockingIOError, socket.timeout):
            time.sleep(0.01)
time.sleep(0.5)
# Past 256 ports the switch must refuse (close) the newest connections.
closed = 0
for s in idle[256:]:
    s.settimeout(2)
    try:
        closed += s.recv(1) == b""
    except (socket.timeout, OSError):
        pass
check("past-256-refused", len(idle) == 300 and closed == 300 - 256,
      "%d connections made, %d of those past 256 closed" % (len(idle), closed))
for s in idle:
    s.close()
time.sleep(0.5)
answered("valid-after-300-idle", None)
sys.exit(1 if failed else 0)
