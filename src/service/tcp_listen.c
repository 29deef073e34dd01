/*
 * tcp_listen.c - TCP listeners: listen(), the accept queue and how
 * connections reach the program, SO_REUSEPORT groups, and admission of SYNs.
 *
 * A connection that completes its handshake on a listener (on_accept())
 * becomes a socket of its own, queued on the listener. listener_push() hands
 * each one to the program on the listening socket itself: a fixed-size record
 * (its id and peer address) with the connection's descriptor attached by
 * SCM_RIGHTS, so accept() is one recvmsg() with no round trip, and several
 * processes sharing a listening socket each get whole connections. The
 * accept queue holds backlog + 1 connections, counting the records the
 * program has not read yet (accept_pending()); SYNs beyond it are dropped,
 * as Linux drops them (netcon_tcp_inpacket()).
 *
 * Listeners on one address and port with SO_REUSEPORT (one user) share one
 * lwIP PCB: a ring of sockets (tcp.group_next), the PCB held by one, new
 * connections dealt round-robin (tcp.rr, kept by the holder).
 *
 * Connections themselves (data, close, reset) are tcp.c's.
 */
#include <errno.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/tcp.h"

#include "netcon_lwip_hooks.h"

#include "sock_priv.h"
#include "addr.h"
#include "ports.h"
#include "stack.h"
#include "../common/fdpass.h"
#include "../common/log.h"

#define PUSH_RETRY_MS	50	/* a listener the kernel refused a descriptor */
#define MAX_ACCEPT_QUEUE 4096

static struct {
	int record_truesize;		/* kernel buffer cost of one accept record */
} lst;

/*
 * measure_record_truesize() - what one unread accept record (with its
 * descriptor) counts for in SIOCOUTQ on this kernel, to turn the unread
 * bytes of a listening socket into a number of connections.
 */
static int measure_record_truesize(void)
{
	struct nc_accept_record rec;
	int pair[2], outq = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair))
		return 0;
	nc_rpc_init_accept(&rec, 1);
	if (nc_send_fd(pair[0], &rec, sizeof(rec), pair[1], MSG_DONTWAIT) != (ssize_t)sizeof(rec) ||
	    ioctl(pair[0], SIOCOUTQ, &outq))
		outq = 0;
	close(pair[0]);
	close(pair[1]);
	return outq;
}

/* nc_tcp_listen_setup() - once at start: measure what an unread accept record costs. */
void nc_tcp_listen_setup(void)
{
	lst.record_truesize = measure_record_truesize();
}

/*
 * accept_pending() - connections waiting for accept(): those not yet pushed
 * plus the records the program has not read. The kernel tells how much of
 * what we sent on the listening socket is unread (SIOCOUTQ, in buffer
 * truesize), and every record costs the same.
 */
static int accept_pending(const struct nc_sock *l)
{
	int unread = 0;

	if (l->fd >= 0 && ioctl(l->fd, SIOCOUTQ, &unread) == 0 && lst.record_truesize > 0)
		return l->tcp.queued + unread / lst.record_truesize;
	return l->tcp.queued;
}

/* push_retry() - the timer nc_tcp_listener_push() set when the kernel refused. */
static void push_retry(void *arg)
{
	struct nc_sock *l = arg;

	l->tcp.push_timer = false;
	nc_tcp_listener_push(l);
}

/*
 * nc_tcp_listener_push() - hand queued connections to the program: one record and
 * the connection's descriptor each, on the listening socket, in order. What
 * the socket cannot take now (its buffer full, or too many descriptors in
 * flight for the kernel) waits here for EPOLLOUT.
 */
void nc_tcp_listener_push(struct nc_sock *l)
{
	struct nc_accept_record rec;
	struct nc_sock *c;

	while ((c = l->tcp.queue_head) && l->fd >= 0) {
		nc_rpc_init_accept(&rec, c->id);
		rec.addrlen = nc_addr_to_sockaddr(&c->remote_ip, c->remote_port, c->domain, rec.addr);
		if (nc_send_fd(l->fd, &rec, sizeof(rec), c->app_fd, MSG_DONTWAIT) != (ssize_t)sizeof(rec)) {
			if (errno != EAGAIN && !l->tcp.push_timer) {
				/*
				 * Too many descriptors in flight (ETOOMANYREFS) or
				 * no memory: the socket stays writable, so EPOLLOUT
				 * would spin. Try again shortly instead.
				 */
				nc_debug("listener %llu: cannot hand over a connection (%m); retrying",
					 (unsigned long long)l->id);
				l->tcp.push_timer = true;
				sys_timeout(PUSH_RETRY_MS, push_retry, l);
			}
			break;
		}
		l->tcp.queue_head = c->tcp.queue_next;
		if (!l->tcp.queue_head)
			l->tcp.queue_tail = NULL;
		l->tcp.queued--;
		c->tcp.listener = NULL;
		c->tcp.queue_next = NULL;
		close(c->app_fd);	/* the program holds it now, or the kernel in flight */
		c->app_fd = -1;
		if (c->tcp.pcb)
			tcp_backlog_accepted(c->tcp.pcb);
	}
	nc_tcp_update_events(l);
}

/* leave_group() - a listener goes: hand the shared PCB to another member. */
static void leave_group(struct nc_sock *s)
{
	struct nc_sock *prev, *m;

	if (!s->tcp.group_next || s->tcp.group_next == s)
		return;
	for (prev = s; prev->tcp.group_next != s; prev = prev->tcp.group_next)
		;
	prev->tcp.group_next = s->tcp.group_next;
	if (s->tcp.pcb) {
		m = s->tcp.group_next;
		m->tcp.pcb = s->tcp.pcb;
		m->tcp.rr = NULL;
		tcp_arg(m->tcp.pcb, m);
		s->tcp.pcb = NULL;
	} else {
		for (m = s->tcp.group_next; m != s && !m->tcp.pcb; m = m->tcp.group_next)
			;
		if (m->tcp.pcb && m->tcp.rr == s)
			m->tcp.rr = s->tcp.group_next;
	}
	s->tcp.group_next = s;
}

/*
 * netcon_tcp_inpacket() - lwIP's hook for each segment it has matched to a
 * PCB. A SYN to a listener whose accept queue is full (backlog + 1, counting
 * the records the program has not read) is dropped, as Linux drops it; the
 * client tries again a second later. lwIP's own backlog (255) then bounds
 * only the handshakes in progress: a connection leaves its count once
 * pushed to the program; when they are all taken (a SYN flood), the
 * listener's oldest half-open connection gives its slot to the new SYN
 * (synguard.c). On a connection, a flood of tiny out-of-order segments is
 * cut short (oosguard.c).
 */
err_t netcon_tcp_inpacket(struct tcp_pcb *pcb, const struct tcp_hdr *hdr, const struct pbuf *p)
{
	struct nc_sock *holder, *l;

	if (pcb->state != LISTEN)	/* @p: payload; tiny out-of-order floods (oosguard.c) */
		return netcon_ooseq_admit(pcb, hdr, p) ? ERR_OK : ERR_ABRT;
	if ((TCPH_FLAGS(hdr) & (TCP_SYN | TCP_ACK)) != TCP_SYN)
		return ERR_OK;
	holder = pcb->callback_arg;
	if (holder) {
		l = holder->tcp.rr ? holder->tcp.rr : holder;
		if (accept_pending(l) > l->tcp.backlog)
			return ERR_ABRT;
	}
	/* All half-open slots taken: the oldest makes room (synguard.c). */
	return netcon_syn_admit((struct tcp_pcb_listen *)pcb) ? ERR_OK : ERR_ABRT;
}

/* on_accept() - a connection completed its handshake on a listener. */
static err_t on_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
	struct nc_sock *holder = arg, *l, *c;
	int pending;

	if (!holder || err != ERR_OK || !newpcb)
		return ERR_VAL;
	l = holder->tcp.rr ? holder->tcp.rr : holder;
	holder->tcp.rr = l->tcp.group_next;
	pending = accept_pending(l);
	if (pending > l->tcp.backlog || l->tcp.queued >= MAX_ACCEPT_QUEUE) {
		/* The accept queue is full (it holds backlog + 1, as Linux's does). */
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	c = nc_sock_new(&nc_proto_tcp, l->domain, l, l->uid, l->owner);
	if (!c) {
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	/*
	 * The claim byte: libnetcon's accept() reads it away. A connection
	 * whose descriptor is dropped unread (its listener closed with it in
	 * the queue) then leaves it unread, which our end sees as an error:
	 * reset, as the kernel resets connections a closed listener held
	 * (tcp.c's app_left_unread()).
	 */
	if (send(c->fd, "", 1, MSG_DONTWAIT | MSG_NOSIGNAL) != 1) {
		nc_sock_release(c);
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	c->tcp.pcb = newpcb;
	nc_tcp_set_state(c, SOCK_CONNECTED);
	c->tcp.wire_mss = nc_stack_raise_mss(newpcb);
	c->local_ip = newpcb->local_ip;
	c->local_port = newpcb->local_port;
	c->bound = true;
	nc_port_hold(c);
	c->remote_ip = newpcb->remote_ip;
	c->remote_port = newpcb->remote_port;
	c->have_remote = true;
	nc_tcp_set_callbacks(c);
	nc_tcp_apply_opts(c);
	tcp_backlog_delayed(newpcb);
	c->tcp.listener = l;
	if (l->tcp.queue_tail)
		l->tcp.queue_tail->tcp.queue_next = c;
	else
		l->tcp.queue_head = c;
	l->tcp.queue_tail = c;
	l->tcp.queued++;
	nc_tcp_listener_push(l);
	nc_tcp_update_events(c);
	return ERR_OK;
}

/*
 * nc_tcp_listen() - LISTEN: bind to the wildcard if not bound, then join an
 * SO_REUSEPORT group on the same address (same user, same family) or make a
 * listening PCB of our own. Listening again only changes the backlog.
 */
int nc_tcp_listen(struct nc_sock *s, const struct nc_request *req, int app_fd)
{
	struct tcp_pcb *pcb, *lpcb;
	int backlog = req->arg[0];
	ip_addr_t any;
	u8_t type;
	int r;

	if (backlog < 0 || backlog > 4096)
		backlog = 4096;
	if (s->state == SOCK_LISTEN) {
		s->tcp.backlog = backlog;	/* netcon_tcp_inpacket() enforces it */
		return 0;
	}
	/*
	 * A listener stopped by shutdown() has its socketpair shut (that is
	 * how every accept() waiting learnt it): it cannot hand over
	 * connections again. Linux would listen again; README "Known limits".
	 */
	if (s->state != SOCK_NEW || s->tcp.listen_was_shut)
		return -EINVAL;
	if (!s->bound) {
		nc_any_addr(s, &any);
		r = nc_port_bind(s, &any, 0);
		if (r)
			return r;
		s->autobound = true;
	}
	if (s->opts.reuseport) {
		struct nc_sock *o;

		for (o = nc_port_holders(s, s->local_port); o; o = o->bnext) {
			if (o != s && o->state == SOCK_LISTEN && o->tcp.pcb && o->opts.reuseport &&
			    o->uid == s->uid && o->domain == s->domain && ip_addr_cmp(&o->local_ip, &s->local_ip)) {
				nc_tcp_set_state(s, SOCK_LISTEN);
				s->tcp.backlog = backlog;
				s->tcp.group_next = o->tcp.group_next;
				o->tcp.group_next = s;
				if (nc_tcp_lent_fd(s, app_fd))
					nc_tcp_fill_unwritable(app_fd);
				return 0;
			}
		}
	}
	/* Listening sockets may not share an address and port unless SO_REUSEPORT. */
	s->state = SOCK_LISTEN;		/* for the check only: listeners conflict by their own rule */
	if (nc_port_conflict(s, &s->local_ip, s->local_port)) {
		s->state = SOCK_NEW;
		return -EADDRINUSE;
	}
	s->state = SOCK_NEW;
	type = IP_GET_TYPE(&s->local_ip);
	pcb = tcp_new_ip_type(type);
	if (!pcb)
		return -ENOBUFS;
	ip_set_option(pcb, SOF_REUSEADDR);
	if (tcp_bind(pcb, &s->local_ip, s->local_port) != ERR_OK) {
		tcp_abort(pcb);
		return -EADDRINUSE;
	}
	/*
	 * lwIP counts half-open connections against its backlog and has no SYN
	 * cookies: give it the most, so a few unanswered SYNs cannot lock the
	 * listener, and enforce the program's backlog on the accept queue.
	 */
	lpcb = tcp_listen_with_backlog(pcb, 255);
	if (!lpcb) {
		tcp_abort(pcb);
		return -EADDRINUSE;
	}
	s->tcp.pcb = lpcb;
	s->tcp.backlog = backlog;
	/* A listening socket is never writable; the program never writes to it. */
	if (nc_tcp_lent_fd(s, app_fd))
		nc_tcp_fill_unwritable(app_fd);
	s->tcp.group_next = s;
	s->tcp.rr = NULL;
	nc_tcp_set_state(s, SOCK_LISTEN);
	tcp_arg(lpcb, s);
	tcp_accept(lpcb, on_accept);
	return 0;
}


/*
 * nc_tcp_listen_release() - listener @l goes: the connections still queued
 * on it are reset and released, its retry timer stopped, its place in an
 * SO_REUSEPORT group handed on, and its PCB (if it still holds it) closed.
 */
void nc_tcp_listen_release(struct nc_sock *l)
{
	struct nc_sock *c;

	while ((c = l->tcp.queue_head)) {
		l->tcp.queue_head = c->tcp.queue_next;
		c->tcp.listener = NULL;
		nc_tcp_pcb_abort(c);
		nc_sock_release(c);
	}
	l->tcp.queued = 0;
	l->tcp.queue_tail = NULL;
	if (l->tcp.push_timer)
		sys_untimeout(push_retry, l);
	l->tcp.push_timer = false;
	leave_group(l);
	nc_tcp_pcb_close(l);
}

/*
 * nc_tcp_listen_shutdown() - shutdown(SHUT_RD or SHUT_RDWR) of a listener,
 * as Linux's: it stops listening, the connections waiting for accept() are
 * reset, and accept() fails with EINVAL from then on, in every thread that
 * waits in it. The request lent us the program's end (@app_fd), so the
 * connections already handed over but not taken are read back and reset
 * too. A port the listener bound itself (listen() without bind()) goes.
 */
int nc_tcp_listen_shutdown(struct nc_sock *l, int app_fd)
{
	struct nc_accept_record rec;
	struct nc_sock *c;
	const char *why;
	int cfd;

	while (nc_tcp_lent_fd(l, app_fd)) {
		/* What the program left may be anything (a part of a record): close whatever came. */
		ssize_t n = nc_recv_fd(app_fd, &rec, sizeof(rec), &cfd, MSG_DONTWAIT);

		if (n == (ssize_t)sizeof(rec) && !nc_rpc_check_accept(&rec, sizeof(rec), &why) &&
		    (c = nc_sock_find(rec.sock)) && c->proto == &nc_proto_tcp) {
			nc_tcp_pcb_abort(c);
			nc_sock_release(c);
		}
		if (cfd >= 0)
			close(cfd);
		if (n <= 0)
			break;
	}
	nc_tcp_listen_release(l);
	nc_tcp_set_state(l, SOCK_NEW);
	l->tcp.listen_was_shut = true;	/* connect() says EINVAL then, as Linux's */
	if (l->autobound) {
		nc_port_release(l);
		l->autobound = false;
	}
	/* Every accept() waiting, and each later one, reads end-of-file: EINVAL. */
	if (l->fd >= 0)
		shutdown(l->fd, SHUT_WR);
	return 0;
}

/* nc_tcp_listen_unqueue() - connection @c, still in its listener's queue, leaves it. */
void nc_tcp_listen_unqueue(struct nc_sock *c)
{
	struct nc_sock *l = c->tcp.listener, **pp, *q;

	for (pp = &l->tcp.queue_head; *pp; pp = &(*pp)->tcp.queue_next) {
		if (*pp == c) {
			*pp = c->tcp.queue_next;
			l->tcp.queued--;
			break;
		}
	}
	l->tcp.queue_tail = NULL;
	for (q = l->tcp.queue_head; q; q = q->tcp.queue_next)
		l->tcp.queue_tail = q;
	c->tcp.listener = NULL;
}
