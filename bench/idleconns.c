/*
 * idleconns.c - hold many idle TCP connections open, for measuring what an
 * idle connection costs; plain POSIX sockets.
 *
 *   idleconns -s PORT COUNT        accept COUNT connections and hold them
 *   idleconns HOST PORT COUNT      open COUNT connections and hold them
 *
 * Either side prints "idleconns: ready COUNT" once it holds all of them, then
 * sleeps until it is killed. It raises its own descriptor limit to fit.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static void raise_nofile(unsigned long count)
{
	struct rlimit rl = { count + 64, count + 64 };

	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	unsigned long count, i;
	int server = argc == 4 && !strcmp(argv[1], "-s"), fd, lfd = -1, one = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: idleconns -s PORT COUNT | idleconns HOST PORT COUNT\n");
		return 2;
	}
	count = strtoul(argv[3], NULL, 10);
	raise_nofile(count);
	if (server) {
		hints.ai_family = AF_INET;
		hints.ai_flags |= AI_PASSIVE;
	}
	if (getaddrinfo(server ? NULL : argv[1], argv[2], &hints, &ai)) {
		fprintf(stderr, "idleconns: bad address\n");
		return 2;
	}
	if (server) {
		lfd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    bind(lfd, ai->ai_addr, ai->ai_addrlen) || listen(lfd, 4096)) {
			perror("idleconns: listen");
			return 1;
		}
		printf("idleconns: listening\n");
		fflush(stdout);
	}
	for (i = 0; i < count; i++) {
		if (server) {
			fd = accept(lfd, NULL, NULL);
			if (fd < 0 && (errno == EINTR || errno == ECONNABORTED)) {
				i--;
				continue;
			}
		} else {
			fd = socket(ai->ai_family, SOCK_STREAM, 0);
			if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen)) {
				fprintf(stderr, "idleconns: connection %lu: %s\n", i, strerror(errno));
				return 1;
			}
		}
		if (fd < 0) {
			fprintf(stderr, "idleconns: connection %lu: %s\n", i, strerror(errno));
			return 1;
		}
	}
	printf("idleconns: ready %lu\n", count);
	fflush(stdout);
	for (;;)
		pause();
}
