/*
 * resolve.c - names for programs under netcon.
 *
 * glibc's resolver makes its socket calls inside libc, where no preloaded
 * library sees them, so in an empty network namespace a program could
 * resolve nothing. libnetcon answers the C library's name functions itself
 * and keeps glibc's semantics by letting glibc build every answer:
 *
 *   1. Numeric names (and AI_NUMERICHOST, NI_NUMERICHOST, a NULL node) go
 *      straight to the real function: they never reach the service.
 *   2. Otherwise the sources of the "hosts:" line of /etc/nsswitch.conf are
 *      taken in order: "files" is /etc/hosts, read here as glibc reads it
 *      (every line naming the host, case-insensitively; the first name of
 *      the first such line is the canonical name); "dns", "mdns*" and
 *      "resolve" are the service (RPC RESOLVE / RESOLVE_ADDR), asked once.
 *      Other sources (myhostname...) are skipped. A source that finds
 *      nothing hands on to the next, as glibc's default actions do.
 *   3. The addresses found are turned into the answer by the real
 *      getaddrinfo() on each numeric address (the torsocks approach), so
 *      hints == NULL, socktype/protocol combinations, service names,
 *      AI_V4MAPPED/AI_ALL and errors behave as glibc's; AI_CANONNAME gets
 *      the canonical name found. gethostbyname*() and gethostbyaddr*()
 *      delegate to the real function when /etc/hosts has the answer, and
 *      build their hostent from the service's answer otherwise.
 *
 * AI_ADDRCONFIG asks whether the host has addresses of a family; the
 * program's network is the service's, which has IPv4 and IPv6 addresses,
 * so the flag keeps everything (glibc, judging the empty namespace's
 * interfaces, would refuse every answer, numeric ones included).
 *
 * Without a reachable service every call is the real function's.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <poll.h>
#include <signal.h>
#include <resolv.h>
#include <unistd.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "client.h"
#include "libc.h"
#include "../common/rpc.h"

#define EXPORT __attribute__((visibility("default")))
#define MAX_ADDRS (NC_RESOLVE_MAX4 + NC_RESOLVE_MAX6 + 16)
#define NAME_MAX_LEN 256

/*
 * musl (Alpine...) answers as musl does: one error for a name without
 * addresses and one that does not exist, getaddrinfo()'s answer in one
 * block (see musl_answer()), no getaddrinfo_a() and the resolver interface
 * musl has (res_query, res_search, res_querydomain, res_send).
 */
#ifdef __GLIBC__
#define EAI_NOADDR EAI_NODATA	/* the name exists, without addresses */
#else
#define EAI_NOADDR EAI_NONAME
#endif
#ifndef NETDB_INTERNAL
#define NETDB_INTERNAL (-1)	/* glibc's value; musl has no such h_errno */
#endif

/* The C library's own functions, found once. */
static struct {
	int (*getaddrinfo)(const char *, const char *, const struct addrinfo *,
			   struct addrinfo **);
	void (*freeaddrinfo)(struct addrinfo *);
	int (*getnameinfo)(const struct sockaddr *, socklen_t, char *, socklen_t, char *,
			   socklen_t, int);
	struct hostent *(*gethostbyname)(const char *);
	struct hostent *(*gethostbyname2)(const char *, int);
	int (*gethostbyname_r)(const char *, struct hostent *, char *, size_t,
			       struct hostent **, int *);
	int (*gethostbyname2_r)(const char *, int, struct hostent *, char *, size_t,
				struct hostent **, int *);
	struct hostent *(*gethostbyaddr)(const void *, socklen_t, int);
	int (*gethostbyaddr_r)(const void *, socklen_t, int, struct hostent *, char *, size_t,
			       struct hostent **, int *);
} real;

static pthread_once_t real_once = PTHREAD_ONCE_INIT;

/* find_real() - dlsym(RTLD_NEXT) for every function wrapped here. */
static void find_real(void)
{
	*(void **)&real.getaddrinfo = dlsym(RTLD_NEXT, "getaddrinfo");
	*(void **)&real.freeaddrinfo = dlsym(RTLD_NEXT, "freeaddrinfo");
	*(void **)&real.getnameinfo = dlsym(RTLD_NEXT, "getnameinfo");
	*(void **)&real.gethostbyname = dlsym(RTLD_NEXT, "gethostbyname");
	*(void **)&real.gethostbyname2 = dlsym(RTLD_NEXT, "gethostbyname2");
	*(void **)&real.gethostbyname_r = dlsym(RTLD_NEXT, "gethostbyname_r");
	*(void **)&real.gethostbyname2_r = dlsym(RTLD_NEXT, "gethostbyname2_r");
	*(void **)&real.gethostbyaddr = dlsym(RTLD_NEXT, "gethostbyaddr");
	*(void **)&real.gethostbyaddr_r = dlsym(RTLD_NEXT, "gethostbyaddr_r");
}

/* init() - the real functions and libnetcon's own table (idempotent). */
static void init(void)
{
	pthread_once(&real_once, find_real);
	nc_libc_init();
}

/* ------------------------------------------------------------ service -- */

static atomic_int up_state;		/* 0 unknown, 1 up, 2 down */
static _Atomic long long up_checked_ms;

/* now_ms() - a monotonic clock in milliseconds. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * service_up() - does a service answer? Asked with STATUS, and the answer
 * kept for 5 s (1 s when none answered), so a program resolving in a loop
 * does not pay a round trip for it each time.
 */
static bool service_up(void)
{
	long long now = now_ms(), then = atomic_load(&up_checked_ms);
	int state = atomic_load(&up_state);
	struct nc_request req;
	struct nc_reply rep;

	if (state && now - then < (state == 1 ? 5000 : 1000))
		return state == 1;
	nc_rpc_init_request(&req, NC_OP_STATUS, 0);
	state = nc_call(&req, &rep, -1, NULL, false) >= 0 ? 1 : 2;
	atomic_store(&up_state, state);
	atomic_store(&up_checked_ms, now);
	return state == 1;
}

/*
 * ask_name() - RESOLVE @name for @family. Returns the service's result (0,
 * -ENOENT, -ENODATA, -EAGAIN) or another negative errno when the service
 * cannot be asked (then the real function answers).
 */
static int ask_name(const char *name, int family, struct nc_resolve_answer *ans)
{
	struct nc_request req;
	struct nc_reply rep;
	size_t n = strlen(name);
	int r;

	if (n == 0 || n + 1 > NC_OPT_MAX)
		return -ENOENT;
	nc_rpc_init_request(&req, NC_OP_RESOLVE, 0);
	memcpy(req.opt, name, n + 1);
	req.optlen = (uint32_t)(n + 1);
	req.arg[0] = family;
	r = nc_call(&req, &rep, -1, NULL, false);
	if (r == -ENETDOWN || r == -ETIMEDOUT || r == -EPROTO)
		atomic_store(&up_state, 0);
	if (r != 0)
		return r;
	if (rep.optlen != sizeof(*ans))
		return -EPROTO;
	memcpy(ans, rep.opt, sizeof(*ans));
	if (ans->n4 > NC_RESOLVE_MAX4)
		ans->n4 = NC_RESOLVE_MAX4;
	if (ans->n6 > NC_RESOLVE_MAX6)
		ans->n6 = NC_RESOLVE_MAX6;
	ans->canon[sizeof(ans->canon) - 1] = '\0';
	return 0;
}

/* ask_addr() - RESOLVE_ADDR: the name of @addr (@family) into @name (of @cap bytes). */
static int ask_addr(int family, const void *addr, char *name, size_t cap)
{
	struct nc_request req;
	struct nc_reply rep;
	int r;

	nc_rpc_init_request(&req, NC_OP_RESOLVE_ADDR, 0);
	if (family == AF_INET) {
		struct sockaddr_in sin = { .sin_family = AF_INET };

		memcpy(&sin.sin_addr, addr, 4);
		memcpy(req.addr, &sin, sizeof(sin));
		req.addrlen = sizeof(sin);
	} else {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

		memcpy(&sin6.sin6_addr, addr, 16);
		memcpy(req.addr, &sin6, sizeof(sin6));
		req.addrlen = sizeof(sin6);
	}
	r = nc_call(&req, &rep, -1, NULL, false);
	if (r != 0)
		return r;
	if (rep.optlen < 2 || rep.optlen > NC_OPT_MAX || rep.opt[rep.optlen - 1] != '\0' ||
	    strlen((char *)rep.opt) + 1 != rep.optlen || rep.optlen > cap)
		return -EPROTO;
	memcpy(name, rep.opt, rep.optlen);
	return 0;
}

/* -------------------------------------------------------------- sources -- */

/* One address found, by family. */
struct found {
	int family;
	uint8_t addr[16];
};

struct lookup {
	struct found a[MAX_ADDRS];
	unsigned n;
	char canon[NAME_MAX_LEN];
};

/* Which sources the hosts: line of /etc/nsswitch.conf names, in order. */
enum source { SRC_FILES = 1, SRC_NET };

/*
 * host_sources() - the order of "files" and of the network sources (dns,
 * mdns*, resolve) in /etc/nsswitch.conf's hosts: line; glibc's default
 * ("files dns") without one. Returns how many were put in @out (0..2).
 */
static unsigned host_sources(enum source out[2])
{
	FILE *f = fopen("/etc/nsswitch.conf", "re");
	char line[512];
	unsigned n = 0;
	bool seen = false;

	while (f && fgets(line, sizeof(line), f)) {
		char *p = line, *tok, *save;

		while (isspace((unsigned char)*p))
			p++;
		if (strncmp(p, "hosts:", 6))
			continue;
		seen = true;
		for (tok = strtok_r(p + 6, " \t\n", &save); tok && n < 2;
		     tok = strtok_r(NULL, " \t\n", &save)) {
			enum source s;

			if (*tok == '[' || *tok == '#')
				continue;
			if (!strcmp(tok, "files"))
				s = SRC_FILES;
			else if (!strcmp(tok, "dns") || !strncmp(tok, "mdns", 4) ||
				 !strcmp(tok, "resolve"))
				s = SRC_NET;
			else
				continue;
			if (n == 0 || out[0] != s)
				out[n++] = s;
		}
		break;
	}
	if (f)
		fclose(f);
	if (!seen) {
		out[0] = SRC_FILES;
		out[1] = SRC_NET;
		n = 2;
	}
	return n;
}

/* parse_addr() - a numeric address as /etc/hosts holds it. */
static int parse_addr(const char *text, struct found *f)
{
	if (inet_pton(AF_INET, text, f->addr) == 1) {
		f->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, f->addr) == 1) {
		f->family = AF_INET6;
		return 0;
	}
	return -1;
}

/*
 * hosts_file() - /etc/hosts as glibc's files source reads it: with @name,
 * the addresses (of @family, or any for AF_UNSPEC) of every line naming it;
 * with @addr instead, the first name of the first line holding it. Returns
 * true if anything was found.
 */
static bool hosts_file(const char *name, int family, const struct found *addr, struct lookup *l)
{
	FILE *f = fopen("/etc/hosts", "re");
	char line[1024];
	bool hit = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#'), *tok, *save, *first = NULL;
		struct found fa;
		bool match = false;

		if (hash)
			*hash = '\0';
		tok = strtok_r(line, " \t\r\n", &save);
		if (!tok || parse_addr(tok, &fa))
			continue;
		for (tok = strtok_r(NULL, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
			if (!first)
				first = tok;
			if (name && !strcasecmp(tok, name))
				match = true;
		}
		if (!first)
			continue;
		if (addr) {
			if (fa.family == addr->family &&
			    !memcmp(fa.addr, addr->addr, fa.family == AF_INET ? 4 : 16)) {
				snprintf(l->canon, sizeof(l->canon), "%s", first);
				hit = true;
				break;
			}
			continue;
		}
		if (!match || (family != AF_UNSPEC && fa.family != family))
			continue;
		if (!hit)
			snprintf(l->canon, sizeof(l->canon), "%s", first);
		hit = true;
		if (l->n < MAX_ADDRS)
			l->a[l->n++] = fa;
	}
	fclose(f);
	return hit;
}

/* from_answer() - the service's addresses into @l, IPv6 first (as glibc orders them by default). */
static void from_answer(const struct nc_resolve_answer *ans, struct lookup *l)
{
	unsigned i;

	for (i = 0; i < ans->n6 && l->n < MAX_ADDRS; i++) {
		l->a[l->n].family = AF_INET6;
		memcpy(l->a[l->n++].addr, ans->ip6[i], 16);
	}
	for (i = 0; i < ans->n4 && l->n < MAX_ADDRS; i++) {
		l->a[l->n].family = AF_INET;
		memcpy(l->a[l->n++].addr, ans->ip4[i], 4);
	}
	snprintf(l->canon, sizeof(l->canon), "%s", ans->canon);
}

/*
 * lookup_name() - @name through the sources in nsswitch order. Returns 0
 * with @l filled, 1 when the real function should answer (files found it
 * and @files_to_real, or the service cannot be asked), or -ENOENT,
 * -ENODATA, -EAGAIN.
 */
static int lookup_name(const char *name, int family, struct lookup *l, bool files_to_real)
{
	enum source src[2];
	unsigned n = host_sources(src), i;
	int verdict = -ENOENT;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < n; i++) {
		if (src[i] == SRC_FILES) {
			if (hosts_file(name, family, NULL, l))
				return files_to_real ? 1 : 0;
		} else {
			struct nc_resolve_answer ans;
			int r = ask_name(name, family, &ans);

			if (r == 0) {
				from_answer(&ans, l);
				return 0;
			}
			if (r != -ENOENT && r != -ENODATA && r != -EAGAIN)
				return 1;	/* no service to ask after all */
			verdict = r;
		}
	}
	return verdict;
}

/* is_numeric() - does the C library read @name as a numeric address? */
static bool is_numeric(const char *name)
{
	struct addrinfo h = { .ai_flags = AI_NUMERICHOST, .ai_family = AF_UNSPEC }, *r = NULL;

	if (real.getaddrinfo(name, NULL, &h, &r) != 0)
		return false;
	real.freeaddrinfo(r);
	return true;
}

/* ---------------------------------------------------------- getaddrinfo -- */

/* eai_of() - the service's verdict as getaddrinfo() reports it. */
static int eai_of(int r)
{
	return r == -EAGAIN ? EAI_AGAIN : r == -ENODATA ? EAI_NOADDR : EAI_NONAME;
}

#ifndef __GLIBC__
/*
 * musl allocates each getaddrinfo() answer as one block, and its
 * freeaddrinfo() finds that block from the list's last node: a list joined
 * from several answers cannot be given back to it. Under musl the parts are
 * copied into one block of ours (each node with its address, the canonical
 * name after them: musl names it on every node, AI_CANONNAME or not), kept
 * on a list; freeaddrinfo() below frees ours and hands musl's to musl. As
 * musl's, a block goes when all its nodes are freed (a program may free a
 * list's tail on its own).
 */
struct ai_block {
	struct ai_block *next;
	size_t n, left;		/* nodes, nodes not freed yet */
	struct {
		struct addrinfo ai;
		struct sockaddr_in6 sa;	/* room for either family */
	} node[];
};

static struct ai_block *ai_blocks;
static pthread_mutex_t ai_lock = PTHREAD_MUTEX_INITIALIZER;

/* musl_answer() - @parts (joined, from the real getaddrinfo()) as one block of ours, named @canon. */
static int musl_answer(struct addrinfo **parts, unsigned nparts, const char *canon,
		       struct addrinfo **res)
{
	size_t n = 0, k = 0, clen = strlen(canon) + 1;
	struct ai_block *b;
	struct addrinfo *p;
	char *name;
	unsigned i;

	for (p = parts[0]; p; p = p->ai_next)
		n++;
	b = calloc(1, sizeof(*b) + n * sizeof(b->node[0]) + clen);
	if (b) {
		name = (char *)&b->node[n];
		memcpy(name, canon, clen);
		for (p = parts[0]; p; p = p->ai_next, k++) {
			b->node[k].ai = *p;
			memcpy(&b->node[k].sa, p->ai_addr,
			       p->ai_addrlen < sizeof(b->node[k].sa) ? p->ai_addrlen : sizeof(b->node[k].sa));
			b->node[k].ai.ai_addr = (struct sockaddr *)&b->node[k].sa;
			b->node[k].ai.ai_canonname = name;
			b->node[k].ai.ai_next = k + 1 < n ? &b->node[k + 1].ai : NULL;
		}
		b->n = b->left = n;
	}
	/* Each part back to musl on its own: cut the joins first. */
	for (i = 0; i < nparts; i++) {
		for (p = parts[i]; p->ai_next && (i + 1 == nparts || p->ai_next != parts[i + 1]);)
			p = p->ai_next;
		p->ai_next = NULL;
	}
	for (i = 0; i < nparts; i++)
		real.freeaddrinfo(parts[i]);
	if (!b)
		return EAI_MEMORY;
	pthread_mutex_lock(&ai_lock);
	b->next = ai_blocks;
	ai_blocks = b;
	pthread_mutex_unlock(&ai_lock);
	*res = &b->node[0].ai;
	return 0;
}

/*
 * musl_order() - the addresses in the order musl's getaddrinfo() gives them:
 * RFC 6724's precedence (IPv4 35 above a unique local IPv6 address's 3, below
 * a global one's 40), then scope, then as found. musl also weighs whether a
 * source address exists (the service has one of each family) and how long a
 * prefix it shares with the destination; those are left out.
 */
static unsigned musl_key(const struct found *f, unsigned i)
{
	const uint8_t *a = f->addr;
	unsigned prec = 40, scope = 14;
	static const uint8_t loop6[16] = { [15] = 1 }, mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (f->family == AF_INET)
		prec = 35;
	else if (!memcmp(a, loop6, 16))
		prec = 50, scope = 2;
	else if (!memcmp(a, mapped, 12))
		prec = 35;
	else if (a[0] == 0x20 && a[1] == 0x02)
		prec = 30;
	else if (a[0] == 0x20 && a[1] == 0x01 && !a[2] && !a[3])
		prec = 5;
	else if ((a[0] & 0xfe) == 0xfc)
		prec = 3;
	if (f->family == AF_INET6 && a[0] == 0xff)
		scope = a[1] & 15;
	else if (f->family == AF_INET6 && a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		scope = 2;
	else if (f->family == AF_INET6 && a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
		scope = 5;
	return prec << 20 | (15 - scope) << 16 | (MAX_ADDRS - i);
}

static void musl_order(struct lookup *l)
{
	unsigned keys[MAX_ADDRS], i, j;

	for (i = 0; i < l->n; i++)
		keys[i] = musl_key(&l->a[i], i);
	for (i = 1; i < l->n; i++) {	/* insertion sort, highest key first */
		struct found f = l->a[i];
		unsigned k = keys[i];

		for (j = i; j > 0 && keys[j - 1] < k; j--) {
			l->a[j] = l->a[j - 1];
			keys[j] = keys[j - 1];
		}
		l->a[j] = f;
		keys[j] = k;
	}
}

/* freeaddrinfo() - a block of ours freed here, musl's by musl. */
EXPORT void freeaddrinfo(struct addrinfo *p)
{
	struct ai_block *b, **link;
	size_t cnt = 0;
	struct addrinfo *q;

	init();
	pthread_mutex_lock(&ai_lock);
	for (link = &ai_blocks; (b = *link); link = &b->next)
		if ((char *)p >= (char *)&b->node[0] && (char *)p < (char *)&b->node[b->n])
			break;
	if (b) {
		for (q = p; q; q = q->ai_next)
			cnt++;
		b->left = cnt < b->left ? b->left - cnt : 0;
		if (!b->left)
			*link = b->next;
		else
			b = NULL;
		pthread_mutex_unlock(&ai_lock);
		free(b);
		return;
	}
	pthread_mutex_unlock(&ai_lock);
	if (real.freeaddrinfo)
		real.freeaddrinfo(p);
}
#endif

/*
 * build() - the answer for @l: the real getaddrinfo() on each address with
 * the caller's service and hints, the lists joined (glibc allocates every
 * node on its own, so freeaddrinfo() frees the joined list). AF_INET6 with
 * AI_V4MAPPED gets IPv4 addresses mapped when there is no IPv6 one (or
 * always, with AI_ALL). AI_CANONNAME names the first node.
 */
static int build(const struct lookup *l, const char *name, const char *service,
		 const struct addrinfo *hints, struct addrinfo **res)
{
	struct addrinfo h = *hints, *head = NULL, **tail = &head;
	bool have6 = false, mapped = hints->ai_family == AF_INET6 && (hints->ai_flags & AI_V4MAPPED);
	int err = 0;
	unsigned i;
#ifndef __GLIBC__
	struct addrinfo *parts[MAX_ADDRS];
	unsigned nparts = 0;
#endif

	h.ai_flags = (h.ai_flags | AI_NUMERICHOST) & ~(AI_CANONNAME | AI_ADDRCONFIG);
	for (i = 0; i < l->n; i++)
		have6 |= l->a[i].family == AF_INET6;
	for (i = 0; i < l->n; i++) {
		char text[INET6_ADDRSTRLEN];
		struct addrinfo *part = NULL;
		int r;

		if (hints->ai_family == AF_INET && l->a[i].family != AF_INET)
			continue;
		if (hints->ai_family == AF_INET6 && l->a[i].family == AF_INET &&
		    (!mapped || (have6 && !(hints->ai_flags & AI_ALL))))
			continue;
		inet_ntop(l->a[i].family, l->a[i].addr, text, sizeof(text));
		r = real.getaddrinfo(text, service, &h, &part);
		if (r != 0) {
			if (!err)
				err = r;
			continue;
		}
		*tail = part;
		while (*tail)
			tail = &(*tail)->ai_next;
#ifndef __GLIBC__
		parts[nparts++] = part;
#endif
	}
	if (!head)
		return err ? err : EAI_NOADDR;
#ifndef __GLIBC__
	return musl_answer(parts, nparts, l->canon[0] ? l->canon : name, res);
#else
	if (hints->ai_flags & AI_CANONNAME) {
		free(head->ai_canonname);
		head->ai_canonname = strdup(l->canon[0] ? l->canon : name);
		if (!head->ai_canonname) {
			real.freeaddrinfo(head);
			return EAI_MEMORY;
		}
	}
	*res = head;
	return 0;
#endif
}

/* getaddrinfo() - glibc's, with hosts looked up as the top of this file says. */
EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res)
{
	static const struct addrinfo glibc_default = {
#ifdef __GLIBC__
		.ai_flags = AI_V4MAPPED | AI_ADDRCONFIG,
#endif
		.ai_family = AF_UNSPEC	/* musl: no flags */
	};
	struct addrinfo h = hints ? *hints : glibc_default, probe, *tmp = NULL;
	struct lookup *l;
	int saved = errno, r;

	init();
	if (!real.getaddrinfo)
		return EAI_SYSTEM;
	if ((h.ai_family != AF_UNSPEC && h.ai_family != AF_INET && h.ai_family != AF_INET6) ||
	    !service_up())
		return real.getaddrinfo(node, service, hints, res);
	h.ai_flags &= ~AI_ADDRCONFIG;	/* the service has both families */
	if (!node || (h.ai_flags & AI_NUMERICHOST) || is_numeric(node)) {
		r = real.getaddrinfo(node, service, &h, res);
		errno = saved;
		return r;
	}
	/* Bad flags, socket types or services fail before any lookup, as in glibc. */
	probe = h;
	probe.ai_flags = (probe.ai_flags | AI_NUMERICHOST) & ~AI_CANONNAME;
	r = real.getaddrinfo(h.ai_family == AF_INET6 ? "::1" : "127.0.0.1", service, &probe, &tmp);
	if (r == 0)
		real.freeaddrinfo(tmp);
	else if (r != EAI_NONAME && r != EAI_ADDRFAMILY && r != EAI_NODATA)
		return r;
	l = malloc(sizeof(*l));
	if (!l)
		return EAI_MEMORY;
	r = lookup_name(node, h.ai_family == AF_INET6 && (h.ai_flags & AI_V4MAPPED) ? AF_UNSPEC :
			h.ai_family, l, true);
#ifndef __GLIBC__
	if (r == 0 && h.ai_family != AF_INET)
		musl_order(l);
#endif
	if (r == 1)
		r = real.getaddrinfo(node, service, &h, res);
	else if (r == 0)
		r = build(l, node, service, &h, res);
	else
		r = eai_of(r);
	free(l);
	errno = saved;
	return r;
}

/* --------------------------------------------------------- getnameinfo -- */

/* in_hosts() - does /etc/hosts name @family/@addr (so the real function finds it)? */
static bool in_hosts(int family, const void *addr)
{
	struct found f = { .family = family };
	struct lookup *l = malloc(sizeof(*l));
	bool hit;

	if (!l)
		return false;
	memset(l, 0, sizeof(*l));
	memcpy(f.addr, addr, family == AF_INET ? 4 : 16);
	hit = hosts_file(NULL, family, &f, l);
	free(l);
	return hit;
}

/* net_reverse() - may the service be asked for reverse names (nsswitch lists a network source)? */
static bool net_listed(void)
{
	enum source src[2];
	unsigned n = host_sources(src), i;

	for (i = 0; i < n; i++)
		if (src[i] == SRC_NET)
			return true;
	return false;
}

/*
 * getnameinfo() - the numeric form and service from glibc, the host name from /etc/hosts
 * (glibc) or the service.
 */
EXPORT int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
		       char *serv, socklen_t servlen, int flags)
{
	char numeric[NI_MAXHOST], name[NC_OPT_MAX];
	const void *addr;
	int saved = errno, family, r;

	init();
	if (!real.getnameinfo)
		return EAI_SYSTEM;
	if (!sa || !host || !hostlen || (flags & NI_NUMERICHOST) || !service_up() ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return real.getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);
	/* The real function checks the address's length and gives the service part. */
	r = real.getnameinfo(sa, salen, numeric, sizeof(numeric), serv, servlen,
			     (flags | NI_NUMERICHOST) & ~NI_NAMEREQD);
	if (r)
		return r;
	family = sa->sa_family;
	addr = family == AF_INET ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr :
				   (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (in_hosts(family, addr) || !net_listed())
		return real.getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);
	r = ask_addr(family, addr, name, sizeof(name));
	if (r != 0 && r != -ENOENT && r != -EAGAIN)
		return real.getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);
	if (r == 0) {
		if (flags & NI_NOFQDN) {
			char *dot = strchr(name, '.');

			if (dot)
				*dot = '\0';
		}
	} else if (flags & NI_NAMEREQD) {
		return r == -EAGAIN ? EAI_AGAIN : EAI_NONAME;
	} else {
		snprintf(name, sizeof(name), "%s", numeric);
	}
	if (strlen(name) >= hostlen)
		return EAI_OVERFLOW;
	strcpy(host, name);
	errno = saved;
	return 0;
}

/* ------------------------------------------------------- gethostbyname -- */

/*
 * fill_hostent() - a hostent in @buf for @name and the addresses of @l of
 * @family: the name, @alias as the one alias (glibc lists the name asked
 * there when a CNAME led elsewhere) or none, the address list. ERANGE if
 * @buf is too small (glibc's answer, so that callers grow it and retry).
 */
static int fill_hostent(struct hostent *ret, char *buf, size_t buflen, const char *name,
			const char *alias, int family, const struct lookup *l)
{
	size_t alen = family == AF_INET ? 4 : 16, nlen = strlen(name) + 1, need, off;
	size_t aliaslen = alias ? strlen(alias) + 1 : 0;
	unsigned i, n = 0, na = alias ? 1 : 0;
	char **list;
	uintptr_t base = (uintptr_t)buf;
	uintptr_t aligned = (base + sizeof(char *) - 1) & ~(uintptr_t)(sizeof(char *) - 1);

	for (i = 0; i < l->n; i++)
		n += l->a[i].family == family;
	if (n == 0)
		return -ENODATA;
	off = (size_t)(aligned - base);
	need = off + sizeof(char *) * (n + 2 + na) + alen * n + nlen + aliaslen;
	if (need > buflen)
		return ERANGE;
	list = (char **)(buf + off);
	off += sizeof(char *) * (n + 2 + na);
	ret->h_aliases = &list[n + 1];
	list[n + 1 + na] = NULL;
	ret->h_addr_list = list;
	ret->h_addrtype = family;
	ret->h_length = (int)alen;
	for (i = 0, n = 0; i < l->n; i++) {
		if (l->a[i].family != family)
			continue;
		memcpy(buf + off, l->a[i].addr, alen);
		list[n++] = buf + off;
		off += alen;
	}
	list[n] = NULL;
	memcpy(buf + off, name, nlen);
	ret->h_name = buf + off;
	off += nlen;
	if (alias) {
		memcpy(buf + off, alias, aliaslen);
		list[n + 1] = buf + off;
	}
	return 0;
}

/*
 * by_name_r() - gethostbyname2_r() through the service, or 1 when the real
 * function should answer (numeric name, /etc/hosts, no service).
 */
static int by_name_r(const char *name, int af, struct hostent *ret, char *buf, size_t buflen,
		     struct hostent **result, int *h_errnop)
{
	struct lookup *l;
	int r;

	init();
	if (!name || (af != AF_INET && af != AF_INET6) || !service_up() || is_numeric(name))
		return 1;
	l = malloc(sizeof(*l));
	if (!l)
		return 1;
	r = lookup_name(name, af, l, true);
	if (r == 0) {
		bool cname = l->canon[0] && strcasecmp(l->canon, name);

		r = fill_hostent(ret, buf, buflen, cname ? l->canon : name, cname ? name : NULL, af, l);
		if (r == ERANGE) {
			free(l);
			*result = NULL;
			*h_errnop = NETDB_INTERNAL;
			errno = ERANGE;
			return ERANGE;
		}
	}
	free(l);
	if (r == 1)
		return 1;
	if (r == 0) {
		*result = ret;
		*h_errnop = 0;
		return 0;
	}
	*result = NULL;
#ifdef __GLIBC__
	*h_errnop = r == -EAGAIN ? TRY_AGAIN : r == -ENODATA ? NO_DATA : HOST_NOT_FOUND;
	return r == -EAGAIN ? EAGAIN : 0;
#else
	/* musl: HOST_NOT_FOUND and ENOENT for any name without addresses. */
	*h_errnop = r == -EAGAIN ? TRY_AGAIN : HOST_NOT_FOUND;
	return r == -EAGAIN ? EAGAIN : ENOENT;
#endif
}

/*
 * gethostbyname2_r() - through the service unless glibc can answer (numeric, /etc/hosts,
 * no service).
 */
EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
			    size_t buflen, struct hostent **result, int *h_errnop)
{
	int saved = errno, r = by_name_r(name, af, ret, buf, buflen, result, h_errnop);

	if (r == 1)
		return real.gethostbyname2_r ? real.gethostbyname2_r(name, af, ret, buf, buflen, result,
								      h_errnop) : ENOSYS;
	if (r == 0)
		errno = saved;
	return r;
}

/* gethostbyname_r() - gethostbyname2_r() for AF_INET. */
EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
			   struct hostent **result, int *h_errnop)
{
	int saved = errno, r = by_name_r(name, AF_INET, ret, buf, buflen, result, h_errnop);

	if (r == 1)
		return real.gethostbyname_r ? real.gethostbyname_r(name, ret, buf, buflen, result,
								    h_errnop) : ENOSYS;
	if (r == 0)
		errno = saved;
	return r;
}

/* Per-thread storage for the non-reentrant forms (glibc's are per process). */
static __thread struct hostent tls_he;
static __thread char tls_buf[2048];

/* gethostbyname2() - the non-reentrant form, in per-thread storage; h_errno set. */
EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	struct hostent *res = NULL;
	int saved = errno, err = 0, r = by_name_r(name, af, &tls_he, tls_buf, sizeof(tls_buf), &res, &err);

	if (r == 1)
		return real.gethostbyname2 ? real.gethostbyname2(name, af) : NULL;
	h_errno = err;
	errno = saved;
	return res;
}

/* gethostbyname() - gethostbyname2() for AF_INET. */
EXPORT struct hostent *gethostbyname(const char *name)
{
	struct hostent *res = NULL;
	int saved = errno, err = 0;
	int r = by_name_r(name, AF_INET, &tls_he, tls_buf, sizeof(tls_buf), &res, &err);

	if (r == 1)
		return real.gethostbyname ? real.gethostbyname(name) : NULL;
	h_errno = err;
	errno = saved;
	return res;
}

/* ------------------------------------------------------- gethostbyaddr -- */

/*
 * by_addr_r() - gethostbyaddr_r() through the service, or 1 when the real
 * function should answer (/etc/hosts has it, no service, not IPv4/IPv6).
 */
static int by_addr_r(const void *addr, socklen_t len, int type, struct hostent *ret, char *buf,
		     size_t buflen, struct hostent **result, int *h_errnop)
{
	char name[NC_OPT_MAX];
	struct lookup *l;
	int r;

	init();
	if (!addr || !((type == AF_INET && len == 4) || (type == AF_INET6 && len == 16)) ||
	    !service_up() || in_hosts(type, addr) || !net_listed())
		return 1;
	r = ask_addr(type, addr, name, sizeof(name));
	if (r != 0 && r != -ENOENT && r != -EAGAIN)
		return 1;
#ifndef __GLIBC__
	/* musl's answer for an address without a name: its numeric form as the name. */
	if (r == -ENOENT && inet_ntop(type, addr, name, sizeof(name)))
		r = 0;
#endif
	if (r != 0) {
		*result = NULL;
		*h_errnop = r == -EAGAIN ? TRY_AGAIN : HOST_NOT_FOUND;
		return r == -EAGAIN ? EAGAIN : 0;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return 1;
	l->a[0].family = type;
	memcpy(l->a[0].addr, addr, len);
	l->n = 1;
	r = fill_hostent(ret, buf, buflen, name, NULL, type, l);
	free(l);
	if (r) {
		*result = NULL;
		*h_errnop = NETDB_INTERNAL;
		errno = ERANGE;
		return ERANGE;
	}
	*result = ret;
	*h_errnop = 0;
	return 0;
}

/* gethostbyaddr_r() - the name of an address through the service unless glibc can answer. */
EXPORT int gethostbyaddr_r(const void *addr, socklen_t len, int type, struct hostent *ret,
			   char *buf, size_t buflen, struct hostent **result, int *h_errnop)
{
	int saved = errno, r = by_addr_r(addr, len, type, ret, buf, buflen, result, h_errnop);

	if (r == 1)
		return real.gethostbyaddr_r ? real.gethostbyaddr_r(addr, len, type, ret, buf, buflen,
								    result, h_errnop) : ENOSYS;
	if (r == 0)
		errno = saved;
	return r;
}

/* gethostbyaddr() - the non-reentrant form, in per-thread storage; h_errno set. */
EXPORT struct hostent *gethostbyaddr(const void *addr, socklen_t len, int type)
{
	struct hostent *res = NULL;
	int saved = errno, err = 0;
	int r = by_addr_r(addr, len, type, &tls_he, tls_buf, sizeof(tls_buf), &res, &err);

	if (r == 1)
		return real.gethostbyaddr ? real.gethostbyaddr(addr, len, type) : NULL;
	h_errno = err;
	errno = saved;
	return res;
}

/* ------------------------------------------------------------- res_* -- */

/*
 * The resolver's own interface (res_query, res_search, res_querydomain,
 * res_send and their res_n* forms) sends DNS messages from inside libc.
 * Under a service they go to its DNS stub instead, over a UDP socket made
 * through libnetcon (the service's loopback, 127.0.0.1 port 53), which
 * answers A, AAAA and PTR from the service's resolver and passes other
 * types on to its --dns servers. Without a service, glibc's own.
 */
#define STUB_WAIT_MS 12000	/* longer than the service's own bound on a lookup */

#ifdef __GLIBC__
static int (*real_res_nsend)(res_state, const unsigned char *, int, unsigned char *, int);

/* find_res() - glibc's res_nsend, for when no service answers. */
static void find_res(void)
{
	*(void **)&real_res_nsend = dlsym(RTLD_NEXT, "res_nsend");
}
#endif

static pthread_once_t res_once = PTHREAD_ONCE_INIT;

#ifdef __GLIBC__
/* set_herrno() - the resolver's h_errno, in @statp and for the thread. */
static void set_herrno(res_state statp, int err)
{
	statp->res_h_errno = err;
	h_errno = err;
}
#endif

/*
 * stub_exchange() - @msg to the service's DNS stub and its answer (same ID,
 * a response) into @answer. Returns the answer's length, or -1 (errno
 * ETIMEDOUT when none came, or socket()'s error).
 */
static int stub_exchange(const unsigned char *msg, int msglen, unsigned char *answer, int anslen)
{
	struct sockaddr_in stub = { .sin_family = AF_INET, .sin_port = htons(53),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct pollfd pfd;
	long long until = now_ms() + STUB_WAIT_MS;
	int fd, n = -1;

	if (msglen < 12 || anslen < 12)
		return errno = EINVAL, -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);	/* libnetcon's: the service's UDP */
	if (fd < 0)
		return -1;
	if (sendto(fd, msg, (size_t)msglen, 0, (struct sockaddr *)&stub, sizeof(stub)) != msglen) {
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		long long left = until - now_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			if (left <= 0 || errno != EINTR) {
				errno = ETIMEDOUT;
				n = -1;
				break;
			}
			continue;
		}
		n = (int)recv(fd, answer, (size_t)anslen, 0);
		if (n >= 12 && answer[0] == msg[0] && answer[1] == msg[1] && (answer[2] & 0x80))
			break;	/* the answer to our question */
		n = -1;
	}
	close(fd);
	return n;
}

#ifdef __GLIBC__
/* res_nsend() - a whole DNS message to the service's stub (glibc's own without a service). */
EXPORT int res_nsend(res_state statp, const unsigned char *msg, int msglen,
		     unsigned char *answer, int anslen)
{
	int saved = errno, n;

	init();
	pthread_once(&res_once, find_res);
	if (!service_up())
		return real_res_nsend ? real_res_nsend(statp, msg, msglen, answer, anslen) : -1;
	n = stub_exchange(msg, msglen, answer, anslen);
	if (n >= 0)
		errno = saved;
	return n;
}

/* res_send() - res_nsend() on the thread's _res. */
EXPORT int res_send(const unsigned char *msg, int msglen, unsigned char *answer, int anslen)
{
	if (!(_res.options & RES_INIT) && res_init() < 0)
		return -1;
	return res_nsend(&_res, msg, msglen, answer, anslen);
}

/* __res_nsend() - the name older binaries link against. */
EXPORT int __res_nsend(res_state statp, const unsigned char *msg, int msglen,
		       unsigned char *answer, int anslen)
{
	return res_nsend(statp, msg, msglen, answer, anslen);
}

/* __res_send() - the name older binaries link against. */
EXPORT int __res_send(const unsigned char *msg, int msglen, unsigned char *answer, int anslen)
{
	return res_send(msg, msglen, answer, anslen);
}

/*
 * res_nquery() - one question, answered as glibc's: the answer's length
 * when it holds answers; otherwise -1 with h_errno HOST_NOT_FOUND
 * (NXDOMAIN), NO_DATA (no record of that type), TRY_AGAIN (SERVFAIL or no
 * answer) or NO_RECOVERY.
 */
EXPORT int res_nquery(res_state statp, const char *dname, int class, int type,
		      unsigned char *answer, int anslen)
{
	unsigned char q[NS_PACKETSZ];
	int n, rcode, ancount;

	n = res_nmkquery(statp, QUERY, dname, class, type, NULL, 0, NULL, q, sizeof(q));
	if (n <= 0) {
		set_herrno(statp, NO_RECOVERY);
		return -1;
	}
	n = res_nsend(statp, q, n, answer, anslen);
	if (n < 0) {
		set_herrno(statp, TRY_AGAIN);
		return -1;
	}
	rcode = answer[3] & 15;
	ancount = answer[6] << 8 | answer[7];
	if (rcode != 0 || ancount == 0) {
		set_herrno(statp, rcode == 3 ? HOST_NOT_FOUND : rcode == 2 ? TRY_AGAIN :
			   rcode == 0 ? NO_DATA : NO_RECOVERY);
		return -1;
	}
	return n;
}

/* res_query() - res_nquery() on the thread's _res. */
EXPORT int res_query(const char *dname, int class, int type, unsigned char *answer, int anslen)
{
	if (!(_res.options & RES_INIT) && res_init() < 0) {
		h_errno = NETDB_INTERNAL;
		return -1;
	}
	return res_nquery(&_res, dname, class, type, answer, anslen);
}

/* __res_nquery() - the name older binaries link against. */
EXPORT int __res_nquery(res_state statp, const char *dname, int class, int type,
			unsigned char *answer, int anslen)
{
	return res_nquery(statp, dname, class, type, answer, anslen);
}

/* __res_query() - the name older binaries link against. */
EXPORT int __res_query(const char *dname, int class, int type, unsigned char *answer, int anslen)
{
	return res_query(dname, class, type, answer, anslen);
}

/* res_nquerydomain() - NAME.DOMAIN (or NAME alone without a domain), as one question. */
EXPORT int res_nquerydomain(res_state statp, const char *name, const char *domain, int class,
			    int type, unsigned char *answer, int anslen)
{
	char full[NS_MAXDNAME];

	if (domain && *domain) {
		if (snprintf(full, sizeof(full), "%s.%s", name, domain) >= (int)sizeof(full)) {
			set_herrno(statp, NO_RECOVERY);
			return -1;
		}
		return res_nquery(statp, full, class, type, answer, anslen);
	}
	return res_nquery(statp, name, class, type, answer, anslen);
}

/* res_querydomain() - res_nquerydomain() on the thread's _res. */
EXPORT int res_querydomain(const char *name, const char *domain, int class, int type,
			   unsigned char *answer, int anslen)
{
	if (!(_res.options & RES_INIT) && res_init() < 0) {
		h_errno = NETDB_INTERNAL;
		return -1;
	}
	return res_nquerydomain(&_res, name, domain, class, type, answer, anslen);
}

/* __res_nquerydomain() - the name older binaries link against. */
EXPORT int __res_nquerydomain(res_state statp, const char *name, const char *domain, int class,
			      int type, unsigned char *answer, int anslen)
{
	return res_nquerydomain(statp, name, domain, class, type, answer, anslen);
}

/* __res_querydomain() - the name older binaries link against. */
EXPORT int __res_querydomain(const char *name, const char *domain, int class, int type,
			     unsigned char *answer, int anslen)
{
	return res_querydomain(name, domain, class, type, answer, anslen);
}

/*
 * res_nsearch() - the search list as glibc walks it: a name ending in a dot
 * is asked as it is; a name with at least ndots dots is asked as it is
 * first; then with each search domain; then as it is if not asked yet. The
 * first answer wins; otherwise the most telling failure (TRY_AGAIN over
 * NO_DATA over HOST_NOT_FOUND).
 */
EXPORT int res_nsearch(res_state statp, const char *name, int class, int type,
		       unsigned char *answer, int anslen)
{
	unsigned dots = 0, i;
	const char *c;
	bool tried_as_is = false;
	int n, worst = HOST_NOT_FOUND;

	if (!name) {
		set_herrno(statp, NO_RECOVERY);
		return -1;
	}
	for (c = name; *c; c++)
		dots += *c == '.';
	if (c > name && c[-1] == '.')
		return res_nquery(statp, name, class, type, answer, anslen);
	if (dots >= statp->ndots) {
		tried_as_is = true;
		if ((n = res_nquery(statp, name, class, type, answer, anslen)) >= 0)
			return n;
		worst = statp->res_h_errno;
	}
	for (i = 0; (statp->options & RES_DNSRCH) && i < MAXDNSRCH && statp->dnsrch[i]; i++) {
		if ((n = res_nquerydomain(statp, name, statp->dnsrch[i], class, type, answer, anslen)) >= 0)
			return n;
		if (statp->res_h_errno == TRY_AGAIN || (statp->res_h_errno == NO_DATA && worst != TRY_AGAIN))
			worst = statp->res_h_errno;
	}
	if (!tried_as_is) {
		if ((n = res_nquery(statp, name, class, type, answer, anslen)) >= 0)
			return n;
		if (statp->res_h_errno == TRY_AGAIN || (statp->res_h_errno == NO_DATA && worst != TRY_AGAIN))
			worst = statp->res_h_errno;
	}
	set_herrno(statp, worst);
	return -1;
}

/* res_search() - res_nsearch() on the thread's _res. */
EXPORT int res_search(const char *name, int class, int type, unsigned char *answer, int anslen)
{
	if (!(_res.options & RES_INIT) && res_init() < 0) {
		h_errno = NETDB_INTERNAL;
		return -1;
	}
	return res_nsearch(&_res, name, class, type, answer, anslen);
}

/* __res_nsearch() - the name older binaries link against. */
EXPORT int __res_nsearch(res_state statp, const char *name, int class, int type,
			 unsigned char *answer, int anslen)
{
	return res_nsearch(statp, name, class, type, answer, anslen);
}

/* __res_search() - the name older binaries link against. */
EXPORT int __res_search(const char *name, int class, int type, unsigned char *answer, int anslen)
{
	return res_search(name, class, type, answer, anslen);
}
#else
/*
 * musl's resolver interface: res_send, res_query, res_querydomain, and
 * res_search, which in musl is res_query (no search list). musl's own make
 * their socket calls inside libc; these send to the service's stub and
 * answer as musl's do. Without a service, musl's own.
 */
static int (*real_res_send)(const unsigned char *, int, unsigned char *, int);
static int (*real_res_query)(const char *, int, int, unsigned char *, int);

/* find_res() - musl's functions, for when no service answers. */
static void find_res(void)
{
	*(void **)&real_res_send = dlsym(RTLD_NEXT, "res_send");
	*(void **)&real_res_query = dlsym(RTLD_NEXT, "res_query");
}

/* res_send() - a whole DNS message to the service's stub. */
EXPORT int res_send(const unsigned char *msg, int msglen, unsigned char *answer, int anslen)
{
	int saved = errno, n;

	init();
	pthread_once(&res_once, find_res);
	if (!service_up())
		return real_res_send ? real_res_send(msg, msglen, answer, anslen) : -1;
	n = stub_exchange(msg, msglen, answer, anslen);
	if (n >= 0)
		errno = saved;
	return n;
}

/*
 * res_query() - one question, answered as musl's: the answer's length, or -1
 * with h_errno TRY_AGAIN (no answer), HOST_NOT_FOUND (NXDOMAIN) or NO_DATA
 * (no record of that type); other errors come back as answers.
 */
EXPORT int res_query(const char *name, int class, int type, unsigned char *answer, int anslen)
{
	unsigned char q[280];
	int n;

	init();
	pthread_once(&res_once, find_res);
	if (!service_up())
		return real_res_query ? real_res_query(name, class, type, answer, anslen) : -1;
	n = res_mkquery(0, name, class, type, NULL, 0, NULL, q, sizeof(q));
	if (n < 0)
		return n;
	n = res_send(q, n, answer, anslen);
	if (n < 12) {
		h_errno = TRY_AGAIN;
		return -1;
	}
	if ((answer[3] & 15) == 3) {
		h_errno = HOST_NOT_FOUND;
		return -1;
	}
	if ((answer[3] & 15) == 0 && !answer[6] && !answer[7]) {
		h_errno = NO_DATA;
		return -1;
	}
	return n;
}

/* res_search() - musl's is res_query(). */
EXPORT int res_search(const char *name, int class, int type, unsigned char *answer, int anslen)
{
	return res_query(name, class, type, answer, anslen);
}

/* res_querydomain() - NAME.DOMAIN as one question (musl's limit: 253 characters). */
EXPORT int res_querydomain(const char *name, const char *domain, int class, int type,
			   unsigned char *answer, int anslen)
{
	char full[255];
	size_t nl = strnlen(name, 255), dl = strnlen(domain, 255);

	if (nl + dl + 1 > 254)
		return -1;
	memcpy(full, name, nl);
	full[nl] = '.';
	memcpy(full + nl + 1, domain, dl + 1);
	return res_query(full, class, type, answer, anslen);
}
#endif

/* ------------------------------------------------------ getaddrinfo_a -- */
#ifdef __GLIBC__	/* musl has no getaddrinfo_a() */

/*
 * glibc's getaddrinfo_a() runs its requests in its own threads through its
 * internal getaddrinfo(), which no preloaded library sees. Under a service
 * the requests run here instead, through the getaddrinfo() above: GAI_WAIT
 * in the caller, GAI_NOWAIT in one thread per call, which raises the
 * sigevent when all are done. gai_error() is glibc's own (it reads
 * __return); gai_suspend() and gai_cancel() wait on and answer for the
 * requests run here.
 */
static int (*real_getaddrinfo_a)(int, struct gaicb **, int, struct sigevent *);
static int (*real_gai_suspend)(const struct gaicb *const[], int, const struct timespec *);
static int (*real_gai_cancel)(struct gaicb *);
static pthread_once_t gai_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t gai_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gai_done = PTHREAD_COND_INITIALIZER;
static atomic_int gai_ours;	/* requests were run here */

struct gai_job {
	int n;
	bool notify;
	struct sigevent sev;
	struct gaicb *list[];
};

/* find_gai() - glibc's functions, for when no service answers. */
static void find_gai(void)
{
	*(void **)&real_getaddrinfo_a = dlsym(RTLD_NEXT, "getaddrinfo_a");
	*(void **)&real_gai_suspend = dlsym(RTLD_NEXT, "gai_suspend");
	*(void **)&real_gai_cancel = dlsym(RTLD_NEXT, "gai_cancel");
}

/* gai_run() - one request through our getaddrinfo(); waiters in gai_suspend() are woken. */
static void gai_run(struct gaicb *r)
{
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(r->ar_name, r->ar_service, r->ar_request, &res);

	pthread_mutex_lock(&gai_lock);
	r->ar_result = rc == 0 ? res : NULL;
	__atomic_store_n(&r->__return, rc, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&gai_done);
	pthread_mutex_unlock(&gai_lock);
}

/* Arguments of a SIGEV_THREAD notification's thread. */
struct gai_note {
	void (*fn)(union sigval);
	union sigval value;
};

/* gai_note_thread() - call the program's notification function. */
static void *gai_note_thread(void *arg)
{
	struct gai_note n = *(struct gai_note *)arg;

	free(arg);
	n.fn(n.value);
	return NULL;
}

/* gai_notify() - the sigevent of a finished GAI_NOWAIT call: a signal or a new thread. */
static void gai_notify(const struct sigevent *sev)
{
	if (sev->sigev_notify == SIGEV_SIGNAL) {
		sigqueue(getpid(), sev->sigev_signo, sev->sigev_value);
	} else if (sev->sigev_notify == SIGEV_THREAD && sev->sigev_notify_function) {
		struct gai_note *n = malloc(sizeof(*n));
		pthread_attr_t attr, *a = (pthread_attr_t *)sev->sigev_notify_attributes;
		pthread_t t;

		if (!n)
			return;
		n->fn = sev->sigev_notify_function;
		n->value = sev->sigev_value;
		if (!a) {
			pthread_attr_init(&attr);
			pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
			a = &attr;
		}
		if (pthread_create(&t, a, gai_note_thread, n))
			free(n);
		if (a == &attr)
			pthread_attr_destroy(&attr);
	}
}

/* gai_worker() - a GAI_NOWAIT call's requests, one after another, then its notification. */
static void *gai_worker(void *arg)
{
	struct gai_job *job = arg;
	int i;

	for (i = 0; i < job->n; i++)
		gai_run(job->list[i]);
	if (job->notify)
		gai_notify(&job->sev);
	free(job);
	return NULL;
}

/*
 * getaddrinfo_a() - the requests through our getaddrinfo(), now (GAI_WAIT) or in a thread
 * (GAI_NOWAIT).
 */
EXPORT int getaddrinfo_a(int mode, struct gaicb *list[], int nitems, struct sigevent *sevp)
{
	struct gai_job *job;
	pthread_attr_t attr;
	pthread_t t;
	int i, n = 0, saved = errno, r;

	init();
	pthread_once(&gai_once, find_gai);
	if ((mode != GAI_WAIT && mode != GAI_NOWAIT) || nitems < 0) {
		errno = EINVAL;
		return EAI_SYSTEM;
	}
	if (!service_up())
		return real_getaddrinfo_a ? real_getaddrinfo_a(mode, list, nitems, sevp) : EAI_SYSTEM;
	atomic_store(&gai_ours, 1);
	job = malloc(sizeof(*job) + sizeof(job->list[0]) * (size_t)nitems);
	if (!job)
		return EAI_MEMORY;
	for (i = 0; i < nitems; i++) {
		if (!list[i])
			continue;
		list[i]->ar_result = NULL;
		__atomic_store_n(&list[i]->__return, EAI_INPROGRESS, __ATOMIC_RELEASE);
		job->list[n++] = list[i];
	}
	job->n = n;
	job->notify = mode == GAI_NOWAIT && sevp && sevp->sigev_notify != SIGEV_NONE;
	if (job->notify)
		job->sev = *sevp;
	if (mode == GAI_WAIT) {
		job->notify = false;
		gai_worker(job);
		errno = saved;
		return 0;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&t, &attr, gai_worker, job);
	pthread_attr_destroy(&attr);
	if (r) {
		for (i = 0; i < n; i++)
			__atomic_store_n(&job->list[i]->__return, EAI_AGAIN, __ATOMIC_RELEASE);
		free(job);
		return EAI_AGAIN;
	}
	errno = saved;
	return 0;
}

/*
 * gai_suspend() - wait until one of @list is done (0), @timeout passes (EAI_AGAIN), or
 * none is listed (EAI_ALLDONE).
 */
EXPORT int gai_suspend(const struct gaicb *const list[], int nitems, const struct timespec *timeout)
{
	struct timespec until;
	int i, r = 0;

	pthread_once(&gai_once, find_gai);
	if (!atomic_load(&gai_ours))
		return real_gai_suspend ? real_gai_suspend(list, nitems, timeout) : EAI_SYSTEM;
	if (timeout) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += timeout->tv_sec;
		until.tv_nsec += timeout->tv_nsec;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&gai_lock);
	for (;;) {
		bool any = false;

		for (i = 0; i < nitems; i++) {
			if (!list[i])
				continue;
			any = true;
			if (__atomic_load_n(&list[i]->__return, __ATOMIC_ACQUIRE) != EAI_INPROGRESS)
				goto out;	/* one is done */
		}
		if (!any) {
			r = EAI_ALLDONE;
			break;
		}
		if (timeout ? pthread_cond_timedwait(&gai_done, &gai_lock, &until) == ETIMEDOUT :
			      pthread_cond_wait(&gai_done, &gai_lock) != 0) {
			r = EAI_AGAIN;
			break;
		}
	}
out:
	pthread_mutex_unlock(&gai_lock);
	return r;
}

/*
 * gai_cancel() - requests run here cannot be stopped: EAI_NOTCANCELED while running, else
 * EAI_ALLDONE.
 */
EXPORT int gai_cancel(struct gaicb *req)
{
	pthread_once(&gai_once, find_gai);
	if (!atomic_load(&gai_ours))
		return real_gai_cancel ? real_gai_cancel(req) : EAI_ALLDONE;
	/* A request running here cannot be stopped half way; glibc says the same of a running one. */
	return req && __atomic_load_n(&req->__return, __ATOMIC_ACQUIRE) == EAI_INPROGRESS ?
	       EAI_NOTCANCELED : EAI_ALLDONE;
}
#endif
