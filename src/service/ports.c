/*
 * ports.c - local ports and bind().
 *
 * Every socket that holds a local port is on that port's chain (->bnext), in
 * its protocol's port space (struct nc_proto's ports): a TCP socket and a
 * UDP socket on the same port never meet, as in the kernel. The chains give
 * bind() Linux's conflict rules, connect() and listen() a free ephemeral
 * port, and tcp_listen.c the members of an SO_REUSEPORT group.
 */
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "lwip/ip.h"
#include "lwip/netif.h"

#include "sock_priv.h"
#include "ports.h"
#include "addr.h"
#include "random.h"
#include "stack.h"
#include "timewait.h"

#define EPHEMERAL_LOW	32768
#define EPHEMERAL_HIGH	60999

/* chains[space][port]: the sockets holding @port in that space, newest first. */
static struct nc_sock *(*chains)[65536];

/* nc_ports_init() - the chains, all empty (one allocation, 512 KiB a space). */
void nc_ports_init(void)
{
	chains = calloc(NC_PORT_SPACES, sizeof(*chains));
	if (!chains)
		abort();
}

/* chain() - the head of @port's chain in @s's space. */
static struct nc_sock **chain(const struct nc_sock *s, uint16_t port)
{
	return &chains[s->proto->ports][port];
}

/* nc_port_holders() - the first holder of @port in @s's space, or NULL. */
struct nc_sock *nc_port_holders(const struct nc_sock *s, uint16_t port)
{
	return *chain(s, port);
}

/* nc_port_hold() - put @s on its local port's chain (conflicts checked already). */
void nc_port_hold(struct nc_sock *s)
{
	struct nc_sock **head = chain(s, s->local_port);

	s->bnext = *head;
	*head = s;
}

/* nc_port_release() - take @s off its port's chain; it is unbound from here. */
void nc_port_release(struct nc_sock *s)
{
	struct nc_sock **pp;

	if (!s->bound)
		return;
	for (pp = chain(s, s->local_port); *pp; pp = &(*pp)->bnext) {
		if (*pp == s) {
			*pp = s->bnext;
			break;
		}
	}
	s->bound = false;
}

/* covers_v4() - would a socket bound to @ip receive IPv4 traffic? */
static bool covers_v4(const struct nc_sock *s, const ip_addr_t *ip)
{
	if (IP_IS_V4(ip))
		return true;
	return s->domain == AF_INET6 && !s->opts.v6only && ip_addr_isany(ip);
}

/* addrs_overlap() - would two sockets bound to these addresses see the same traffic? */
static bool addrs_overlap(const struct nc_sock *a, const ip_addr_t *aip,
			  const struct nc_sock *b, const ip_addr_t *bip)
{
	bool a4 = covers_v4(a, aip), b4 = covers_v4(b, bip);
	bool a6 = !IP_IS_V4(aip), b6 = !IP_IS_V4(bip);

	if (a4 && b4) {
		if (!IP_IS_V4(aip) || !IP_IS_V4(bip) || ip4_addr_isany(ip_2_ip4(aip)) ||
		    ip4_addr_isany(ip_2_ip4(bip)))
			return true;
		if (ip4_addr_cmp(ip_2_ip4(aip), ip_2_ip4(bip)))
			return true;
	}
	if (a6 && b6) {
		if (ip6_addr_isany(ip_2_ip6(aip)) || ip6_addr_isany(ip_2_ip6(bip)))
			return true;
		return ip6_addr_cmp_zoneless(ip_2_ip6(aip), ip_2_ip6(bip));
	}
	return false;
}

/*
 * holder_conflict() - Linux's rule: two sockets may share a port when their
 * addresses do not overlap, or both set SO_REUSEADDR and the other is not
 * listening, or both set SO_REUSEPORT (and belong to one user). Only sockets
 * of @s's own port space count.
 */
static bool holder_conflict(const struct nc_sock *s, const ip_addr_t *ip, uint16_t port)
{
	const struct nc_sock *o;

	for (o = nc_port_holders(s, port); o; o = o->bnext) {
		if (o == s || !addrs_overlap(s, ip, o, &o->local_ip))
			continue;
		if (s->opts.reuseaddr && o->opts.reuseaddr && o->state != SOCK_LISTEN)
			continue;
		if (s->opts.reuseport && o->opts.reuseport && s->uid == o->uid)
			continue;
		return true;
	}
	return false;
}

/*
 * nc_port_conflict() - may @s bind @ip:@port? The sockets holding it decide
 * (holder_conflict()), and so do TCP connections closed but still closing
 * (TIME_WAIT...), which keep their port as Linux's do (timewait.c).
 */
bool nc_port_conflict(const struct nc_sock *s, const ip_addr_t *ip, uint16_t port)
{
	if (holder_conflict(s, ip, port))
		return true;
	return s->proto->ports == NC_PORTS_TCP && s->state != SOCK_LISTEN &&
	       nc_timewait_bind_conflict(ip, port, s->opts.reuseaddr);
}

/*
 * port_lingers() - is @port still part of a recently closed connection in
 * @s's space? Only TCP has such (TIME_WAIT, timewait.c); ephemeral choice
 * avoids them as the kernel's does.
 */
static bool port_lingers(const struct nc_sock *s, uint16_t port)
{
	return s->proto->ports == NC_PORTS_TCP && nc_timewait_port_busy(port);
}

/* nc_port_pick() - a free ephemeral port, chosen at random like the kernel. */
int nc_port_pick(const struct nc_sock *s, const ip_addr_t *ip)
{
	unsigned range = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
	unsigned start = nc_random_u32() % range, i;

	for (i = 0; i < range; i++) {
		uint16_t port = (uint16_t)(EPHEMERAL_LOW + (start + i) % range);

		if (!nc_port_holders(s, port) && !nc_port_conflict(s, ip, port) &&
		    !port_lingers(s, port))
			return port;
	}
	/*
	 * Every port is taken or recently closed: share one, as SO_REUSEADDR
	 * allows (connect() then avoids a 4-tuple in TIME_WAIT itself).
	 */
	for (i = 0; i < range; i++) {
		uint16_t port = (uint16_t)(EPHEMERAL_LOW + (start + i) % range);

		if (!holder_conflict(s, ip, port))
			return port;
	}
	return -1;
}

/*
 * settle_closed() - holders of @port whose program has closed them (their
 * end shows POLLHUP) but whose event has not been handled yet are handled
 * now: the kernel frees a closed socket's port at once, so a program that
 * closes a socket and binds its port again must not see EADDRINUSE from
 * the order in which the service reads its descriptors.
 */
static void settle_closed(const struct nc_sock *s, uint16_t port)
{
	struct nc_sock *o, *next;
	struct pollfd pfd;

	for (o = nc_port_holders(s, port); o; o = next) {
		next = o->bnext;
		if (o == s || o->fd < 0 || o->dead)
			continue;
		pfd.fd = o->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP))
			o->proto->event(o, EPOLLHUP | EPOLLIN | EPOLLRDHUP);
	}
}

/* nc_port_bind() - record a local address and port, checking conflicts. */
int nc_port_bind(struct nc_sock *s, const ip_addr_t *ip, uint16_t port)
{
	int p = port;

	if (p)
		settle_closed(s, port);
	if (p == 0)
		p = nc_port_pick(s, ip);
	else if (nc_port_conflict(s, ip, port))
		return -EADDRINUSE;
	if (p < 0)
		return -EADDRINUSE;
	s->local_ip = *ip;
	s->local_port = (uint16_t)p;
	s->bound = true;
	nc_port_hold(s);
	return 0;
}

/* nc_any_addr() - the wildcard address for @s's family (dual stack for AF_INET6). */
void nc_any_addr(const struct nc_sock *s, ip_addr_t *ip)
{
	if (s->domain == AF_INET)
		ip_addr_set_zero_ip4(ip);
	else if (s->opts.v6only)
		ip_addr_set_zero_ip6(ip);
	else
		ip_addr_copy(*ip, *IP_ANY_TYPE);	/* IPv4 and IPv6 alike */
}

/* nc_is_local_addr() - may a socket bind to @ip (an address this stack holds)? */
bool nc_is_local_addr(const ip_addr_t *ip)
{
	struct netif *n;

	if (ip_addr_isany(ip))
		return true;
	/* Linux lets a socket bind a broadcast or multicast address too (a receiver of a group). */
	if (IP_IS_V4(ip))
		return nc_stack_is_local4(ip4_addr_get_u32(ip_2_ip4(ip))) ||
		       ip4_addr_ismulticast(ip_2_ip4(ip)) ||
		       ip4_addr_isbroadcast(ip_2_ip4(ip), nc_stack_netif());
	NETIF_FOREACH(n) {
		if (netif_get_ip6_addr_match(n, ip_2_ip6(ip)) >= 0)
			return true;
	}
	return false;
}

/*
 * nc_port_bind_request() - bind(): the address must be of the socket's
 * family and this host's, the socket not yet bound or in use; the
 * unspecified address becomes the family's wildcard.
 */
int nc_port_bind_request(struct nc_sock *s, const struct nc_request *req)
{
	ip_addr_t ip;
	uint16_t port;
	bool mapped;
	int r = nc_addr_from_sockaddr(req->addr, req->addrlen, s->domain, &ip, &port, &mapped);

	if (r)
		return r;
	/* Linux: bind once, before connect or listen; after a failed connection
	 * let go of its port, again. */
	if (s->bound || (s->state != SOCK_NEW && s->state != SOCK_FAILED))
		return -EINVAL;
	if (mapped && s->opts.v6only)
		return -EINVAL;
	if (!nc_is_local_addr(&ip))
		return -EADDRNOTAVAIL;
	if (ip_addr_isany(&ip))
		nc_any_addr(s, &ip);
	if (s->fd < 0 && s->state == SOCK_FAILED) {
		/*
		 * A retired socket (sock.c's zombies): we cannot see the program
		 * close it any more, so it must not hold a port it would keep
		 * after its close. The name is all a bind can give it.
		 */
		if (port && nc_port_conflict(s, &ip, port))
			return -EADDRINUSE;
		s->local_ip = ip;
		s->local_port = port ? port : (uint16_t)nc_port_pick(s, &ip);
		s->bound = true;	/* not on the port's chain: nc_port_release() finds nothing */
		return 0;
	}
	return nc_port_bind(s, &ip, port);
}
