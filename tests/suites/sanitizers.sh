#!/bin/bash
# The service and the intercept built with AddressSanitizer and UBSan
# (make SAN=1 B=build-san), driven through the conformance cases, transfers
# and a real server. Any sanitizer report in any log fails the suite.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SAN_B=${SAN_B:-build-san}
make -C "$TOP" -s SAN=1 B="$SAN_B" all >/tmp/netcon-san-build.log 2>&1 || {
	echo "FAIL san-build"
	tail -20 /tmp/netcon-san-build.log
	echo "0 passed, 1 failed"
	exit 1
}
export B=$SAN_B
source "$(dirname "$0")/../lib.sh"
echo "ok   san-build"
PASSED=1
export NETCON_PRELOAD_FIRST=$(cc -print-file-name=libasan.so)
# Programs that are not ours leak at exit as they please; the service is checked for leaks.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1
SVC_ASAN_OPTIONS=detect_leaks=1

start_service() {
	local name=$1
	shift
	ASAN_OPTIONS=$SVC_ASAN_OPTIONS "${NS[@]}" "$SVC" --socket "$T/$name.sock" "$@" >"$T/$name.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$name=$!"
	wait_for 10 "$SVC" status --socket "$T/$name.sock"
}

start_service a && start_service b || { fail san-service-start; summary; exit 1; }
IPA=$(service_ip a 4)

# The conformance cases through the instrumented service and library.
app a "$APPS/conformance" >"$T/conf.txt" 2>"$T/conf-err.log"
if [ "$(grep -c : "$T/conf.txt")" -ge 40 ] && ! grep -q "CRASH\|TIMEOUT" "$T/conf.txt"; then
	pass san-conformance "$(wc -l <"$T/conf.txt") cases ran"
else
	fail san-conformance
fi
# The TCP matrix: every socket state crossed with every call (resets, listener
# shutdown, the claim byte, zombies, TIME_WAIT binds) through the instrumented builds.
app a "$APPS/conformance_tcp_matrix" >"$T/confmx.txt" 2>"$T/confmx-err.log"
if [ "$(grep -c : "$T/confmx.txt")" -ge 850 ] && ! grep -q "CRASH\|TIMEOUT\|EXIT(" "$T/confmx.txt"; then
	pass san-conformance-tcp-matrix "$(wc -l <"$T/confmx.txt") cases ran"
else
	fail san-conformance-tcp-matrix "$(grep -c "CRASH\|TIMEOUT\|EXIT(" "$T/confmx.txt") cases crashed or hung"
fi
# The UDP cases: framing, re-framing at connect, marked records, multicast.
app a "$APPS/conformance_udp" >"$T/confudp.txt" 2>"$T/confudp-err.log"
if [ "$(grep -c : "$T/confudp.txt")" -ge 55 ] && ! grep -q "CRASH\|TIMEOUT" "$T/confudp.txt"; then
	pass san-conformance-udp "$(wc -l <"$T/confudp.txt") cases ran"
else
	fail san-conformance-udp
fi
# UDP between the services: 2,000 datagrams of every size up to 65507 bytes each way.
app_bg a san-udp-echo python3 "$TOP/tests/apps/udp_echo.py" serve 7320
wait_for 10 grep -q listening "$T/san-udp-echo.log"
check san-udp-switch timeout 120 env NETCON_SOCKET="$T/b.sock" "${NS[@]}" "$INTERCEPT" \
	python3 "$TOP/tests/apps/udp_echo.py" check "$IPA" 7320 2000
# Transfers both ways over the switch and within one service.
app_bg a san-tx1 "$APPS/test_tx" -p 7301 -n 128M -c 1
check san-transfer-switch timeout 120 env NETCON_SOCKET="$T/b.sock" "${NS[@]}" "$INTERCEPT" "$APPS/test_rx" -w 10 -p 7301 -n 128M "$IPA"
app_bg a san-tx2 "$APPS/test_tx" -p 7302 -n 128M -c 1
check san-transfer-local timeout 120 env NETCON_SOCKET="$T/a.sock" "${NS[@]}" "$INTERCEPT" "$APPS/test_rx" -w 10 -p 7302 -n 128M 127.0.0.1
app_bg a san-echo "$APPS/test_tx" -x -p 7303 -c 0
wait_for 10 grep -q listening "$T/san-echo.log"
check san-connections timeout 120 env NETCON_SOCKET="$T/b.sock" "${NS[@]}" "$INTERCEPT" "$APPS/connloop" "$IPA" 7303 500
# Socket life cycle: TIME_WAIT dropped under a held socket, spares across fork.
for t in timewait-held spare-fork; do
	check "san-$t" timeout 60 env NETCON_SOCKET="$T/a.sock" "${NS[@]}" "$INTERCEPT" \
		python3 "$TOP/tests/apps/lifecycle.py" "$t" 127.0.0.1 7310
done

# The seccomp path: the conformance programs built static, through the
# instrumented supervisor (it copies the program's descriptors, reads and
# writes its memory, unpacks its messages) and service; its log joins the
# others for the report check below.
for spec in conformance:40 conformance_tcp_matrix:850 conformance_udp:55; do
	prog=${spec%:*} least=${spec#*:}
	NETCON_SOCKET="$T/a.sock" timeout 300 "${NS[@]}" "$TOP/$SAN_B/bin/netcon-supervise" \
		"$TOP/$SAN_B/tests/static/$prog" >"$T/sec-$prog.txt" 2>"$T/sec-$prog.log"
	if [ "$(grep -c : "$T/sec-$prog.txt")" -ge "$least" ] &&
		! grep -q "CRASH\|TIMEOUT\|EXIT(" "$T/sec-$prog.txt"; then
		pass "san-seccomp-$prog" "$(wc -l <"$T/sec-$prog.txt") cases ran through netcon-supervise"
	else
		fail "san-seccomp-$prog" "$(grep -c : "$T/sec-$prog.txt") cases, $(grep -c "CRASH\|TIMEOUT\|EXIT(" "$T/sec-$prog.txt") crashed or hung"
	fi
done

# Two switches joined by their uplinks (vxvde over a namespace's loopback):
# the instrumented netcon-uplink moves 16 MiB each way between them, and its
# log joins the others; then the first switch's host leaves and the service
# taking it over restarts the uplink.
"${NS[@]}" bash -c "ip link set lo up; ip link set lo multicast on; ip route add 224.0.0.0/4 dev lo
	for s in u1a:u1:1 u1b:u1:2 u2a:u2:3; do n=\${s%%:*} r=\${s#*:}; d=\${r%:*} i=\${r#*:}
		ASAN_OPTIONS=$SVC_ASAN_OPTIONS '$SVC' --socket '$T/'\$n.sock --net switch://'$T/'\$d/switch \
			--ip 198.18.60.\$i/16 --uplink vxvde://239.18.60.1 >'$T/'\$n.log 2>&1 &
		sleep 0.3
	done
	wait" &
PIDS+=($!)
if wait_for 10 "$SVC" status --socket "$T/u1b.sock" && wait_for 10 "$SVC" status --socket "$T/u2a.sock"; then
	app_bg u1b san-uplink-tx "$APPS/test_tx" -p 7330 -n 16777216 -c 1
	check san-uplink-16M app u2a "$APPS/test_rx" -w 10 -p 7330 -n 16777216 198.18.60.2
	pkill -TERM -f -- "--socket $T/u1a.sock"
	if wait_for 10 eval "'$SVC' status --socket '$T/u1b.sock' | grep -q 'hosting the switch'"; then
		app_bg u2a san-uplink-tx2 "$APPS/test_tx" -p 7331 -n 16777216 -c 1
		check san-uplink-after-takeover app u1b "$APPS/test_rx" -w 10 -p 7331 -n 16777216 198.18.60.3
	else
		fail san-uplink-after-takeover "u1b did not take the switch over"
	fi
	pkill -TERM -f -- "--socket $T/u[12][ab].sock"
	sleep 1
else
	fail san-uplink-start
fi

# Stop the services cleanly: leaks and errors are reported at exit.
kill -TERM "$PID_a" "$PID_b"
wait "$PID_a" "$PID_b" 2>/dev/null
if grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$T"/*.log >"$T/san-hits" 2>/dev/null; then
	fail san-reports "$(cat "$T/san-hits" | xargs -n1 basename | tr '\n' ' ')"
	grep -h -A15 "ERROR: \|runtime error:" "$T"/*.log | head -60
else
	pass san-reports "no sanitizer report in any log"
fi

# The gateway (libslirp in a thread of the service, its frames and policy)
# through the instrumented service: its whole suite, every report to a file.
# The programs keep the normal library: curl with ASan preloaded hangs in
# setlocale on this machine, with or without libnetcon.
mkdir -p "$T/gw-san"
env -u NETCON_PRELOAD_FIRST B=build NETCON_TEST_SVC="$SVC" \
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:log_path="$T/gw-san/asan" \
	UBSAN_OPTIONS=print_stacktrace=1:log_path="$T/gw-san/ubsan" \
	timeout 300 bash "$TOP/tests/suites/gateway.sh" >"$T/gw-san/suite.out" 2>&1
gw_rc=$?
if [ $gw_rc = 0 ] && ! ls "$T/gw-san" | grep -q 'asan\|ubsan'; then
	pass san-gateway "$(tail -n 1 "$T/gw-san/suite.out")"
else
	fail san-gateway "suite exit $gw_rc: $(grep -h '^FAIL' "$T/gw-san/suite.out" | head -3 | tr '\n' ' ')"
	cat "$T"/gw-san/*san* 2>/dev/null | head -40
fi
summary
