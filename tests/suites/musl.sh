#!/bin/bash
# libnetcon's musl build (lib/netcon/musl/libnetcon.so, `make musl`) under
# programs linked against musl, as in an Alpine image: the project's own test
# programs and a check program built with musl-gcc into $B/musl/tests, each
# run in an empty network namespace through real services (intercept picks
# the musl library for a musl program; one case sets LD_PRELOAD by hand, as
# an image would). Debian has no network program linked against musl (only
# musl, musl-dev and musl-tools carry it), so these are the real programs.
#
#   1. the build: the musl library exports every call it must intercept and
#      none of glibc's own (__*_chk, res_n*, getaddrinfo_a); the programs'
#      interpreter is musl's, and the musl library is the one mapped;
#   2. TCP: test_tx/test_rx between two services, IPv4 and IPv6 (every byte
#      checked against the regenerated stream), an echo both ways, within one
#      service, 1000 connections in a row (connloop);
#   3. ECONNREFUSED from a closed port (blocking, and SO_ERROR after a
#      non-blocking connect), IPv4 and IPv6;
#   4. UDP echo between services, IPv4 and IPv6, unconnected and connected,
#      empty datagrams included, every echo compared; ICMP echo (ping
#      sockets), IPv4 and IPv6;
#   5. names: getaddrinfo over hint combinations for a peer found by
#      multicast DNS must print exactly what musl itself prints for the same
#      addresses from /etc/hosts (musl is the oracle); getaddrinfo,
#      gethostbyname(2), getnameinfo, gethostbyaddr, res_query; a name that
#      exists nowhere fails promptly; /etc/hosts names and numeric addresses
#      as musl answers them;
#   6. the conformance programs (TCP cases, UDP cases, the TCP matrix) built
#      with musl: every line as on the kernel, or as the .known files record;
#   7. without a service the musl library fails closed with its message;
#   and busybox, Alpine's userland, built with musl from Debian's source
#   package when it can be fetched: httpd, wget, nc, nslookup.
source "$(dirname "$0")/../lib.sh"

MUSL_LIB="$TOP/$B/lib/netcon/musl/libnetcon.so"
MAPPS="$TOP/$B/musl/tests"
if ! command -v musl-gcc >/dev/null 2>&1; then
	fail musl-gcc "not installed: Debian's musl-tools (make deps)"
	summary
	exit 1
fi
for f in "$MUSL_LIB" "$MAPPS/test_tx" "$MAPPS/test_rx" "$MAPPS/connloop" "$MAPPS/conformance"; do
	[ -e "$f" ] || { fail musl-build "$f missing: make B=$B musl"; summary; exit 1; }
done
if [ "$(id -u)" = 0 ]; then MNS=(unshare -m -n); else MNS=(unshare -r -m -n); fi

# The check program (sockets and names), built with musl-gcc.
cat >"$T/muslcheck.c" <<'EOF_C'
/*
 * muslcheck - socket and name checks for tests/suites/musl.sh, built with
 * musl-gcc and run with the musl build of libnetcon. Prints "NAME: OK ..."
 * and exits 0, or says what went wrong and exits 1.
 *
 *   muslcheck refused HOST PORT          connect() to a closed port: ECONNREFUSED
 *                                        (blocking, and non-blocking through SO_ERROR)
 *   muslcheck udp-echo PORT              echo datagrams (IPv4 and IPv6) until "quit"
 *   muslcheck udp-client HOST PORT N     N datagrams of 0..1400 bytes, unconnected and
 *                                        connected, each echo compared with what was sent
 *   muslcheck resolve NAME ADDR4 ADDR6   getaddrinfo, gethostbyname(2), getnameinfo, gethostbyaddr
 *   muslcheck nxdomain NAME              a name that exists nowhere fails promptly
 *   muslcheck res NAME                   res_query() for NAME's A record (the service's stub)
 *   muslcheck gai NAME...                getaddrinfo() over hint combinations, one line
 *                                        per case (diffed with musl's own answers)
 *   muslcheck ping HOST                  10 ICMP echoes on a ping socket (IPv4 or IPv6)
 *   muslcheck preloaded                  which libnetcon this process has mapped
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int die(const char *what, const char *detail)
{
	fprintf(stderr, "muslcheck: %s: %s\n", what, detail);
	return 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* numeric() - HOST PORT as a socket address (IPv4 or IPv6). */
static int numeric(const char *host, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

static int refused(const char *host, unsigned port)
{
	struct sockaddr_storage ss;
	struct pollfd pfd;
	socklen_t len, elen;
	int fd, r, err = 0;

	if (numeric(host, port, &ss, &len))
		return die("refused", "bad address");
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return die("socket", strerror(errno));
	r = connect(fd, (struct sockaddr *)&ss, len);
	if (r == 0 || errno != ECONNREFUSED)
		return die("blocking connect", r == 0 ? "connected" : strerror(errno));
	close(fd);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return die("socket", strerror(errno));
	r = connect(fd, (struct sockaddr *)&ss, len);
	if (r == 0 || errno != EINPROGRESS)
		return die("non-blocking connect", r == 0 ? "connected" : strerror(errno));
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, 5000) != 1)
		return die("non-blocking connect", "no readiness within 5 s");
	elen = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) || err != ECONNREFUSED)
		return die("SO_ERROR", err ? strerror(err) : "0");
	close(fd);
	printf("refused: OK ECONNREFUSED from connect() and from SO_ERROR\n");
	return 0;
}

static int udp_echo(unsigned port)
{
	struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_storage peer;
	char buf[65536];
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), off = 0;
	socklen_t plen;
	ssize_t n;

	if (fd < 0)
		return die("socket", strerror(errno));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (bind(fd, (struct sockaddr *)&any, sizeof(any)))
		return die("bind", strerror(errno));
	printf("udp-echo: listening on port %u\n", port);
	fflush(stdout);
	for (;;) {
		plen = sizeof(peer);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen);
		if (n < 0)
			return die("recvfrom", strerror(errno));
		if (n == 4 && !memcmp(buf, "quit", 4))
			break;
		if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, plen) != n)
			return die("sendto", strerror(errno));
	}
	printf("udp-echo: OK\n");
	return 0;
}

static void pattern(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7);
}

/* one_echo() - send a datagram of @n bytes and compare its echo; @to NULL: connected. */
static int one_echo(int fd, size_t n, unsigned seed, const struct sockaddr_storage *to, socklen_t tolen)
{
	unsigned char out[1500], in[1500];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t r;

	pattern(out, n, seed);
	r = to ? sendto(fd, out, n, 0, (const struct sockaddr *)to, tolen) : send(fd, out, n, 0);
	if (r != (ssize_t)n)
		return die("send", r < 0 ? strerror(errno) : "short");
	if (poll(&pfd, 1, 3000) != 1)
		return die("echo", "none within 3 s");
	r = to ? recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &flen) : recv(fd, in, sizeof(in), 0);
	if (r != (ssize_t)n || memcmp(in, out, n))
		return die("echo", r < 0 ? strerror(errno) : "differs from what was sent");
	if (to && (flen != tolen || memcmp(&from, to, tolen)))
		return die("echo", "from another address than the server's");
	return 0;
}

static int udp_client(const char *host, unsigned port, unsigned count)
{
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned i, zero = 0;
	int fd;

	if (numeric(host, port, &ss, &len))
		return die("udp-client", "bad address");
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return die("socket", strerror(errno));
	for (i = 0; i < count; i++) {
		size_t n = (i * 37u) % 1401;

		zero += n == 0;
		if (one_echo(fd, n, i, &ss, len))
			return 1;
	}
	if (connect(fd, (struct sockaddr *)&ss, len))
		return die("connect", strerror(errno));
	for (i = 0; i < count; i++)
		if (one_echo(fd, (i * 53u) % 1401, i + 7, NULL, 0))
			return 1;
	if (send(fd, "quit", 4, 0) != 4)
		return die("send", strerror(errno));
	printf("udp: OK %u datagrams unconnected (%u empty) and %u connected, echoes identical\n",
	       count, zero, count);
	return 0;
}

/* has() - does the list hold @text (numeric) as an address? */
static int has(const struct addrinfo *ai, const char *text)
{
	char buf[INET6_ADDRSTRLEN];

	for (; ai; ai = ai->ai_next) {
		const void *a = ai->ai_family == AF_INET ?
			(const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr :
			(const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;

		if (inet_ntop(ai->ai_family, a, buf, sizeof(buf)) && !strcmp(buf, text))
			return 1;
	}
	return 0;
}

static int he_has(const struct hostent *he, const char *text)
{
	char buf[INET6_ADDRSTRLEN];
	char **p;

	for (p = he ? he->h_addr_list : NULL; p && *p; p++)
		if (inet_ntop(he->h_addrtype, *p, buf, sizeof(buf)) && !strcmp(buf, text))
			return 1;
	return 0;
}

static int resolve(const char *name, const char *a4, const char *a6)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *tail;
	struct hostent *he;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char host[NI_MAXHOST];
	unsigned i, nodes = 0;
	int r;

	r = getaddrinfo(name, "80", &hints, &res);
	if (r)
		return die("getaddrinfo", gai_strerror(r));
	if (!has(res, a4) || !has(res, a6))
		return die("getaddrinfo", "the peer's addresses are not in the answer");
	if (!res->ai_canonname || strcmp(res->ai_canonname, name))
		return die("getaddrinfo", "no canonical name (musl names every answer)");
	if (((struct sockaddr_in *)res->ai_addr)->sin_port != htons(80))
		return die("getaddrinfo", "port not set");
	freeaddrinfo(res);
	/* Many answers, freed whole and in two pieces; numeric ones are musl's own. */
	for (i = 0; i < 200; i++) {
		r = getaddrinfo(name, "http", NULL, &res);
		if (r == EAI_SERVICE)	/* no /etc/services: a number instead */
			r = getaddrinfo(name, "80", NULL, &res);
		if (r)
			return die("getaddrinfo (no hints)", gai_strerror(r));
		for (tail = res, nodes = 0; tail; tail = tail->ai_next)
			nodes++;
		if (i % 2) {
			tail = res->ai_next;
			res->ai_next = NULL;
			freeaddrinfo(res);
			if (tail)
				freeaddrinfo(tail);
		} else {
			freeaddrinfo(res);
		}
		r = getaddrinfo(i % 2 ? a4 : a6, "80", NULL, &res);
		if (r)
			return die("getaddrinfo (numeric)", gai_strerror(r));
		freeaddrinfo(res);
	}
	he = gethostbyname(name);
	if (!he_has(he, a4))
		return die("gethostbyname", he ? "the peer's IPv4 address missing" : hstrerror(h_errno));
	he = gethostbyname2(name, AF_INET6);
	if (!he_has(he, a6))
		return die("gethostbyname2", he ? "the peer's IPv6 address missing" : hstrerror(h_errno));
	inet_pton(AF_INET, a4, &sin.sin_addr);
	r = getnameinfo((struct sockaddr *)&sin, sizeof(sin), host, sizeof(host), NULL, 0, NI_NAMEREQD);
	if (r)
		return die("getnameinfo", gai_strerror(r));
	if (strncmp(host, name, strlen(name)))
		return die("getnameinfo", host);
	he = gethostbyaddr(&sin.sin_addr, 4, AF_INET);
	if (!he || strncmp(he->h_name, name, strlen(name)))
		return die("gethostbyaddr", he ? he->h_name : hstrerror(h_errno));
	printf("resolve: OK %s is %s and %s (getaddrinfo, %u nodes without hints, 400 freed; "
	       "gethostbyname, gethostbyname2), %s is %s (getnameinfo, gethostbyaddr)\n",
	       name, a4, a6, nodes, a4, host);
	return 0;
}

static int nxdomain(const char *name)
{
	struct addrinfo *res;
	double start = now_s(), took;
	struct hostent *he;
	int r = getaddrinfo(name, "80", NULL, &res);

	took = now_s() - start;
	if (r != EAI_NONAME)
		return die("getaddrinfo", r ? gai_strerror(r) : "found");
	if (took > 3)
		return die("getaddrinfo", "took more than 3 s");
	he = gethostbyname(name);
	if (he || h_errno != HOST_NOT_FOUND)
		return die("gethostbyname", he ? "found" : hstrerror(h_errno));
	printf("nxdomain: OK EAI_NONAME in %.0f ms, gethostbyname HOST_NOT_FOUND\n", took * 1000);
	return 0;
}

static int res(const char *name)
{
	unsigned char answer[1024];
	int n = res_query(name, C_IN, T_A, answer, sizeof(answer)), count;
	char missing[300];

	if (n < 12)
		return die("res_query", hstrerror(h_errno));
	count = answer[6] << 8 | answer[7];
	if (count < 1)
		return die("res_query", "no answer record");
	snprintf(missing, sizeof(missing), "nosuchname-%d.invalid", (int)getpid());
	if (res_query(missing, C_IN, T_A, answer, sizeof(answer)) != -1 || h_errno != HOST_NOT_FOUND)
		return die("res_query", "a name that exists nowhere was not HOST_NOT_FOUND");
	printf("res: OK res_query %s: %d bytes, %d answer(s); a missing name HOST_NOT_FOUND\n",
	       name, n, count);
	return 0;
}

static int gai(int n, char **names)
{
	static const struct { int family, socktype, protocol, flags; } cases[] = {
		{ AF_UNSPEC, 0, 0, 0 }, { AF_INET, 0, 0, 0 }, { AF_INET6, 0, 0, 0 },
		{ AF_UNSPEC, SOCK_STREAM, 0, AI_CANONNAME }, { AF_UNSPEC, SOCK_DGRAM, IPPROTO_UDP, 0 },
		{ AF_INET6, SOCK_STREAM, 0, AI_V4MAPPED }, { AF_INET6, SOCK_STREAM, 0, AI_V4MAPPED | AI_ALL },
		{ AF_UNSPEC, SOCK_STREAM, IPPROTO_UDP, 0 }, { AF_UNSPEC, SOCK_RAW, 0, 0 },
	};
	static const char *ports[] = { "80", NULL, "nosuchservice" };
	int i, c, p, r;

	for (i = 0; i < n; i++)
		for (p = 0; p < 3; p++)
			for (c = -1; c < (int)(sizeof(cases) / sizeof(cases[0])); c++) {
				struct addrinfo h = { 0 }, *res, *ai;

				if (c >= 0) {
					h.ai_family = cases[c].family;
					h.ai_socktype = cases[c].socktype;
					h.ai_protocol = cases[c].protocol;
					h.ai_flags = cases[c].flags;
				}
				printf("%s %s %d:", names[i], ports[p] ? ports[p] : "-", c);
				r = getaddrinfo(names[i], ports[p], c >= 0 ? &h : NULL, &res);
				if (r) {
					printf(" %s\n", gai_strerror(r));
					continue;
				}
				for (ai = res; ai; ai = ai->ai_next) {
					char text[INET6_ADDRSTRLEN];
					const void *a = ai->ai_family == AF_INET ?
						(const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr :
						(const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;

					inet_ntop(ai->ai_family, a, text, sizeof(text));
					printf(" %d/%d/%d/%s/%u/%u/%s", ai->ai_family, ai->ai_socktype,
					       ai->ai_protocol, text,
					       ntohs(((struct sockaddr_in *)ai->ai_addr)->sin_port),
					       (unsigned)ai->ai_addrlen, ai->ai_canonname ? ai->ai_canonname : "-");
				}
				printf("\n");
				freeaddrinfo(res);
			}
	return 0;
}

static int ping(const char *host)
{
	struct sockaddr_storage ss;
	unsigned char out[64], in[256];
	socklen_t len;
	int fd, seq;

	if (numeric(host, 0, &ss, &len))
		return die("ping", "bad address");
	fd = socket(ss.ss_family, SOCK_DGRAM, ss.ss_family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0)
		return die("socket", strerror(errno));
	for (seq = 1; seq <= 10; seq++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		memset(out, 0, sizeof(out));
		out[0] = ss.ss_family == AF_INET ? 8 : 128;	/* echo request */
		out[6] = (unsigned char)(seq >> 8);
		out[7] = (unsigned char)seq;
		pattern(out + 8, sizeof(out) - 8, (unsigned)seq);
		if (sendto(fd, out, sizeof(out), 0, (struct sockaddr *)&ss, len) != (ssize_t)sizeof(out))
			return die("sendto", strerror(errno));
		if (poll(&pfd, 1, 3000) != 1)
			return die("ping", "no reply within 3 s");
		n = recv(fd, in, sizeof(in), 0);
		if (n != (ssize_t)sizeof(out) || in[0] != (ss.ss_family == AF_INET ? 0 : 129) ||
		    in[6] != out[6] || in[7] != out[7] || memcmp(in + 8, out + 8, sizeof(out) - 8))
			return die("ping", n < 0 ? strerror(errno) : "a reply that is not the echo");
	}
	printf("ping: OK 10 echoes from %s\n", host);
	return 0;
}

static int preloaded(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];

	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "libnetcon");

		if (p) {
			while (p > line && p[-1] != ' ')
				p--;
			fputs(p, stdout);
			return 0;
		}
	}
	return die("preloaded", "no libnetcon mapped");
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "refused"))
		return refused(argv[2], (unsigned)atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "udp-echo"))
		return udp_echo((unsigned)atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "udp-client"))
		return udp_client(argv[2], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "resolve"))
		return resolve(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "nxdomain"))
		return nxdomain(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "res"))
		return res(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "gai"))
		return gai(argc - 2, argv + 2);
	if (argc == 3 && !strcmp(argv[1], "ping"))
		return ping(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "preloaded"))
		return preloaded();
	fprintf(stderr, "usage: see the top of tests/suites/musl.sh\n");
	return 2;
}
EOF_C
check build-muslcheck musl-gcc -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-o "$MAPPS/muslcheck" "$T/muslcheck.c"

# --- 1. the build
must=(socket bind listen accept accept4 connect getsockname getpeername getsockopt setsockopt
	shutdown close dup dup2 dup3 fcntl ioctl syscall read readv recv recvfrom recvmsg recvmmsg
	write writev send sendto sendmsg sendmmsg getaddrinfo freeaddrinfo getnameinfo gethostbyname
	gethostbyname2 gethostbyname_r gethostbyname2_r gethostbyaddr gethostbyaddr_r res_query
	res_search res_querydomain res_send)
exported=$(nm -D --defined-only "$MUSL_LIB" | awk '$2 == "T" || $2 == "W" { print $3 }')
missing=
for s in "${must[@]}"; do grep -qx "$s" <<<"$exported" || missing="$missing $s"; done
glibc_only=$(grep -E '^(__.*_chk|res_n.*|__res_.*|getaddrinfo_a|gai_.*|close_range)$' <<<"$exported" | tr '\n' ' ')
if [ -z "$missing" ] && [ -z "$glibc_only" ]; then
	pass musl-exports "${#must[@]} calls exported, no glibc-only entry point"
else
	fail musl-exports "missing:${missing:- none}; glibc-only: ${glibc_only:-none}"
fi
check musl-linked-library sh -c "readelf -d '$MUSL_LIB' | grep -q 'NEEDED.*\[libc.so\]'"
check musl-programs sh -c "for p in test_tx test_rx connloop conformance muslcheck; do \
	readelf -l '$MAPPS/'\$p | grep -q 'interpreter: /lib/ld-musl-' || exit 1; done"

start_service a --name alpha && start_service b --name beta || { fail service-start; summary; exit 1; }
IPA=$(service_ip a 4)
IPA6=$(service_ip a 6)
IPB=$(service_ip b 4)
IPB6=$(service_ip b 6)

check intercept-picks-musl sh -c "NETCON_SOCKET='$T/a.sock' ${NS[*]} '$INTERCEPT' '$MAPPS/muslcheck' preloaded \
	| grep -qx '$MUSL_LIB'"

# --- 2. TCP
# transfer NAME SERVER CLIENT HOST PORT BYTES [-x]: musl test_tx serves, musl test_rx checks.
transfer() {
	local name=$1 srv=$2 cli=$3 host=$4 port=$5 bytes=$6 x=${7:-} six=
	case "$host" in *:*) six=-6 ;; esac
	app_bg "$srv" "tx-$name" "$MAPPS/test_tx" $six $x -p "$port" -n "$bytes" -c 1
	check "$name" timeout 120 env NETCON_SOCKET="$T/$cli.sock" "${NS[@]}" "$INTERCEPT" \
		"$MAPPS/test_rx" $x -w 10 -p "$port" -n "$bytes" "$host"
	grep -h "OK" "$T/check.out" | sed 's/^/     /'
}
transfer musl-tcp-ipv4 a b "$IPA" 7001 256M
transfer musl-tcp-ipv6 a b "$IPA6" 7002 256M
transfer musl-tcp-echo b a "$IPB" 7003 64M -x
transfer musl-tcp-same-service a a 127.0.0.1 7004 64M

# The library set by hand, as an image's environment would (no intercept).
app_bg b tx-preload "$MAPPS/test_tx" -p 7005 -n 16M -c 1
check musl-ld-preload timeout 60 env NETCON_SOCKET="$T/a.sock" "${NS[@]}" env LD_PRELOAD="$MUSL_LIB" \
	"$MAPPS/test_rx" -w 10 -p 7005 -n 16M "$IPB"

app_bg b echo "$MAPPS/test_tx" -x -p 7006 -c 0
wait_for 10 grep -q listening "$T/echo.log"
check musl-connections-1000 timeout 120 env NETCON_SOCKET="$T/a.sock" "${NS[@]}" "$INTERCEPT" \
	"$MAPPS/connloop" "$IPB" 7006 1000
grep -h OK "$T/check.out" | sed 's/^/     /'

# --- 3. a closed port
check musl-refused-ipv4 timeout 30 env NETCON_SOCKET="$T/a.sock" "${NS[@]}" "$INTERCEPT" \
	"$MAPPS/muslcheck" refused "$IPB" 7999
check musl-refused-ipv6 timeout 30 env NETCON_SOCKET="$T/a.sock" "${NS[@]}" "$INTERCEPT" \
	"$MAPPS/muslcheck" refused "$IPB6" 7999

# --- 4. UDP echo
for v in 4 6; do
	port=710$v
	host=$IPB
	[ $v = 6 ] && host=$IPB6
	app_bg b "udp-echo-$v" "$MAPPS/muslcheck" udp-echo "$port"
	wait_for 10 grep -q listening "$T/udp-echo-$v.log"
	check "musl-udp-ipv$v" timeout 60 env NETCON_SOCKET="$T/a.sock" "${NS[@]}" "$INTERCEPT" \
		"$MAPPS/muslcheck" udp-client "$host" "$port" 300
	grep -h OK "$T/check.out" | sed 's/^/     /'
done

# ICMP echo on ping sockets, to the other service.
check musl-ping-ipv4 timeout 60 env NETCON_SOCKET="$T/a.sock" "${NS[@]}" "$INTERCEPT" \
	"$MAPPS/muslcheck" ping "$IPB"
check musl-ping-ipv6 timeout 60 env NETCON_SOCKET="$T/a.sock" "${NS[@]}" "$INTERCEPT" \
	"$MAPPS/muslcheck" ping "$IPB6"

# --- 5. names
# musl's own answers for the same addresses from /etc/hosts, in an empty
# namespace without libnetcon, are the oracle for every hint combination.
printf '127.0.0.1 localhost\n%s beta\n%s beta\n' "$IPB" "$IPB6" >"$T/hosts"
"${MNS[@]}" sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$T/hosts" \
	"$MAPPS/muslcheck" gai beta >"$T/gai-musl.txt" 2>&1
app a "$MAPPS/muslcheck" gai beta >"$T/gai-netcon.txt" 2>&1
if [ -s "$T/gai-musl.txt" ] && diff -u "$T/gai-musl.txt" "$T/gai-netcon.txt" >"$T/gai.diff"; then
	pass musl-getaddrinfo-as-musl "$(wc -l <"$T/gai-musl.txt") cases identical to musl's own"
else
	fail musl-getaddrinfo-as-musl "$(grep '^[-+]b' "$T/gai.diff" | head -n 6 | tr '\n' ' ')"
fi
# Names that never reach the service (numeric, /etc/hosts): musl's answers, with or without libnetcon.
"${NS[@]}" "$MAPPS/muslcheck" gai localhost 127.0.0.1 ::1 "$IPB" >"$T/gai-local-musl.txt" 2>&1
app a "$MAPPS/muslcheck" gai localhost 127.0.0.1 ::1 "$IPB" >"$T/gai-local-netcon.txt" 2>&1
check musl-getaddrinfo-local sh -c "test -s '$T/gai-local-musl.txt' && diff '$T/gai-local-musl.txt' '$T/gai-local-netcon.txt'"
check musl-resolve-peer timeout 30 env NETCON_SOCKET="$T/a.sock" "${NS[@]}" "$INTERCEPT" \
	"$MAPPS/muslcheck" resolve beta "$IPB" "$IPB6"
grep -h OK "$T/check.out" | sed 's/^/     /'
check musl-resolve-self timeout 30 env NETCON_SOCKET="$T/b.sock" "${NS[@]}" "$INTERCEPT" \
	"$MAPPS/muslcheck" resolve beta "$IPB" "$IPB6"
check musl-nxdomain timeout 30 env NETCON_SOCKET="$T/a.sock" "${NS[@]}" "$INTERCEPT" \
	"$MAPPS/muslcheck" nxdomain "nosuchhost-$$"
grep -h OK "$T/check.out" | sed 's/^/     /'
check musl-res-query timeout 30 env NETCON_SOCKET="$T/a.sock" "${NS[@]}" "$INTERCEPT" \
	"$MAPPS/muslcheck" res beta
grep -h OK "$T/check.out" | sed 's/^/     /'

# --- busybox: Alpine's own userland, built with musl from Debian's source
# package (scripts/musl-busybox.sh, `make musl-busybox`), when it can be
# fetched: httpd and wget (by name and over IPv6), nc, and nslookup, whose own
# resolver asks the service's DNS stub over UDP.
BB="$TOP/$B/musl/busybox/busybox"
if [ ! -x "$BB" ] && ! "$TOP/scripts/musl-busybox.sh" "$TOP/$B/musl/busybox" >"$T/busybox-build.out" 2>&1; then
	echo "     busybox cases skipped: $(tail -n 1 "$T/busybox-build.out")"
else
	# bb SERVICE ARGS...: busybox through SERVICE in an empty namespace, bounded.
	bb() {
		local name=$1
		shift
		NETCON_SOCKET="$T/$name.sock" timeout 60 "${NS[@]}" "$INTERCEPT" "$BB" "$@"
	}
	bb_wget() { bb b wget -q -O "$2" "$1" && cmp "$T/www/blob" "$2"; }
	bb_nc() { bb b nc "$IPA" 9000 <"$T/nc.in" && sleep 0.5 && cmp "$T/nc.in" "$T/bb-nc.log"; }
	bb_nslookup() {
		NETCON_SOCKET="$T/b.sock" timeout 60 "${MNS[@]}" sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
			"$T/resolv.conf" "$INTERCEPT" "$BB" nslookup beta | tee "$T/nslookup.out" | grep -qx "Address: $IPB"
	}
	mkdir -p "$T/www"
	head -c 64M /dev/urandom >"$T/www/blob"
	echo up >"$T/www/up.txt"
	head -c 1M /dev/urandom >"$T/nc.in"
	printf 'nameserver %s\n' "$IPA" >"$T/resolv.conf"
	app_bg a bb-httpd "$BB" httpd -f -p 8080 -h "$T/www"
	wait_for 10 bb b wget -q -O /dev/null "http://$IPA:8080/up.txt"
	check musl-busybox-wget-by-name bb_wget http://alpha:8080/blob "$T/got-name"
	check musl-busybox-wget-ipv6 bb_wget "http://[$IPA6]:8080/blob" "$T/got-v6"
	app_bg a bb-nc "$BB" nc -l -p 9000
	sleep 0.5
	check musl-busybox-nc bb_nc
	check musl-busybox-nslookup bb_nslookup
fi

# --- 6. the conformance programs, built with musl, against the kernel
kernel_setups "$T/a.sock" "$IPA" "$IPA6"
compare() {
	local prog=$1 name=$2
	shift 2
	"${NS[@]}" sh -c "$LO_SETUP; sleep 0.5; '$MAPPS/$prog' $*" >"$T/kernel-$name.txt" 2>&1
	app a "$MAPPS/$prog" "$@" >"$T/netcon-$name.txt" 2>&1
	judge "musl-conformance-$name" "$T/kernel-$name.txt" "$T/netcon-$name.txt" "$TOP/tests/apps/$prog.known"
}
compare conformance tcp -a 127.0.0.1 -A ::1
compare conformance_udp udp -a 127.0.0.1 -A ::1
compare conformance_tcp_matrix tcp-matrix -a 127.0.0.1 -A ::1

# --- 7. no service: fail closed, saying why
check musl-no-service sh -c "NETCON_SOCKET='$T/none.sock' ${NS[*]} env LD_PRELOAD='$MUSL_LIB' \
	'$MAPPS/muslcheck' refused 127.0.0.1 7999 2>&1 | grep -q 'libnetcon: no netcon service at $T/none.sock'"

summary
