/*
 * tcp.c - TCP connections inside the service: the protocol behind
 * SOCK_STREAM sockets (nc_proto_tcp, at the end of this file).
 *
 * A TCP socket's life:
 *
 *   NEW --bind--> (bound) --listen--> LISTEN            (tcp_listen.c)
 *    |                      \--connect--> CONNECTING --> CONNECTED --> (closed)
 *    \--connect--> CONNECTING ...                  \--> FAILED (SO_ERROR set)
 *
 * Data path of a connection, with flow control end to end:
 *   program -> socketpair -> here: read only what tcp_sndbuf() can take;
 *     when it is full, stop watching the socketpair until lwIP reports acks.
 *     lwIP copies what it is given, except on a bulk connection over the
 *     switch or a tap: that reads into a send ring lwIP references.
 *   network -> lwIP -> here: keep the pbufs, write them to the socketpair when
 *     it has room, and only then tcp_recved() them, so the window advertised
 *     to the peer is the room the program has really made.
 *   FIN: the program's shutdown(SHUT_WR) or close reads as end-of-file here
 *     and becomes tcp_shutdown(); the peer's FIN becomes shutdown(SHUT_WR)
 *     on our end after all data, so the program reads end-of-file.
 *   The program's last close shows here as EPOLLHUP: the rest of its data is
 *   sent, then the PCB is closed (or reset, if data it never read is left, as
 *   the kernel does).
 *
 * A non-blocking connect() must leave the fd unwritable until the connection
 * is established or fails. A Unix socket is writable only while what it sent
 * and its peer has not read stays under a quarter of its send buffer, so the
 * intercept lends us its descriptor with CONNECT: we shrink its send buffer
 * and write a filler through it until a send fails (our copy is closed with
 * the request, so a close during the attempt shows as usual). Once the
 * connection is up we read the filler away on our end: that is the moment
 * the program sees POLLOUT; the buffer grows back when the program next
 * lends the descriptor, or in libnetcon at its first send. If the attempt
 * fails, our end closes with the filler unread, which the kernel shows on
 * the program's end as POLLERR, as Linux's failed connect.
 *
 * Options are tcp_opt.c's (IPPROTO_TCP) and sockopt.c's (the other levels).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "lwip/ip.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/tcp.h"

#include "sock_priv.h"
#include "addr.h"
#include "ports.h"
#include "stack.h"
#include "timewait.h"
#include "neigh.h"
#include "clock.h"
#include "link.h"
#include "../common/log.h"
#include "iobuf.h"

#define READ_CHUNK	(256 * 1024)
/*
 * The send ring: as large as lwIP's send buffer, so that what lwIP can take
 * always fits; a connection gets one once it has sent TX_RING_AFTER bytes by
 * copy (request-response connections never do).
 */
#define TX_RING_SIZE	TCP_SND_BUF
#define TX_RING_AFTER	(1024 * 1024)
_Static_assert((TX_RING_SIZE & (TX_RING_SIZE - 1)) == 0, "ring offsets survive sequence wrap");
#define WRITE_IOV	64
#define NEIGH_GIVEUP_MS	3000	/* Linux: 3 ARP probes, 1 s apart */

struct nc_tcp_counts nc_tcp_counts;

static struct {
	uint8_t scratch[READ_CHUNK] NC_IO_ALIGNED;	/* what tx_pull() reads from a program, and the filler */
} pump;

/* ---------------------------------------------------------------- state -- */

/*
 * nc_tcp_set_state() - the one place a TCP socket changes state (see the
 * diagram at the top): it keeps the status counts of connections and
 * listeners, and notes what later calls must know (a connection that was
 * established and then failed answers connect() with EISCONN, as Linux's).
 */
void nc_tcp_set_state(struct nc_sock *s, enum nc_sock_state to)
{
	enum nc_sock_state from = s->state;

	if (from == to)
		return;
	if (from == SOCK_CONNECTED)
		nc_tcp_counts.conns--;
	else if (from == SOCK_LISTEN)
		nc_tcp_counts.listeners--;
	if (to == SOCK_CONNECTED)
		nc_tcp_counts.conns++;
	else if (to == SOCK_LISTEN)
		nc_tcp_counts.listeners++;
	if (from == SOCK_CONNECTED && to == SOCK_FAILED)
		s->tcp.was_connected = true;
	s->state = to;
}

/* ------------------------------------------------------------------ PCB -- */

static void ring_release(struct nc_sock *s);

/*
 * pcb_detach() - cut the PCB loose from @s; lwIP owns it from here. Its
 * segments must not point into @s's send ring any more (ring_release()).
 */
static void pcb_detach(struct nc_sock *s)
{
	if (!s->tcp.pcb)
		return;
	tcp_arg(s->tcp.pcb, NULL);
	if (s->state != SOCK_LISTEN) {
		tcp_recv(s->tcp.pcb, NULL);
		tcp_sent(s->tcp.pcb, NULL);
		tcp_err(s->tcp.pcb, NULL);
		tcp_poll(s->tcp.pcb, NULL, 0);
	} else {
		tcp_accept(s->tcp.pcb, NULL);
	}
	s->tcp.pcb = NULL;
}

/*
 * nc_sock_pcb_leaving() - lwIP is about to free a TIME_WAIT PCB that a
 * socket may still hold (timewait.c drains them; lwIP's own timer would too):
 * the socket lets go of it first, as if the PCB had closed under it.
 */
void nc_sock_pcb_leaving(struct tcp_pcb *pcb)
{
	struct nc_sock *s = pcb->callback_arg;

	if (s && s->tcp.pcb == pcb) {
		nc_timewait_note_close(pcb, s->opts.reuseaddr);
		ring_release(s);	/* TIME_WAIT: nothing left unacknowledged */
		pcb_detach(s);
	} else {
		tcp_arg(pcb, NULL);
	}
}

/*
 * The PCB we reset last. lwIP frees a PCB in tcp_abort(); a callback that
 * led to it (on_sent() through a program's close, say) must then return
 * ERR_ABRT, or lwIP goes on using freed memory. Callbacks that may reset
 * clear this on entry and compare on exit (callback_result()).
 */
static struct tcp_pcb *last_aborted;

/* callback_result() - what an lwIP callback on @pcb returns after its work. */
static err_t callback_result(const struct tcp_pcb *pcb)
{
	return last_aborted == pcb ? ERR_ABRT : ERR_OK;
}

/* nc_tcp_pcb_abort() - send RST and free the PCB (with its segments: the ring goes after). */
void nc_tcp_pcb_abort(struct nc_sock *s)
{
	struct tcp_pcb *pcb = s->tcp.pcb;
	uint8_t *ring = s->tcp.ring;

	if (!pcb)
		return;
	s->tcp.ring = NULL;
	pcb_detach(s);
	last_aborted = pcb;
	tcp_abort(pcb);
	free(ring);
}

/*
 * on_recv_orphan() - data for a connection nobody holds any more (the program
 * closed it; lwIP is finishing the close): like the kernel, answer with RST.
 * The FIN is lwIP's to handle.
 */
static err_t on_recv_orphan(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	(void)arg;
	(void)err;
	if (!p)
		return ERR_OK;
	pbuf_free(p);
	tcp_abort(pcb);
	return ERR_ABRT;
}

/* nc_tcp_pcb_close() - end the connection gracefully; RST if lwIP cannot. */
void nc_tcp_pcb_close(struct nc_sock *s)
{
	struct tcp_pcb *pcb;
	bool listening = s->state == SOCK_LISTEN;

	ring_release(s);	/* the PCB sends what is unacknowledged from copies (or was reset) */
	pcb = s->tcp.pcb;
	if (!pcb)
		return;
	pcb_detach(s);
	if (!listening) {
		tcp_recv(pcb, on_recv_orphan);
		nc_timewait_note_close(pcb, s->opts.reuseaddr);
	}
	if (tcp_close(pcb) != ERR_OK) {
		last_aborted = pcb;
		tcp_abort(pcb);
	}
}

/* nc_tcp_apply_opts() - put the socket's Nagle and keepalive settings on its PCB. */
void nc_tcp_apply_opts(struct nc_sock *s)
{
	struct tcp_pcb *pcb = s->tcp.pcb;

	if (!pcb || s->state == SOCK_LISTEN)
		return;
	if (s->tcp.nodelay)
		tcp_nagle_disable(pcb);
	else
		tcp_nagle_enable(pcb);
	if (s->opts.keepalive)
		ip_set_option(pcb, SOF_KEEPALIVE);
	else
		ip_reset_option(pcb, SOF_KEEPALIVE);
	pcb->keep_idle = (u32_t)s->tcp.keepidle * 1000u;
	pcb->keep_intvl = (u32_t)s->tcp.keepintvl * 1000u;
	pcb->keep_cnt = (u32_t)s->tcp.keepcnt;
}

/* ------------------------------------------------------------ data path -- */

/* rx_pop() - free the first pbuf of the receive queue. */
static void rx_pop(struct nc_sock *s)
{
	struct pbuf *head = s->tcp.rx;

	s->tcp.rx = head->next;
	if (!s->tcp.rx)
		s->tcp.rx_tail = NULL;
	head->next = NULL;
	pbuf_free(head);
	s->tcp.rx_off = 0;
}

/* app_end_closed() - has the program closed its end for good (HUP pending)? */
static bool app_end_closed(const struct nc_sock *s)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP);
}

/* rx_discard() - drop what the peer sent and nobody will read, opening the window. */
static void rx_discard(struct nc_sock *s)
{
	while (s->tcp.rx) {
		if (s->tcp.pcb)
			tcp_recved(s->tcp.pcb, (u16_t)(s->tcp.rx->len - s->tcp.rx_off));
		rx_pop(s);
	}
}

/*
 * rx_flush() - write what the peer sent to the program's socketpair, as much
 * as it takes, and open the TCP window by exactly that much.
 */
static void rx_flush(struct nc_sock *s)
{
	nc_splice_flush(s);
	while (s->tcp.rx && s->fd >= 0) {
		struct iovec iov[WRITE_IOV];
		struct pbuf *q;
		int n = 0;
		ssize_t w;
		size_t left;

		for (q = s->tcp.rx; q && n < WRITE_IOV; q = q->next) {
			uint32_t off = q == s->tcp.rx ? s->tcp.rx_off : 0;

			if (q->len <= off)
				continue;
			iov[n].iov_base = (uint8_t *)q->payload + off;
			iov[n].iov_len = q->len - off;
			n++;
		}
		w = writev(s->fd, iov, n);
		if (w < 0) {
			if (errno == EPIPE && !app_end_closed(s)) {
				/*
				 * The program shut its reading side: what still
				 * arrives is dropped (and acknowledged), or EPOLLOUT
				 * would wake us for it forever.
				 */
				rx_discard(s);
				continue;
			}
			/* EAGAIN, or the program's end is gone: the HUP handler finishes. */
			break;
		}
		left = (size_t)w;
		if (s->tcp.pcb) {
			size_t acked = left;

			while (acked > 0) {
				u16_t chunk = acked > 0xffff ? 0xffff : (u16_t)acked;

				tcp_recved(s->tcp.pcb, chunk);
				acked -= chunk;
			}
		}
		while (left > 0 && s->tcp.rx) {
			uint32_t avail = s->tcp.rx->len - s->tcp.rx_off;

			if (left < avail) {
				s->tcp.rx_off += (uint32_t)left;
				left = 0;
			} else {
				left -= avail;
				rx_pop(s);
			}
		}
		while (s->tcp.rx && s->tcp.rx->len == s->tcp.rx_off)
			rx_pop(s);
	}
	if (!s->tcp.rx && s->tcp.rx_fin && !s->tcp.rx_fin_done && s->fd >= 0 && !nc_splice_pending(s)) {
		shutdown(s->fd, s->state == SOCK_FAILED ? SHUT_RDWR : SHUT_WR);
		s->tcp.rx_fin_done = true;
	}
}

static void tcp_conn_failed(struct nc_sock *s, int e);

/* ------------------------------------------------------------ send ring -- */

/*
 * Once a connection has sent TX_RING_AFTER bytes over a link that takes
 * frames in pieces, tx_pull() reads the program's bytes into the
 * connection's send ring and hands lwIP references to them (tcp_write()
 * without TCP_WRITE_FLAG_COPY): a segment is its header pbuf and ROM pbufs
 * into the ring, and eth_output() passes that chain to the kernel as it is.
 * One copy in user space fewer per byte sent. A byte of the ring is not
 * reused while any queued segment (unsent, or unacknowledged, even in part)
 * may still read it; when the PCB goes on without us, its segments get
 * copies of their data first (ring_release()).
 */

static size_t tx_room(const struct nc_sock *s);

/* ring_oldest() - the first sequence number a queued segment of @pcb may still read. */
static u32_t ring_oldest(const struct tcp_pcb *pcb)
{
	u32_t oldest = pcb->snd_lbb;

	/* Each queue is in sequence order; a retransmission moves segments between them. */
	if (pcb->unacked && TCP_SEQ_LT(lwip_ntohl(pcb->unacked->tcphdr->seqno), oldest))
		oldest = lwip_ntohl(pcb->unacked->tcphdr->seqno);
	if (pcb->unsent && TCP_SEQ_LT(lwip_ntohl(pcb->unsent->tcphdr->seqno), oldest))
		oldest = lwip_ntohl(pcb->unsent->tcphdr->seqno);
	return oldest;
}

/* ring_wanted() - whether @s sends from a ring from now on (see above). */
static bool ring_wanted(struct nc_sock *s)
{
	if (s->tcp.ring)
		return true;
	if (s->tcp.tx_copied < TX_RING_AFTER || !nc_link_takes_pieces() || s->tcp.sp_to ||
	    nc_tcp_remote_local(s))
		return false;
	s->tcp.ring = malloc(TX_RING_SIZE);
	if (!s->tcp.ring)
		return false;
	s->tcp.ring_base = s->tcp.pcb->snd_lbb;
	s->tcp.ring_clean = false;
	return true;
}

/*
 * ring_free() - how many bytes of @s's ring no queued segment may read.
 * Less than lwIP's own room while a segment is acknowledged only in part
 * (all of it stays queued): tx_room() takes the smaller.
 */
static size_t ring_free(const struct nc_sock *s)
{
	const struct tcp_pcb *pcb = s->tcp.pcb;
	u32_t head = pcb->snd_lbb, oldest = ring_oldest(pcb), used;

	/* Until the segments copied before the ring are gone, the ring holds only what followed. */
	if (s->tcp.ring_clean || !TCP_SEQ_LT(oldest, s->tcp.ring_base))
		used = head - oldest;
	else
		used = head - s->tcp.ring_base;
	return used >= TX_RING_SIZE ? 0 : TX_RING_SIZE - used;
}

/* ring_room() - where in the ring the next bytes go, and how many fit there in one piece. */
static size_t ring_room(struct nc_sock *s, uint8_t **at)
{
	u32_t head = s->tcp.pcb->snd_lbb;
	size_t off = (size_t)((head - s->tcp.ring_base) % TX_RING_SIZE), room = ring_free(s);

	/* Decided once: sequence comparisons with ring_base mean nothing 2 GiB on. */
	if (!s->tcp.ring_clean && !TCP_SEQ_LT(ring_oldest(s->tcp.pcb), s->tcp.ring_base))
		s->tcp.ring_clean = true;
	*at = s->tcp.ring + off;
	return LWIP_MIN(room, TX_RING_SIZE - off);
}

/*
 * own_data() - give every pbuf of @seg's chains that points into
 * [@lo, @lo + TX_RING_SIZE) a copy of its bytes. false: no memory, or a pbuf
 * someone else holds too.
 */
static bool own_data(struct tcp_seg *seg, const uint8_t *lo, size_t *copied)
{
	for (; seg; seg = seg->next) {
		struct pbuf **link;

		for (link = &seg->p; *link; link = &(*link)->next) {
			struct pbuf *q = *link, *r;
			const uint8_t *at = q->payload;

			if (at < lo || at >= lo + TX_RING_SIZE)
				continue;
			if (q->ref != 1 || !(r = pbuf_alloc(PBUF_RAW, q->len, PBUF_RAM)))
				return false;
			memcpy(r->payload, q->payload, q->len);
			*copied += q->len;
			r->tot_len = q->tot_len;
			r->next = q->next;
			q->next = NULL;
			*link = r;
			pbuf_free(q);
		}
	}
	return true;
}

/*
 * ring_release() - @s lets go of its ring: the PCB, if it goes on (closing
 * gracefully, its data still to be acknowledged), gets copies of what its
 * segments referenced; if that fails, it is reset instead (s->tcp.pcb is
 * then NULL: callers read it after this).
 */
static void ring_release(struct nc_sock *s)
{
	struct tcp_pcb *pcb = s->tcp.pcb;
	size_t copied = 0;

	if (!s->tcp.ring)
		return;
	if (pcb && (!own_data(pcb->unsent, s->tcp.ring, &copied) ||
		    !own_data(pcb->unacked, s->tcp.ring, &copied))) {
		nc_err("socket %llu: no memory to keep its unacknowledged data; resetting",
		       (unsigned long long)s->id);
		pcb_detach(s);
		last_aborted = pcb;
		tcp_abort(pcb);
	} else if (copied) {
		nc_debug("socket %llu: %zu bytes still to be acknowledged copied out of its send ring",
			 (unsigned long long)s->id, copied);
	}
	free(s->tcp.ring);
	s->tcp.ring = NULL;
}

static bool tx_give(struct nc_sock *s, const uint8_t *buf, size_t n, u8_t copy);

/* tx_pull_ring() - tx_pull() for a connection with a send ring. */
static bool tx_pull_ring(struct nc_sock *s)
{
	int rounds;

	for (rounds = 0; rounds < 4; rounds++) {
		size_t room = tx_room(s), fit;
		uint8_t *at;
		ssize_t n;

		if (room == 0 || !(fit = ring_room(s, &at)))
			return true;
		room = LWIP_MIN(LWIP_MIN(room, fit), (size_t)READ_CHUNK);
		n = read(s->fd, at, room);
		if (n == 0)
			return false;
		if (n < 0)
			return true;
		if (!tx_give(s, at, (size_t)n, 0))	/* by reference */
			return true;
		if ((size_t)n < room)
			return true;
	}
	return true;
}

/* tx_room() - how many bytes lwIP can take from the program now. */
static size_t tx_room(const struct nc_sock *s)
{
	size_t room, segs;

	if (!s->tcp.pcb || s->state != SOCK_CONNECTED || s->tcp.tx_eof)
		return 0;
	room = tcp_sndbuf(s->tcp.pcb);
	if (s->tcp.ring)
		room = LWIP_MIN(room, ring_free(s));
	segs = TCP_SND_QUEUELEN - tcp_sndqueuelen(s->tcp.pcb);
	if (segs < 8)
		return 0;
	if (s->tcp.pcb->mss && room / s->tcp.pcb->mss > segs - 8)
		room = (size_t)s->tcp.pcb->mss * (segs - 8);
	return room;
}

/* tx_finish() - queue our FIN once the program has no more to send. */
static void tx_finish(struct nc_sock *s)
{
	if (!s->tcp.tx_eof || s->tcp.tx_fin_done || !s->tcp.pcb)
		return;
	if (tcp_shutdown(s->tcp.pcb, 0, 1) == ERR_OK) {
		s->tcp.tx_fin_done = true;
		tcp_output(s->tcp.pcb);
	}
}

/*
 * tx_give() - @n bytes read from the program into lwIP (tx_room() said it
 * has room): copied (@copy TCP_WRITE_FLAG_COPY), or by reference from the
 * send ring (0).
 */
static bool tx_give(struct nc_sock *s, const uint8_t *buf, size_t n, u8_t copy)
{
	size_t off = 0;

	while (off < n) {
		size_t chunk = n - off;
		u8_t flags = copy;
		err_t err;

		if (chunk > 0xffff) {
			chunk = 0xffff;
			flags |= TCP_WRITE_FLAG_MORE;
		}
		err = tcp_write(s->tcp.pcb, buf + off, (u16_t)chunk, flags);
		if (err != ERR_OK) {
			/* Cannot happen given tx_room(); never lose the bytes quietly. */
			nc_err("tcp_write: error %d with %zu bytes read; resetting", err, n - off);
			tcp_conn_failed(s, ENOBUFS);
			return false;
		}
		off += chunk;
	}
	if (copy)
		s->tcp.tx_copied += n;
	tcp_output(s->tcp.pcb);
	return true;
}

/*
 * tx_pull() - read from the program and hand it to lwIP, no more than lwIP
 * can take, so nothing read is ever dropped (or, for a connection to a
 * socket of this service, straight to its program: tcp_splice.c). Returns
 * false at end-of-file.
 */
static bool tx_pull(struct nc_sock *s)
{
	const uint8_t *rest;
	size_t rest_len;
	int rounds;

	switch (nc_splice_pull(s, &rest, &rest_len)) {
	case NC_SPLICE_EOF:
		return false;
	case NC_SPLICE_MORE:
		return true;
	case NC_SPLICE_OFF:
		if (!rest_len)
			break;
		if (rest_len > tx_room(s)) {
			/* Cannot happen: a linked connection's lwIP queue is empty. */
			nc_err("shortcut fallback: %zu bytes read, lwIP takes %zu; resetting",
			       rest_len, tx_room(s));
			tcp_conn_failed(s, ENOBUFS);
			return true;
		}
		if (!tx_give(s, rest, rest_len, TCP_WRITE_FLAG_COPY))
			return true;
		break;
	}
	if (tx_room(s) && ring_wanted(s))
		return tx_pull_ring(s);
	for (rounds = 0; rounds < 4; rounds++) {
		size_t room = tx_room(s);
		ssize_t n;

		if (room == 0)
			return true;
		if (room > sizeof(pump.scratch))
			room = sizeof(pump.scratch);
		n = read(s->fd, pump.scratch, room);
		if (n == 0)
			return false;
		if (n < 0)
			return true;
		if (!tx_give(s, pump.scratch, (size_t)n, TCP_WRITE_FLAG_COPY))
			return true;
		if ((size_t)n < room)
			return true;
	}
	return true;
}

/*
 * nc_tcp_fill_unwritable() - make the program's end @app_fd (lent with a
 * request) unwritable: shrink its send buffer and fill it with bytes our end
 * does not read. Returns how many were written (the filler).
 */
uint32_t nc_tcp_fill_unwritable(int app_fd)
{
	uint32_t filler = 0;
	int small = 1, i;

	setsockopt(app_fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	/*
	 * Until a send fails, not merely until poll() stops saying POLLOUT
	 * (at a quarter of the buffer): the program's own send must say
	 * EAGAIN too, as the kernel's does on a connecting socket.
	 */
	for (i = 0; i < 256; i++) {
		ssize_t n = send(app_fd, pump.scratch, 512, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n <= 0)
			break;
		filler += (uint32_t)n;
	}
	return filler;
}

/* nc_tcp_lent_fd() - is @fd (a descriptor a request carried) @s's program end? */
bool nc_tcp_lent_fd(const struct nc_sock *s, int fd)
{
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && (uint64_t)st.st_ino == s->id;
}

/*
 * hold_unwritable() - a non-blocking connect lent us the program's end
 * (@in_fd): make it unwritable until release_writable() reads the filler
 * away. Its copy is not kept, or the program's close during the attempt
 * could not be seen; its send buffer is grown back when it next lends it
 * (grow_lent()), or by libnetcon on its first send.
 */
static void hold_unwritable(struct nc_sock *s, int in_fd)
{
	if (!nc_tcp_lent_fd(s, in_fd))
		return;
	s->tcp.filler += nc_tcp_fill_unwritable(in_fd);
	s->tcp.shrunk = true;
}

/* grow_lent() - a request lent us the program's end: undo hold_unwritable()'s shrinking. */
static void grow_lent(struct nc_sock *s, int in_fd)
{
	if (s->tcp.shrunk && s->state != SOCK_CONNECTING && nc_tcp_lent_fd(s, in_fd)) {
		nc_sock_grow_buffers(in_fd);
		s->tcp.shrunk = false;
	}
}

/*
 * release_writable() - the connection is up or has failed: restore the
 * program's send buffer, read the filler away and hand the descriptor back.
 */
static void release_writable(struct nc_sock *s)
{
	while (s->tcp.filler > 0 && s->fd >= 0) {
		size_t want = s->tcp.filler > sizeof(pump.scratch) ? sizeof(pump.scratch) : s->tcp.filler;
		ssize_t n = read(s->fd, pump.scratch, want);

		if (n <= 0)
			break;
		s->tcp.filler -= (uint32_t)n;
	}
}

/* nc_tcp_update_events() - watch the socketpair for what the data path needs now. */
void nc_tcp_update_events(struct nc_sock *s)
{
	uint32_t ev = 0;

	if (s->fd < 0 || s->dead || s->tcp.app_gone)
		return;
	if (s->tcp.rx || nc_splice_pending(s) ||
	    (s->state == SOCK_LISTEN && s->tcp.queue_head && !s->tcp.push_timer))
		ev |= EPOLLOUT;
	if (s->state == SOCK_CONNECTED && !s->tcp.tx_eof && tx_room(s) > 0 && !nc_splice_blocked(s))
		ev |= EPOLLIN | EPOLLRDHUP;
	nc_loop_mod(&s->h, ev);
}

static void tcp_sock_retire(struct nc_sock *s);

/*
 * app_closed_drain() - the program closed its last reference: send what it
 * left in the socketpair, then close. Runs again as lwIP frees room.
 */
static void app_closed_drain(struct nc_sock *s)
{
	if (s->state == SOCK_CONNECTED && s->tcp.pcb && !s->tcp.tx_eof) {
		if (tx_pull(s))
			return;		/* more to read once lwIP has room */
		s->tcp.tx_eof = true;
	}
	/*
	 * After the program shut its reading side (shutdown() told us first),
	 * its end's hang-up is no close: it may hold the socket still, so its
	 * identity stays (tcp_sock_retire()).
	 */
	if (s->tcp.app_rd_shut)
		tcp_sock_retire(s);
	else
		nc_sock_release(s);
}

/*
 * tcp_sock_retire() - both directions are over (shut both ways, or failed) but
 * the program may still hold its end: the Unix socket cannot tell that from
 * a close. Close the PCB, then let sock.c close our end and keep the
 * socket's identity for a while so that getsockname(), SO_ERROR and friends
 * still answer.
 */
static void tcp_sock_retire(struct nc_sock *s)
{
	nc_splice_release(s);
	if (s->state == SOCK_CONNECTED)
		nc_tcp_set_state(s, SOCK_CLOSED);
	tx_finish(s);
	nc_tcp_pcb_close(s);
	if (s->tcp.rx) {
		pbuf_free(s->tcp.rx);	/* the whole queue: each pbuf holds one reference */
		s->tcp.rx = s->tcp.rx_tail = NULL;
	}
	nc_sock_zombify(s);
}

/*
 * app_left_unread() - our end reports an error: did the program close its end
 * while it still held data we had written (the kernel then sets ECONNRESET
 * on the surviving end)? Reading SO_ERROR clears it.
 */
static bool app_left_unread(struct nc_sock *s)
{
	int e = 0;
	socklen_t len = sizeof(e);

	return getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0 && e == ECONNRESET;
}

/*
 * tcp_sock_event() - something happened on our end of a socketpair: room to
 * write (received data, or a listener's queued connections), data or
 * end-of-file from the program, or its last close.
 */
static void tcp_sock_event(struct nc_sock *s, uint32_t events)
{
	if (events & EPOLLOUT) {
		if (s->state == SOCK_LISTEN)
			nc_tcp_listener_push(s);
		else
			rx_flush(s);
	}
	if (events & (EPOLLHUP | EPOLLERR)) {
		if ((events & EPOLLERR) && app_left_unread(s)) {
			/*
			 * The program closed with data it never read: like the
			 * kernel, reset the connection and drop what it sent.
			 */
			s->tcp.app_gone = true;
			s->tcp.reset_on_close = true;
			nc_loop_del(&s->h);
			release_writable(s);
			nc_sock_release(s);
			return;
		}
		if (s->tcp.rx_fin_done && (s->tcp.tx_eof || s->state == SOCK_FAILED)) {
			tcp_sock_retire(s);
			return;
		}
		/*
		 * After the peer's FIN our end has shut its writing side: the
		 * program's shutdown(SHUT_WR) then also reads as a hang-up, and
		 * libnetcon tells us of it first (app_wr_shut). It may still hold
		 * the socket: keep it (app_closed_drain()). A close is a close.
		 */
		if (s->tcp.rx_fin_done && s->tcp.app_wr_shut)
			s->tcp.app_rd_shut = true;
		s->tcp.app_gone = true;
		nc_loop_del(&s->h);
		release_writable(s);
		app_closed_drain(s);
		return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP)) {
		if (!tx_pull(s)) {
			s->tcp.tx_eof = true;
			tx_finish(s);
		}
	}
	nc_tcp_update_events(s);
}

/* ------------------------------------------------------ lwIP callbacks -- */

/*
 * on_recv() - lwIP received data (or the peer's FIN, @p NULL): queue it
 * for rx_flush(), which writes it to the program and opens the window.
 */
static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct nc_sock *s = arg;

	(void)err;
	if (!s) {
		if (p) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return ERR_OK;
	}
	if (!p) {
		s->tcp.rx_fin = true;
		s->tcp.peer_closed_first = !s->tcp.tx_fin_done;
	} else if ((s->tcp.app_gone || s->fd < 0) && s->tcp.app_rd_shut) {
		/* The program will not read: drop it, as after its shutdown(SHUT_RD). */
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	} else if (s->tcp.app_gone || s->fd < 0) {
		/* Nobody will read this: like the kernel, answer with a reset. */
		pbuf_free(p);
		s->so_error = ECONNRESET;
		nc_tcp_pcb_abort(s);
		return ERR_ABRT;
	} else {
		if (s->tcp.rx)
			s->tcp.rx_tail->next = p;
		else
			s->tcp.rx = p;
		for (s->tcp.rx_tail = p; s->tcp.rx_tail->next; s->tcp.rx_tail = s->tcp.rx_tail->next)
			;
	}
	nc_sock_mark_dirty(s);
	return ERR_OK;
}

/* on_sent() - the peer acknowledged data: room for more of the program's. */
static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct nc_sock *s = arg;

	(void)len;
	if (!s)
		return ERR_OK;
	last_aborted = NULL;
	if (s->tcp.app_gone) {
		app_closed_drain(s);	/* may close or reset the connection */
		return callback_result(pcb);
	}
	if (s->tcp.ring && !pcb->unsent && !pcb->unacked) {
		/* A burst is over: nothing points into the ring; the next one copies first again. */
		free(s->tcp.ring);
		s->tcp.ring = NULL;
		s->tcp.tx_copied = 0;
	}
	tx_finish(s);
	nc_sock_mark_dirty(s);
	return ERR_OK;
}

/* drop_waiter_spare() - the spare socket a deferred reply would have carried goes. */
static void drop_waiter_spare(struct nc_sock *s)
{
	if (!s->tcp.waiter_spare_id)
		return;
	close(s->tcp.waiter_spare_fd);	/* our end sees the hang-up and frees the spare */
	s->tcp.waiter_spare_id = 0;
	s->tcp.waiter_spare_fd = -1;
}

/* waiter_reply() - answer the blocking connect() waiting on @s with @result. */
static void waiter_reply(struct nc_sock *s, int result)
{
	struct nc_request req;
	struct nc_reply rep;
	int fd = -1;

	if (!s->tcp.waiter)
		return;
	req.op = NC_OP_CONNECT;
	req.seq = s->tcp.waiter_seq;
	nc_rpc_init_reply(&rep, &req);
	rep.result = result;
	rep.sock = s->id;
	if (s->tcp.waiter_spare_id) {
		fd = s->tcp.waiter_spare_fd;
		rep.optlen = sizeof(s->tcp.waiter_spare_id);
		memcpy(rep.opt, &s->tcp.waiter_spare_id, sizeof(s->tcp.waiter_spare_id));
	}
	nc_client_reply(s->tcp.waiter, &rep, fd);
	drop_waiter_spare(s);
	s->tcp.waiter = NULL;
}

/*
 * give_spare() - a CONNECT may ask for a spare socket of the same family: a
 * new socket, ready for the program's next socket() call, which then costs
 * it no round trip. It rides on the CONNECT reply, now or when deferred.
 */
static void give_spare(struct nc_sock *s, uid_t uid, pid_t pid, struct nc_reply *rep,
		       int *fd_out, bool deferred)
{
	struct nc_sock *spare;

	if (*fd_out >= 0 || (deferred && (!s->tcp.waiter || s->tcp.waiter_spare_id)))
		return;
	spare = nc_sock_new(s->proto, s->domain, NULL, uid, pid);
	if (!spare)
		return;	/* the program's next socket() asks for one itself */
	if (deferred) {
		s->tcp.waiter_spare_fd = spare->app_fd;
		s->tcp.waiter_spare_id = spare->id;
	} else {
		*fd_out = spare->app_fd;	/* closed by the server once sent */
		rep->optlen = sizeof(spare->id);
		memcpy(rep->opt, &spare->id, sizeof(spare->id));
	}
	spare->app_fd = -1;
}

static void conn_failed(struct nc_sock *s, int e);

/*
 * tcp_conn_failed() - end @s's connection (or attempt) with error @e: its PCB
 * is reset if it still has one, and the program learns @e as the kernel tells
 * it (the blocking connect waiting, or SO_ERROR, the next read, and poll).
 */
static void tcp_conn_failed(struct nc_sock *s, int e)
{
	nc_tcp_pcb_abort(s);
	conn_failed(s, e);
}

/* on_err() - lwIP has freed the PCB: the connection failed or was reset. */
static void on_err(void *arg, err_t err)
{
	struct nc_sock *s = arg;
	int e;

	if (!s)
		return;
	s->tcp.pcb = NULL;	/* lwIP may have freed it already: not to be read */
	ring_release(s);	/* ... with the segments that pointed into the ring */
	if (s->state == SOCK_CONNECTING)
		e = err == ERR_RST ? ECONNREFUSED : ETIMEDOUT;
	else if (err == ERR_RST)
		e = s->tcp.rx_fin ? EPIPE : ECONNRESET;	/* Linux's tcp_reset(): EPIPE in CLOSE_WAIT */
	else
		e = err == ERR_ABRT ? ETIMEDOUT : ECONNABORTED;
	conn_failed(s, e);
}

/* conn_failed() - the PCB is gone with error @e: tell the program (see tcp_conn_failed()). */
static void conn_failed(struct nc_sock *s, int e)
{
	nc_debug("socket %llu: %s (%s)", (unsigned long long)s->id, strerror(e),
		 nc_sock_state_name(s->state));
	nc_tcp_set_state(s, SOCK_FAILED);
	if (s->autobound && !s->tcp.waiter) {
		/* Linux lets go of a port connect() chose; the name keeps it. */
		nc_port_release(s);
		s->autobound = false;
	}
	if (s->tcp.app_gone || s->tcp.listener) {
		/* Nobody to tell, or reset while waiting to be accepted: it goes away. */
		nc_sock_release(s);
		return;
	}
	if (s->tcp.waiter) {
		/*
		 * A blocking connect returns the error itself and leaves the socket
		 * unconnected, free to try again, as the kernel does.
		 */
		waiter_reply(s, -e);
		if (s->autobound)
			nc_port_release(s);
		nc_tcp_set_state(s, SOCK_NEW);
		s->have_remote = false;
		return;
	}
	s->so_error = e;
	if (s->tcp.filler) {
		/*
		 * A non-blocking connect failed: our end holds the filler the
		 * program's end wrote, unread. Closing our end so makes the
		 * kernel flag the program's end with an error: poll shows
		 * IN|OUT|ERR|HUP|RDHUP, Linux's mask for a failed connect.
		 * libnetcon reads our so_error where the Unix socket's shows.
		 */
		s->tcp.filler = 0;
		nc_sock_zombify(s);
		return;
	}
	release_writable(s);
	/* The program reads what arrived, then end-of-file; writes get EPIPE. */
	if (s->tcp.rx_fin_done && s->fd >= 0)
		shutdown(s->fd, SHUT_RD);	/* the peer's FIN shut the rest already */
	s->tcp.rx_fin = true;
	s->tcp.tx_eof = true;
	rx_flush(s);
	nc_tcp_update_events(s);
}

/*
 * on_poll() - lwIP's periodic call: retry a FIN lwIP could not queue, refresh
 * events; and give up a connection attempt whose next hop never answered
 * ARP or neighbour discovery, with EHOSTUNREACH after NEIGH_GIVEUP_MS, as
 * Linux does (neigh.c).
 */
static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
	struct nc_sock *s = arg;

	last_aborted = NULL;
	if (s && !s->dead && s->state == SOCK_CONNECTING &&
	    nc_now_ms() - s->tcp.connect_ms >= NEIGH_GIVEUP_MS && nc_neigh_unresolved(&pcb->remote_ip)) {
		tcp_conn_failed(s, EHOSTUNREACH);
		return ERR_ABRT;
	}
	if (s && !s->dead) {
		tx_finish(s);
		nc_sock_mark_dirty(s);
	}
	return callback_result(pcb);
}

/*
 * nc_tcp_remote_local() - is the other end of @s's connection an address of
 * this service (127/8, ::1, the link's own)? Only then can it be one of
 * our sockets.
 */
bool nc_tcp_remote_local(const struct nc_sock *s)
{
	const ip_addr_t *ip = &s->tcp.pcb->remote_ip;

	if (IP_IS_V4(ip))
		return nc_stack_is_local4(ip4_addr_get_u32(ip_2_ip4(ip)));
	return ip6_addr_isloopback(ip_2_ip6(ip)) ||
	       netif_get_ip6_addr_match(nc_stack_netif(), ip_2_ip6(ip)) >= 0;
}

/*
 * nc_tcp_local_peer() - the socket of this service at the other end of
 * @s's connection (its PCB has our addresses reversed and our callbacks:
 * not the DNS stub's), or NULL.
 */
struct nc_sock *nc_tcp_local_peer(const struct nc_sock *s)
{
	const struct tcp_pcb *pcb = s->tcp.pcb;
	struct tcp_pcb *q;

	for (q = tcp_active_pcbs; q; q = q->next)
		if (q != pcb && q->recv == on_recv && q->callback_arg &&
		    q->local_port == pcb->remote_port && q->remote_port == pcb->local_port &&
		    ip_addr_cmp(&q->local_ip, &pcb->remote_ip) &&
		    ip_addr_cmp(&q->remote_ip, &pcb->local_ip))
			return q->callback_arg;
	return NULL;
}

/* nc_tcp_set_callbacks() - lwIP reports a connection's events to @s from now on. */
void nc_tcp_set_callbacks(struct nc_sock *s)
{
	tcp_arg(s->tcp.pcb, s);
	tcp_recv(s->tcp.pcb, on_recv);
	tcp_sent(s->tcp.pcb, on_sent);
	tcp_err(s->tcp.pcb, on_err);
	tcp_poll(s->tcp.pcb, on_poll, 4);
}

/* on_connected() - the handshake of our connect() completed. */
static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct nc_sock *s = arg;

	(void)err;
	if (!s)
		return ERR_OK;
	nc_tcp_set_state(s, SOCK_CONNECTED);
	s->tcp.wire_mss = nc_stack_raise_mss(pcb);
	ip_addr_copy(s->local_ip, pcb->local_ip);
	ip_addr_copy(s->tcp.last_local_ip, pcb->local_ip);
	release_writable(s);
	waiter_reply(s, 0);
	nc_sock_mark_dirty(s);
	return ERR_OK;
}

/* -------------------------------------------------------------- connect -- */

/*
 * reuse_time_wait() - like Linux's tcp_tw_reuse: a connection in TIME_WAIT
 * with the same addresses and ports, older than a second, gives way to a new
 * one, so programs that open and close connections fast do not run out of
 * ports. Returns true if one was removed.
 */
static bool reuse_time_wait(const ip_addr_t *lip, uint16_t lport, const ip_addr_t *rip,
			    uint16_t rport)
{
	struct tcp_pcb *tw;

	for (tw = tcp_tw_pcbs; tw; tw = tw->next) {
		if (tw->local_port == lport && tw->remote_port == rport &&
		    ip_addr_cmp(&tw->remote_ip, rip) &&
		    (ip_addr_isany(lip) || ip_addr_cmp(&tw->local_ip, lip)) &&
		    (u32_t)(tcp_ticks - tw->tmr) * TCP_SLOW_INTERVAL >= 1000) {
			nc_sock_pcb_leaving(tw);
			tcp_abort(tw);	/* a TIME_WAIT PCB goes quietly, without RST */
			return true;
		}
	}
	return false;
}

/* route_ok() - can the stack reach @ip at all (ENETUNREACH otherwise)? */
static bool route_ok(const ip_addr_t *ip)
{
	if (IP_IS_V4(ip))
		return ip4_route(ip_2_ip4(ip)) != NULL;
	return ip6_route(IP6_ADDR_ANY6, ip_2_ip6(ip)) != NULL;
}

/*
 * tcp_disconnect() - connect(AF_UNSPEC): a listener stops listening (as
 * shutdown() does), a connection or connection attempt is reset, as Linux's
 * tcp_disconnect() does; the program's end then reads the reset.
 */
static int tcp_disconnect(struct nc_sock *s, int app_fd)
{
	switch (s->state) {
	case SOCK_LISTEN:
		return nc_tcp_listen_shutdown(s, app_fd);
	case SOCK_CONNECTING:
	case SOCK_CONNECTED:
		tcp_conn_failed(s, ECONNRESET);
		break;
	case SOCK_CLOSED:
		nc_tcp_set_state(s, SOCK_FAILED);
		break;
	default:
		break;
	}
	/* Unconnected again: no peer, and the address connect() chose is forgotten. */
	s->have_remote = false;
	s->tcp.was_connected = false;
	if (s->tcp.addr_from_connect)
		nc_any_addr(s, &s->tcp.last_local_ip);
	return 0;
}

/*
 * do_connect() - CONNECT: bind to an ephemeral port if not bound, make a PCB
 * and start the handshake. A non-blocking connect says EINPROGRESS and holds
 * the program's end unwritable (hold_unwritable()) until the outcome; a
 * blocking one is answered from on_connected() or on_err() (*@deferred).
 */
static int do_connect(struct nc_client *client, struct nc_sock *s, const struct nc_request *req,
		      int *in_fd, int *deferred)
{
	struct tcp_pcb *pcb;
	ip_addr_t ip, local;
	uint16_t port;
	bool mapped;
	int r, attempt;
	err_t err;

	if (req->addrlen == sizeof(sa_family_t))
		return tcp_disconnect(s, *in_fd);	/* AF_UNSPEC (checked by rpc.c) */
	r = nc_addr_from_sockaddr(req->addr, req->addrlen, s->domain, &ip, &port, &mapped);
	if (r)
		return r;
	switch (s->state) {
	case SOCK_CONNECTING:
		return -EALREADY;
	case SOCK_CONNECTED:
	case SOCK_CLOSED:
		if (s->tcp.connect_async) {
			/* The first connect() after a non-blocking one completed says 0. */
			s->tcp.connect_async = false;
			return 0;
		}
		return -EISCONN;
	case SOCK_LISTEN:
		return -EISCONN;
	case SOCK_FAILED:
		s->tcp.connect_async = false;
		if (s->tcp.was_connected)
			return -EISCONN;	/* Linux: the socket stays "connected" after a reset */
		if (s->so_error) {
			r = -s->so_error;
			s->so_error = 0;
			return r;
		}
		return -ECONNABORTED;	/* its program end is shut: it cannot try again */
	case SOCK_NEW:
		if (s->tcp.listen_was_shut)
			return -EINVAL;
		break;
	}
	if (mapped && s->opts.v6only)
		return -ENETUNREACH;
	if (port == 0)
		return -ECONNREFUSED;
	/* The kernel takes the unspecified address to mean this host. */
	if (ip_addr_isany(&ip)) {
		if (IP_IS_V4(&ip))
			ip_addr_set_loopback(0, &ip);
		else
			ip_addr_set_loopback(1, &ip);
	}
	if (!route_ok(&ip))
		return -ENETUNREACH;
	/*
	 * A random port may meet a TIME_WAIT connection to the same peer, which
	 * lwIP refuses (ERR_USE): try others, as the kernel does.
	 */
	for (attempt = 0; attempt < 256; attempt++) {
		pcb = tcp_new_ip_type(IP_GET_TYPE(&ip));
		if (!pcb)
			return -ENOBUFS;
		ip_set_option(pcb, SOF_REUSEADDR);
		if (!s->bound) {
			if (IP_IS_V4(&ip))
				ip_addr_set_zero_ip4(&local);
			else
				ip_addr_set_zero_ip6(&local);
			r = nc_port_bind(s, &local, 0);
			if (r) {
				tcp_abort(pcb);
				return -EADDRNOTAVAIL;
			}
			s->autobound = true;
		}
		local = s->local_ip;
		if (IP_GET_TYPE(&local) != IP_GET_TYPE(&ip)) {
			/* A dual-stack or mapped bind: use the family of the destination. */
			if (ip_addr_isany(&local)) {
				if (IP_IS_V4(&ip))
					ip_addr_set_zero_ip4(&local);
				else
					ip_addr_set_zero_ip6(&local);
			} else {
				tcp_abort(pcb);
				return -EINVAL;
			}
		}
		if (tcp_bind(pcb, &local, s->local_port) != ERR_OK) {
			tcp_abort(pcb);
			if (!s->autobound)
				return -EADDRINUSE;
			nc_port_release(s);
			continue;
		}
		tcp_arg(pcb, s);
		s->tcp.pcb = pcb;
		nc_tcp_set_callbacks(s);
		nc_tcp_apply_opts(s);
		if (nc_timewait_recent(&local, s->local_port, &ip, port))
			err = ERR_USE;
		else
			err = tcp_connect(pcb, &ip, port, on_connected);
		if (err == ERR_USE && reuse_time_wait(&local, s->local_port, &ip, port))
			err = tcp_connect(pcb, &ip, port, on_connected);
		if (err == ERR_OK)
			break;
		pcb_detach(s);
		tcp_abort(pcb);
		if (err != ERR_USE)
			return err == ERR_RTE ? -ENETUNREACH : -ENOBUFS;
		if (!s->autobound)
			return -EADDRNOTAVAIL;	/* the program chose this port */
		nc_port_release(s);
	}
	if (!s->tcp.pcb)
		return -EADDRNOTAVAIL;
	s->tcp.addr_from_connect = ip_addr_isany(&s->local_ip);
	s->tcp.connect_ms = nc_now_ms();
	s->remote_ip = ip;
	s->remote_port = port;
	s->have_remote = true;
	nc_tcp_set_state(s, SOCK_CONNECTING);
	ip_addr_copy(s->tcp.last_local_ip, s->tcp.pcb->local_ip);
	if (req->arg[0]) {
		s->tcp.connect_async = true;
		hold_unwritable(s, *in_fd);
		nc_debug("socket %llu: connecting to %s", (unsigned long long)s->id,
			 nc_addr_str(&ip, port));
		return -EINPROGRESS;
	}
	s->tcp.waiter = client;
	s->tcp.waiter_seq = req->seq;
	*deferred = 1;
	return 0;
}

/* ------------------------------------------------------------- requests -- */

/*
 * tcp_sock_name() - getsockname() / getpeername(): no peer until connected (or
 * after a reset took the PCB); a connection's local address is the one its
 * PCB uses, not the wildcard it may have been bound to.
 */
static int tcp_sock_name(struct nc_sock *s, bool peer, struct nc_reply *rep)
{
	const ip_addr_t *local = NULL;

	if (peer && (!s->have_remote || s->state == SOCK_CONNECTING ||
		     (s->state == SOCK_FAILED && !s->tcp.pcb)))
		return -ENOTCONN;
	if (s->tcp.pcb && s->state != SOCK_LISTEN && s->state != SOCK_NEW)
		local = &s->tcp.pcb->local_ip;
	else if (s->state == SOCK_FAILED || s->state == SOCK_CLOSED)
		local = &s->tcp.last_local_ip;	/* the kernel keeps the connection's */
	return nc_sock_name(s, peer, local, rep);
}

/*
 * do_shutdown() - SHUTDOWN: only checked here. The program shuts its own
 * end of the socketpair, and what that means for TCP (FIN, or no more
 * reading) reaches us through the socketpair like data.
 */
static int do_shutdown(struct nc_sock *s, const struct nc_request *req, int app_fd)
{
	int how = req->arg[0];

	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (s->state == SOCK_LISTEN)
		return how == SHUT_WR ? 0 : nc_tcp_listen_shutdown(s, app_fd);
	if (s->state == SOCK_NEW || s->state == SOCK_FAILED)
		return -ENOTCONN;
	if (s->state == SOCK_CLOSED)	/* shut both ways: 0 while Linux's still closes */
		return s->tcp.rx_fin && s->tcp.peer_closed_first ? -ENOTCONN : 0;
	if (s->state == SOCK_CONNECTING) {
		/* Linux's inet_shutdown() disconnects a connection attempt. */
		tcp_conn_failed(s, ECONNRESET);
		return 0;
	}
	if (how != SHUT_WR)
		s->tcp.app_rd_shut = true;
	if (how != SHUT_RD)
		s->tcp.app_wr_shut = true;
	/* The program shuts its own end; its end-of-file reaches us as data does. */
	return 0;
}

/* do_eof() - EOF: the program read end-of-file; was it a reset? */
static int do_eof(struct nc_sock *s)
{
	/* Like the kernel, a pending error (a reset...) is reported once, to the first reader. */
	int e = s->so_error;

	s->so_error = 0;
	return -e;
}

/* ------------------------------------------------------------ nc_proto -- */

/*
 * settle_hangup() - the program's shutdown(SHUT_WR) after the peer's FIN
 * shows on our end as a hang-up, with no request of its own: take it in
 * before answering a request on @s, so that the answer knows of it, as
 * the kernel's would.
 */
static void settle_hangup(struct nc_sock *s)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };

	if (s->fd >= 0 && s->tcp.rx_fin_done && s->tcp.app_wr_shut && poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & POLLHUP))
		tcp_sock_event(s, EPOLLHUP | (pfd.revents & POLLERR ? EPOLLERR : 0));
}

/* tcp_sock_request() - every request on a TCP socket but SOCKET and IDENTIFY. */
static int tcp_sock_request(struct nc_client *client, struct nc_sock *s, const struct nc_request *req,
		       int *in_fd, struct nc_reply *rep, int *fd_out, int *deferred)
{
	int r;

	settle_hangup(s);
	if (s->dead)
		return -EBADF;
	grow_lent(s, *in_fd);

	switch (req->op) {
	case NC_OP_BIND: return nc_port_bind_request(s, req);
	case NC_OP_LISTEN: return nc_tcp_listen(s, req, *in_fd);
	case NC_OP_CONNECT:
		r = do_connect(client, s, req, in_fd, deferred);
		if (req->arg[2])
			give_spare(s, nc_client_uid(client), nc_client_pid(client), rep, fd_out, *deferred);
		return r;
	case NC_OP_GETSOCKNAME: return tcp_sock_name(s, false, rep);
	case NC_OP_GETPEERNAME: return tcp_sock_name(s, true, rep);
	case NC_OP_GETSOCKOPT: return nc_tcp_getsockopt(s, req, rep);
	case NC_OP_SETSOCKOPT: return nc_tcp_setsockopt(s, req);
	case NC_OP_SHUTDOWN: return do_shutdown(s, req, *in_fd);
	case NC_OP_EOF: return do_eof(s);
	}
	return -EOPNOTSUPP;
}

/*
 * tcp_sock_init() - a new TCP socket's TCP options: the listener's for an
 * accepted connection, else Linux's defaults (keepalive after 2 h, every 75 s,
 * 9 probes).
 */
static void tcp_sock_init(struct nc_sock *s, const struct nc_sock *parent)
{
	if (parent) {
		s->tcp.nodelay = parent->tcp.nodelay;
		s->tcp.keepidle = parent->tcp.keepidle;
		s->tcp.keepintvl = parent->tcp.keepintvl;
		s->tcp.keepcnt = parent->tcp.keepcnt;
	} else {
		s->tcp.keepidle = 7200;
		s->tcp.keepintvl = 75;
		s->tcp.keepcnt = 9;
	}
}

/*
 * tcp_sock_flush() - after a batch: write what lwIP received to the program; a
 * socket the program has closed sends the rest and goes; others watch for
 * what they need now.
 */
static void tcp_sock_flush(struct nc_sock *s)
{
	rx_flush(s);
	if (s->tcp.app_gone) {
		app_closed_drain(s);
		return;
	}
	nc_tcp_update_events(s);
}

/*
 * tcp_sock_release() - the socket is over: a blocking connect() is answered
 * EBADF, a listener's queue reset, a connection's PCB closed (or reset, if
 * data the program never read is left, SO_LINGER 0, or still connecting, as
 * the kernel does), a queued connection taken off its listener, received
 * data dropped.
 */
static void tcp_sock_release(struct nc_sock *s)
{
	nc_splice_release(s);
	if (s->tcp.waiter)
		waiter_reply(s, -EBADF);
	if (s->state == SOCK_LISTEN) {
		nc_tcp_listen_release(s);
	} else if (s->tcp.pcb) {
		if (s->tcp.rx || s->tcp.reset_on_close ||
		    (s->opts.linger_on && s->opts.linger_s == 0) || s->state == SOCK_CONNECTING)
			nc_tcp_pcb_abort(s);
		else
			nc_tcp_pcb_close(s);
	}
	ring_release(s);
	nc_tcp_set_state(s, SOCK_CLOSED);
	if (s->tcp.listener)
		nc_tcp_listen_unqueue(s);
	if (s->tcp.rx) {
		pbuf_free(s->tcp.rx);	/* the whole queue: each pbuf holds one reference */
		s->tcp.rx = s->tcp.rx_tail = NULL;
	}
}

/* tcp_sock_shutdown() - the service stops: reset every connection (listeners just close). */
static void tcp_sock_shutdown(struct nc_sock *s)
{
	if (s->tcp.pcb && s->state != SOCK_LISTEN)
		nc_tcp_pcb_abort(s);
}

/* tcp_sock_client_gone() - @client went away: a blocking connect of its on @s is not answered. */
static void tcp_sock_client_gone(struct nc_sock *s, struct nc_client *client)
{
	if (s->tcp.waiter == client) {
		drop_waiter_spare(s);
		s->tcp.waiter = NULL;
	}
}

/* tcp_sock_counts() - established connections and listeners, for the status. */
static void tcp_sock_counts(uint32_t *connections, uint32_t *listeners)
{
	*connections += nc_tcp_counts.conns;
	*listeners += nc_tcp_counts.listeners;
}

/* tcp_setup() - once at start: the accept records' cost, TIME_WAIT's hook. */
static void tcp_setup(void)
{
	nc_tcp_listen_setup();
	nc_timewait_init();
}

const struct nc_proto nc_proto_tcp = {
	.name = "tcp",
	.type = SOCK_STREAM,
	.protocol = IPPROTO_TCP,
	.ports = NC_PORTS_TCP,
	.setup = tcp_setup,
	.init = tcp_sock_init,
	.request = tcp_sock_request,
	.event = tcp_sock_event,
	.flush = tcp_sock_flush,
	.release = tcp_sock_release,
	.shutdown = tcp_sock_shutdown,
	.client_gone = tcp_sock_client_gone,
	.counts = tcp_sock_counts,
};
