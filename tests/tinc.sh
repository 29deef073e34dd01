# tests/tinc.sh - two tinc 1.0 hosts' configurations (sourced by
# tests/suites/hosts.sh and bench/run.sh, bash).
#
# tinc_configs DIR TINCD: DIR/1 and DIR/2 for hosts 198.19.0.1 and .2 (names
# host1, host2; Mode = switch, DeviceType = uml with its socket at
# DIR/H/run/uml.sock, UDP and TCP port 6550), keys generated (DIR/H/keygen.log)
# and host files exchanged, all owned by nobody, who runs tincd.
tinc_configs() {
	local top=$1 tincd=$2 h o d
	for h in 1 2; do
		o=$((3 - h))
		d=$top/$h
		mkdir -p "$d/hosts" "$d/run"
		cat >"$d/tinc.conf" <<-EOF
			Name = host$h
			Mode = switch
			DeviceType = uml
			Device = $d/run/uml.sock
			Port = 6550
			AddressFamily = ipv4
			ConnectTo = host$o
		EOF
		printf 'Address = 198.19.0.%s\nPort = 6550\n' "$h" >"$d/hosts/host$h"
		"$tincd" -c "$d" -K2048 </dev/null >"$d/keygen.log" 2>&1 || return 1
	done
	cp "$top/1/hosts/host1" "$top/2/hosts/" &&
		cp "$top/2/hosts/host2" "$top/1/hosts/" &&
		chown -R nobody:nogroup "$top"
}
