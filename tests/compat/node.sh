# tests/compat/node.sh - Node.js: an http server, and Node's own fetch (undici)
# as the client. (Sourced by tests/suites/compat.sh.)
#
# libuv accepts with accept4 and connects non-blocking; UV_USE_IO_URING=0
# keeps its file operations off io_uring.

compat_node() {
	local d=$T/node pid=''
	compat_pkgs nodejs || { row node nodejs 1 "$WHY"; return; }
	services node || { row node nodejs 1 "$WHY"; return; }
	mkdir -p "$d"
	head -c 2097152 /dev/urandom >"$d/blob"
	head -c 1048576 /dev/urandom >"$d/post"
	cat >"$d/server.js" <<-'EOF'
		// GET /blob: the file; POST /echo: the body back; anything else: hello.
		const http = require('http');
		const blob = require('fs').readFileSync(process.argv[2]);
		const server = http.createServer((req, res) => {
			if (req.url === '/blob') res.end(blob);
			else if (req.url === '/echo') req.pipe(res);
			else res.end('hello from netcon\n');
		});
		server.listen(8084, () => console.log('listening on', server.address()));
	EOF
	cat >"$d/client.js" <<-'EOF'
		// client.js URL OUT POSTFILE: GET /blob into OUT, POST POSTFILE to /echo
		// into OUT.echo, then 20 GETs at once, each equal to the first.
		const fs = require('fs');
		const [url, out, post] = process.argv.slice(2);
		(async () => {
			const get = async () => {
				const r = await fetch(url + '/blob');
				if (r.status !== 200) throw new Error('status ' + r.status);
				return Buffer.from(await r.arrayBuffer());
			};
			const first = await get();
			fs.writeFileSync(out, first);
			const r = await fetch(url + '/echo', { method: 'POST', body: fs.readFileSync(post) });
			fs.writeFileSync(out + '.echo', Buffer.from(await r.arrayBuffer()));
			const all = await Promise.all(Array.from({ length: 20 }, get));
			all.forEach((b, i) => { if (!b.equals(first)) throw new Error('parallel GET ' + i + ' differs'); });
			console.log('ok');
		})().catch((e) => { console.error(e); process.exit(1); });
	EOF
	node_fetch() {
		rm -f "$d/got" "$d/got.echo"
		UV_USE_IO_URING=0 app node_cli node "$d/client.js" "$1" "$d/got" "$d/post" &&
			cmp "$d/got" "$d/blob" && cmp "$d/got.echo" "$d/post"
	}
	UV_USE_IO_URING=0 app_bg node_srv node node "$d/server.js" "$d/blob"
	pid=$LAST_PID
	if try "node server ready" wait_up "$pid" 15 app node_cli curl -sf -o /dev/null "http://$SRV_IP:8084/" &&
		try "fetch over IPv4" node_fetch "http://$SRV_IP:8084" &&
		try "fetch over IPv6" node_fetch "http://[$SRV_IP6]:8084"; then
		row node nodejs 0 "http.createServer (dual-stack) and fetch: 2 MiB GET and 1 MiB POST echoed, compared, 20 GETs at once, over IPv4 and IPv6; UV_USE_IO_URING=0"
	else
		row node nodejs 1 "$WHY"
	fi
	stop "$pid"
}
