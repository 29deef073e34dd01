/*
 * test_rx.c - the receiving half of netcon's transfer test; plain POSIX sockets.
 *
 *   test_rx [-x] [-p PORT] [-n BYTES] [-w SECONDS] HOST
 *
 * Connects to test_tx at HOST (a numeric IPv4 or IPv6 address), reads until
 * EOF, and checks every byte against the test stream it regenerates, and the
 * count against BYTES. With -x it sends the stream itself (from a second
 * thread, while reading) to a `test_tx -x`, and checks what is echoed back.
 * -w retries a refused connection for up to SECONDS, for scripts that start
 * both halves at once.
 *
 * Prints "test_rx: OK N bytes in S s (X Mbit/s)" and exits 0, or says what
 * went wrong and exits 1 (2 for a bad command line).
 */
#include <endian.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (256 * 1024)
#define DEFAULT_PORT 7777
#define DEFAULT_BYTES (1024 * 1024)

#include "stream.h"
#include "args.h"

struct options {
	bool echo;
	unsigned port;
	unsigned long long bytes;
	unsigned wait_s;
	const char *host;
};

/* The -x sender thread's job and outcome. */
struct sender {
	int fd;
	const struct options *opt;
	unsigned long long sent;
	int err;		/* errno of a failure, or 0 */
};

/* usage() - print the synopsis and exit with @status. */
static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: test_rx [-x] [-p PORT] [-n BYTES] [-w SECONDS] HOST\n"
		"  -x  send the stream and check test_tx -x echoes it back\n"
		"  -p  port (default %d)   -n  bytes expected (default 1M; K, M, G suffixes)\n"
		"  -w  keep retrying a refused connection for up to SECONDS\n",
		DEFAULT_PORT);
	exit(status);
}

/* parse_options() - the command line into @opt; exits on a bad one. */
static void parse_options(int argc, char **argv, struct options *opt)
{
	unsigned long v;
	int c;

	*opt = (struct options){ .port = DEFAULT_PORT, .bytes = DEFAULT_BYTES };
	while ((c = getopt(argc, argv, "xp:n:w:h")) != -1) {
		switch (c) {
		case 'x':
			opt->echo = true;
			break;
		case 'p':
			if (parse_number(optarg, 65535, &v) || !v)
				usage(2);
			opt->port = (unsigned)v;
			break;
		case 'n':
			if (parse_size(optarg, &opt->bytes))
				usage(2);
			break;
		case 'w':
			if (parse_number(optarg, 3600, &v))
				usage(2);
			opt->wait_s = (unsigned)v;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc - 1)
		usage(2);
	opt->host = argv[optind];
}

/* now_s() - a monotonic clock in seconds. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * connect_to() - a connected socket to HOST:PORT, retrying refusals for up
 * to -w seconds. Exits with a message on failure.
 */
static int connect_to(const struct options *opt)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	char port[8];
	double give_up = now_s() + opt->wait_s;
	int fd, r;

	snprintf(port, sizeof(port), "%u", opt->port);
	r = getaddrinfo(opt->host, port, &hints, &ai);
	if (r) {
		fprintf(stderr, "test_rx: bad address '%s': %s\n", opt->host, gai_strerror(r));
		exit(2);
	}
	for (;;) {
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd < 0) {
			fprintf(stderr, "test_rx: socket: %s\n", strerror(errno));
			exit(1);
		}
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		r = errno;
		close(fd);
		if (r != ECONNREFUSED || now_s() >= give_up) {
			fprintf(stderr, "test_rx: connect to %s port %s: %s\n", opt->host, port,
				strerror(r));
			exit(1);
		}
		usleep(100 * 1000);
	}
	freeaddrinfo(ai);
	return fd;
}

/* send_stream() - the -x thread: send the stream, then end our direction. */
static void *send_stream(void *arg)
{
	struct sender *snd = arg;
	uint8_t *buf = malloc(BUF_SIZE);
	struct stream s;

	if (!buf) {
		snd->err = ENOMEM;
		return NULL;
	}
	stream_init(&s, snd->opt->port);
	while (snd->sent < snd->opt->bytes) {
		unsigned long long left = snd->opt->bytes - snd->sent;
		size_t chunk = left < BUF_SIZE ? (size_t)left : BUF_SIZE;

		stream_fill(&s, buf, chunk);
		if (send_all(snd->fd, buf, chunk)) {
			snd->err = errno;
			break;
		}
		snd->sent += chunk;
	}
	if (!snd->err && shutdown(snd->fd, SHUT_WR))
		snd->err = errno;
	free(buf);
	return NULL;
}

/*
 * first_difference() - the offset of the first byte where @a and @b differ
 * (they are known to differ somewhere in @len).
 */
static size_t first_difference(const uint8_t *a, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len - 1 && a[i] == b[i]; i++)
		;
	return i;
}

/*
 * receive_and_check() - read to EOF checking each byte against the stream.
 * Returns 0 with *@got the count, or -1 after printing what went wrong.
 */
static int receive_and_check(int fd, const struct options *opt, unsigned long long *got)
{
	uint8_t *buf = malloc(BUF_SIZE), *want = malloc(BUF_SIZE);
	struct stream s;
	int r = -1;

	*got = 0;
	if (!buf || !want) {
		fprintf(stderr, "test_rx: out of memory\n");
		goto out;
	}
	stream_init(&s, opt->port);
	for (;;) {
		ssize_t n = recv(fd, buf, BUF_SIZE, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "test_rx: read after %llu bytes: %s\n", *got,
				strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (*got + (unsigned long long)n > opt->bytes) {
			fprintf(stderr, "test_rx: too much data: more than the %llu bytes expected\n",
				opt->bytes);
			goto out;
		}
		stream_fill(&s, want, (size_t)n);
		if (memcmp(buf, want, (size_t)n)) {
			size_t i = first_difference(buf, want, (size_t)n);

			fprintf(stderr, "test_rx: data differs at byte %llu: got 0x%02x, expected 0x%02x\n",
				*got + i, buf[i], want[i]);
			goto out;
		}
		*got += (unsigned long long)n;
	}
	if (*got != opt->bytes) {
		fprintf(stderr, "test_rx: connection closed early: %llu of %llu bytes\n", *got,
			opt->bytes);
		goto out;
	}
	r = 0;
out:
	free(buf);
	free(want);
	return r;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct sender snd = { 0 };
	pthread_t sender_thread;
	unsigned long long got;
	double start, secs;
	int fd, r;

	parse_options(argc, argv, &opt);
	signal(SIGPIPE, SIG_IGN);
	fd = connect_to(&opt);
	start = now_s();
	if (opt.echo) {
		snd = (struct sender){ .fd = fd, .opt = &opt };
		r = pthread_create(&sender_thread, NULL, send_stream, &snd);
		if (r) {
			fprintf(stderr, "test_rx: thread: %s\n", strerror(r));
			return 1;
		}
	}
	r = receive_and_check(fd, &opt, &got);
	if (r && opt.echo)
		shutdown(fd, SHUT_RDWR);	/* unblock the sender */
	if (opt.echo) {
		pthread_join(sender_thread, NULL);
		if (snd.err && !r) {
			fprintf(stderr, "test_rx: send after %llu bytes: %s\n", snd.sent,
				strerror(snd.err));
			r = -1;
		}
	}
	secs = now_s() - start;
	close(fd);
	if (r)
		return 1;
	if (secs <= 0)
		secs = 1e-9;
	printf("test_rx: OK %llu bytes in %.3f s (%.1f Mbit/s)\n", got, secs,
	       (double)got * 8 / secs / 1e6);
	return 0;
}
