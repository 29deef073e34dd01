/*
 * tcp_splice.c - the shortcut between two connections of this service.
 *
 * When both ends of a TCP connection are sockets of this service (a program
 * connecting to another's listener through 127.0.0.1 or the service's own
 * address), the bytes one program writes need not cross lwIP twice. Once
 * the connection is quiet (nothing of ours unacknowledged, nothing queued
 * for the peer's program), what is read from one socketpair is written
 * straight into the other, as pasta splices local connections. lwIP keeps
 * both PCBs for everything else: addresses, TCP_INFO, the FIN after the last
 * byte, resets, close and TIME_WAIT are what they were, so nothing a program
 * can ask tells the two paths apart (the conformance suite runs both ways:
 * --no-shortcut turns this off).
 *
 * Flow control stays end to end: when the peer's socketpair is full, what
 * was read waits here (one buffer per direction) and this side's socketpair
 * is not read until the peer's has room. The FIN still goes through lwIP,
 * and the peer's end is shut only once the bytes waiting here are written
 * (nc_splice_pending()). If the peer's program is gone or shut its reading
 * side, the shortcut ends: later bytes take lwIP's path, which answers them
 * as the kernel does (a reset, or discarding them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"

#include "sock_priv.h"
#include "iobuf.h"

#define SPLICE_CHUNK	(256 * 1024)
#define SPLICE_TRIES	8	/* lookups of a local peer before giving up on one */

static struct {
	uint8_t buf[SPLICE_CHUNK] NC_IO_ALIGNED;
	bool off;			/* --no-shortcut */
} sp;

/* nc_splice_enable() - whether local connections take the shortcut (--no-shortcut: no). */
void nc_splice_enable(bool on)
{
	sp.off = !on;
}

/* peer_takes() - can @t's program still be given bytes directly? */
static bool peer_takes(const struct nc_sock *t)
{
	return !t->dead && t->fd >= 0 && t->state == SOCK_CONNECTED && t->tcp.pcb &&
	       !t->tcp.app_gone && !t->tcp.app_rd_shut && !t->tcp.rx_fin;
}

/* unlink() - @s's bytes take lwIP's path from now on; any still waiting here are dropped. */
static void unlink_pair(struct nc_sock *s)
{
	if (s->tcp.sp_to)
		s->tcp.sp_to->tcp.sp_from = NULL;
	s->tcp.sp_to = NULL;
	free(s->tcp.sp_buf);
	s->tcp.sp_buf = NULL;
	s->tcp.sp_len = s->tcp.sp_off = 0;
	s->tcp.sp_tries = SPLICE_TRIES;	/* never again for this connection */
}

/*
 * try_link() - is @s a connection whose other end is a socket of this
 * service, and is it quiet enough to start (all we sent through lwIP
 * acknowledged, so delivered to the peer, and none of it still queued for
 * the peer's program)? Links the two if so.
 */
static struct nc_sock *try_link(struct nc_sock *s)
{
	struct tcp_pcb *pcb = s->tcp.pcb;
	struct nc_sock *t;

	if (sp.off || s->tcp.sp_tries >= SPLICE_TRIES || s->state != SOCK_CONNECTED || !pcb ||
	    s->tcp.tx_eof || s->tcp.filler)
		return NULL;	/* (a connect's filler is read away by tcp.c, never passed on) */
	if (!nc_tcp_remote_local(s)) {
		s->tcp.sp_tries = SPLICE_TRIES;	/* the peer is elsewhere */
		return NULL;
	}
	if (pcb->unsent || pcb->unacked)
		return NULL;	/* not quiet yet: next time */
	t = nc_tcp_local_peer(s);
	if (!t) {
		s->tcp.sp_tries++;
		return NULL;
	}
	if (t->tcp.sp_from || !peer_takes(t) || t->tcp.rx || t->tcp.pcb->refused_data)
		return NULL;
	s->tcp.sp_to = t;
	t->tcp.sp_from = s;
	return t;
}

/*
 * keep_rest() - @t's socketpair took @w of @n bytes: keep the rest here
 * and wait for @t's room. Returns false if there was no memory (the bytes
 * then go through lwIP, which always has room for what tx_room() allowed:
 * they are not lost).
 */
static bool keep_rest(struct nc_sock *s, struct nc_sock *t, size_t w, size_t n)
{
	s->tcp.sp_buf = malloc(n - w);
	if (!s->tcp.sp_buf)
		return false;
	memcpy(s->tcp.sp_buf, sp.buf + w, n - w);
	s->tcp.sp_len = (uint32_t)(n - w);
	s->tcp.sp_off = 0;
	nc_tcp_update_events(t);	/* wake us when it has room */
	return true;
}

/*
 * nc_splice_pull() - move what @s's program wrote straight to its peer's,
 * if the two are linked (or can be now). NC_SPLICE_OFF: not linked, use
 * lwIP's path; NC_SPLICE_EOF: the program will send no more (its FIN goes
 * through lwIP); NC_SPLICE_MORE: done for now. @fallback receives bytes
 * read here that must still go through lwIP (@fallback_len, else 0).
 */
enum nc_splice nc_splice_pull(struct nc_sock *s, const uint8_t **fallback, size_t *fallback_len)
{
	struct nc_sock *t = s->tcp.sp_to ? s->tcp.sp_to : try_link(s);
	int rounds;

	*fallback_len = 0;
	if (!t)
		return NC_SPLICE_OFF;
	if (!peer_takes(t)) {
		unlink_pair(s);
		return NC_SPLICE_OFF;
	}
	if (s->tcp.sp_len)
		return NC_SPLICE_MORE;	/* the peer's socketpair is full: nc_splice_flush() */
	for (rounds = 0; rounds < 4; rounds++) {
		ssize_t n = read(s->fd, sp.buf, sizeof(sp.buf)), w;

		if (n == 0)
			return NC_SPLICE_EOF;
		if (n < 0)
			return NC_SPLICE_MORE;
		w = send(t->fd, sp.buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN) {
			/* The peer's end will take no more (its program is gone): lwIP's path. */
			unlink_pair(s);
			*fallback = sp.buf;
			*fallback_len = (size_t)n;
			return NC_SPLICE_OFF;
		}
		if (w < 0)
			w = 0;
		if (w < n) {
			if (keep_rest(s, t, (size_t)w, (size_t)n))
				return NC_SPLICE_MORE;
			unlink_pair(s);
			*fallback = sp.buf + w;
			*fallback_len = (size_t)(n - w);
			return NC_SPLICE_OFF;
		}
		if ((size_t)n < sizeof(sp.buf))
			break;
	}
	return NC_SPLICE_MORE;
}

/*
 * nc_splice_flush() - @t's socketpair has room: write what its linked
 * source read and could not give it. The source is read again once all of
 * it is written (and, if its program has closed meanwhile, finishes then).
 */
void nc_splice_flush(struct nc_sock *t)
{
	struct nc_sock *s = t->tcp.sp_from;
	ssize_t w;

	if (!s || !s->tcp.sp_len)
		return;
	w = send(t->fd, s->tcp.sp_buf + s->tcp.sp_off, s->tcp.sp_len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w < 0) {
		if (errno != EAGAIN)
			unlink_pair(s);	/* the program is gone: as on lwIP's path, nobody reads it */
		else
			return;
	} else {
		s->tcp.sp_off += (uint32_t)w;
		s->tcp.sp_len -= (uint32_t)w;
		if (s->tcp.sp_len)
			return;
		free(s->tcp.sp_buf);
		s->tcp.sp_buf = NULL;
		s->tcp.sp_off = 0;
	}
	nc_tcp_update_events(s);
	nc_sock_mark_dirty(s);
}

/* nc_splice_pending() - bytes for @t's program wait here (its end is not to be shut yet). */
bool nc_splice_pending(const struct nc_sock *t)
{
	return t->tcp.sp_from && t->tcp.sp_from->tcp.sp_len;
}

/* nc_splice_blocked() - @s's program is not to be read: its last bytes wait for the peer. */
bool nc_splice_blocked(const struct nc_sock *s)
{
	return s->tcp.sp_len != 0;
}

/* nc_splice_release() - @s is over: neither direction is linked any more. */
void nc_splice_release(struct nc_sock *s)
{
	struct nc_sock *u = s->tcp.sp_from;

	unlink_pair(s);
	if (u) {
		unlink_pair(u);
		nc_tcp_update_events(u);
	}
}
