#!/bin/bash
# Names for programs under netcon (docs/names.md): every check runs a real
# program in an empty network namespace through a real service.
#
#   1. multicast DNS only: services alpha and beta find each other by
#      --name (getent, python's getaddrinfo and gethostby*, curl), /etc/hosts
#      still comes first, a name that exists nowhere fails promptly with
#      glibc's error, reverse lookups;
#   2. --dns: dnsmasq in a kernel namespace on the switch (a tap plugged in
#      with vde_plug) serves names; service gamma forwards to it. glibc in
#      that kernel namespace, pointed at the same dnsmasq, is the oracle:
#      getent and python's getaddrinfo must print exactly what it prints;
#   3. the DNS stub on port 53 of gamma's addresses, asked by dig from the
#      kernel namespace (IPv4 and IPv6, forward, reverse, NXDOMAIN), and
#      garbage sent to ports 53 and 5353 leaves it answering;
#      DNS over TCP: a name with 40 addresses, whose UDP answer dnsmasq
#      truncates, resolved through the forwarder's TCP retry and served by
#      the stub over TCP (pipelined queries, idle connections closed, a cap
#      on connections, garbage framing);
#   4. a --dns server that never answers: EAI_AGAIN within the bound.
#
# Everything is on 198.18.0.0/15 and fd00::/8; nothing leaves the machine.
source "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
KNS=nc-names-$$
KTAP=ncn$$
KIP=198.18.250.1
KIP6=fd00:6e63::53
DNSMASQ_PID=
KPLUG=
suite_cleanup() {
	[ -n "$DNSMASQ_PID" ] && kill "$DNSMASQ_PID" 2>/dev/null
	cleanup
	ip netns del "$KNS" 2>/dev/null
}
trap suite_cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$T/www"
echo "found by name" >"$T/www/index.html"

# ms COMMAND...: run it, print how long it took in ms on fd 3; its status is kept.
ms() {
	local start=${EPOCHREALTIME/./} rc
	"$@"
	rc=$?
	echo $(((${EPOCHREALTIME/./} - start) / 1000)) >&3
	return $rc
}

# kns COMMAND...: a command in the kernel namespace with its resolv.conf pointing at dnsmasq.
kns() {
	ip netns exec "$KNS" unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
		"$T/resolv.conf" "$@"
}

# in_hosts NAME HOSTSFILE COMMAND...: a program through service NAME with its own /etc/hosts.
in_hosts() {
	local name=$1 hosts=$2
	shift 2
	NETCON_SOCKET="$T/$name.sock" unshare -m -n sh -c \
		'mount --bind "$0" /etc/hosts && exec "$@"' "$hosts" "$INTERCEPT" "$@"
}

# gai.py: getaddrinfo() over hint combinations, one line per case (results or the error).
cat >"$T/gai.py" <<'EOF'
import socket as S, sys
cases = [(S.AF_UNSPEC, 0, 0, 0), (S.AF_INET, 0, 0, 0), (S.AF_INET6, 0, 0, 0),
         (S.AF_UNSPEC, S.SOCK_STREAM, 0, S.AI_CANONNAME),
         (S.AF_UNSPEC, S.SOCK_DGRAM, S.IPPROTO_UDP, 0),
         (S.AF_UNSPEC, S.SOCK_STREAM, 0, S.AI_ADDRCONFIG),
         (S.AF_INET, S.SOCK_STREAM, 0, S.AI_ADDRCONFIG | S.AI_CANONNAME),
         (S.AF_INET6, S.SOCK_STREAM, 0, S.AI_V4MAPPED),
         (S.AF_INET6, S.SOCK_STREAM, 0, S.AI_V4MAPPED | S.AI_ALL),
         (S.AF_UNSPEC, S.SOCK_STREAM, S.IPPROTO_UDP, 0)]
for name in sys.argv[1:]:
    for port in (80, "http", "nosuchservice", None):
        for fam, st, pr, fl in cases:
            try:
                r = S.getaddrinfo(name, port, fam, st, pr, fl)
                out = [(a[0].name, a[1].name, a[2], a[3], a[4][:2]) for a in r]
            except S.gaierror as e:
                out = "gaierror %d %s" % (e.errno, e.strerror)
            print(name, port, fam, st, pr, fl, out)
EOF

# res.py: the resolver's own interface (res_query, res_search) through ctypes:
# the outcome, rcode, answer count and whether the data expected is there.
cat >"$T/res.py" <<'EOF'
import ctypes
libc = ctypes.CDLL(None)
libc.__h_errno_location.restype = ctypes.POINTER(ctypes.c_int)
buf = ctypes.create_string_buffer(4096)
for fn, name, t in [("res_query", "db.example.test", 1), ("res_query", "db.example.test", 28),
                    ("res_search", "db.example.test", 1), ("res_query", "alias.example.test", 1),
                    ("res_query", "txt.example.test", 16), ("res_query", "nothere.example.test", 1),
                    ("res_search", "nothere.example.test", 1), ("res_query", "v4only.example.test", 28),
                    ("res_query", "10.250.18.198.in-addr.arpa", 12)]:
    n = getattr(libc, fn)(name.encode(), 1, t, buf, len(buf))
    if n < 0:
        print(fn, name, t, "fails, h_errno", libc.__h_errno_location()[0])
    else:
        b = buf.raw[:n]
        print(fn, name, t, "rcode", b[3] & 15, "answers", b[6] << 8 | b[7], b"\xc6\x12\xfa\x0a" in b,
              b"passed on" in b, b"\x02db" in b)
EOF

# gaia.py: getaddrinfo_a() in GAI_WAIT and GAI_NOWAIT (gai_suspend, gai_error), through ctypes.
cat >"$T/gaia.py" <<'EOF'
import ctypes, socket, sys
class addrinfo(ctypes.Structure):
    pass
addrinfo._fields_ = [("flags", ctypes.c_int), ("family", ctypes.c_int), ("socktype", ctypes.c_int),
                     ("protocol", ctypes.c_int), ("addrlen", ctypes.c_uint32), ("addr", ctypes.c_void_p),
                     ("canon", ctypes.c_char_p), ("next", ctypes.POINTER(addrinfo))]
class gaicb(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("service", ctypes.c_char_p), ("request", ctypes.c_void_p),
                ("result", ctypes.POINTER(addrinfo)), ("ret", ctypes.c_int), ("reserved", ctypes.c_int * 5)]
libc = ctypes.CDLL(None)
hints = addrinfo(family=socket.AF_INET, socktype=socket.SOCK_STREAM)
names = sys.argv[1:]
reqs = [gaicb(n.encode(), b"80", ctypes.cast(ctypes.pointer(hints), ctypes.c_void_p)) for n in names]
arr = (ctypes.POINTER(gaicb) * len(reqs))(*[ctypes.pointer(r) for r in reqs])
for mode in (0, 1):                                   # GAI_WAIT, GAI_NOWAIT
    print("mode", mode, libc.getaddrinfo_a(mode, arr, len(reqs), None))
    while any(libc.gai_error(ctypes.pointer(r)) == -100 for r in reqs):   # EAI_INPROGRESS
        libc.gai_suspend(arr, len(reqs), None)
    for n, r in zip(names, reqs):
        out, p = [], r.result
        while p:
            out.append(socket.inet_ntoa(ctypes.string_at(p.contents.addr, p.contents.addrlen)[4:8]))
            p = p.contents.next
        print(n, libc.gai_error(ctypes.pointer(r)), out)
EOF

# --- 1. multicast DNS only ---------------------------------------------------
start_service a --name alpha || { fail names-start "service alpha"; summary; exit 1; }
start_service b --name beta || { fail names-start "service beta"; summary; exit 1; }
A4=$(service_ip a) A6=$(service_ip a 6) B4=$(service_ip b) B6=$(service_ip b 6)

# Its own name: A and AAAA with its addresses, no network needed.
check own-name eval "app a getent ahosts alpha | grep -q '^$A4 ' && app a getent ahosts alpha | grep -q '^$A6 '"
# beta started after alpha: alpha heard its announcement.
check mdns-announced eval "app a getent ahosts beta >'$T/o' && grep -q '^$B4 ' '$T/o' && grep -q '^$B6 ' '$T/o'"
# alpha started before beta: beta must ask the link.
check mdns-query eval "app b getent ahosts alpha >'$T/o' && grep -q '^$A4 ' '$T/o' && grep -q '^$A6 ' '$T/o'"
check mdns-dot-local eval "app a getent hosts beta.local | grep -q '^$B6 *beta.local'"
check mdns-case eval "app a getent hosts BeTa | grep -q '^$B6 '"
check getent-hosts-v4 eval "app a getent ahostsv4 beta | grep -q '^$B4 *STREAM beta'"

# python: getaddrinfo's hints as programs pass them.
cat >"$T/mdns.py" <<EOF
import socket as S
def addrs(*a, **k): return sorted({x[4][0] for x in S.getaddrinfo(*a, **k)})
want = sorted(["$B4", "$B6"])
assert addrs("beta", 80) == want, addrs("beta", 80)                       # hints NULL-ish
assert addrs("beta", None, S.AF_UNSPEC, S.SOCK_STREAM) == want
assert addrs("beta", 80, S.AF_INET) == ["$B4"]
assert addrs("beta", 80, S.AF_INET6) == ["$B6"]
r = S.getaddrinfo("beta", 80, 0, S.SOCK_STREAM, 0, S.AI_CANONNAME)
assert r[0][3] == "beta" and len(r) == 2, r
assert addrs("beta", 80, 0, S.SOCK_STREAM, 0, S.AI_ADDRCONFIG) == want    # the service's families
assert addrs("$B4", 80, 0, 0, 0, S.AI_ADDRCONFIG) == ["$B4"]            # numeric, also judged so
strip = lambda r: [x[:3] + x[4:] for x in r]                              # as glibc for the number
assert strip(S.getaddrinfo("beta", "http", S.AF_INET)) == strip(S.getaddrinfo("$B4", "http", S.AF_INET))
assert S.gethostbyname("beta") == "$B4"
assert S.gethostbyname_ex("beta")[2] == ["$B4"]
assert S.gethostbyaddr("$B4")[0] == "beta.local", S.gethostbyaddr("$B4")
assert S.getnameinfo(("$B6", 80), 0) == ("beta.local", "http")
assert S.getnameinfo(("$B6", 80), S.NI_NUMERICHOST) == ("$B6", "http")
print("ok")
EOF
check python-getaddrinfo eval "app a $PY '$T/mdns.py'"

# curl by --name, across services, with no DNS server anywhere.
app_bg b http-beta "$PY" -m http.server --bind 0.0.0.0 --directory "$T/www" 8081
check curl-by-name eval "wait_for 10 app a curl -sf --max-time 3 -o '$T/got' http://beta:8081/index.html &&
	cmp -s '$T/got' '$T/www/index.html' &&
	app a curl -sf --max-time 3 http://beta.local:8081/index.html | grep -q 'found by name'"

# /etc/hosts first: a program's own hosts file wins over the link.
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n198.18.99.99 beta bee\n' >"$T/hosts"
check hosts-first eval "in_hosts a '$T/hosts' getent ahosts beta | head -1 | grep -q '^198.18.99.99 '"
check hosts-alias eval "in_hosts a '$T/hosts' getent hosts bee | grep -q '^198.18.99.99 *beta bee'"
check hosts-reverse eval "in_hosts a '$T/hosts' getent hosts 198.18.99.99 | grep -q 'beta'"

# A name that exists nowhere: EAI_NONAME ("Name or service not known", as
# glibc says for NXDOMAIN; getent exits 2), in about a second of mDNS.
ms app a getent ahosts no-such-service 3>"$T/ms" >/dev/null 2>&1
rc=$?
t=$(cat "$T/ms")
if [ $rc = 2 ] && [ "$t" -lt 2500 ]; then pass nonexistent-prompt "getent 2 in $t ms"; else fail nonexistent-prompt "getent $rc in $t ms"; fi
check nonexistent-error eval "app a $PY -c 'import socket
try: socket.getaddrinfo(\"no-such-service\", 80)
except socket.gaierror as e: print(e.errno, e.strerror)' | grep -qx -- '-2 Name or service not known'"

# Reverse lookups: a peer's addresses (IPv4 and IPv6) and our own.
check reverse-peer eval "app a getent hosts $B4 | grep -q 'beta.local' && app a getent hosts $B6 | grep -q 'beta.local'"
check reverse-own eval "app a getent hosts $A4 | grep -qw alpha"
check reverse-unknown eval "app a $PY -c 'import socket; print(socket.getnameinfo((\"198.18.99.98\", 80), 0))' |
	grep -q \"'198.18.99.98', 'http'\""

# --- 2. --dns: dnsmasq in a kernel namespace ----------------------------------
if ! ip netns add "$KNS"; then
	fail dns-setup "cannot create namespace $KNS"
	summary
	exit 1
fi
ip netns exec "$KNS" ip link set lo up
ip netns exec "$KNS" vde_plug "vde://$NETCON_DIR/switch" "tap://$KTAP" >"$T/vde_plug.log" 2>&1 &
KPLUG=$!
PIDS+=($KPLUG)
for ((i = 0; i < 60; i++)); do
	ip netns exec "$KNS" ip link show "$KTAP" >/dev/null 2>&1 && break
	sleep 0.05
done
ip netns exec "$KNS" ip addr add "$KIP/16" dev "$KTAP"
ip netns exec "$KNS" ip addr add "$KIP6/64" dev "$KTAP" nodad
ip netns exec "$KNS" ip link set "$KTAP" up
echo "nameserver $KIP" >"$T/resolv.conf"
# many.example.test: 40 addresses, more than a 512-byte UDP answer holds.
for ((i = 1; i <= 40; i++)); do echo "198.18.251.$i many.example.test"; done >"$T/many.hosts"
# Two names of 253 characters, the first a CNAME for the second, itself a
# CNAME for final.example.test: the UDP answer to A cannot hold even the
# first CNAME (TC, no records at all).
runof() { printf "%${2}s" | tr ' ' "$1"; }
LONGQ=$(runof a 63).$(runof b 63).$(runof c 63).$(runof d 48).example.test
LONGT=$(runof e 63).$(runof f 63).$(runof g 63).$(runof h 48).example.test
# --local: names under example.test that are not listed are NXDOMAIN.
ip netns exec "$KNS" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
	--bind-interfaces --listen-address="$KIP" --listen-address="$KIP6" --local=/example.test/ \
	--host-record=db.example.test,198.18.250.10,fd00:6e63::10 \
	--host-record=v4only.example.test,198.18.250.12 \
	--host-record=www.example.test,"$B4" --cname=alias.example.test,db.example.test \
	--txt-record=txt.example.test,"passed on" --addn-hosts="$T/many.hosts" \
	--host-record=final.example.test,198.18.250.20 --cname="$LONGQ","$LONGT" \
	--cname="$LONGT",final.example.test \
	--pid-file="$T/dnsmasq.pid" --user=root --log-facility="$T/dnsmasq.log" --log-queries \
	>"$T/dnsmasq.out" 2>&1 &
DNSMASQ_PID=$!
if wait_for 10 kns getent hosts db.example.test; then
	pass dns-setup "dnsmasq on $KIP and $KIP6"
else
	fail dns-setup "dnsmasq does not answer: $(tail -n 3 "$T/dnsmasq.out" | tr '\n' ' ')"
fi
# localhost from the same /etc/hosts as glibc gives it on the kernel (a
# namespace with both families, for AI_ADDRCONFIG).
check hosts-localhost eval "diff <(ip netns exec '$KNS' unshare -m sh -c 'mount --bind \"\$0\" /etc/hosts && exec \"\$@\"' '$T/hosts' $PY '$T/gai.py' localhost) \
	<(in_hosts a '$T/hosts' $PY '$T/gai.py' localhost)"
start_service c --name gamma --dns "$KIP" --dns "$KIP6" || fail names-start "service gamma"
C4=$(service_ip c) C6=$(service_ip c 6)

# getent and python print exactly what glibc on the kernel prints.
for name in db.example.test v4only.example.test alias.example.test nothere.example.test; do
	for db in ahosts hosts ahostsv4 ahostsv6; do
		kns getent $db $name >"$T/k.out" 2>&1
		echo "rc=$?" >>"$T/k.out"
		app c getent $db $name >"$T/n.out" 2>&1
		echo "rc=$?" >>"$T/n.out"
		if cmp -s "$T/k.out" "$T/n.out"; then
			pass "dns-getent-$db-$name"
		else
			fail "dns-getent-$db-$name" "kernel: $(tr '\n' ' ' <"$T/k.out") netcon: $(tr '\n' ' ' <"$T/n.out")"
		fi
	done
done
kns $PY "$T/gai.py" db.example.test v4only.example.test alias.example.test nothere.example.test >"$T/k.py" 2>&1
app c $PY "$T/gai.py" db.example.test v4only.example.test alias.example.test nothere.example.test >"$T/n.py" 2>&1
if cmp -s "$T/k.py" "$T/n.py"; then
	pass dns-python-getaddrinfo "$(wc -l <"$T/k.py") cases as glibc's"
else
	fail dns-python-getaddrinfo "$(diff "$T/k.py" "$T/n.py" | head -n 4 | tr '\n' ' ')"
fi
check dns-reverse eval "[ \"\$(kns getent hosts 198.18.250.10)\" = \"\$(app c getent hosts 198.18.250.10)\" ] &&
	app c getent hosts 198.18.250.10 | grep -q db.example.test"
check dns-python-reverse eval "[ \"\$(kns $PY -c 'import socket; print(socket.gethostbyaddr(\"198.18.250.10\"), socket.getnameinfo((\"fd00:6e63::10\", 22), 0))')\" = \
	\"\$(app c $PY -c 'import socket; print(socket.gethostbyaddr(\"198.18.250.10\"), socket.getnameinfo((\"fd00:6e63::10\", 22), 0))')\" ]"
check dns-res-query eval "diff <(kns $PY '$T/res.py') <(app c $PY '$T/res.py')"
check dns-getaddrinfo-a eval "diff <(kns $PY '$T/gaia.py' db.example.test nothere.example.test v4only.example.test) \
	<(app c $PY '$T/gaia.py' db.example.test nothere.example.test v4only.example.test)"
check dns-curl eval "app c curl -sf --max-time 3 http://www.example.test:8081/index.html | grep -q 'found by name'"
ms app c getent ahosts nothere.example.test 3>"$T/ms" >/dev/null 2>&1
rc=$?
t=$(cat "$T/ms")
if [ $rc = 2 ] && [ "$t" -lt 700 ]; then pass dns-nxdomain-prompt "getent 2 in $t ms"; else fail dns-nxdomain-prompt "getent $rc in $t ms"; fi
# The services' names still work beside DNS.
check dns-and-mdns eval "app c getent ahosts alpha | grep -q '^$A4 ' && app c getent ahosts beta.local | grep -q '^$B4 '"

# 40 addresses: dnsmasq truncates its UDP answer (TC); glibc on the kernel
# asks again over TCP, and so does the forwarder. A program gets the first 8
# (the RESOLVE answer's size), all of them among glibc's 40.
kns getent ahostsv4 many.example.test | awk '{print $1}' | sort -u >"$T/k.many"
app c getent ahostsv4 many.example.test | awk '{print $1}' | sort -u >"$T/n.many"
check dns-tcp-getent eval "[ \$(wc -l <'$T/k.many') = 40 ] && [ \$(wc -l <'$T/n.many') = 8 ] &&
	[ -z \"\$(comm -13 '$T/k.many' '$T/n.many')\" ]"
app c getent ahosts many.example.test | awk '{print $1}' | sort -u >"$T/n.many2"
check dns-tcp-getent-ahosts eval "[ \$(wc -l <'$T/n.many2') = 8 ] && [ -z \"\$(comm -13 '$T/k.many' '$T/n.many2')\" ]"
# Nothing usable over UDP: only the TCP retry finds the address (and the
# canonical name at the end of the chain).
kns getent ahostsv4 "$LONGQ" >"$T/k.out" 2>&1
echo "rc=$?" >>"$T/k.out"
app c getent ahostsv4 "$LONGQ" >"$T/n.out" 2>&1
echo "rc=$?" >>"$T/n.out"
if cmp -s "$T/k.out" "$T/n.out" && grep -q "^198.18.250.20 *STREAM final.example.test" "$T/n.out"; then
	pass dns-tcp-cname-only
else
	fail dns-tcp-cname-only "kernel: $(tr '\n' ' ' <"$T/k.out") netcon: $(tr '\n' ' ' <"$T/n.out")"
fi
check dns-tcp-python eval "app c $PY -c 'import socket; print(len({a[4][0] for a in socket.getaddrinfo(\"many.example.test\", 80, socket.AF_INET)}))' | grep -qx 8"

# --- 3. the DNS stub, asked from the kernel namespace -------------------------
dig_k() { ip netns exec "$KNS" dig +time=2 +tries=1 "$@"; }
check stub-a eval "[ \"\$(dig_k +short @$C4 db.example.test A)\" = 198.18.250.10 ]"
check stub-aaaa eval "[ \"\$(dig_k +short @$C4 db.example.test AAAA)\" = fd00:6e63::10 ]"
check stub-ipv6 eval "[ \"\$(dig_k +short @$C6 db.example.test A)\" = 198.18.250.10 ]"
check stub-cname eval "dig_k +short @$C4 alias.example.test A | tr '\n' ' ' | grep -qx 'db.example.test. 198.18.250.10 '"
check stub-mdns-name eval "[ \"\$(dig_k +short @$C4 beta A)\" = $B4 ] && [ \"\$(dig_k +short @$C4 gamma AAAA)\" = $C6 ]"
# A peer's two families asked one after the other, as Go's and musl's
# resolvers do: the first answer, cached under the bare name, must not hide
# the other family that mDNS taught under NAME.local.
check stub-mdns-both-families eval "[ \"\$(dig_k +short @$C4 beta AAAA)\" = $B6 ] && [ \"\$(dig_k +short @$C4 beta A)\" = $B4 ]"
check stub-reverse eval "[ \"\$(dig_k +short @$C4 -x 198.18.250.10)\" = db.example.test. ] &&
	[ \"\$(dig_k +short @$C4 -x $B4)\" = beta.local. ]"
check stub-nxdomain eval "dig_k @$C4 nothere.example.test | grep -q 'status: NXDOMAIN'"
check stub-nodata eval "dig_k @$C4 v4only.example.test AAAA | grep -q 'status: NOERROR' &&
	[ -z \"\$(dig_k +short @$C4 v4only.example.test AAAA)\" ]"
# Other types go to the servers as they are: TXT, and MX of a name without one.
check stub-passes-on eval "[ \"\$(dig_k +short @$C4 txt.example.test TXT)\" = '\"passed on\"' ] &&
	dig_k @$C4 db.example.test MX | grep -q 'status: NOERROR' &&
	dig_k @$C4 nothere.example.test TXT | grep -q 'status: NXDOMAIN'"
# DNS over TCP to the stub: the whole answer (all 40, passed on from the
# forwarder's own TCP retry); over UDP without EDNS the same answer is
# truncated (TC) as dnsmasq truncated it; names the resolver answers too.
check stub-tcp-all eval "diff <(dig_k +tcp +short @$C4 many.example.test A | sort) '$T/k.many'"
check stub-tcp-ipv6 eval "diff <(dig_k +tcp +short @$C6 many.example.test A | sort) '$T/k.many'"
check stub-udp-truncated eval "dig_k +ignore +noedns @$C4 many.example.test A | grep -q '^;; flags:.* tc'"
check stub-udp-retries-tcp eval "diff <(dig_k +short @$C4 many.example.test A | sort) '$T/k.many'"
check stub-tcp-resolver eval "[ \"\$(dig_k +tcp +short @$C4 beta A)\" = $B4 ] &&
	[ \"\$(dig_k +tcp +short @$C4 -x 198.18.250.10)\" = db.example.test. ] &&
	dig_k +tcp @$C4 nothere.example.test | grep -q 'status: NXDOMAIN'"
# stubtcp.py: three pipelined queries on one connection, all answered; a
# connection left idle is closed by the stub (10 s); of 24 connections at
# once 16 are served; garbage framing ends only its own connection. A query
# trickling in a byte at a time does not keep its connection open.
cat >"$T/stubtcp.py" <<'EOF'
import socket, struct, sys, time
dst = sys.argv[1]
def q(i, name, t=1):
    return struct.pack(">HHHHHH", i, 0x0100, 1, 0, 0, 0) + b"".join(
        bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", t, 1)
frame = lambda m: struct.pack(">H", len(m)) + m
def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b
def answer(s):
    n, = struct.unpack(">H", recvn(s, 2))
    m = recvn(s, n)
    return struct.unpack(">HHHH", m[:8])
mode = sys.argv[2]
if mode == "pipeline":
    s = socket.create_connection((dst, 53), timeout=5)
    s.sendall(frame(q(1, "db.example.test")) + frame(q(2, "many.example.test")) + frame(q(3, "beta")))
    print(sorted((a[0], a[3]) for a in (answer(s), answer(s), answer(s))))
elif mode == "idle":
    s = socket.create_connection((dst, 53), timeout=5)
    s.sendall(frame(q(7, "db.example.test")))
    answer(s)
    s.settimeout(16)
    t = time.time()
    try:
        r = s.recv(1)
    except (socket.timeout, ConnectionResetError):
        r = None
    print("closed" if r == b"" else "open", int(time.time() - t))
elif mode == "trickle":
    s = socket.create_connection((dst, 53), timeout=5)
    t = time.time()
    s.sendall(b"\x00\x20")
    r = None
    for _ in range(10):
        try:
            s.sendall(b"x")
            s.settimeout(2)
            r = s.recv(1)
            break
        except socket.timeout:
            pass
        except (ConnectionResetError, BrokenPipeError):
            r = b""
            break
    print("closed" if r == b"" else "open", int(time.time() - t))
elif mode == "cap":
    conns, ok = [], 0
    for _ in range(24):
        try:
            conns.append(socket.create_connection((dst, 53), timeout=3))
        except OSError:
            pass                            # refused at once: also fine
    time.sleep(0.3)
    for i, c in enumerate(conns):
        try:
            c.sendall(frame(q(100 + i, "beta")))
            answer(c)
            ok += 1
        except (OSError, EOFError):
            pass
    print("answered", ok)
elif mode == "garbage":
    for bad in (b"\x00\x05hello", b"\xff\xff" + b"x" * 100, b"\x00\x00", b"\x00", frame(b"\x00" * 12)):
        s = socket.create_connection((dst, 53), timeout=3)
        s.sendall(bad)
        s.close()
    print("sent")
EOF
check stub-tcp-pipelined eval "ip netns exec '$KNS' $PY '$T/stubtcp.py' $C4 pipeline | grep -qxF '[(1, 1), (2, 40), (3, 1)]'"
ip netns exec "$KNS" timeout 30 $PY "$T/stubtcp.py" "$C4" idle >"$T/idle.out" 2>&1
read -r idle secs <"$T/idle.out"
if [ "$idle" = closed ] && [ "$secs" -ge 9 ] && [ "$secs" -le 12 ]; then
	pass stub-tcp-idle-closed "after $secs s"
else
	fail stub-tcp-idle-closed "$(cat "$T/idle.out")"
fi
ip netns exec "$KNS" timeout 30 $PY "$T/stubtcp.py" "$C4" trickle >"$T/idle.out" 2>&1
read -r idle secs <"$T/idle.out"
if [ "$idle" = closed ] && [ "$secs" -ge 9 ] && [ "$secs" -le 12 ]; then
	pass stub-tcp-trickle-closed "after $secs s"
else
	fail stub-tcp-trickle-closed "$(cat "$T/idle.out")"
fi
check stub-tcp-cap eval "ip netns exec '$KNS' timeout 30 $PY '$T/stubtcp.py' $C4 cap | grep -qx 'answered 16'"
ip netns exec "$KNS" timeout 30 $PY "$T/stubtcp.py" "$C4" garbage >/dev/null 2>&1
check stub-tcp-after-garbage eval "[ \"\$(dig_k +tcp +short @$C4 db.example.test A)\" = 198.18.250.10 ]"

# Hostile datagrams to the stub and to mDNS: compression loops, pointers
# past the end, oversized counts, runts, random bytes. The service keeps answering.
cat >"$T/garbage.py" <<'EOF'
import os, socket, struct, sys
dst4, dst6 = sys.argv[1], sys.argv[2]
hdr = lambda qd, an, flags=0: struct.pack(">HHHHHH", 0x1234, flags, qd, an, 0, 0)
bad = [b"", b"\x00", hdr(1, 0)[:11], hdr(1, 0) + b"\xc0\x0c" + b"\x00\x01\x00\x01",
       hdr(1, 0) + b"\x03abc\xc0\x0c\x00\x01\x00\x01", hdr(1, 0) + b"\xc0\xff\x00\x01\x00\x01",
       hdr(65535, 65535) + b"\x01a\x00\x00\x01\x00\x01", hdr(1, 0) + b"\x3fabc",
       hdr(1, 0) + b"\x40abc\x00\x00\x01\x00\x01", hdr(1, 0) + (b"\x3f" + b"a" * 63) * 5 + b"\x00\x00\x01\x00\x01",
       hdr(0, 3, 0x8400) + b"\x05alpha\x05local\x00\x00\x01\x80\x01\x00\x00\x00\x78\xff\xff",
       hdr(0, 1, 0x8400) + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x78\x00\x04abcd",
       hdr(1, 0) + b"\x01a\x00\x00\x0c\x00\x01"]
bad += [os.urandom(n) for n in (12, 40, 300, 1400) for _ in range(25)]
for fam, dst in ((socket.AF_INET, dst4), (socket.AF_INET6, dst6)):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for port in (53, 5353):
        for b in bad:
            s.sendto(b, (dst, port))
EOF
ip netns exec "$KNS" $PY "$T/garbage.py" "$C4" "$C6"
ip netns exec "$KNS" $PY "$T/garbage.py" "$A4" "$A6"
check stub-after-garbage eval "[ \"\$(dig_k +short @$C4 db.example.test A)\" = 198.18.250.10 ] &&
	app c getent ahosts alpha | grep -q '^$A4 ' && app b getent ahosts alpha | grep -q '^$A4 '"

# Announcements from a kernel peer on the link (TTL 255, from port 5353): its
# .local name is learned; records for DNS's names are not (no poisoning
# through mDNS, also not as NAME.local for a dotted name DNS is asked for).
cat >"$T/announce.py" <<'EOF'
import socket, struct, sys
def name(n): return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0"
def a(owner, ip): return name(owner) + struct.pack(">HHIH", 1, 0x8001, 120, 4) + socket.inet_aton(ip)
recs = [a("kpeer.local", sys.argv[1]), a("db.example.test", "198.18.66.66"),
        a("db.example.test.local", "198.18.66.66"), a("www.example.test.local", "198.18.66.66")]
msg = struct.pack(">HHHHHH", 0, 0x8400, 0, len(recs), 0, 0) + b"".join(recs)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5353))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[1]))
for _ in range(2):
    s.sendto(msg, ("224.0.0.251", 5353))
EOF
ip netns exec "$KNS" $PY "$T/announce.py" "$KIP"
check mdns-kernel-peer eval "app a getent hosts kpeer | grep -q '^$KIP ' && app c getent ahostsv4 kpeer.local | grep -q '^$KIP '"
check mdns-no-poisoning eval "app c getent ahostsv4 db.example.test | grep -q '^198.18.250.10 ' &&
	! app c getent ahostsv4 db.example.test | grep -q 198.18.66.66 &&
	app c getent ahostsv4 www.example.test | grep -q '^$B4 '"

# --- 4. a server that never answers -------------------------------------------
start_service d --name delta --dns 198.18.250.77 || fail names-start "service delta"
ms app d getent ahosts lost.example.test 3>"$T/ms" >/dev/null 2>&1
rc=$?
t=$(cat "$T/ms")
# 2 tries x 1.5 s, then 1 s of mDNS; glibc says EAI_AGAIN for a silent server.
if [ $rc = 2 ] && [ "$t" -lt 6000 ]; then pass dns-timeout-bounded "getent 2 in $t ms"; else fail dns-timeout-bounded "getent $rc in $t ms"; fi
printf 'nameserver 198.18.250.77\noptions timeout:1 attempts:1\n' >"$T/resolv-dead.conf"
kerr=$(ip netns exec "$KNS" unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$T/resolv-dead.conf" \
	$PY -c 'import socket
try: socket.getaddrinfo("lost.example.test", 80)
except socket.gaierror as e: print(e.errno, e.strerror)')
nerr=$(app d $PY -c 'import socket
try: socket.getaddrinfo("lost.example.test", 80)
except socket.gaierror as e: print(e.errno, e.strerror)')
if [ -n "$kerr" ] && [ "$kerr" = "$nerr" ]; then pass dns-timeout-error "$nerr"; else fail dns-timeout-error "kernel '$kerr', netcon '$nerr'"; fi

# No service at all: the real functions answer (here: /etc/hosts).
check no-service-fallback eval "NETCON_SOCKET='$T/none.sock' NETCON_FALLBACK=kernel unshare -n env LD_PRELOAD='$TOP/$B/lib/netcon/libnetcon.so' getent hosts localhost | grep -q localhost"

summary
