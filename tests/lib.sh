# tests/lib.sh - shared helpers for netcon's test suites (sourced, bash).
#
# Every service and program a test starts runs in a fresh network namespace
# (unshare -n as root, unshare -rn otherwise), so a socket the intercept
# misses fails loudly instead of reaching a real network. Everything started
# is recorded by PID and stopped by cleanup(), which runs on exit.

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=${B:-build}
SVC=${NETCON_TEST_SVC:-"$TOP/$B/bin/netcon-service"}	# a suite may run another build's service
INTERCEPT="$TOP/$B/bin/intercept"
APPS="$TOP/$B/tests"
T=$(mktemp -d /tmp/netcon-test.XXXXXX)
export NETCON_DIR="$T"
PIDS=()
PASSED=0
FAILED=0

if [ "$(id -u)" = 0 ]; then NS=(unshare -n); else NS=(unshare -rn); fi

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# pass/fail NAME [detail]: one line per check, counted for the summary.
pass() { PASSED=$((PASSED + 1)); echo "ok   $1${2:+ ($2)}"; }
fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL $1${2:+ ($2)}"
	local f
	for f in "$T"/*.log; do
		[ -s "$f" ] || continue
		echo "  --- tail of $(basename "$f")"
		tail -n 8 "$f" | sed 's/^/  /'
	done
}
# check NAME COMMAND...: pass when the command succeeds.
check() {
	local name=$1
	shift
	if "$@" >"$T/check.out" 2>&1; then pass "$name"; else fail "$name" "$(tail -n 3 "$T/check.out" | tr '\n' ' ')"; fi
}

# wait_for SECONDS COMMAND...: retry a command until it succeeds (bounded).
wait_for() {
	local limit=$1 i
	shift
	for ((i = 0; i < limit * 20; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

# start_service NAME [OPTIONS...]: a service in its own network namespace,
# RPC socket $T/NAME.sock, log $T/NAME.log. Waits until it answers.
start_service() {
	local name=$1
	shift
	"${NS[@]}" "$SVC" --socket "$T/$name.sock" "$@" >"$T/$name.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$name=$!"
	wait_for 10 "$SVC" status --socket "$T/$name.sock"
}

# service_ip NAME [4|6]: the service's virtual address.
service_ip() {
	"$SVC" status --socket "$T/$1.sock" | awk -v v="ipv${2:-4}" '$1 == v { sub("/.*", "", $2); print $2 }'
}

# app NAME COMMAND...: run a program through service NAME, in a fresh namespace.
app() {
	local name=$1
	shift
	NETCON_SOCKET="$T/$name.sock" "${NS[@]}" "$INTERCEPT" "$@"
}

# app_bg NAME LOG COMMAND...: the same in the background, PID recorded in $LAST_PID.
app_bg() {
	local name=$1 log=$2
	shift 2
	NETCON_SOCKET="$T/$name.sock" "${NS[@]}" "$INTERCEPT" "$@" >"$T/$log.log" 2>&1 &
	LAST_PID=$!
	PIDS+=($LAST_PID)
}

# parallel_transfers NAME SERVER CLIENT HOST COUNT BYTES BASEPORT: COUNT test_tx
# through SERVER and as many test_rx through CLIENT, all at once; every
# stream verified.
parallel_transfers() {
	local name=$1 srv=$2 cli=$3 host=$4 count=$5 bytes=$6 base=$7 i p bad=0 pids=()
	for i in $(seq 1 "$count"); do
		app_bg "$srv" "$name-tx-$i" "$APPS/test_tx" -p $((base + i)) -n "$bytes" -c 1
	done
	for i in $(seq 1 "$count"); do
		NETCON_SOCKET="$T/$cli.sock" "${NS[@]}" "$INTERCEPT" "$APPS/test_rx" -w 10 -p $((base + i)) \
			-n "$bytes" "$host" >"$T/$name-rx-$i.out" 2>&1 &
		pids+=($!)
		PIDS+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
	if [ $bad = 0 ]; then pass "$name" "$count x $bytes verified"; else fail "$name" "$bad of $count failed"; fi
}

# summary: the closing line that CI reads.
summary() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}
