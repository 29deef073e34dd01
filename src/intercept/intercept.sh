#!/bin/sh
# intercept - run a program with its network carried by a running netcon service.
#
#   intercept ./app [args...]   run app with libnetcon preloaded (its musl build
#                               for a program linked against musl); a static or
#                               Go program goes through netcon-supervise (seccomp)
#   intercept --seccomp ./app   always the seccomp path (netcon-supervise)
#   intercept --preload ./app   always LD_PRELOAD
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
	echo "usage: intercept [--seccomp|--preload] PROGRAM [ARGS...]" >&2
	echo "       intercept show" >&2
	exit 2
}

path=auto
case "${1:-}" in
--seccomp) path=seccomp; shift ;;
--preload) path=preload; shift ;;
esac
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
	if [ -x "$here/netcon-supervise" ]; then
		echo "seccomp:      $here/netcon-supervise (for static and Go programs; can it here? $("$here/netcon-supervise" --check 2>&1))"
	fi
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
prog=$(command -v "$1" 2>/dev/null || true)
readable=false
[ -n "$prog" ] && [ -f "$prog" ] && [ -r "$prog" ] && readable=true
# A program linked against musl (an Alpine-style binary: its interpreter is
# ld-musl) gets the musl build of libnetcon beside ours (musl/libnetcon.so),
# unless NETCON_LIB names the library.
if [ -z "${NETCON_LIB:-}" ]; then
	musl_lib=$(dirname "$lib")/musl/libnetcon.so
	if [ -r "$musl_lib" ] && $readable && head -c 4096 "$prog" 2>/dev/null | grep -q '/ld-musl-'; then
		lib=$(readlink -f "$musl_lib")
	fi
fi
# Which path catches the program's calls: LD_PRELOAD reaches only programs
# that call a C library we wrap; an ELF with no interpreter (static) or a Go
# program (its own system calls) needs the seccomp path.
if [ "$path" = auto ]; then
	path=preload
	if $readable && [ "$(head -c 4 "$prog" 2>/dev/null | tr -d '\000')" = "$(printf '\177ELF')" ]; then
		if ! head -c 4096 "$prog" | grep -q -a -e '/ld-linux' -e '/ld-musl' -e '/ld64\.so' -e '/ld\.so'; then
			path=seccomp	# static
		elif grep -q -a -m1 'Go buildinf:' "$prog"; then
			path=seccomp	# Go, dynamically linked (cgo)
		fi
	fi
fi
if [ "$path" = seccomp ]; then
	if [ ! -x "$here/netcon-supervise" ]; then
		echo "intercept: netcon-supervise not found beside $here (needed for $1)" >&2
		exit 1
	fi
	# Where no seccomp filter can be had, a dynamic program falls back to the preload.
	fallback=
	if $readable && head -c 4096 "$prog" | grep -q -a -e '/ld-linux' -e '/ld-musl'; then
		fallback=$lib
	fi
	NETCON_FALLBACK_PRELOAD=$fallback NETCON_SOCKET="$sock" exec "$here/netcon-supervise" -- "$@"
fi
# NETCON_PRELOAD_FIRST names a library that must load before ours (a
# sanitizer runtime, for the ASan build of libnetcon).
LD_PRELOAD="${NETCON_PRELOAD_FIRST:+$NETCON_PRELOAD_FIRST }$lib${LD_PRELOAD:+ $LD_PRELOAD}" NETCON_SOCKET="$sock" exec "$@"
