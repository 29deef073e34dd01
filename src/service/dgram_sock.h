/*
 * dgram_sock.h - what the datagram protocols (udp.c, icmp.c) share on the
 * socketpair side: taking the program's records, telling its end-of-file,
 * and holding a program's queue while it is re-framed (src/common/dgram.h).
 */
#ifndef NETCON_DGRAM_SOCK_H
#define NETCON_DGRAM_SOCK_H

#include <stdbool.h>
#include <stddef.h>
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

#endif
