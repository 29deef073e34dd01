/*
 * stream.h - the deterministic byte stream test_tx sends and test_rx checks:
 * xorshift64* words, little-endian, from a fixed seed mixed with the port, so
 * parallel transfers carry different data and a mix-up between connections
 * shows. Header-only: each test program is one C file.
 */
#ifndef NETCON_TEST_STREAM_H
#define NETCON_TEST_STREAM_H

#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#define STREAM_SEED 0x6e6574636f6e5458ull

struct stream {
	uint64_t state;
	uint8_t word[8];	/* the current word, for fills that end inside one */
	unsigned used;		/* bytes of word[] already given out */
};

/* stream_init() - the start of the stream for a transfer on @port. */
static void stream_init(struct stream *s, unsigned port)
{
	s->state = STREAM_SEED ^ ((uint64_t)port * 0x9e3779b97f4a7c15ull);
	if (!s->state)
		s->state = STREAM_SEED;
	s->used = sizeof(s->word);
}

/* stream_word() - the next 8 bytes of the stream (xorshift64*, little-endian). */
static uint64_t stream_word(struct stream *s)
{
	uint64_t x = s->state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->state = x;
	return htole64(x * 0x2545f4914f6cdd1dull);
}

/* stream_fill() - the next @len bytes of the stream into @buf. */
static void stream_fill(struct stream *s, uint8_t *buf, size_t len)
{
	uint64_t w;

	while (len && s->used < sizeof(s->word)) {
		*buf++ = s->word[s->used++];
		len--;
	}
	while (len >= sizeof(w)) {
		w = stream_word(s);
		memcpy(buf, &w, sizeof(w));
		buf += sizeof(w);
		len -= sizeof(w);
	}
	if (len) {
		w = stream_word(s);
		memcpy(s->word, &w, sizeof(w));
		s->used = 0;
		while (len--)
			*buf++ = s->word[s->used++];
	}
}

/* send_all() - write all of @buf, riding out short writes and EINTR. */
static int send_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

#endif
