#!/bin/bash
# Real programs from Debian: curl against nginx and against python3's
# http.server, each server on one service and curl on another.
source "$(dirname "$0")/../lib.sh"

start_service srv && start_service cli || { fail service-start; summary; exit 1; }
IP=$(service_ip srv 4)
IP6=$(service_ip srv 6)
mkdir -p "$T/www"
chmod 755 "$T" "$T/www"	# nginx workers run as www-data
head -c 3000000 /dev/urandom >"$T/www/blob"
echo "hello from netcon" >"$T/www/index.html"
chmod 644 "$T/www/blob" "$T/www/index.html"

# fetch NAME URL: curl through service cli; the body must match the file.
fetch() {
	local name=$1 url=$2 file=$3
	if app cli curl -sS --max-time 20 -o "$T/got" "$url" >"$T/curl.out" 2>&1 &&
		cmp -s "$T/got" "$T/www/$file"; then
		pass "$name"
	else
		fail "$name" "$(cat "$T/curl.out")"
	fi
}

# python3 http.server: dual-stack listener on :: (IPv4 arrives v4-mapped).
app_bg srv python-http python3 -m http.server 8000 --directory "$T/www"
wait_for 10 app cli curl -s -o /dev/null "http://$IP:8000/index.html"
fetch python-http-ipv4 "http://$IP:8000/blob" blob
fetch python-http-ipv6 "http://[$IP6]:8000/blob" blob
fetch python-http-index "http://$IP:8000/index.html" index.html

# nginx: master and two workers (workers lose the environment: the library
# reads it in its constructor), sendfile on.
cat >"$T/nginx.conf" <<NGINX
daemon off;
master_process on;
worker_processes 2;
pid $T/nginx.pid;
error_log $T/nginx-error.log info;
events { worker_connections 256; }
http {
	access_log off;
	sendfile on;
	server {
		listen 8080;
		listen [::]:8080;
		root $T/www;
	}
}
NGINX
app_bg srv nginx nginx -c "$T/nginx.conf" -e "$T/nginx-error.log"
wait_for 10 app cli curl -s -o /dev/null "http://$IP:8080/index.html"
fetch nginx-ipv4 "http://$IP:8080/blob" blob
fetch nginx-ipv6 "http://[$IP6]:8080/blob" blob
# Many requests, spread across both workers.
ok=0
for i in $(seq 1 50); do
	app cli curl -s --max-time 10 "http://$IP:8080/index.html" 2>/dev/null | grep -q "hello from netcon" && ok=$((ok + 1))
done
if [ $ok = 50 ]; then pass nginx-50-requests; else fail nginx-50-requests "$ok of 50"; fi
# Keep-alive: several requests over one connection.
if app cli curl -s --max-time 20 "http://$IP:8080/index.html" "http://$IP:8080/index.html" \
	"http://$IP:8080/index.html" | grep -c "hello from netcon" | grep -qx 3; then
	pass nginx-keepalive
else
	fail nginx-keepalive
fi
# `netcon-service PROGRAM`: a service for one program, which exits with its status.
out=$("${NS[@]}" "$SVC" -q --socket "$T/own.sock" --net "vde://$T/switch" sh -c \
	"python3 -m http.server 8100 --directory '$T/www' >/dev/null 2>&1 & p=\$!; \
	 for i in \$(seq 50); do curl -s http://127.0.0.1:8100/index.html && break; sleep 0.1; done; kill \$p; exit 7" 2>&1)
rc=$?
if [ $rc = 7 ] && echo "$out" | grep -q "hello from netcon"; then pass service-runs-program; else fail service-runs-program "rc=$rc $out"; fi

# `intercept show` names the library and the service, and says whether it runs.
if NETCON_SOCKET="$T/srv.sock" "$INTERCEPT" show | grep -q "hosting the switch" &&
	NETCON_SOCKET="$T/none.sock" "$INTERCEPT" show | grep -q "no service at $T/none.sock"; then
	pass intercept-show
else
	fail intercept-show
fi
# Without a service an INET socket fails closed, saying where it looked;
# NETCON_FALLBACK=kernel hands it to the kernel instead.
msg=$(NETCON_SOCKET="$T/none.sock" LD_PRELOAD="$TOP/$B/lib/netcon/libnetcon.so" "${NS[@]}" \
	python3 -c 'import socket; socket.socket()' 2>&1)
if echo "$msg" | grep -q "no netcon service at $T/none.sock" && echo "$msg" | grep -q "Network is down"; then
	pass fail-closed
else
	fail fail-closed "$msg"
fi
if NETCON_SOCKET="$T/none.sock" NETCON_FALLBACK=kernel LD_PRELOAD="$TOP/$B/lib/netcon/libnetcon.so" \
	"${NS[@]}" python3 -c 'import socket; s = socket.socket(); print(s.family == socket.AF_INET)' 2>&1 | grep -qx True; then
	pass fallback-kernel
else
	fail fallback-kernel
fi
summary
