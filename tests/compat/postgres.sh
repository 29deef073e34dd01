# tests/compat/postgres.sh - PostgreSQL with psql and pgbench over TCP.
# (Sourced by tests/suites/compat.sh.)
#
# initdb and postgres refuse to run as root: they run as the postgres user
# (setpriv), so their service is started with --group postgres to let that
# user reach its socket. The postmaster forks a backend per connection, which
# inherits the accepted socket. Logins use SCRAM passwords.

compat_postgres() {
	local d=$T/pg pid='' bin
	compat_pkgs postgresql postgresql-client postgresql-contrib || { row postgresql postgresql 1 "$WHY"; return; }
	bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	start_service pg_srv --group postgres && start_service pg_cli || { row postgresql postgresql 1 "services did not start"; return; }
	SVC_PIDS+=("$PID_pg_srv" "$PID_pg_cli")
	SRV_IP=$(service_ip pg_srv 4)
	SRV_IP6=$(service_ip pg_srv 6)
	mkdir -p "$d"
	echo "compat-pw" >"$d/pw"
	chown postgres:postgres "$d" "$d/pw"
	local as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups)
	sql() { PGPASSWORD=compat-pw PGCONNECT_TIMEOUT=20 app pg_cli psql -X -v ON_ERROR_STOP=1 -h "$SRV_IP" -U postgres "$@"; }
	pg_init() {
		"${as_pg[@]}" "$bin/initdb" -D "$d/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
			--pwfile="$d/pw" &&
			printf 'host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n' >>"$d/data/pg_hba.conf"
	}
	# 1000 rows inserted one statement each, summed; a 1 MiB bytea in and out.
	pg_sql() {
		local i
		{
			echo "CREATE TABLE t (id int PRIMARY KEY, v bigint, note text);"
			for ((i = 1; i <= 1000; i++)); do echo "INSERT INTO t VALUES ($i, $((i * 7)), 'row $i');"; done
			echo "CREATE TABLE b (id int PRIMARY KEY, data bytea);"
			echo "INSERT INTO b VALUES (1, decode('$(od -An -v -tx1 "$d/blob" | tr -d ' \n')', 'hex'));"
		} >"$d/load.sql"
		sql -q -f "$d/load.sql" || return 1
		[ "$(sql -At -c 'SELECT count(*), sum(v) FROM t')" = "1000|3503500" ] || return 1
		sql -At -c "SELECT encode(data, 'hex') FROM b WHERE id = 1" | tr -d '\n' >"$d/hex" &&
			[ "$(cat "$d/hex")" = "$(od -An -v -tx1 "$d/blob" | tr -d ' \n')" ]
	}
	pg_v6() {
		[ "$(PGPASSWORD=compat-pw app pg_cli psql -X -h "$SRV_IP6" -U postgres -At -c 'SELECT 6*7')" = 42 ]
	}
	pg_bench() {
		PGPASSWORD=compat-pw app pg_cli pgbench -h "$SRV_IP" -U postgres -i -q postgres &&
			PGPASSWORD=compat-pw app pg_cli pgbench -h "$SRV_IP" -U postgres -T 5 -c 4 -j 2 postgres >"$d/bench" 2>&1
		local rc=$?
		cat "$d/bench"
		[ $rc = 0 ] && grep -q "number of failed transactions: 0" "$d/bench"
	}
	head -c 1048576 /dev/urandom >"$d/blob"
	if try "initdb" pg_init; then
		app_bg pg_srv postgres "${as_pg[@]}" "$bin/postgres" -D "$d/data" -c listen_addresses='*' -c port=5432 \
			-c unix_socket_directories="$d" -c max_connections=50 -c fsync=off
		pid=$LAST_PID
		if try "postgres ready" wait_up "$pid" 30 sql -c 'SELECT 1' &&
			try "1000 rows summed, 1 MiB bytea" pg_sql &&
			try "IPv6" pg_v6 &&
			try "pgbench -i, pgbench -T 5 -c 4" pg_bench; then
			row postgresql postgresql 0 "SCRAM login over TCP (IPv4, IPv6), a backend process per connection; 1000 rows inserted and summed; a 1 MiB bytea stored and read back (compared); pgbench -i, then -T 5 -c 4: $(grep -o 'tps = [0-9]*' "$d/bench" | head -n 1 | cut -d' ' -f3) transactions/s, 0 failed"
		else
			row postgresql postgresql 1 "$WHY"
		fi
		kill -INT "$pid" 2>/dev/null	# fast shutdown
		stop "$pid"
	else
		row postgresql postgresql 1 "$WHY"
	fi
}
