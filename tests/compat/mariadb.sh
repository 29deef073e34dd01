# tests/compat/mariadb.sh - MariaDB (the seed's "mysql"): mariadbd with the
# mariadb client over TCP. (Sourced by tests/suites/compat.sh.)
#
# The data directory comes from mariadb-install-db; a password user for TCP is
# created over the server's Unix socket (AF_UNIX: not netcon's, no intercept
# needed). mariadbd runs as root (--user=root), a thread per connection;
# --bind-address=* is its dual-stack listener (with "::" it sets IPV6_V6ONLY).

compat_mariadb() {
	local d=$T/mariadb pid=''
	compat_pkgs mariadb-server mariadb-client || { row mariadb mariadb-server 1 "$WHY"; return; }
	services maria || { row mariadb mariadb-server 1 "$WHY"; return; }
	mkdir -p "$d"
	local sock=$d/mysqld.sock
	my() { app maria_cli mariadb --no-defaults -h "$SRV_IP" -P 3306 -u compat -pcompat-pw "$@"; }
	maria_install() {
		mariadb-install-db --no-defaults --user=root --datadir="$d/data" --auth-root-authentication-method=socket \
			--skip-test-db
	}
	maria_user() {
		mariadb --no-defaults --socket="$sock" -u root -e \
			"CREATE USER compat@'%' IDENTIFIED BY 'compat-pw'; GRANT ALL ON *.* TO compat@'%'"
	}
	# 1000 rows inserted and summed; a 1 MiB blob in and out, compared as hex.
	maria_sql() {
		local i
		{
			echo "CREATE DATABASE compat; USE compat;"
			echo "CREATE TABLE t (id INT PRIMARY KEY, v BIGINT, note VARCHAR(64));"
			for ((i = 1; i <= 1000; i++)); do echo "INSERT INTO t VALUES ($i, $((i * 7)), 'row $i');"; done
			echo "CREATE TABLE b (id INT PRIMARY KEY, data LONGBLOB);"
			echo "INSERT INTO b VALUES (1, FROM_BASE64('$(base64 -w 0 "$d/blob")'));"
		} >"$d/load.sql"
		my <"$d/load.sql" || return 1
		[ "$(my -N -B -e 'SELECT COUNT(*), SUM(v) FROM compat.t')" = "1000	3503500" ] || return 1
		my -N -B -e 'SELECT HEX(data) FROM compat.b WHERE id = 1' >"$d/hex" &&
			[ "$(cat "$d/hex")" = "$(od -An -v -tx1 "$d/blob" | tr -d ' \n' | tr a-f A-F)" ]
	}
	maria_v6() {
		[ "$(app maria_cli mariadb --no-defaults -h "$SRV_IP6" -P 3306 -u compat -pcompat-pw -N -B \
			-e 'SELECT 6*7')" = 42 ]
	}
	# 50 clients at once, 5 rounds of mariadb-slap's generated load: about
	# 2,500 sessions, enough that connections closing while others receive
	# (the dirty/dead list mix-up of 2026-12-01) hang within a run. It takes
	# under 10 s here; after 120 s it has hung: maria_hang_report says where everything
	# waits (into $d/hang.txt, printed after the row) before it is killed.
	maria_slap() {
		local spid i
		NETCON_SOCKET="$T/maria_cli.sock" "${NS[@]}" "$INTERCEPT" mariadb-slap --no-defaults -h "$SRV_IP" \
			-P 3306 -u compat -pcompat-pw --concurrency=50 --iterations=5 --number-of-queries=2000 \
			--auto-generate-sql --create-schema=slap &
		spid=$!
		PIDS+=("$spid")
		for ((i = 0; i < 1200; i++)); do
			kill -0 "$spid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$spid" 2>/dev/null; then
			maria_hang_report "$spid" >"$d/hang.txt" 2>&1
			kill -KILL "$spid" 2>/dev/null
			wait "$spid" 2>/dev/null
			echo "mariadb-slap hung for 120 s: $(grep -m1 '^summary:' "$d/hang.txt" | cut -c10-)"
			return 1
		fi
		wait "$spid"
	}
	# maria_hang_report PID: the state of a hung mariadb-slap (PID), of mariadbd
	# and of both services, each part bounded in time and length.
	maria_hang_report() {
		local spid=$1 t fd ino n sp
		echo "--- mariadb-slap's threads (wchan, syscall and for poll/read its socket):"
		for t in /proc/"$spid"/task/*; do
			[ -r "$t/syscall" ] || continue
			# poll(fds, ...): the first struct pollfd's fd, read from the process.
			fd=$(python3 -c '
import sys, struct
f = open("/proc/%s/syscall" % sys.argv[1]).read().split()
nr, a0 = int(f[0]), int(f[1], 16) if len(f) > 1 else 0
if nr in (7, 271):
	m = open("/proc/%s/mem" % sys.argv[1], "rb"); m.seek(a0); print(struct.unpack("i", m.read(4))[0])
elif nr in (0, 45, 47, 19):
	print(a0)
' "${t#/proc/}" 2>/dev/null)
			ino=
			[ -n "$fd" ] && ino=$(readlink "/proc/$spid/fd/$fd" 2>/dev/null | tr -dc 0-9)
			echo "  ${t##*/} $(cat "$t/wchan" 2>/dev/null) syscall $(cut -d' ' -f1 "$t/syscall") ${fd:+fd $fd} ${ino:+socket $ino}"
		done | head -n 40
		n=$(for t in /proc/"$spid"/task/*; do cut -d' ' -f1 "$t/syscall" 2>/dev/null; done | grep -cxE '7|271|0|45|47')
		echo "--- mariadbd's connections (SHOW PROCESSLIST over its Unix socket):"
		timeout 10 mariadb --no-defaults --socket="$sock" -u root -N -B -e 'SHOW PROCESSLIST' 2>&1 | head -n 30
		echo "--- the services:"
		for sp in maria_srv maria_cli; do
			timeout 5 "$SVC" status --socket "$T/$sp.sock" 2>&1 | grep -E '^(service|sockets|link frames)'
		done
		# Every netcon socketpair lives in its service's network namespace.
		echo "--- socketpairs with bytes queued (ss -x in each service's namespace; none: the bytes are inside a service):"
		for sp in maria_srv maria_cli; do
			echo "  $sp: $(timeout 5 nsenter -n -t "$(eval echo "\$PID_$sp")" ss -xHa 2>/dev/null |
				awk '$1 == "u_str" && ($3 != 0 || $4 != 0)' | wc -l) of $(timeout 5 nsenter -n -t \
				"$(eval echo "\$PID_$sp")" ss -xHa 2>/dev/null | grep -c '^u_str')"
			timeout 5 nsenter -n -t "$(eval echo "\$PID_$sp")" ss -xHa 2>/dev/null |
				awk '$1 == "u_str" && ($3 != 0 || $4 != 0)' | head -n 10 | sed 's/^/    /'
		done
		# With gdb installed: the services' socket tables (sock.c's tab): the
		# sockets holding received bytes not yet written to their program, or
		# marked dirty (a socket marked dirty while the dirty list is empty has
		# fallen off it: nc_sock_flush() will never deliver its bytes).
		if command -v gdb >/dev/null; then
			cat >"$d/table.py" <<-'PY'
				import gdb
				def f(s, name):
				    for v in (lambda: s[name], lambda: s["tcp"][name]):
				        try: return int(v())
				        except Exception: pass
				    return -1
				try:
				    tab = gdb.parse_and_eval("'sock.c'::tab")
				    size = int(tab["table"].type.sizeof // tab["table"][0].type.sizeof)
				    print("  dirty list head %s" % tab["dirty"])
				    shown = 0
				    for i in range(size):
				        s = tab["table"][i]
				        while int(s) != 0 and shown < 20:
				            if f(s, "rx") not in (0, -1) or f(s, "dirty") == 1:
				                shown += 1
				                print("  socket %d state %d, received bytes held %s, dirty %d, epoll events 0x%x, port %d-%d" % (
				                    f(s, "id"), f(s, "state"), "yes" if f(s, "rx") not in (0, -1) else "no",
				                    f(s, "dirty"), int(s["h"]["events"]), f(s, "local_port"), f(s, "remote_port")))
				            s = s["hnext"]
				    print("  %d socket(s) holding received bytes or marked dirty" % shown)
				except Exception as e:
				    print("  no socket table: %s" % e)
			PY
			for sp in maria_srv maria_cli; do
				echo "--- $sp's socket table (gdb):"
				timeout 30 gdb -p "$(eval echo "\$PID_$sp")" -batch -ex "source $d/table.py" 2>&1 |
					grep -E '^  ' | head -n 25
			done
		fi
		echo "summary: $n client thread(s) waiting to read from a socket;" \
			"$(timeout 10 mariadb --no-defaults --socket="$sock" -u root -N -B -e 'SHOW PROCESSLIST' 2>/dev/null |
				awk '$5 == "Sleep"' | wc -l) server connection(s) idle (Sleep)"
	}
	head -c 1048576 /dev/urandom >"$d/blob"
	if try "mariadb-install-db" maria_install; then
		app_bg maria_srv mariadbd mariadbd --no-defaults --user=root --datadir="$d/data" --socket="$sock" \
			--port=3306 --bind-address='*' --skip-name-resolve --pid-file="$d/mariadbd.pid" \
			--max-allowed-packet=64M --innodb-buffer-pool-size=64M --skip-log-bin
		pid=$LAST_PID
		if try "mariadbd ready (Unix socket)" wait_up "$pid" 60 mariadb-admin --no-defaults --socket="$sock" -u root ping &&
			try "create a TCP user" maria_user &&
			try "TCP login" wait_up "$pid" 10 my -e 'SELECT 1' &&
			try "1000 rows summed, 1 MiB blob" maria_sql &&
			try "IPv6" maria_v6 &&
			try "mariadb-slap, 50 clients x 5 rounds" maria_slap; then
			row mariadb mariadb-server 0 "password login over TCP (IPv4, IPv6); 1000 rows inserted, counted and summed; a 1 MiB blob stored and read back (compared); mariadb-slap with 50 concurrent clients, 5 rounds"
		else
			row mariadb mariadb-server 1 "$WHY"
		fi
		if [ -s "$d/hang.txt" ]; then
			echo "  --- where the hung mariadb-slap waited:"
			head -n 120 "$d/hang.txt" | sed 's/^/  /'
		fi
		stop "$pid"
	else
		row mariadb mariadb-server 1 "$WHY"
	fi
}
