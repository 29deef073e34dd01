/*
 * optloop - the control calls a busy server makes on a connection it holds,
 * in a loop: the cost of a trapped call (bench/run.sh's seccomp section).
 *
 *   optloop HOST PORT COUNT
 *
 * Each round: setsockopt(TCP_NODELAY), getsockopt(TCP_NODELAY),
 * getsockopt(SO_ERROR), getsockname(), getpeername() on one connection to
 * an echo server; every answer is checked.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CALLS_PER_ROUND 5

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	struct sockaddr_storage ss;
	struct timespec t0, t1;
	unsigned long i, count;
	socklen_t len;
	int fd, v, e;
	double secs;

	if (argc != 4) {
		fprintf(stderr, "usage: optloop HOST PORT COUNT\n");
		return 2;
	}
	count = strtoul(argv[3], NULL, 10);
	if (getaddrinfo(argv[1], argv[2], &hints, &ai)) {
		fprintf(stderr, "optloop: cannot resolve %s\n", argv[1]);
		return 1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		perror("optloop: connect");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++) {
		v = (int)(i & 1);
		len = sizeof(e);
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)) ||
		    getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &e, &len) || (e != 0) != (v != 0) ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) || e != 0) {
			fprintf(stderr, "optloop: round %lu: an option call failed or lied\n", i);
			return 1;
		}
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) || ss.ss_family != ai->ai_family) {
			perror("optloop: getsockname");
			return 1;
		}
		len = sizeof(ss);
		if (getpeername(fd, (struct sockaddr *)&ss, &len) || ss.ss_family != ai->ai_family) {
			perror("optloop: getpeername");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("optloop: OK %lu calls in %.2f s (%.0f/s)\n", count * CALLS_PER_ROUND, secs,
	       secs > 0 ? (double)(count * CALLS_PER_ROUND) / secs : 0);
	close(fd);
	freeaddrinfo(ai);
	return 0;
}
