# tests/compat/ping.sh - iputils ping and ping -6 between two services.
# (Sourced by tests/suites/compat.sh.)
#
# Debian's ping takes an ICMP echo datagram socket (a "ping socket") when it
# may; under netcon the service serves it, and the other service's lwIP
# answers. Every request must be answered, once, with intact data.

# ping_ok COUNT ARGS...: ping from ping_cli; all COUNT answered, no
# duplicate or damaged reply, exit status 0. Prints ping's summary.
ping_ok() {
	local count=$1 out=$T/old/ping.out rc
	shift
	timeout 60 env NETCON_SOCKET="$T/ping_cli.sock" "${NS[@]}" "$INTERCEPT" ping -n -c "$count" "$@" >"$out" 2>&1
	rc=$?
	tail -n 2 "$out"
	[ $rc = 0 ] && grep -q "^$count packets transmitted, $count received, 0% packet loss" "$out" &&
		! grep -qE 'BAD CHECKSUM|DUP!|wrong data|truncated' "$out"
}

# ping_rtt: "min/avg/max ms" from the last ping's summary.
ping_rtt() { sed -n 's|^rtt min/avg/max/mdev = \([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\)/.*|\1/\2/\3 ms|p' "$T/old/ping.out"; }

compat_ping() {
	local r4 r6 r4b r6b rf
	compat_pkgs iputils-ping || { row ping iputils-ping 1 "$WHY"; return; }
	services ping || { row ping iputils-ping 1 "$WHY"; return; }
	if try "ping IPv4" ping_ok 10 -i 0.2 -W 2 "$SRV_IP" && r4=$(ping_rtt) &&
		try "ping -6" ping_ok 10 -6 -i 0.2 -W 2 "$SRV_IP6" && r6=$(ping_rtt) &&
		try "ping -s 20000 (fragments)" ping_ok 5 -i 0.2 -W 2 -s 20000 "$SRV_IP" && r4b=$(ping_rtt) &&
		try "ping -6 -s 20000 (fragments)" ping_ok 5 -6 -i 0.2 -W 2 -s 20000 "$SRV_IP6" && r6b=$(ping_rtt) &&
		try "ping -i 0.01 -c 200" ping_ok 200 -q -i 0.01 -W 2 "$SRV_IP" && rf=$(ping_rtt); then
		row ping iputils-ping 0 "ping sockets (SOCK_DGRAM, IPPROTO_ICMP/ICMPV6) to the other service, every request answered once with its data intact: ping -c 10 (rtt min/avg/max $r4), ping -6 -c 10 ($r6), -s 20000 in fragments IPv4 ($r4b) and IPv6 ($r6b), 200 at -i 0.01 ($rf)"
	else
		row ping iputils-ping 1 "$WHY"
	fi
}
