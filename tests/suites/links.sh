#!/bin/bash
# Other vdeplug links under the service: a VLAN and an encrypted (agno) link
# nested on the local switch, and vxvde (multicast, no switch at all).
source "$(dirname "$0")/../lib.sh"

mkdir -p "$T/www"
echo "over a nested link" >"$T/www/index.html"

# tcp_between NAME SERVER CLIENT IP: http.server through one, curl through the other.
tcp_between() {
	local name=$1 srv=$2 cli=$3 ip=$4 port=$5
	app_bg "$srv" "http-$name" python3 -m http.server "$port" --directory "$T/www"
	if wait_for 15 app "$cli" curl -s --max-time 2 -o "$T/got-$name" "http://$ip:$port/index.html" &&
		cmp -s "$T/got-$name" "$T/www/index.html"; then
		pass "$name"
	else
		fail "$name"
	fi
}

start_service hub || { fail hub-start; summary; exit 1; }

start_service v1 --net "vlan://7{vde://$T/switch}" --ip 198.19.7.1/24 &&
	start_service v2 --net "vlan://7{vde://$T/switch}" --ip 198.19.7.2/24 &&
	tcp_between vlan-tcp v1 v2 198.19.7.1 8001
# A service on another VLAN of the same switch does not see VLAN 7.
start_service v3 --net "vlan://8{vde://$T/switch}" --ip 198.19.7.3/24
if app v3 curl -s --max-time 2 "http://198.19.7.1:8001/index.html" >/dev/null 2>&1; then
	fail vlan-isolation "VLAN 8 reached VLAN 7"
else
	pass vlan-isolation
fi

printf '%s\n' 0123456789abcdef0123456789abcdef >"$T/agno.key"
start_service e1 --net "agno://$T/agno.key{vde://$T/switch}" --ip 198.19.9.1/24 &&
	start_service e2 --net "agno://$T/agno.key{vde://$T/switch}" --ip 198.19.9.2/24 &&
	tcp_between agno-tcp e1 e2 198.19.9.1 8002

# vxvde: two services in one namespace whose loopback carries multicast.
"${NS[@]}" bash -c "ip link set lo up; ip link set lo multicast on; ip route add 224.0.0.0/4 dev lo;
	'$SVC' --net vxvde://239.1.2.3 --ip 198.19.11.1/24 --socket '$T/x1.sock' >'$T/x1.log' 2>&1 &
	'$SVC' --net vxvde://239.1.2.3 --ip 198.19.11.2/24 --socket '$T/x2.sock' >'$T/x2.log' 2>&1 &
	wait" &
PIDS+=($!)
if wait_for 10 "$SVC" status --socket "$T/x1.sock" && wait_for 10 "$SVC" status --socket "$T/x2.sock"; then
	tcp_between vxvde-tcp x1 x2 198.19.11.1 8003
else
	fail vxvde-start
fi
pkill -f -- "--socket $T/x[12].sock" 2>/dev/null
# A switch left by a killed host (SIGKILL: no clean-up) is found stale and replaced.
start_service k1 --net "switch://$T/sw-stale"
kill -9 "$PID_k1"
sleep 0.2
if [ -S "$T/sw-stale/ctl" ] && start_service k2 --net "switch://$T/sw-stale" &&
	"$SVC" status --socket "$T/k2.sock" | grep -q "hosting the switch"; then
	pass stale-switch-replaced
else
	fail stale-switch-replaced
fi
summary
