#!/bin/bash
# tests/suites/compat.sh [PROGRAM...] - the seed's compatibility table, redone
# with today's Debian programs.
#
# Each program lives in tests/compat/NAME.sh, which defines compat_NAME. It
# installs its Debian packages if missing, starts the server in the foreground
# with a throwaway configuration and data under $T, through one service, runs
# the real client through another service on the same switch, compares the
# results byte for byte, stops everything by PID and prints one ok/FAIL line
# per row of the table. With no argument every program runs, in the order
# below, and docs/compatibility.md is rewritten; with arguments (`compat.sh
# redis ssh`) only those run and the document is left alone. KEEP=1 keeps the
# run's folder, VERBOSE=1 logs the services' RPCs.
source "$(dirname "$0")/../lib.sh"
CT=$TOP/tests/compat
DOC=$TOP/docs/compatibility.md
ORDER=(redis http ssh apache mariadb postgres vsftpd pureftpd node java tomcat dnsmasq udp ping seccomp)

# One entry per row of the document: the seed's name and status, and ours.
declare -A ROW_STATUS ROW_NOTE ROW_PKG
WHY=

# compat_pkgs PACKAGE...: install what is missing (without recommends). Other
# jobs may hold the dpkg lock: wait for it rather than fail.
compat_pkgs() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	echo "installing ${missing[*]}"
	# --no-remove: never take away a package that conflicts (vsftpd and pure-ftpd).
	local apt=(apt-get install -y --no-install-recommends --no-remove -o DPkg::Lock::Timeout=600)
	DEBIAN_FRONTEND=noninteractive "${apt[@]}" "${missing[@]}" >"$T/old/apt.out" 2>&1 && return 0
	apt-get update -o DPkg::Lock::Timeout=600 >/dev/null 2>&1
	DEBIAN_FRONTEND=noninteractive "${apt[@]}" "${missing[@]}" >"$T/old/apt.out" 2>&1 && return 0
	WHY="apt-get install ${missing[*]}: $(tail -n 2 "$T/old/apt.out" | tr '\n' ' ')"
	return 1
}

# pkg_files PACKAGE: install the package if it can be without removing
# another, else unpack it (dpkg-deb -x) under $T; PKG_ROOT is then where its
# files are ("" when installed). vsftpd and pure-ftpd conflict as packages:
# the suite runs both whichever of them the machine has.
pkg_files() {
	local p=$1 deb
	PKG_ROOT=
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" && return 0
	if ! apt-get install -s --no-install-recommends "$p" 2>/dev/null | grep -q '^Remv'; then
		compat_pkgs "$p" && return 0
	fi
	rm -rf "$T/old/deb-$p"
	mkdir -p "$T/old/deb-$p"
	if (cd "$T/old/deb-$p" && apt-get download "$p" >/dev/null 2>&1) &&
		deb=$(ls "$T/old/deb-$p"/*.deb) && dpkg-deb -x "$deb" "$T/pkg-$p"; then
		dpkg-deb -f "$deb" Version >"$T/old/version.$p"
		PKG_ROOT=$T/pkg-$p
		echo "unpacked $p $(cat "$T/old/version.$p") into $PKG_ROOT (it conflicts with an installed package)"
		return 0
	fi
	WHY="$p: neither installable (without removing a conflicting package) nor unpacked"
	return 1
}

# pkg_version PACKAGE: its installed Debian version (or what the suite recorded
# for a package it unpacked itself).
pkg_version() {
	if dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; then
		dpkg-query -W -f='${Version}' "$1"
	elif [ -s "$T/old/version.$1" ]; then
		echo "$(cat "$T/old/version.$1"), unpacked"
	else
		echo "not installed"
	fi
}

# try DESCRIPTION COMMAND...: one step of a program's test. On failure WHY
# says which step, the command and its last lines of output.
try() {
	local desc=$1
	shift
	if "$@" >"$T/old/try.out" 2>&1; then
		return 0
	fi
	WHY="$desc [$*]: $(tail -n 4 "$T/old/try.out" | tr '\n' ' ' | cut -c1-400)"
	return 1
}

# row NAME PACKAGE OK NOTE: a row of the table; OK is 0 for works. Prints the
# ok/FAIL line (fail() adds the tails of the program's logs).
row() {
	local name=$1 pkg=$2 ok=$3 note=$4
	ROW_PKG[$name]="$pkg $(pkg_version "$pkg")"
	ROW_NOTE[$name]=$note
	if [ "$ok" = 0 ]; then
		ROW_STATUS[$name]=works
		pass "$name" "$note"
	else
		ROW_STATUS[$name]=FAIL
		fail "$name" "$note"
	fi
}

# services PREFIX: a server-side service PREFIX_srv and a client-side one
# PREFIX_cli on the suite's switch; SRV_IP and SRV_IP6 are the server's.
services() {
	start_service "$1_srv" "${SVC_OPTS[@]}" && start_service "$1_cli" "${SVC_OPTS[@]}" ||
		{ WHY="services did not start"; return 1; }
	SRV_IP=$(service_ip "$1_srv" 4)
	SRV_IP6=$(service_ip "$1_srv" 6)
	SVC_PIDS+=("$(eval echo "\$PID_$1_srv")" "$(eval echo "\$PID_$1_cli")")
}

# stop PID...: TERM, then KILL after 10 s; each PID is one the suite started.
stop() {
	local p i
	for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
	for p in "$@"; do
		for ((i = 0; i < 100; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	return 0
}

# finish: stop the program's services and put its logs aside, so that the next
# program's failure shows only its own logs.
finish() {
	stop "${SVC_PIDS[@]}"
	SVC_PIDS=()
	mv "$T"/*.log "$T/old/" 2>/dev/null
	return 0
}

# wait_up PID SECONDS COMMAND...: wait_for, but give up as soon as the server
# PID has exited.
wait_up() {
	local pid=$1 limit=$2 i
	shift 2
	for ((i = 0; i < limit * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || { echo "the server exited"; return 1; }
		sleep 0.1
	done
	echo "no answer after $limit s"
	return 1
}

for f in "$CT"/*.sh; do
	# shellcheck source=/dev/null
	source "$f"
done

mkdir -p "$T/old"
# VERBOSE=1 starts the services with -v (every RPC in their logs).
SVC_OPTS=()
[ -n "${VERBOSE:-}" ] && SVC_OPTS=(-v)
# KEEP=1 leaves $T (configurations, data, logs) in place for a post-mortem.
if [ -n "${KEEP:-}" ]; then
	trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; echo "kept $T"' EXIT
fi
chmod 755 "$T"	# servers that drop to other users read their files here
SVC_PIDS=()
# A hub service hosts the switch for the whole run, so that programs' services
# come and go without moving it.
start_service hub || { fail service-start; summary; exit 1; }
mv "$T/hub.log" "$T/old/"

want=("$@")
[ ${#want[@]} = 0 ] && want=("${ORDER[@]}")
started=$(date +%s)
for w in "${want[@]}"; do
	if ! declare -F "compat_$w" >/dev/null; then
		fail "$w" "no tests/compat/$w.sh"
		continue
	fi
	WHY=
	t0=$(date +%s)
	"compat_$w"
	finish
	echo "     ($w: $(($(date +%s) - t0)) s)"
done

# docs/compatibility.md: the seed's table beside today's, after a full run.
seed_rows=(
	"sshd|WORKS as of 20151022|Long ~15-20s delay for client during connect|sshd"
	"ssh|WORKS as of 20151022||ssh"
	"sftp|WORKS as of 20151022||sftp"
	"-|-||scp"
	"curl|WORKS as of 20151021|Sometimes \"tcp_input: pcb->next != pcb (before cache)\" is seen|curl"
	"-|-||wget"
	"apache (debug mode)|WORKS as of 20150810||apache2 -X (debug mode)"
	"apache (prefork MPM)|WORKS as of 20151021||apache2 prefork MPM"
	"-|-||apache2 event MPM"
	"nginx|WORKS as of 20151022||nginx"
	"nodejs|WORKS as of 20151021||node"
	"-|-||node dgram"
	"java|WORKS as of 20151010||java"
	"tomcat|WORKS as of 2015xxxx||tomcat10"
	"thttpd|WORKS as of 2015xxxx||mini_httpd"
	"vsftpd|BROKEN as of 20151021|Server sends 500 when 220 is expected|vsftpd"
	"mysql|BROKEN as of 20151021||mariadb"
	"postresql|BROKEN as of 20151021||postgresql"
	"MongoDB|BROKEN as of 20151021||MongoDB"
	"Redis-server|WORKS as of 20151027||redis-server"
	"pure-ftpd|BROKEN as of 20151021|Socket operation on non-socket|pure-ftpd"
	"-|-||dnsmasq"
	"-|-||dnsmasq IPv6"
	"-|-||socat"
	"-|-||iperf3"
	"-|-||memcached"
	"-|-||ping"
	"-|-||caddy (Go)"
	"-|-||busybox httpd (static)"
	"-|-||busybox wget (static)"
	"-|-||Go net/http client"
)
if [ "$*" = "" ]; then
	{
		echo "# Compatibility"
		echo
		echo "Real programs from Debian $(cat /etc/debian_version), run by \`tests/suites/compat.sh\` (\`make compat\`)"
		echo "on $(date -u +%Y-%m-%d) against netcon $(git -C "$TOP" describe --always --dirty 2>/dev/null || echo '?'):"
		echo "each server runs in the foreground through one netcon service in an empty network"
		echo "namespace, its real client through another service on the same virtual switch, and"
		echo "every transfer is compared byte for byte. The seed's columns are the original netcon's"
		echo "table (2015); the versions are those dpkg-query reports for the packages tested."
		echo
		echo "| seed's program | seed's status (2015) | seed's note | tested here (Debian package version) | netcon today | what was checked, or why it failed |"
		echo "|---|---|---|---|---|---|"
		for r in "${seed_rows[@]}"; do
			IFS='|' read -r sname sstat snote ours <<<"$r"
			if [ "$ours" = MongoDB ]; then
				echo "| $sname | $sstat | $snote | — | not tested | MongoDB is not packaged in Debian 12 (Debian dropped it after its 2018 licence change to the SSPL): no row to test |"
			elif [ -n "${ROW_STATUS[$ours]:-}" ]; then
				echo "| $sname | $sstat | $snote | $ours (\`${ROW_PKG[$ours]}\`) | **${ROW_STATUS[$ours]}** | ${ROW_NOTE[$ours]//|/\\|} |"
			else
				echo "| $sname | $sstat | $snote | $ours | not run | |"
			fi
		done
		echo
		echo "Suite time: $(($(date +%s) - started)) s on $(nproc) CPUs; $PASSED rows work, $FAILED fail."
		cat <<-'EOF'

			## How the programs are run

			Each program has a file in `tests/compat/` with its configuration; `compat.sh redis ssh`
			runs some of them (`KEEP=1` keeps the run's folder, `VERBOSE=1` logs every RPC). What
			the programs themselves need, on any network stack:

			- nginx, apache2 and mini_httpd serve from processes of an unprivileged user
			  (www-data, nobody): the run's folder is world-readable.
			  apache2 stops by signalling its whole process group, so it runs under `setsid`.
			- sshd needs `/run/sshd` (its privilege separation directory); keys, `sshd_config`
			  and `authorized_keys` are generated under the run's folder.
			- mariadbd runs with `--user=root`; with `--bind-address=::` it sets `IPV6_V6ONLY`,
			  so the suite uses `*` (its dual-stack listener).
			- initdb and postgres refuse root: they run as `postgres` (setpriv), and their
			  service is started with `--group postgres` so that this user may use its socket.
			- vsftpd needs `seccomp_sandbox=NO` under LD_PRELOAD; its anonymous user must
			  have a home directory. vsftpd and pure-ftpd conflict as Debian packages: the one
			  not installed is unpacked (`apt-get download`, `dpkg-deb -x`) under the run's
			  folder, and its version is marked "unpacked".
			- pure-ftpd's own password hashes (argon2id) cost ~3.7 s of CPU per login: the
			  suite's virtual user has a SHA-512 crypt hash instead.
			- node runs with `UV_USE_IO_URING=0`.
			- The rows after pure-ftpd are UDP, ping and names, which the seed did not have
			  (`tests/compat/dnsmasq.sh`, `udp.sh`, `ping.sh`; the clients' checks are
			  `tests/udp/`'s). Servers that fork (socat) run under timeout(1), which stops
			  their children with them.
			- dnsmasq binds port 53 of the service's addresses (a socket bound to an address
			  takes the port from the service's own DNS stub, bound to the wildcard) and
			  runs with `--bind-interfaces --listen-address`: in its default wildcard mode,
			  and for every IPv6 query in any mode, it drops a query unless SIOCGIFNAME
			  names the interface index of its IP_PKTINFO / IPV6_PKTINFO.
			- memcached runs with `-u root` (it refuses root otherwise).
			- The JDK decides whether the machine has IPv6 from `/proc/net/if_inet6`, empty in
			  a namespace where no interface is up; there it makes IPv4 sockets only. Java's
			  and Tomcat's IPv6 checks run their JVMs in a namespace where `lo` is up (netcon
			  still carries all their TCP).
		EOF
	} >"$DOC"
	echo "     (wrote $DOC)"
fi
summary
