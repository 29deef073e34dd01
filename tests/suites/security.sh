#!/bin/bash
# Security (issue #9, parts 1, 3 and 5): who may pose as a service, who may
# use one, what survives a privilege drop, and what one greedy or stopped
# party can do to the others.
#
#  1. folders: the service refuses a folder it does not own, one writable by
#     group or others, or a symbolic link (given by --socket or NETCON_DIR,
#     or the squatted default) and creates nothing there; defaults follow the
#     real user, also inside `unshare -r`;
#  2. a fake service run by another user: libnetcon asks who answered
#     (SO_PEERCRED) before sending a byte, unless NETCON_SERVICE_UID says so;
#  3. privilege drops and --group: nginx (user www-data, sendfile, tcp_nopush),
#     postgres as its own user against root's services, --group with the
#     default folder and supplementary groups;
#  4. two unprivileged users in user namespaces, each with its own default
#     folder and service;
#  5. a descriptor hog beside an honest client, and a stopped service that
#     must not hang its clients.
#
# Everything runs as root (setpriv drops to nobody, www-data, postgres); all
# intercepted programs run in fresh network namespaces; every folder made
# outside $T is removed again unless it was there before.
source "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	# The checks are about other users: they need setpriv as root.
	fail security-needs-root "run as root"
	summary
	exit 1
fi
# Default folders of other users live in /tmp: remember which ones existed,
# so that only those this suite made are removed.
for u in 65534 33 101; do
	if [ -e "/tmp/netcon-$u" ]; then PRESENT[$u]=1; else PRESENT[$u]=0; fi
done

HELPERS="$TOP/tests/security"
PGBIN=/usr/lib/postgresql/15/bin
# Debian's python3: other users cannot reach root's own interpreters (a
# pyenv shim in root's PATH, for one).
PY=/usr/bin/python3
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
# Defaults are under test: nothing inherited from lib.sh or the caller may
# choose the folder for these runs.
CLEAN_ENV=(env -C / -u NETCON_DIR -u NETCON_SOCKET -u XDG_RUNTIME_DIR -u HOME)
SQUAT=/tmp/netcon-test-squat-$$
SQUAT2=/tmp/netcon-test-squat2-$$

declare -A PRESENT
LOCK_PID=
suite_cleanup() {
	local u
	cleanup
	rm -rf "$SQUAT" "$SQUAT2"
	for u in "${!PRESENT[@]}"; do
		[ "${PRESENT[$u]}" = 0 ] && rm -rf "/tmp/netcon-$u"
	done
	# Last, once the shared folders are gone.
	[ -n "$LOCK_PID" ] && kill "$LOCK_PID" 2>/dev/null
}
trap suite_cleanup EXIT
trap 'exit 130' INT TERM

# Defaults under test are shared host paths (/tmp/netcon-65534, -33, -101):
# two runs at once would meet there, so runs of this suite take turns. The
# lock is held by one helper process, stopped by PID at exit, so nothing
# this suite starts inherits it; waiting is bounded. It is started from a
# command substitution so that it is not this shell's child, which cleanup's
# `wait` would wait for.
LOCK_PID=$("$PY" "$HELPERS/lock.py" "$HELPERS/lock.py" 3600 >"$T/lock.out" 2>&1 & echo $!)
if ! wait_for 600 grep -q locked "$T/lock.out"; then
	fail security-lock "another run of this suite held $HELPERS/lock.py for 10 minutes"
	summary
	exit 1
fi
# Default folders of other users live in /tmp: remember which ones existed,
# so that only those this suite made are removed.
for u in 65534 33 101; do
	if [ -e "/tmp/netcon-$u" ]; then PRESENT[$u]=1; else PRESENT[$u]=0; fi
done

# Other users (nobody, www-data, postgres) must reach files and sockets in
# $T; 0755 root-owned is also a folder the service accepts.
chmod 755 "$T"
mkdir -p "$T/www"
head -c 1048576 /dev/urandom >"$T/www/blob"
echo "hello from netcon" >"$T/www/index.html"
chmod 755 "$T/www"
chmod 644 "$T/www/blob" "$T/www/index.html"

# A round trip through the service's loopback: socket, bind, listen,
# connect, accept, one byte each way. Any RPC failure makes it exit non-zero.
PYLOOP='import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
c = socket.create_connection(s.getsockname(), timeout=10)
a, _ = s.accept(); c.sendall(b"x"); a.sendall(a.recv(1))
assert c.recv(1) == b"x"; print("loop ok")'

# start_at NAME SOCKET [OPTIONS...]: like start_service, with the socket
# where the test wants it; log $T/NAME.log, PID in PID_NAME.
start_at() {
	local name=$1 sock=$2
	shift 2
	"${NS[@]}" "$SVC" --socket "$sock" "$@" >"$T/$name.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$name=$!"
	wait_for 10 "$SVC" status --socket "$sock"
}

# one_line FILE: a file's content on one line, for a failure's detail.
one_line() { tr '\n' ' ' <"$1" | cut -c 1-400; }

# ---------------------------------------------------------------------------
# 1. Folder safety.

# expect_refusal NAME FOLDER WHY COMMAND...: the service COMMAND must exit
# non-zero on its own (not still be running after 5 s), with a message naming
# FOLDER and matching WHY (extended regex, any case), and leave FOLDER empty.
expect_refusal() {
	local name=$1 dir=$2 why=$3 rc
	shift 3
	timeout 5 "$@" >"$T/refusal.out" 2>&1
	rc=$?
	if [ $rc = 124 ]; then
		fail "$name" "service accepted $dir (still running after 5 s): $(one_line "$T/refusal.out")"
	elif [ $rc = 0 ]; then
		fail "$name" "exit 0: $(one_line "$T/refusal.out")"
	elif ! grep -qF -- "$dir" "$T/refusal.out"; then
		fail "$name" "message does not name $dir: $(one_line "$T/refusal.out")"
	elif ! grep -qiE -- "$why" "$T/refusal.out"; then
		fail "$name" "message does not say /$why/: $(one_line "$T/refusal.out")"
	elif [ -n "$(ls -A "$dir/")" ]; then
		fail "$name" "created in $dir: $(ls -A "$dir/" | tr '\n' ' ')"
	else
		pass "$name" "$(head -n 1 "$T/refusal.out")"
	fi
}

# (a) A squatter: nobody made the folder, world-writable, before root's
# service came. The message must say whose folder it is.
"${NOBODY[@]}" mkdir -m 0777 "$SQUAT"
expect_refusal folder-squat-socket "$SQUAT" 'nobody|65534' "${NS[@]}" "$SVC" --socket "$SQUAT/service.sock"
# Owned by someone else is enough, even when nobody else may write to it.
"${NOBODY[@]}" mkdir -m 0755 "$SQUAT2"
expect_refusal folder-foreign-netcon-dir "$SQUAT2" 'nobody|65534' env NETCON_DIR="$SQUAT2" "${NS[@]}" "$SVC"

# (b) Root's own folder, but others (or the group) may write to it.
mkdir -m 0777 "$T/open"
chmod 0777 "$T/open"	# whatever the umask
expect_refusal folder-world-writable "$T/open" 'writ' "${NS[@]}" "$SVC" --socket "$T/open/service.sock"
mkdir "$T/grpw"
chmod 0770 "$T/grpw"
expect_refusal folder-group-writable "$T/grpw" 'writ' env NETCON_DIR="$T/grpw" "${NS[@]}" "$SVC"

# (c) A symbolic link to a good folder: refused, and nothing appears in the
# folder it points to.
mkdir -m 0700 "$T/good"
ln -s "$T/good" "$T/link"
expect_refusal folder-symlink-socket "$T/link" 'symbolic|symlink' "${NS[@]}" "$SVC" --socket "$T/link/service.sock"
expect_refusal folder-symlink-netcon-dir "$T/link" 'symbolic|symlink' env NETCON_DIR="$T/link" "${NS[@]}" "$SVC"

# The control: a folder of root's, mode 0755, is accepted; the socket is 0600.
if start_service srv && start_service cli; then
	mode=$(stat -c %a "$T/srv.sock")
	if [ "$mode" = 600 ]; then pass folder-good-accepted "socket $mode"; else fail folder-good-accepted "socket mode $mode"; fi
else
	fail folder-good-accepted "service did not start in $T"
	summary
	exit 1
fi
# Default folders of other users live in /tmp: remember which ones existed,
# so that only those this suite made are removed.
for u in 65534 33 101; do
	if [ -e "/tmp/netcon-$u" ]; then PRESENT[$u]=1; else PRESENT[$u]=0; fi
done
IP=$(service_ip srv 4)

# (d) The real user's default: nobody in a user namespace is uid 0 inside,
# yet its folder is /tmp/netcon-65534, never root's /tmp/netcon-0.
out=$(cd / && "${CLEAN_ENV[@]}" "${NOBODY[@]}" unshare -rn "$INTERCEPT" show 2>&1)
if echo "$out" | grep -q "/tmp/netcon-65534/" && ! echo "$out" | grep -q "/tmp/netcon-0/"; then
	pass default-folder-real-uid "$(echo "$out" | grep -m 1 /tmp/netcon-)"
else
	fail default-folder-real-uid "$(echo "$out" | tr '\n' ' ')"
fi

# ---------------------------------------------------------------------------
# 2. A fake service: nobody listens in its own folder (socket mode 0777) and
# counts what it receives; root's curl must not send it a byte.
F=$T/fake
mkdir -m 0755 "$F"
chown nobody:nogroup "$F"
"${NS[@]}" "${NOBODY[@]}" "$PY" "$HELPERS/fake_service.py" "$F/service.sock" "$F/received" >"$T/fake.log" 2>&1 &
PIDS+=($!)
wait_for 10 test -S "$F/service.sock" -a -f "$F/received"
received() { awk '$1 == "total" { print $2 }' "$F/received"; }

NETCON_SOCKET="$F/service.sock" timeout 20 "${NS[@]}" "$INTERCEPT" curl -sS --max-time 10 \
	-H 'Authorization: Bearer secret' http://198.18.0.1:80/ >"$T/fake-curl.out" 2>"$T/fake-curl.err"
rc=$?
sleep 0.5	# let the fake write down anything it got
got=$(received)
if [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$got" = 0 ]; then
	pass fake-service-gets-nothing "curl exit $rc, fake received 0 bytes"
else
	fail fake-service-gets-nothing "curl exit $rc, fake received $got bytes: $(one_line "$T/fake-curl.err")"
fi
lines=$(grep -ci refusing "$T/fake-curl.err")
if [ "$lines" = 1 ] && grep -i refusing "$T/fake-curl.err" | grep -q 65534; then
	pass fake-service-refusal-line "$(grep -i refusing "$T/fake-curl.err")"
else
	fail fake-service-refusal-line "$lines lines with 'refusing' (want 1, naming uid 65534): $(one_line "$T/fake-curl.err")"
fi
# The user names the uid it trusts: then the very same call does reach the
# fake, which shows it was the credentials check that refused it above.
NETCON_SERVICE_UID=65534 NETCON_SOCKET="$F/service.sock" timeout 20 "${NS[@]}" "$INTERCEPT" curl -sS \
	--max-time 10 http://198.18.0.1:80/ >"$T/fake-curl2.out" 2>"$T/fake-curl2.err"
sleep 0.5
got=$(received)
if [ "${got:-0}" -gt 0 ]; then
	pass fake-service-uid-allowed "NETCON_SERVICE_UID=65534: fake received $got bytes"
else
	fail fake-service-uid-allowed "fake received ${got:-?} bytes: $(one_line "$T/fake-curl2.err")"
fi

# ---------------------------------------------------------------------------
# 3a. nginx in Debian's default style: root master, workers as www-data,
# sendfile with tcp_nopush (TCP_CORK in the workers, after the drop).
mkdir -p "$T/nginx-tmp"
cat >"$T/nginx.conf" <<NGINX
user www-data;
worker_processes 2;
daemon off;
master_process on;
pid $T/nginx.pid;
error_log $T/nginx-error.log info;
events { worker_connections 256; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	client_body_temp_path $T/nginx-tmp/body;
	proxy_temp_path $T/nginx-tmp/proxy;
	fastcgi_temp_path $T/nginx-tmp/fastcgi;
	uwsgi_temp_path $T/nginx-tmp/uwsgi;
	scgi_temp_path $T/nginx-tmp/scgi;
	server {
		listen 8080;
		root $T/www;
	}
}
NGINX
app_bg srv nginx nginx -c "$T/nginx.conf" -e "$T/nginx-error.log"
NGINX_PID=$LAST_PID
wait_for 10 app cli curl -s -o /dev/null "http://$IP:8080/index.html"
workers=$(ps -o user= --ppid "$NGINX_PID" | sort | uniq -c | tr -s ' ' | tr '\n' ' ')
if app cli curl -sS --max-time 20 -o "$T/got-nginx" "http://$IP:8080/blob" >"$T/curl.out" 2>&1 &&
	cmp -s "$T/got-nginx" "$T/www/blob"; then
	pass nginx-www-data-tcp-nopush "1 MiB identical; workers:$workers"
else
	fail nginx-www-data-tcp-nopush "workers:$workers $(one_line "$T/curl.out") $(grep -m 3 -iE 'crit|error|alert' "$T/nginx-error.log" | tr '\n' ' ')"
fi
# Fresh connections at once, so that both workers serve (and set TCP_CORK)
# at the same time: 4 rounds of 5 parallel 1 MiB fetches, each compared.
ok=0
for r in 1 2 3 4; do
	cpids=()
	for i in 1 2 3 4 5; do
		app cli curl -sS --max-time 20 -o "$T/got-nginx-$i" "http://$IP:8080/blob" >"$T/curl-$i.out" 2>&1 &
		cpids+=($!)
		PIDS+=($!)
	done
	for i in 1 2 3 4 5; do
		wait "${cpids[$((i - 1))]}" && cmp -s "$T/got-nginx-$i" "$T/www/blob" && ok=$((ok + 1))
	done
done
if [ $ok = 20 ]; then
	pass nginx-www-data-parallel "20 of 20 fetches of 1 MiB, 5 at a time"
else
	fail nginx-www-data-parallel "$ok of 20: $(cat "$T"/curl-*.out | sort | uniq -c | tr '\n' ' ' | cut -c 1-300)"
fi
kill "$NGINX_PID" 2>/dev/null

# 3b. postgres as its own user, through root's services opened to group
# postgres. The service makes its folder itself (NETCON_DIR names one that
# does not exist yet), so the group must be let through by what the service
# creates: the folder searchable by group postgres, the sockets 0660.
PGNET=$T/pgnet
PG_USER=(setpriv --reuid=postgres --regid=postgres --init-groups)
# The first service with every path by default, the second beside it.
NETCON_DIR=$PGNET "${NS[@]}" "$SVC" --group postgres >"$T/pgsrv.log" 2>&1 &
PIDS+=($!)
if wait_for 10 "$SVC" status --socket "$PGNET/service.sock" &&
	NETCON_DIR=$PGNET start_at pgcli "$PGNET/cli.sock" --group postgres; then
	perm="folder $(stat -c '%a %G' "$PGNET"), socket $(stat -c '%a %G' "$PGNET/service.sock")"
	d=$(stat -c %a "$PGNET")
	if [ "$(stat -c '%a %G' "$PGNET/service.sock")" = "660 postgres" ] && [ "$(stat -c %G "$PGNET")" = postgres ] &&
		(((8#$d & 8#010) && !(8#$d & 8#022))); then
		pass group-socket-mode "$perm"
	else
		fail group-socket-mode "$perm (want a group-searchable folder of group postgres, socket 660 postgres)"
	fi
	PGIP=$("$SVC" status --socket "$PGNET/service.sock" | awk '$1 == "ipv4" { sub("/.*", "", $2); print $2 }')
	mkdir -m 0700 "$T/pgdata"
	chown postgres:postgres "$T/pgdata"
	# initdb needs no network; it runs in an empty namespace all the same.
	if (cd "$T/pgdata" && "${NS[@]}" "${PG_USER[@]}" "$PGBIN/initdb" -D "$T/pgdata/db" -A trust -U postgres \
		--no-sync >"$T/initdb.out" 2>&1); then
		# initdb trusts only 127.0.0.1 and ::1; the client comes from the
		# other service's virtual address.
		echo "host all all 198.18.0.0/16 trust" >>"$T/pgdata/db/pg_hba.conf"
		NETCON_SOCKET="$PGNET/service.sock" "${NS[@]}" "${PG_USER[@]}" "$INTERCEPT" "$PGBIN/postgres" -D "$T/pgdata/db" \
			-c listen_addresses="$PGIP" -c port=5432 -c unix_socket_directories= -c shared_buffers=16MB \
			>"$T/postgres.log" 2>&1 &
		PG_PID=$!
		PIDS+=($PG_PID)
		# psql as postgres through the other service; hostaddr keeps libpq
		# away from name lookups, which an empty namespace cannot do.
		psql_net() {
			(cd "$T/pgdata" && NETCON_SOCKET="$PGNET/cli.sock" timeout 30 "${NS[@]}" "${PG_USER[@]}" "$INTERCEPT" \
				"$PGBIN/psql" "hostaddr=$PGIP port=5432 user=postgres dbname=postgres connect_timeout=10" \
				-XAtq -v ON_ERROR_STOP=1 "$@")
		}
		wait_for 30 psql_net -c 'select 1'
		out=$(psql_net -c 'select 1' 2>&1)
		if [ "$out" = 1 ]; then pass postgres-own-user-select-1; else fail postgres-own-user-select-1 "$out"; fi
		out=$(psql_net -c 'create table t (id int, word text)' \
			-c "insert into t select g, md5(g::text) from generate_series(1, 1000) g" \
			-c "select count(*), sum(id), length(string_agg(word, '' order by id)) from t" \
			-c "select length(repeat('x', 1000000))" 2>&1)
		if [ "$out" = "$(printf '1000|500500|32000\n1000000')" ]; then
			pass postgres-own-user-table "1000 rows round trip"
		else
			fail postgres-own-user-table "$(echo "$out" | tr '\n' ' ')"
		fi
		# Fast shutdown, bounded; cleanup() kills whatever is left.
		kill -INT "$PG_PID" 2>/dev/null
		for i in $(seq 1 100); do kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.1; done
	else
		fail postgres-own-user-select-1 "initdb: $(tail -n 3 "$T/initdb.out" | tr '\n' ' ')"
		fail postgres-own-user-table "no cluster"
	fi
else
	fail group-socket-mode "services with --group postgres did not start"
	fail postgres-own-user-select-1 "no service"
	fail postgres-own-user-table "no service"
fi

# 3c. --group with the default folder: the service makes
# $XDG_RUNTIME_DIR/netcon for the group. $T/xdg is 0711 (searchable, as the
# group must get through it to the folder the service makes; a 0700 parent
# would shut out the group whatever the service does).
mkdir -m 0711 "$T/xdg"
X=$T/xdg/netcon/service.sock
"${CLEAN_ENV[@]}" XDG_RUNTIME_DIR="$T/xdg" "${NS[@]}" "$SVC" --group nogroup >"$T/xdg.log" 2>&1 &
PIDS+=($!)
if wait_for 10 "$SVC" status --socket "$X"; then
	pass group-default-folder-xdg "$X"
	dperm=$(stat -c '%a %G' "$T/xdg/netcon")
	d=$(stat -c %a "$T/xdg/netcon")
	if [ "${dperm#* }" = nogroup ] && (((8#$d & 8#010) && !(8#$d & 8#022))); then
		pass group-default-folder-mode "folder $dperm"
	else
		fail group-default-folder-mode "folder $dperm (want group nogroup, group-searchable, not group/other-writable)"
	fi
	sperm=$(stat -c '%a %G' "$X")
	if [ "$sperm" = "660 nogroup" ]; then pass group-default-socket-mode "$sperm"; else fail group-default-socket-mode "$sperm"; fi
	# A supplementary group is enough: primary gid 33, nogroup only as extra.
	out=$(NETCON_SOCKET="$X" timeout 20 "${NS[@]}" setpriv --reuid=nobody --regid=33 --groups=nogroup \
		"$INTERCEPT" "$PY" -c "$PYLOOP" 2>&1)
	if [ "$out" = "loop ok" ]; then pass group-supplementary-member; else fail group-supplementary-member "$out"; fi
	# Without the group: refused by the file permissions, and told so.
	out=$(NETCON_SOCKET="$X" timeout 20 "${NS[@]}" setpriv --reuid=nobody --regid=33 --clear-groups \
		"$INTERCEPT" "$PY" -c "$PYLOOP" 2>&1)
	rc=$?
	if [ $rc != 0 ] && [ $rc != 124 ] && echo "$out" | grep -qi permission; then
		pass group-non-member-permission "$(echo "$out" | grep -i -m 1 permission)"
	else
		fail group-non-member-permission "exit $rc: $(echo "$out" | tr '\n' ' ' | cut -c 1-400)"
	fi
else
	fail group-default-folder-xdg "no service at $X: $(one_line "$T/xdg.log")"
fi

# ---------------------------------------------------------------------------
# 4. Two unprivileged users, each in its own user namespace (uid 0 inside),
# default paths: two folders, two services, each user served by its own.
# as_user USER COMMAND...: run as USER (its own group only), clean env.
# ASU USER: the same as an array in $ASU, for background processes, whose
# $! must be the process itself (a function or subshell would put a shell
# in between, and stopping it would leave the process running).
ASU() { ASU=("${CLEAN_ENV[@]}" setpriv --reuid="$1" --regid="$(id -g "$1")" --clear-groups); }
as_user() {
	ASU "$1"
	shift
	"${ASU[@]}" "$@"
}
declare -A UPID
for u in nobody www-data; do
	ASU "$u"
	"${ASU[@]}" unshare -rn "$SVC" >"$T/ns-$u.log" 2>&1 &
	UPID[$u]=$!
	PIDS+=($!)
done
for u in nobody www-data; do
	wait_for 10 test -S "/tmp/netcon-$(id -u "$u")/service.sock"
	wait_for 10 as_user "$u" unshare -rn "$SVC" status
done
bad=""
for u in nobody www-data; do
	kill -0 "${UPID[$u]}" 2>/dev/null && [ -S "/tmp/netcon-$(id -u "$u")/service.sock" ] || bad="$bad $u"
done
if [ -z "$bad" ]; then
	pass userns-two-users-start "/tmp/netcon-65534 and /tmp/netcon-33"
else
	fail userns-two-users-start "not running:$bad $(one_line "$T/ns-nobody.log") | $(one_line "$T/ns-www-data.log")"
fi
# Each user serves a page naming itself through its own service and fetches
# it through the same one: the switches are separate, so the other user's
# server cannot answer.
for u in nobody www-data; do
	mkdir -m 0755 "$T/www-$u"
	echo "served for $u" >"$T/www-$u/index.html"
	chmod 644 "$T/www-$u/index.html"
	ASU "$u"
	"${ASU[@]}" unshare -rn "$INTERCEPT" "$PY" -m http.server 8000 --directory "$T/www-$u" >"$T/ns-http-$u.log" 2>&1 &
	PIDS+=($!)
done
for u in nobody www-data; do
	uip=$(as_user "$u" unshare -rn "$SVC" status 2>/dev/null | awk '$1 == "ipv4" { sub("/.*", "", $2); print $2 }')
	wait_for 10 as_user "$u" unshare -rn "$INTERCEPT" curl -s --max-time 5 -o /dev/null "http://$uip:8000/"
	out=$(as_user "$u" unshare -rn "$INTERCEPT" curl -sS --max-time 10 "http://$uip:8000/" 2>&1)
	show=$(as_user "$u" unshare -rn "$INTERCEPT" show 2>&1)
	if [ "$out" = "served for $u" ] && echo "$show" | grep -q "/tmp/netcon-$(id -u "$u")/service.sock"; then
		pass "userns-own-service-$u" "$uip"
	else
		fail "userns-own-service-$u" "ip '$uip': $out | $(echo "$show" | tr '\n' ' ')"
	fi
done
# A user with no service is told so, with the folder it looked in.
show=$(as_user postgres unshare -rn "$INTERCEPT" show 2>&1)
if echo "$show" | grep -q /tmp/netcon-101 && echo "$show" | grep -qi "no service" &&
	! echo "$show" | grep -q "socket present"; then
	pass userns-show-no-service "$(echo "$show" | grep -i -m 1 'no service')"
else
	fail userns-show-no-service "$(echo "$show" | tr '\n' ' ')"
fi
# The issue's attack on a default folder: nobody squats postgres's
# /tmp/netcon-101 before postgres starts its service there.
if [ "${PRESENT[101]}" = 0 ]; then
	"${NOBODY[@]}" mkdir -m 0777 /tmp/netcon-101
	expect_refusal userns-default-squatted /tmp/netcon-101 'nobody|65534' \
		"${CLEAN_ENV[@]}" setpriv --reuid=postgres --regid=postgres --clear-groups unshare -rn "$SVC"
	rm -rf /tmp/netcon-101
else
	echo "skip userns-default-squatted (/tmp/netcon-101 exists)"
fi

# ---------------------------------------------------------------------------
# 5. A descriptor hog beside an honest client, on a service limited to 1024
# descriptors. The hog's own limit is high, so its EMFILE must come from the
# service's per-client limit.
"${NS[@]}" prlimit --nofile=1024:1024 "$SVC" --socket "$T/hog.sock" >"$T/hog.log" 2>&1 &
PID_hog=$!
PIDS+=($PID_hog)
if wait_for 10 "$SVC" status --socket "$T/hog.sock"; then
	HIP=$(service_ip hog 4)
	app_bg hog hog-http "$PY" -m http.server 8000 --directory "$T/www"
	wait_for 10 app hog curl -s -o /dev/null "http://$HIP:8000/index.html"
	NETCON_SOCKET="$T/hog.sock" "${NS[@]}" prlimit --nofile=8192:8192 "$INTERCEPT" "$PY" "$HELPERS/hog.py" 30 \
		>"$T/hog-client.out" 2>&1 &
	HOG=$!
	PIDS+=($HOG)
	wait_for 30 grep -q '^hog ' "$T/hog-client.out"
	read -r _ count err < <(grep '^hog ' "$T/hog-client.out")
	if [ "${err:-}" = 24 ] && [ "${count:-99999}" -le 576 ]; then
		pass hog-emfile "EMFILE after $count sockets (service limit 1024)"
	else
		fail hog-emfile "sockets ${count:-none} errno ${err:-none} (want 24 after at most ~512): $(one_line "$T/hog-client.out")"
	fi
	# While the hog holds everything and retries every 10 ms: no spinning.
	cpu() { awk '{ print $14 + $15 }' "/proc/$PID_hog/stat"; }
	c0=$(cpu)
	sleep 5
	c1=$(cpu)
	hz=$(getconf CLK_TCK)
	if [ -n "$c0" ] && [ -n "$c1" ] && [ $((c1 - c0)) -lt "$hz" ]; then
		pass hog-no-spin "$((c1 - c0)) ticks of $hz/s in 5 s"
	else
		fail hog-no-spin "${c0:-?} -> ${c1:-?} ticks in 5 s (limit $hz)"
	fi
	if grep -qi limit "$T/hog.log"; then
		pass hog-logged "$(grep -i -m 1 limit "$T/hog.log")"
	else
		fail hog-logged "no line about the limit in the service's log"
	fi
	# The honest client, new processes each time, while the hog still holds.
	ok=0
	: >"$T/hog-curl.out"
	for i in 1 2 3; do
		if app hog curl -sS --max-time 10 -o "$T/got-hog" "http://$HIP:8000/blob" >"$T/curl.out" 2>&1 &&
			cmp -s "$T/got-hog" "$T/www/blob"; then
			ok=$((ok + 1))
		else
			echo "fetch $i: $(one_line "$T/curl.out")" >>"$T/hog-curl.out"
		fi
	done
	if kill -0 "$HOG" 2>/dev/null && [ $ok = 3 ]; then
		pass hog-honest-client "3 of 3 fetches of 1 MiB while the hog held its sockets"
	else
		fail hog-honest-client "$ok of 3 ($(kill -0 "$HOG" 2>/dev/null && echo hog holding || echo hog gone)): $(one_line "$T/hog-curl.out")"
	fi
	kill "$HOG" 2>/dev/null
else
	fail hog-emfile "service with 1024 descriptors did not start: $(one_line "$T/hog.log")"
fi

# A stopped service: a call needing a round trip fails within the library's
# RPC timeout instead of hanging the program.
if start_service stop; then
	kill -STOP "$PID_stop"
	t0=${EPOCHREALTIME/./}
	NETCON_RPC_TIMEOUT=2 NETCON_SOCKET="$T/stop.sock" timeout 20 "${NS[@]}" "$INTERCEPT" "$PY" -c \
		'import socket; s = socket.socket(); s.bind(("0.0.0.0", 0))' >"$T/stop.out" 2>&1
	rc=$?
	ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	kill -CONT "$PID_stop"
	if [ $rc != 0 ] && [ $rc != 124 ] && [ $ms -lt 10000 ] && [ -s "$T/stop.out" ]; then
		pass rpc-timeout-stopped-service "exit $rc after $ms ms: $(tail -n 1 "$T/stop.out")"
	else
		fail rpc-timeout-stopped-service "exit $rc after $ms ms: $(one_line "$T/stop.out")"
	fi
	# Resumed, it serves again (the timed-out client left nothing stuck).
	check rpc-timeout-service-resumes wait_for 10 app stop "$PY" -c "$PYLOOP"
else
	fail rpc-timeout-stopped-service "service did not start"
fi

summary
