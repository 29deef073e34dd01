/*
 * sock.c - the service's socket table, protocol-neutral.
 *
 * A socket is created by the SOCKET request: a Unix socketpair (of the
 * protocol's type) whose one end goes to the program (its "fd" from then on)
 * and whose other end stays here. The socket is named by the inode of the
 * program's end, so it keeps its identity across dup, fork, exec and
 * SCM_RIGHTS; a request proves the client holds the socket by carrying that
 * descriptor (holds()).
 *
 * This file owns what every socket has, whatever its protocol: the table of
 * ids, the possession check, the per-process budget (owner.c), SOCKET and
 * IDENTIFY, the dirty list (sockets to look at after a batch of events), the
 * dead list (freed after the batch, so nothing in the batch touches freed
 * memory), and zombies (sockets whose both directions are over, kept a while
 * by identity). Every other request, and every event on our socketpair end,
 * goes to the socket's protocol (struct nc_proto, sock_priv.h): TCP's
 * connections are tcp.c's, its listeners tcp_listen.c's. Ports are ports.c's,
 * shared options sockopt.c's.
 */
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sock_priv.h"
#include "stack.h"
#include "addr.h"
#include "clock.h"
#include "loop.h"
#include "ports.h"
#include "../common/log.h"

#define TABLE_BITS	14
#define TABLE_SIZE	(1u << TABLE_BITS)
#define ZOMBIE_MS	60000	/* keep a fully shut socket's identity this long */

/* The protocols SOCKET can make: one line each. */
static const struct nc_proto *const protos[] = {
	&nc_proto_tcp,
	&nc_proto_udp,
	&nc_proto_icmp,
};

static struct {
	dev_t sock_dev;			/* sockfs' device: with an inode, names a socket */
	struct nc_sock *table[TABLE_SIZE];
	struct nc_sock *dirty;
	struct nc_sock *dead;
	uint32_t nsocks;
} tab;

static const char *const state_names[] = {
	"new", "listen", "connecting", "connected", "failed", "closed",
};

/* nc_sock_state_name() - @state for the logs. */
const char *nc_sock_state_name(enum nc_sock_state state)
{
	return state_names[state];
}

/*
 * nc_proto_for() - the registered protocol for sockets of @type and
 * @protocol (0: the type's default, the first registered), or NULL.
 * ICMP's protocol number depends on the family: IPPROTO_ICMP for AF_INET,
 * IPPROTO_ICMPV6 for AF_INET6 (struct nc_proto.protocol6).
 */
const struct nc_proto *nc_proto_for(int domain, int type, int protocol)
{
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		const struct nc_proto *p = protos[i];
		int number = domain == AF_INET6 && p->protocol6 ? p->protocol6 : p->protocol;

		if (p->type == type && (protocol == number || (protocol == 0 && !p->explicit_only)))
			return p;
	}
	return NULL;
}

/* nc_sock_init() - the table's helpers, then each protocol's own set-up. */
/* flush_hook() - the loop's hook: nc_sock_flush() after a batch (and after lwIP ran). */
static int flush_hook(void)
{
	nc_sock_flush();
	return -1;
}

void nc_sock_init(void)
{
	size_t i;

	nc_loop_add_hook(NC_PHASE_DELIVER, flush_hook);
	nc_loop_add_hook(NC_PHASE_AFTER_STACK, flush_hook);
	nc_ports_init();
	nc_sockopt_init();
	nc_owner_init();
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i]->setup)
			protos[i]->setup();
}

/* hash_id() - @id's bucket (Fibonacci hashing: inodes are sequential). */
static unsigned hash_id(uint64_t id)
{
	return (unsigned)((id * 0x9e3779b97f4a7c15ull) >> (64 - TABLE_BITS));
}

/* nc_sock_find() - the live socket named @id, or NULL. */
struct nc_sock *nc_sock_find(uint64_t id)
{
	struct nc_sock *s;

	for (s = tab.table[hash_id(id)]; s; s = s->hnext)
		if (s->id == id && !s->dead)
			return s;
	return NULL;
}

/* table_insert() - @s is known by its id from now on. */
static void table_insert(struct nc_sock *s)
{
	unsigned h = hash_id(s->id);

	s->hnext = tab.table[h];
	tab.table[h] = s;
	tab.nsocks++;
}

/* table_remove() - @s leaves the table, and its process's budget. */
static void table_remove(struct nc_sock *s)
{
	struct nc_sock **pp;

	for (pp = &tab.table[hash_id(s->id)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == s) {
			*pp = s->hnext;
			tab.nsocks--;
			if (s->owner)
				nc_owner_release(s->owner);
			return;
		}
	}
}

/* nc_sock_mark_dirty() - have nc_sock_flush() hand @s to its protocol after this batch. */
void nc_sock_mark_dirty(struct nc_sock *s)
{
	if (s->dirty || s->dead)
		return;
	s->dirty = true;
	s->dnext = tab.dirty;
	tab.dirty = s;
}

/*
 * nc_sock_grow_buffers() - generous socketpair buffers: they are the socket's
 * buffers now. On a Unix stream socket only the writer's send buffer bounds
 * what is queued (the reader's receive buffer is not consulted), so that is
 * the one to set.
 */
void nc_sock_grow_buffers(int fd)
{
	int size = 4 * 1024 * 1024;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

/* sock_event() - something happened on our end of a socketpair: the protocol's. */
static void sock_event(struct nc_loop_handler *h, uint32_t events)
{
	struct nc_sock *s = (struct nc_sock *)((char *)h - offsetof(struct nc_sock, h));

	if (s->dead)
		return;
	s->proto->event(s, events);
}

/*
 * nc_sock_new() - a socket of @proto and its socketpair, charged to
 * process @owner; the program's end is s->app_fd. A connection accepted on
 * @parent inherits its options (not the stored-only ones). NULL with errno
 * set; EDQUOT: @owner's budget is spent.
 */
struct nc_sock *nc_sock_new(const struct nc_proto *proto, int domain,
			    const struct nc_sock *parent, uid_t uid, pid_t owner)
{
	struct nc_sock *s;
	int pair[2];
	struct stat st;

	if (!nc_owner_charge(owner)) {
		errno = EDQUOT;	/* the process's budget, not the service's limit */
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		nc_owner_release(owner);
		return NULL;
	}
	s->owner = owner;
	if (socketpair(AF_UNIX, (proto->pair_type ? proto->pair_type : proto->type) |
		       SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair)) {
		nc_owner_release(owner);
		free(s);
		return NULL;
	}
	if (fstat(pair[0], &st)) {
		close(pair[0]);
		close(pair[1]);
		nc_owner_release(owner);
		free(s);
		return NULL;
	}
	nc_sock_grow_buffers(pair[0]);
	nc_sock_grow_buffers(pair[1]);
	fcntl(pair[0], F_SETFL, 0);	/* the program's end blocks, as a new socket does */
	s->id = (uint64_t)st.st_ino;
	s->uid = uid;
	tab.sock_dev = st.st_dev;
	s->app_fd = pair[0];
	s->fd = pair[1];
	s->domain = domain;
	s->type = proto->type;
	s->proto = proto;
	s->state = SOCK_NEW;
	if (parent) {
		s->opts = parent->opts;
		s->opts.ngeneric = 0;	/* stored-only options are not inherited */
		s->opts.generic = NULL;
	} else {
		nc_sockopt_defaults(s);
	}
	proto->init(s, parent);
	if (nc_loop_add(&s->h, s->fd, proto->events, sock_event)) {
		close(pair[0]);
		close(pair[1]);
		nc_owner_release(owner);
		free(s);
		return NULL;
	}
	table_insert(s);
	return s;
}

/* close_fds() - close our end (and stop watching it) and the program's, if still held. */
static void close_fds(struct nc_sock *s)
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

/*
 * nc_sock_release() - the socket is over: its protocol lets go of its state
 * (a PCB is closed or reset), its descriptors are closed, its port freed,
 * and it is freed after the current batch.
 */
void nc_sock_release(struct nc_sock *s)
{
	if (s->dead)
		return;
	s->proto->release(s);
	close_fds(s);
	nc_port_release(s);
	table_remove(s);
	s->dead = true;
	s->dead_next = tab.dead;
	tab.dead = s;
}

/*
 * nc_sock_zombify() - both directions of @s are over (its protocol has let
 * go of its state) but the program may still hold its end: the Unix socket
 * cannot tell that from a close. Close our end and free the port, and keep
 * the socket's identity for ZOMBIE_MS so that getsockname(), SO_ERROR and
 * friends still answer; nc_sock_flush() releases it then.
 */
void nc_sock_zombify(struct nc_sock *s)
{
	close_fds(s);
	nc_port_release(s);
	/* It holds no descriptor now: it leaves its process's budget (owner.c). */
	if (s->owner)
		nc_owner_release(s->owner);
	s->owner = 0;
	s->zombie_until = nc_now_ms() + ZOMBIE_MS;
}

/*
 * nc_sock_name() - getsockname() (@peer false) or getpeername() of @s.
 * @local_now: the local address the protocol actually uses (a connected
 * socket bound to the wildcard has a real one), or NULL for the bound one.
 */
int nc_sock_name(const struct nc_sock *s, bool peer, const ip_addr_t *local_now,
		 struct nc_reply *rep)
{
	ip_addr_t any;

	if (peer) {
		rep->addrlen = nc_addr_to_sockaddr(&s->remote_ip, s->remote_port, s->domain,
						   rep->addr);
		return 0;
	}
	if (!s->bound && s->state != SOCK_CLOSED && s->state != SOCK_FAILED) {
		nc_any_addr(s, &any);
		rep->addrlen = nc_addr_to_sockaddr(&any, 0, s->domain, rep->addr);
		return 0;
	}
	rep->addrlen = nc_addr_to_sockaddr(local_now ? local_now : &s->local_ip, s->local_port,
					   s->domain, rep->addr);
	return 0;
}

/*
 * routes_reply() - a datagram socket's SOCKET reply carries the link's
 * addresses (addr, addr2), prefixes (arg0, arg1) and gateways (arg2: 1 for
 * IPv4, 2 for IPv6), so that libnetcon refuses an unreachable destination
 * with ENETUNREACH at once, as the kernel does, though datagrams travel
 * without a round trip (NC_DGRAM_ROUTES in dgram.h).
 */
static void routes_reply(struct nc_reply *rep)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	unsigned p4, p6;
	bool gw4, gw6;

	nc_stack_routes(&sin.sin_addr.s_addr, &p4, &gw4, sin6.sin6_addr.s6_addr, &p6, &gw6);
	memcpy(rep->addr, &sin, sizeof(sin));
	rep->addrlen = sizeof(sin);
	memcpy(rep->addr2, &sin6, sizeof(sin6));
	rep->addr2len = sizeof(sin6);
	rep->arg[0] = (int)p4;
	rep->arg[1] = (int)p6;
	rep->arg[2] = (gw4 ? 1 : 0) | (gw6 ? 2 : 0);
}

/*
 * do_socket() - SOCKET: a new socket of the asked family and type, its
 * program end passed in the reply. Out of budget is EMFILE (the process's
 * limit), out of descriptors ENFILE (the service's).
 */
static int do_socket(uid_t uid, pid_t pid, const struct nc_request *req, struct nc_reply *rep,
		     int *fd_out)
{
	const struct nc_proto *proto;
	struct nc_sock *s;
	int domain = req->arg[0], type = req->arg[1], protocol = req->arg[2];

	if (domain != AF_INET && domain != AF_INET6)
		return -EAFNOSUPPORT;
	proto = nc_proto_for(domain, type, protocol);
	if (!proto)
		return -EPROTONOSUPPORT;
	s = nc_sock_new(proto, domain, NULL, uid, pid);
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
	if (proto->type == SOCK_DGRAM)
		routes_reply(rep);
	*fd_out = s->app_fd;	/* closed by the server once sent */
	s->app_fd = -1;
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
 * SOCKET and IDENTIFY are answered here, the rest by the socket's protocol.
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

		s = held ? nc_sock_find(req->sock) : NULL;
		if (!s) {
			if (in_fd >= 0)
				close(in_fd);
			rep->result = req->op == NC_OP_IDENTIFY && held ? -ENOENT : -EBADF;
			return;
		}
		rep->sock = s->id;
	}
	switch (req->op) {
	case NC_OP_SOCKET:
		r = do_socket(nc_client_uid(client), nc_client_pid(client), req, rep, fd_out);
		break;
	case NC_OP_IDENTIFY:
		rep->arg[0] = s->domain;
		rep->arg[1] = s->type;
		/* datagram: connected (its framing, see dgram.h); stream: NC_STREAM_* */
		if (s->type == SOCK_DGRAM)
			rep->arg[2] = s->have_remote;
		else
			rep->arg[2] = s->state == SOCK_LISTEN ? NC_STREAM_LISTENING :
				      s->state == SOCK_NEW ? NC_STREAM_IDLE : NC_STREAM_CONNECTED;
		break;
	default:
		if (s)
			r = s->proto->request(client, s, req, &in_fd, rep, fd_out, deferred);
		else
			r = -EOPNOTSUPP;
	}
	if (in_fd >= 0)
		close(in_fd);
	rep->result = r;
}

/* nc_sock_client_gone() - a client went away: each protocol forgets what waits for it. */
void nc_sock_client_gone(struct nc_client *client)
{
	unsigned i;
	struct nc_sock *s;

	for (i = 0; i < TABLE_SIZE; i++)
		for (s = tab.table[i]; s; s = s->hnext)
			if (s->proto->client_gone)
				s->proto->client_gone(s, client);
}

/*
 * nc_sock_deliver() - let each protocol finish with the sockets it marked
 * dirty (deliver what lwIP received, refresh what they wait for). Frees
 * nothing, so it may run in the middle of a batch.
 */
void nc_sock_deliver(void)
{
	struct nc_sock *s;

	while ((s = tab.dirty)) {
		tab.dirty = s->dnext;
		s->dirty = false;
		if (s->dead)
			continue;
		s->proto->flush(s);
	}
}

/*
 * nc_sock_flush() - after a batch of events: let each protocol finish with
 * the sockets it marked (deliver what lwIP received, refresh what they wait
 * for), free dead sockets, and expire old identities of retired ones.
 */
void nc_sock_flush(void)
{
	static uint64_t next_sweep;
	struct nc_sock *s, *next;

	nc_sock_deliver();
	for (s = tab.dead; s; s = next) {
		next = s->dead_next;
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
					nc_sock_release(s);
			}
		}
	}
}

/* nc_sock_shutdown_all() - the service stops: end every connection, close every socket. */
void nc_sock_shutdown_all(void)
{
	unsigned i;
	struct nc_sock *s, *next;

	for (i = 0; i < TABLE_SIZE; i++) {
		for (s = tab.table[i]; s; s = next) {
			next = s->hnext;
			if (s->proto->shutdown)
				s->proto->shutdown(s);
			nc_sock_release(s);
		}
	}
	nc_sock_flush();
}

/* nc_sock_counts() - sockets in the table, and the protocols' connections and listeners. */
void nc_sock_counts(uint32_t *sockets, uint32_t *connections, uint32_t *listeners)
{
	size_t i;

	*sockets = tab.nsocks;
	*connections = 0;
	*listeners = 0;
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i]->counts)
			protos[i]->counts(connections, listeners);
}
