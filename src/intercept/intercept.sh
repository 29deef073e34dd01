#!/bin/sh
# intercept - run a program with its TCP carried by a running netcon service.
#
#   intercept ./app [args...]   run app with libnetcon preloaded
#   intercept show              what would be preloaded, and which service is used
set -u

here=$(dirname "$(readlink -f "$0")")
lib=${NETCON_LIB:-}
if [ -z "$lib" ]; then
	for candidate in "$here/../lib/netcon/libnetcon.so" "$here/libnetcon.so"; do
		if [ -r "$candidate" ]; then
			lib=$(readlink -f "$candidate")
			break
		fi
	done
fi
dir=${NETCON_DIR:-/tmp/netcon-$(id -u)}
sock=${NETCON_SOCKET:-$dir/service.sock}

usage() {
	echo "usage: intercept PROGRAM [ARGS...]" >&2
	echo "       intercept show" >&2
	exit 2
}

[ $# -ge 1 ] || usage
case "$1" in
-h|--help)
	usage
	;;
show)
	echo "library:      ${lib:-(libnetcon.so not found)}"
	echo "preload:      ${lib}${LD_PRELOAD:+ $LD_PRELOAD}"
	echo "current:      LD_PRELOAD=${LD_PRELOAD:-(empty)}"
	echo "service:      $sock"
	if [ -x "$here/netcon-service" ] && status=$("$here/netcon-service" status --socket "$sock" 2>/dev/null); then
		echo "$status" | sed 's/^/              /'
	elif [ -S "$sock" ]; then
		echo "              (socket present)"
	else
		echo "              (no service running there)"
	fi
	exit 0
	;;
esac

if [ -z "$lib" ]; then
	echo "intercept: libnetcon.so not found beside $here (set NETCON_LIB)" >&2
	exit 1
fi
if [ ! -S "$sock" ]; then
	echo "intercept: no netcon service at $sock (start netcon-service first)" >&2
	exit 1
fi
# NETCON_PRELOAD_FIRST names a library that must load before ours (a
# sanitizer runtime, for the ASan build of libnetcon).
LD_PRELOAD="${NETCON_PRELOAD_FIRST:+$NETCON_PRELOAD_FIRST }$lib${LD_PRELOAD:+ $LD_PRELOAD}" NETCON_SOCKET="$sock" exec "$@"
