/*
 * client.c - the RPC connections of a program.
 *
 * Each thread has its own SOCK_SEQPACKET connection, so no lock is ever held
 * across a round trip and a thread blocked in connect() holds up nobody. A
 * child after fork() drops the connection it inherited (its parent still uses
 * it) and opens its own on first use. The connection's descriptor is
 * close-on-exec and kept high; if the program closes it anyway (daemons close
 * every descriptor), close() tells us and the next call reconnects.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "libc.h"
#include "../common/fdpass.h"
#include "../common/paths.h"

#define MAX_TRACKED_FD 65536
#define RPC_FD_FLOOR 600	/* keep our descriptors out of the program's way */

struct nc_client_config nc_client_cfg;

/* One bit per descriptor number that is some thread's RPC connection. */
static _Atomic unsigned char rpc_fds[MAX_TRACKED_FD / 8];
static atomic_int complained;

static __thread int conn_fd = -1;
static __thread uint32_t conn_seq;
static __thread bool conn_in_call;	/* a request sent, its reply not read yet */

/*
 * The process's anchor: a connection opened at start (and again right after
 * fork), while the program still has the credentials it started with. It
 * serves only to ask for new connections (NEWCONN) for threads that can no
 * longer connect by themselves, so a short lock suffices.
 */
static int anchor_fd = -1;
static pthread_mutex_t anchor_lock = PTHREAD_MUTEX_INITIALIZER;

static bool fd_tracked(int fd)
{
	return fd >= 0 && fd < MAX_TRACKED_FD && (rpc_fds[fd / 8] & (1u << (fd % 8)));
}

static void fd_track(int fd, bool on)
{
	if (fd < 0 || fd >= MAX_TRACKED_FD)
		return;
	if (on)
		atomic_fetch_or(&rpc_fds[fd / 8], (unsigned char)(1u << (fd % 8)));
	else
		atomic_fetch_and(&rpc_fds[fd / 8], (unsigned char)~(1u << (fd % 8)));
}

void nc_client_fd_closed(int fd)
{
	if (fd_tracked(fd))
		fd_track(fd, false);
}

void nc_client_fds_closed(unsigned first, unsigned last)
{
	unsigned fd;

	if (last >= MAX_TRACKED_FD)
		last = MAX_TRACKED_FD - 1;
	for (fd = first; fd <= last; fd++)
		nc_client_fd_closed((int)fd);
}

static int connect_service(void);
static pthread_key_t thread_key;
static void drop_spares(void);

/*
 * Connections of threads that have exited, kept for the next threads: a
 * program that starts a thread per connection (test_tx, Java, MariaDB) would
 * otherwise connect to the service, and the service accept and check it, for
 * every thread. Each connection still serves one thread at a time.
 */
#define IDLE_CONNS 16
static int idle_conns[IDLE_CONNS];
static int idle_count;
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;


/*
 * after_fork_child() - the inherited connection is the parent's: let it go
 * and open our own at once, while we still have the parent's credentials
 * (nginx and apache workers drop privileges right after fork, and a socket
 * made by the kernel would not care either).
 */
static void after_fork_child(void)
{
	pthread_mutex_init(&anchor_lock, NULL);
	pthread_mutex_init(&idle_lock, NULL);
	drop_spares();
	while (idle_count > 0) {
		int fd = idle_conns[--idle_count];

		if (fd_tracked(fd)) {
			nc_libc.close(fd);
			fd_track(fd, false);
		}
	}
	if (conn_fd >= 0 && fd_tracked(conn_fd)) {
		nc_libc.close(conn_fd);
		fd_track(conn_fd, false);
	}
	conn_fd = -1;
	if (anchor_fd >= 0 && fd_tracked(anchor_fd)) {
		nc_libc.close(anchor_fd);
		fd_track(anchor_fd, false);
	}
	anchor_fd = connect_service();
}

void nc_client_connect_early(void)
{
	if (anchor_fd < 0)
		anchor_fd = connect_service();
}

/* keep_high() - move an RPC descriptor out of the program's way and track it. */
static int keep_high(int fd)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, RPC_FD_FLOOR);

	if (high >= 0) {
		nc_libc.close(fd);
		fd = high;
	}
	fd_track(fd, true);
	return fd;
}

/* conn_from_anchor() - a new connection for this thread, through the anchor. */
static int conn_from_anchor(void)
{
	struct nc_request req;
	struct nc_reply rep;
	const char *why;
	int fd = -1;
	ssize_t n;

	pthread_mutex_lock(&anchor_lock);
	if (anchor_fd >= 0 && fd_tracked(anchor_fd)) {
		nc_rpc_init_request(&req, NC_OP_NEWCONN, 0);
		req.seq = 1;
		do {
			n = nc_send_fd(anchor_fd, &req, sizeof(req), -1, 0);
		} while (n < 0 && errno == EINTR);
		if (n == (ssize_t)sizeof(req)) {
			do {
				n = nc_recv_fd(anchor_fd, &rep, sizeof(rep), &fd, MSG_CMSG_CLOEXEC);
			} while (n < 0 && errno == EINTR);
			if (n <= 0 || nc_rpc_check_reply(&rep, (size_t)n, &req, &why) || rep.result) {
				if (fd >= 0)
					nc_libc.close(fd);
				fd = -1;
			}
		}
	}
	pthread_mutex_unlock(&anchor_lock);
	if (fd < 0)
		return -1;
	fd = keep_high(fd);
	pthread_setspecific(thread_key, (void *)1);
	return fd;
}

/* idle_take() - a connection a finished thread left, or -1. */
static int idle_take(void)
{
	int fd = -1;

	pthread_mutex_lock(&idle_lock);
	while (idle_count > 0 && fd < 0) {
		fd = idle_conns[--idle_count];
		if (!fd_tracked(fd))
			fd = -1;	/* the program closed it meanwhile */
	}
	pthread_mutex_unlock(&idle_lock);
	if (fd >= 0)
		pthread_setspecific(thread_key, (void *)1);
	return fd;
}

/* drop_thread_conn() - at thread exit: keep the connection for another thread. */
static void drop_thread_conn(void *unused)
{
	(void)unused;
	if (conn_fd >= 0 && fd_tracked(conn_fd)) {
		pthread_mutex_lock(&idle_lock);
		/* A thread cancelled inside a call leaves a reply on its way: not reusable. */
		if (idle_count < IDLE_CONNS && !conn_in_call) {
			idle_conns[idle_count++] = conn_fd;
			conn_fd = -1;
		}
		pthread_mutex_unlock(&idle_lock);
		if (conn_fd >= 0) {
			fd_track(conn_fd, false);
			nc_libc.close(conn_fd);
		}
	}
	conn_fd = -1;
}

/*
 * Spare sockets, one per family (index 0 AF_INET, 1 AF_INET6). The
 * descriptor is kept high and tracked like an RPC connection, so that a
 * program closing every descriptor (or dup2 over it) invalidates it.
 */
static struct {
	int fd;
	uint64_t id;
} spares[2] = { { -1, 0 }, { -1, 0 } };
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;

static int spare_slot(int domain)
{
	return domain == AF_INET6;
}

bool nc_client_wants_spare(int domain)
{
	bool want;

	pthread_mutex_lock(&spare_lock);
	want = spares[spare_slot(domain)].fd < 0 || !fd_tracked(spares[spare_slot(domain)].fd);
	pthread_mutex_unlock(&spare_lock);
	return want;
}

void nc_client_keep_spare(int domain, int fd, uint64_t id)
{
	int extra = -1, slot = spare_slot(domain);

	fd = keep_high(fd);
	pthread_mutex_lock(&spare_lock);
	if (spares[slot].fd >= 0 && fd_tracked(spares[slot].fd))
		extra = fd;	/* another thread's reply came first: keep that one */
	else {
		spares[slot].fd = fd;
		spares[slot].id = id;
	}
	pthread_mutex_unlock(&spare_lock);
	if (extra >= 0) {
		fd_track(extra, false);
		nc_libc.close(extra);
	}
}

int nc_client_take_spare(int domain, bool cloexec, uint64_t *id)
{
	int fd, slot = spare_slot(domain), newfd = -1;
	struct pollfd pfd;

	pthread_mutex_lock(&spare_lock);
	fd = spares[slot].fd;
	*id = spares[slot].id;
	if (fd < 0 || !fd_tracked(fd)) {
		spares[slot].fd = -1;
		goto out;
	}
	/* A spare from a service that has since gone is no socket any more. */
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, 0) != 0) {
		spares[slot].fd = -1;
		fd_track(fd, false);
		nc_libc.close(fd);
		goto out;
	}
	/* The lowest free number, as socket() would give. */
	newfd = fcntl(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
	if (newfd < 0) {
		newfd = errno == EMFILE ? -EMFILE : -1;	/* the spare stays for later */
		goto out;
	}
	spares[slot].fd = -1;
	fd_track(fd, false);
	nc_libc.close(fd);
out:
	pthread_mutex_unlock(&spare_lock);
	return newfd;
}

/* drop_spares() - after fork: the spares are the parent's to use. */
static void drop_spares(void)
{
	unsigned i;

	pthread_mutex_init(&spare_lock, NULL);
	for (i = 0; i < 2; i++) {
		if (spares[i].fd >= 0 && fd_tracked(spares[i].fd)) {
			fd_track(spares[i].fd, false);
			nc_libc.close(spares[i].fd);
		}
		spares[i].fd = -1;
	}
}

void nc_client_init(void)
{
	const char *fb = getenv("NETCON_FALLBACK");
	const char *dbg = getenv("NETCON_DEBUG");

	if (nc_program_socket(nc_client_cfg.socket_path, sizeof(nc_client_cfg.socket_path)))
		nc_client_cfg.socket_path[0] = '\0';
	nc_client_cfg.fallback_kernel = fb && !strcmp(fb, "kernel");
	nc_client_cfg.rpc_timeout_ms = 60000;
	if (getenv("NETCON_RPC_TIMEOUT") && atoi(getenv("NETCON_RPC_TIMEOUT")) > 0)
		nc_client_cfg.rpc_timeout_ms = atoi(getenv("NETCON_RPC_TIMEOUT")) * 1000;
	snprintf(nc_client_cfg.service_uid, sizeof(nc_client_cfg.service_uid), "%s",
		 getenv("NETCON_SERVICE_UID") ? getenv("NETCON_SERVICE_UID") : "");
	nc_client_cfg.debug = dbg && *dbg && strcmp(dbg, "0");
	pthread_atfork(NULL, NULL, after_fork_child);
	pthread_key_create(&thread_key, drop_thread_conn);
}

/* say() - one line on stderr, errno kept. */
static void say(const char *msg)
{
	int saved = errno;

	if (write(2, msg, strlen(msg)) < 0) {
		/* Nowhere else to say it. */
	}
	errno = saved;
}

/*
 * Why the last attempt to reach the service failed, in words that name the
 * cause and the fix; printed once per process by nc_client_complain().
 */
static char why_not[400];
static atomic_int refused_said;

void nc_client_complain(void)
{
	char msg[512];

	if (atomic_exchange(&complained, 1) || atomic_load(&refused_said))
		return;	/* said once already (a refused service says so itself) */
	snprintf(msg, sizeof(msg), "libnetcon: %s: network sockets fail (or set NETCON_FALLBACK=kernel)\n",
		 why_not[0] ? why_not : "no netcon service configured");
	say(msg);
}

/* note_connect_error() - put a failed connect() to the service into words. */
static void note_connect_error(int err)
{
	const char *path = nc_client_cfg.socket_path;

	if (err == ENOENT || err == ECONNREFUSED)
		snprintf(why_not, sizeof(why_not), "no netcon service at %s (start netcon-service)",
			 path);
	else if (err == EACCES || err == EPERM)
		snprintf(why_not, sizeof(why_not),
			 "not allowed to use the netcon service at %s: %s (as uid %u; its owner can open it to a group with --group)",
			 path, strerror(err), (unsigned)geteuid());
	else
		snprintf(why_not, sizeof(why_not), "cannot reach the netcon service at %s: %s", path,
			 strerror(err));
}

/*
 * peer_trusted() - before anything is sent: is the process answering at the
 * path the service we mean? Another user able to create the path (a
 * squatted folder) would otherwise receive the program's traffic.
 */
static bool peer_trusted(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char msg[512];

	if (nc_libc.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		snprintf(why_not, sizeof(why_not), "cannot tell who runs the service at %s: %s",
			 nc_client_cfg.socket_path, strerror(errno));
		return false;
	}
	if (nc_peer_trusted((unsigned)cred.uid, nc_client_cfg.service_uid, why_not, sizeof(why_not),
			    nc_client_cfg.socket_path))
		return true;
	snprintf(msg, sizeof(msg), "libnetcon: %s (pid %d answered)\n", why_not, (int)cred.pid);
	if (!atomic_exchange(&refused_said, 1))
		say(msg);
	return false;
}

/* connect_service() - a new connection for this thread, or -1. */
static int connect_service(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (!nc_client_cfg.socket_path[0])
		return -1;
	memcpy(sun.sun_path, nc_client_cfg.socket_path, sizeof(sun.sun_path) - 1);
	fd = nc_libc.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (nc_libc.connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		note_connect_error(errno);
		nc_libc.close(fd);
		return -1;
	}
	if (!peer_trusted(fd)) {
		nc_libc.close(fd);
		return -1;
	}
	fd = keep_high(fd);
	pthread_setspecific(thread_key, (void *)1);
	return fd;
}

static int thread_conn(void)
{
	if (conn_fd >= 0 && !fd_tracked(conn_fd))
		conn_fd = -1;	/* the program closed it: it is not ours any more */
	if (conn_fd < 0)
		conn_fd = idle_take();
	if (conn_fd < 0)
		conn_fd = connect_service();
	if (conn_fd < 0)
		conn_fd = conn_from_anchor();	/* e.g. a thread started after setuid() */
	return conn_fd;
}

static void drop_conn(void)
{
	if (conn_fd >= 0 && fd_tracked(conn_fd)) {
		fd_track(conn_fd, false);
		nc_libc.close(conn_fd);
	}
	conn_fd = -1;
}

/*
 * reply_timeout_ms() - how long a call waits for its reply. A blocking
 * connect() waits for the network (Linux gives up on SYNs after about two
 * minutes); everything else is answered at once by a working service.
 */
static int reply_timeout_ms(const struct nc_request *req)
{
	int t = nc_client_cfg.rpc_timeout_ms;

	if (req->op == NC_OP_CONNECT && !req->arg[0] && t < 180000)
		t = 180000;
	return t;
}

/* reply_within() - wait (signals aside) until @fd has the reply or @ms pass. */
static bool reply_within(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec start, now;
	int left = ms, r;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		r = poll(&pfd, 1, left);
		if (r != 0 && !(r < 0 && errno == EINTR))
			return true;	/* readable, hung up or failed: recv tells */
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = ms - (int)((now.tv_sec - start.tv_sec) * 1000 +
				  (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0)
			return false;
	}
}

int nc_call(struct nc_request *req, struct nc_reply *rep, int send_fd, int *recv_fd,
	    bool cloexec)
{
	int attempt, fd, got = -1;
	const char *why;
	ssize_t n;

	if (recv_fd)
		*recv_fd = -1;
	for (attempt = 0; attempt < 2; attempt++) {
		fd = thread_conn();
		if (fd < 0)
			return -ENETDOWN;
		req->seq = ++conn_seq;
		conn_in_call = true;
		do {
			n = nc_send_fd(fd, req, sizeof(*req), send_fd, 0);
		} while (n < 0 && errno == EINTR);
		if (n != (ssize_t)sizeof(*req)) {
			drop_conn();	/* the service restarted? try a fresh connection */
			continue;
		}
		if (!reply_within(fd, reply_timeout_ms(req))) {
			/* A stopped or stalled service: an error, not a hang. */
			drop_conn();	/* a late reply must not answer the next call */
			conn_in_call = false;
			return -ETIMEDOUT;
		}
		do {
			n = nc_recv_fd(fd, rep, sizeof(*rep), &got, cloexec ? MSG_CMSG_CLOEXEC : 0);
		} while (n < 0 && errno == EINTR);
		conn_in_call = false;
		if (n <= 0 || nc_rpc_check_reply(rep, (size_t)n, req, &why)) {
			if (got >= 0)
				nc_libc.close(got);
			drop_conn();
			return n <= 0 ? -ENETDOWN : -EPROTO;
		}
		if (recv_fd)
			*recv_fd = got;
		else if (got >= 0)
			nc_libc.close(got);
		return rep->result;
	}
	return -ENETDOWN;
}
