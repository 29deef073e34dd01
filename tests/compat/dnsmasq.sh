# tests/compat/dnsmasq.sh - dnsmasq as the DNS server of a netcon service.
# (Sourced by tests/suites/compat.sh.)
#
# dnsmasq runs intercepted in service dnsmasq_srv on port 53 of its
# addresses (a program's socket bound to the address takes the port from
# the service's own DNS stub, which is bound to the wildcard). Service
# dnsmasq_cli is started with --dns pointing at it; a web server runs in a
# third service, dnsmasq_web, whose addresses dnsmasq serves as
# www.example.test. From dnsmasq_cli: getent (glibc, answered by libnetcon
# through the service's resolver), dig (its own resolver, UDP through
# libnetcon) to dnsmasq and to the service's DNS stub, python3's
# getaddrinfo, curl by name. dnsmasq's query log must show the queries
# coming from dnsmasq_cli.
#
# dnsmasq runs with --bind-interfaces and --listen-address: in its default
# wildcard mode, and for every IPv6 query in any mode, it looks up the name
# of the interface that IP_PKTINFO / IPV6_PKTINFO name (SIOCGIFNAME) and
# drops the query when there is none. The "dnsmasq IPv6" row asks it over
# IPv6.

# dq ARGS...: dig through dnsmasq_cli, one try of 2 s.
dq() { timeout 10 env NETCON_SOCKET="$T/dnsmasq_cli.sock" "${NS[@]}" "$INTERCEPT" dig +time=2 +tries=1 "$@"; }

# dq_is EXPECTED ARGS...: dig +short must print exactly EXPECTED (lines joined by spaces).
dq_is() {
	local want=$1 got
	shift
	got=$(dq +short "$@" | paste -sd' ')
	[ "$got" = "$want" ] || { echo "dig $*: '$got', expected '$want'"; return 1; }
}

# dq_status STATUS ARGS...: dig's header must say STATUS, with no answer.
dq_status() {
	local want=$1
	shift
	dq "$@" >"$T/old/dig.out" 2>&1
	grep -q "status: $want" "$T/old/dig.out" && grep -q "ANSWER: 0" "$T/old/dig.out" ||
		{ echo "dig $*: $(grep -E 'status|ANSWER|error' "$T/old/dig.out" | tr '\n' ' ')"; return 1; }
}

compat_dnsmasq() {
	local d=$T/dnsmasq pid='' wpid='' c4 c6 w4 w6 f
	local rows=(dnsmasq "dnsmasq IPv6")
	compat_pkgs dnsmasq-base bind9-dnsutils curl || {
		for f in "${rows[@]}"; do row "$f" dnsmasq-base 1 "$WHY"; done
		return
	}
	if ! start_service dnsmasq_srv "${SVC_OPTS[@]}"; then
		for f in "${rows[@]}"; do row "$f" dnsmasq-base 1 "services did not start"; done
		return
	fi
	SVC_PIDS+=("$PID_dnsmasq_srv")
	SRV_IP=$(service_ip dnsmasq_srv 4)
	SRV_IP6=$(service_ip dnsmasq_srv 6)
	if ! start_service dnsmasq_cli "${SVC_OPTS[@]}" --dns "$SRV_IP" ||
		! start_service dnsmasq_web "${SVC_OPTS[@]}"; then
		SVC_PIDS+=("$PID_dnsmasq_cli")
		for f in "${rows[@]}"; do row "$f" dnsmasq-base 1 "services did not start"; done
		return
	fi
	SVC_PIDS+=("$PID_dnsmasq_cli" "$PID_dnsmasq_web")
	c4=$(service_ip dnsmasq_cli 4) c6=$(service_ip dnsmasq_cli 6)
	w4=$(service_ip dnsmasq_web 4) w6=$(service_ip dnsmasq_web 6)
	mkdir -p "$d/www"
	head -c 65536 /dev/urandom >"$d/www/blob"

	# --local: names under example.test that are not listed are NXDOMAIN.
	app_bg dnsmasq_srv dnsmasq dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
		--bind-interfaces --listen-address="$SRV_IP" --listen-address="$SRV_IP6" --port=53 \
		--local=/example.test/ \
		--host-record=db.example.test,198.18.250.10,fd00:6e63::10 \
		--host-record=v4only.example.test,198.18.250.12 \
		--host-record=www.example.test,"$w4","$w6" \
		--address=/wild.example.test/198.18.250.11 --address=/wild.example.test/fd00:6e63::11 \
		--cname=alias.example.test,db.example.test --txt-record=txt.example.test,"passed on" \
		--user=root --pid-file="$d/dnsmasq.pid" --log-facility="$d/queries.log" --log-queries
	pid=$LAST_PID
	app_bg dnsmasq_web dnsmasq-web python3 -m http.server --bind :: --directory "$d/www" 8080
	wpid=$LAST_PID

	# getent: glibc's getaddrinfo/gethostbyname2 in dnsmasq_cli, answered by
	# libnetcon through the service, which asks dnsmasq.
	# ge_is EXPECTED ARGS...: getent's output in dnsmasq_cli, lines joined by spaces.
	ge_is() {
		local want=$1 got
		shift
		got=$(app dnsmasq_cli getent "$@" | tr -s ' ' | sed 's/ $//' | paste -sd' ')
		[ "$got" = "$want" ] || { echo "getent $*: '$got', expected '$want'"; return 1; }
	}
	dm_getent() {
		ge_is "fd00:6e63::10 db.example.test" hosts db.example.test &&
			ge_is "198.18.250.10 STREAM db.example.test 198.18.250.10 DGRAM 198.18.250.10 RAW" ahostsv4 db.example.test &&
			ge_is "fd00:6e63::11 STREAM x.y.wild.example.test fd00:6e63::11 DGRAM fd00:6e63::11 RAW 198.18.250.11 STREAM 198.18.250.11 DGRAM 198.18.250.11 RAW" ahosts x.y.wild.example.test &&
			ge_is "fd00:6e63::10 db.example.test alias.example.test" hosts alias.example.test &&
			ge_is "198.18.250.10 db.example.test" hosts 198.18.250.10 || return 1
		app dnsmasq_cli getent hosts nothere.example.test
		[ $? = 2 ] || { echo "getent hosts nothere.example.test: not exit 2"; return 1; }
	}
	# dig to dnsmasq itself: UDP from dnsmasq_cli through libnetcon, and TCP.
	dm_dig() {
		dq_is 198.18.250.10 @"$SRV_IP" db.example.test A &&
			dq_is fd00:6e63::10 @"$SRV_IP" db.example.test AAAA &&
			dq_is "db.example.test. 198.18.250.10" @"$SRV_IP" alias.example.test A &&
			dq_is '"passed on"' @"$SRV_IP" txt.example.test TXT &&
			dq_is db.example.test. @"$SRV_IP" -x 198.18.250.10 &&
			dq_is 198.18.250.10 +tcp @"$SRV_IP" db.example.test A &&
			dq_status NXDOMAIN @"$SRV_IP" nothere.example.test A &&
			dq_status NOERROR @"$SRV_IP" v4only.example.test AAAA
	}
	# dig to dnsmasq_cli's own DNS stub (127.0.0.1 and its addresses, port
	# 53), which asks dnsmasq: A/AAAA/PTR from its resolver, TXT passed on.
	dm_stub() {
		dq_is 198.18.250.10 @127.0.0.1 db.example.test A &&
			dq_is fd00:6e63::10 @"$c4" db.example.test AAAA &&
			dq_is "$w4" @"$c6" www.example.test A &&
			dq_is '"passed on"' @127.0.0.1 txt.example.test TXT &&
			dq_is db.example.test. @127.0.0.1 -x 198.18.250.10 &&
			dq_status NXDOMAIN @127.0.0.1 nothere.example.test A
	}
	dm_python() {
		app dnsmasq_cli python3 - <<-EOF
			import socket as S
			def addrs(*a): return sorted({x[4][0] for x in S.getaddrinfo(*a)})
			assert addrs("db.example.test", 80) == ["198.18.250.10", "fd00:6e63::10"], addrs("db.example.test", 80)
			assert addrs("db.example.test", 80, S.AF_INET6) == ["fd00:6e63::10"]
			assert addrs("www.example.test", "http", S.AF_INET) == ["$w4"]
			assert addrs("v4only.example.test", 80) == ["198.18.250.12"], addrs("v4only.example.test", 80)
			r = S.getaddrinfo("alias.example.test", 80, S.AF_INET, S.SOCK_STREAM, 0, S.AI_CANONNAME)
			assert r[0][3] == "db.example.test", r
			assert S.gethostbyname("db.example.test") == "198.18.250.10"
			assert S.gethostbyaddr("fd00:6e63::10")[0] == "db.example.test"
			try:
			    S.getaddrinfo("nothere.example.test", 80)
			    raise SystemExit("nothere.example.test resolved")
			except S.gaierror as e:
			    assert e.errno == S.EAI_NONAME, e
			print("ok")
		EOF
	}
	dm_curl() {
		local fam
		for fam in -4 -6; do
			rm -f "$d/got"
			app dnsmasq_cli curl -sS --fail --max-time 10 "$fam" -o "$d/got" http://www.example.test:8080/blob &&
				cmp "$d/got" "$d/www/blob" || { echo "curl $fam failed"; return 1; }
		done
	}
	# The answers came from dnsmasq, asked by dnsmasq_cli (its service and its programs).
	dm_log() {
		grep -q "query\[A\] db.example.test from $c4\$" "$d/queries.log" &&
			grep -q "query\[AAAA\] www.example.test from $c4\$" "$d/queries.log" ||
			{ echo "dnsmasq's log lacks queries from $c4"; tail -n 5 "$d/queries.log"; return 1; }
	}
	# dm_ifindex: why dnsmasq may drop IPv6 queries: a datagram from
	# dnsmasq_cli to a python3 socket in dnsmasq_srv with IPV6_RECVPKTINFO;
	# does the interface index it reports have a name (if_indextoname)?
	dm_ifindex() {
		local r
		grep -q "from $c6\$" "$d/queries.log" && return 0
		udp_bg dnsmasq_srv dnsmasq-ifindex python3 -c 'import socket as S, struct
s = S.socket(S.AF_INET6, S.SOCK_DGRAM); s.setsockopt(S.IPPROTO_IPV6, S.IPV6_RECVPKTINFO, 1)
s.bind(("::", 5399)); s.settimeout(5); print("ready", flush=True)
d, anc, fl, a = s.recvmsg(100, 256)
i = [struct.unpack("16sI", x[:20])[1] for l, t, x in anc if t == S.IPV6_PKTINFO][0]
try: print("ifindex", i, "is", S.if_indextoname(i))
except OSError as e: print("ifindex", i, "has no name:", e.strerror)'
		local p=$LAST_PID
		wait_for 5 grep -q ready "$T/dnsmasq-ifindex.log"
		udp_run 5 dnsmasq_cli python3 -c 'import socket as S, sys; S.socket(S.AF_INET6, S.SOCK_DGRAM).sendto(b"x", (sys.argv[1], 5399))' "$SRV_IP6"
		wait_for 6 grep -q ifindex "$T/dnsmasq-ifindex.log"
		r=$(grep ifindex "$T/dnsmasq-ifindex.log")
		stop "$p"
		echo "; dnsmasq logged no query from $c6; it drops an IPv6 query unless SIOCGIFNAME names the interface index IPV6_PKTINFO gave; a program in dnsmasq_srv receiving with IPV6_RECVPKTINFO: ${r:-nothing received}"
	}
	if try "dnsmasq ready" wait_up "$pid" 15 dq_is 198.18.250.10 @"$SRV_IP" db.example.test A &&
		try "web server ready" wait_up "$wpid" 15 app dnsmasq_cli curl -sf -o /dev/null "http://$w4:8080/blob" &&
		try "getent through --dns" dm_getent &&
		try "dig to dnsmasq" dm_dig &&
		try "dig to the service's DNS stub" dm_stub &&
		try "python3 getaddrinfo" dm_python &&
		try "curl by name" dm_curl &&
		try "dnsmasq's query log" dm_log; then
		row dnsmasq dnsmasq-base 0 "dnsmasq (--host-record, --address, --cname, --txt-record, --bind-interfaces on the service's IPv4 and IPv6 addresses, port 53; asked over IPv4, IPv6 in the next row) serves another service's --dns: getent hosts/ahosts/ahostsv4 (A, AAAA, a wildcard, a CNAME, reverse, NXDOMAIN exit 2); dig to dnsmasq over UDP and TCP (A, AAAA, CNAME, TXT, PTR, NXDOMAIN, NODATA) and to the service's DNS stub on 127.0.0.1 and its addresses (A, AAAA, PTR from its resolver, TXT passed on, NXDOMAIN); python3 getaddrinfo/gethostbyname/gethostbyaddr (AI_CANONNAME, EAI_NONAME); curl -4/-6 to www.example.test, a server in a third service (64 KiB compared); dnsmasq's log shows the queries from the client's service ($(grep -c 'query\[' "$d/queries.log") in all)"
	else
		row dnsmasq dnsmasq-base 1 "$WHY"
	fi
	# dnsmasq asked over IPv6: it checks the interface of every IPv6 query.
	WHY=
	if try "dig to dnsmasq over IPv6" dq_is 198.18.250.10 @"$SRV_IP6" db.example.test A &&
		try "dig to dnsmasq over IPv6, AAAA" dq_is fd00:6e63::10 @"$SRV_IP6" db.example.test AAAA; then
		row "dnsmasq IPv6" dnsmasq-base 0 "dig from another service to dnsmasq's IPv6 listener (A and AAAA answered)"
	else
		row "dnsmasq IPv6" dnsmasq-base 1 "$WHY$(dm_ifindex)"
	fi
	stop "$pid" "$wpid"
}
