/*
 * icmp.c - ICMP echo sockets ("ping sockets") inside the service:
 * socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) and (AF_INET6, SOCK_DGRAM,
 * IPPROTO_ICMPV6), with Linux's semantics (net/ipv4/ping.c):
 *
 *  - the program writes an echo request (type 8 / 128, code 0) of its own:
 *    identifier, sequence number, payload. The identifier is replaced by the
 *    socket's "port" (its identifier: bind() chooses it, 0 or an unbound
 *    socket's first send picks one) and the checksum is computed here;
 *  - it reads the echo replies that carry its identifier, whole ICMP
 *    messages (header included), the source address in recvfrom with port
 *    0; IP_RECVTTL / IPV6_RECVHOPLIMIT and the other receive reports work as
 *    on UDP (src/common/dgram.h's header carries them);
 *  - getpeername() is ENOTCONN even when connected (the "port" of the peer
 *    is 0, as Linux's inet_getname() sees it).
 *
 * Transport between program and service is UDP's (udp.c): a SOCK_SEQPACKET
 * socketpair, each record one datagram, framed with struct nc_dgram_hdr
 * while unconnected, bare once connected; libnetcon does the program side.
 * A record the program writes that is not a valid echo request is dropped
 * (counted): Linux's EINVAL cannot reach the program without a round trip.
 *
 * lwIP side: one raw PCB per family (IPPROTO_ICMP on IPv4, ICMPv6 on IPv6),
 * shared by every socket, sends and receives. Its receive callback takes
 * only echo replies whose identifier one of our sockets holds; everything
 * else (echo requests to the service itself, which lwIP's icmp_input keeps
 * answering, errors, ND, MLD) is left to lwIP (the callback returns 0).
 *
 * Identifiers are a space of their own, kept here rather than in ports.c,
 * because Linux's rules for them are not those of ports: IPv4 and IPv6
 * sockets share one space; addresses do not matter; a new socket has
 * SO_REUSEADDR on, and two sockets may hold one identifier unless one of
 * them turned it off; ephemeral identifiers come from a rover counting up
 * through 1..65535. A socket holding an identifier is "bound" for
 * getsockname() (s->bound, s->local_port) but never enters ports.c's chains:
 * release clears s->bound first, so ports.c has nothing to let go of.
 *
 * Not done: IP_RECVERR's error queue (ICMP errors about our requests,
 * "destination unreachable", "time exceeded", are not delivered: ping
 * reports only the loss, and exits 1 as on the kernel); SO_TIMESTAMP*
 * control messages (accepted and stored; ping then measures with its own
 * clock); multicast destinations; echo replies whose IPv6 packet has
 * extension headers (lwIP's raw input matches the first next header).
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

#include "lwip/ip.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/raw.h"
#include "lwip/prot/icmp.h"
#include "lwip/prot/icmp6.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"

#include "sock_priv.h"
#include "addr.h"
#include "dgram_sock.h"
#include "stack.h"
#include "random.h"
#include "../common/dgram.h"
#include "../common/log.h"
#include "iobuf.h"

#define READ_BATCH	64		/* records taken from one program per event */
#define ICMP_HDR	8		/* type, code, checksum, identifier, sequence */
#define ICMP_MAX4	(0xffff - 20)	/* an ICMP message in one IPv4 packet */
#define ICMP_MAX6	(0xffff - 40)	/* ... in one IPv6 packet (lwIP: no jumbograms) */
#define SCRATCH		(sizeof(struct nc_dgram_hdr) + 65536)

static struct {
	uint8_t scratch[SCRATCH] NC_IO_ALIGNED;
	struct raw_pcb *pcb4, *pcb6;
	/* idents[id]: the sockets holding identifier @id, newest first (->icmp.next). */
	struct nc_sock *idents[65536];
	uint16_t rover;			/* the last ephemeral identifier given */
	uint64_t drops_in, drops_out;
} icmp;

/* ------------------------------------------------------- checksums -- */

/* sum16() - @len bytes of @data added to @sum as big-endian 16-bit words. */
static uint32_t sum16(uint32_t sum, const uint8_t *data, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(data[i] << 8 | data[i + 1]);
	if (len & 1)
		sum += (uint32_t)data[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/*
 * icmp_sum() - the Internet checksum (not complemented) of ICMP message
 * @msg of @len bytes, with ICMPv6's pseudo-header (@src, @dst) when they
 * are IPv6 addresses. A message whose checksum is right sums to 0xffff.
 */
static uint32_t icmp_sum(const uint8_t *msg, size_t len, const ip_addr_t *src,
			 const ip_addr_t *dst)
{
	uint32_t sum = 0;

	if (IP_IS_V6(dst)) {
		uint8_t ph[8] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
				  (uint8_t)len, 0, 0, 0, IP6_NEXTH_ICMP6 };

		sum = sum16(sum, (const uint8_t *)ip_2_ip6(src)->addr, 16);
		sum = sum16(sum, (const uint8_t *)ip_2_ip6(dst)->addr, 16);
		sum = sum16(sum, ph, sizeof(ph));
	}
	return sum16(sum, msg, len);
}

/* set_checksum() - fill in @msg's checksum (bytes 2-3). */
static void set_checksum(uint8_t *msg, size_t len, const ip_addr_t *src, const ip_addr_t *dst)
{
	uint16_t c;

	msg[2] = msg[3] = 0;
	c = (uint16_t)~icmp_sum(msg, len, src, dst);
	msg[2] = (uint8_t)(c >> 8);
	msg[3] = (uint8_t)c;
}

/* ------------------------------------------------------ identifiers -- */

/*
 * ident_conflict() - may @s not take identifier @id? Linux's rule: another
 * holder conflicts unless both have SO_REUSEADDR (on by default), whatever
 * the addresses and families.
 */
static bool ident_conflict(const struct nc_sock *s, uint16_t id)
{
	const struct nc_sock *o;

	for (o = icmp.idents[id]; o; o = o->icmp.next)
		if (o != s && (!o->opts.reuseaddr || !s->opts.reuseaddr))
			return true;
	return false;
}

/*
 * ident_take() - @s holds identifier @id (0: the next free one after the
 * rover, as Linux picks them) on local address @ip. 0 or -EADDRINUSE.
 */
static int ident_take(struct nc_sock *s, const ip_addr_t *ip, uint16_t id)
{
	unsigned i;

	if (id == 0) {
		for (i = 0; i < 65536; i++) {
			uint16_t c = (uint16_t)(icmp.rover + 1 + i);

			if (c && !icmp.idents[c])
				break;
		}
		if (i == 65536)
			return -EADDRINUSE;
		id = (uint16_t)(icmp.rover + 1 + i);
		icmp.rover = id;
	} else if (ident_conflict(s, id)) {
		return -EADDRINUSE;
	}
	s->local_ip = *ip;
	s->local_port = id;
	s->bound = true;
	s->icmp.next = icmp.idents[id];
	icmp.idents[id] = s;
	s->icmp.holds = true;
	return 0;
}

/* ident_drop() - @s lets go of its identifier and is unbound. */
static void ident_drop(struct nc_sock *s)
{
	struct nc_sock **pp;

	if (s->icmp.holds) {
		for (pp = &icmp.idents[s->local_port]; *pp; pp = &(*pp)->icmp.next) {
			if (*pp == s) {
				*pp = s->icmp.next;
				break;
			}
		}
		s->icmp.holds = false;
	}
	s->bound = false;
	s->autobound = false;
}

/* any_of() - the wildcard of @s's family (an ICMPv6 socket never sees IPv4). */
static void any_of(const struct nc_sock *s, ip_addr_t *ip)
{
	if (s->domain == AF_INET)
		ip_addr_set_zero_ip4(ip);
	else
		ip_addr_set_zero_ip6(ip);
}

/* autobind() - a send or connect on an unbound socket takes an ephemeral identifier. */
static int autobind(struct nc_sock *s)
{
	ip_addr_t any;
	int r;

	if (s->bound)
		return 0;
	any_of(s, &any);
	r = ident_take(s, &any, 0);
	if (!r)
		s->autobound = true;
	return r;
}

/* ------------------------------------------------------------ state -- */

static u8_t on_raw(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr);

/*
 * pcbs() - the shared raw PCBs, made with the first socket (lwIP is up by
 * then). False if lwIP has no memory for them; sends then fail (dropped).
 */
static bool pcbs(void)
{
	if (!icmp.pcb4 && !icmp.pcb6)
		icmp.rover = (uint16_t)nc_random_u32();	/* where ephemeral identifiers start */
	if (!icmp.pcb4) {
		icmp.pcb4 = raw_new_ip_type(IPADDR_TYPE_V4, IP_PROTO_ICMP);
		if (icmp.pcb4)
			raw_recv(icmp.pcb4, on_raw, NULL);
	}
	if (!icmp.pcb6) {
		icmp.pcb6 = raw_new_ip_type(IPADDR_TYPE_V6, IP6_NEXTH_ICMP6);
		if (icmp.pcb6)
			raw_recv(icmp.pcb6, on_raw, NULL);
	}
	return icmp.pcb4 && icmp.pcb6;
}

/* icmp_sock_init() - a new socket's defaults, as Linux's (SO_REUSEADDR on). */
static void icmp_sock_init(struct nc_sock *s, const struct nc_sock *parent)
{
	struct nc_icmp_sock *k = &s->icmp;

	(void)parent;
	memset(k, 0, sizeof(*k));
	k->ttl = -1;
	s->opts.reuseaddr = true;	/* inet_create(): INET_PROTOSW_REUSE */
	pcbs();
}

/* icmp_sock_release() - the socket is over: its identifier (nothing else is its own). */
static void icmp_sock_release(struct nc_sock *s)
{
	ident_drop(s);
}

/* ---------------------------------------------------- network to app -- */

/* fill_header() - the source, and the destination, TTL and TOS of the packet in hand. */
static void fill_header(const struct nc_sock *s, struct nc_dgram_hdr *h, const ip_addr_t *src)
{
	const ip_addr_t *dst = ip_current_dest_addr();

	memset(h, 0, sizeof(*h));
	h->magic = NC_DGRAM_MAGIC;
	h->addrlen = nc_addr_to_sockaddr(src, 0, s->domain, h->addr);
	h->info = NC_DGRAM_PKTINFO | NC_DGRAM_TTL | NC_DGRAM_TOS;
	/*
	 * The interface a program can name: the service's interfaces are not
	 * in its (usually empty) namespace, whose loopback, index 1, is the one
	 * it has; dnsmasq drops a query whose interface has no name.
	 */
	h->ifindex = NC_DGRAM_IFINDEX;
	if (IP_IS_V4(dst)) {
		const struct ip_hdr *iph = ip4_current_header();

		memcpy(h->dst, &ip_2_ip4(dst)->addr, 4);
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
 * receiver() - the socket an echo reply with identifier @id, to @dst, is
 * for: Linux's ping_lookup(), the newest holder of the identifier of the
 * packet's family whose bound address is the wildcard or @dst.
 */
static struct nc_sock *receiver(uint16_t id, const ip_addr_t *dst)
{
	struct nc_sock *s;

	for (s = icmp.idents[id]; s; s = s->icmp.next) {
		if (s->dead || s->fd < 0 || (s->domain == AF_INET) != IP_IS_V4(dst))
			continue;
		if (ip_addr_isany(&s->local_ip) || ip_addr_cmp_zoneless(&s->local_ip, dst))
			return s;
	}
	return NULL;
}

/*
 * on_raw() - lwIP's raw input, for every ICMP / ICMPv6 packet (@p starts
 * at the IP header; lwIP checked the IP header, nothing else). An echo
 * reply for one of our sockets is delivered and eaten (returns 1); anything
 * else returns 0, untouched, for lwIP to handle. The checksum is verified
 * where the interface verifies (the link); where it does not (loopback,
 * other services on the local switch) lwIP may not have computed one, so it
 * is computed here: the program sees a right one, as from the kernel.
 */
static u8_t on_raw(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
	const ip_addr_t *dst = ip_current_dest_addr();
	struct netif *in = ip_current_input_netif();
	uint8_t *msg = icmp.scratch + sizeof(struct nc_dgram_hdr);
	u16_t hl = (u16_t)ip_current_header_tot_len(), len;
	uint8_t head[ICMP_HDR];
	struct nc_dgram_hdr h;
	struct iovec iov[2];
	struct msghdr m = { .msg_iov = iov };
	struct nc_sock *s;
	bool check;

	(void)arg;
	(void)pcb;
	if (p->tot_len < hl || p->tot_len - hl < ICMP_HDR ||
	    pbuf_copy_partial(p, head, ICMP_HDR, hl) != ICMP_HDR)
		return 0;
	if (head[0] != (IP_IS_V4(dst) ? ICMP_ER : ICMP6_TYPE_EREP))
		return 0;
	s = receiver((uint16_t)(head[4] << 8 | head[5]), dst);
	if (!s)
		return 0;
	len = (u16_t)(p->tot_len - hl);
	if (pbuf_copy_partial(p, msg, len, hl) != len)
		return 0;
	check = in && (in->chksum_flags & (IP_IS_V4(dst) ? NETIF_CHECKSUM_CHECK_ICMP :
								NETIF_CHECKSUM_CHECK_ICMP6));
	if (check && icmp_sum(msg, len, addr, dst) != 0xffff) {
		icmp.drops_in++;	/* corrupt: the kernel drops it too */
		pbuf_free(p);
		return 1;
	}
	if (!check)
		set_checksum(msg, len, addr, dst);
	m.msg_iovlen = 0;
	if (!s->have_remote) {
		fill_header(s, &h, addr);
		iov[m.msg_iovlen].iov_base = &h;
		iov[m.msg_iovlen++].iov_len = sizeof(h);
	}
	iov[m.msg_iovlen].iov_base = msg;
	iov[m.msg_iovlen++].iov_len = len;
	if (sendmsg(s->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		s->icmp.drops_in++;	/* the program's receive queue is full */
		icmp.drops_in++;
	}
	pbuf_free(p);
	return 1;
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
 * route() - the interface and source address towards @dst for @s: its
 * bound address if it has one, else the interface's. False: no route
 * (ENETUNREACH on Linux).
 */
static bool route(const struct nc_sock *s, const ip_addr_t *dst, struct netif **out,
		  ip_addr_t *src)
{
	struct netif *n;

	if (IP_IS_V4(dst)) {
		n = ip4_addr_get_u32(ip_2_ip4(dst)) == IPADDR_BROADCAST ? nc_stack_netif() :
		    ip4_route(ip_2_ip4(dst));
		if (!n)
			return false;
		if (!ip_addr_isany(&s->local_ip) && IP_IS_V4(&s->local_ip))
			*src = s->local_ip;
		else
			ip_addr_copy_from_ip4(*src, *netif_ip4_addr(n));
	} else {
		const ip_addr_t *a;

		n = ip6_route(IP6_ADDR_ANY6, ip_2_ip6(dst));
		if (!n)
			return false;
		if (!ip_addr_isany(&s->local_ip) && IP_IS_V6(&s->local_ip)) {
			*src = s->local_ip;
		} else {
			a = ip6_select_source_address(n, ip_2_ip6(dst));
			if (!a)
				return false;
			ip_addr_copy(*src, *a);
		}
	}
	*out = n;
	return true;
}

/*
 * dest_of() - a destination the program gave, with Linux's checks for a
 * ping socket (the port is ignored; an ICMPv6 socket cannot reach IPv4,
 * mapped addresses included). The unspecified address means this host.
 */
static int dest_of(const struct nc_sock *s, const void *sa, uint32_t len, ip_addr_t *ip)
{
	bool mapped;
	u16_t port;
	int r = nc_addr_from_sockaddr(sa, len, s->domain, ip, &port, &mapped);

	if (r)
		return r;
	if (mapped)
		return -EINVAL;
	if (ip_addr_isany(ip))
		ip_addr_set_loopback(s->domain == AF_INET6, ip);
	return 0;
}

/* drop_out() - a datagram of the program's that cannot go: counted. */
static void drop_out(struct nc_sock *s)
{
	s->icmp.drops_out++;
	icmp.drops_out++;
}

/*
 * send_echo() - one echo request of the program's, @len bytes at @msg
 * (writable), to @dst: the identifier becomes the socket's, the checksum
 * ours. What Linux refuses (not an echo request, too short or too long,
 * broadcast without SO_BROADCAST) is dropped.
 */
static void send_echo(struct nc_sock *s, const ip_addr_t *dst, uint8_t *msg, size_t len)
{
	struct nc_icmp_sock *k = &s->icmp;
	struct raw_pcb *pcb = IP_IS_V4(dst) ? icmp.pcb4 : icmp.pcb6;
	struct netif *n;
	ip_addr_t src;
	struct pbuf *p;
	err_t err;

	if (len < ICMP_HDR || len > (IP_IS_V4(dst) ? ICMP_MAX4 : ICMP_MAX6) ||
	    msg[0] != (IP_IS_V4(dst) ? ICMP_ECHO : ICMP6_TYPE_EREQ) || msg[1] != 0 ||
	    (is_broadcast4(dst) && !k->broadcast) || !pcbs() || autobind(s) ||
	    !route(s, dst, &n, &src)) {
		drop_out(s);
		return;
	}
	msg[4] = (uint8_t)(s->local_port >> 8);
	msg[5] = (uint8_t)s->local_port;
	set_checksum(msg, len, &src, dst);
	p = pbuf_alloc(PBUF_IP, (u16_t)len, PBUF_RAM);
	if (!p) {
		drop_out(s);
		return;
	}
	memcpy(p->payload, msg, len);
	pcb->ttl = (u8_t)(k->ttl >= 0 ? k->ttl : 64);
	pcb->tos = k->tos;
	if (k->broadcast)
		ip_set_option(pcb, SOF_BROADCAST);
	else
		ip_reset_option(pcb, SOF_BROADCAST);
	err = raw_sendto_if_src(pcb, p, dst, n, &src);
	pbuf_free(p);
	if (err != ERR_OK)
		drop_out(s);
}

/* take_from() - one record from @fd into the scratch buffer (dgram_sock.h). */
static ssize_t take_from(int fd, bool *marked)
{
	return nc_dgram_take(fd, icmp.scratch, sizeof(icmp.scratch), marked);
}

/*
 * from_app() - send what the program queued, in the framing it was
 * written in. False at the end of what it will write (see udp.c's).
 */
static bool from_app(struct nc_sock *s, bool hup)
{
	const struct nc_dgram_hdr *h = (const void *)icmp.scratch;
	ip_addr_t ip;
	bool marked;
	ssize_t n;
	int i;

	for (i = 0; i < READ_BATCH; i++) {
		n = take_from(s->fd, &marked);
		if (n < 0)
			return true;
		if (s->have_remote && !marked) {
			/* empty reads as end-of-file does: the program's end says which */
			if (n == 0 && (hup || nc_dgram_app_shut(s->fd)))
				return false;
			send_echo(s, &s->remote_ip, icmp.scratch, (size_t)n);
			continue;
		}
		if (n == 0)
			return false;
		if ((size_t)n < sizeof(*h) || h->magic != NC_DGRAM_MAGIC ||
		    h->addrlen > sizeof(h->addr) || dest_of(s, h->addr, h->addrlen, &ip)) {
			drop_out(s);	/* not our framing: a hostile or confused program */
			continue;
		}
		send_echo(s, &ip, icmp.scratch + sizeof(*h), (size_t)n - sizeof(*h));
	}
	return true;	/* more may wait: epoll reports it again in the next batch */
}

static bool *icmp_tx_shut(struct nc_sock *s)
{
	return &s->icmp.tx_shut;
}

static const struct nc_dgram_proto icmp_side = {
	.from_app = from_app,
	.release = icmp_sock_release,
	.tx_shut = icmp_tx_shut,
};

/* icmp_sock_event() - the program wrote, shut its end or closed it (dgram_sock.c). */
static void icmp_sock_event(struct nc_sock *s, uint32_t events)
{
	nc_dgram_event(s, events, &icmp_side);
}

/* icmp_sock_flush() - after a batch: finish reading what a batch cut short. */
static void icmp_sock_flush(struct nc_sock *s)
{
	nc_dgram_flush(s, &icmp_side);
}

/* ----------------------------------------------------------- connect -- */

/*
 * reframe() - the program's receive queue, read through its descriptor
 * @app, rewritten in the socket's new framing (as udp.c's): becoming
 * connected, replies lose their header (Linux keeps every reply for the
 * identifier, whatever its source); becoming unconnected, they gain one
 * naming the old peer.
 */
static void reframe(struct nc_sock *s, int app, bool was_framed, const ip_addr_t *old_ip)
{
	struct nc_held *list = nc_dgram_hold(app, icmp.scratch, sizeof(icmp.scratch)), *r;
	struct nc_dgram_hdr h;

	for (r = list; r; r = r->next) {
		struct iovec iov[2];
		struct msghdr m = { .msg_iov = iov };

		if (r->marked)
			continue;
		if (was_framed && s->have_remote) {
			if (r->len < sizeof(h))
				continue;
			iov[0].iov_base = r->data + sizeof(h);
			iov[0].iov_len = r->len - sizeof(h);
			m.msg_iovlen = 1;
		} else if (was_framed || s->have_remote) {
			iov[0].iov_base = r->data;	/* framing unchanged */
			iov[0].iov_len = r->len;
			m.msg_iovlen = 1;
		} else {
			memset(&h, 0, sizeof(h));
			h.magic = NC_DGRAM_MAGIC;
			h.addrlen = nc_addr_to_sockaddr(old_ip, 0, s->domain, h.addr);
			iov[0].iov_base = &h;
			iov[0].iov_len = sizeof(h);
			iov[1].iov_base = r->data;
			iov[1].iov_len = r->len;
			m.msg_iovlen = 2;
		}
		if (sendmsg(s->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			s->icmp.drops_in++;
	}
	nc_dgram_free_held(list);
}

/*
 * do_connect() - fix the peer (AF_UNSPEC: dissolve it), as Linux's
 * ip4_datagram_connect(): an unbound socket takes an identifier, and a
 * wildcard one the route's source address as its own (replies to other
 * addresses no longer reach it); dissolving undoes what connect did.
 */
static int do_connect(struct nc_sock *s, const struct nc_request *req, int app,
		      struct nc_reply *rep)
{
	bool was_framed = !s->have_remote;
	ip_addr_t old_ip = s->remote_ip, ip, src;
	struct netif *n;
	sa_family_t family;
	int r;

	memcpy(&family, req->addr, sizeof(family));
	if (s->fd >= 0 && !s->icmp.tx_shut)
		from_app(s, false);	/* what was written before connect() goes as it was framed */
	if (family == AF_UNSPEC) {
		s->have_remote = false;
		s->state = SOCK_NEW;
		if (s->icmp.addr_from_connect)
			any_of(s, &s->local_ip);
		s->icmp.addr_from_connect = false;
		if (s->autobound)
			ident_drop(s);
		if (!was_framed)
			reframe(s, app, false, &old_ip);
		return 0;
	}
	r = dest_of(s, req->addr, req->addrlen, &ip);
	if (r)
		return r;
	if (is_broadcast4(&ip) && !s->icmp.broadcast)
		return -EACCES;
	if (!route(s, &ip, &n, &src))
		return -ENETUNREACH;
	r = autobind(s);
	if (r)
		return r;
	if (ip_addr_isany(&s->local_ip)) {
		s->local_ip = src;
		s->icmp.addr_from_connect = true;
	}
	s->remote_ip = ip;
	s->remote_port = 0;
	s->have_remote = true;
	s->state = SOCK_CONNECTED;
	reframe(s, app, was_framed, &old_ip);
	rep->addrlen = nc_addr_to_sockaddr(&ip, 0, s->domain, rep->addr);
	return 0;
}

/* ---------------------------------------------------------- options -- */


/*
 * stored_only() - options ping and friends set that change nothing here:
 * kept so getsockopt() returns them (IP_RECVERR: no error queue yet;
 * SO_TIMESTAMP*: no timestamp messages, ping then uses its own clock).
 */
static bool stored_only(int level, int name)
{
	if (level == SOL_SOCKET)
		return name == SO_TIMESTAMP || name == SO_TIMESTAMPNS || name == SO_TIMESTAMP_NEW ||
		       name == SO_TIMESTAMPNS_NEW || name == SO_TIMESTAMPING || name == SO_MARK ||
		       name == SO_PRIORITY || name == SO_DONTROUTE;
	if (level == IPPROTO_IP)
		return name == IP_RECVERR || name == IP_RETOPTS || name == IP_MTU_DISCOVER ||
		       name == IP_RECVOPTS || name == IP_OPTIONS;
	if (level == IPPROTO_IPV6)
		return name == IPV6_RECVERR || name == IPV6_MTU_DISCOVER ||
		       name == IPV6_AUTOFLOWLABEL;
	return false;
}

/* do_setsockopt() - ICMP's and IP's options here; the shared ones in sockopt.c. */
static int do_setsockopt(struct nc_sock *s, const struct nc_request *req)
{
	struct nc_icmp_sock *k = &s->icmp;
	int level = req->arg[0], name = req->arg[1], v = 0, r;
	bool is_int = nc_sockopt_int(req, &v) == 0;
	unsigned bit = nc_dgram_report_of(level, name);

	if (bit) {
		if (!is_int)
			return -EINVAL;
		k->report = v ? (uint8_t)(k->report | bit) : (uint8_t)(k->report & ~bit);
		return 0;
	}
	if (stored_only(level, name))
		return nc_sockopt_store(s, req);
	if (level == SOL_SOCKET && name == SO_BROADCAST) {
		if (!is_int)
			return -EINVAL;
		k->broadcast = v != 0;
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
	if (level == IPPROTO_IP && (name == IP_TTL || name == IP_TOS)) {
		if (!is_int)
			return -EINVAL;
		if (name == IP_TOS) {
			k->tos = (uint8_t)v;
			return 0;
		}
		if (v == 0 || v < -1 || v > 255)
			return -EINVAL;
		k->ttl = v;
		return 0;
	}
	if (level == IPPROTO_IPV6 && s->domain == AF_INET6 &&
	    (name == IPV6_UNICAST_HOPS || name == IPV6_TCLASS)) {
		if (!is_int || v < -1 || v > 255)
			return -EINVAL;
		if (name == IPV6_TCLASS)
			k->tos = (uint8_t)(v == -1 ? 0 : v);
		else
			k->ttl = v;
		return 0;
	}
	if (level == IPPROTO_TCP || level == IPPROTO_UDP)
		return -ENOPROTOOPT;
	return nc_sockopt_set(s, req);
}

/* do_getsockopt() - the reverse of do_setsockopt(). */
static int do_getsockopt(struct nc_sock *s, const struct nc_request *req, struct nc_reply *rep)
{
	struct nc_icmp_sock *k = &s->icmp;
	int level = req->arg[0], name = req->arg[1];
	unsigned bit = nc_dgram_report_of(level, name);

	if (bit)
		return nc_sockopt_int_reply(rep, (k->report & bit) != 0);
	if (stored_only(level, name))
		return nc_sockopt_stored(s, level, name, true, rep);
	if (level == SOL_SOCKET && name == SO_PROTOCOL)
		return nc_sockopt_int_reply(rep, s->domain == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	if (level == SOL_SOCKET && name == SO_BROADCAST)
		return nc_sockopt_int_reply(rep, k->broadcast);
	if (level == IPPROTO_IP && name == IP_TTL)
		return nc_sockopt_int_reply(rep, k->ttl >= 0 ? k->ttl : 64);
	if (level == IPPROTO_IP && name == IP_TOS)
		return nc_sockopt_int_reply(rep, k->tos);
	if (level == IPPROTO_IPV6 && s->domain == AF_INET6 && name == IPV6_UNICAST_HOPS)
		return nc_sockopt_int_reply(rep, k->ttl >= 0 ? k->ttl : 64);
	if (level == IPPROTO_IPV6 && s->domain == AF_INET6 && name == IPV6_TCLASS)
		return nc_sockopt_int_reply(rep, k->tos);
	if (level == IPPROTO_TCP || level == IPPROTO_UDP)
		return -EOPNOTSUPP;
	return nc_sockopt_get(s, req, rep);
}

/* --------------------------------------------------------- requests -- */

/*
 * do_bind() - bind(): the address must be this host's and of the socket's
 * family (an ICMPv6 socket refuses IPv4-mapped ones: EINVAL, as Linux's
 * ping_check_bind_addr()); the port is the identifier.
 */
static int do_bind(struct nc_sock *s, const struct nc_request *req)
{
	ip_addr_t ip;
	uint16_t port;
	bool mapped;
	int r;

	if (req->arg[0] == NC_BIND_AUTO)
		return autobind(s);
	r = nc_addr_from_sockaddr(req->addr, req->addrlen, s->domain, &ip, &port, &mapped);
	if (r)
		return r;
	if (mapped)
		return -EINVAL;
	if (s->bound)
		return -EINVAL;
	if (!nc_is_local_addr(&ip))
		return -EADDRNOTAVAIL;
	if (ip_addr_isany(&ip))
		any_of(s, &ip);
	return ident_take(s, &ip, port);
}

/*
 * icmp_sock_request() - every request on an ICMP socket but SOCKET and
 * IDENTIFY. What the program sent before the call goes first.
 */
static int icmp_sock_request(struct nc_client *c, struct nc_sock *s, const struct nc_request *req,
			     int *in_fd, struct nc_reply *rep, int *fd_out, int *deferred)
{
	(void)c;
	(void)fd_out;
	(void)deferred;
	if (s->fd >= 0 && !s->icmp.tx_shut && !from_app(s, false))
		nc_dgram_done(s, EPOLLRDHUP, &icmp_side);
	switch (req->op) {
	case NC_OP_BIND:
		return do_bind(s, req);
	case NC_OP_CONNECT:
		return do_connect(s, req, *in_fd, rep);
	case NC_OP_LISTEN:
		return -EOPNOTSUPP;
	case NC_OP_GETSOCKNAME:
		return nc_sock_name(s, false, NULL, rep);
	case NC_OP_GETPEERNAME:
		return -ENOTCONN;	/* the peer's "port" is 0: inet_getname() says so */
	case NC_OP_GETSOCKOPT:
		return do_getsockopt(s, req, rep);
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

const struct nc_proto nc_proto_icmp = {
	.name = "icmp",
	.type = SOCK_DGRAM,
	.pair_type = SOCK_SEQPACKET,
	.events = EPOLLIN | EPOLLRDHUP,
	.protocol = IPPROTO_ICMP,
	.protocol6 = IPPROTO_ICMPV6,
	.explicit_only = true,
	.ports = NC_PORTS_UDP,	/* unused: identifiers are kept here (see the top) */
	.init = icmp_sock_init,
	.request = icmp_sock_request,
	.event = icmp_sock_event,
	.flush = icmp_sock_flush,
	.release = icmp_sock_release,
};
