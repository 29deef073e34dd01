/*
 * dgram_sock.h - what the datagram protocols (udp.c, icmp.c) share on the
 * socketpair side: taking the program's records, telling its end-of-file,
 * and holding a program's queue while it is re-framed (src/common/dgram.h).
 */
#ifndef NETCON_DGRAM_SOCK_H
#define NETCON_DGRAM_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * One record from @fd (our end, or the program's through the copy a request
 * carried) into @buf of @size bytes: its length, 0 at end-of-file, -1 when
 * none waits. *@marked: it carried descriptors (closed here), so it is
 * framed whatever the socket's state.
 */
ssize_t nc_dgram_take(int fd, void *buf, size_t size, bool *marked);
/* Has the program's end (the peer of our @fd) shut its writing side, or closed? */
bool nc_dgram_app_shut(int fd);

/* A record taken out of the program's queue, to be written back. */
struct nc_held {
	struct nc_held *next;
	bool marked;
	size_t len;
	unsigned char data[];
};
/*
 * Every record waiting in the program's queue, read out through @app in
 * order (@buf of @size bytes as scratch). All of it first, then written
 * back by the caller: our end writes into that same queue.
 */
struct nc_held *nc_dgram_hold(int app, void *buf, size_t size);
void nc_dgram_free_held(struct nc_held *list);

/*
 * What a datagram protocol brings to the shared handling of its socketpair
 * end: sending what the program queued (false at the program's end of
 * writing), letting go of its own state (PCB, groups, identifier), and where
 * it keeps "the program shut its writing side".
 */
struct nc_sock;
struct nc_dgram_proto {
	bool (*from_app)(struct nc_sock *s, bool hup);
	void (*release)(struct nc_sock *s);
	bool *(*tx_shut)(struct nc_sock *s);
};
/* The protocol's event handler: the program wrote, shut its end or closed it. */
void nc_dgram_event(struct nc_sock *s, uint32_t events, const struct nc_dgram_proto *p);
/* The protocol's flush: finish reading what a batch cut short. */
void nc_dgram_flush(struct nc_sock *s, const struct nc_dgram_proto *p);
/* The program will write no more (@events: EPOLLHUP closed, EPOLLRDHUP shut for writing). */
void nc_dgram_done(struct nc_sock *s, uint32_t events, const struct nc_dgram_proto *p);

#endif
