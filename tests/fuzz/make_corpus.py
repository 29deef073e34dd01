#!/usr/bin/env python3
"""make_corpus.py - write the fuzzers' seed corpus and the frame regression cases.

    tests/fuzz/make_corpus.py [OUTDIR]      (default: tests/fuzz)

corpus/rpc/: one valid request of each op, a valid reply, a valid accept
record, each behind the selector byte fuzz_rpc.c reads. The layouts are read
from src/common/rpc.h (constants, the op enum, struct fields), so running this
again after a protocol change gives seeds of the new version.

corpus/frame/: frames for fuzz_frame.c's service (MAC 02:6e:63:00:00:01,
10.0.0.1/24, fd00::1/64, listeners on 80 and 8080), each input a sequence of
2-byte big-endian lengths and frames: ARP, ICMP echo, TCP SYN, UDP, IPv4
fragments, IPv6 neighbour solicitation, echo, SYN and fragments; from a
netcon MAC (checksums not verified on the local switch) and from another.

regress/rpc/: messages a byte too short and a byte too long.
regress/frame/: runts with valid Ethernet headers, 14 to 59 bytes, of types
IPv4, IPv6 and ARP (a 15- or 16-byte IPv4/IPv6 frame was a heap over-read in
lwIP before frames were padded at the link).
"""
import os
import re
import socket
import struct
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "tests", "fuzz")

# ---- RPC seeds, from rpc.h -------------------------------------------------
TYPES = {"uint8_t": ("B", 1), "int8_t": ("b", 1), "uint16_t": ("H", 2), "int16_t": ("h", 2),
         "uint32_t": ("I", 4), "int32_t": ("i", 4), "uint64_t": ("Q", 8), "int64_t": ("q", 8)}


def header():
    """rpc.h with comments removed."""
    with open(os.path.join(TOP, "src", "common", "rpc.h")) as f:
        text = f.read()
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def constants(text):
    """#define NAME NUMBER, and the members of enum nc_op numbered as C does."""
    consts = {}
    for name, value in re.findall(r"#define\s+(NC_\w+)\s+\(?([0-9xa-fA-F]+)u?\)?", text):
        consts[name] = int(value, 0)
    body = re.search(r"enum nc_op\s*{(.*?)}", text, re.S).group(1)
    n = -1
    for item in body.split(","):
        item = item.strip()
        if not item:
            continue
        name, _, value = item.partition("=")
        n = int(value.strip(), 0) if value.strip() else n + 1
        consts[name.strip()] = n
    return consts


def layout(text, consts, name):
    """[(field, format char, count, offset)] and size of struct @name (x86-64 alignment)."""
    body = re.search(r"struct %s\s*{(.*?)};" % name, text, re.S).group(1)
    fields, off, align = [], 0, 1
    for decl in body.split(";"):
        decl = decl.strip()
        if not decl:
            continue
        ctype, rest = decl.split(None, 1)
        fmt, size = TYPES[ctype]
        for d in rest.split(","):
            m = re.match(r"\s*(\w+)\s*(?:\[\s*(\w+)\s*\])?", d)
            count = m.group(2)
            count = 1 if count is None else (consts[count] if count in consts else int(count, 0))
            off = (off + size - 1) // size * size
            fields.append((m.group(1), fmt, count, off))
            off += size * count
            align = max(align, size)
    return fields, (off + align - 1) // align * align


def pack(struct_layout, **values):
    """A message of that layout, zero except @values (bytes fields given as bytes)."""
    fields, size = struct_layout
    buf = bytearray(size)
    for name, fmt, count, off in fields:
        if name not in values:
            continue
        v = values[name]
        if isinstance(v, (bytes, bytearray)):
            buf[off:off + len(v)] = v
        elif count > 1:
            struct.pack_into("<%d%s" % (count, fmt), buf, off, *v)
        else:
            struct.pack_into("<" + fmt, buf, off, v)
    return bytes(buf)


def sin(ip, port):
    return struct.pack("<H", socket.AF_INET) + struct.pack("!H", port) + socket.inet_aton(ip) + bytes(8)


def sin6(ip, port):
    return (struct.pack("<H", socket.AF_INET6) + struct.pack("!HI", port, 0) +
            socket.inet_pton(socket.AF_INET6, ip) + struct.pack("<I", 0))


def rpc_seeds():
    """{name: input} for fuzz_rpc, behind its selector byte: 0 a request,
    0x82 a reply (1 mod 3; top bit: the request's op and seq from the reply),
    2 an accept record."""
    text = header()
    c = constants(text)
    req_l, rep_l = layout(text, c, "nc_request"), layout(text, c, "nc_reply")
    acc_l = layout(text, c, "nc_accept_record")
    common = dict(magic=c["NC_RPC_MAGIC"], version=c["NC_RPC_VERSION"])
    ops = sorted((v, k) for k, v in c.items() if k.startswith("NC_OP_") and k != "NC_OP_MAX_")
    seeds = {}
    for n, name in ops:
        f = dict(common, op=n, seq=n, sock=0 if name in ("NC_OP_SOCKET", "NC_OP_STATUS",
                                                         "NC_OP_NEWCONN") else 4242)
        if name == "NC_OP_SOCKET":
            f["arg"] = (socket.AF_INET6, socket.SOCK_STREAM, 0)
        elif name in ("NC_OP_BIND", "NC_OP_CONNECT"):
            a = sin("10.0.0.1", 80) if name == "NC_OP_BIND" else sin6("fd00::1", 80)
            f.update(addr=a, addrlen=len(a), arg=(1, 0, 1) if name == "NC_OP_CONNECT" else (0, 0, 0))
        elif name == "NC_OP_LISTEN":
            f["arg"] = (128, 0, 0)
        elif name in ("NC_OP_GETSOCKOPT", "NC_OP_SETSOCKOPT"):
            f["arg"] = (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 4)
            if name == "NC_OP_SETSOCKOPT":
                f.update(opt=struct.pack("<i", 1), optlen=4)
        elif name == "NC_OP_SHUTDOWN":
            f["arg"] = (socket.SHUT_WR, 0, 0)
        seeds["request-" + name[6:].lower()] = b"\0" + pack(req_l, **f)
    a = sin6("fd00::2", 40000)
    seeds["reply-getpeername"] = b"\x82" + pack(rep_l, **dict(common, op=c["NC_OP_GETPEERNAME"],
                                                              seq=7, result=0, sock=4242,
                                                              addr=a, addrlen=len(a)))
    seeds["reply-error"] = b"\x82" + pack(rep_l, **dict(common, op=c["NC_OP_CONNECT"], seq=8,
                                                        result=-111))
    a = sin("10.0.0.2", 40000)
    seeds["accept-record"] = b"\x02" + pack(acc_l, **dict(common, sock=4243, addr=a,
                                                          addrlen=len(a)))
    return seeds


def rpc_edges():
    """Messages one byte short of and past their size, for each check."""
    cases = {}
    for name, data in rpc_seeds().items():
        if name in ("request-status", "reply-error", "accept-record"):
            cases[name + "-short"] = data[:-1]
            cases[name + "-long"] = data + b"\0"
    return cases


# ---- frames ------------------------------------------------------------------
SVC_MAC = bytes.fromhex("026e63000001")
NC_MAC = bytes.fromhex("026e63000002")       # another netcon service
KERNEL_MAC = bytes.fromhex("020000000002")   # anything else: checksums verified
BCAST = b"\xff" * 6
SVC4, PEER4 = socket.inet_aton("10.0.0.1"), socket.inet_aton("10.0.0.2")
SVC6 = socket.inet_pton(socket.AF_INET6, "fd00::1")
PEER6 = socket.inet_pton(socket.AF_INET6, "fd00::2")
PEER_LL6 = socket.inet_pton(socket.AF_INET6, "fe80::2")
SOLICITED6 = socket.inet_pton(socket.AF_INET6, "ff02::1:ff00:1")
SOLICITED_MAC = bytes.fromhex("3333ff000001")
DNS4 = socket.inet_aton("10.0.0.53")          # the harness's --dns server
MDNS4 = socket.inet_aton("224.0.0.251")
MDNS_MAC = bytes.fromhex("01005e0000fb")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(dst, src, etype, payload):
    return dst + src + struct.pack("!H", etype) + payload


def ip4(src, dst, proto, payload, ident=1, frag=0, tot=None, ttl=64):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload) if tot is None else tot,
                    ident, frag, ttl, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ip6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, hlim, src, dst) + payload


def l4sum(src, dst, proto, seg, pos):
    if len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg))
    else:
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), proto)
    return seg[:pos] + struct.pack("!H", csum(pseudo + seg)) + seg[pos + 2:]


def tcp(src, dst, sport, dport, flags, seq=1000, ack=0, opts=b"", data=b""):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, ((20 + len(opts)) // 4) << 4,
                      flags, 65535, 0, 0) + opts + data
    return l4sum(src, dst, 6, seg, 16)


def udp(src, dst, sport, dport, data):
    return l4sum(src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data, 6)


def icmp4(typ, code, body):
    m = struct.pack("!BBH", typ, code, 0) + body
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def icmp6(src, dst, typ, code, body):
    return l4sum(src, dst, 58, struct.pack("!BBH", typ, code, 0) + body, 2)


def dns_name(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH", 1, 0x800, 6, 4, op) + sha + spa + tha + tpa


def frames(*fs):
    """One fuzz_frame input: each frame behind its 2-byte length."""
    return b"".join(struct.pack("!H", len(f)) + f for f in fs)


SYN_OPTS = (b"\x02\x04\x23\x28"          # MSS 9000
            b"\x04\x02"                  # SACK permitted
            b"\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00"  # timestamps
            b"\x01\x03\x03\x07")          # NOP, window scale 7


def frame_seeds():
    seeds = {}
    for who, mac in (("nc", NC_MAC), ("kernel", KERNEL_MAC)):
        def v4(proto, payload, **kw):
            return eth(SVC_MAC, mac, 0x0800, ip4(PEER4, SVC4, proto, payload, **kw))

        def v6(nh, payload, dst=SVC6, dmac=SVC_MAC, src=PEER6, **kw):
            return eth(dmac, mac, 0x86DD, ip6(src, dst, nh, payload, **kw))
        seeds[who + "-arp-request"] = frames(eth(BCAST, mac, 0x0806,
                                                 arp(1, mac, PEER4, bytes(6), SVC4) + bytes(18)))
        seeds[who + "-arp-reply"] = frames(eth(SVC_MAC, mac, 0x0806,
                                               arp(2, mac, PEER4, SVC_MAC, SVC4) + bytes(18)))
        echo = icmp4(8, 0, struct.pack("!HH", 1, 1) + bytes(range(56)))
        seeds[who + "-icmp-echo"] = frames(v4(1, echo))
        for port in (80, 8080, 9):
            seeds["%s-tcp-syn-%d" % (who, port)] = frames(
                v4(6, tcp(PEER4, SVC4, 40000, port, 0x02, opts=SYN_OPTS)))
        seeds[who + "-tcp-handshake"] = frames(
            v4(6, tcp(PEER4, SVC4, 40001, 80, 0x02, opts=SYN_OPTS)),
            v4(6, tcp(PEER4, SVC4, 40001, 80, 0x10, seq=1001, ack=1)),
            v4(6, tcp(PEER4, SVC4, 40001, 80, 0x18, seq=1001, ack=1, data=b"GET / HTTP/1.0\r\n\r\n")),
            v4(6, tcp(PEER4, SVC4, 40001, 80, 0x11, seq=1019, ack=1)))
        seeds[who + "-tcp-rst"] = frames(v4(6, tcp(PEER4, SVC4, 40002, 80, 0x04)))
        seeds[who + "-udp-closed"] = frames(v4(17, udp(PEER4, SVC4, 40005, 7, b"\0" * 12)))
        # Names (dns.c, mdns.c): a query to the stub, an answer from the --dns
        # server, a multicast DNS response and question; a datagram for udp.c.
        q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + dns_name("web") + \
            struct.pack("!HH", 1, 1)
        seeds[who + "-dns-query"] = frames(v4(17, udp(PEER4, SVC4, 40006, 53, q)))
        ans = struct.pack("!HHHHHH", 0x1234, 0x8180, 1, 1, 0, 0) + dns_name("www.example") + \
            struct.pack("!HH", 1, 1) + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + PEER4
        seeds[who + "-dns-answer"] = frames(eth(SVC_MAC, mac, 0x0800,
                                                ip4(DNS4, SVC4, 17, udp(DNS4, SVC4, 53, 40007, ans))))
        md = struct.pack("!HHHHHH", 0, 0x8400, 0, 1, 0, 0) + dns_name("peer.local") + \
            struct.pack("!HHIH", 1, 0x8001, 120, 4) + PEER4
        seeds[who + "-mdns-response"] = frames(eth(MDNS_MAC, mac, 0x0800,
                                                   ip4(PEER4, MDNS4, 17, udp(PEER4, MDNS4, 5353, 5353, md),
                                                       ttl=255)))
        mq = struct.pack("!HHHHHH", 0, 0, 1, 0, 0, 0) + dns_name("fuzz.local") + struct.pack("!HH", 1, 1)
        seeds[who + "-mdns-question"] = frames(eth(MDNS_MAC, mac, 0x0800,
                                                   ip4(PEER4, MDNS4, 17, udp(PEER4, MDNS4, 5353, 5353, mq),
                                                       ttl=255)))
        seeds[who + "-udp-datagram"] = frames(v4(17, udp(PEER4, SVC4, 40008, 9, b"hello" * 20)))
        seeds[who + "-udp6-datagram"] = frames(v6(17, udp(PEER6, SVC6, 40009, 9, b"hello" * 20)))
        big = icmp4(8, 0, struct.pack("!HH", 2, 1) + bytes(range(256)) * 8)
        seeds[who + "-ipv4-fragments"] = frames(
            eth(SVC_MAC, mac, 0x0800, ip4(PEER4, SVC4, 1, big[:1024], ident=77, frag=0x2000,
                                          tot=20 + 1024)),
            eth(SVC_MAC, mac, 0x0800, ip4(PEER4, SVC4, 1, big[1024:], ident=77, frag=1024 // 8,
                                          tot=20 + len(big) - 1024)))
        ns = icmp6(PEER_LL6, SOLICITED6, 135, 0, bytes(4) + SVC6 + b"\x01\x01" + mac)
        seeds[who + "-ipv6-ns"] = frames(v6(58, ns, dst=SOLICITED6, dmac=SOLICITED_MAC,
                                            src=PEER_LL6, hlim=255))
        na = icmp6(PEER6, SVC6, 136, 0, b"\x60\0\0\0" + PEER6 + b"\x02\x01" + mac)
        seeds[who + "-ipv6-na"] = frames(v6(58, na, hlim=255))
        echo6 = icmp6(PEER6, SVC6, 128, 0, struct.pack("!HH", 1, 1) + bytes(range(56)))
        seeds[who + "-ipv6-echo"] = frames(v6(58, echo6))
        seeds[who + "-ipv6-tcp-syn"] = frames(v6(6, tcp(PEER6, SVC6, 40003, 80, 0x02,
                                                         opts=SYN_OPTS)))
        big6 = icmp6(PEER6, SVC6, 128, 0, struct.pack("!HH", 2, 1) + bytes(range(256)) * 8)
        fh = lambda off, more: bytes([58, 0]) + struct.pack("!HI", (off << 3) | more, 99)
        seeds[who + "-ipv6-fragments"] = frames(v6(44, fh(0, 1) + big6[:1024]),
                                                v6(44, fh(1024 // 8, 0) + big6[1024:]))
    # A segment whose checksum is wrong: dropped when verified, taken when not.
    bad = bytearray(tcp(PEER4, SVC4, 40004, 80, 0x02, opts=SYN_OPTS))
    bad[16] ^= 0xff
    for who, mac in (("nc", NC_MAC), ("kernel", KERNEL_MAC)):
        seeds[who + "-tcp-bad-checksum"] = frames(eth(SVC_MAC, mac, 0x0800,
                                                      ip4(PEER4, SVC4, 6, bytes(bad))))
    return seeds


def runts():
    """Every length from 14 to 59 bytes, IPv4, IPv6 and ARP, unicast and broadcast."""
    cases = {}
    full = {0x0800: ip4(PEER4, SVC4, 1, icmp4(8, 0, bytes(8))),
            0x86DD: ip6(PEER6, SVC6, 58, icmp6(PEER6, SVC6, 128, 0, bytes(8))),
            0x0806: arp(1, KERNEL_MAC, PEER4, bytes(6), SVC4)}
    for etype, payload in full.items():
        for n in range(14, 60):
            for dst, name in ((SVC_MAC, "u"), (BCAST, "b")):
                f = eth(dst, KERNEL_MAC, etype, payload)[:n]
                cases["runt-%04x-%02d-%s" % (etype, n, name)] = frames(f)
    cases["runt-under-header"] = b"".join(frames(bytes(range(n))) for n in range(14))
    return cases


def write(folder, items):
    os.makedirs(folder, exist_ok=True)
    for name, data in sorted(items.items()):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    print("%s: %d files" % (os.path.relpath(folder, TOP), len(items)))


write(os.path.join(OUT, "corpus", "rpc"), rpc_seeds())
write(os.path.join(OUT, "corpus", "frame"), frame_seeds())
write(os.path.join(OUT, "regress", "frame"), runts())
write(os.path.join(OUT, "regress", "rpc"), rpc_edges())
