#!/bin/bash
# The seed's "To Test" list, each as a test: many files over HTTP under load,
# one large continuous transfer, 100,000 connections, packet loss on the link,
# 64 parallel transfers. (Multithreaded software: apache's event MPM and
# threaded clients are in the compat suite.)
source "$(dirname "$0")/../lib.sh"

start_service srv && start_service cli || { fail service-start; summary; exit 1; }
IP=$(service_ip srv 4)

# Many different files over HTTP under load: wrk against nginx, every request a
# different file, no error; a sample of bodies checked with curl.
mkdir -p "$T/www"
chmod 755 "$T" "$T/www"
for i in $(seq 0 199); do head -c $((100 + i * 997)) /dev/urandom >"$T/www/f$i"; done
chmod 644 "$T"/www/*
cat >"$T/nginx.conf" <<NGINX
daemon off;
master_process on;
worker_processes 2;
pid $T/nginx.pid;
error_log $T/nginx-error.log warn;
events { worker_connections 1024; }
http { access_log off; sendfile on; keepalive_requests 100000;
       server { listen 8080; root $T/www; } }
NGINX
cat >"$T/files.lua" <<'LUA'
local n = 0
request = function()
	n = n + 1
	return wrk.format("GET", "/f" .. (n % 200))
end
LUA
app_bg srv nginx nginx -c "$T/nginx.conf" -e "$T/nginx-error.log"
wait_for 10 app cli curl -s -o /dev/null "http://$IP:8080/f0"
app cli wrk -t 2 -c 32 -d 5s -s "$T/files.lua" "http://$IP:8080/" >"$T/wrk.out" 2>&1
reqs=$(awk '/requests in/ { print $1 }' "$T/wrk.out")
if [ -n "$reqs" ] && [ "$reqs" -gt 1000 ] && ! grep -q "Non-2xx\|Socket errors" "$T/wrk.out"; then
	bad=0
	for i in $(seq 0 9 199); do
		app cli curl -s --max-time 10 -o "$T/sample" "http://$IP:8080/f$i" && cmp -s "$T/sample" "$T/www/f$i" || bad=$((bad + 1))
	done
	if [ $bad = 0 ]; then pass http-load "$reqs requests in 5 s, 200 files, 23 bodies compared"; else fail http-load "$bad bodies differ"; fi
else
	fail http-load "$(tr '\n' ' ' <"$T/wrk.out")"
fi

# One large continuous transfer, every byte checked.
app_bg srv big "$APPS/test_tx" -p 7401 -n 8G -c 1
check transfer-8GiB timeout 600 env NETCON_SOCKET="$T/cli.sock" "${NS[@]}" "$INTERCEPT" "$APPS/test_rx" -w 10 -p 7401 -n 8G "$IP"
grep -h OK "$T/check.out" | sed 's/^/     /'

# 64 transfers at once.
parallel_transfers parallel-64 srv cli "$IP" 64 8M 7500

# Open and close 100,000 connections.
app_bg srv echo "$APPS/test_tx" -x -p 7400 -c 0
wait_for 10 grep -q listening "$T/echo.log"
check connections-100000 timeout 900 env NETCON_SOCKET="$T/cli.sock" "${NS[@]}" "$INTERCEPT" "$APPS/connloop" "$IP" 7400 100000
grep -h OK "$T/check.out" | sed 's/^/     /'

# Packet loss on the link (both ways, --loss): transfers still complete and verify.
for loss in 1 10; do
	start_service "l$loss-a" --net "switch://$T/lossy$loss" --loss "$loss" --ip 198.19.20.1/24 &&
		start_service "l$loss-b" --net "vde://$T/lossy$loss" --loss "$loss" --ip 198.19.20.2/24 || { fail "loss-$loss" start; continue; }
	size=$([ $loss = 1 ] && echo 64M || echo 1M)
	app_bg "l$loss-a" "ltx$loss" "$APPS/test_tx" -p 7600 -n "$size" -c 1
	check "loss-$loss-percent" timeout 300 env NETCON_SOCKET="$T/l$loss-b.sock" "${NS[@]}" "$INTERCEPT" \
		"$APPS/test_rx" -w 20 -p 7600 -n "$size" 198.19.20.1
	grep -h OK "$T/check.out" | sed 's/^/     /'
done
summary
