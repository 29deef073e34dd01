#!/bin/bash
# UDP through netcon with real programs from Debian: every server runs in one
# service and its client in another on the same switch, both intercepted in
# empty network namespaces; payloads are compared byte for byte.
#
#   1. socat: UDP4/UDP6-RECVFROM,fork sinks fed by UDP-SENDTO, both ways;
#      UDP-LISTEN,fork echo servers (EXEC:cat, PIPE) answering several
#      datagrams from each of two clients;
#   2. iperf3 -u at 100 Mbit/s, IPv4 and IPv6 (the client's JSON and the
#      server's receiver report), and iperf3 over TCP;
#   3. python3: an asyncio DatagramProtocol echo server; 100 datagrams of
#      0..65507 bytes (65487 over IPv6, netcon's limit) with sendto/recvfrom, a connected
#      socket, and recvmsg with IP_PKTINFO / IPV6_PKTINFO;
#   4. node's dgram (udp4, udp6) echo, 20 datagrams;
#   5. memcached -U: set over TCP, get over UDP with its 8-byte frame header;
#   6. multicast on four sockets in three services (IPv4 239.x, IPv6 ff15::):
#      two joined receivers on one port in one service (SO_REUSEADDR), one in
#      another, a receiver in the sender's service that did not join.
#
# UDP_ON_KERNEL=1 runs the same cases on the kernel instead (one network
# namespace per "service", veths on a bridge): the oracle for the script's
# own commands and expectations. Programs: socat iperf3 memcached nodejs
# python3. Addresses: 198.18.0.0/15 and fd00::/8 only.
source "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
U="$TOP/tests/udp"
chmod 755 "$T"

if [ -n "${UDP_ON_KERNEL:-}" ]; then
	# The kernel as the oracle: "services" are network namespaces on a bridge.
	KNS=ncu$$
	KN=0
	KNAMES=()
	ip netns add "$KNS-hub" || exit 1
	ip -n "$KNS-hub" link add br0 mtu 9000 type bridge mcast_snooping 0
	ip -n "$KNS-hub" link set br0 up
	kernel_cleanup() {
		local n
		cleanup
		for n in "${KNAMES[@]}"; do ip netns del "$KNS-$n" 2>/dev/null; done
		ip netns del "$KNS-hub" 2>/dev/null
	}
	trap kernel_cleanup EXIT
	start_service() {
		local n=$1 ns=$KNS-$1
		KN=$((KN + 1))
		KNAMES+=("$n")
		ip netns add "$ns" &&
			ip -n "$KNS-hub" link add "v$KN" mtu 9000 type veth peer name eth0 mtu 9000 netns "$ns" &&
			ip -n "$KNS-hub" link set "v$KN" master br0 up &&
			ip -n "$ns" link set lo up && ip -n "$ns" link set eth0 up &&
			ip -n "$ns" addr add "198.18.77.$KN/16" dev eth0 &&
			ip -n "$ns" addr add "fd00:6e63::77:$KN/64" dev eth0 nodad &&
			ip -n "$ns" route add 224.0.0.0/4 dev eth0 || return 1
		eval "KIP4_$n=198.18.77.$KN KIP6_$n=fd00:6e63::77:$KN"
	}
	service_ip() { eval "echo \$KIP${2:-4}_$1"; }
	run() {
		local secs=$1 n=$2
		shift 2
		timeout "$secs" ip netns exec "$KNS-$n" "$@"
	}
else
	# run SECONDS NAME COMMAND...: a program through service NAME, bounded.
	run() {
		local secs=$1 n=$2
		shift 2
		timeout "$secs" env NETCON_SOCKET="$T/$n.sock" "${NS[@]}" "$INTERCEPT" "$@"
	}
fi
# bg NAME LOG COMMAND...: a program through service NAME in the background
# (output in $T/LOG.txt, stopped on exit). $LAST_PID is timeout(1) itself,
# not a subshell: signalled, it passes the signal to its process group, so
# forked children (socat's) go too.
bg() {
	local n=$1 log=$2
	shift 2
	if [ -n "${UDP_ON_KERNEL:-}" ]; then
		timeout 120 ip netns exec "$KNS-$n" "$@" >"$T/$log.txt" 2>&1 &
	else
		timeout 120 env NETCON_SOCKET="$T/$n.sock" "${NS[@]}" "$INTERCEPT" "$@" >"$T/$log.txt" 2>&1 &
	fi
	LAST_PID=$!
	PIDS+=($LAST_PID)
}
# stop PID...: end background programs started here (bounded).
stop() {
	local p
	for p in "$@"; do kill "$p" 2>/dev/null; done
	for p in "$@"; do wait "$p" 2>/dev/null; done
}

START=$(date +%s)
for s in srv cli m1 m2 m3; do
	start_service "$s" || { fail "service-start $s"; summary; exit 1; }
done
SRV4=$(service_ip srv 4)
SRV6=$(service_ip srv 6)
CLI4=$(service_ip cli 4)
CLI6=$(service_ip cli 6)

# ---- 1. socat ---------------------------------------------------------------
# sink NAME SINKSVC SENDSVC FAM ADDR PORT: five datagrams sent one per
# socat UDP-SENDTO run into a UDP-RECVFROM,fork sink, each awaited before
# the next; the sink's file must equal them in order.
sink() {
	local name=$1 ssvc=$2 csvc=$3 fam=$4 addr=$5 port=$6 i out=$T/$1.out exp=$T/$1.exp p bad=
	local dst=$addr
	[ "$fam" = 6 ] && dst="[$addr]"
	: >"$exp"
	bg "$ssvc" "$name" socat -d -d -u "UDP$fam-RECVFROM:$port,fork" "OPEN:$out,creat,append"
	p=$LAST_PID
	wait_for 10 grep -q "receiving on" "$T/$name.txt" || bad="sink not ready"
	for i in 1 2 3 4 5; do
		[ -n "$bad" ] && break
		{ head -c $((i * 700)) /dev/urandom | od -An -tx1 | tr -d ' \n'; echo " #$i"; } >"$T/$name.d$i"
		cat "$T/$name.d$i" >>"$exp"
		run 10 "$csvc" socat -u "OPEN:$T/$name.d$i" "UDP$fam-SENDTO:$dst:$port" >"$T/$name.send.txt" 2>&1 ||
			{ bad="sender $i: $(tail -n 1 "$T/$name.send.txt")"; break; }
		wait_for 5 cmp -s "$out" "$exp" || bad="datagram $i not received ($(stat -c %s "$out" 2>/dev/null || echo 0) of $(stat -c %s "$exp") bytes)"
	done
	stop "$p"
	if [ -z "$bad" ] && cmp -s "$out" "$exp"; then
		pass "$name" "5 datagrams, $(stat -c %s "$exp") bytes"
	else
		fail "$name" "${bad:-content differs}"
	fi
}
sink socat-recvfrom-ipv4-cli-to-srv srv cli 4 "$SRV4" 5001
sink socat-recvfrom-ipv4-srv-to-cli cli srv 4 "$CLI4" 5002
sink socat-recvfrom-ipv6-cli-to-srv srv cli 6 "$SRV6" 5003
sink socat-recvfrom-ipv6-srv-to-cli cli srv 6 "$CLI6" 5004

# socat_echo NAME FAM ADDR PORT HOW: a UDP-LISTEN,fork echo server (HOW:
# EXEC:cat or PIPE) on srv; two socat clients on cli in a row, each sending
# six lines as six datagrams over one socket (the server's forked child
# answers on its socket connected to that client); each answer awaited.
socat_echo() {
	local name=$1 fam=$2 addr=$3 port=$4 how=$5 c i p bad= dst=$3
	[ "$fam" = 6 ] && dst="[$addr]"
	bg srv "$name" socat -d -d "UDP$fam-LISTEN:$port,fork" "$how"
	p=$LAST_PID
	wait_for 10 grep -q "listening on" "$T/$name.txt" || bad="server not ready"
	for c in 1 2; do
		[ -n "$bad" ] && break
		: >"$T/$name.exp$c"
		for i in 1 2 3 4 5 6; do
			echo "client $c datagram $i $(head -c $((i * 300)) /dev/urandom | base64 -w0)" >>"$T/$name.exp$c"
		done
		# One line at a time: the next one goes when its answer is back.
		: >"$T/$name.got$c"
		{
			for i in 1 2 3 4 5 6; do
				sed -n "${i}p" "$T/$name.exp$c"
				head -n "$i" "$T/$name.exp$c" >"$T/$name.want"
				wait_for 3 cmp -s "$T/$name.got$c" "$T/$name.want" || break
			done
		} | run 20 cli socat -t 1 - "UDP$fam:$dst:$port" >"$T/$name.got$c" 2>"$T/$name.cli.txt"
		cmp -s "$T/$name.got$c" "$T/$name.exp$c" ||
			bad="client $c: $(wc -l <"$T/$name.got$c") of 6 answers right $(tail -n 1 "$T/$name.cli.txt")"
	done
	stop "$p"
	if [ -z "$bad" ]; then pass "$name" "2 clients x 6 datagrams echoed"; else fail "$name" "$bad"; fi
}
socat_echo socat-echo-ipv4-exec-cat 4 "$SRV4" 5011 EXEC:cat
socat_echo socat-echo-ipv6-pipe 6 "$SRV6" 5012 PIPE

# ---- 2. iperf3 --------------------------------------------------------------
# iperf_udp NAME HOST PORT: iperf3 -u, the client's JSON with the server's
# report in it (--get-server-output).
iperf_udp() {
	local name=$1 host=$2 port=$3 p res
	bg srv "$name" iperf3 -s -1 -p "$port" --forceflush
	p=$LAST_PID
	if wait_for 10 grep -q "Server listening" "$T/$name.txt" &&
		run 30 cli iperf3 -u -c "$host" -p "$port" -b 100M -t 2 -l 1400 -J --get-server-output \
			>"$T/$name.json" 2>"$T/$name.err"; then
		res=$($PY - "$T/$name.json" <<-'EOF'
		# Sent: the client's stream; seen: the server's own receiver line
		# ("Lost/Total"), which the client fetched with --get-server-output.
		import json, re, sys
		j = json.load(open(sys.argv[1]))
		sent = j["end"]["streams"][0]["udp"]["packets"]
		rx = [l for l in j.get("server_output_text", "").splitlines() if l.endswith("receiver")]
		m = re.search(r"sec .* (-?\d+)/(\d+) \(([-\d.e+]+)%\)", rx[-1]) if rx else None
		if not m:
		    print("bad no receiver line from the server:", j.get("server_output_text", "")[-300:])
		    sys.exit()
		lost, total, pct = int(m.group(1)), int(m.group(2)), float(m.group(3))
		secs = j["end"]["sum"]["seconds"] or 1
		got = total - lost
		ok = sent > 0 and total > 0 and got > 0 and got * 2 >= sent and pct < 50
		print("ok" if ok else "bad", "%d datagrams sent (%.0f/s), the server got %d of %d (%.0f/s), lost %.2f%%" % (
		    sent, sent / secs, got, total, got / secs, pct))
	EOF
		)
		case "$res" in ok*) pass "$name" "${res#ok }" ;; *) fail "$name" "${res#bad }" ;; esac
	else
		fail "$name" "$(tail -n 2 "$T/$name.err" "$T/$name.json" 2>/dev/null | tr '\n' ' ')"
	fi
	stop "$p"
}
iperf_udp iperf3-udp-ipv4 "$SRV4" 5201
iperf_udp iperf3-udp-ipv6 "$SRV6" 5203
bg srv iperf-tcp iperf3 -s -1 -p 5202 --forceflush
p=$LAST_PID
if wait_for 10 grep -q "Server listening" "$T/iperf-tcp.txt" &&
	run 30 cli iperf3 -c "$SRV4" -p 5202 -t 2 -J >"$T/iperf-tcp.json" 2>"$T/iperf-tcp.err"; then
	res=$($PY -c 'import json,sys; s=json.load(open(sys.argv[1]))["end"]["sum_received"]
print("ok" if s["bytes"] > 0 else "bad", "%d MiB, %.0f Mbit/s" % (s["bytes"] >> 20, s["bits_per_second"] / 1e6))' "$T/iperf-tcp.json")
	case "$res" in ok*) pass iperf3-tcp "${res#ok }" ;; *) fail iperf3-tcp "${res#bad }" ;; esac
else
	fail iperf3-tcp "$(tail -n 2 "$T/iperf-tcp.err" "$T/iperf-tcp.json" 2>/dev/null | tr '\n' ' ')"
fi
stop "$p"

# ---- 3. python3 asyncio echo --------------------------------------------------
bg srv py-echo $PY "$U/echo_server.py" 5300
p=$LAST_PID
wait_for 10 grep -q listening "$T/py-echo.txt"
for m in sendto connect pktinfo; do
	for f in 4 6; do
		if [ $f = 4 ]; then h=$SRV4 me=$CLI4; else h=$SRV6 me=$CLI6; fi
		if run 60 cli $PY "$U/echo_client.py" $m "$h" 5300 "$me" >"$T/py-client.out" 2>&1; then
			pass "python-echo-$m-ipv$f" "$(sed 's/^OK [a-z]* //' "$T/py-client.out")"
		else
			fail "python-echo-$m-ipv$f" "$(tail -n 2 "$T/py-client.out" | tr '\n' ' ')"
		fi
	done
done
stop "$p"

# ---- 4. node dgram ------------------------------------------------------------
bg srv node-echo node "$U/node_echo.js" server 5400
p=$LAST_PID
wait_for 10 grep -q listening "$T/node-echo.txt"
for f in 4 6; do
	if [ $f = 4 ]; then h=$SRV4; else h=$SRV6; fi
	if run 30 cli node "$U/node_echo.js" client udp$f "$h" 5400 >"$T/node-client.out" 2>&1; then
		pass "node-dgram-udp$f" "$(sed 's/^OK udp. //' "$T/node-client.out")"
	else
		fail "node-dgram-udp$f" "$(tail -n 2 "$T/node-client.out" | tr '\n' ' ')"
	fi
done
stop "$p"

# ---- 5. memcached over UDP -------------------------------------------------------
bg srv memcached memcached -u root -p 11211 -U 11211 -t 2 -vv
p=$LAST_PID
wait_for 10 run 2 cli bash -c "exec 3<>/dev/tcp/$SRV4/11211"
for h in "$SRV4" "$SRV6"; do
	f=4
	case "$h" in *:*) f=6 ;; esac
	if run 30 cli $PY "$U/memcache_udp.py" "$h" 11211 >"$T/mc.out" 2>&1; then
		pass "memcached-udp-ipv$f" "$(sed 's/^OK //' "$T/mc.out")"
	else
		fail "memcached-udp-ipv$f" "$(tail -n 2 "$T/mc.out" | tr '\n' ' ')"
	fi
done
stop "$p"

# ---- 6. multicast ------------------------------------------------------------------
# mcast NAME GROUP PORT: receivers r1a (m1, joined on its address), r1b (m1,
# joined on any interface, same port), r2 (m2, joined), r3 (m3, not joined);
# the sender on m3 sends N datagrams. Every joined receiver must get all N
# exactly once; r3 none.
mcast() {
	local name=$1 group=$2 port=$3 n=200 r bad= pids=() ip1 ip3 any=any
	ip1=$(service_ip m1 4)
	ip3=$(service_ip m3 4)
	case "$group" in *:*) ip1=- ip3=- any=- ;; esac
	rm -f "$T/$name.stop"
	bg m1 "$name-r1a" $PY "$U/mcast.py" recv "$group" "$port" $n join "$ip1" "$T/$name.stop"
	pids+=($LAST_PID)
	bg m1 "$name-r1b" $PY "$U/mcast.py" recv "$group" "$port" $n join "$any" "$T/$name.stop"
	pids+=($LAST_PID)
	bg m2 "$name-r2" $PY "$U/mcast.py" recv "$group" "$port" $n join "$any" "$T/$name.stop"
	pids+=($LAST_PID)
	bg m3 "$name-r3" $PY "$U/mcast.py" recv "$group" "$port" $n nojoin - "$T/$name.stop"
	pids+=($LAST_PID)
	for r in r1a r1b r2 r3; do
		wait_for 10 grep -q ready "$T/$name-$r.txt" || bad="$bad $r not ready: $(tail -n 1 "$T/$name-$r.txt")"
	done
	sleep 0.5 # membership reports out
	run 20 m3 $PY "$U/mcast.py" send "$group" "$port" $n "$ip3" >"$T/$name-send.txt" 2>&1 ||
		bad="$bad sender: $(tail -n 1 "$T/$name-send.txt")"
	# Joined receivers stop at the end marker; the rest once it is surely past.
	sleep 1
	touch "$T/$name.stop"
	local i=0
	for r in r1a r1b r2 r3; do
		wait "${pids[$i]}" || bad="$bad $r: $(tail -n 1 "$T/$name-$r.txt")"
		i=$((i + 1))
	done
	if [ -z "$bad" ]; then
		pass "$name" "$n datagrams to each of 3 joined receivers (2 on one port in m1), none to the unjoined one"
	else
		fail "$name" "${bad# }"
	fi
}
mcast multicast-ipv4 239.18.0.7 5500
mcast multicast-ipv6 ff15::6e63:7 5501

# ---- 6. closing right after an empty datagram ---------------------------------
# A connected socket's records are bare, so an empty one just before the
# close reads like end-of-file: 200 such sockets, then both services must
# still answer and echo (a service once spun on it and stopped serving).
bg srv goodbye-echo $PY "$TOP/tests/apps/udp_echo.py" serve 5600
gpid=$LAST_PID
if wait_for 10 grep -q listening "$T/goodbye-echo.txt" &&
	run 30 cli $PY "$TOP/tests/apps/udp_echo.py" goodbye "$SRV4" 5600 200 >"$T/goodbye.txt" 2>&1 &&
	{ [ -n "${UDP_ON_KERNEL:-}" ] || { timeout 10 "$SVC" status --socket "$T/srv.sock" &&
		timeout 10 "$SVC" status --socket "$T/cli.sock"; } >/dev/null 2>&1; } &&
	run 30 cli $PY "$TOP/tests/apps/udp_echo.py" check "$SRV4" 5600 50 >"$T/goodbye-check.txt" 2>&1; then
	pass empty-datagram-then-close "200 sockets; both services answer; 50 datagrams echoed after"
else
	fail empty-datagram-then-close "$(tail -n 1 "$T/goodbye.txt" "$T/goodbye-check.txt" 2>/dev/null | tr '\n' ' ')"
fi
stop "$gpid"

echo "     wall time $(($(date +%s) - START)) s"
summary
