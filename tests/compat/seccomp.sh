# tests/compat/seccomp.sh - programs that LD_PRELOAD cannot reach, run by
# plain `intercept` (which picks netcon-supervise, the seccomp path, for a
# static or Go binary): Debian's caddy (Go), busybox-static's httpd and wget,
# and a Go net/http client (tests/go/netcon-goprobe, built here with Debian's
# golang-go). (Sourced by tests/suites/compat.sh; `compat.sh seccomp`.)

compat_seccomp() {
	local d=$T/seccomp w=$T/seccomp/www probe=$T/seccomp/netcon-goprobe cpid='' bpid='' rpid='' f
	local -x HOME=$T/seccomp/home XDG_CONFIG_HOME=$T/seccomp/home/config XDG_DATA_HOME=$T/seccomp/home/data
	local rows=("caddy (Go)|caddy" "busybox httpd (static)|busybox-static" "busybox wget (static)|busybox-static"
		"Go net/http client|golang-go")
	compat_pkgs caddy busybox-static golang-go curl && services sc || {
		for f in "${rows[@]}"; do row "${f%|*}" "${f#*|}" 1 "$WHY"; done
		return
	}
	mkdir -p "$w" "$HOME"
	head -c 2097152 /dev/urandom >"$w/blob"
	echo "hello from netcon" >"$w/index.html"
	local sum
	sum=$(sha256sum <"$w/blob" | cut -d' ' -f1)
	if ! (cd "$TOP/tests/go/netcon-goprobe" && GOFLAGS=-mod=mod GOPROXY=off GOCACHE="$d/gocache" \
		CGO_ENABLED=0 go build -o "$probe" .) >"$d/go-build.out" 2>&1; then
		WHY="go build tests/go/netcon-goprobe: $(tail -n 2 "$d/go-build.out" | tr '\n' ' ')"
		for f in "${rows[@]}"; do row "${f%|*}" "${f#*|}" 1 "$WHY"; done
		return
	fi

	app_bg sc_srv caddy caddy file-server --listen :8086 --root "$w"
	cpid=$LAST_PID
	app_bg sc_srv bb-httpd busybox httpd -f -p 8087 -h "$w"
	bpid=$LAST_PID
	app_bg sc_srv caddy-rp caddy reverse-proxy --from :8088 --to 127.0.0.1:8087
	rpid=$LAST_PID

	get_curl() {
		rm -f "$d/got"
		app sc_cli curl -sS --fail --max-time 30 -o "$d/got" "$1" && cmp "$d/got" "$w/blob"
	}
	get_bb() {
		rm -f "$d/got"
		# (no -T: Debian's busybox-static 1.35 wget segfaults with it, on the kernel too)
		NETCON_SOCKET="$T/sc_cli.sock" timeout 60 "${NS[@]}" "$INTERCEPT" busybox wget -q -O "$d/got" "$1" &&
			cmp "$d/got" "$w/blob"
	}
	get_go() { app sc_cli "$probe" fetch "$1" | grep -qx "status 200 bytes 2097152 sha256 $sum"; }
	local c4="http://$SRV_IP:8086" c6="http://[$SRV_IP6]:8086" b4="http://$SRV_IP:8087" b6="http://[$SRV_IP6]:8087"
	local r4="http://$SRV_IP:8088" cad=1 bbh=1 bbw=1 gocl=1 cwhy='' hwhy='' wwhy='' gwhy=''
	WHY=
	try "caddy ready" wait_up "$cpid" 15 app sc_cli curl -sf -o /dev/null "$c4/index.html" &&
		try "curl caddy IPv4" get_curl "$c4/blob" && try "curl caddy IPv6" get_curl "$c6/blob" &&
		try "caddy reverse-proxy ready" wait_up "$rpid" 15 app sc_cli curl -sf -o /dev/null "$r4/index.html" &&
		try "curl through caddy reverse-proxy to busybox httpd" get_curl "$r4/blob"
	cad=$?
	cwhy=$WHY
	WHY=
	try "busybox httpd ready" wait_up "$bpid" 15 app sc_cli curl -sf -o /dev/null "$b4/index.html" &&
		try "curl busybox httpd IPv4" get_curl "$b4/blob" && try "curl busybox httpd IPv6" get_curl "$b6/blob"
	bbh=$?
	hwhy=$WHY
	WHY=
	try "busybox wget caddy IPv4" get_bb "$c4/blob" && try "busybox wget caddy IPv6" get_bb "$c6/blob" &&
		try "busybox wget busybox httpd" get_bb "$b4/blob"
	bbw=$?
	wwhy=$WHY
	WHY=
	try "Go client from caddy IPv4" get_go "$c4/blob" && try "Go client from caddy IPv6" get_go "$c6/blob" &&
		try "Go client from busybox httpd" get_go "$b4/blob"
	gocl=$?
	gwhy=$WHY
	[ $cad = 0 ] && cwhy="file-server: a 2 MiB file to curl, busybox wget and a Go client over IPv4 and IPv6; reverse-proxy in front of busybox httpd; seccomp picked by intercept (Go binary)"
	row "caddy (Go)" caddy $cad "$cwhy"
	[ $bbh = 0 ] && hwhy="httpd -f (a process per connection): a 2 MiB file to curl over IPv4 and IPv6, to busybox wget, to a Go client and through caddy's reverse proxy; seccomp picked by intercept (static binary)"
	row "busybox httpd (static)" busybox-static $bbh "$hwhy"
	[ $bbw = 0 ] && wwhy="GET 2 MiB from caddy over IPv4 and IPv6 and from busybox httpd, compared"
	row "busybox wget (static)" busybox-static $bbw "$wwhy"
	[ $gocl = 0 ] && gwhy="net/http GET (tests/go/netcon-goprobe, CGO_ENABLED=0): 2 MiB from caddy over IPv4 and IPv6 and from busybox httpd, sha256 compared"
	row "Go net/http client" golang-go $gocl "$gwhy"
	stop "$cpid" "$bpid" "$rpid"
}
