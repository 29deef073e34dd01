#!/bin/sh
# netcon - containers on a netcon network, in one command.
#
#   netcon run [--name N] [--network NET] [--publish SPEC]... [--nat|--no-nat]
#              [--allow-host-loopback] [--runtime docker|podman|PATH]
#              [--global-opt OPT]... [--socket-mode MODE] [--service-opt OPT]...
#              [--musl] [--seccomp] [RUNTIME-RUN-OPTIONS...] IMAGE [CMD...]
#       starts a netcon-service for the container on network NET's switch,
#       runs the container with --network none and the service's folder
#       mounted (socket, libnetcon, /etc/ld.so.preload, /etc/resolv.conf),
#       stops the service when the container exits; exits with its status.
#       --musl: a musl image (Alpine): LD_PRELOAD names the musl build.
#       --seccomp: nothing mounted but resolv.conf, no preload: the container's
#       seccomp profile hands its socket calls to an OCI seccomp agent
#       (netcon-supervise --agent) for that service, so static and Go
#       programs have the network too (Podman; Docker 20.10 drops the
#       profile's agent socket: use netcon serve and the runtime wrapper).
#   netcon serve NET [--name N] [--publish SPEC]... [--nat|--no-nat]
#              [--allow-host-loopback] [--socket-mode MODE] [--service-opt OPT]...
#       a long-running service for network NET whose folder DIR/NET/ the OCI
#       hook and the runtime wrapper (netcon-runtime) mount into containers
#       that ask for NET (annotation io.netcon.network=NET, or the
#       environment variable NETCON_NETWORK=NET). Runs until stopped; the
#       folder stays, so a restarted service is found again.
#   netcon dir        the folder holding networks and containers' services
#
# DIR: $NETCON_DIR, else /run/netcon for root, $XDG_RUNTIME_DIR/netcon, or
# /tmp/netcon-UID. A container's folder DIR/c-RANDOM/ holds only service.sock,
# a copy of libnetcon.so (and of the musl build, musl/libnetcon.so, where it
# was built), ld.so.preload and resolv.conf; the switch of network NET is
# DIR/net-NET.
set -u

here=$(dirname "$(readlink -f "$0")")
prog=netcon

die() {
	echo "$prog: $*" >&2
	exit 125
}

usage() {
	sed -n '3,22p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

find_first() {
	for f in "$@"; do
		[ -e "$f" ] && { readlink -f "$f"; return 0; }
	done
	return 1
}

supervise=$(find_first "$here/netcon-supervise" "$here/../bin/netcon-supervise") ||
	supervise=$(command -v netcon-supervise) || supervise=
oci=$(find_first "$here/../libexec/netcon/netcon-oci" "$here/netcon-oci") || oci=
svc=${NETCON_SERVICE_BIN:-$(find_first "$here/netcon-service" "$here/../bin/netcon-service")} ||
	svc=$(command -v netcon-service) || svc=
lib=${NETCON_LIB:-$(find_first "$here/../lib/netcon/libnetcon.so" "$here/libnetcon.so")} || lib=
# The musl build, where it was built: musl/libnetcon.so in the folder too.
musl_lib=${NETCON_MUSL_LIB:-$(find_first "$(dirname "$lib")/musl/libnetcon.so")} || musl_lib=

base_dir() {
	if [ -n "${NETCON_DIR:-}" ]; then
		echo "$NETCON_DIR"
	elif [ "$(id -u)" = 0 ]; then
		echo /run/netcon
	elif [ -n "${XDG_RUNTIME_DIR:-}" ]; then
		echo "$XDG_RUNTIME_DIR/netcon"
	else
		echo "/tmp/netcon-$(id -u)"
	fi
}

# prepare_base DIR: ours, searchable by all (containers run as any user),
# writable by nobody else.
prepare_base() {
	d=$1
	if [ ! -d "$d" ]; then
		mkdir -p "$d" || die "cannot create $d"
		chmod 755 "$d"
	fi
	[ -L "$d" ] && die "refusing $d: it is a symbolic link"
	owner=$(stat -c %u "$d")
	[ "$owner" = "$(id -u)" ] || die "refusing $d: it belongs to uid $owner, not to us (uid $(id -u)); set NETCON_DIR"
	mode=$(stat -c %a "$d")
	case $mode in *[2367]? | *[2367]) die "refusing $d: others may write to it (mode $mode)" ;; esac
}

valid_name() {
	case $1 in
	'' | .* | *[!A-Za-z0-9_.-]*) return 1 ;;
	esac
	return 0
}

# has_option OPT: whether this netcon-service knows OPT (the gateway, published
# ports and the socket mode are newer than some builds).
SVC_HELP=
has_option() {
	[ -n "$SVC_HELP" ] || SVC_HELP=$("$svc" --help 2>&1)
	printf '%s\n' "$SVC_HELP" | grep -q -- "$1"
}

# fill_folder FOLDER: the library copy and ld.so.preload. The library is
# replaced by rename (running programs keep their mapping), only when it
# changed; ld.so.preload is rewritten in place (it is bind-mounted as a file).
fill_folder() {
	f=$1
	if ! cmp -s "$lib" "$f/libnetcon.so"; then
		cp "$lib" "$f/.libnetcon.so.new" && chmod 644 "$f/.libnetcon.so.new" &&
			mv -f "$f/.libnetcon.so.new" "$f/libnetcon.so" || die "cannot copy $lib to $f"
	fi
	write_in_place "$f/ld.so.preload" "/run/netcon/libnetcon.so"
	if [ -n "$musl_lib" ] && ! cmp -s "$musl_lib" "$f/musl/libnetcon.so"; then
		mkdir -p "$f/musl" && chmod 755 "$f/musl" &&
			cp "$musl_lib" "$f/musl/.libnetcon.so.new" && chmod 644 "$f/musl/.libnetcon.so.new" &&
			mv -f "$f/musl/.libnetcon.so.new" "$f/musl/libnetcon.so" || die "cannot copy $musl_lib to $f/musl"
	fi
}

# write_in_place FILE TEXT: the same inode (a bind mount of FILE sees it).
write_in_place() {
	printf '%s\n' "$2" >"$1" || die "cannot write $1"
	chmod 644 "$1"
}

# start_service FOLDER LOG ARGS...: the service in the background (its output
# to LOG, or ours when LOG is empty) on
# FOLDER/service.sock; waits (bounded) until it answers; sets SVC_PID.
start_service() {
	folder=$1 log=$2
	shift 2
	if [ -n "$log" ]; then
		"$svc" --socket "$folder/service.sock" "$@" </dev/null >"$log" 2>&1 &
	else
		"$svc" --socket "$folder/service.sock" "$@" </dev/null &
	fi
	SVC_PID=$!
	i=0
	while ! "$svc" status --socket "$folder/service.sock" >/dev/null 2>&1; do
		if ! kill -0 "$SVC_PID" 2>/dev/null || [ $i -ge 200 ]; then
			echo "$prog: netcon-service did not start:" >&2
			[ -n "$log" ] && tail -n 5 "$log" | sed 's/^/  /' >&2
			kill "$SVC_PID" 2>/dev/null
			return 1
		fi
		sleep 0.05
		i=$((i + 1))
	done
	# Until the service has --socket-mode: open the socket to every uid here.
	[ -n "$CHMOD_SOCKET" ] && chmod "$CHMOD_SOCKET" "$folder/service.sock"
	ip=$("$svc" status --socket "$folder/service.sock" | awk '$1 == "ipv4" { sub("/.*", "", $2); print $2; exit }')
	[ -n "$ip" ] || { echo "$prog: the service reports no IPv4 address" >&2; return 1; }
	write_in_place "$folder/resolv.conf" "nameserver $ip
options ndots:1 timeout:2 attempts:2"
}

stop_service() {
	[ -n "${SVC_PID:-}" ] || return 0
	kill "$SVC_PID" 2>/dev/null || { SVC_PID=; return 0; }
	i=0
	while kill -0 "$SVC_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -9 "$SVC_PID" 2>/dev/null
	wait "$SVC_PID" 2>/dev/null
	SVC_PID=
}

# start_agent: the container's OCI seccomp agent on FOLDER/agent.sock, serving
# its service, and the profile naming it (FOLDER/seccomp.json).
start_agent() {
	case $(basename "$RUNTIME") in
	docker*) stop_service; rm -rf "$FOLDER"; die "--seccomp: Docker 20.10 drops a seccomp profile's listenerPath; use Podman, or 'netcon serve' with the netcon runtime and 'netcon-oci seccomp-profile'" ;;
	esac
	[ -n "$supervise" ] || { stop_service; rm -rf "$FOLDER"; die "--seccomp: netcon-supervise not found"; }
	[ -n "$oci" ] || { stop_service; rm -rf "$FOLDER"; die "--seccomp: netcon-oci not found"; }
	"$supervise" --agent "$FOLDER/agent.sock" --socket "$FOLDER/service.sock" >>"$LOG" 2>&1 &
	AGENT_PID=$!
	i=0
	until [ -S "$FOLDER/agent.sock" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$AGENT_PID" 2>/dev/null; then
			stop_service
			rm -rf "$FOLDER"
			die "--seccomp: the agent did not start: $(tail -n 1 "$LOG")"
		fi
		sleep 0.05
	done
	"$oci" --dir "$BASE" seccomp-profile --agent "$FOLDER/agent.sock" \
		${NAME:+--metadata "name=$NAME"} >"$FOLDER/seccomp.json" 2>>"$LOG" || {
		stop_service
		rm -rf "$FOLDER"
		die "--seccomp: no profile: $(tail -n 1 "$LOG")"
	}
}

# Options shared by run and serve (parse_common), turned into the service's
# command line by build_service_args.
MUSL= SECCOMP= AGENT_PID= NAME= NETWORK=default NAT=auto LOOPBACK= SOCKET_MODE=0666 CHMOD_SOCKET= RUNTIME= GLOBAL_N=0 SVCOPT_N=0 PUBLISH_N=0

# quote WORD: WORD for eval, single-quoted.
quote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

build_service_args() {
	SARGS="--net $(quote "switch://$BASE/net-$NETWORK")"
	[ -n "$NAME" ] && SARGS="$SARGS --name $(quote "$NAME")"
	case $NAT in
	on) has_option --nat || die "this netcon-service has no --nat (the gateway); update it or use --no-nat"
		SARGS="$SARGS --nat" ;;
	auto) has_option --nat && SARGS="$SARGS --nat" ;;
	esac
	if [ -n "$LOOPBACK" ]; then
		has_option --allow-host-loopback || die "this netcon-service has no --allow-host-loopback"
		SARGS="$SARGS --allow-host-loopback"
	fi
	i=0
	while [ $i -lt $PUBLISH_N ]; do
		has_option --publish || die "this netcon-service has no --publish"
		eval "p=\$PUBLISH_$i"
		SARGS="$SARGS --publish $(quote "$p")"
		i=$((i + 1))
	done
	if has_option --socket-mode; then
		SARGS="$SARGS --socket-mode $(quote "$SOCKET_MODE")"
	else
		CHMOD_SOCKET=$SOCKET_MODE
	fi
	i=0
	while [ $i -lt $SVCOPT_N ]; do
		eval "p=\$SVCOPT_$i"
		SARGS="$SARGS $(quote "$p")"
		i=$((i + 1))
	done
}

# parse_common OPT [VALUE]: sets SHIFT to the words used, 0 if OPT is not ours.
parse_common() {
	SHIFT=1
	case $1 in
	--name) NAME=${2?}; SHIFT=2 ;;
	--name=*) NAME=${1#*=} ;;
	--network | --net) NETWORK=${2?}; SHIFT=2 ;;
	--network=* | --net=*) NETWORK=${1#*=} ;;
	--publish | -p) eval "PUBLISH_$PUBLISH_N=\${2?}"; PUBLISH_N=$((PUBLISH_N + 1)); SHIFT=2 ;;
	--publish=*) eval "PUBLISH_$PUBLISH_N=\${1#*=}"; PUBLISH_N=$((PUBLISH_N + 1)) ;;
	--nat) NAT=on ;;
	--no-nat) NAT=off ;;
	--allow-host-loopback) LOOPBACK=1 ;;
	--socket-mode) SOCKET_MODE=${2?}; SHIFT=2 ;;
	--socket-mode=*) SOCKET_MODE=${1#*=} ;;
	--musl) MUSL=1 ;;
	--seccomp) SECCOMP=1 ;;
	--service-opt) eval "SVCOPT_$SVCOPT_N=\${2?}"; SVCOPT_N=$((SVCOPT_N + 1)); SHIFT=2 ;;
	--service-opt=*) eval "SVCOPT_$SVCOPT_N=\${1#*=}"; SVCOPT_N=$((SVCOPT_N + 1)) ;;
	*) SHIFT=0 ;;
	esac
}

# Options of `docker run` / `podman run` that take no value; every other
# option without "=" takes the next word.
is_flag() {
	case $1 in
	--rm | --init | --privileged | --read-only | --read-only-tmpfs | --publish-all | -P | \
		--sig-proxy | --no-healthcheck | --oom-kill-disable | --disable-content-trust | \
		--quiet | -q | --interactive | -i | --tty | -t | --replace | --rmi | --env-host | \
		--no-hosts | --http-proxy | --tls-verify | --rootfs | --passwd | --help | \
		--sig-proxy=* | --*=*) return 0 ;;
	-[it][it]) return 0 ;;
	esac
	return 1
}

cmd_run() {
	BASE=$(base_dir)
	# Our options and the runtime's, up to the image.
	n=$#
	while [ $# -gt 0 ] && [ "$n" -gt 0 ]; do
		a=$1
		case $a in
		--runtime) RUNTIME=${2?}; shift 2; n=$((n - 2)); continue ;;
		--runtime=*) RUNTIME=${a#*=}; shift; n=$((n - 1)); continue ;;
		--global-opt) eval "GLOBAL_$GLOBAL_N=\${2?}"; GLOBAL_N=$((GLOBAL_N + 1)); shift 2; n=$((n - 2)); continue ;;
		--global-opt=*) eval "GLOBAL_$GLOBAL_N=\${a#*=}"; GLOBAL_N=$((GLOBAL_N + 1)); shift; n=$((n - 1)); continue ;;
		-d | --detach | --detach=true | -d[it] | -[it]d | -[it][it]d)
			die "netcon run waits for its container, so that it can stop the service after: run it in the background (&) instead of --detach, or use 'netcon serve' and the runtime wrapper" ;;
		--network=none | --net=none) shift; n=$((n - 1)); continue ;;
		esac
		parse_common "$@"
		if [ "$SHIFT" -gt 0 ]; then
			shift "$SHIFT"
			n=$((n - SHIFT))
			continue
		fi
		case $a in
		--) shift; n=$((n - 1)); break ;;
		-*)
			if is_flag "$a"; then
				set -- "$@" "$a"
				shift
				n=$((n - 1))
			else
				[ $# -ge 2 ] || die "option $a needs a value"
				set -- "$@" "$a" "$2"
				shift 2
				n=$((n - 2))
			fi
			;;
		*) break ;;
		esac
	done
	# Now "$@" is IMAGE CMD... followed by the runtime options kept (n words
	# of the image and command, then the options).
	[ "$n" -gt 0 ] || die "no image given (netcon run [options] IMAGE [CMD...])"
	i=0
	for a; do
		if [ $i -lt "$n" ]; then
			eval "IMG_$i=\$a"
		fi
		i=$((i + 1))
	done
	shift "$n"
	i=0
	while [ $i -lt "$n" ]; do
		eval "set -- \"\$@\" \"\$IMG_$i\""
		i=$((i + 1))
	done

	valid_name "$NETWORK" || die "bad network name: $NETWORK"
	[ -z "$NAME" ] || valid_name "$NAME" || die "bad name: $NAME"
	[ -n "$svc" ] || die "netcon-service not found"
	[ -n "$lib" ] && [ -r "$lib" ] || die "libnetcon.so not found (set NETCON_LIB)"
	if [ -z "$RUNTIME" ]; then
		RUNTIME=$(command -v docker || command -v podman) || die "neither docker nor podman found (--runtime)"
	fi
	command -v "$RUNTIME" >/dev/null || die "runtime $RUNTIME not found"
	i=$GLOBAL_N
	while [ $i -gt 0 ]; do
		i=$((i - 1))
		eval "set -- \"\$GLOBAL_$i\" \"\$@\""
	done
	# (the run options follow the global ones below, through RUN_AT)

	prepare_base "$BASE"
	build_service_args
	FOLDER=$(mktemp -d "$BASE/c-XXXXXXXXXX") || die "cannot create a folder in $BASE"
	chmod 755 "$FOLDER"
	LOG="$FOLDER.log"
	SVC_PID=
	RT_PID=
	trap 'finish 130' INT
	trap 'finish 143' TERM
	trap 'finish 129' HUP
	fill_folder "$FOLDER"
	eval "start_service \"\$FOLDER\" \"\$LOG\" $SARGS" || { rm -rf "$FOLDER"; exit 125; }
	[ -n "$SECCOMP" ] && start_agent

	# "$@" is GLOBAL... RUNOPTS... IMAGE CMD...; insert "run" and our options
	# after the global ones.
	i=0
	for a; do
		eval "ARG_$i=\$a"
		i=$((i + 1))
	done
	total=$i
	set -- "$RUNTIME"
	i=0
	while [ $i -lt $GLOBAL_N ]; do
		eval "set -- \"\$@\" \"\$ARG_$i\""
		i=$((i + 1))
	done
	if [ -n "$SECCOMP" ]; then
		set -- "$@" run --network none --security-opt "seccomp=$FOLDER/seccomp.json" \
			-v "$FOLDER/resolv.conf:/etc/resolv.conf:ro"
	else
		set -- "$@" run --network none \
			-v "$FOLDER:/run/netcon:ro" \
			-v "$FOLDER/ld.so.preload:/etc/ld.so.preload:ro" \
			-v "$FOLDER/resolv.conf:/etc/resolv.conf:ro" \
			-e NETCON_SOCKET=/run/netcon/service.sock
	fi
	[ -n "$NAME" ] && set -- "$@" --name "$NAME"
	# musl's loader reads no /etc/ld.so.preload: the environment names the
	# musl build (and a glibc program in such a container would not start).
	if [ -n "$MUSL" ]; then
		[ -n "$musl_lib" ] || die "--musl: no musl build of libnetcon (lib/netcon/musl/libnetcon.so; make musl)"
		set -- "$@" -e LD_PRELOAD=/run/netcon/musl/libnetcon.so
	fi
	while [ $i -lt $total ]; do
		eval "set -- \"\$@\" \"\$ARG_$i\""
		i=$((i + 1))
	done
	"$@" &
	RT_PID=$!
	wait_runtime
	finish "$RT_STATUS"
}

# wait_runtime: wait for the runtime's client, passing on signals we get.
wait_runtime() {
	while :; do
		wait "$RT_PID"
		RT_STATUS=$?
		# wait returns >128 when a trapped signal interrupted it.
		kill -0 "$RT_PID" 2>/dev/null || break
	done
	RT_PID=
}

finish() {
	status=$1
	trap '' INT TERM HUP
	if [ -n "${RT_PID:-}" ]; then
		kill -TERM "$RT_PID" 2>/dev/null
		wait "$RT_PID" 2>/dev/null
	fi
	stop_service
	if [ -n "${AGENT_PID:-}" ]; then
		kill "$AGENT_PID" 2>/dev/null
		wait "$AGENT_PID" 2>/dev/null
	fi
	[ -n "${FOLDER:-}" ] && rm -rf "$FOLDER"
	[ -n "${LOG:-}" ] && rm -f "$LOG"
	exit "$status"
}

cmd_serve() {
	BASE=$(base_dir)
	[ $# -ge 1 ] || usage
	NETWORK=$1
	shift
	while [ $# -gt 0 ]; do
		parse_common "$@"
		[ "$SHIFT" -gt 0 ] || die "serve: unknown option $1"
		shift "$SHIFT"
	done
	valid_name "$NETWORK" || die "bad network name: $NETWORK"
	case $NETWORK in net-* | c-*) die "network names starting with net- or c- are reserved" ;; esac
	[ -n "$svc" ] || die "netcon-service not found"
	[ -n "$lib" ] && [ -r "$lib" ] || die "libnetcon.so not found (set NETCON_LIB)"
	[ -n "$NAME" ] || NAME=$NETWORK
	prepare_base "$BASE"
	build_service_args
	FOLDER=$BASE/$NETWORK
	[ -L "$FOLDER" ] && die "refusing $FOLDER: it is a symbolic link"
	mkdir -p "$FOLDER" && chmod 755 "$FOLDER" || die "cannot create $FOLDER"
	LOG=
	SVC_PID=
	fill_folder "$FOLDER"
	# The service logs to our stderr; we stay in the foreground with it.
	trap 'stop_service; exit 0' INT TERM HUP
	eval "start_service \"\$FOLDER\" '' $SARGS" || exit 1
	echo "$prog: network $NETWORK served at $FOLDER/service.sock" >&2
	wait "$SVC_PID"
	status=$?
	SVC_PID=
	exit $status
}

[ $# -ge 1 ] || usage
case $1 in
run) shift; cmd_run "$@" ;;
serve) shift; cmd_serve "$@" ;;
dir) base_dir ;;
-h | --help | help) usage ;;
*) echo "$prog: unknown command $1" >&2; usage ;;
esac
