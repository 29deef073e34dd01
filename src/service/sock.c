/*
 * sock.c - sockets and TCP connections inside the service.
 *
 * A socket is created by the SOCKET request: a Unix socketpair whose one end
 * goes to the program (its "fd" from then on) and whose other end stays here.
 * The socket is named by the inode of the program's end. Its life:
 *
 *   NEW --bind--> (bound) --listen--> LISTEN
 *    |                      \--connect--> CONNECTING --> CONNECTED --> (closed)
 *    \--connect--> CONNECTING ...                  \--> FAILED (SO_ERROR set)
 *
 * Data path of a connection, with flow control end to end:
 *   program -> socketpair -> here: read only what tcp_sndbuf() can take;
 *     when it is full, stop watching the socketpair until lwIP reports acks.
 *   network -> lwIP -> here: keep the pbufs, write them to the socketpair when
 *     it has room, and only then tcp_recved() them, so the window advertised
 *     to the peer is the room the program has really made.
 *   FIN: the program's shutdown(SHUT_WR) or close reads as end-of-file here
 *     and becomes tcp_shutdown(); the peer's FIN becomes shutdown(SHUT_WR)
 *     on our end after all data, so the program reads end-of-file.
 *   The program's last close shows here as EPOLLHUP: the rest of its data is
 *   sent, then the PCB is closed (or reset, if data it never read is left, as
 *   the kernel does).
 *
 * A listening socket's fd becomes readable by one byte per connection ready to
 * accept; accept() reads a byte and asks for the connection with ACCEPT, which
 * hands over the connection's own socketpair end. Several processes sharing a
 * listening socket thus each get distinct connections.
 *
 * A non-blocking connect() must leave the fd unwritable until the connection
 * is established or fails. A Unix socket is writable only while what it sent
 * and its peer has not read stays under a quarter of its send buffer, so the
 * intercept lends us its descriptor with CONNECT: we shrink its send buffer,
 * write a small filler through it, and give the descriptor back (close our
 * copy) once the outcome is known, after restoring the buffer and reading
 * the filler away on our end: that is the moment the program sees POLLOUT.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "lwip/ip.h"
#include "lwip/netif.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/tcp.h"

#include "netcon_lwip_hooks.h"

#include "sock.h"
#include "addr.h"
#include "loop.h"
#include "stack.h"
#include "timewait.h"
#include "../common/fdpass.h"
#include "../common/log.h"

#define TABLE_BITS	14
#define TABLE_SIZE	(1u << TABLE_BITS)
#define READ_CHUNK	(256 * 1024)
#define PUSH_RETRY_MS	50	/* a listener the kernel refused a descriptor */
#define WRITE_IOV	64
#define MAX_ACCEPT_QUEUE 4096
#define EPHEMERAL_LOW	32768
#define EPHEMERAL_HIGH	60999
#define ZOMBIE_MS	60000	/* keep a fully shut socket's identity this long */
#define GENERIC_OPTS	16
#define GENERIC_OPT_LEN	32
#define OWNER_SLOTS	4096	/* processes tracked for the per-process budget */

enum sock_state {
	SOCK_NEW,
	SOCK_LISTEN,
	SOCK_CONNECTING,
	SOCK_CONNECTED,
	SOCK_FAILED,		/* connect failed or connection reset: so_error says why */
	SOCK_CLOSED,		/* both directions ended; only the identity is left */
};

static const char *const state_names[] = {
	"new", "listen", "connecting", "connected", "failed", "closed",
};

/* An option we do not act on but keep, so getsockopt returns what was set. */
struct generic_opt {
	int level, name;
	uint32_t len;
	uint8_t value[GENERIC_OPT_LEN];
};

struct sock_opts {
	bool reuseaddr, reuseport, keepalive, nodelay, v6only, linger_on;
	int linger_s;
	int rcvbuf, sndbuf;	/* as getsockopt reports them (doubled, like Linux) */
	int keepidle, keepintvl, keepcnt;
	int ngeneric;
	struct generic_opt *generic;	/* GENERIC_OPTS slots, allocated on first use */
};

struct nc_sock {
	uint64_t id;			/* inode of the program's end */
	uid_t uid;			/* who made it: SO_REUSEPORT groups need one uid */
	pid_t owner;			/* the process charged for it (see owner_charge) */
	int fd;				/* our end of the socketpair, -1 once closed */
	int app_fd;			/* the program's end while we still hold it */
	struct nc_loop_handler h;
	int domain;
	enum sock_state state;
	struct tcp_pcb *pcb;
	struct sock_opts opts;
	int so_error;

	bool bound;
	bool autobound;			/* bound by connect(), not by the program */
	bool connect_async;		/* a non-blocking connect not yet confirmed */
	ip_addr_t local_ip;
	uint16_t local_port;
	bool have_remote;
	ip_addr_t remote_ip;
	uint16_t remote_port;

	/* Listening: connections ready for accept(), oldest first. */
	struct nc_sock *queue_head, *queue_tail;
	int queued, backlog;
	bool push_timer;		/* listener_push() retries on a timer */
	/*
	 * Listeners sharing one address and port with SO_REUSEPORT share one
	 * lwIP PCB: a ring of them, the PCB held by one, and new connections
	 * dealt round-robin (rr, kept by the holder).
	 */
	struct nc_sock *group_next, *rr;
	/* A connection waiting in a listener's queue. */
	struct nc_sock *listener, *queue_next;

	/* Network to program. */
	/*
	 * Received, not yet written to the program: lwIP's chains linked end to
	 * end by ->next. tot_len is 16-bit and means nothing across them, so
	 * only ->len is used here.
	 */
	struct pbuf *rx, *rx_tail;
	uint32_t rx_off;		/* bytes of rx's first pbuf already written */
	bool rx_fin;			/* the peer sent FIN */
	bool rx_fin_done;		/* ... and the program has been told */
	/* Program to network. */
	bool tx_eof;			/* the program will send no more */
	bool tx_fin_done;		/* FIN queued in lwIP */
	bool app_gone;			/* the program's last reference is closed */
	uint32_t filler;		/* connect filler still to read away */

	/* A blocking connect() waiting for its reply. */
	struct nc_client *waiter;
	uint32_t waiter_seq;
	int waiter_spare_fd;		/* a spare socket for the reply, if spare_id */
	uint64_t waiter_spare_id;

	uint64_t zombie_until;
	struct nc_sock *hnext;		/* table chain */
	struct nc_sock *bnext;		/* port chain */
	struct nc_sock *dnext;		/* dirty or dead list */
	bool dirty, dead;
};

static struct {
	int record_truesize;		/* kernel buffer cost of one accept record */
	dev_t sock_dev;			/* sockfs' device: with an inode, names a socket */
	unsigned per_process;		/* most sockets one process may hold here */
	struct owner { pid_t pid; unsigned n; } owners[OWNER_SLOTS];
	struct nc_sock *table[TABLE_SIZE];
	struct nc_sock **ports;		/* 65536 chains of sockets holding a local port */
	struct nc_sock *dirty;
	struct nc_sock *dead;
	uint32_t nsocks, nconns, nlisteners;
	int rmem_max, wmem_max, rmem_default, wmem_default;
	uint8_t scratch[READ_CHUNK];
} tab;

static void sock_event(struct nc_loop_handler *h, uint32_t events);
static void sock_release(struct nc_sock *s);
static void owner_release(pid_t pid);
static void sock_update_events(struct nc_sock *s);
static void conn_set_callbacks(struct nc_sock *s);

/* read_proc_int() - a number from /proc, or @fallback. */
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
 * measure_record_truesize() - what one unread accept record (with its
 * descriptor) counts for in SIOCOUTQ on this kernel, to turn the unread
 * bytes of a listening socket into a number of connections.
 */
static int measure_record_truesize(void)
{
	struct nc_accept_record rec;
	int pair[2], outq = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair))
		return 0;
	nc_rpc_init_accept(&rec, 1);
	if (nc_send_fd(pair[0], &rec, sizeof(rec), pair[1], MSG_DONTWAIT) != (ssize_t)sizeof(rec) ||
	    ioctl(pair[0], SIOCOUTQ, &outq))
		outq = 0;
	close(pair[0]);
	close(pair[1]);
	return outq;
}

void nc_sock_init(void)
{
	tab.ports = calloc(65536, sizeof(*tab.ports));
	if (!tab.ports)
		abort();
	tab.rmem_max = read_proc_int("/proc/sys/net/core/rmem_max", 0, 212992);
	tab.wmem_max = read_proc_int("/proc/sys/net/core/wmem_max", 0, 212992);
	tab.rmem_default = read_proc_int("/proc/sys/net/ipv4/tcp_rmem", 1, 131072);
	tab.wmem_default = read_proc_int("/proc/sys/net/ipv4/tcp_wmem", 1, 16384);
	tab.record_truesize = measure_record_truesize();
	{
		struct rlimit rl;

		/* Half of what the service can hold, less its own descriptors. */
		tab.per_process = getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur > (1u << 30) ?
				  (1u << 29) : (unsigned)(rl.rlim_cur > 192 ? (rl.rlim_cur - 64) / 2 : 64);
	}
}

static unsigned hash_id(uint64_t id)
{
	return (unsigned)((id * 0x9e3779b97f4a7c15ull) >> (64 - TABLE_BITS));
}

static struct nc_sock *sock_find(uint64_t id)
{
	struct nc_sock *s;

	for (s = tab.table[hash_id(id)]; s; s = s->hnext)
		if (s->id == id && !s->dead)
			return s;
	return NULL;
}

static void table_insert(struct nc_sock *s)
{
	unsigned h = hash_id(s->id);

	s->hnext = tab.table[h];
	tab.table[h] = s;
	tab.nsocks++;
}

static void table_remove(struct nc_sock *s)
{
	struct nc_sock **pp;

	for (pp = &tab.table[hash_id(s->id)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == s) {
			*pp = s->hnext;
			tab.nsocks--;
			owner_release(s->owner);
			return;
		}
	}
}

/* mark_dirty() - have nc_sock_flush() look at @s after this batch. */
static void mark_dirty(struct nc_sock *s)
{
	if (s->dirty || s->dead)
		return;
	s->dirty = true;
	s->dnext = tab.dirty;
	tab.dirty = s;
}

/* ---------------------------------------------------------------- ports -- */

static void port_hold(struct nc_sock *s)
{
	s->bnext = tab.ports[s->local_port];
	tab.ports[s->local_port] = s;
}

static void port_release(struct nc_sock *s)
{
	struct nc_sock **pp;

	if (!s->bound)
		return;
	for (pp = &tab.ports[s->local_port]; *pp; pp = &(*pp)->bnext) {
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
 * port_conflict() - Linux's rule: two sockets may share a port when their
 * addresses do not overlap, or both set SO_REUSEADDR and the other is not
 * listening, or both set SO_REUSEPORT.
 */
static bool port_conflict(const struct nc_sock *s, const ip_addr_t *ip, uint16_t port)
{
	const struct nc_sock *o;

	for (o = tab.ports[port]; o; o = o->bnext) {
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

/* pick_port() - a free ephemeral port, chosen at random like the kernel. */
static int pick_port(const struct nc_sock *s, const ip_addr_t *ip)
{
	unsigned range = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
	unsigned start = nc_random_u32() % range, i;

	for (i = 0; i < range; i++) {
		uint16_t port = (uint16_t)(EPHEMERAL_LOW + (start + i) % range);

		if (!tab.ports[port] && !port_conflict(s, ip, port) && !nc_timewait_port_busy(port))
			return port;
	}
	/* Every port is taken or recently closed: share one, as SO_REUSEADDR allows. */
	for (i = 0; i < range; i++) {
		uint16_t port = (uint16_t)(EPHEMERAL_LOW + (start + i) % range);

		if (!port_conflict(s, ip, port))
			return port;
	}
	return -1;
}

/* is_local_addr() - may a socket bind to @ip (an address this stack holds)? */
static bool is_local_addr(const ip_addr_t *ip)
{
	struct netif *n;

	if (ip_addr_isany(ip))
		return true;
	if (IP_IS_V4(ip))
		return nc_stack_is_local4(ip4_addr_get_u32(ip_2_ip4(ip)));
	NETIF_FOREACH(n) {
		if (netif_get_ip6_addr_match(n, ip_2_ip6(ip)) >= 0)
			return true;
	}
	return false;
}

/* -------------------------------------------------------------- lifecycle -- */

/*
 * grow_buffers() - generous socketpair buffers: they are the socket's buffers
 * now. On a Unix stream socket only the writer's send buffer bounds what is
 * queued (the reader's receive buffer is not consulted), so that is the one
 * to set.
 */
static void grow_buffers(int fd)
{
	int size = 4 * 1024 * 1024;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

/*
 * Per-process budget. Every socket costs the service a descriptor, and the
 * service's descriptors are shared by all its programs: one process that
 * opens sockets without end would leave none for the others (and, at the
 * limit, make the service refuse everyone). So a process may hold at most
 * tab.per_process sockets here (half of what the service can hold); past
 * it, socket() says EMFILE, as the kernel does at a process's own limit.
 * Accepted connections are charged to the listener's process.
 */
static unsigned owner_slot(pid_t pid)
{
	return ((unsigned)pid * 2654435761u) % OWNER_SLOTS;
}

#define OWNER_GONE ((pid_t)-1)	/* a freed slot: probing goes on past it */

/*
 * owner_count() - @pid's slot (linear probing; a process whose
 * count falls to 0 frees its slot, so a long-lived service is not filled
 * by processes long gone), or NULL if not found and not added.
 */
static struct owner *owner_count(pid_t pid, bool add)
{
	unsigned i, slot = owner_slot(pid);
	int reuse = -1;

	for (i = 0; i < OWNER_SLOTS; i++, slot = (slot + 1) % OWNER_SLOTS) {
		if (tab.owners[slot].pid == pid)
			return &tab.owners[slot];
		if (tab.owners[slot].pid == OWNER_GONE && reuse < 0)
			reuse = (int)slot;
		if (tab.owners[slot].pid == 0) {
			if (reuse < 0)
				reuse = (int)slot;
			break;
		}
	}
	if (!add || reuse < 0)
		return NULL;
	tab.owners[reuse].pid = pid;
	tab.owners[reuse].n = 0;
	return &tab.owners[reuse];
}

/*
 * owner_charge() - may @pid have one more socket? Counts it if so. With
 * more live processes than slots, the newcomers go uncounted (and unlimited)
 * rather than refused.
 */
static bool owner_charge(pid_t pid)
{
	static uint64_t said_ms;
	struct owner *o = owner_count(pid, true);

	if (!o)
		return true;
	if (o->n < tab.per_process) {
		o->n++;
		return true;
	}
	if (nc_now_ms() - said_ms > 10000) {
		said_ms = nc_now_ms();
		nc_warn("process %d reached its limit of %u sockets in this service: refusing more (EMFILE)",
			(int)pid, tab.per_process);
	}
	return false;
}

/* owner_release() - @pid let a socket go; its slot is freed with its last. */
static void owner_release(pid_t pid)
{
	struct owner *o = owner_count(pid, false);

	if (o && o->n && --o->n == 0)
		o->pid = OWNER_GONE;
}

/* sock_new() - a socket and its socketpair; the program's end is s->app_fd. */
static struct nc_sock *sock_new(int domain, const struct sock_opts *inherit, uid_t uid,
			       pid_t owner)
{
	struct nc_sock *s;
	int pair[2];
	struct stat st;

	if (!owner_charge(owner)) {
		errno = EDQUOT;	/* the process's budget, not the service's limit */
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		owner_release(owner);
		return NULL;
	}
	s->owner = owner;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair)) {
		owner_release(owner);
		free(s);
		return NULL;
	}
	if (fstat(pair[0], &st)) {
		close(pair[0]);
		close(pair[1]);
		owner_release(owner);
		free(s);
		return NULL;
	}
	grow_buffers(pair[0]);
	grow_buffers(pair[1]);
	fcntl(pair[0], F_SETFL, 0);	/* the program's end blocks, as a new socket does */
	s->id = (uint64_t)st.st_ino;
	s->uid = uid;
	tab.sock_dev = st.st_dev;
	s->app_fd = pair[0];
	s->fd = pair[1];
	s->domain = domain;
	s->state = SOCK_NEW;
	if (inherit) {
		s->opts = *inherit;
		s->opts.ngeneric = 0;	/* stored-only options are not inherited */
		s->opts.generic = NULL;
	} else {
		s->opts.rcvbuf = tab.rmem_default;
		s->opts.sndbuf = tab.wmem_default;
		s->opts.keepidle = 7200;
		s->opts.keepintvl = 75;
		s->opts.keepcnt = 9;
	}
	if (nc_loop_add(&s->h, s->fd, 0, sock_event)) {
		close(pair[0]);
		close(pair[1]);
		owner_release(owner);
		free(s);
		return NULL;
	}
	table_insert(s);
	return s;
}

/* pcb_detach() - cut the PCB loose from @s; lwIP owns it from here. */
static void pcb_detach(struct nc_sock *s)
{
	if (!s->pcb)
		return;
	tcp_arg(s->pcb, NULL);
	if (s->state != SOCK_LISTEN) {
		tcp_recv(s->pcb, NULL);
		tcp_sent(s->pcb, NULL);
		tcp_err(s->pcb, NULL);
		tcp_poll(s->pcb, NULL, 0);
	} else {
		tcp_accept(s->pcb, NULL);
	}
	s->pcb = NULL;
}

/*
 * nc_sock_pcb_leaving() - lwIP is about to free a TIME_WAIT PCB that a
 * socket may still hold (timewait.c drains them; lwIP's own timer would too):
 * the socket lets go of it first, as if the PCB had closed under it.
 */
void nc_sock_pcb_leaving(struct tcp_pcb *pcb)
{
	struct nc_sock *s = pcb->callback_arg;

	if (s && s->pcb == pcb)
		pcb_detach(s);
	else
		tcp_arg(pcb, NULL);
}

/* pcb_abort() - send RST and free the PCB. */
static void pcb_abort(struct nc_sock *s)
{
	struct tcp_pcb *pcb = s->pcb;

	if (!pcb)
		return;
	pcb_detach(s);
	tcp_abort(pcb);
}

/* pcb_close() - end the connection gracefully; RST if lwIP cannot. */
static void pcb_close(struct nc_sock *s)
{
	struct tcp_pcb *pcb = s->pcb;

	if (!pcb)
		return;
	pcb_detach(s);
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

static void close_fd(struct nc_sock *s)
{
	if (s->fd >= 0) {
		nc_loop_del(&s->h);
		s->h.cb = NULL;
		close(s->fd);
		s->fd = -1;
	}
	if (s->app_fd >= 0) {
		close(s->app_fd);
		s->app_fd = -1;
	}
}

static void waiter_reply(struct nc_sock *s, int result);

/*
 * accept_pending() - connections waiting for accept(): those not yet pushed
 * plus the records the program has not read. The kernel tells how much of
 * what we sent on the listening socket is unread (SIOCOUTQ, in buffer
 * truesize), and every record costs the same.
 */
static int accept_pending(const struct nc_sock *l)
{
	int unread = 0;

	if (l->fd >= 0 && ioctl(l->fd, SIOCOUTQ, &unread) == 0 && tab.record_truesize > 0)
		return l->queued + unread / tab.record_truesize;
	return l->queued;
}

static void listener_push(struct nc_sock *l);

/* push_retry() - the timer listener_push() set when the kernel refused. */
static void push_retry(void *arg)
{
	struct nc_sock *l = arg;

	l->push_timer = false;
	listener_push(l);
}

/*
 * listener_push() - hand queued connections to the program: one record and
 * the connection's descriptor each, on the listening socket, in order. What
 * the socket cannot take now (its buffer full, or too many descriptors in
 * flight for the kernel) waits here for EPOLLOUT.
 */
static void listener_push(struct nc_sock *l)
{
	struct nc_accept_record rec;
	struct nc_sock *c;

	while ((c = l->queue_head) && l->fd >= 0) {
		nc_rpc_init_accept(&rec, c->id);
		rec.addrlen = nc_addr_to_sockaddr(&c->remote_ip, c->remote_port, c->domain, rec.addr);
		if (nc_send_fd(l->fd, &rec, sizeof(rec), c->app_fd, MSG_DONTWAIT) != (ssize_t)sizeof(rec)) {
			if (errno != EAGAIN && !l->push_timer) {
				/*
				 * Too many descriptors in flight (ETOOMANYREFS) or
				 * no memory: the socket stays writable, so EPOLLOUT
				 * would spin. Try again shortly instead.
				 */
				nc_debug("listener %llu: cannot hand over a connection (%m); retrying",
					 (unsigned long long)l->id);
				l->push_timer = true;
				sys_timeout(PUSH_RETRY_MS, push_retry, l);
			}
			break;
		}
		l->queue_head = c->queue_next;
		if (!l->queue_head)
			l->queue_tail = NULL;
		l->queued--;
		c->listener = NULL;
		c->queue_next = NULL;
		close(c->app_fd);	/* the program holds it now, or the kernel in flight */
		c->app_fd = -1;
		if (c->pcb)
			tcp_backlog_accepted(c->pcb);
	}
	sock_update_events(l);
}

/* leave_group() - a listener goes: hand the shared PCB to another member. */
static void leave_group(struct nc_sock *s)
{
	struct nc_sock *prev, *m;

	if (!s->group_next || s->group_next == s)
		return;
	for (prev = s; prev->group_next != s; prev = prev->group_next)
		;
	prev->group_next = s->group_next;
	if (s->pcb) {
		m = s->group_next;
		m->pcb = s->pcb;
		m->rr = NULL;
		tcp_arg(m->pcb, m);
		s->pcb = NULL;
	} else {
		for (m = s->group_next; m != s && !m->pcb; m = m->group_next)
			;
		if (m->pcb && m->rr == s)
			m->rr = s->group_next;
	}
	s->group_next = s;
}

/*
 * sock_release() - the socket is over: its PCB (if any) is closed or reset,
 * its descriptors closed, and it is freed after the current batch.
 */
static void sock_release(struct nc_sock *s)
{
	struct nc_sock *c;

	if (s->dead)
		return;
	if (s->waiter)
		waiter_reply(s, -EBADF);
	if (s->state == SOCK_LISTEN) {
		while ((c = s->queue_head)) {
			s->queue_head = c->queue_next;
			c->listener = NULL;
			pcb_abort(c);
			sock_release(c);
		}
		s->queued = 0;
		if (s->push_timer)
			sys_untimeout(push_retry, s);
		s->push_timer = false;
		tab.nlisteners--;
		leave_group(s);
		pcb_close(s);
	} else if (s->pcb) {
		if (s->state == SOCK_CONNECTED)
			tab.nconns--;
		if (s->rx || (s->opts.linger_on && s->opts.linger_s == 0) ||
		    s->state == SOCK_CONNECTING)
			pcb_abort(s);
		else
			pcb_close(s);
	} else if (s->state == SOCK_CONNECTED) {
		tab.nconns--;
	}
	if (s->listener) {
		/* Still in a listener's queue: take it out. */
		struct nc_sock **pp;

		for (pp = &s->listener->queue_head; *pp; pp = &(*pp)->queue_next) {
			if (*pp == s) {
				*pp = s->queue_next;
				s->listener->queued--;
				break;
			}
		}
		s->listener->queue_tail = NULL;
		for (c = s->listener->queue_head; c; c = c->queue_next)
			s->listener->queue_tail = c;
		s->listener = NULL;
	}
	if (s->rx) {
		pbuf_free(s->rx);	/* the whole queue: each pbuf holds one reference */
		s->rx = s->rx_tail = NULL;
	}
	close_fd(s);
	port_release(s);
	table_remove(s);
	s->dead = true;
	s->dnext = tab.dead;
	tab.dead = s;
}

/* -------------------------------------------------------------- options -- */

static void apply_opts(struct nc_sock *s)
{
	struct tcp_pcb *pcb = s->pcb;

	if (!pcb || s->state == SOCK_LISTEN)
		return;
	if (s->opts.nodelay)
		tcp_nagle_disable(pcb);
	else
		tcp_nagle_enable(pcb);
	if (s->opts.keepalive)
		ip_set_option(pcb, SOF_KEEPALIVE);
	else
		ip_reset_option(pcb, SOF_KEEPALIVE);
	pcb->keep_idle = (u32_t)s->opts.keepidle * 1000u;
	pcb->keep_intvl = (u32_t)s->opts.keepintvl * 1000u;
	pcb->keep_cnt = (u32_t)s->opts.keepcnt;
}

static struct generic_opt *generic_find(struct nc_sock *s, int level, int name)
{
	int i;

	for (i = 0; i < s->opts.ngeneric; i++)
		if (s->opts.generic[i].level == level && s->opts.generic[i].name == name)
			return &s->opts.generic[i];
	return NULL;
}

/* known_generic() - options the kernel accepts on TCP sockets that we only store. */
static bool known_generic(int level, int name)
{
	switch (level) {
	case SOL_SOCKET:
		return name == SO_BROADCAST || name == SO_OOBINLINE || name == SO_PRIORITY ||
		       name == SO_DONTROUTE || name == SO_MARK || name == SO_BUSY_POLL ||
		       name == SO_TIMESTAMP || name == SO_ZEROCOPY;
	case IPPROTO_TCP:
		return name == TCP_CORK || name == TCP_QUICKACK || name == TCP_DEFER_ACCEPT ||
		       name == TCP_FASTOPEN || name == TCP_USER_TIMEOUT || name == TCP_MAXSEG ||
		       name == TCP_CONGESTION || name == TCP_FASTOPEN_CONNECT ||
		       name == TCP_NOTSENT_LOWAT || name == TCP_SYNCNT || name == TCP_LINGER2 ||
		       name == TCP_WINDOW_CLAMP;
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

static int get_int_opt(const struct nc_request *req, int *v)
{
	if (req->optlen < sizeof(int))
		return -EINVAL;
	memcpy(v, req->opt, sizeof(int));
	return 0;
}

static int clamp_buf(int v, int max)
{
	if (v < 0)
		v = INT_MAX;
	if (v > max)
		v = max;
	v *= 2;
	return v < 4608 ? 4608 : v;
}

static int do_setsockopt(struct nc_sock *s, const struct nc_request *req)
{
	int level = req->arg[0], name = req->arg[1], v = 0;
	struct generic_opt *g;

	if (level == SOL_SOCKET && name == SO_LINGER) {
		struct linger l;

		if (req->optlen < sizeof(l))
			return -EINVAL;
		memcpy(&l, req->opt, sizeof(l));
		s->opts.linger_on = l.l_onoff != 0;
		s->opts.linger_s = l.l_linger < 0 ? 0 : l.l_linger;
		return 0;
	}
	if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
		if (req->optlen == 0 || req->optlen >= GENERIC_OPT_LEN)
			return -EINVAL;
		if (strncmp((const char *)req->opt, "cubic", req->optlen) &&
		    strncmp((const char *)req->opt, "reno", req->optlen))
			return -ENOENT;
	} else if (get_int_opt(req, &v)) {
		return -EINVAL;
	}
	switch (level) {
	case SOL_SOCKET:
		switch (name) {
		case SO_REUSEADDR: s->opts.reuseaddr = v != 0; return 0;
		case SO_REUSEPORT: s->opts.reuseport = v != 0; return 0;
		case SO_KEEPALIVE: s->opts.keepalive = v != 0; apply_opts(s); return 0;
		case SO_RCVBUF: s->opts.rcvbuf = clamp_buf(v, tab.rmem_max); return 0;
		case SO_SNDBUF: s->opts.sndbuf = clamp_buf(v, tab.wmem_max); return 0;
		}
		break;
	case IPPROTO_TCP:
		switch (name) {
		case TCP_NODELAY: s->opts.nodelay = v != 0; apply_opts(s); return 0;
		case TCP_KEEPIDLE:
			if (v < 1 || v > 32767)
				return -EINVAL;
			s->opts.keepidle = v;
			apply_opts(s);
			return 0;
		case TCP_KEEPINTVL:
			if (v < 1 || v > 32767)
				return -EINVAL;
			s->opts.keepintvl = v;
			apply_opts(s);
			return 0;
		case TCP_KEEPCNT:
			if (v < 1 || v > 127)
				return -EINVAL;
			s->opts.keepcnt = v;
			apply_opts(s);
			return 0;
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
	if (!known_generic(level, name))
		return -ENOPROTOOPT;
	g = generic_find(s, level, name);
	if (!g) {
		if (s->opts.ngeneric == GENERIC_OPTS)
			return -ENOBUFS;
		if (!s->opts.generic &&
		    !(s->opts.generic = calloc(GENERIC_OPTS, sizeof(*s->opts.generic))))
			return -ENOMEM;
		g = &s->opts.generic[s->opts.ngeneric++];
		g->level = level;
		g->name = name;
	}
	g->len = req->optlen > GENERIC_OPT_LEN ? GENERIC_OPT_LEN : req->optlen;
	memcpy(g->value, req->opt, g->len);
	return 0;
}

/* tcp_state_of() - the Linux TCP state number for TCP_INFO. */
static uint8_t tcp_state_of(const struct nc_sock *s)
{
	if (s->state == SOCK_LISTEN)
		return 10;	/* TCP_LISTEN */
	if (!s->pcb)
		return s->state == SOCK_CONNECTED ? 8 /* CLOSE_WAIT-like */ : 7; /* CLOSE */
	switch (s->pcb->state) {
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

static int int_reply(struct nc_reply *rep, int v)
{
	memcpy(rep->opt, &v, sizeof(v));
	rep->optlen = sizeof(v);
	return 0;
}

static int do_getsockopt(struct nc_sock *s, const struct nc_request *req, struct nc_reply *rep)
{
	int level = req->arg[0], name = req->arg[1];
	struct generic_opt *g;

	switch (level) {
	case SOL_SOCKET:
		switch (name) {
		case SO_TYPE: return int_reply(rep, SOCK_STREAM);
		case SO_DOMAIN: return int_reply(rep, s->domain);
		case SO_PROTOCOL: return int_reply(rep, IPPROTO_TCP);
		case SO_ACCEPTCONN: return int_reply(rep, s->state == SOCK_LISTEN);
		case SO_ERROR: {
			int e = s->so_error;

			s->so_error = 0;
			return int_reply(rep, e);
		}
		case SO_REUSEADDR: return int_reply(rep, s->opts.reuseaddr);
		case SO_REUSEPORT: return int_reply(rep, s->opts.reuseport);
		case SO_KEEPALIVE: return int_reply(rep, s->opts.keepalive);
		case SO_RCVBUF: return int_reply(rep, s->opts.rcvbuf);
		case SO_SNDBUF: return int_reply(rep, s->opts.sndbuf);
		case SO_LINGER: {
			struct linger l = { s->opts.linger_on, s->opts.linger_s };

			memcpy(rep->opt, &l, sizeof(l));
			rep->optlen = sizeof(l);
			return 0;
		}
		}
		break;
	case IPPROTO_TCP:
		switch (name) {
		case TCP_NODELAY: return int_reply(rep, s->opts.nodelay);
		case TCP_KEEPIDLE: return int_reply(rep, s->opts.keepidle);
		case TCP_KEEPINTVL: return int_reply(rep, s->opts.keepintvl);
		case TCP_KEEPCNT: return int_reply(rep, s->opts.keepcnt);
		case TCP_INFO: {
			struct tcp_info ti;

			memset(&ti, 0, sizeof(ti));
			ti.tcpi_state = tcp_state_of(s);
			if (s->pcb && s->state != SOCK_LISTEN) {
				ti.tcpi_snd_mss = s->pcb->mss;
				ti.tcpi_rcv_mss = s->pcb->mss;
				ti.tcpi_rtt = (uint32_t)(s->pcb->sa >> 3) * TCP_SLOW_INTERVAL * 1000u;
				ti.tcpi_snd_cwnd = s->pcb->mss ? s->pcb->cwnd / s->pcb->mss : 0;
				ti.tcpi_retransmits = s->pcb->nrtx;
				ti.tcpi_options = TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE;
			}
			memcpy(rep->opt, &ti, sizeof(ti));
			rep->optlen = sizeof(ti);
			return 0;
		}
		case TCP_MAXSEG:
			if (!generic_find(s, level, name))
				return int_reply(rep, s->pcb && s->state != SOCK_LISTEN ? s->pcb->mss : 536);
			break;
		case TCP_CONGESTION:
			if (!generic_find(s, level, name)) {
				memcpy(rep->opt, "cubic\0\0\0\0\0\0\0\0\0\0\0", 16);
				rep->optlen = 16;
				return 0;
			}
			break;
		}
		break;
	case IPPROTO_IPV6:
		if (s->domain != AF_INET6)
			return -EOPNOTSUPP;
		if (name == IPV6_V6ONLY)
			return int_reply(rep, s->opts.v6only);
		if (name == IPV6_UNICAST_HOPS && !generic_find(s, level, name))
			return int_reply(rep, 64);
		break;
	case IPPROTO_IP:
		if (name == IP_TTL && !generic_find(s, level, name))
			return int_reply(rep, 64);
		break;
	default:
		return -EOPNOTSUPP;
	}
	g = generic_find(s, level, name);
	if (g) {
		memcpy(rep->opt, g->value, g->len);
		rep->optlen = g->len;
		return 0;
	}
	if (known_generic(level, name))
		return int_reply(rep, 0);
	return -ENOPROTOOPT;
}

/* ------------------------------------------------------------ data path -- */

/* rx_pop() - free the first pbuf of the receive queue. */
static void rx_pop(struct nc_sock *s)
{
	struct pbuf *head = s->rx;

	s->rx = head->next;
	if (!s->rx)
		s->rx_tail = NULL;
	head->next = NULL;
	pbuf_free(head);
	s->rx_off = 0;
}

/* app_end_closed() - has the program closed its end for good (HUP pending)? */
static bool app_end_closed(const struct nc_sock *s)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP);
}

/* rx_discard() - drop what the peer sent and nobody will read, opening the window. */
static void rx_discard(struct nc_sock *s)
{
	while (s->rx) {
		if (s->pcb)
			tcp_recved(s->pcb, (u16_t)(s->rx->len - s->rx_off));
		rx_pop(s);
	}
}

/*
 * rx_flush() - write what the peer sent to the program's socketpair, as much
 * as it takes, and open the TCP window by exactly that much.
 */
static void rx_flush(struct nc_sock *s)
{
	while (s->rx && s->fd >= 0) {
		struct iovec iov[WRITE_IOV];
		struct pbuf *q;
		int n = 0;
		ssize_t w;
		size_t left;

		for (q = s->rx; q && n < WRITE_IOV; q = q->next) {
			uint32_t off = q == s->rx ? s->rx_off : 0;

			if (q->len <= off)
				continue;
			iov[n].iov_base = (uint8_t *)q->payload + off;
			iov[n].iov_len = q->len - off;
			n++;
		}
		w = writev(s->fd, iov, n);
		if (w < 0) {
			if (errno == EPIPE && !app_end_closed(s)) {
				/*
				 * The program shut its reading side: what still
				 * arrives is dropped (and acknowledged), or EPOLLOUT
				 * would wake us for it forever.
				 */
				rx_discard(s);
				continue;
			}
			/* EAGAIN, or the program's end is gone: the HUP handler finishes. */
			break;
		}
		left = (size_t)w;
		if (s->pcb) {
			size_t acked = left;

			while (acked > 0) {
				u16_t chunk = acked > 0xffff ? 0xffff : (u16_t)acked;

				tcp_recved(s->pcb, chunk);
				acked -= chunk;
			}
		}
		while (left > 0 && s->rx) {
			uint32_t avail = s->rx->len - s->rx_off;

			if (left < avail) {
				s->rx_off += (uint32_t)left;
				left = 0;
			} else {
				left -= avail;
				rx_pop(s);
			}
		}
		while (s->rx && s->rx->len == s->rx_off)
			rx_pop(s);
	}
	if (!s->rx && s->rx_fin && !s->rx_fin_done && s->fd >= 0) {
		shutdown(s->fd, s->state == SOCK_FAILED ? SHUT_RDWR : SHUT_WR);
		s->rx_fin_done = true;
	}
}

/* tx_room() - how many bytes lwIP can take from the program now. */
static size_t tx_room(const struct nc_sock *s)
{
	size_t room, segs;

	if (!s->pcb || s->state != SOCK_CONNECTED || s->tx_eof)
		return 0;
	room = tcp_sndbuf(s->pcb);
	segs = TCP_SND_QUEUELEN - tcp_sndqueuelen(s->pcb);
	if (segs < 8)
		return 0;
	if (s->pcb->mss && room / s->pcb->mss > segs - 8)
		room = (size_t)s->pcb->mss * (segs - 8);
	return room;
}

/* tx_finish() - queue our FIN once the program has no more to send. */
static void tx_finish(struct nc_sock *s)
{
	if (!s->tx_eof || s->tx_fin_done || !s->pcb)
		return;
	if (tcp_shutdown(s->pcb, 0, 1) == ERR_OK) {
		s->tx_fin_done = true;
		tcp_output(s->pcb);
	}
}

/*
 * tx_pull() - read from the program and hand it to lwIP, no more than lwIP
 * can take, so nothing read is ever dropped. Returns false at end-of-file.
 */
static bool tx_pull(struct nc_sock *s)
{
	int rounds;

	for (rounds = 0; rounds < 4; rounds++) {
		size_t room = tx_room(s), off = 0;
		ssize_t n;

		if (room == 0)
			return true;
		if (room > sizeof(tab.scratch))
			room = sizeof(tab.scratch);
		n = read(s->fd, tab.scratch, room);
		if (n == 0)
			return false;
		if (n < 0)
			return true;
		while (off < (size_t)n) {
			size_t chunk = (size_t)n - off;
			u8_t flags = TCP_WRITE_FLAG_COPY;
			err_t err;

			if (chunk > 0xffff) {
				chunk = 0xffff;
				flags |= TCP_WRITE_FLAG_MORE;
			}
			err = tcp_write(s->pcb, tab.scratch + off, (u16_t)chunk, flags);
			if (err != ERR_OK) {
				/* Cannot happen given tx_room(); never lose the bytes quietly. */
				nc_err("tcp_write: error %d with %zu bytes read; resetting", err,
				       (size_t)n - off);
				s->so_error = ENOBUFS;
				pcb_abort(s);
				return true;
			}
			off += chunk;
		}
		tcp_output(s->pcb);
		if ((size_t)n < room)
			return true;
	}
	return true;
}

/*
 * hold_unwritable() - a non-blocking connect lent us the program's end
 * (@in_fd): make it unwritable until release_writable().
 */
static void hold_unwritable(struct nc_sock *s, int *in_fd)
{
	struct stat st;
	int small = 1, i;

	if (*in_fd < 0 || fstat(*in_fd, &st) || (uint64_t)st.st_ino != s->id)
		return;
	s->app_fd = *in_fd;
	*in_fd = -1;
	setsockopt(s->app_fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	for (i = 0; i < 64; i++) {
		struct pollfd pfd = { .fd = s->app_fd, .events = POLLOUT };
		ssize_t n;

		if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLOUT))
			break;
		/* The program's end is non-blocking: this never waits. */
		n = send(s->app_fd, tab.scratch, 512, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n <= 0)
			break;
		s->filler += (uint32_t)n;
	}
}

/*
 * release_writable() - the connection is up or has failed: restore the
 * program's send buffer, read the filler away and hand the descriptor back.
 */
static void release_writable(struct nc_sock *s)
{
	if (s->app_fd >= 0) {
		grow_buffers(s->app_fd);
		close(s->app_fd);
		s->app_fd = -1;
	}
	while (s->filler > 0 && s->fd >= 0) {
		size_t want = s->filler > sizeof(tab.scratch) ? sizeof(tab.scratch) : s->filler;
		ssize_t n = read(s->fd, tab.scratch, want);

		if (n <= 0)
			break;
		s->filler -= (uint32_t)n;
	}
}

/* sock_update_events() - watch the socketpair for what the data path needs now. */
static void sock_update_events(struct nc_sock *s)
{
	uint32_t ev = 0;

	if (s->fd < 0 || s->dead || s->app_gone)
		return;
	if (s->rx || (s->state == SOCK_LISTEN && s->queue_head && !s->push_timer))
		ev |= EPOLLOUT;
	if (s->state == SOCK_CONNECTED && !s->tx_eof && tx_room(s) > 0)
		ev |= EPOLLIN | EPOLLRDHUP;
	nc_loop_mod(&s->h, ev);
}

/*
 * app_closed_drain() - the program closed its last reference: send what it
 * left in the socketpair, then close. Runs again as lwIP frees room.
 */
static void app_closed_drain(struct nc_sock *s)
{
	if (s->state == SOCK_CONNECTED && s->pcb && !s->tx_eof) {
		if (tx_pull(s))
			return;		/* more to read once lwIP has room */
		s->tx_eof = true;
	}
	sock_release(s);
}

/*
 * sock_retire() - both directions are over (shut both ways, or failed) but
 * the program may still hold its end: the Unix socket cannot tell that from
 * a close. Close the PCB and our end, and keep the socket's identity for a
 * while so that getsockname(), SO_ERROR and friends still answer.
 */
static void sock_retire(struct nc_sock *s)
{
	if (s->state == SOCK_CONNECTED) {
		tab.nconns--;
		s->state = SOCK_CLOSED;
	}
	tx_finish(s);
	pcb_close(s);
	if (s->rx) {
		pbuf_free(s->rx);	/* the whole queue: each pbuf holds one reference */
		s->rx = s->rx_tail = NULL;
	}
	close_fd(s);
	port_release(s);
	s->zombie_until = nc_now_ms() + ZOMBIE_MS;
}

/* sock_event() - something happened on our end of a socketpair. */
static void sock_event(struct nc_loop_handler *h, uint32_t events)
{
	struct nc_sock *s = (struct nc_sock *)((char *)h - offsetof(struct nc_sock, h));

	if (s->dead)
		return;
	if (events & EPOLLOUT) {
		if (s->state == SOCK_LISTEN)
			listener_push(s);
		else
			rx_flush(s);
	}
	if (events & (EPOLLHUP | EPOLLERR)) {
		if (s->rx_fin_done && (s->tx_eof || s->state == SOCK_FAILED)) {
			sock_retire(s);
			return;
		}
		s->app_gone = true;
		nc_loop_del(&s->h);
		release_writable(s);
		app_closed_drain(s);
		return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP)) {
		if (!tx_pull(s)) {
			s->tx_eof = true;
			tx_finish(s);
		}
	}
	sock_update_events(s);
}

/* ------------------------------------------------------ lwIP callbacks -- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct nc_sock *s = arg;

	(void)err;
	if (!s) {
		if (p) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return ERR_OK;
	}
	if (!p) {
		s->rx_fin = true;
	} else if (s->app_gone || s->fd < 0) {
		/* Nobody will read this: like the kernel, answer with a reset. */
		pbuf_free(p);
		s->so_error = ECONNRESET;
		pcb_abort(s);
		return ERR_ABRT;
	} else {
		if (s->rx)
			s->rx_tail->next = p;
		else
			s->rx = p;
		for (s->rx_tail = p; s->rx_tail->next; s->rx_tail = s->rx_tail->next)
			;
	}
	mark_dirty(s);
	return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct nc_sock *s = arg;

	(void)pcb;
	(void)len;
	if (!s)
		return ERR_OK;
	if (s->app_gone) {
		app_closed_drain(s);
		return s->dead && !s->pcb ? ERR_OK : ERR_OK;
	}
	tx_finish(s);
	mark_dirty(s);
	return ERR_OK;
}

/* drop_waiter_spare() - the spare socket a deferred reply would have carried goes. */
static void drop_waiter_spare(struct nc_sock *s)
{
	if (!s->waiter_spare_id)
		return;
	close(s->waiter_spare_fd);	/* our end sees the hang-up and frees the spare */
	s->waiter_spare_id = 0;
	s->waiter_spare_fd = -1;
}

static void waiter_reply(struct nc_sock *s, int result)
{
	struct nc_request req;
	struct nc_reply rep;
	int fd = -1;

	if (!s->waiter)
		return;
	req.op = NC_OP_CONNECT;
	req.seq = s->waiter_seq;
	nc_rpc_init_reply(&rep, &req);
	rep.result = result;
	rep.sock = s->id;
	if (s->waiter_spare_id) {
		fd = s->waiter_spare_fd;
		rep.optlen = sizeof(s->waiter_spare_id);
		memcpy(rep.opt, &s->waiter_spare_id, sizeof(s->waiter_spare_id));
	}
	nc_client_reply(s->waiter, &rep, fd);
	drop_waiter_spare(s);
	s->waiter = NULL;
}

/*
 * give_spare() - a CONNECT may ask for a spare socket of the same family: a
 * new socket, ready for the program's next socket() call, which then costs
 * it no round trip. It rides on the CONNECT reply, now or when deferred.
 */
static void give_spare(struct nc_sock *s, uid_t uid, pid_t pid, struct nc_reply *rep,
		       int *fd_out, bool deferred)
{
	struct nc_sock *spare;

	if (*fd_out >= 0 || (deferred && (!s->waiter || s->waiter_spare_id)))
		return;
	spare = sock_new(s->domain, NULL, uid, pid);
	if (!spare)
		return;	/* the program's next socket() asks for one itself */
	if (deferred) {
		s->waiter_spare_fd = spare->app_fd;
		s->waiter_spare_id = spare->id;
	} else {
		*fd_out = spare->app_fd;	/* closed by the server once sent */
		rep->optlen = sizeof(spare->id);
		memcpy(rep->opt, &spare->id, sizeof(spare->id));
	}
	spare->app_fd = -1;
}

/* on_err() - lwIP has freed the PCB: the connection failed or was reset. */
static void on_err(void *arg, err_t err)
{
	struct nc_sock *s = arg;
	int e;

	if (!s)
		return;
	s->pcb = NULL;
	if (s->state == SOCK_CONNECTING)
		e = err == ERR_RST ? ECONNREFUSED : ETIMEDOUT;
	else
		e = err == ERR_RST ? ECONNRESET : (err == ERR_ABRT ? ETIMEDOUT : ECONNABORTED);
	nc_debug("socket %llu: %s (%s)", (unsigned long long)s->id, strerror(e),
		 state_names[s->state]);
	if (s->state == SOCK_CONNECTED)
		tab.nconns--;
	s->state = SOCK_FAILED;
	if (s->app_gone || s->listener) {
		/* Nobody to tell, or reset while waiting to be accepted: it goes away. */
		sock_release(s);
		return;
	}
	if (s->waiter) {
		/*
		 * A blocking connect returns the error itself and leaves the socket
		 * unconnected, free to try again, as the kernel does.
		 */
		waiter_reply(s, -e);
		if (s->autobound)
			port_release(s);
		s->state = SOCK_NEW;
		s->have_remote = false;
		return;
	}
	s->so_error = e;
	release_writable(s);
	/* The program reads what arrived, then end-of-file; writes get EPIPE. */
	s->rx_fin = true;
	s->tx_eof = true;
	rx_flush(s);
	sock_update_events(s);
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
	struct nc_sock *s = arg;

	(void)pcb;
	if (s && !s->dead) {
		tx_finish(s);
		mark_dirty(s);
	}
	return ERR_OK;
}

static void conn_set_callbacks(struct nc_sock *s)
{
	tcp_arg(s->pcb, s);
	tcp_recv(s->pcb, on_recv);
	tcp_sent(s->pcb, on_sent);
	tcp_err(s->pcb, on_err);
	tcp_poll(s->pcb, on_poll, 4);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct nc_sock *s = arg;

	(void)err;
	if (!s)
		return ERR_OK;
	s->state = SOCK_CONNECTED;
	tab.nconns++;
	ip_addr_copy(s->local_ip, pcb->local_ip);
	release_writable(s);
	waiter_reply(s, 0);
	mark_dirty(s);
	return ERR_OK;
}

/*
 * netcon_tcp_inpacket() - lwIP's hook for each segment it has matched to a
 * PCB. A SYN to a listener whose accept queue is full (backlog + 1, counting
 * the records the program has not read) is dropped, as Linux drops it; the
 * client tries again a second later. lwIP's own backlog (255) then bounds
 * only the handshakes in progress: a connection leaves its count once
 * pushed to the program; when they are all taken (a SYN flood), the
 * listener's oldest half-open connection gives its slot to the new SYN
 * (synguard.c). On a connection, a flood of tiny out-of-order segments is
 * cut short (oosguard.c).
 */
err_t netcon_tcp_inpacket(struct tcp_pcb *pcb, const struct tcp_hdr *hdr, const struct pbuf *p)
{
	struct nc_sock *holder, *l;

	if (pcb->state != LISTEN)	/* @p: payload; tiny out-of-order floods (oosguard.c) */
		return netcon_ooseq_admit(pcb, hdr, p) ? ERR_OK : ERR_ABRT;
	if ((TCPH_FLAGS(hdr) & (TCP_SYN | TCP_ACK)) != TCP_SYN)
		return ERR_OK;
	holder = pcb->callback_arg;
	if (holder) {
		l = holder->rr ? holder->rr : holder;
		if (accept_pending(l) > l->backlog)
			return ERR_ABRT;
	}
	/* All half-open slots taken: the oldest makes room (synguard.c). */
	return netcon_syn_admit((struct tcp_pcb_listen *)pcb) ? ERR_OK : ERR_ABRT;
}

/* on_accept() - a connection completed its handshake on a listener. */
static err_t on_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
	struct nc_sock *holder = arg, *l, *c;
	int pending;

	if (!holder || err != ERR_OK || !newpcb)
		return ERR_VAL;
	l = holder->rr ? holder->rr : holder;
	holder->rr = l->group_next;
	pending = accept_pending(l);
	if (pending > l->backlog || l->queued >= MAX_ACCEPT_QUEUE) {
		/* The accept queue is full (it holds backlog + 1, as Linux's does). */
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	c = sock_new(l->domain, &l->opts, l->uid, l->owner);
	if (!c) {
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	c->pcb = newpcb;
	c->state = SOCK_CONNECTED;
	tab.nconns++;
	c->local_ip = newpcb->local_ip;
	c->local_port = newpcb->local_port;
	c->bound = true;
	port_hold(c);
	c->remote_ip = newpcb->remote_ip;
	c->remote_port = newpcb->remote_port;
	c->have_remote = true;
	conn_set_callbacks(c);
	apply_opts(c);
	tcp_backlog_delayed(newpcb);
	c->listener = l;
	if (l->queue_tail)
		l->queue_tail->queue_next = c;
	else
		l->queue_head = c;
	l->queue_tail = c;
	l->queued++;
	listener_push(l);
	sock_update_events(c);
	return ERR_OK;
}

/* ------------------------------------------------------------- requests -- */

static int do_socket(uid_t uid, pid_t pid, const struct nc_request *req, struct nc_reply *rep,
		     int *fd_out)
{
	struct nc_sock *s;
	int domain = req->arg[0], type = req->arg[1];

	if (domain != AF_INET && domain != AF_INET6)
		return -EAFNOSUPPORT;
	if (type != SOCK_STREAM)
		return -EPROTONOSUPPORT;
	s = sock_new(domain, NULL, uid, pid);
	if (!s && errno == EDQUOT)
		return -EMFILE;
	if (!s) {
		static uint64_t said_ms;

		if (nc_now_ms() - said_ms > 10000) {
			said_ms = nc_now_ms();
			nc_warn("cannot make a socket (%m): the service is at its descriptor limit");
		}
		return -ENFILE;
	}
	rep->sock = s->id;
	*fd_out = s->app_fd;	/* closed by the server once sent */
	s->app_fd = -1;
	return 0;
}

/* bind_to() - record a local address and port, checking conflicts. */
static int bind_to(struct nc_sock *s, const ip_addr_t *ip, uint16_t port)
{
	int p = port;

	if (p == 0)
		p = pick_port(s, ip);
	else if (port_conflict(s, ip, port))
		return -EADDRINUSE;
	if (p < 0)
		return -EADDRINUSE;
	s->local_ip = *ip;
	s->local_port = (uint16_t)p;
	s->bound = true;
	port_hold(s);
	return 0;
}

/* any_addr() - the wildcard address for @s's family (dual stack for AF_INET6). */
static void any_addr(const struct nc_sock *s, ip_addr_t *ip)
{
	if (s->domain == AF_INET)
		ip_addr_set_zero_ip4(ip);
	else if (s->opts.v6only)
		ip_addr_set_zero_ip6(ip);
	else
		ip_addr_copy(*ip, *IP_ANY_TYPE);	/* IPv4 and IPv6 alike */
}

static int do_bind(struct nc_sock *s, const struct nc_request *req)
{
	ip_addr_t ip;
	uint16_t port;
	bool mapped;
	int r = nc_addr_from_sockaddr(req->addr, req->addrlen, s->domain, &ip, &port, &mapped);

	if (r)
		return r;
	if (s->bound || s->state != SOCK_NEW)
		return -EINVAL;
	if (mapped && s->opts.v6only)
		return -EINVAL;
	if (!is_local_addr(&ip))
		return -EADDRNOTAVAIL;
	if (ip_addr_isany(&ip))
		any_addr(s, &ip);
	return bind_to(s, &ip, port);
}

static int do_listen(struct nc_sock *s, const struct nc_request *req)
{
	struct tcp_pcb *pcb, *lpcb;
	int backlog = req->arg[0];
	ip_addr_t any;
	u8_t type;
	int r;

	if (backlog < 0 || backlog > 4096)
		backlog = 4096;
	if (s->state == SOCK_LISTEN) {
		s->backlog = backlog;	/* netcon_tcp_inpacket() enforces it */
		return 0;
	}
	if (s->state != SOCK_NEW)
		return -EINVAL;
	if (!s->bound) {
		any_addr(s, &any);
		r = bind_to(s, &any, 0);
		if (r)
			return r;
	}
	if (s->opts.reuseport) {
		struct nc_sock *o;

		for (o = tab.ports[s->local_port]; o; o = o->bnext) {
			if (o != s && o->state == SOCK_LISTEN && o->pcb && o->opts.reuseport &&
			    o->uid == s->uid && o->domain == s->domain && ip_addr_cmp(&o->local_ip, &s->local_ip)) {
				s->state = SOCK_LISTEN;
				s->backlog = backlog;
				s->group_next = o->group_next;
				o->group_next = s;
				tab.nlisteners++;
				return 0;
			}
		}
	}
	/* Listening sockets may not share an address and port unless SO_REUSEPORT. */
	s->state = SOCK_LISTEN;
	if (port_conflict(s, &s->local_ip, s->local_port)) {
		s->state = SOCK_NEW;
		return -EADDRINUSE;
	}
	type = IP_GET_TYPE(&s->local_ip);
	pcb = tcp_new_ip_type(type);
	if (!pcb) {
		s->state = SOCK_NEW;
		return -ENOBUFS;
	}
	ip_set_option(pcb, SOF_REUSEADDR);
	if (tcp_bind(pcb, &s->local_ip, s->local_port) != ERR_OK) {
		tcp_abort(pcb);
		s->state = SOCK_NEW;
		return -EADDRINUSE;
	}
	/*
	 * lwIP counts half-open connections against its backlog and has no SYN
	 * cookies: give it the most, so a few unanswered SYNs cannot lock the
	 * listener, and enforce the program's backlog on the accept queue.
	 */
	lpcb = tcp_listen_with_backlog(pcb, 255);
	if (!lpcb) {
		tcp_abort(pcb);
		s->state = SOCK_NEW;
		return -EADDRINUSE;
	}
	s->pcb = lpcb;
	s->backlog = backlog;
	s->group_next = s;
	s->rr = NULL;
	tab.nlisteners++;
	tcp_arg(lpcb, s);
	tcp_accept(lpcb, on_accept);
	return 0;
}

/*
 * reuse_time_wait() - like Linux's tcp_tw_reuse: a connection in TIME_WAIT
 * with the same addresses and ports, older than a second, gives way to a new
 * one, so programs that open and close connections fast do not run out of
 * ports. Returns true if one was removed.
 */
static bool reuse_time_wait(const ip_addr_t *lip, uint16_t lport, const ip_addr_t *rip,
			    uint16_t rport)
{
	struct tcp_pcb *tw;

	for (tw = tcp_tw_pcbs; tw; tw = tw->next) {
		if (tw->local_port == lport && tw->remote_port == rport &&
		    ip_addr_cmp(&tw->remote_ip, rip) &&
		    (ip_addr_isany(lip) || ip_addr_cmp(&tw->local_ip, lip)) &&
		    (u32_t)(tcp_ticks - tw->tmr) * TCP_SLOW_INTERVAL >= 1000) {
			nc_sock_pcb_leaving(tw);
			tcp_abort(tw);	/* a TIME_WAIT PCB goes quietly, without RST */
			return true;
		}
	}
	return false;
}

/* route_ok() - can the stack reach @ip at all (ENETUNREACH otherwise)? */
static bool route_ok(const ip_addr_t *ip)
{
	if (IP_IS_V4(ip))
		return ip4_route(ip_2_ip4(ip)) != NULL;
	return ip6_route(IP6_ADDR_ANY6, ip_2_ip6(ip)) != NULL;
}

static int do_connect(struct nc_client *client, struct nc_sock *s, const struct nc_request *req,
		      int *in_fd, int *deferred)
{
	struct tcp_pcb *pcb;
	ip_addr_t ip, local;
	uint16_t port;
	bool mapped;
	int r, attempt;
	err_t err;

	r = nc_addr_from_sockaddr(req->addr, req->addrlen, s->domain, &ip, &port, &mapped);
	if (r)
		return r;
	switch (s->state) {
	case SOCK_CONNECTING:
		return -EALREADY;
	case SOCK_CONNECTED:
	case SOCK_CLOSED:
		if (s->connect_async) {
			/* The first connect() after a non-blocking one completed says 0. */
			s->connect_async = false;
			return 0;
		}
		return -EISCONN;
	case SOCK_LISTEN:
		return -EISCONN;
	case SOCK_FAILED:
		s->connect_async = false;
		if (s->so_error) {
			r = -s->so_error;
			s->so_error = 0;
			return r;
		}
		return -ECONNABORTED;	/* its program end is shut: it cannot try again */
	case SOCK_NEW:
		break;
	}
	if (mapped && s->opts.v6only)
		return -ENETUNREACH;
	if (port == 0)
		return -ECONNREFUSED;
	/* The kernel takes the unspecified address to mean this host. */
	if (ip_addr_isany(&ip)) {
		if (IP_IS_V4(&ip))
			ip_addr_set_loopback(0, &ip);
		else
			ip_addr_set_loopback(1, &ip);
	}
	if (!route_ok(&ip))
		return -ENETUNREACH;
	/*
	 * A random port may meet a TIME_WAIT connection to the same peer, which
	 * lwIP refuses (ERR_USE): try others, as the kernel does.
	 */
	for (attempt = 0; attempt < 256; attempt++) {
		pcb = tcp_new_ip_type(IP_GET_TYPE(&ip));
		if (!pcb)
			return -ENOBUFS;
		ip_set_option(pcb, SOF_REUSEADDR);
		if (!s->bound) {
			if (IP_IS_V4(&ip))
				ip_addr_set_zero_ip4(&local);
			else
				ip_addr_set_zero_ip6(&local);
			r = bind_to(s, &local, 0);
			if (r) {
				tcp_abort(pcb);
				return -EADDRNOTAVAIL;
			}
			s->autobound = true;
		}
		local = s->local_ip;
		if (IP_GET_TYPE(&local) != IP_GET_TYPE(&ip)) {
			/* A dual-stack or mapped bind: use the family of the destination. */
			if (ip_addr_isany(&local)) {
				if (IP_IS_V4(&ip))
					ip_addr_set_zero_ip4(&local);
				else
					ip_addr_set_zero_ip6(&local);
			} else {
				tcp_abort(pcb);
				return -EINVAL;
			}
		}
		if (tcp_bind(pcb, &local, s->local_port) != ERR_OK) {
			tcp_abort(pcb);
			if (!s->autobound)
				return -EADDRINUSE;
			port_release(s);
			continue;
		}
		tcp_arg(pcb, s);
		s->pcb = pcb;
		conn_set_callbacks(s);
		apply_opts(s);
		if (nc_timewait_recent(&local, s->local_port, &ip, port))
			err = ERR_USE;
		else
			err = tcp_connect(pcb, &ip, port, on_connected);
		if (err == ERR_USE && reuse_time_wait(&local, s->local_port, &ip, port))
			err = tcp_connect(pcb, &ip, port, on_connected);
		if (err == ERR_OK)
			break;
		pcb_detach(s);
		tcp_abort(pcb);
		if (err != ERR_USE)
			return err == ERR_RTE ? -ENETUNREACH : -ENOBUFS;
		if (!s->autobound)
			return -EADDRNOTAVAIL;	/* the program chose this port */
		port_release(s);
	}
	if (!s->pcb)
		return -EADDRNOTAVAIL;
	s->remote_ip = ip;
	s->remote_port = port;
	s->have_remote = true;
	s->state = SOCK_CONNECTING;
	if (req->arg[0]) {
		s->connect_async = true;
		hold_unwritable(s, in_fd);
		nc_debug("socket %llu: connecting to %s", (unsigned long long)s->id,
			 nc_addr_str(&ip, port));
		return -EINPROGRESS;
	}
	s->waiter = client;
	s->waiter_seq = req->seq;
	*deferred = 1;
	return 0;
}

static int do_name(struct nc_sock *s, bool peer, struct nc_reply *rep)
{
	ip_addr_t any;

	if (peer) {
		if (!s->have_remote || s->state == SOCK_CONNECTING ||
		    (s->state == SOCK_FAILED && !s->pcb))
			return -ENOTCONN;
		rep->addrlen = nc_addr_to_sockaddr(&s->remote_ip, s->remote_port, s->domain,
						   rep->addr);
		return 0;
	}
	if (!s->bound && s->state != SOCK_CLOSED) {
		any_addr(s, &any);
		rep->addrlen = nc_addr_to_sockaddr(&any, 0, s->domain, rep->addr);
		return 0;
	}
	if (s->pcb && s->state != SOCK_LISTEN && s->state != SOCK_NEW)
		rep->addrlen = nc_addr_to_sockaddr(&s->pcb->local_ip, s->local_port, s->domain,
						   rep->addr);
	else
		rep->addrlen = nc_addr_to_sockaddr(&s->local_ip, s->local_port, s->domain,
						   rep->addr);
	return 0;
}

static int do_shutdown(struct nc_sock *s, const struct nc_request *req)
{
	int how = req->arg[0];

	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (s->state == SOCK_LISTEN) {
		if (how == SHUT_WR)
			return 0;
		return 0;
	}
	if (s->state == SOCK_NEW || s->state == SOCK_FAILED || s->state == SOCK_CLOSED)
		return -ENOTCONN;
	/* The program shuts its own end; its end-of-file reaches us as data does. */
	return 0;
}

/*
 * holds() - does @fd, the descriptor a request carried, name socket @id?
 * The client proves it holds the socket by sending the descriptor itself, as
 * the kernel asks a process to hold a descriptor before it may operate on
 * it: ids (inodes) are sequential and easy to guess, descriptors are not
 * forgeable. sockfs' device rules out another file system's inode of the
 * same number (a pipe's, say).
 */
static bool holds(int fd, uint64_t id)
{
	struct stat st;

	return fd >= 0 && !fstat(fd, &st) && S_ISSOCK(st.st_mode) &&
	       st.st_dev == tab.sock_dev && (uint64_t)st.st_ino == id;
}

/*
 * nc_sock_request() - one request from a program. Everything in @req has
 * been validated by nc_rpc_check_request() except what depends on state.
 */
void nc_sock_request(struct nc_client *client, const struct nc_request *req, int in_fd,
		     struct nc_reply *rep, int *fd_out, int *deferred)
{
	struct nc_sock *s = NULL;
	int r = 0;

	*fd_out = -1;
	*deferred = 0;
	if (req->op != NC_OP_SOCKET && req->op != NC_OP_STATUS) {
		/* Possession first: a wrong descriptor learns nothing, not even "unknown". */
		bool held = holds(in_fd, req->sock);

		s = held ? sock_find(req->sock) : NULL;
		if (!s) {
			if (in_fd >= 0)
				close(in_fd);
			rep->result = req->op == NC_OP_IDENTIFY && held ? -ENOENT : -EBADF;
			return;
		}
		rep->sock = s->id;
	}
	switch (req->op) {
	case NC_OP_SOCKET: r = do_socket(nc_client_uid(client), nc_client_pid(client), req, rep, fd_out); break;
	case NC_OP_BIND: r = do_bind(s, req); break;
	case NC_OP_LISTEN: r = do_listen(s, req); break;
	case NC_OP_CONNECT:
		r = do_connect(client, s, req, &in_fd, deferred);
		if (req->arg[2])
			give_spare(s, nc_client_uid(client), nc_client_pid(client), rep, fd_out, *deferred);
		break;
	case NC_OP_GETSOCKNAME: r = do_name(s, false, rep); break;
	case NC_OP_GETPEERNAME: r = do_name(s, true, rep); break;
	case NC_OP_GETSOCKOPT: r = do_getsockopt(s, req, rep); break;
	case NC_OP_SETSOCKOPT: r = do_setsockopt(s, req); break;
	case NC_OP_SHUTDOWN: r = do_shutdown(s, req); break;
	case NC_OP_EOF:
		/* Like the kernel, a reset is reported once, to the first reader. */
		if (s->so_error == ECONNRESET) {
			s->so_error = 0;
			r = -ECONNRESET;
		}
		break;
	case NC_OP_IDENTIFY:
		rep->arg[0] = s->domain;
		rep->arg[1] = SOCK_STREAM;
		rep->arg[2] = s->state == SOCK_LISTEN;
		break;
	default:
		r = -EOPNOTSUPP;
	}
	if (in_fd >= 0)
		close(in_fd);
	rep->result = r;
}

void nc_sock_client_gone(struct nc_client *client)
{
	unsigned i;
	struct nc_sock *s;

	for (i = 0; i < TABLE_SIZE; i++)
		for (s = tab.table[i]; s; s = s->hnext)
			if (s->waiter == client) {
				drop_waiter_spare(s);
				s->waiter = NULL;
			}
}

/*
 * nc_sock_flush() - after a batch of events: deliver what lwIP received,
 * refresh what each touched socket waits for, free dead sockets, and expire
 * old identities of closed ones.
 */
void nc_sock_flush(void)
{
	static uint64_t next_sweep;
	struct nc_sock *s, *next;

	while ((s = tab.dirty)) {
		tab.dirty = s->dnext;
		s->dirty = false;
		if (s->dead)
			continue;
		rx_flush(s);
		if (s->app_gone) {
			app_closed_drain(s);
			continue;
		}
		sock_update_events(s);
	}
	for (s = tab.dead; s; s = next) {
		next = s->dnext;
		free(s->opts.generic);
		free(s);
	}
	tab.dead = NULL;
	if (nc_now_ms() >= next_sweep) {
		unsigned i;
		uint64_t now = nc_now_ms();

		next_sweep = now + 5000;
		for (i = 0; i < TABLE_SIZE; i++) {
			for (s = tab.table[i]; s; s = next) {
				next = s->hnext;
				if (s->zombie_until && s->zombie_until <= now)
					sock_release(s);
			}
		}
	}
}

void nc_sock_shutdown_all(void)
{
	unsigned i;
	struct nc_sock *s, *next;

	for (i = 0; i < TABLE_SIZE; i++) {
		for (s = tab.table[i]; s; s = next) {
			next = s->hnext;
			if (s->pcb && s->state != SOCK_LISTEN)
				pcb_abort(s);
			sock_release(s);
		}
	}
	nc_sock_flush();
}

void nc_sock_counts(uint32_t *sockets, uint32_t *connections, uint32_t *listeners)
{
	*sockets = tab.nsocks;
	*connections = tab.nconns;
	*listeners = tab.nlisteners;
}
