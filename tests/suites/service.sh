#!/bin/bash
# The service as a node on a network, and as a target: a tap device in a
# kernel namespace, two services and a kernel namespace on one local switch
# (and the switch surviving the exit of the service hosting it), then
# hostile input on the RPC socket and on the link, after which the service
# must still be running and serving TCP.
source "$(dirname "$0")/../lib.sh"

PY=$(python3 -c 'import sys; print(sys.executable)')
NETNS=()
suite_cleanup() {
	local ns
	cleanup
	for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
}
trap suite_cleanup EXIT
trap 'exit 130' INT TERM

# The file every HTTP check fetches, compared byte for byte.
mkdir -p "$T/www"
head -c 1234567 /dev/urandom >"$T/www/f.bin"

# within SECONDS COMMAND...: retry COMMAND until it succeeds or time is up.
within() {
	local end=$((${EPOCHREALTIME/./} + $1 * 1000000))
	shift
	while :; do
		"$@" && return 0
		((${EPOCHREALTIME/./} < end)) || return 1
		sleep 0.1
	done
}

# alive PID: the process exists and is not a zombie.
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) && [ -n "$state" ] && [ "$state" != Z ]
}

# stop PID...: end processes this suite started, and forget them.
stop() {
	local p q keep=()
	for p; do kill "$p" 2>/dev/null; done
	for p; do
		within 2 eval "! alive $p" || kill -9 "$p" 2>/dev/null
		{ wait "$p"; } 2>/dev/null
	done
	for q in "${PIDS[@]}"; do
		for p; do [ "$q" = "$p" ] && continue 2; done
		keep+=("$q")
	done
	PIDS=("${keep[@]}")
}

# pings NS ADDR COUNT: every one of COUNT echo requests from namespace NS answered.
pings() {
	ip netns exec "$1" ping -n -q -c "$3" -i 0.2 -W 1 "$2" 2>&1 | tee "$T/ping.out" |
		grep -q " $3 received"
	local rc=$?
	grep received "$T/ping.out"
	return $rc
}

# fetch SERVICE URL: an intercepted curl through SERVICE gets f.bin intact.
fetch() {
	rm -f "$T/got"
	app "$1" curl -sS --max-time 5 -o "$T/got" "$2" && cmp "$T/got" "$T/www/f.bin"
}

# kfetch NS URL: the same with the kernel's TCP, from namespace NS.
kfetch() {
	rm -f "$T/kgot"
	ip netns exec "$1" curl -sS --max-time 5 -o "$T/kgot" "$2" && cmp "$T/kgot" "$T/www/f.bin"
}

# http_bg SERVICE PORT: an intercepted python http.server serving $T/www.
http_bg() {
	app_bg "$1" "http-$1" "$PY" -m http.server --bind 0.0.0.0 --directory "$T/www" "$2"
}

# --- 1. a tap device in a kernel namespace ------------------------------------
TNS=nc-test-$$
TAP=nctap$$
if ip netns add "$TNS"; then
	NETNS+=("$TNS")
	ip netns exec "$TNS" ip link set lo up
	ip netns exec "$TNS" "$SVC" --net "tap://$TAP" --ip 198.18.5.1/24 --socket "$T/tap.sock" \
		>"$T/tap.log" 2>&1 &
	TAP_PID=$!
	PIDS+=($TAP_PID)
	if wait_for 10 "$SVC" status --socket "$T/tap.sock" &&
		ip netns exec "$TNS" ip addr add 198.18.5.2/24 dev "$TAP" &&
		ip netns exec "$TNS" ip link set "$TAP" up; then
		check tap-ping pings "$TNS" 198.18.5.1 5
		http_bg tap 8000
		TAP_HTTP=$LAST_PID
		check tap-tcp within 10 kfetch "$TNS" http://198.18.5.1:8000/f.bin
		stop "$TAP_HTTP" "$TAP_PID"
	else
		fail tap-ping "no service on tap://$TAP"
		fail tap-tcp "no service on tap://$TAP"
	fi
	ip netns del "$TNS"
else
	fail tap-ping "cannot create namespace $TNS"
	fail tap-tcp "cannot create namespace $TNS"
fi

# --- 2. two services and a kernel namespace on the default switch ------------
KNS=nc-k-$$
KTAP=nck$$
KIP=198.18.7.9
KPLUG=
# kplug_up: plug the kernel namespace into the switch with a tap device (the
# same MAC each time, so that the services' ARP caches stay right).
kplug_up() {
	local i
	ip netns exec "$KNS" vde_plug "vde://$NETCON_DIR/switch" "tap://$KTAP" >>"$T/vde_plug.log" 2>&1 &
	KPLUG=$!
	PIDS+=($KPLUG)
	for ((i = 0; i < 60; i++)); do
		ip netns exec "$KNS" ip link show "$KTAP" >/dev/null 2>&1 && break
		alive "$KPLUG" || return 1
		sleep 0.05
	done
	ip netns exec "$KNS" ip link set "$KTAP" address 02:00:c6:12:07:09 &&
		ip netns exec "$KNS" ip addr add "$KIP/16" dev "$KTAP" &&
		ip netns exec "$KNS" ip link set "$KTAP" up
}

if start_service a && start_service b && ip netns add "$KNS"; then
	NETNS+=("$KNS")
	IPA=$(service_ip a)
	IPB=$(service_ip b)
	ip netns exec "$KNS" ip link set lo up
	kplug_up || fail switch-kernel-plug "vde_plug tap://$KTAP did not come up"
	check switch-ping eval "pings $KNS $IPA 3 && pings $KNS $IPB 3"
	http_bg b 8000
	ip netns exec "$KNS" "$PY" -m http.server --bind "$KIP" --directory "$T/www" 8001 \
		>"$T/kernel-http.log" 2>&1 &
	KHTTP=$!
	PIDS+=($KHTTP)
	check switch-tcp-ab within 10 fetch a "http://$IPB:8000/f.bin"
	check switch-kernel-server within 10 fetch a "http://$KIP:8001/f.bin"
	check switch-kernel-client within 10 kfetch "$KNS" "http://$IPB:8000/f.bin"

	# The hosting service exits: b must take the switch over. vde_plug
	# ends with the switch it joined, so it is plugged in again here.
	"$SVC" status --socket "$T/a.sock" | grep -q "hosting the switch" ||
		echo "     note: a was not hosting the switch"
	kill "$PID_a"
	REPLUGS=0
	takeover() {
		if ! ip netns exec "$KNS" ip link show "$KTAP" >/dev/null 2>&1; then
			REPLUGS=$((REPLUGS + 1))
			kplug_up || return 1
		fi
		pings "$KNS" "$IPB" 1 >/dev/null
	}
	start=${EPOCHREALTIME/./}
	if within 5 takeover && "$SVC" status --socket "$T/b.sock" | grep -q "hosting the switch"; then
		pass switch-takeover "$(((${EPOCHREALTIME/./} - start) / 1000)) ms, vde_plug plugged in again $REPLUGS time(s)"
	else
		fail switch-takeover "$("$SVC" status --socket "$T/b.sock" 2>&1 | grep link)"
	fi
	check switch-takeover-tcp eval "within 5 kfetch $KNS http://$IPB:8000/f.bin &&
		within 5 fetch b http://$KIP:8001/f.bin"
	# (vde_plug may crash on SIGTERM: stop() reaps it quietly.)
	stop "$PID_a" "$KHTTP" "$KPLUG"
	ip netns del "$KNS"
else
	fail switch-start "services a and b, or namespace $KNS"
fi

# --- 3. garbage on the RPC socket --------------------------------------------
# tests/apps/rpc_hostile.c speaks the protocol of src/common/rpc.h (every
# constant, size and op number from the header): garbage, malformed and
# hostile requests, descriptors where none belongs, sockets not held (EBADF),
# the random-request fuzz, floods, churn, idle and half-closed clients, and
# the SO_REUSEPORT hijack by uid nobody (hence --group nogroup: the socket
# file is what lets it in). It counts its cases and exits non-zero if one did
# not run or was answered otherwise than the protocol says. SEED=N repeats a run.

# fdlist PID: the descriptors a process holds, one "NUMBER -> WHAT" a line.
fdlist() { ls -l "/proc/$1/fd" 2>/dev/null | awk 'NR > 1 { print $(NF - 2), "->", $NF }' | sort; }

# fds_back: service r holds no more descriptors than before the garbage.
fds_back() {
	[ "$(fdlist "$PID_r" | wc -l)" -le "$(wc -l <"$T/fds-before")" ]
}

if start_service r --net "vde://$T/rsw" --group nogroup; then
	IPR=$(service_ip r)
	http_bg r 8000
	if within 10 fetch r "http://$IPR:8000/f.bin" >/dev/null 2>&1; then
		fdlist "$PID_r" >"$T/fds-before"
		timeout 120 "$APPS/rpc_hostile" "$T/r.sock" >"$T/rpc-hostile.out" 2>&1
		HOSTILE_RC=$?
		sed 's/^/     /' "$T/rpc-hostile.out"
		check rpc-hostile eval "[ $HOSTILE_RC = 0 ] ||
			{ echo 'exit $HOSTILE_RC:' \$(tail -n 2 $T/rpc-hostile.out); false; }"
		check rpc-garbage eval "kill -0 $PID_r && $SVC status --socket $T/r.sock"
		check rpc-garbage-tcp within 5 fetch r "http://$IPR:8000/f.bin"
		check rpc-garbage-fds eval 'within 5 fds_back ||
			{ fdlist "$PID_r" | comm -13 "$T/fds-before" - | sed "s/^/new: /"; false; }'
	else
		fail rpc-garbage "no HTTP through r before the garbage"
	fi
else
	fail rpc-garbage "service r did not start"
fi

# --- 4. garbage on the link --------------------------------------------------
cat >"$T/link_garbage.py" <<'PYEOF'
# link_garbage.py SWITCH_DIR PORT TARGET... - malformed frames into a vdeplug
# switch. TARGET is MAC,IPV4,IPV6 of a service; PORT is a TCP port it listens on.
# SEED=N repeats a run; PARTS=45 sends only parts 4 and 5 below.
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
PARTS = os.environ.get("PARTS", "1234567")
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
print("sent %d frames (ARP flood %.1f s), seed %d" % (sent, time.time() - t0, SEED))
PYEOF

# frames_in NAME: frames service NAME has taken from its link so far.
frames_in() { "$SVC" status --socket "$T/$1.sock" | awk '$1 == "link" && $2 == "frames" { print $4 }'; }

M1=02:00:0a:4d:00:01
M2=02:00:0a:4d:00:02
if start_service g1 --net "vde://$T/lsw" --ip 10.77.0.1/16 --ip6 fd00:77::1/64 --mac $M1 &&
	start_service g2 --net "vde://$T/lsw" --ip 10.77.0.2/16 --ip6 fd00:77::2/64 --mac $M2; then
	http_bg g1 8000
	if within 10 fetch g2 http://10.77.0.1:8000/f.bin >/dev/null 2>&1; then
		IN1=$(frames_in g1) IN2=$(frames_in g2)
		"${NS[@]}" timeout 60 "$PY" "$T/link_garbage.py" "$T/lsw" 8000 \
			"$M1,10.77.0.1,fd00:77::1" "$M2,10.77.0.2,fd00:77::2" >"$T/link-garbage.out" 2>&1 ||
			echo "     note: link_garbage.py exited $?"
		sed 's/^/     /' "$T/link-garbage.out"
		# g1 hosts the switch, so it sees every frame sent to it or to all.
		check link-garbage eval "kill -0 $PID_g1 && kill -0 $PID_g2 &&
			$SVC status --socket $T/g1.sock && $SVC status --socket $T/g2.sock &&
			(( \$(frames_in g1) - IN1 >= 20000 ))"
		echo "     frames taken: g1 $(($(frames_in g1) - IN1)), g2 $(($(frames_in g2) - IN2))"
		check link-garbage-tcp eval "within 5 fetch g2 http://10.77.0.1:8000/f.bin &&
			within 5 fetch g1 http://10.77.0.1:8000/f.bin"
	else
		fail link-garbage "no HTTP between g1 and g2 before the garbage"
	fi
else
	fail link-garbage "services g1 and g2 did not start"
fi

summary
