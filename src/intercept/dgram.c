/*
 * dgram.c - libnetcon's datagram data path (see dgram.h and
 * src/common/dgram.h for the framing).
 *
 * What we keep per descriptor: its mode (a byte, read on every data call of
 * every descriptor, so it lives in a flat table), and, in pages allocated on
 * first use, its family, the peer it is connected to (what recvfrom reports
 * on a connected socket, whose datagrams carry no address) and which receive
 * options it turned on. Descriptor numbers above NC_DGRAM_FDS are not
 * tracked: their datagram calls pass through as Unix socket calls would.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>

#include "dgram.h"
#include "libc.h"
#include "../common/dgram.h"

#define PAGE_FDS	64
#define STACK_IOV	16

/* What a datagram socket needs beyond its mode. */
struct dgram_info {
	uint64_t id;
	uint8_t domain;
	uint8_t report;			/* NC_DGRAM_* bits the program asked for */
	uint8_t flags;			/* NC_DGF_* */
	uint8_t peerlen;
	uint8_t peer[NC_ADDR_MAX];
};

uint8_t nc_dgram_modes[NC_DGRAM_FDS];
static struct dgram_info *pages[NC_DGRAM_FDS / PAGE_FDS];
static pthread_mutex_t pages_lock = PTHREAD_MUTEX_INITIALIZER;

/* info_of() - @fd's record, allocating its page if @make; NULL if none. */
static struct dgram_info *info_of(int fd, bool make)
{
	struct dgram_info *page;
	unsigned p;

	if ((unsigned)fd >= NC_DGRAM_FDS)
		return NULL;
	p = (unsigned)fd / PAGE_FDS;
	page = __atomic_load_n(&pages[p], __ATOMIC_ACQUIRE);
	if (!page && make) {
		pthread_mutex_lock(&pages_lock);
		page = pages[p];
		if (!page) {
			page = calloc(PAGE_FDS, sizeof(*page));
			__atomic_store_n(&pages[p], page, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&pages_lock);
	}
	return page ? &page[(unsigned)fd % PAGE_FDS] : NULL;
}

void nc_dgram_track(int fd, uint64_t id, int domain, enum nc_dgram_mode mode,
		    const struct sockaddr *peer, socklen_t peerlen)
{
	struct dgram_info *info = info_of(fd, true);

	if (!info)
		return;
	if (info->id != id) {
		info->report = 0;
		info->flags = 0;
	}
	info->id = id;
	info->domain = (uint8_t)domain;
	info->peerlen = 0;
	if (peer && peerlen <= NC_ADDR_MAX) {
		memcpy(info->peer, peer, peerlen);
		info->peerlen = (uint8_t)peerlen;
	}
	__atomic_store_n(&nc_dgram_modes[fd], (uint8_t)mode, __ATOMIC_RELEASE);
}

void nc_stream_mark_idle(int fd, bool idle)
{
	if ((unsigned)fd >= NC_DGRAM_FDS)
		return;
	if (idle)
		__atomic_store_n(&nc_dgram_modes[fd], NC_ST_IDLE, __ATOMIC_RELEASE);
	else if (nc_stream_marked_idle(fd))
		__atomic_store_n(&nc_dgram_modes[fd], NC_DG_NONE, __ATOMIC_RELEASE);
}

void nc_stream_mark_connected(int fd, bool small)
{
	if ((unsigned)fd < NC_DGRAM_FDS)
		__atomic_store_n(&nc_dgram_modes[fd], small ? NC_ST_CONN_SMALL : NC_ST_CONN,
				 __ATOMIC_RELEASE);
}

void nc_dgram_forget(int fd)
{
	if ((unsigned)fd < NC_DGRAM_FDS && nc_dgram_modes[fd])
		__atomic_store_n(&nc_dgram_modes[fd], NC_DG_NONE, __ATOMIC_RELEASE);
}

void nc_dgram_forget_range(unsigned first, unsigned last)
{
	unsigned fd;

	if (last >= NC_DGRAM_FDS)
		last = NC_DGRAM_FDS - 1;
	for (fd = first; fd <= last; fd++)
		nc_dgram_forget((int)fd);
}

void nc_dgram_copy(int oldfd, int newfd)
{
	struct dgram_info *from = info_of(oldfd, false), *to;
	enum nc_dgram_mode mode = nc_dgram_mode(oldfd);

	nc_dgram_forget(newfd);
	if (nc_fd_mode(oldfd) >= NC_ST_IDLE) {
		if ((unsigned)newfd < NC_DGRAM_FDS)
			__atomic_store_n(&nc_dgram_modes[newfd], (uint8_t)nc_fd_mode(oldfd), __ATOMIC_RELEASE);
		return;
	}
	if (mode == NC_DG_NONE || !from)
		return;
	to = info_of(newfd, true);
	if (!to)
		return;
	*to = *from;
	__atomic_store_n(&nc_dgram_modes[newfd], (uint8_t)mode, __ATOMIC_RELEASE);
}

_Static_assert(sizeof(struct dgram_info) <= sizeof(((struct nc_dgram_state *)0)->blob),
	       "nc_dgram_state holds a record");

void nc_dgram_save(int fd, struct nc_dgram_state *state)
{
	struct dgram_info *info = info_of(fd, false);

	memset(state, 0, sizeof(*state));
	state->mode = (uint8_t)nc_fd_mode(fd);
	if (info && nc_dgram_mode(fd) != NC_DG_NONE)
		memcpy(state->blob, info, sizeof(*info));
}

void nc_dgram_restore(int fd, const struct nc_dgram_state *state)
{
	struct dgram_info *info;

	nc_dgram_forget(fd);
	if ((unsigned)fd >= NC_DGRAM_FDS || state->mode == NC_DG_NONE)
		return;
	if (state->mode < NC_ST_IDLE) {
		info = info_of(fd, true);
		if (!info)
			return;
		memcpy(info, state->blob, sizeof(*info));
	}
	__atomic_store_n(&nc_dgram_modes[fd], state->mode, __ATOMIC_RELEASE);
}

void nc_dgram_set_report(int fd, unsigned bits, bool on)
{
	struct dgram_info *info = info_of(fd, false);

	if (!info)
		return;
	if (on)
		info->report |= (uint8_t)bits;
	else
		info->report &= (uint8_t)~bits;
}

void nc_dgram_set_flag(int fd, unsigned flag, bool on)
{
	struct dgram_info *info = info_of(fd, false);

	if (!info)
		return;
	if (on)
		info->flags |= (uint8_t)flag;
	else
		info->flags &= (uint8_t)~flag;
}

int (*nc_dgram_autobind)(int fd);

/*
 * What the service's link reaches (from every datagram SOCKET reply): a
 * destination beyond it, with no gateway, is ENETUNREACH at once, as the
 * kernel says it, though the datagram itself would go without a round trip.
 */
static struct {
	bool known;
	uint32_t net4, mask4;		/* host order */
	bool gw4, gw6;
	uint8_t net6[16];
	unsigned prefix6;
} routes;

void nc_dgram_learn_routes(const void *a4, unsigned prefix4, const void *a6, unsigned prefix6,
			   unsigned gateways)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memcpy(&sin, a4, sizeof(sin));
	memcpy(&sin6, a6, sizeof(sin6));
	if (sin.sin_family != AF_INET || sin6.sin6_family != AF_INET6 || prefix4 > 32 ||
	    prefix6 > 128)
		return;
	routes.mask4 = prefix4 ? 0xffffffffu << (32 - prefix4) : 0;
	routes.net4 = ntohl(sin.sin_addr.s_addr) & routes.mask4;
	memcpy(routes.net6, &sin6.sin6_addr, 16);
	routes.prefix6 = prefix6;
	routes.gw4 = gateways & 1;
	routes.gw6 = (gateways & 2) != 0;
	routes.known = true;
}

/* reachable4() - does the stack have a route to @dst (network order)? */
static bool reachable4(uint32_t dst)
{
	uint32_t h = ntohl(dst);

	return !routes.known || routes.gw4 || h == 0 || (h >> 24) == 127 || (h >> 28) == 14 ||
	       h == 0xffffffffu || (h & routes.mask4) == routes.net4;
}

/* reachable6() - the same for IPv6 (an IPv4-mapped address: IPv4's). */
static bool reachable6(const uint8_t *a)
{
	static const uint8_t loop[16] = { [15] = 1 }, any[16];
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	unsigned bits = routes.prefix6, i;

	if (!memcmp(a, mapped, 12)) {
		uint32_t v4;

		memcpy(&v4, a + 12, 4);
		return reachable4(v4);
	}
	if (!routes.known || routes.gw6 || !memcmp(a, loop, 16) || !memcmp(a, any, 16) ||
	    a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
		return true;
	for (i = 0; i < bits / 8; i++)
		if (a[i] != routes.net6[i])
			return false;
	return !(bits % 8) || !((a[i] ^ routes.net6[i]) & (0xff << (8 - bits % 8)));
}

/*
 * failed() - a send that failed before reaching the service: Linux binds
 * the socket first (inet_sendmsg autobinds before any check), so its name
 * is ephemeral afterwards. Returns -1 with @err in errno.
 */
static ssize_t failed(int fd, struct dgram_info *info, int err)
{
	if (!(info->flags & NC_DGF_BOUND) && nc_dgram_autobind && nc_dgram_autobind(fd) == 0)
		info->flags |= NC_DGF_BOUND;
	errno = err;
	return -1;
}

/*
 * nc_dgram_max() - the largest payload towards @addr (NULL: the peer of a
 * connected socket, @info's) : IPv4's, or IPv6's (see NC_DGRAM_MAX6).
 */
static size_t dgram_max(const struct dgram_info *info, const void *addr)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	const uint8_t *a = addr ? addr : info->peer;
	sa_family_t family;

	if (info->domain == AF_INET)
		return NC_DGRAM_MAX4;
	memcpy(&family, a, sizeof(family));
	if (family == AF_INET ||
	    (family == AF_INET6 && !memcmp(a + offsetof(struct sockaddr_in6, sin6_addr), mapped, 12)))
		return NC_DGRAM_MAX4;
	return NC_DGRAM_MAX6;
}

size_t nc_dgram_max(int domain)
{
	return domain == AF_INET6 ? NC_DGRAM_MAX6 : NC_DGRAM_MAX4;
}

/* iov_bytes() - the payload a vector holds; SIZE_MAX if it overflows. */
static size_t iov_bytes(const struct iovec *iov, size_t n)
{
	size_t total = 0, i;

	for (i = 0; i < n; i++) {
		if (iov[i].iov_len > SIZE_MAX - total)
			return SIZE_MAX;
		total += iov[i].iov_len;
	}
	return total;
}

/*
 * dest_ok() - the checks the kernel makes on sendto's destination for a UDP
 * socket of @domain. Returns 0 and the length to carry, or -errno.
 */
static int dest_ok(const struct dgram_info *info, const void *addr, socklen_t len,
		   uint32_t *carry)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	int domain = info->domain;
	sa_family_t family;

	if ((int)len < (int)sizeof(sa_family_t))
		return -EINVAL;
	memcpy(&family, addr, sizeof(family));
	if (family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;

		memcpy(&sin, addr, sizeof(sin));
		if (domain == AF_INET6 && (info->flags & NC_DGF_V6ONLY))
			return -ENETUNREACH;
		if (sin.sin_port == 0 && !(info->flags & NC_DGF_ICMP))
			return -EINVAL;
		if (sin.sin_addr.s_addr == htonl(INADDR_BROADCAST) &&
		    !(info->flags & NC_DGF_BROADCAST))
			return -EACCES;
		if (!reachable4(sin.sin_addr.s_addr))
			return -ENETUNREACH;
		*carry = sizeof(struct sockaddr_in);
		return 0;
	}
	if (domain == AF_INET6 && family == AF_INET6 && len >= 24) {
		struct sockaddr_in6 sin6;

		memset(&sin6, 0, sizeof(sin6));
		memcpy(&sin6, addr, len < sizeof(sin6) ? len : sizeof(sin6));
		if (sin6.sin6_port == 0 && !(info->flags & NC_DGF_ICMP))
			return -EINVAL;
		if ((info->flags & NC_DGF_V6ONLY) && !memcmp(&sin6.sin6_addr, mapped, 12))
			return -ENETUNREACH;
		if (!reachable6(sin6.sin6_addr.s6_addr))
			return -ENETUNREACH;
		*carry = len >= sizeof(struct sockaddr_in6) ? sizeof(struct sockaddr_in6) : 24;
		return 0;
	}
	if (domain == AF_INET)
		return family == AF_INET ? -EINVAL : -EAFNOSUPPORT;
	return -EINVAL;	/* udpv6_sendmsg: any other family */
}

/*
 * with_header() - run @fn on a vector of @n entries with @first in front:
 * on the stack for the usual few entries, else on the heap.
 */
static ssize_t with_header(int fd, struct msghdr *m, const struct iovec *iov, size_t n,
			   void *hdr, int flags, bool send)
{
	struct iovec local[STACK_IOV], *v = local;
	ssize_t r;
	int saved;

	if (n >= IOV_MAX)
		return (errno = EMSGSIZE, -1);
	if (n + 1 > STACK_IOV) {
		v = malloc((n + 1) * sizeof(*v));
		if (!v)
			return (errno = ENOBUFS, -1);
	}
	v[0].iov_base = hdr;
	v[0].iov_len = sizeof(struct nc_dgram_hdr);
	if (n)
		memcpy(&v[1], iov, n * sizeof(*v));
	m->msg_iov = v;
	m->msg_iovlen = n + 1;
	r = send ? nc_libc.sendmsg(fd, m, flags) : nc_libc.recvmsg(fd, m, flags);
	saved = errno;
	if (v != local)
		free(v);
	errno = saved;
	return r;
}

/* header_for() - the header that carries @carry bytes of destination @addr. */
static void header_for(struct nc_dgram_hdr *hdr, const void *addr, uint32_t carry)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->magic = NC_DGRAM_MAGIC;
	hdr->addrlen = carry == 24 ? sizeof(struct sockaddr_in6) : carry;	/* scope id 0 */
	memcpy(hdr->addr, addr, carry);
}

/*
 * send_marked() - a connected socket's datagram to another address: framed,
 * and marked as such by a descriptor riding along (the socket's own; the
 * service closes it at once), since bare payloads are the rule on it.
 */
static ssize_t send_marked(int fd, const struct msghdr *msg, uint32_t carry, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct nc_dgram_hdr hdr;
	struct msghdr m;
	struct cmsghdr *c;
	ssize_t r;

	header_for(&hdr, msg->msg_name, carry);
	memset(&m, 0, sizeof(m));
	memset(&control, 0, sizeof(control));
	m.msg_control = control.buf;
	m.msg_controllen = sizeof(control.buf);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	r = with_header(fd, &m, msg->msg_iov, msg->msg_iovlen, &hdr, flags, true);
	if (r < 0)
		return r;
	return r - (ssize_t)sizeof(hdr);
}

/*
 * nc_dgram_sendmsg() - send one datagram. Framed: the destination is
 * required and travels in the header. Connected: the payload alone; a
 * destination other than the peer is refused (see the README's limits).
 */
ssize_t nc_dgram_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct dgram_info *info = info_of(fd, false);
	struct nc_dgram_hdr hdr;
	struct msghdr m;
	size_t len;
	uint32_t carry;
	ssize_t r;
	int e;

	if (!info)
		return nc_libc.sendmsg(fd, msg, flags);
	if (!msg || (msg->msg_iovlen && !msg->msg_iov))
		return (errno = EFAULT, -1);
	if (flags & MSG_OOB)
		return (errno = EOPNOTSUPP, -1);
	len = iov_bytes(msg->msg_iov, msg->msg_iovlen);
	if (len > NC_DGRAM_MAX4 ||
	    (len > NC_DGRAM_MAX6 && info->domain == AF_INET6 &&
	     ((msg->msg_name && msg->msg_namelen >= 24) || (!msg->msg_name && info->peerlen)) &&
	     dgram_max(info, msg->msg_name) < len))
		return failed(fd, info, EMSGSIZE);
	memset(&m, 0, sizeof(m));
	flags &= MSG_DONTWAIT | MSG_NOSIGNAL;
	flags |= MSG_NOSIGNAL;	/* a lost service is not the program's EPIPE */
	if (nc_dgram_mode(fd) == NC_DG_PLAIN) {
		if (msg->msg_name && msg->msg_namelen) {
			e = dest_ok(info, msg->msg_name, msg->msg_namelen, &carry);
			if (e)
				return failed(fd, info, -e);
			if (carry != info->peerlen || memcmp(msg->msg_name, info->peer, carry))
				return send_marked(fd, msg, carry, flags);
		}
		m.msg_iov = msg->msg_iov;
		m.msg_iovlen = msg->msg_iovlen;
		r = nc_libc.sendmsg(fd, &m, flags);
		return r < 0 && errno == EMSGSIZE ? (errno = ENOBUFS, -1) : r;
	}
	if (!msg->msg_name || !msg->msg_namelen)
		return failed(fd, info, EDESTADDRREQ);
	e = dest_ok(info, msg->msg_name, msg->msg_namelen, &carry);
	if (e)
		return failed(fd, info, -e);
	header_for(&hdr, msg->msg_name, carry);
	r = with_header(fd, &m, msg->msg_iov, msg->msg_iovlen, &hdr, flags, true);
	if (r < 0)
		return r;
	info->flags |= NC_DGF_BOUND;	/* the service binds it, if need be, before sending */
	return r - (ssize_t)sizeof(hdr);
}

/* put_cmsg() - append one control message to @msg if it fits, as the kernel does. */
static void put_cmsg(struct msghdr *msg, size_t *used, int level, int type, const void *data,
		     size_t len)
{
	struct cmsghdr *c;
	size_t space = CMSG_SPACE(len);

	if (!msg->msg_control || *used + CMSG_LEN(len) > msg->msg_controllen) {
		msg->msg_flags |= MSG_CTRUNC;
		return;
	}
	c = (struct cmsghdr *)((char *)msg->msg_control + *used);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), data, len);
	*used += space > msg->msg_controllen - *used ? msg->msg_controllen - *used : space;
}

/* report_cmsgs() - IP_PKTINFO, IP_TTL, IP_TOS (and IPv6's) from the header. */
static void report_cmsgs(const struct dgram_info *info, const struct nc_dgram_hdr *hdr,
			 struct msghdr *msg)
{
	size_t used = 0;
	unsigned bits = hdr->info & info->report;
	bool v4 = hdr->addrlen == sizeof(struct sockaddr_in);

	if (v4) {
		if (bits & NC_DGRAM_TOS)
			put_cmsg(msg, &used, IPPROTO_IP, IP_TOS, &hdr->tos, 1);
		if (bits & NC_DGRAM_TTL) {
			int ttl = hdr->ttl;

			put_cmsg(msg, &used, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
		}
		if (bits & NC_DGRAM_PKTINFO) {
			struct in_pktinfo pi;

			memset(&pi, 0, sizeof(pi));
			pi.ipi_ifindex = (int)hdr->ifindex;
			memcpy(&pi.ipi_spec_dst, hdr->dst, 4);
			memcpy(&pi.ipi_addr, hdr->dst, 4);
			put_cmsg(msg, &used, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
		}
	} else {
		if (bits & NC_DGRAM_TOS) {
			int tclass = hdr->tos;

			put_cmsg(msg, &used, IPPROTO_IPV6, IPV6_TCLASS, &tclass, sizeof(tclass));
		}
		if (bits & NC_DGRAM_TTL) {
			int hops = hdr->ttl;

			put_cmsg(msg, &used, IPPROTO_IPV6, IPV6_HOPLIMIT, &hops, sizeof(hops));
		}
		if (bits & NC_DGRAM_PKTINFO) {
			struct in6_pktinfo pi;

			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi6_addr, hdr->dst, 16);
			pi.ipi6_ifindex = hdr->ifindex;
			put_cmsg(msg, &used, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
		}
	}
	msg->msg_controllen = used;
}

/* give_name() - the source address, copied as the kernel copies one. */
static void give_name(struct msghdr *msg, const void *addr, uint32_t len)
{
	if (!msg->msg_name) {
		msg->msg_namelen = 0;
		return;
	}
	memcpy(msg->msg_name, addr, msg->msg_namelen < len ? msg->msg_namelen : len);
	msg->msg_namelen = len;
}

/*
 * marked_record() - a connected socket received a record with a descriptor
 * attached: the service's error report (an ICMP port unreachable). Close
 * the descriptor; the header, read into the program's buffer, is not data:
 * read it again from there into ours. Peeked, it stays queued and is
 * reported again, as a pending error is.
 */
static ssize_t marked_record(int fd, struct msghdr *m, int flags)
{
	struct nc_dgram_hdr hdr;
	struct cmsghdr *c;
	size_t got;
	int e;

	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		size_t i, k;
		int dfd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			memcpy(&dfd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			nc_libc.close(dfd);
		}
	}
	memset(&hdr, 0, sizeof(hdr));
	got = 0;
	for (size_t i = 0; i < (size_t)m->msg_iovlen && got < sizeof(hdr); i++) {	/* musl: an int */
		size_t take = m->msg_iov[i].iov_len;

		if (take > sizeof(hdr) - got)
			take = sizeof(hdr) - got;
		memcpy((char *)&hdr + got, m->msg_iov[i].iov_base, take);
		got += take;
	}
	(void)fd;
	(void)flags;
	e = hdr.magic == NC_DGRAM_MAGIC && hdr.error ? hdr.error : ECONNREFUSED;
	errno = e;
	return -1;
}

/*
 * shut_read_result() - a receive after shutdown(SHUT_RD) found nothing: the
 * kernel answers a blocking call 0 at once and a non-blocking one EAGAIN
 * (our end of the socketpair says end-of-file either way).
 */
static ssize_t shut_read_result(int fd, int flags)
{
	int fl;

	if (flags & MSG_DONTWAIT)
		return (errno = EAGAIN, -1);
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		return (errno = EAGAIN, -1);
	return 0;
}

/*
 * nc_dgram_recvmsg() - receive one datagram: the header (framed) lands in a
 * buffer of ours in front of the program's vector, so the payload is read in
 * place with one system call.
 */
ssize_t nc_dgram_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct dgram_info *info = info_of(fd, false);
	struct nc_dgram_hdr hdr;
	struct msghdr m;
	ssize_t r;

	if (!info)
		return nc_libc.recvmsg(fd, msg, flags);
	if (!msg || (msg->msg_iovlen && !msg->msg_iov))
		return (errno = EFAULT, -1);
	if (flags & MSG_OOB)
		return (errno = EOPNOTSUPP, -1);
	if (flags & MSG_ERRQUEUE)
		return (errno = EAGAIN, -1);	/* no error queue (IP_RECVERR) yet */
	memset(&m, 0, sizeof(m));
	flags &= MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC | MSG_WAITALL | MSG_CMSG_CLOEXEC;
	flags &= ~MSG_WAITALL;	/* means nothing on a datagram socket */
	if (nc_dgram_mode(fd) == NC_DG_PLAIN) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * 2)];
			struct cmsghdr align;
		} control;

		m.msg_iov = msg->msg_iov;
		m.msg_iovlen = msg->msg_iovlen;
		m.msg_control = control.buf;
		m.msg_controllen = sizeof(control.buf);
		r = nc_libc.recvmsg(fd, &m, flags | MSG_CMSG_CLOEXEC);
		if (r < 0)
			return r;
		if (r == 0 && (info->flags & NC_DGF_RDSHUT))
			return shut_read_result(fd, flags);
		if (m.msg_controllen || (m.msg_flags & MSG_CTRUNC))
			return marked_record(fd, &m, flags);
		msg->msg_flags = m.msg_flags & MSG_TRUNC;
		give_name(msg, info->peer, info->peerlen);
		msg->msg_controllen = 0;
		return r;
	}
	for (;;) {
		r = with_header(fd, &m, msg->msg_iov, msg->msg_iovlen, &hdr, flags | MSG_TRUNC,
				false);
		if (r == 0 && !(info->flags & NC_DGF_RDSHUT))
			return (errno = ENETDOWN, -1);	/* a framed record is never empty: the service is gone */
		if (r == 0)
			return shut_read_result(fd, flags);
		if (r < 0)
			return r;
		if ((size_t)r >= sizeof(hdr) && hdr.magic == NC_DGRAM_MAGIC &&
		    (hdr.addrlen == sizeof(struct sockaddr_in) ||
		     hdr.addrlen == sizeof(struct sockaddr_in6)))
			break;
		if (flags & MSG_PEEK)
			return (errno = EPROTO, -1);	/* a message not framed: never ours to skip */
		/* not a framed datagram (the socket was just reconnected): skip it */
	}
	r -= (ssize_t)sizeof(hdr);
	msg->msg_flags = m.msg_flags & MSG_TRUNC;
	give_name(msg, hdr.addr, hdr.addrlen);
	report_cmsgs(info, &hdr, msg);
	if (!(flags & MSG_TRUNC) && (m.msg_flags & MSG_TRUNC)) {
		size_t room = iov_bytes(msg->msg_iov, msg->msg_iovlen);

		if ((size_t)r > room)
			r = (ssize_t)room;
	}
	return r;
}

int nc_dgram_sendmmsg(int fd, struct mmsghdr *vec, unsigned n, int flags)
{
	unsigned i;
	ssize_t r;

	if (n > UIO_MAXIOV)
		n = UIO_MAXIOV;
	for (i = 0; i < n; i++) {
		r = nc_dgram_sendmsg(fd, &vec[i].msg_hdr, flags);
		if (r < 0)
			return i ? (int)i : -1;
		vec[i].msg_len = (unsigned)r;
	}
	return (int)i;
}

/*
 * nc_dgram_recvmmsg() - up to @n datagrams; MSG_WAITFORONE waits for the
 * first only. @timeout is checked between datagrams, as the kernel does.
 */
int nc_dgram_recvmmsg(int fd, struct mmsghdr *vec, unsigned n, int flags, struct timespec *timeout)
{
	unsigned i;
	ssize_t r;
	int f = flags & ~MSG_WAITFORONE;

	(void)timeout;
	if (n > UIO_MAXIOV)
		n = UIO_MAXIOV;
	for (i = 0; i < n; i++) {
		r = nc_dgram_recvmsg(fd, &vec[i].msg_hdr, f);
		if (r < 0) {
			if (i && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				break;
			return i ? (int)i : -1;
		}
		vec[i].msg_len = (unsigned)r;
		if (flags & MSG_WAITFORONE)
			f |= MSG_DONTWAIT;
	}
	return (int)i;
}

/*
 * nc_dgram_fionread() - FIONREAD: the next datagram's size. A SEQPACKET
 * socket's own answer is the sum of all queued, so peek at the next one.
 */
int nc_dgram_fionread(int fd, int *value)
{
	struct nc_dgram_hdr hdr;
	ssize_t n;
	int saved = errno;

	n = nc_libc.recv(fd, &hdr, sizeof(hdr), MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		n = 0;
	}
	if (nc_dgram_mode(fd) == NC_DG_FRAMED)
		n = n >= (ssize_t)sizeof(hdr) ? n - (ssize_t)sizeof(hdr) : 0;
	*value = (int)n;
	errno = saved;
	return 0;
}
