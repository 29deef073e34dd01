#!/bin/bash
# Static and Go programs through seccomp user notification: netcon-supervise
# runs a program under a filter that hands its socket control calls to the
# supervisor, which does them through the service (no LD_PRELOAD involved).
# Every program runs in an empty network namespace, so a call the filter
# misses reaches a kernel with no network and fails loudly.
#
#   1. the build: netcon-supervise and the static conformance and transfer
#      programs ($B/tests/static, no interpreter); the Go probe
#      (tests/go/netcon-goprobe) built with CGO_ENABLED=0;
#   2. the conformance programs, static, under netcon-supervise, and the
#      dynamic build under `intercept --seccomp`: every line as on the kernel
#      or as tests/apps/PROG.known / tests/apps/seccomp.known record;
#   3. static test_tx/test_rx between two services (every byte checked),
#      IPv4 and IPv6, and against the preload path both ways;
#   4. caddy (Debian's, Go): file-server with a 64 MiB file to curl (IPv4,
#      IPv6) and to the Go probe, sha256 compared; reverse-proxy in front of
#      busybox httpd, started by plain `intercept` (a Go binary: seccomp
#      picked by itself);
#   5. busybox-static: httpd serving 64 MiB to curl, wget from caddy, nc
#      (1 MiB compared); `intercept --preload` of it must miss (a static
#      binary ignores LD_PRELOAD), plain `intercept` must not;
#   6. the Go probe: an echo server (a goroutine per connection) under 32
#      clients at once, unconnected UDP over IPv4 and IPv6, names through the
#      service's DNS stub with Go's own resolver (and a name that exists
#      nowhere), a URL fetched by name;
#   7. fork and exec under the filter: sh -c running busybox, a Python
#      prefork server whose children accept on the listener they inherited;
#   8. refusals: a second filter cannot be installed under the first: the
#      inner netcon-supervise says so in one line and does not start a static
#      program, and `intercept --seccomp` of a dynamic one falls back to
#      LD_PRELOAD (one line, 64 MiB compared); no service: fail closed.
source "$(dirname "$0")/../lib.sh"

SUP="$TOP/$B/bin/netcon-supervise"
SAPPS="$APPS/static"
BB=/bin/busybox
CADDY=/usr/bin/caddy
PY=/usr/bin/python3
GOPROBE="$T/netcon-goprobe"
if [ "$(id -u)" = 0 ]; then MNS=(unshare -m -n); else MNS=(unshare -r -m -n); fi

# stop_tree PID...: TERM each PID and every process below it (the supervisor
# and the program it runs), KILL after 5 s. Only PIDs this suite started.
descendants() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$c"
		descendants "$c"
	done
}
stop_tree() {
	local p all=() i
	for p in "$@"; do all+=("$p" $(descendants "$p")); done
	[ ${#all[@]} = 0 ] && return 0
	kill -TERM "${all[@]}" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "${all[@]}" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "${all[@]}" 2>/dev/null
	for p in "$@"; do wait "$p" 2>/dev/null; done
	return 0
}
suite_cleanup() {
	stop_tree "${PIDS[@]}"
	cleanup
}
trap suite_cleanup EXIT

# --- 1. the build
missing=
for f in "$SUP" "$SAPPS/conformance" "$SAPPS/conformance_udp" "$SAPPS/conformance_tcp_matrix" \
	"$SAPPS/test_tx" "$SAPPS/test_rx" "$APPS/conformance" "$APPS/conformance_udp" \
	"$APPS/conformance_tcp_matrix"; do
	[ -x "$f" ] || missing="$missing $f"
done
if [ -n "$missing" ]; then
	fail seccomp-build "missing:$missing (make B=$B)"
	summary
	exit 1
fi
dynamic=
for f in "$SAPPS"/conformance "$SAPPS"/conformance_udp "$SAPPS"/conformance_tcp_matrix "$SAPPS"/test_tx \
	"$SAPPS"/test_rx "$BB"; do
	readelf -l "$f" 2>/dev/null | grep -q 'INTERP' && dynamic="$dynamic $f"
done
if [ -z "$dynamic" ]; then pass seccomp-static-programs "no interpreter: LD_PRELOAD cannot reach them"; else fail seccomp-static-programs "dynamic:$dynamic"; fi
check build-goprobe sh -c "cd '$TOP/tests/go/netcon-goprobe' && GOFLAGS=-mod=mod GOPROXY=off GOCACHE='$T/gocache' \
	CGO_ENABLED=0 go build -o '$GOPROBE' . && ! readelf -l '$GOPROBE' | grep -q INTERP"
[ -x "$GOPROBE" ] || { summary; exit 1; }

start_service srv --name alpha && start_service cli --name beta || { fail service-start; summary; exit 1; }
IP=$(service_ip srv 4)
IP6=$(service_ip srv 6)
IPC=$(service_ip cli 4)
IPC6=$(service_ip cli 6)

# sup NAME COMMAND...: COMMAND under netcon-supervise through service NAME, in
# an empty namespace, bounded.
sup() {
	local name=$1
	shift
	NETCON_SOCKET="$T/$name.sock" timeout 120 "${NS[@]}" "$SUP" "$@"
}
# sup_bg NAME LOG COMMAND...: the same in the background (lib.sh's app_bg,
# netcon-supervise launching), PID in $LAST_PID.
sup_bg() { INTERCEPT=$SUP app_bg "$@"; }
# show: the OK lines of the last check, indented.
show() { grep -h "${1:-OK}" "$T/check.out" | head -n 3 | sed 's/^/     /'; }

# --- 2. conformance: the kernel is the oracle
kernel_setups "$T/srv.sock" "$IP" "$IP6"

# compare HOW PROG NAME ARGS...: PROG's cases on the kernel and through
# a service, HOW being "static" (the static build under netcon-supervise,
# service srv) or "dynamic" (the usual build under intercept --seccomp,
# service dyn).
compare() {
	local how=$1 prog=$2 name=$3 setup=$LO_SETUP bin
	shift 3
	[ "${KSETUP:-}" = subnet ] && setup=$SUBNET_SETUP
	if [ "$how" = static ]; then bin=$SAPPS/$prog; else bin=$APPS/$prog; fi
	timeout 300 "${NS[@]}" sh -c "$setup; sleep 0.5; '$bin' $*" >"$T/kernel-$name.txt" 2>&1
	if [ "$how" = static ]; then
		NETCON_SOCKET="$T/srv.sock" timeout 300 "${NS[@]}" "$SUP" "$bin" "$@" >"$T/netcon-$name.txt" 2>&1
	else	# a service of its own: the static runs used the same ports on the same addresses
		NETCON_SOCKET="$T/dyn.sock" timeout 300 "${NS[@]}" "$INTERCEPT" --seccomp "$bin" "$@" >"$T/netcon-$name.txt" 2>&1
	fi
	judge "seccomp-conformance-$name" "$T/kernel-$name.txt" "$T/netcon-$name.txt" "$TOP/tests/apps/$prog.known" \
		"$TOP/tests/apps/seccomp.known"
}
compare static conformance static-loopback -a 127.0.0.1 -A ::1
compare static conformance static-service-address -a "$IP" -A "$IP6"
compare static conformance_udp static-udp-loopback -a 127.0.0.1 -A ::1
compare static conformance_udp static-udp-service-address -a "$IP" -A "$IP6"
compare static conformance_tcp_matrix static-tcp-matrix-loopback -a 127.0.0.1 -A ::1
KSETUP=subnet compare static conformance_tcp_matrix static-tcp-matrix-service-address -a "$IP" -A "$IP6" -u "$UNANSWERED"
start_service dyn || fail service-start dyn
compare dynamic conformance dynamic-loopback -a 127.0.0.1 -A ::1
compare dynamic conformance_udp dynamic-udp-loopback -a 127.0.0.1 -A ::1
compare dynamic conformance_tcp_matrix dynamic-tcp-matrix-loopback -a 127.0.0.1 -A ::1

# --- 3. static test_tx/test_rx, every byte checked
# transfer NAME HOST PORT BYTES TX-LAUNCH RX-LAUNCH: test_tx through srv, test_rx through cli;
# a launch is "sup" (static, netcon-supervise) or "pre" (dynamic, intercept's preload).
transfer() {
	local name=$1 host=$2 port=$3 bytes=$4 tx=$5 rx=$6 six=
	case "$host" in *:*) six=-6 ;; esac
	if [ "$tx" = sup ]; then
		sup_bg srv "tx-$name" "$SAPPS/test_tx" $six -p "$port" -n "$bytes" -c 1
	else
		app_bg srv "tx-$name" "$APPS/test_tx" $six -p "$port" -n "$bytes" -c 1
	fi
	if [ "$rx" = sup ]; then
		check "$name" sup cli "$SAPPS/test_rx" -w 10 -p "$port" -n "$bytes" "$host"
	else
		check "$name" timeout 120 env NETCON_SOCKET="$T/cli.sock" "${NS[@]}" "$INTERCEPT" --preload \
			"$APPS/test_rx" -w 10 -p "$port" -n "$bytes" "$host"
	fi
	show
}
transfer static-tcp-ipv4 "$IP" 7201 256M sup sup
transfer static-tcp-ipv6 "$IP6" 7202 256M sup sup
transfer static-to-preload "$IP" 7203 64M sup pre
transfer preload-to-static "$IP" 7204 64M pre sup

# --- 4. caddy, 5. busybox: a 64 MiB file served and fetched
mkdir -p "$T/www" "$T/home"
head -c 64M /dev/urandom >"$T/www/blob"
echo "hello from netcon" >"$T/www/index.html"
head -c 1M /dev/urandom >"$T/nc.in"
SUM=$(sha256sum <"$T/www/blob" | cut -d' ' -f1)
export HOME="$T/home" XDG_CONFIG_HOME="$T/home/config" XDG_DATA_HOME="$T/home/data"

# curl_get URL FILE: curl through service cli (preload); the body must be the blob.
curl_get() {
	rm -f "$2"
	app cli curl -sS --fail --max-time 60 -o "$2" "$1" && cmp "$2" "$T/www/blob"
}
# up URL: something answers there (bounded by wait_for's caller).
up() { app cli curl -sf --max-time 2 -o /dev/null "$1"; }

sup_bg srv caddy "$CADDY" file-server --listen :8080 --root "$T/www"
CADDY_PID=$LAST_PID
wait_for 20 up "http://$IP:8080/index.html"
check caddy-file-server-ipv4 curl_get "http://$IP:8080/blob" "$T/got-caddy4"
check caddy-file-server-ipv6 curl_get "http://[$IP6]:8080/blob" "$T/got-caddy6"
go_fetch() { sup cli "$GOPROBE" fetch "$1" | tee /dev/stderr | grep -qx "status 200 bytes 67108864 sha256 $SUM"; }
check goprobe-fetch-from-caddy go_fetch "http://$IP:8080/blob"
show status

sup_bg srv bb-httpd "$BB" httpd -f -p 8082 -h "$T/www"
wait_for 20 up "http://$IP:8082/index.html"
check busybox-httpd curl_get "http://$IP:8082/blob" "$T/got-bbhttpd"
check busybox-httpd-ipv6 curl_get "http://[$IP6]:8082/blob" "$T/got-bbhttpd6"

# caddy reverse-proxy, started by plain intercept (a Go binary: seccomp by itself), in front of busybox httpd.
app_bg srv caddy-rp "$CADDY" reverse-proxy --from :8081 --to "127.0.0.1:8082"
wait_for 20 up "http://$IP:8081/index.html"
check caddy-reverse-proxy curl_get "http://$IP:8081/blob" "$T/got-rp"

# bb_wget LAUNCH URL FILE: busybox wget through service cli; the body must be the blob.
bb_wget() {
	rm -f "$3"
	NETCON_SOCKET="$T/cli.sock" timeout 120 "${NS[@]}" $1 "$BB" wget -q -O "$3" "$2" && cmp "$3" "$T/www/blob"
}
check busybox-wget-from-caddy bb_wget "$SUP" "http://$IP:8080/blob" "$T/got-bbwget"
check busybox-wget-ipv6 bb_wget "$SUP" "http://[$IP6]:8080/blob" "$T/got-bbwget6"
# Plain intercept picks seccomp for a static binary; --preload cannot reach it
# (the empty namespace's kernel answers instead, and has no route).
check intercept-picks-seccomp bb_wget "$INTERCEPT" "http://$IP:8080/blob" "$T/got-auto"
if NETCON_SOCKET="$T/cli.sock" timeout 30 "${NS[@]}" "$INTERCEPT" --preload "$BB" wget -q -O "$T/got-pre" \
	"http://$IP:8080/index.html" >"$T/pre.out" 2>&1; then
	fail preload-misses-static "busybox wget worked under LD_PRELOAD: the test cannot tell the paths apart"
elif grep -q "unreachable" "$T/pre.out"; then
	pass preload-misses-static "$(head -n 1 "$T/pre.out")"
else
	fail preload-misses-static "not the empty namespace's answer: $(head -n 2 "$T/pre.out" | tr '\n' ' ')"
fi

# busybox nc: 1 MiB from a client to a listener, both static under the filter.
# The listener's stdin stays open (nc half-closes the connection at its EOF,
# and the client stops at the server's).
# (Its bytes go to nc.out, not to a .log: fail() prints the tails of the logs.)
sup_bg srv bb-nc sh -c "sleep 120 | '$BB' nc -l -p 9000 >'$T/nc.out'"
NC_PID=$LAST_PID
sleep 0.5
nc_send() {
	sup cli "$BB" nc "$IP" 9000 <"$T/nc.in" || return 1
	wait_for 10 cmp -s "$T/nc.in" "$T/nc.out" || { cmp "$T/nc.in" "$T/nc.out"; return 1; }
}
check busybox-nc nc_send
stop_tree "$NC_PID"

# --- 6. the Go probe
sup_bg srv go-echo "$GOPROBE" serve-echo :7000
ECHO_PID=$LAST_PID
wait_for 10 grep -q listening "$T/go-echo.log"
check goprobe-load-32 sup cli "$GOPROBE" load "$IP:7000" 32 2097152
show load
threads=$(for p in "$ECHO_PID" $(descendants "$ECHO_PID"); do awk '/^Threads:/ { print $2 }' "/proc/$p/status" 2>/dev/null; done | sort -n | tail -n 1)
echo "     (the echo server ran ${threads:-?} threads)"
check goprobe-load-ipv6 sup cli "$GOPROBE" load "[$IP6]:7000" 32 262144
show load

sup_bg srv go-udp "$GOPROBE" udp-echo "[::]:7001"
wait_for 10 grep -q listening "$T/go-udp.log"
check goprobe-udp-ipv4 sup cli "$GOPROBE" udp-ask "$IP:7001" 300
show udp
check goprobe-udp-ipv6 sup cli "$GOPROBE" udp-ask "[$IP6]:7001" 300
show udp

# Names: Go's own resolver reads /etc/resolv.conf (the service's DNS stub on
# its address) and asks over UDP; /etc/hosts and resolv.conf are bound over
# the host's in a private mount namespace.
printf 'nameserver %s\noptions timeout:2 attempts:2\n' "$IPC" >"$T/resolv.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$T/hosts"
# in_names COMMAND...: under netcon-supervise through cli, with those two files.
in_names() {
	NETCON_SOCKET="$T/cli.sock" GODEBUG=netdns=go timeout 60 "${MNS[@]}" sh -c \
		'mount --bind "$0" /etc/resolv.conf && mount --bind "$1" /etc/hosts && shift && exec "$@"' \
		"$T/resolv.conf" "$T/hosts" "$SUP" "$@"
}
# resolves_to WANT NAME: Go's resolver (GODEBUG=netdns=go) prints WANT for NAME.
resolves_to() {
	local got
	got=$(in_names "$GOPROBE" resolve "$2") || return 1
	echo "$got"
	[ "$got" = "$1" ]
}
check goprobe-resolve-peer resolves_to "$(printf '%s\n%s\n' "$IP" "$IP6" | sort | paste -sd' ')" alpha
show .
check goprobe-resolve-self resolves_to "$(printf '%s\n%s\n' "$IPC" "$IPC6" | sort | paste -sd' ')" beta
start=$(date +%s)
if in_names "$GOPROBE" resolve "nosuchhost-$$" >"$T/nx.out" 2>&1; then
	fail goprobe-resolve-nxdomain "resolved: $(cat "$T/nx.out")"
elif grep -q "no such host" "$T/nx.out" && [ $(($(date +%s) - start)) -le 5 ]; then
	pass goprobe-resolve-nxdomain "$(cat "$T/nx.out") in $(($(date +%s) - start)) s"
else
	fail goprobe-resolve-nxdomain "$(cat "$T/nx.out") after $(($(date +%s) - start)) s"
fi
fetch_by_name() { in_names "$GOPROBE" fetch http://alpha:8080/blob | grep -x "status 200 bytes 67108864 sha256 $SUM"; }
check goprobe-fetch-by-name fetch_by_name

# --- 7. fork and exec under the filter
# sh (dash) execs busybox twice: the filter survives fork and exec.
check fork-exec-sh sup cli sh -c "'$BB' wget -q -O '$T/got-sh1' 'http://$IP:8082/blob' && \
	'$BB' sh -c \"'$BB' wget -q -O '$T/got-sh2' 'http://[$IP6]:8080/blob'\" && \
	cmp '$T/got-sh1' '$T/www/blob' && cmp '$T/got-sh2' '$T/www/blob'"
# A prefork server: Python (dynamic, but under netcon-supervise only) listens,
# forks three children that accept on the inherited listener; each answers
# with its pid and what getpeername/getsockname say. 30 clients check it.
cat >"$T/prefork.py" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1])))
s.listen(64)
kids = []
for i in range(3):
    pid = os.fork()
    if pid == 0:
        while True:
            c, addr = s.accept()
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            line = c.makefile("rb").readline().decode().strip()
            peer, local = c.getpeername(), c.getsockname()
            ok = peer[:2] == addr[:2]
            c.sendall(("%s pid=%d peer=%s:%d local=%s:%d %s\n" % (line, os.getpid(), peer[0], peer[1],
                       local[0], local[1], "same" if ok else "DIFFERENT %r" % (addr,))).encode())
            c.close()
    kids.append(pid)
print("listening", flush=True)
os.wait()
EOF
cat >"$T/preclient.py" <<'EOF'
import socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
pids = set()
for i in range(n):
    c = socket.create_connection((host, port), timeout=10)
    me = c.getsockname()
    c.sendall(b"hello %d\n" % i)
    got = c.makefile("rb").readline().decode().split()
    c.close()
    # "hello I pid=P peer=A:P local=A:P same"
    want_peer = "peer=::ffff:%s:%d" % (me[0], me[1])
    if got[:2] != ["hello", str(i)] or got[3] != want_peer or got[4] != "local=::ffff:%s:%d" % (host, port) \
            or got[5] != "same":
        sys.exit("answer %d: %r (wanted %s)" % (i, got, want_peer))
    pids.add(got[2])
print("OK %d answers from %d children" % (n, len(pids)))
EOF
sup_bg srv prefork "$PY" "$T/prefork.py" 7100
wait_for 10 grep -q listening "$T/prefork.log"
check fork-prefork-accept sup cli "$PY" "$T/preclient.py" "$IP" 7100 30
show

# --- 8. refusals
# `--check` says whether a filter can be installed here; under a filter that
# has a listener already (one per filter chain) it cannot.
check supervise-check sh -c "'$SUP' --check | grep -qx yes"
check supervise-check-nested sh -c "NETCON_SOCKET='$T/cli.sock' '$SUP' '$SUP' --check | grep -q '^no: .*already installed'"
show no
# The inner netcon-supervise cannot install its filter: one line says so and a
# static program is not started (it would have no network at all, silently).
nested_refused() {
	local rc
	rm -f "$T/got-nested"
	NETCON_SOCKET="$T/cli.sock" timeout 60 "${NS[@]}" "$SUP" "$SUP" "$BB" wget -q -O "$T/got-nested" \
		"http://$IP:8080/index.html" 2>"$T/nested.err"
	rc=$?
	cat "$T/nested.err"
	[ $rc = 126 ] && [ ! -e "$T/got-nested" ] && [ "$(wc -l <"$T/nested.err")" = 1 ] &&
		grep -q "already installed" "$T/nested.err"
}
check nested-refused-cleanly nested_refused
show seccomp
# intercept --seccomp of a dynamic program there falls back to LD_PRELOAD, saying so once.
nested_fallback() {
	rm -f "$T/got-fallback"
	NETCON_SOCKET="$T/cli.sock" timeout 60 "${NS[@]}" "$SUP" "$INTERCEPT" --seccomp curl -sS --fail --max-time 30 \
		-o "$T/got-fallback" "http://$IP:8080/blob" 2>"$T/fallback.err" || { cat "$T/fallback.err"; return 1; }
	cat "$T/fallback.err"
	cmp "$T/got-fallback" "$T/www/blob" && [ "$(wc -l <"$T/fallback.err")" = 1 ] &&
		grep -q "LD_PRELOAD" "$T/fallback.err"
}
check nested-falls-back-to-preload nested_fallback
show seccomp
# No service: the supervised program's socket fails closed, saying where it looked.
msg=$(NETCON_SOCKET="$T/none.sock" timeout 30 "${NS[@]}" "$SUP" "$BB" wget -q -O /dev/null "http://$IP:8080/" 2>&1)
rc=$?
if [ $rc != 0 ] && echo "$msg" | grep -q "$T/none.sock"; then
	pass no-service-fails-closed "$(echo "$msg" | head -n 1)"
else
	fail no-service-fails-closed "rc=$rc $msg"
fi

summary
