/*
 * pingpong.c - request/response latency over one TCP connection or one pair of
 * connected UDP sockets (-u); plain POSIX sockets, so that it runs unchanged on
 * the kernel and through netcon.
 *
 *   pingpong -s [-u] [-p PORT] [-b ADDR] [-m SIZE] [-c CONNECTIONS]
 *   pingpong [-u] [-p PORT] [-m SIZE] [-n COUNT] [-d SECONDS] [-w SECONDS] HOST
 *
 * The server echoes SIZE-byte messages (default 64) on each connection it
 * accepts, one connection at a time, and exits after CONNECTIONS (default 1;
 * 0 = forever). The client connects (retrying a refused connection for up to
 * -w seconds), sets TCP_NODELAY, warms up with 1,000 round trips, then times
 * each round trip until COUNT round trips (default 1,000,000) or SECONDS
 * (default 2) have passed, whichever comes first, and prints
 *
 *   pingpong: OK N round trips of 64 bytes, median 12.3 us, p99 45.6 us, mean 13.0 us
 *
 * -u: UDP, SIZE-byte datagrams (at least 8: a sequence number leads each).
 * The server binds PORT, takes the first datagram's sender as its peer and
 * connects its socket to it (send/recv from then on), and dissolves that
 * (connect AF_UNSPEC) when the client has been silent for 200 ms; it serves
 * clients one after another until killed (-c is ignored). The client
 * connects its socket, waits -w seconds at most for the first answer
 * (resending every 100 ms: the server may be starting, or still connected to
 * the previous client), then runs as over TCP; a round trip whose answer does
 * not come within 500 ms is resent and counted lost (printed as ", N lost";
 * more than 10 ends the run). The client says no goodbye (the server's
 * 200 ms of silence ends a client), as when the figures were first taken.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE 65536
#define WARMUP 1000

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: pingpong -s [-u] [-p PORT] [-b ADDR] [-m SIZE] [-c CONNECTIONS]\n"
		"       pingpong [-u] [-p PORT] [-m SIZE] [-n COUNT] [-d SECONDS] [-w SECONDS] HOST\n");
	exit(2);
}

/* io_all() - read or write exactly @len bytes; 0, or -1 (EOF counts as an error). */
static int io_all(int fd, char *buf, size_t len, bool wr)
{
	while (len) {
		ssize_t n = wr ? send(fd, buf, len, MSG_NOSIGNAL) : recv(fd, buf, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int serve(const char *bind_addr, const char *port, size_t size, unsigned long conns)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	static char buf[MAX_SIZE];
	unsigned long n;
	int lfd, one = 1;

	hints.ai_family = bind_addr && strchr(bind_addr, ':') ? AF_INET6 : AF_INET;
	if (getaddrinfo(bind_addr, port, &hints, &ai)) {
		fprintf(stderr, "pingpong: bad address\n");
		return 2;
	}
	lfd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, ai->ai_addr, ai->ai_addrlen) || listen(lfd, 16)) {
		perror("pingpong: listen");
		return 1;
	}
	freeaddrinfo(ai);
	printf("pingpong: listening on port %s\n", port);
	fflush(stdout);
	for (n = 0; !conns || n < conns; n++) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED) {
				n--;
				continue;
			}
			perror("pingpong: accept");
			return 1;
		}
		nodelay(fd);
		while (!io_all(fd, buf, size, false) && !io_all(fd, buf, size, true))
			;
		close(fd);
	}
	close(lfd);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int client(const char *host, const char *port, size_t size, unsigned long count,
		  double secs, double wait_s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	static char buf[MAX_SIZE];
	double give_up = now_us() + wait_s * 1e6, start, end, sum = 0, *lat;
	unsigned long i, n = 0;
	int fd;

	if (getaddrinfo(host, port, &hints, &ai)) {
		fprintf(stderr, "pingpong: bad address %s\n", host);
		return 2;
	}
	for (;;) {
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd < 0) {
			perror("pingpong: socket");
			return 1;
		}
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		if (errno != ECONNREFUSED || now_us() > give_up) {
			perror("pingpong: connect");
			return 1;
		}
		close(fd);
		usleep(50 * 1000);
	}
	freeaddrinfo(ai);
	nodelay(fd);
	lat = malloc(count * sizeof(*lat));
	if (!lat) {
		fprintf(stderr, "pingpong: out of memory\n");
		return 1;
	}
	memset(buf, 'p', size);
	for (i = 0; i < WARMUP; i++)
		if (io_all(fd, buf, size, true) || io_all(fd, buf, size, false)) {
			fprintf(stderr, "pingpong: warm-up round trip %lu failed\n", i);
			return 1;
		}
	end = now_us() + secs * 1e6;
	while (n < count) {
		start = now_us();
		if (io_all(fd, buf, size, true) || io_all(fd, buf, size, false)) {
			fprintf(stderr, "pingpong: round trip %lu failed\n", n);
			return 1;
		}
		lat[n] = now_us() - start;
		sum += lat[n++];
		if (lat[n - 1] + start > end)
			break;
	}
	close(fd);
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("pingpong: OK %lu round trips of %zu bytes, median %.1f us, p99 %.1f us, mean %.1f us\n",
	       n, size, lat[n / 2], lat[(size_t)((double)n * 0.99)], sum / (double)n);
	free(lat);
	return 0;
}

static int set_timeout(int fd, long ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* udp_serve() - echo datagrams to one connected peer at a time, forever. */
static int udp_serve(const char *bind_addr, const char *port, size_t size)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	static char buf[MAX_SIZE];
	struct sockaddr_storage peer;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	int fd, one = 1;

	hints.ai_family = bind_addr && strchr(bind_addr, ':') ? AF_INET6 : AF_INET;
	if (getaddrinfo(bind_addr, port, &hints, &ai)) {
		fprintf(stderr, "pingpong: bad address\n");
		return 2;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen)) {
		perror("pingpong: bind");
		return 1;
	}
	freeaddrinfo(ai);
	printf("pingpong: listening on UDP port %s\n", port);
	fflush(stdout);
	for (;;) {
		socklen_t plen = sizeof(peer);
		ssize_t n;

		set_timeout(fd, 0);
		n = recvfrom(fd, buf, size, 0, (struct sockaddr *)&peer, &plen);
		if (n <= 0)
			continue;	/* EINTR, or a stray goodbye */
		if (connect(fd, (struct sockaddr *)&peer, plen)) {
			perror("pingpong: connect");
			return 1;
		}
		set_timeout(fd, 200);
		do {
			if (send(fd, buf, (size_t)n, 0) < 0 && errno != ECONNREFUSED)
				break;
			do
				n = recv(fd, buf, size, 0);
			while (n < 0 && (errno == EINTR || errno == ECONNREFUSED));
		} while (n > 0);
		connect(fd, &unspec, sizeof(unspec));	/* silence, an empty datagram or an error */
	}
}

/* udp_trip() - one round trip of sequence number @seq; 0, or -1 after 10 losses. */
static int udp_trip(int fd, char *buf, size_t size, uint64_t seq, unsigned long *lost)
{
	for (;;) {
		uint64_t got;
		ssize_t n;

		memcpy(buf, &seq, sizeof(seq));
		if (send(fd, buf, size, 0) < 0 && errno != ECONNREFUSED)
			return -1;
		for (;;) {
			n = recv(fd, buf, size, 0);
			if (n < 0 && (errno == EINTR || errno == ECONNREFUSED))
				continue;
			if (n < 0)
				break;	/* timed out: resend */
			memcpy(&got, buf, sizeof(got));
			if (n == (ssize_t)size && got == seq)
				return 0;
			/* a late answer to a resent round trip: skip it */
		}
		if (++*lost > 10)
			return -1;
	}
}

static int udp_client(const char *host, const char *port, size_t size, unsigned long count,
		      double secs, double wait_s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	static char buf[MAX_SIZE];
	double give_up = now_us() + wait_s * 1e6, start, end, sum = 0, *lat;
	unsigned long i, n = 0, lost = 0;
	uint64_t seq = 0;
	int fd;

	if (size < sizeof(seq)) {
		fprintf(stderr, "pingpong: -u needs -m 8 or more\n");
		return 2;
	}
	if (getaddrinfo(host, port, &hints, &ai)) {
		fprintf(stderr, "pingpong: bad address %s\n", host);
		return 2;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		perror("pingpong: connect");
		return 1;
	}
	freeaddrinfo(ai);
	lat = malloc(count * sizeof(*lat));
	if (!lat) {
		fprintf(stderr, "pingpong: out of memory\n");
		return 1;
	}
	memset(buf, 'p', size);
	/* The first answer: the server may still be starting (or busy with a
	 * client that left without a goodbye). */
	set_timeout(fd, 100);
	for (;;) {
		unsigned long dummy = 0;

		if (!udp_trip(fd, buf, size, seq, &dummy))
			break;
		if (now_us() > give_up) {
			fprintf(stderr, "pingpong: no answer from %s\n", host);
			return 1;
		}
	}
	seq++;
	set_timeout(fd, 500);
	for (i = 1; i < WARMUP; i++)
		if (udp_trip(fd, buf, size, seq++, &lost)) {
			fprintf(stderr, "pingpong: warm-up round trip %lu failed (%lu lost)\n", i, lost);
			return 1;
		}
	lost = 0;
	end = now_us() + secs * 1e6;
	while (n < count) {
		start = now_us();
		if (udp_trip(fd, buf, size, seq++, &lost)) {
			fprintf(stderr, "pingpong: round trip %lu failed (%lu lost)\n", n, lost);
			return 1;
		}
		lat[n] = now_us() - start;
		sum += lat[n++];
		if (lat[n - 1] + start > end)
			break;
	}
	close(fd);
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("pingpong: OK %lu round trips of %zu bytes, median %.1f us, p99 %.1f us, mean %.1f us%s",
	       n, size, lat[n / 2], lat[(size_t)((double)n * 0.99)], sum / (double)n,
	       lost ? "" : "\n");
	if (lost)
		printf(", %lu lost\n", lost);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	const char *port = "7300", *bind_addr = NULL;
	unsigned long count = 1000000, conns = 1;
	double secs = 2, wait_s = 0;
	size_t size = 64;
	bool server = false, udp = false;
	int c;

	while ((c = getopt(argc, argv, "sup:b:m:c:n:d:w:")) != -1) {
		switch (c) {
		case 's': server = true; break;
		case 'u': udp = true; break;
		case 'p': port = optarg; break;
		case 'b': bind_addr = optarg; break;
		case 'm': size = strtoul(optarg, NULL, 10); break;
		case 'c': conns = strtoul(optarg, NULL, 10); break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'd': secs = atof(optarg); break;
		case 'w': wait_s = atof(optarg); break;
		default: usage();
		}
	}
	if (!size || size > MAX_SIZE || !count || secs <= 0)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (server) {
		if (optind != argc)
			usage();
		return udp ? udp_serve(bind_addr, port, size) : serve(bind_addr, port, size, conns);
	}
	if (optind != argc - 1)
		usage();
	if (udp)
		return udp_client(argv[optind], port, size, count, secs, wait_s);
	return client(argv[optind], port, size, count, secs, wait_s);
}
