#!/bin/bash
# Data between programs on two services over the default switch: 1 GiB each
# way with every byte checked, 32 transfers in parallel, 10,000 connections
# in a row, and IPv6.
source "$(dirname "$0")/../lib.sh"

SIZE=${NETCON_TEST_BYTES:-1G}
start_service a && start_service b || { fail service-start; summary; exit 1; }
IPA=$(service_ip a 4)
IPB=$(service_ip b 4)
IPB6=$(service_ip b 6)

# transfer NAME SERVER_SERVICE CLIENT_SERVICE HOST PORT BYTES: test_tx serves
# the stream, test_rx receives and verifies it.
transfer() {
	local name=$1 srv=$2 cli=$3 host=$4 port=$5 bytes=$6 six=
	case "$host" in *:*) six=-6 ;; esac
	app_bg "$srv" "tx-$name" "$APPS/test_tx" $six -p "$port" -n "$bytes" -c 1
	check "$name" timeout 120 env NETCON_SOCKET="$T/$cli.sock" "${NS[@]}" "$INTERCEPT" \
		"$APPS/test_rx" -w 10 -p "$port" -n "$bytes" "$host"
	grep -h "OK" "$T/check.out" | sed 's/^/     /'
}

transfer switch-a-to-b a b "$IPA" 7001 "$SIZE"
transfer switch-b-to-a b a "$IPB" 7002 "$SIZE"
transfer switch-ipv6 b a "$IPB6" 7003 64M
transfer same-service a a 127.0.0.1 7004 "$SIZE"

# 32 transfers at once, each its own pair of programs.
parallel_transfers parallel-32 a b "$IPA" 32 16M 7100

# 10,000 connections opened and closed in a row against an echo server.
app_bg b echo "$APPS/test_tx" -x -p 7200 -c 0
wait_for 10 grep -q listening "$T/echo.log"
check connections-10000 timeout 300 env NETCON_SOCKET="$T/a.sock" "${NS[@]}" "$INTERCEPT" \
	"$APPS/connloop" "$IPB" 7200 10000
grep -h OK "$T/check.out" | sed 's/^/     /'

# Socket life cycle: TIME_WAIT reuse rules, spare sockets across fork().
for t in timewait timewait-held fd-limit spare-fork; do
	check "$t" timeout 60 env NETCON_SOCKET="$T/a.sock" "${NS[@]}" "$INTERCEPT" \
		python3 "$TOP/tests/apps/lifecycle.py" "$t" 127.0.0.1 7300
	grep -h OK "$T/check.out" | sed 's/^/     /'
done
summary
