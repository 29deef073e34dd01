#!/bin/bash
# The kernel is the oracle: tests/apps/conformance runs every socket case once
# on the kernel and once through netcon; each line must be the same. The TCP
# cases run twice through netcon: with the shortcut between connections of
# one service (service a, the default: tcp_splice.c) and without it (service
# s, --no-shortcut, the same addresses on a switch of its own), where every
# byte crosses lwIP.
source "$(dirname "$0")/../lib.sh"

start_service a || { fail service-start; summary; exit 1; }
IP4=$(service_ip a 4)
IP6=$(service_ip a 6)
# The kernel's namespace: the service's addresses on lo, or on a veth pair
# (KSETUP=subnet): tests/lib.sh's kernel_setups.
kernel_setups "$T/a.sock" "$IP4" "$IP6"

# compare PROG NAME ARGS...: run tests/apps/PROG's cases on the kernel (a
# namespace with the same addresses on lo, or on a veth with KSETUP=subnet)
# and through service $SVC_NAME (a), and diff the outputs. The kernel's run is
# taken once per NAME.
compare() {
	local prog=$1 name=$2 setup=$LO_SETUP svc=${SVC_NAME:-a} tag
	shift 2
	tag=$name${SVC_NAME:+-$SVC_TAG}
	[ "${KSETUP:-}" = subnet ] && setup=$SUBNET_SETUP
	[ -s "$T/kernel-$name.txt" ] || "${NS[@]}" sh -c "$setup; sleep 0.5; '$APPS/$prog' $*" \
		>"$T/kernel-$name.txt" 2>&1
	app "$svc" "$APPS/$prog" "$@" >"$T/netcon-$tag.txt" 2>&1
	judge "conformance-$tag" "$T/kernel-$name.txt" "$T/netcon-$tag.txt" "$TOP/tests/apps/$prog.known"
}

compare conformance loopback -a 127.0.0.1 -A ::1
compare conformance service-address -a "$IP4" -A "$IP6"
# UDP (tests/apps/conformance_udp.c)
compare conformance_udp udp-loopback -a 127.0.0.1 -A ::1
compare conformance_udp udp-service-address -a "$IP4" -A "$IP6"
# TCP states x calls (tests/apps/conformance_tcp_matrix.c); the service-address
# run also connects to an on-subnet address nobody answers (-u).
compare conformance_tcp_matrix tcp-matrix-loopback -a 127.0.0.1 -A ::1
KSETUP=subnet compare conformance_tcp_matrix tcp-matrix-service-address -a "$IP4" -A "$IP6" -u "$UNANSWERED"

# The TCP cases again, every byte through lwIP.
CIDR4=$("$SVC" status --socket "$T/a.sock" | awk '$1 == "ipv4" { print $2 }')
if start_service s --no-shortcut --net "switch://$T/sw-s" --ip "$CIDR4" --ip6 "$IP6/64"; then
	SVC_NAME=s SVC_TAG=no-shortcut
	compare conformance loopback -a 127.0.0.1 -A ::1
	compare conformance service-address -a "$IP4" -A "$IP6"
	compare conformance_tcp_matrix tcp-matrix-loopback -a 127.0.0.1 -A ::1
	KSETUP=subnet compare conformance_tcp_matrix tcp-matrix-service-address -a "$IP4" -A "$IP6" -u "$UNANSWERED"
	unset SVC_NAME SVC_TAG
else
	fail conformance-no-shortcut-service "$(tail -n 3 "$T/s.log" | tr '\n' ' ')"
fi

summary
