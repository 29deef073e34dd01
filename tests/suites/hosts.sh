#!/bin/bash
# Several hosts: network namespaces stand in for machines, joined by veth
# pairs to a bridge in a "wire" namespace of their own (underlay
# 198.19.0.0/24, MTU 1500); each host runs services on its own local switch,
# and the switch's host carries the uplink (--uplink) to the other hosts:
# vxvde:// (VXLAN multicast) for two and three hosts, Debian's tinc
# (DeviceType = uml, uml://) for two, everything unprivileged. The namespaces
# (and with them every veth and the bridge) are deleted at the end.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../tinc.sh"

if [ "$(id -u)" != 0 ]; then
	fail hosts-need-root "the simulated hosts are network namespaces joined by veth pairs"
	summary
	exit 1
fi
TINCD=$(command -v tincd || echo /usr/sbin/tincd)
UPLINK_BIN="$TOP/$B/bin/netcon-uplink"
id=$(($$ % 100000))
WIRE=ncw$id
HOSTS=(nch1-$id nch2-$id nch3-$id)
GROUP=239.18.0.$((id % 200 + 1))
# Unprivileged: tinc, the services and the programs of the tinc case.
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

hosts_cleanup() {
	local n
	for n in "${HOSTS[@]}" "$WIRE"; do ip netns del "$n" 2>/dev/null; done
}
trap 'cleanup; hosts_cleanup' EXIT
trap 'exit 143' TERM INT	# so that the namespaces go on a stop too

# make_hosts: the wire with its bridge, three hosts on it, multicast routed to the wire.
make_hosts() {
	local i n
	ip netns add "$WIRE" || return 1
	ip -n "$WIRE" link add br0 type bridge || return 1
	ip -n "$WIRE" link set br0 up
	for i in 1 2 3; do
		n=${HOSTS[$((i - 1))]}
		ip netns add "$n" || return 1
		ip link add "nc$id-$i" netns "$n" type veth peer name "p$i" netns "$WIRE" || return 1
		ip -n "$WIRE" link set "p$i" master br0 up
		ip -n "$n" link set lo up
		ip -n "$n" link set "nc$id-$i" name eth0
		ip -n "$n" addr add "198.19.0.$i/24" dev eth0
		ip -n "$n" link set eth0 up
		ip -n "$n" route add 224.0.0.0/4 dev eth0
	done
	# A bridge port forwards only once it leaves its listening state.
	wait_for 10 ip netns exec "${HOSTS[0]}" ping -c 1 -W 1 198.19.0.2 &&
		wait_for 10 ip netns exec "${HOSTS[0]}" ping -c 1 -W 1 198.19.0.3
}

# on_host N COMMAND...: run COMMAND on host N (1..3), in its namespace
# (in the foreground: what runs in the background is started with ip netns
# exec itself, so that its PID is the program's).
on_host() {
	local n=${HOSTS[$(($1 - 1))]}
	shift
	ip netns exec "$n" "$@"
}

# host_service H NAME [OPTIONS...]: a service on host H's local switch
# ($T/hH/switch), socket $T/NAME.sock, log $T/NAME.log.
host_service() {
	local h=$1 name=$2
	shift 2
	mkdir -p "$T/h$h"
	NETCON_DIR="$T/h$h" ip netns exec "${HOSTS[$((h - 1))]}" "$SVC" --socket "$T/$name.sock" --name "$name" "$@" \
		>"$T/$name.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$name=$!"
	wait_for 10 "$SVC" status --socket "$T/$name.sock"
}

# host_app H NAME COMMAND...: a program on host H through service NAME, in a fresh namespace.
host_app() {
	local h=$1 name=$2
	shift 2
	NETCON_SOCKET="$T/$name.sock" on_host "$h" unshare -n "$INTERCEPT" "$@"
}

host_app_bg() {
	local h=$1 name=$2 log=$3
	shift 3
	NETCON_SOCKET="$T/$name.sock" ip netns exec "${HOSTS[$((h - 1))]}" unshare -n "$INTERCEPT" "$@" \
		>"$T/$log.log" 2>&1 &
	LAST_PID=$!
	PIDS+=($LAST_PID)
}

# frag_creates: IP fragments the hosts' kernels have made so far, all hosts
# added up ("unknown" if a host's counter cannot be read: never a pass).
frag_creates() {
	local i sum=0 v
	for i in 1 2 3; do
		v=$(on_host "$i" nstat -az IpFragCreates 2>/dev/null | awk '$1 == "IpFragCreates" { print $2 }')
		case $v in '' | *[!0-9]*) echo unknown; return ;; esac
		sum=$((sum + v))
	done
	echo "$sum"
}

# mesh NAME SERVICE...: each service's program fetches a page from every other's
# http.server (service names are "sH?": H is the host). All must succeed.
declare -A HTTP_UP
mesh() {
	local name=$1 s c bad=0 n=0
	shift
	for s in "$@"; do
		if [ -z "${HTTP_UP[$s]:-}" ]; then
			mkdir -p "$T/www-$s"
			echo "served by $s" >"$T/www-$s/index.html"
			host_app_bg "${s:1:1}" "$s" "http-$s" python3 -m http.server 8080 --directory "$T/www-$s"
			HTTP_UP[$s]=1
		fi
	done
	for c in "$@"; do
		for s in "$@"; do
			[ "$c" = "$s" ] && continue
			n=$((n + 1))
			if ! wait_for 10 host_app "${c:1:1}" "$c" curl -sf --max-time 3 -o "$T/got-$c-$s" \
				"http://$(service_ip "$s"):8080/index.html" ||
				! grep -qx "served by $s" "$T/got-$c-$s"; then
				bad=$((bad + 1))
				echo "  $c could not reach $s"
			fi
		done
	done
	if [ $bad = 0 ]; then pass "$name" "$n fetches between $# services"; else fail "$name" "$bad of $n failed"; fi
}

# transfer NAME TX_HOST TX_SVC RX_HOST RX_SVC BYTES PORT: test_tx through one,
# test_rx (which checks every byte) through the other.
transfer() {
	local name=$1 th=$2 ts=$3 rh=$4 rs=$5 bytes=$6 port=$7 ip
	ip=$(service_ip "$ts")
	host_app_bg "$th" "$ts" "$name-tx" "$APPS/test_tx" -p "$port" -n "$bytes" -c 1
	if host_app "$rh" "$rs" "$APPS/test_rx" -w 10 -p "$port" -n "$bytes" "$ip" >"$T/$name.out" 2>&1; then
		pass "$name" "$(grep -o 'OK.*' "$T/$name.out")"
	else
		fail "$name" "$(tail -n 2 "$T/$name.out" | tr '\n' ' ')"
	fi
}

make_hosts || { fail hosts-setup "namespaces, veth pairs and the bridge"; summary; exit 1; }
pass hosts-setup "3 hosts on a 1500-byte wire"

# --- vxvde: two hosts, then a third, two services on each host's switch ------
frags0=$(frag_creates)
for h in 1 2; do
	host_service "$h" "s${h}a" --ip "198.18.$h.1/16" --uplink "vxvde://$GROUP" &&
		host_service "$h" "s${h}b" --ip "198.18.$h.2/16" ||
		fail "vxvde-start-$h"
done
# The uplink's MTU, agreed on the switch: 1500 less VXLAN's 50, in every service
# (IPv4's fragment-safe rounding makes the interface 1444).
mtus=$(for s in s1a s1b s2a s2b; do "$SVC" status --socket "$T/$s.sock" | awk '$1 == "mac" { print $4 }'; done | sort -u | tr '\n' ' ')
if [ "$mtus" = "1444 " ] && grep -q "link MTU 1450" "$T/s1b.log" &&
	"$SVC" status --socket "$T/s1a.sock" | grep -q "^uplink *vxvde://$GROUP (carried here" &&
	"$SVC" status --socket "$T/s1b.sock" | grep -q "^uplink *vxvde://$GROUP (carried by the switch's host)"; then
	pass vxvde-mtu-agreed "every service: mtu $mtus; uplink shown in status"
else
	fail vxvde-mtu-agreed "mtus: $mtus"
fi
mesh vxvde-two-hosts s1a s1b s2a s2b
transfer vxvde-64M-two-hosts 1 s1b 2 s2b 67108864 7001

host_service 3 s3a --ip 198.18.3.1/16 --uplink "vxvde://$GROUP" &&
	host_service 3 s3b --ip 198.18.3.2/16 || fail vxvde-start-3
mesh vxvde-three-hosts s1a s1b s2a s2b s3a s3b
transfer vxvde-64M-three-hosts 3 s3b 1 s1a 67108864 7002
frags1=$(frag_creates)
if [ "$frags0" != unknown ] && [ "$frags1" = "$frags0" ]; then
	pass vxvde-no-fragments "IpFragCreates unchanged on every host ($frags0)"
else
	fail vxvde-no-fragments "IpFragCreates went from $frags0 to $frags1"
fi

# Names (mDNS on the virtual network) resolve across hosts.
check names-across-hosts eval "host_app 3 s3b getent ahosts s1a >'$T/o' && grep -q '^198.18.1.1 ' '$T/o'"

# The service hosting host 1's switch stops: the other takes the switch over
# and re-attaches the uplink it learnt from the switch; SIGKILL on host 2's
# host leaves a stale switch, found by its marker and replaced the same way.
kill "$PID_s1a"
wait "$PID_s1a" 2>/dev/null
kill -9 "$PID_s2a"
wait "$PID_s2a" 2>/dev/null
if wait_for 10 eval "'$SVC' status --socket '$T/s1b.sock' | grep -q 'hosting the switch' &&
		'$SVC' status --socket '$T/s2b.sock' | grep -q 'hosting the switch' &&
		'$SVC' status --socket '$T/s2b.sock' | grep -q '^uplink.*carried here'"; then
	pass switch-host-stopped "the other service on each host took the switch and the uplink over"
else
	fail switch-host-stopped
fi
mesh switch-host-stopped-reach s1b s2b s3a s3b
transfer switch-host-stopped-16M 1 s1b 2 s2b 16777216 7003
# A service started later with no --uplink of its own still gets it from the switch.
host_service 1 s1c --ip 198.18.1.3/16 &&
	"$SVC" status --socket "$T/s1c.sock" | grep -q "^uplink *vxvde://$GROUP" &&
	mesh uplink-known-to-newcomer s1c s3a ||
	fail uplink-known-to-newcomer
frags2=$(frag_creates)
[ "$frags0" != unknown ] && [ "$frags2" = "$frags0" ] && pass vxvde-no-fragments-after-takeover ||
	fail vxvde-no-fragments-after-takeover "IpFragCreates $frags0 -> $frags2"
for s in s1b s1c s2b s3a s3b; do kill "$(eval echo "\$PID_$s")" 2>/dev/null; done
sleep 0.5
pgrep -f "$UPLINK_BIN $T/" >/dev/null && fail uplinks-stopped "$(pgrep -af "$UPLINK_BIN $T/")" ||
	pass uplinks-stopped "no netcon-uplink left once the services are gone"

# A service directly on vxvde (no switch) defaults to the underlay's MTU less VXLAN's.
# Over IPv6 VXLAN costs 70: 1430 (IPv4's fragment-safe rounding: 1428).
host_service 1 d1 --net "vxvde://$GROUP" --ip 198.18.9.1/16 &&
	host_service 1 d2 --net "vxvde://ff05::18:$((id % 200 + 1))/v6" --ip 198.18.9.2/16 &&
	"$SVC" status --socket "$T/d1.sock" | grep -q "mtu 1444" &&
	"$SVC" status --socket "$T/d2.sock" | grep -q "mtu 1428" &&
	pass vxvde-direct-default-mtu "vxvde:// 1450, vxvde://GROUP6/v6 1430" ||
	fail vxvde-direct-default-mtu "$("$SVC" status --socket "$T/d2.sock" | grep mtu)"
kill "$PID_d1" "$PID_d2" 2>/dev/null

# --- tinc: two hosts, everything unprivileged ----------------------------------
chmod 711 "$T"	# nobody may pass through to its own folders
# tinc_start H: tincd for host H in the foreground as nobody; $TINC_PID_H.
tinc_start() {
	local h=$1 d=$T/tinc/$1
	ip netns exec "${HOSTS[$((h - 1))]}" "${NOBODY[@]}" "$TINCD" -c "$d" -D -d1 --pidfile="$d/run/pid" \
		--logfile="$d/run/tinc.log" </dev/null >>"$d/run/console" 2>&1 &
	PIDS+=($!)
	eval "TINC_PID_$h=$!"
	wait_for 10 test -S "$d/run/uml.sock"
}

# tinc_service H NAME IP: an unprivileged service whose switch's uplink is host H's tinc.
tinc_service() {
	local h=$1 name=$2 ip=$3 up=${4:-}
	mkdir -p "$T/t$h"
	chown nobody:nogroup "$T/t$h"
	NETCON_DIR="$T/t$h" ip netns exec "${HOSTS[$((h - 1))]}" "${NOBODY[@]}" "$SVC" --socket "$T/t$h/$name.sock" \
		--name "$name" --ip "$ip" ${up:+--uplink "uml://$T/tinc/$h/run/uml.sock"} \
		>"$T/$name.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$name=$!"
	wait_for 10 env NETCON_SERVICE_UID=65534 "$SVC" status --socket "$T/t$h/$name.sock"
}

# tinc_transfer NAME BYTES PORT: 1's t1b to 2's t2b, programs unprivileged too.
tinc_transfer() {
	local name=$1 bytes=$2 port=$3
	NETCON_SOCKET="$T/t1/t1b.sock" ip netns exec "${HOSTS[0]}" "${NOBODY[@]}" unshare -rn \
		"$INTERCEPT" "$APPS/test_tx" -p "$port" -n "$bytes" -c 1 >"$T/$name-tx.log" 2>&1 &
	PIDS+=($!)
	if NETCON_SOCKET="$T/t2/t2b.sock" on_host 2 "${NOBODY[@]}" unshare -rn \
		"$INTERCEPT" "$APPS/test_rx" -w 20 -p "$port" -n "$bytes" 198.18.21.2 >"$T/$name.out" 2>&1; then
		pass "$name" "$(grep -o 'OK.*' "$T/$name.out")"
	else
		fail "$name" "$(tail -n 2 "$T/$name.out" | tr '\n' ' ')"
	fi
}

if tinc_configs "$T/tinc" "$TINCD" && tinc_start 1 && tinc_start 2; then
	pass tinc-start "Debian's tincd, Mode = switch, DeviceType = uml, as nobody"
	tinc_service 1 t1a 198.18.21.1/16 up && tinc_service 1 t1b 198.18.21.2/16 &&
		tinc_service 2 t2a 198.18.22.1/16 up && tinc_service 2 t2b 198.18.22.2/16 ||
		fail tinc-services
	tinc_transfer tinc-64M-two-hosts 67108864 7101
	# Anyone in the namespace can send to the uplink's abstract address:
	# datagrams not from tinc's process are dropped, and said.
	name=$(on_host 1 cat /proc/net/unix | grep -o '@netcon-uml-[0-9]*-[0-9]*' | head -n 1)
	on_host 1 "${NOBODY[@]}" /usr/bin/python3 -c "
import socket, sys
addr = (b'\\0' + sys.argv[1].encode()).ljust(108, b'\\0')
frame = b'\\xff' * 6 + b'\\x02\\x00\\x00\\x00\\x00\\x01\\x08\\x06' + bytes(46)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for i in range(10):
    s.sendto(frame, addr)" "${name#@}" 2>"$T/forge.err"
	if [ -n "$name" ] && wait_for 5 grep -Eq "dropped [0-9]+ datagrams sent to the uplink's socket by another process" "$T/t1a.log"; then
		pass tinc-forged-frames-dropped "10 datagrams to $name from another process"
	else
		fail tinc-forged-frames-dropped "name '$name' $(cat "$T/forge.err")"
	fi
	files_before=$(cd "$T/tinc" && find . -path ./1/run -prune -o -path ./2/run -prune -o -type f -print | sort | xargs md5sum)
	# tinc killed and started again: the uplink reattaches by itself.
	kill "$TINC_PID_1"
	wait "$TINC_PID_1" 2>/dev/null
	if tinc_start 1 && wait_for 10 eval "[ \$(grep -c 'uml://.* attached' '$T/t1a.log') -ge 2 ]"; then
		pass tinc-restart-reattached "$(grep 'went away\|attached' "$T/t1a.log" | tail -n 1 | cut -d' ' -f3-)"
	else
		fail tinc-restart-reattached
	fi
	tinc_transfer tinc-after-restart-8M 8388608 7102
	files_after=$(cd "$T/tinc" && find . -path ./1/run -prune -o -path ./2/run -prune -o -type f -print | sort | xargs md5sum)
	extra=$(ls -A "$T/tinc/1/run" "$T/tinc/2/run" | grep -v -x -e 'console' -e 'pid' -e 'tinc.log' \
		-e 'uml.sock' -e '' -e "$T/tinc/[12]/run:")
	if [ "$files_before" = "$files_after" ] && [ -S "$T/tinc/1/run/uml.sock" ] &&
		[ -S "$T/tinc/2/run/uml.sock" ] && [ -z "$extra" ]; then
		pass tinc-files-untouched "tinc's configuration, keys and sockets as tinc left them"
	else
		fail tinc-files-untouched
	fi
else
	fail tinc-start "$(tail -n 3 "$T"/tinc/*/run/console "$T"/tinc/*/keygen.log 2>/dev/null | tr '\n' ' ')"
fi

# --- a switch folder that is not netcon's is never taken over --------------
# vdeplug's own switch (vde_plug) at $T/foreign: a service joins it; when it is
# killed (its socket left behind), the service says so and waits; the folder
# stays as it was; the switch back, the service rejoins.
vde_plug null:// "switch://$T/foreign" >"$T/vde_plug.log" 2>&1 &
VP=$!
PIDS+=($VP)
wait_for 5 test -S "$T/foreign/ctl"
start_service f1 --net "vde://$T/foreign" --ip 198.18.30.1/16 || fail foreign-join
kill -9 "$VP"
wait "$VP" 2>/dev/null
before=$(ls -A "$T/foreign" | sort | tr '\n' ' ')
if wait_for 10 grep -q "not netcon's" "$T/f1.log" && sleep 2 &&
	[ "$(ls -A "$T/foreign" | sort | tr '\n' ' ')" = "$before" ] && [ -S "$T/foreign/ctl" ]; then
	pass foreign-switch-left-alone "$(grep -o "the switch at .*not netcon's" "$T/f1.log" | head -n 1)"
else
	fail foreign-switch-left-alone "folder before: $before, after: $(ls -A "$T/foreign" | tr '\n' ' ')"
fi
# Its owner clears it and starts it again, holding the switch folder's lock
# (an flock on the folder holding it) so that no election runs meanwhile.
flock -o "$T" bash -c "rm -rf '$T/foreign'; vde_plug null:// 'switch://$T/foreign' >>'$T/vde_plug.log' 2>&1 &
	echo \$! >'$T/vp.pid'; for i in \$(seq 100); do [ -S '$T/foreign/ctl' ] && break; sleep 0.05; done"
PIDS+=($(cat "$T/vp.pid"))
if wait_for 10 grep -q "rejoined the local switch" "$T/f1.log" &&
	"$SVC" status --socket "$T/f1.sock" | grep -q "^link *vde://$T/foreign\$"; then
	pass foreign-switch-rejoined
else
	fail foreign-switch-rejoined
fi
# At start, a dead switch that is not netcon's: refused in one line, nothing removed.
mkdir -p "$T/dead"
python3 -c "import socket; s = socket.socket(socket.AF_UNIX); s.bind('$T/dead/ctl')"
if ! "${NS[@]}" timeout 10 "$SVC" --socket "$T/d.sock" --net "switch://$T/dead" >"$T/dead.log" 2>&1 &&
	grep -q "not netcon's" "$T/dead.log" && [ -S "$T/dead/ctl" ] && [ ! -e "$T/dead/.netcon" ]; then
	pass foreign-dead-switch-refused "$(grep -o "the switch at .*" "$T/dead.log" | head -n 1)"
else
	fail foreign-dead-switch-refused
fi
summary
