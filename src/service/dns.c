/*
 * dns.c - names for the programs of a service.
 *
 * A lookup (RPC RESOLVE / RESOLVE_ADDR from libnetcon, or a query to the
 * DNS stub on port 53) is answered, in this order, by:
 *
 *   1. the service's own name (--name, as NAME and NAME.local) and addresses;
 *   2. the cache: answers from --dns servers (kept for their TTL, at most
 *      5 minutes) and everything multicast DNS responses on the link showed;
 *   3. queries, in stages that depend on the name:
 *        NAME.local          mDNS only (RFC 6762: never sent to DNS);
 *        one label ("web")   mDNS (as web.local), then the --dns servers;
 *        dotted names        the --dns servers; their negative answers
 *                            (NXDOMAIN, no data) are final at once; mDNS
 *                            only when no server answered, or when no
 *                            server is configured;
 *        reverse lookups     mDNS (PTR), then the --dns servers.
 *
 * mDNS waits 1 s (queries at 0, 250 and 500 ms) and finding nothing means
 * the name does not exist (-ENOENT). Each --dns server gets 2 tries of
 * 1.5 s, in turn; a server that fails (SERVFAIL, REFUSED...) hands over to
 * the next at once; none answering is a temporary failure (-EAGAIN).
 *
 * Each DNS query has its own UDP pcb on a random port and a random ID, and
 * an answer counts only from a configured server, port 53, with the ID,
 * question, name and type asked. Every message from the network is read
 * with the bounds-checked readers at the top of this file. An answer
 * truncated over UDP (TC) is asked again of that server over TCP (RFC
 * 7766: one connection per query at most, DNS_TCP_MAX in all, 3 s), and
 * checked the same way.
 *
 * The stub answers on UDP and TCP port 53 (length-prefixed messages, a
 * few queries per connection, closed after 10 s idle); its own answers
 * are truncated (TC) beyond the asker's limit: 512 bytes over UDP or its
 * EDNS size, 64 KiB over TCP.
 *
 * Pending queries are few and short-lived: a list, and one lwIP timer
 * ticking every 50 ms while any is pending. An RPC client that goes away
 * takes its queries with it (nc_names_client_gone, from server.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "lwip/ip.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"

#include "dns.h"
#include "mdns.h"
#include "sock.h"
#include "stack.h"
#include "../common/log.h"

#define MAX_QUERIES	256	/* pending at once, all askers together */
#define MAX_PER_CLIENT	8	/* pending per RPC connection (one is normal) */
#define CACHE_SIZE	128
#define CACHE_TTL_MAX	300	/* seconds */
#define MDNS_WAIT_MS	1000
#define MDNS_RESEND_MS	250
#define MDNS_SENDS	3
#define DNS_TRY_MS	1500
#define DNS_TRIES	2	/* per server */
#define TICK_MS		50
#define DNS_PORT	53
#define STUB_MAX_IN	1232	/* larger queries are not DNS we serve */
#define STUB_MAX_OUT	512	/* classic UDP answer size (no EDNS) */
#define DNS_MAX_IN	4096
#define STUB_EDNS_MAX	4096	/* the most a client's EDNS size gets from our own answers */
#define DNS_TCP_MS	3000	/* a TCP exchange with a server, connect to last answer */
#define DNS_TCP_MAX	16	/* forwarder TCP connections in flight, all queries together */
#define DNS_TCP_MSG_MAX	65535	/* a length-prefixed message */
#define STUB_TCP_MAX	16	/* programs' connections to the stub at once */
#define STUB_TCP_IDLE_MS 10000	/* a stub connection with nothing pending is closed then */
#define STUB_TCP_QUERIES 8	/* queries served per stub connection */

/* ------------------------------------------------------------------ wire -- */

/* get16() - a big-endian 16-bit value at @p. */
static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* nc_dns_get_hdr() - the 12-byte header, or -1 if the message is shorter. */
int nc_dns_get_hdr(const uint8_t *p, size_t len, struct nc_dns_hdr *h)
{
	if (len < 12)
		return -1;
	h->id = get16(p);
	h->flags = get16(p + 2);
	h->qd = get16(p + 4);
	h->an = get16(p + 6);
	h->ns = get16(p + 8);
	h->ar = get16(p + 10);
	return 0;
}

/*
 * nc_dns_get_name() - a (possibly compressed) name. Every label is checked
 * against the message's end; a pointer must point strictly before the
 * place its previous jump started from, so a chain of pointers always ends
 * (and there are at most 64 jumps); the whole name may not exceed 255
 * bytes on the wire. Labels holding '.', '\\', spaces or control bytes are
 * refused: they cannot be given to a program as a host name.
 */
int nc_dns_get_name(const uint8_t *p, size_t len, size_t *off, char *out, size_t cap,
		    bool keep_case)
{
	size_t pos = *off, limit = *off, after = 0, n = 0, wire = 1;
	unsigned jumps = 0;
	bool jumped = false;

	if (cap == 0)
		return -1;
	for (;;) {
		uint8_t c;

		if (pos >= len)
			return -1;
		c = p[pos];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= len)
				return -1;
			target = (size_t)(c & 0x3f) << 8 | p[pos + 1];
			if (target >= limit || ++jumps > 64)
				return -1;	/* forward or looping pointer */
			if (!jumped) {
				after = pos + 2;
				jumped = true;
			}
			limit = target;
			pos = target;
			continue;
		}
		if (c & 0xc0)
			return -1;	/* extended label types: not in use */
		if (c == 0) {
			pos++;
			break;
		}
		if (pos + 1 + c > len || (wire += (size_t)c + 1) > 255)
			return -1;
		if (n && n + 1 >= cap)
			return -1;
		if (n)
			out[n++] = '.';
		for (size_t i = 0; i < c; i++) {
			uint8_t ch = p[pos + 1 + i];

			if (ch <= 0x20 || ch >= 0x7f || ch == '.' || ch == '\\' || n + 1 >= cap)
				return -1;
			out[n++] = (char)((!keep_case && ch >= 'A' && ch <= 'Z') ? ch + 32 : ch);
		}
		pos += 1 + (size_t)c;
	}
	out[n] = '\0';
	*off = jumped ? after : pos;
	return 0;
}

/* nc_dns_get_rr() - a resource record's owner and fixed fields; its data must lie within the message. */
int nc_dns_get_rr(const uint8_t *p, size_t len, size_t *off, struct nc_dns_rr *rr)
{
	size_t o = *off;

	if (nc_dns_get_name(p, len, &o, rr->name, sizeof(rr->name), false) || o + 10 > len)
		return -1;
	rr->type = get16(p + o);
	rr->cls = get16(p + o + 2);
	rr->ttl = (uint32_t)p[o + 4] << 24 | (uint32_t)p[o + 5] << 16 | (uint32_t)p[o + 6] << 8 |
		  p[o + 7];
	if (rr->ttl > 0x7fffffffu)
		rr->ttl = 0;	/* RFC 2181 section 8 */
	rr->rdlen = get16(p + o + 8);
	rr->rdoff = o + 10;
	if (rr->rdoff + rr->rdlen > len)
		return -1;
	*off = rr->rdoff + rr->rdlen;
	return 0;
}

/* nc_dns_put_name() - @name (text, no final dot needed) uncompressed; -1 if it does not fit or is no name. */
int nc_dns_put_name(uint8_t *buf, size_t cap, size_t *off, const char *name)
{
	size_t o = *off, start = *off;
	const char *s = name;

	if (*s == '.' && s[1] == '\0')
		s++;
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		if (l == 0 || l > 63 || o + 1 + l >= cap)
			return -1;
		buf[o++] = (uint8_t)l;
		memcpy(buf + o, s, l);
		o += l;
		s += l;
		if (*s == '.')
			s++;
	}
	if (o >= cap || o - start + 1 > 255)
		return -1;
	buf[o++] = 0;
	*off = o;
	return 0;
}

/* nc_dns_put16() - a big-endian 16-bit value, if it fits. */
int nc_dns_put16(uint8_t *buf, size_t cap, size_t *off, uint16_t v)
{
	if (*off + 2 > cap)
		return -1;
	buf[(*off)++] = (uint8_t)(v >> 8);
	buf[(*off)++] = (uint8_t)v;
	return 0;
}

/* nc_dns_put32() - a big-endian 32-bit value, if it fits. */
int nc_dns_put32(uint8_t *buf, size_t cap, size_t *off, uint32_t v)
{
	return nc_dns_put16(buf, cap, off, (uint16_t)(v >> 16)) ||
	       nc_dns_put16(buf, cap, off, (uint16_t)v);
}

/* nc_dns_put_bytes() - @n bytes as they are, if they fit. */
int nc_dns_put_bytes(uint8_t *buf, size_t cap, size_t *off, const void *data, size_t n)
{
	if (*off + n > cap)
		return -1;
	memcpy(buf + *off, data, n);
	*off += n;
	return 0;
}

/* nc_dns_reverse_name() - the in-addr.arpa / ip6.arpa name PTR queries ask for @a. */
void nc_dns_reverse_name(int family, const uint8_t *a, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	int i;

	if (family == AF_INET) {
		snprintf(out, cap, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
		return;
	}
	if (cap < 74)
		return;
	for (i = 15; i >= 0; i--) {
		out[n++] = hex[a[i] & 15];
		out[n++] = '.';
		out[n++] = hex[a[i] >> 4];
		out[n++] = '.';
	}
	strcpy(out + n, "ip6.arpa");
}

/*
 * nc_dns_parse_reverse() - the address a whole reverse name stands for; -1 for anything
 * else.
 */
int nc_dns_parse_reverse(const char *name, int *family, uint8_t addr[16])
{
	size_t n = strlen(name);

	if (n > 13 && !strcmp(name + n - 13, ".in-addr.arpa")) {
		const char *c = name;
		int i;

		/* Exactly four labels of 1..3 digits, each at most 255. */
		for (i = 3; i >= 0; i--) {
			unsigned v = 0, digits = 0;

			while (*c >= '0' && *c <= '9' && digits < 4) {
				v = v * 10 + (unsigned)(*c++ - '0');
				digits++;
			}
			if (digits == 0 || digits > 3 || v > 255 || *c != '.')
				return -1;
			c++;
			addr[i] = (uint8_t)v;
		}
		if (strcmp(c, "in-addr.arpa"))
			return -1;
		*family = AF_INET;
		return 0;
	}
	if (n == 72 && !strcmp(name + 64, "ip6.arpa")) {
		for (int i = 0; i < 32; i++) {
			char c = name[i * 2];
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

			if (d < 0 || name[i * 2 + 1] != '.')
				return -1;
			if (i % 2 == 0)
				addr[15 - i / 2] = (uint8_t)d;
			else
				addr[15 - i / 2] |= (uint8_t)(d << 4);
		}
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

/*
 * nc_dns_name_ok() - may @name be looked up: 1..253 characters, labels of 1..63 printable
 * ones.
 */
bool nc_dns_name_ok(const char *name)
{
	size_t n = strlen(name), label = 0, i;

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (c <= 0x20 || c >= 0x7f || c == '\\' || ++label > 63)
			return false;
	}
	return label > 0;
}

/* ----------------------------------------------------------------- cache -- */

struct centry {
	char name[NC_DNS_NAME_MAX];	/* owner, lower case ("" unused) */
	bool is_ptr;			/* a reverse name and the name it points to */
	bool known4, known6;		/* which families the addresses below cover */
	struct nc_names_addrs a;
	char target[NC_DNS_NAME_MAX];	/* PTR: the name; else the canonical name or "" */
	uint64_t expires_ms;
};

static struct centry cache[CACHE_SIZE];

/* cache_find() - the live entry for @name of that kind, or NULL. */
static struct centry *cache_find(const char *name, bool is_ptr)
{
	uint64_t now = nc_now_ms();
	unsigned i;

	for (i = 0; i < CACHE_SIZE; i++)
		if (cache[i].name[0] && cache[i].is_ptr == is_ptr && cache[i].expires_ms > now &&
		    !strcmp(cache[i].name, name))
			return &cache[i];
	return NULL;
}

/* cache_slot() - the entry for @name, or a free/expired/soonest-expiring one made into it. */
static struct centry *cache_slot(const char *name, bool is_ptr)
{
	struct centry *e = cache_find(name, is_ptr), *victim = &cache[0];
	uint64_t now = nc_now_ms();
	unsigned i;

	if (e)
		return e;
	for (i = 0; i < CACHE_SIZE; i++) {
		if (!cache[i].name[0] || cache[i].expires_ms <= now) {
			victim = &cache[i];
			break;
		}
		if (cache[i].expires_ms < victim->expires_ms)
			victim = &cache[i];
	}
	memset(victim, 0, sizeof(*victim));
	snprintf(victim->name, sizeof(victim->name), "%s", name);
	victim->is_ptr = is_ptr;
	return victim;
}

/* cache_expiry() - when an answer with @ttl seconds stops counting. */
static uint64_t cache_expiry(uint32_t ttl)
{
	return nc_now_ms() + (uint64_t)(ttl > CACHE_TTL_MAX ? CACHE_TTL_MAX : ttl) * 1000u;
}

/* cache_store() - remember addresses for @name (families given by @with4/@with6). */
static void cache_store(const char *name, const struct nc_names_addrs *a, bool with4, bool with6,
			const char *canon, uint32_t ttl)
{
	struct centry *e;

	if (ttl == 0 || (!a->n4 && !a->n6))
		return;
	e = cache_slot(name, false);
	if (with4) {
		e->a.n4 = a->n4;
		memcpy(e->a.ip4, a->ip4, sizeof(a->ip4));
		e->known4 = true;
	}
	if (with6) {
		e->a.n6 = a->n6;
		memcpy(e->a.ip6, a->ip6, sizeof(a->ip6));
		e->known6 = true;
	}
	if (canon)
		snprintf(e->target, sizeof(e->target), "%s", canon);
	e->expires_ms = cache_expiry(ttl);
}

/* ---------------------------------------------------------------- queries -- */

enum stage { ST_MDNS = 1, ST_DNS };
enum waiter { W_RPC, W_STUB };

struct sub {
	uint16_t id, qtype;
	bool done;
	int rcode;
	bool tc;		/* truncated over UDP: asked again over TCP */
	bool tc_sent;		/* written on the TCP connection */
	bool tc_held;		/* the truncated answer held something usable */
};

struct query;

/* A forwarder TCP connection (one per query at most): a truncated answer asked again. */
struct dtcp {
	struct tcp_pcb *pcb;
	struct query *q;
	bool connected;
	uint64_t deadline;
	uint8_t hdr[2];		/* the length prefix being read */
	size_t hlen;
	uint8_t *msg;		/* the message being read (mlen bytes, mgot so far) */
	size_t mlen, mgot;
};

/* A program's TCP connection to the stub. */
struct stcp {
	struct stcp *next;
	struct tcp_pcb *pcb;
	uint64_t idle_until;
	unsigned queries, pending;
	size_t inlen;
	uint8_t in[2 + STUB_MAX_IN];
};

struct query {
	struct query *next;
	bool reverse;
	char name[NC_DNS_NAME_MAX];	/* lower case: the name, or the reverse name */
	int family;			/* forward: as asked; reverse: the address's */
	uint8_t addr[16];		/* reverse: the address */
	uint8_t plan[3];
	unsigned nplan, step;
	bool dns_final;			/* DNS's negative answer ends the lookup */
	int dns_verdict;		/* 0: DNS not asked or no verdict; else -errno */
	/* the current stage */
	uint64_t deadline, next_send;
	unsigned sends, attempt;
	struct udp_pcb *pcb;
	struct sub sub[2];
	unsigned nsub;
	/* what was found */
	struct nc_names_addrs got;
	char canon[NC_DNS_NAME_MAX];
	char ptr[NC_DNS_NAME_MAX];
	uint32_t ttl;
	/* who waits */
	enum waiter wkind;
	struct nc_client *client;
	struct nc_reply rep;
	ip_addr_t peer;
	u16_t peer_port;
	uint16_t qid, qflags, qtype;
	char qname[NC_DNS_NAME_MAX];	/* the stub's question, case as asked */
	uint8_t *raw;			/* a stub query passed on to the servers as it is */
	size_t rawlen;
	bool via_tcp;			/* the stub's asker came over TCP (on conn, unless gone) */
	struct stcp *conn;
	size_t limit;			/* the most the stub's answer may hold */
	struct dtcp *tcp;		/* the forwarder's TCP connection, if any */
};

static struct {
	struct nc_config *cfg;
	struct query *queries;
	unsigned count;
	bool ticking;
	struct udp_pcb *stub;
	struct tcp_pcb *stub_listen;
	struct stcp *conns;
	unsigned nconns, ntcp;
	struct tcp_pcb *cb_pcb;		/* the pcb whose callback is running */
	bool cb_aborted;		/* ... and it was aborted (return ERR_ABRT) */
	uint8_t buf[DNS_MAX_IN];
	uint8_t out[STUB_EDNS_MAX];
	char alias[NC_DNS_NAME_MAX];	/* a fixed name (host.netcon.internal) ... */
	struct nc_names_addrs alias_addrs;	/* ... and its addresses */
} nm;

void nc_names_set_alias(const char *name, const struct nc_names_addrs *a)
{
	snprintf(nm.alias, sizeof(nm.alias), "%s", name);
	nm.alias_addrs = *a;
}

static void tick(void *arg);
static void run_stage(struct query *q);
static void finish(struct query *q, int result);
static void dtcp_end(struct dtcp *t);
static void stcp_end(struct stcp *c);

/*
 * unguessable16() - a query ID or port part an off-path sender cannot
 * predict (from the kernel, not the service's fast generator).
 */
static uint16_t unguessable16(void)
{
	uint16_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint16_t)nc_random_u32();
	return v;
}

/* ensure_tick() - the timer runs while anything is pending. */
static void ensure_tick(void)
{
	if (!nm.ticking) {
		nm.ticking = true;
		sys_timeout(TICK_MS, tick, NULL);
	}
}

/* query_free() - unlink @q, drop its pcb (so no callback can find it) and free it. */
static void query_free(struct query *q)
{
	struct query **pp;

	for (pp = &nm.queries; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	if (q->pcb)
		udp_remove(q->pcb);
	if (q->tcp)
		dtcp_end(q->tcp);
	nm.count--;
	free(q->raw);
	if (q->conn) {
		struct stcp *c = q->conn;

		c->pending--;
		if (c->queries >= STUB_TCP_QUERIES && c->pending == 0)
			stcp_end(c);	/* served all it may ask */
	}
	free(q);
}

/*
 * pcb_end() - close @pcb (FIN) with no callback left on it, or abort it
 * (RST) when it cannot be closed. Inside a callback of that very pcb, a
 * pcb still connecting (which tcp_close() would free under lwIP's feet) or
 * one that cannot be closed is aborted and the callback returns ERR_ABRT
 * (nm.cb_aborted), as lwIP requires.
 */
static void pcb_end(struct tcp_pcb *pcb)
{
	bool own = pcb == nm.cb_pcb;

	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
	if ((own && pcb->state == SYN_SENT) || tcp_close(pcb) != ERR_OK) {
		tcp_abort(pcb);
		if (own)
			nm.cb_aborted = true;
	}
}

/* cb_enter() / cb_leave() - around a TCP callback of @pcb: what it returns to lwIP. */
struct cb_saved {
	struct tcp_pcb *pcb;
	bool aborted;
};

static struct cb_saved cb_enter(struct tcp_pcb *pcb)
{
	struct cb_saved s = { nm.cb_pcb, nm.cb_aborted };

	nm.cb_pcb = pcb;
	nm.cb_aborted = false;
	return s;
}

static err_t cb_leave(struct cb_saved s)
{
	bool aborted = nm.cb_aborted;

	nm.cb_pcb = s.pcb;
	nm.cb_aborted = s.aborted;
	return aborted ? ERR_ABRT : ERR_OK;
}

/* ip_from() - an lwIP address from a family and bytes (link-local IPv6 zoned on the link). */
static void ip_from(ip_addr_t *ip, int family, const uint8_t *a)
{
	memset(ip, 0, sizeof(*ip));
	if (family == AF_INET) {
		IP_SET_TYPE_VAL(*ip, IPADDR_TYPE_V4);
		memcpy(&ip_2_ip4(ip)->addr, a, 4);
	} else {
		IP_SET_TYPE_VAL(*ip, IPADDR_TYPE_V6);
		memcpy(ip_2_ip6(ip)->addr, a, 16);
		if (ip6_addr_islinklocal(ip_2_ip6(ip)))
			ip6_addr_set_zone(ip_2_ip6(ip), netif_get_index(nc_stack_netif()));
	}
}

/* is_server() - is @ip one of the --dns servers? */
static bool is_server(const ip_addr_t *ip)
{
	unsigned i;

	for (i = 0; i < nm.cfg->n_dns; i++) {
		const struct nc_dns_server *s = &nm.cfg->dns[i];

		if (s->family == AF_INET && IP_IS_V4(ip) && !memcmp(&ip_2_ip4(ip)->addr, s->addr, 4))
			return true;
		if (s->family == AF_INET6 && IP_IS_V6(ip) && !memcmp(ip_2_ip6(ip)->addr, s->addr, 16))
			return true;
	}
	return false;
}

/* ends_local() - does @name end in ".local" (mDNS's domain)? */
static bool ends_local(const char *name)
{
	size_t n = strlen(name);

	return n > 6 && !strcmp(name + n - 6, ".local");
}

/* ----------------------------------------------------------- DNS (unicast) -- */

/*
 * build_query() - sub-query @i of @q as a message in @b: the stub's query
 * as it came under our ID, or our own question. Returns its length, 0 if
 * it cannot be made.
 */
static size_t build_query(struct query *q, unsigned i, uint8_t *b, size_t cap)
{
	size_t off = 0;

	if (q->raw) {
		if (q->rawlen > cap)
			return 0;
		q->raw[0] = (uint8_t)(q->sub[0].id >> 8);
		q->raw[1] = (uint8_t)q->sub[0].id;
		memcpy(b, q->raw, q->rawlen);
		return q->rawlen;
	}
	if (nc_dns_put16(b, cap, &off, q->sub[i].id) ||
	    nc_dns_put16(b, cap, &off, 0x0100) ||	/* RD */
	    nc_dns_put16(b, cap, &off, 1) || nc_dns_put16(b, cap, &off, 0) ||
	    nc_dns_put16(b, cap, &off, 0) || nc_dns_put16(b, cap, &off, 0) ||
	    nc_dns_put_name(b, cap, &off, q->name) ||
	    nc_dns_put16(b, cap, &off, q->sub[i].qtype) ||
	    nc_dns_put16(b, cap, &off, NC_DNS_C_IN))
		return 0;
	return off;
}

/* dns_send() - the undone sub-queries of @q to server number @server. */
static void dns_send(struct query *q, unsigned server)
{
	const struct nc_dns_server *s = &nm.cfg->dns[server];
	ip_addr_t dst;
	unsigned i;

	ip_from(&dst, s->family, s->addr);
	for (i = 0; i < q->nsub; i++) {
		uint8_t b[STUB_MAX_IN];
		size_t len;
		struct pbuf *p;

		if (q->sub[i].done || !(len = build_query(q, i, b, sizeof(b))))
			continue;
		p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
		if (!p)
			continue;
		pbuf_take(p, b, (u16_t)len);
		udp_sendto(q->pcb, p, &dst, DNS_PORT);
		pbuf_free(p);
	}
}

/* dns_stage_over() - every sub-query answered or given up: decide, or go on to the next stage. */
static void dns_stage_over(struct query *q)
{
	bool nx = false, answered = false;
	unsigned i;

	if (q->pcb)
		udp_remove(q->pcb);
	q->pcb = NULL;
	if (q->tcp) {
		dtcp_end(q->tcp);
		q->tcp = NULL;
	}
	if (q->reverse ? q->ptr[0] != '\0' : q->got.n4 + q->got.n6 > 0) {
		finish(q, 0);
		return;
	}
	for (i = 0; i < q->nsub; i++) {
		if (q->sub[i].done && q->sub[i].rcode == 3)
			nx = true;
		if (q->sub[i].done && (q->sub[i].rcode == 0 || q->sub[i].rcode == 3))
			answered = true;
	}
	q->dns_verdict = nx ? -ENOENT : answered ? -ENODATA : -EAGAIN;
	if (answered && q->dns_final) {
		finish(q, q->dns_verdict);
		return;
	}
	q->step++;
	run_stage(q);
}

/* next_server() - the current server failed outright: its turn ends now. */
static void next_server(struct query *q)
{
	q->attempt = (q->attempt / DNS_TRIES + 1) * DNS_TRIES;
	if (q->attempt >= DNS_TRIES * nm.cfg->n_dns) {
		dns_stage_over(q);
		return;
	}
	dns_send(q, q->attempt / DNS_TRIES);
	q->deadline = nc_now_ms() + DNS_TRY_MS;
}

/*
 * take_answer() - the answer section of a reply to sub-query @s: follow
 * CNAMEs from the name asked (at most 8), then take the A/AAAA (or PTR)
 * records of the name reached. Returns -1 if the message is malformed.
 */
static int take_answer(struct query *q, const struct sub *s, const uint8_t *p, size_t len,
		       size_t off, unsigned an)
{
	struct nc_dns_rr rr;
	size_t starts[64];
	unsigned n = 0, i, hops;
	char cur[NC_DNS_NAME_MAX];
	uint32_t ttl = UINT32_MAX;

	for (i = 0; i < an && n < 64; i++) {
		starts[n++] = off;
		if (nc_dns_get_rr(p, len, &off, &rr))
			return -1;
	}
	snprintf(cur, sizeof(cur), "%s", q->name);
	for (hops = 0; hops < 8; hops++) {
		bool moved = false;

		for (i = 0; i < n && !moved; i++) {
			size_t o = starts[i], t;
			char target[NC_DNS_NAME_MAX];

			if (nc_dns_get_rr(p, len, &o, &rr) || rr.type != NC_DNS_T_CNAME ||
			    rr.cls != NC_DNS_C_IN || strcmp(rr.name, cur))
				continue;
			t = rr.rdoff;
			if (nc_dns_get_name(p, len, &t, target, sizeof(target), false) ||
			    !nc_dns_name_ok(target))
				return -1;
			snprintf(cur, sizeof(cur), "%s", target);
			if (rr.ttl < ttl)
				ttl = rr.ttl;
			moved = true;
		}
		if (!moved)
			break;
	}
	for (i = 0; i < n; i++) {
		size_t o = starts[i];

		if (nc_dns_get_rr(p, len, &o, &rr) || rr.cls != NC_DNS_C_IN || strcmp(rr.name, cur) ||
		    rr.type != s->qtype)
			continue;
		if (rr.type == NC_DNS_T_A && rr.rdlen == 4 && q->got.n4 < NC_RESOLVE_MAX4) {
			memcpy(q->got.ip4[q->got.n4++], p + rr.rdoff, 4);
		} else if (rr.type == NC_DNS_T_AAAA && rr.rdlen == 16 && q->got.n6 < NC_RESOLVE_MAX6) {
			memcpy(q->got.ip6[q->got.n6++], p + rr.rdoff, 16);
		} else if (rr.type == NC_DNS_T_PTR && !q->ptr[0]) {
			size_t t = rr.rdoff;
			char target[NC_DNS_NAME_MAX];

			if (nc_dns_get_name(p, len, &t, target, sizeof(target), false) ||
			    !nc_dns_name_ok(target))
				continue;
			snprintf(q->ptr, sizeof(q->ptr), "%s", target);
		} else {
			continue;
		}
		if (rr.ttl < ttl)
			ttl = rr.ttl;
	}
	if (ttl != UINT32_MAX && ttl < q->ttl)
		q->ttl = ttl;
	if (strcmp(cur, q->name) && !q->canon[0])
		snprintf(q->canon, sizeof(q->canon), "%s", cur);
	return 0;
}

static void stub_out(struct query *q, const uint8_t *b, size_t len);
static int dns_reply(struct query *q, uint8_t *buf, size_t len, const ip_addr_t *from,
		     bool from_tcp);

/* ------------------------------------------------- DNS over TCP (RFC 7766) -- */

/* dtcp_end() - close the forwarder connection @t and free it. */
static void dtcp_end(struct dtcp *t)
{
	if (t->pcb)
		pcb_end(t->pcb);
	if (t->q && t->q->tcp == t)
		t->q->tcp = NULL;
	nm.ntcp--;
	free(t->msg);
	free(t);
}

/* subs_progress() - a sub-query was answered: the stage ends when all are. */
static void subs_progress(struct query *q)
{
	unsigned i;
	bool tcp_wanted = false;

	for (i = 0; i < q->nsub; i++) {
		if (!q->sub[i].done && q->sub[i].tc)
			tcp_wanted = true;
		if (!q->sub[i].done)
			break;
	}
	if (i == q->nsub) {
		dns_stage_over(q);
		return;
	}
	for (; i < q->nsub; i++)
		if (!q->sub[i].done && q->sub[i].tc)
			tcp_wanted = true;
	if (q->tcp && !tcp_wanted) {
		dtcp_end(q->tcp);
		q->deadline = nc_now_ms() + DNS_TRY_MS;	/* UDP's turn again */
	}
}

/*
 * dtcp_fail() - the TCP exchange of @q failed (refused, reset, timed out,
 * malformed): each sub-query it was for counts what its truncated answer
 * held; one that held nothing hands over to the next server.
 */
static void dtcp_fail(struct query *q)
{
	bool lost = false;
	unsigned i;

	if (q->tcp)
		dtcp_end(q->tcp);
	for (i = 0; i < q->nsub; i++) {
		struct sub *s = &q->sub[i];

		if (s->done || !s->tc)
			continue;
		s->tc = s->tc_sent = false;
		if (s->tc_held) {
			s->done = true;
			s->rcode = 0;
		} else {
			lost = true;
		}
	}
	nc_debug("names: %s: no answer over TCP", q->name);
	if (lost)
		next_server(q);
	else
		subs_progress(q);
}

/* dtcp_send() - write the sub-queries waiting for TCP, each with its length first. */
static void dtcp_send(struct dtcp *t)
{
	struct query *q = t->q;
	unsigned i;

	for (i = 0; i < q->nsub; i++) {
		struct sub *s = &q->sub[i];
		uint8_t b[2 + STUB_MAX_IN];
		size_t len;

		if (s->done || !s->tc || s->tc_sent)
			continue;
		len = build_query(q, i, b + 2, sizeof(b) - 2);
		b[0] = (uint8_t)(len >> 8);
		b[1] = (uint8_t)len;
		if (!len || tcp_write(t->pcb, b, (u16_t)(len + 2), TCP_WRITE_FLAG_COPY) != ERR_OK) {
			dtcp_fail(q);
			return;
		}
		s->tc_sent = true;
	}
	tcp_output(t->pcb);
}

/* dtcp_connected() - the server accepted: send. */
static err_t dtcp_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct dtcp *t = arg;
	struct cb_saved sv;

	if (!t)
		return ERR_OK;
	sv = cb_enter(pcb);
	if (err != ERR_OK) {
		dtcp_fail(t->q);
	} else {
		t->connected = true;
		dtcp_send(t);
	}
	return cb_leave(sv);
}

/* dtcp_err() - the connection is gone (lwIP freed the pcb). */
static void dtcp_err(void *arg, err_t err)
{
	struct dtcp *t = arg;

	(void)err;
	if (!t)
		return;
	t->pcb = NULL;
	dtcp_fail(t->q);
}

/* dtcp_poll() - every second of the connection: its deadline. */
static err_t dtcp_poll(void *arg, struct tcp_pcb *pcb)
{
	struct dtcp *t = arg;
	struct cb_saved sv;

	if (!t)
		return ERR_OK;
	sv = cb_enter(pcb);
	if (nc_now_ms() >= t->deadline)
		dtcp_fail(t->q);
	return cb_leave(sv);
}

/*
 * dtcp_recv() - bytes from the server: length-prefixed answers (each at
 * most 65535 bytes, each checked as a UDP answer is). Anything that is not
 * an answer to a sub-query sent on it ends the connection.
 */
static err_t dtcp_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct dtcp *t = arg;
	struct cb_saved sv;
	struct pbuf *b;

	(void)err;
	if (!t) {
		if (p) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return ERR_OK;
	}
	sv = cb_enter(pcb);
	if (!p) {
		dtcp_fail(t->q);	/* closed before answering */
		return cb_leave(sv);
	}
	tcp_recved(pcb, p->tot_len);
	for (b = p; b && !nm.cb_aborted; b = b->next) {
		const uint8_t *d = b->payload;
		size_t n = b->len, k;

		while (n && !nm.cb_aborted) {
			if (t->hlen < 2) {
				t->hdr[t->hlen++] = *d++;
				n--;
				if (t->hlen == 2) {
					t->mlen = get16(t->hdr);
					t->mgot = 0;
					if (t->mlen < 12 || !(t->msg = malloc(t->mlen))) {
						dtcp_fail(t->q);
						break;
					}
				}
				continue;
			}
			k = t->mlen - t->mgot < n ? t->mlen - t->mgot : n;
			memcpy(t->msg + t->mgot, d, k);
			t->mgot += k;
			d += k;
			n -= k;
			if (t->mgot == t->mlen) {
				struct query *q = t->q;
				uint8_t *m = t->msg;
				size_t mlen = t->mlen;

				t->msg = NULL;
				t->hlen = 0;
				if (dns_reply(q, m, mlen, &pcb->remote_ip, true))
					dtcp_fail(q);
				free(m);
			}
		}
	}
	pbuf_free(p);
	return cb_leave(sv);
}

/*
 * dtcp_want() - sub-query @s of @q was answered truncated by @from: ask it
 * again over TCP (the query's connection, opened to @from if it has none).
 * false when no connection can be had.
 */
static bool dtcp_want(struct query *q, struct sub *s, const ip_addr_t *from)
{
	struct dtcp *t = q->tcp;

	if (t && s->tc)
		return true;	/* already asked on it */
	if (!t) {
		struct tcp_pcb *pcb;

		if (nm.ntcp >= DNS_TCP_MAX || !(t = calloc(1, sizeof(*t))))
			return false;
		pcb = tcp_new_ip_type(IP_GET_TYPE(from));
		if (!pcb) {
			free(t);
			return false;
		}
		t->pcb = pcb;
		t->q = q;
		t->deadline = nc_now_ms() + DNS_TCP_MS;
		tcp_arg(pcb, t);
		tcp_err(pcb, dtcp_err);
		tcp_recv(pcb, dtcp_recv);
		tcp_poll(pcb, dtcp_poll, 2);
		if (tcp_connect(pcb, from, DNS_PORT, dtcp_connected) != ERR_OK) {
			tcp_arg(pcb, NULL);
			tcp_err(pcb, NULL);
			tcp_recv(pcb, NULL);
			tcp_poll(pcb, NULL, 0);
			tcp_abort(pcb);
			free(t);
			return false;
		}
		nm.ntcp++;
		q->tcp = t;
		nc_debug("names: %s: truncated, asking again over TCP", q->name);
	}
	s->tc = true;
	s->tc_sent = false;
	if (t->connected)
		dtcp_send(t);	/* may fail the connection, and end q */
	return true;
}

/*
 * dns_reply() - a server's reply to @q, from @from (over UDP, or over the
 * query's TCP connection with @from_tcp), checked through and through.
 * Returns -1 for a message that does not answer an undone sub-query (over
 * UDP it is ignored; over TCP it ends the connection). May free @q.
 */
static int dns_reply(struct query *q, uint8_t *buf, size_t len, const ip_addr_t *from,
		     bool from_tcp)
{
	struct nc_dns_hdr h;
	char qname[NC_DNS_NAME_MAX];
	size_t off = 12;
	struct sub *s = NULL;
	unsigned i, rcode;
	bool tc;

	if (nc_dns_get_hdr(buf, len, &h) || !(h.flags & 0x8000) || (h.flags & 0x7800) ||
	    h.qd != 1)
		return -1;
	for (i = 0; i < q->nsub; i++)
		if (!q->sub[i].done && q->sub[i].id == h.id && (!from_tcp || q->sub[i].tc_sent))
			s = &q->sub[i];
	for (i = 0; !s && from_tcp && i < q->nsub; i++)
		if (q->sub[i].done && q->sub[i].tc_sent && q->sub[i].id == h.id)
			return 0;	/* answered over UDP meanwhile */
	if (!s || nc_dns_get_name(buf, len, &off, qname, sizeof(qname), false) ||
	    off + 4 > len || strcmp(qname, q->name) || get16(buf + off) != s->qtype ||
	    get16(buf + off + 2) != NC_DNS_C_IN)
		return -1;
	off += 4;
	rcode = h.flags & 15;
	tc = !from_tcp && (h.flags & 0x0200);
	if (from_tcp && rcode != 0 && rcode != 3)
		return -1;	/* fails over TCP: as if TCP failed */
	if (q->raw && rcode != 2 && rcode != 5) {
		/*
		 * Passed on: the server's answer goes back as it is, with the
		 * asker's ID; truncated, it is asked again over TCP for an asker
		 * that came over TCP (one over UDP retries over TCP itself).
		 */
		if (tc && q->via_tcp && dtcp_want(q, s, from))
			return 0;
		buf[0] = (uint8_t)(q->qid >> 8);
		buf[1] = (uint8_t)q->qid;
		stub_out(q, buf, len);
		query_free(q);
		return 0;
	}
	if (rcode == 0) {
		unsigned before;

		if (from_tcp) {
			/* The whole answer replaces what its truncated one held. */
			if (s->qtype == NC_DNS_T_A)
				q->got.n4 = 0;
			else if (s->qtype == NC_DNS_T_AAAA)
				q->got.n6 = 0;
			else
				q->ptr[0] = '\0';
		}
		before = (unsigned)(q->got.n4 + q->got.n6 + (q->ptr[0] != '\0'));
		if (take_answer(q, s, buf, len, off, h.an))
			return -1;	/* malformed: as if never received */
		if (tc) {
			s->tc_held = (unsigned)(q->got.n4 + q->got.n6 + (q->ptr[0] != '\0')) != before;
			if (dtcp_want(q, s, from))
				return 0;
			if (!s->tc_held) {
				/* Truncated with nothing usable in it, and no TCP: the next server. */
				next_server(q);
				return 0;
			}
		}
	} else if (rcode != 3) {
		/* SERVFAIL, REFUSED, NOTIMP...: this server cannot help. */
		next_server(q);
		return 0;
	}
	s->done = true;
	s->rcode = (int)rcode;
	subs_progress(q);
	return 0;
}

/* dns_recv() - a datagram on a query's pcb: a server's reply? */
static void dns_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		     u16_t port)
{
	size_t len;

	(void)pcb;
	if (p->tot_len > sizeof(nm.buf) || port != DNS_PORT || !is_server(addr)) {
		pbuf_free(p);
		return;
	}
	len = pbuf_copy_partial(p, nm.buf, p->tot_len, 0);
	pbuf_free(p);
	dns_reply(arg, nm.buf, len, addr, false);
}

/* dns_start() - this query's own pcb on a random port, and the first sends. */
static int dns_start(struct query *q)
{
	unsigned i;

	q->pcb = udp_new_ip_type(IPADDR_TYPE_ANY);
	if (!q->pcb)
		return -1;
	for (i = 0; i < 8; i++)
		if (udp_bind(q->pcb, IP_ANY_TYPE, (u16_t)(1024 + unguessable16() % 64511)) == ERR_OK)
			break;
	if (i == 8 && udp_bind(q->pcb, IP_ANY_TYPE, 0) != ERR_OK) {
		udp_remove(q->pcb);
		q->pcb = NULL;
		return -1;
	}
	udp_recv(q->pcb, dns_recv, q);
	memset(q->sub, 0, sizeof(q->sub));
	if (q->raw) {
		q->sub[0].qtype = q->qtype;
		q->nsub = 1;
	} else if (q->reverse) {
		q->sub[0].qtype = NC_DNS_T_PTR;
		q->nsub = 1;
	} else if (q->family == AF_INET) {
		q->sub[0].qtype = NC_DNS_T_A;
		q->nsub = 1;
	} else if (q->family == AF_INET6) {
		q->sub[0].qtype = NC_DNS_T_AAAA;
		q->nsub = 1;
	} else {
		q->sub[0].qtype = NC_DNS_T_A;
		q->sub[1].qtype = NC_DNS_T_AAAA;
		q->nsub = 2;
	}
	for (i = 0; i < q->nsub; i++)
		q->sub[i].id = unguessable16();
	if (q->nsub == 2 && q->sub[1].id == q->sub[0].id)
		q->sub[1].id ^= 1;
	q->attempt = 0;
	dns_send(q, 0);
	q->deadline = nc_now_ms() + DNS_TRY_MS;
	return 0;
}

/* ------------------------------------------------------------------ mDNS -- */

/* mdns_name() - what mDNS is asked for @q: the reverse name, or NAME.local. */
static void mdns_name(const struct query *q, char *out, size_t cap)
{
	if (q->reverse)
		snprintf(out, cap, "%s", q->name);
	else
		nc_mdns_local_name(q->name, out, cap);
}

/* mdns_send() - one more query for @q on the link. */
static void mdns_send(struct query *q)
{
	char n[NC_DNS_NAME_MAX + 8];

	mdns_name(q, n, sizeof(n));
	if (q->reverse)
		nc_mdns_query(n, NC_DNS_T_PTR, 0);
	else if (q->family == AF_INET)
		nc_mdns_query(n, NC_DNS_T_A, 0);
	else if (q->family == AF_INET6)
		nc_mdns_query(n, NC_DNS_T_AAAA, 0);
	else
		nc_mdns_query(n, NC_DNS_T_A, NC_DNS_T_AAAA);
	q->sends++;
	q->next_send = nc_now_ms() + MDNS_RESEND_MS;
}

/* ---------------------------------------------------------------- lookups -- */

/* filter() - the addresses of @a that @family asks for. */
static void filter(struct nc_names_addrs *a, int family)
{
	if (family == AF_INET)
		a->n6 = 0;
	else if (family == AF_INET6)
		a->n4 = 0;
}

/* covers() - does entry @e know the addresses of @family (AF_UNSPEC: both)? */
static bool covers(const struct centry *e, int family)
{
	return e && (family == AF_INET6 || e->known4) && (family == AF_INET || e->known6);
}

/*
 * from_cache() - can @q be answered from what we know (its own name and
 * addresses, the cache)? Fills the answer and returns true if so. What
 * mDNS taught (NAME.local entries) counts only with @mdns_ok: for a dotted
 * name that DNS servers are asked first, a participant on the link must not
 * be able to answer before them by announcing NAME.local.
 */
static bool from_cache(struct query *q, bool mdns_ok)
{
	const struct centry *e;
	struct nc_names_addrs a;
	char local[NC_DNS_NAME_MAX + 8];
	unsigned i, j;

	if (q->reverse) {
		if (nc_mdns_is_own_addr(q->family, q->addr)) {
			snprintf(q->ptr, sizeof(q->ptr), "%s", nc_mdns_own_name());
			return true;
		}
		if ((e = cache_find(q->name, true))) {
			snprintf(q->ptr, sizeof(q->ptr), "%s", e->target);
			return true;
		}
		for (i = 0; i < CACHE_SIZE; i++) {
			e = &cache[i];
			if (!e->name[0] || e->is_ptr || e->expires_ms <= nc_now_ms())
				continue;
			for (j = 0; q->family == AF_INET && j < e->a.n4; j++)
				if (!memcmp(e->a.ip4[j], q->addr, 4))
					goto found;
			for (j = 0; q->family == AF_INET6 && j < e->a.n6; j++)
				if (!memcmp(e->a.ip6[j], q->addr, 16))
					goto found;
		}
		return false;
found:
		snprintf(q->ptr, sizeof(q->ptr), "%s", e->name);
		return true;
	}
	if (nc_mdns_is_own(q->name)) {
		nc_mdns_own_addrs(&q->got);
		q->ttl = 120;
		return true;
	}
	if (nm.alias[0] && !strcasecmp(q->name, nm.alias)) {
		q->got = nm.alias_addrs;
		filter(&q->got, q->family);
		q->ttl = 60;
		return q->got.n4 + q->got.n6 > 0;
	}
	nc_mdns_local_name(q->name, local, sizeof(local));
	/*
	 * The name's own entry may hold one family only (an earlier lookup
	 * of the other family cached its answer there): NAME.local, which mDNS
	 * fills, may hold this one.
	 */
	e = cache_find(q->name, false);
	if (!covers(e, q->family) && mdns_ok && strcmp(local, q->name))
		e = cache_find(local, false);
	if (!covers(e, q->family))
		return false;
	a = e->a;
	filter(&a, q->family);
	if (a.n4 + a.n6 == 0)
		return false;
	q->got = a;
	q->ttl = (uint32_t)((e->expires_ms - nc_now_ms()) / 1000);
	if (e->target[0])
		snprintf(q->canon, sizeof(q->canon), "%s", e->target);
	return true;
}

/* run_stage() - start the stage q->step of @q's plan, or end the lookup when none is left. */
static void run_stage(struct query *q)
{
	while (q->step < q->nplan) {
		if (q->plan[q->step] == ST_MDNS) {
			q->sends = 0;
			q->deadline = nc_now_ms() + MDNS_WAIT_MS;
			mdns_send(q);
			return;
		}
		if (q->plan[q->step] == ST_DNS && nm.cfg->n_dns && dns_start(q) == 0)
			return;
		q->step++;
	}
	finish(q, q->dns_verdict ? q->dns_verdict : -ENOENT);
}

/*
 * plan() - the stages for @q (see the top of the file). A dotted name with
 * servers asks them first and takes their negative answers as final.
 */
static void plan(struct query *q)
{
	bool servers = nm.cfg->n_dns > 0;

	q->nplan = 0;
	if (q->reverse || !strchr(q->name, '.')) {
		q->plan[q->nplan++] = ST_MDNS;
		if (servers)
			q->plan[q->nplan++] = ST_DNS;
	} else if (ends_local(q->name)) {
		q->plan[q->nplan++] = ST_MDNS;
	} else if (servers) {
		q->plan[q->nplan++] = ST_DNS;
		q->plan[q->nplan++] = ST_MDNS;
		q->dns_final = true;
	} else {
		q->plan[q->nplan++] = ST_MDNS;
	}
}

/*
 * start() - a new lookup: answered at once from what we know, or queued
 * with its plan. @q is owned here from now on (sent and freed by finish()).
 */
static void start(struct query *q)
{
	q->ttl = CACHE_TTL_MAX;
	q->next = nm.queries;
	nm.queries = q;
	nm.count++;
	if (q->raw) {
		/* Passed on to the servers; only their failure is answered by us (SERVFAIL). */
		q->plan[0] = ST_DNS;
		q->nplan = 1;
		q->dns_final = true;
	} else if (from_cache(q, q->reverse || !strchr(q->name, '.') || ends_local(q->name) ||
			      !nm.cfg->n_dns)) {
		finish(q, 0);
		return;
	} else {
		plan(q);
	}
	nc_debug("names: looking up %s (%d stages)", q->name, (int)q->nplan);
	ensure_tick();
	run_stage(q);
}

/* tick() - every 50 ms while lookups are pending: resends and deadlines. */
static void tick(void *arg)
{
	uint64_t now = nc_now_ms();
	struct query *q, *next;

	(void)arg;
	nm.ticking = false;
	for (q = nm.queries; q; q = next) {
		next = q->next;
		if (q->step >= q->nplan)
			continue;
		if (q->plan[q->step] == ST_MDNS) {
			if (now >= q->deadline) {
				q->step++;
				run_stage(q);	/* may free q */
			} else if (now >= q->next_send && q->sends < MDNS_SENDS) {
				mdns_send(q);
			}
		} else if (q->plan[q->step] == ST_DNS && q->tcp) {
			if (now >= q->tcp->deadline)
				dtcp_fail(q);	/* may free q */
		} else if (q->plan[q->step] == ST_DNS && q->pcb && now >= q->deadline) {
			q->attempt++;
			if (q->attempt >= DNS_TRIES * nm.cfg->n_dns) {
				dns_stage_over(q);
			} else {
				dns_send(q, q->attempt / DNS_TRIES);
				q->deadline = now + DNS_TRY_MS;
			}
		}
	}
	if (nm.queries)
		ensure_tick();
}

/*
 * complete_from_cache() - something was learned about @owner: every pending
 * lookup it answers (by its name or its NAME.local) is finished now.
 */
static void complete_from_cache(const char *owner, bool is_ptr)
{
	struct query *q, *next;
	char n[NC_DNS_NAME_MAX + 8];

	for (q = nm.queries; q; q = next) {
		next = q->next;
		if (q->step >= q->nplan || q->reverse != is_ptr)
			continue;
		mdns_name(q, n, sizeof(n));
		if ((strcmp(n, owner) && strcmp(q->name, owner)) ||
		    !from_cache(q, q->plan[q->step] == ST_MDNS))
			continue;
		if (q->pcb) {
			udp_remove(q->pcb);
			q->pcb = NULL;
		}
		finish(q, 0);
	}
}

/*
 * nc_names_learn_addrs() - mDNS showed @owner's addresses: cache them (TTL 0: forget) and
 * finish the lookups waiting for them.
 */
void nc_names_learn_addrs(const char *owner, const struct nc_names_addrs *a, uint32_t ttl)
{
	if (ttl == 0) {
		struct centry *e = cache_find(owner, false);

		if (e)
			e->name[0] = '\0';	/* goodbye */
		return;
	}
	cache_store(owner, a, a->n4 > 0, a->n6 > 0, NULL, ttl);
	complete_from_cache(owner, false);
}

/*
 * nc_names_learn_ptr() - mDNS showed the name of a reverse name: cache it and finish the
 * reverse lookups waiting for it.
 */
void nc_names_learn_ptr(const char *owner, const char *target, uint32_t ttl)
{
	struct centry *e;
	int family;
	uint8_t addr[16];

	if (nc_dns_parse_reverse(owner, &family, addr))
		return;
	if (ttl == 0) {
		if ((e = cache_find(owner, true)))
			e->name[0] = '\0';
		return;
	}
	e = cache_slot(owner, true);
	snprintf(e->target, sizeof(e->target), "%s", target);
	e->expires_ms = cache_expiry(ttl);
	complete_from_cache(owner, true);
}

/* ------------------------------------------------------------ answering -- */

/* rpc_answer() - a RESOLVE or RESOLVE_ADDR reply for @q with @result. */
static void rpc_answer(struct query *q, int result)
{
	struct nc_reply *rep = &q->rep;

	rep->result = result;
	if (result)
		return;
	if (q->reverse) {
		size_t n = strlen(q->ptr);

		if (n + 1 > NC_OPT_MAX) {
			rep->result = -ENOENT;
			return;
		}
		memcpy(rep->opt, q->ptr, n + 1);
		rep->optlen = (uint32_t)(n + 1);
	} else {
		struct nc_resolve_answer ans;

		memset(&ans, 0, sizeof(ans));
		ans.n4 = q->got.n4;
		ans.n6 = q->got.n6;
		memcpy(ans.ip4, q->got.ip4, sizeof(ans.ip4));
		memcpy(ans.ip6, q->got.ip6, sizeof(ans.ip6));
		ans.ttl = q->ttl;
		if (strlen(q->canon) < sizeof(ans.canon))
			strcpy(ans.canon, q->canon);
		memcpy(rep->opt, &ans, sizeof(ans));
		rep->optlen = sizeof(ans);
	}
}

/* put_answer_head() - an answer record's owner (a pointer), type, class IN, TTL. */
static int put_answer_head(uint8_t *b, size_t cap, size_t *off, uint16_t owner, uint16_t type,
			   uint32_t ttl)
{
	return nc_dns_put16(b, cap, off, (uint16_t)(0xc000 | owner)) ||
	       nc_dns_put16(b, cap, off, type) ||
	       nc_dns_put16(b, cap, off, NC_DNS_C_IN) ||
	       nc_dns_put32(b, cap, off, ttl);
}

/*
 * put_address() - one A or AAAA record (@len bytes of @addr) for @owner;
 * counts it in *@an. False, with nothing written, if it does not fit.
 */
static bool put_address(uint8_t *b, size_t cap, size_t *off, uint16_t owner, uint16_t type,
			uint32_t ttl, const uint8_t *addr, uint16_t len, uint16_t *an)
{
	size_t mark = *off;

	if (put_answer_head(b, cap, off, owner, type, ttl) || nc_dns_put16(b, cap, off, len) ||
	    nc_dns_put_bytes(b, cap, off, addr, len)) {
		*off = mark;
		return false;
	}
	(*an)++;
	return true;
}

/*
 * stub_out() - a reply of @len bytes in @b to the stub's asker of @q: a
 * datagram, or a length-prefixed message on its TCP connection (none if
 * that is gone).
 */
static void stub_out(struct query *q, const uint8_t *b, size_t len)
{
	struct stcp *c = q->conn;
	uint8_t pre[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	struct pbuf *p;

	if (q->via_tcp) {
		if (!c || len > DNS_TCP_MSG_MAX)
			return;
		c->idle_until = nc_now_ms() + STUB_TCP_IDLE_MS;
		if (tcp_sndbuf(c->pcb) < len + 2 ||
		    tcp_write(c->pcb, pre, 2, TCP_WRITE_FLAG_COPY | TCP_WRITE_FLAG_MORE) != ERR_OK ||
		    tcp_write(c->pcb, b, (u16_t)len, TCP_WRITE_FLAG_COPY) != ERR_OK) {
			q->conn = NULL;
			c->pending--;
			stcp_end(c);
			return;
		}
		tcp_output(c->pcb);
		return;
	}
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
	if (!p)
		return;
	pbuf_take(p, b, (u16_t)len);
	udp_sendto(nm.stub, p, &q->peer, q->peer_port);
	pbuf_free(p);
}

/*
 * stub_send() - the stub's reply for its question in @q: header, the
 * question as asked, and the records of the type asked (a CNAME first if
 * the name has another canonical one). What does not fit the asker's
 * limit (512 bytes over UDP, or its EDNS size; 64 KiB over TCP) is left
 * out and the reply marked truncated (TC).
 */
static void stub_send(struct query *q, int result)
{
	uint8_t *b = nm.out;
	size_t cap = q->limit < sizeof(nm.out) ? q->limit : sizeof(nm.out);
	size_t off = 12, mark;
	uint16_t an = 0, owner = 12, flags, rcode;
	bool a4 = q->qtype == NC_DNS_T_A || q->qtype == NC_DNS_T_ANY;
	bool a6 = q->qtype == NC_DNS_T_AAAA || q->qtype == NC_DNS_T_ANY;
	bool trunc = false;
	unsigned i;

	if (cap < STUB_MAX_OUT)
		cap = STUB_MAX_OUT;
	rcode = result == 0 || result == -ENODATA ? 0 : result == -ENOENT ? 3 : 2;
	if (nc_dns_put_name(b, cap, &off, q->qname) ||
	    nc_dns_put16(b, cap, &off, q->qtype) || nc_dns_put16(b, cap, &off, NC_DNS_C_IN))
		return;
	if (result == 0 && q->reverse && (q->qtype == NC_DNS_T_PTR || q->qtype == NC_DNS_T_ANY)) {
		mark = off;
		if (put_answer_head(b, cap, &off, owner, NC_DNS_T_PTR, q->ttl) ||
		    nc_dns_put16(b, cap, &off, 0) || nc_dns_put_name(b, cap, &off, q->ptr)) {
			off = mark;
			trunc = true;
		} else {
			b[mark + 10] = (uint8_t)((off - mark - 12) >> 8);
			b[mark + 11] = (uint8_t)(off - mark - 12);
			an++;
		}
	} else if (result == 0 && !q->reverse) {
		if (q->canon[0] && strcmp(q->canon, q->name)) {
			mark = off;
			if (put_answer_head(b, cap, &off, owner, NC_DNS_T_CNAME, q->ttl) ||
			    nc_dns_put16(b, cap, &off, 0) ||
			    nc_dns_put_name(b, cap, &off, q->canon)) {
				off = mark;
				trunc = true;
			} else {
				b[mark + 10] = (uint8_t)((off - mark - 12) >> 8);
				b[mark + 11] = (uint8_t)(off - mark - 12);
				owner = (uint16_t)(mark + 12);
				an++;
			}
		}
		for (i = 0; !trunc && a4 && i < q->got.n4; i++)
			trunc = !put_address(b, cap, &off, owner, NC_DNS_T_A, q->ttl, q->got.ip4[i], 4,
					     &an);
		for (i = 0; !trunc && a6 && i < q->got.n6; i++)
			trunc = !put_address(b, cap, &off, owner, NC_DNS_T_AAAA, q->ttl, q->got.ip6[i],
					     16, &an);
	}
	flags = (uint16_t)(0x8000 | (q->qflags & 0x0100) | 0x0080 | rcode | (trunc ? 0x0200 : 0));
	b[0] = (uint8_t)(q->qid >> 8);
	b[1] = (uint8_t)q->qid;
	b[2] = (uint8_t)(flags >> 8);
	b[3] = (uint8_t)flags;
	b[4] = 0;
	b[5] = 1;
	b[6] = (uint8_t)(an >> 8);
	b[7] = (uint8_t)an;
	memset(b + 8, 0, 4);
	stub_out(q, b, off);
}

/*
 * finish() - the lookup is over: keep a found answer (DNS's) in the cache,
 * tell whoever waits, and free @q.
 */
static void finish(struct query *q, int result)
{
	if (result == 0 && !q->reverse) {
		filter(&q->got, q->family);
		if (q->got.n4 + q->got.n6 == 0)
			result = -ENODATA;
	}
	nc_debug("names: %s: %d", q->name, result);
	if (result == 0 && !q->reverse && !nc_mdns_is_own(q->name))
		cache_store(q->name, &q->got, q->family != AF_INET6, q->family != AF_INET,
			    q->canon, q->ttl);
	if (q->wkind == W_RPC && q->client) {
		rpc_answer(q, result);
		nc_client_reply(q->client, &q->rep, -1);
	} else if (q->wkind == W_STUB) {
		stub_send(q, result);
	}
	query_free(q);
}

/* new_query() - a zeroed query, or NULL when too many are pending. */
static struct query *new_query(void)
{
	if (nm.count >= MAX_QUERIES)
		return NULL;
	return calloc(1, sizeof(struct query));
}

/* set_forward() - @q looks up @name (lower-cased into it); false if it is no name. */
static bool set_forward(struct query *q, const char *name, int family)
{
	size_t n = strlen(name), i;

	if (n >= sizeof(q->name))
		return false;
	for (i = 0; i <= n; i++)
		q->name[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
	if (n > 1 && q->name[n - 1] == '.')
		q->name[n - 1] = '\0';	/* "name." is the name */
	q->family = family;
	return nc_dns_name_ok(q->name);
}

/* set_reverse() - @q looks up the name of @addr (IPv4-mapped IPv6 counts as IPv4). */
static void set_reverse(struct query *q, int family, const uint8_t *addr)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	q->reverse = true;
	if (family == AF_INET6 && !memcmp(addr, mapped, 12)) {
		family = AF_INET;
		addr += 12;
	}
	q->family = family;
	memcpy(q->addr, addr, family == AF_INET ? 4 : 16);
	nc_dns_reverse_name(family, q->addr, q->name, sizeof(q->name));
}

/*
 * nc_names_request() - RESOLVE / RESOLVE_ADDR from a program: start the lookup (its reply
 * comes through nc_client_reply()), or fill @rep now for a request that cannot start.
 */
int nc_names_request(struct nc_client *client, const struct nc_request *req, struct nc_reply *rep)
{
	struct query *q, *o;
	unsigned mine = 0;

	if (!nm.cfg) {
		rep->result = -ENOSYS;
		return 0;
	}
	for (o = nm.queries; o; o = o->next)
		if (o->wkind == W_RPC && o->client == client)
			mine++;
	if (mine >= MAX_PER_CLIENT || !(q = new_query())) {
		rep->result = -EAGAIN;
		return 0;
	}
	q->wkind = W_RPC;
	q->client = client;
	q->rep = *rep;
	if (req->op == NC_OP_RESOLVE) {
		/* nc_rpc_check_request(): one NUL, at the end; a known family. */
		if (!set_forward(q, (const char *)req->opt, req->arg[0])) {
			free(q);
			rep->result = -ENOENT;
			return 0;
		}
	} else {
		sa_family_t fam;

		memcpy(&fam, req->addr, sizeof(fam));
		if (fam == AF_INET) {
			struct sockaddr_in sin;

			memcpy(&sin, req->addr, sizeof(sin));
			set_reverse(q, AF_INET, (const uint8_t *)&sin.sin_addr);
		} else {
			struct sockaddr_in6 sin6;

			memcpy(&sin6, req->addr, sizeof(sin6));
			set_reverse(q, AF_INET6, sin6.sin6_addr.s6_addr);
		}
	}
	start(q);
	return 1;
}

/*
 * nc_names_client_gone() - @client is being freed: its pending lookups go with it, so
 * none answers a dangling pointer.
 */
void nc_names_client_gone(struct nc_client *client)
{
	struct query *q, *next;

	for (q = nm.queries; q; q = next) {
		next = q->next;
		if (q->wkind == W_RPC && q->client == client)
			query_free(q);
	}
}

/* edns_size() - the UDP size the asker's EDNS OPT record offers (RFC 6891), 0 without one. */
static size_t edns_size(const uint8_t *p, size_t len, size_t off, const struct nc_dns_hdr *h)
{
	struct nc_dns_rr rr;
	unsigned i, n = (unsigned)h->an + h->ns + h->ar;

	for (i = 0; i < n; i++) {
		if (nc_dns_get_rr(p, len, &off, &rr))
			return 0;
		if (i >= (unsigned)h->an + h->ns && rr.type == 41 && !rr.name[0])
			return rr.cls;
	}
	return 0;
}

/* stub_error() - a bare header with @rcode for a query with no question we can echo. */
static void stub_error(const struct nc_dns_hdr *h, struct stcp *c, const ip_addr_t *addr,
		       u16_t port)
{
	uint8_t b[12] = { (uint8_t)(h->id >> 8), (uint8_t)h->id, 0x80, 0x80 };
	struct query tmp;

	b[3] |= (h->flags & 0x7800) ? 4 : 1;	/* NOTIMP or FORMERR */
	memset(&tmp, 0, sizeof(tmp));
	tmp.via_tcp = c != NULL;
	tmp.conn = c;
	if (addr)
		ip_addr_copy(tmp.peer, *addr);
	tmp.peer_port = port;
	stub_out(&tmp, b, sizeof(b));
}

/*
 * stub_query() - a query to port 53 of the service's addresses, in @buf
 * (from @addr/@port over UDP, or from the TCP connection @c). Only
 * standard queries with one question are looked up; responses are never
 * answered (no loops between two stubs); anything else gets NOTIMP or
 * FORMERR when its header can be read. A, AAAA, ANY and PTR are answered
 * from the resolver, except A and AAAA of dotted names that are not ours
 * when there are --dns servers: those and other types go to the servers as
 * they came (new ID), and their answer back as it is (all its records;
 * over TCP, asked again over TCP when truncated). -1: too busy.
 */
static int stub_query(uint8_t *buf, size_t len, const ip_addr_t *addr, u16_t port,
		      struct stcp *c)
{
	struct nc_dns_hdr h;
	struct query *q;
	char name[NC_DNS_NAME_MAX];
	size_t off = 12, edns;
	uint16_t qtype, qclass;
	int family;
	uint8_t raddr[16];

	if (nc_dns_get_hdr(buf, len, &h) || (h.flags & 0x8000))
		return 0;
	q = new_query();
	if (!q)
		return -1;	/* too busy: the asker retries */
	q->wkind = W_STUB;
	ip_addr_copy(q->peer, *addr);
	q->peer_port = port;
	q->qid = h.id;
	q->qflags = h.flags;
	if ((h.flags & 0x7800) || h.qd != 1 ||
	    nc_dns_get_name(buf, len, &off, q->qname, sizeof(q->qname), true) ||
	    off + 4 > len) {
		stub_error(&h, c, addr, port);
		free(q);
		return 0;
	}
	qtype = get16(buf + off);
	qclass = get16(buf + off + 2);
	q->qtype = qtype;
	if (c) {
		q->via_tcp = true;
		q->conn = c;
		c->pending++;
		q->limit = DNS_TCP_MSG_MAX;
	} else {
		edns = edns_size(buf, len, off + 4, &h);
		q->limit = edns > STUB_MAX_OUT ? edns : STUB_MAX_OUT;
	}
	snprintf(name, sizeof(name), "%s", q->qname);
	if (qclass != NC_DNS_C_IN || !set_forward(q, name, AF_UNSPEC)) {
		q->reverse = false;
		nm.count++;	/* query_free() counts it out */
		q->next = nm.queries;
		nm.queries = q;
		finish(q, qclass != NC_DNS_C_IN ? -EAGAIN : -ENOENT);
		return 0;
	}
	if (qtype == NC_DNS_T_A)
		q->family = AF_INET;
	else if (qtype == NC_DNS_T_AAAA)
		q->family = AF_INET6;
	if (!nc_dns_parse_reverse(q->name, &family, raddr) &&
	    (qtype == NC_DNS_T_PTR || qtype == NC_DNS_T_ANY))
		set_reverse(q, family, raddr);
	else if (qtype != NC_DNS_T_ANY && nm.cfg->n_dns && !ends_local(q->name) &&
		 !nc_mdns_is_own(q->name) &&
		 (strchr(q->name, '.') || (qtype != NC_DNS_T_A && qtype != NC_DNS_T_AAAA)) &&
		 (q->raw = malloc(len)) != NULL) {
		/* The servers know: pass the query on as it is. */
		memcpy(q->raw, buf, len);
		q->rawlen = len;
	}
	start(q);
	return 0;
}

/* stub_recv() - a datagram to port 53. */
static void stub_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		      u16_t port)
{
	size_t len;

	(void)arg;
	(void)pcb;
	if (p->tot_len > STUB_MAX_IN || port == 0) {
		pbuf_free(p);
		return;
	}
	len = pbuf_copy_partial(p, nm.buf, p->tot_len, 0);
	pbuf_free(p);
	stub_query(nm.buf, len, addr, port, NULL);
}

/* ------------------------------------------------------------ stub over TCP -- */

/* stcp_end() - close a program's connection to the stub; its pending queries answer nobody. */
static void stcp_end(struct stcp *c)
{
	struct stcp **pp;
	struct query *q;

	for (pp = &nm.conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	for (q = nm.queries; q; q = q->next)
		if (q->conn == c)
			q->conn = NULL;
	nm.nconns--;
	if (c->pcb)
		pcb_end(c->pcb);
	free(c);
}

/*
 * stcp_recv() - bytes from a program: length-prefixed queries (12 bytes to
 * 1232 each), at most STUB_TCP_QUERIES per connection, each answered as
 * over UDP. Anything else ends the connection.
 */
static err_t stcp_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct stcp *c = arg;
	struct cb_saved sv;
	size_t off = 0;

	(void)err;
	if (!c) {
		if (p) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return ERR_OK;
	}
	sv = cb_enter(pcb);
	if (!p) {
		stcp_end(c);	/* the program closed */
		return cb_leave(sv);
	}
	tcp_recved(pcb, p->tot_len);
	while (off < p->tot_len && !nm.cb_aborted) {
		size_t k = sizeof(c->in) - c->inlen, mlen;

		if (k > p->tot_len - off)
			k = p->tot_len - off;
		pbuf_copy_partial(p, c->in + c->inlen, (u16_t)k, (u16_t)off);
		c->inlen += k;
		off += k;
		while (c->inlen >= 2 && !nm.cb_aborted) {
			mlen = get16(c->in);
			if (mlen < 12 || mlen > STUB_MAX_IN || c->queries >= STUB_TCP_QUERIES) {
				stcp_end(c);
				break;
			}
			if (c->inlen < 2 + mlen)
				break;
			c->queries++;
			c->idle_until = nc_now_ms() + STUB_TCP_IDLE_MS;
			memcpy(nm.buf, c->in + 2, mlen);
			c->inlen -= 2 + mlen;
			memmove(c->in, c->in + 2 + mlen, c->inlen);
			if (stub_query(nm.buf, mlen, &pcb->remote_ip, pcb->remote_port, c)) {
				stcp_end(c);
				break;
			}
		}
	}
	pbuf_free(p);
	return cb_leave(sv);
}

/* stcp_err() - the connection is gone (lwIP freed the pcb). */
static void stcp_err(void *arg, err_t err)
{
	struct stcp *c = arg;

	(void)err;
	if (c) {
		c->pcb = NULL;
		stcp_end(c);
	}
}

/*
 * stcp_poll() - every second: close a connection with nothing pending and
 * no whole query nor answer for 10 s (bytes trickling in do not count).
 */
static err_t stcp_poll(void *arg, struct tcp_pcb *pcb)
{
	struct stcp *c = arg;
	struct cb_saved sv;

	if (!c)
		return ERR_OK;
	sv = cb_enter(pcb);
	if (c->pending == 0 && nc_now_ms() >= c->idle_until)
		stcp_end(c);
	return cb_leave(sv);
}

/* stcp_accept() - a program connects to port 53: at most STUB_TCP_MAX at once. */
static err_t stcp_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct stcp *c;

	(void)arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	if (nm.nconns >= STUB_TCP_MAX || !(c = calloc(1, sizeof(*c)))) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->pcb = pcb;
	c->idle_until = nc_now_ms() + STUB_TCP_IDLE_MS;
	c->next = nm.conns;
	nm.conns = c;
	nm.nconns++;
	tcp_arg(pcb, c);
	tcp_recv(pcb, stcp_recv);
	tcp_err(pcb, stcp_err);
	tcp_poll(pcb, stcp_poll, 2);
	return ERR_OK;
}

/* nc_names_init() - mDNS on the link, the stub on port 53, the forwarder's servers. */
int nc_names_init(struct nc_config *cfg)
{
	nm.cfg = cfg;
	if (nc_mdns_init(cfg))
		nc_warn("names: no multicast DNS on the link");
	nm.stub = udp_new_ip_type(IPADDR_TYPE_ANY);
	if (nm.stub) {
		ip_set_option(nm.stub, SOF_REUSEADDR);
		if (udp_bind(nm.stub, IP_ANY_TYPE, DNS_PORT) == ERR_OK) {
			udp_recv(nm.stub, stub_recv, NULL);
		} else {
			nc_warn("names: cannot serve DNS on port %d", DNS_PORT);
			udp_remove(nm.stub);
			nm.stub = NULL;
		}
	}
	nm.stub_listen = tcp_new_ip_type(IPADDR_TYPE_ANY);
	if (nm.stub_listen) {
		struct tcp_pcb *l;

		ip_set_option(nm.stub_listen, SOF_REUSEADDR);
		if (tcp_bind(nm.stub_listen, IP_ANY_TYPE, DNS_PORT) == ERR_OK &&
		    (l = tcp_listen_with_backlog(nm.stub_listen, 8)) != NULL) {
			nm.stub_listen = l;
			tcp_accept(l, stcp_accept);
		} else {
			nc_warn("names: cannot serve DNS over TCP on port %d", DNS_PORT);
			tcp_abort(nm.stub_listen);
			nm.stub_listen = NULL;
		}
	}
	if (cfg->n_dns)
		nc_info("names: %u DNS server(s)", cfg->n_dns);
	return 0;
}
