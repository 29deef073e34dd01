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
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "sock_priv.h"

static struct {
	int rmem_max, wmem_max;		/* net.core: the most SO_RCVBUF/SO_SNDBUF may ask */
	int tcp_rmem_default, tcp_wmem_default;	/* net.ipv4.tcp_[rw]mem's middle values */
	int linger_forever;	/* SO_LINGER's l_linger, read back, after a negative one */
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

/*
 * probe_linger_forever() - what the kernel reads back as SO_LINGER's time
 * after {1, -1}: a negative time means no limit, kept as
 * MAX_SCHEDULE_TIMEOUT (LONG_MAX jiffies) and read back as that over HZ, cut
 * to an int, so it depends on the kernel's HZ (-1752346657 with HZ=250). We
 * ask a kernel socket once; INT_MAX if we cannot.
 */
static int probe_linger_forever(void)
{
	struct linger l = { 1, -1 };
	socklen_t len = sizeof(l);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return INT_MAX;
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) ||
	    getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len))
		l.l_linger = INT_MAX;
	close(fd);
	return l.l_linger;
}

/* nc_sockopt_init() - the kernel's buffer limits and defaults, which we report as ours. */
void nc_sockopt_init(void)
{
	sysctl.linger_forever = probe_linger_forever();
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
		return name == SO_DEBUG || name == SO_BROADCAST || name == SO_OOBINLINE ||
		       name == SO_PRIORITY || name == SO_DONTROUTE || name == SO_MARK ||
		       name == SO_BUSY_POLL || name == SO_TIMESTAMP || name == SO_ZEROCOPY;
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
 * store() - keep @len bytes at @value as the value of (@level, @name): at
 * most NC_GENERIC_OPTS options a socket, values truncated to
 * NC_GENERIC_OPT_LEN bytes.
 */
static int store(struct nc_sock *s, int level, int name, const void *value, uint32_t len)
{
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
	g->len = len > NC_GENERIC_OPT_LEN ? NC_GENERIC_OPT_LEN : len;
	memcpy(g->value, value, g->len);
	return 0;
}

/*
 * nc_sockopt_store() - keep the request's value of an option we accept but
 * do not act on, as given. The caller has checked that it is known.
 */
int nc_sockopt_store(struct nc_sock *s, const struct nc_request *req)
{
	return store(s, req->arg[0], req->arg[1], req->opt, req->optlen);
}

/* store_int() - keep @v, as Linux normalised it, as the value of the request's option. */
static int store_int(struct nc_sock *s, const struct nc_request *req, int v)
{
	return store(s, req->arg[0], req->arg[1], &v, sizeof(v));
}

/* stored_int() - the int stored for (@level, @name), or @dflt if none is. */
static int stored_int(struct nc_sock *s, int level, int name, int dflt)
{
	struct nc_generic_opt *g = nc_sockopt_find(s, level, name);
	int v = dflt;

	if (g && g->len >= sizeof(v))
		memcpy(&v, g->value, sizeof(v));
	return v;
}

/*
 * privileged() - may the socket do what Linux lets only CAP_NET_ADMIN do?
 * We go by the creator's uid: root has the capability, others (as far as we
 * can tell) do not.
 */
static bool privileged(const struct nc_sock *s)
{
	return s->uid == 0;
}

/*
 * set_socket_stored() - SOL_SOCKET options we only store, checked and
 * normalised as sk_setsockopt() does: flags read back as 0 or 1.
 */
static int set_socket_stored(struct nc_sock *s, const struct nc_request *req, int v)
{
	switch (req->arg[1]) {
	case SO_DEBUG:
		/* Linux: turning it on needs CAP_NET_ADMIN, turning it off does not */
		if (v && !privileged(s))
			return -EACCES;
		return store_int(s, req, v != 0);
	case SO_PRIORITY:
		/* 0..6 for anyone, the rest with CAP_NET_ADMIN (or CAP_NET_RAW) */
		if ((v < 0 || v > 6) && !privileged(s))
			return -EPERM;
		return store_int(s, req, v);
	case SO_MARK:
		if (!privileged(s))
			return -EPERM;
		return store_int(s, req, v);
	case SO_BUSY_POLL:
		if (v < 0)
			return -EINVAL;
		return store_int(s, req, v);
	case SO_ZEROCOPY:
		if (v < 0 || v > 1)
			return -EINVAL;
		return store_int(s, req, v);
	case SO_BROADCAST:
	case SO_OOBINLINE:
	case SO_DONTROUTE:
	case SO_TIMESTAMP:
		return store_int(s, req, v != 0);
	}
	return -ENOPROTOOPT;
}

/*
 * ip_int() - an IPPROTO_IP option's value as do_ip_setsockopt() reads it:
 * an int if there is room for one, else one unsigned byte, else (optlen 0)
 * 0. @len_ok says whether there was at least the byte.
 */
static int ip_int(const struct nc_request *req, bool *len_ok)
{
	int v = 0;

	*len_ok = req->optlen >= 1;
	if (req->optlen >= sizeof(int))
		memcpy(&v, req->opt, sizeof(v));
	else if (req->optlen >= 1)
		v = req->opt[0];
	return v;
}

/*
 * set_ip() - IPPROTO_IP options of a socket whose protocol did not answer
 * them (TCP's): checked and normalised as do_ip_setsockopt() does, then
 * stored.
 */
static int set_ip(struct nc_sock *s, const struct nc_request *req)
{
	bool len_ok;
	int v = ip_int(req, &len_ok);

	switch (req->arg[1]) {
	case IP_TOS:
		/*
		 * Linux keeps one byte, and on a stream socket not the ECN
		 * bits, which belong to TCP (ours are always 0): 0x03 reads
		 * back 0, 256 reads 0, -1 reads 0xfc.
		 */
		v &= 0xff;
		if (s->type == SOCK_STREAM)
			v &= ~3;
		return store_int(s, req, v);
	case IP_TTL:
		/* 1..255, or -1 for the default (read back as the default) */
		if (!len_ok || (v != -1 && (v < 1 || v > 255)))
			return -EINVAL;
		return store_int(s, req, v);
	case IP_MTU_DISCOVER:
		if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT)
			return -EINVAL;
		return store_int(s, req, v);
	case IP_RECVERR:
	case IP_BIND_ADDRESS_NO_PORT:
	case IP_FREEBIND:
	case IP_TRANSPARENT:
	case IP_PKTINFO:
		return store_int(s, req, v != 0);
	}
	return -ENOPROTOOPT;
}

/*
 * set_ipv6() - IPPROTO_IPV6 options we only store, checked and normalised as
 * do_ipv6_setsockopt() does (an int is needed: shorter is EINVAL).
 */
static int set_ipv6(struct nc_sock *s, const struct nc_request *req, int v)
{
	switch (req->arg[1]) {
	case IPV6_UNICAST_HOPS:
		/* 0..255, or -1 for the default (read back as the default) */
		if (v < -1 || v > 255)
			return -EINVAL;
		return store_int(s, req, v);
	case IPV6_TCLASS:
		/* -1 is the default class, 0 (RFC 3542, 6.5); ECN bits as IP_TOS */
		if (v < -1 || v > 255)
			return -EINVAL;
		if (v == -1)
			v = 0;
		if (s->type == SOCK_STREAM)
			v &= ~3;
		return store_int(s, req, v);
	case IPV6_MTU_DISCOVER:
		if (v < IPV6_PMTUDISC_DONT || v > IPV6_PMTUDISC_OMIT)
			return -EINVAL;
		return store_int(s, req, v);
	case IPV6_RECVERR:
	case IPV6_RECVPKTINFO:
		return store_int(s, req, v != 0);
	}
	return -ENOPROTOOPT;
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
 * set_linger() - SO_LINGER as sk_setsockopt() takes it: l_onoff 0 turns
 * lingering off and leaves the time as it was (so {1,5} then {0,0} reads
 * {0,5}); any other l_onoff turns it on with l_linger seconds, a negative
 * l_linger meaning no limit (kept as -1: see probe_linger_forever() for
 * what it reads back as).
 */
static int set_linger(struct nc_sock *s, const struct nc_request *req)
{
	struct linger l;

	if (req->optlen < sizeof(l))
		return -EINVAL;
	memcpy(&l, req->opt, sizeof(l));
	if (!l.l_onoff) {
		s->opts.linger_on = false;
		return 0;
	}
	s->opts.linger_on = true;
	s->opts.linger_s = l.l_linger < 0 ? -1 : l.l_linger;
	return 0;
}

/*
 * nc_sockopt_set() - setsockopt() at a shared level (any other level is
 * ENOPROTOOPT: the protocol answers its own before calling this).
 */
int nc_sockopt_set(struct nc_sock *s, const struct nc_request *req)
{
	int level = req->arg[0], name = req->arg[1], v = 0;

	if (level == SOL_SOCKET && name == SO_LINGER)
		return set_linger(s, req);
	if (level == IPPROTO_IP)
		return known_shared(level, name) ? set_ip(s, req) : -ENOPROTOOPT;
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
		return known_shared(level, name) ? set_socket_stored(s, req, v) : -ENOPROTOOPT;
	case IPPROTO_IPV6:
		if (s->domain != AF_INET6)
			return -ENOPROTOOPT;
		if (name == IPV6_V6ONLY) {
			if (s->bound || s->state != SOCK_NEW)
				return -EINVAL;
			s->opts.v6only = v != 0;
			return 0;
		}
		return known_shared(level, name) ? set_ipv6(s, req, v) : -ENOPROTOOPT;
	}
	return -ENOPROTOOPT;
}

/*
 * nc_sockopt_get() - getsockopt() at a shared level. Any other level (the
 * protocol answers its own before calling this) is EOPNOTSUPP on an IPv4
 * socket but ENOPROTOOPT on an IPv6 one: Linux asks ip_getsockopt(), which
 * says EOPNOTSUPP to a level not its own, or ipv6_getsockopt(), which says
 * ENOPROTOOPT.
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

			if (l.l_linger < 0)
				l.l_linger = sysctl.linger_forever;

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
		if (name == IPV6_UNICAST_HOPS) {
			int v = stored_int(s, level, name, -1);

			/* -1 (or never set) reads as the default hop limit */
			return nc_sockopt_int_reply(rep, v < 0 ? 64 : v);
		}
		if (name == IPV6_MTU_DISCOVER)	/* a new socket's: path MTU discovery wanted */
			return nc_sockopt_int_reply(rep, stored_int(s, level, name, IPV6_PMTUDISC_WANT));
		break;
	case IPPROTO_IP:
		if (name == IP_TTL) {
			int v = stored_int(s, level, name, -1);

			/* -1 (or never set) reads as net.ipv4.ip_default_ttl, ours 64 */
			return nc_sockopt_int_reply(rep, v < 0 ? 64 : v);
		}
		if (name == IP_MTU_DISCOVER)	/* net.ipv4.ip_no_pmtu_disc 0: discovery wanted */
			return nc_sockopt_int_reply(rep, stored_int(s, level, name, IP_PMTUDISC_WANT));
		break;
	default:
		return s->domain == AF_INET6 ? -ENOPROTOOPT : -EOPNOTSUPP;
	}
	return nc_sockopt_stored(s, level, name, known_shared(level, name), rep);
}
