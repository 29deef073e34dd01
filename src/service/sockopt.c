/*
 * sockopt.c - socket options every protocol shares: SOL_SOCKET, IPPROTO_IP
 * and IPPROTO_IPV6, and the store for options we accept but do not act on.
 *
 * The split with the protocols: a protocol's request handler answers its own
 * level (IPPROTO_TCP lives in tcp.c: TCP_NODELAY, keepalive timing,
 * TCP_INFO, TCP_CONGESTION...) and passes every other level here. What a
 * protocol must do when a shared option changes (TCP sets SO_KEEPALIVE on
 * its PCB) it does after nc_sockopt_set() returns 0. Stored-only options of
 * the protocol's level go through nc_sockopt_store() / nc_sockopt_stored()
 * like the shared ones, so getsockopt() returns what setsockopt() set.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "sock_priv.h"

static struct {
	int rmem_max, wmem_max;		/* net.core: the most SO_RCVBUF/SO_SNDBUF may ask */
	int tcp_rmem_default, tcp_wmem_default;	/* net.ipv4.tcp_[rw]mem's middle values */
} sysctl;

/* read_proc_int() - field @field of a /proc number list, or @fallback. */
static int read_proc_int(const char *path, int field, int fallback)
{
	FILE *f = fopen(path, "re");
	int v[3] = { fallback, fallback, fallback };

	if (!f)
		return fallback;
	if (fscanf(f, "%d %d %d", &v[0], &v[1], &v[2]) < field + 1)
		v[field] = fallback;
	fclose(f);
	return v[field];
}

/* nc_sockopt_init() - the kernel's buffer limits and defaults, which we report as ours. */
void nc_sockopt_init(void)
{
	sysctl.rmem_max = read_proc_int("/proc/sys/net/core/rmem_max", 0, 212992);
	sysctl.wmem_max = read_proc_int("/proc/sys/net/core/wmem_max", 0, 212992);
	sysctl.tcp_rmem_default = read_proc_int("/proc/sys/net/ipv4/tcp_rmem", 1, 131072);
	sysctl.tcp_wmem_default = read_proc_int("/proc/sys/net/ipv4/tcp_wmem", 1, 16384);
}

/*
 * nc_sockopt_defaults() - a new socket's shared options: all off, buffers as
 * the kernel reports them for a new TCP socket (the only type so far; a
 * datagram socket would report net.core.[rw]mem_default).
 */
void nc_sockopt_defaults(struct nc_sock *s)
{
	s->opts.rcvbuf = sysctl.tcp_rmem_default;
	s->opts.sndbuf = sysctl.tcp_wmem_default;
}

/* nc_sockopt_find() - the stored value of (@level, @name), or NULL. */
struct nc_generic_opt *nc_sockopt_find(struct nc_sock *s, int level, int name)
{
	int i;

	for (i = 0; i < s->opts.ngeneric; i++)
		if (s->opts.generic[i].level == level && s->opts.generic[i].name == name)
			return &s->opts.generic[i];
	return NULL;
}

/* known_shared() - shared-level options the kernel accepts on TCP sockets that we only store. */
static bool known_shared(int level, int name)
{
	switch (level) {
	case SOL_SOCKET:
		return name == SO_BROADCAST || name == SO_OOBINLINE || name == SO_PRIORITY ||
		       name == SO_DONTROUTE || name == SO_MARK || name == SO_BUSY_POLL ||
		       name == SO_TIMESTAMP || name == SO_ZEROCOPY;
	case IPPROTO_IP:
		return name == IP_TOS || name == IP_TTL || name == IP_RECVERR ||
		       name == IP_MTU_DISCOVER || name == IP_BIND_ADDRESS_NO_PORT ||
		       name == IP_FREEBIND || name == IP_TRANSPARENT || name == IP_PKTINFO;
	case IPPROTO_IPV6:
		return name == IPV6_TCLASS || name == IPV6_UNICAST_HOPS || name == IPV6_RECVERR ||
		       name == IPV6_MTU_DISCOVER || name == IPV6_RECVPKTINFO;
	}
	return false;
}

/* nc_sockopt_int() - the request's value as an int (-EINVAL if too short). */
int nc_sockopt_int(const struct nc_request *req, int *v)
{
	if (req->optlen < sizeof(int))
		return -EINVAL;
	memcpy(v, req->opt, sizeof(int));
	return 0;
}

/* nc_sockopt_int_reply() - answer getsockopt() with an int; returns 0. */
int nc_sockopt_int_reply(struct nc_reply *rep, int v)
{
	memcpy(rep->opt, &v, sizeof(v));
	rep->optlen = sizeof(v);
	return 0;
}

/* clamp_buf() - SO_RCVBUF/SO_SNDBUF as Linux records them: capped, doubled, floored. */
static int clamp_buf(int v, int max)
{
	if (v < 0)
		v = INT_MAX;
	if (v > max)
		v = max;
	v *= 2;
	return v < 4608 ? 4608 : v;
}

/*
 * nc_sockopt_store() - keep the request's value of an option we accept but
 * do not act on (at most NC_GENERIC_OPTS of them a socket, values truncated
 * to NC_GENERIC_OPT_LEN bytes). The caller has checked that it is known.
 */
int nc_sockopt_store(struct nc_sock *s, const struct nc_request *req)
{
	int level = req->arg[0], name = req->arg[1];
	struct nc_generic_opt *g = nc_sockopt_find(s, level, name);

	if (!g) {
		if (s->opts.ngeneric == NC_GENERIC_OPTS)
			return -ENOBUFS;
		if (!s->opts.generic &&
		    !(s->opts.generic = calloc(NC_GENERIC_OPTS, sizeof(*s->opts.generic))))
			return -ENOMEM;
		g = &s->opts.generic[s->opts.ngeneric++];
		g->level = level;
		g->name = name;
	}
	g->len = req->optlen > NC_GENERIC_OPT_LEN ? NC_GENERIC_OPT_LEN : req->optlen;
	memcpy(g->value, req->opt, g->len);
	return 0;
}

/*
 * nc_sockopt_stored() - answer getsockopt() from the store: the value set,
 * else 0 for an option @known to be accepted, else ENOPROTOOPT.
 */
int nc_sockopt_stored(struct nc_sock *s, int level, int name, bool known, struct nc_reply *rep)
{
	struct nc_generic_opt *g = nc_sockopt_find(s, level, name);

	if (g) {
		memcpy(rep->opt, g->value, g->len);
		rep->optlen = g->len;
		return 0;
	}
	if (known)
		return nc_sockopt_int_reply(rep, 0);
	return -ENOPROTOOPT;
}

/*
 * nc_sockopt_set() - setsockopt() at a shared level (any other level is
 * ENOPROTOOPT: the protocol answers its own before calling this).
 */
int nc_sockopt_set(struct nc_sock *s, const struct nc_request *req)
{
	int level = req->arg[0], name = req->arg[1], v = 0;

	if (level == SOL_SOCKET && name == SO_LINGER) {
		struct linger l;

		if (req->optlen < sizeof(l))
			return -EINVAL;
		memcpy(&l, req->opt, sizeof(l));
		s->opts.linger_on = l.l_onoff != 0;
		s->opts.linger_s = l.l_linger < 0 ? 0 : l.l_linger;
		return 0;
	}
	if (nc_sockopt_int(req, &v))
		return -EINVAL;
	switch (level) {
	case SOL_SOCKET:
		switch (name) {
		case SO_REUSEADDR: s->opts.reuseaddr = v != 0; return 0;
		case SO_REUSEPORT: s->opts.reuseport = v != 0; return 0;
		case SO_KEEPALIVE: s->opts.keepalive = v != 0; return 0;
		case SO_RCVBUF: s->opts.rcvbuf = clamp_buf(v, sysctl.rmem_max); return 0;
		case SO_SNDBUF: s->opts.sndbuf = clamp_buf(v, sysctl.wmem_max); return 0;
		}
		break;
	case IPPROTO_IPV6:
		if (s->domain != AF_INET6)
			return -ENOPROTOOPT;
		if (name == IPV6_V6ONLY) {
			if (s->bound || s->state != SOCK_NEW)
				return -EINVAL;
			s->opts.v6only = v != 0;
			return 0;
		}
		break;
	case IPPROTO_IP:
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (!known_shared(level, name))
		return -ENOPROTOOPT;
	return nc_sockopt_store(s, req);
}

/*
 * nc_sockopt_get() - getsockopt() at a shared level (any other level is
 * EOPNOTSUPP: the protocol answers its own before calling this).
 */
int nc_sockopt_get(struct nc_sock *s, const struct nc_request *req, struct nc_reply *rep)
{
	int level = req->arg[0], name = req->arg[1];

	switch (level) {
	case SOL_SOCKET:
		switch (name) {
		case SO_TYPE: return nc_sockopt_int_reply(rep, s->type);
		case SO_DOMAIN: return nc_sockopt_int_reply(rep, s->domain);
		case SO_PROTOCOL: return nc_sockopt_int_reply(rep, s->proto->protocol);
		case SO_ACCEPTCONN: return nc_sockopt_int_reply(rep, s->state == SOCK_LISTEN);
		case SO_ERROR: {
			int e = s->so_error;

			s->so_error = 0;
			return nc_sockopt_int_reply(rep, e);
		}
		case SO_REUSEADDR: return nc_sockopt_int_reply(rep, s->opts.reuseaddr);
		case SO_REUSEPORT: return nc_sockopt_int_reply(rep, s->opts.reuseport);
		case SO_KEEPALIVE: return nc_sockopt_int_reply(rep, s->opts.keepalive);
		case SO_RCVBUF: return nc_sockopt_int_reply(rep, s->opts.rcvbuf);
		case SO_SNDBUF: return nc_sockopt_int_reply(rep, s->opts.sndbuf);
		case SO_LINGER: {
			struct linger l = { s->opts.linger_on, s->opts.linger_s };

			memcpy(rep->opt, &l, sizeof(l));
			rep->optlen = sizeof(l);
			return 0;
		}
		}
		break;
	case IPPROTO_IPV6:
		if (s->domain != AF_INET6)
			return -EOPNOTSUPP;
		if (name == IPV6_V6ONLY)
			return nc_sockopt_int_reply(rep, s->opts.v6only);
		if (name == IPV6_UNICAST_HOPS && !nc_sockopt_find(s, level, name))
			return nc_sockopt_int_reply(rep, 64);
		break;
	case IPPROTO_IP:
		if (name == IP_TTL && !nc_sockopt_find(s, level, name))
			return nc_sockopt_int_reply(rep, 64);
		break;
	default:
		return -EOPNOTSUPP;
	}
	return nc_sockopt_stored(s, level, name, known_shared(level, name), rep);
}
