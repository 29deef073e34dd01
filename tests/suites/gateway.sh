#!/bin/bash
# The gateway (--nat, --allow-host-loopback, --publish): the virtual network
# reaches the host and the host reaches published ports, through a real
# service and libslirp.
#
# The "host" is a network namespace (and mount namespace) the suite makes
# for itself: lo, a veth pair d0/d1 (both ends inside it) with, on d0, 198.19.0.1/24 and fd00:19::1/64
# (the host's own addresses) and 198.19.0.5, fd00:19::5 (a second source,
# standing in for a remote client), its /etc/resolv.conf bound over with one
# naming dnsmasq on 127.0.0.1. Services run in it; intercepted programs run
# in fresh empty namespaces inside it. Nothing outside changes.
#
#   egress: curl to a server on the host's address, 64 MiB down and 64 MiB
#   up compared, a UDP exchange, DNS through the gateway's relay to the host's
#   resolver (A and AAAA), host.netcon.internal; the host's loopback refused
#   at once without --allow-host-loopback and reached with it;
#   ingress (a service with --publish and no --nat, which reaches nothing
#   outside by itself): published TCP ports (IPv4, IPv6, both at once), the server sees
#   the client's own address (the gateway's for a host-loopback client), 64 MiB
#   from a published port compared, a published UDP port, publishing,
#   listing and unpublishing at run time, and only the service's own user
#   may publish.
if [ -z "${NETCON_GW_INNER:-}" ]; then
	export NETCON_GW_INNER=1
	if [ "$(id -u)" = 0 ]; then
		exec unshare -nm --propagation private bash "$0" "$@"
	fi
	exec unshare -rnm --propagation private bash "$0" "$@"
fi
source "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
H4=198.19.0.1 C4=198.19.0.5 H6=fd00:19::1 C6=fd00:19::5
GW4=198.18.0.1
DNSMASQ_PID=
suite_cleanup() {
	[ -n "$DNSMASQ_PID" ] && kill "$DNSMASQ_PID" 2>/dev/null
	cleanup
}
trap suite_cleanup EXIT
trap 'exit 130' INT TERM

ip link set lo up
ip link add d0 type veth peer name d1 && ip link set d0 up && ip link set d1 up
ip addr add $H4/24 dev d0
ip addr add $C4/24 dev d0
ip -6 addr add $H6/64 dev d0 nodad
ip -6 addr add $C6/64 dev d0 nodad
echo "nameserver 127.0.0.1" >"$T/resolv.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf

mkdir -p "$T/www"
echo "from the host's loopback" >"$T/www/lo.txt"
echo "from the host" >"$T/www/host.txt"
head -c $((64 << 20)) /dev/urandom >"$T/www/big.bin"
BIG_SUM=$(sha256sum <"$T/www/big.bin" | cut -d' ' -f1)

# Host side: web servers on the loopback and on the host's address, a UDP
# echo, a TCP sink, a resolver.
(cd "$T/www" && exec $PY -m http.server --bind 127.0.0.1 8000) >"$T/host-lo-web.out" 2>&1 &
PIDS+=($!)
(cd "$T/www" && exec $PY -m http.server --bind $H4 8001) >"$T/host-web.out" 2>&1 &
PIDS+=($!)
(cd "$T/www" && exec $PY -m http.server --bind $H6 8001) >"$T/host-web6.out" 2>&1 &
PIDS+=($!)
$PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("'$H4'", 9000))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(b"echo:" + d, a)' >"$T/host-udp.out" 2>&1 &
PIDS+=($!)
dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.1 \
	--port=53 --address=/outside.test/198.19.0.7 --address=/outside.test/fd00:19::7 \
	--pid-file="$T/dnsmasq.pid" >"$T/dnsmasq.out" 2>&1 &
DNSMASQ_PID=$!

# gw_service NAME OPTIONS...: a service in the host's namespace (it needs the
# host's sockets), its own switch, socket $T/NAME.sock, log $T/NAME.log.
gw_service() {
	local name=$1
	shift
	"$SVC" --net "switch://$T/sw-$name" --socket "$T/$name.sock" "$@" >"$T/$name.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$name=$!"
	wait_for 10 "$SVC" status --socket "$T/$name.sock"
}

# peer_server NAME PORT: through service NAME, a TCP server on PORT (both
# families) that answers each connection with the peer's address, and a UDP
# one that answers each datagram with it.
peer_server() {
	app_bg "$1" "peer-$1-$2" $PY -c '
import socket, threading
def tcp():
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", '$2'))
    s.listen(16)
    while True:
        c, a = s.accept()
        c.sendall(("peer " + a[0].replace("::ffff:", "") + "\n").encode())
        c.close()
def udp():
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", '$2'))
    while True:
        d, a = s.recvfrom(2048)
        s.sendto(("peer " + a[0].replace("::ffff:", "") + "\n").encode(), a)
threading.Thread(target=udp, daemon=True).start()
tcp()'
}

# tcp_line HOST PORT [SOURCE]: the first line a TCP server sends (kernel client).
tcp_line() {
	$PY -c '
import socket, sys
host, port, src = sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(5)
if src: s.bind((src, 0))
s.connect((host, port))
print(s.makefile().readline().strip())' "$@"
}

# udp_line HOST PORT: the answer to one datagram (kernel client).
udp_line() {
	$PY -c '
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(3)
for i in range(3):
    s.sendto(b"hi", (host, port))
    try:
        print(s.recv(2048).decode().strip()); break
    except socket.timeout:
        pass' "$@"
}

expect_eq() {	# expect_eq NAME WANT GOT
	if [ "$2" = "$3" ]; then pass "$1" "$3"; else fail "$1" "want '$2', got '$3'"; fi
}

wait_for 10 bash -c "exec 3<>/dev/tcp/$H4/8001"
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/8000"
wait_for 10 bash -c "exec 3<>/dev/tcp/$H6/8001"

# --- egress ---------------------------------------------------------------
gw_service nat --nat
gw_service natlo --nat --allow-host-loopback

expect_eq egress-host-address "from the host" \
	"$(app nat curl -sS -m 10 http://$H4:8001/host.txt 2>&1)"
expect_eq egress-host-address-ipv6 "from the host" \
	"$(app nat curl -sS -g -m 10 "http://[$H6]:8001/host.txt" 2>&1 || true)"
got=$(app nat curl -sS -m 60 http://$H4:8001/big.bin | sha256sum | cut -d' ' -f1)
expect_eq egress-64MiB-down "$BIG_SUM" "$got"
socat -u TCP-LISTEN:8002,bind=$H4,reuseaddr OPEN:"$T/up.bin",creat,trunc >"$T/sink.out" 2>&1 &
SINK=$!
PIDS+=($SINK)
wait_for 5 bash -c "ss -ltn | grep -q $H4:8002"
app nat socat -u FILE:"$T/www/big.bin" TCP:$H4:8002 >"$T/up-client.out" 2>&1
wait "$SINK" 2>/dev/null
expect_eq egress-64MiB-up "$BIG_SUM" "$(sha256sum <"$T/up.bin" | cut -d' ' -f1)"
expect_eq egress-udp "echo:hi" "$(app nat $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"hi", ("'$H4'", 9000))
print(s.recv(100).decode())' 2>&1)"
expect_eq dns-relay-a "198.19.0.7" "$(app nat getent ahostsv4 outside.test | awk 'NR == 1 { print $1 }')"
expect_eq dns-relay-aaaa "fd00:19::7" "$(app nat getent ahostsv6 outside.test | awk 'NR == 1 { print $1 }')"
expect_eq host-name-without-loopback "$H4" "$(app nat getent ahostsv4 host.netcon.internal | awk 'NR == 1 { print $1 }')"
start=${EPOCHREALTIME/./}
app nat curl -sS -m 10 http://$GW4:8000/lo.txt >"$T/refused.out" 2>&1
rc=$?
took=$(((${EPOCHREALTIME/./} - start) / 1000))
if [ $rc = 7 ] && [ $took -lt 2000 ]; then
	pass host-loopback-refused "curl exit 7 (connection refused) in $took ms"
else
	fail host-loopback-refused "curl exit $rc after $took ms: $(cat "$T/refused.out")"
fi
expect_eq host-loopback-refused-ipv6 7 "$(app nat curl -sS -g -m 10 "http://[fd00:6e63::1]:8000/lo.txt" >/dev/null 2>&1; echo $?)"
expect_eq host-loopback-allowed "from the host's loopback" \
	"$(app natlo curl -sS -m 10 http://host.netcon.internal:8000/lo.txt 2>&1)"
expect_eq host-name-with-loopback "$GW4" "$(app natlo getent ahostsv4 host.netcon.internal | awk 'NR == 1 { print $1 }')"
if "$SVC" status --socket "$T/nat.sock" | grep -q "^gateway *$GW4 (NAT)"; then
	pass status-shows-gateway
else
	fail status-shows-gateway "$("$SVC" status --socket "$T/nat.sock" | grep gateway)"
fi

# --- ingress --------------------------------------------------------------
gw_service pub --publish 127.0.0.1:18080:8080 --publish 18081:8080 --publish 19000:8080/udp \
	--publish "[::1]:18086:8080"
peer_server pub 8080
# libslirp accepts on the host's side at once and closes when the service's
# server refuses: wait for a real answer.
for i in $(seq 100); do [ -n "$(tcp_line 127.0.0.1 18080 2>/dev/null)" ] && break; sleep 0.1; done
expect_eq publish-loopback-client-is-gateway "peer $GW4" "$(tcp_line 127.0.0.1 18080 2>&1)"
expect_eq publish-client-address "peer $C4" "$(tcp_line $H4 18081 $C4 2>&1)"
expect_eq publish-client-address-ipv6 "peer $C6" "$(tcp_line $H6 18081 $C6 2>&1)"
expect_eq publish-ipv6-loopback-client "peer fd00:6e63::1" "$(tcp_line ::1 18086 2>&1)"
expect_eq publish-udp "peer $GW4" "$(udp_line 127.0.0.1 19000 2>&1)"
expect_eq publish-udp-client-address "peer $H4" "$(udp_line $H4 19000 2>&1)"
expect_eq publish-not-on-other-address "refused" \
	"$(tcp_line $H4 18080 >/dev/null 2>&1 && echo open || echo refused)"

expect_eq publish-only-no-egress 7 "$(app pub curl -sS -m 10 http://$H4:8001/host.txt >/dev/null 2>&1; echo $?)"
expect_eq publish-only-no-dns-relay 2 "$(app pub getent ahostsv4 outside.test >/dev/null 2>&1; echo $?)"

"$SVC" publish 18082:8080 --socket "$T/pub.sock" >"$T/publish.out" 2>&1
expect_eq publish-at-run-time "peer $GW4" "$(tcp_line 127.0.0.1 18082 2>&1)"
ports=$("$SVC" ports --socket "$T/pub.sock" | sort | tr '\n' ' ')
expect_eq ports-listed "127.0.0.1:18080:8080/tcp 18081:8080/tcp 18082:8080/tcp 19000:8080/udp [::1]:18086:8080/tcp [::]:18081:8080/tcp [::]:18082:8080/tcp [::]:19000:8080/udp " "$ports"
"$SVC" unpublish 18082:8080 --socket "$T/pub.sock" >>"$T/publish.out" 2>&1
expect_eq unpublish-at-run-time "refused" \
	"$(tcp_line 127.0.0.1 18082 >/dev/null 2>&1 && echo open || echo refused)"
expect_eq publish-taken-port-refused 1 \
	"$("$SVC" publish 127.0.0.1:18080:8080 --socket "$T/pub.sock" >/dev/null 2>&1; echo $?)"
expect_eq publish-not-own-address-refused 1 \
	"$("$SVC" publish 18083:198.18.7.7:8080 --socket "$T/pub.sock" >/dev/null 2>&1; echo $?)"

# Only the service's own user may open ports on the host, whatever the socket's mode.
chmod 0711 "$T"
gw_service open --publish 18090:8080 --socket-mode 0666
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	out=$(setpriv --reuid 1000 --regid 1000 --clear-groups "$SVC" publish 18091:8080 --socket "$T/open.sock" 2>&1)
	if [ $? = 1 ] && grep -q "Operation not permitted" <<<"$out"; then
		pass publish-other-user-refused
	else
		fail publish-other-user-refused "$out"
	fi
fi

app_bg pub big-tx "$APPS/test_tx" -p 18095 -n $((64 << 20)) -c 1
"$SVC" publish 127.0.0.1:18095:18095 --socket "$T/pub.sock" >>"$T/publish.out" 2>&1
wait_for 10 bash -c "ss -lnt | grep -q 127.0.0.1:18095"
sleep 0.3
if "$APPS/test_rx" -w 10 -p 18095 -n $((64 << 20)) 127.0.0.1 >"$T/pub-rx.out" 2>&1; then
	pass publish-64MiB "$(tail -n 1 "$T/pub-rx.out")"
else
	fail publish-64MiB "$(tail -n 3 "$T/pub-rx.out")"
fi

summary
