/*
 * uml.c - client of a UML switch "daemon transport", as tinc 1.0 serves it
 * with DeviceType = uml (tinc's src/uml_device.c).
 *
 * The transport: the switch listens on a SOCK_STREAM Unix socket (tinc's
 * Device path). The client binds a SOCK_DGRAM socket of its own, connects to
 * the control socket and sends one struct uml_request naming that datagram
 * socket. The switch connect()s its write socket to our address and answers
 * with the struct sockaddr_un of its data socket. From then on each datagram
 * is one raw Ethernet frame: the switch sends them to us from its write
 * socket, we send ours to its data socket. The control connection carries
 * nothing more; it only closes when the switch goes away.
 *
 * Why our data socket stays unconnected: the switch sends from its write
 * socket (unbound), not from the data socket whose address it gave us. Linux
 * refuses a datagram from any socket but the peer on a connected datagram
 * socket (the sender gets EPERM, and tinc exits on it), which is what breaks
 * vdeplug4's vde:// against tinc. So we bind, recv() from anyone and
 * sendto() the switch's data address.
 *
 * tinc serves one client per run: it closes its listener after the first
 * accept, and exits when a frame for us cannot be delivered (we closed).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "uml.h"

#define UML_MAGIC		0xfeedfaceu
#define UML_VERSION		3
#define UML_REQ_NEW_CONTROL	0
#define UML_TIMEOUT_MS		2000
#define UML_SOCKBUF		(4 << 20)

/*
 * tinc reads exactly sizeof(this) bytes, padding included, and its type is
 * an enum: an int, the same layout as int32_t here.
 */
struct uml_request {
	uint32_t magic;
	uint32_t version;
	int32_t type;
	struct sockaddr_un sock;
};

struct nc_uml {
	int ctl;
	int data;
	struct sockaddr_un peer;	/* the switch's data socket */
	pid_t switch_pid;		/* who answered on the control socket (SO_PEERCRED) */
	unsigned long long foreign;	/* datagrams from anyone else, dropped */
};

static unsigned int uml_counter;

static void reason(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reason(char *why, size_t whylen, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	errno = saved;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int left_ms(long long deadline)
{
	long long left = deadline - now_ms();

	return left > 0 ? (int)left : 0;
}

/*
 * tinc connect()s to our address with length sizeof(struct sockaddr_un), so
 * an abstract name only matches when bound with that length, zero padded.
 * Abstract: no file to create or remove. Unique per process and connection;
 * another pid namespace on this network namespace may hold the same name, so
 * take the next counter value then.
 */
static int bind_data(int fd, struct sockaddr_un *sun)
{
	int tries;

	for (tries = 0; tries < 16; tries++) {
		memset(sun, 0, sizeof(*sun));
		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1, "netcon-uml-%ld-%u",
			 (long)getpid(), __atomic_fetch_add(&uml_counter, 1, __ATOMIC_RELAXED));
		if (bind(fd, (struct sockaddr *)sun, sizeof(*sun)) == 0)
			return 0;
		if (errno != EADDRINUSE)
			return -1;
	}
	return -1;
}

/* Bounded connect: a Unix stream connect waits (up to SO_SNDTIMEO) while the backlog is full. */
static int connect_ctl(int fd, const struct sockaddr_un *sun, long long deadline)
{
	struct timeval tv;
	int ms;

	for (;;) {
		ms = left_ms(deadline);
		if (!ms) {
			errno = ETIMEDOUT;
			return -1;
		}
		tv.tv_sec = ms / 1000;
		tv.tv_usec = ms % 1000 * 1000;
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
			return -1;
		if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
			return 0;
		if (errno == EAGAIN)
			errno = ETIMEDOUT;
		if (errno != EINTR)
			return -1;
	}
}

/* Read tinc's reply: exactly one struct sockaddr_un, then nothing more. */
static int read_reply(struct nc_uml *u, const char *path, long long deadline,
		      char *why, size_t whylen)
{
	struct pollfd pfd = { .fd = u->ctl, .events = POLLIN };
	size_t got = 0;
	ssize_t n;
	char extra;
	int r;

	while (got < sizeof(u->peer)) {
		r = poll(&pfd, 1, left_ms(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			reason(why, whylen, "poll on %s: %s", path, strerror(errno));
			return -1;
		}
		if (r == 0) {
			errno = ETIMEDOUT;
			reason(why, whylen, "no reply from %s within %d ms (%zu of %zu bytes)",
			       path, UML_TIMEOUT_MS, got, sizeof(u->peer));
			return -1;
		}
		n = recv(u->ctl, (char *)&u->peer + got, sizeof(u->peer) - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			reason(why, whylen, "reading the reply from %s: %s", path, strerror(errno));
			return -1;
		}
		if (n == 0) {
			/* tinc exits, closing us, on a request it does not accept */
			errno = got ? EPROTO : ECONNRESET;
			if (got)
				reason(why, whylen, "tinc's reply is %zu bytes, not a socket address", got);
			else
				reason(why, whylen, "%s closed without a reply (see tinc's log)", path);
			return -1;
		}
		got += n;
	}
	if (recv(u->ctl, &extra, 1, MSG_DONTWAIT) > 0) {
		errno = EPROTO;
		reason(why, whylen, "tinc's reply is longer than a socket address (%zu bytes)",
		       sizeof(u->peer));
		return -1;
	}
	if (u->peer.sun_family != AF_UNIX) {
		errno = EPROTO;
		reason(why, whylen, "tinc's reply has address family %u, not AF_UNIX",
		       (unsigned int)u->peer.sun_family);
		return -1;
	}
	return 0;
}

/*
 * peer_pid() - the switch's process, from the control connection. An
 * abstract address has no permissions: any process in the network namespace
 * can send to our data socket, so only datagrams whose credentials
 * (SO_PASSCRED) name the switch's process are frames; tinc sends from its
 * own process (another socket, the same pid).
 */
static int peer_pid(struct nc_uml *u, char *why, size_t whylen)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int on = 1;

	if (getsockopt(u->ctl, SOL_SOCKET, SO_PEERCRED, &cred, &len) || len != sizeof(cred) ||
	    cred.pid <= 0) {
		reason(why, whylen, "who is the switch (SO_PEERCRED): %s", strerror(errno));
		return -1;
	}
	if (setsockopt(u->data, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on))) {
		reason(why, whylen, "SO_PASSCRED: %s", strerror(errno));
		return -1;
	}
	u->switch_pid = cred.pid;
	return 0;
}

struct nc_uml *nc_uml_open(const char *ctl_path, char *why, size_t whylen)
{
	long long deadline = now_ms() + UML_TIMEOUT_MS;
	struct sockaddr_un ctl_sun = { .sun_family = AF_UNIX };
	struct uml_request req;
	struct nc_uml *u;
	int buf = UML_SOCKBUF;
	ssize_t n;

	if (!ctl_path || !*ctl_path || strlen(ctl_path) >= sizeof(ctl_sun.sun_path)) {
		errno = ctl_path && *ctl_path ? ENAMETOOLONG : EINVAL;
		reason(why, whylen, "bad control socket path: %s", strerror(errno));
		return NULL;
	}
	strcpy(ctl_sun.sun_path, ctl_path);

	u = calloc(1, sizeof(*u));
	if (!u) {
		reason(why, whylen, "out of memory");
		return NULL;
	}
	u->ctl = -1;

	u->data = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (u->data < 0) {
		reason(why, whylen, "data socket: %s", strerror(errno));
		goto fail;
	}
	memset(&req, 0, sizeof(req));	/* the padding too: tinc reads all of it */
	req.magic = UML_MAGIC;
	req.version = UML_VERSION;
	req.type = UML_REQ_NEW_CONTROL;
	if (bind_data(u->data, &req.sock) < 0) {
		reason(why, whylen, "binding the data socket: %s", strerror(errno));
		goto fail;
	}
	/* Best effort: a burst of frames should queue, not drop; capped by [rw]mem_max. */
	setsockopt(u->data, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(u->data, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));

	/* Blocking only for the connect (bounded by SO_SNDTIMEO), then non-blocking. */
	u->ctl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (u->ctl < 0) {
		reason(why, whylen, "control socket: %s", strerror(errno));
		goto fail;
	}
	if (connect_ctl(u->ctl, &ctl_sun, deadline) < 0) {
		/* tinc closes its listener after its first client; the file stays */
		reason(why, whylen, "connect to %s: %s%s", ctl_path, strerror(errno),
		       errno == ECONNREFUSED ? " (tinc not running, or it has a client already)" : "");
		goto fail;
	}
	if (fcntl(u->ctl, F_SETFL, O_NONBLOCK) < 0) {
		reason(why, whylen, "fcntl: %s", strerror(errno));
		goto fail;
	}

	/* One write: tinc reads the request with one read() and exits on a short one. */
	n = send(u->ctl, &req, sizeof(req), MSG_NOSIGNAL);
	if (n != (ssize_t)sizeof(req)) {
		if (n >= 0)
			errno = EIO;
		reason(why, whylen, "sending the request to %s: %s", ctl_path, strerror(errno));
		goto fail;
	}
	if (read_reply(u, ctl_path, deadline, why, whylen) < 0)
		goto fail;
	if (peer_pid(u, why, whylen) < 0)
		goto fail;
	return u;

fail:
	nc_uml_close(u);
	return NULL;
}

int nc_uml_datafd(const struct nc_uml *u)
{
	return u->data;
}

int nc_uml_ctlfd(const struct nc_uml *u)
{
	return u->ctl;
}

ssize_t nc_uml_send(struct nc_uml *u, const void *frame, size_t len)
{
	if (!len || len > NC_UML_MAX_FRAME) {
		errno = len ? EMSGSIZE : EINVAL;
		return -1;
	}
	/* Full length: tinc's abstract name fills all of sun_path. */
	return sendto(u->data, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		      (const struct sockaddr *)&u->peer, sizeof(u->peer));
}

ssize_t nc_uml_recv(struct nc_uml *u, void *buf, size_t len)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} control;

	for (;;) {
		struct iovec iov = { .iov_base = buf, .iov_len = len };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
		};
		struct cmsghdr *c;
		bool from_switch = false;
		ssize_t n = recvmsg(u->data, &msg, MSG_DONTWAIT);

		if (n < 0)
			return n;
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			struct ucred cred;

			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_CREDENTIALS ||
			    c->cmsg_len < CMSG_LEN(sizeof(cred)))
				continue;
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			from_switch = cred.pid == u->switch_pid;
		}
		if (from_switch)
			return n;
		u->foreign++;	/* not the switch's: never a frame of ours */
	}
}

unsigned long long nc_uml_foreign(const struct nc_uml *u)
{
	return u->foreign;
}

void nc_uml_close(struct nc_uml *u)
{
	int saved = errno;

	if (!u)
		return;
	if (u->ctl >= 0)
		close(u->ctl);
	if (u->data >= 0)
		close(u->data);
	free(u);
	errno = saved;
}
