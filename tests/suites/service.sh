#!/bin/bash
# The service as a node on a network, and as a target: a tap device in a
# kernel namespace, two services and a kernel namespace on one local switch
# (and the switch surviving the exit of the service hosting it), then
# hostile input on the RPC socket and on the link, after which the service
# must still be running and serving TCP.
source "$(dirname "$0")/../lib.sh"

PY=$(python3 -c 'import sys; print(sys.executable)')
NETNS=()
suite_cleanup() {
	local ns
	cleanup
	for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
}
trap suite_cleanup EXIT
trap 'exit 130' INT TERM

# The file every HTTP check fetches, compared byte for byte.
mkdir -p "$T/www"
head -c 1234567 /dev/urandom >"$T/www/f.bin"

# within SECONDS COMMAND...: retry COMMAND until it succeeds or time is up.
within() {
	local end=$((${EPOCHREALTIME/./} + $1 * 1000000))
	shift
	while :; do
		"$@" && return 0
		((${EPOCHREALTIME/./} < end)) || return 1
		sleep 0.1
	done
}

# alive PID: the process exists and is not a zombie.
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) && [ -n "$state" ] && [ "$state" != Z ]
}

# stop PID...: end processes this suite started, and forget them.
stop() {
	local p q keep=()
	for p; do kill "$p" 2>/dev/null; done
	for p; do
		within 2 eval "! alive $p" || kill -9 "$p" 2>/dev/null
		{ wait "$p"; } 2>/dev/null
	done
	for q in "${PIDS[@]}"; do
		for p; do [ "$q" = "$p" ] && continue 2; done
		keep+=("$q")
	done
	PIDS=("${keep[@]}")
}

# pings NS ADDR COUNT: every one of COUNT echo requests from namespace NS answered.
pings() {
	ip netns exec "$1" ping -n -q -c "$3" -i 0.2 -W 1 "$2" 2>&1 | tee "$T/ping.out" |
		grep -q " $3 received"
	local rc=$?
	grep received "$T/ping.out"
	return $rc
}

# fetch SERVICE URL: an intercepted curl through SERVICE gets f.bin intact.
fetch() {
	rm -f "$T/got"
	app "$1" curl -sS --max-time 5 -o "$T/got" "$2" && cmp "$T/got" "$T/www/f.bin"
}

# kfetch NS URL [FILE]: the same with the kernel's TCP, from namespace NS.
kfetch() {
	rm -f "$T/kgot"
	ip netns exec "$1" curl -sS -g --max-time 20 -o "$T/kgot" "$2" && cmp "$T/kgot" "$T/www/${3:-f.bin}"
}

# link_avg SOCKET in|out: the link's average frame size that way, in bytes.
link_avg() {
	"$SVC" status --socket "$1" | awk -v d="$2" '$1 == "link" && $2 == "frames" {
		gsub(/[(),]/, ""); n = (d == "in") ? $4 : $8; b = (d == "in") ? $5 : $9
		if (n > 0) printf "%d", b / n }'
}

# tap_offloads: 32 MiB each way over the tap, IPv4 and IPv6, byte for byte,
# in frames larger than the tap's MTU (TSO out, the kernel's GSO in: tap.c).
tap_offloads() {
	local ip6 a0 p
	head -c 33554432 /dev/urandom >"$T/www/big.bin"
	ip6=$("$SVC" status --socket "$T/tap.sock" | awk '$1 == "ipv6" { sub(/\/.*/, "", $2); print $2 }')
	ip netns exec "$TNS" ip addr add fd00:6e63::2/64 dev "$TAP" nodad
	app_bg tap http6-tap "$PY" -m http.server --bind :: --directory "$T/www" 8002
	p=$LAST_PID
	within 5 kfetch "$TNS" "http://[$ip6]:8002/f.bin"
	for u in "http://198.18.5.1:8002/big.bin" "http://[$ip6]:8002/big.bin"; do
		kfetch "$TNS" "$u" big.bin || { stop "$p"; echo "kernel fetch of $u failed"; return 1; }
	done
	stop "$p"
	a0=$(link_avg "$T/tap.sock" out)
	[ "${a0:-0}" -gt 4000 ] || { echo "frames out average $a0 bytes: no TSO"; return 1; }
	ip netns exec "$TNS" "$PY" -m http.server --bind :: --directory "$T/www" 8001 >"$T/khttp.log" 2>&1 &
	p=$!
	PIDS+=($p)
	within 5 ip netns exec "$TNS" curl -s -o /dev/null http://127.0.0.1:8001/f.bin
	for u in "http://198.18.5.2:8001/big.bin" "http://[fd00:6e63::2]:8001/big.bin"; do
		rm -f "$T/got"
		app tap curl -sS -g --max-time 20 -o "$T/got" "$u" && cmp "$T/got" "$T/www/big.bin" ||
			{ stop "$p"; echo "intercepted fetch of $u failed"; return 1; }
	done
	stop "$p"
	a0=$(link_avg "$T/tap.sock" in)
	[ "${a0:-0}" -gt 2000 ] || { echo "frames in average $a0 bytes: no GSO from the kernel"; return 1; }
	echo "average frame out $(link_avg "$T/tap.sock" out), in $a0 bytes (MTU 1500)"
}

# http_bg SERVICE PORT: an intercepted python http.server serving $T/www.
http_bg() {
	app_bg "$1" "http-$1" "$PY" -m http.server --bind 0.0.0.0 --directory "$T/www" "$2"
}

# --- 1. a tap device in a kernel namespace ------------------------------------
TNS=nc-test-$$
TAP=nctap$$
if ip netns add "$TNS"; then
	NETNS+=("$TNS")
	ip netns exec "$TNS" ip link set lo up
	ip netns exec "$TNS" "$SVC" --net "tap://$TAP" --ip 198.18.5.1/24 --socket "$T/tap.sock" \
		>"$T/tap.log" 2>&1 &
	TAP_PID=$!
	PIDS+=($TAP_PID)
	if wait_for 10 "$SVC" status --socket "$T/tap.sock" &&
		ip netns exec "$TNS" ip addr add 198.18.5.2/24 dev "$TAP" &&
		ip netns exec "$TNS" ip link set "$TAP" up; then
		check tap-ping pings "$TNS" 198.18.5.1 5
		http_bg tap 8000
		TAP_HTTP=$LAST_PID
		check tap-tcp within 10 kfetch "$TNS" http://198.18.5.1:8000/f.bin
		check tap-offloads tap_offloads
		stop "$TAP_HTTP" "$TAP_PID"
	else
		fail tap-ping "no service on tap://$TAP"
		fail tap-tcp "no service on tap://$TAP"
		fail tap-offloads "no service on tap://$TAP"
	fi
	ip netns del "$TNS"
else
	fail tap-ping "cannot create namespace $TNS"
	fail tap-tcp "cannot create namespace $TNS"
	fail tap-offloads "cannot create namespace $TNS"
fi

# --- 2. two services and a kernel namespace on the default switch ------------
KNS=nc-k-$$
KTAP=nck$$
KIP=198.18.7.9
KPLUG=
# kplug_up: plug the kernel namespace into the switch with a tap device (the
# same MAC each time, so that the services' ARP caches stay right).
kplug_up() {
	local i
	ip netns exec "$KNS" vde_plug "vde://$NETCON_DIR/switch" "tap://$KTAP" >>"$T/vde_plug.log" 2>&1 &
	KPLUG=$!
	PIDS+=($KPLUG)
	for ((i = 0; i < 60; i++)); do
		ip netns exec "$KNS" ip link show "$KTAP" >/dev/null 2>&1 && break
		alive "$KPLUG" || return 1
		sleep 0.05
	done
	ip netns exec "$KNS" ip link set "$KTAP" address 02:00:c6:12:07:09 &&
		ip netns exec "$KNS" ip addr add "$KIP/16" dev "$KTAP" &&
		ip netns exec "$KNS" ip link set "$KTAP" up
}

if start_service a && start_service b && ip netns add "$KNS"; then
	NETNS+=("$KNS")
	IPA=$(service_ip a)
	IPB=$(service_ip b)
	ip netns exec "$KNS" ip link set lo up
	kplug_up || fail switch-kernel-plug "vde_plug tap://$KTAP did not come up"
	check switch-ping eval "pings $KNS $IPA 3 && pings $KNS $IPB 3"
	http_bg b 8000
	ip netns exec "$KNS" "$PY" -m http.server --bind "$KIP" --directory "$T/www" 8001 \
		>"$T/kernel-http.log" 2>&1 &
	KHTTP=$!
	PIDS+=($KHTTP)
	check switch-tcp-ab within 10 fetch a "http://$IPB:8000/f.bin"
	check switch-kernel-server within 10 fetch a "http://$KIP:8001/f.bin"
	check switch-kernel-client within 10 kfetch "$KNS" "http://$IPB:8000/f.bin"

	# The hosting service exits: b must take the switch over. vde_plug
	# ends with the switch it joined, so it is plugged in again here.
	"$SVC" status --socket "$T/a.sock" | grep -q "hosting the switch" ||
		echo "     note: a was not hosting the switch"
	kill "$PID_a"
	REPLUGS=0
	takeover() {
		if ! ip netns exec "$KNS" ip link show "$KTAP" >/dev/null 2>&1; then
			REPLUGS=$((REPLUGS + 1))
			kplug_up || return 1
		fi
		pings "$KNS" "$IPB" 1 >/dev/null
	}
	start=${EPOCHREALTIME/./}
	if within 5 takeover && "$SVC" status --socket "$T/b.sock" | grep -q "hosting the switch"; then
		pass switch-takeover "$(((${EPOCHREALTIME/./} - start) / 1000)) ms, vde_plug plugged in again $REPLUGS time(s)"
	else
		fail switch-takeover "$("$SVC" status --socket "$T/b.sock" 2>&1 | grep link)"
	fi
	check switch-takeover-tcp eval "within 5 kfetch $KNS http://$IPB:8000/f.bin &&
		within 5 fetch b http://$KIP:8001/f.bin"
	# (vde_plug may crash on SIGTERM: stop() reaps it quietly.)
	stop "$PID_a" "$KHTTP" "$KPLUG"
	ip netns del "$KNS"
else
	fail switch-start "services a and b, or namespace $KNS"
fi

# --- 3. garbage on the RPC socket --------------------------------------------
# tests/apps/rpc_hostile.c speaks the protocol of src/common/rpc.h (every
# constant, size and op number from the header): garbage, malformed and
# hostile requests, descriptors where none belongs, sockets not held (EBADF),
# the random-request fuzz, floods, churn, idle and half-closed clients, and
# the SO_REUSEPORT hijack by uid nobody (hence --group nogroup: the socket
# file is what lets it in). It counts its cases and exits non-zero if one did
# not run or was answered otherwise than the protocol says. SEED=N repeats a run.

# fdlist PID: the descriptors a process holds, one "NUMBER -> WHAT" a line.
fdlist() { ls -l "/proc/$1/fd" 2>/dev/null | awk 'NR > 1 { print $(NF - 2), "->", $NF }' | sort; }

# fds_back: service r holds no more descriptors than before the garbage.
fds_back() {
	[ "$(fdlist "$PID_r" | wc -l)" -le "$(wc -l <"$T/fds-before")" ]
}

if start_service r --net "vde://$T/rsw" --group nogroup; then
	IPR=$(service_ip r)
	http_bg r 8000
	if within 10 fetch r "http://$IPR:8000/f.bin" >/dev/null 2>&1; then
		fdlist "$PID_r" >"$T/fds-before"
		timeout 120 "$APPS/rpc_hostile" "$T/r.sock" >"$T/rpc-hostile.out" 2>&1
		HOSTILE_RC=$?
		sed 's/^/     /' "$T/rpc-hostile.out"
		check rpc-hostile eval "[ $HOSTILE_RC = 0 ] ||
			{ echo 'exit $HOSTILE_RC:' \$(tail -n 2 $T/rpc-hostile.out); false; }"
		check rpc-garbage eval "kill -0 $PID_r && $SVC status --socket $T/r.sock"
		check rpc-garbage-tcp within 5 fetch r "http://$IPR:8000/f.bin"
		check rpc-garbage-fds eval 'within 5 fds_back ||
			{ fdlist "$PID_r" | comm -13 "$T/fds-before" - | sed "s/^/new: /"; false; }'
	else
		fail rpc-garbage "no HTTP through r before the garbage"
	fi
else
	fail rpc-garbage "service r did not start"
fi

# --- 4. garbage on the link --------------------------------------------------
# The frames: tests/apps/link_garbage.py (runts of every length among them).

# frames_in NAME: frames service NAME has taken from its link so far.
frames_in() { "$SVC" status --socket "$T/$1.sock" | awk '$1 == "link" && $2 == "frames" { print $4 }'; }

M1=02:00:0a:4d:00:01
M2=02:00:0a:4d:00:02
if start_service g1 --net "vde://$T/lsw" --ip 10.77.0.1/16 --ip6 fd00:77::1/64 --mac $M1 &&
	start_service g2 --net "vde://$T/lsw" --ip 10.77.0.2/16 --ip6 fd00:77::2/64 --mac $M2; then
	http_bg g1 8000
	if within 10 fetch g2 http://10.77.0.1:8000/f.bin >/dev/null 2>&1; then
		IN1=$(frames_in g1) IN2=$(frames_in g2)
		"${NS[@]}" timeout 60 "$PY" "$TOP/tests/apps/link_garbage.py" "$T/lsw" 8000 \
			"$M1,10.77.0.1,fd00:77::1" "$M2,10.77.0.2,fd00:77::2" >"$T/link-garbage.out" 2>&1 ||
			echo "     note: link_garbage.py exited $?"
		sed 's/^/     /' "$T/link-garbage.out"
		# g1 hosts the switch, so it sees every frame sent to it or to all.
		check link-garbage eval "kill -0 $PID_g1 && kill -0 $PID_g2 &&
			$SVC status --socket $T/g1.sock && $SVC status --socket $T/g2.sock &&
			(( \$(frames_in g1) - IN1 >= 20000 ))"
		echo "     frames taken: g1 $(($(frames_in g1) - IN1)), g2 $(($(frames_in g2) - IN2))"
		check link-garbage-tcp eval "within 5 fetch g2 http://10.77.0.1:8000/f.bin &&
			within 5 fetch g1 http://10.77.0.1:8000/f.bin"
	else
		fail link-garbage "no HTTP between g1 and g2 before the garbage"
	fi
else
	fail link-garbage "services g1 and g2 did not start"
fi

summary
