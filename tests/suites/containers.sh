#!/bin/bash
# Docker and Podman containers on netcon networks, with real runtimes: a
# dockerd the suite starts itself (its own data root, exec root and socket,
# --bridge=none and no iptables/ip_forward changes), Podman with its own
# --root/--runroot, and rootless Podman as nobody. Every container runs with
# --network none; images are imported from a rootfs tarball of the test
# programs (no registry). Cases:
#   docker: netcon run server + client found by its --name (64 MiB checked),
#     a client as --user 1000, resolv.conf naming the service (and the
#     container's own name), the container's exit status, the runtime
#     wrapper (daemon.json) and its refusal without a service, a restarted
#     service found again by a running container (folder mount, docker exec),
#     a musl image (the wrapper with NETCON_LIBC=musl, netcon run --musl);
#   podman: netcon run pair by name, the precreate hook (annotation
#     io.netcon.network), its refusal, netcon-runtime as Podman's runtime;
#   rootless podman (as nobody): netcon run pair, --userns keep-id,
#     --user 1000 inside, the hook;
#   the gateway, for each of the three (gateway_cases, dns_cases): a port
#     published with netcon run -p reached by a kernel client on the host
#     (64 MiB checked) and closed after the container, the host's loopback
#     refused at once without --allow-host-loopback and reached with it
#     (host.netcon.internal), a name only the host's resolver knows resolved
#     through the gateway's DNS relay, and not without --nat. The resolver is
#     a dnsmasq on the host's 127.0.0.1:53 that only netcon run sees as its
#     resolver: in a private mount namespace with a resolv.conf bound over
#     /etc/resolv.conf (root only; otherwise the DNS cases say why not).
# A runtime this machine cannot run is reported in one line and counts
# nothing. Nothing is left behind (containers, daemons, mounts, files).
#
# More cases go in docker_cases/podman_cases/the rootless part, or in
# gateway_cases/dns_cases (PREFIX RUNNER) for all three; helpers:
# nrun_docker/nrun_podman (netcon run through that runtime), serve NET,
# by_name NAME PORT BYTES (a client command that finds NAME and checks the
# stream).
source "$(dirname "$0")/../lib.sh"

SUITE=$(readlink -f "$0")
NETCON="$TOP/$B/bin/netcon"
WRAPPER="$TOP/$B/bin/netcon-runtime"
OCI="$TOP/$B/libexec/netcon/netcon-oci"
IMG=netcon-ct-test:$$
export NETCON_DIR="$T/nc"
mkdir -p "$NETCON_DIR"
chmod 755 "$NETCON_DIR"
STOP_PIDS=()

# stop_pid PID [SECONDS]: TERM, a bounded wait, then KILL.
stop_pid() {
	local p=$1 limit=${2:-10} i
	kill "$p" 2>/dev/null || return 0
	for ((i = 0; i < limit * 20; i++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}

# serve NET: `netcon serve NET` in the background, PID in SERVE_PID_<NET>.
serve() {
	local net=$1 var=SERVE_PID_${1//[^A-Za-z0-9]/_}
	"$NETCON" serve "$net" >>"$T/serve-$net.log" 2>&1 &
	eval "$var=$!"
	STOP_PIDS+=($!)
	wait_for 10 "$SVC" status --socket "$NETCON_DIR/$net/service.sock"
}
serve_stop() {
	local var=SERVE_PID_${1//[^A-Za-z0-9]/_}
	stop_pid "${!var}"
}

# by_name NAME PORT BYTES: sh code for a container that looks NAME up
# (bounded retries: the peer may still be starting) and receives the checked
# test stream from it.
by_name() {
	echo "i=0; until set -- \$(getent ahostsv4 $1) && [ -n \"\${1:-}\" ]; do i=\$((i+1)); [ \$i -lt 100 ] || { echo 'no address for $1'; exit 3; }; sleep 0.1; done; echo \"$1 is \$1\"; exec test_rx -w 20 -p $2 -n $3 \"\$1\""
}

# expect_refusal NAME TEXT COMMAND...: the command must fail and say TEXT.
expect_refusal() {
	local name=$1 text=$2
	shift 2
	if "$@" >"$T/check.out" 2>&1; then
		fail "$name" "it ran"
	elif grep -q "$text" "$T/check.out"; then
		pass "$name" "$(grep -m 1 "$text" "$T/check.out" | sed 's/^.*\(runc create failed\)/… \1/' | cut -c1-220)"
	else
		fail "$name" "$(tail -n 2 "$T/check.out" | tr '\n' ' ')"
	fi
}

# The image: the test programs, getent, id, sleep, a shell (glibc, ~3 MB).
make_rootfs() {
	[ -s "$1" ] || "$TOP/tests/containers/rootfs.sh" "$1" "$APPS/test_tx" "$APPS/test_rx" \
		"$(command -v getent)" "$(command -v id)" "$(command -v sleep)" "$(command -v cat)" \
		"+$TOP/$B/lib/netcon/libnetcon.so"
}

# make_musl_rootfs OUT.tar: an Alpine-like image (musl's loader, musl-built
# test programs, no shell), when the musl build exists.
make_musl_rootfs() {
	local r
	[ -x "$TOP/$B/musl/tests/test_tx" ] && [ -r "$TOP/$B/lib/netcon/musl/libnetcon.so" ] &&
		[ -r /lib/ld-musl-x86_64.so.1 ] || return 1
	r=$(mktemp -d "$T/musl-root.XXXXXX")
	chmod 755 "$r"
	mkdir -p "$r/bin" "$r/lib" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/run"
	cp -L /lib/ld-musl-x86_64.so.1 "$r/lib/ld-musl-x86_64.so.1"
	cp "$TOP/$B/musl/tests/test_tx" "$TOP/$B/musl/tests/test_rx" "$r/bin/"
	printf 'root:x:0:0:root:/:/bin/false\n' >"$r/etc/passwd"
	tar --owner=0 --group=0 --numeric-owner -C "$r" -cf "$1" . && rm -rf "$r"
}

# --- The gateway (--publish, --allow-host-loopback, the DNS relay) ----------
# netcon run's services run in our network namespace, the host's: a
# published port is a kernel socket here and the gateway's way out uses
# our loopback. Host-side programs are the kernel's (test_tx/test_rx without
# libnetcon), bound to 127.0.0.1 only, stopped by PID.
GW4=198.18.0.1
DNS_NAME=outside.netcon.test DNS_ADDR=203.0.113.7
# WRAP: a command prefix for netcon run (the private mount namespace with the
# suite's resolv.conf, for the DNS cases as root).
WRAP=()

# port_free PORT: no TCP socket of this namespace listens on PORT.
port_free() { ! ss -Htln "sport = :$1" | grep -q .; }

# gateway_cases PREFIX RUN PORT: RUN is nrun/nrun_docker/nrun_podman; PORT and
# PORT+1 must be free on the host.
#   PREFIX-published-port-64M: a netcon run server published with
#     -p 127.0.0.1:PORT:PORT, a kernel test_rx on the host (the stream is
#     seeded with the port: the same number both sides);
#   PREFIX-published-port-closed: the host's port is gone after the container;
#   PREFIX-host-loopback-refused: without --allow-host-loopback, a connection
#     to the gateway (a kernel server listening on the host's 127.0.0.1:PORT+1)
#     is refused at once;
#   PREFIX-host-loopback-allowed: with it, host.netcon.internal is the
#     gateway and the same server's 16 MiB arrive checked.
gateway_cases() {
	local pfx=$1 run=$2 hp=$3 lp=$(($3 + 1)) srv hsrv out
	if ! port_free "$hp" || ! port_free "$lp"; then
		fail "$pfx-gateway" "host port $hp or $lp in use"
		return
	fi
	"$run" --rm --name "$pfx-pub-$$" -p "127.0.0.1:$hp:$hp" "$IMG" test_tx -p "$hp" -n 64M -c 1 \
		>"$T/$pfx-pub.txt" 2>&1 &
	srv=$!
	STOP_PIDS+=($srv)
	# The service's host socket listens before the container's server does
	# (libslirp accepts, then closes): wait for the server's own line.
	if wait_for 30 grep -q "listening on" "$T/$pfx-pub.txt"; then
		check "$pfx-published-port-64M" "$APPS/test_rx" -w 10 -p "$hp" -n 64M 127.0.0.1
		grep -h OK "$T/check.out" | sed "s/^/     /; s/\$/, host 127.0.0.1:$hp -> container port $hp/"
	else
		fail "$pfx-published-port-64M" "the server did not start: $(tail -n 2 "$T/$pfx-pub.txt" | tr '\n' ' ')"
	fi
	if wait "$srv"; then
		if port_free "$hp"; then pass "$pfx-published-port-closed"; else fail "$pfx-published-port-closed" "$(ss -Htln "sport = :$hp")"; fi
	else
		fail "$pfx-published-port-closed" "the server container failed: $(tail -n 2 "$T/$pfx-pub.txt" | tr '\n' ' ')"
	fi

	"$APPS/test_tx" -b 127.0.0.1 -p "$lp" -n 16M -c 1 >"$T/$pfx-lo.txt" 2>&1 &
	hsrv=$!
	STOP_PIDS+=($hsrv)
	if ! wait_for 10 grep -q "listening on" "$T/$pfx-lo.txt"; then
		fail "$pfx-host-loopback" "the host's server did not start: $(cat "$T/$pfx-lo.txt")"
		stop_pid "$hsrv"
		return
	fi
	# Timed inside the container (/proc/uptime, 10 ms steps): the connect alone.
	out=$("$run" --rm "$IMG" sh -c "read a x </proc/uptime; test_rx -p $lp -n 16M $GW4; r=\$?; read b x </proc/uptime; echo \"exit \$r after \$(( (\${b%.*}\${b#*.} - \${a%.*}\${a#*.}) * 10 )) ms\"" 2>&1)
	if grep -q "Connection refused" <<<"$out" && grep -qE "^exit 1 after [0-9]+ ms" <<<"$out" &&
		[ "$(sed -n 's/^exit 1 after \([0-9]*\) ms$/\1/p' <<<"$out")" -lt 2000 ]; then
		pass "$pfx-host-loopback-refused" "$(grep -o "connect to.*" <<<"$out"), $(grep -o "after.*" <<<"$out")"
	else
		fail "$pfx-host-loopback-refused" "$(tr '\n' ' ' <<<"$out")"
	fi
	check "$pfx-host-loopback-allowed" "$run" --rm --allow-host-loopback "$IMG" sh -c \
		"set -- \$(getent ahostsv4 host.netcon.internal); echo \"host.netcon.internal is \${1:-nothing}\"; [ \"\${1:-}\" = $GW4 ] || exit 5; exec test_rx -p $lp -n 16M \$1"
	grep -h "is\|OK" "$T/check.out" | sed 's/^/     /'
	stop_pid "$hsrv"
}

# dns_cases PREFIX RUN: a name only the host's resolver knows (the suite's
# dnsmasq, named by the resolv.conf the services see), resolved in a
# container through the gateway's relay; without --nat it is not found.
dns_cases() {
	local pfx=$1 run=$2
	check "$pfx-dns-relay" "$run" --rm "$IMG" sh -c \
		"set -- \$(getent ahostsv4 $DNS_NAME); echo \"$DNS_NAME is \${1:-nothing}\"; [ \"\${1:-}\" = $DNS_ADDR ]"
	sed 's/^/     /' "$T/check.out"
	check "$pfx-dns-no-nat" "$run" --rm --no-nat "$IMG" sh -c \
		"getent ahostsv4 $DNS_NAME; r=\$?; echo \"getent exit \$r\"; [ \$r = 2 ]"
	sed 's/^/     /' "$T/check.out"
}

###########################################################################
# Rootless part: this same script run as an ordinary user (see below).
if [ "${1:-}" = --rootless ]; then
	U=$CT_ROOTLESS_DIR
	export HOME=$U/home XDG_RUNTIME_DIR=$U/xdg
	mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
	chmod 700 "$XDG_RUNTIME_DIR"
	export NETCON_DIR="$U/nc"
	mkdir -p "$NETCON_DIR"
	chmod 755 "$NETCON_DIR"
	G=(--root "$U/root" --runroot "$U/run" --tmpdir "$U/tmp" --runtime runc --cgroup-manager cgroupfs
		--events-backend file --storage-driver vfs --hooks-dir "$U/hooks")
	P=(podman "${G[@]}")
	GOPT=()
	for g in "${G[@]}"; do GOPT+=(--global-opt "$g"); done
	mkdir -p "$U/hooks"
	sed "s|\"/usr/local/libexec/netcon/netcon-oci\"|\"$OCI\"|; s|\"netcon-oci\", \"hook\"|\"netcon-oci\", \"--dir\", \"$NETCON_DIR\", \"hook\"|" \
		"$TOP/contrib/podman/netcon.json" >"$U/hooks/netcon.json"
	rootless_end() {
		local p
		for p in "${STOP_PIDS[@]}"; do stop_pid "$p"; done
		"${P[@]}" rm -f -a >/dev/null 2>&1
		# vfs layers belong to sub-uids: remove them from inside the user namespace.
		"${P[@]}" unshare rm -rf "$U/root" "$U/run" >/dev/null 2>&1
		for p in $(cat "$U"/xdg/libpod/tmp/pause.pid "$U"/tmp/pause.pid 2>/dev/null); do stop_pid "$p"; done
		cleanup
	}
	trap rootless_end EXIT
	if ! "${P[@]}" import "$U/rootfs.tar" "$IMG" >"$T/import.txt" 2>&1 ||
		! timeout 60 "${P[@]}" run --rm --network none "$IMG" sh -c : >"$T/smoke.txt" 2>&1; then
		echo "     rootless podman: not run here ($(grep -v '^time=' "$T/import.txt" "$T/smoke.txt" | tail -n 1))"
		exit 0
	fi
	nrun() { timeout 120 "$NETCON" run --runtime podman "${GOPT[@]}" "$@"; }
	me=$(id -u)

	nrun --rm --name rl-srv-$$ "$IMG" test_tx -p 7101 -n 64M -c 1 >"$T/rl-srv.txt" 2>&1 &
	srv=$!
	STOP_PIDS+=($srv)
	check rootless-pair-by-name-64M nrun --rm --name rl-cli-$$ "$IMG" sh -c "$(by_name rl-srv-$$ 7101 64M)"
	grep -h OK "$T/check.out" | sed 's/^/     /'
	wait "$srv"

	# keep-id: the container's user is ours (the service's uid), not root.
	if [ -n "${CT_SUBUIDS:-}" ]; then
		nrun --rm --name rl-k-$$ "$IMG" test_tx -p 7102 -n 16M -c 2 >"$T/rl-k.txt" 2>&1 &
		srv=$!
		STOP_PIDS+=($srv)
		check rootless-userns-keep-id nrun --rm --userns keep-id "$IMG" sh -c \
			"[ \"\$(id -u)\" = $me ] || { echo \"uid \$(id -u), not $me\"; exit 4; }; $(by_name rl-k-$$ 7102 16M)"
		grep -h OK "$T/check.out" | sed 's/^/     /'
		# A user of the container's own: the service's uid is its root.
		check rootless-user-1000 nrun --rm --user 1000 "$IMG" sh -c \
			"[ \"\$(id -u)\" = 1000 ] || exit 4; $(by_name rl-k-$$ 7102 16M)"
		grep -h OK "$T/check.out" | sed 's/^/     /'
		wait "$srv"
	else
		echo "     rootless podman: --userns keep-id and --user 1000 not run (uid $me has no /etc/subuid range)"
	fi

	# The precreate hook, rootless.
	if serve rl-net; then
		"${P[@]}" run -d --name rl-h-$$ --network none --annotation io.netcon.network=rl-net "$IMG" \
			test_tx -p 7103 -n 16M -c 1 >/dev/null 2>&1
		check rootless-hook timeout 60 "${P[@]}" run --rm --network none --annotation io.netcon.network=rl-net \
			"$IMG" sh -c "$(by_name rl-net 7103 16M)"
		grep -h OK "$T/check.out" | sed 's/^/     /'
	else
		fail rootless-hook "netcon serve did not start"
	fi
	gateway_cases rootless nrun 17045
	# As root, the suite's resolv.conf is bound in this mount namespace already.
	if [ -n "${CT_DNS:-}" ]; then dns_cases rootless nrun; fi
	summary
	exit
fi

###########################################################################
# As root: the daemons, then the rootless part as nobody.
ROOT_ONLY_LEFTOVERS=(/etc/docker/key.json /run/docker /run/containerd /run/libpod /run/runc /run/containers
	/var/lib/containers /var/lib/docker)
EXISTED=()
for p in "${ROOT_ONLY_LEFTOVERS[@]}"; do [ -e "$p" ] && EXISTED+=("$p"); done
DOCKERD_PID=
U=

end() {
	local p e
	[ -n "$DOCKERD_PID" ] && "$DOCKER" ps -aq 2>/dev/null | xargs -r "$DOCKER" rm -f >/dev/null 2>&1
	[ -n "${PODMAN_OK:-}" ] && "${P[@]}" rm -f -a >/dev/null 2>&1
	for p in "${STOP_PIDS[@]}"; do stop_pid "$p"; done
	[ -n "$DOCKERD_PID" ] && stop_pid "$DOCKERD_PID" 20
	# What the daemons mounted under the test's folder, if still there.
	grep -o " $T[^ ]*" /proc/mounts 2>/dev/null | sort -r | while read -r m; do umount -l "$m"; done
	# Paths the runtimes create outside their roots, when they were not here before.
	for p in "${ROOT_ONLY_LEFTOVERS[@]}"; do
		for e in "${EXISTED[@]}"; do [ "$e" = "$p" ] && continue 2; done
		[ -e "$p" ] && rm -rf "$p"
	done
	[ -n "$U" ] && rm -rf "$U"
	cleanup
}
trap end EXIT

make_rootfs "$T/rootfs.tar" || { fail image "cannot build the rootfs"; summary; exit 1; }

# The DNS cases' resolver: dnsmasq on the host's 127.0.0.1:53 only (stopped
# by PID; it answers DNS_NAME and nothing else), and a resolv.conf naming it
# that netcon run sees in a private mount namespace of its own (RESOLVER_NS),
# bound over /etc/resolv.conf: the services it starts there relay to it,
# while the host, dockerd and everything else keep their resolv.conf.
RESOLVER=
RESOLVER_NS=(unshare -m --propagation private bash -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$T/resolv.conf")
resolver_start() {
	local why= p
	if [ "$(id -u)" != 0 ]; then
		why="a private mount namespace with another resolv.conf needs root"
	elif ! command -v dnsmasq >/dev/null; then
		why="no dnsmasq"
	elif ss -Hlun "sport = :53" | grep -qE "(127\.0\.0\.1|0\.0\.0\.0|\*|\[::\]):53 "; then
		why="port 53 of 127.0.0.1 is taken"
	fi
	if [ -z "$why" ]; then
		echo "nameserver 127.0.0.1" >"$T/resolv.conf"
		chmod 644 "$T/resolv.conf"
		dnsmasq -C /dev/null --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
			--listen-address=127.0.0.1 --port=53 --address="/$DNS_NAME/$DNS_ADDR" --log-facility=- \
			--pid-file="$T/dnsmasq.pid" >"$T/dnsmasq.txt" 2>&1 &
		p=$!
		STOP_PIDS+=($p)
		if ! wait_for 10 bash -c 'ss -Hlun "sport = :53" | grep -q "127.0.0.1:53 "'; then
			why="dnsmasq did not start: $(tail -n 1 "$T/dnsmasq.txt")"
			stop_pid "$p"
		elif ! "${RESOLVER_NS[@]}" grep -qx "nameserver 127.0.0.1" /etc/resolv.conf; then
			why="no private mount namespace with the suite's resolv.conf here"
			stop_pid "$p"
		fi
	fi
	if [ -n "$why" ]; then
		echo "     DNS relay cases: not run ($why)"
		return 1
	fi
	RESOLVER=1
}
resolver_start

# --- Docker -----------------------------------------------------------------
DOCKER=$(command -v /usr/bin/docker || command -v docker)
docker_start() {
	if [ "$(id -u)" != 0 ]; then
		echo "     docker: not run (starting dockerd needs root)"
		return 1
	fi
	if ! command -v dockerd >/dev/null || [ -z "$DOCKER" ]; then
		echo "     docker: not run (no dockerd or docker: Debian's docker.io, make deps)"
		return 1
	fi
	cat >"$T/daemon.json" <<-EOF
		{ "runtimes": { "netcon": { "path": "$WRAPPER", "runtimeArgs": ["--netcon-dir", "$NETCON_DIR"] } } }
	EOF
	dockerd --config-file "$T/daemon.json" --data-root "$T/docker" --exec-root "$T/exec" \
		-H "unix://$T/docker.sock" --pidfile "$T/docker.pid" --bridge=none --iptables=false \
		--ip6tables=false --ip-forward=false >"$T/dockerd.txt" 2>&1 &
	DOCKERD_PID=$!
	export DOCKER_HOST="unix://$T/docker.sock"
	local i
	for ((i = 0; i < 600; i++)); do
		"$DOCKER" version >/dev/null 2>&1 && break
		kill -0 "$DOCKERD_PID" 2>/dev/null || break
		sleep 0.05
	done
	if ! "$DOCKER" version >/dev/null 2>&1 || ! "$DOCKER" import "$T/rootfs.tar" "$IMG" >/dev/null 2>"$T/import.txt"; then
		echo "     docker: not run (dockerd did not serve, in at most 30 s: $(cat "$T/dockerd.txt" "$T/import.txt" 2>/dev/null | grep -v '^$' | tail -n 1 | cut -c1-200))"
		stop_pid "$DOCKERD_PID" 20
		DOCKERD_PID=
		return 1
	fi
}
nrun_docker() { "${WRAP[@]}" timeout 120 "$NETCON" run --runtime "$DOCKER" "$@"; }

docker_cases() {
	local srv t0 ip ip2
	# Two netcon run containers on the default network; the client finds the
	# server by its --name (mDNS between their services, getaddrinfo in libnetcon).
	nrun_docker --rm --name d-srv-$$ "$IMG" test_tx -p 7001 -n 64M -c 1 >"$T/d-srv.txt" 2>&1 &
	srv=$!
	STOP_PIDS+=($srv)
	t0=$(date +%s.%N)
	check docker-pair-by-name-64M nrun_docker --rm --name d-cli-$$ "$IMG" sh -c "$(by_name d-srv-$$ 7001 64M)"
	grep -h OK "$T/check.out" | sed "s/^/     /; s/\$/, client container start to end $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s/"
	check docker-server-exit-status wait "$srv"

	nrun_docker --rm --name d-u-$$ "$IMG" test_tx -p 7002 -n 16M -c 1 >"$T/d-u.txt" 2>&1 &
	srv=$!
	STOP_PIDS+=($srv)
	check docker-user-1000 nrun_docker --rm --user 1000 "$IMG" sh -c \
		"[ \"\$(id -u)\" = 1000 ] || exit 4; $(by_name d-u-$$ 7002 16M)"
	grep -h OK "$T/check.out" | sed 's/^/     /'
	wait "$srv"

	# resolv.conf names the container's own service (found by its own name).
	check docker-resolv-conf nrun_docker --rm --name d-r-$$ "$IMG" sh -c \
		"read -r k ns rest </etc/resolv.conf; set -- \$(getent ahostsv4 d-r-$$); echo \"\$k \$ns, own name \${1:-none}\"; [ \"\$k\" = nameserver ] && [ \"\$ns\" = \"\$1\" ]"
	sed 's/^/     /' "$T/check.out"

	nrun_docker --rm "$IMG" sh -c 'exit 7' >"$T/check.out" 2>&1
	if [ $? = 7 ]; then pass docker-exit-status "7 passed on"; else fail docker-exit-status; fi
	if ls -d "$NETCON_DIR"/c-* >/dev/null 2>&1; then
		fail docker-netcon-run-cleans-up "$(ls "$NETCON_DIR")"
	else
		pass docker-netcon-run-cleans-up
	fi

	# The runtime wrapper: a long-running service for network d-web, and
	# containers that ask for it by NETCON_NETWORK.
	if ! serve d-web; then
		fail docker-runtime-wrapper "netcon serve did not start"
		return
	fi
	"$DOCKER" run -d --name d-w-$$ --runtime netcon --network none -e NETCON_NETWORK=d-web "$IMG" \
		test_tx -p 7005 -n 64M -c 1 >/dev/null
	check docker-runtime-wrapper-64M timeout 60 "$DOCKER" run --rm --runtime netcon --network none \
		-e NETCON_NETWORK=d-web "$IMG" sh -c "$(by_name d-web 7005 64M)"
	grep -h OK "$T/check.out" | sed 's/^/     /'
	expect_refusal docker-runtime-no-service "no netcon service for network d-none" \
		timeout 60 "$DOCKER" run --rm --runtime netcon --network none -e NETCON_NETWORK=d-none "$IMG" true

	# A restarted service is found again by a running container: the folder
	# is mounted, not the socket; resolv.conf follows (rewritten in place).
	start_service peer --net "switch://$NETCON_DIR/net-d-web" || { fail docker-restart "peer service"; return; }
	app_bg peer rs-tx "$APPS/test_tx" -p 7007 -n 1M -c 2
	ip=$(service_ip peer)
	"$DOCKER" run -d --name d-rs-$$ --runtime netcon --network none -e NETCON_NETWORK=d-web "$IMG" sleep 300 >/dev/null
	check docker-exec-before-restart timeout 30 "$DOCKER" exec d-rs-$$ test_rx -w 10 -p 7007 -n 1M "$ip"
	serve_stop d-web
	serve d-web || { fail docker-restart "netcon serve did not start again"; return; }
	ip2=$("$SVC" status --socket "$NETCON_DIR/d-web/service.sock" | awk '$1 == "ipv4" { sub("/.*", "", $2); print $2 }')
	check docker-restarted-service-found timeout 30 "$DOCKER" exec d-rs-$$ sh -c \
		"test_rx -w 10 -p 7007 -n 1M $ip && read -r k ns rest </etc/resolv.conf && echo \"resolv.conf: \$ns\" && [ \"\$ns\" = $ip2 ]"
	sed -n 's/^/     /; /resolv/p' "$T/check.out"
	"$DOCKER" rm -f d-rs-$$ d-w-$$ >/dev/null 2>&1
	serve_stop d-web
	docker_musl_cases
}

# A musl image (no shell): a server through the runtime wrapper
# (NETCON_LIBC=musl) and a netcon run --musl client on its network.
docker_musl_cases() {
	local ip
	if ! make_musl_rootfs "$T/musl.tar" || ! "$DOCKER" import "$T/musl.tar" "$IMG-musl" >/dev/null 2>&1; then
		echo "     docker musl image: not run (no musl build here: make musl)"
		return
	fi
	serve d-musl || { fail docker-musl "netcon serve did not start"; return; }
	ip=$("$SVC" status --socket "$NETCON_DIR/d-musl/service.sock" | awk '$1 == "ipv4" { sub("/.*", "", $2); print $2 }')
	"$DOCKER" run -d --name d-m-$$ --runtime netcon --network none -e NETCON_NETWORK=d-musl -e NETCON_LIBC=musl \
		"$IMG-musl" test_tx -p 7021 -n 16M -c 2 >/dev/null
	check docker-musl-runtime-wrapper timeout 60 "$DOCKER" run --rm --runtime netcon --network none \
		-e NETCON_NETWORK=d-musl -e NETCON_LIBC=musl "$IMG-musl" test_rx -w 10 -p 7021 -n 16M "$ip"
	grep -h OK "$T/check.out" | sed 's/^/     /'
	check docker-musl-netcon-run nrun_docker --rm --musl --network d-musl "$IMG-musl" test_rx -w 10 -p 7021 -n 16M "$ip"
	grep -h OK "$T/check.out" | sed 's/^/     /'
	"$DOCKER" rm -f d-m-$$ >/dev/null 2>&1
	serve_stop d-musl
}

docker_gateway_cases() {
	gateway_cases docker nrun_docker 17041
	if [ -n "$RESOLVER" ]; then
		WRAP=("${RESOLVER_NS[@]}")
		dns_cases docker nrun_docker
		WRAP=()
	fi
}

if docker_start; then
	docker_cases
	docker_gateway_cases
fi

# --- Podman (as root) ---------------------------------------------------------
PODMAN_OK=
if [ "$(id -u)" = 0 ] && command -v podman >/dev/null; then
	mkdir -p "$T/hooks"
	sed "s|\"/usr/local/libexec/netcon/netcon-oci\"|\"$OCI\"|; s|\"netcon-oci\", \"hook\"|\"netcon-oci\", \"--dir\", \"$NETCON_DIR\", \"hook\"|" \
		"$TOP/contrib/podman/netcon.json" >"$T/hooks/netcon.json"
	G=(--root "$T/podman-root" --runroot "$T/podman-run" --tmpdir "$T/podman-tmp" --runtime runc
		--runtime-flag "root=$T/runc" --cgroup-manager cgroupfs --events-backend file --hooks-dir "$T/hooks")
	P=(podman "${G[@]}")
	# Root here has no CAP_SYS_RESOURCE: podman's default limits are refused.
	UL=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
	if "${P[@]}" import "$T/rootfs.tar" "$IMG" >"$T/pimport.txt" 2>&1 &&
		timeout 60 "${P[@]}" run --rm "${UL[@]}" --network none "$IMG" sh -c : >"$T/psmoke.txt" 2>&1; then
		PODMAN_OK=1
	else
		echo "     podman: not run ($(grep -v '^time=' "$T/pimport.txt" "$T/psmoke.txt" | tail -n 1))"
	fi
elif [ "$(id -u)" = 0 ]; then
	echo "     podman: not run (no podman: make deps)"
else
	echo "     podman as root: not run (not root; rootless podman below)"
fi
nrun_podman() {
	local gopt=() g
	for g in "${G[@]}"; do gopt+=(--global-opt "$g"); done
	"${WRAP[@]}" timeout 120 "$NETCON" run --runtime podman "${gopt[@]}" "${UL[@]}" "$@"
}

podman_cases() {
	local srv
	nrun_podman --rm --name p-srv-$$ "$IMG" test_tx -p 7011 -n 64M -c 1 >"$T/p-srv.txt" 2>&1 &
	srv=$!
	STOP_PIDS+=($srv)
	check podman-pair-by-name-64M nrun_podman --rm --name p-cli-$$ --user 1000 "$IMG" sh -c "$(by_name p-srv-$$ 7011 64M)"
	grep -h OK "$T/check.out" | sed 's/^/     /'
	wait "$srv"

	# The OCI hook (precreate), keyed on the annotation.
	if ! serve p-web; then
		fail podman-hook "netcon serve did not start"
		return
	fi
	"${P[@]}" run -d "${UL[@]}" --name p-h-$$ --network none --annotation io.netcon.network=p-web "$IMG" \
		test_tx -p 7012 -n 16M -c 2 >/dev/null
	check podman-hook timeout 60 "${P[@]}" run --rm "${UL[@]}" --network none --annotation io.netcon.network=p-web \
		"$IMG" sh -c "$(by_name p-web 7012 16M)"
	grep -h OK "$T/check.out" | sed 's/^/     /'
	expect_refusal podman-hook-no-service "no netcon service for network p-none" \
		timeout 60 "${P[@]}" run --rm "${UL[@]}" --network none --annotation io.netcon.network=p-none "$IMG" true
	# netcon-runtime as Podman's runtime (the same wrapper as Docker's).
	check podman-runtime-wrapper timeout 60 podman "${G[@]}" --runtime "$WRAPPER" --runtime-flag "netcon-dir=$NETCON_DIR" \
		run --rm "${UL[@]}" --network none -e NETCON_NETWORK=p-web "$IMG" sh -c "$(by_name p-web 7012 16M)"
	grep -h OK "$T/check.out" | sed 's/^/     /'
	"${P[@]}" rm -f p-h-$$ >/dev/null 2>&1
	serve_stop p-web
}

podman_gateway_cases() {
	gateway_cases podman nrun_podman 17043
	if [ -n "$RESOLVER" ]; then
		WRAP=("${RESOLVER_NS[@]}")
		dns_cases podman nrun_podman
		WRAP=()
	fi
}

if [ -n "$PODMAN_OK" ]; then
	podman_cases
	podman_gateway_cases
fi

# --- Rootless Podman ------------------------------------------------------------
# As root: nobody runs this script again (--rootless). Its sub-uid range for
# --userns keep-id and --user is given in a private mount namespace where a
# file of ours is bound over /etc/subuid and /etc/subgid: the host's files
# and users do not change. Not root: the rootless part runs as ourselves.
rootless() {
	local out=$T/rootless.out
	U=$(mktemp -d /tmp/netcon-ct-rootless.XXXXXX)
	chmod 755 "$U"
	cp "$T/rootfs.tar" "$U/rootfs.tar"
	if [ "$(id -u)" = 0 ]; then
		if [ ! -f /etc/subuid ] || [ ! -f /etc/subgid ]; then
			echo "     rootless podman: not run (no /etc/subuid, /etc/subgid: Debian's passwd package)"
			return
		fi
		chown nobody:nogroup "$U"
		echo "nobody:200000:65536" >"$U/subuid"
		cp "$U/subuid" "$U/subgid"
		chmod 644 "$U/subuid" "$U/subgid"
		[ -n "$RESOLVER" ] && cp "$T/resolv.conf" "$U/resolv.conf"
		CT_ROOTLESS_DIR=$U CT_SUBUIDS=1 CT_DNS=$RESOLVER B=$B timeout 600 unshare -m --propagation private bash -c '
			mount --bind "$1/subuid" /etc/subuid && mount --bind "$1/subgid" /etc/subgid &&
			{ [ -z "$CT_DNS" ] || mount --bind "$1/resolv.conf" /etc/resolv.conf; } &&
			exec setpriv --reuid=nobody --regid=nogroup --clear-groups bash "$2" --rootless' - "$U" "$SUITE" >"$out" 2>&1
	else
		grep -q "^$(id -un):" /etc/subuid 2>/dev/null && export CT_SUBUIDS=1
		CT_ROOTLESS_DIR=$U B=$B timeout 600 bash "$SUITE" --rootless >"$out" 2>&1
	fi
	grep -E '^(ok|FAIL|     |  )' "$out"
	PASSED=$((PASSED + $(grep -c '^ok' "$out")))
	FAILED=$((FAILED + $(grep -c '^FAIL' "$out")))
	if ! grep -qE '^(ok|FAIL|     rootless podman: not run)' "$out"; then
		fail rootless-podman "$(tail -n 3 "$out" | tr '\n' ' ')"
	fi
}

if command -v podman >/dev/null; then rootless; else echo "     rootless podman: not run (no podman: make deps)"; fi

# --- The OCI seccomp agent (static programs, no preload) ----------------------
# Containers started with only --network none --security-opt seccomp=PROFILE:
# the profile (netcon-oci seccomp-profile, from Podman's default) hands the
# socket calls to `netcon-supervise --agent` (stopped by PID), which gives them
# the network of service sc. Nothing of netcon's is in the image or mounted:
# the programs are static (test_tx/test_rx built static, Debian's static
# /bin/busybox). Docker 20.10 drops a profile's listenerPath (runc then says
# "listenerPath is not set"), so its containers use the runtime wrapper, which
# puts the agent's socket (DIR/agent.sock) back. (Debian 12's static busybox
# wget crashes with -T, with or without netcon: not used.) Cases:
#   seccomp-{docker,podman}-64M: a test_tx container, a test_rx container, 64 MiB compared;
#   seccomp-{docker,podman}-busybox: busybox httpd in one, busybox wget in the other;
#   seccomp-docker-20.10-drops-listenerPath: without the wrapper, refused in one line;
#   seccomp-{docker,podman}-no-agent: with no agent, refused in one line.
AGENT_SOCK=$NETCON_DIR/agent.sock
SUPERVISE=$TOP/$B/bin/netcon-supervise

# make_static_rootfs OUT.tar: the static test programs and busybox, nothing else.
make_static_rootfs() {
	local r
	[ -x "$APPS/static/test_tx" ] && [ -x "$APPS/static/test_rx" ] && [ -x /bin/busybox ] || return 1
	file -L /bin/busybox | grep -q 'statically linked' || return 1
	r=$(mktemp -d "$T/static-root.XXXXXX")
	chmod 755 "$r"
	mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/run"
	cp "$APPS/static/test_tx" "$APPS/static/test_rx" /bin/busybox "$r/bin/"
	ln -s busybox "$r/bin/sh"
	printf 'root:x:0:0:root:/:/bin/sh\n' >"$r/etc/passwd"
	tar --owner=0 --group=0 --numeric-owner -C "$r" -cf "$1" . && rm -rf "$r"
}

AGENT_PID=
agent_start() {
	"$SUPERVISE" --agent "$AGENT_SOCK" --socket "$T/sc.sock" >>"$T/agent.log" 2>&1 &
	AGENT_PID=$!
	STOP_PIDS+=($AGENT_PID)
	wait_for 10 test -S "$AGENT_SOCK" && kill -0 "$AGENT_PID" 2>/dev/null
}

# seccomp_pair PREFIX PORT RUN...: a server and a client container through
# RUN (the runtime's `run` with its options, the image last but one word);
# 64 MiB compared, then busybox httpd and wget.
seccomp_pair() {
	local pfx=$1 port=$2 srv out
	shift 2
	"$@" --name "$pfx-srv-$$" "$SIMG" /bin/test_tx -p "$port" -n 64M -c 1 >"$T/$pfx-srv.txt" 2>&1 &
	srv=$!
	STOP_PIDS+=($srv)
	check "$pfx-64M" "$@" "$SIMG" /bin/test_rx -w 20 -p "$port" -n 64M "$SC_IP"
	grep -h OK "$T/check.out" | sed "s/^/     /; s/\$/, static test_tx and test_rx/"
	wait "$srv" || fail "$pfx-server" "$(tail -n 2 "$T/$pfx-srv.txt" | tr '\n' ' ')"
	"$@" --name "$pfx-httpd-$$" "$SIMG" /bin/busybox sh -c \
		"mkdir -p /www && echo netcon-static-$pfx >/www/index.html && exec busybox httpd -f -p $((port + 1)) -h /www" \
		>"$T/$pfx-httpd.txt" 2>&1 &
	srv=$!
	STOP_PIDS+=($srv)
	out=$("$@" "$SIMG" /bin/busybox sh -c "i=0; until busybox wget -q -O - http://$SC_IP:$((port + 1))/ 2>/tmp/err; do i=\$((i+1)); [ \$i -lt 50 ] || { cat /tmp/err; exit 1; }; sleep 0.2; done" 2>&1)
	if [ "$out" = "netcon-static-$pfx" ]; then
		pass "$pfx-busybox" "busybox wget got \"$out\" from busybox httpd"
	else
		fail "$pfx-busybox" "$(tr '\n' ' ' <<<"$out" | cut -c1-200)"
	fi
}

seccomp_cases() {
	local dver
	SIMG=netcon-ct-static:$$
	if ! make_static_rootfs "$T/static.tar"; then
		fail seccomp-image "no static test programs ($APPS/static) or no static /bin/busybox (busybox-static)"
		return
	fi
	if ! start_service sc; then
		fail seccomp-service "the service did not start"
		return
	fi
	SC_IP=$(service_ip sc)
	if ! agent_start; then
		fail seccomp-agent "netcon-supervise --agent did not listen: $(tail -n 1 "$T/agent.log")"
		return
	fi
	"$OCI" --dir "$NETCON_DIR" seccomp-profile >"$T/seccomp.json" 2>"$T/seccomp-gen.txt" &&
		"$OCI" --dir "$NETCON_DIR" seccomp-profile --metadata name=sc-podman >"$T/seccomp-p.json" 2>>"$T/seccomp-gen.txt" ||
		{ fail seccomp-profile "$(tail -n 1 "$T/seccomp-gen.txt")"; return; }
	if [ -n "$DOCKERD_PID" ] && "$DOCKER" import "$T/static.tar" "$SIMG" >/dev/null 2>&1; then
		seccomp_pair seccomp-docker 7201 timeout 60 "$DOCKER" run --rm --runtime netcon --network none \
			--security-opt "seccomp=$T/seccomp.json"
		dver=$("$DOCKER" version -f '{{.Server.Version}}' 2>/dev/null)
		case $dver in
		20.*) expect_refusal seccomp-docker-20.10-drops-listenerPath "listenerPath is not set" \
			timeout 60 "$DOCKER" run --rm --network none --security-opt "seccomp=$T/seccomp.json" "$SIMG" /bin/busybox true ;;
		esac
	fi
	if [ -n "$PODMAN_OK" ] && "${P[@]}" import "$T/static.tar" "$SIMG" >/dev/null 2>&1; then
		seccomp_pair seccomp-podman 7203 timeout 60 "${P[@]}" run --rm "${UL[@]}" --network none \
			--security-opt "seccomp=$T/seccomp-p.json"
		if grep -q "container sc-podman" "$T/agent.log"; then
			pass seccomp-podman-metadata "the agent named the container by listenerMetadata name=sc-podman"
		else
			fail seccomp-podman-metadata "$(grep agent: "$T/agent.log" | tail -n 1)"
		fi
	fi
	# netcon run --seccomp: a service and an agent of its own per container,
	# nothing mounted but resolv.conf; two static containers find each other
	# by name (busybox's resolver, through the service's DNS stub).
	if [ -n "$PODMAN_OK" ]; then
		local srv got want
		nrun_podman --seccomp --rm --name sr-srv-$$ "$SIMG" /bin/busybox sh -c \
			"mkdir -p /www && busybox seq 1 300000 >/www/f && exec busybox httpd -f -p 7211 -h /www" \
			>"$T/sr-srv.txt" 2>&1 &
		srv=$!
		STOP_PIDS+=($srv)
		want=$(seq 1 300000 | md5sum | cut -d' ' -f1)
		got=$(nrun_podman --seccomp --rm --name sr-cli-$$ "$SIMG" /bin/busybox sh -c \
			"i=0; until busybox wget -q -O /tmp/f http://sr-srv-$$:7211/f 2>/tmp/err; do i=\$((i+1)); [ \$i -lt 100 ] || { cat /tmp/err; exit 1; }; sleep 0.2; done; busybox md5sum /tmp/f" 2>&1)
		if [ "${got%% *}" = "$want" ]; then
			pass netcon-run-seccomp-by-name "busybox wget fetched 2 MB by name from busybox httpd, both static, md5 $want"
		else
			fail netcon-run-seccomp-by-name "$(tr '\n' ' ' <<<"$got" | cut -c1-200) (server: $(tail -n 2 "$T/sr-srv.txt" | tr '\n' ' '))"
		fi
		stop_pid "$srv"
		expect_refusal netcon-run-seccomp-docker "Docker 20.10 drops" "$NETCON" run --seccomp --runtime docker "$SIMG" true
	fi
	# listenerMetadata network=NET: one agent serves several networks, each
	# container on the service `netcon serve NET` runs (a supervisor process
	# per network); a network nobody serves is refused in the agent's log.
	if [ -n "$PODMAN_OK" ] && serve scnet; then
		local net_ip agent2=$T/agent2.sock apid
		net_ip=$("$SVC" status --socket "$NETCON_DIR/scnet/service.sock" | awk '$1 == "ipv4" { sub("/.*", "", $2); print $2 }')
		"$SUPERVISE" --agent "$agent2" --dir "$NETCON_DIR" --socket "$T/sc.sock" >>"$T/agent2.log" 2>&1 &
		apid=$!
		STOP_PIDS+=($apid)
		wait_for 10 test -S "$agent2"
		"$OCI" --dir "$NETCON_DIR" seccomp-profile --agent "$agent2" --metadata "name=sn-srv;network=scnet" \
			>"$T/seccomp-net.json" 2>>"$T/seccomp-gen.txt"
		"$OCI" --dir "$NETCON_DIR" seccomp-profile --agent "$agent2" --metadata "name=sn-bad;network=nosuch" \
			>"$T/seccomp-nosuch.json" 2>>"$T/seccomp-gen.txt"
		"${P[@]}" run --rm "${UL[@]}" --network none --security-opt "seccomp=$T/seccomp-net.json" \
			--name sn-srv-$$ "$SIMG" /bin/busybox sh -c \
			"mkdir -p /www && busybox seq 1 300000 >/www/f && exec busybox httpd -f -p 7221 -h /www" \
			>"$T/sn-srv.txt" 2>&1 &
		srv=$!
		STOP_PIDS+=($srv)
		want=$(seq 1 300000 | md5sum | cut -d' ' -f1)
		got=$(nrun_podman --seccomp --network scnet --rm "$SIMG" /bin/busybox sh -c \
			"i=0; until busybox wget -q -O /tmp/f http://$net_ip:7221/f 2>/tmp/err; do i=\$((i+1)); [ \$i -lt 100 ] || { cat /tmp/err; exit 1; }; sleep 0.2; done; busybox md5sum /tmp/f" 2>&1)
		if [ "${got%% *}" = "$want" ] && grep -q "container sn-srv: supervised on network scnet" "$T/agent2.log"; then
			pass seccomp-agent-network "a container on network scnet by listenerMetadata served 2 MB, md5 $want, to netcon run --network scnet"
		else
			fail seccomp-agent-network "$(tr '\n' ' ' <<<"$got" | cut -c1-160) (agent: $(grep -i 'network\|error' "$T/agent2.log" | tail -n 2 | tr '\n' ' '))"
		fi
		# The server still runs: only the refusal can make this fetch fail.
		if timeout 60 "${P[@]}" run --rm "${UL[@]}" --network none --security-opt "seccomp=$T/seccomp-nosuch.json" \
			"$SIMG" /bin/busybox wget -q -O /dev/null "http://$net_ip:7221/" >"$T/sn-bad.txt" 2>&1; then
			fail seccomp-agent-network-unknown "a container on a network nobody serves fetched something"
		elif grep -q "network nosuch: no service at" "$T/agent2.log"; then
			pass seccomp-agent-network-unknown "$(grep -m1 'network nosuch' "$T/agent2.log" | sed 's/^[0-9.]* //')"
		else
			fail seccomp-agent-network-unknown "$(tail -n 2 "$T/agent2.log" | tr '\n' ' ')"
		fi
		stop_pid "$srv"
		stop_pid "$apid"
		serve_stop scnet
	fi
	# No agent: the runtime cannot hand the listener over and refuses the container.
	stop_pid "$AGENT_PID"
	if [ -n "$DOCKERD_PID" ]; then
		expect_refusal seccomp-docker-no-agent "failed to connect with seccomp agent" \
			timeout 60 "$DOCKER" run --rm --runtime netcon --network none --security-opt "seccomp=$T/seccomp.json" \
			"$SIMG" /bin/busybox true
	fi
	if [ -n "$PODMAN_OK" ]; then
		expect_refusal seccomp-podman-no-agent "failed to connect with seccomp agent" \
			timeout 60 "${P[@]}" run --rm "${UL[@]}" --network none --security-opt "seccomp=$T/seccomp-p.json" \
			"$SIMG" /bin/busybox true
	fi
}

if [ -n "$DOCKERD_PID" ] || [ -n "$PODMAN_OK" ]; then seccomp_cases; fi
summary
