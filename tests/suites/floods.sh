#!/bin/bash
# Floods from a hostile participant on the virtual network beside honest
# clients (issue 9, part 5). tests/apps/flood.py joins the switch as a raw
# Ethernet port:
#  a) SYN flood: thousands of SYNs from spoofed sources (off and on the
#     subnet), then 200 a second, at an echo server; an honest client on a
#     second service connects again and again meanwhile, every attempt
#     bounded by a timeout: none may fail.
#  b) out-of-order flood: a real connection, then tens of thousands of 1-byte
#     segments beyond a hole; the service's CPU time during the flood
#     (/proc/PID/stat) must stay bounded, and a 256 MiB transfer through the
#     same service during a second flood must arrive intact within a bound.
# FLOOD_SYN_SECONDS, FLOOD_OOS_COUNT and FLOOD_OOS_RATE change the sizes.
source "$(dirname "$0")/../lib.sh"

PY=$(python3 -c 'import sys; print(sys.executable)')
FLOOD=$TOP/tests/apps/flood.py
SW=$T/sw
MA=02:00:0a:4e:00:01
SYN_SECONDS=${FLOOD_SYN_SECONDS:-20}
OOS_COUNT=${FLOOD_OOS_COUNT:-60000}
OOS_RATE=${FLOOD_OOS_RATE:-10000}
TX_BYTES=$((256 * 1024 * 1024))

# cpu_ms PID: user + system CPU time of a process so far, in milliseconds.
cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print int(($12 + $13) * 1000 / hz) }' "/proc/$1/stat"
}

# A hub service hosts the switch, so the services under test do only their own work.
if ! start_service hub --net "vde://$SW" --ip 10.78.0.9/16 ||
	! start_service a --net "vde://$SW" --ip 10.78.0.1/16 --mac $MA ||
	! start_service b --net "vde://$SW" --ip 10.78.0.2/16; then
	fail floods-start "services did not start"
	summary
	exit 1
fi
app_bg a echo "$APPS/test_tx" -x -p 7000 -c 0
if ! wait_for 10 app b "$PY" "$FLOOD" client 10.78.0.1 7000 0.2 2; then
	fail floods-start "no echo between services a and b"
	summary
	exit 1
fi

# --- a) SYN flood --------------------------------------------------------------
# syn_case NAME SRCNET TIMEOUT SLOW_OK: 3,000 spoofed SYNs from SRCNET, then
# 200 a second, while service b's honest client connects for SYN_SECONDS - 6
# s; each attempt bounded by TIMEOUT s; none may fail, and at most SLOW_OK
# may take over 0.5 s.
syn_case() {
	local name=$1 net=$2 timeout=$3 slow_ok=$4 fpid rc slow
	"${NS[@]}" timeout $((SYN_SECONDS + 30)) "$PY" "$FLOOD" syn "$SW" $MA 10.78.0.1 7000 "$net" \
		3000 200 "$SYN_SECONDS" >"$T/$name.out" 2>&1 &
	fpid=$!
	PIDS+=($fpid)
	sleep 3 # the burst is in; 200 a second follow
	app b timeout $((SYN_SECONDS + 20)) "$PY" "$FLOOD" client 10.78.0.1 7000 $((SYN_SECONDS - 6)) \
		"$timeout" >"$T/$name-client.out" 2>&1
	rc=$?
	wait $fpid
	sed 's/^/     /' "$T/$name.out" "$T/$name-client.out"
	slow=$(sed -n 's/.* \([0-9]*\) over 0.5 s.*/\1/p' "$T/$name-client.out")
	if [ $rc = 0 ] && grep -q " 0 failed" "$T/$name-client.out" && ((${slow:-999} <= slow_ok)) &&
		kill -0 "$PID_a"; then
		pass "$name" "$(cat "$T/$name-client.out")"
	else
		fail "$name" "$(cat "$T/$name-client.out")"
	fi
	check "$name-after" app b "$PY" "$FLOOD" client 10.78.0.1 7000 1 2
}
# a1: sources off the subnet (a SYN-ACK goes nowhere): every attempt prompt.
syn_case syn-flood 10.79 2 0
# a2: sources on the subnet, whose SYN-ACKs wait for ARP answers that never
# come: they churn lwIP's 64-entry ARP table, so now and then an honest
# client's SYN-ACK is lost with its ARP entry and its SYN is sent again
# (1 s, then 2 s, then 4 s later: 7 s for three lost SYN-ACKs, the budget
# given here). Every attempt must still succeed. (The ARP churn itself is
# left to fix: lwIP recycles answered entries before pending ones.)
syn_case syn-flood-onlink 10.78 8 20

# --- b) out-of-order flood -------------------------------------------------------
# b1: the flood alone, service a's CPU time measured over it and 2 s after.
c0=$(cpu_ms "$PID_a")
t0=${EPOCHREALTIME/./}
"${NS[@]}" timeout 150 "$PY" "$FLOOD" oos "$SW" $MA 10.78.0.1 7000 10.78.0.50 "$OOS_COUNT" "$OOS_RATE" \
	>"$T/oos-flood.out" 2>&1
frc=$?
sleep 2
c1=$(cpu_ms "$PID_a")
wall=$(((${EPOCHREALTIME/./} - t0) / 1000))
cpu=$((c1 - c0))
sed 's/^/     /' "$T/oos-flood.out"
echo "     service CPU during the flood and 2 s after: $cpu ms in $wall ms"
# Bounded: under a third of a core (the unfixed stack took more than a core).
if [ $frc = 0 ] && kill -0 "$PID_a" && ((cpu * 3 < wall)); then
	pass oos-flood-cpu "$cpu ms CPU in $wall ms"
else
	fail oos-flood-cpu "$cpu ms CPU in $wall ms, flood exited $frc"
fi

# b2: a 256 MiB transfer through service a while a second flood runs.
app_bg a tx "$APPS/test_tx" -p 7100 -n $TX_BYTES -c 1
"${NS[@]}" timeout 150 "$PY" "$FLOOD" oos "$SW" $MA 10.78.0.1 7000 10.78.0.51 "$OOS_COUNT" "$OOS_RATE" \
	>"$T/oos-flood2.out" 2>&1 &
FPID=$!
PIDS+=($FPID)
t0=${EPOCHREALTIME/./}
app b timeout 120 "$APPS/test_rx" -w 10 -p 7100 -n $TX_BYTES 10.78.0.1 >"$T/oos-rx.out" 2>&1
rc=$?
took=$(((${EPOCHREALTIME/./} - t0) / 1000))
wait $FPID
sed 's/^/     /' "$T/oos-flood2.out" "$T/oos-rx.out"
if [ $rc = 0 ] && grep -q "^test_rx: OK" "$T/oos-rx.out"; then
	pass oos-flood-transfer "256 MiB intact in $took ms beside the flood"
else
	fail oos-flood-transfer "test_rx exited $rc after $took ms"
fi
check oos-flood-after app b "$PY" "$FLOOD" client 10.78.0.1 7000 1 2

summary
