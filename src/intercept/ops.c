/*
 * ops.c - the socket control operations on netcon sockets (see ops.h), for
 * both catch paths: libnetcon's wrappers and the seccomp supervisor.
 *
 * AF_INET and AF_INET6 sockets are created by the service: the program gets
 * one end of a Unix socketpair, recognised as netcon's by the inode of its
 * open file, which the service named it by. The answer is cached per inode,
 * so a socket that arrived by fork, exec or SCM_RIGHTS is recognised on
 * first use.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <netinet/in.h>

#include "client.h"
#include "dgram.h"
#include "libc.h"
#include "ops.h"
#include "../common/dgram.h"
#include "../common/fdpass.h"
#include "../common/rpc.h"

#define CACHE_SIZE 4096		/* power of two */

/* The kernel's names for both forms of the timeouts (musl's headers name only one). */
#ifndef SO_RCVTIMEO_OLD
#define SO_RCVTIMEO_OLD 20
#define SO_SNDTIMEO_OLD 21
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67
#endif

static struct nc_sock_info cache[CACHE_SIZE];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned slot_of(uint64_t id)
{
	return (unsigned)((id * 0x9e3779b97f4a7c15ull) >> 52) & (CACHE_SIZE - 1);
}

static bool cache_get(uint64_t id, struct nc_sock_info *out)
{
	bool hit;

	pthread_mutex_lock(&cache_lock);
	*out = cache[slot_of(id)];
	hit = out->id == id;
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

static void cache_put(const struct nc_sock_info *info)
{
	pthread_mutex_lock(&cache_lock);
	cache[slot_of(info->id)] = *info;
	pthread_mutex_unlock(&cache_lock);
}

/* remember() - note a socket of ours and what state it is known to be in. */
static void remember(uint64_t id, int domain, int type, bool listening, bool connected)
{
	struct nc_sock_info info = { .id = id, .ours = true, .listening = listening,
				     .connected = connected, .domain = domain, .type = type };

	cache_put(&info);
}

/*
 * track_dgram() - a datagram socket of ours seen on @fd without its mode
 * noted (it came by exec, SCM_RIGHTS or an untracked dup): note it, asking
 * the service for the peer of a connected one.
 */
static void track_dgram(int fd, const struct nc_sock_info *info)
{
	struct nc_request req;
	struct nc_reply rep;

	if (!info->connected) {
		nc_dgram_track(fd, info->id, info->domain, NC_DG_FRAMED, NULL, 0);
		return;
	}
	nc_rpc_init_request(&req, NC_OP_GETPEERNAME, info->id);
	if (nc_call(&req, &rep, fd, NULL, false) == 0)
		nc_dgram_track(fd, info->id, info->domain, NC_DG_PLAIN,
			       (const struct sockaddr *)rep.addr, rep.addrlen);
	else
		nc_dgram_track(fd, info->id, info->domain, NC_DG_FRAMED, NULL, 0);
}

bool nc_sock_lookup(int fd, struct nc_sock_info *info)
{
	struct nc_request req;
	struct nc_reply rep;
	struct stat st;
	int domain, type;
	socklen_t len = sizeof(domain);

	if (fstat(fd, &st) || !S_ISSOCK(st.st_mode))
		return false;
	if (cache_get((uint64_t)st.st_ino, info)) {
		if (info->ours && info->type == SOCK_DGRAM && nc_dgram_mode(fd) == NC_DG_NONE &&
		    (unsigned)fd < NC_DGRAM_FDS)
			track_dgram(fd, info);
		return info->ours;
	}
	memset(info, 0, sizeof(*info));
	info->id = (uint64_t)st.st_ino;
	if (nc_libc.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) || domain != AF_UNIX)
		return false;	/* a kernel socket: not cached, it is cheap to tell */
	len = sizeof(type);
	if (nc_libc.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ||
	    (type != SOCK_STREAM && type != SOCK_SEQPACKET)) {
		cache_put(info);
		return false;
	}
	/* A stream socket of ours is a Unix stream socket; a datagram one a SEQPACKET one. */
	type = type == SOCK_STREAM ? SOCK_STREAM : SOCK_DGRAM;
	nc_rpc_init_request(&req, NC_OP_IDENTIFY, info->id);
	if (nc_call(&req, &rep, fd, NULL, false) < 0 || rep.arg[1] != type) {
		/* Not the service's (or no service): an ordinary Unix socket. */
		cache_put(info);
		return false;
	}
	info->ours = true;
	info->domain = rep.arg[0];
	info->type = type;
	/* arg2: listening (stream), connected (datagram) */
	info->listening = type == SOCK_STREAM && rep.arg[2] == NC_STREAM_LISTENING;
	info->connected = type == SOCK_DGRAM && rep.arg[2] != 0;
	cache_put(info);
	if (type == SOCK_DGRAM)
		track_dgram(fd, info);
	return true;
}

/*
 * copy_addr() - the kernel's way of returning an address: copy what fits,
 * report the full length.
 */
static void copy_addr(struct sockaddr *addr, socklen_t *addrlen, const uint8_t *src, uint32_t len)
{
	socklen_t room;

	if (!addr || !addrlen)
		return;
	room = *addrlen;
	memcpy(addr, src, room < len ? room : len);
	*addrlen = len;
}

/*
 * check_addr() - the kernel's checks on an address passed to bind/connect,
 * for a socket of @domain. Returns 0 and the length to send, or -errno.
 */
static int check_addr(int domain, const struct sockaddr *addr, socklen_t len, uint32_t *send_len)
{
	sa_family_t family;

	if (len == 0)
		return -EINVAL;	/* nothing to copy: the kernel finds the length wrong first */
	if (!addr)
		return -EFAULT;
	if ((int)len < (int)sizeof(sa_family_t))
		return -EINVAL;
	memcpy(&family, addr, sizeof(family));
	if (domain == AF_INET) {
		if (len < sizeof(struct sockaddr_in))
			return -EINVAL;
		if (family != AF_INET)
			return -EAFNOSUPPORT;
		*send_len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (len < 24 /* SIN6_LEN_RFC2133 */)
		return -EINVAL;
	if (family != AF_INET6)
		return -EAFNOSUPPORT;
	*send_len = sizeof(struct sockaddr_in6);
	return 0;
}

/* simple_call() - a request on @fd's socket that answers only a result. */
static int simple_call(struct nc_request *req, int fd)
{
	struct nc_reply rep;

	return nc_call(req, &rep, fd, NULL, false);
}

/*
 * dgram_autobind() - what a failed send does to an unbound datagram
 * socket on Linux: bind the wildcard and an ephemeral port.
 */
static int dgram_autobind(int fd)
{
	struct nc_sock_info info;
	struct nc_request req;
	struct sockaddr_in6 any = { .sin6_family = AF_INET6 };
	struct sockaddr_in any4 = { .sin_family = AF_INET };
	int saved = errno, r;

	if (!nc_sock_lookup(fd, &info) || info.type != SOCK_DGRAM)
		return -1;
	nc_rpc_init_request(&req, NC_OP_BIND, info.id);
	req.arg[0] = NC_BIND_AUTO;
	if (info.domain == AF_INET) {
		memcpy(req.addr, &any4, sizeof(any4));
		req.addrlen = sizeof(any4);
	} else {
		memcpy(req.addr, &any, sizeof(any));
		req.addrlen = sizeof(any);
	}
	r = simple_call(&req, fd);
	errno = saved;	/* the caller reports its send's own error */
	return r;
}

void nc_ops_init(void)
{
	nc_dgram_autobind = dgram_autobind;
	nc_libc_init();
	nc_client_init();
}

bool nc_op_socket_is_ours(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);

	if ((domain != AF_INET && domain != AF_INET6) ||
	    (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC | 0xf)))
		return false;
	return (base == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP)) ||
	       (base == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP)) ||
	       (base == SOCK_DGRAM && domain == AF_INET && protocol == IPPROTO_ICMP) ||
	       (base == SOCK_DGRAM && domain == AF_INET6 && protocol == IPPROTO_ICMPV6);
}

int nc_op_socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct nc_request req;
	struct nc_reply rep;
	int fd, r;

	if (base == SOCK_STREAM) {
		fd = nc_client_take_spare(domain, (type & SOCK_CLOEXEC) != 0, &rep.sock);
		if (fd >= 0)
			goto got_socket;
		if (fd == -EMFILE)
			return -EMFILE;
	}
	nc_rpc_init_request(&req, NC_OP_SOCKET, 0);
	req.arg[0] = domain;
	req.arg[1] = base;
	req.arg[2] = protocol ? protocol : base == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	r = nc_call(&req, &rep, -1, &fd, (type & SOCK_CLOEXEC) != 0);
	if (r == -ENETDOWN && !nc_client_cfg.fallback_kernel)
		nc_client_complain();
	if (r < 0)
		return r;
	if (fd < 0)
		return -EMFILE;	/* the reply's descriptor found no room here */
got_socket:
	if (type & SOCK_NONBLOCK)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	remember(rep.sock, domain, base, false, false);
	if (base == SOCK_STREAM)
		nc_stream_mark_idle(fd, true);
	if (base == SOCK_DGRAM) {
		nc_dgram_track(fd, rep.sock, domain, NC_DG_FRAMED, NULL, 0);
		if (rep.addrlen == sizeof(struct sockaddr_in) &&
		    rep.addr2len == sizeof(struct sockaddr_in6))
			nc_dgram_learn_routes(rep.addr, (unsigned)rep.arg[0], rep.addr2,
					      (unsigned)rep.arg[1], (unsigned)rep.arg[2]);
	}
	if (base == SOCK_DGRAM && (protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6))
		nc_dgram_set_flag(fd, NC_DGF_ICMP, true);	/* sendto's port means nothing */
	return fd;
}

int nc_op_bind(int fd, const struct nc_sock_info *info, const struct sockaddr *addr, socklen_t len)
{
	struct nc_request req;
	uint32_t send_len;
	int r;

	if (info->domain == AF_INET && addr && len >= sizeof(struct sockaddr_in) &&
	    addr->sa_family == AF_UNSPEC &&
	    ((const struct sockaddr_in *)addr)->sin_addr.s_addr == htonl(INADDR_ANY)) {
		/* Linux takes AF_UNSPEC with INADDR_ANY for AF_INET, for old programs. */
		struct sockaddr_in any = *(const struct sockaddr_in *)addr;

		any.sin_family = AF_INET;
		return nc_op_bind(fd, info, (const struct sockaddr *)&any, sizeof(any));
	}
	r = check_addr(info->domain, addr, len, &send_len);
	if (r)
		return r;
	nc_rpc_init_request(&req, NC_OP_BIND, info->id);
	memcpy(req.addr, addr, send_len);
	req.addrlen = send_len;
	r = simple_call(&req, fd);
	if (r == 0 && info->type == SOCK_DGRAM)
		nc_dgram_set_flag(fd, NC_DGF_BOUND, true);
	return r;
}

int nc_op_listen(int fd, const struct nc_sock_info *info, int backlog)
{
	struct nc_request req;
	int r;

	nc_rpc_init_request(&req, NC_OP_LISTEN, info->id);
	req.arg[0] = backlog;
	r = simple_call(&req, fd);
	if (r == 0)
		remember(info->id, info->domain, info->type, true, false);
	return r;
}

/*
 * nc_op_accept() - one connection from a netcon listener. The service
 * pushes each connection on the listening socket itself: a fixed-size record
 * (its id and peer address) with the connection's descriptor attached. One
 * recvmsg() takes one record and its descriptor; it blocks, or says EAGAIN,
 * as the program set the listening fd, and SO_RCVTIMEO applies as to the
 * kernel's accept().
 */
int nc_op_accept(int fd, const struct nc_sock_info *info, struct sockaddr *addr,
		 socklen_t *addrlen, int flags)
{
	struct nc_accept_record rec;
	int newfd, how = 0;
	const char *why;
	char claim;
	ssize_t n;

	if (info->type == SOCK_DGRAM)
		return -EOPNOTSUPP;
	if (!info->listening)
		return -EINVAL;
	if (addr && !addrlen)
		return -EFAULT;
	if (addrlen && (int)*addrlen < 0)
		return -EINVAL;
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC | NC_ACCEPT_DONTWAIT))
		return -EINVAL;
	/*
	 * Taking the record with no descriptor free would lose the connection
	 * (the kernel drops a descriptor it cannot install): say EMFILE first
	 * and leave it queued, as the kernel's accept() does.
	 */
	newfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (newfd < 0)
		return -errno;
	nc_libc.close(newfd);
	if (flags & SOCK_CLOEXEC)
		how |= MSG_CMSG_CLOEXEC;
	if (flags & NC_ACCEPT_DONTWAIT)
		how |= MSG_DONTWAIT;
	n = nc_recv_fd(fd, &rec, sizeof(rec), &newfd, how);
	if (n < 0)
		return -errno;	/* EAGAIN, EINTR, a timeout... as the kernel's accept says */
	if (n == 0)
		return -EINVAL;	/* the service closed the listener */
	if (nc_rpc_check_accept(&rec, (size_t)n, &why)) {
		if (newfd >= 0)
			nc_libc.close(newfd);
		return -EPROTO;
	}
	if (newfd < 0)
		return -EMFILE;	/* the service always attaches one: no room for it here */
	/* The service's claim byte (tcp_listen.c): this connection is taken. */
	nc_libc.recv(newfd, &claim, 1, MSG_DONTWAIT);
	if (flags & SOCK_NONBLOCK)
		fcntl(newfd, F_SETFL, fcntl(newfd, F_GETFL) | O_NONBLOCK);
	remember(rec.sock, info->domain, SOCK_STREAM, false, true);
	nc_stream_mark_connected(newfd, false);
	copy_addr(addr, addrlen, rec.addr, rec.addrlen);
	return newfd;
}

/*
 * connect_dgram() - fix (or with AF_UNSPEC, dissolve) a datagram socket's
 * peer. The service re-frames the datagrams already queued for us before it
 * answers (src/common/dgram.h), so from the reply on our framing is the new one.
 */
static int connect_dgram(int fd, const struct nc_sock_info *info, const struct sockaddr *addr,
			 socklen_t len)
{
	struct nc_request req;
	struct nc_reply rep;
	uint32_t send_len;
	sa_family_t family;
	int r;

	if (!addr)
		return -EFAULT;
	if ((int)len < (int)sizeof(family))
		return -EINVAL;
	memcpy(&family, addr, sizeof(family));
	nc_rpc_init_request(&req, NC_OP_CONNECT, info->id);
	if (family == AF_UNSPEC) {
		send_len = sizeof(family);
	} else if (family == AF_INET && info->domain == AF_INET6) {
		if (len < sizeof(struct sockaddr_in))
			return -EINVAL;
		send_len = sizeof(struct sockaddr_in);
	} else {
		r = check_addr(info->domain, addr, len, &send_len);
		if (r)
			return r;
	}
	memcpy(req.addr, addr, send_len);
	req.addrlen = send_len;
	r = nc_call(&req, &rep, fd, NULL, false);
	if (r < 0)
		return r;
	if (family == AF_UNSPEC) {
		remember(info->id, info->domain, SOCK_DGRAM, false, false);
		nc_dgram_track(fd, info->id, info->domain, NC_DG_FRAMED, NULL, 0);
	} else {
		remember(info->id, info->domain, SOCK_DGRAM, false, true);
		nc_dgram_track(fd, info->id, info->domain, NC_DG_PLAIN,
			       (const struct sockaddr *)rep.addr, rep.addrlen);
		nc_dgram_set_flag(fd, NC_DGF_BOUND, true);
	}
	return 0;
}

/*
 * disconnect_stream() - connect(AF_UNSPEC) on a stream socket: Linux resets a
 * connection (or stops a listener) and leaves the socket unconnected.
 */
static int disconnect_stream(int fd, const struct nc_sock_info *info)
{
	struct nc_request req;
	sa_family_t family = AF_UNSPEC;
	int r;

	nc_rpc_init_request(&req, NC_OP_CONNECT, info->id);
	memcpy(req.addr, &family, sizeof(family));
	req.addrlen = sizeof(family);
	r = simple_call(&req, fd);
	if (r == 0 && info->listening)
		remember(info->id, info->domain, SOCK_STREAM, false, false);
	return r;
}

void nc_sock_clear_error(int fd)
{
	int e;
	socklen_t len = sizeof(e);

	nc_libc.getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
}

/* send_timeout_ms() - @fd's SO_SNDTIMEO in ms (0: none), which bounds a blocking connect(). */
static int send_timeout_ms(int fd)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);
	long long ms;

	if (nc_libc.getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len) || len != sizeof(tv))
		return 0;
	ms = (long long)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
	return ms <= 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

/*
 * connect_wait() - a blocking connect() with SO_SNDTIMEO went to the service
 * as a non-blocking one: wait up to @timeout_ms for the outcome, as the
 * kernel does;
 * still connecting then is EINPROGRESS (a later connect() says EALREADY). The
 * outcome is asked with the same request again, which the service answers 0
 * or with the error, once.
 */
static int connect_wait(int fd, struct nc_request *req, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	struct nc_reply rep;
	int n = poll(&pfd, 1, timeout_ms);

	if (n < 0)
		return n;
	if (n == 0)
		return -EINPROGRESS;
	req->arg[0] = 1;
	req->arg[2] = 0;
	return nc_call(req, &rep, fd, NULL, false);
}

/*
 * nc_op_connect() - blocking: the service answers when the connection is up
 * or has failed. Non-blocking: the service answers EINPROGRESS at once; it
 * borrows a copy of the fd to hold it unwritable until the outcome is known.
 */
int nc_op_connect(int fd, const struct nc_sock_info *info, const struct sockaddr *addr,
		  socklen_t len)
{
	struct nc_request req;
	struct nc_reply rep;
	uint32_t send_len;
	bool nonblocking;
	int r, fl, spare, timeout_ms;

	if (info->type == SOCK_DGRAM)
		return connect_dgram(fd, info, addr, len);
	if (addr && (int)len >= (int)sizeof(sa_family_t) && addr->sa_family == AF_UNSPEC)
		return disconnect_stream(fd, info);
	r = check_addr(info->domain, addr, len, &send_len);
	if (r)
		return r;
	fl = fcntl(fd, F_GETFL);
	nonblocking = fl >= 0 && (fl & O_NONBLOCK);
	timeout_ms = nonblocking ? 0 : send_timeout_ms(fd);
	nc_rpc_init_request(&req, NC_OP_CONNECT, info->id);
	memcpy(req.addr, addr, send_len);
	req.addrlen = send_len;
	req.arg[0] = nonblocking || timeout_ms > 0;
	req.arg[2] = nc_client_wants_spare(info->domain);
	r = nc_call(&req, &rep, fd, &spare, true);
	if (r == -EINPROGRESS && !nonblocking)
		r = connect_wait(fd, &req, timeout_ms);
	if (r < 0 && r != -EINPROGRESS && r != -EALREADY && r != -EISCONN)
		nc_sock_clear_error(fd);	/* connect() reported the error: it is read */
	if (r == 0)
		remember(info->id, info->domain, SOCK_STREAM, false, true);
	if (r == -EINPROGRESS || (r == -EALREADY && nc_fd_mode(fd) != NC_ST_CONN))
		nc_stream_mark_connected(fd, true);	/* its send buffer is still shrunk */
	else if (r == 0 || r == -EALREADY || (r == -EISCONN && !info->listening))
		nc_stream_mark_connected(fd, nc_fd_mode(fd) == NC_ST_CONN_SMALL);
	if (spare >= 0) {
		uint64_t id;

		if (req.arg[2] && rep.optlen == sizeof(id)) {
			memcpy(&id, rep.opt, sizeof(id));
			nc_client_keep_spare(info->domain, spare, id);
		} else {
			nc_libc.close(spare);
		}
	}
	return r;
}

int nc_op_name(enum nc_op op, int fd, const struct nc_sock_info *info, struct sockaddr *addr,
	       socklen_t *addrlen)
{
	struct nc_request req;
	struct nc_reply rep;
	int r;

	if (!addr || !addrlen)
		return -EFAULT;
	if ((int)*addrlen < 0)
		return -EINVAL;
	nc_rpc_init_request(&req, op, info->id);
	r = nc_call(&req, &rep, fd, NULL, false);
	if (r < 0)
		return r;
	copy_addr(addr, addrlen, rep.addr, rep.addrlen);
	return 0;
}

bool nc_op_on_real_fd(int level, int name)
{
	return level == SOL_SOCKET &&
	       (name == SO_RCVTIMEO_OLD || name == SO_SNDTIMEO_OLD || name == SO_RCVTIMEO_NEW ||
		name == SO_SNDTIMEO_NEW || name == SO_RCVLOWAT || name == SO_SNDLOWAT ||
		name == SO_PASSCRED || name == SO_PEEK_OFF);
}

int nc_op_pending_error(int fd, const struct nc_sock_info *info)
{
	struct nc_request req;
	int r;

	nc_rpc_init_request(&req, NC_OP_EOF, info->id);
	r = simple_call(&req, fd);
	return r < 0 && r != -ENETDOWN && r != -EBADF ? r : 0;
}

int nc_op_getsockopt(int fd, const struct nc_sock_info *info, int level, int name, void *val,
		     socklen_t *len)
{
	struct nc_request req;
	struct nc_reply rep;
	socklen_t n;
	int r;

	if (!len)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	nc_rpc_init_request(&req, NC_OP_GETSOCKOPT, info->id);
	req.arg[0] = level;
	req.arg[1] = name;
	req.arg[2] = (int)*len;
	r = nc_call(&req, &rep, fd, NULL, false);
	if (r < 0)
		return r;
	n = *len < rep.optlen ? *len : rep.optlen;
	if (n && !val)
		return -EFAULT;
	memcpy(val, rep.opt, n);
	*len = n;
	if (level == SOL_SOCKET && name == SO_ERROR && n >= sizeof(int)) {
		int e;

		memcpy(&e, rep.opt, sizeof(e));
		if (e)
			nc_sock_clear_error(fd);	/* only a failure set it: no syscall after a success */
	}
	return 0;
}

int nc_op_setsockopt(int fd, const struct nc_sock_info *info, int level, int name,
		     const void *val, socklen_t len)
{
	struct nc_request req;
	int r;

	if ((int)len < 0)
		return -EINVAL;
	if (len && !val)
		return -EFAULT;
	nc_rpc_init_request(&req, NC_OP_SETSOCKOPT, info->id);
	req.arg[0] = level;
	req.arg[1] = name;
	req.optlen = len > NC_OPT_MAX ? NC_OPT_MAX : len;
	memcpy(req.opt, val, req.optlen);
	r = simple_call(&req, fd);
	if (r == 0 && info->type == SOCK_DGRAM && len >= sizeof(int)) {
		int on;

		memcpy(&on, val, sizeof(on));
		if (nc_dgram_report_of(level, name))
			nc_dgram_set_report(fd, nc_dgram_report_of(level, name), on != 0);
		else if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY)
			nc_dgram_set_flag(fd, NC_DGF_V6ONLY, on != 0);
		else if (level == SOL_SOCKET && name == SO_BROADCAST)
			nc_dgram_set_flag(fd, NC_DGF_BROADCAST, on != 0);
	}
	return r;
}

/*
 * shutdown_needs_service() - only the service knows when shutdown() must
 * fail with ENOTCONN (never connected, reset, or closed both ways). A socket
 * known connected whose peer has not ended its stream (no end-of-file waits
 * in our end: the service ends it after a FIN or a reset) is still connected
 * in the service, which would answer 0: the program's own end is all there
 * is to shut, with no round trip.
 */
static bool shutdown_needs_service(int fd, const struct nc_sock_info *info, int how)
{
	char c;
	ssize_t n;

	/*
	 * Shutting the reading side shows on the service's end as a hang-up, as
	 * a close would: the service must hear of it first (tcp.c keeps the
	 * socket for the program then).
	 */
	if (!info->connected || how != SHUT_WR)
		return true;
	n = nc_libc.recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return !(n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)));
}

/*
 * nc_op_shutdown() - checked by the service, then done on the fd itself: the
 * end-of-file it causes is what tells the service to send FIN.
 */
int nc_op_shutdown(int fd, const struct nc_sock_info *info, int how)
{
	struct nc_request req;
	int r;

	if (info->type == SOCK_DGRAM) {
		/*
		 * Linux shuts an unconnected UDP socket too, and says ENOTCONN:
		 * our end is shut whatever the service answers.
		 */
		nc_rpc_init_request(&req, NC_OP_SHUTDOWN, info->id);
		req.arg[0] = how;
		r = simple_call(&req, fd);
		if (r == -EINVAL || r == -EBADF || r == -ENETDOWN)
			return r;
		if (how == SHUT_RD || how == SHUT_RDWR)
			nc_dgram_set_flag(fd, NC_DGF_RDSHUT, true);
		nc_libc.shutdown(fd, how);
		return r;
	}
	if (!shutdown_needs_service(fd, info, how))
		return nc_libc.shutdown(fd, how) ? -errno : 0;
	nc_rpc_init_request(&req, NC_OP_SHUTDOWN, info->id);
	req.arg[0] = how;
	r = simple_call(&req, fd);
	if (r < 0)
		return r;
	if (info->listening && how != SHUT_WR)	/* it stopped listening (tcp_listen.c) */
		remember(info->id, info->domain, SOCK_STREAM, false, false);
	if (!info->listening && nc_libc.shutdown(fd, how) && errno != ENOTCONN)
		return -errno;
	return 0;
}
