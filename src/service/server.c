/*
 * server.c - the service's RPC endpoint.
 *
 * Each program thread connects once and then sends one fixed-size request at a
 * time. Every request is validated before use; a client that sends something
 * malformed, floods us without reading replies, or is not allowed by its
 * credentials is disconnected, and nothing it sent reaches the socket table.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "server.h"
#include "switch.h"
#include "uplink.h"
#include "dns.h"
#include "gateway.h"
#include "link.h"
#include "loop.h"
#include "sock.h"
#include "stack.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "../common/fdpass.h"
#include "../common/log.h"
#include "../common/paths.h"
#include "../common/rpc.h"

#define LISTEN_RETRY_MS 100	/* out of descriptors: look for clients again after */

/*
 * An RPC connection. Its first member is the handle the socket table and
 * the resolver get (sock.h's struct rpc_client): who asked, and how to answer
 * later; they never call into this file.
 */
struct rpc_client {
	struct nc_client pub;
	struct nc_loop_handler h;
	struct rpc_client *prev, *next;
	/* A deferred answer waiting for the REPLY phase (see deferred_reply()). */
	bool held;
	int held_fd;
	struct nc_reply held_rep;
	struct rpc_client *held_next;
};

static struct {
	const struct nc_config *cfg;
	struct nc_loop_handler listen_h;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	gid_t gid;
	bool have_gid;
	unsigned clients;
	struct rpc_client *client_list;
	struct rpc_client *held_list;	/* clients with a deferred answer to send */
	uint64_t started_ms;
} srv;

unsigned nc_server_clients(void)
{
	return srv.clients;
}

static void client_event(struct nc_loop_handler *h, uint32_t events);

static int new_connection(struct rpc_client *c, int *fd_out);

static void unhold(struct rpc_client *c);

static void client_free(struct rpc_client *c)
{
	if (c->held) {
		unhold(c);
		if (c->held_fd >= 0)
			close(c->held_fd);
	}
	nc_sock_client_gone(&c->pub);
	nc_names_client_gone(&c->pub);	/* its lookups must not answer a freed client */
	nc_loop_del(&c->h);
	close(c->h.fd);
	srv.clients--;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv.client_list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

/* send_reply() - one reply; a client that cannot take it is dropped. */
static int send_reply(struct rpc_client *c, struct nc_reply *rep, int fd)
{
	ssize_t n = nc_send_fd(c->h.fd, rep, sizeof(*rep), fd, MSG_DONTWAIT);

	return n == (ssize_t)sizeof(*rep) ? 0 : -1;
}

/* unhold() - take @c off the list of held answers. */
static void unhold(struct rpc_client *c)
{
	struct rpc_client **pp;

	for (pp = &srv.held_list; *pp; pp = &(*pp)->held_next) {
		if (*pp == c) {
			*pp = c->held_next;
			break;
		}
	}
	c->held = false;
}

/* send_held() - send @c's held answer (its descriptor is ours to close). */
static void send_held(struct rpc_client *c)
{
	unhold(c);
	if (send_reply(c, &c->held_rep, c->held_fd))
		nc_debug("client %d: deferred reply lost: %m", (int)c->pub.pid);
	if (c->held_fd >= 0)
		close(c->held_fd);
}

/*
 * deferred_reply() - the handle's reply: a deferred answer (a blocking
 * connect, a lookup), given from inside the stack. It is held until the
 * REPLY phase, after the stack has settled (settle()), so that what the
 * event set off on this host (a connection to a local listener reaching
 * its accept queue) is visible when the call returns. @fd stays the
 * caller's: a copy is held.
 */
static void deferred_reply(struct nc_client *pub, struct nc_reply *rep, int fd)
{
	struct rpc_client *c = (struct rpc_client *)pub;

	if (c->held)
		send_held(c);	/* one request at a time: cannot happen, but lose nothing */
	c->held_rep = *rep;
	c->held_fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
	if (fd >= 0 && c->held_fd < 0) {
		if (send_reply(c, rep, fd))
			nc_debug("client %d: deferred reply lost: %m", (int)c->pub.pid);
		return;
	}
	c->held = true;
	c->held_next = srv.held_list;
	srv.held_list = c;
}

/*
 * settle() - before answering, let what the call set off on this host's
 * own addresses happen (see nc_stack_settle()).
 */
static void settle(void)
{
	nc_stack_settle(nc_sock_deliver);
}

/* reply_hook() - the loop's REPLY phase: the held answers, once the stack settled. */
static int reply_hook(void)
{
	if (!srv.held_list)
		return -1;
	settle();
	while (srv.held_list)
		send_held(srv.held_list);
	return -1;
}

static void fill_status(struct nc_reply *rep)
{
	struct nc_status st;
	const struct nc_link_stats *ls = nc_link_stats();
	struct netif *n = nc_stack_netif();
	int i;

	memset(&st, 0, sizeof(st));
	strncpy(st.link, nc_link_url(), sizeof(st.link) - 1);
	memcpy(st.mac, n->hwaddr, 6);
	st.switch_host = nc_link_is_switch_host();
	st.ip4 = ip4_addr_get_u32(netif_ip4_addr(n));
	st.ip4_prefix = (uint8_t)srv.cfg->prefix4;
	for (i = 1; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
		if (ip6_addr_isvalid(netif_ip6_addr_state(n, i))) {
			memcpy(st.ip6, netif_ip6_addr(n, i)->addr, 16);
			break;
		}
	}
	st.ip6_prefix = (uint8_t)srv.cfg->prefix6;
	st.mtu = n->mtu;
	nc_sock_counts(&st.sockets, &st.connections, &st.listeners);
	st.clients = srv.clients;
	st.frames_in = ls->frames_in;
	st.frames_out = ls->frames_out;
	st.bytes_in = ls->bytes_in;
	st.bytes_out = ls->bytes_out;
	st.pid = (uint32_t)getpid();
	st.uptime_s = (uint32_t)((nc_now_ms() - srv.started_ms) / 1000);
	nc_udp_drops(&st.udp_dropped_in, &st.udp_dropped_out);
	if (nc_gateway_on()) {
		st.gw_ip4 = srv.cfg->gw_host4.s_addr;
		st.gw_flags = (srv.cfg->nat ? NC_STATUS_GW_NAT : 0) |
			      (srv.cfg->allow_host_loopback ? NC_STATUS_GW_HOST_LOOPBACK : 0);
		st.gw_ports = (uint16_t)nc_gateway_ports(NULL, 0);
		st.gw_frames_in = nc_gateway_stats()->frames_in;
		st.gw_frames_out = nc_gateway_stats()->frames_out;
	}
	st.uplink_pid = (uint32_t)nc_uplink_pid();
	strncpy(st.uplink, nc_switch_uplink(), sizeof(st.uplink) - 1);
	memcpy(rep->opt, &st, sizeof(st));
	rep->optlen = sizeof(st);
}

/*
 * ports_request() - PORTS: list, publish or unpublish a port. A published
 * port is a socket on the host's network opened by the service: only the
 * service's own user (or root) may open or close one, not every user the
 * socket's mode lets in (a container's).
 */
static void ports_request(const struct nc_client *c, const struct nc_request *req,
			  struct nc_reply *rep)
{
	struct nc_publish p, list[NC_GATEWAY_PORTS_MAX];
	const char *why;
	unsigned n;

	if (req->arg[0] == NC_PORTS_LIST) {
		n = nc_gateway_ports(list, NC_GATEWAY_PORTS_MAX);
		rep->result = (int32_t)n;
		if (req->arg[1] >= 0 && (unsigned)req->arg[1] < n)
			nc_format_publish(&list[req->arg[1]], (char *)rep->opt, NC_OPT_MAX);
		rep->optlen = (uint32_t)strlen((char *)rep->opt) + 1;
		return;
	}
	if (c->uid != 0 && c->uid != geteuid()) {
		rep->result = -EPERM;
		return;
	}
	if (nc_parse_publish((const char *)req->opt, &p, &why)) {
		rep->result = -EINVAL;
		return;
	}
	rep->result = nc_gateway_publish(&p, req->arg[0] == NC_PORTS_PUBLISH);
	nc_info("%s %s: %s", req->arg[0] == NC_PORTS_PUBLISH ? "publish" : "unpublish",
		(const char *)req->opt, rep->result ? strerror(-rep->result) : "done");
}

/*
 * client_event() - one request from one client. A client has at most one
 * request outstanding (each thread waits for its reply), so a second read
 * would only meet EAGAIN; the epoll set is level-triggered and calls again
 * if another request is there.
 */
static void client_event(struct nc_loop_handler *h, uint32_t events)
{
	struct rpc_client *c = (struct rpc_client *)((char *)h - offsetof(struct rpc_client, h));
	struct nc_request req;
	struct nc_reply rep;
	const char *why = NULL;
	int in_fd, fd_out = -1, deferred = 0;
	ssize_t n;

	/* MSG_TRUNC: the real length, so an oversize message is seen as such. */
	n = nc_recv_fd(h->fd, &req, sizeof(req), &in_fd,
		       MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
	if (in_fd == NC_FD_TOO_MANY ||
	    (in_fd >= 0 && (n != (ssize_t)sizeof(req) || !nc_rpc_op_names_socket(req.op)))) {
		/* A request carries its socket's descriptor and nothing else. */
		if (in_fd >= 0)
			close(in_fd);
		nc_warn("client %d sent an unexpected descriptor; disconnecting it",
			(int)c->pub.pid);
		client_free(c);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		if (events & (EPOLLHUP | EPOLLERR))
			client_free(c);
		return;
	}
	if (n <= 0) {
		client_free(c);
		return;
	}
	if (nc_rpc_check_request(&req, (size_t)n, &why)) {
		if (in_fd >= 0)
			close(in_fd);
		nc_warn("client %d: malformed request (%s); disconnecting it", (int)c->pub.pid,
			why);
		client_free(c);
		return;
	}
	nc_rpc_init_reply(&rep, &req);
	if (req.op == NC_OP_STATUS)
		fill_status(&rep);	/* STATUS carries no descriptor (checked above) */
	else if (req.op == NC_OP_NEWCONN)
		rep.result = new_connection(c, &fd_out);
	else if (req.op == NC_OP_PORTS)
		ports_request(&c->pub, &req, &rep);
	else if (req.op == NC_OP_RESOLVE || req.op == NC_OP_RESOLVE_ADDR)
		deferred = nc_names_request(&c->pub, &req, &rep);	/* names: dns.c, replies itself */
	else
		nc_sock_request(&c->pub, &req, in_fd, &rep, &fd_out, &deferred);
	nc_debug("client %d: %s(%llu) = %d", (int)c->pub.pid, nc_rpc_op_name(req.op),
		 (unsigned long long)req.sock, deferred ? 1 : rep.result);
	if (!deferred)
		settle();
	if (!deferred && send_reply(c, &rep, fd_out)) {
		nc_warn("client %d does not take replies; disconnecting it", (int)c->pub.pid);
		if (fd_out >= 0)
			close(fd_out);
		client_free(c);
		return;
	}
	if (fd_out >= 0)
		close(fd_out);
}

/* client_add() - serve RPC on @fd for a program (@pid, @uid). */
static struct rpc_client *client_add(int fd, pid_t pid, uid_t uid)
{
	struct rpc_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->pub.pid = pid;
	c->pub.uid = uid;
	c->pub.reply = deferred_reply;
	if (nc_loop_add(&c->h, fd, EPOLLIN | EPOLLRDHUP, client_event)) {
		free(c);
		return NULL;
	}
	srv.clients++;
	c->next = srv.client_list;
	if (c->next)
		c->next->prev = c;
	srv.client_list = c;
	return c;
}

/*
 * new_connection() - NEWCONN: a second channel for a program already let in,
 * for its threads that can no longer connect themselves (a worker thread
 * started after the process gave up its privileges, as apache's event MPM).
 */
static int new_connection(struct rpc_client *c, int *fd_out)
{
	int pair[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair))
		return -errno;
	fcntl(pair[0], F_SETFL, O_NONBLOCK);
	if (!client_add(pair[0], c->pub.pid, c->pub.uid)) {
		close(pair[0]);
		close(pair[1]);
		return -ENOMEM;
	}
	*fd_out = pair[1];
	return 0;
}

/* listen_resume() - try accepting clients again after running out of descriptors. */
static void listen_resume(void *arg)
{
	(void)arg;
	if (srv.listen_h.fd >= 0)
		nc_loop_mod(&srv.listen_h, EPOLLIN);
}

static void listen_event(struct nc_loop_handler *h, uint32_t events)
{
	static uint64_t said_ms;
	int i;

	(void)events;
	for (i = 0; i < 64; i++) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			/*
			 * The listener stays readable while the client waits: stop
			 * watching it for a while rather than spin, and say so once.
			 */
			if (nc_now_ms() - said_ms > 10000) {
				said_ms = nc_now_ms();
				nc_warn("out of descriptors (%m): new clients wait; raise the service's descriptor limit");
			}
			nc_loop_mod(h, 0);
			sys_timeout(LISTEN_RETRY_MS, listen_resume, NULL);
			return;
		}
		if (fd < 0)
			return;
		/* Who may connect is the socket's and folder's permissions' business. */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
			close(fd);
			continue;
		}
		if (!client_add(fd, cred.pid, cred.uid))
			close(fd);
	}
}

/* socket_in_use() - true when a live service already answers at @path. */
static bool socket_in_use(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	live = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return live;
}

/*
 * nc_server_prepare() - before anything else is set up (the link may host a
 * switch): the group, the folder (refused if another user could control it)
 * and no live service at the path already.
 */
int nc_server_prepare(const struct nc_config *cfg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(sun.sun_path)], *slash;

	srv.cfg = cfg;
	srv.started_ms = nc_now_ms();
	if (strlen(cfg->socket_path) >= sizeof(sun.sun_path)) {
		nc_err("socket path too long: %s", cfg->socket_path);
		return -1;
	}
	strcpy(sun.sun_path, cfg->socket_path);
	if (*cfg->group) {
		struct group *g = getgrnam(cfg->group);

		if (!g) {
			nc_err("no such group: %s", cfg->group);
			return -1;
		}
		srv.gid = g->gr_gid;
		srv.have_gid = true;
	}
	strcpy(dir, cfg->socket_path);
	slash = strrchr(dir, '/');
	if (slash) {
		char why[512];

		slash == dir ? (void)strcpy(dir, "/") : (void)(*slash = '\0');
		/* A folder another user controls could hold their impostor socket. */
		if (nc_secure_dir(dir, srv.have_gid ? (long)srv.gid : -1, why, sizeof(why))) {
			nc_err("%s", why);
			return -1;
		}
	}
	if (socket_in_use(&sun)) {
		nc_err("a service is already running at %s", cfg->socket_path);
		return -1;
	}
	return 0;
}

int nc_server_open(const struct nc_config *cfg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t mode = cfg->socket_mode ? cfg->socket_mode : srv.have_gid ? 0660 : 0600;
	int fd;

	strcpy(sun.sun_path, cfg->socket_path);
	unlink(cfg->socket_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    chmod(cfg->socket_path, mode) ||
	    (srv.have_gid && chown(cfg->socket_path, (uid_t)-1, srv.gid)) ||
	    listen(fd, 512)) {
		nc_err("cannot serve on %s: %m", cfg->socket_path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	strcpy(srv.path, cfg->socket_path);
	if (nc_loop_add(&srv.listen_h, fd, EPOLLIN, listen_event))
		return -1;
	nc_loop_add_hook(NC_PHASE_REPLY, reply_hook);
	nc_info("serving on %s", cfg->socket_path);
	return 0;
}

void nc_server_close(void)
{
	while (srv.client_list)
		client_free(srv.client_list);
	if (srv.listen_h.fd > 0) {
		nc_loop_del(&srv.listen_h);
		close(srv.listen_h.fd);
		srv.listen_h.fd = -1;
		unlink(srv.path);
	}
}
