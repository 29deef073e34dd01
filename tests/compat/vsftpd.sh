# tests/compat/vsftpd.sh - vsftpd with curl as the FTP client, passive and
# active. (Sourced by tests/suites/compat.sh.)
#
# vsftpd forks a privileged and an unprivileged process per session; the
# unprivileged one chroots and hands data connections across a Unix socket.
# Under LD_PRELOAD it needs seccomp_sandbox=NO (its seccomp filter would
# refuse the library's RPC calls). Anonymous FTP (as the `ftp` user), uploads
# allowed into up/. If pure-ftpd is installed (the two conflict as packages), vsftpd
# runs from a copy unpacked under $T.

# ftp_check SERVICE IP IP6 PORT ROOT: curl through SERVICE against an FTP
# server whose root is ROOT (up/ writable), with FTP_AUTH (curl options, an
# array; empty: anonymous): in each mode a
# 2 MiB upload, then a 2 MiB download on the same control connection
# (--next), both compared byte for byte. Modes: EPSV, PASV, EPRT, PORT (the
# last two active: the server connects to curl's listener) over IPv4, EPSV
# over IPv6.
ftp_check() {
	local cli=$1 ip=$2 ip6=$3 port=$4 root=$5 mode host args
	for mode in epsv pasv eprt port epsv6; do
		host=$ip
		case $mode in
		epsv) args=() ;;
		pasv) args=(--disable-epsv) ;;
		eprt) args=(--ftp-port -) ;;
		port) args=(--ftp-port - --disable-eprt) ;;
		epsv6) args=() host="[$ip6]" ;;
		esac
		rm -f "$root/../got"
		app "$cli" curl -sS --fail --max-time 60 "${args[@]}" "${FTP_AUTH[@]}" -T "$root/../up.bin" \
			"ftp://$host:$port/up/$mode.bin" --next "${args[@]}" "${FTP_AUTH[@]}" -o "$root/../got" \
			"ftp://$host:$port/down.bin" || { echo "$mode: curl failed"; return 1; }
		cmp "$root/../got" "$root/down.bin" || { echo "$mode: download differs"; return 1; }
		cmp "$root/up/$mode.bin" "$root/../up.bin" || { echo "$mode: upload differs"; return 1; }
	done
}

compat_vsftpd() {
	local d=$T/vsftpd pid='' bin u user=''
	compat_pkgs curl libwrap0 libcap2 || { row vsftpd vsftpd 1 "$WHY"; return; }
	pkg_files vsftpd || { row vsftpd vsftpd 1 "$WHY"; return; }
	bin=$PKG_ROOT/usr/sbin/vsftpd
	# The anonymous user: vsftpd changes into its home directory before
	# anon_root, so it must have one (the package's `ftp` user has /srv/ftp).
	for u in ftp www-data daemon; do
		getent passwd "$u" >/dev/null && [ -d "$(getent passwd "$u" | cut -d: -f6)" ] && { user=$u; break; }
	done
	[ -n "$user" ] || { row vsftpd vsftpd 1 "no user with a home directory for anonymous FTP"; return; }
	services vsftpd || { row vsftpd vsftpd 1 "$WHY"; return; }
	mkdir -p "$d/root/up" "$d/empty"
	chmod 755 "$d" "$d/root" "$d/empty"
	chown "$user" "$d/root/up"
	head -c 2097152 /dev/urandom >"$d/root/down.bin"
	head -c 2097152 /dev/urandom >"$d/up.bin"
	chmod 644 "$d/root/down.bin"
	cat >"$d/vsftpd.conf" <<-EOF
		listen=NO
		listen_ipv6=YES
		listen_port=2121
		background=NO
		seccomp_sandbox=NO
		anonymous_enable=YES
		local_enable=NO
		no_anon_password=YES
		anon_root=$d/root
		ftp_username=$user
		nopriv_user=nobody
		write_enable=YES
		anon_upload_enable=YES
		anon_umask=022
		pasv_enable=YES
		port_enable=YES
		connect_from_port_20=YES
		ftp_data_port=2020
		secure_chroot_dir=$d/empty
		xferlog_enable=YES
		vsftpd_log_file=$T/vsftpd-xfer.log
		log_ftp_protocol=YES
		dual_log_enable=YES
	EOF
	app_bg vsftpd_srv vsftpd "$bin" "$d/vsftpd.conf"
	pid=$LAST_PID
	FTP_AUTH=()
	if try "vsftpd ready" wait_up "$pid" 15 app vsftpd_cli curl -sf --max-time 10 -o /dev/null "ftp://$SRV_IP:2121/" &&
		try "curl: upload and download, EPSV/PASV/EPRT/PORT/IPv6" ftp_check vsftpd_cli "$SRV_IP" "$SRV_IP6" 2121 "$d/root"; then
		row vsftpd vsftpd 0 "anonymous FTP, curl: 2 MiB uploaded and downloaded on one control connection, passive (EPSV, PASV) and active (EPRT, PORT: the server binds its data port 2020, then connects to curl) over IPv4, EPSV over IPv6, all compared; seccomp_sandbox=NO"
	else
		row vsftpd vsftpd 1 "$WHY"
	fi
	stop "$pid"
}
