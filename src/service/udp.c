/*
 * udp.c - UDP sockets inside the service.
 *
 * A UDP socket is an AF_UNIX SOCK_SEQPACKET socketpair (every datagram one
 * record, never split or merged; the program's last close shows here as
 * EPOLLHUP) and, once it binds, connects or sends, an lwIP udp_pcb. The
 * framing of each record is src/common/dgram.h's: unconnected, a struct
 * nc_dgram_hdr in front of the payload, both ways; connected, the payload
 * alone. A program's record that carries a descriptor (SCM_RIGHTS, closed
 * at once) is framed whatever the socket's state: that is how a connected
 * socket's sendto() to another address travels.
 *
 * Data path, with no round trip per datagram:
 *   program -> socketpair -> here: read, one record at a time, each sent
 *     with udp_sendto(); an error (no route, no memory) drops it, counted.
 *   network -> lwIP -> here: written to the socketpair at once with
 *     MSG_DONTWAIT; a full socket drops it, counted, as a full receive
 *     buffer does in the kernel. Nothing is queued here, so the stack never
 *     waits for a program.
 *
 * Ports are UDP's own space in ports.c (SO_REUSEADDR and SO_REUSEPORT as
 * Linux has them); every PCB is marked SOF_REUSEADDR so that lwIP never
 * second-guesses ports.c, and with SO_REUSE_RXTOALL lwIP gives each socket
 * on a port its copy of a broadcast or multicast datagram.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <netinet/in.h>

#include "lwip/igmp.h"
#include "lwip/ip.h"
#include "lwip/mld6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/udp.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"

#include "sock_priv.h"
#include "addr.h"
#include "dgram_sock.h"
#include "stack.h"
#include "../common/dgram.h"
#include "../common/log.h"
#include "iobuf.h"

#define READ_BATCH	64		/* records taken from one program per event */
#define SCRATCH		(sizeof(struct nc_dgram_hdr) + 65536)
#define MAX_IOV		64

static struct {
	uint8_t scratch[SCRATCH] NC_IO_ALIGNED;
	uint64_t drops_in, drops_out;	/* for the status: full sockets, failed sends */
} udp;

static void udp_sock_event(struct nc_sock *s, uint32_t events);

/* ------------------------------------------------------------- state -- */

/* udp_sock_init() - a new socket's defaults, as Linux's. */
static void udp_sock_init(struct nc_sock *s, const struct nc_sock *parent)
{
	struct nc_udp_sock *u = &s->udp;

	(void)parent;
	memset(u, 0, sizeof(*u));
	u->ttl = -1;
	u->mcast_ttl = 1;
	u->mcast_loop = true;
	u->hops = -1;
}

/* pcb_type() - the lwIP address family a socket's PCB must accept. */
static u8_t pcb_type(const struct nc_sock *s)
{
	if (s->domain == AF_INET)
		return IPADDR_TYPE_V4;
	return s->opts.v6only ? IPADDR_TYPE_V6 : IPADDR_TYPE_ANY;
}

static void on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		    u16_t port);
static bool is_broadcast4(const ip_addr_t *ip);

/* apply_opts() - what the program set, onto the PCB. */
static void apply_opts(struct nc_sock *s)
{
	struct nc_udp_sock *u = &s->udp;
	struct udp_pcb *pcb = u->pcb;

	if (!pcb)
		return;
	if (s->domain == AF_INET)
		pcb->ttl = (u8_t)(u->ttl >= 0 ? u->ttl : 64);
	else
		pcb->ttl = (u8_t)(u->hops >= 0 ? u->hops : 64);
	pcb->tos = u->tos;
	udp_set_multicast_ttl(pcb, (u8_t)u->mcast_ttl);
	if (u->mcast_loop)
		udp_setflags(pcb, udp_flags(pcb) | UDP_FLAGS_MULTICAST_LOOP);
	else
		udp_setflags(pcb, udp_flags(pcb) & ~UDP_FLAGS_MULTICAST_LOOP);
	if (!ip4_addr_isany_val(u->mcast_if))
		udp_set_multicast_netif_addr(pcb, &u->mcast_if);
	if (u->broadcast)
		ip_set_option(pcb, SOF_BROADCAST);
	else
		ip_reset_option(pcb, SOF_BROADCAST);
}

/* pcb_get() - the socket's PCB, made on first need. NULL: out of memory. */
static struct udp_pcb *pcb_get(struct nc_sock *s)
{
	struct nc_udp_sock *u = &s->udp;

	if (u->pcb)
		return u->pcb;
	u->pcb = udp_new_ip_type(pcb_type(s));
	if (!u->pcb)
		return NULL;
	ip_set_option(u->pcb, SOF_REUSEADDR);	/* ports.c decides who shares a port */
	udp_recv(u->pcb, on_recv, s);
	apply_opts(s);
	return u->pcb;
}

/* pcb_bind() - give the PCB the socket's local address and port. */
static int pcb_bind(struct nc_sock *s)
{
	struct udp_pcb *pcb = pcb_get(s);

	if (!pcb)
		return -ENOBUFS;
	return udp_bind(pcb, &s->local_ip, s->local_port) == ERR_OK ? 0 : -EADDRINUSE;
}

/* autobind() - sendto() on an unbound socket binds the wildcard and an ephemeral port. */
static int autobind(struct nc_sock *s, const ip_addr_t *local)
{
	ip_addr_t any;
	int r;

	if (s->bound)
		return 0;
	if (!local) {
		nc_any_addr(s, &any);
		local = &any;
	}
	r = nc_port_bind(s, local, 0);
	if (r)
		return r;
	s->autobound = true;
	return pcb_bind(s);
}

/* groups_leave() - every multicast group @s joined, left. */
static void groups_leave(struct nc_sock *s)
{
	struct nc_udp_sock *u = &s->udp;
	int i;

	for (i = 0; i < u->ngroups; i++) {
		if (IP_IS_V4(&u->groups[i].group))
			igmp_leavegroup(ip_2_ip4(&u->groups[i].ifaddr), ip_2_ip4(&u->groups[i].group));
		else
			mld6_leavegroup(IP6_ADDR_ANY6, ip_2_ip6(&u->groups[i].group));
	}
	free(u->groups);
	u->groups = NULL;
	u->ngroups = 0;
}

/* udp_sock_release() - the socket is over: its groups, its PCB. */
static void udp_sock_release(struct nc_sock *s)
{
	groups_leave(s);
	if (s->udp.pcb) {
		udp_remove(s->udp.pcb);
		s->udp.pcb = NULL;
	}
}

/* ---------------------------------------------------- network to app -- */

/*
 * fill_header() - what the program learns of a datagram it receives: the
 * source, and the destination, TTL and TOS of the packet being processed.
 */
static void fill_header(const struct nc_sock *s, struct nc_dgram_hdr *h, const ip_addr_t *addr,
			u16_t port)
{
	const ip_addr_t *dst = ip_current_dest_addr();

	memset(h, 0, sizeof(*h));
	h->magic = NC_DGRAM_MAGIC;
	h->addrlen = nc_addr_to_sockaddr(addr, port, s->domain, h->addr);
	h->info = NC_DGRAM_PKTINFO | NC_DGRAM_TTL | NC_DGRAM_TOS;
	/*
	 * The interface a program can name: the service's interfaces are not
	 * in its (usually empty) namespace, whose loopback, index 1, is the one
	 * it has; dnsmasq drops a query whose interface has no name.
	 */
	h->ifindex = NC_DGRAM_IFINDEX;
	if (IP_IS_V4(dst)) {
		const struct ip_hdr *iph = ip4_current_header();

		if (s->domain == AF_INET6) {
			/* IPv4-mapped, as Linux reports it on a dual-stack socket */
			h->dst[10] = h->dst[11] = 0xff;
			memcpy(&h->dst[12], &ip_2_ip4(dst)->addr, 4);
		} else {
			memcpy(h->dst, &ip_2_ip4(dst)->addr, 4);
		}
		if (iph) {
			h->ttl = IPH_TTL(iph);
			h->tos = IPH_TOS(iph);
		}
	} else {
		const struct ip6_hdr *ip6h = ip6_current_header();

		memcpy(h->dst, ip_2_ip6(dst)->addr, 16);
		if (ip6h) {
			h->ttl = IP6H_HOPLIM(ip6h);
			h->tos = IP6H_TC(ip6h);
		}
	}
}

/*
 * on_recv() - lwIP has a datagram for @s: straight to the program, header
 * first if it is framed; dropped (and counted) if its socket is full.
 */
static void on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		    u16_t port)
{
	struct nc_sock *s = arg;
	struct iovec iov[MAX_IOV + 1];
	struct nc_dgram_hdr h;
	struct msghdr m = { .msg_iov = iov };
	struct pbuf *q;
	size_t n = 0;
	ssize_t w;

	if (s->dead || s->fd < 0 || s->udp.rx_shut) {
		pbuf_free(p);
		return;
	}
	/*
	 * A broadcast reaches sockets bound to the wildcard (or to the
	 * broadcast address itself), not those bound to one of our addresses,
	 * as Linux delivers it; lwIP would give it to those on the subnet too.
	 */
	if (is_broadcast4(ip_current_dest_addr()) && !ip_addr_isany(&pcb->local_ip) &&
	    !ip_addr_cmp(&pcb->local_ip, ip_current_dest_addr())) {
		pbuf_free(p);
		return;
	}
	if (!s->have_remote) {
		fill_header(s, &h, addr, port);
		iov[n].iov_base = &h;
		iov[n++].iov_len = sizeof(h);
	}
	for (q = p; q && n <= MAX_IOV; q = q->next) {
		if (!q->len)
			continue;
		iov[n].iov_base = q->payload;
		iov[n++].iov_len = q->len;
	}
	if (q) {
		/* A chain longer than the vector (many small fragments): copy it whole. */
		u16_t len = pbuf_copy_partial(p, udp.scratch, p->tot_len, 0);

		n = 0;
		if (!s->have_remote) {
			iov[n].iov_base = &h;
			iov[n++].iov_len = sizeof(h);
		}
		iov[n].iov_base = udp.scratch;
		iov[n++].iov_len = len;
	}
	m.msg_iovlen = n;
	w = sendmsg(s->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w < 0) {
		s->udp.drops_in++;
		udp.drops_in++;
	}
	pbuf_free(p);
}

/* ---------------------------------------------------- app to network -- */

/* is_broadcast4() - the limited broadcast or a directed one on an interface of ours. */
static bool is_broadcast4(const ip_addr_t *ip)
{
	struct netif *n;

	if (!IP_IS_V4(ip))
		return false;
	if (ip4_addr_get_u32(ip_2_ip4(ip)) == IPADDR_BROADCAST)
		return true;
	NETIF_FOREACH(n) {
		if (ip4_addr_isbroadcast(ip_2_ip4(ip), n))
			return true;
	}
	return false;
}

/*
 * dest_of() - a destination as the program gave it, in lwIP's terms, with
 * the kernel's checks (port 0 is EINVAL; an IPv6 socket may send to IPv4
 * unless IPV6_V6ONLY: ENETUNREACH).
 */
static int dest_of(const struct nc_sock *s, const void *sa, uint32_t len, ip_addr_t *ip,
		   u16_t *port)
{
	sa_family_t family;
	bool mapped = false;
	int r;

	if (len < sizeof(family))
		return -EINVAL;
	memcpy(&family, sa, sizeof(family));
	if (s->domain == AF_INET6 && family == AF_INET) {
		if (s->opts.v6only)
			return -ENETUNREACH;
		r = nc_addr_from_sockaddr(sa, len, AF_INET, ip, port, &mapped);
	} else {
		r = nc_addr_from_sockaddr(sa, len, s->domain, ip, port, &mapped);
		if (!r && mapped && s->opts.v6only)
			return -ENETUNREACH;
	}
	if (r)
		return r;
	if (ip_addr_isany(ip)) {
		/* the unspecified address means this host, as on Linux */
		if (IP_IS_V4(ip))
			ip_addr_set_loopback(false, ip);
		else
			ip_addr_set_loopback(true, ip);
	}
	return 0;
}

/*
 * send_broadcast() - to 255.255.255.255: out on the link (no route is
 * needed for it), and, as Linux loops a broadcast back to this host's own
 * sockets, a copy through the loopback interface with the link's address as
 * its source, where sockets bound to the wildcard receive it.
 */
static err_t send_broadcast(struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *ip, u16_t port)
{
	struct netif *eth = nc_stack_netif(), *lo = nc_stack_loop();
	ip_addr_t src;
	struct pbuf *copy;
	err_t err;

	ip_addr_copy_from_ip4(src, *netif_ip4_addr(eth));
	if (!ip_addr_isany(&pcb->local_ip) && IP_IS_V4(&pcb->local_ip))
		src = pcb->local_ip;
	copy = lo ? pbuf_alloc(PBUF_TRANSPORT, p->tot_len, PBUF_RAM) : NULL;
	if (copy && pbuf_copy(copy, p) != ERR_OK) {
		pbuf_free(copy);
		copy = NULL;
	}
	err = udp_sendto_if_src(pcb, p, ip, port, eth, &src);
	if (copy) {
		udp_sendto_if_src(pcb, copy, ip, port, lo, &src);
		pbuf_free(copy);
	}
	return err;
}

/*
 * multicast_netif() - where a multicast datagram leaves: the interface
 * IP_MULTICAST_IF / IPV6_MULTICAST_IF names, else the link. lwIP would look
 * for a route, and with no default one (no --gateway) find none.
 */
static struct netif *multicast_netif(const struct nc_sock *s, const ip_addr_t *ip)
{
	struct netif *n;

	if (IP_IS_V4(ip) && !ip4_addr_isany_val(s->udp.mcast_if)) {
		NETIF_FOREACH(n) {
			if (ip4_addr_cmp(netif_ip4_addr(n), &s->udp.mcast_if))
				return n;
		}
	}
	if (!IP_IS_V4(ip) && s->udp.mcast_if6 > 0) {
		n = netif_get_by_index((u8_t)s->udp.mcast_if6);
		if (n)
			return n;
	}
	return nc_stack_netif();
}

/* send_datagram() - one datagram of the program's to @ip:@port. Failures are counted drops. */
static void send_datagram(struct nc_sock *s, const ip_addr_t *ip, u16_t port, const void *data,
			  size_t len)
{
	struct udp_pcb *pcb;
	struct pbuf *p;
	err_t err;

	if (port == 0 || len > (IP_IS_V4(ip) ? NC_DGRAM_MAX4 : NC_DGRAM_MAX6) ||
	    (is_broadcast4(ip) && !s->udp.broadcast) || autobind(s, NULL) ||
	    !(pcb = pcb_get(s))) {
		s->udp.drops_out++;
		udp.drops_out++;
		return;
	}
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
	if (!p) {
		s->udp.drops_out++;
		udp.drops_out++;
		return;
	}
	if (len)
		memcpy(p->payload, data, len);
	if (IP_IS_V4(ip) && ip4_addr_get_u32(ip_2_ip4(ip)) == IPADDR_BROADCAST)
		err = send_broadcast(pcb, p, ip, port);
	else if (ip_addr_ismulticast(ip))
		err = udp_sendto_if(pcb, p, ip, port, multicast_netif(s, ip));
	else if (s->have_remote && ip_addr_cmp(ip, &s->remote_ip) && port == s->remote_port)
		err = udp_send(pcb, p);
	else
		err = udp_sendto(pcb, p, ip, port);
	pbuf_free(p);
	if (err != ERR_OK) {
		s->udp.drops_out++;
		udp.drops_out++;
	}
}

/* take_record() - the next record the program wrote. */
static ssize_t take_record(struct nc_sock *s, bool *marked)
{
	return nc_dgram_take(s->fd, udp.scratch, sizeof(udp.scratch), marked);
}

/*
 * from_app() - send what the program queued, in the framing it was written
 * in. Returns false at the end of what the program will write: end-of-file
 * on a framed socket, or on a connected one with @hup (see below).
 */
static bool from_app(struct nc_sock *s, bool hup)
{
	const struct nc_dgram_hdr *h = (const void *)udp.scratch;
	ip_addr_t ip;
	u16_t port;
	bool marked;
	ssize_t n;
	int i;

	for (i = 0; i < READ_BATCH; i++) {
		n = take_record(s, &marked);
		if (n < 0)
			return true;
		if (s->have_remote && !marked) {
			/*
			 * A connected socket's records are bare payloads, and an
			 * empty one reads as end-of-file does: with the program's
			 * end closed or shut for writing (@hup, or seen now), take
			 * it as the end. (An empty datagram sent just before the
			 * close is lost that way; end-of-file taken for datagrams
			 * would loop for ever.)
			 */
			if (n == 0 && (hup || nc_dgram_app_shut(s->fd)))
				return false;
			send_datagram(s, &s->remote_ip, s->remote_port, udp.scratch, (size_t)n);
			continue;
		}
		if (n == 0)
			return false;
		if ((size_t)n < sizeof(*h) || h->magic != NC_DGRAM_MAGIC ||
		    dest_of(s, h->addr, h->addrlen, &ip, &port)) {
			s->udp.drops_out++;	/* not our framing: a hostile or confused program */
			udp.drops_out++;
			continue;
		}
		send_datagram(s, &ip, port, udp.scratch + sizeof(*h), (size_t)n - sizeof(*h));
	}
	/*
	 * More may wait: epoll (level-triggered) reports it again in the next
	 * batch, after the other sockets have had their turn.
	 */
	return true;
}

static bool *udp_tx_shut(struct nc_sock *s)
{
	return &s->udp.tx_shut;
}

static const struct nc_dgram_proto udp_side = {
	.from_app = from_app,
	.release = udp_sock_release,
	.tx_shut = udp_tx_shut,
};

/* udp_sock_event() - the program wrote, shut its end or closed it (dgram_sock.c). */
static void udp_sock_event(struct nc_sock *s, uint32_t events)
{
	nc_dgram_event(s, events, &udp_side);
}

/* udp_sock_flush() - after a batch: finish reading what a batch cut short. */
static void udp_sock_flush(struct nc_sock *s)
{
	nc_dgram_flush(s, &udp_side);
}

/* ----------------------------------------------------------- connect -- */

/*
 * reframe() - the program's receive queue, read through its own descriptor
 * @app (the one CONNECT carried), rewritten in the socket's new framing:
 * becoming connected, only the new peer's datagrams stay, bare; becoming
 * unconnected, the old peer's gain a header. Nothing else is written to the
 * program meanwhile (one thread), so no datagram changes places.
 */
static void reframe(struct nc_sock *s, int app, bool was_framed, const ip_addr_t *old_ip,
		    u16_t old_port)
{
	struct nc_held *list = nc_dgram_hold(app, udp.scratch, sizeof(udp.scratch)), *r;
	struct nc_dgram_hdr h;

	for (r = list; r; r = r->next) {
		const struct nc_dgram_hdr *in = (const void *)r->data;
		struct iovec iov[2];
		struct msghdr m = { .msg_iov = iov };
		ip_addr_t ip;
		u16_t port;
		bool mapped;

		if (r->marked)
			continue;	/* an error for the old association: gone with it */
		if (was_framed) {
			if (r->len < sizeof(*in) ||
			    nc_addr_from_sockaddr(in->addr, in->addrlen, s->domain, &ip, &port,
						  &mapped) ||
			    !s->have_remote || !ip_addr_cmp(&ip, &s->remote_ip) ||
			    port != s->remote_port)
				continue;	/* not from the new peer: the filter drops it */
			iov[0].iov_base = r->data + sizeof(*in);
			iov[0].iov_len = r->len - sizeof(*in);
			m.msg_iovlen = 1;
		} else if (s->have_remote) {
			continue;	/* the old peer's, and we now listen to another */
		} else {
			memset(&h, 0, sizeof(h));
			h.magic = NC_DGRAM_MAGIC;
			h.addrlen = nc_addr_to_sockaddr(old_ip, old_port, s->domain, h.addr);
			iov[0].iov_base = &h;
			iov[0].iov_len = sizeof(h);
			iov[1].iov_base = r->data;
			iov[1].iov_len = r->len;
			m.msg_iovlen = 2;
		}
		if (sendmsg(s->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			s->udp.drops_in++;
	}
	nc_dgram_free_held(list);
}

/* route_src() - the source address the stack would use towards @ip, if any. */
static bool route_src(const ip_addr_t *ip, ip_addr_t *src)
{
	if (IP_IS_V4(ip)) {
		struct netif *n = ip4_addr_get_u32(ip_2_ip4(ip)) == IPADDR_BROADCAST ?
				  nc_stack_netif() : ip4_route(ip_2_ip4(ip));

		if (!n)
			return false;
		ip_addr_copy_from_ip4(*src, *netif_ip4_addr(n));
		return true;
	} else {
		struct netif *n = ip6_route(IP6_ADDR_ANY6, ip_2_ip6(ip));
		const ip_addr_t *a;

		if (!n)
			return false;
		a = ip6_select_source_address(n, ip_2_ip6(ip));
		if (!a)
			return false;
		ip_addr_copy(*src, *a);
		return true;
	}
}

/*
 * do_connect() - fix the peer (AF_UNSPEC: dissolve it). Connecting binds
 * an unbound socket to the route's source address, as Linux does; a socket
 * dissolved that way goes back to unbound.
 */
static int do_connect(struct nc_sock *s, const struct nc_request *req, int app,
		      struct nc_reply *rep)
{
	bool was_framed = !s->have_remote;
	ip_addr_t old_ip = s->remote_ip, ip, src;
	u16_t old_port = s->remote_port, port;
	sa_family_t family;
	int r;

	memcpy(&family, req->addr, sizeof(family));
	from_app(s, false);	/* what was written before connect() goes as it was framed */
	if (family == AF_UNSPEC) {
		if (s->have_remote && s->udp.pcb)
			udp_disconnect(s->udp.pcb);
		s->have_remote = false;
		s->state = SOCK_NEW;
		if (s->autobound) {
			nc_port_release(s);
			s->autobound = false;
			if (s->udp.pcb) {
				udp_remove(s->udp.pcb);
				s->udp.pcb = NULL;
			}
		}
		if (!was_framed)
			reframe(s, app, false, &old_ip, old_port);
		return 0;
	}
	r = dest_of(s, req->addr, req->addrlen, &ip, &port);
	if (r)
		return r == -ENETUNREACH && family == AF_INET ? -EAFNOSUPPORT : r;
	if (is_broadcast4(&ip) && !s->udp.broadcast)
		return -EACCES;
	if (!route_src(&ip, &src))
		return -ENETUNREACH;
	if (!s->bound) {
		r = autobind(s, &src);
		if (r)
			return r;
	}
	if (!pcb_get(s))
		return -ENOBUFS;
	if (udp_connect(s->udp.pcb, &ip, port) != ERR_OK)
		return -ENETUNREACH;
	s->remote_ip = ip;
	s->remote_port = port;
	s->have_remote = true;
	s->state = SOCK_CONNECTED;
	reframe(s, app, was_framed, &old_ip, old_port);
	rep->addrlen = nc_addr_to_sockaddr(&ip, port, s->domain, rep->addr);
	return 0;
}

/* --------------------------------------------------------- options -- */

/* group_find() - index of @group (on @ifaddr, IPv4) among @s's memberships, or -1. */
static int group_find(const struct nc_sock *s, const ip_addr_t *group)
{
	int i;

	for (i = 0; i < s->udp.ngroups; i++)
		if (ip_addr_cmp(&s->udp.groups[i].group, group))
			return i;
	return -1;
}

/* membership() - join or leave a multicast group, with Linux's errors. */
static int membership(struct nc_sock *s, bool join, const ip_addr_t *group,
		      const ip_addr_t *ifaddr)
{
	struct nc_udp_sock *u = &s->udp;
	int i = group_find(s, group);
	err_t err;

	if (!ip_addr_ismulticast(group))
		return -EINVAL;
	if (!join) {
		if (i < 0)
			return -EADDRNOTAVAIL;
		if (IP_IS_V4(group))
			igmp_leavegroup(ip_2_ip4(&u->groups[i].ifaddr), ip_2_ip4(group));
		else
			mld6_leavegroup(IP6_ADDR_ANY6, ip_2_ip6(group));
		u->groups[i] = u->groups[--u->ngroups];
		return 0;
	}
	if (i >= 0)
		return -EADDRINUSE;
	if (u->ngroups >= 20)
		return -ENOBUFS;	/* Linux's default igmp_max_memberships */
	if (IP_IS_V4(group))
		err = igmp_joingroup(ip_2_ip4(ifaddr), ip_2_ip4(group));
	else
		err = mld6_joingroup(IP6_ADDR_ANY6, ip_2_ip6(group));
	if (err != ERR_OK)
		return err == ERR_VAL ? -EADDRNOTAVAIL : -ENOBUFS;
	if (!(u->ngroups % 4)) {
		void *g = realloc(u->groups, (size_t)(u->ngroups + 4) * sizeof(*u->groups));

		if (!g) {
			if (IP_IS_V4(group))
				igmp_leavegroup(ip_2_ip4(ifaddr), ip_2_ip4(group));
			else
				mld6_leavegroup(IP6_ADDR_ANY6, ip_2_ip6(group));
			return -ENOBUFS;
		}
		u->groups = g;
	}
	u->groups[u->ngroups].group = *group;
	u->groups[u->ngroups].ifaddr = *ifaddr;
	u->ngroups++;
	return 0;
}

/* ip4_mreq() - IP_ADD/DROP_MEMBERSHIP's argument: struct ip_mreq or ip_mreqn. */
static int ip4_mreq(const struct nc_request *req, ip_addr_t *group, ip_addr_t *ifaddr)
{
	struct ip_mreqn mr;

	if (req->optlen < sizeof(struct ip_mreq))
		return -EINVAL;
	memset(&mr, 0, sizeof(mr));
	memcpy(&mr, req->opt, req->optlen < sizeof(mr) ? req->optlen : sizeof(mr));
	ip_addr_set_ip4_u32_val(*group, mr.imr_multiaddr.s_addr);
	ip_addr_set_ip4_u32_val(*ifaddr, mr.imr_address.s_addr);
	if (!ip4_addr_isany_val(*ip_2_ip4(ifaddr)) && !nc_is_local_addr(ifaddr))
		return -EADDRNOTAVAIL;
	return 0;
}


/* do_setsockopt() - UDP's and IP's options here; the shared ones in sockopt.c. */
static int do_setsockopt(struct nc_sock *s, const struct nc_request *req)
{
	struct nc_udp_sock *u = &s->udp;
	int level = req->arg[0], name = req->arg[1], v = 0, r;
	bool is_int = nc_sockopt_int(req, &v) == 0;
	ip_addr_t group, ifaddr;
	unsigned bit = nc_dgram_report_of(level, name);

	if (bit) {
		if (!is_int)
			return -EINVAL;
		u->report = v ? (uint8_t)(u->report | bit) : (uint8_t)(u->report & ~bit);
		return 0;
	}
	if (level == SOL_SOCKET && name == SO_BROADCAST) {
		if (!is_int)
			return -EINVAL;
		u->broadcast = v != 0;
		apply_opts(s);
		return nc_sockopt_store(s, req);
	}
	if (level == SOL_SOCKET && name == SO_RCVBUF) {
		r = nc_sockopt_set(s, req);
		if (!r && s->fd >= 0) {
			int size = s->opts.rcvbuf / 2;

			/* what the program's socket can hold is what our end may send it */
			if (setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
				setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
		}
		return r;
	}
	if (level == IPPROTO_UDP)
		return -ENOPROTOOPT;
	if (level == IPPROTO_TCP)
		return -ENOPROTOOPT;
	if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TTL:
			if (!is_int || v == 0 || v < -1 || v > 255)
				return -EINVAL;
			u->ttl = v;
			apply_opts(s);
			return 0;
		case IP_TOS:
			if (!is_int)
				return -EINVAL;
			u->tos = (uint8_t)v;
			apply_opts(s);
			return 0;
		case IP_MULTICAST_TTL:
			if (!is_int || v < -1 || v > 255)
				return -EINVAL;
			u->mcast_ttl = v == -1 ? 1 : v;
			apply_opts(s);
			return 0;
		case IP_MULTICAST_LOOP:
			if (!is_int && req->optlen < 1)
				return -EINVAL;
			u->mcast_loop = is_int ? v != 0 : req->opt[0] != 0;
			apply_opts(s);
			return 0;
		case IP_MULTICAST_IF: {
			struct ip_mreqn mr;

			memset(&mr, 0, sizeof(mr));
			if (req->optlen >= sizeof(struct ip_mreq))
				memcpy(&mr, req->opt, req->optlen < sizeof(mr) ? req->optlen : sizeof(mr));
			else if (req->optlen >= sizeof(struct in_addr))
				memcpy(&mr.imr_address, req->opt, sizeof(struct in_addr));
			else
				return -EINVAL;
			if (req->optlen >= sizeof(struct ip_mreq) && req->optlen < sizeof(mr))
				mr.imr_address = ((struct ip_mreq *)&mr)->imr_interface;
			ip_addr_set_ip4_u32_val(ifaddr, mr.imr_address.s_addr);
			if (!ip4_addr_isany_val(*ip_2_ip4(&ifaddr)) && !nc_is_local_addr(&ifaddr))
				return -EADDRNOTAVAIL;
			ip4_addr_copy(u->mcast_if, *ip_2_ip4(&ifaddr));
			apply_opts(s);
			return 0;
		}
		case IP_ADD_MEMBERSHIP:
		case IP_DROP_MEMBERSHIP:
			r = ip4_mreq(req, &group, &ifaddr);
			if (r)
				return r;
			return membership(s, name == IP_ADD_MEMBERSHIP, &group, &ifaddr);
		}
	}
	if (level == IPPROTO_IPV6 && s->domain == AF_INET6) {
		switch (name) {
		case IPV6_UNICAST_HOPS:
			if (!is_int || v < -1 || v > 255)
				return -EINVAL;
			u->hops = v;
			apply_opts(s);
			return nc_sockopt_store(s, req);
		case IPV6_TCLASS:
			if (!is_int || v < -1 || v > 255)
				return -EINVAL;
			u->tos = (uint8_t)(v == -1 ? 0 : v);
			u->tclass_set = true;
			apply_opts(s);
			return 0;
		case IPV6_MULTICAST_HOPS:
			if (!is_int || v < -1 || v > 255)
				return -EINVAL;
			u->mcast_ttl = v == -1 ? 1 : v;
			apply_opts(s);
			return 0;
		case IPV6_MULTICAST_LOOP:
			if (!is_int || (v != 0 && v != 1))
				return -EINVAL;
			u->mcast_loop = v != 0;
			apply_opts(s);
			return 0;
		case IPV6_MULTICAST_IF:
			if (!is_int)
				return -EINVAL;
			if (v < 0 || v > 255 || (v && !netif_get_by_index((u8_t)v)))
				return -ENODEV;
			u->mcast_if6 = v;
			return 0;
		case IPV6_ADD_MEMBERSHIP:
		case IPV6_DROP_MEMBERSHIP: {
			struct ipv6_mreq mr;

			if (req->optlen < sizeof(mr))
				return -EINVAL;
			memcpy(&mr, req->opt, sizeof(mr));
			ip_addr_copy_from_ip6_packed(group, *(const ip6_addr_p_t *)&mr.ipv6mr_multiaddr);
			ip_addr_set_zero_ip6(&ifaddr);
			return membership(s, name == IPV6_ADD_MEMBERSHIP, &group, &ifaddr);
		}
		}
	}
	return nc_sockopt_set(s, req);
}

/*
 * take_error() - SO_ERROR: a pending ICMP error is the marked record in the
 * program's queue (refused()); reading SO_ERROR takes it out, through @app,
 * the program's own descriptor, rewriting the records around it as they were.
 */
static int take_error(struct nc_sock *s, int app)
{
	struct nc_held *list, *r;
	int err = 0;

	if (!s->udp.error_queued || app < 0)
		return 0;
	s->udp.error_queued = false;
	list = nc_dgram_hold(app, udp.scratch, sizeof(udp.scratch));
	for (r = list; r; r = r->next) {
		if (r->marked) {
			const struct nc_dgram_hdr *h = (const void *)r->data;

			if (!err && r->len >= sizeof(*h))
				err = h->error;
			continue;
		}
		if (send(s->fd, r->data, r->len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			s->udp.drops_in++;
	}
	nc_dgram_free_held(list);
	return err;
}

/* do_getsockopt() - the reverse of do_setsockopt(). */
static int do_getsockopt(struct nc_sock *s, const struct nc_request *req, int app,
			 struct nc_reply *rep)
{
	struct nc_udp_sock *u = &s->udp;
	int level = req->arg[0], name = req->arg[1];
	unsigned bit = nc_dgram_report_of(level, name);

	if (bit)
		return nc_sockopt_int_reply(rep, (u->report & bit) != 0);
	if (level == SOL_SOCKET && name == SO_ERROR)
		return nc_sockopt_int_reply(rep, take_error(s, app));
	if (level == SOL_SOCKET && name == SO_BROADCAST)
		return nc_sockopt_int_reply(rep, u->broadcast);
	if (level == IPPROTO_TCP)
		return -EOPNOTSUPP;
	if (level == IPPROTO_UDP)
		return -ENOPROTOOPT;
	if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TTL:
			return nc_sockopt_int_reply(rep, u->ttl >= 0 ? u->ttl : 64);
		case IP_TOS:
			return nc_sockopt_int_reply(rep, u->tos);
		case IP_MULTICAST_TTL:
			return nc_sockopt_int_reply(rep, u->mcast_ttl);
		case IP_MULTICAST_LOOP:
			return nc_sockopt_int_reply(rep, u->mcast_loop);
		case IP_MULTICAST_IF:
			if (req->arg[2] >= (int)sizeof(struct ip_mreqn)) {
				struct ip_mreqn mr;

				memset(&mr, 0, sizeof(mr));
				mr.imr_address.s_addr = ip4_addr_get_u32(&u->mcast_if);
				memcpy(rep->opt, &mr, sizeof(mr));
				rep->optlen = sizeof(mr);
				return 0;
			}
			memcpy(rep->opt, &u->mcast_if.addr, 4);
			rep->optlen = 4;
			return 0;
		}
	}
	if (level == IPPROTO_IPV6 && s->domain == AF_INET6) {
		switch (name) {
		case IPV6_UNICAST_HOPS:
			return nc_sockopt_int_reply(rep, u->hops >= 0 ? u->hops : 64);
		case IPV6_TCLASS:
			return nc_sockopt_int_reply(rep, u->tos);
		case IPV6_MULTICAST_HOPS:
			return nc_sockopt_int_reply(rep, u->mcast_ttl);
		case IPV6_MULTICAST_LOOP:
			return nc_sockopt_int_reply(rep, u->mcast_loop);
		case IPV6_MULTICAST_IF:
			return nc_sockopt_int_reply(rep, u->mcast_if6);
		}
	}
	return nc_sockopt_get(s, req, rep);
}

/* --------------------------------------------------------- requests -- */

/* do_name() - getsockname(): a connected socket bound to the wildcard has a real address. */
static int do_name(struct nc_sock *s, bool peer, struct nc_reply *rep)
{
	ip_addr_t src;

	if (peer) {
		if (!s->have_remote || s->remote_port == 0)
			return -ENOTCONN;
		return nc_sock_name(s, true, NULL, rep);
	}
	if (s->bound && s->have_remote && ip_addr_isany(&s->local_ip) &&
	    route_src(&s->remote_ip, &src))
		return nc_sock_name(s, false, &src, rep);
	return nc_sock_name(s, false, NULL, rep);
}

/*
 * do_bind() - bind(): ports.c's checks and choice, then the PCB. A PCB made
 * before (an option set) may be of the wrong family now that IPV6_V6ONLY is
 * known: it is made again.
 */
static int do_bind(struct nc_sock *s, const struct nc_request *req)
{
	int r;

	if (s->bound)
		return -EINVAL;
	r = nc_port_bind_request(s, req);
	if (r)
		return r;
	if (s->udp.pcb && s->udp.pcb->local_port == 0) {
		udp_remove(s->udp.pcb);
		s->udp.pcb = NULL;
	}
	r = pcb_bind(s);
	if (r)
		nc_port_release(s);
	return r;
}

/*
 * udp_sock_request() - every request on a UDP socket but SOCKET and IDENTIFY.
 * Stream-only calls get what Linux answers on a datagram socket.
 */
static int udp_sock_request(struct nc_client *c, struct nc_sock *s, const struct nc_request *req,
		       int *in_fd, struct nc_reply *rep, int *fd_out, int *deferred)
{
	(void)c;
	(void)fd_out;
	(void)deferred;
	/*
	 * What the program sent before this call goes first (sendto, then
	 * getsockname...), and what this host answers at once (loopback: an
	 * echo, a port unreachable) is in before the reply, as with the kernel.
	 */
	if (s->fd >= 0 && !s->udp.tx_shut) {
		if (!from_app(s, false))
			nc_dgram_done(s, EPOLLRDHUP, &udp_side);
		netif_poll_all();
	}
	if (s->fd < 0 && (req->op == NC_OP_BIND || req->op == NC_OP_CONNECT ||
			  req->op == NC_OP_SETSOCKOPT))
		return -EPIPE;	/* retired (dgram_sock.c): both directions are shut */
	switch (req->op) {
	case NC_OP_BIND:
		if (req->arg[0] == NC_BIND_AUTO)
			return autobind(s, NULL);
		return do_bind(s, req);
	case NC_OP_CONNECT:
		return do_connect(s, req, *in_fd, rep);
	case NC_OP_LISTEN:
		return -EOPNOTSUPP;
	case NC_OP_GETSOCKNAME:
		return do_name(s, false, rep);
	case NC_OP_GETPEERNAME:
		return do_name(s, true, rep);
	case NC_OP_GETSOCKOPT:
		return do_getsockopt(s, req, *in_fd, rep);
	case NC_OP_SETSOCKOPT:
		return do_setsockopt(s, req);
	case NC_OP_SHUTDOWN:
		if (req->arg[0] < SHUT_RD || req->arg[0] > SHUT_RDWR)
			return -EINVAL;
		return s->have_remote ? 0 : -ENOTCONN;
	case NC_OP_EOF:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* ------------------------------------------------- ICMP errors -- */

/*
 * refused() - the peer of connected socket @s said "port unreachable": the
 * program's next receive fails with ECONNREFUSED, once, as on Linux. The
 * error travels as a marked record (a descriptor rides along, our own end,
 * which the program closes) whose header carries the error.
 */
static void refused(struct nc_sock *s)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct nc_dgram_hdr h;
	struct iovec iov = { .iov_base = &h, .iov_len = sizeof(h) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			    .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *c;

	if (s->dead || s->fd < 0 || !s->have_remote)
		return;
	memset(&h, 0, sizeof(h));
	h.magic = NC_DGRAM_MAGIC;
	h.error = ECONNREFUSED;
	h.addrlen = nc_addr_to_sockaddr(&s->remote_ip, s->remote_port, s->domain, h.addr);
	memset(&control, 0, sizeof(control));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &s->fd, sizeof(int));
	if (sendmsg(s->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
		s->udp.error_queued = true;
}

/* find_connected() - the socket whose PCB is connected from @lport to @rip:@rport. */
static struct nc_sock *find_connected(u16_t lport, const ip_addr_t *rip, u16_t rport)
{
	struct udp_pcb *pcb;

	for (pcb = udp_pcbs; pcb; pcb = pcb->next) {
		if (pcb->local_port == lport && (pcb->flags & UDP_FLAGS_CONNECTED) &&
		    pcb->remote_port == rport && ip_addr_cmp(&pcb->remote_ip, rip) &&
		    pcb->recv == on_recv)
			return pcb->recv_arg;
	}
	return NULL;
}

/*
 * nc_udp_ip4_input() - lwIP's IPv4 input hook: before lwIP looks at a
 * packet, notice an ICMP port unreachable about a datagram of ours (lwIP
 * itself drops those). Nothing here is trusted: every length is checked on
 * a copy. Never eats the packet.
 */
int nc_udp_ip4_input(struct pbuf *p, struct netif *inp)
{
	uint8_t b[60 + 8 + 60 + 8];
	unsigned hl, ihl;
	u16_t n;
	ip_addr_t rip;
	struct nc_sock *s;

	(void)inp;
	if (p->len < 20 || ((const uint8_t *)p->payload)[9] != IP_PROTO_ICMP)
		return 0;
	n = pbuf_copy_partial(p, b, sizeof(b), 0);
	hl = (b[0] & 0x0fu) * 4u;
	if ((b[0] >> 4) != 4 || hl < 20 || n < hl + 8 + 20 + 8)
		return 0;
	if (b[hl] != 3 || b[hl + 1] != 3)	/* destination unreachable: port */
		return 0;
	ihl = (b[hl + 8] & 0x0fu) * 4u;
	if ((b[hl + 8] >> 4) != 4 || ihl < 20 || n < hl + 8 + ihl + 8 || b[hl + 8 + 9] != IP_PROTO_UDP)
		return 0;
	{
		const uint8_t *inner = b + hl + 8, *uh = inner + ihl;
		u32_t dst;

		memcpy(&dst, inner + 16, 4);
		ip_addr_set_ip4_u32_val(rip, dst);
		s = find_connected((u16_t)(uh[0] << 8 | uh[1]), &rip, (u16_t)(uh[2] << 8 | uh[3]));
	}
	if (s)
		refused(s);
	return 0;
}

/* nc_udp_ip6_input() - the same for ICMPv6 (type 1, code 4) on IPv6. */
int nc_udp_ip6_input(struct pbuf *p, struct netif *inp)
{
	uint8_t b[40 + 8 + 40 + 8];
	u16_t n;
	ip_addr_t rip;
	struct nc_sock *s;
	ip6_addr_t a6;

	(void)inp;
	if (p->len < 40 || ((const uint8_t *)p->payload)[6] != IP6_NEXTH_ICMP6)
		return 0;
	n = pbuf_copy_partial(p, b, sizeof(b), 0);
	if (n < sizeof(b) || (b[0] >> 4) != 6 || b[40] != 1 || b[41] != 4)
		return 0;
	if ((b[48] >> 4) != 6 || b[48 + 6] != IP6_NEXTH_UDP)
		return 0;	/* the offending packet had extension headers: let it be */
	memcpy(&a6.addr, b + 48 + 24, 16);
	ip6_addr_clear_zone(&a6);
	ip_addr_copy_from_ip6(rip, a6);
	s = find_connected((u16_t)(b[88] << 8 | b[89]), &rip, (u16_t)(b[90] << 8 | b[91]));
	if (s)
		refused(s);
	return 0;
}

/* udp_sock_shutdown() - the service stops: nothing to tell a UDP peer. */
static void udp_sock_shutdown(struct nc_sock *s)
{
	(void)s;
}

const struct nc_proto nc_proto_udp = {
	.name = "udp",
	.type = SOCK_DGRAM,
	.pair_type = SOCK_SEQPACKET,
	.events = EPOLLIN | EPOLLRDHUP,
	.protocol = IPPROTO_UDP,
	.ports = NC_PORTS_UDP,
	.init = udp_sock_init,
	.request = udp_sock_request,
	.event = udp_sock_event,
	.flush = udp_sock_flush,
	.release = udp_sock_release,
	.shutdown = udp_sock_shutdown,
};

/* nc_udp_drops() - datagrams dropped so far: to programs (full), from them (unsendable). */
void nc_udp_drops(uint64_t *in, uint64_t *out)
{
	*in = udp.drops_in;
	*out = udp.drops_out;
}
