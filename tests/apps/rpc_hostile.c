/*
 * rpc_hostile.c SOCKET [GROUP...] - hostile clients on netcon-service's RPC
 * socket, speaking the protocol of src/common/rpc.h.
 *
 * Every constant, size, offset and operation number comes from rpc.h (and
 * rpc.c, included below for its codec), so the test follows the protocol as
 * it changes instead of being rejected at the version check. The cases run in
 * numbered groups; each case is counted, each outcome is compared with what
 * the protocol says (a reply, and its result where one is defined, or a
 * hangup), and every mismatch is printed. The run ends with
 * "cases run: N of M" and exits non-zero if a case did not run or did not
 * end as expected. Every receive is bounded (SO_RCVTIMEO, poll timeouts): a
 * case that gets no answer in time is a mismatch, never a hang.
 *
 * Group 13 (the SO_REUSEPORT hijack) needs root: a child drops to `nobody`
 * and the socket's group (start the service with --group, e.g. nogroup).
 *
 * SEED=N repeats the random parts of a run; GROUP arguments run only those.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The codec itself (init, check): this program links nothing else. */
#include "../../src/common/rpc.c"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define TIMEOUT_MS	3000		/* longest wait for any one answer */
#define MANY_FDS	200		/* descriptors on one message (SCM_MAX_FD is 253) */
#define RECV_FDS	8		/* descriptors one reply may bring, at most */
#define REQ_SIZE	sizeof(struct nc_request)
#define REP_SIZE	sizeof(struct nc_reply)
#define MAX_PRINTED	300		/* mismatch lines printed before going quiet */

static const char *svc_path;
static unsigned cases_run, mismatches, group_run, group_bad;
static uint32_t seq_next;
static uint64_t rng;
static int devnull = -1;

/* ------------------------------------------------------------- helpers -- */

/* rnd() - the next pseudo-random number (xorshift64*), repeatable with SEED. */
static uint32_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

/* pick() - one of @n choices, uniformly. */
static unsigned pick(unsigned n)
{
	return rnd() % n;
}

/* fill_random() - @len random bytes at @buf. */
static void fill_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)rnd();
}

/* spoil_magic() - make sure @buf (@len bytes) does not begin with the magic. */
static void spoil_magic(uint8_t *buf, size_t len)
{
	uint16_t magic;

	if (len < sizeof(magic))
		return;
	memcpy(&magic, buf, sizeof(magic));
	if (magic == NC_RPC_MAGIC)
		buf[0] ^= 1;
}

/*
 * verdict() - record one case that ran. When @ok is false it is a mismatch
 * and @fmt says what was sent and what came back; the run will fail.
 */
static void verdict(bool ok, const char *fmt, ...)
{
	va_list ap;

	cases_run++;
	group_run++;
	if (ok)
		return;
	mismatches++;
	group_bad++;
	if (mismatches > MAX_PRINTED) {
		if (mismatches == MAX_PRINTED + 1)
			printf("  (more mismatches not printed)\n");
		return;
	}
	printf("  MISMATCH ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* note() - a line about why a case could not run (it then counts as not run). */
static void note(const char *fmt, ...)
{
	va_list ap;

	printf("  NOT RUN ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* bound_io() - bound every send and receive on @fd to @ms milliseconds. */
static void bound_io(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/*
 * connect_to() - a new RPC connection to the service at @path, with bounded
 * I/O (the send timeout also bounds connect() on a full backlog); -1 and
 * errno on failure.
 */
static int connect_to(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	bound_io(fd, TIMEOUT_MS);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* rpc_connect() - connect_to() the service under test, saying why it failed. */
static int rpc_connect(const char *what)
{
	int fd = connect_to(svc_path);

	if (fd < 0)
		note("%s: cannot connect to %s: %s", what, svc_path, strerror(errno));
	return fd;
}

/* send_msg() - one message, @nfds descriptors attached as one SCM_RIGHTS. */
static ssize_t send_msg(int c, const void *buf, size_t len, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MANY_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (nfds > MANY_FDS) {
		errno = EINVAL;
		return -1;
	}
	if (nfds > 0) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	}
	return sendmsg(c, &msg, MSG_NOSIGNAL);
}

enum outcome { GOT_REPLY, GOT_HANGUP, GOT_TIMEOUT, GOT_ERROR };

/* What the service did with a message: the answer, if any. */
struct answer {
	enum outcome what;
	int err;			/* errno for GOT_ERROR */
	size_t len;			/* the real length of the reply */
	union {
		struct nc_reply rep;
		uint8_t raw[REP_SIZE + 64];
	} u;
	int fd[RECV_FDS];
	int nfds;
	bool ctrunc;
};

/* drop_fds() - close the descriptors an answer brought. */
static void drop_fds(struct answer *a)
{
	int i;

	for (i = 0; i < a->nfds; i++)
		close(a->fd[i]);
	a->nfds = 0;
}

/* receive() - wait (bounded by SO_RCVTIMEO) for one message on @c. */
static void receive(int c, struct answer *a)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * RECV_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = a->u.raw, .iov_len = sizeof(a->u.raw) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	memset(&a->u, 0, sizeof(a->u));
	a->nfds = 0;
	a->len = 0;
	a->ctrunc = false;
	n = recvmsg(c, &msg, MSG_TRUNC | MSG_CMSG_CLOEXEC);
	if (n < 0) {
		a->err = errno;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			a->what = GOT_TIMEOUT;
		else if (errno == ECONNRESET || errno == EPIPE)
			a->what = GOT_HANGUP;
		else
			a->what = GOT_ERROR;
		return;
	}
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t i, count;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < count && a->nfds < RECV_FDS; i++)
			memcpy(&a->fd[a->nfds++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
	}
	a->ctrunc = (msg.msg_flags & MSG_CTRUNC) != 0;
	a->len = (size_t)n;
	/* A zero-length message is how SOCK_SEQPACKET says end-of-file. */
	a->what = n == 0 ? GOT_HANGUP : GOT_REPLY;
}

/*
 * call() - send @len bytes of @msg with @nfds descriptors on @c and wait for
 * the answer. A send refused because the peer is gone counts as a hangup.
 */
static void call(int c, const void *msg, size_t len, const int *fds, int nfds,
		 struct answer *a)
{
	ssize_t n = send_msg(c, msg, len, fds, nfds);

	if (n != (ssize_t)len) {
		a->nfds = 0;
		a->err = n < 0 ? errno : EMSGSIZE;
		a->what = (a->err == EPIPE || a->err == ECONNRESET) ? GOT_HANGUP :
			  (a->err == EAGAIN ? GOT_TIMEOUT : GOT_ERROR);
		return;
	}
	receive(c, a);
}

/*
 * describe() - what an answer was, for a mismatch line; checks a reply
 * against @req (size, magic, version, op, seq, lengths).
 */
static const char *describe(const struct answer *a, const struct nc_request *req)
{
	static char buf[200];
	const char *why = "";

	switch (a->what) {
	case GOT_HANGUP:
		return "hangup";
	case GOT_TIMEOUT:
		snprintf(buf, sizeof(buf), "no answer within %d ms", TIMEOUT_MS);
		return buf;
	case GOT_ERROR:
		snprintf(buf, sizeof(buf), "error %s", strerror(a->err));
		return buf;
	case GOT_REPLY:
		break;
	}
	if (req && nc_rpc_check_reply(a->u.raw, a->len, req, &why)) {
		snprintf(buf, sizeof(buf), "an invalid reply (%zu bytes: %s)", a->len, why);
		return buf;
	}
	snprintf(buf, sizeof(buf), "reply result %d%s%s%s, %d descriptor(s)", a->u.rep.result,
		 a->u.rep.result < 0 ? " (" : "",
		 a->u.rep.result < 0 ? strerror(-a->u.rep.result) : "",
		 a->u.rep.result < 0 ? ")" : "", a->nfds);
	return buf;
}

/* is_reply() - a valid reply to @req, whatever its result. */
static bool is_reply(const struct answer *a, const struct nc_request *req)
{
	const char *why;

	return a->what == GOT_REPLY && !nc_rpc_check_reply(a->u.raw, a->len, req, &why);
}

/* is_result() - a valid reply to @req with result @want and no descriptor. */
static bool is_result(const struct answer *a, const struct nc_request *req, int want)
{
	return is_reply(a, req) && a->u.rep.result == want && a->nfds == 0;
}

/* request() - a well-formed, zeroed request of @op on @sock, numbered. */
static struct nc_request request(enum nc_op op, uint64_t sock)
{
	struct nc_request r;

	nc_rpc_init_request(&r, op, sock);
	r.seq = ++seq_next;
	return r;
}

/* set_addr4() - the request's address: AF_INET @ip:@port. */
static void set_addr4(struct nc_request *r, const char *ip, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, ip, &sin.sin_addr);
	_Static_assert(sizeof(sin) <= NC_ADDR_MAX, "sockaddr_in fits");
	memcpy(r->addr, &sin, sizeof(sin));
	r->addrlen = sizeof(sin);
}

/* set_addr6() - the request's address: AF_INET6 [@ip]:@port. */
static void set_addr6(struct nc_request *r, const char *ip, uint16_t port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	inet_pton(AF_INET6, ip, &sin6.sin6_addr);
	_Static_assert(sizeof(sin6) <= NC_ADDR_MAX, "sockaddr_in6 fits");
	memcpy(r->addr, &sin6, sizeof(sin6));
	r->addrlen = sizeof(sin6);
}

/* set_opt() - a SETSOCKOPT's level, name and value. */
static void set_opt(struct nc_request *r, int level, int name, const void *val, size_t len)
{
	r->arg[0] = level;
	r->arg[1] = name;
	memcpy(r->opt, val, len);
	r->optlen = (uint32_t)len;
}

/* names_socket() - does @op name a socket, and so carry its descriptor? */
static bool names_socket(unsigned op)
{
	return nc_rpc_op_names_socket(op);
}

/*
 * well_formed() - a request of @op on @sock that the codec accepts and that
 * would take effect on a fresh socket held by its caller.
 */
static struct nc_request well_formed(enum nc_op op, uint64_t sock)
{
	struct nc_request r = request(op, sock);
	int one = 1;

	switch (op) {
	case NC_OP_BIND: set_addr4(&r, "127.0.0.1", 0); break;
	case NC_OP_LISTEN: r.arg[0] = 8; break;
	case NC_OP_CONNECT: set_addr4(&r, "127.0.0.1", 1); r.arg[0] = 1; break;
	case NC_OP_GETSOCKOPT:
		r.arg[0] = SOL_SOCKET;
		r.arg[1] = SO_ERROR;
		r.arg[2] = sizeof(int);
		break;
	case NC_OP_SETSOCKOPT: set_opt(&r, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)); break;
	case NC_OP_SHUTDOWN: r.arg[0] = SHUT_RDWR; break;
	case NC_OP_SOCKET: r.arg[0] = AF_INET; r.arg[1] = SOCK_STREAM; break;
	default: break;
	}
	return r;
}

/* A socket the service made for us: its id and our descriptor. */
struct held {
	uint64_t id;
	int fd;
	int domain;
};

/* inode_of() - the inode of @fd (what the protocol names a socket by), or 0. */
static uint64_t inode_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (uint64_t)st.st_ino;
}

/*
 * new_socket() - SOCKET on @c; true with the socket in @h when the reply
 * says 0 and carries one descriptor whose inode is the id it names.
 */
static bool new_socket(int c, int domain, struct held *h, const char *what)
{
	struct nc_request r = request(NC_OP_SOCKET, 0);
	struct answer a;

	r.arg[0] = domain;
	r.arg[1] = SOCK_STREAM;
	call(c, &r, sizeof(r), NULL, 0, &a);
	if (is_reply(&a, &r) && a.u.rep.result == 0 && a.nfds == 1 &&
	    inode_of(a.fd[0]) == a.u.rep.sock && a.u.rep.sock != 0) {
		h->id = a.u.rep.sock;
		h->fd = a.fd[0];
		h->domain = domain;
		return true;
	}
	note("%s: SOCKET(%d) answered with %s", what, domain, describe(&a, &r));
	drop_fds(&a);
	return false;
}

/* op_on() - send @r carrying @fd (none if -1) on @c; answer in @a. */
static void op_on(int c, struct nc_request *r, int fd, struct answer *a)
{
	call(c, r, sizeof(*r), &fd, fd >= 0 ? 1 : 0, a);
}

/* status_ok() - does @c still answer a STATUS (result 0)? */
static bool status_ok(int c)
{
	struct nc_request r = request(NC_OP_STATUS, 0);
	struct answer a;

	call(c, &r, sizeof(r), NULL, 0, &a);
	drop_fds(&a);
	return is_result(&a, &r, 0);
}

/* port_of() - the port of the address in a reply (0 if none). */
static uint16_t port_of(const struct nc_reply *rep)
{
	struct sockaddr_in sin;

	if (rep->addrlen < sizeof(sin))
		return 0;
	memcpy(&sin, rep->addr, sizeof(sin));
	return ntohs(sin.sin_port);
}

/* expect_hangup() - a fresh connection sends @msg (with @fds); the service must hang up. */
static void expect_hangup(const char *what, const void *msg, size_t len, const int *fds,
			  int nfds)
{
	struct answer a;
	int c = rpc_connect(what);

	if (c < 0)
		return;
	call(c, msg, len, fds, nfds, &a);
	verdict(a.what == GOT_HANGUP, "%s (%zu bytes, %d descriptor(s)): expected a hangup, got %s",
		what, len, nfds, describe(&a, len == REQ_SIZE ? msg : NULL));
	drop_fds(&a);
	close(c);
}

/* ------------------------------------------------------------- groups -- */

/* Group 1: random garbage of many sizes, one connection each: hangups. */
static const size_t garbage_sizes[] = {
	0, 1, 2, 3, 4, 7, 8, 15, 16, 63, 64, 100, 255, 256,
	REQ_SIZE - 2, REQ_SIZE - 1, REQ_SIZE, REQ_SIZE + 1, REP_SIZE - 1, REP_SIZE,
	512, 1024, 4096, 65000,
};
#define GARBAGE_REPEAT 3

/* group_garbage() - random bytes (never the magic) of every size above. */
static void group_garbage(void)
{
	static uint8_t buf[65000];
	char what[64];
	size_t i;
	int k;

	for (i = 0; i < ARRAY_SIZE(garbage_sizes); i++) {
		for (k = 0; k < GARBAGE_REPEAT; k++) {
			size_t n = garbage_sizes[i];

			fill_random(buf, n);
			spoil_magic(buf, n);
			snprintf(what, sizeof(what), "random %zu bytes", n);
			expect_hangup(what, buf, n, NULL, 0);
		}
	}
}

/* Group 2: a valid STATUS cut short at each field, and with bytes beyond its size. */
static const size_t truncated_at[] = {
	1, offsetof(struct nc_request, version), offsetof(struct nc_request, op),
	offsetof(struct nc_request, seq), offsetof(struct nc_request, sock),
	offsetof(struct nc_request, arg), offsetof(struct nc_request, addrlen),
	offsetof(struct nc_request, addr), offsetof(struct nc_request, optlen),
	offsetof(struct nc_request, opt), REQ_SIZE - 1,
};
static const size_t oversize_by[] = { 1, 8, REP_SIZE - REQ_SIZE, 100, 4000 };

/* group_sizes() - every wrong size of an otherwise valid request: hangups. */
static void group_sizes(void)
{
	static uint8_t buf[REQ_SIZE + 4000];
	struct nc_request r = request(NC_OP_STATUS, 0);
	char what[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(truncated_at); i++) {
		snprintf(what, sizeof(what), "STATUS truncated to %zu bytes", truncated_at[i]);
		expect_hangup(what, &r, truncated_at[i], NULL, 0);
	}
	for (i = 0; i < ARRAY_SIZE(oversize_by); i++) {
		memcpy(buf, &r, sizeof(r));
		fill_random(buf + sizeof(r), oversize_by[i]);
		snprintf(what, sizeof(what), "STATUS oversize by %zu bytes", oversize_by[i]);
		expect_hangup(what, buf, sizeof(r) + oversize_by[i], NULL, 0);
	}
}

/* Group 3: a malformed request and what is wrong with it. */
struct bad {
	char what[80];
	struct nc_request r;
};
#define MAX_BAD 64

/*
 * build_bad() - requests of the right size with one field wrong: op,
 * version, magic, a socket where none belongs or none where one does,
 * addresses and option values whose lengths lie. Fills @out (may be NULL to
 * count) and returns how many.
 */
static unsigned build_bad(struct bad *out)
{
	static const unsigned bad_ops[] = { 0, NC_OP_MAX_, NC_OP_MAX_ + 1, 100, 255 };
	static const unsigned bad_versions[] = { 0, NC_RPC_VERSION - 1, NC_RPC_VERSION + 1, 255 };
	static const unsigned bad_magics[] = {
		0, ((NC_RPC_MAGIC & 0xff) << 8) | (NC_RPC_MAGIC >> 8), NC_RPC_MAGIC ^ 1, 0xffff,
	};
	static const uint32_t bad_addrlens[] = {
		1, sizeof(sa_family_t), sizeof(struct sockaddr_in) - 1,
		sizeof(struct sockaddr_in) + 1, sizeof(struct sockaddr_in6) - 1,
		NC_ADDR_MAX + 1, 1000, UINT32_MAX,
	};
	static const uint32_t bad_optlens[] = { NC_OPT_MAX + 1, 0x10000, UINT32_MAX };
	struct bad tmp[MAX_BAD], *b = out ? out : tmp;
	unsigned n = 0, i;
	sa_family_t fam;
	int one = 1;

#define BAD(r_, ...) do { \
		if (n < MAX_BAD) { \
			b[n].r = (r_); \
			snprintf(b[n].what, sizeof(b[n].what), __VA_ARGS__); \
		} \
		n++; \
	} while (0)

	for (i = 0; i < ARRAY_SIZE(bad_ops); i++) {
		struct nc_request r = request(NC_OP_STATUS, 0);

		r.op = (uint8_t)bad_ops[i];
		BAD(r, "op %u", bad_ops[i]);
	}
	for (i = 0; i < ARRAY_SIZE(bad_versions); i++) {
		struct nc_request r = request(NC_OP_STATUS, 0);

		r.version = (uint8_t)bad_versions[i];
		BAD(r, "STATUS with version %u", bad_versions[i]);
	}
	for (i = 0; i < ARRAY_SIZE(bad_magics); i++) {
		struct nc_request r = request(NC_OP_STATUS, 0);

		r.magic = (uint16_t)bad_magics[i];
		BAD(r, "STATUS with magic %#x", bad_magics[i]);
	}
	BAD(request(NC_OP_STATUS, 1), "STATUS naming socket 1");
	{
		struct nc_request r = well_formed(NC_OP_SOCKET, 1);

		BAD(r, "SOCKET naming socket 1");
	}
	BAD(request(NC_OP_NEWCONN, 1), "NEWCONN naming socket 1");
	BAD(request(NC_OP_BIND, 1), "BIND without an address");
	BAD(well_formed(NC_OP_BIND, 0), "BIND naming no socket");
	BAD(well_formed(NC_OP_CONNECT, 0), "CONNECT naming no socket");
	BAD(request(NC_OP_GETSOCKNAME, 0), "GETSOCKNAME naming no socket");
	BAD(request(NC_OP_IDENTIFY, 0), "IDENTIFY naming no socket");
	for (i = 0; i < ARRAY_SIZE(bad_addrlens); i++) {
		struct nc_request r = well_formed(NC_OP_BIND, 1);

		r.addrlen = bad_addrlens[i];
		BAD(r, "BIND with addrlen %u", bad_addrlens[i]);
	}
	{
		struct nc_request r = well_formed(NC_OP_BIND, 1);

		fam = AF_INET6;
		memcpy(r.addr, &fam, sizeof(fam));
		BAD(r, "BIND, AF_INET6 family with an AF_INET length");
		r = well_formed(NC_OP_BIND, 1);
		set_addr6(&r, "::1", 1);
		fam = AF_INET;
		memcpy(r.addr, &fam, sizeof(fam));
		BAD(r, "BIND, AF_INET family with an AF_INET6 length");
		r = well_formed(NC_OP_BIND, 1);
		fam = AF_UNIX;
		memcpy(r.addr, &fam, sizeof(fam));
		BAD(r, "BIND, AF_UNIX family");
	}
	for (i = 0; i < ARRAY_SIZE(bad_optlens); i++) {
		struct nc_request r = well_formed(NC_OP_SETSOCKOPT, 1);

		r.optlen = bad_optlens[i];
		BAD(r, "SETSOCKOPT with optlen %u", bad_optlens[i]);
	}
	{
		struct nc_request r = well_formed(NC_OP_GETSOCKOPT, 1);

		memcpy(r.opt, &one, sizeof(one));
		r.optlen = sizeof(one);
		BAD(r, "GETSOCKOPT carrying an option value");
		r = well_formed(NC_OP_BIND, 1);
		memcpy(r.opt, &one, sizeof(one));
		r.optlen = sizeof(one);
		BAD(r, "BIND carrying an option value");
		r = well_formed(NC_OP_CONNECT, 1);
		r.arg[2] = 2;
		BAD(r, "CONNECT asking for spare 2");
		r.arg[2] = -1;
		BAD(r, "CONNECT asking for spare -1");
	}
	{
		/* Names: the name must be one NUL-terminated string, the family known. */
		struct nc_request r = request(NC_OP_RESOLVE, 0);

		memcpy(r.opt, "alpha", 5);
		r.optlen = 5;
		BAD(r, "RESOLVE with a name lacking its NUL");
		memcpy(r.opt, "a\0b\0", 4);
		r.optlen = 4;
		BAD(r, "RESOLVE with a NUL inside the name");
		r.opt[0] = '\0';
		r.optlen = 1;
		BAD(r, "RESOLVE with an empty name");
		memcpy(r.opt, "alpha", 6);
		r.optlen = 6;
		r.arg[0] = 99;
		BAD(r, "RESOLVE for family 99");
		r.arg[0] = AF_INET;
		r.sock = 1;
		BAD(r, "RESOLVE naming socket 1");
		BAD(request(NC_OP_RESOLVE_ADDR, 0), "RESOLVE_ADDR without an address");
		r = request(NC_OP_RESOLVE_ADDR, 0);
		set_addr4(&r, "198.18.0.1", 0);
		memcpy(r.opt, "x", 2);
		r.optlen = 2;
		BAD(r, "RESOLVE_ADDR carrying an option value");
	}
#undef BAD
	return n;
}

/* group_fields() - each malformed request of build_bad(): hangups. */
static void group_fields(void)
{
	static struct bad list[MAX_BAD];
	unsigned n = build_bad(list), i;

	if (n > MAX_BAD) {
		note("build_bad() has %u cases, room for %u", n, MAX_BAD);
		n = MAX_BAD;
	}
	for (i = 0; i < n; i++)
		expect_hangup(list[i].what, &list[i].r, sizeof(list[i].r), NULL, 0);
}

/* Group 4: descriptors where none is allowed, and more than one. */
#define FD_CASES 12

/*
 * group_descriptors() - STATUS, SOCKET and NEWCONN carrying one, garbage
 * carrying some, and requests on a real socket carrying two, three or 200
 * (its own among them): each is malformed, the service hangs up. Then the
 * socket is still new: none of them took effect.
 */
static void group_descriptors(void)
{
	static int many[MANY_FDS];
	struct nc_request r;
	struct held s;
	struct answer a;
	uint8_t junk[REQ_SIZE];
	int keep, pair[2], fds[3], i;

	keep = rpc_connect("descriptors");
	if (keep < 0)
		return;
	if (!new_socket(keep, AF_INET, &s, "descriptors")) {
		close(keep);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair)) {
		note("descriptors: socketpair: %s", strerror(errno));
		close(keep);
		close(s.fd);
		return;
	}
	for (i = 0; i < MANY_FDS; i++)
		many[i] = devnull;

	r = request(NC_OP_STATUS, 0);
	expect_hangup("STATUS carrying /dev/null", &r, sizeof(r), &devnull, 1);
	expect_hangup("STATUS carrying a socket of ours", &r, sizeof(r), &s.fd, 1);
	r = well_formed(NC_OP_SOCKET, 0);
	expect_hangup("SOCKET carrying a socketpair end", &r, sizeof(r), &pair[0], 1);
	r = request(NC_OP_NEWCONN, 0);
	expect_hangup("NEWCONN carrying /dev/null", &r, sizeof(r), &devnull, 1);
	fill_random(junk, sizeof(junk));
	spoil_magic(junk, sizeof(junk));
	expect_hangup("request-sized garbage carrying /dev/null", junk, sizeof(junk), &devnull, 1);
	expect_hangup("10 bytes of garbage carrying 3 descriptors", junk, 10, many, 3);
	r = well_formed(NC_OP_GETSOCKNAME, s.id);
	fds[0] = fds[1] = s.fd;
	expect_hangup("GETSOCKNAME carrying its socket twice", &r, sizeof(r), fds, 2);
	fds[1] = devnull;
	expect_hangup("GETSOCKNAME carrying its socket and /dev/null", &r, sizeof(r), fds, 2);
	r = well_formed(NC_OP_CONNECT, s.id);
	fds[0] = devnull;
	fds[1] = s.fd;
	fds[2] = devnull;
	expect_hangup("CONNECT carrying 3 descriptors, its socket among them", &r, sizeof(r), fds, 3);
	expect_hangup("CONNECT carrying 200 descriptors", &r, sizeof(r), many, MANY_FDS);
	r = well_formed(NC_OP_LISTEN, s.id);
	many[MANY_FDS / 2] = s.fd;
	expect_hangup("LISTEN carrying 200 descriptors, its socket among them", &r, sizeof(r),
		      many, MANY_FDS);

	/* None of it took effect: the socket is neither listening nor connecting. */
	r = request(NC_OP_IDENTIFY, s.id);
	op_on(keep, &r, s.fd, &a);
	verdict(is_result(&a, &r, 0) && a.u.rep.arg[2] == 0,
		"IDENTIFY of the socket after the malformed requests: expected result 0, "
		"not listening; got %s, listening %d", describe(&a, &r), a.u.rep.arg[2]);
	drop_fds(&a);
	close(pair[0]);
	close(pair[1]);
	close(s.fd);
	close(keep);
}

/* Group 5: well-formed requests naming sockets the service does not know. */
#define UNKNOWN_VARIANTS 8
#define NAMED_OPS (NC_OP_MAX_ - 7)	/* all ops but SOCKET, STATUS, NEWCONN, RESOLVE(_ADDR), PORTS; 0 is none */

/*
 * unknown_case() - @r sent on *@c with @fd (or none): a reply with @want,
 * and the connection still answers; a dead connection is replaced.
 */
static void unknown_case(int *c, struct nc_request *r, int fd, int want, const char *what)
{
	struct answer a;
	bool usable;

	op_on(*c, r, fd, &a);
	usable = a.what == GOT_REPLY && status_ok(*c);
	verdict(is_result(&a, r, want) && usable,
		"%s %s: expected result %d (%s) and a usable connection; got %s%s",
		nc_rpc_op_name(r->op), what, want, strerror(-want), describe(&a, r),
		usable ? "" : ", connection unusable");
	drop_fds(&a);
	if (!usable) {
		close(*c);
		*c = rpc_connect("unknown sockets");
	}
}

/*
 * group_unknown() - every op that names a socket, on ids the service does not
 * know: with the matching descriptor (our own socketpair end) the answer is
 * -EBADF (IDENTIFY: -ENOENT); with no descriptor, or one that is not that
 * socket, -EBADF; the connection stays usable.
 */
static void group_unknown(void)
{
	static const uint64_t ids[] = { 1, 1ull << 63, UINT64_MAX };
	int c, pair[2], pipefd[2];
	unsigned op, i;

	c = rpc_connect("unknown sockets");
	if (c < 0)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) || pipe(pipefd)) {
		note("unknown sockets: socketpair/pipe: %s", strerror(errno));
		close(c);
		return;
	}
	for (op = 1; op < NC_OP_MAX_ && c >= 0; op++) {
		struct nc_request r;
		char what[96];

		if (!names_socket(op))
			continue;
		r = well_formed(op, inode_of(pair[0]));
		unknown_case(&c, &r, pair[0], op == NC_OP_IDENTIFY ? -ENOENT : -EBADF,
			     "on our own socketpair end, carrying it");
		for (i = 0; i < ARRAY_SIZE(ids) && c >= 0; i++) {
			r = well_formed(op, ids[i]);
			snprintf(what, sizeof(what), "on id %#llx, no descriptor",
				 (unsigned long long)ids[i]);
			unknown_case(&c, &r, -1, -EBADF, what);
		}
		if (c < 0)
			break;
		r = well_formed(op, inode_of(pair[0]));
		unknown_case(&c, &r, -1, -EBADF, "on our socketpair end's id, no descriptor");
		if (c < 0)
			break;
		r = well_formed(op, inode_of(devnull));
		unknown_case(&c, &r, devnull, -EBADF, "on /dev/null's inode, carrying /dev/null");
		if (c < 0)
			break;
		r = well_formed(op, inode_of(pipefd[0]));
		unknown_case(&c, &r, pipefd[0], -EBADF, "on a pipe's inode, carrying the pipe");
		if (c < 0)
			break;
		r = well_formed(op, inode_of(pair[1]));
		unknown_case(&c, &r, pair[0], -EBADF,
			     "on one socketpair end's id, carrying the other end");
	}
	close(pair[0]);
	close(pair[1]);
	close(pipefd[0]);
	close(pipefd[1]);
	if (c >= 0)
		close(c);
}

/* Group 6: non-blocking connects to destinations that refuse at once. */
#define REFUSING 4

/*
 * wait_connect_failed() - poll our end of a connecting socket until the
 * service lets it go (writable or hung up), within TIMEOUT_MS.
 */
static bool wait_connect_failed(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	return poll(&p, 1, TIMEOUT_MS) == 1 && (p.revents & (POLLOUT | POLLHUP | POLLERR));
}

/*
 * group_refused() - SOCKET, then CONNECT carrying the socket's own
 * descriptor to a closed port on this host: -EINPROGRESS (or -ECONNREFUSED
 * at once), then the socket settles and SO_ERROR says ECONNREFUSED.
 */
static void group_refused(void)
{
	static const struct { int domain; bool six; const char *ip; } dst[REFUSING] = {
		{ AF_INET, false, "127.0.0.1" }, { AF_INET6, true, "::1" },
		{ AF_INET6, true, "::ffff:127.0.0.1" }, { AF_INET, false, "0.0.0.0" },
	};
	unsigned i;
	int c = rpc_connect("refused connects");

	if (c < 0)
		return;
	for (i = 0; i < REFUSING; i++) {
		struct nc_request r;
		struct answer a;
		struct held s;
		int res, err = -1;

		if (!new_socket(c, dst[i].domain, &s, "refused connects"))
			continue;
		r = request(NC_OP_CONNECT, s.id);
		if (dst[i].six)
			set_addr6(&r, dst[i].ip, 1);
		else
			set_addr4(&r, dst[i].ip, 1);
		r.arg[0] = 1;
		op_on(c, &r, s.fd, &a);
		res = a.u.rep.result;
		verdict(is_reply(&a, &r) && a.nfds == 0 &&
			(res == -EINPROGRESS || res == -ECONNREFUSED),
			"non-blocking CONNECT to %s port 1, carrying its socket: expected "
			"-EINPROGRESS or -ECONNREFUSED, got %s", dst[i].ip, describe(&a, &r));
		drop_fds(&a);
		if (is_reply(&a, &r) && res == -EINPROGRESS) {
			bool settled = wait_connect_failed(s.fd);

			r = request(NC_OP_GETSOCKOPT, s.id);
			r.arg[0] = SOL_SOCKET;
			r.arg[1] = SO_ERROR;
			r.arg[2] = sizeof(int);
			op_on(c, &r, s.fd, &a);
			if (is_result(&a, &r, 0) && a.u.rep.optlen == sizeof(err))
				memcpy(&err, a.u.rep.opt, sizeof(err));
			verdict(settled && err == ECONNREFUSED,
				"CONNECT to %s port 1 then SO_ERROR: expected the fd to settle "
				"and ECONNREFUSED; settled %d, got %s, value %d",
				dst[i].ip, settled, describe(&a, &r), err);
			drop_fds(&a);
		} else {
			verdict(is_reply(&a, &r), "CONNECT to %s: no reply to settle", dst[i].ip);
		}
		close(s.fd);
		if (a.what != GOT_REPLY) {
			/* A dead connection is replaced, so the next cases still run. */
			close(c);
			c = rpc_connect("refused connects");
			if (c < 0)
				return;
		}
	}
	close(c);
}

/* Group 7: random requests on real sockets, with the right descriptor or not. */
#define FUZZ_ROUNDS 20
#define FUZZ_STEPS 150
#define FUZZ_HELD 32

/*
 * fuzz_addr() - a random address: a connect only to destinations that fail
 * at once (closed loopback ports, networks off the link), so no connection
 * stays in progress after the round; a bind anywhere, on ports nothing
 * connects to.
 */
static void fuzz_addr(struct nc_request *r, bool connect)
{
	static const char *const v4[] = {
		"0.0.0.0", "127.0.0.1", "10.1.2.3", "255.255.255.255", "224.0.0.1",
	};
	static const char *const v6[] = {
		"::", "::1", "::ffff:127.0.0.1", "fe80::1", "ff02::1", "2001:db8::1",
	};
	static const uint16_t bind_ports[] = { 0, 80, 8001, 65535 };
	static const uint16_t connect_ports[] = { 1, 7, 9 };
	uint16_t port;
	unsigned k;

	if (connect) {
		port = pick(2) ? connect_ports[pick(ARRAY_SIZE(connect_ports))] :
		       (uint16_t)(30000 + pick(2000));
		k = pick(4);
		if (k == 0)
			set_addr4(r, "127.0.0.1", port);
		else if (k == 1)
			set_addr6(r, "::1", port);
		else if (k == 2)
			set_addr4(r, "10.1.2.3", port);	/* off the link, no gateway */
		else
			set_addr6(r, "::ffff:127.0.0.1", port);
		return;
	}
	port = pick(2) ? bind_ports[pick(ARRAY_SIZE(bind_ports))] : (uint16_t)(20000 + pick(2000));
	if (pick(2))
		set_addr4(r, v4[pick(ARRAY_SIZE(v4))], port);
	else
		set_addr6(r, v6[pick(ARRAY_SIZE(v6))], port);
}

/* fuzz_request() - a random well-formed request of @op on @sock. */
static struct nc_request fuzz_request(unsigned op, uint64_t sock)
{
	static const int levels[] = { SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP, IPPROTO_IPV6, -1, 255 };
	static const int names[] = {
		SO_ERROR, SO_REUSEPORT, SO_REUSEADDR, SO_LINGER, SO_KEEPALIVE, SO_RCVBUF,
		TCP_NODELAY, TCP_INFO, TCP_MAXSEG, TCP_CONGESTION, IPV6_V6ONLY, 0, 9999,
	};
	static const int args[] = { 0, 1, 2, 6, 41, -1, 255, INT32_MAX, INT32_MIN };
	static const size_t optlens[] = { 0, 1, sizeof(int), 8, 16, 104, NC_OPT_MAX };
	struct nc_request r = request(op, sock);
	int i;

	for (i = 0; i < 3; i++)
		r.arg[i] = pick(4) ? args[pick(ARRAY_SIZE(args))] : (int32_t)rnd();
	switch (op) {
	case NC_OP_BIND:
		fuzz_addr(&r, false);
		break;
	case NC_OP_CONNECT:
		fuzz_addr(&r, true);
		r.arg[0] = 1;		/* non-blocking: a blocking one waits for the outcome */
		r.arg[2] = (int32_t)pick(2);
		break;
	case NC_OP_GETSOCKOPT:
	case NC_OP_SETSOCKOPT:
		r.arg[0] = levels[pick(ARRAY_SIZE(levels))];
		r.arg[1] = names[pick(ARRAY_SIZE(names))];
		if (op == NC_OP_SETSOCKOPT) {
			r.optlen = (uint32_t)optlens[pick(ARRAY_SIZE(optlens))];
			fill_random(r.opt, r.optlen);
		}
		break;
	default:
		if (!pick(4))
			fuzz_addr(&r, false);	/* an address the op ignores */
		break;
	}
	return r;
}

/*
 * wrong_fd() - a descriptor that is not socket @self: none, another socket of
 * ours, /dev/null, a pipe or a socketpair end the service does not know.
 */
static int wrong_fd(const struct held *mine, unsigned n, unsigned self, int pipe_fd,
		    int plain_fd, const char **what)
{
	unsigned k;

	switch (pick(5)) {
	case 0: *what = "no descriptor"; return -1;
	case 1:
		if (n > 1) {
			k = (self + 1 + pick(n - 1)) % n;
			*what = "another socket's descriptor";
			return mine[k].fd;
		}
		/* fall through */
	case 2: *what = "/dev/null"; return devnull;
	case 3: *what = "a pipe"; return pipe_fd;
	default: *what = "a socketpair end"; return plain_fd;
	}
}

/* fuzz_socket_step() - a random SOCKET; a valid one must give a socket, others none. */
static void fuzz_socket_step(int c, struct held *mine, unsigned *n)
{
	static const int domains[] = { AF_INET, AF_INET6, AF_INET, AF_INET6, AF_UNIX, 0, 99 };
	static const int types[] = {
		SOCK_STREAM, SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, 0,
		SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	};
	struct nc_request r = request(NC_OP_SOCKET, 0);
	struct answer a;
	bool valid;

	r.arg[0] = domains[pick(ARRAY_SIZE(domains))];
	r.arg[1] = types[pick(ARRAY_SIZE(types))];
	valid = (r.arg[0] == AF_INET || r.arg[0] == AF_INET6) && (r.arg[1] == SOCK_STREAM || r.arg[1] == SOCK_DGRAM);
	call(c, &r, sizeof(r), NULL, 0, &a);
	if (valid) {
		bool ok = is_reply(&a, &r) && a.u.rep.result == 0 && a.nfds == 1 && inode_of(a.fd[0]) == a.u.rep.sock;

		verdict(ok, "fuzz SOCKET(%d, %d): expected a socket, got %s", r.arg[0], r.arg[1],
			describe(&a, &r));
		if (ok) {
			mine[*n].id = a.u.rep.sock;
			mine[*n].fd = a.fd[0];
			mine[*n].domain = r.arg[0];
			(*n)++;
			return;
		}
	} else {
		verdict(is_reply(&a, &r) && a.u.rep.result < 0 && a.nfds == 0,
			"fuzz SOCKET(%d, %#x): expected an error and no descriptor, got %s",
			r.arg[0], r.arg[1], describe(&a, &r));
	}
	drop_fds(&a);
}

/*
 * group_fuzz() - rounds of random requests, each on a connection of its own,
 * on sockets the service made for us. Carrying the socket's own descriptor,
 * every request gets a valid reply (never -EBADF); carrying a wrong one or
 * none, exactly -EBADF. A connection that dies or goes silent is a mismatch
 * and is replaced: the sockets stay ours, whatever connection asks.
 */
static void group_fuzz(void)
{
	struct held mine[FUZZ_HELD];
	unsigned round, step, n, i, own_ok = 0, own_err = 0, wrong = 0;
	int c, pipefd[2], pair[2];

	if (pipe(pipefd) || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair)) {
		note("fuzz: pipe/socketpair: %s", strerror(errno));
		return;
	}
	for (round = 0; round < FUZZ_ROUNDS; round++) {
		c = rpc_connect("fuzz");
		n = 0;
		for (step = 0; step < FUZZ_STEPS && c >= 0; step++) {
			struct nc_request r;
			struct answer a;
			const char *what = "its own descriptor";
			unsigned k, op;
			int fd;
			bool right, ok;

			if (n == 0 || (n < FUZZ_HELD && pick(10) == 0)) {
				fuzz_socket_step(c, mine, &n);
				continue;
			}
			k = pick(n);
			do
				op = 1 + pick(NC_OP_MAX_ - 1);
			while (!names_socket(op));
			r = fuzz_request(op, mine[k].id);
			right = pick(5) != 0;
			fd = right ? mine[k].fd : wrong_fd(mine, n, k, pipefd[0], pair[0], &what);
			op_on(c, &r, fd, &a);
			if (is_reply(&a, &r)) {
				if (!right)
					wrong++;
				else if (a.u.rep.result >= 0)
					own_ok++;
				else
					own_err++;
			}
			if (right)
				ok = is_reply(&a, &r) && a.u.rep.result != -EBADF &&
				     (a.nfds == 0 || (op == NC_OP_CONNECT && r.arg[2] == 1 &&
						      a.nfds == 1));
			else
				ok = is_result(&a, &r, -EBADF);
			verdict(ok, "fuzz %s(args %d %d %d, addrlen %u, optlen %u) carrying %s: "
				"expected %s, got %s", nc_rpc_op_name(op), r.arg[0], r.arg[1],
				r.arg[2], r.addrlen, r.optlen, what,
				right ? "a reply other than -EBADF" : "result -EBADF",
				describe(&a, &r));
			drop_fds(&a);
			if (a.what != GOT_REPLY) {
				close(c);
				c = rpc_connect("fuzz");
			}
		}
		/* Steps a dead service left undone are not run. */
		for (i = 0; i < n; i++)
			close(mine[i].fd);
		if (c >= 0)
			close(c);
	}
	printf("  carrying their own descriptor: %u succeeded, %u failed (not EBADF); "
	       "carrying another or none: %u answered\n", own_ok, own_err, wrong);
	close(pipefd[0]);
	close(pipefd[1]);
	close(pair[0]);
	close(pair[1]);
}

/* Group 14: names (RESOLVE, RESOLVE_ADDR), answered later by the service. */
#define NAMES_CASES 6

/* resolve_req() - a RESOLVE of @name for @family. */
static struct nc_request resolve_req(const char *name, int family)
{
	struct nc_request r = request(NC_OP_RESOLVE, 0);
	size_t n = strlen(name) + 1;

	memcpy(r.opt, name, n);
	r.optlen = (uint32_t)n;
	r.arg[0] = family;
	return r;
}

/*
 * group_names() - the service's own address named (RESOLVE_ADDR) and that
 * name resolved back to it; a name that exists nowhere (-ENOENT) and names
 * no DNS could carry (-ENOENT at once); a client that leaves with its
 * lookups pending, and one sending lookups without reading replies
 * (bounded per client): afterwards the service still answers.
 */
static void group_names(void)
{
	struct nc_request r = request(NC_OP_STATUS, 0);
	struct nc_resolve_answer ans;
	struct nc_status st;
	struct answer a;
	char name[NC_OPT_MAX] = "", big[300];
	int c = rpc_connect("names"), i;
	bool found = false;

	if (c < 0)
		return;
	op_on(c, &r, -1, &a);
	if (!is_result(&a, &r, 0) || a.u.rep.optlen != sizeof(st)) {
		note("names: STATUS answered with %s", describe(&a, &r));
		close(c);
		return;
	}
	memcpy(&st, a.u.rep.opt, sizeof(st));
	r = request(NC_OP_RESOLVE_ADDR, 0);
	{
		struct sockaddr_in sin = { .sin_family = AF_INET };

		sin.sin_addr.s_addr = st.ip4;
		memcpy(r.addr, &sin, sizeof(sin));
		r.addrlen = sizeof(sin);
	}
	op_on(c, &r, -1, &a);
	if (is_result(&a, &r, 0) && a.u.rep.optlen >= 2 && a.u.rep.optlen <= NC_OPT_MAX &&
	    a.u.rep.opt[a.u.rep.optlen - 1] == '\0' && strlen((char *)a.u.rep.opt) + 1 == a.u.rep.optlen)
		memcpy(name, a.u.rep.opt, a.u.rep.optlen);
	verdict(name[0] != '\0', "RESOLVE_ADDR of the service's own address: expected its name, got %s",
		describe(&a, &r));
	if (name[0]) {
		r = resolve_req(name, AF_INET);
		op_on(c, &r, -1, &a);
		if (is_result(&a, &r, 0) && a.u.rep.optlen == sizeof(ans)) {
			memcpy(&ans, a.u.rep.opt, sizeof(ans));
			found = ans.n4 >= 1 && !memcmp(ans.ip4[0], &st.ip4, 4);
		}
		verdict(found, "RESOLVE of its own name %s: expected its address, got %s", name,
			describe(&a, &r));
	} else {
		verdict(false, "RESOLVE of its own name: no name to ask");
	}
	r = resolve_req("no-such-name-anywhere.local", AF_UNSPEC);
	op_on(c, &r, -1, &a);
	verdict(is_result(&a, &r, -ENOENT), "RESOLVE of a name that exists nowhere: expected %d, got %s",
		-ENOENT, describe(&a, &r));
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	big[NC_OPT_MAX - 1] = '\0';	/* 255 characters: longer than any name */
	{
		const char *hostile[] = { "a b", "..", "a..b", ".", "x\x01y", big };
		bool all = true;

		for (i = 0; i < (int)ARRAY_SIZE(hostile); i++) {
			r = resolve_req(hostile[i], AF_UNSPEC);
			op_on(c, &r, -1, &a);
			all &= is_result(&a, &r, -ENOENT);
		}
		verdict(all, "RESOLVE of names no DNS carries: expected %d each, last got %s", -ENOENT,
			describe(&a, &r));
	}
	/* Leave with a lookup pending: the service must forget it, not answer a freed client. */
	{
		int d = rpc_connect("names");

		if (d >= 0) {
			r = resolve_req("leaving-before-the-answer.local", AF_UNSPEC);
			send_msg(d, &r, sizeof(r), NULL, 0);
			close(d);
		}
		usleep(1500 * 1000);	/* past the lookup's end */
		verdict(status_ok(c), "a client leaving with a lookup pending: the service must still answer");
	}
	/* Lookups without reading replies: at most a few pending per client, the rest -EAGAIN. */
	{
		int d = rpc_connect("names"), sent = 0;

		for (i = 0; d >= 0 && i < 40; i++) {
			r = resolve_req("flood.local", AF_UNSPEC);
			sent += send_msg(d, &r, sizeof(r), NULL, 0) == (ssize_t)sizeof(r);
		}
		if (d >= 0)
			close(d);
		verdict(sent > 0 && status_ok(c), "40 lookups without reading replies (%d sent): the service must still answer",
			sent);
	}
	close(c);
}

/* Group 8: requests without reading the replies. */
#define FLOOD_COUNT 20000

/*
 * group_flood() - STATUS after STATUS without reading a reply: the service
 * must not wait for us (it drops us when we take no more replies), and
 * answers another client meanwhile.
 */
static void group_flood(void)
{
	struct nc_request r = request(NC_OP_STATUS, 0);
	struct answer a;
	int c = rpc_connect("flood"), other, i, end_err = 0, drained = 0;
	bool hung_up = false;

	if (c < 0)
		return;
	memset(&a, 0, sizeof(a));
	a.what = GOT_ERROR;
	bound_io(c, 500);
	for (i = 0; i < FLOOD_COUNT; i++) {
		if (send_msg(c, &r, sizeof(r), NULL, 0) != (ssize_t)sizeof(r)) {
			end_err = errno;
			break;
		}
	}
	other = rpc_connect("flood");
	if (other >= 0) {
		verdict(status_ok(other), "STATUS from another client during a flood of %d "
			"unread requests: no answer", i);
		close(other);
	}
	/* What the flooder finds: its replies, then the end of the connection. */
	bound_io(c, TIMEOUT_MS);
	hung_up = end_err == EPIPE || end_err == ECONNRESET;
	while (!hung_up) {
		receive(c, &a);
		drop_fds(&a);
		if (a.what != GOT_REPLY) {
			hung_up = a.what == GOT_HANGUP;
			break;
		}
		drained++;
	}
	verdict(hung_up, "flood of STATUS without reading: expected the service to hang up; "
		"sent %d (stopped by %s), then read %d replies and %s", i,
		end_err ? strerror(end_err) : "the count", drained, describe(&a, NULL));
	close(c);
}

/* Group 9: connect/close churn and many idle connections at once. */
#define CHURN 200
#define HELD_CONNS 200

/*
 * group_churn() - CHURN connections opened and closed at once; then
 * HELD_CONNS held open and idle: another client is still answered, and
 * every held one answers too.
 */
static void group_churn(void)
{
	static int held[HELD_CONNS];
	int i, c, failed = 0, err = 0, answered = 0;

	for (i = 0; i < CHURN; i++) {
		c = connect_to(svc_path);
		if (c < 0) {
			failed++;
			err = errno;
		} else {
			close(c);
		}
	}
	verdict(failed == 0, "connect and close %d times: %d failed (%s)", CHURN, failed,
		strerror(err));
	failed = 0;
	for (i = 0; i < HELD_CONNS; i++) {
		held[i] = connect_to(svc_path);
		if (held[i] < 0) {
			failed++;
			err = errno;
		}
	}
	verdict(failed == 0, "%d connections held at once: %d failed (%s)", HELD_CONNS, failed,
		strerror(err));
	usleep(200000);	/* idle for a while */
	c = rpc_connect("held connections");
	if (c >= 0) {
		verdict(status_ok(c), "STATUS beside %d idle connections: no answer", HELD_CONNS);
		close(c);
	}
	for (i = 0; i < HELD_CONNS; i++)
		if (held[i] >= 0 && status_ok(held[i]))
			answered++;
	verdict(answered == HELD_CONNS, "STATUS on each of %d held connections: %d answered",
		HELD_CONNS, answered);
	for (i = 0; i < HELD_CONNS; i++)
		if (held[i] >= 0)
			close(held[i]);
}

/* Group 10: group_halfclose() - a client that shuts its side without a word: the service hangs up. */
static void group_halfclose(void)
{
	struct answer a;
	int c = rpc_connect("half-closed client");

	if (c < 0)
		return;
	shutdown(c, SHUT_WR);
	receive(c, &a);
	drop_fds(&a);
	verdict(a.what == GOT_HANGUP, "a client that shut its sending side: expected a hangup, "
		"got %s", describe(&a, NULL));
	close(c);
}

/* Group 11: possession, not the connection, is what counts. */
#define HOLDER_CASES 10

/*
 * expect_on() - @r carrying @fd on @c must reply @want (no descriptor);
 * returns the answer in @a for further checks by the caller.
 */
static bool expect_on(int c, struct nc_request *r, int fd, int want, struct answer *a,
		      const char *what)
{
	bool ok;

	op_on(c, r, fd, a);
	ok = is_result(a, r, want);
	verdict(ok, "%s %s: expected result %d%s%s%s, got %s", nc_rpc_op_name(r->op), what, want,
		want ? " (" : "", want ? strerror(-want) : "", want ? ")" : "", describe(a, r));
	drop_fds(a);
	return ok;
}

/*
 * group_holder() - a socket made on connection A is operated from connection
 * B of the same process, and from a NEWCONN channel, carrying its
 * descriptor: everything works, also once A is closed; and a forked child
 * holding a copy of the descriptor operates it over its own connection.
 */
static void group_holder(void)
{
	struct nc_request r;
	struct answer a;
	struct held s;
	int conn_a, conn_b, conn_n = -1, one = 1, status;
	uint16_t port = 0;
	pid_t pid;

	conn_a = rpc_connect("possession");
	conn_b = rpc_connect("possession");
	if (conn_a < 0 || conn_b < 0 || !new_socket(conn_a, AF_INET, &s, "possession")) {
		if (conn_a >= 0)
			close(conn_a);
		if (conn_b >= 0)
			close(conn_b);
		return;
	}
	r = request(NC_OP_SETSOCKOPT, s.id);
	set_opt(&r, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	expect_on(conn_b, &r, s.fd, 0, &a, "SO_REUSEADDR from connection B, carrying the socket");
	r = well_formed(NC_OP_BIND, s.id);
	expect_on(conn_b, &r, s.fd, 0, &a, "127.0.0.1:0 from connection B, carrying the socket");
	r = request(NC_OP_GETSOCKNAME, s.id);
	if (expect_on(conn_b, &r, s.fd, 0, &a, "from connection B, carrying the socket"))
		port = port_of(&a.u.rep);
	r = well_formed(NC_OP_LISTEN, s.id);
	expect_on(conn_b, &r, s.fd, 0, &a, "from connection B, carrying the socket");
	r = request(NC_OP_IDENTIFY, s.id);
	op_on(conn_b, &r, s.fd, &a);
	verdict(is_result(&a, &r, 0) && a.u.rep.arg[0] == AF_INET &&
		a.u.rep.arg[1] == SOCK_STREAM && a.u.rep.arg[2] == 1,
		"IDENTIFY from connection B: expected AF_INET, SOCK_STREAM, listening; "
		"got %s, %d %d %d", describe(&a, &r), a.u.rep.arg[0], a.u.rep.arg[1],
		a.u.rep.arg[2]);
	drop_fds(&a);

	/* A second channel from NEWCONN serves the socket too. */
	r = request(NC_OP_NEWCONN, 0);
	call(conn_a, &r, sizeof(r), NULL, 0, &a);
	if (is_reply(&a, &r) && a.u.rep.result == 0 && a.nfds == 1) {
		conn_n = a.fd[0];
		a.nfds = 0;
		bound_io(conn_n, TIMEOUT_MS);
	}
	verdict(conn_n >= 0, "NEWCONN: expected result 0 and one descriptor, got %s",
		describe(&a, &r));
	drop_fds(&a);
	if (conn_n >= 0) {
		r = request(NC_OP_GETSOCKNAME, s.id);
		if (expect_on(conn_n, &r, s.fd, 0, &a, "over a NEWCONN channel, carrying the socket"))
			verdict(port_of(&a.u.rep) == port && port != 0,
				"GETSOCKNAME over NEWCONN: port %u, expected %u",
				port_of(&a.u.rep), port);
		else
			verdict(false, "GETSOCKNAME over NEWCONN: no address to compare");
		close(conn_n);
	} else {
		note("possession: no NEWCONN channel, 2 cases skipped");
	}

	/* Connection A gone: the socket is still the holder's to operate. */
	close(conn_a);
	r = request(NC_OP_GETSOCKOPT, s.id);
	r.arg[0] = SOL_SOCKET;
	r.arg[1] = SO_ACCEPTCONN;
	r.arg[2] = sizeof(int);
	op_on(conn_b, &r, s.fd, &a);
	memcpy(&one, a.u.rep.opt, sizeof(one));
	verdict(is_result(&a, &r, 0) && a.u.rep.optlen == sizeof(int) && one == 1,
		"SO_ACCEPTCONN from B after A closed: expected 1, got %s, value %d",
		describe(&a, &r), one);
	drop_fds(&a);

	/* Another process holding a copy of the descriptor, on its own connection. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int c = connect_to(svc_path);

		if (c < 0)
			_exit(2);
		r = request(NC_OP_IDENTIFY, s.id);
		op_on(c, &r, s.fd, &a);
		_exit(is_result(&a, &r, 0) && a.u.rep.arg[2] == 1 ? 0 : 1);
	}
	status = -1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	verdict(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		"IDENTIFY from a forked child holding the descriptor, on its own connection: "
		"child status %#x", status);
	close(s.fd);
	close(conn_b);
}

/* Group 12: operating a socket without holding it: -EBADF, and no effect. */
#define NOT_HELD_OPS 11
#define NOT_HELD_WRONG 5
#define NOT_HELD_AFTER 5
#define NOT_HELD_LISTENER 4

/* not_held_request() - the @i-th request a non-holder tries on @sock. */
static struct nc_request not_held_request(unsigned i, uint64_t sock)
{
	static const struct linger lg = { 1, 0 };
	int one = 1;
	struct nc_request r;

	switch (i) {
	case 0: return well_formed(NC_OP_BIND, sock);
	case 1: return well_formed(NC_OP_LISTEN, sock);
	case 2: return well_formed(NC_OP_CONNECT, sock);
	case 3: return well_formed(NC_OP_GETSOCKNAME, sock);
	case 4: return well_formed(NC_OP_GETPEERNAME, sock);
	case 5: return well_formed(NC_OP_GETSOCKOPT, sock);
	case 6:
		r = request(NC_OP_SETSOCKOPT, sock);
		set_opt(&r, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		return r;
	case 7:
		r = request(NC_OP_SETSOCKOPT, sock);
		set_opt(&r, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		return r;
	case 8: return well_formed(NC_OP_SHUTDOWN, sock);
	case 9: return well_formed(NC_OP_IDENTIFY, sock);
	default: return well_formed(NC_OP_EOF, sock);
	}
}

/* int_option() - GETSOCKOPT SOL_SOCKET @name on a held socket; INT32_MIN if no answer. */
static int int_option(int c, const struct held *s, int name, struct answer *a,
		      struct nc_request *r)
{
	int v = INT32_MIN;

	*r = request(NC_OP_GETSOCKOPT, s->id);
	r->arg[0] = SOL_SOCKET;
	r->arg[1] = name;
	r->arg[2] = name == SO_LINGER ? (int)sizeof(struct linger) : (int)sizeof(int);
	op_on(c, r, s->fd, a);
	if (is_result(a, r, 0) && a->u.rep.optlen >= sizeof(int))
		memcpy(&v, a->u.rep.opt, sizeof(v));
	drop_fds(a);
	return v;
}

/*
 * group_not_held() - every op on a fresh socket, sent without its
 * descriptor or with another one (another socket of ours, /dev/null, a pipe,
 * a socketpair end), on the connection that made it: -EBADF each time, and
 * afterwards the socket is as new (unbound, no SO_REUSEPORT, no linger, not
 * listening, not connected). Then a listener, poked the same way.
 */
static void group_not_held(void)
{
	static const char *const wrong_names[NOT_HELD_WRONG] = {
		"no descriptor", "another socket of ours", "/dev/null", "a pipe",
		"a socketpair end",
	};
	struct nc_request r;
	struct answer a;
	struct held s, other, lis;
	int c, pipefd[2], pair[2], wrong[NOT_HELD_WRONG], v;
	unsigned i, w;
	char what[96];

	c = rpc_connect("not held");
	if (c < 0)
		return;
	if (pipe(pipefd) || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair)) {
		note("not held: pipe/socketpair: %s", strerror(errno));
		close(c);
		return;
	}
	if (!new_socket(c, AF_INET, &s, "not held") ||
	    !new_socket(c, AF_INET, &other, "not held")) {
		close(c);
		return;
	}
	wrong[0] = -1;
	wrong[1] = other.fd;
	wrong[2] = devnull;
	wrong[3] = pipefd[0];
	wrong[4] = pair[0];
	for (i = 0; i < NOT_HELD_OPS; i++) {
		for (w = 0; w < NOT_HELD_WRONG; w++) {
			r = not_held_request(i, s.id);
			snprintf(what, sizeof(what), "on a socket of this connection, carrying %s",
				 wrong_names[w]);
			if (i == 6 || i == 7)
				snprintf(what, sizeof(what), "%s on a socket of this connection, "
					 "carrying %s", i == 6 ? "SO_REUSEPORT" : "SO_LINGER {1, 0}",
					 wrong_names[w]);
			unknown_case(&c, &r, wrong[w], -EBADF, what);
			if (c < 0)
				goto out;
		}
	}

	/* Nothing of it took effect. */
	r = request(NC_OP_GETSOCKNAME, s.id);
	op_on(c, &r, s.fd, &a);
	verdict(is_result(&a, &r, 0) && port_of(&a.u.rep) == 0,
		"GETSOCKNAME after the refused requests: expected port 0 (unbound), got %s, "
		"port %u", describe(&a, &r), port_of(&a.u.rep));
	drop_fds(&a);
	v = int_option(c, &s, SO_REUSEPORT, &a, &r);
	verdict(v == 0, "SO_REUSEPORT after the refused SETSOCKOPTs: expected 0, got %d", v);
	v = int_option(c, &s, SO_LINGER, &a, &r);
	verdict(v == 0, "SO_LINGER after the refused SETSOCKOPTs: expected l_onoff 0, got %d", v);
	r = request(NC_OP_IDENTIFY, s.id);
	op_on(c, &r, s.fd, &a);
	verdict(is_result(&a, &r, 0) && a.u.rep.arg[2] == 0,
		"IDENTIFY after the refused LISTENs: expected not listening, got %s, %d",
		describe(&a, &r), a.u.rep.arg[2]);
	drop_fds(&a);
	r = request(NC_OP_GETPEERNAME, s.id);
	expect_on(c, &r, s.fd, -ENOTCONN, &a, "after the refused CONNECTs");

	/* A listener: re-listen, SO_REUSEPORT, shutdown, its address, without it. */
	if (new_socket(c, AF_INET, &lis, "not held")) {
		r = well_formed(NC_OP_LISTEN, lis.id);
		op_on(c, &r, lis.fd, &a);
		drop_fds(&a);
		if (!is_result(&a, &r, 0))
			note("not held: LISTEN on our own socket: %s", describe(&a, &r));
		for (i = 0; i < NOT_HELD_LISTENER; i++) {
			static const unsigned which[NOT_HELD_LISTENER] = { 1, 6, 8, 3 };

			r = not_held_request(which[i], lis.id);
			unknown_case(&c, &r, -1, -EBADF, "on a listener of ours, no descriptor");
			if (c < 0)
				break;
		}
		close(lis.fd);
	}
out:
	close(s.fd);
	close(other.fd);
	close(pipefd[0]);
	close(pipefd[1]);
	close(pair[0]);
	close(pair[1]);
	if (c >= 0)
		close(c);
}

/* Group 13: the SO_REUSEPORT hijack, by another user. */
#define HIJACK_CHILD_CASES 14
#define HIJACK_CONNS 10
#define HIJACK_PARENT_CASES 2

/* Counters a child sends back to its parent. */
struct child_counts {
	unsigned run, bad;
};

/*
 * connect_as_dropped() - the child's own connection, made after dropping
 * privileges. The service's folder may be closed to others (a test's
 * mktemp folder is 0700), so it goes through a descriptor opened on the
 * socket file before the drop: the socket file's own permissions decide.
 */
static int connect_as_dropped(int path_fd)
{
	char proc[64];
	int c;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", path_fd);
	c = connect_to(proc);
	if (c < 0)
		c = connect_to(svc_path);
	else
		printf("  (connected through %s, the socket file opened before the drop)\n", proc);
	return c;
}

/*
 * hijack_child() - as `nobody` in the service socket's group: operate root's
 * listener @lid by id (no descriptor, or our own socket's): -EBADF; make our
 * own SO_REUSEPORT socket on @port: EADDRINUSE on bind, its listen lands
 * elsewhere; a plain bind to @port: EADDRINUSE. Reports counts on @report.
 */
static void hijack_child(uint64_t lid, uint16_t port, uid_t uid, gid_t gid, int path_fd,
			 int report)
{
	struct child_counts cc;
	struct nc_request r;
	struct answer a;
	struct held own, six, plain;
	int c, one = 1;

	if (setgroups(1, &gid) || setgid(gid) || setuid(uid)) {
		note("hijack: cannot become uid %d gid %d: %s", (int)uid, (int)gid, strerror(errno));
		goto done;
	}
	c = connect_as_dropped(path_fd);
	verdict(c >= 0, "hijack: uid %d (group %d) connecting to the service: %s", (int)uid,
		(int)gid, c >= 0 ? "ok" : strerror(errno));
	printf("  child now uid %d gid %d\n", (int)getuid(), (int)getgid());
	if (c < 0)
		goto done;
	r = request(NC_OP_SETSOCKOPT, lid);
	set_opt(&r, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	expect_on(c, &r, -1, -EBADF, &a, "SO_REUSEPORT on root's listener by id");
	r = well_formed(NC_OP_LISTEN, lid);
	expect_on(c, &r, -1, -EBADF, &a, "on root's listener by id");
	r = well_formed(NC_OP_GETSOCKNAME, lid);
	expect_on(c, &r, -1, -EBADF, &a, "on root's listener by id");
	r = well_formed(NC_OP_IDENTIFY, lid);
	expect_on(c, &r, -1, -EBADF, &a, "on root's listener by id");
	if (!new_socket(c, AF_INET, &own, "hijack"))
		goto done;
	verdict(true, "");	/* the case "SOCKET as another uid" ran and passed */
	r = request(NC_OP_SETSOCKOPT, lid);
	set_opt(&r, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	expect_on(c, &r, own.fd, -EBADF, &a,
		  "SO_REUSEPORT on root's listener by id, carrying our own socket");
	r = request(NC_OP_SETSOCKOPT, own.id);
	set_opt(&r, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	expect_on(c, &r, own.fd, 0, &a, "SO_REUSEPORT on our own socket");
	r = request(NC_OP_BIND, own.id);
	set_addr4(&r, "0.0.0.0", port);
	expect_on(c, &r, own.fd, -EADDRINUSE, &a,
		  "SO_REUSEPORT socket of another uid to root's SO_REUSEPORT port (0.0.0.0)");
	r = request(NC_OP_BIND, own.id);
	set_addr4(&r, "127.0.0.1", port);
	expect_on(c, &r, own.fd, -EADDRINUSE, &a,
		  "SO_REUSEPORT socket of another uid to root's SO_REUSEPORT port (127.0.0.1)");
	r = well_formed(NC_OP_LISTEN, own.id);
	op_on(c, &r, own.fd, &a);
	drop_fds(&a);
	if (is_result(&a, &r, 0)) {
		r = request(NC_OP_GETSOCKNAME, own.id);
		op_on(c, &r, own.fd, &a);
		verdict(is_result(&a, &r, 0) && port_of(&a.u.rep) != port,
			"our SO_REUSEPORT socket listening after the refused binds: expected a "
			"port other than %u, got %s, port %u", port, describe(&a, &r),
			port_of(&a.u.rep));
		drop_fds(&a);
	} else {
		verdict(false, "LISTEN on our SO_REUSEPORT socket after the refused binds: "
			"expected 0, got %s", describe(&a, &r));
	}
	if (new_socket(c, AF_INET6, &six, "hijack")) {
		r = request(NC_OP_SETSOCKOPT, six.id);
		set_opt(&r, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		op_on(c, &r, six.fd, &a);
		drop_fds(&a);
		r = request(NC_OP_BIND, six.id);
		set_addr6(&r, "::", port);
		expect_on(c, &r, six.fd, -EADDRINUSE, &a,
			  "dual-stack SO_REUSEPORT socket of another uid to [::] on root's port");
		close(six.fd);
	}
	if (new_socket(c, AF_INET, &plain, "hijack")) {
		r = request(NC_OP_BIND, plain.id);
		set_addr4(&r, "0.0.0.0", port);
		expect_on(c, &r, plain.fd, -EADDRINUSE, &a,
			  "plain socket of another uid to root's port (0.0.0.0)");
		r = request(NC_OP_BIND, plain.id);
		set_addr4(&r, "127.0.0.1", port);
		expect_on(c, &r, plain.fd, -EADDRINUSE, &a,
			  "plain socket of another uid to root's port (127.0.0.1)");
		close(plain.fd);
	}
	close(own.fd);
	close(c);
done:
	cc.run = group_run;
	cc.bad = group_bad;
	if (write(report, &cc, sizeof(cc)) != (ssize_t)sizeof(cc))
		_exit(3);
	fflush(stdout);
	_exit(0);
}

/*
 * accept_one() - the next accept record on listener @fd (its descriptor
 * attached), within TIMEOUT_MS; true if a valid one came.
 */
static bool accept_one(int fd)
{
	struct nc_accept_record rec;
	struct answer a;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct iovec iov = { .iov_base = &rec, .iov_len = sizeof(rec) };
	union {
		char buf[CMSG_SPACE(sizeof(int) * RECV_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	const char *why;
	ssize_t n;
	bool ok;

	if (poll(&p, 1, TIMEOUT_MS) != 1)
		return false;
	n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	a.nfds = 0;
	for (cm = CMSG_FIRSTHDR(&msg); n > 0 && cm; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t i, count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		for (i = 0; i < count && a.nfds < RECV_FDS; i++)
			memcpy(&a.fd[a.nfds++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
	}
	ok = n == (ssize_t)sizeof(rec) && a.nfds == 1 &&
	     !nc_rpc_check_accept(&rec, (size_t)n, &why) && inode_of(a.fd[0]) == rec.sock;
	drop_fds(&a);
	return ok;
}

/*
 * group_hijack() - root makes a SO_REUSEPORT listener; a child as `nobody`
 * tries to take its port (hijack_child); then every one of HIJACK_CONNS
 * connections to the port reaches root's listener.
 */
static void group_hijack(void)
{
	struct nc_request r;
	struct answer a;
	struct held l;
	struct passwd *pw;
	struct child_counts cc = { 0, 0 };
	struct stat st;
	int c, one = 1, rep[2], path_fd, status = -1, i, arrived = 0;
	uint16_t port = 0;
	pid_t pid;
	bool ok;

	if (geteuid() != 0) {
		note("hijack: needs root (to become nobody)");
		return;
	}
	pw = getpwnam("nobody");
	if (!pw || stat(svc_path, &st)) {
		note("hijack: no user nobody, or cannot stat %s", svc_path);
		return;
	}
	if ((st.st_mode & (S_IRGRP | S_IWGRP)) != (S_IRGRP | S_IWGRP) || st.st_gid == 0) {
		note("hijack: %s (mode %o, group %d) is not open to a group nobody can join: "
		     "start the service with --group (e.g. nogroup)", svc_path,
		     (unsigned)(st.st_mode & 07777), (int)st.st_gid);
		return;
	}
	c = rpc_connect("hijack");
	if (c < 0)
		return;
	if (!new_socket(c, AF_INET, &l, "hijack")) {
		close(c);
		return;
	}
	r = request(NC_OP_SETSOCKOPT, l.id);
	set_opt(&r, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	ok = expect_on(c, &r, l.fd, 0, &a, "SO_REUSEPORT on root's listener");
	r = request(NC_OP_BIND, l.id);
	set_addr4(&r, "0.0.0.0", 0);
	op_on(c, &r, l.fd, &a);
	drop_fds(&a);
	ok = ok && is_result(&a, &r, 0);
	r = request(NC_OP_GETSOCKNAME, l.id);
	op_on(c, &r, l.fd, &a);
	drop_fds(&a);
	port = port_of(&a.u.rep);
	r = well_formed(NC_OP_LISTEN, l.id);
	op_on(c, &r, l.fd, &a);
	drop_fds(&a);
	ok = ok && is_result(&a, &r, 0) && port != 0;
	if (!ok || pipe(rep)) {
		note("hijack: root's SO_REUSEPORT listener did not come up (%s, port %u)",
		     describe(&a, &r), port);
		close(l.fd);
		close(c);
		return;
	}
	printf("  root's SO_REUSEPORT listener: socket %llu on port %u\n",
	       (unsigned long long)l.id, port);
	path_fd = open(svc_path, O_PATH);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* The child holds nothing of root's: only the id and port. */
		close(l.fd);
		close(c);
		close(rep[0]);
		group_run = group_bad = 0;
		hijack_child(l.id, port, pw->pw_uid, st.st_gid, path_fd, rep[1]);
	}
	close(rep[1]);
	if (path_fd >= 0)
		close(path_fd);
	if (pid > 0) {
		struct pollfd p = { .fd = rep[0], .events = POLLIN };

		if (poll(&p, 1, 30000) == 1 && read(rep[0], &cc, sizeof(cc)) == (ssize_t)sizeof(cc)) {
			cases_run += cc.run;
			group_run += cc.run;
			mismatches += cc.bad;
			group_bad += cc.bad;
		} else {
			note("hijack: the child reported nothing");
			kill(pid, SIGKILL);
		}
		waitpid(pid, &status, 0);
	}
	close(rep[0]);

	/* Every connection to the port reaches root's listener. */
	for (i = 0; i < HIJACK_CONNS; i++) {
		struct held x;

		if (!new_socket(c, AF_INET, &x, "hijack"))
			continue;
		r = request(NC_OP_CONNECT, x.id);
		set_addr4(&r, "127.0.0.1", port);
		r.arg[0] = 1;
		op_on(c, &r, x.fd, &a);
		drop_fds(&a);
		if (is_reply(&a, &r) && (a.u.rep.result == 0 || a.u.rep.result == -EINPROGRESS) &&
		    accept_one(l.fd))
			arrived++;
		close(x.fd);
	}
	verdict(arrived == HIJACK_CONNS, "connections to root's SO_REUSEPORT port %u: %d of %d "
		"reached root's listener", port, arrived, HIJACK_CONNS);
	close(l.fd);
	close(c);
}

/* ---------------------------------------------------------------- main -- */

struct case_group {
	const char *name;
	unsigned planned;
	void (*run)(void);
};

/* main() - run the chosen groups (all by default), then the tally. */
int main(int argc, char **argv)
{
	struct case_group groups[] = {
		{ "random garbage of many sizes", ARRAY_SIZE(garbage_sizes) * GARBAGE_REPEAT,
		  group_garbage },
		{ "truncated and oversize requests",
		  ARRAY_SIZE(truncated_at) + ARRAY_SIZE(oversize_by), group_sizes },
		{ "bad op, version, magic, sockets, lengths", build_bad(NULL), group_fields },
		{ "descriptors where none is allowed, and too many", FD_CASES, group_descriptors },
		{ "requests on unknown sockets", NAMED_OPS * UNKNOWN_VARIANTS, group_unknown },
		{ "non-blocking connects refused at once", REFUSING * 2, group_refused },
		{ "random requests on real sockets", FUZZ_ROUNDS * FUZZ_STEPS, group_fuzz },
		{ "flooding without reading replies", 2, group_flood },
		{ "connect/close churn, idle held connections", 4, group_churn },
		{ "a silent half-closed client", 1, group_halfclose },
		{ "possession: a socket operated from other connections", HOLDER_CASES,
		  group_holder },
		{ "possession: operating a socket not held (EBADF)",
		  NOT_HELD_OPS * NOT_HELD_WRONG + NOT_HELD_AFTER + NOT_HELD_LISTENER,
		  group_not_held },
		{ "the SO_REUSEPORT hijack by another uid",
		  HIJACK_CHILD_CASES + HIJACK_PARENT_CASES, group_hijack },
		{ "names: lookups answered later, hostile names, clients leaving", NAMES_CASES,
		  group_names },
	};
	unsigned planned = 0, i;
	const char *seed_env = getenv("SEED");
	uint64_t seed;
	bool chosen[ARRAY_SIZE(groups)];
	int k;

	if (argc < 2) {
		fprintf(stderr, "usage: %s SOCKET [GROUP...]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	svc_path = argv[1];
	seed = seed_env ? strtoull(seed_env, NULL, 0) :
	       ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
	rng = seed ? seed : 1;
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0) {
		perror("/dev/null");
		return 2;
	}
	for (i = 0; i < ARRAY_SIZE(groups); i++)
		chosen[i] = argc == 2;
	for (k = 2; k < argc; k++) {
		unsigned g = (unsigned)atoi(argv[k]);

		if (g >= 1 && g <= ARRAY_SIZE(groups))
			chosen[g - 1] = true;
	}
	printf("protocol version %u: request %zu bytes, reply %zu, %u operations; seed %llu\n",
	       NC_RPC_VERSION, REQ_SIZE, REP_SIZE, NC_OP_MAX_ - 1, (unsigned long long)seed);
	for (i = 0; i < ARRAY_SIZE(groups); i++) {
		if (!chosen[i])
			continue;
		planned += groups[i].planned;
		group_run = group_bad = 0;
		printf("group %u: %s\n", i + 1, groups[i].name);
		groups[i].run();
		printf("group %u: ran %u of %u, %u mismatch(es)%s\n", i + 1, group_run,
		       groups[i].planned, group_bad,
		       group_run != groups[i].planned ? "  <-- not every case ran" : "");
	}
	printf("mismatches: %u\n", mismatches);
	printf("cases run: %u of %u\n", cases_run, planned);
	return cases_run == planned && mismatches == 0 ? 0 : 1;
}
