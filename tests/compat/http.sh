# tests/compat/http.sh - curl and wget against mini_httpd (Debian's sibling of
# the seed's thttpd) and nginx. (Sourced by tests/suites/compat.sh.)
#
# mini_httpd forks a process per connection and runs CGI programs with the
# connection as their stdin/stdout and an environment of its own (no
# LD_PRELOAD: the CGI's reads and writes go straight to the socketpair).
# nginx runs a master and two workers with sendfile.

compat_http() {
	local d=$T/http w=$T/http/www mpid='' npid='' f
	compat_pkgs curl wget mini-httpd nginx || {
		for f in curl wget mini_httpd nginx; do row $f ${f/_/-} 1 "$WHY"; done
		return
	}
	services http || {
		for f in curl wget mini_httpd nginx; do row $f ${f/_/-} 1 "$WHY"; done
		return
	}
	mkdir -p "$w/cgi-bin"
	head -c 2097152 /dev/urandom >"$w/blob"
	echo "hello from netcon" >"$w/index.html"
	# The CGI's output reaches the socket through mini_httpd's interposer
	# process. No POST here: Debian's mini_httpd 1.30 shuts the connection's
	# write side once its input interposer has passed the body on, racing the
	# CGI's answer; on the kernel's own loopback a 1 MiB POST echo loses its
	# tail 7 times in 10. curl's POSTs are checked in the java and node rows.
	printf '#!/bin/sh\necho "Content-Type: application/octet-stream"\necho\nexec cat "%s/blob"\n' "$w" >"$w/cgi-bin/blob.cgi"
	chmod 755 "$d" "$w" "$w/cgi-bin" "$w/cgi-bin/blob.cgi"
	chmod 644 "$w/blob" "$w/index.html"

	app_bg http_srv mini_httpd mini_httpd -D -p 8081 -d "$w" -c 'cgi-bin/*' -l "$d/access" -i "$d/mini_httpd.pid"
	mpid=$LAST_PID
	cat >"$d/nginx.conf" <<-EOF
		daemon off;
		master_process on;
		worker_processes 2;
		pid $d/nginx.pid;
		error_log $T/nginx-error.log info;
		events { worker_connections 256; }
		http {
			access_log off;
			sendfile on;
			server {
				listen 8082;
				listen [::]:8082;
				root $w;
			}
		}
	EOF
	app_bg http_srv nginx nginx -c "$d/nginx.conf" -e "$T/nginx-error.log"
	npid=$LAST_PID

	# get_curl/get_wget URL FILE: the body must be the file, byte for byte.
	get_curl() {
		rm -f "$d/got"
		app http_cli curl -sS --fail --max-time 30 -o "$d/got" "$1" && cmp "$d/got" "$w/$2"
	}
	get_wget() {
		rm -f "$d/got"
		app http_cli wget -q -T 30 -t 1 -O "$d/got" "$1" && cmp "$d/got" "$w/$2"
	}
	# keep-alive: three requests over one connection (nginx; mini_httpd closes).
	curl_keepalive() {
		app http_cli curl -sS --fail --max-time 30 -w '%{num_connects}\n' -o /dev/null -o /dev/null -o /dev/null \
			"$1" "$1" "$1" >"$d/conns" && [ "$(paste -sd' ' "$d/conns")" = "1 0 0" ]
	}
	local m4="http://$SRV_IP:8081" m6="http://[$SRV_IP6]:8081" n4="http://$SRV_IP:8082" n6="http://[$SRV_IP6]:8082"
	local mini=1 ngx=1 c=1 wg=1 mwhy='' nwhy='' cwhy='' wwhy=''
	if try "mini_httpd ready" wait_up "$mpid" 15 app http_cli curl -sf -o /dev/null "$m4/index.html"; then
		WHY=
		try "curl mini_httpd IPv4" get_curl "$m4/blob" blob &&
			try "curl mini_httpd IPv6" get_curl "$m6/blob" blob &&
			try "curl GET from a mini_httpd CGI" get_curl "$m4/cgi-bin/blob.cgi?from=cgi" blob
		c=$?
		cwhy=$WHY
		WHY=
		try "wget mini_httpd IPv4" get_wget "$m4/blob" blob && try "wget mini_httpd IPv6" get_wget "$m6/blob" blob
		wg=$?
		wwhy=$WHY
		[ $c = 0 ] && [ $wg = 0 ] && mini=0
		mwhy="$cwhy $wwhy"
	else
		mwhy=$WHY cwhy=$WHY wwhy=$WHY
	fi
	WHY=
	if try "nginx ready" wait_up "$npid" 15 app http_cli curl -sf -o /dev/null "$n4/index.html" &&
		try "curl nginx IPv4" get_curl "$n4/blob" blob &&
		try "curl nginx IPv6" get_curl "$n6/blob" blob &&
		try "curl nginx keep-alive" curl_keepalive "$n4/index.html"; then
		WHY=
		if try "wget nginx IPv4" get_wget "$n4/blob" blob && try "wget nginx IPv6" get_wget "$n6/blob" blob; then
			ngx=0
		else
			wg=1 wwhy="$wwhy $WHY" nwhy=$WHY
		fi
	else
		c=1 cwhy="$cwhy $WHY" nwhy=$WHY
	fi
	# Rows: mini_httpd and nginx with their own failures, curl and wget with theirs.
	[ $mini = 0 ] && mwhy="serves a 2 MiB file to curl and wget over IPv4 and IPv6 (a process per connection); a CGI's 2 MiB answer through mini_httpd's interposer process"
	row mini_httpd mini-httpd $mini "$mwhy"
	[ $ngx = 0 ] && nwhy="master + 2 workers, sendfile: a 2 MiB file to curl and wget over IPv4 and IPv6, 3 requests on one keep-alive connection"
	row nginx nginx $ngx "$nwhy"
	[ $c = 0 ] && cwhy="GET 2 MiB from mini_httpd, nginx (and apache2) over IPv4 and IPv6, a CGI's answer, keep-alive; POST in the java row, FTP in the vsftpd and pure-ftpd rows"
	row curl curl $c "$cwhy"
	[ $wg = 0 ] && wwhy="GET 2 MiB from mini_httpd and nginx over IPv4 and IPv6"
	row wget wget $wg "$wwhy"
	stop "$mpid" "$npid"
}
