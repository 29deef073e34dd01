# tests/compat/pureftpd.sh - pure-ftpd with curl as the FTP client, passive and
# active (ftp_check is in vsftpd.sh). (Sourced by tests/suites/compat.sh.)
#
# A virtual user in a PureDB of our own (pure-pw mkdb), mapped to `nobody`
# and chrooted to a home under $T. pure-pw's own hashes are argon2id with a
# cost of ~3.7 s of CPU per login; a SHA-512 crypt hash keeps logins quick.
# pure-ftpd listens on IPv4 and IPv6 sockets of its own, and forks a process
# per session (plus its privilege-separation helper). vsftpd and pure-ftpd
# conflict as packages: whichever is not installed runs from a copy unpacked
# under $T.

compat_pureftpd() {
	local d=$T/pureftpd pid='' r
	compat_pkgs curl libsodium23 libcap2 openssl || { row pure-ftpd pure-ftpd 1 "$WHY"; return; }
	pkg_files pure-ftpd || { row pure-ftpd pure-ftpd 1 "$WHY"; return; }
	r=$PKG_ROOT
	services pftp || { row pure-ftpd pure-ftpd 1 "$WHY"; return; }
	mkdir -p "$d/root/up"
	chmod 755 "$d" "$d/root"
	chown nobody:nogroup "$d/root/up"
	head -c 2097152 /dev/urandom >"$d/root/down.bin"
	head -c 2097152 /dev/urandom >"$d/up.bin"
	chmod 644 "$d/root/down.bin"
	echo "compat:$(openssl passwd -6 compat-pw):65534:65534::$d/root/./::::::::::::" >"$d/pureftpd.passwd"
	if ! try "pure-pw mkdb" "$r/usr/bin/pure-pw" mkdb "$d/pureftpd.pdb" -f "$d/pureftpd.passwd"; then
		row pure-ftpd pure-ftpd 1 "$WHY"
		return
	fi
	app_bg pftp_srv pure-ftpd "$r/usr/sbin/pure-ftpd" -S ,2121 -l "puredb:$d/pureftpd.pdb" -E -A -H \
		-O "clf:$T/pure-ftpd-xfer.log" -g "$d/pure-ftpd.pid"
	pid=$LAST_PID
	FTP_AUTH=(-u compat:compat-pw)
	if try "pure-ftpd ready" wait_up "$pid" 15 app pftp_cli curl -sf --max-time 10 "${FTP_AUTH[@]}" -o /dev/null "ftp://$SRV_IP:2121/" &&
		try "curl: upload and download, EPSV/PASV/EPRT/PORT/IPv6" ftp_check pftp_cli "$SRV_IP" "$SRV_IP6" 2121 "$d/root"; then
		row pure-ftpd pure-ftpd 0 "virtual user (PureDB), chrooted; curl: 2 MiB uploaded and downloaded on one control connection, passive (EPSV, PASV) and active (EPRT, PORT) over IPv4, EPSV over IPv6, all compared"
	else
		row pure-ftpd pure-ftpd 1 "$WHY"
	fi
	FTP_AUTH=()
	stop "$pid"
}
