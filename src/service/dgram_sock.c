/*
 * dgram_sock.c - the socketpair side of datagram sockets, shared by udp.c
 * and icmp.c (see dgram_sock.h): records, end-of-file, re-framing, and the
 * life cycle of the program's end (written, shut for writing, closed).
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/epoll.h>

#include "dgram_sock.h"
#include "sock_priv.h"

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

/*
 * retire() - the program's end shows both directions shut: closed, or shut
 * with SHUT_RDWR, which a Unix socket cannot tell apart. The protocol's
 * state goes; the identity stays a while (nc_sock_zombify) so that a
 * program still holding the socket gets answers (getsockname, shutdown).
 */
static void retire(struct nc_sock *s, const struct nc_dgram_proto *p)
{
	p->release(s);
	nc_sock_zombify(s);
}

/* nc_dgram_done() - see dgram_sock.h: closed, or shut for writing (then wait for the close). */
void nc_dgram_done(struct nc_sock *s, uint32_t events, const struct nc_dgram_proto *p)
{
	if (events & (EPOLLHUP | EPOLLERR)) {
		retire(s, p);
		return;
	}
	*p->tx_shut(s) = true;
	nc_loop_mod(&s->h, 0);	/* EPOLLHUP is always reported */
}

/* nc_dgram_event() - see dgram_sock.h. */
void nc_dgram_event(struct nc_sock *s, uint32_t events, const struct nc_dgram_proto *p)
{
	bool hup = (events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) != 0;

	if (*p->tx_shut(s)) {
		if (events & (EPOLLHUP | EPOLLERR))
			retire(s, p);
		return;
	}
	if (!p->from_app(s, hup))
		nc_dgram_done(s, events, p);
	else if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN))
		retire(s, p);
}

/* nc_dgram_flush() - see dgram_sock.h. */
void nc_dgram_flush(struct nc_sock *s, const struct nc_dgram_proto *p)
{
	if (s->fd < 0 || *p->tx_shut(s))
		return;
	if (!p->from_app(s, false))
		nc_dgram_done(s, EPOLLRDHUP, p);
}
