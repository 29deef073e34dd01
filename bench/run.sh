#!/bin/bash
# bench/run.sh - netcon's benchmarks. Every figure is taken through netcon and
# on the kernel's loopback in the same run (ratios pair by pair), and pasta and
# slirp4netns carry the same loads for comparison. Writes docs/benchmarks.md.
#
#   [B=DIR] [SECTIONS="bulk latency conn published seccomp udp mem time hosts"] bench/run.sh [--quick] [--runs N] [--out FILE]
#
# --quick: one run each, shorter durations, no peers and no wrk (< 2 minutes).
# SECTIONS: run only these sections (default all): bulk (TCP throughput),
# latency (TCP ping-pong), conn (connections/s, nginx + wrk, redis), udp (UDP
# datagram rates and UDP ping-pong), published (a kernel client on the
# loopback reaching a server inside through netcon --publish, pasta -t and
# slirp4netns add_hostfwd: throughput, ping-pong, connections/s; run with
# --quick too), mem (memory per connection, CPU per GiB), time (where the
# time goes); the document then has only those figures. hosts (several
# hosts: two network namespaces on a simulated 1500-byte wire, TCP throughput
# and ping-pong over the kernel's underlay, the kernel's VXLAN, netcon's
# vxvde:// uplink and netcon's tinc uplink, ratios against the kernel's
# VXLAN; about a minute with --runs 3) is part of the default set too.
# B: the build directory (default build), relative to the top; built with
# "make B=DIR all" when it lacks the binaries.
# Needs root (network namespaces, a tap device); installs the tools it uses
# from Debian's packages when they are missing. Every process it starts is
# stopped by PID; all traffic stays on this machine (loopback, namespaces it
# creates, 198.18.0.0/15).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
ARGS=$*	# for the document's command line
QUICK=0
RUNS=
OUT="$TOP/docs/benchmarks.md"
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--runs) RUNS=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h | --help) sed -n '2,29p' "$0"; exit 0 ;;
	*) echo "usage: bench/run.sh [--quick] [--runs N] [--out FILE]" >&2; exit 2 ;;
	esac
	shift
done
case $OUT in /*) ;; *) OUT="$PWD/$OUT" ;; esac
SECTIONS=${SECTIONS:-bulk latency conn published seccomp udp mem time hosts}
for s in $SECTIONS; do
	case $s in bulk | latency | conn | published | seccomp | udp | mem | time | hosts) ;;
	*) echo "bench: unknown section $s (bulk latency conn published seccomp udp mem time hosts)" >&2; exit 2 ;;
	esac
done
# want SECTION...: true when SECTIONS names one of them.
want() {
	local s w
	for w in "$@"; do
		for s in $SECTIONS; do [ "$s" = "$w" ] && return 0; done
	done
	return 1
}

if [ "$QUICK" = 1 ]; then
	: "${RUNS:=1}"
	DUR=1 PPDUR=0.5 CONNS=500 OPTS=2000 REDIS_N=5000 IDLE=2000 CPU_BYTES=256M PERF_S=1 WRK_S=1
	UPROBES=5 PEERS=0 WRK=0 EXTRAS=0 BUDGET=120
else
	: "${RUNS:=3}"
	DUR=2 PPDUR=1 CONNS=2000 OPTS=10000 REDIS_N=20000 IDLE=10000 CPU_BYTES=1G PERF_S=2 WRK_S=2
	UPROBES=7 PEERS=1 WRK=1 EXTRAS=1 BUDGET=720
fi

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (network namespaces, a tap device, installing tools)" >&2
	exit 1
fi

# --- tools ------------------------------------------------------------------

B=${B:-build}
BB="$TOP/$B/bench"	# helpers, the apt log, raw results of the last run
mkdir -p "$BB"

# Debian packages the benchmarks use; sockperf is optional (pingpong.c stands in).
install_tools() {
	local want="iperf3 wrk nginx-light redis-server redis-tools passt slirp4netns
		linux-perf strace python3 sockperf" p missing=
	want hosts && want="$want tinc iproute2"
	for p in $want; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "bench: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends $missing >"$BB/apt.log" 2>&1; then
		apt-get update -q >>"$BB/apt.log" 2>&1
		for p in $missing; do
			apt-get install -y -q --no-install-recommends "$p" >>"$BB/apt.log" 2>&1 ||
				echo "bench: could not install $p (see $BB/apt.log)" >&2
		done
	fi
}
install_tools
have() { command -v "$1" >/dev/null 2>&1; }

if [ ! -x "$TOP/$B/bin/netcon-service" ] || [ ! -x "$TOP/$B/tests/connloop" ]; then
	make -C "$TOP" B="$B" all >/dev/null || { echo "bench: build failed" >&2; exit 1; }
fi
for p in pingpong idleconns; do
	if [ ! -x "$BB/$p" ] || [ "$TOP/bench/$p.c" -nt "$BB/$p" ]; then
		cc -O2 -g -Wall -Wextra -Werror -o "$BB/$p" "$TOP/bench/$p.c" ||
			{ echo "bench: cannot build $p" >&2; exit 1; }
	fi
done
PP="$BB/pingpong"
IC="$BB/idleconns"

# shellcheck source=../tests/lib.sh
source "$TOP/tests/lib.sh"	# T, NETCON_DIR, PIDS, start_service, service_ip, wait_for
source "$TOP/tests/tinc.sh"	# tinc_configs
# Run a private copy of the build: other work may rebuild build/ meanwhile, and
# perf needs the very binaries that ran to name their functions.
mkdir -p "$T/nc/bin" "$T/nc/lib/netcon" "$T/nc/tests"
cp "$SVC" "$INTERCEPT" "$TOP/$B/bin/netcon-supervise" "$T/nc/bin/" &&
	{ ! want hosts || cp "$TOP/$B/bin/netcon-uplink" "$T/nc/bin/"; } &&
	cp "$TOP/$B/lib/netcon/libnetcon.so" "$T/nc/lib/netcon/" &&
	cp "$APPS"/test_tx "$APPS"/test_rx "$APPS"/connloop "$APPS"/optloop "$T/nc/tests/" ||
	{ echo "bench: cannot copy the build" >&2; exit 1; }
SVC="$T/nc/bin/netcon-service"
INTERCEPT="$T/nc/bin/intercept"
APPS="$T/nc/tests"
RES="$T/results.tsv"
: >"$RES"
KNS="ncbench-k$$"	# the kernel's loopback figures run in a namespace of our own
XNS="ncbench-x$$"	# the tap peer's namespace
VNS1="ncbench-v1-$$" VNS2="ncbench-v2-$$"	# the kernel's veth pairs (what Docker's bridge gives)
NETNS_MADE=()
# The hosts section's namespaces: the wire (a bridge) and two hosts on it;
# its services' sockets and hosts by name (contexts hk:N and hs:NAME).
HWIRE="ncbench-w$$"
declare -A HNS=([1]="ncbench-h1-$$" [2]="ncbench-h2-$$") HSOCK HHOST HPID
PASTA_NS= SLIRP_NS= PASTA_GW=
HZ=$(getconf CLK_TCK)
START=$SECONDS

bench_cleanup() {
	local n
	cleanup	# tests/lib.sh: stops everything in PIDS, removes $T
	for n in "${NETNS_MADE[@]}"; do ip netns del "$n" 2>/dev/null; done
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# --- recording ----------------------------------------------------------------

# rec SECTION ROW UNIT RUN VALUE KERNEL_VALUE TARGET TAG: one measurement.
rec() {
	local v=${5:--} k=${6:--}
	printf 'R\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${v:--}" "${k:--}" "${7:--}" "${8:--}" >>"$RES"
	printf 'bench: %-10s %-52s run %s: %s %s (kernel %s)\n' "$1" "$2" "$4" "${v:--}" "$3" "${k:--}"
}
note() { printf 'N\t%s\t%s\n' "$1" "$2" >>"$RES"; echo "bench: note ($1): $2"; }
meta() { printf 'M\t%s\t%s\n' "$1" "$2" >>"$RES"; }
rawfile() { printf 'F\t%s\t%s\n' "$1" "$2" >>"$RES"; }
# over_budget: true when the run is past its time budget (later parts are skipped).
over_budget() { [ $((SECONDS - START)) -ge "$BUDGET" ]; }
# section NAME: say where we are, with the time so far.
section() { echo "bench: [$((SECONDS - START)) s] $1"; meta "t_$1" "$((SECONDS - START))"; }

# --- where programs run -------------------------------------------------------

# prefix CTX: the command prefix for a context, in PRE.
#   svc:NAME  through service NAME (intercepted, in a fresh namespace)
#   sec:NAME  the same through the seccomp path (intercept --seccomp)
#   k         the kernel, in our loopback namespace
#   x         the kernel, in the tap peer's namespace
#   v1, v2    the kernel, in the two ends of the veth pairs
#   host      the host (the servers pasta and slirp4netns reach)
#   hk:N      the kernel on simulated host N (its namespace; section hosts)
#   hs:NAME   through service NAME on its simulated host (hosts), in a fresh namespace
#   pasta, slirp  inside the tool's namespace
prefix() {
	case $1 in
	svc:*) PRE=(env "NETCON_SOCKET=$T/${1#svc:}.sock" "${NS[@]}" "$INTERCEPT") ;;
	sec:*) PRE=(env "NETCON_SOCKET=$T/${1#sec:}.sock" "${NS[@]}" "$INTERCEPT" --seccomp) ;;
	k) PRE=(ip netns exec "$KNS") ;;
	x) PRE=(ip netns exec "$XNS") ;;
	v1) PRE=(ip netns exec "$VNS1") ;;
	v2) PRE=(ip netns exec "$VNS2") ;;
	hk:*) PRE=(ip netns exec "${HNS[${1#hk:}]}") ;;
	hs:*) PRE=(env "NETCON_SOCKET=${HSOCK[${1#hs:}]}" NETCON_SERVICE_UID=65534
		ip netns exec "${HNS[${HHOST[${1#hs:}]}]}" unshare -n "$INTERCEPT") ;;
	host) PRE=() ;;
	pasta) PRE=(nsenter -t "$PASTA_NS" -n) ;;
	slirp) PRE=(nsenter -t "$SLIRP_NS" -n) ;;
	*) echo "bench: bad context $1" >&2; PRE=(false) ;;
	esac
}
# run_in CTX CMD...: run CMD there (foreground).
run_in() { prefix "$1"; shift; "${PRE[@]}" "$@"; }
# bg_in CTX LOG CMD...: the same in the background; its PID in LAST_PID and PIDS.
bg_in() {
	prefix "$1"
	local log=$2
	shift 2
	"${PRE[@]}" "$@" >"$T/$log.log" 2>&1 &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
}
# stop PID...: stop processes we started.
stop() {
	local p q keep=()
	for p in "$@"; do kill "$p" 2>/dev/null; done
	for p in "$@"; do wait "$p" 2>/dev/null; done
	for q in "${PIDS[@]}"; do
		for p in "$@"; do [ "$q" = "$p" ] && continue 2; done
		keep+=("$q")
	done
	PIDS=("${keep[@]}")
}
# free_port FROM: a TCP port free on the host's loopback, from FROM on (bounded).
free_port() {
	local p
	for ((p = $1; p < $1 + 200; p++)); do
		[ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return 0; }
	done
	return 1
}
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
ctxsw() { awk '/ctxt_switches/ { s += $2 } END { print s }' "/proc/$1/status"; }
# frames NAME: "in out" link frame counters of service NAME.
frames() {
	timeout 5 "$SVC" status --socket "$T/$1.sock" 2>/dev/null |
		awk '$1 == "link" && $2 == "frames" { print $4, $8 }'
}
# alive NAME: service NAME answers its RPC socket (within 5 s).
alive() { timeout 5 "$SVC" status --socket "$T/$1.sock" >/dev/null 2>&1; }

# --- servers ------------------------------------------------------------------

declare -A SERVER	# "KIND CTX" -> port, once started
declare -A SERVER_PID
# server KIND CTX [BIND]: start (once) a server of KIND in CTX; its port in SPORT.
# Not in $(...): the server's PID must reach PIDS.
server() {
	local kind=$1 ctx=$2 bind=${3:-} key="$1 $2" log base conn
	SPORT=
	if [ -n "${SERVER[$key]:-}" ]; then
		SPORT=${SERVER[$key]}
		return 0
	fi
	case $kind in iperf) base=25201 ;; pingpong) base=25202 ;; echo) base=25203 ;;
		nginx) base=25204 ;; redis) base=25205 ;; sockperf) base=25206 ;; upingpong) base=25207 ;; esac
	SPORT=$base
	# On the host the port must be free; elsewhere the namespace is ours.
	[ "$ctx" = host ] && { SPORT=$(free_port "$base") || return 1; }
	conn=${bind:-127.0.0.1}
	[ "$conn" = 0.0.0.0 ] && conn=127.0.0.1
	log="srv-$kind-${ctx//:/-}"
	case $kind in
	iperf)
		bg_in "$ctx" "$log" iperf3 -s --forceflush -p "$SPORT" ${bind:+-B "$bind"}
		wait_for 10 grep -q "Server listening" "$T/$log.log" ;;
	pingpong)
		bg_in "$ctx" "$log" "$PP" -s -c 0 -p "$SPORT" ${bind:+-b "$bind"}
		wait_for 10 grep -q listening "$T/$log.log" ;;
	upingpong)
		bg_in "$ctx" "$log" "$PP" -s -u -p "$SPORT" ${bind:+-b "$bind"}
		wait_for 10 grep -q listening "$T/$log.log" ;;
	sockperf)
		bg_in "$ctx" "$log" sockperf server --tcp -i "$conn" -p "$SPORT"
		sleep 0.5 ;;
	echo)
		bg_in "$ctx" "$log" "$APPS/test_tx" -x -c 0 -p "$SPORT" ${bind:+-b "$bind"}
		wait_for 10 grep -q listening "$T/$log.log" ;;
	nginx)
		cat >"$T/$log.conf" <<-NGINX
			daemon off;
			master_process on;
			worker_processes 1;
			pid $T/$log.pid;
			error_log $T/$log.err warn;
			events { worker_connections 1024; }
			http {
				access_log off;
				sendfile on;
				keepalive_requests 10000000;
				server {
					listen ${bind:+$bind:}$SPORT;
					root $T/www;
				}
			}
		NGINX
		bg_in "$ctx" "$log" nginx -c "$T/$log.conf" -e "$T/$log.err"
		wait_for 10 run_in "$ctx" curl -s -o /dev/null "http://$conn:$SPORT/index.html" ;;
	redis)
		bg_in "$ctx" "$log" redis-server --port "$SPORT" --bind "${bind:-127.0.0.1}" --save "" \
			--appendonly no --protected-mode no --daemonize no
		wait_for 10 run_in "$ctx" redis-cli -h "$conn" -p "$SPORT" ping ;;
	esac || {
		echo "bench: $kind server in $ctx did not start: $(tail -n 2 "$T/$log.log" | tr '\n' ' ')" >&2
		SPORT=
		return 1
	}
	SERVER[$key]=$SPORT
	SERVER_PID[$key]=$LAST_PID
}

# --- measurements -------------------------------------------------------------

# iperf CTX HOST PORT ARGS...: Gbit/s received (empty on failure).
iperf() {
	local c=$1 h=$2 p=$3
	shift 3
	run_in "$c" timeout $((DUR + 20)) iperf3 -c "$h" -p "$p" -t "$DUR" -J "$@" 2>/dev/null |
		python3 -c 'import json, sys
try:
    print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception:
    pass'
}
# pingpong CTX HOST PORT [taskset...]: "median p99" in µs.
pingpong() {
	local c=$1 h=$2 p=$3
	shift 3
	run_in "$c" "$@" timeout 30 "$PP" -w 5 -p "$p" -d "$PPDUR" "$h" 2>/dev/null |
		awk '/OK/ { print $10 + 0, $13 + 0 }'
}
# upingpong CTX HOST PORT [taskset...]: "median p99 lost" in µs, over UDP.
upingpong() {
	local c=$1 h=$2 p=$3
	shift 3
	run_in "$c" "$@" timeout 30 "$PP" -u -w 5 -p "$p" -d "$PPDUR" "$h" 2>/dev/null |
		awk '/OK/ { l = 0; if ($0 ~ / lost$/) l = $(NF - 1); print $10 + 0, $13 + 0, l + 0 }'
}
# udp_probe CTX HOST PORT LEN PPS: one 1-second iperf3 -u probe offering PPS
# datagrams/s of LEN bytes (0: as fast as the client sends); "sent/s
# received/s loss%", empty on failure. The loss is of what the client sent,
# not iperf3's lost_percent: that counts only gaps in the sequence, and
# datagrams still queued when the test ends (netcon's sockets and the
# switch's can hold thousands) are neither received nor counted lost.
udp_probe() {
	local c=$1 h=$2 p=$3 len=$4 pps=$5
	run_in "$c" timeout 15 iperf3 -c "$h" -p "$p" -u -l "$len" -b $((pps * len * 8)) -t 1 -J 2>/dev/null |
		python3 -c 'import json, sys
try:
    e = json.load(sys.stdin)["end"]
    s, r = e["sum_sent"], e["sum_received"]
    got = r["packets"] - r["lost_packets"]
    print("%d %d %.2f" % (s["packets"] / s["seconds"], got / s["seconds"],
                          max(0, 100 * (1 - got / s["packets"]))))
except Exception:
    pass'
}
# udp_rate CTX HOST PORT LEN TAG: the datagrams/s received at the highest
# offered rate that lost under 1%, empty if none did. A bounded search of
# UPROBES probes at most: first as fast as the client sends (-b 0); if that
# loses 1% or more, the rate the receiver got then is the next offer, and
# from there bisection between the highest offer that kept under 1% (none at
# first: halving) and the lowest that did not, until they are within 5%.
# Every probe is a line of $T/udp-probes.txt: TAG offered sent received loss%.
udp_rate() {
	local c=$1 h=$2 p=$3 len=$4 tag=$5 i out off=0 sent got loss lo=0 hi=0 best=
	for ((i = 0; i < UPROBES; i++)); do
		out=$(udp_probe "$c" "$h" "$p" "$len" "$off")
		echo "$tag $off ${out:-failed}" >>"$T/udp-probes.txt"
		if [ -z "$out" ]; then
			break	# iperf3 failed (see the probes file): what we have
		else
			read -r sent got loss <<<"$out"
			if awk -v l="$loss" 'BEGIN { exit !(l < 1) }'; then
				{ [ -z "$best" ] || [ "$got" -gt "$best" ]; } && best=$got
				[ "$off" = 0 ] && break	# a flood kept under 1%
				lo=$off
			elif [ "$off" = 0 ]; then
				hi=$sent
				off=$got
				[ "$off" -gt 0 ] || off=$((sent / 4))
				continue
			else
				hi=$off
			fi
		fi
		if [ "$lo" = 0 ]; then
			off=$((hi / 2))
		else
			[ $(((hi - lo) * 20)) -le "$hi" ] && break
			off=$(((lo + hi) / 2))
		fi
		[ "$off" -gt 0 ] || break
	done
	echo "$best"
}
# sockperf_pp CTX HOST PORT: "median p99" round trip in µs (twice sockperf's half round trip).
sockperf_pp() {
	run_in "$1" timeout 20 sockperf ping-pong --tcp -i "$2" -p "$3" -t 1 -m 64 2>&1 |
		awk '/percentile 50.000/ { m = $NF * 2 } /percentile 99.000/ { p = $NF * 2 }
			END { if (m) printf "%.1f %.1f\n", m, p }'
}
# connloop CTX HOST PORT: connections per second.
connloop() {
	run_in "$1" timeout 120 "$APPS/connloop" "$2" "$3" "$CONNS" 2>/dev/null |
		sed -n 's/.*(\([0-9]*\)\/s).*/\1/p'
}
# optloop CTX HOST PORT: control calls per second (options and names on one connection).
optloop() {
	run_in "$1" timeout 120 "$APPS/optloop" "$2" "$3" "$OPTS" 2>/dev/null |
		sed -n 's/.*(\([0-9]*\)\/s).*/\1/p'
}
# wrk_rps CTX URL: requests per second (keep-alive, 32 connections).
wrk_rps() {
	run_in "$1" timeout $((WRK_S + 20)) wrk -t1 -c32 -d"${WRK_S}s" "$2" 2>/dev/null |
		awk '/^Requests\/sec/ { printf "%.0f\n", $2 }'
}
# redis_bench CTX HOST PORT: "ping set get" requests per second.
redis_bench() {
	run_in "$1" timeout 120 redis-benchmark -h "$2" -p "$3" -q -t ping_inline,set,get \
		-n "$REDIS_N" -c 20 2>/dev/null | tr '\r' '\n' | awk '/requests per second/ {
			sub(":", "", $1); v[$1] = $2 } END { print v["PING_INLINE"], v["SET"], v["GET"] }'
}

# --- set-up -------------------------------------------------------------------

meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
meta nproc "$(nproc)"
meta kernel "$(uname -sr)"
meta cpu "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
meta commit "$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null)$(git -C "$TOP" diff --quiet HEAD -- src 2>/dev/null || echo ' (with uncommitted changes in src/)')"
meta mode "$([ "$QUICK" = 1 ] && echo quick || echo full)"
meta command "$([ "$SECTIONS" != "bulk latency conn published seccomp udp mem time" ] && echo "SECTIONS=\"$SECTIONS\" ")bench/run.sh${ARGS:+ $ARGS}"
meta sections "$SECTIONS"
meta runs "$RUNS"
meta durations "iperf3 -t $DUR s, ping-pong $PPDUR s, UDP rate search of $UPROBES 1-s iperf3 -u probes at most, connloop $CONNS connections, wrk ${WRK_S} s, redis-benchmark -n $REDIS_N, $IDLE idle connections, CPU over $CPU_BYTES"
meta load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
meta others "$(pgrep -x netcon-service | wc -l)"
meta versions "$(iperf3 --version 2>/dev/null | head -1 | cut -d' ' -f1-2); $(nginx -v 2>&1 | cut -d' ' -f3); $(redis-server --version 2>/dev/null | cut -d' ' -f1-3); passt $(dpkg-query -W -f='${Version}' passt 2>/dev/null); slirp4netns $(slirp4netns --version 2>/dev/null | awk 'NR==1 { print $3 }'); wrk $(dpkg-query -W -f='${Version}' wrk 2>/dev/null)"

# A program's socket through netcon may hold more than one descriptor: room
# for several per idle connection (root may raise the hard limit).
ulimit -Hn $((4 * IDLE + 1000)) 2>/dev/null
ulimit -n "$(ulimit -Hn)" 2>/dev/null
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((2 * IDLE + 500)) ]; then
	note mem "descriptor limit $(ulimit -n): $((IDLE = ($(ulimit -n) - 500) / 2)) idle connections instead (two descriptors each in the program)"
fi
mkdir -p "$T/www"
chmod 755 "$T" "$T/www"	# nginx workers run as www-data
echo "hello from netcon" >"$T/www/index.html"
chmod 644 "$T/www/index.html"

ip netns add "$KNS" && NETNS_MADE+=("$KNS") && ip netns exec "$KNS" ip link set lo up ||
	{ echo "bench: cannot create a network namespace" >&2; exit 1; }

start_service a && start_service b || { echo "bench: services did not start" >&2; exit 1; }
IPA=$(service_ip a 4)
IPB=$(service_ip b 4)

# The tap peer: a service on tap://ncb0 and the kernel on the other side, in
# a namespace of our own.
TAP_OK=0
if want bulk latency && ip netns add "$XNS"; then
	NETNS_MADE+=("$XNS")
	ip netns exec "$XNS" ip link set lo up
	ip netns exec "$XNS" "$SVC" --net tap://ncb0 --ip 198.18.9.1/24 --socket "$T/tap.sock" \
		>"$T/tap.log" 2>&1 &
	PIDS+=($!)
	PID_tap=$!
	if wait_for 10 "$SVC" status --socket "$T/tap.sock" &&
		ip netns exec "$XNS" ip addr add 198.18.9.2/24 dev ncb0 &&
		ip netns exec "$XNS" ip link set ncb0 up; then
		TAP_OK=1
	fi
fi
# The kernel between two namespaces: veth pairs at MTU 1500 (198.18.10.0/24)
# and at veth's largest, 65535 (198.18.11.0/24).
VETH_OK=0
if want bulk && ip netns add "$VNS1"; then
	NETNS_MADE+=("$VNS1")
	if ip netns add "$VNS2"; then
		NETNS_MADE+=("$VNS2")
		VETH_OK=1
		for i in 0 1; do
			mtu=$([ $i = 0 ] && echo 1500 || echo 65535)
			ip -n "$VNS1" link add "vb$i" mtu "$mtu" type veth peer name "vb$i" mtu "$mtu" netns "$VNS2" &&
				ip -n "$VNS1" addr add "198.18.1$i.1/24" dev "vb$i" &&
				ip -n "$VNS2" addr add "198.18.1$i.2/24" dev "vb$i" &&
				ip -n "$VNS1" link set "vb$i" up && ip -n "$VNS2" link set "vb$i" up || VETH_OK=0
		done
		ip -n "$VNS1" link set lo up; ip -n "$VNS2" link set lo up
	fi
fi
[ $VETH_OK = 1 ] || ! want bulk || note bulk-veth "no veth pair could be made"
[ $TAP_OK = 1 ] || ! want bulk latency || note bulk-tap "no tap peer: $(tail -n 2 "$T/tap.log" 2>/dev/null | tr '\n' ' ')"

# The peers: pasta and slirp4netns, each a namespace whose programs reach the
# host's loopback through the tool (pasta maps its gateway address to the
# host's loopback; slirp4netns maps 10.0.2.2).
start_peers() {
	local i
	if ! have pasta; then
		note bulk-peers "pasta: not installed (Debian package passt)"
	else
		# As root pasta drops to nobody unless told otherwise (--runas). It runs
		# the command in new PID and network namespaces: find it as pasta's
		# descendant whose network namespace is not ours.
		pasta -q --runas 0:0 --config-net "${PASTA_FWD[@]}" -- sleep 3600 >"$T/pasta.log" 2>&1 &
		local pasta_pid=$! mine c g
		PIDS+=("$pasta_pid")
		mine=$(readlink /proc/self/ns/net)
		for ((i = 0; i < 100; i++)); do
			[ -n "$PASTA_NS" ] && break
			sleep 0.05
			for c in $(pgrep -P "$pasta_pid"); do
				for g in "$c" $(pgrep -P "$c"); do
					[ "$g" -gt 1 ] && [ "$(readlink "/proc/$g/ns/net" 2>/dev/null)" != "$mine" ] &&
						PASTA_NS=$g
				done
			done
		done
		if [ -n "$PASTA_NS" ]; then
			PIDS+=("$PASTA_NS")
			for ((i = 0; i < 40; i++)); do
				PASTA_GW=$(nsenter -t "$PASTA_NS" -n ip -4 route show default 2>/dev/null |
					awk '{ print $3; exit }')
				[ -n "$PASTA_GW" ] && break
				sleep 0.05
			done
			[ -n "$PASTA_GW" ] || note bulk-peers "pasta: no default route in its namespace (it copies the host's), so no gateway address to map to the host's loopback"
		else
			note bulk-peers "pasta did not start: $(grep -v syslog "$T/pasta.log" | tail -n 2 | tr '\n' ' ')"
		fi
	fi
	if ! have slirp4netns; then
		note bulk-peers "slirp4netns: not installed"
	else
		"${NS[@]}" sleep 3600 &
		SLIRP_NS=$!
		PIDS+=("$SLIRP_NS")
		sleep 0.1
		slirp4netns --configure --mtu=65520 --ready-fd=3 --api-socket "$T/slirp.api" "$SLIRP_NS" tap0 3>"$T/slirp.ready" \
			>"$T/slirp.log" 2>&1 &
		PIDS+=($!)
		for ((i = 0; i < 100; i++)); do [ -s "$T/slirp.ready" ] && break; sleep 0.05; done
		if [ ! -s "$T/slirp.ready" ]; then
			note bulk-peers "slirp4netns did not start: $(tail -n 2 "$T/slirp.log" | tr '\n' ' ')"
			SLIRP_NS=
		fi
	fi
}
want bulk latency conn || PEERS=0
# The published section's port forwards (on the host's loopback, ports free
# there): pasta -t HOSTPORT:PORT, and slirp4netns add_hostfwd through its API
# socket once it runs; for the iperf3, pingpong and echo servers (25201-25203).
PASTA_FWD=() PUB_PASTA=() PUB_SLIRP=()
if want published; then
	p=27200
	for i in 1 2 3; do
		p=$(free_port $((p + 1))) && PUB_PASTA+=("$p") && PASTA_FWD+=(-t "127.0.0.1/$p:$((25200 + i))")
	done
	p=28200
	for i in 1 2 3; do p=$(free_port $((p + 1))) && PUB_SLIRP+=("$p"); done
fi
{ [ "$PEERS" = 1 ] || want published; } && start_peers
PEER_LIST=()
if [ "$PEERS" = 1 ]; then
	[ -n "$PASTA_GW" ] && PEER_LIST+=("pasta:$PASTA_GW")
	[ -n "$SLIRP_NS" ] && PEER_LIST+=("slirp:10.0.2.2")
fi
[ "$PEERS" = 1 ] || [ "$QUICK" = 0 ] || ! want bulk || note bulk-peers "--quick: pasta and slirp4netns not run"

# --- system calls -------------------------------------------------------------

if have perf && perf stat -e raw_syscalls:sys_enter -- true >/dev/null 2>&1; then
	HAVE_PERF=1
else
	HAVE_PERF=0
	note time "perf is not usable here (linux-perf missing or perf_event_paranoid): strace -c only"
fi
# sc_start FILE PID: start recording PID's system calls (perf record of the
# raw_syscalls:sys_enter tracepoint, or strace -c); sc_stop: stop and write
# "name count" lines, most frequent first, to FILE.
UNISTD=$(ls /usr/include/*/asm/unistd_64.h /usr/include/asm/unistd_64.h 2>/dev/null | head -1)
sc_start() {
	SC_FILE=$1
	if [ $HAVE_PERF = 1 ]; then
		perf record -N -q -e raw_syscalls:sys_enter -p "$2" -o "$1.data" >/dev/null 2>&1 &
	else
		strace -c -f -p "$2" -o "$1.raw" >/dev/null 2>&1 &
	fi
	SC_PID=$!
}
sc_stop() {
	kill -INT "$SC_PID" 2>/dev/null
	wait "$SC_PID" 2>/dev/null
	sc_parse
}
sc_parse() {
	if [ $HAVE_PERF = 1 ]; then
		perf script -i "$SC_FILE.data" -F trace 2>/dev/null |
			awk -v names="${UNISTD:-/dev/null}" '
				BEGIN { while ((getline l < names) > 0) { split(l, f, " ");
					if (f[1] == "#define" && f[2] ~ /^__NR_/) nm[f[3]] = substr(f[2], 6) } }
				$1 == "NR" { c[$2]++ }
				END { for (n in c) print (n in nm ? nm[n] : "syscall_" n), c[n] }' |
			sort -k2,2nr >"$SC_FILE"
		rm -f "$SC_FILE.data"
	else
		awk '$4 ~ /^[0-9]+$/ && NF >= 5 && $NF != "total" { print $NF, $4 }' "$SC_FILE.raw" |
			sort -k2,2nr >"$SC_FILE"
	fi
}
# cc_start FILE PID [SECONDS]: start counting PID's system calls by name, exactly and
# without recording (perf stat of raw_syscalls:sys_enter and of the
# syscalls:sys_enter_NAME tracepoints of the calls a data path makes; the
# rest as "other"), or with strace -c -f when perf is not usable; cc_stop:
# stop and write "name count" lines, most frequent first, to FILE, and the
# seconds counted in CC_SECS. With SECONDS, cc_start counts for that long
# (perf stat -- sleep SECONDS) before it returns.
CC_NAMES="recvmsg sendmsg recvmmsg sendmmsg read write readv writev recvfrom sendto
	epoll_wait epoll_pwait epoll_ctl poll ppoll"
cc_start() {
	local ev=raw_syscalls:sys_enter n
	CC_FILE=$1
	CC_T0=$(date +%s.%N)
	if [ $HAVE_PERF = 1 ]; then
		for n in $CC_NAMES; do
			[ -d "/sys/kernel/tracing/events/syscalls/sys_enter_$n" ] && ev="$ev,syscalls:sys_enter_$n"
		done
		CC_PID= CC_SECS=${3:-}
		if [ -n "${3:-}" ]; then
			perf stat -x, -e "$ev" -p "$2" -o "$1.raw" -- sleep "$3" >/dev/null 2>&1
		else
			perf stat -x, -e "$ev" -p "$2" -o "$1.raw" >/dev/null 2>&1 &
			CC_PID=$!
		fi
	else
		sc_start "$1" "$2"
		CC_PID=$SC_PID
		[ -n "${3:-}" ] && sleep "$3"
	fi
}
cc_stop() {
	if [ -n "$CC_PID" ]; then
		kill -INT "$CC_PID" 2>/dev/null
		wait "$CC_PID" 2>/dev/null
	fi
	if [ $HAVE_PERF = 1 ]; then
		awk -F, '$3 == "raw_syscalls:sys_enter" { all = $1 }
			$3 ~ /^syscalls:sys_enter_/ && $1 + 0 > 0 { c[substr($3, 20)] = $1; s += $1 }
			END { for (n in c) print n, c[n]; if (all - s > 0) print "other", all - s }' \
			"$CC_FILE.raw" | sort -k2,2nr >"$CC_FILE"
	else
		CC_SECS=$(awk -v t0="$CC_T0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.3f", t1 - t0 }')
		SC_FILE=$CC_FILE
		sc_parse
	fi
}

# Each section is a function, run at the end in this order when SECTIONS names
# it; the bodies keep the indentation they had at the top level.

# --- 1. bulk throughput -------------------------------------------------------

sec_bulk() {

section bulk
# The switch host's datagram socket send buffers (see diag).
sndbufs() {
	nsenter -t "$PID_a" -n ss -xmp 2>/dev/null | grep "u_dgr.*pid=$PID_a," | grep -o 'tb[0-9]*' | tr '\n' ' '
}
meta diag_sndbuf_start "$(sndbufs)"
server iperf k; KIP=$SPORT
server iperf svc:a; AIP=$SPORT
# Service n: one service with --no-shortcut, every byte through lwIP (the
# shortcut's before and after in one run).
NIP=
start_service n --no-shortcut --net "switch://$T/sw-n" && { server iperf svc:n; NIP=$SPORT; } ||
	note bulk-same-lwip "the --no-shortcut service did not start"
[ $TAP_OK = 1 ] && { server iperf x 198.18.9.2; XIP=$SPORT; }
[ $VETH_OK = 1 ] && { server iperf v2; VIP=$SPORT; }
[ ${#PEER_LIST[@]} -gt 0 ] && { server iperf host 127.0.0.1; HIP=$SPORT; }

# bulk_set SECTION RUN CTX HOST PORT LABEL_FWD LABEL_REV TARGET TAG_PREFIX:
# 1 and 4 streams, both directions, each paired with the kernel's loopback.
bulk_set() {
	local s=$1 r=$2 c=$3 h=$4 p=$5 fwd=$6 rev=$7 tgt=$8 tag=$9 k1 k4 v n
	k1=$(iperf k 127.0.0.1 "$KIP")
	k4=$(iperf k 127.0.0.1 "$KIP" -P 4)
	for n in 1 4; do
		local k=$k1 st="1 stream"
		[ $n = 4 ] && k=$k4 st="4 streams"
		v=$(iperf "$c" "$h" "$p" -P $n)
		rec "$s" "$st, $fwd" Gbit/s "$r" "$v" "$k" "$tgt" "$tag$n-fwd"
		if [ "$s" = bulk-switch ] && [ $n = 1 ]; then
			# The switch host's port towards b: frames a sent and b received.
			local fa0 fb0 fa1 fb1
			fa0=$(frames a); fb0=$(frames b)
			v=$(iperf "$c" "$h" "$p" -P $n -R)
			fa1=$(frames a); fb1=$(frames b)
			rec "$s" "$st, $rev" Gbit/s "$r" "$v" "$k" "$tgt" "$tag$n-rev"
			rec diag "frames lost a → b (switch host to joiner), 1 stream" "%" "$r" \
				"$(echo "${fa0#* } ${fb0% *} ${fa1#* } ${fb1% *}" |
					awk '{ s = $3 - $1; g = $4 - $2; if (s > 0) printf "%.2f", 100 * (s - g) / s }')"
		else
			v=$(iperf "$c" "$h" "$p" -P $n -R)
			rec "$s" "$st, $rev" Gbit/s "$r" "$v" "$k" "$tgt" "$tag$n-rev"
		fi
	done
}

for ((r = 1; r <= RUNS; r++)); do
	bulk_set bulk-same "$r" svc:a 127.0.0.1 "$AIP" "client → server" "server → client" "ratio>=0.9" same
	[ -n "$NIP" ] && bulk_set bulk-same-lwip "$r" svc:n 127.0.0.1 "$NIP" "client → server" \
		"server → client" - lwip
	bulk_set bulk-switch "$r" svc:b "$IPA" "$AIP" "b → a (joiner to switch host)" \
		"a → b (switch host to joiner)" "ratio>=0.5,peers>=1.2" sw
	[ $TAP_OK = 1 ] && bulk_set bulk-tap "$r" svc:tap 198.18.9.2 "$XIP" \
		"service → kernel" "kernel → service" "ratio>=0.3" tap
	if [ $VETH_OK = 1 ] && [ -n "${VIP:-}" ]; then
		for i in 0 1; do
			mtu=$([ $i = 0 ] && echo 1500 || echo 65535)
			bulk_set bulk-veth "$r" v1 "198.18.1$i.2" "$VIP" "MTU $mtu, client → server" \
				"MTU $mtu, server → client" - "veth$i-"
		done
	fi
	for pe in "${PEER_LIST[@]}"; do
		k1=$(iperf k 127.0.0.1 "$KIP")
		k4=$(iperf k 127.0.0.1 "$KIP" -P 4)
		name=${pe%%:*}
		label=$([ "$name" = pasta ] && echo pasta || echo "slirp4netns --mtu=65520")
		for n in 1 4; do
			k=$k1 st="1 stream"
			[ $n = 4 ] && k=$k4 st="4 streams"
			rec bulk-peers "$label: $st, namespace → host" Gbit/s "$r" \
				"$(iperf "$name" "${pe#*:}" "$HIP" -P $n)" "$k" - "sw$n-fwd"
			rec bulk-peers "$label: $st, host → namespace" Gbit/s "$r" \
				"$(iperf "$name" "${pe#*:}" "$HIP" -P $n -R)" "$k" - "sw$n-rev"
		done
	done
done
}

# --- 2. latency -----------------------------------------------------------------

sec_latency() {

section latency
server pingpong k; KPP=$SPORT
server pingpong svc:a; APP=$SPORT
[ $TAP_OK = 1 ] && { server pingpong x 198.18.9.2; XPP=$SPORT; }
[ ${#PEER_LIST[@]} -gt 0 ] && { server pingpong host 127.0.0.1; HPP=$SPORT; }
if [ "$EXTRAS" = 1 ] && have sockperf; then
	server sockperf k; KSP=$SPORT
	server sockperf svc:a; ASP=$SPORT
fi
NCPU=$(nproc)
# lat_pair SECTION ROW RUN CTX HOST PORT TARGET: median and p99 rows against the kernel.
lat_pair() {
	local k=$1 v
	v=$(pingpong "$5" "$6" "$7")
	rec latency "$3: median" µs "$4" "${v% *}" "${k% *}" "$8"
	rec latency "$3: p99" µs "$4" "${v#* }" "${k#* }" -
}
for ((r = 1; r <= RUNS; r++)); do
	over_budget && { note latency "skipped runs from $r on: time budget"; break; }
	k=$(pingpong k 127.0.0.1 "$KPP")
	lat_pair "$k" latency "one service (127.0.0.1)" "$r" svc:a 127.0.0.1 "$APP" "ratio<=1.5"
	k=$(pingpong k 127.0.0.1 "$KPP")
	lat_pair "$k" latency "two services over the switch" "$r" svc:b "$IPA" "$APP" "ratio<=1.5"
	if [ $TAP_OK = 1 ]; then
		k=$(pingpong k 127.0.0.1 "$KPP")
		lat_pair "$k" latency "service ↔ kernel over tap" "$r" svc:tap 198.18.9.2 "$XPP" -
	fi
	for pe in "${PEER_LIST[@]}"; do
		k=$(pingpong k 127.0.0.1 "$KPP")
		lat_pair "$k" latency "${pe%%:*}: namespace → host" "$r" "${pe%%:*}" "${pe#*:}" "$HPP" -
	done
	if [ "$EXTRAS" = 1 ]; then
		# Everything on one CPU: no cross-CPU wake-ups, only the work itself.
		taskset -pc 0 "$PID_a" >/dev/null
		for p in "${SERVER_PID[pingpong svc:a]}" "${SERVER_PID[pingpong k]}"; do
			taskset -pc 0 "$p" >/dev/null
		done
		k=$(pingpong k 127.0.0.1 "$KPP" taskset -c 0)
		v=$(pingpong svc:a 127.0.0.1 "$APP" taskset -c 0)
		rec latency "one service, all on CPU 0: median" µs "$r" "${v% *}" "${k% *}" "ratio<=1.5"
		rec latency "one service, all on CPU 0: p99" µs "$r" "${v#* }" "${k#* }" -
		taskset -pc "0-$((NCPU - 1))" "$PID_a" >/dev/null
		for p in "${SERVER_PID[pingpong svc:a]}" "${SERVER_PID[pingpong k]}"; do
			taskset -pc "0-$((NCPU - 1))" "$p" >/dev/null
		done
		if [ -n "${ASP:-}" ]; then
			k=$(sockperf_pp k 127.0.0.1 "$KSP")
			v=$(sockperf_pp svc:a 127.0.0.1 "$ASP")
			rec latency "sockperf, one service: median" µs "$r" "${v% *}" "${k% *}" -
			rec latency "sockperf, one service: p99" µs "$r" "${v#* }" "${k#* }" -
		fi
	fi
done
[ "$EXTRAS" = 1 ] && ! have sockperf && note latency "sockperf not installed: pingpong.c only"
}

# --- 3. connections per second, nginx + wrk, redis ------------------------------

sec_conn() {

section conn
server echo k; KEC=$SPORT
server echo svc:a; AEC=$SPORT
for ((r = 1; r <= RUNS; r++)); do
	over_budget && { note conn "skipped runs from $r on: time budget"; break; }
	k=$(connloop k 127.0.0.1 "$KEC")
	rec conn "one service (127.0.0.1)" conn/s "$r" "$(connloop svc:a 127.0.0.1 "$AEC")" "$k" "ratio>=0.7"
	k=$(connloop k 127.0.0.1 "$KEC")
	rec conn "two services over the switch" conn/s "$r" "$(connloop svc:b "$IPA" "$AEC")" "$k" "ratio>=0.6"
done

if [ "$WRK" = 1 ] && have wrk && have nginx; then
	server nginx k 127.0.0.1; KNG=$SPORT
	server nginx svc:a; ANG=$SPORT
	[ ${#PEER_LIST[@]} -gt 0 ] && { server nginx host 127.0.0.1; HNG=$SPORT; }
	for ((r = 1; r <= RUNS; r++)); do
		over_budget && { note wrk "skipped runs from $r on: time budget"; break; }
		k=$(wrk_rps k "http://127.0.0.1:$KNG/index.html")
		rec wrk "one service (127.0.0.1)" req/s "$r" \
			"$(wrk_rps svc:a "http://127.0.0.1:$ANG/index.html")" "$k" "ratio>=0.9"
		k=$(wrk_rps k "http://127.0.0.1:$KNG/index.html")
		rec wrk "two services over the switch" req/s "$r" \
			"$(wrk_rps svc:b "http://$IPA:$ANG/index.html")" "$k" "ratio>=0.8"
		for pe in "${PEER_LIST[@]}"; do
			k=$(wrk_rps k "http://127.0.0.1:$KNG/index.html")
			rec wrk "${pe%%:*}: namespace → host" req/s "$r" \
				"$(wrk_rps "${pe%%:*}" "http://${pe#*:}:$HNG/index.html")" "$k" -
		done
	done
else
	[ "$WRK" = 1 ] && note wrk "wrk or nginx missing" || note wrk "--quick: nginx + wrk not run"
fi

if have redis-server && have redis-benchmark; then
	server redis k; KRD=$SPORT
	server redis svc:a 0.0.0.0; ARD=$SPORT
	for ((r = 1; r <= RUNS; r++)); do
		over_budget && { note redis "skipped runs from $r on: time budget"; break; }
		k=($(redis_bench k 127.0.0.1 "$KRD"))
		v=($(redis_bench svc:a 127.0.0.1 "$ARD"))
		w=($(redis_bench svc:b "$IPA" "$ARD"))
		i=0
		for t in PING_INLINE SET GET; do
			rec redis "$t, one service" req/s "$r" "${v[$i]:-}" "${k[$i]:-}" -
			rec redis "$t, two services over the switch" req/s "$r" "${w[$i]:-}" "${k[$i]:-}" -
			i=$((i + 1))
		done
	done
else
	note redis "redis-server or redis-benchmark missing"
fi
}

# --- 3b. UDP: datagram rates and ping-pong --------------------------------------

# udp_alive NAME: the service still answers; if not, a note with what it is
# doing (its system calls over 1 s, its stack), and false.
udp_alive() {
	local pid
	alive "$1" && return 0
	eval "pid=\$PID_$1"
	timeout 2 strace -c -f -p "$pid" -o "$T/wedged-$1.txt" >/dev/null 2>&1
	note udp "service $1 stopped answering after a UDP run (the rest of UDP is skipped); its system calls over 1 s: $(awk '$4 ~ /^[0-9]+$/ && $NF != "total" { printf "%s %s, ", $NF, $4 }' "$T/wedged-$1.txt" 2>/dev/null)stack: $(timeout 10 gdb -p "$pid" -batch -ex bt 2>/dev/null | grep -o ' in [a-z_0-9]* (' | sed 's/ in \(.*\) (/\1/' | head -8 | tr '\n' ' ')"
	return 1
}

sec_udp() {
section udp
server iperf k; KIP=$SPORT
server iperf svc:a; AIP=$SPORT
: >>"$T/udp-probes.txt"
rawfile udp-probes "$T/udp-probes.txt"
for ((r = 1; r <= RUNS; r++)); do
	over_budget && { note udp "skipped runs from $r on: time budget"; break; }
	for len in 64 1400; do
		k=$(udp_rate k 127.0.0.1 "$KIP" $len "kernel-$len-$r")
		v=$(udp_rate svc:a 127.0.0.1 "$AIP" $len "same-$len-$r")
		udp_alive a || return 0
		[ -n "$v" ] && [ "$len" = 64 ] && [ -z "${UDP_RATE64:-}" ] && UDP_RATE64=$v
		rec udp "$len-byte datagrams, one service (127.0.0.1)" dgram/s "$r" "$v" "$k" "ratio>=0.5" "same$len"
		v=$(udp_rate svc:b "$IPA" "$AIP" $len "switch-$len-$r")
		udp_alive a && udp_alive b || return 0
		rec udp "$len-byte datagrams, two services over the switch" dgram/s "$r" "$v" "$k" "ratio>=0.5" "sw$len"
	done
done

section udp-latency
server upingpong k; KUP=$SPORT
server upingpong svc:a; AUP=$SPORT
# ulat_pair ROW RUN KERNEL CTX HOST PORT TARGET [taskset...]: median and p99 rows.
ulat_pair() {
	local row=$1 run=$2 k=$3 c=$4 h=$5 p=$6 tgt=$7 v
	shift 7
	v=$(upingpong "$c" "$h" "$p" "$@")
	rec udp-latency "$row: median" µs "$run" "$(echo "$v" | cut -d' ' -f1)" "$(echo "$k" | cut -d' ' -f1)" "$tgt"
	rec udp-latency "$row: p99" µs "$run" "$(echo "$v" | cut -s -d' ' -f2)" "$(echo "$k" | cut -s -d' ' -f2)" -
	[ -n "$v" ] && [ "${v##* }" != 0 ] && note udp-latency "run $run, $row: ${v##* } datagrams lost (resent after 500 ms)"
	[ -n "$k" ] && [ "${k##* }" != 0 ] && note udp-latency "run $run, $row: the kernel lost ${k##* } datagrams"
}
for ((r = 1; r <= RUNS; r++)); do
	over_budget && { note udp-latency "skipped runs from $r on: time budget"; break; }
	ulat_pair "one service (127.0.0.1)" "$r" "$(upingpong k 127.0.0.1 "$KUP")" svc:a 127.0.0.1 "$AUP" "ratio<=1.5"
	udp_alive a || return 0
	ulat_pair "two services over the switch" "$r" "$(upingpong k 127.0.0.1 "$KUP")" svc:b "$IPA" "$AUP" "ratio<=1.5"
	udp_alive a && udp_alive b || return 0
	# Everything on one CPU, as for TCP: the service, both servers, the clients.
	for p in "$PID_a" "${SERVER_PID[upingpong svc:a]}" "${SERVER_PID[upingpong k]}"; do
		taskset -pc 0 "$p" >/dev/null
	done
	k=$(upingpong k 127.0.0.1 "$KUP" taskset -c 0)
	ulat_pair "one service, all on CPU 0" "$r" "$k" svc:a 127.0.0.1 "$AUP" "ratio<=1.5" taskset -c 0
	for p in "$PID_a" "${SERVER_PID[upingpong svc:a]}" "${SERVER_PID[upingpong k]}"; do
		taskset -pc "0-$(($(nproc) - 1))" "$p" >/dev/null
	done
	udp_alive a || return 0
done

# Where a datagram's time goes in the service: one service, 64-byte
# datagrams offered at the rate found above (as fast as the client sends if
# none was), counted over 1 s (perf stat, or strace -c -f), profiled over 1 s
# (perf record), then the calls named over 1 s (sc_start); the datagram rate
# is iperf3's receiver figure over the whole run.
if ! over_budget || [ "$QUICK" = 1 ]; then
	local rate=${UDP_RATE64:-0} t0 t1 c0 c1 w0 w1
	bg_in svc:a udp-time timeout 30 iperf3 -c 127.0.0.1 -p "$AIP" -u -l 64 -b $((rate * 512)) -t 8 -J
	uw=$LAST_PID
	sleep 1
	t0=$(ticks "$PID_a") c0=$(ctxsw "$PID_a") w0=$(date +%s.%N)
	cc_start "$T/sys-udp.txt" "$PID_a" 1
	cc_stop
	t1=$(ticks "$PID_a") c1=$(ctxsw "$PID_a") w1=$(date +%s.%N)
	if [ $HAVE_PERF = 1 ]; then
		perf record -N -e cpu-clock -F 4999 -p "$PID_a" -o "$T/uperf.data" -- sleep 1 \
			>"$T/uperf-record.log" 2>&1
	fi
	wait "$uw"
	stop "$uw"
	# rate offered, received/s and loss over the whole run, then the seconds
	# the calls were counted, and over that second: the service's CPU %, its
	# context switches per second
	meta udp_time "$rate $(python3 -c 'import json, sys
try:
    e = json.load(open(sys.argv[1]))["end"]
    s, r = e["sum_sent"], e["sum_received"]
    got = r["packets"] - r["lost_packets"]
    print("%d %.2f" % (got / s["seconds"], max(0, 100 * (1 - got / s["packets"]))))
except Exception:
    print("0 0")' "$T/udp-time.log") $(awk -v t=$((t1 - t0)) -v c=$((c1 - c0)) -v hz="$HZ" -v w0="$w0" -v w1="$w1" \
		-v cs="$CC_SECS" 'BEGIN { printf "%s %.0f %.0f", cs, 100 * t / hz / (w1 - w0), c / (w1 - w0) }')"
	rawfile sys-udp "$T/sys-udp.txt"
	if [ $HAVE_PERF = 1 ] && [ -s "$T/uperf.data" ]; then
		perf report -i "$T/uperf.data" --no-children --sort pid --stdio 2>/dev/null |
			grep -v '^#' | grep '%' >"$T/perf-udp-pid.txt"
		perf report -i "$T/uperf.data" --no-children --sort pid,dso,sym --stdio --percent-limit 0.1 \
			2>/dev/null | grep -v '^#' | grep '%' >"$T/perf-udp-sym.txt"
		rawfile perf-udp-pid "$T/perf-udp-pid.txt"
		rawfile perf-udp-sym "$T/perf-udp-sym.txt"
		meta udp_time_pid "$PID_a"
	fi
	# UDP ping-pong through one service: its system calls (counted over the
	# whole run, warm-up included) and context switches per round trip.
	server upingpong svc:a; AUP=$SPORT
	c0=$(ctxsw "$PID_a")
	cc_start "$T/sys-upp.txt" "$PID_a"
	sleep 0.3
	out=$(run_in svc:a timeout 30 "$PP" -u -w 5 -p "$AUP" -d 1 127.0.0.1 2>/dev/null)
	cc_stop
	c1=$(ctxsw "$PID_a")
	meta udp_time_pp "$(echo "$out" | awk '/OK/ { print $3 + 1000 }') $((c1 - c0))"
	rawfile sys-upp "$T/sys-upp.txt"
else
	note udp "where the time goes: skipped (time budget)"
fi
}

# --- 3c. published ports: a kernel client reaches a server inside ---------------

# slirp_fwd HOSTPORT GUESTPORT: slirp4netns add_hostfwd (127.0.0.1:HOSTPORT on
# the host to 10.0.2.100:GUESTPORT in its namespace) through its API socket.
slirp_fwd() {
	python3 - "$T/slirp.api" "$1" "$2" <<-'PY'
		import json, socket, sys
		s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		s.settimeout(5)
		s.connect(sys.argv[1])
		s.sendall(json.dumps({"execute": "add_hostfwd", "arguments": {"proto": "tcp",
		    "host_addr": "127.0.0.1", "host_port": int(sys.argv[2]), "guest_port": int(sys.argv[3])}}).encode())
		s.shutdown(socket.SHUT_WR)
		r = s.recv(4096).decode()
		sys.exit(0 if '"return"' in r else "add_hostfwd: " + r)
	PY
}

sec_published() {
section published
# Each path: a server inside (iperf3 -s, pingpong -s, test_tx -x on
# 25201-25203) and a kernel client on the loopback of the namespace the
# forwarder runs in, to 127.0.0.1:HOSTPORT.
#   netcon: service "pub", on a switch of its own, runs in the kernel's
#     loopback namespace (KNS) with --publish 127.0.0.1:2620N:2520N; the servers
#     are intercepted through it, the clients run in KNS.
#   pasta: -t 127.0.0.1/HOSTPORT:2520N on the host, servers in its namespace.
#   slirp4netns: add_hostfwd 127.0.0.1:HOSTPORT → 10.0.2.100:2520N on the
#     host, servers in its namespace.
# The kernel figure: the same client and server both in KNS (no forwarder).
local paths=() fwd pe name cli h i r k v
server iperf k; KIP=$SPORT
server pingpong k; KPP=$SPORT
server echo k; KEC=$SPORT
local pub=() i
for i in 1 2 3; do pub+=(--publish "127.0.0.1:$((26200 + i)):$((25200 + i))"); done
ip netns exec "$KNS" "$SVC" --net "switch://$T/sw-pub" --socket "$T/pub.sock" "${pub[@]}" \
	>"$T/pub.log" 2>&1 &
PIDS+=($!)
PID_pub=$!
if wait_for 10 "$SVC" status --socket "$T/pub.sock" &&
	server iperf svc:pub && server pingpong svc:pub && server echo svc:pub &&
	wait_for 10 eval "ip netns exec $KNS ss -Htln 'sport = :26203' | grep -q ."; then
	paths+=("netcon --publish|k|26201 26202 26203")
else
	note published "netcon: the service with --publish did not start: $(tail -n 2 "$T/pub.log" | tr '\n' ' ')"
fi
if [ -n "$PASTA_NS" ] && [ ${#PUB_PASTA[@]} = 3 ]; then
	if server iperf pasta && server pingpong pasta && server echo pasta &&
		wait_for 5 eval "ss -Htln 'sport = :${PUB_PASTA[2]}' | grep -q ."; then
		paths+=("pasta -t|host|${PUB_PASTA[*]}")
	else
		note published "pasta: its servers or forwards did not come up"
	fi
else
	note published "pasta: not running (see the notes of bulk-peers)"
fi
if [ -n "$SLIRP_NS" ] && [ ${#PUB_SLIRP[@]} = 3 ]; then
	if server iperf slirp && server pingpong slirp && server echo slirp &&
		{ slirp_fwd "${PUB_SLIRP[0]}" 25201 && slirp_fwd "${PUB_SLIRP[1]}" 25202 &&
			slirp_fwd "${PUB_SLIRP[2]}" 25203; } >"$T/slirp-fwd.log" 2>&1; then
		paths+=("slirp4netns --mtu=65520 add_hostfwd|host|${PUB_SLIRP[*]}")
	else
		note published "slirp4netns: its servers or add_hostfwd failed: $(tail -n 1 "$T/slirp-fwd.log" 2>/dev/null)"
	fi
else
	note published "slirp4netns: not running"
fi
for ((r = 1; r <= RUNS; r++)); do
	[ "$r" -gt 1 ] && over_budget && { note published "skipped runs from $r on: time budget"; break; }
	for pe in "${paths[@]}"; do
		name=${pe%%|*} cli=${pe#*|} fwd=(${cli#*|}) cli=${cli%%|*}
		k=$(iperf k 127.0.0.1 "$KIP")
		rec published "$name: 1 stream, host client → server inside" Gbit/s "$r" \
			"$(iperf "$cli" 127.0.0.1 "${fwd[0]}")" "$k" - "pub-fwd"
		k=$(iperf k 127.0.0.1 "$KIP" -R)
		rec published "$name: 1 stream, server inside → host client" Gbit/s "$r" \
			"$(iperf "$cli" 127.0.0.1 "${fwd[0]}" -R)" "$k" - "pub-rev"
		k=$(pingpong k 127.0.0.1 "$KPP")
		v=$(pingpong "$cli" 127.0.0.1 "${fwd[1]}")
		rec published "$name: ping-pong median" µs "$r" "${v% *}" "${k% *}" - "pub-ppm"
		rec published "$name: ping-pong p99" µs "$r" "${v#* }" "${k#* }" - "pub-pp99"
		k=$(connloop k 127.0.0.1 "$KEC")
		rec published "$name: new connections" conn/s "$r" "$(connloop "$cli" 127.0.0.1 "${fwd[2]}")" "$k" - "pub-conn"
	done
done
alive pub || note published "the service with --publish stopped answering"
}

# --- 3d. the seccomp path: what a trapped call costs -----------------------------

sec_seccomp() {
section seccomp
# The same dynamic programs through service a, caught by LD_PRELOAD and by
# seccomp user notification (intercept --seccomp): new connections (two
# trapped calls each), control calls on one connection (each one trapped),
# and bulk data, which is never trapped.
server echo k; KEC=$SPORT
server echo svc:a; AEC=$SPORT
server iperf k; KIP=$SPORT
server iperf svc:a; AIP=$SPORT
if ! run_in sec:a true 2>/dev/null; then
	note seccomp "the seccomp path cannot run here: $("$T/nc/bin/netcon-supervise" --check 2>&1)"
	return
fi
local r k ctx how
for ((r = 1; r <= RUNS; r++)); do
	[ "$r" -gt 1 ] && over_budget && { note seccomp "skipped runs from $r on: time budget"; break; }
	for ctx in svc:a sec:a; do
		how=$([ "$ctx" = svc:a ] && echo LD_PRELOAD || echo seccomp)
		k=$(connloop k 127.0.0.1 "$KEC")
		rec seccomp "$how: new connections" conn/s "$r" "$(connloop "$ctx" 127.0.0.1 "$AEC")" "$k" - "sec-conn"
		k=$(optloop k 127.0.0.1 "$KEC")
		rec seccomp "$how: control calls (setsockopt, getsockopt ×2, getsockname, getpeername)" calls/s \
			"$r" "$(optloop "$ctx" 127.0.0.1 "$AEC")" "$k" - "sec-opt"
		k=$(iperf k 127.0.0.1 "$KIP")
		rec seccomp "$how: 1 stream, client → server" Gbit/s "$r" "$(iperf "$ctx" 127.0.0.1 "$AIP")" "$k" - "sec-bulk"
	done
done
}

# --- 3e. several hosts: the local switch's uplink between two hosts -------------

# As in tests/suites/hosts.sh: each host is a network namespace whose veth end
# sits on a bridge in a "wire" namespace (underlay 198.19.0.0/24, MTU 1500,
# multicast routed to the wire); each host's services share its local switch
# (NETCON_DIR=$T/DIR) and the one hosting it carries the uplink. Deleting the
# namespaces deletes the veth pairs and the bridge.
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
TINCD=$(command -v tincd || echo /usr/sbin/tincd)

# hosts_make: the wire, its bridge, hosts 1 and 2 on it.
hosts_make() {
	local i n
	ip netns add "$HWIRE" || return 1
	NETNS_MADE+=("$HWIRE")
	ip -n "$HWIRE" link add br0 type bridge && ip -n "$HWIRE" link set br0 up || return 1
	for i in 1 2; do
		n=${HNS[$i]}
		ip netns add "$n" || return 1
		NETNS_MADE+=("$n")
		ip link add "ncb$$-$i" netns "$n" type veth peer name "p$i" netns "$HWIRE" &&
			ip -n "$HWIRE" link set "p$i" master br0 up &&
			ip -n "$n" link set lo up &&
			ip -n "$n" link set "ncb$$-$i" name eth0 &&
			ip -n "$n" addr add "198.19.0.$i/24" dev eth0 &&
			ip -n "$n" link set eth0 up &&
			ip -n "$n" route add 224.0.0.0/4 dev eth0 || return 1
	done
	# A bridge port forwards only once it leaves its listening state.
	wait_for 10 ip netns exec "${HNS[2]}" ping -c 1 -W 1 198.19.0.1
}

# hosts_vxlan GROUP: the kernel's own VXLAN (vx0, VNI 42, port 4789) on both
# hosts, 198.18.200.N/24, MTU 1450.
hosts_vxlan() {
	local i n
	for i in 1 2; do
		n=${HNS[$i]}
		ip -n "$n" link add vx0 type vxlan id 42 group "$1" dev eth0 dstport 4789 &&
			ip -n "$n" link set vx0 mtu 1450 &&
			ip -n "$n" addr add "198.18.200.$i/24" dev vx0 &&
			ip -n "$n" link set vx0 up || return 1
	done
	wait_for 10 ip netns exec "${HNS[2]}" ping -c 1 -W 1 198.18.200.1
}

# hsvc H NAME DIR USER [OPTIONS...]: a service on host H (in its namespace,
# not a fresh one: the uplink uses the host's network), its switch folder
# $T/DIR, socket $T/DIR/NAME.sock, log $T/NAME.log; USER root or nobody.
hsvc() {
	local h=$1 name=$2 dir=$3 who=$4 run=()
	shift 4
	mkdir -p "$T/$dir"
	if [ "$who" = nobody ]; then
		chown nobody:nogroup "$T/$dir"
		run=("${NOBODY[@]}")
	fi
	HSOCK[$name]=$T/$dir/$name.sock HHOST[$name]=$h
	NETCON_DIR="$T/$dir" ip netns exec "${HNS[$h]}" "${run[@]}" "$SVC" --socket "${HSOCK[$name]}" \
		--name "$name" "$@" >"$T/$name.log" 2>&1 &
	PIDS+=($!)
	HPID[$name]=$!
	wait_for 10 env NETCON_SERVICE_UID=65534 "$SVC" status --socket "${HSOCK[$name]}"
}
hstatus() { timeout 5 env NETCON_SERVICE_UID=65534 "$SVC" status --socket "${HSOCK[$1]}" 2>/dev/null; }

# tinc_run H: tincd for host H as nobody in the host's namespace; $HPID[tincH].
tinc_run() {
	local h=$1 d=$T/tinc/$1
	ip netns exec "${HNS[$h]}" "${NOBODY[@]}" "$TINCD" -c "$d" -D -d1 --pidfile="$d/run/pid" \
		--logfile="$d/run/tinc.log" </dev/null >>"$d/run/console" 2>&1 &
	PIDS+=($!)
	HPID[tinc$h]=$!
	wait_for 10 test -S "$d/run/uml.sock"
}

# hiperf CTX HOST PORT: "Gbit/s retransmits" of one 1-stream iperf3 run
# (retransmits "-" when iperf3 has none to report), empty on failure.
hiperf() {
	run_in "$1" timeout $((DUR + 20)) iperf3 -c "$2" -p "$3" -t "$DUR" -J 2>/dev/null |
		python3 -c 'import json, sys
try:
    e = json.load(sys.stdin)["end"]
    print("%.2f %s" % (e["sum_received"]["bits_per_second"] / 1e9, e["sum_sent"].get("retransmits", "-")))
except Exception:
    pass'
}
# hreach CTX HOST PORT: a short ping-pong gets through (the path is up: ARP,
# the uplinks' learning, tinc's UDP).
hreach() { run_in "$1" timeout 10 "$PP" -w 5 -p "$3" -d 0.2 "$2" 2>/dev/null | grep -q OK; }
# snmp_sum PROTO FIELD: a counter of /proc/net/snmp (e.g. Ip FragCreates,
# Udp RcvbufErrors), the two hosts' kernels added up.
snmp_sum() {
	local i s=0 v
	for i in 1 2; do
		v=$(ip netns exec "${HNS[$i]}" awk -v p="$1:" -v f="$2" '$1 == p { if (!h) {
			for (j = 2; j <= NF; j++) c[$j] = j; h = 1 } else if (f in c) print $c[f] }' /proc/net/snmp 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo "$s"
}

# hcpu_start NAME...: the CPU time so far of these services (and of each one's
# netcon-uplink) or tincds (tincH); hcpu_stop: "NAME PERCENT ..." since then,
# in % of one CPU over the wall time.
hcpu_start() {
	local n p u
	HCPU_N=() HCPU_P=() HCPU_T=()
	for n in "$@"; do
		p=${HPID[$n]:-}
		[ -n "$p" ] || continue
		HCPU_N+=("$n") HCPU_P+=("$p")
		u=$(pgrep -P "$p" -x netcon-uplink | head -n 1)
		[ -n "$u" ] && HCPU_N+=("$n-uplink") HCPU_P+=("$u")
	done
	for p in "${HCPU_P[@]}"; do HCPU_T+=("$(ticks "$p")"); done
	HCPU_W=$(date +%s.%N)
}
hcpu_stop() {
	local i w
	w=$(date +%s.%N)
	for i in "${!HCPU_P[@]}"; do
		awk -v n="${HCPU_N[$i]}" -v t=$(($(ticks "${HCPU_P[$i]}") - HCPU_T[i])) -v hz="$HZ" \
			-v w0="$HCPU_W" -v w1="$w" 'BEGIN { printf "%s %.0f ", n, 100 * t / hz / (w1 - w0) }'
	done
}

sec_hosts() {
section hosts
local id=$(($$ % 200 + 1)) r i p pe label cli ip srv v kv kp kmtu umtu lmtu imtu f0 f1 ok
local paths=() pp_rows=() retr=()
local vgroup=239.18.1.$id kgroup=239.18.2.$id
if ! hosts_make; then
	note hosts "the simulated hosts (namespaces, veth pairs, bridge) could not be made"
	hosts_teardown
	return
fi
meta hosts_groups "vxvde $vgroup, kernel VXLAN $kgroup"
hosts_vxlan "$kgroup" || note hosts "the kernel's VXLAN (vx0) did not come up"
umtu=$(ip -n "${HNS[1]}" -o link show eth0 | grep -o 'mtu [0-9]*' | cut -d' ' -f2)
kmtu=$(ip -n "${HNS[1]}" -o link show vx0 2>/dev/null | grep -o 'mtu [0-9]*' | cut -d' ' -f2)
f0=$(snmp_sum Ip FragCreates)
server iperf hk:1 || { note hosts "no iperf3 server on host 1"; hosts_teardown; return; }
KHIP=$SPORT
server pingpong hk:1; KHPP=$SPORT
# netcon over vxvde://: one service per host hosting its switch and carrying
# the uplink (v1, v2), and one more per host joining that switch (v1b, v2b).
for i in 1 2; do
	hsvc "$i" "v$i" "hv$i" root --ip "198.18.$i.1/16" --uplink "vxvde://$vgroup" &&
		hsvc "$i" "v${i}b" "hv$i" root --ip "198.18.$i.2/16" ||
		note hosts "vxvde: the services of host $i did not start: $(tail -n 2 "$T/v$i.log" | tr '\n' ' ')"
done
# netcon over tinc (uml://): tincd, the services, unprivileged as in the test
# suite (the programs run as root and trust the services' uid).
ok=0
if have tincd || [ -x "$TINCD" ]; then
	if tinc_configs "$T/tinc" "$TINCD" && tinc_run 1 && tinc_run 2; then
		hsvc 1 t1 ht1 nobody --ip 198.18.21.1/16 --uplink "uml://$T/tinc/1/run/uml.sock" &&
			hsvc 2 t2 ht2 nobody --ip 198.18.22.1/16 --uplink "uml://$T/tinc/2/run/uml.sock" && ok=1 ||
			note hosts "tinc: the services did not start: $(tail -n 2 "$T/t1.log" "$T/t2.log" | tr '\n' ' ')"
	else
		note hosts "tinc did not start: $(tail -n 3 "$T"/tinc/*/run/console "$T"/tinc/*/keygen.log 2>/dev/null | tr '\n' ' ')"
	fi
else
	note hosts "tinc: tincd not installed (Debian package tinc)"
fi

# The paths: LABEL|CLIENT CTX|SERVER ADDRESS|SERVER CTX|PROCESSES, the
# reference first; PROCESSES: the services and tincds whose CPU time (and
# their netcon-uplinks') is taken over each throughput run.
[ -n "$kmtu" ] && paths+=("kernel VXLAN (vx0, MTU $kmtu)|hk:2|198.18.200.1|hk:1")
paths+=("kernel, plain underlay (eth0, MTU $umtu)|hk:2|198.19.0.1|hk:1")
# lmtu NAME: "link MTU L, interface I" of a service (its log, its status).
lmtu() {
	local l m
	l=$(grep -o 'link MTU [0-9]*' "$T/$1.log" | head -n 1 | cut -d' ' -f3)
	m=$(hstatus "$1" | awk '$1 == "mac" { print $4 }')
	echo "link MTU ${l:-?}, interface ${m:-?}"
}
for pe in "v1 v2 v1,v2 netcon, vxvde uplink" \
	"v1b v2b v1,v1b,v2,v2b netcon, vxvde uplink, programs on the second service of each host" \
	"t1 t2 t1,t2,tinc1,tinc2 netcon, tinc uplink (uml://)"; do
	read -r srv cli procs label <<<"$pe"
	[ -n "${HSOCK[$srv]:-}" ] && [ -n "${HSOCK[$cli]:-}" ] && hstatus "$srv" >/dev/null &&
		hstatus "$cli" >/dev/null || continue
	ip=$(hstatus "$srv" | awk '$1 == "ipv4" { sub("/.*", "", $2); print $2 }')
	if ! server iperf "hs:$srv" || ! server pingpong "hs:$srv"; then
		note hosts "$label: its servers did not start"
		continue
	fi
	# The uplink is carried by the host's first service (it hosts the switch).
	for i in "${srv%b}" "${cli%b}"; do
		hstatus "$i" | grep -q '^uplink .*carried here' ||
			note hosts "$label: service $i does not carry the uplink: $(hstatus "$i" | grep -E '^(link|uplink)' | tr '\n' ' ')"
	done
	if ! { hreach "hs:$cli" "$ip" "${SERVER[pingpong hs:$srv]}" || hreach "hs:$cli" "$ip" "${SERVER[pingpong hs:$srv]}"; }; then
		note hosts "$label: host 2 cannot reach $ip on host 1: $(tail -n 2 "$T/$srv.log" | tr '\n' ' ')"
		continue
	fi
	paths+=("$label ($(lmtu "$cli"))|hs:$cli|$ip|hs:$srv|${procs//,/ }")
done
hreach hk:2 198.19.0.1 "$KHPP" || note hosts "the underlay: host 2 cannot reach host 1's ping-pong server"
[ -n "$kmtu" ] && { hreach hk:2 198.18.200.1 "$KHPP" || note hosts "kernel VXLAN: no ping-pong through vx0"; }

for ((r = 1; r <= RUNS; r++)); do
	[ "$r" -gt 1 ] && over_budget && { note hosts "skipped runs from $r on: time budget"; break; }
	# Throughput, host 2's client to host 1's server; the reference first.
	kv=
	for pe in "${paths[@]}"; do
		IFS='|' read -r label cli ip srv procs <<<"$pe"
		p=${SERVER[iperf $srv]}
		hcpu_start $procs
		i=$(snmp_sum Udp RcvbufErrors)
		v=$(hiperf "$cli" "$ip" "$p")
		[ -n "$procs" ] && meta "hosts_cpu:$label:$r" "$(hcpu_stop)"
		# UDP datagrams the hosts' kernels dropped for a full receive buffer
		# (the uplinks' and tincd's sockets, the kernel VXLAN's)
		meta "hosts_udpdrop:$label:$r" "$(($(snmp_sum Udp RcvbufErrors) - i))"
		# (netcon's TCP_INFO has no retransmit count: iperf3 would say 0)
		[[ $cli == hk:* ]] && retr+=("$label|$r|${v#* }")
		if [ "$label" = "${paths[0]%%|*}" ] && [[ $label == "kernel VXLAN"* ]]; then
			kv=${v% *}
			rec hosts "$label: 1 stream, host 2 → host 1" Gbit/s "$r" "$kv" - - hosts-bulk
		else
			rec hosts "$label: 1 stream, host 2 → host 1" Gbit/s "$r" "${v% *}" "$kv" - hosts-bulk
		fi
	done
	kp=
	pp_rows=()
	for pe in "${paths[@]}"; do
		IFS='|' read -r label cli ip srv procs <<<"$pe"
		v=$(pingpong "$cli" "$ip" "${SERVER[pingpong $srv]}")
		[ -z "$kp" ] && [[ $label == "kernel VXLAN"* ]] && { kp=$v; v="$v ref"; }
		pp_rows+=("$label|$v")
	done
	for i in median p99; do
		for pe in "${pp_rows[@]}"; do
			label=${pe%%|*} v=(${pe#*|})
			local ref=${kp:-}
			[ "${v[2]:-}" = ref ] && ref=
			if [ $i = median ]; then
				rec hosts "$label: ping-pong median" µs "$r" "${v[0]:-}" "${ref% *}" - hosts-ppm
			else
				rec hosts "$label: ping-pong p99" µs "$r" "${v[1]:-}" "${ref#* }" - hosts-pp99
			fi
		done
	done
done
f1=$(snmp_sum Ip FragCreates)
[ "$f1" = "$f0" ] || note hosts "the hosts' kernels made $((f1 - f0)) IP fragments during the runs (IpFragCreates)"
# Retransmits (iperf3's sender figure, when it has one) per path and run.
for pe in "${paths[@]}"; do
	label=${pe%%|*}
	v=$(for p in "${retr[@]}"; do [ "${p%%|*}" = "$label" ] && echo "${p##*|}"; done | tr '\n' ' ')
	[ -n "$v" ] && meta "hosts_retr:$label" "$v"
done
hosts_teardown
}

# hosts_teardown: stop the section's programs, services and tinc by PID (the
# uplinks' counters land in the services' logs), then delete the namespaces.
hosts_teardown() {
	local key n s pids=()
	for key in "${!SERVER[@]}"; do
		case ${key#* } in hk:* | hs:*) pids+=("${SERVER_PID[$key]}"); unset "SERVER[$key]" "SERVER_PID[$key]" ;; esac
	done
	[ ${#pids[@]} -gt 0 ] && stop "${pids[@]}"
	for s in v1b v2b v1 v2 t1 t2; do [ -n "${HPID[$s]:-}" ] && stop "${HPID[$s]}"; done
	sleep 0.5	# the uplinks see their switch go and say their counters
	for s in v1 v2 t1 t2; do
		[ -f "$T/$s.log" ] || continue
		n=$(grep -o 'frames out [0-9]* in [0-9]*, dropped: .*' "$T/$s.log" | tail -n 1)
		[ -n "$n" ] && meta "hosts_uplink:$s" "$n"
		grep -q 'does not fit the uplink\|uplink lost\|went away' "$T/$s.log" &&
			note hosts "service $s's uplink: $(grep 'does not fit the uplink\|uplink lost\|went away' "$T/$s.log" | head -n 2 | tr '\n' ' ')"
	done
	for s in tinc1 tinc2; do [ -n "${HPID[$s]:-}" ] && stop "${HPID[$s]}"; done
	[ -n "$(pgrep -f "^$T/nc/bin/netcon-uplink" 2>/dev/null)" ] &&
		note hosts "netcon-uplink still running after its services stopped: $(pgrep -af "^$T/nc/bin/netcon-uplink" | tr '\n' ' ')"
	HPID=()
	for n in "${HNS[@]}" "$HWIRE"; do ip netns del "$n" 2>/dev/null; done
}

# --- 4. memory per idle connection, CPU per GiB ---------------------------------

sec_mem() {

section mem
# Two fresh services over the switch: m1 accepts, m2 connects; each one's
# VmRSS before and after, divided by the connections.
for ((r = 1; r <= RUNS; r++)); do
	over_budget && { note mem "skipped runs from $r on: time budget"; break; }
	start_service m1$r && start_service m2$r || { note mem "services did not start"; break; }
	eval "s1=\$PID_m1$r s2=\$PID_m2$r"
	ip1=$(service_ip "m1$r" 4)
	sleep 0.2
	m10=$(rss_kb "$s1") m20=$(rss_kb "$s2")
	bg_in "svc:m1$r" "ics$r" "$IC" -s 7400 "$IDLE"
	ics=$LAST_PID
	wait_for 10 grep -q listening "$T/ics$r.log"
	bg_in "svc:m2$r" "icc$r" "$IC" "$ip1" 7400 "$IDLE"
	icc=$LAST_PID
	# (ready, or the client gave up: no point waiting then)
	wait_for 120 eval "grep -q ready '$T/icc$r.log' || ! kill -0 $icc"
	if grep -q ready "$T/icc$r.log" && wait_for 20 grep -q ready "$T/ics$r.log"; then
		sleep 0.3
		m11=$(rss_kb "$s1") m21=$(rss_kb "$s2")
		rec mem "accepting service, per connection" bytes "$r" $(((m11 - m10) * 1024 / IDLE)) - "value<2048"
		rec mem "connecting service, per connection" bytes "$r" $(((m21 - m20) * 1024 / IDLE)) - "value<2048"
		rec mem "accepting service VmRSS with $IDLE idle connections" KiB "$r" "$m11" - -
	else
		note mem "run $r: $IDLE idle connections not reached: $(tail -n 1 "$T/icc$r.log")"
	fi
	stop "$icc" "$ics" "$s2" "$s1"
done

# CPU per GiB: the services' utime + stime (/proc/PID/stat) and the programs'
# own (the shell's children) over a verified transfer; the kernel's figure is
# the programs' time, which includes the kernel's TCP work done in their context.
# xfer_cpu SRV_CTX CLI_CTX HOST PORT: the programs' CPU seconds, or empty.
xfer_cpu() {
	(
		prefix "$1"
		timeout 150 "${PRE[@]}" "$APPS/test_tx" -p "$4" -n "$CPU_BYTES" -c 1 >/dev/null 2>&1 &
		prefix "$2"
		timeout 120 "${PRE[@]}" "$APPS/test_rx" -w 10 -p "$4" -n "$CPU_BYTES" "$3" >/dev/null 2>&1 || exit 1
		wait
		times >"$T/times"	# a builtin: in a pipeline it would run in a fresh process
		awk 'NR == 2 { gsub(/[ms]/, " "); print $1 * 60 + $2 + $3 * 60 + $4 }' "$T/times"
	)
}
GIB=$(python3 -c "
s = '$CPU_BYTES'; m = {'K': 2**10, 'M': 2**20, 'G': 2**30}
print(int(s[:-1]) * m[s[-1]] / 2**30 if s[-1] in m else int(s) / 2**30)")
for ((r = 1; r <= RUNS; r++)); do
	over_budget && { note cpu "skipped runs from $r on: time budget"; break; }
	k=$(xfer_cpu k k 127.0.0.1 7500)
	kg=$(awk -v s="$k" -v g="$GIB" 'BEGIN { if (s != "") printf "%.2f", s / g }')
	a0=$(ticks "$PID_a")
	v=$(xfer_cpu svc:a svc:a 127.0.0.1 7501)
	a1=$(ticks "$PID_a")
	if [ -n "$v" ]; then
		sv=$(awk -v t=$((a1 - a0)) -v hz="$HZ" -v g="$GIB" 'BEGIN { printf "%.2f", t / hz / g }')
		rec cpu "one service: the service" "CPU s/GiB" "$r" "$sv" - -
		rec cpu "one service: service + programs" "CPU s/GiB" "$r" \
			"$(awk -v s="$sv" -v a="$v" -v g="$GIB" 'BEGIN { printf "%.2f", s + a / g }')" "$kg" -
	fi
	a0=$(ticks "$PID_a") b0=$(ticks "$PID_b")
	v=$(xfer_cpu svc:a svc:b "$IPA" 7502)	# a → b
	a1=$(ticks "$PID_a") b1=$(ticks "$PID_b")
	v2=$(xfer_cpu svc:b svc:a "$IPB" 7503)
	a2=$(ticks "$PID_a") b2=$(ticks "$PID_b")
	if [ -n "$v2" ]; then
		rec cpu "switch b → a: sending service (b)" "CPU s/GiB" "$r" \
			"$(awk -v t=$((b2 - b1)) -v hz="$HZ" -v g="$GIB" 'BEGIN { printf "%.2f", t / hz / g }')" - -
		rec cpu "switch b → a: receiving service hosting the switch (a)" "CPU s/GiB" "$r" \
			"$(awk -v t=$((a2 - a1)) -v hz="$HZ" -v g="$GIB" 'BEGIN { printf "%.2f", t / hz / g }')" - -
		rec cpu "switch b → a: both services + programs" "CPU s/GiB" "$r" \
			"$(awk -v t=$((a2 - a1 + b2 - b1)) -v hz="$HZ" -v a="$v2" -v g="$GIB" \
				'BEGIN { printf "%.2f", (t / hz + a) / g }')" "$kg" "ratio<=1.5"
	fi
	if [ -n "$v" ]; then
		rec cpu "switch a → b: both services + programs" "CPU s/GiB" "$r" \
			"$(awk -v t=$((a1 - a0 + b1 - b0)) -v hz="$HZ" -v a="$v" -v g="$GIB" \
				'BEGIN { printf "%.2f", (t / hz + a) / g }')" "$kg" "ratio<=1.5"
	fi
done
}

# --- 5. where the time goes -----------------------------------------------------

sec_time() {
section time
server pingpong svc:a; APP=$SPORT
server echo svc:a; AEC=$SPORT
if ! over_budget || [ "$QUICK" = 1 ]; then
	# A long verified transfer b → a over the switch (a hosts it), sampled.
	bg_in svc:b wtx timeout 60 "$APPS/test_tx" -p 7600 -n 1000G -c 1
	wtx=$LAST_PID
	wait_for 10 grep -q listening "$T/wtx.log"
	bg_in svc:a wrx timeout 60 "$APPS/test_rx" -w 10 -p 7600 -n 1000G "$IPB"
	wrx=$LAST_PID
	sleep 0.5
	if [ $HAVE_PERF = 1 ]; then
		perf record -N -e cpu-clock -F 4999 -p "$PID_a,$PID_b" -o "$T/perf.data" -- sleep "$PERF_S" \
			>"$T/perf-record.log" 2>&1
	fi
	# Counting only (no sampling): frames, CPU and system calls over 1 s.
	fa0=$(frames a) fb0=$(frames b) ta0=$(ticks "$PID_a") tb0=$(ticks "$PID_b") w0=$(date +%s.%N)
	if [ $HAVE_PERF = 1 ]; then
		perf stat -x, -e raw_syscalls:sys_enter -p "$PID_a" -o "$T/count-a" -- sleep 1 >/dev/null 2>&1 &
		sp1=$!
		perf stat -x, -e raw_syscalls:sys_enter -p "$PID_b" -o "$T/count-b" -- sleep 1 >/dev/null 2>&1
		wait "$sp1"
	else
		sleep 1
	fi
	fa1=$(frames a) fb1=$(frames b) ta1=$(ticks "$PID_a") tb1=$(ticks "$PID_b") w1=$(date +%s.%N)
	meta time_frames_a "${fa0% *} ${fa0#* } ${fa1% *} ${fa1#* }"
	meta time_frames_b "${fb0% *} ${fb0#* } ${fb1% *} ${fb1#* }"
	meta time_cpu "$(awk -v a=$((ta1 - ta0)) -v b=$((tb1 - tb0)) -v hz="$HZ" -v w0="$w0" -v w1="$w1" \
		'BEGIN { printf "%.0f %.0f", 100 * a / hz / (w1 - w0), 100 * b / hz / (w1 - w0) }')"
	[ $HAVE_PERF = 1 ] && meta time_calls "$(awk -F, '/raw_syscalls/ { print $1 }' "$T/count-a") $(awk -F, '/raw_syscalls/ { print $1 }' "$T/count-b")"
	# Which system calls (recorded, so slower): over another second.
	fa0=$(frames a) fb0=$(frames b)
	sc_start "$T/sys-b.txt" "$PID_b"
	sc_b=$SC_PID sf_b=$SC_FILE
	sc_start "$T/sys-a.txt" "$PID_a"
	sleep 1
	kill -INT "$SC_PID" "$sc_b" 2>/dev/null
	wait "$SC_PID" "$sc_b" 2>/dev/null
	fa1=$(frames a) fb1=$(frames b)
	stop "$wrx" "$wtx"
	sc_parse
	SC_FILE=$sf_b
	sc_parse
	meta time_bd_frames "$(( ${fa1% *} - ${fa0% *} + ${fa1#* } - ${fa0#* } )) $(( ${fb1% *} - ${fb0% *} + ${fb1#* } - ${fb0#* } ))"
	meta time_tool "$([ $HAVE_PERF = 1 ] && echo "perf record -e raw_syscalls:sys_enter" || echo "strace -c")"
	rawfile sys-a "$T/sys-a.txt"
	rawfile sys-b "$T/sys-b.txt"
	if [ $HAVE_PERF = 1 ] && [ -s "$T/perf.data" ]; then
		# One report split by PID (perf report --pid mixes up two processes
		# of the same name): the services' totals, then their functions.
		perf report -i "$T/perf.data" --no-children --sort pid --stdio 2>/dev/null |
			grep -v '^#' | grep '%' >"$T/perf-pid.txt"
		perf report -i "$T/perf.data" --no-children --sort pid,dso,sym --stdio --percent-limit 0.1 \
			2>/dev/null | grep -v '^#' | grep '%' >"$T/perf-sym.txt"
		rawfile perf-pid "$T/perf-pid.txt"
		rawfile perf-sym "$T/perf-sym.txt"
		meta time_pids "$PID_a $PID_b"
		meta perf_samples "$(perf report -i "$T/perf.data" --stdio --sort pid 2>/dev/null |
			awk '/^# Samples/ { print $3; exit }')"
	fi
	# Ping-pong and new connections on one service: its system calls and
	# context switches per round trip / per connection.
	c0=$(ctxsw "$PID_a")
	sc_start "$T/sys-pp.txt" "$PID_a"
	sleep 0.3	# attached
	out=$(run_in svc:a timeout 30 "$PP" -w 5 -p "$APP" -d 1 127.0.0.1 2>/dev/null)
	sc_stop
	c1=$(ctxsw "$PID_a")
	meta time_pp "$(echo "$out" | awk '/OK/ { print $3 + 1000 }') $((c1 - c0))"	# + warm-up
	rawfile sys-pp "$T/sys-pp.txt"
	c0=$(ctxsw "$PID_a")
	sc_start "$T/sys-conn.txt" "$PID_a"
	sleep 0.3
	out=$(CONNS=$((CONNS * 2)) connloop svc:a 127.0.0.1 "$AEC")
	sc_stop
	c1=$(ctxsw "$PID_a")
	[ -n "$out" ] && meta time_conn "$((CONNS * 2)) $((c1 - c0))"
	rawfile sys-conn "$T/sys-conn.txt"
else
	note time "skipped: time budget"
fi
}

# UDP last: a service a UDP run wedged (checked after each, see udp) cannot spoil the others.
for s in bulk latency conn published seccomp mem time hosts udp; do
	want "$s" && "sec_$s"
done

# --- 6. diagnostics -----------------------------------------------------------
# (the switch host's port buffers, recorded before the bulk section, and the
# frames lost a → b, recorded with the 1-stream a → b runs)

meta load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
meta elapsed "$((SECONDS - START))"
mkdir -p "$(dirname "$OUT")"
# Keep the raw results beside the helpers ($T goes): report.py can rewrite the
# document from them (python3 bench/report.py build/bench/results.tsv OUT).
rm -f "$BB"/perf-*.txt "$BB"/sys-*.txt "$BB"/udp-probes.txt
cp "$T"/perf-*.txt "$T"/sys-*.txt "$T"/udp-probes.txt "$BB/" 2>/dev/null
sed "s|$T/|$BB/|" "$RES" >"$BB/results.tsv"
python3 "$TOP/bench/report.py" "$BB/results.tsv" "$OUT" && echo "bench: wrote $OUT in $((SECONDS - START)) s"
