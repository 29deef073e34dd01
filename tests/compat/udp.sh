# tests/compat/udp.sh - UDP programs: socat, iperf3 -u (and TCP), memcached
# -U, and node's dgram module. (Sourced by tests/suites/compat.sh.)
#
# Each server runs through one service, its client through another. The
# clients' checks are tests/udp/'s (memcache_udp.py, node_echo.js), which the
# udp suite also runs; datagrams are compared byte for byte, every answer is
# awaited with a bound. Servers that fork (socat) run under timeout(1), whose
# process group the stop takes down with them.

# udp_run SECONDS SERVICE COMMAND...: a client through SERVICE, bounded.
udp_run() {
	local secs=$1 svc=$2
	shift 2
	timeout "$secs" env NETCON_SOCKET="$T/$svc.sock" "${NS[@]}" "$INTERCEPT" "$@"
}

# udp_bg SERVICE LOG COMMAND...: a server through SERVICE for at most 120 s,
# its output in $T/LOG.log; $LAST_PID is timeout(1), a process group leader
# that passes its signal on to the server and the server's children.
udp_bg() {
	local svc=$1 log=$2
	shift 2
	timeout 120 env NETCON_SOCKET="$T/$svc.sock" "${NS[@]}" "$INTERCEPT" "$@" >"$T/$log.log" 2>&1 &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
}

# udp_socat_sink FAM DST PORT: socat UDPn-RECVFROM,fork on the server
# appending to a file, five datagrams (700..3500 bytes) sent by five socat
# UDPn-SENDTO runs on the client, each awaited in the file before the next.
udp_socat_sink() {
	local fam=$1 dst=$2 port=$3 d=$T/socat i p out exp
	out=$d/sink$fam.out exp=$d/sink$fam.exp
	: >"$exp"
	udp_bg socat_srv "socat-sink$fam" socat -d -d -u "UDP$fam-RECVFROM:$port,fork" "OPEN:$out,creat,append"
	p=$LAST_PID
	if ! wait_up "$p" 10 grep -q "receiving on" "$T/socat-sink$fam.log"; then
		stop "$p"
		return 1
	fi
	for i in 1 2 3 4 5; do
		{ head -c $((i * 350)) /dev/urandom | od -An -tx1 | tr -d ' \n'; echo " #$i"; } >"$d/dgram"
		cat "$d/dgram" >>"$exp"
		udp_run 10 socat_cli socat -u "OPEN:$d/dgram" "UDP$fam-SENDTO:$dst:$port" ||
			{ echo "sender $i failed"; stop "$p"; return 1; }
		wait_for 5 cmp -s "$out" "$exp" ||
			{ echo "datagram $i not received: $(stat -c %s "$out" 2>/dev/null || echo 0) of $(stat -c %s "$exp") bytes"; stop "$p"; return 1; }
	done
	stop "$p"
	cmp "$out" "$exp" && UDP_SINK_BYTES=$((UDP_SINK_BYTES + $(stat -c %s "$exp")))
}

# udp_socat_echo FAM DST PORT HOW: socat UDPn-LISTEN,fork with HOW (EXEC:cat,
# PIPE) on the server; two socat UDPn clients one after the other, each
# sending six lines as six datagrams on one socket, the next one only once
# the previous answer is back (3 s each).
udp_socat_echo() {
	local fam=$1 dst=$2 port=$3 how=$4 d=$T/socat c i p
	udp_bg socat_srv "socat-echo$fam" socat -d -d "UDP$fam-LISTEN:$port,fork" "$how"
	p=$LAST_PID
	if ! wait_up "$p" 10 grep -q "listening on" "$T/socat-echo$fam.log"; then
		stop "$p"
		return 1
	fi
	for c in 1 2; do
		: >"$d/exp$c"
		for i in 1 2 3 4 5 6; do
			echo "client $c datagram $i $(head -c $((i * 250)) /dev/urandom | base64 -w0)" >>"$d/exp$c"
		done
		: >"$d/got$c"
		{
			for i in 1 2 3 4 5 6; do
				sed -n "${i}p" "$d/exp$c"
				head -n "$i" "$d/exp$c" >"$d/want$c"
				wait_for 3 cmp -s "$d/got$c" "$d/want$c" || break
			done
		} | udp_run 30 socat_cli socat -t 1 - "UDP$fam:$dst:$port" >"$d/got$c"
		cmp -s "$d/got$c" "$d/exp$c" ||
			{ echo "client $c: $(wc -l <"$d/got$c") of 6 answers"; stop "$p"; return 1; }
	done
	stop "$p"
}

compat_socat() {
	local d=$T/socat
	compat_pkgs socat || { row socat socat 1 "$WHY"; return; }
	services socat || { row socat socat 1 "$WHY"; return; }
	mkdir -p "$d"
	UDP_SINK_BYTES=0
	if try "socat UDP4-RECVFROM,fork <- UDP4-SENDTO" udp_socat_sink 4 "$SRV_IP" 5001 &&
		try "socat UDP6-RECVFROM,fork <- UDP6-SENDTO" udp_socat_sink 6 "[$SRV_IP6]" 5002 &&
		try "socat UDP4-LISTEN,fork EXEC:cat echo" udp_socat_echo 4 "$SRV_IP" 5003 EXEC:cat &&
		try "socat UDP6-LISTEN,fork PIPE echo" udp_socat_echo 6 "[$SRV_IP6]" 5004 PIPE; then
		row socat socat 0 "UDP4-/UDP6-RECVFROM,fork sinks fed by 5 UDP4-/UDP6-SENDTO runs each ($UDP_SINK_BYTES bytes, every datagram awaited, compared); UDP4-LISTEN,fork EXEC:cat and UDP6-LISTEN,fork PIPE echo servers: 2 clients x 6 datagrams each (up to 2 KB) answered by the forked child, compared"
	else
		row socat socat 1 "$WHY"
	fi
}

# udp_iperf_udp NAME HOST PORT: iperf3 -u -b 100M -l 1400 for 3 s; the
# client's JSON with the server's own receiver line (--get-server-output).
# Prints NAME: figures; fails unless the server saw at least 98% of what was
# sent and counted less than 5% of it lost (the kernel's own veths lose up to
# ~5% at this rate on a busy 2-CPU machine).
udp_iperf_udp() {
	local name=$1 host=$2 port=$3 p
	udp_bg iperf_srv "$name" iperf3 -s -1 -p "$port" --forceflush
	p=$LAST_PID
	wait_up "$p" 10 grep -q "Server listening" "$T/$name.log" || { stop "$p"; return 1; }
	udp_run 40 iperf_cli iperf3 -u -c "$host" -p "$port" -b 100M -t 3 -l 1400 -J --get-server-output \
		>"$T/old/$name.json" || { tail -n 3 "$T/old/$name.json"; stop "$p"; return 1; }
	stop "$p"
	python3 - "$T/old/$name.json" "$name" <<-'EOF'
		import json, re, sys
		j = json.load(open(sys.argv[1]))
		sent = j["end"]["streams"][0]["udp"]["packets"]
		rx = [l for l in j.get("server_output_text", "").splitlines() if l.endswith("receiver")]
		m = re.search(r"sec .* (-?\d+)/(\d+) \(([-\d.e+]+)%\)", rx[-1]) if rx else None
		if not m:
		    sys.exit("no receiver line from the server: %s" % j.get("server_output_text", "")[-300:])
		lost, total, pct = int(m.group(1)), int(m.group(2)), float(m.group(3))
		secs = j["end"]["sum"]["seconds"] or 1
		got = total - lost
		# Datagrams still queued when the client's TEST_END reaches the server
		# are neither received nor lost for it: "late" below.
		print("%s: %d datagrams of 1400 bytes sent, %d received (%.0f/s), %d lost (%.2f%%), %d late" % (
		    sys.argv[2], sent, got, got / secs, lost, pct, sent - total))
		if not (sent > 0 and got > 0 and pct < 5 and total * 100 >= sent * 98):
		    sys.exit("the server saw %d of %d, lost %d" % (total, sent, lost))
	EOF
}

udp_iperf_tcp() {
	local p
	udp_bg iperf_srv iperf-tcp iperf3 -s -1 -p 5202 --forceflush
	p=$LAST_PID
	wait_up "$p" 10 grep -q "Server listening" "$T/iperf-tcp.log" || { stop "$p"; return 1; }
	udp_run 40 iperf_cli iperf3 -c "$SRV_IP" -p 5202 -t 3 -J >"$T/old/iperf-tcp.json" ||
		{ tail -n 3 "$T/old/iperf-tcp.json"; stop "$p"; return 1; }
	stop "$p"
	python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))["end"]["sum_received"]
print("TCP: %d MiB, %.0f Mbit/s" % (s["bytes"] >> 20, s["bits_per_second"] / 1e6))
sys.exit(0 if s["bytes"] > 0 else "nothing received")' "$T/old/iperf-tcp.json"
}

compat_iperf3() {
	local r4 r6 rt
	compat_pkgs iperf3 || { row iperf3 iperf3 1 "$WHY"; return; }
	services iperf || { row iperf3 iperf3 1 "$WHY"; return; }
	if try "iperf3 -u IPv4" udp_iperf_udp IPv4 "$SRV_IP" 5201 && r4=$(cat "$T/old/try.out") &&
		try "iperf3 -u IPv6" udp_iperf_udp IPv6 "$SRV_IP6" 5203 && r6=$(cat "$T/old/try.out") &&
		try "iperf3 TCP" udp_iperf_tcp && rt=$(cat "$T/old/try.out"); then
		row iperf3 iperf3 0 "iperf3 -u -b 100M -l 1400 -t 3, the server's own receiver report (--get-server-output): $r4; $r6; $rt"
	else
		row iperf3 iperf3 1 "$WHY"
	fi
}

compat_memcached() {
	local p r4 r6
	compat_pkgs memcached || { row memcached memcached 1 "$WHY"; return; }
	services memcached || { row memcached memcached 1 "$WHY"; return; }
	app_bg memcached_srv memcached memcached -u root -p 11211 -U 11211 -t 2 -vv
	p=$LAST_PID
	mc_get() { udp_run 30 memcached_cli python3 "$TOP/tests/udp/memcache_udp.py" "$1" 11211; }
	if try "memcached ready" wait_up "$p" 15 udp_run 3 memcached_cli bash -c "exec 3<>/dev/tcp/$SRV_IP/11211" &&
		try "memcached UDP get, IPv4" mc_get "$SRV_IP" && r4=$(sed 's/^OK //' "$T/old/try.out") &&
		try "memcached UDP get, IPv6" mc_get "$SRV_IP6" && r6=$(sed 's/^OK //' "$T/old/try.out"); then
		row memcached memcached 0 "-U 11211 -t 2: values set over TCP, read back by get over UDP with the 8-byte frame header (request id, sequence, count), a 20,000-byte value reassembled from several datagrams, compared; IPv4: $r4; IPv6: $r6"
	else
		row memcached memcached 1 "$WHY"
	fi
	stop "$p"
}

compat_node_dgram() {
	local p r4 r6
	compat_pkgs nodejs || { row "node dgram" nodejs 1 "$WHY"; return; }
	services nodedgram || { row "node dgram" nodejs 1 "$WHY"; return; }
	UV_USE_IO_URING=0 app_bg nodedgram_srv node-dgram node "$TOP/tests/udp/node_echo.js" server 5400
	p=$LAST_PID
	nd_client() { UV_USE_IO_URING=0 udp_run 30 nodedgram_cli node "$TOP/tests/udp/node_echo.js" client "$@"; }
	if try "node dgram server ready" wait_up "$p" 15 grep -q listening "$T/node-dgram.log" &&
		try "node dgram udp4" nd_client udp4 "$SRV_IP" 5400 && r4=$(sed 's/^OK udp4 //' "$T/old/try.out") &&
		try "node dgram udp6" nd_client udp6 "$SRV_IP6" 5400 && r6=$(sed 's/^OK udp6 //' "$T/old/try.out"); then
		row "node dgram" nodejs 0 "dgram.createSocket echo servers (udp4 on 0.0.0.0, udp6 on :: ipv6Only), a client in the other service sends datagrams of 0 to 65,000 bytes one at a time, each answer compared with what was sent and its rinfo with the server's address; udp4: $r4; udp6: $r6; UV_USE_IO_URING=0"
	else
		row "node dgram" nodejs 1 "$WHY"
	fi
	stop "$p"
}

compat_udp() {
	compat_socat
	finish
	compat_iperf3
	finish
	compat_memcached
	finish
	compat_node_dgram
}
