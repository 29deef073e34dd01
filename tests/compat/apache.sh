# tests/compat/apache.sh - apache2 in debug mode (-X: one process), with the
# prefork MPM (processes sharing one listening socket) and with the event MPM
# (processes of threads, epoll). (Sourced by tests/suites/compat.sh.)
#
# Apache refuses `User root`: its children run as www-data, so the document
# root under $T is world-readable. The access log records the serving PID, to
# show that several processes took connections from the one listener. Apache
# stops by signalling its whole process group: setsid gives it its own (the
# PID stays the same, setsid execs without forking here).

compat_apache() {
	local d=$T/apache w=$T/apache/www m f
	local rows=("apache2 -X (debug mode)" "apache2 prefork MPM" "apache2 event MPM")
	compat_pkgs apache2 curl || {
		for f in "${rows[@]}"; do row "$f" apache2 1 "$WHY"; done
		return
	}
	services apache || {
		for f in "${rows[@]}"; do row "$f" apache2 1 "$WHY"; done
		return
	}
	mkdir -p "$w"
	head -c 1048576 /dev/urandom >"$w/page.bin"
	echo "hello from netcon" >"$w/index.html"
	chmod 755 "$d" "$w"
	chmod 644 "$w"/*

	# apache_conf MPM: a configuration of our own (nothing from /etc/apache2).
	apache_conf() {
		local mods=/usr/lib/apache2/modules
		mkdir -p "$d/run-$1"
		cat >"$d/$1.conf" <<-EOF
			ServerRoot $d
			ServerName compat.test
			Listen 8083
			DefaultRuntimeDir $d/run-$1
			PidFile $d/run-$1/apache2.pid
			Mutex file:$d/run-$1 default
			LoadModule mpm_$1_module $mods/mod_mpm_$1.so
			LoadModule authz_core_module $mods/mod_authz_core.so
			LoadModule mime_module $mods/mod_mime.so
			LoadModule dir_module $mods/mod_dir.so
			TypesConfig /etc/mime.types
			User www-data
			Group www-data
			ErrorLog $T/apache2-error.log
			LogLevel warn
			LogFormat "%P %>s %B %r" pidlog
			CustomLog $d/access-$1 pidlog
			DocumentRoot $w
			<Directory $w>
				Require all granted
			</Directory>
			DirectoryIndex index.html
			KeepAlive On
			MaxKeepAliveRequests 100
			EnableSendfile On
			<IfModule mpm_prefork_module>
				StartServers 4
				MinSpareServers 4
				MaxSpareServers 8
				MaxRequestWorkers 32
			</IfModule>
			<IfModule mpm_event_module>
				StartServers 3
				ServerLimit 4
				ThreadsPerChild 8
				MinSpareThreads 8
				MaxSpareThreads 32
				MaxRequestWorkers 32
			</IfModule>
		EOF
	}
	get() {
		rm -f "$d/got"
		app apache_cli curl -sS --fail --max-time 30 -o "$d/got" "$1/page.bin" && cmp "$d/got" "$w/page.bin"
	}
	keepalive() {
		app apache_cli curl -sS --fail --max-time 30 -w '%{num_connects}\n' -o "$d/k1" -o "$d/k2" -o "$d/k3" \
			"$1/page.bin" "$1/page.bin" "$1/index.html" >"$d/conns" &&
			[ "$(paste -sd' ' "$d/conns")" = "1 0 0" ] &&
			cmp "$d/k1" "$w/page.bin" && cmp "$d/k2" "$w/page.bin" && cmp "$d/k3" "$w/index.html"
	}
	# 40 requests with up to 16 at once (curl -Z), each compared.
	parallel() {
		local i args=()
		rm -rf "$d/par"
		mkdir -p "$d/par"
		for ((i = 0; i < 40; i++)); do args+=(-o "$d/par/$i" "$1/page.bin?$i"); done
		app apache_cli curl -sS --fail --max-time 60 -Z --parallel-max 16 "${args[@]}" || return 1
		for ((i = 0; i < 40; i++)); do cmp "$d/par/$i" "$w/page.bin" || return 1; done
	}
	# apache_run MODE SERVICE: start apache2 through SERVICE and run the checks;
	# 0 if all pass (else WHY says which failed); PROCS: how many processes served.
	apache_run() {
		local m=$1 svc=$2 pid ip ip6 url url6 ok=1 mpm=$1
		ip=$(service_ip "$svc" 4) ip6=$(service_ip "$svc" 6)
		url="http://$ip:8083" url6="http://[$ip6]:8083"
		[ $m = debug ] && mpm=prefork
		apache_conf $mpm
		rm -f "$d/access-$mpm"
		if [ $m = debug ]; then
			app_bg "$svc" apache2 setsid apache2 -X -f "$d/$mpm.conf"
		else
			app_bg "$svc" apache2 setsid apache2 -DFOREGROUND -f "$d/$mpm.conf"
		fi
		pid=$LAST_PID
		if try "apache2 ($m) ready" wait_up "$pid" 20 app apache_cli curl -sf -o /dev/null "$url/index.html" &&
			try "1 MiB page over IPv4" get "$url" &&
			try "1 MiB page over IPv6" get "$url6" &&
			try "keep-alive: 3 requests on one connection" keepalive "$url" &&
			{ [ $m = debug ] || try "40 parallel requests" parallel "$url"; }; then
			ok=0
		fi
		stop "$pid"
		PROCS=$(awk '{print $1}' "$d/access-$mpm" 2>/dev/null | sort -u | wc -l)
		if [ $ok = 0 ] && [ $m != debug ] && [ "$PROCS" -lt 2 ]; then
			ok=1 WHY="all requests served by one process: the listener was not shared"
		fi
		return $ok
	}
	local m ok why grp
	declare -A name=([debug]="apache2 -X (debug mode)" [prefork]="apache2 prefork MPM" [event]="apache2 event MPM")
	for m in ${APACHE_MPMS:-debug prefork event}; do
		WHY=
		apache_run $m apache_srv
		ok=$?
		why=$WHY
		if [ $ok = 0 ]; then
			case $m in
			debug) why="one process, no fork" ;;
			prefork) why="requests served by $PROCS processes sharing one listener" ;;
			event) why="requests served by $PROCS processes of threads sharing one listener" ;;
			esac
			why="$why; a 1 MiB page (sendfile) over IPv4 and IPv6, 3 requests on one keep-alive connection"
			# One process serves one connection at a time, holding each for the
			# keep-alive timeout: parallel clients only queue, on any stack.
			[ $m = debug ] || why="$why, 40 requests 16 at a time (curl -Z)"
			why="$why, all compared"
		elif [ $m = event ] && grep -q "Network is down: AH02177" "$T/apache2-error.log" 2>/dev/null; then
			# The event MPM's listener threads start after the children became
			# www-data, and the service's socket is root's (0600): does it work
			# when the service lets www-data in?
			why="the children exit at once: \`$(grep -m1 AH02177 "$T/apache2-error.log" | sed 's/.*\] //')\`"
			why="$why (apache2 -DFOREGROUND -f event.conf, its first accept()). netcon bug: a thread started after a process dropped root (the children became www-data) cannot open its own RPC connection to the service's socket (mode 0600, root's), so its socket calls fail with ENETDOWN"
			mv "$T/apache2-error.log" "$T/old/apache2-error-event-first.log"
			WHY=
			grp=fails
			start_service apache_grp --group www-data && SVC_PIDS+=("$PID_apache_grp") &&
				apache_run event apache_grp && grp=works
			# The failing run's log is the one to show.
			mv "$T/apache2-error.log" "$T/old/apache2-error-event-group.log" 2>/dev/null
			mv "$T/old/apache2-error-event-first.log" "$T/apache2-error.log"
			why="$why. The same test $grp through \`netcon-service --group www-data\`${PROCS:+ ($PROCS processes)}"
			[ $grp = fails ] && why="$why: $WHY"
			ok=1
		fi
		row "${name[$m]}" apache2 $ok "$why"
		mv "$T/apache2-error.log" "$T/old/apache2-error-$m.log" 2>/dev/null
		mv "$T/apache2.log" "$T/old/apache2-$m.log" 2>/dev/null
	done
}
