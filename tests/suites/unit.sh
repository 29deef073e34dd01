#!/bin/bash
# Unit tests (cmocka): option and URL parsing, addresses, the RPC codec.
source "$(dirname "$0")/../lib.sh"

for t in "$APPS"/unit_*; do
	[ -x "$t" ] || continue
	check "$(basename "$t")" "$t"
done
summary
