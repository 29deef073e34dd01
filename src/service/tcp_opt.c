/*
 * tcp_opt.c - a TCP socket's options: IPPROTO_TCP is answered here
 * (TCP_NODELAY, TCP_KEEPIDLE/INTVL/CNT, TCP_INFO, TCP_MAXSEG and
 * TCP_CONGESTION defaults, and the TCP options we only store); every other
 * level is sockopt.c's, and SO_KEEPALIVE, which sockopt.c records, is put on
 * the PCB here (tcp.c's nc_tcp_apply_opts()). Values are checked and
 * normalised as Linux's are, so that getsockopt() reads back what the kernel
 * would.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/tcp.h"

#include "sock_priv.h"

/* known_tcp_opt() - TCP options the kernel accepts that we only store. */
static bool known_tcp_opt(int name)
{
	return name == TCP_CORK || name == TCP_QUICKACK || name == TCP_DEFER_ACCEPT ||
	       name == TCP_FASTOPEN || name == TCP_USER_TIMEOUT || name == TCP_MAXSEG ||
	       name == TCP_CONGESTION || name == TCP_FASTOPEN_CONNECT ||
	       name == TCP_NOTSENT_LOWAT || name == TCP_SYNCNT || name == TCP_LINGER2 ||
	       name == TCP_WINDOW_CLAMP;
}

/*
 * Linux's SYN-ACK timing, which TCP_DEFER_ACCEPT is counted in: the first
 * retransmission after TCP_TIMEOUT_INIT, each later one after twice the
 * wait before, at most TCP_RTO_MAX (in seconds).
 */
#define DEFER_TIMEOUT_INIT	1
#define DEFER_RTO_MAX		120

/*
 * secs_to_retrans() - TCP_DEFER_ACCEPT's seconds as the number of SYN-ACK
 * retransmissions Linux keeps instead: the fewest whose waits add up to
 * @secs (at most 255; 0 for @secs <= 0).
 */
static int secs_to_retrans(int secs)
{
	int n = 0, wait = DEFER_TIMEOUT_INIT, total = DEFER_TIMEOUT_INIT;

	if (secs <= 0)
		return 0;
	for (n = 1; secs > total && n < 255; n++) {
		wait = wait * 2 > DEFER_RTO_MAX ? DEFER_RTO_MAX : wait * 2;
		total += wait;
	}
	return n;
}

/* retrans_to_secs() - @n SYN-ACK retransmissions back as seconds: what getsockopt() reads. */
static int retrans_to_secs(int n)
{
	int wait = DEFER_TIMEOUT_INIT, total = 0;

	if (n > 0)
		total = DEFER_TIMEOUT_INIT;
	while (--n > 0) {
		wait = wait * 2 > DEFER_RTO_MAX ? DEFER_RTO_MAX : wait * 2;
		total += wait;
	}
	return total;
}

/*
 * store_int() - keep @v, the request's value as Linux normalised it, as the
 * request's option (through sockopt.c's store, then overwritten).
 */
static int store_int(struct nc_sock *s, const struct nc_request *req, int v)
{
	struct nc_generic_opt *g;
	int r = nc_sockopt_store(s, req);

	if (r)
		return r;
	g = nc_sockopt_find(s, req->arg[0], req->arg[1]);
	memcpy(g->value, &v, sizeof(v));
	g->len = sizeof(v);
	return 0;
}

/* stored_int() - the int stored for TCP option @name, or @dflt if none is. */
static int stored_int(struct nc_sock *s, int name, int dflt)
{
	struct nc_generic_opt *g = nc_sockopt_find(s, IPPROTO_TCP, name);
	int v = dflt;

	if (g && g->len >= sizeof(v))
		memcpy(&v, g->value, sizeof(v));
	return v;
}

/*
 * set_stored() - the TCP options we only store (an int each), checked and
 * normalised as do_tcp_setsockopt() does, so that they read back as on
 * Linux.
 */
static int set_stored(struct nc_sock *s, const struct nc_request *req, int v)
{
	switch (req->arg[1]) {
	case TCP_MAXSEG:
		/* 0 is "no wish"; else TCP_MIN_MSS (88) .. MAX_TCP_WINDOW (65535) */
		if (v && (v < 88 || v > 65535))
			return -EINVAL;
		return store_int(s, req, v);
	case TCP_USER_TIMEOUT:
		if (v < 0)
			return -EINVAL;
		return store_int(s, req, v);
	case TCP_CORK:
		return store_int(s, req, v != 0);
	case TCP_QUICKACK:
		/*
		 * 0 enters "pingpong" (delayed ACK) mode, anything else leaves
		 * it. (Linux enters it again for an even value when an ACK was
		 * pending on an established connection; we keep no such ACK.)
		 */
		return store_int(s, req, v != 0);
	case TCP_DEFER_ACCEPT:
		/* kept as SYN-ACK retransmissions: 5 s reads back as 1 + 2 + 4 = 7 */
		return store_int(s, req, retrans_to_secs(secs_to_retrans(v)));
	case TCP_SYNCNT:
		if (v < 1 || v > 127)	/* MAX_TCP_SYNCNT */
			return -EINVAL;
		return store_int(s, req, v);
	case TCP_LINGER2:
		/* negative: -1 (no FIN_WAIT2 time); 0: the default; at most TCP_FIN_TIMEOUT_MAX */
		return store_int(s, req, v < 0 ? -1 : v > 120 ? 120 : v);
	case TCP_FASTOPEN:
		if (v < 0)
			return -EINVAL;
		return store_int(s, req, v);
	}
	return nc_sockopt_store(s, req);
}

/*
 * nc_tcp_setsockopt() - SETSOCKOPT: IPPROTO_TCP here, other levels through
 * sockopt.c (and SO_KEEPALIVE onto the PCB).
 */
int nc_tcp_setsockopt(struct nc_sock *s, const struct nc_request *req)
{
	int level = req->arg[0], name = req->arg[1], v = 0, r;

	if (level != IPPROTO_TCP) {
		r = nc_sockopt_set(s, req);
		if (!r && level == SOL_SOCKET && name == SO_KEEPALIVE)
			nc_tcp_apply_opts(s);
		return r;
	}
	if (name == TCP_CONGESTION) {
		if (req->optlen == 0 || req->optlen >= NC_GENERIC_OPT_LEN)
			return -EINVAL;
		if (strncmp((const char *)req->opt, "cubic", req->optlen) &&
		    strncmp((const char *)req->opt, "reno", req->optlen))
			return -ENOENT;
	} else if (nc_sockopt_int(req, &v)) {
		return -EINVAL;
	}
	switch (name) {
	case TCP_NODELAY: s->tcp.nodelay = v != 0; nc_tcp_apply_opts(s); return 0;
	case TCP_KEEPIDLE:
		if (v < 1 || v > 32767)
			return -EINVAL;
		s->tcp.keepidle = v;
		nc_tcp_apply_opts(s);
		return 0;
	case TCP_KEEPINTVL:
		if (v < 1 || v > 32767)
			return -EINVAL;
		s->tcp.keepintvl = v;
		nc_tcp_apply_opts(s);
		return 0;
	case TCP_KEEPCNT:
		if (v < 1 || v > 127)
			return -EINVAL;
		s->tcp.keepcnt = v;
		nc_tcp_apply_opts(s);
		return 0;
	}
	if (!known_tcp_opt(name))
		return -ENOPROTOOPT;
	if (name == TCP_CONGESTION)
		return nc_sockopt_store(s, req);
	return set_stored(s, req, v);
}

/* tcp_state_of() - the Linux TCP state number for TCP_INFO. */
static uint8_t tcp_state_of(const struct nc_sock *s)
{
	if (s->state == SOCK_LISTEN)
		return 10;	/* TCP_LISTEN */
	if (!s->tcp.pcb && s->state == SOCK_CLOSED) {
		/* Shut both ways, the PCB closing on its own: where Linux's would be by now. */
		if (!s->tcp.rx_fin)
			return 5;	/* FIN_WAIT2: our FIN went first, the peer's has not come */
		return s->tcp.peer_closed_first ? 7 /* CLOSE, after LAST_ACK */ : 6; /* TIME_WAIT */
	}
	if (!s->tcp.pcb)
		return s->state == SOCK_CONNECTED ? 8 /* CLOSE_WAIT-like */ : 7; /* CLOSE */
	switch (s->tcp.pcb->state) {
	case SYN_SENT: return 2;
	case SYN_RCVD: return 3;
	case ESTABLISHED: return 1;
	case FIN_WAIT_1: return 4;
	case FIN_WAIT_2: return 5;
	case TIME_WAIT: return 6;
	case CLOSE_WAIT: return 8;
	case LAST_ACK: return 9;
	case CLOSING: return 11;
	default: return 7;
	}
}

/* nc_tcp_getsockopt() - GETSOCKOPT: IPPROTO_TCP here, other levels sockopt.c's. */
int nc_tcp_getsockopt(struct nc_sock *s, const struct nc_request *req, struct nc_reply *rep)
{
	int level = req->arg[0], name = req->arg[1];
	struct tcp_pcb *pcb = s->tcp.pcb;

	if (level != IPPROTO_TCP)
		return nc_sockopt_get(s, req, rep);
	switch (name) {
	case TCP_NODELAY: return nc_sockopt_int_reply(rep, s->tcp.nodelay);
	case TCP_KEEPIDLE: return nc_sockopt_int_reply(rep, s->tcp.keepidle);
	case TCP_KEEPINTVL: return nc_sockopt_int_reply(rep, s->tcp.keepintvl);
	case TCP_KEEPCNT: return nc_sockopt_int_reply(rep, s->tcp.keepcnt);
	case TCP_INFO: {
		struct tcp_info ti;

		memset(&ti, 0, sizeof(ti));
		ti.tcpi_state = tcp_state_of(s);
		if (pcb && s->state != SOCK_LISTEN) {
			uint32_t mss = s->tcp.wire_mss ? s->tcp.wire_mss : pcb->mss;

			ti.tcpi_snd_mss = mss;
			ti.tcpi_rcv_mss = mss;
			ti.tcpi_rtt = (uint32_t)(pcb->sa >> 3) * TCP_SLOW_INTERVAL * 1000u;
			ti.tcpi_snd_cwnd = mss ? pcb->cwnd / mss : 0;
			ti.tcpi_retransmits = pcb->nrtx;
			ti.tcpi_options = TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE;
		}
		memcpy(rep->opt, &ti, sizeof(ti));
		rep->optlen = sizeof(ti);
		return 0;
	}
	case TCP_MAXSEG: {
		int user = stored_int(s, name, 0);

		/*
		 * Linux: the MSS in use (536, TCP_MSS_DEFAULT, before any
		 * connection), but the value asked for, if any, while the
		 * socket is closed or listening.
		 */
		if (user && (!pcb || s->state == SOCK_NEW || s->state == SOCK_LISTEN))
			return nc_sockopt_int_reply(rep, user);
		if (pcb && s->state != SOCK_LISTEN)
			return nc_sockopt_int_reply(rep, s->tcp.wire_mss ? s->tcp.wire_mss : pcb->mss);
		return nc_sockopt_int_reply(rep, 536);
	}
	case TCP_QUICKACK:
		/* 1 unless in pingpong mode, which a new socket is not */
		return nc_sockopt_int_reply(rep, stored_int(s, name, 1));
	case TCP_SYNCNT:
		/* 0 (never set) reads as net.ipv4.tcp_syn_retries, 6 by default */
		return nc_sockopt_int_reply(rep, stored_int(s, name, 6));
	case TCP_LINGER2: {
		int v = stored_int(s, name, 0);

		/* 0 (never set) reads as net.ipv4.tcp_fin_timeout, 60 by default */
		return nc_sockopt_int_reply(rep, v ? v : 60);
	}
	case TCP_CONGESTION:
		if (!nc_sockopt_find(s, level, name)) {
			memcpy(rep->opt, "cubic\0\0\0\0\0\0\0\0\0\0\0", 16);
			rep->optlen = 16;
			return 0;
		}
		break;
	}
	return nc_sockopt_stored(s, level, name, known_tcp_opt(name), rep);
}

