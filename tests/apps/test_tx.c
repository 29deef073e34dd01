/*
 * test_tx.c - the sending half of netcon's transfer test; plain POSIX sockets.
 *
 *   test_tx [-6] [-x] [-p PORT] [-b BIND_ADDR] [-n BYTES] [-c CONNECTIONS]
 *
 * Listens, and on each accepted connection sends BYTES of the test stream
 * (see stream_fill(); test_rx.c regenerates it) and closes. Each connection
 * is served by its own thread, so a single test_tx can feed several test_rx
 * at once. After CONNECTIONS connections (default 1; 0 = forever) it waits
 * for them all and exits 0 if every one was sent in full, else 1.
 * With -x it echoes back whatever each connection sends instead (test_rx -x).
 * Prints "test_tx: listening on ADDR:PORT" once it listens (-p 0 picks a port).
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE (256 * 1024)
#define DEFAULT_PORT 7777
#define DEFAULT_BYTES (1024 * 1024)

#include "stream.h"
#include "args.h"

struct options {
	bool ipv6, echo;
	unsigned port;
	const char *bind_addr;
	unsigned long long bytes;
	unsigned long connections;
};

/* Shared by the connection threads: how many run, and whether any failed. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t done;
	unsigned running;
	unsigned failed;
} workers = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };

struct conn {
	int fd;
	unsigned long n;	/* 1-based connection number, for messages */
	const struct options *opt;
};

/* usage() - print the synopsis and exit with @status. */
static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: test_tx [-6] [-x] [-p PORT] [-b BIND_ADDR] [-n BYTES] [-c CONNECTIONS]\n"
		"  -6  listen on IPv6 (default IPv4; implied by an IPv6 -b)\n"
		"  -x  echo what each connection sends instead of sending the stream\n"
		"  -p  port (default %d; 0 picks one)   -n  bytes per connection (default 1M;\n"
		"      K, M, G suffixes)   -c  connections to serve (default 1; 0 = forever)\n",
		DEFAULT_PORT);
	exit(status);
}

/* parse_options() - the command line into @opt; exits on a bad one. */
static void parse_options(int argc, char **argv, struct options *opt)
{
	unsigned long v;
	int c;

	*opt = (struct options){ .port = DEFAULT_PORT, .bytes = DEFAULT_BYTES, .connections = 1 };
	while ((c = getopt(argc, argv, "6xp:b:n:c:h")) != -1) {
		switch (c) {
		case '6':
			opt->ipv6 = true;
			break;
		case 'x':
			opt->echo = true;
			break;
		case 'p':
			if (parse_number(optarg, 65535, &v))
				usage(2);
			opt->port = (unsigned)v;
			break;
		case 'b':
			opt->bind_addr = optarg;
			break;
		case 'n':
			if (parse_size(optarg, &opt->bytes))
				usage(2);
			break;
		case 'c':
			if (parse_number(optarg, 1000000, &opt->connections))
				usage(2);
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (opt->bind_addr && strchr(opt->bind_addr, ':'))
		opt->ipv6 = true;
}

/* send_stream() - send @bytes of the stream for @port; 0, or -1 with errno. */
static int send_stream(int fd, unsigned port, unsigned long long bytes, uint8_t *buf,
		       unsigned long long *sent)
{
	struct stream s;

	stream_init(&s, port);
	*sent = 0;
	while (*sent < bytes) {
		size_t chunk = bytes - *sent < BUF_SIZE ? (size_t)(bytes - *sent) : BUF_SIZE;

		stream_fill(&s, buf, chunk);
		if (send_all(fd, buf, chunk))
			return -1;
		*sent += chunk;
	}
	return 0;
}

/* echo_all() - send back everything read until EOF; 0, or -1 with errno. */
static int echo_all(int fd, uint8_t *buf, unsigned long long *echoed)
{
	*echoed = 0;
	for (;;) {
		ssize_t n = recv(fd, buf, BUF_SIZE, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return shutdown(fd, SHUT_WR);
		if (send_all(fd, buf, (size_t)n))
			return -1;
		*echoed += (unsigned long long)n;
	}
}

/* serve() - one connection's thread: send the stream (or echo), then close. */
static void *serve(void *arg)
{
	struct conn *c = arg;
	uint8_t *buf = malloc(BUF_SIZE);
	unsigned long long count = 0;
	int r = -1;

	if (!buf)
		fprintf(stderr, "test_tx: connection %lu: out of memory\n", c->n);
	else if (c->opt->echo)
		r = echo_all(c->fd, buf, &count);
	else
		r = send_stream(c->fd, c->opt->port, c->opt->bytes, buf, &count);
	if (buf && r)
		fprintf(stderr, "test_tx: connection %lu: %s after %llu bytes: %s\n", c->n,
			c->opt->echo ? "echo" : "send", count, strerror(errno));
	if (close(c->fd) && !r) {
		fprintf(stderr, "test_tx: connection %lu: close: %s\n", c->n, strerror(errno));
		r = -1;
	}
	free(buf);
	free(c);
	pthread_mutex_lock(&workers.lock);
	workers.running--;
	if (r)
		workers.failed++;
	pthread_cond_signal(&workers.done);
	pthread_mutex_unlock(&workers.lock);
	return NULL;
}

/* open_listener() - bind and listen as asked; prints the address. Exits on error. */
static int open_listener(struct options *opt)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char port[8], host[INET6_ADDRSTRLEN];
	int fd, one = 1, r;

	hints.ai_family = opt->ipv6 ? AF_INET6 : AF_INET;
	snprintf(port, sizeof(port), "%u", opt->port);
	r = getaddrinfo(opt->bind_addr, port, &hints, &ai);
	if (r) {
		fprintf(stderr, "test_tx: bad bind address '%s': %s\n",
			opt->bind_addr ? opt->bind_addr : "", gai_strerror(r));
		exit(2);
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen)) {
		fprintf(stderr, "test_tx: cannot listen on port %s: %s\n", port, strerror(errno));
		exit(1);
	}
	freeaddrinfo(ai);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		opt->port = ntohs(sin6->sin6_port);
		printf("test_tx: listening on [%s]:%u\n", host, opt->port);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		opt->port = ntohs(sin->sin_port);
		printf("test_tx: listening on %s:%u\n", host, opt->port);
	}
	fflush(stdout);
	return fd;
}

/* start_worker() - hand an accepted connection to its own thread. */
static int start_worker(int fd, unsigned long n, const struct options *opt)
{
	struct conn *c = malloc(sizeof(*c));
	pthread_attr_t attr;
	pthread_t t;
	int r;

	if (!c)
		return ENOMEM;
	*c = (struct conn){ .fd = fd, .n = n, .opt = opt };
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&workers.lock);
	workers.running++;
	pthread_mutex_unlock(&workers.lock);
	r = pthread_create(&t, &attr, serve, c);
	pthread_attr_destroy(&attr);
	if (r) {
		pthread_mutex_lock(&workers.lock);
		workers.running--;
		pthread_mutex_unlock(&workers.lock);
		free(c);
	}
	return r;
}

int main(int argc, char **argv)
{
	struct options opt;
	unsigned long n;
	int lfd;

	parse_options(argc, argv, &opt);
	signal(SIGPIPE, SIG_IGN);
	lfd = open_listener(&opt);
	for (n = 1; !opt.connections || n <= opt.connections; n++) {
		int fd = accept(lfd, NULL, NULL);
		int r;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED) {
				n--;
				continue;
			}
			fprintf(stderr, "test_tx: accept: %s\n", strerror(errno));
			return 1;
		}
		r = start_worker(fd, n, &opt);
		if (r) {
			fprintf(stderr, "test_tx: connection %lu: thread: %s\n", n, strerror(r));
			close(fd);
			pthread_mutex_lock(&workers.lock);
			workers.failed++;
			pthread_mutex_unlock(&workers.lock);
		}
	}
	close(lfd);
	pthread_mutex_lock(&workers.lock);
	while (workers.running)
		pthread_cond_wait(&workers.done, &workers.lock);
	pthread_mutex_unlock(&workers.lock);
	if (workers.failed) {
		fprintf(stderr, "test_tx: %u of %lu connections failed\n", workers.failed,
			opt.connections);
		return 1;
	}
	if (opt.echo)
		printf("test_tx: echoed %lu connections\n", opt.connections);
	else
		printf("test_tx: sent %llu bytes on each of %lu connections\n", opt.bytes,
		       opt.connections);
	return 0;
}
