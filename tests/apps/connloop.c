/*
 * connloop - open and close many TCP connections in a row against an echo
 * server, each carrying one small exchange, and check every byte.
 *
 *   connloop HOST PORT COUNT
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* exchange() - one connection: send 16 bytes, read them back, close. */
static int exchange(const struct addrinfo *ai, unsigned i)
{
	char out[16], in[16];
	size_t got = 0;
	int fd = socket(ai->ai_family, SOCK_STREAM, 0);

	if (fd < 0) {
		perror("connloop: socket");
		return -1;
	}
	snprintf(out, sizeof(out), "%015u", i);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) || write(fd, out, sizeof(out)) != sizeof(out)) {
		fprintf(stderr, "connloop: connection %u: ", i);
		perror("connect/write");
		close(fd);
		return -1;
	}
	while (got < sizeof(in)) {
		ssize_t n = read(fd, in + got, sizeof(in) - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != sizeof(in) || memcmp(in, out, sizeof(in))) {
		fprintf(stderr, "connloop: connection %u: echo mismatch (%zu bytes)\n", i, got);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST };
	struct addrinfo *ai;
	struct timespec t0, t1;
	unsigned count, i;
	double s;

	if (argc != 4) {
		fprintf(stderr, "usage: connloop HOST PORT COUNT\n");
		return 2;
	}
	count = (unsigned)strtoul(argv[3], NULL, 10);
	if (getaddrinfo(argv[1], argv[2], &hints, &ai)) {
		fprintf(stderr, "connloop: bad address %s\n", argv[1]);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++)
		if (exchange(ai, i))
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("connloop: OK %u connections in %.2f s (%.0f/s)\n", count, s, count / s);
	freeaddrinfo(ai);
	return 0;
}
