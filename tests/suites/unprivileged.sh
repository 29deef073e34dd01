#!/bin/bash
# No privilege is needed to use netcon: an ordinary user (nobody) starts two
# services and a server and client, each in its own user and network
# namespace (unshare -rn), and they talk over the default switch.
source "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	# Already unprivileged: lib.sh uses unshare -rn everywhere; nothing to switch.
	RUN=(bash -c)
else
	RUN=(setpriv --reuid=nobody --regid=nogroup --clear-groups bash -c)
fi
U=$(mktemp -d /tmp/netcon-unpriv.XXXXXX)
chmod 755 "$U"
[ "$(id -u)" = 0 ] && chown nobody:nogroup "$U"
trap 'cleanup; rm -rf "$U"' EXIT

# The whole scenario runs as the user; it prints ok/FAIL lines itself.
"${RUN[@]}" "
	set -u
	export NETCON_DIR=$U
	cd $U
	mkdir www && echo unprivileged-netcon >www/index.html
	pids=()
	trap 'kill \${pids[*]} 2>/dev/null' EXIT
	unshare -rn $SVC --socket $U/a.sock >$U/a.log 2>&1 & pids+=(\$!)
	unshare -rn $SVC --socket $U/b.sock >$U/b.log 2>&1 & pids+=(\$!)
	for i in \$(seq 100); do $SVC status --socket $U/b.sock >/dev/null 2>&1 && break; sleep 0.1; done
	IP=\$($SVC status --socket $U/a.sock | awk '\$1 == \"ipv4\" { sub(\"/.*\", \"\", \$2); print \$2 }')
	NETCON_SOCKET=$U/a.sock unshare -rn $INTERCEPT python3 -m http.server 8000 --directory www >$U/http.log 2>&1 & pids+=(\$!)
	for i in \$(seq 100); do
		NETCON_SOCKET=$U/b.sock unshare -rn $INTERCEPT curl -s --max-time 5 http://\$IP:8000/index.html >$U/got 2>&1 && break
		sleep 0.1
	done
	if grep -qx unprivileged-netcon $U/got; then echo 'ok   unprivileged-http (as '\$(id -un)')'; else echo 'FAIL unprivileged-http'; tail -5 $U/*.log; fi
	uid=\$(awk '/^Uid:/ { print \$2 }' /proc/\${pids[0]}/status)
	if [ \"\$uid\" != 0 ]; then echo 'ok   unprivileged-service (uid '\$uid' outside its namespace)'; else echo 'FAIL unprivileged-service runs as root'; fi
" >"$T/unpriv.out" 2>&1
cat "$T/unpriv.out"
PASSED=$(grep -c '^ok' "$T/unpriv.out")
FAILED=$(grep -c '^FAIL' "$T/unpriv.out")
[ $((PASSED + FAILED)) -gt 0 ] || FAILED=1
summary
