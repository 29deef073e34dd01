# tests/compat/tomcat.sh - Tomcat 10 with a CATALINA_BASE of our own under $T:
# its NIO connector, the default servlet (sendfile for large files) and a
# servlet compiled here that echoes a POST. curl is the client.
# (Sourced by tests/suites/compat.sh.)
#
# Tomcat runs as `java ... Bootstrap start` in the foreground, in a namespace
# with `lo` up (WITH_LO, see java.sh) so that the JDK listens on IPv6 too.

compat_tomcat() {
	local b=$T/tomcat pid='' home=/usr/share/tomcat10 jpkg
	jpkg=$(dpkg-query -W -f='${Package}\n' 'openjdk-*-jdk-headless' 2>/dev/null | sort -V | tail -n 1)
	compat_pkgs tomcat10 "${jpkg:-openjdk-17-jdk-headless}" curl || { row tomcat10 tomcat10 1 "$WHY"; return; }
	services tomcat || { row tomcat10 tomcat10 1 "$WHY"; return; }
	mkdir -p "$b/conf" "$b/logs" "$b/temp" "$b/work" "$b/webapps/ROOT/WEB-INF/classes" "$b/src"
	cp /etc/tomcat10/web.xml /etc/tomcat10/catalina.properties /etc/tomcat10/context.xml "$b/conf/"
	cat >"$b/conf/server.xml" <<-'EOF'
		<?xml version="1.0" encoding="UTF-8"?>
		<Server port="-1" shutdown="SHUTDOWN">
		  <Service name="Catalina">
		    <Connector port="8087" protocol="HTTP/1.1" connectionTimeout="20000" maxThreads="50"/>
		    <Engine name="Catalina" defaultHost="localhost">
		      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false"/>
		    </Engine>
		  </Service>
		</Server>
	EOF
	cat >"$b/conf/logging.properties" <<-'EOF'
		handlers = java.util.logging.ConsoleHandler
		.handlers = java.util.logging.ConsoleHandler
		java.util.logging.ConsoleHandler.level = FINE
		java.util.logging.ConsoleHandler.formatter = org.apache.juli.OneLineFormatter
	EOF
	cat >"$b/webapps/ROOT/WEB-INF/web.xml" <<-'EOF'
		<?xml version="1.0" encoding="UTF-8"?>
		<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
		  <servlet><servlet-name>echo</servlet-name><servlet-class>EchoServlet</servlet-class></servlet>
		  <servlet-mapping><servlet-name>echo</servlet-name><url-pattern>/echo</url-pattern></servlet-mapping>
		</web-app>
	EOF
	cat >"$b/src/EchoServlet.java" <<-'EOF'
		import jakarta.servlet.http.HttpServlet;
		import jakarta.servlet.http.HttpServletRequest;
		import jakarta.servlet.http.HttpServletResponse;
		import java.io.IOException;

		public class EchoServlet extends HttpServlet {
			@Override
			protected void doPost(HttpServletRequest req, HttpServletResponse res) throws IOException {
				byte[] body = req.getInputStream().readAllBytes();
				res.setContentType("application/octet-stream");
				res.setContentLength(body.length);
				res.getOutputStream().write(body);
			}
		}
	EOF
	head -c 2097152 /dev/urandom >"$b/webapps/ROOT/blob"
	echo "hello from netcon" >"$b/webapps/ROOT/index.html"
	head -c 1048576 /dev/urandom >"$b/post"
	if ! try "javac EchoServlet" javac -d "$b/webapps/ROOT/WEB-INF/classes" -cp "$home/lib/servlet-api.jar" \
		"$b/src/EchoServlet.java"; then
		row tomcat10 tomcat10 1 "$WHY"
		return
	fi
	local w=$b/webapps/ROOT u4="http://$SRV_IP:8087" u6="http://[$SRV_IP6]:8087"
	tc_get() {
		rm -f "$b/got"
		app tomcat_cli curl -sS --fail --max-time 30 -o "$b/got" "$1/blob" && cmp "$b/got" "$w/blob" &&
			app tomcat_cli curl -sS --fail --max-time 30 --data-binary @"$b/post" -o "$b/got" "$1/echo" &&
			cmp "$b/got" "$b/post"
	}
	tc_keepalive() {
		app tomcat_cli curl -sS --fail --max-time 30 -w '%{num_connects}\n' -o "$b/k1" -o "$b/k2" -o "$b/k3" \
			"$u4/blob" "$u4/blob" "$u4/index.html" >"$b/conns" &&
			[ "$(paste -sd' ' "$b/conns")" = "1 0 0" ] &&
			cmp "$b/k1" "$w/blob" && cmp "$b/k2" "$w/blob" && cmp "$b/k3" "$w/index.html"
	}
	tc_parallel() {
		local i args=()
		rm -rf "$b/par"
		mkdir -p "$b/par"
		for ((i = 0; i < 20; i++)); do args+=(-o "$b/par/$i" "$u4/blob?$i"); done
		app tomcat_cli curl -sS --fail --max-time 60 -Z --parallel-max 10 "${args[@]}" || return 1
		for ((i = 0; i < 20; i++)); do cmp "$b/par/$i" "$w/blob" || return 1; done
	}
	app_bg tomcat_srv tomcat "${WITH_LO[@]}" java -Djava.util.logging.config.file="$b/conf/logging.properties" \
		-Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager \
		-Dcatalina.base="$b" -Dcatalina.home="$home" -Djava.io.tmpdir="$b/temp" \
		-cp "$home/bin/bootstrap.jar:$home/bin/tomcat-juli.jar" org.apache.catalina.startup.Bootstrap start
	pid=$LAST_PID
	if try "tomcat ready" wait_up "$pid" 60 app tomcat_cli curl -sf -o /dev/null "$u4/index.html" &&
		try "GET 2 MiB, POST 1 MiB to a servlet, IPv4" tc_get "$u4" &&
		try "GET 2 MiB, POST 1 MiB to a servlet, IPv6" tc_get "$u6" &&
		try "keep-alive" tc_keepalive &&
		try "20 parallel requests" tc_parallel; then
		row tomcat10 tomcat10 0 "NIO connector: a 2 MiB static file (sendfile) and a 1 MiB POST echoed by a servlet, over IPv4 and IPv6, 3 requests on one keep-alive connection, 20 requests 10 at a time (curl -Z), all compared"
	else
		row tomcat10 tomcat10 1 "$WHY"
	fi
	stop "$pid"
}
