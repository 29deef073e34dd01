/*
 * mdns.c - multicast DNS (RFC 6762) on the virtual link.
 *
 * One UDP pcb on port 5353 (IPv4 and IPv6), member of 224.0.0.251 and
 * ff02::fb on the link's interface, does both jobs:
 *
 *  - responder: queries for the service's name (NAME or NAME.local, any
 *    case) asking A, AAAA or ANY get both address records in one response;
 *    PTR queries for the reverse names of its addresses get NAME.local. Queries
 *    from port 5353 are answered on the group they came in on; others
 *    ("legacy unicast", RFC 6762 section 6.7) straight to the asker with its
 *    ID and question. At start the service announces itself twice, a
 *    second apart, so that peers know it before they ask.
 *  - querier: dns.c asks for a name (nc_mdns_query) and every response seen
 *    on the link feeds the resolver's cache (nc_names_learn_*), which
 *    completes the pending queries. Responses count only with IP TTL / hop
 *    limit 255, i.e. from the link itself (RFC 6762 section 11), and only
 *    their records for names under .local (and PTRs to such names).
 *
 * Not done: probing and conflict resolution (two services given one name
 * both answer), known-answer suppression, goodbye packets at exit.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lwip/igmp.h"
#include "lwip/ip.h"
#include "lwip/mld6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"

#include "mdns.h"
#include "stack.h"
#include "../common/log.h"

#define MDNS_PORT	5353
#define MDNS_TTL	120	/* seconds, for host address records (RFC 6762 section 10) */
#define LEGACY_TTL	10	/* for legacy unicast answers */
#define MDNS_MAX_PKT	9000
#define CACHE_FLUSH	0x8000	/* the rrclass bit of a unique record */
#define QU_BIT		0x8000	/* the qclass bit asking for a unicast response */

static struct {
	const struct nc_config *cfg;
	struct udp_pcb *pcb;
	char name[64];		/* lower case */
	char local[72];		/* NAME.local (or NAME if it ends in .local) */
	char rev4[NC_DNS_NAME_MAX], rev6[NC_DNS_NAME_MAX];
	int announcements;
	uint8_t pkt[MDNS_MAX_PKT];
} md;

/* lower() - copy @src lower-cased into @dst (of @cap bytes). */
static void lower(char *dst, const char *src, size_t cap)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < cap; i++)
		dst[i] = (char)((src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 : src[i]);
	dst[i] = '\0';
}

/* ends_with_local() - does @name end in the label "local"? */
static bool ends_with_local(const char *name)
{
	size_t n = strlen(name);

	return (n == 5 && !strcmp(name, "local")) || (n > 6 && !strcmp(name + n - 6, ".local"));
}

/*
 * nc_mdns_local_name() - the name to ask mDNS for @name (NAME.local unless it already
 * ends so).
 */
void nc_mdns_local_name(const char *name, char *out, size_t cap)
{
	if (ends_with_local(name))
		snprintf(out, cap, "%s", name);
	else
		snprintf(out, cap, "%s.local", name);
}

/* nc_mdns_is_own() - is @name (lower case) ours: NAME or NAME.local? */
bool nc_mdns_is_own(const char *name)
{
	return md.name[0] && (!strcmp(name, md.name) || !strcmp(name, md.local));
}

/* nc_mdns_own_name() - the --name as given, for reverse lookups of our own addresses. */
const char *nc_mdns_own_name(void)
{
	return md.cfg ? md.cfg->name : "";
}

/* nc_mdns_own_addrs() - the addresses we answer with: the link's IPv4 and IPv6 (--ip, --ip6). */
void nc_mdns_own_addrs(struct nc_names_addrs *a)
{
	struct netif *n = nc_stack_netif();
	uint32_t v4 = ip4_addr_get_u32(netif_ip4_addr(n));

	memset(a, 0, sizeof(*a));
	if (v4) {
		memcpy(a->ip4[0], &v4, 4);
		a->n4 = 1;
	}
	if (md.cfg && md.cfg->have_ip6) {
		memcpy(a->ip6[0], &md.cfg->ip6, 16);
		a->n6 = 1;
	}
}

/* nc_mdns_is_own_addr() - is @addr one of the addresses we answer with? */
bool nc_mdns_is_own_addr(int family, const uint8_t *addr)
{
	struct nc_names_addrs a;

	nc_mdns_own_addrs(&a);
	if (family == AF_INET)
		return a.n4 && !memcmp(a.ip4[0], addr, 4);
	return a.n6 && !memcmp(a.ip6[0], addr, 16);
}

/* group() - the mDNS group of @v6's family, zoned on the link for IPv6. */
static void group(ip_addr_t *dst, bool v6)
{
	if (v6) {
		IP_ADDR6_HOST(dst, 0xff020000, 0, 0, 0xfb);
		ip6_addr_assign_zone(ip_2_ip6(dst), IP6_MULTICAST, nc_stack_netif());
	} else {
		IP_ADDR4(dst, 224, 0, 0, 251);
	}
}

/* send_to() - @len bytes of md.pkt to @dst:@port. */
static void send_to(const uint8_t *buf, size_t len, const ip_addr_t *dst, u16_t port)
{
	struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);

	if (!p)
		return;
	pbuf_take(p, buf, (u16_t)len);
	if (udp_sendto(md.pcb, p, dst, port) != ERR_OK)
		nc_debug("mdns: send failed");
	pbuf_free(p);
}

/* put_rr_head() - an answer's owner (a name or a pointer), type, class, TTL. */
static int put_rr_head(uint8_t *b, size_t cap, size_t *off, const char *owner, uint16_t ptr,
		       uint16_t type, uint16_t cls, uint32_t ttl)
{
	if (ptr ? nc_dns_put16(b, cap, off, (uint16_t)(0xc000 | ptr)) :
		  nc_dns_put_name(b, cap, off, owner))
		return -1;
	return nc_dns_put16(b, cap, off, type) || nc_dns_put16(b, cap, off, cls) ||
	       nc_dns_put32(b, cap, off, ttl);
}

/*
 * put_addrs() - our A and/or AAAA records under @owner (written in full the
 * first time, then pointed to). @cls carries the cache-flush bit or not.
 */
static int put_addrs(uint8_t *b, size_t cap, size_t *off, const char *owner, bool want4,
		     bool want6, uint16_t cls, uint32_t ttl, uint16_t *count)
{
	struct nc_names_addrs a;
	uint16_t at = 0;

	nc_mdns_own_addrs(&a);
	if (want4 && a.n4) {
		at = (uint16_t)*off;
		if (put_rr_head(b, cap, off, owner, 0, NC_DNS_T_A, cls, ttl) ||
		    nc_dns_put16(b, cap, off, 4) || nc_dns_put_bytes(b, cap, off, a.ip4[0], 4))
			return -1;
		(*count)++;
	}
	if (want6 && a.n6) {
		if (put_rr_head(b, cap, off, owner, at < 0x3fff ? at : 0, NC_DNS_T_AAAA, cls, ttl) ||
		    nc_dns_put16(b, cap, off, 16) || nc_dns_put_bytes(b, cap, off, a.ip6[0], 16))
			return -1;
		(*count)++;
	}
	return 0;
}

/* announce() - an unsolicited response with our addresses (RFC 6762 section 8.3). */
static void announce(void *arg)
{
	size_t off = 12;
	uint16_t an = 0;
	ip_addr_t dst;

	(void)arg;
	memset(md.pkt, 0, 12);
	md.pkt[2] = 0x84;	/* QR, AA */
	if (put_addrs(md.pkt, sizeof(md.pkt), &off, md.local, true, true,
		      NC_DNS_C_IN | CACHE_FLUSH, MDNS_TTL, &an))
		return;
	md.pkt[6] = (uint8_t)(an >> 8);
	md.pkt[7] = (uint8_t)an;
	group(&dst, false);
	send_to(md.pkt, off, &dst, MDNS_PORT);
	group(&dst, true);
	send_to(md.pkt, off, &dst, MDNS_PORT);
	if (++md.announcements < 2)
		sys_timeout(1000, announce, NULL);
}

/* nc_mdns_query() - one mDNS query for @name (one or two questions) on both groups. */
void nc_mdns_query(const char *name, uint16_t t1, uint16_t t2)
{
	uint8_t b[NC_DNS_NAME_MAX + 32];
	size_t off = 12;
	uint16_t qd = 1;
	ip_addr_t dst;

	if (!md.pcb)
		return;
	memset(b, 0, 12);
	if (nc_dns_put_name(b, sizeof(b), &off, name) || nc_dns_put16(b, sizeof(b), &off, t1) ||
	    nc_dns_put16(b, sizeof(b), &off, NC_DNS_C_IN))
		return;
	if (t2) {
		if (nc_dns_put16(b, sizeof(b), &off, 0xc00c) || nc_dns_put16(b, sizeof(b), &off, t2) ||
		    nc_dns_put16(b, sizeof(b), &off, NC_DNS_C_IN))
			return;
		qd = 2;
	}
	b[5] = (uint8_t)qd;
	group(&dst, false);
	send_to(b, off, &dst, MDNS_PORT);
	group(&dst, true);
	send_to(b, off, &dst, MDNS_PORT);
}

/*
 * answer_query() - a query from the link: answer the questions about our
 * name and addresses, if any. Legacy unicast (source port not 5353) gets the
 * question back, the query's ID, short TTLs and no cache-flush bits.
 */
static void answer_query(const uint8_t *q, size_t len, const struct nc_dns_hdr *h,
			 const ip_addr_t *src, u16_t port)
{
	bool legacy = port != MDNS_PORT, v6 = IP_IS_V6(src);
	bool want4 = false, want6 = false, want_ptr = false;
	char qname[NC_DNS_NAME_MAX], qasked[NC_DNS_NAME_MAX] = "", ptr_owner[NC_DNS_NAME_MAX] = "";
	uint16_t qtype_asked = 0, an = 0, qd = 0;
	size_t off = 12;
	unsigned i;
	uint8_t *b = md.pkt;
	ip_addr_t dst;

	for (i = 0; i < h->qd && i < 16; i++) {
		uint16_t qtype, qclass;
		bool mine;

		if (nc_dns_get_name(q, len, &off, qname, sizeof(qname), false) || off + 4 > len)
			return;
		qtype = (uint16_t)(q[off] << 8 | q[off + 1]);
		qclass = (uint16_t)((q[off + 2] << 8 | q[off + 3]) & ~QU_BIT);
		off += 4;
		if (qclass != NC_DNS_C_IN && qclass != NC_DNS_T_ANY)
			continue;
		mine = false;
		if (nc_mdns_is_own(qname) && (qtype == NC_DNS_T_A || qtype == NC_DNS_T_ANY)) {
			want4 = mine = true;
		}
		if (nc_mdns_is_own(qname) && (qtype == NC_DNS_T_AAAA || qtype == NC_DNS_T_ANY)) {
			want6 = mine = true;
		}
		if ((qtype == NC_DNS_T_PTR || qtype == NC_DNS_T_ANY) &&
		    (!strcmp(qname, md.rev4) || !strcmp(qname, md.rev6))) {
			want_ptr = mine = true;
			snprintf(ptr_owner, sizeof(ptr_owner), "%s", qname);
		}
		if (mine && !qasked[0]) {
			/* The question we echo for legacy unicast. */
			snprintf(qasked, sizeof(qasked), "%s", qname);
			qtype_asked = qtype;
		}
	}
	if (!want4 && !want6 && !want_ptr)
		return;
	memset(b, 0, 12);
	b[2] = 0x84;	/* QR, AA */
	off = 12;
	if (legacy) {
		b[0] = (uint8_t)(h->id >> 8);
		b[1] = (uint8_t)h->id;
		if (nc_dns_put_name(b, sizeof(md.pkt), &off, qasked) ||
		    nc_dns_put16(b, sizeof(md.pkt), &off, qtype_asked) ||
		    nc_dns_put16(b, sizeof(md.pkt), &off, NC_DNS_C_IN))
			return;
		qd = 1;
	}
	if ((want4 || want6) &&
	    put_addrs(b, sizeof(md.pkt), &off,
		      legacy && nc_mdns_is_own(qasked) ? qasked : md.local, want4, want6,
		      legacy ? NC_DNS_C_IN : NC_DNS_C_IN | CACHE_FLUSH,
		      legacy ? LEGACY_TTL : MDNS_TTL, &an))
		return;
	if (want_ptr) {
		size_t lenat;

		if (put_rr_head(b, sizeof(md.pkt), &off, ptr_owner, 0, NC_DNS_T_PTR,
				legacy ? NC_DNS_C_IN : NC_DNS_C_IN | CACHE_FLUSH,
				legacy ? LEGACY_TTL : MDNS_TTL))
			return;
		lenat = off;
		if (nc_dns_put16(b, sizeof(md.pkt), &off, 0) ||
		    nc_dns_put_name(b, sizeof(md.pkt), &off, md.local))
			return;
		b[lenat] = (uint8_t)((off - lenat - 2) >> 8);
		b[lenat + 1] = (uint8_t)(off - lenat - 2);
		an++;
	}
	b[5] = (uint8_t)qd;
	b[6] = (uint8_t)(an >> 8);
	b[7] = (uint8_t)an;
	if (legacy) {
		send_to(b, off, src, port);
		return;
	}
	group(&dst, v6);
	send_to(b, off, &dst, MDNS_PORT);
}

/* The owners of address records in one response, collected before the cache hears of them. */
#define MAX_OWNERS 8
struct owner {
	char name[NC_DNS_NAME_MAX];
	struct nc_names_addrs a;
	uint32_t ttl;
};

/* owner_slot() - the entry for @name among *@n collected, added if new (or -1 when full). */
static int owner_slot(struct owner *o, unsigned *n, const char *name, uint32_t ttl)
{
	unsigned i;

	for (i = 0; i < *n; i++)
		if (!strcmp(o[i].name, name))
			break;
	if (i == *n) {
		if (*n == MAX_OWNERS)
			return -1;
		memset(&o[i], 0, sizeof(o[i]));
		snprintf(o[i].name, sizeof(o[i].name), "%s", name);
		o[i].ttl = ttl;
		(*n)++;
	}
	if (ttl < o[i].ttl)
		o[i].ttl = ttl;
	return (int)i;
}

/*
 * learn_response() - a response from the link: address and PTR records in
 * its answer and additional sections go to the resolver's cache. A record
 * with TTL 0 says goodbye (the owner's addresses are forgotten).
 */
static void learn_response(const uint8_t *r, size_t len, const struct nc_dns_hdr *h)
{
	struct owner owners[MAX_OWNERS];
	unsigned n = 0, i, total = (unsigned)h->an + h->ns + h->ar;
	size_t off = 12;
	char qname[NC_DNS_NAME_MAX];

	for (i = 0; i < h->qd && i < 16; i++) {	/* skip any questions */
		if (nc_dns_get_name(r, len, &off, qname, sizeof(qname), false) || off + 4 > len)
			return;
		off += 4;
	}
	if (i < h->qd)
		return;
	for (i = 0; i < total && i < 64; i++) {
		struct nc_dns_rr rr;
		int k;

		if (nc_dns_get_rr(r, len, &off, &rr))
			return;
		if ((rr.cls & 0x7fff) != NC_DNS_C_IN)
			continue;
		if (rr.type == NC_DNS_T_A && rr.rdlen == 4) {
			k = owner_slot(owners, &n, rr.name, rr.ttl);
			if (k >= 0 && owners[k].a.n4 < NC_RESOLVE_MAX4)
				memcpy(owners[k].a.ip4[owners[k].a.n4++], r + rr.rdoff, 4);
		} else if (rr.type == NC_DNS_T_AAAA && rr.rdlen == 16) {
			k = owner_slot(owners, &n, rr.name, rr.ttl);
			if (k >= 0 && owners[k].a.n6 < NC_RESOLVE_MAX6)
				memcpy(owners[k].a.ip6[owners[k].a.n6++], r + rr.rdoff, 16);
		} else if (rr.type == NC_DNS_T_PTR) {
			char target[NC_DNS_NAME_MAX];
			size_t t = rr.rdoff;

			/* Only .local names: mDNS must not rename what DNS names. */
			if (!nc_dns_get_name(r, len, &t, target, sizeof(target), false) &&
			    t == rr.rdoff + rr.rdlen && nc_dns_name_ok(target) &&
			    ends_with_local(target))
				nc_names_learn_ptr(rr.name, target, rr.ttl);
		}
	}
	/* Only NAME.local: a participant on the link must not answer for DNS's names. */
	for (i = 0; i < n; i++)
		if (nc_dns_name_ok(owners[i].name) && ends_with_local(owners[i].name) &&
		    !nc_mdns_is_own(owners[i].name))
			nc_names_learn_addrs(owners[i].name, &owners[i].a, owners[i].ttl);
}

/* link_hoplimit() - the IP TTL or hop limit of the packet being received. */
static unsigned link_hoplimit(void)
{
	if (ip_current_is_v6())
		return IP6H_HOPLIM(ip6_current_header());
	return IPH_TTL(ip4_current_header());
}

/* mdns_recv() - every datagram to port 5353: a query to answer or a response to learn from. */
static void mdns_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		      u16_t port)
{
	struct nc_dns_hdr h;
	static uint8_t in[MDNS_MAX_PKT];
	unsigned hoplimit;
	size_t len;

	(void)arg;
	(void)pcb;
	if (p->tot_len > sizeof(in) || p->tot_len < 12 || port == 0) {
		pbuf_free(p);
		return;
	}
	hoplimit = link_hoplimit();	/* the IP header lies in @p: read it before freeing */
	len = pbuf_copy_partial(p, in, p->tot_len, 0);
	pbuf_free(p);
	if (nc_dns_get_hdr(in, len, &h) || (h.flags & 0x7800) != 0)	/* opcode 0 only */
		return;
	if (!(h.flags & 0x8000)) {
		answer_query(in, len, &h, addr, port);
	} else if (port == MDNS_PORT && hoplimit == 255) {
		learn_response(in, len, &h);
	}
}

/* nc_mdns_init() - the pcb, the groups, the reverse names we answer, the announcements. */
int nc_mdns_init(const struct nc_config *cfg)
{
	struct netif *n = nc_stack_netif();
	struct nc_names_addrs a;
	ip_addr_t g;

	md.cfg = cfg;
	lower(md.name, cfg->name, sizeof(md.name));
	nc_mdns_local_name(md.name, md.local, sizeof(md.local));
	nc_mdns_own_addrs(&a);
	if (a.n4)
		nc_dns_reverse_name(AF_INET, a.ip4[0], md.rev4, sizeof(md.rev4));
	if (a.n6)
		nc_dns_reverse_name(AF_INET6, a.ip6[0], md.rev6, sizeof(md.rev6));
	md.pcb = udp_new_ip_type(IPADDR_TYPE_ANY);
	if (!md.pcb)
		return -1;
	ip_set_option(md.pcb, SOF_REUSEADDR);
	if (udp_bind(md.pcb, IP_ANY_TYPE, MDNS_PORT) != ERR_OK) {
		nc_warn("mdns: cannot bind port %d", MDNS_PORT);
		udp_remove(md.pcb);
		md.pcb = NULL;
		return -1;
	}
	udp_set_multicast_netif_index(md.pcb, netif_get_index(n));
	udp_set_multicast_ttl(md.pcb, 255);
	md.pcb->ttl = 255;
	udp_recv(md.pcb, mdns_recv, NULL);
	group(&g, false);
	if (igmp_joingroup_netif(n, ip_2_ip4(&g)) != ERR_OK)
		nc_warn("mdns: cannot join 224.0.0.251");
	group(&g, true);
	if (mld6_joingroup_netif(n, ip_2_ip6(&g)) != ERR_OK)
		nc_warn("mdns: cannot join ff02::fb");
	announce(NULL);
	nc_info("name %s (mDNS %s)", cfg->name, md.local);
	return 0;
}
