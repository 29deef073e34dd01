#!/bin/bash
# make demo - netcon's main job in one minute: two services on the default
# local switch, each in an empty network namespace (no interface up, not even
# lo), a server program in one and a client in the other. The client fetches
# a web page and a verified 512 MiB stream from the server across the
# virtual network; then both services show their status.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
SVC="$TOP/$B/bin/netcon-service"
INTERCEPT="$TOP/$B/bin/intercept"
D=$(mktemp -d /tmp/netcon-demo.XXXXXX)
export NETCON_DIR=$D
if [ "$(id -u)" = 0 ]; then NS="unshare -n"; else NS="unshare -rn"; fi
pids=()
finish() {
	kill "${pids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$D"
}
trap finish EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "two netcon services on the switch $D/switch, each in its own empty network namespace"
$NS "$SVC" --socket "$D/server.sock" >"$D/server.log" 2>&1 & pids+=($!)
for i in $(seq 100); do "$SVC" status --socket "$D/server.sock" >/dev/null 2>&1 && break; sleep 0.1; done
$NS "$SVC" --socket "$D/client.sock" >"$D/client.log" 2>&1 & pids+=($!)
for i in $(seq 100); do "$SVC" status --socket "$D/client.sock" >/dev/null 2>&1 && break; sleep 0.1; done
sed 's/^/  server service: /' "$D/server.log"
sed 's/^/  client service: /' "$D/client.log"
IP=$("$SVC" status --socket "$D/server.sock" | awk '$1 == "ipv4" { sub("/.*", "", $2); print $2 }')
IP6=$("$SVC" status --socket "$D/server.sock" | awk '$1 == "ipv6" { sub("/.*", "", $2); print $2 }')

say "server programs in a namespace with no network: python3 http.server and test_tx, through the server service"
mkdir "$D/www" && echo "Hello from a program whose network is netcon" >"$D/www/index.html"
NETCON_SOCKET="$D/server.sock" $NS "$INTERCEPT" python3 -m http.server 8080 --directory "$D/www" >"$D/http.log" 2>&1 & pids+=($!)
NETCON_SOCKET="$D/server.sock" $NS "$INTERCEPT" "$TOP/$B/tests/test_tx" -p 7777 -n 512M -c 1 >"$D/tx.log" 2>&1 & pids+=($!)
NETCON_SOCKET="$D/server.sock" $NS "$INTERCEPT" "$TOP/$B/tests/test_tx" -6 -p 7778 -n 512M -c 1 >"$D/tx6.log" 2>&1 & pids+=($!)
echo "  $NS ip link:"; $NS ip -brief link | sed 's/^/    /'

say "client programs through the client service: curl http://$IP:8080/ and http://[$IP6]:8080/"
for url in "http://$IP:8080/" "http://[$IP6]:8080/"; do
	for i in $(seq 50); do
		out=$(NETCON_SOCKET="$D/client.sock" $NS "$INTERCEPT" curl -sS --max-time 5 "$url" 2>/dev/null) && break
		sleep 0.1
	done
	echo "  $url -> ${out:-FAILED}"
done

say "a 512 MiB stream, every byte verified, IPv4 then IPv6"
NETCON_SOCKET="$D/client.sock" $NS "$INTERCEPT" "$TOP/$B/tests/test_rx" -w 10 -p 7777 -n 512M "$IP" | sed 's/^/  /'
NETCON_SOCKET="$D/client.sock" $NS "$INTERCEPT" "$TOP/$B/tests/test_rx" -w 10 -p 7778 -n 512M "$IP6" | sed 's/^/  /'

say "netcon-service status (server)"
"$SVC" status --socket "$D/server.sock" | sed 's/^/  /'
say "netcon-service status (client)"
"$SVC" status --socket "$D/client.sock" | sed 's/^/  /'
say "demo done"
