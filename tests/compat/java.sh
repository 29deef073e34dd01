# tests/compat/java.sh - Java: the JDK's com.sun.net.httpserver in a
# single-file program (`java Server.java`), with curl and the JDK's own
# java.net.http.HttpClient as clients. (Sourced by tests/suites/compat.sh.)
#
# Java NIO moves data with plain read/write; the server runs on a pool of
# threads, each with its own RPC connection to the service.
#
# The JDK decides whether the machine has IPv6 from /proc/net/if_inet6, which
# is empty in a namespace where no interface is up: there it makes IPv4
# sockets only (as it would on such a machine without netcon). So the IPv6
# half runs the JVMs in namespaces where `lo` is up (WITH_LO): netcon still
# takes every TCP socket, the kernel's loopback only makes the JDK see IPv6.
WITH_LO=(sh -c 'ip link set lo up && exec "$@"' with-lo)

compat_java() {
	local d=$T/java pid='' jpkg
	jpkg=$(dpkg-query -W -f='${Package}\n' 'openjdk-*-jdk-headless' 2>/dev/null | sort -V | tail -n 1)
	[ -n "$jpkg" ] || jpkg=openjdk-17-jdk-headless
	compat_pkgs "$jpkg" curl || { row java "$jpkg" 1 "$WHY"; return; }
	services java || { row java "$jpkg" 1 "$WHY"; return; }
	mkdir -p "$d"
	head -c 2097152 /dev/urandom >"$d/blob"
	head -c 1048576 /dev/urandom >"$d/post"
	cat >"$d/Server.java" <<-'EOF'
		// java Server.java FILE: GET /blob sends FILE, POST /echo sends the body back.
		import com.sun.net.httpserver.HttpServer;
		import java.net.InetSocketAddress;
		import java.nio.file.Files;
		import java.nio.file.Path;
		import java.util.concurrent.Executors;

		public class Server {
			public static void main(String[] args) throws Exception {
				byte[] blob = Files.readAllBytes(Path.of(args[0]));
				HttpServer s = HttpServer.create(new InetSocketAddress(8086), 64);
				s.createContext("/blob", ex -> {
					ex.sendResponseHeaders(200, blob.length);
					try (var o = ex.getResponseBody()) { o.write(blob); }
				});
				s.createContext("/echo", ex -> {
					byte[] body = ex.getRequestBody().readAllBytes();
					ex.sendResponseHeaders(200, body.length);
					try (var o = ex.getResponseBody()) { o.write(body); }
				});
				s.setExecutor(Executors.newFixedThreadPool(8));
				s.start();
				System.out.println("listening on " + s.getAddress());
			}
		}
	EOF
	cat >"$d/Client.java" <<-'EOF'
		// java Client.java URL OUT POSTFILE: GET /blob into OUT, POST to /echo
		// into OUT.echo, then 20 GETs at once, each equal to the first.
		import java.net.URI;
		import java.net.http.HttpClient;
		import java.net.http.HttpRequest;
		import java.net.http.HttpResponse;
		import java.nio.file.Files;
		import java.nio.file.Path;
		import java.util.ArrayList;
		import java.util.Arrays;
		import java.util.concurrent.CompletableFuture;

		public class Client {
			public static void main(String[] args) throws Exception {
				HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
				URI blob = URI.create(args[0] + "/blob");
				HttpResponse<byte[]> r = c.send(HttpRequest.newBuilder(blob).build(), HttpResponse.BodyHandlers.ofByteArray());
				if (r.statusCode() != 200) throw new RuntimeException("status " + r.statusCode());
				Files.write(Path.of(args[1]), r.body());
				HttpRequest post = HttpRequest.newBuilder(URI.create(args[0] + "/echo"))
					.POST(HttpRequest.BodyPublishers.ofFile(Path.of(args[2]))).build();
				Files.write(Path.of(args[1] + ".echo"), c.send(post, HttpResponse.BodyHandlers.ofByteArray()).body());
				var all = new ArrayList<CompletableFuture<HttpResponse<byte[]>>>();
				for (int i = 0; i < 20; i++)
					all.add(c.sendAsync(HttpRequest.newBuilder(blob).build(), HttpResponse.BodyHandlers.ofByteArray()));
				for (var f : all)
					if (!Arrays.equals(f.get().body(), r.body())) throw new RuntimeException("parallel GET differs");
				System.out.println("ok");
			}
		}
	EOF
	java_get() {
		rm -f "$d/got"
		app java_cli curl -sS --fail --max-time 30 -o "$d/got" "$1/blob" && cmp "$d/got" "$d/blob" &&
			app java_cli curl -sS --fail --max-time 30 --data-binary @"$d/post" -o "$d/got" "$1/echo" &&
			cmp "$d/got" "$d/post"
	}
	java_client() {
		rm -f "$d/jgot" "$d/jgot.echo"
		app java_cli "${@:2}" java "$d/Client.java" "$1" "$d/jgot" "$d/post" && cmp "$d/jgot" "$d/blob" &&
			cmp "$d/jgot.echo" "$d/post"
	}
	# java_round IPVERSION: a server and the clients, IPv4 in empty
	# namespaces, IPv6 with lo up; 0 if all passed.
	java_round() {
		local ip=$SRV_IP lo=() url
		[ "$1" = 6 ] && ip="[$SRV_IP6]" lo=("${WITH_LO[@]}")
		url=http://$ip:8086
		app_bg java_srv "java-ipv$1" "${lo[@]}" java "$d/Server.java" "$d/blob"
		pid=$LAST_PID
		try "java Server.java ready (IPv$1)" wait_up "$pid" 30 app java_cli curl -s -o /dev/null "$url/" &&
			try "curl over IPv$1" java_get "$url" &&
			try "java Client.java (HttpClient) over IPv$1" java_client "$url" "${lo[@]}"
		local rc=$?
		stop "$pid"
		return $rc
	}
	if java_round 4 && java_round 6; then
		row java "$jpkg" 0 "com.sun.net.httpserver (java Server.java, 8 threads): 2 MiB GET and 1 MiB POST echoed to curl and to java.net.http.HttpClient (java Client.java, 20 requests at once), over IPv4 and IPv6 (IPv6: JVMs in namespaces with lo up, see java.sh), compared"
	else
		row java "$jpkg" 1 "$WHY"
	fi
}
