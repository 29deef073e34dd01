/*
 * intercept.c - libnetcon's socket calls.
 *
 * AF_INET and AF_INET6 stream sockets are created by the service: the
 * program gets one end of a Unix socketpair, and from then on data calls
 * (read, write, send, recv, poll, epoll, sendfile, splice...) go straight to
 * that descriptor without passing through here. The calls below carry the
 * control operations to the service and give back what the kernel would:
 * the same return values, the same errno, and errno untouched on success.
 *
 * A descriptor is recognised as netcon's by the inode of its open file, which
 * the service named it by. The answer is cached per inode, so a socket that
 * arrived by fork, exec or SCM_RIGHTS is recognised on first use.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#if defined(__GLIBC__) || __has_include(<linux/sockios.h>)
#include <linux/sockios.h>
#else
#define SIOCOUTQ TIOCOUTQ	/* as <linux/sockios.h> has it (musl without kernel headers) */
#endif
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>
#include <netinet/in.h>

#include "client.h"
#include "dgram.h"
#include "libc.h"
#include "../common/dgram.h"
#include "../common/fdpass.h"
#include "../common/rpc.h"

#define EXPORT __attribute__((visibility("default")))
#define CACHE_SIZE 4096		/* power of two */

/*
 * The C library's own declarations of calls wrapped here: musl declares a
 * few with other types than glibc (the kernel reads the same registers).
 */
#ifdef __GLIBC__
#define MMSG_FLAGS_T int
#define IOCTL_REQ_T unsigned long
#else
#define MMSG_FLAGS_T unsigned int
#define IOCTL_REQ_T int
#endif
/* The kernel's names for both forms of the timeouts (musl's headers name only one). */
#ifndef SO_RCVTIMEO_OLD
#define SO_RCVTIMEO_OLD 20
#define SO_SNDTIMEO_OLD 21
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67
#endif

/* What we know of a socket, by the inode of its open file. */
struct sock_info {
	uint64_t id;		/* 0: empty slot */
	bool ours;
	bool listening;
	bool connected;		/* came from accept() or a blocking connect() that succeeded */
	int domain;
	int type;		/* SOCK_STREAM or SOCK_DGRAM */
};

static struct sock_info cache[CACHE_SIZE];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static bool lookup(int fd, struct sock_info *info);

/*
 * adopt_inherited() - datagram sockets of ours that came across exec: their
 * framing must be known before the program's first read. Only Unix
 * SEQPACKET sockets (what our datagram sockets are) cost a question.
 */
static void adopt_inherited(void)
{
	struct sock_info info;
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	int fd, type, domain, self;
	socklen_t len;

	if (!dir)
		return;
	self = dirfd(dir);
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		fd = atoi(d->d_name);
		if (fd == self || (unsigned)fd >= NC_DGRAM_FDS)
			continue;
		len = sizeof(type);
		if (nc_libc.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ||
		    type != SOCK_SEQPACKET)
			continue;
		len = sizeof(domain);
		if (nc_libc.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) || domain != AF_UNIX)
			continue;
		lookup(fd, &info);
	}
	closedir(dir);
}

static int dgram_autobind(int fd);

__attribute__((constructor)) static void libnetcon_init(void)
{
	nc_dgram_autobind = dgram_autobind;
	nc_libc_init();
	nc_client_init();
	nc_client_connect_early();
	adopt_inherited();
}

static unsigned slot_of(uint64_t id)
{
	return (unsigned)((id * 0x9e3779b97f4a7c15ull) >> 52) & (CACHE_SIZE - 1);
}

static bool cache_get(uint64_t id, struct sock_info *out)
{
	bool hit;

	pthread_mutex_lock(&cache_lock);
	*out = cache[slot_of(id)];
	hit = out->id == id;
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

static void cache_put(const struct sock_info *info)
{
	pthread_mutex_lock(&cache_lock);
	cache[slot_of(info->id)] = *info;
	pthread_mutex_unlock(&cache_lock);
}

/*
 * track_dgram() - a datagram socket of ours seen on @fd without its mode
 * noted (it came by exec, SCM_RIGHTS or an untracked dup): note it, asking
 * the service for the peer of a connected one.
 */
static void track_dgram(int fd, const struct sock_info *info)
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

/*
 * lookup() - is @fd a netcon socket? Fills @info and returns true if so.
 * Costs one fstat() when the answer is cached, an RPC the first time an
 * unknown Unix stream or datagram socket is seen.
 */
static bool lookup(int fd, struct sock_info *info)
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

/* remember() - note a socket of ours and what state it is known to be in. */
static void remember(uint64_t id, int domain, int type, bool listening, bool connected)
{
	struct sock_info info = { .id = id, .ours = true, .listening = listening,
				  .connected = connected, .domain = domain, .type = type };

	cache_put(&info);
}

/* fail() - return -1 with @err in errno (err given as a negative errno or positive). */
static int fail(int err)
{
	errno = err < 0 ? -err : err;
	return -1;
}

/* result() - a call's outcome: the value, with errno preserved on success. */
static int result(int r, int saved_errno)
{
	if (r < 0)
		return fail(r);
	errno = saved_errno;
	return r;
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

/* ---------------------------------------------------------------- calls -- */

EXPORT int socket(int domain, int type, int protocol)
{
	int saved = errno, base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct nc_request req;
	struct nc_reply rep;
	int fd, r;

	nc_libc_init();
	if ((domain != AF_INET && domain != AF_INET6) ||
	    (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC | 0xf)) ||
	    !((base == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP)) ||
	      (base == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP)) ||
	      (base == SOCK_DGRAM && domain == AF_INET && protocol == IPPROTO_ICMP) ||
	      (base == SOCK_DGRAM && domain == AF_INET6 && protocol == IPPROTO_ICMPV6)))
		return nc_libc.socket(domain, type, protocol);
	if (base == SOCK_STREAM) {
		fd = nc_client_take_spare(domain, (type & SOCK_CLOEXEC) != 0, &rep.sock);
		if (fd >= 0)
			goto got_socket;
		if (fd == -EMFILE)
			return fail(EMFILE);
	}
	nc_rpc_init_request(&req, NC_OP_SOCKET, 0);
	req.arg[0] = domain;
	req.arg[1] = base;
	req.arg[2] = protocol ? protocol : base == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	r = nc_call(&req, &rep, -1, &fd, (type & SOCK_CLOEXEC) != 0);
	if (r == -ENETDOWN) {
		if (nc_client_cfg.fallback_kernel)
			return nc_libc.socket(domain, type, protocol);
		nc_client_complain();
	}
	if (r < 0)
		return fail(r);
	if (fd < 0)
		return fail(EMFILE);	/* the reply's descriptor found no room here */
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
	errno = saved;
	return fd;
}

EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	int saved = errno, r;
	struct sock_info info;
	struct nc_request req;
	struct nc_reply rep;
	uint32_t send_len;

	nc_libc_init();
	if (!lookup(fd, &info)) {
		errno = saved;
		return nc_libc.bind(fd, addr, len);
	}
	if (info.domain == AF_INET && addr && len >= sizeof(struct sockaddr_in) &&
	    addr->sa_family == AF_UNSPEC &&
	    ((const struct sockaddr_in *)addr)->sin_addr.s_addr == htonl(INADDR_ANY)) {
		/* Linux takes AF_UNSPEC with INADDR_ANY for AF_INET, for old programs. */
		struct sockaddr_in any = *(const struct sockaddr_in *)addr;

		any.sin_family = AF_INET;
		return bind(fd, (const struct sockaddr *)&any, sizeof(any));
	}
	r = check_addr(info.domain, addr, len, &send_len);
	if (r)
		return fail(r);
	nc_rpc_init_request(&req, NC_OP_BIND, info.id);
	memcpy(req.addr, addr, send_len);
	req.addrlen = send_len;
	r = nc_call(&req, &rep, fd, NULL, false);
	if (r == 0 && info.type == SOCK_DGRAM)
		nc_dgram_set_flag(fd, NC_DGF_BOUND, true);
	return result(r, saved);
}

/*
 * dgram_autobind() - what a failed send does to an unbound datagram
 * socket on Linux: bind the wildcard and an ephemeral port.
 */
static int dgram_autobind(int fd)
{
	struct sock_info info;
	struct nc_request req;
	struct nc_reply rep;
	struct sockaddr_in6 any = { .sin6_family = AF_INET6 };
	int saved = errno, r;

	if (!lookup(fd, &info) || info.type != SOCK_DGRAM)
		return -1;
	nc_rpc_init_request(&req, NC_OP_BIND, info.id);
	req.arg[0] = NC_BIND_AUTO;
	if (info.domain == AF_INET) {
		struct sockaddr_in any4 = { .sin_family = AF_INET };

		memcpy(req.addr, &any4, sizeof(any4));
		req.addrlen = sizeof(any4);
	} else {
		memcpy(req.addr, &any, sizeof(any));
		req.addrlen = sizeof(any);
	}
	r = nc_call(&req, &rep, fd, NULL, false);
	errno = saved;
	return r;
}

EXPORT int listen(int fd, int backlog)
{
	int saved = errno, r;
	struct sock_info info;
	struct nc_request req;
	struct nc_reply rep;

	nc_libc_init();
	if (!lookup(fd, &info)) {
		errno = saved;
		return nc_libc.listen(fd, backlog);
	}
	nc_rpc_init_request(&req, NC_OP_LISTEN, info.id);
	req.arg[0] = backlog;
	r = nc_call(&req, &rep, fd, NULL, false);
	if (r == 0)
		remember(info.id, info.domain, info.type, true, false);
	return result(r, saved);
}

/*
 * accept_netcon() - one connection from a netcon listener. The service
 * pushes each connection on the listening socket itself: a fixed-size record
 * (its id and peer address) with the connection's descriptor attached. One
 * recvmsg() takes one record and its descriptor; it blocks, or says EAGAIN,
 * as the program set the listening fd, and SO_RCVTIMEO applies as to the
 * kernel's accept().
 */
static int accept_netcon(int fd, const struct sock_info *info, struct sockaddr *addr,
			 socklen_t *addrlen, int flags)
{
	struct nc_accept_record rec;
	int saved = errno, newfd;
	const char *why;
	char claim;
	ssize_t n;

	if (info->type == SOCK_DGRAM)
		return fail(EOPNOTSUPP);
	if (!info->listening)
		return fail(EINVAL);
	if (addr && !addrlen)
		return fail(EFAULT);
	if (addrlen && (int)*addrlen < 0)
		return fail(EINVAL);
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return fail(EINVAL);
	/*
	 * Taking the record with no descriptor free would lose the connection
	 * (the kernel drops a descriptor it cannot install): say EMFILE first
	 * and leave it queued, as the kernel's accept() does.
	 */
	newfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (newfd < 0)
		return -1;
	nc_libc.close(newfd);
	n = nc_recv_fd(fd, &rec, sizeof(rec), &newfd, (flags & SOCK_CLOEXEC) ? MSG_CMSG_CLOEXEC : 0);
	if (n < 0)
		return -1;	/* EAGAIN, EINTR, a timeout... as the kernel's accept says */
	if (n == 0)
		return fail(EINVAL);	/* the service closed the listener */
	if (nc_rpc_check_accept(&rec, (size_t)n, &why)) {
		if (newfd >= 0)
			nc_libc.close(newfd);
		return fail(EPROTO);
	}
	if (newfd < 0)
		return fail(EMFILE);	/* the service always attaches one: no room for it here */
	/* The service's claim byte (tcp_listen.c): this connection is taken. */
	nc_libc.recv(newfd, &claim, 1, MSG_DONTWAIT);
	if (flags & SOCK_NONBLOCK)
		fcntl(newfd, F_SETFL, fcntl(newfd, F_GETFL) | O_NONBLOCK);
	remember(rec.sock, info->domain, SOCK_STREAM, false, true);
	nc_stream_mark_connected(newfd, false);
	copy_addr(addr, addrlen, rec.addr, rec.addrlen);
	errno = saved;
	return newfd;
}

EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
	struct sock_info info;
	int saved = errno;

	nc_libc_init();
	if (!lookup(fd, &info)) {
		errno = saved;
		return nc_libc.accept4(fd, addr, addrlen, flags);
	}
	return accept_netcon(fd, &info, addr, addrlen, flags);
}

EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	struct sock_info info;
	int saved = errno;

	nc_libc_init();
	if (!lookup(fd, &info)) {
		errno = saved;
		return nc_libc.accept(fd, addr, addrlen);
	}
	return accept_netcon(fd, &info, addr, addrlen, 0);
}

/*
 * connect_dgram() - fix (or with AF_UNSPEC, dissolve) a datagram socket's
 * peer. The service re-frames the datagrams already queued for us before it
 * answers (src/common/dgram.h), so from the reply on our framing is the new one.
 */
static int connect_dgram(int fd, const struct sock_info *info, const struct sockaddr *addr,
			 socklen_t len)
{
	int saved = errno, r;
	struct nc_request req;
	struct nc_reply rep;
	uint32_t send_len;
	sa_family_t family;

	if (!addr)
		return fail(EFAULT);
	if ((int)len < (int)sizeof(family))
		return fail(EINVAL);
	memcpy(&family, addr, sizeof(family));
	nc_rpc_init_request(&req, NC_OP_CONNECT, info->id);
	if (family == AF_UNSPEC) {
		send_len = sizeof(family);
	} else if (family == AF_INET && info->domain == AF_INET6) {
		if (len < sizeof(struct sockaddr_in))
			return fail(EINVAL);
		send_len = sizeof(struct sockaddr_in);
	} else {
		r = check_addr(info->domain, addr, len, &send_len);
		if (r)
			return fail(r);
	}
	memcpy(req.addr, addr, send_len);
	req.addrlen = send_len;
	r = nc_call(&req, &rep, fd, NULL, false);
	if (r < 0)
		return fail(r);
	if (family == AF_UNSPEC) {
		remember(info->id, info->domain, SOCK_DGRAM, false, false);
		nc_dgram_track(fd, info->id, info->domain, NC_DG_FRAMED, NULL, 0);
	} else {
		remember(info->id, info->domain, SOCK_DGRAM, false, true);
		nc_dgram_track(fd, info->id, info->domain, NC_DG_PLAIN,
			       (const struct sockaddr *)rep.addr, rep.addrlen);
		nc_dgram_set_flag(fd, NC_DGF_BOUND, true);
	}
	errno = saved;
	return 0;
}

/*
 * disconnect_stream() - connect(AF_UNSPEC) on a stream socket: Linux resets a
 * connection (or stops a listener) and leaves the socket unconnected.
 */
static int disconnect_stream(int fd, const struct sock_info *info)
{
	int saved = errno, r;
	struct nc_request req;
	struct nc_reply rep;
	sa_family_t family = AF_UNSPEC;

	nc_rpc_init_request(&req, NC_OP_CONNECT, info->id);
	memcpy(req.addr, &family, sizeof(family));
	req.addrlen = sizeof(family);
	r = nc_call(&req, &rep, fd, NULL, false);
	if (r == 0 && info->listening)
		remember(info->id, info->domain, SOCK_STREAM, false, false);
	return result(r, saved);
}

/*
 * clear_real_error() - the service answered SO_ERROR (and forgot it): the
 * program's own end may carry an error flag too (a failed connect, see
 * tcp.c's conn_failed()), which poll shows as POLLERR until read; clear it,
 * as the kernel's SO_ERROR read clears its one flag.
 */
static void clear_real_error(int fd)
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
 * kernel does; still connecting then is EINPROGRESS (a later connect() says
 * EALREADY). The outcome is asked with the same request again, which the
 * service answers 0 or with the error, once.
 */
static int connect_wait(int fd, struct nc_request *req, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	struct nc_reply rep;
	int n = poll(&pfd, 1, timeout_ms);

	if (n < 0)
		return -errno;
	if (n == 0)
		return -EINPROGRESS;
	req->arg[0] = 1;
	req->arg[2] = 0;
	return nc_call(req, &rep, fd, NULL, false);
}

/*
 * connect() - blocking: the service answers when the connection is up or has
 * failed. Non-blocking: the service answers EINPROGRESS at once; it borrows
 * a copy of the fd to hold it unwritable until the outcome is known.
 */
EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int saved = errno, r, fl;
	struct sock_info info;
	struct nc_request req;
	struct nc_reply rep;
	uint32_t send_len;
	bool nonblocking;
	int spare, timeout_ms;

	nc_libc_init();
	if (!lookup(fd, &info)) {
		errno = saved;
		return nc_libc.connect(fd, addr, len);
	}
	if (info.type == SOCK_DGRAM)
		return connect_dgram(fd, &info, addr, len);
	if (addr && (int)len >= (int)sizeof(sa_family_t) && addr->sa_family == AF_UNSPEC)
		return disconnect_stream(fd, &info);
	r = check_addr(info.domain, addr, len, &send_len);
	if (r)
		return fail(r);
	fl = fcntl(fd, F_GETFL);
	nonblocking = fl >= 0 && (fl & O_NONBLOCK);
	timeout_ms = nonblocking ? 0 : send_timeout_ms(fd);
	nc_rpc_init_request(&req, NC_OP_CONNECT, info.id);
	memcpy(req.addr, addr, send_len);
	req.addrlen = send_len;
	req.arg[0] = nonblocking || timeout_ms > 0;
	req.arg[2] = nc_client_wants_spare(info.domain);
	r = nc_call(&req, &rep, fd, &spare, true);
	if (r == -EINPROGRESS && !nonblocking)
		r = connect_wait(fd, &req, timeout_ms);
	if (r < 0 && r != -EINPROGRESS && r != -EALREADY && r != -EISCONN)
		clear_real_error(fd);	/* connect() reported the error: it is read */
	if (r == 0)
		remember(info.id, info.domain, SOCK_STREAM, false, true);
	if (r == -EINPROGRESS || (r == -EALREADY && nc_fd_mode(fd) != NC_ST_CONN))
		nc_stream_mark_connected(fd, true);	/* its send buffer is still shrunk */
	else if (r == 0 || r == -EALREADY || (r == -EISCONN && !info.listening))
		nc_stream_mark_connected(fd, nc_fd_mode(fd) == NC_ST_CONN_SMALL);
	if (spare >= 0) {
		uint64_t id;

		if (req.arg[2] && rep.optlen == sizeof(id)) {
			memcpy(&id, rep.opt, sizeof(id));
			nc_client_keep_spare(info.domain, spare, id);
		} else {
			nc_libc.close(spare);
		}
	}
	return result(r, saved);
}

static int name_call(enum nc_op op, int fd, struct sockaddr *addr, socklen_t *addrlen,
		     int (*real)(int, struct sockaddr *, socklen_t *))
{
	int saved = errno, r;
	struct sock_info info;
	struct nc_request req;
	struct nc_reply rep;

	nc_libc_init();
	if (!lookup(fd, &info)) {
		errno = saved;
		return real(fd, addr, addrlen);
	}
	if (!addr || !addrlen)
		return fail(EFAULT);
	if ((int)*addrlen < 0)
		return fail(EINVAL);
	nc_rpc_init_request(&req, op, info.id);
	r = nc_call(&req, &rep, fd, NULL, false);
	if (r < 0)
		return fail(r);
	copy_addr(addr, addrlen, rep.addr, rep.addrlen);
	errno = saved;
	return 0;
}

EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	return name_call(NC_OP_GETSOCKNAME, fd, addr, addrlen, nc_libc.getsockname);
}

EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	return name_call(NC_OP_GETPEERNAME, fd, addr, addrlen, nc_libc.getpeername);
}

/* on_real_fd() - options that act on the descriptor itself, not the connection. */
static bool on_real_fd(int level, int name)
{
	return level == SOL_SOCKET &&
	       (name == SO_RCVTIMEO_OLD || name == SO_SNDTIMEO_OLD || name == SO_RCVTIMEO_NEW ||
		name == SO_SNDTIMEO_NEW || name == SO_RCVLOWAT || name == SO_SNDLOWAT ||
		name == SO_PASSCRED || name == SO_PEEK_OFF);
}


/*
 * pending_error() - the error a netcon stream connection ended with, as the
 * service reports it once (NC_OP_EOF: a reset, a refused connect...), or 0
 * when there is none left, the service forgot the socket, or none answers.
 */
static int pending_error(int fd, const struct sock_info *info)
{
	struct nc_request req;
	struct nc_reply rep;
	int r;

	nc_rpc_init_request(&req, NC_OP_EOF, info->id);
	r = nc_call(&req, &rep, fd, NULL, false);
	return r < 0 && r != -ENETDOWN && r != -EBADF ? r : 0;
}

/*
 * stream_error() - a receive on a netcon stream socket failed with
 * ECONNRESET: that is the Unix socket's flag for a connection the service
 * ended with an error (tcp.c's conn_failed()); the error itself, reported
 * once as the kernel does, is the service's. Other errors pass as they are.
 */
static ssize_t stream_error(int fd, int err)
{
	struct sock_info info;
	int r;

	if (err != ECONNRESET || !lookup(fd, &info) || info.type != SOCK_STREAM)
		return fail(err);
	r = pending_error(fd, &info);
	return r ? fail(r) : 0;	/* no error left (read already, or forgotten): end-of-file */
}

EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int saved = errno, r;
	struct sock_info info;
	struct nc_request req;
	struct nc_reply rep;
	socklen_t n;

	nc_libc_init();
	if (!lookup(fd, &info) || on_real_fd(level, name)) {
		errno = saved;
		return nc_libc.getsockopt(fd, level, name, val, len);
	}
	if (!len)
		return fail(EFAULT);
	if ((int)*len < 0)
		return fail(EINVAL);
	nc_rpc_init_request(&req, NC_OP_GETSOCKOPT, info.id);
	req.arg[0] = level;
	req.arg[1] = name;
	req.arg[2] = (int)*len;
	r = nc_call(&req, &rep, fd, NULL, false);
	if (r < 0)
		return fail(r);
	n = *len < rep.optlen ? *len : rep.optlen;
	if (n && !val)
		return fail(EFAULT);
	memcpy(val, rep.opt, n);
	*len = n;
	if (level == SOL_SOCKET && name == SO_ERROR && n >= sizeof(int)) {
		int e;

		memcpy(&e, rep.opt, sizeof(e));
		if (e)
			clear_real_error(fd);	/* only a failure set it: no syscall after a success */
	}
	errno = saved;
	return 0;
}


EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int saved = errno, r;
	struct sock_info info;
	struct nc_request req;
	struct nc_reply rep;

	nc_libc_init();
	if (!lookup(fd, &info) || on_real_fd(level, name)) {
		errno = saved;
		return nc_libc.setsockopt(fd, level, name, val, len);
	}
	if ((int)len < 0)
		return fail(EINVAL);
	if (len && !val)
		return fail(EFAULT);
	nc_rpc_init_request(&req, NC_OP_SETSOCKOPT, info.id);
	req.arg[0] = level;
	req.arg[1] = name;
	req.optlen = len > NC_OPT_MAX ? NC_OPT_MAX : len;
	memcpy(req.opt, val, req.optlen);
	r = nc_call(&req, &rep, fd, NULL, false);
	if (r == 0 && info.type == SOCK_DGRAM && len >= sizeof(int)) {
		int on;

		memcpy(&on, val, sizeof(on));
		if (nc_dgram_report_of(level, name))
			nc_dgram_set_report(fd, nc_dgram_report_of(level, name), on != 0);
		else if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY)
			nc_dgram_set_flag(fd, NC_DGF_V6ONLY, on != 0);
		else if (level == SOL_SOCKET && name == SO_BROADCAST)
			nc_dgram_set_flag(fd, NC_DGF_BROADCAST, on != 0);
	}
	return result(r, saved);
}

/*
 * shutdown() - checked by the service, then done on the fd itself: the
 * end-of-file it causes is what tells the service to send FIN.
 */
/*
 * shutdown_needs_service() - only the service knows when shutdown() must
 * fail with ENOTCONN (never connected, reset, or closed both ways). A socket
 * known connected whose peer has not ended its stream (no end-of-file waits
 * in our end: the service ends it after a FIN or a reset) is still connected
 * in the service, which would answer 0: the program's own end is all there
 * is to shut, with no round trip.
 */
static bool shutdown_needs_service(int fd, const struct sock_info *info, int how)
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

EXPORT int shutdown(int fd, int how)
{
	int saved = errno, r;
	struct sock_info info;
	struct nc_request req;
	struct nc_reply rep;

	nc_libc_init();
	if (!lookup(fd, &info)) {
		errno = saved;
		return nc_libc.shutdown(fd, how);
	}
	if (info.type == SOCK_DGRAM) {
		/*
		 * Linux shuts an unconnected UDP socket too, and says ENOTCONN:
		 * our end is shut whatever the service answers.
		 */
		nc_rpc_init_request(&req, NC_OP_SHUTDOWN, info.id);
		req.arg[0] = how;
		r = nc_call(&req, &rep, fd, NULL, false);
		if (r == -EINVAL || r == -EBADF || r == -ENETDOWN)
			return fail(r);
		if (how == SHUT_RD || how == SHUT_RDWR)
			nc_dgram_set_flag(fd, NC_DGF_RDSHUT, true);
		nc_libc.shutdown(fd, how);
		return result(r, saved);
	}
	if (!shutdown_needs_service(fd, &info, how)) {
		if (nc_libc.shutdown(fd, how))
			return -1;
		errno = saved;
		return 0;
	}
	nc_rpc_init_request(&req, NC_OP_SHUTDOWN, info.id);
	req.arg[0] = how;
	r = nc_call(&req, &rep, fd, NULL, false);
	if (r < 0)
		return fail(r);
	if (info.listening && how != SHUT_WR)	/* it stopped listening (tcp_listen.c) */
		remember(info.id, info.domain, SOCK_STREAM, false, false);
	if (!info.listening && nc_libc.shutdown(fd, how) && errno != ENOTCONN)
		return -1;
	errno = saved;
	return 0;
}

/*
 * stream_idle() - @fd is marked as an unconnected stream socket of ours: is
 * it still? The mark is this process's own; another process holding the
 * socket may have connected it since, so the service decides. Only programs
 * that read or write a socket before connecting it come here, once each.
 * False (the mark gone) when the socket is connecting, connected or over,
 * or no longer ours.
 */
static bool stream_idle(int fd)
{
	struct nc_request req;
	struct nc_reply rep;
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
		nc_rpc_init_request(&req, NC_OP_IDENTIFY, (uint64_t)st.st_ino);
		if (nc_call(&req, &rep, fd, NULL, false) == 0 && rep.arg[1] == SOCK_STREAM &&
		    rep.arg[2] != NC_STREAM_CONNECTED)
			return true;
	}
	nc_stream_mark_idle(fd, false);
	return false;
}

/* idle_recv() - a receive on an unconnected stream socket: ENOTCONN, as the kernel's. */
static bool idle_recv(int fd)
{
	if (!nc_stream_marked_idle(fd) || !stream_idle(fd))
		return false;
	errno = ENOTCONN;
	return true;
}

/* idle_send() - a send on an unconnected stream socket: EPIPE and SIGPIPE, as the kernel's. */
static bool idle_send(int fd, int flags)
{
	if (!nc_stream_marked_idle(fd) || !stream_idle(fd))
		return false;
	if (!(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	errno = EPIPE;
	return true;
}

/*
 * stream_send_failed() - a send on a connected stream socket of ours said
 * EPIPE (MSG_NOSIGNAL was added): if the connection ended with an error
 * (a reset, a refused connect), the kernel's send says that error, once,
 * with no signal; only later sends get EPIPE and SIGPIPE.
 */
static ssize_t stream_send_failed(int fd, int flags)
{
	struct sock_info info;
	int r;

	if (lookup(fd, &info) && info.type == SOCK_STREAM && (r = pending_error(fd, &info))) {
		clear_real_error(fd);
		if (r == -EPIPE && !(flags & MSG_NOSIGNAL))
			raise(SIGPIPE);	/* Linux signals an EPIPE even when it was the pending error */
		return fail(r);
	}
	if (!(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	return fail(EPIPE);
}

/*
 * stream_grow() - the first send after a non-blocking connect: the service
 * grows the send buffer it shrank when the program lends it the socket again
 * (getsockopt(SO_ERROR) does); if that has not happened, grow it here, once
 * the connection is up (the program's end writable again).
 */
static void stream_grow(int fd)
{
	int size = 0, want = 4 * 1024 * 1024;
	socklen_t len = sizeof(size);

	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	if (nc_fd_mode(fd) != NC_ST_CONN_SMALL)
		return;
	/* Still unwritable: the connect is still in progress, the filler in place. */
	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLOUT))
		return;
	nc_stream_mark_connected(fd, false);
	if (nc_libc.getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &len) == 0 && size < 65536)
		nc_libc.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
}

/*
 * stream_sendmsg() - a send on an NC_ST_CONN descriptor (see
 * stream_send_failed()); @as_write: the program called writev(). The mark
 * may outlive the socket when the program closed it behind our back (glibc's
 * own close, as fclose() does): a descriptor that is no socket loses the mark
 * and gets the call it asked for.
 */
static ssize_t stream_sendmsg(int fd, const struct msghdr *msg, int flags, bool as_write)
{
	int saved = errno;
	ssize_t n;

	stream_grow(fd);
	n = nc_libc.sendmsg(fd, msg, flags | MSG_NOSIGNAL);

	if (n >= 0) {
		errno = saved;
		return n;
	}
	if (errno == ENOTSOCK) {
		nc_dgram_forget(fd);
		errno = saved;
		return as_write ? nc_libc.writev(fd, msg->msg_iov, (int)msg->msg_iovlen)
				: nc_libc.sendmsg(fd, msg, flags);
	}
	return errno == EPIPE ? stream_send_failed(fd, flags) : -1;
}

/* stream_send() - the same for one buffer (@as_write: the program called write()). */
static ssize_t stream_send(int fd, const void *buf, size_t len, int flags, bool as_write)
{
	struct iovec v = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };

	return stream_sendmsg(fd, &m, flags, as_write);
}

/* sendto()/sendmsg(): TCP ignores a destination on a connected socket; Unix sockets refuse it. */
EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
		      const struct sockaddr *addr, socklen_t addrlen)
{
	struct sock_info info;
	int saved = errno;

	nc_libc_init();
	if (idle_send(fd, flags))
		return -1;
	if (nc_stream_marked_connected(fd))
		return stream_send(fd, buf, len, flags, false);	/* TCP ignores the address */
	if (nc_dgram_mode(fd) != NC_DG_NONE) {
		struct iovec v = { .iov_base = (void *)buf, .iov_len = len };
		struct msghdr m = { .msg_name = (void *)addr, .msg_namelen = addr ? addrlen : 0,
				    .msg_iov = &v, .msg_iovlen = 1 };
		ssize_t n = nc_dgram_sendmsg(fd, &m, flags);

		if (n >= 0)
			errno = saved;
		return n;
	}
	if (addr && lookup(fd, &info)) {
		errno = saved;
		if (info.type == SOCK_DGRAM)
			return sendto(fd, buf, len, flags, addr, addrlen);	/* now tracked */
		return nc_libc.sendto(fd, buf, len, flags, NULL, 0);
	}
	errno = saved;
	return nc_libc.sendto(fd, buf, len, flags, addr, addrlen);
}

EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	return sendto(fd, buf, len, flags, NULL, 0);
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct sock_info info;
	int saved = errno;

	nc_libc_init();
	if (idle_send(fd, flags))
		return -1;
	if (nc_stream_marked_connected(fd) && msg && !msg->msg_name)
		return stream_sendmsg(fd, msg, flags, false);
	if (nc_dgram_mode(fd) != NC_DG_NONE) {
		ssize_t n = nc_dgram_sendmsg(fd, msg, flags);

		if (n >= 0)
			errno = saved;
		return n;
	}
	if (msg && msg->msg_name && lookup(fd, &info)) {
		struct msghdr copy = *msg;

		errno = saved;
		if (info.type == SOCK_DGRAM)
			return sendmsg(fd, msg, flags);	/* now tracked */
		copy.msg_name = NULL;
		copy.msg_namelen = 0;
		return nc_libc.sendmsg(fd, &copy, flags);
	}
	errno = saved;
	return nc_libc.sendmsg(fd, msg, flags);
}

EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int n, MMSG_FLAGS_T flags)
{
	int saved = errno, r;

	nc_libc_init();
	if (idle_send(fd, flags))
		return -1;
	if (nc_dgram_mode(fd) == NC_DG_NONE)
		return nc_libc.sendmmsg(fd, vec, n, flags);
	r = nc_dgram_sendmmsg(fd, vec, n, flags);
	if (r >= 0)
		errno = saved;
	return r;
}

/*
 * write()/writev() on a datagram socket: one datagram. Unconnected, the
 * kernel says EDESTADDRREQ; connected, the payload goes as it is.
 */
EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	nc_libc_init();
	if (idle_send(fd, 0))
		return -1;
	if (nc_stream_marked_connected(fd))
		return stream_send(fd, buf, len, 0, true);
	if (nc_dgram_mode(fd) == NC_DG_NONE)
		return nc_libc.write(fd, buf, len);
	return sendto(fd, buf, len, 0, NULL, 0);
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = iovcnt > 0 ? (size_t)iovcnt : 0 };
	int saved = errno;
	ssize_t n;

	nc_libc_init();
	if (idle_send(fd, 0))
		return -1;
	if (nc_stream_marked_connected(fd) && iovcnt >= 0 && iovcnt <= IOV_MAX)
		return stream_sendmsg(fd, &m, 0, true);
	if (nc_dgram_mode(fd) == NC_DG_NONE)
		return nc_libc.writev(fd, iov, iovcnt);
	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return fail(EINVAL);
	n = nc_dgram_sendmsg(fd, &m, 0);
	if (n >= 0)
		errno = saved;
	return n;
}

/*
 * ioctl() - everything reaches the descriptor itself, except FIONREAD on a
 * listening socket, which the kernel refuses (ours would count the tokens).
 */
EXPORT int ioctl(int fd, IOCTL_REQ_T request, ...)
{
	struct sock_info info;
	va_list ap;
	void *arg;
	int saved = errno;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	nc_libc_init();
	if (request == FIONREAD && nc_dgram_mode(fd) != NC_DG_NONE) {
		if (!arg)
			return fail(EFAULT);
		if (nc_dgram_fionread(fd, arg))
			return -1;
		errno = saved;
		return 0;
	}
	if ((request == FIONREAD || request == SIOCOUTQ) && lookup(fd, &info) && info.listening)
		return fail(EINVAL);	/* a listener has no queues to measure */
	errno = saved;
	return nc_libc.ioctl(fd, request, arg);
}

/*
 * eof_result() - a read on a netcon socket returned end-of-file: if the peer
 * reset the connection, the kernel would say ECONNRESET first, once.
 */
static ssize_t eof_result(int fd, ssize_t n, size_t asked, int saved)
{
	struct sock_info info;
	int r;

	if (n != 0 || asked == 0 || !lookup(fd, &info) || info.listening) {
		errno = saved;
		return n;
	}
	r = pending_error(fd, &info);
	if (r)
		return fail(r);	/* the connection's error (a reset...), once */
	errno = saved;
	return 0;
}

/*
 * note_passed_fds() - descriptors that arrived by SCM_RIGHTS: a datagram
 * socket of ours among them must be tracked before its first read, which
 * would otherwise show the program our framing.
 */
static void note_passed_fds(const struct msghdr *msg)
{
	struct cmsghdr *c;
	struct sock_info info;

	for (c = CMSG_FIRSTHDR((struct msghdr *)msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		size_t i, n;
		int type, fd;
		socklen_t len;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			len = sizeof(type);
			if (nc_libc.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
			    type == SOCK_SEQPACKET)
				lookup(fd, &info);
		}
	}
}

/* dgram_recv() - one datagram into @buf through the datagram path. */
static ssize_t dgram_recv(int fd, void *buf, size_t len, int flags, struct sockaddr *addr,
			  socklen_t *addrlen)
{
	struct iovec v = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_name = addr, .msg_namelen = addr && addrlen ? *addrlen : 0,
			    .msg_iov = &v, .msg_iovlen = 1 };
	int saved = errno;
	ssize_t n;

	if (addr && !addrlen)
		return fail(EFAULT);
	if (!addr)
		m.msg_name = NULL;
	n = nc_dgram_recvmsg(fd, &m, flags);
	if (n < 0)
		return n;
	if (addr)
		*addrlen = m.msg_namelen;
	errno = saved;
	return n;
}

EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	int saved = errno;
	ssize_t n;

	nc_libc_init();
	if (idle_recv(fd))
		return -1;
	if (nc_dgram_mode(fd) != NC_DG_NONE)
		return dgram_recv(fd, buf, len, 0, NULL, NULL);
	n = nc_libc.read(fd, buf, len);
	if (n < 0)
		return stream_error(fd, errno);
	if (n == 0 && nc_dgram_mode(fd) != NC_DG_NONE)
		return 0;	/* a zero-length datagram */
	return n == 0 ? eof_result(fd, n, len, saved) : n;
}

#ifdef __GLIBC__	/* the __*_chk forms: glibc's fortified entry points */
EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		__builtin_trap();	/* what glibc's own check does, in effect */
	return read(fd, buf, len);
}
#endif

EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	int saved = errno;
	ssize_t n;

	nc_libc_init();
	if (idle_recv(fd))
		return -1;
	if (nc_dgram_mode(fd) != NC_DG_NONE)
		return dgram_recv(fd, buf, len, flags, NULL, NULL);
	n = nc_libc.recv(fd, buf, len, flags);
	if (n < 0)
		return stream_error(fd, errno);
	return n == 0 && !(flags & MSG_PEEK) ? eof_result(fd, n, len, saved) : n;
}

#ifdef __GLIBC__
EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	if (len > buflen)
		__builtin_trap();
	return recv(fd, buf, len, flags);
}
#endif

EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr,
			socklen_t *addrlen)
{
	int saved = errno;
	ssize_t n;

	nc_libc_init();
	if (idle_recv(fd))
		return -1;
	if (nc_dgram_mode(fd) != NC_DG_NONE)
		return dgram_recv(fd, buf, len, flags, addr, addrlen);
	n = nc_libc.recvfrom(fd, buf, len, flags, addr, addrlen);
	if (n < 0)
		return stream_error(fd, errno);
	return n == 0 && !(flags & MSG_PEEK) ? eof_result(fd, n, len, saved) : n;
}

#ifdef __GLIBC__
EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
			      struct sockaddr *addr, socklen_t *addrlen)
{
	if (len > buflen)
		__builtin_trap();
	return recvfrom(fd, buf, len, flags, addr, addrlen);
}
#endif

/* iov_total() - bytes a vector asks for (0 means end-of-file cannot be told). */
static size_t iov_total(const struct iovec *iov, int n)
{
	size_t total = 0;
	int i;

	for (i = 0; iov && i < n; i++)
		total += iov[i].iov_len;
	return total;
}

EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	int saved = errno;
	ssize_t n;

	nc_libc_init();
	if (idle_recv(fd))
		return -1;
	if (nc_dgram_mode(fd) != NC_DG_NONE) {
		struct msghdr m = { .msg_iov = (struct iovec *)iov,
				    .msg_iovlen = iovcnt > 0 ? (size_t)iovcnt : 0 };

		if (iovcnt < 0 || iovcnt > IOV_MAX)
			return fail(EINVAL);
		n = nc_dgram_recvmsg(fd, &m, 0);
		if (n >= 0)
			errno = saved;
		return n;
	}
	n = nc_libc.readv(fd, iov, iovcnt);
	if (n < 0)
		return stream_error(fd, errno);
	if (n == 0 && nc_dgram_mode(fd) != NC_DG_NONE)
		return 0;
	return n == 0 ? eof_result(fd, n, iov_total(iov, iovcnt), saved) : n;
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	int saved = errno;
	ssize_t n;

	nc_libc_init();
	if (idle_recv(fd))
		return -1;
	if (nc_dgram_mode(fd) != NC_DG_NONE) {
		n = nc_dgram_recvmsg(fd, msg, flags);
		if (n >= 0)
			errno = saved;
		return n;
	}
	n = nc_libc.recvmsg(fd, msg, flags);
	if (n < 0)
		return stream_error(fd, errno);
	if (n > 0 && msg && msg->msg_controllen)
		note_passed_fds(msg);
	if (n != 0 || !msg || (flags & MSG_PEEK))
		return n;
	return eof_result(fd, n, iov_total(msg->msg_iov, (int)msg->msg_iovlen), saved);
}

EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int n, MMSG_FLAGS_T flags,
		    struct timespec *timeout)
{
	int saved = errno, r;

	nc_libc_init();
	if (idle_recv(fd))
		return -1;
	if (nc_dgram_mode(fd) == NC_DG_NONE)
		return nc_libc.recvmmsg(fd, vec, n, flags, timeout);
	r = nc_dgram_recvmmsg(fd, vec, n, flags, timeout);
	if (r >= 0)
		errno = saved;
	return r;
}

/* close() and friends pass through; we only learn that an RPC descriptor is gone. */
EXPORT int close(int fd)
{
	nc_libc_init();
	nc_client_fd_closed(fd);
	nc_dgram_forget(fd);
	return nc_libc.close(fd);
}

#ifdef __GLIBC__	/* musl has no close_range(): its programs reach it through syscall() */
EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	nc_libc_init();
	if (!(flags & CLOSE_RANGE_CLOEXEC)) {
		nc_client_fds_closed(first, last);
		nc_dgram_forget_range(first, last);
	}
	if (!nc_libc.close_range)
		return (int)nc_libc.syscall(SYS_close_range, first, last, flags);
	return nc_libc.close_range(first, last, flags);
}
#endif

EXPORT int dup2(int oldfd, int newfd)
{
	int r;

	nc_libc_init();
	if (oldfd != newfd)
		nc_client_fd_closed(newfd);
	r = nc_libc.dup2(oldfd, newfd);
	if (r >= 0 && oldfd != newfd)
		nc_dgram_copy(oldfd, r);
	return r;
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	int r;

	nc_libc_init();
	if (oldfd != newfd)
		nc_client_fd_closed(newfd);
	r = nc_libc.dup3(oldfd, newfd, flags);
	if (r >= 0)
		nc_dgram_copy(oldfd, r);
	return r;
}

EXPORT int dup(int oldfd)
{
	int r;

	nc_libc_init();
	r = nc_libc.dup(oldfd);
	if (r >= 0)
		nc_dgram_copy(oldfd, r);
	return r;
}

/*
 * fcntl() - F_DUPFD and F_DUPFD_CLOEXEC copy a descriptor: a datagram
 * socket's copy is tracked like the original. The argument is an int or a
 * pointer depending on the command; passing it on as a long carries both.
 */
static int fcntl_common(int (*real)(int, int, ...), int fd, int cmd, long arg)
{
	int r = real(fd, cmd, arg);

	if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		nc_dgram_copy(fd, r);
	return r;
}

EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	nc_libc_init();
	return fcntl_common(nc_libc.fcntl, fd, cmd, arg);
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	nc_libc_init();
	return fcntl_common(nc_libc.fcntl64 ? nc_libc.fcntl64 : nc_libc.fcntl, fd, cmd, arg);
}

/*
 * syscall() - programs (libuv, Go-like runtimes in C) that make socket calls
 * through syscall() get the same treatment as through the C library.
 */
EXPORT long syscall(long number, ...)
{
	long a[6];
	va_list ap;
	int i;

	va_start(ap, number);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	nc_libc_init();
	switch (number) {
	case SYS_socket:
		return socket((int)a[0], (int)a[1], (int)a[2]);
	case SYS_bind:
		return bind((int)a[0], (const struct sockaddr *)a[1], (socklen_t)a[2]);
	case SYS_listen:
		return listen((int)a[0], (int)a[1]);
	case SYS_accept:
		return accept((int)a[0], (struct sockaddr *)a[1], (socklen_t *)a[2]);
	case SYS_accept4:
		return accept4((int)a[0], (struct sockaddr *)a[1], (socklen_t *)a[2], (int)a[3]);
	case SYS_connect:
		return connect((int)a[0], (const struct sockaddr *)a[1], (socklen_t)a[2]);
	case SYS_getsockname:
		return getsockname((int)a[0], (struct sockaddr *)a[1], (socklen_t *)a[2]);
	case SYS_getpeername:
		return getpeername((int)a[0], (struct sockaddr *)a[1], (socklen_t *)a[2]);
	case SYS_getsockopt:
		return getsockopt((int)a[0], (int)a[1], (int)a[2], (void *)a[3], (socklen_t *)a[4]);
	case SYS_setsockopt:
		return setsockopt((int)a[0], (int)a[1], (int)a[2], (const void *)a[3],
				  (socklen_t)a[4]);
	case SYS_shutdown:
		return shutdown((int)a[0], (int)a[1]);
	case SYS_close:
		return close((int)a[0]);
	case SYS_dup3:
		return dup3((int)a[0], (int)a[1], (int)a[2]);
	case SYS_close_range:
		nc_client_fds_closed((unsigned)a[0], (unsigned)a[1]);
		nc_dgram_forget_range((unsigned)a[0], (unsigned)a[1]);
		break;
	case SYS_sendto:
		return sendto((int)a[0], (const void *)a[1], (size_t)a[2], (int)a[3],
			      (const struct sockaddr *)a[4], (socklen_t)a[5]);
	case SYS_recvfrom:
		return recvfrom((int)a[0], (void *)a[1], (size_t)a[2], (int)a[3],
				(struct sockaddr *)a[4], (socklen_t *)a[5]);
	case SYS_sendmsg:
		return sendmsg((int)a[0], (const struct msghdr *)a[1], (int)a[2]);
	case SYS_recvmsg:
		return recvmsg((int)a[0], (struct msghdr *)a[1], (int)a[2]);
	case SYS_sendmmsg:
		return sendmmsg((int)a[0], (struct mmsghdr *)a[1], (unsigned)a[2], (int)a[3]);
	case SYS_recvmmsg:
		return recvmmsg((int)a[0], (struct mmsghdr *)a[1], (unsigned)a[2], (int)a[3],
				(struct timespec *)a[4]);
	}
	return nc_libc.syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
