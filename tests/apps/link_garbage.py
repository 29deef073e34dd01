#!/usr/bin/env python3
# link_garbage.py SWITCH_DIR PORT TARGET... - malformed frames into a vdeplug
# switch. TARGET is MAC,IPV4,IPV6 of a service; PORT is a TCP port it listens on.
# SEED=N repeats a run; PARTS=45 sends only parts 4 and 5 below (R: runts).
import os, random, select, socket, struct, sys, time

SEED = int(os.environ.get("SEED") or random.randrange(1 << 30))
random.seed(SEED)
sw, lport = sys.argv[1], int(sys.argv[2])
targets = []
for t in sys.argv[3:]:
    m, a4, a6 = t.split(",")
    targets.append((bytes.fromhex(m.replace(":", "")), socket.inet_aton(a4),
                    socket.inet_pton(socket.AF_INET6, a6)))
BCAST = b"\xff" * 6
ME = bytes.fromhex("02666a7a7a01")
ME4 = socket.inet_aton("10.77.200.1")
ME6 = socket.inet_pton(socket.AF_INET6, "fd00:77::bad")
LL6 = socket.inet_pton(socket.AF_INET6, "fe80::bad")
ALLNODES6 = socket.inet_pton(socket.AF_INET6, "ff02::1")
ALLNODES_MAC = bytes.fromhex("333300000001")

# Join the switch the way libvdeplug_vde does: a request on DIR/ctl naming our
# datagram socket, answered with the switch's datagram socket for this port.
ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
ctl.settimeout(5)
ctl.connect(sw + "/ctl")
mine = "%s/.garbage-%d" % (sw, os.getpid())
data = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
data.bind(mine)
data.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
sun = struct.pack("=H108s", socket.AF_UNIX, mine.encode())
ctl.send(struct.pack("=III", 0xFEEDFACE, 3, 0) + sun + b"netcon-garbage")
peer = ctl.recv(110)
data.connect(peer[2:].split(b"\0")[0].decode())
os.unlink(mine)
data.setblocking(False)

sent = 0
PARTS = os.environ.get("PARTS", "R1234567")
PART = "0"
def send(frame):
    """One frame; waits (bounded) while the switch is not taking frames."""
    global sent
    if PART not in PARTS:
        return
    for attempt in range(2):
        try:
            data.send(frame)
            sent += 1
            break
        except BlockingIOError:
            if not select.select([], [data], [], 5)[1]:
                sys.exit("the switch stopped taking frames after %d" % sent)
        except OSError:  # EMSGSIZE and the like: the kernel refused it
            break
    if sent % 64 == 0:  # the switch forwards the services' answers to us: drop them
        try:
            while True:
                data.recv(65536)
        except OSError:
            pass

def rnd(n):
    return random.getrandbits(8 * n).to_bytes(n, "big") if n else b""

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def eth(dst, etype, payload, src=ME):
    return dst + src + struct.pack("!H", etype) + payload

def ip4(src, dst, proto, payload, ihl=5, tot=None, ver=4, frag=0, ttl=64, opts=b"",
        ident=None, good=True):
    h = struct.pack("!BBHHHBBH4s4s", (ver << 4) | (ihl & 15), 0,
                    (20 + len(opts) + len(payload)) if tot is None else tot,
                    random.getrandbits(16) if ident is None else ident, frag, ttl, proto, 0,
                    src, dst) + opts
    c = csum(h) if good else random.getrandbits(16)
    return h[:10] + struct.pack("!H", c) + h[12:] + payload

def l4sum(src, dst, proto, seg, pos):
    if len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg))
    else:
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), proto)
    seg = seg[:pos] + b"\0\0" + seg[pos + 2:]
    return seg[:pos] + struct.pack("!H", csum(pseudo + seg)) + seg[pos + 2:]

def tcp(src, dst, sport, dport, flags, opts=b"", data=b"", doff=None, seq=None, ack=0,
        win=65535, urg=0, good=True):
    d = (20 + len(opts)) // 4 if doff is None else doff
    seg = struct.pack("!HHIIBBHHH", sport, dport,
                      random.getrandbits(32) if seq is None else seq, ack, (d & 15) << 4,
                      flags & 0xFF, win, 0, urg) + opts + data
    return l4sum(src, dst, 6, seg, 16) if good else seg

def udp(src, dst, sport, dport, data, ulen=None, good=True):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data) if ulen is None else ulen, 0) + data
    return l4sum(src, dst, 17, seg, 6) if good else seg

def icmp4(typ, code, body, good=True):
    m = struct.pack("!BBH", typ, code, 0) + body
    return m[:2] + struct.pack("!H", csum(m) if good else 0x1234) + m[4:]

def ip6(src, dst, nh, payload, plen=None, hlim=64, ver=6):
    return struct.pack("!IHBB16s16s", ver << 28, len(payload) if plen is None else plen, nh,
                       hlim, src, dst) + payload

def icmp6(src, dst, typ, code, body):
    return l4sum(src, dst, 58, struct.pack("!BBH", typ, code, 0) + body, 2)

def arp(op, sha, spa, tha, tpa, htype=1, ptype=0x800, hlen=6, plen=4):
    return struct.pack("!HHBBH", htype, ptype, hlen, plen, op) + sha + spa + tha + tpa

MAXFRAME = 9216 + 14 + 4  # VDE_ETHBUFSIZE

PART = "R"
# R. runts: every length from 14 to 59 bytes of a valid frame (Ethernet header
# intact) of types IPv4, IPv6 and ARP, to each service and to broadcast; a 15-
# or 16-byte IPv4 or IPv6 frame once made lwIP read past the frame. Then a few
# shorter than an Ethernet header, which the link must drop.
runts = 0
for mac, a4, a6 in targets:
    whole = {0x0800: ip4(ME4, a4, 1, icmp4(8, 0, struct.pack("!HH", 1, 1) + rnd(8))),
             0x86DD: ip6(ME6, a6, 58, icmp6(ME6, a6, 128, 0, struct.pack("!HH", 1, 1) + rnd(8))),
             0x0806: arp(1, ME, ME4, bytes(6), a4)}
    for etype, payload in whole.items():
        for n in range(14, 60):
            for dst in (mac, BCAST):
                send(eth(dst, etype, payload)[:n])
                runts += 1
    for n in range(2, 14):
        send(eth(mac, 0x0800, b"")[:n])
        runts += 1

PART = "1"
# 1. random frames, random sizes, to each service and to broadcast
dsts = [t[0] for t in targets] + [BCAST]
for i in range(400):
    send(random.choice(dsts) + rnd(random.randint(8, MAXFRAME - 6)))
for et in (0x0800, 0x86DD, 0x0806, 0x8100, 0x88A8, 0x0000, 0x05DC, 0xFFFF):
    for i in range(20):
        send(eth(random.choice(dsts), et, rnd(random.randint(0, 200))))

PART = "2"
# 2. runts: shorter than an Ethernet header, down to nothing
for n in list(range(14)) * 3:
    send(rnd(n))

PART = "3"
# 3. frames of the largest size a vdeplug link carries, and larger
for mac, a4, a6 in targets:
    send(eth(mac, 0x0800, ip4(ME4, a4, 17, udp(ME4, a4, 9, 9, rnd(MAXFRAME - 42)))))
    send(eth(mac, 0x0800, ip4(ME4, a4, 1, icmp4(8, 0, rnd(MAXFRAME - 38)))))
    send(eth(mac, 0x86DD, ip6(ME6, a6, 58, icmp6(ME6, a6, 128, 0, rnd(MAXFRAME - 58)))))
    send(mac + rnd(MAXFRAME - 6))
    send(mac + rnd(65000))

for mac, a4, a6 in targets:
    def v4(payload, **kw):
        send(eth(mac, 0x0800, ip4(ME4, a4, kw.pop("proto", 6), payload, **kw)))

    def to_listener(sport, flags, ipkw={}, six=False, src=None, **kw):
        """A segment to the listening port, then the RST that closes whatever
        half-open connection it made: lwIP counts those against the listen
        backlog until they time out (20 s), so a few would lock it."""
        seq = random.getrandbits(32)
        s4, d4 = (ME6, a6) if six else (src or ME4, a4)
        out = (lambda seg: v6(6, seg)) if six else (lambda seg: v4(seg, **ipkw))
        out(tcp(s4, d4, sport, lport, flags, seq=seq, **kw))
        out(tcp(s4, d4, sport, lport, 0x04, seq=(seq + 1) & 0xFFFFFFFF))

    PART = "4"
    # 4. malformed IPv4
    for ihl in range(16):
        v4(rnd(40), ihl=ihl, proto=random.choice([1, 6, 17, 255]))
    for tot in (0, 1, 19, 20, 21, 59, 61, 1500, 9000, 65535):
        to_listener(1234, 0x02, ipkw=dict(tot=tot))
    for ver in (0, 1, 5, 6, 7, 15):
        v4(rnd(40), ver=ver)
    to_listener(1234, 0x02, ipkw=dict(good=False))  # bad header checksum
    for opts in (b"\x07\x00" + b"\0" * 38, b"\x07\x01" + b"\0" * 38, b"\x07\xff" + b"\0" * 38,
                 b"\x44\x28\x05" + rnd(37), b"\x83\x03\x04" + b"\x01" * 37, b"\x01" * 40,
                 b"\x94\x04\x00\x00" + b"\x01" * 36, rnd(40), b"\x00" * 40):
        v4(udp(ME4, a4, 7, 7, rnd(16)), ihl=15, opts=opts, proto=17)
    for proto in range(256):
        v4(rnd(random.randint(0, 64)), proto=proto)
    for src in ("0.0.0.0", "255.255.255.255", "224.0.0.1", "127.0.0.1", "10.77.255.255"):
        send(eth(mac, 0x0800, ip4(socket.inet_aton(src), a4, 1, icmp4(8, 0, rnd(32)))))
    # fragments: tiny, overlapping, past 64 KiB, and many unfinished datagrams
    ident = random.getrandbits(16)
    for off in (0, 1, 2, 3, 8188, 8189, 8191):
        v4(rnd(64), frag=0x2000 | off, ident=ident, proto=17)
    v4(rnd(1480), frag=8189, ident=ident, proto=17)  # last fragment beyond 65535
    for i in range(600):
        v4(rnd(1400), frag=0x2000 | random.randint(0, 8000), proto=random.choice([1, 6, 17]))
    for i in range(50):  # overlapping pieces of one datagram, then its end
        v4(rnd(random.randint(1, 60) * 8), frag=0x2000 | random.randint(0, 20), ident=ident + 1,
           proto=17)
    v4(rnd(16), frag=21, ident=ident + 1, proto=17)
    # ICMP: bad checksum, truncated, errors quoting garbage
    v4(icmp4(8, 0, rnd(56), good=False), proto=1)
    for typ in range(256):
        v4(icmp4(typ, random.randint(0, 16), rnd(random.randint(0, 40))), proto=1)
    for typ, code in ((3, 4), (3, 3), (3, 1), (4, 0), (5, 0), (11, 0), (12, 0)):
        inner = ip4(a4, ME4, 6, tcp(a4, ME4, lport, 1234, 0x12))[:28]
        v4(icmp4(typ, code, b"\0\0\0\0" + inner), proto=1)
        v4(icmp4(typ, code, b"\0\0\0\0" + inner[:random.randint(0, 27)]), proto=1)
        v4(icmp4(typ, code, b"\0\0\0\0" + rnd(28)), proto=1)
    # UDP: lengths that lie, checksums that do not match
    for ulen in (0, 1, 7, 9, 100, 65535):
        v4(udp(ME4, a4, 53, random.randint(1, 65535), rnd(20), ulen=ulen), proto=17)
    v4(udp(ME4, a4, 53, 53, rnd(20), good=False), proto=17)
    for i in range(50):
        v4(udp(ME4, a4, random.randint(1, 65535), random.randint(1, 65535), rnd(100)), proto=17)
    # TCP: header lengths that lie, broken options, every flag combination
    for doff in range(16):
        to_listener(40000 + doff, 0x02, doff=doff, data=rnd(8))
        v4(tcp(ME4, a4, 40000 + doff, 1, 0x02, doff=doff))
    for opts in (b"\x02\x00\x00\x00", b"\x02\x01\x00\x00", b"\x02\x02\x00\x00",
                 b"\x02\x04\x00\x00", b"\x02\x04\xff\xff", b"\x03\x03\xff\x00",
                 b"\x03\x00\x00\x00", b"\x04\x00\x00\x00", b"\x04\x01\x00\x00",
                 b"\x05\x01\x00\x00", b"\x05\xff\x00\x00", b"\x05\x03\x00\x00",
                 b"\x08\x00\x00\x00", b"\x08\x02\x00\x00", b"\x08\x0a" + b"\0" * 10,
                 b"\x08\xff\x00\x00", b"\xff\x00\x00\x00", b"\xff\x01\x00\x00",
                 b"\xfe\xff" + b"\0" * 38, b"\x01" * 39 + b"\x02", b"\x00" * 40, rnd(40),
                 b"\x02\x04\x00\x01\x03\x03\x0e\x01\x04\x02\x08\x0a" + b"\0" * 8):
        to_listener(random.randint(1024, 65535), 0x02, opts=opts)
        to_listener(random.randint(1024, 65535), 0x10, opts=opts, ack=1)
    for flags in range(256):
        to_listener(50000 + flags, flags, data=rnd(flags % 5), ack=random.getrandbits(32),
                    urg=random.getrandbits(16))
        v4(tcp(ME4, a4, 50000 + flags, 9, flags, ack=random.getrandbits(32)))
    to_listener(1234, 0x02, good=False)  # bad TCP checksum
    to_listener(1235, 0x02, data=rnd(1000), win=0)  # data on a SYN
    to_listener(lport, 0x02, src=a4)  # "land": from itself to itself
    send(eth(BCAST, 0x0800, ip4(ME4, socket.inet_aton("10.77.255.255"), 6,
                                tcp(ME4, socket.inet_aton("10.77.255.255"), 1, lport, 0x02))))

    PART = "5"
    # 5. malformed IPv6
    def v6(nh, payload, **kw):
        send(eth(kw.pop("dmac", mac), 0x86DD, ip6(kw.pop("src", ME6), kw.pop("dst", a6), nh,
                                                  payload, **kw)))
    for plen in (0, 1, 7, 8, 9, 1000, 65535):
        v6(58, icmp6(ME6, a6, 128, 0, rnd(16)), plen=plen)
    for ver in (0, 4, 7, 15):
        v6(58, icmp6(ME6, a6, 128, 0, rnd(16)), ver=ver)
    for nh in range(256):
        v6(nh, rnd(random.randint(0, 64)))
    for hl in (0, 1, 2, 255):  # extension headers whose length runs past the packet
        for nh in (0, 43, 44, 60, 51, 135, 139, 140):
            v6(nh, bytes([58, hl]) + rnd(14))
    chain = b""
    for i in range(200):  # a long chain of destination options
        chain = bytes([60 if i else 58, 0]) + b"\x01\x04\0\0\0\0" + chain
    v6(60, chain + icmp6(ME6, a6, 128, 0, b"\0" * 8)[:8])
    v6(60, bytes([0, 0]) + b"\x01\x04\0\0\0\0" + bytes([58, 0]) + b"\x01\x04\0\0\0\0")  # HBH not first
    for opt in (b"\x00" * 6, b"\x01\x05" + b"\0" * 4, b"\x01\xff\0\0\0\0", b"\xc2\x04\0\0\0\0",
                b"\xc2\x00\0\0\0\0", b"\x05\x02\0\0\x01\x00", b"\x80\x04" + rnd(4),
                b"\xc0\x04" + rnd(4), b"\x05\x00\x01\x00\x00\x00", rnd(6)):
        v6(0, bytes([58, 0]) + opt + icmp6(ME6, a6, 128, 0, rnd(8)))
        v6(60, bytes([58, 0]) + opt + icmp6(ME6, a6, 128, 0, rnd(8)))
    for seg in (0, 1, 255):  # routing headers, type 0 included
        for rtype in (0, 2, 3, 4, 255):
            v6(43, bytes([58, 2, rtype, seg]) + b"\0" * 4 + ME6 + icmp6(ME6, a6, 128, 0, rnd(8)))
    for i in range(300):  # fragments: unfinished, overlapping, odd sizes, past 64 KiB
        off = random.randint(0, 8191)
        v6(44, bytes([58, 0]) + struct.pack("!HI", (off << 3) | random.randint(0, 1),
                                            random.getrandbits(32)) + rnd(random.randint(0, 1400)))
    v6(44, bytes([58, 0]) + struct.pack("!HI", 0, 7) + icmp6(ME6, a6, 128, 0, rnd(8)))  # atomic
    v6(44, bytes([44, 0]) + struct.pack("!HI", 1, 8) + bytes([58, 0]) + struct.pack("!HI", 0, 9))
    v6(44, bytes([58, 0]) + struct.pack("!HI", (8191 << 3), 10) + rnd(1400))
    # ICMPv6 with valid checksums: neighbour discovery with broken options, errors
    for typ in range(256):
        v6(58, icmp6(ME6, a6, typ, random.randint(0, 5), rnd(random.randint(0, 48))))
    for typ in (133, 134, 135, 136, 137):
        for opt in (b"\x01\x00" + rnd(6), b"\x01\x01" + ME, b"\x02\x00" + rnd(6),
                    b"\x03\x00" + rnd(30), b"\x03\x04\xff\xc0" + rnd(28),
                    b"\x03\x04\x40\xc0\xff\xff\xff\xff\xff\xff\xff\xff\0\0\0\0" + ME6,
                    b"\x05\x01\0\0\0\0\0\0", b"\x05\x01\0\0\0\0\x00\x64", b"\x04\x00" + rnd(6),
                    b"\x04\x01" + rnd(6), b"\x19\x00" + rnd(6), b"\x1f\xff" + rnd(6), rnd(24)):
            body = {133: b"\0" * 4, 134: b"\x40\x00\x00\x00" + b"\0" * 8,
                    135: b"\0" * 4 + a6, 136: b"\x00" * 4 + ME6,
                    137: b"\0" * 4 + ME6 + a6}[typ]
            for src, dst, dmac in ((LL6, ALLNODES6, ALLNODES_MAC), (LL6, a6, mac),
                                   (bytes(16), a6, mac)):
                v6(58, icmp6(src, dst, typ, 0, body + opt), src=src, dst=dst, dmac=dmac,
                   hlim=255)
    for typ, code in ((1, 0), (1, 4), (2, 0), (3, 0), (4, 0), (4, 1), (4, 2)):
        inner = ip6(a6, ME6, 6, tcp(a6, ME6, lport, 1234, 0x12))
        for body in (b"\0\0\0\0" + inner, b"\0\0\0\0" + inner[:random.randint(0, 59)],
                     b"\0\0\0\x00" + rnd(48), b"\xff\xff\xff\xff" + inner):
            v6(58, icmp6(ME6, a6, typ, code, body))
    v6(58, icmp6(ME6, a6, 2, 0, b"\0\0\0\0" + inner))  # packet too big, MTU 0
    v6(58, icmp6(ME6, a6, 2, 0, b"\0\0\x01\x00" + inner))  # MTU 256
    for doff in (0, 4, 15):
        to_listener(40000, 0x02, six=True, doff=doff, data=rnd(8))
    for opts in (b"\x02\x00\x00\x00", b"\x03\x03\xff\x00", b"\x08\xff\x00\x00", rnd(40)):
        to_listener(random.randint(1024, 65535), 0x02, six=True, opts=opts)
    for ulen in (0, 1, 7, 65535):
        v6(17, udp(ME6, a6, 53, 53, rnd(20), ulen=ulen))

    PART = "6"
    # 6. malformed ARP
    for kw in (dict(htype=0), dict(htype=6), dict(ptype=0x86DD), dict(hlen=0), dict(hlen=16),
               dict(plen=0), dict(plen=16)):
        send(eth(BCAST, 0x0806, arp(1, ME, ME4, bytes(6), a4, **kw) + rnd(20)))
    for op in (0, 3, 4, 8, 255, 65535):
        send(eth(BCAST, 0x0806, arp(op, ME, ME4, bytes(6), a4)))
    full = arp(1, ME, ME4, bytes(6), a4)
    for n in range(len(full)):
        send(eth(BCAST, 0x0806, full[:n]))
    for spa in ("0.0.0.0", "255.255.255.255", "224.0.0.5", "127.0.0.1", "10.77.255.255"):
        send(eth(BCAST, 0x0806, arp(1, ME, socket.inet_aton(spa), bytes(6), a4)))
        send(eth(mac, 0x0806, arp(2, ME, socket.inet_aton(spa), mac, a4)))
    for sha in (BCAST, bytes(6), bytes.fromhex("010000000001")):
        send(eth(BCAST, 0x0806, arp(1, sha, socket.inet_aton("10.77.201.1"), bytes(6), a4)))
    for i in range(50):  # unsolicited replies and gratuitous ARP for other addresses
        spa = socket.inet_aton("10.77.%d.%d" % (random.randint(128, 254), random.randint(1, 254)))
        send(eth(mac, 0x0806, arp(2, b"\x02" + rnd(5), spa, mac, a4)))
        send(eth(BCAST, 0x0806, arp(1, b"\x02" + rnd(5), spa, BCAST, spa)))

PART = "7"
# 7. an ARP flood: requests for the services from many hosts that do not exist
t0 = time.time()
for i in range(20000):
    mac, a4, a6 = targets[i % len(targets)]
    sha = b"\x02" + rnd(5)
    spa = socket.inet_aton("10.77.%d.%d" % (random.randint(128, 254), random.randint(1, 254)))
    send(eth(BCAST, 0x0806, arp(1, sha, spa, bytes(6), a4) + bytes(18), src=sha))
print("sent %d frames (%d runts; ARP flood %.1f s), seed %d" % (sent, runts, time.time() - t0, SEED))
