/*
 * intercept.c - libnetcon's socket calls, caught by preloading: the C
 * library's entry points, wrapped.
 *
 * AF_INET and AF_INET6 sockets are created by the service: the program gets
 * one end of a Unix socketpair, and from then on stream data calls (read,
 * write, send, recv, poll, epoll, sendfile, splice...) go straight to that
 * descriptor. The control calls are done by ops.c (shared with the seccomp
 * supervisor); the wrappers here pass a call that is not on a netcon socket
 * to the C library, give back what the kernel would (the same return values,
 * the same errno, and errno untouched on success), and add what only a
 * preload can: the datagram framing on every receive, a stream's errors and
 * end-of-file as the kernel reports them, descriptor bookkeeping.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
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
#include "ops.h"
#include "../common/dgram.h"
#include "../common/fdpass.h"
#include "../common/rpc.h"

#define EXPORT __attribute__((visibility("default")))

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
/*
 * adopt_inherited() - datagram sockets of ours that came across exec: their
 * framing must be known before the program's first read. Only Unix
 * SEQPACKET sockets (what our datagram sockets are) cost a question.
 */
static void adopt_inherited(void)
{
	struct nc_sock_info info;
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
		nc_sock_lookup(fd, &info);
	}
	closedir(dir);
}

__attribute__((constructor)) static void libnetcon_init(void)
{
	nc_ops_init();
	nc_client_connect_early();
	adopt_inherited();
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

/* ---------------------------------------------------------------- calls -- */

EXPORT int socket(int domain, int type, int protocol)
{
	int saved = errno, r;

	nc_libc_init();
	if (!nc_op_socket_is_ours(domain, type, protocol))
		return nc_libc.socket(domain, type, protocol);
	r = nc_op_socket(domain, type, protocol);
	if (r == -ENETDOWN && nc_client_cfg.fallback_kernel) {
		errno = saved;
		return nc_libc.socket(domain, type, protocol);
	}
	return result(r, saved);
}

EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	int saved = errno;
	struct nc_sock_info info;

	nc_libc_init();
	if (!nc_sock_lookup(fd, &info)) {
		errno = saved;
		return nc_libc.bind(fd, addr, len);
	}
	return result(nc_op_bind(fd, &info, addr, len), saved);
}

EXPORT int listen(int fd, int backlog)
{
	int saved = errno;
	struct nc_sock_info info;

	nc_libc_init();
	if (!nc_sock_lookup(fd, &info)) {
		errno = saved;
		return nc_libc.listen(fd, backlog);
	}
	return result(nc_op_listen(fd, &info, backlog), saved);
}

EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
	struct nc_sock_info info;
	int saved = errno;

	nc_libc_init();
	if (!nc_sock_lookup(fd, &info)) {
		errno = saved;
		return nc_libc.accept4(fd, addr, addrlen, flags);
	}
	if (flags & NC_ACCEPT_DONTWAIT)
		return fail(EINVAL);	/* ours alone: the program cannot ask for it */
	return result(nc_op_accept(fd, &info, addr, addrlen, flags), saved);
}

EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	struct nc_sock_info info;
	int saved = errno;

	nc_libc_init();
	if (!nc_sock_lookup(fd, &info)) {
		errno = saved;
		return nc_libc.accept(fd, addr, addrlen);
	}
	return result(nc_op_accept(fd, &info, addr, addrlen, 0), saved);
}

EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int saved = errno;
	struct nc_sock_info info;

	nc_libc_init();
	if (!nc_sock_lookup(fd, &info)) {
		errno = saved;
		return nc_libc.connect(fd, addr, len);
	}
	return result(nc_op_connect(fd, &info, addr, len), saved);
}

static int name_call(enum nc_op op, int fd, struct sockaddr *addr, socklen_t *addrlen,
		     int (*real)(int, struct sockaddr *, socklen_t *))
{
	int saved = errno;
	struct nc_sock_info info;

	nc_libc_init();
	if (!nc_sock_lookup(fd, &info)) {
		errno = saved;
		return real(fd, addr, addrlen);
	}
	return result(nc_op_name(op, fd, &info, addr, addrlen), saved);
}

EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	return name_call(NC_OP_GETSOCKNAME, fd, addr, addrlen, nc_libc.getsockname);
}

EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	return name_call(NC_OP_GETPEERNAME, fd, addr, addrlen, nc_libc.getpeername);
}

/*
 * stream_error() - a receive on a netcon stream socket failed with
 * ECONNRESET: that is the Unix socket's flag for a connection the service
 * ended with an error (tcp.c's conn_failed()); the error itself, reported
 * once as the kernel does, is the service's. Other errors pass as they are.
 */
static ssize_t stream_error(int fd, int err)
{
	struct nc_sock_info info;
	int r;

	if (err != ECONNRESET || !nc_sock_lookup(fd, &info) || info.type != SOCK_STREAM)
		return fail(err);
	r = nc_op_pending_error(fd, &info);
	return r ? fail(r) : 0;	/* no error left (read already, or forgotten): end-of-file */
}

EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int saved = errno;
	struct nc_sock_info info;

	nc_libc_init();
	if (!nc_sock_lookup(fd, &info) || nc_op_on_real_fd(level, name)) {
		errno = saved;
		return nc_libc.getsockopt(fd, level, name, val, len);
	}
	return result(nc_op_getsockopt(fd, &info, level, name, val, len), saved);
}

EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int saved = errno;
	struct nc_sock_info info;

	nc_libc_init();
	if (!nc_sock_lookup(fd, &info) || nc_op_on_real_fd(level, name)) {
		errno = saved;
		return nc_libc.setsockopt(fd, level, name, val, len);
	}
	return result(nc_op_setsockopt(fd, &info, level, name, val, len), saved);
}

EXPORT int shutdown(int fd, int how)
{
	int saved = errno;
	struct nc_sock_info info;

	nc_libc_init();
	if (!nc_sock_lookup(fd, &info)) {
		errno = saved;
		return nc_libc.shutdown(fd, how);
	}
	return result(nc_op_shutdown(fd, &info, how), saved);
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
	struct nc_sock_info info;
	int r;

	if (nc_sock_lookup(fd, &info) && info.type == SOCK_STREAM && (r = nc_op_pending_error(fd, &info))) {
		nc_sock_clear_error(fd);
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
	struct nc_sock_info info;
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
	if (addr && nc_sock_lookup(fd, &info)) {
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
	struct nc_sock_info info;
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
	if (msg && msg->msg_name && nc_sock_lookup(fd, &info)) {
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
	struct nc_sock_info info;
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
	if ((request == FIONREAD || request == SIOCOUTQ) && nc_sock_lookup(fd, &info) && info.listening)
		return fail(EINVAL);	/* a listener has no queues to measure */
	errno = saved;
	return nc_libc.ioctl(fd, request, arg);
}

/*
 * stream_hung_up() - may the service have ended the connection @fd with an
 * error? It shuts both directions of its end then (tcp.c's conn_failed(),
 * rx_flush()), or closes it, which shows here as POLLHUP; after a plain FIN
 * it shuts only its sending side. POLLHUP also shows after the program's own
 * shutdown(SHUT_WR): the service is asked then, as for any doubt. Asking
 * only then spares a round trip per end-of-file.
 */
static bool stream_hung_up(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = 0 };
	int n = poll(&pfd, 1, 0);

	return n < 0 || (n == 1 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)));
}

/*
 * eof_result() - a read on a netcon socket returned end-of-file: if the peer
 * reset the connection, the kernel would say ECONNRESET first, once.
 */
static ssize_t eof_result(int fd, ssize_t n, size_t asked, int saved)
{
	struct nc_sock_info info;
	int r;

	if (n != 0 || asked == 0 || !nc_sock_lookup(fd, &info) || info.listening ||
	    (info.type == SOCK_STREAM && !stream_hung_up(fd))) {
		errno = saved;
		return n;
	}
	r = nc_op_pending_error(fd, &info);
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
	struct nc_sock_info info;

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
				nc_sock_lookup(fd, &info);
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
