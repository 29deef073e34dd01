#!/usr/bin/env python3
"""flood.py - hostile and honest TCP traffic for tests/suites/floods.sh.

  flood.py syn SWITCH_DIR MAC IPV4 PORT SRCNET BURST RATE SECONDS
      Joins the vde switch in SWITCH_DIR as a raw Ethernet participant and
      sends SYNs to IPV4:PORT (at MAC) from spoofed sources in SRCNET.128.0/17
      (SRCNET is "A.B"; random addresses, MACs and ports): BURST at once,
      then RATE a second until SECONDS have passed. Nobody answers the
      service's ARP requests for those sources.

  flood.py oos SWITCH_DIR MAC IPV4 PORT MY_IPV4 COUNT RATE
      Joins the switch as MY_IPV4 (answering the service's ARP requests for
      it), opens a real connection to IPV4:PORT (the SYN-ACK read from the
      switch gives the service's ISN), then sends COUNT 1-byte segments
      beyond a 1-byte hole that is never filled, RATE a second, and resets
      the connection.

  flood.py client HOST PORT SECONDS TIMEOUT
      An honest client (run it through intercept): for SECONDS, connects to
      an echo server at HOST:PORT, sends 16 bytes, reads them back, closes,
      each attempt bounded by TIMEOUT seconds. Prints the counts and the
      slowest attempt; exits 1 if any attempt failed.

Every loop is bounded in count and time. Prints one summary line.
"""
import os
import random
import select
import socket
import struct
import sys
import time


def checksum(data):
    """The Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, payload, proto=6):
    """An IPv4 header (checksummed) around payload."""
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), random.getrandbits(16),
                    0x4000, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", checksum(h)) + h[12:] + payload


def tcp(src, dst, sport, dport, seq, ack, flags, opts=b"", data=b"", win=65535):
    """A TCP segment with a correct checksum over the IPv4 pseudo-header."""
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      ((20 + len(opts)) // 4) << 4, flags, win, 0, 0) + opts + data
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(seg))
    return seg[:16] + struct.pack("!H", checksum(pseudo + seg)) + seg[18:]


def ether(dst, src, etype, payload):
    """An Ethernet frame, padded to the 60-byte minimum."""
    f = dst + src + struct.pack("!H", etype) + payload
    return f + bytes(max(0, 60 - len(f)))


SYN, RST, PSH, ACK = 0x02, 0x04, 0x08, 0x10
# MSS 1460, SACK permitted, window scale 7 (padded with NOPs).
SYN_OPTS = b"\x02\x04\x05\xb4" + b"\x04\x02" + b"\x01\x03\x03\x07"


class Switch:
    """A port on a vde switch, joined the way libvdeplug's vde:// does."""

    def __init__(self, swdir, name):
        self.ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.ctl.settimeout(5)
        self.ctl.connect(os.path.join(swdir, "ctl"))
        mine = os.path.join(swdir, ".flood-%d-%s" % (os.getpid(), name))
        self.data = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.data.bind(mine)
        self.data.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 21)
        self.data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
        sun = struct.pack("=H108s", socket.AF_UNIX, mine.encode())
        # struct request_v3 { magic, version, type; sockaddr_un; description }
        self.ctl.send(struct.pack("=III", 0xFEEDFACE, 3, 0) + sun + b"netcon-flood\0")
        reply = self.ctl.recv(110)
        self.data.connect(reply[2:].split(b"\0")[0].decode())
        os.unlink(mine)
        self.data.setblocking(False)
        self.sent = 0

    def send(self, frame):
        """Sends one frame, waiting at most 5 s while the switch is busy."""
        for _ in range(100):
            try:
                self.data.send(frame)
                self.sent += 1
                return
            except BlockingIOError:
                if not select.select([], [self.data], [], 5)[1]:
                    sys.exit("flood: the switch stopped taking frames after %d" % self.sent)
        sys.exit("flood: the switch keeps refusing frames")

    def frames(self, wait=0.0, limit=4096):
        """Frames waiting for us (at most limit), after waiting up to wait s."""
        out = []
        if wait and not select.select([self.data], [], [], wait)[0]:
            return out
        for _ in range(limit):
            try:
                out.append(self.data.recv(65536))
            except OSError:
                break
        return out


def pace(start, done, rate):
    """Sleeps so that done items since start keep to rate per second."""
    ahead = done / rate - (time.monotonic() - start)
    if ahead > 0:
        time.sleep(ahead)


def syn_flood(swdir, mac, ip, port, srcnet, burst, rate, seconds):
    """Spoofed SYNs to ip:port: burst at once, then rate a second."""
    sw = Switch(swdir, "syn")
    dmac, dip = bytes.fromhex(mac.replace(":", "")), socket.inet_aton(ip)
    net = bytes(int(x) for x in srcnet.split("."))
    end = time.monotonic() + seconds
    start = time.monotonic()
    n = 0
    while n < burst + rate * seconds and time.monotonic() < end:
        src = net + bytes([random.randint(128, 254), random.randint(1, 254)])
        smac = bytes([0x02, 0x5f]) + random.getrandbits(32).to_bytes(4, "big")
        seg = tcp(src, dip, random.randint(1024, 65535), port, random.getrandbits(32), 0,
                  SYN, SYN_OPTS, win=64240)
        sw.send(ether(dmac, smac, 0x0800, ipv4(src, dip, seg)))
        n += 1
        if n > burst:
            pace(start, n - burst, rate)
        elif n == burst:
            start = time.monotonic()
        if n % 256 == 0:
            sw.frames()  # SYN-ACKs and ARP requests flooded to us: drop them
    print("flood: %d SYNs sent in %.1f s" % (n, seconds - max(0.0, end - time.monotonic())))


def oos_flood(swdir, mac, ip, port, myip, count, rate):
    """A real connection to ip:port, then count 1-byte segments past a hole."""
    sw = Switch(swdir, "oos")
    dmac, dip = bytes.fromhex(mac.replace(":", "")), socket.inet_aton(ip)
    me = bytes([0x02, 0x5e]) + random.getrandbits(32).to_bytes(4, "big")
    mip = socket.inet_aton(myip)
    sport = random.randint(20000, 60000)
    iss = random.getrandbits(32)

    def answer(frames):
        """Answers ARP requests for myip; returns the TCP segments to us."""
        segs = []
        for f in frames:
            if len(f) >= 42 and f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x01" \
                    and f[38:42] == mip:
                sha, spa = f[22:28], f[28:32]
                arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + me + mip + sha + spa
                sw.send(ether(sha, me, 0x0806, arp))
            elif len(f) >= 54 and f[12:14] == b"\x08\x00" and f[23] == 6 and f[30:34] == mip:
                ihl = (f[14] & 15) * 4
                segs.append(f[14 + ihl:])
        return segs

    def segment(seq, ack, flags, data=b"", opts=b""):
        """One of our segments to the service, as a frame."""
        return ether(dmac, me, 0x0800, ipv4(mip, dip, tcp(mip, dip, sport, port, seq, ack,
                                                          flags, opts, data, win=65535)))

    # The handshake: SYN (again each second, 5 times at most), then our ACK.
    peer_isn = None
    deadline = time.monotonic() + 10
    next_syn = 0.0
    while peer_isn is None and time.monotonic() < deadline:
        if time.monotonic() >= next_syn:
            sw.send(segment(iss, 0, SYN, opts=SYN_OPTS))
            next_syn = time.monotonic() + 1
        for s in answer(sw.frames(0.05)):
            sp, dp, seq, ack, off, flags = struct.unpack("!HHIIBB", s[:14])
            if sp == port and dp == sport and flags & (SYN | ACK) == SYN | ACK and ack == iss + 1:
                peer_isn = seq
    if peer_isn is None:
        sys.exit("flood: no SYN-ACK from %s:%d" % (ip, port))
    rcv = (peer_isn + 1) & 0xFFFFFFFF
    sw.send(segment(iss + 1, rcv, ACK))
    # Byte iss+1 is the hole; segment i carries byte iss+2+2i.
    start = time.monotonic()
    deadline = start + 120
    n = 0
    while n < count and time.monotonic() < deadline:
        sw.send(segment(iss + 2 + 2 * n, rcv, ACK | PSH, data=b"x"))
        n += 1
        pace(start, n, rate)
        if n % 128 == 0:
            answer(sw.frames())
    took = time.monotonic() - start
    sw.send(segment(iss + 2 + 2 * n, rcv, RST | ACK))
    print("flood: handshake done, %d out-of-order 1-byte segments sent in %.1f s" % (n, took))


def client(host, port, seconds, timeout):
    """Honest echo connections for seconds; every one must succeed."""
    ok = failed = slow = 0
    worst = 0.0
    end = time.monotonic() + seconds
    errors = {}
    while time.monotonic() < end and ok + failed < 100000:
        t0 = time.monotonic()
        msg = b"%016d" % (ok + failed)
        try:
            with socket.create_connection((host, port), timeout=timeout) as s:
                s.settimeout(max(0.1, timeout - (time.monotonic() - t0)))
                s.sendall(msg)
                got = b""
                while len(got) < len(msg):
                    part = s.recv(len(msg) - len(got))
                    if not part:
                        break
                    got += part
                if got != msg:
                    raise OSError("echo mismatch")
            ok += 1
        except OSError as e:
            failed += 1
            errors[str(e)] = errors.get(str(e), 0) + 1
        took = time.monotonic() - t0
        worst = max(worst, took)
        slow += took > 0.5
        time.sleep(0.02)
    print("client: %d connections ok, %d failed, %d over 0.5 s, slowest %.2f s%s" %
          (ok, failed, slow, worst, (" " + repr(errors)) if errors else ""))
    return 0 if failed == 0 and ok > 0 else 1


def main(argv):
    """Dispatches on the mode named by argv[1]."""
    if len(argv) == 10 and argv[1] == "syn":
        syn_flood(argv[2], argv[3], argv[4], int(argv[5]), argv[6], int(argv[7]), int(argv[8]),
                  float(argv[9]))
    elif len(argv) == 9 and argv[1] == "oos":
        oos_flood(argv[2], argv[3], argv[4], int(argv[5]), argv[6], int(argv[7]), int(argv[8]))
    elif len(argv) == 6 and argv[1] == "client":
        return client(argv[2], int(argv[3]), float(argv[4]), float(argv[5]))
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
