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
	# 10 clients at once, mariadb-slap's generated load.
	maria_slap() {
		app maria_cli timeout 120 mariadb-slap --no-defaults -h "$SRV_IP" -P 3306 -u compat -pcompat-pw \
			--concurrency=10 --iterations=2 --number-of-queries=500 --auto-generate-sql \
			--create-schema=slap
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
			try "mariadb-slap, 10 clients" maria_slap; then
			row mariadb mariadb-server 0 "password login over TCP (IPv4, IPv6); 1000 rows inserted, counted and summed; a 1 MiB blob stored and read back (compared); mariadb-slap with 10 concurrent clients"
		else
			row mariadb mariadb-server 1 "$WHY"
		fi
		stop "$pid"
	else
		row mariadb mariadb-server 1 "$WHY"
	fi
}
