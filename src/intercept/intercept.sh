#!/bin/sh
# intercept - run a program with its TCP carried by a running netcon service.
#
#   intercept ./app [args...]   run app with libnetcon preloaded (its musl build
#                               for a program linked against musl)
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
# The same default as libnetcon's (src/common/paths.c): the real uid, outside
# any user namespace, so that users of `unshare -r` do not share a folder.
real_uid=$(awk -v u="$(id -u)" '$1 <= u && u < $1 + $3 { print $2 + u - $1; exit }' /proc/self/uid_map 2>/dev/null)
if [ -n "${NETCON_DIR:-}" ]; then
	dir=$NETCON_DIR
elif [ -n "${XDG_RUNTIME_DIR:-}" ]; then
	dir=$XDG_RUNTIME_DIR/netcon
else
	dir=/tmp/netcon-${real_uid:-$(id -u)}
fi
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
	if [ -n "$lib" ] && [ -r "$(dirname "$lib")/musl/libnetcon.so" ]; then
		echo "musl library: $(readlink -f "$(dirname "$lib")/musl/libnetcon.so") (for programs linked against musl)"
	fi
	echo "preload:      ${lib}${LD_PRELOAD:+ $LD_PRELOAD}"
	echo "current:      LD_PRELOAD=${LD_PRELOAD:-(empty)}"
	echo "service:      $sock"
	if [ -x "$here/netcon-service" ]; then
		# status says why a service cannot be used (none, refused, impostor).
		"$here/netcon-service" status --socket "$sock" 2>&1 | sed 's/^/              /'
	elif [ -S "$sock" ]; then
		echo "              (socket present; netcon-service not found to ask it)"
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
	sockdir=$(dirname "$sock")
	if [ -d "$sockdir" ] && ! [ -x "$sockdir" ]; then
		echo "intercept: not allowed to use the netcon service at $sock: Permission denied on $sockdir (as uid $(id -u); its owner can open it to a group with --group)" >&2
	else
		echo "intercept: no netcon service at $sock (start netcon-service first)" >&2
	fi
	exit 1
fi
# A program linked against musl (an Alpine-style binary: its interpreter is
# ld-musl) gets the musl build of libnetcon beside ours (musl/libnetcon.so),
# unless NETCON_LIB names the library.
if [ -z "${NETCON_LIB:-}" ]; then
	musl_lib=$(dirname "$lib")/musl/libnetcon.so
	prog=$(command -v "$1" 2>/dev/null || true)
	if [ -r "$musl_lib" ] && [ -n "$prog" ] && [ -f "$prog" ] && [ -r "$prog" ] &&
		head -c 4096 "$prog" 2>/dev/null | grep -q '/ld-musl-'; then
		lib=$(readlink -f "$musl_lib")
	fi
fi
# NETCON_PRELOAD_FIRST names a library that must load before ours (a
# sanitizer runtime, for the ASan build of libnetcon).
LD_PRELOAD="${NETCON_PRELOAD_FIRST:+$NETCON_PRELOAD_FIRST }$lib${LD_PRELOAD:+ $LD_PRELOAD}" NETCON_SOCKET="$sock" exec "$@"
