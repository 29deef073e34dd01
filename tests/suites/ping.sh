#!/bin/bash
# ICMP echo sockets (src/service/icmp.c): Debian's ping (iputils), which
# takes socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) -- a "ping socket" -- when
# it can, run through a service: to another service on the switch, to the
# service's own addresses and loopback, to a kernel namespace over a tap,
# to an address nobody has; then the ping-socket semantics (identifier
# replaced by the bound one, names, a reply's size and type, bind rules)
# diffed against the kernel's in an empty namespace.
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

if ! command -v ping >/dev/null; then
	fail ping-installed "no ping: apt-get install iputils-ping"
	summary
	exit 1
fi

# pinged NAME SERVICE COUNT PING-ARGS...: an intercepted ping through
# SERVICE; every one of COUNT echo requests answered, exit status 0.
pinged() {
	local name=$1 svc=$2 count=$3 rc
	shift 3
	timeout 30 env NETCON_SOCKET="$T/$svc.sock" "${NS[@]}" "$INTERCEPT" \
		ping -n -c "$count" "$@" >"$T/$name.out" 2>&1
	rc=$?
	if [ $rc = 0 ] && grep -q " $count received" "$T/$name.out" &&
		! grep -qE 'BAD CHECKSUM|DUP!|wrong data|truncated' "$T/$name.out"; then
		pass "$name" "$(grep -o '[0-9]* received.*loss' "$T/$name.out")"
	else
		fail "$name" "exit $rc: $(grep -v '^$' "$T/$name.out" | tail -n 3 | tr '\n' ' ')"
	fi
}

# unanswered NAME SERVICE PING-ARGS...: nobody answers: 100% loss and exit
# status 1, as ping says on the kernel.
unanswered() {
	local name=$1 svc=$2 rc
	shift 2
	timeout 30 env NETCON_SOCKET="$T/$svc.sock" "${NS[@]}" "$INTERCEPT" \
		ping -n "$@" >"$T/$name.out" 2>&1
	rc=$?
	if [ $rc = 1 ] && grep -q " 0 received.*100% packet loss" "$T/$name.out"; then
		pass "$name" "exit 1, $(grep -o '100% packet loss' "$T/$name.out")"
	else
		fail "$name" "exit $rc: $(grep -v '^$' "$T/$name.out" | tail -n 3 | tr '\n' ' ')"
	fi
}

start_service a && start_service b || { fail service-start; summary; exit 1; }
IPA=$(service_ip a 4)
IPA6=$(service_ip a 6)
IPB=$(service_ip b 4)
IPB6=$(service_ip b 6)

# --- 1. between services on the switch, and within one -----------------------
pinged switch-ipv4 a 3 -W 2 "$IPB"
pinged switch-ipv6 a 3 -6 -W 2 "$IPB6"
pinged switch-ipv4-20000-bytes a 3 -W 2 -s 20000 "$IPB"
pinged switch-ipv6-20000-bytes a 3 -6 -W 2 -s 20000 "$IPB6"
pinged switch-ipv4-fast a 50 -W 2 -i 0.01 -q "$IPB"
pinged own-ipv4 a 3 -W 2 "$IPA"
pinged own-ipv6 a 3 -6 -W 2 "$IPA6"
pinged loopback-ipv4 a 3 -W 2 127.0.0.1
pinged loopback-ipv6 a 3 -6 -W 2 ::1

# Two pings at once from one service to one peer: each its own identifier.
for i in 1 2; do
	NETCON_SOCKET="$T/a.sock" "${NS[@]}" "$INTERCEPT" timeout 30 ping -n -c 5 -i 0.2 -W 2 "$IPB" \
		>"$T/twice-$i.out" 2>&1 &
	PIDS+=($!)
	eval "TWICE_$i=$!"
done
wait "$TWICE_1" && wait "$TWICE_2" && grep -q " 5 received" "$T/twice-1.out" &&
	grep -q " 5 received" "$T/twice-2.out" && pass two-pings-at-once "5 + 5 received" ||
	fail two-pings-at-once "$(grep -h received "$T"/twice-*.out | tr '\n' ' ')"

# --- 2. nobody there --------------------------------------------------------
# An address of the subnet no service holds (ARP unanswered), and IPv6's.
NOBODY=198.18.255.254
[ "$NOBODY" = "$IPA" ] || [ "$NOBODY" = "$IPB" ] && NOBODY=198.18.255.253
unanswered nobody-ipv4 a -c 1 -W 1 "$NOBODY"
unanswered nobody-ipv6 a -6 -c 1 -W 1 fd00:6e63::dead:beef

# --- 3. a kernel namespace over a tap ----------------------------------------
# hostile_replies: the kernel namespace sends forged echo replies to the
# service: too short, a wrong checksum, someone else's identifier, then a
# good one. A program bound to that identifier receives the good one only
# (an unsolicited reply is delivered, as Linux delivers it), and the
# service lives on.
hostile_replies() {
	cat >"$T/victim.py" <<'PYEOF'
import socket, struct, sys
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_ICMPV6)
s4.bind(('0.0.0.0', 777))
s6.bind(('::', 777))
print('ready', flush=True)
for name, s in (('v4', s4), ('v6', s6)):
    s.settimeout(3 if name == 'v4' else 0.5)
    got = []
    try:
        while True:
            d = s.recv(2000)
            got.append((len(d), d[0], struct.unpack('!H', d[6:8])[0] if len(d) >= 8 else -1))
    except OSError:
        pass
    print(name, got)
PYEOF
	cat >"$T/forger.py" <<'PYEOF'
import socket, struct
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
def msg(t, ident, seq, data, good=True):
    m = struct.pack('!BBHHH', t, 0, 0, ident, seq) + data
    c = csum(m) if good else 0x1234
    return m[:2] + struct.pack('!H', c) + m[4:]
r4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
for m in (b'\0\0\xff\xff', msg(0, 777, 1, b'8 bytes!', False), msg(0, 778, 2, b'8 bytes!'),
          msg(0, 777, 3, b'8 bytes!')):
    r4.sendto(m, ('198.18.5.1', 0))
# ICMPv6: the kernel computes the checksum itself; a short one and a good one.
r6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
for m in (b'\x81\0\0\0', struct.pack('!BBHHH', 129, 0, 0, 777, 4) + b'8 bytes!'):
    r6.sendto(m, ('fd00:5::1', 0))
PYEOF
	NETCON_SOCKET="$T/tap.sock" "${NS[@]}" "$INTERCEPT" timeout 20 "$PY" "$T/victim.py" \
		>"$T/victim.out" 2>&1 &
	PIDS+=($!)
	local victim=$!
	wait_for 10 grep -q ready "$T/victim.out"
	timeout 10 ip netns exec "$TNS" "$PY" "$T/forger.py" >"$T/forger.out" 2>&1
	wait "$victim"
	if grep -qx "v4 \[(16, 0, 3)\]" "$T/victim.out" && grep -qx "v6 \[(16, 129, 4)\]" "$T/victim.out" &&
		"$SVC" status --socket "$T/tap.sock" >/dev/null; then
		pass hostile-replies "short, bad checksum, other identifier dropped; the good one delivered"
	else
		fail hostile-replies "$(cat "$T/victim.out" "$T/forger.out" | tr '\n' ' ')"
	fi
}

TNS=nc-ping-$$
TAP=ncping$$
if ip netns add "$TNS"; then
	NETNS+=("$TNS")
	ip netns exec "$TNS" ip link set lo up
	ip netns exec "$TNS" "$SVC" --net "tap://$TAP" --ip 198.18.5.1/24 --ip6 fd00:5::1/64 \
		--socket "$T/tap.sock" >"$T/tap.log" 2>&1 &
	PIDS+=($!)
	if wait_for 10 "$SVC" status --socket "$T/tap.sock" &&
		ip netns exec "$TNS" ip addr add 198.18.5.2/24 dev "$TAP" &&
		ip netns exec "$TNS" ip -6 addr add fd00:5::2/64 dev "$TAP" nodad &&
		ip netns exec "$TNS" ip link set "$TAP" up &&
		wait_for 10 ip netns exec "$TNS" ping -c 1 -W 1 198.18.5.1 &&
		wait_for 10 ip netns exec "$TNS" ping -6 -c 1 -W 1 fd00:5::1; then
		pinged tap-kernel-ipv4 tap 3 -W 2 198.18.5.2
		pinged tap-kernel-ipv6 tap 3 -6 -W 2 fd00:5::2
		# 4000 bytes: fragments both ways over the tap's MTU of 1500.
		pinged tap-kernel-ipv4-4000-bytes tap 3 -W 2 -s 4000 198.18.5.2
		pinged tap-kernel-ipv6-4000-bytes tap 3 -6 -W 2 -s 4000 fd00:5::2
		# While a ping socket is open, the service itself still answers the kernel's pings.
		NETCON_SOCKET="$T/tap.sock" "${NS[@]}" "$INTERCEPT" timeout 20 ping -n -c 10 -i 0.2 \
			198.18.5.2 >"$T/tap-bg.out" 2>&1 &
		PIDS+=($!)
		BG=$!
		sleep 0.3
		check tap-service-still-answers eval "ip netns exec $TNS ping -n -c 3 -i 0.2 -W 1 198.18.5.1 | grep -q ' 3 received' &&
			ip netns exec $TNS ping -6 -n -c 3 -i 0.2 -W 1 fd00:5::1 | grep -q ' 3 received'"
		wait "$BG"
		grep -q " 10 received" "$T/tap-bg.out" && pass tap-ping-alongside "10 received" ||
			fail tap-ping-alongside "$(grep received "$T/tap-bg.out")"
		hostile_replies
	else
		for c in tap-kernel-ipv4 tap-kernel-ipv6; do fail "$c" "no service on tap://$TAP"; done
	fi
	ip netns del "$TNS"
else
	fail tap-kernel-ipv4 "cannot create namespace $TNS"
fi

# --- 4. ping-socket semantics, the kernel as the oracle ----------------------
cat >"$T/pingsock.py" <<'PYEOF'
# Ping-socket cases on 127.0.0.1 and ::1; one line each, no timing.
import errno, socket, struct, sys

out = []


def p(*a):
    out.append(' '.join(str(x) for x in a))


def err(f):
    try:
        r = f()
        return 'ok' if r is None else repr(r)
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def echo(t, ident, seq, data):
    return struct.pack('!BBHHH', t, 0, 0, ident, seq) + data


def mk(f=socket.AF_INET):
    return socket.socket(f, socket.SOCK_DGRAM,
                         socket.IPPROTO_ICMP if f == socket.AF_INET else socket.IPPROTO_ICMPV6)


for fam, host, req in ((socket.AF_INET, '127.0.0.1', 8), (socket.AF_INET6, '::1', 128)):
    v = '4' if fam == socket.AF_INET else '6'
    s = mk(fam)
    s.settimeout(2)
    p(v, 'type', s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE),
      'proto', s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL))
    p(v, 'name-unbound', s.getsockname())
    p(v, 'peer-unbound', err(lambda: s.getpeername()))
    p(v, 'bind', err(lambda: s.bind((host, 4242))))
    p(v, 'name-bound', s.getsockname())
    p(v, 'rebind', err(lambda: s.bind((host, 4243))))
    t = mk(fam)
    p(v, 'bind-same-ident-any', err(lambda: t.bind(('0.0.0.0' if v == '4' else '::', 4242))))
    t.close()
    # The identifier we write (0x1234) becomes the bound one (4242).
    s.sendto(echo(req, 0x1234, 7, b'x' * 56), (host, 0))
    d, a = s.recvfrom(2000)
    ty, code, ck, ident, seq = struct.unpack('!BBHHH', d[:8])
    p(v, 'reply', len(d), 'type', ty, 'code', code, 'id', ident, 'seq', seq,
      'data', d[8:] == b'x' * 56, 'from', a)
    if v == '4':
        p(v, 'checksum-ok', csum(d) == 0)
    s.sendto(echo(req, 1, 8, b'abc'), (host, 0))
    d, a = s.recvfrom(2000)
    p(v, 'odd', len(d), d[8:])
    s.sendto(echo(req, 1, 9, b''), (host, 99))
    d, a = s.recvfrom(2000)
    p(v, 'empty', len(d), struct.unpack('!BBHHH', d[:8])[3:])
    s.sendto(echo(req, 1, 10, b'y' * 100), (host, 0))
    p(v, 'truncated', len(s.recv(20)))
    if v == '4':
        s.setsockopt(socket.IPPROTO_IP, 12, 1)            # IP_RECVTTL
    else:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
    s.sendto(echo(req, 1, 11, b'z'), (host, 0))
    d, anc, fl, a = s.recvmsg(2000, 256)
    # the value is the responder's TTL: Linux answers with 64, lwIP with 255
    p(v, 'cmsg', [(l, c, int.from_bytes(x, sys.byteorder) > 0) for l, c, x in anc])
    u = mk(fam)
    u.settimeout(2)
    u.sendto(echo(req, 0, 1, b'q'), (host, 0))
    n = u.getsockname()
    d, a = u.recvfrom(100)
    p(v, 'autobind', n[1] != 0, struct.unpack('!H', d[4:6])[0] == n[1])
    u.close()
    c = mk(fam)
    c.settimeout(2)
    p(v, 'connect', err(lambda: c.connect((host, 0))))
    n = c.getsockname()
    p(v, 'connected-name', n[0], n[1] != 0, 'peer', err(lambda: c.getpeername()))
    c.send(echo(req, 5, 12, b'conn'))
    d = c.recv(100)
    p(v, 'connected-reply', len(d), d[0], struct.unpack('!H', d[4:6])[0] == n[1])
    c.close()
    r1, r2 = mk(fam), mk(fam)
    r1.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    r2.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    p(v, 'reuse', err(lambda: r1.bind((host, 5555))), err(lambda: r2.bind((host, 5555))))
    r1.close()
    r2.close()
    s.close()


def got(s):
    try:
        s.recv(100)
        return 'got'
    except OSError:
        return 'none'


a, b = mk(), mk()
p('same-addr', err(lambda: a.bind(('127.0.0.1', 7000))), err(lambda: b.bind(('127.0.0.1', 7000))))
a.settimeout(0.5)
b.settimeout(0.5)
a.sendto(echo(8, 0, 1, b'who'), ('127.0.0.1', 0))
p('shared-ident-reply', 'older', got(a), 'newer', got(b))
a, b = mk(), mk()
p('reuse-default', a.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
a.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0)
p('no-reuse', err(lambda: a.bind(('0.0.0.0', 7100))), err(lambda: b.bind(('127.0.0.1', 7100))),
  err(lambda: mk(socket.AF_INET6).bind(('::', 7100))))
a, b = mk(), mk()
a.bind(('0.0.0.0', 0))
b.bind(('0.0.0.0', 0))
p('ephemeral-consecutive', b.getsockname()[1] - a.getsockname()[1])
p('bind-other-addr', err(lambda: mk().bind(('198.19.255.254', 0))))
p('bind-mapped', err(lambda: mk(socket.AF_INET6).bind(('::ffff:127.0.0.1', 0))))
p('send-no-addr', err(lambda: mk().send(echo(8, 0, 1, b''))))
a = mk()
a.connect(('127.0.0.1', 0))
p('shutdown-connected', err(lambda: a.shutdown(socket.SHUT_RDWR)))
p('shutdown-unconnected', err(lambda: mk().shutdown(socket.SHUT_RDWR)))
p('listen', err(lambda: mk().listen(1)))
a = mk()
p('connect-port-7', err(lambda: a.connect(('127.0.0.1', 7))), a.getsockname()[0])
a, b = mk(), mk(socket.AF_INET6)
p('one-space', err(lambda: a.bind(('127.0.0.1', 6000))), err(lambda: b.bind(('::1', 6000))))
print('\n'.join(out))
PYEOF
# The kernel: an empty namespace, ping sockets allowed there only.
"${NS[@]}" sh -c "sysctl -q -w net.ipv4.ping_group_range='0 2147483647' && ip link set lo up &&
	timeout 60 '$PY' '$T/pingsock.py'" >"$T/kernel-pingsock.txt" 2>&1
timeout 60 env NETCON_SOCKET="$T/a.sock" "${NS[@]}" "$INTERCEPT" "$PY" "$T/pingsock.py" \
	>"$T/netcon-pingsock.txt" 2>&1
if ! grep -q '^4 reply' "$T/kernel-pingsock.txt"; then
	fail semantics-vs-kernel "the kernel run failed: $(tail -n 2 "$T/kernel-pingsock.txt" | tr '\n' ' ')"
elif diff -u "$T/kernel-pingsock.txt" "$T/netcon-pingsock.txt" >"$T/diff-pingsock.txt"; then
	pass semantics-vs-kernel "$(wc -l <"$T/kernel-pingsock.txt") cases identical"
else
	fail semantics-vs-kernel "differs from the kernel: $(grep '^[-+][0-9a-z]' "$T/diff-pingsock.txt" |
		head -n 8 | tr '\n' ' ')... netcon's last line: $(tail -n 1 "$T/netcon-pingsock.txt")"
fi

# The services are still there and serving.
check services-alive eval "'$SVC' status --socket '$T/a.sock' >/dev/null && '$SVC' status --socket '$T/b.sock' >/dev/null"
summary
