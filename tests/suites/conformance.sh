#!/bin/bash
# The kernel is the oracle: tests/apps/conformance runs every socket case once
# on the kernel and once through netcon; each line must be the same.
source "$(dirname "$0")/../lib.sh"

start_service a || { fail service-start; summary; exit 1; }
IP4=$(service_ip a 4)
IP6=$(service_ip a 6)

# known_only KERNEL NETCON KNOWN: every line that differs between the two
# outputs (case by case, in order) is netcon's line exactly as KNOWN records
# it (tests/apps/PROG.known: differences known and explained). Prints how
# many were accepted; fails if any other line differs.
known_only() {
	local k n accepted=0
	[ -f "$3" ] || return 1
	[ "$(wc -l <"$1")" = "$(wc -l <"$2")" ] || return 1
	while IFS= read -r k <&3 && IFS= read -r n <&4; do
		[ "$k" = "$n" ] && continue
		grep -qFx -- "$n" "$3" || return 1
		accepted=$((accepted + 1))
	done 3<"$1" 4<"$2"
	echo "$accepted"
}

# compare PROG NAME ARGS...: run tests/apps/PROG's cases on the kernel (a
# namespace with the same addresses on lo) and through service a, and diff the
# outputs.
compare() {
	local prog=$1 name=$2 accepted
	shift 2
	"${NS[@]}" sh -c "ip link set lo up; ip addr add $IP4/32 dev lo; ip addr add $IP6/128 dev lo nodad; sleep 0.2; '$APPS/$prog' $*" \
		>"$T/kernel-$name.txt" 2>&1
	app a "$APPS/$prog" "$@" >"$T/netcon-$name.txt" 2>&1
	if ! [ -s "$T/kernel-$name.txt" ]; then
		fail "conformance-$name" "the kernel run printed nothing"
	elif diff -u "$T/kernel-$name.txt" "$T/netcon-$name.txt" >"$T/diff-$name.txt"; then
		pass "conformance-$name" "$(wc -l <"$T/kernel-$name.txt") cases identical"
	elif accepted=$(known_only "$T/kernel-$name.txt" "$T/netcon-$name.txt" "$TOP/tests/apps/$prog.known"); then
		pass "conformance-$name" "$(($(wc -l <"$T/kernel-$name.txt") - accepted)) cases identical, $accepted known differences (tests/apps/$prog.known)"
	else
		fail "conformance-$name" "differs from the kernel: $(grep '^[-+][a-z]' "$T/diff-$name.txt" | tr '\n' ' ')"
	fi
}

compare conformance loopback -a 127.0.0.1 -A ::1
compare conformance service-address -a "$IP4" -A "$IP6"
# UDP (tests/apps/conformance_udp.c)
compare conformance_udp udp-loopback -a 127.0.0.1 -A ::1
compare conformance_udp udp-service-address -a "$IP4" -A "$IP6"

summary
