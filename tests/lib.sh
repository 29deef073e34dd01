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

# --- the kernel as the oracle (conformance.sh, musl.sh, seccomp.sh) ----------

# kernel_setups SOCKET IP4 IP6: the kernel side of a comparison, for the
# service at SOCKET: LO_SETUP puts its addresses on lo; SUBNET_SETUP puts
# them, with its real prefixes, on one end of a veth pair with nobody on the
# other (so that an on-subnet address goes unanswered); UNANSWERED is such
# an address (the last byte changed; the prefix is /16 by default, at most
# /24 assumed).
kernel_setups() {
	local sock=$1 ip4=$2 ip6=$3 pfx4 pfx6
	pfx4=$("$SVC" status --socket "$sock" | awk '$1 == "ipv4" { sub(".*/", "", $2); print $2 }')
	pfx6=$("$SVC" status --socket "$sock" | awk '$1 == "ipv6" { sub(".*/", "", $2); print $2 }')
	LO_SETUP="ip link set lo up; ip addr add $ip4/32 dev lo; ip addr add $ip6/128 dev lo nodad"
	SUBNET_SETUP="ip link set lo up; ip link add nc0 type veth peer name nc1; \
ip addr add $ip4/${pfx4:-24} dev nc0; ip addr add $ip6/${pfx6:-64} dev nc0 nodad; \
ip link set nc0 up; ip link set nc1 up"
	UNANSWERED="${ip4%.*}.$(( ${ip4##*.} == 77 ? 78 : 77 ))"
}

# known_only KERNEL NETCON KNOWN...: every line that differs between the two
# outputs (case by case, in order) must be netcon's line exactly as one of
# the KNOWN files records it (tests/apps/*.known: differences known and
# explained). Prints how many were accepted; the others go to NETCON.unknown,
# and then it fails.
known_only() {
	local kf=$1 nf=$2 k n f ok accepted=0
	shift 2
	[ "$(wc -l <"$kf")" = "$(wc -l <"$nf")" ] || return 1
	: >"$nf.unknown"
	while IFS= read -r k <&3 && IFS= read -r n <&4; do
		[ "$k" = "$n" ] && continue
		ok=
		for f in "$@"; do [ -f "$f" ] && grep -qFx -- "$n" "$f" && ok=1 && break; done
		[ -n "$ok" ] || echo "$n" >>"$nf.unknown"
		accepted=$((accepted + 1))
	done 3<"$kf" 4<"$nf"
	[ -s "$nf.unknown" ] && return 1
	echo "$accepted"
}

# judge CHECK KERNEL NETCON KNOWN...: CHECK passes when the netcon run's
# output is the kernel's, line for line, but for lines the KNOWN files hold.
judge() {
	local name=$1 kf=$2 nf=$3 accepted
	shift 3
	if ! [ -s "$kf" ]; then
		fail "$name" "the kernel run printed nothing"
	elif diff -u "$kf" "$nf" >"$nf.diff"; then
		pass "$name" "$(wc -l <"$kf") cases identical"
	elif accepted=$(known_only "$kf" "$nf" "$@"); then
		pass "$name" "$(($(wc -l <"$kf") - accepted)) cases identical, $accepted known differences ($(for f in "$@"; do [ -f "$f" ] && printf '%s ' "${f#"$TOP/"}"; done | sed 's/ $//'))"
	elif [ -s "$nf.unknown" ]; then
		fail "$name" "$(wc -l <"$nf.unknown") lines differ from the kernel and are not known: $(cut -c1-200 "$nf.unknown" | head -n 20 | tr '\n' ' ')"
	else
		fail "$name" "differs from the kernel ($(grep -c '^+[a-z]' "$nf.diff") lines): $(grep '^[-+][a-z]' "$nf.diff" | head -n 40 | tr '\n' ' ')"
	fi
}
