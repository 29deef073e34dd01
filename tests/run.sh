#!/bin/bash
# tests/run.sh [SUITE...] - netcon's test suites; with no argument, all of them.
#
# Suites live in tests/suites/NAME.sh. Each prints "ok NAME" or "FAIL NAME"
# per check; this script adds them up and ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
suites=("$@")
if [ ${#suites[@]} = 0 ]; then
	suites=(unit fuzz service floods links hosts conformance transfer apps udp ping names gateway musl seccomp unprivileged security sanitizers stress compat containers)
	[ -n "${SUITES:-}" ] && read -ra suites <<<"$SUITES"
fi
passed=0
failed=0
for s in "${suites[@]}"; do
	script=tests/suites/$s.sh
	if [ ! -f "$script" ]; then
		echo "FAIL suite $s (no $script)"
		failed=$((failed + 1))
		continue
	fi
	echo "=== $s"
	start=$(date +%s)
	bash "$script" >"/tmp/netcon-suite-$s.out" 2>&1
	rc=$?
	grep -E '^(ok|FAIL)|^     |^  ' "/tmp/netcon-suite-$s.out"
	p=$(grep -c '^ok ' "/tmp/netcon-suite-$s.out")
	f=$(grep -c '^FAIL' "/tmp/netcon-suite-$s.out")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL suite $s exited $rc"
		tail -n 20 "/tmp/netcon-suite-$s.out"
		f=1
	fi
	echo "--- $s: $p passed, $f failed ($(( $(date +%s) - start )) s)"
	passed=$((passed + p))
	failed=$((failed + f))
done
echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
