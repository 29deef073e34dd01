# tests/compat/redis.sh - redis-server with redis-cli and redis-benchmark.
# (Sourced by tests/suites/compat.sh.) Redis moves its data with plain
# read/write; it listens on IPv4 and IPv6 (`bind * -::*`).

compat_redis() {
	local d=$T/redis pid=''
	compat_pkgs redis-server redis-tools || { row redis-server redis-server 1 "$WHY"; return; }
	services redis || { row redis-server redis-server 1 "$WHY"; return; }
	mkdir -p "$d"
	cat >"$d/redis.conf" <<-EOF
		port 6379
		bind * -::*
		protected-mode no
		daemonize no
		dir $d
		save ""
		appendonly no
		logfile ""
	EOF
	app_bg redis_srv redis-server redis-server "$d/redis.conf"
	pid=$LAST_PID
	cli() { app redis_cli redis-cli -h "$SRV_IP" -p 6379 "$@"; }

	# SET and GET of a 1 MiB value, and over IPv6.
	head -c 786432 /dev/urandom | base64 -w 0 >"$d/value"
	redis_setget() {
		cli -x SET big <"$d/value" | grep -qx OK &&
			cli --raw GET big | head -c -1 >"$d/got" && cmp "$d/value" "$d/got" &&
			app redis_cli redis-cli -h "$SRV_IP6" -p 6379 SET six "over IPv6" | grep -qx OK &&
			[ "$(cli GET six)" = "over IPv6" ]
	}
	# 10,000 keys through --pipe, read back one GET each and compared.
	redis_pipe() {
		local i
		for ((i = 0; i < 10000; i++)); do echo "SET key:$i value-$i-$RANDOM"; done >"$d/cmds"
		sed 's/^SET \([^ ]*\) .*/GET \1/' "$d/cmds" >"$d/gets"
		sed 's/^SET [^ ]* //' "$d/cmds" >"$d/want"
		cli --pipe <"$d/cmds" | tee "$d/pipe.out" | grep -q "errors: 0, replies: 10000" &&
			cli --raw <"$d/gets" >"$d/values" && cmp "$d/want" "$d/values" &&
			[ "$(cli DBSIZE)" = 10002 ]
	}
	redis_bench() {
		app redis_cli redis-benchmark -h "$SRV_IP" -p 6379 -q -n 2000 -t set,get >"$d/bench" 2>&1
		cat "$d/bench"
		tr '\r' '\n' <"$d/bench" | grep -q "^SET: .* requests per second" &&
			tr '\r' '\n' <"$d/bench" | grep -q "^GET: .* requests per second" &&
			! grep -qi error "$d/bench"
	}
	if try "redis-server ready" wait_up "$pid" 15 cli PING &&
		try "SET/GET 1 MiB" redis_setget &&
		try "redis-cli --pipe 10000 keys" redis_pipe &&
		try "redis-benchmark" redis_bench; then
		row redis-server redis-server 0 "redis-cli SET/GET of a 1 MiB value (IPv4, IPv6), 10,000 keys by --pipe read back, redis-benchmark -n 2000 -t set,get: $(tr '\r' '\n' <"$d/bench" | grep -o '^[A-Z]*: [0-9.]* requests per second' | sed 's/ requests per second/ req\/s/' | paste -sd, | sed 's/,/, /')"
	else
		row redis-server redis-server 1 "$WHY"
	fi
	stop "$pid"
}
