#!/usr/bin/env bash
# multitransfer.sh - run several test_tx/test_rx pairs at once, each pair on
# its own port, and fail if any transfer fails or overruns the time limit.
#
#   tests/multitransfer.sh [-n PAIRS] [-b BYTES] [-p BASE_PORT] [-t SECONDS] [-x] HOST
#
#   -n  pairs to run at once (default 8)        -b  bytes per pair (default 16M)
#   -p  first port; pair i uses BASE_PORT+i (default 7800)
#   -t  time limit for each program, in seconds (default 120)
#   -x  echo mode: test_rx sends and test_tx echoes (test_rx -x / test_tx -x)
#   HOST  the numeric address test_rx connects to; test_tx listens on the
#         wildcard address of HOST's family
#
# Environment:
#   TX_PREFIX, RX_PREFIX  command prefixes for the two sides, split on blanks
#                         (e.g. RX_PREFIX="build/bin/intercept")
#   TX_ARGS, RX_ARGS      extra arguments for test_tx / test_rx
#   TEST_BIN              folder holding test_tx and test_rx (default build/tests)
#
# Exits 0 when every pair succeeded, 1 otherwise (2 for a bad command line).
set -u

pairs=8
bytes=16M
base_port=7800
limit=120
echo_mode=
here=$(cd "$(dirname "$0")" && pwd)
bin=${TEST_BIN:-$here/../build/tests}

usage() {
	sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 2
}

while getopts "n:b:p:t:xh" opt; do
	case $opt in
	n) pairs=$OPTARG ;;
	b) bytes=$OPTARG ;;
	p) base_port=$OPTARG ;;
	t) limit=$OPTARG ;;
	x) echo_mode=-x ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
host=$1
for v in "$pairs" "$base_port" "$limit"; do
	case $v in '' | *[!0-9]*) usage ;; esac
done
[ "$pairs" -ge 1 ] && [ $((base_port + pairs - 1)) -le 65535 ] || usage
for prog in test_tx test_rx; do
	[ -x "$bin/$prog" ] || { echo "multitransfer: $bin/$prog not built (make tests)" >&2; exit 2; }
done

family=
case $host in *:*) family=-6 ;; esac

# Word-split the prefixes and extra arguments on purpose: they are command lines.
read -r -a tx_prefix <<< "${TX_PREFIX:-}"
read -r -a rx_prefix <<< "${RX_PREFIX:-}"
read -r -a tx_args <<< "${TX_ARGS:-}"
read -r -a rx_args <<< "${RX_ARGS:-}"

logs=$(mktemp -d "${TMPDIR:-/tmp}/multitransfer.XXXXXX") || exit 1
tx_pids=()
rx_pids=()

# cleanup() - stop whatever this script started and is still running, by PID.
cleanup() {
	local pid
	for pid in "${tx_pids[@]}" "${rx_pids[@]}"; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$logs"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# show_logs() - print one pair's output, for a failure report.
show_logs() {
	local i=$1 f
	for f in "$logs/tx.$i" "$logs/rx.$i"; do
		[ -s "$f" ] && sed "s/^/  [$(basename "$f")] /" "$f" >&2
	done
}

# Start every sender, then wait until each says it listens.
for ((i = 0; i < pairs; i++)); do
	timeout "$limit" "${tx_prefix[@]}" "$bin/test_tx" $family $echo_mode \
		-p $((base_port + i)) -n "$bytes" "${tx_args[@]}" > "$logs/tx.$i" 2>&1 &
	tx_pids[i]=$!
done
deadline=$((SECONDS + (limit < 30 ? limit : 30)))
for ((i = 0; i < pairs; i++)); do
	until grep -q "listening on" "$logs/tx.$i"; do
		if ! kill -0 "${tx_pids[i]}" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
			echo "multitransfer: test_tx on port $((base_port + i)) did not start listening" >&2
			show_logs "$i"
			exit 1
		fi
		sleep 0.05
	done
done

# All receivers at once, so the transfers overlap.
start=$SECONDS
for ((i = 0; i < pairs; i++)); do
	timeout "$limit" "${rx_prefix[@]}" "$bin/test_rx" $echo_mode -w 5 \
		-p $((base_port + i)) -n "$bytes" "${rx_args[@]}" "$host" > "$logs/rx.$i" 2>&1 &
	rx_pids[i]=$!
done

failed=0
for ((i = 0; i < pairs; i++)); do
	wait "${rx_pids[i]}"
	rx_rc=$?
	# A receiver that failed may never have connected: stop its sender now.
	[ $rx_rc -ne 0 ] && kill "${tx_pids[i]}" 2>/dev/null
	wait "${tx_pids[i]}"
	tx_rc=$?
	if [ $rx_rc -ne 0 ] || [ $tx_rc -ne 0 ]; then
		why=
		[ $rx_rc -eq 124 ] || [ $tx_rc -eq 124 ] && why=" (timed out after ${limit}s)"
		[ $rx_rc -ne 0 ] && [ $tx_rc -eq 143 ] && why="$why (test_tx stopped)"
		echo "multitransfer: pair $i (port $((base_port + i))) failed: test_rx $rx_rc, test_tx $tx_rc$why" >&2
		show_logs "$i"
		failed=$((failed + 1))
	fi
done
tx_pids=()
rx_pids=()

if [ $failed -ne 0 ]; then
	echo "multitransfer: $failed of $pairs pairs failed" >&2
	exit 1
fi
echo "multitransfer: OK $pairs pairs of $bytes bytes to $host in $((SECONDS - start)) s"
exit 0
