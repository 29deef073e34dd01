/*
 * dgram_sock.c - the socketpair side of datagram sockets, shared by udp.c
 * and icmp.c (see dgram_sock.h).
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dgram_sock.h"

#define HOLD_MAX	4096	/* records re-framed at most (the queue is bounded anyway) */

/* nc_dgram_take() - see dgram_sock.h. */
ssize_t nc_dgram_take(int fd, void *buf, size_t size, bool *marked)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			    .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *c;
	ssize_t n;

	*marked = false;
	n = recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		size_t i, k;
		int got;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			close(got);
		}
		*marked = true;
	}
	if (m.msg_flags & MSG_CTRUNC)
		*marked = true;	/* descriptors beyond our buffer were closed by the kernel */
	return n;
}

/*
 * nc_dgram_app_shut() - a connected socket's records are bare payloads, and
 * an empty one reads as end-of-file does: only the peer's state tells them
 * apart.
 */
bool nc_dgram_app_shut(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDHUP };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP));
}

/* nc_dgram_hold() - see dgram_sock.h. */
struct nc_held *nc_dgram_hold(int app, void *buf, size_t size)
{
	struct nc_held *head = NULL, **tail = &head, *r;
	int i;

	if (app < 0)
		return NULL;
	for (i = 0; i < HOLD_MAX; i++) {
		bool marked;
		ssize_t n = nc_dgram_take(app, buf, size, &marked);

		if (n < 0)
			break;
		r = malloc(sizeof(*r) + (size_t)n);
		if (!r)
			continue;	/* out of memory: that datagram is lost, as a full buffer loses one */
		r->next = NULL;
		r->marked = marked;
		r->len = (size_t)n;
		memcpy(r->data, buf, (size_t)n);
		*tail = r;
		tail = &r->next;
	}
	return head;
}

/* nc_dgram_free_held() - the list nc_dgram_hold() made. */
void nc_dgram_free_held(struct nc_held *r)
{
	while (r) {
		struct nc_held *next = r->next;

		free(r);
		r = next;
	}
}
