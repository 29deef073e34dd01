# tests/compat/ssh.sh - OpenSSH: sshd with ssh, sftp and scp.
# (Sourced by tests/suites/compat.sh.)
#
# sshd re-executes itself for every connection and hands the accepted socket
# across execve; sftp runs Debian's sftp-server subsystem (another exec). The
# login time through netcon is compared with the same login over the kernel's
# loopback in a namespace of its own.

compat_ssh() {
	local d=$T/ssh pid='' f
	local rows=(sshd:openssh-server ssh:openssh-client sftp:openssh-client scp:openssh-client)
	compat_pkgs openssh-server openssh-client openssh-sftp-server || {
		for f in "${rows[@]}"; do row "${f%%:*}" "${f#*:}" 1 "$WHY"; done
		return
	}
	services ssh || {
		for f in "${rows[@]}"; do row "${f%%:*}" "${f#*:}" 1 "$WHY"; done
		return
	}
	mkdir -p "$d" /run/sshd	# /run/sshd: sshd's privilege separation directory
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
	ssh-keygen -q -t ed25519 -N '' -f "$d/id"
	cp "$d/id.pub" "$d/authorized_keys"
	cat >"$d/sshd_config" <<-EOF
		Port 2222
		ListenAddress 0.0.0.0
		ListenAddress ::
		HostKey $d/host_key
		AuthorizedKeysFile $d/authorized_keys
		PidFile $d/sshd.pid
		UsePAM no
		StrictModes no
		PermitRootLogin prohibit-password
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UseDNS no
		Subsystem sftp /usr/lib/openssh/sftp-server
	EOF
	head -c 2097152 /dev/urandom >"$d/up"
	head -c 2097152 /dev/urandom >"$d/down"
	local opts=(-i "$d/id" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes
		-o LogLevel=ERROR -o ConnectTimeout=20)

	app_bg ssh_srv sshd /usr/sbin/sshd -D -e -f "$d/sshd_config"
	pid=$LAST_PID
	ssh_run() { app ssh_cli ssh "${opts[@]}" -p 2222 "$@"; }
	# A command's output comes back, over IPv4 and IPv6.
	ssh_cmd() {
		[ "$(ssh_run "root@$SRV_IP" echo hello '$((6*7))')" = "hello 42" ] &&
			[ "$(ssh_run "root@$SRV_IP6" echo six)" = six ] &&
			ssh_run "root@$SRV_IP" "cat $d/down" | cmp - "$d/down" &&
			ssh_run "root@$SRV_IP" "cat >$d/piped" <"$d/up" && cmp "$d/piped" "$d/up"
	}
	sftp_updown() {
		rm -f "$d/sftp_up" "$d/sftp_down"
		printf 'put %s %s\nget %s %s\n' "$d/up" "$d/sftp_up" "$d/down" "$d/sftp_down" >"$d/batch"
		app ssh_cli sftp "${opts[@]}" -P 2222 -b "$d/batch" "root@[$SRV_IP6]" &&
			cmp "$d/up" "$d/sftp_up" && cmp "$d/down" "$d/sftp_down"
	}
	# scp over the SFTP protocol (OpenSSH 9's default) and the legacy one (-O).
	scp_updown() {
		local m
		for m in "" -O; do
			rm -f "$d/scp_up" "$d/scp_down"
			app ssh_cli scp $m "${opts[@]}" -P 2222 "$d/up" "root@$SRV_IP:$d/scp_up" &&
				app ssh_cli scp $m "${opts[@]}" -P 2222 "root@$SRV_IP:$d/down" "$d/scp_down" &&
				cmp "$d/up" "$d/scp_up" && cmp "$d/down" "$d/scp_down" || return 1
		done
	}
	# Median of five logins (`ssh ... true`), in milliseconds.
	login_ms() {
		local i t0 t1 all=()
		for i in 1 2 3 4 5; do
			t0=$(date +%s%N)
			"$@" ssh "${opts[@]}" -p 2222 root@"$SSH_TARGET" true || return 1
			t1=$(date +%s%N)
			all+=($(((t1 - t0) / 1000000)))
		done
		printf '%s\n' "${all[@]}" | sort -n | sed -n 3p
	}
	# The same sshd and ssh over the kernel's loopback, in a namespace of their own.
	kernel_login_ms() {
		local k=$d/kernel
		"${NS[@]}" bash -c '
			ip link set lo up
			/usr/sbin/sshd -D -e -f "$1" -o PidFile="$2.pid" 2>"$2.log" & p=$!
			for i in $(seq 100); do ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
				-i "$3" -p 2222 root@127.0.0.1 true 2>/dev/null && break; sleep 0.1; done
			'"$(declare -f login_ms)"'
			opts=("${@:4}") SSH_TARGET=127.0.0.1
			login_ms; r=$?
			kill $p; wait $p
			exit $r' kernel "$d/sshd_config" "$k" "$d/id" "${opts[@]}" >"$d/kernel_ms"
	}
	local ok=(1 1 1 1) why=("" "" "" "") ms='' kms=''
	if try "sshd ready" wait_up "$pid" 20 ssh_run -q "root@$SRV_IP" true; then
		try "ssh runs commands, 2 MiB through a pipe" ssh_cmd && ok[0]=0
		why[0]=$WHY WHY=
		try "sftp 2 MiB up and down (IPv6)" sftp_updown && ok[2]=0
		why[2]=$WHY WHY=
		try "scp 2 MiB up and down" scp_updown && ok[3]=0
		why[3]=$WHY WHY=
		if try "login time" eval 'ms=$(SSH_TARGET=$SRV_IP login_ms app ssh_cli)' &&
			try "login time over the kernel loopback" kernel_login_ms; then
			kms=$(cat "$d/kernel_ms")
			# Not seconds slower: within 1 s of the kernel's login.
			if [ $((ms - kms)) -gt 1000 ]; then
				ok[0]=1 why[0]="${why[0]} login takes ${ms} ms through netcon, ${kms} ms over the kernel loopback"
			fi
		else
			ok[0]=1 why[0]="${why[0]} $WHY"
		fi
	else
		why=("$WHY" "$WHY" "$WHY" "$WHY")
	fi
	local times="login (ssh root@IP true, median of 5) ${ms:-?} ms through netcon, ${kms:-?} ms over the kernel loopback"
	if [ "${ok[0]}" = 0 ]; then
		row sshd openssh-server 0 "re-executes per connection, socket passed across exec; sftp-server subsystem; IPv4 and IPv6; $times"
		row ssh openssh-client 0 "runs commands, 2 MiB each way through ssh's stdin/stdout; $times"
	else
		row sshd openssh-server 1 "${why[0]}"
		row ssh openssh-client 1 "${why[0]}"
	fi
	[ "${ok[2]}" = 0 ] && why[2]="2 MiB up and down (put/get), compared; IPv6"
	row sftp openssh-client "${ok[2]}" "${why[2]}"
	[ "${ok[3]}" = 0 ] && why[3]="2 MiB up and down, compared; SFTP protocol (default) and legacy SCP protocol (-O)"
	row scp openssh-client "${ok[3]}" "${why[3]}"
	stop "$pid"
}
