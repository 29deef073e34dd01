/*
 * supervise.c - the seccomp supervisor's loop and its answers.
 *
 * Each notification is one trapped call of one thread. A call on a
 * descriptor that is not a netcon socket goes on to the kernel
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE): the descriptor is copied with
 * pidfd_getfd() and looked up as libnetcon would (ops.c). A call on a netcon
 * socket is done here, on that copy, by the same operation libnetcon's
 * wrapper would call, and answered with its real result; a new descriptor
 * (socket, accept) goes into the program with SECCOMP_ADDFD_FLAG_SEND, which
 * installs it and answers in one step. Nothing is ever checked and then
 * continued: the program could change its memory in between.
 *
 * Calls are taken by a pool of receiver threads per listener; a call that
 * would block (a blocking connect, accept, or datagram receive or send)
 * waits in the thread that took it, once another thread receives, in slices
 * that give up when the notification is no longer valid (the thread died;
 * with WAIT_KILLABLE_RECV only a fatal signal can interrupt a call once we
 * have it). The main loop only watches listeners for their end and the
 * agent's socket.
 *
 * Per-descriptor state libnetcon keeps (a datagram socket's framing, peer,
 * flags; dgram.h) lives here by socket id across the short-lived copies.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include "supervise.h"
#include "target.h"
#include "../intercept/client.h"
#include "../intercept/dgram.h"
#include "../intercept/libc.h"
#include "../intercept/ops.h"
#include "../common/log.h"
#include "../common/rpc.h"

#define MAX_FDS		1024		/* listeners and watches */
#define MAX_WORKERS	256		/* receiver threads per listener */
#define STATES		4096		/* datagram sockets whose bookkeeping is kept (power of two) */
#define DGRAM_ROOM	65536		/* the largest datagram payload, and then some */
#define CONTROL_ROOM	4096		/* ancillary data we carry for a datagram call */
#define SLICE_MS	200
#define SPARE_RECEIVERS	2		/* idle receivers kept: a blocking call then starts no thread */

#if defined(__x86_64__)
#define NC_NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NC_NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif

struct watch {
	int fd;
	bool listener;
	void (*ready)(struct nc_sup *sup, int fd, void *arg);
	void *arg;
};

struct nc_sup {
	struct watch w[MAX_FDS];	/* listeners (arg: struct listener) and watches */
	unsigned n;
	unsigned listeners;
	size_t notif_size;		/* the kernel's struct seccomp_notif */
};

/* One trapped call, from its notification to its answer. */
struct call {
	int listener;
	uint64_t id;			/* the notification's */
	pid_t tid;
	int nr;
	uint32_t arch;			/* the call's ABI (AUDIT_ARCH_*) */
	uint64_t args[6];
	int local;			/* our copy of the program's descriptor, -1 */
	struct nc_sock_info info;
};

static struct {
	uint64_t id;
	struct nc_dgram_state state;
} states[STATES];
static pthread_mutex_t states_lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------ answers -- */

static void settle(struct call *c);

/* answer() - the call returns @val, or fails with @err (a negative errno). */
static void answer(struct call *c, int64_t val, int err)
{
	struct seccomp_notif_resp resp = { .id = c->id, .val = err ? 0 : val, .error = err };

	settle(c);
	if (ioctl(c->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) && errno != ENOENT)
		nc_warn("answering call %d of thread %d: %s", c->nr, (int)c->tid,
		       strerror(errno));
}

/* answer_result() - @r as an operation returns it: a value, or -errno. */
static void answer_result(struct call *c, long r)
{
	if (r == -ECANCELED)
		return;		/* the call is gone: nobody to answer */
	answer(c, r < 0 ? 0 : r, r < 0 ? (int)r : 0);
}

/* pass_on() - not netcon's: the kernel does the call as the program made it. */
static void pass_on(struct call *c)
{
	struct seccomp_notif_resp resp = { .id = c->id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };

	settle(c);
	if (ioctl(c->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) && errno != ENOENT)
		nc_warn("continuing call %d: %s", c->nr, strerror(errno));
}

/*
 * inject() - put our descriptor @fd into the program as the call's result
 * (the lowest free number, close-on-exec if @cloexec), answering it.
 */
static void inject(struct call *c, int fd, bool cloexec)
{
	struct seccomp_notif_addfd add = {
		.id = c->id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = (uint32_t)fd,
		.newfd_flags = cloexec ? O_CLOEXEC : 0,
	};

	settle(c);
	if (ioctl(c->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 && errno != ENOENT)
		answer(c, 0, -errno);	/* EMFILE: the program has no room */
}

/* still_wanted() - is the call still waiting for us (the thread alive, the call not withdrawn)? */
static bool still_wanted(void *arg)
{
	struct call *c = arg;

	return ioctl(c->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &c->id) == 0;
}

/* ------------------------------------------------------ program memory -- */

/*
 * peek()/poke() - the program's memory at @addr, for call @c. The thread
 * number could have been reused by another process since the call was
 * made: a read counts only if the call is still valid after it, and a write
 * is done only if it is still valid before (SECCOMP_IOCTL_NOTIF_ID_VALID).
 */
static int peek(struct call *c, uint64_t addr, void *buf, size_t len)
{
	if (nc_target_read(c->tid, addr, buf, len))
		return -EFAULT;
	return still_wanted(c) ? 0 : -EFAULT;
}

static int poke(struct call *c, uint64_t addr, const void *buf, size_t len)
{
	if (len && !still_wanted(c))
		return -EFAULT;
	return nc_target_write(c->tid, addr, buf, len);
}

/* peekv()/pokev() - the same for the program's vectors @iov: gathered into, scattered from @buf. */
static int peekv(struct call *c, void *buf, size_t len, const struct iovec *iov, size_t n)
{
	if (nc_target_readv(c->tid, buf, len, iov, n))
		return -EFAULT;
	return still_wanted(c) ? 0 : -EFAULT;
}

static int pokev(struct call *c, const void *buf, size_t len, const struct iovec *iov, size_t n)
{
	if (len && !still_wanted(c))
		return -EFAULT;
	return nc_target_writev(c->tid, buf, len, iov, n);
}

/*
 * Each receiver's scratch room for the datagram calls (a payload, a
 * message's copy), made on its first datagram call and freed when it
 * leaves: nothing is allocated per datagram.
 */
static __thread uint8_t *scratch_data;
static __thread struct msg_copy *scratch_msg;

static uint8_t *data_room(void)
{
	if (!scratch_data)
		scratch_data = malloc(DGRAM_ROOM);
	return scratch_data;
}

static void scratch_free(void)
{
	free(scratch_data);
	free(scratch_msg);
	scratch_data = NULL;
	scratch_msg = NULL;
}

static int get_u32(struct call *c, uint64_t addr, uint32_t *v)
{
	return peek(c, addr, v, sizeof(*v));
}

static int put_u32(struct call *c, uint64_t addr, uint32_t v)
{
	return poke(c, addr, &v, sizeof(v));
}

/*
 * get_sockaddr() - an address the program passes in (bind, connect,
 * sendto), checked as the kernel's move_addr_to_kernel(): *@out is NULL for
 * a NULL pointer, the ops see it and say EFAULT where the kernel would.
 */
static int get_sockaddr(struct call *c, uint64_t ptr, uint64_t len, struct sockaddr_storage *ss,
			const struct sockaddr **out)
{
	*out = NULL;
	if ((int)len < 0 || len > sizeof(*ss))
		return -EINVAL;
	if (!ptr)
		return 0;
	if (len && peek(c, ptr, ss, len))
		return -EFAULT;
	*out = (const struct sockaddr *)ss;
	return 0;
}

/*
 * put_sockaddr() - an address the call returns: what fits of @len bytes in
 * the program's buffer, whose room is @room, and the full length at @lenp.
 */
static int put_sockaddr(struct call *c, uint64_t ptr, uint64_t lenp, const void *addr,
			socklen_t len, socklen_t room)
{
	if (ptr && poke(c, ptr, addr, len < room ? len : room))
		return -EFAULT;
	if (lenp && put_u32(c, lenp, len))
		return -EFAULT;
	return 0;
}

/* ------------------------------------------------- descriptor bookkeeping -- */

static unsigned state_slot(uint64_t id)
{
	return (unsigned)((id * 0x9e3779b97f4a7c15ull) >> 40) & (STATES - 1);
}

/* restore_state() - libnetcon's bookkeeping for socket @id onto our copy @fd. */
static void restore_state(int fd, uint64_t id)
{
	struct nc_dgram_state st = { 0 };
	unsigned s = state_slot(id);

	pthread_mutex_lock(&states_lock);
	if (states[s].id == id)
		st = states[s].state;
	pthread_mutex_unlock(&states_lock);
	nc_dgram_restore(fd, &st);
}

/* save_state() - keep what our copy @fd's bookkeeping says for its socket. */
static void save_state(int fd, const struct nc_sock_info *info)
{
	unsigned s = state_slot(info->id);

	if (info->ours && info->type == SOCK_DGRAM) {
		pthread_mutex_lock(&states_lock);
		states[s].id = info->id;
		nc_dgram_save(fd, &states[s].state);
		pthread_mutex_unlock(&states_lock);
	}
}

static void release(struct call *c);

/*
 * settle() - the call is about to be answered: its bookkeeping is kept and
 * our copy of the descriptor let go first, since the program's next call may
 * be taken by another receiver the moment the answer is out, and a copy
 * still held would keep a socket the program then closes alive in the
 * service (bind(); close(); bind() of the same port saw EADDRINUSE).
 */
static void settle(struct call *c)
{
	if (c->local >= 0)
		save_state(c->local, &c->info);
	release(c);
}

/* release() - done with the call's descriptor copy (settle() keeps its bookkeeping first). */
static void release(struct call *c)
{
	if (c->local < 0)
		return;
	nc_dgram_forget(c->local);
	nc_libc.close(c->local);
	c->local = -1;
}

/* ------------------------------------------------------------- waiting -- */

/* rcv_timeout_ms() - SO_RCVTIMEO of @fd in ms, -1 for none. */
static int rcv_timeout_ms(int fd)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);
	long long ms;

	if (nc_libc.getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) || len != sizeof(tv))
		return -1;
	ms = (long long)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
	return ms <= 0 ? -1 : ms > INT_MAX ? INT_MAX : (int)ms;
}

/*
 * wait_readable() - a blocking receive or accept: wait for @c's socket to
 * be readable, up to its SO_RCVTIMEO. 0 when readable, -EAGAIN on timeout
 * (what the kernel's call says then), -ECANCELED when the call is gone.
 */
static int wait_readable(struct call *c)
{
	struct pollfd pfd = { .fd = c->local, .events = POLLIN };
	int left = rcv_timeout_ms(c->local), slice, n;

	for (;;) {
		slice = left < 0 || left > SLICE_MS ? SLICE_MS : left;
		n = poll(&pfd, 1, slice);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (!still_wanted(c))
			return -ECANCELED;
		if (left >= 0 && (left -= slice) <= 0)
			return -EAGAIN;
	}
}

/* --------------------------------------------------------------- calls -- */

static void do_socket(struct call *c)
{
	int domain = (int)c->args[0], type = (int)c->args[1], protocol = (int)c->args[2], fd;
	struct nc_sock_info info;

	if (!nc_op_socket_is_ours(domain, type, protocol)) {
		pass_on(c);
		return;
	}
	fd = nc_op_socket(domain, type | SOCK_CLOEXEC, protocol);
	if (fd == -ENETDOWN && nc_client_cfg.fallback_kernel) {
		pass_on(c);
		return;
	}
	if (fd < 0) {
		answer(c, 0, fd);
		return;
	}
	if (nc_sock_lookup(fd, &info))
		save_state(fd, &info);
	inject(c, fd, (type & SOCK_CLOEXEC) != 0);
	nc_dgram_forget(fd);
	nc_libc.close(fd);
}

/*
 * do_bind_connect() - a blocking connect runs in a worker, which waits in
 * the service's reply as libnetcon's would (the service answers when the
 * connection is up or has failed, and leaves a failed socket free to try
 * again, as the kernel does).
 */
static void do_bind_connect(struct call *c)
{
	struct sockaddr_storage ss;
	const struct sockaddr *addr;
	int r = get_sockaddr(c, c->args[1], c->args[2], &ss, &addr);

	if (r == 0) {
		if (c->nr == SYS_bind)
			r = nc_op_bind(c->local, &c->info, addr, (socklen_t)c->args[2]);
		else
			r = nc_op_connect(c->local, &c->info, addr, (socklen_t)c->args[2]);
	}
	answer_result(c, r);
}

static void do_accept(struct call *c, bool blocking_wait)
{
	int flags = c->nr == SYS_accept4 ? (int)c->args[3] : 0, r, fd;
	struct sockaddr_storage ss;
	uint32_t room = 0;
	socklen_t len;

	if (flags & NC_ACCEPT_DONTWAIT) {
		answer(c, 0, -EINVAL);
		return;
	}
	if (c->args[2] && get_u32(c, c->args[2], &room)) {
		answer(c, 0, -EFAULT);
		return;
	}
	if (!c->info.listening || c->info.type != SOCK_STREAM)
		blocking_wait = false;	/* nothing to wait for: the operation says why */
	for (;;) {
		if (blocking_wait && (r = wait_readable(c)) < 0) {
			answer_result(c, r);
			return;
		}
		len = room > sizeof(ss) ? sizeof(ss) : room;
		fd = nc_op_accept(c->local, &c->info, c->args[1] ? (struct sockaddr *)&ss : NULL,
				  c->args[2] ? &len : NULL,
				  (flags & SOCK_NONBLOCK) | SOCK_CLOEXEC |
				  (blocking_wait ? NC_ACCEPT_DONTWAIT : 0));
		if (!(blocking_wait && fd == -EAGAIN))
			break;	/* another process took it first: wait again */
	}
	if (fd < 0) {
		answer_result(c, fd);
		return;
	}
	/* A kernel that cannot write the address loses nothing either: the connection stays ours. */
	if (c->args[1] && put_sockaddr(c, c->args[1], c->args[2], &ss, len, room)) {
		nc_dgram_forget(fd);
		nc_libc.close(fd);
		answer(c, 0, -EFAULT);
		return;
	}
	inject(c, fd, (flags & SOCK_CLOEXEC) != 0);
	nc_dgram_forget(fd);
	nc_libc.close(fd);
}

static void do_name(struct call *c)
{
	struct sockaddr_storage ss;
	uint32_t room = 0;
	socklen_t len;
	int r;

	if (c->args[2] && get_u32(c, c->args[2], &room)) {
		answer(c, 0, -EFAULT);
		return;
	}
	len = room > sizeof(ss) ? sizeof(ss) : room;
	r = nc_op_name(c->nr == SYS_getsockname ? NC_OP_GETSOCKNAME : NC_OP_GETPEERNAME, c->local,
		       &c->info, c->args[1] ? (struct sockaddr *)&ss : NULL,
		       c->args[2] ? &len : NULL);
	if (r == 0 && put_sockaddr(c, c->args[1], c->args[2], &ss, len, room))
		r = -EFAULT;
	answer_result(c, r);
}

static void do_getsockopt(struct call *c)
{
	int level = (int)c->args[1], name = (int)c->args[2], r;
	uint8_t val[NC_OPT_MAX];
	uint32_t len = 0;
	socklen_t got;

	if (nc_op_on_real_fd(level, name)) {
		pass_on(c);
		return;
	}
	if (c->args[4] && get_u32(c, c->args[4], &len)) {
		answer(c, 0, -EFAULT);
		return;
	}
	got = len;
	r = nc_op_getsockopt(c->local, &c->info, level, name, c->args[3] ? val : NULL,
			     c->args[4] ? &got : NULL);
	if (r == 0 && (poke(c, c->args[3], val, got) || put_u32(c, c->args[4], got)))
		r = -EFAULT;
	answer_result(c, r);
}

static void do_setsockopt(struct call *c)
{
	int level = (int)c->args[1], name = (int)c->args[2], r;
	uint8_t val[NC_OPT_MAX] = { 0 };
	socklen_t len = (socklen_t)c->args[4];
	size_t take = len > sizeof(val) ? sizeof(val) : len;

	if (nc_op_on_real_fd(level, name)) {
		pass_on(c);
		return;
	}
	if ((int)len >= 0 && c->args[3] && peek(c, c->args[3], val, take)) {
		answer(c, 0, -EFAULT);
		return;
	}
	r = nc_op_setsockopt(c->local, &c->info, level, name, c->args[3] ? val : NULL, len);
	answer_result(c, r);
}

/*
 * The datagram calls: the program's message is copied in (or room made for
 * the reply), the datagram path of libnetcon (dgram.c) frames or unframes it
 * on our copy, and what the kernel would write back is written back.
 */

/* A program's struct msghdr as we carry it. */
struct msg_copy {
	struct msghdr m;		/* ours: pointers into the buffers below */
	struct msghdr theirs;		/* as read from the program */
	struct iovec theirs_iov[UIO_MAXIOV];
	struct iovec one;
	struct sockaddr_storage name;
	uint8_t control[CONTROL_ROOM];
	uint8_t *data;
	size_t room;			/* bytes the program's vectors hold (capped) */
};

/* msg_in() - read the program's msghdr at @ptr; for a send, its payload too. */
static int msg_in(struct call *c, uint64_t ptr, struct msg_copy *mc, bool sending)
{
	size_t i, total = 0;

	if (peek(c, ptr, &mc->theirs, sizeof(mc->theirs)))
		return -EFAULT;
	if (mc->theirs.msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	if (peek(c, (uintptr_t)mc->theirs.msg_iov, mc->theirs_iov,
			   mc->theirs.msg_iovlen * sizeof(struct iovec)))
		return -EFAULT;
	for (i = 0; i < mc->theirs.msg_iovlen; i++) {
		if (mc->theirs_iov[i].iov_len > SSIZE_MAX - total)
			return -EINVAL;
		total += mc->theirs_iov[i].iov_len;
	}
	mc->room = total > DGRAM_ROOM ? DGRAM_ROOM : total;
	mc->data = data_room();
	if (!mc->data)
		return -ENOMEM;
	if (sending) {
		if (total > DGRAM_ROOM)
			return -EMSGSIZE;	/* larger than any datagram */
		if (peekv(c, mc->data, total, mc->theirs_iov, mc->theirs.msg_iovlen))
			return -EFAULT;
	}
	memset(&mc->m, 0, sizeof(mc->m));
	mc->one.iov_base = mc->data;
	mc->one.iov_len = mc->room;
	mc->m.msg_iov = &mc->one;
	mc->m.msg_iovlen = 1;
	if (mc->theirs.msg_name) {
		mc->m.msg_name = &mc->name;
		mc->m.msg_namelen = mc->theirs.msg_namelen > sizeof(mc->name) ?
				    sizeof(mc->name) : mc->theirs.msg_namelen;
		if ((int)mc->theirs.msg_namelen < 0 || (sending && mc->theirs.msg_namelen > sizeof(mc->name)))
			return -EINVAL;
		if (sending && peek(c, (uintptr_t)mc->theirs.msg_name, &mc->name,
					      mc->m.msg_namelen))
			return -EFAULT;
	}
	if (mc->theirs.msg_control && mc->theirs.msg_controllen) {
		mc->m.msg_control = mc->control;
		mc->m.msg_controllen = mc->theirs.msg_controllen > sizeof(mc->control) ?
				       sizeof(mc->control) : mc->theirs.msg_controllen;
		if (sending && mc->theirs.msg_controllen > sizeof(mc->control))
			return -ENOBUFS;
		if (sending && peek(c, (uintptr_t)mc->theirs.msg_control, mc->control,
					      mc->m.msg_controllen))
			return -EFAULT;
	}
	return 0;
}

/* msg_out() - after a receive of @n bytes: the payload, name, control and flags back to the program. */
static int msg_out(struct call *c, uint64_t ptr, struct msg_copy *mc, size_t n)
{
	if (n > mc->room)
		n = mc->room;	/* MSG_TRUNC: the length said is the datagram's */
	if (pokev(c, mc->data, n, mc->theirs_iov, mc->theirs.msg_iovlen))
		return -EFAULT;
	if (mc->theirs.msg_name &&
	    poke(c, (uintptr_t)mc->theirs.msg_name, &mc->name,
			    mc->m.msg_namelen < mc->theirs.msg_namelen ? mc->m.msg_namelen :
			    mc->theirs.msg_namelen))
		return -EFAULT;
	if (mc->m.msg_control && mc->m.msg_controllen &&
	    poke(c, (uintptr_t)mc->theirs.msg_control, mc->control,
			    mc->m.msg_controllen))
		return -EFAULT;
	mc->theirs.msg_namelen = mc->theirs.msg_name ? mc->m.msg_namelen : 0;
	mc->theirs.msg_controllen = mc->m.msg_control ? mc->m.msg_controllen : 0;
	mc->theirs.msg_flags = mc->m.msg_flags;
	if (poke(c, ptr + offsetof(struct msghdr, msg_namelen),
			    &mc->theirs.msg_namelen, sizeof(mc->theirs.msg_namelen)) ||
	    poke(c, ptr + offsetof(struct msghdr, msg_controllen),
			    &mc->theirs.msg_controllen, sizeof(mc->theirs.msg_controllen)) ||
	    poke(c, ptr + offsetof(struct msghdr, msg_flags),
			    &mc->theirs.msg_flags, sizeof(mc->theirs.msg_flags)))
		return -EFAULT;
	return 0;
}

/* dgram_msg() - one sendmsg or recvmsg on a datagram socket of ours; bytes or -errno. */
static long dgram_msg(struct call *c, uint64_t ptr, int flags, bool sending, bool blocking_wait)
{
	struct msg_copy *mc = scratch_msg ? scratch_msg : (scratch_msg = malloc(sizeof(*mc)));
	long r;

	if (!mc)
		return -ENOMEM;
	r = msg_in(c, ptr, mc, sending);
	if (r == 0 && sending) {
		r = nc_dgram_sendmsg(c->local, &mc->m, flags);
	} else if (r == 0) {
		for (;;) {
			if (blocking_wait && !(flags & MSG_DONTWAIT) && (r = wait_readable(c)) < 0)
				break;
			r = nc_dgram_recvmsg(c->local, &mc->m, flags | (blocking_wait ? MSG_DONTWAIT : 0));
			if (!(r < 0 && blocking_wait && !(flags & MSG_DONTWAIT) &&
			      (errno == EAGAIN || errno == EWOULDBLOCK)))
				break;
		}
		if (r >= 0 && msg_out(c, ptr, mc, (size_t)r))
			r = -EFAULT;
	}
	if (r == -1)
		r = -errno;
	return r;
}

/*
 * sendto/recvfrom with an address on a datagram socket: built as a msghdr
 * in our memory, the address and payload copied.
 */
static long dgram_to_from(struct call *c, bool sending, bool blocking_wait)
{
	uint64_t buf = c->args[1], len = c->args[2], addr = c->args[4], alen = c->args[5];
	int flags = (int)c->args[3];
	struct sockaddr_storage ss;
	struct iovec v;
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
	uint32_t room = 0;
	uint8_t *data;
	long r = 0;

	if (sending && len > DGRAM_ROOM)
		return -EMSGSIZE;
	if (!sending && alen && get_u32(c, alen, &room))
		return -EFAULT;
	if (!sending && (int)room < 0)
		return -EINVAL;
	data = data_room();
	if (!data)
		return -ENOMEM;
	v.iov_base = data;
	v.iov_len = len > DGRAM_ROOM ? DGRAM_ROOM : len;
	if (sending) {
		const struct sockaddr *to;

		r = get_sockaddr(c, addr, alen, &ss, &to);
		if (r == 0 && peek(c, buf, data, len))
			r = -EFAULT;
		m.msg_name = (void *)to;
		m.msg_namelen = to ? (socklen_t)alen : 0;
		if (r == 0 && (r = nc_dgram_sendmsg(c->local, &m, flags)) < 0)
			r = -errno;
	} else {
		m.msg_name = &ss;
		m.msg_namelen = room > sizeof(ss) ? sizeof(ss) : room;
		for (;;) {
			if (blocking_wait && !(flags & MSG_DONTWAIT) && (r = wait_readable(c)) < 0)
				break;
			r = nc_dgram_recvmsg(c->local, &m, flags | (blocking_wait ? MSG_DONTWAIT : 0));
			if (r < 0)
				r = -errno;
			if (!(blocking_wait && !(flags & MSG_DONTWAIT) && (r == -EAGAIN || r == -EWOULDBLOCK)))
				break;
		}
		if (r >= 0 && poke(c, buf, data, (size_t)r < v.iov_len ? (size_t)r : v.iov_len))
			r = -EFAULT;
		if (r >= 0 && alen && put_sockaddr(c, addr, alen, &ss, m.msg_namelen, room))
			r = -EFAULT;
	}
	return r;
}

/*
 * stream_sendto() - sendto with an address on a stream socket: TCP ignores
 * the address, a Unix socket would refuse it; the bytes go without it.
 */
static long stream_sendto(struct call *c)
{
	size_t len = c->args[2] > DGRAM_ROOM ? DGRAM_ROOM : c->args[2];	/* a stream send may be short */
	uint8_t *data = data_room();
	long r;

	if (!data)
		return -ENOMEM;
	r = peek(c, c->args[1], data, len);
	if (r == 0 && (r = nc_libc.sendto(c->local, data, len, (int)c->args[3] | MSG_NOSIGNAL, NULL, 0)) < 0)
		r = -errno;
	return r;
}

/* do_mmsg() - sendmmsg/recvmmsg on a datagram socket: one message at a time. */
static long do_mmsg(struct call *c, bool sending, bool blocking_wait)
{
	uint64_t vec = c->args[1];
	unsigned n = (unsigned)c->args[2] > UIO_MAXIOV ? UIO_MAXIOV : (unsigned)c->args[2], i;
	int flags = (int)c->args[3];
	long r = 0;

	for (i = 0; i < n; i++) {
		uint64_t at = vec + (uint64_t)i * sizeof(struct mmsghdr);
		int f = flags & ~MSG_WAITFORONE;

		if (!sending && i > 0 && (flags & MSG_WAITFORONE))
			f |= MSG_DONTWAIT;
		r = dgram_msg(c, at, f, sending, blocking_wait && !(f & MSG_DONTWAIT));
		if (r < 0)
			break;
		if (put_u32(c, at + offsetof(struct mmsghdr, msg_len), (uint32_t)r)) {
			r = -EFAULT;
			break;
		}
	}
	if (i > 0)
		return i;	/* the error waits for the next call, as the kernel does */
	return r;
}

/*
 * may_block() - would this call wait in the kernel: a blocking descriptor
 * and a call that waits for the network or the service.
 */
static bool may_block(const struct call *c)
{
	bool stream = c->info.type == SOCK_STREAM, can;
	int fl;

	switch (c->nr) {
	case SYS_connect:
		can = stream;
		break;
	case SYS_accept:
	case SYS_accept4:
		can = stream && c->info.listening;
		break;
	case SYS_sendto:	/* a stream's is carried (stream_sendto) */
		can = !((int)c->args[3] & MSG_DONTWAIT);
		break;
	case SYS_recvfrom:
	case SYS_recvmmsg:
	case SYS_sendmmsg:
		can = !stream && !((int)c->args[3] & MSG_DONTWAIT);
		break;
	case SYS_recvmsg:
	case SYS_sendmsg:
		can = !stream && !((int)c->args[2] & MSG_DONTWAIT);
		break;
	default:
		return false;
	}
	/* Only then the open file's O_NONBLOCK: most calls never need it. */
	return can && (fl = fcntl(c->local, F_GETFL)) >= 0 && !(fl & O_NONBLOCK);
}

/*
 * do_ioctl() - FIONREAD on a datagram socket counts the next payload, not
 * our framing; FIONREAD and SIOCOUTQ on a listener fail, as the kernel's
 * (a listener has no queues). Everything else the descriptor answers.
 */
static void do_ioctl(struct call *c)
{
	unsigned request = (unsigned)c->args[1];
	int value;

	if (c->info.listening && c->info.type == SOCK_STREAM) {
		answer(c, 0, -EINVAL);
		return;
	}
	if (request == FIONREAD && nc_dgram_mode(c->local) != NC_DG_NONE) {
		if (nc_dgram_fionread(c->local, &value) < 0)
			answer(c, 0, -errno);
		else if (poke(c, c->args[2], &value, sizeof(value)))
			answer(c, 0, -EFAULT);
		else
			answer(c, 0, 0);
		return;
	}
	pass_on(c);
}

/* perform() - a call on a netcon socket (c->local, c->info), answered. */
static void perform(struct call *c, bool blocking_wait)
{
	bool dgram = c->info.type == SOCK_DGRAM;

	switch (c->nr) {
	case SYS_bind:
	case SYS_connect:
		do_bind_connect(c);
		return;
	case SYS_listen:
		answer_result(c, nc_op_listen(c->local, &c->info, (int)c->args[1]));
		return;
	case SYS_accept:
	case SYS_accept4:
		do_accept(c, blocking_wait);
		return;
	case SYS_getsockname:
	case SYS_getpeername:
		do_name(c);
		return;
	case SYS_getsockopt:
		do_getsockopt(c);
		return;
	case SYS_setsockopt:
		do_setsockopt(c);
		return;
	case SYS_shutdown:
		answer_result(c, nc_op_shutdown(c->local, &c->info, (int)c->args[1]));
		return;
	case SYS_ioctl:
		do_ioctl(c);
		return;
	case SYS_sendto:
		answer_result(c, dgram ? dgram_to_from(c, true, blocking_wait) : stream_sendto(c));
		return;
	case SYS_recvfrom:
		if (!dgram)
			break;
		answer_result(c, dgram_to_from(c, false, blocking_wait));
		return;
	case SYS_sendmsg:
	case SYS_recvmsg:
		if (!dgram)
			break;
		answer_result(c, dgram_msg(c, c->args[1], (int)c->args[2], c->nr == SYS_sendmsg,
					   blocking_wait));
		return;
	case SYS_sendmmsg:
	case SYS_recvmmsg:
		if (!dgram)
			break;
		answer_result(c, do_mmsg(c, c->nr == SYS_sendmmsg, blocking_wait));
		return;
	}
	/* A stream socket's data call (recvmsg, sendmsg...): the descriptor itself does it. */
	pass_on(c);
}

/* ----------------------------------------------------------- receivers -- */

/*
 * A listener is served by a pool of receiver threads, each blocked in
 * SECCOMP_IOCTL_NOTIF_RECV until a call comes; the thread that takes a call
 * does it, so no call crosses threads. One that is about to wait (a
 * blocking accept, connect or receive) first makes sure another thread is
 * receiving. Threads beyond SPARE_RECEIVERS idle ones leave after their call.
 */
struct listener {
	struct nc_sup *sup;
	int fd;
	char name[64];
	pthread_mutex_t lock;
	unsigned threads, idle;
	bool dead;			/* nobody is under the filter any more */
	pthread_t tid[MAX_WORKERS];
	bool used[MAX_WORKERS];
};

static void *receiver(void *arg);

/* spawn() - one more receiver for @l (its lock held); false when none can be had. */
static bool spawn(struct listener *l)
{
	pthread_attr_t attr;
	unsigned i;
	bool ok;

	for (i = 0; i < MAX_WORKERS && l->used[i]; i++)
		;
	if (i == MAX_WORKERS)
		return false;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	ok = pthread_create(&l->tid[i], &attr, receiver, l) == 0;
	pthread_attr_destroy(&attr);
	if (ok) {
		l->used[i] = true;
		l->threads++;
	}
	return ok;
}

/* leave() - the calling receiver is done; the last one out closes the listener. */
static void leave(struct listener *l)
{
	pthread_t self = pthread_self();
	unsigned i;
	bool last;

	pthread_mutex_lock(&l->lock);
	for (i = 0; i < MAX_WORKERS; i++)
		if (l->used[i] && pthread_equal(l->tid[i], self))
			l->used[i] = false;
	last = --l->threads == 0 && l->dead;
	pthread_mutex_unlock(&l->lock);
	if (last) {
		close(l->fd);
		free(l);
	}
}

/* take() - one notification into @c; false when the listener is dead or failing. */
static bool take(struct listener *l, struct seccomp_notif *n, struct call *c)
{
	for (;;) {
		memset(n, 0, l->sup->notif_size);
		if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_RECV, n) == 0)
			break;
		if (errno == ENOENT)
			continue;	/* the thread died before we read its call */
		if (errno != EINTR || __atomic_load_n(&l->dead, __ATOMIC_ACQUIRE))
			return false;
	}
	memset(c, 0, sizeof(*c));
	c->listener = l->fd;
	c->id = n->id;
	c->tid = (pid_t)n->pid;
	c->nr = n->data.nr;
	c->arch = n->data.arch;
	memcpy(c->args, n->data.args, sizeof(c->args));
	c->local = -1;
	return true;
}

/*
 * about_to_block() - @c may wait: keep a receiver free for everyone else.
 * False when no thread can be had: the call is then done without waiting
 * (answered EAGAIN-like by the operation itself, never stalling the rest).
 */
static bool about_to_block(struct listener *l)
{
	bool ok = true;

	pthread_mutex_lock(&l->lock);
	if (l->idle == 0)
		ok = spawn(l);
	pthread_mutex_unlock(&l->lock);
	return ok;
}

/*
 * dispatch() - one notification: socket() is ours to make; a call on a
 * descriptor is ours only if the descriptor is a netcon socket.
 */
static void dispatch(struct listener *l, struct call *c)
{
	static bool said_eperm;
	struct stat st;

	/*
	 * Our filter traps only native calls, but an OCI profile covers every
	 * ABI it lists (i386, x32): their numbers and structures are not ours.
	 */
	if (c->arch != NC_NATIVE_ARCH) {
		pass_on(c);
		return;
	}
	if (c->nr == SYS_socket) {
		do_socket(c);
		return;
	}
	c->local = nc_target_getfd(c->tid, (int)c->args[0]);
	if (c->local < 0) {
		if (c->local == -EPERM && !__atomic_exchange_n(&said_eperm, true, __ATOMIC_RELAXED))
			nc_warn("%s: not allowed to reach thread %d's descriptors (ptrace access): "
				"its calls go to the kernel", l->name, (int)c->tid);
		c->local = -1;
		pass_on(c);	/* EBADF and the like: the kernel says it */
		return;
	}
	if (fstat(c->local, &st) == 0 && S_ISSOCK(st.st_mode))
		restore_state(c->local, (uint64_t)st.st_ino);
	if (!nc_sock_lookup(c->local, &c->info)) {
		c->info.ours = false;
		pass_on(c);
		release(c);
		return;
	}
	perform(c, may_block(c) && about_to_block(l));
	release(c);
}

static void *receiver(void *arg)
{
	struct listener *l = arg;
	struct seccomp_notif *n = calloc(1, l->sup->notif_size);
	struct call c;
	bool surplus;

	while (n) {
		pthread_mutex_lock(&l->lock);
		l->idle++;
		pthread_mutex_unlock(&l->lock);
		surplus = !take(l, n, &c);
		pthread_mutex_lock(&l->lock);
		l->idle--;
		pthread_mutex_unlock(&l->lock);
		if (surplus)
			break;
		dispatch(l, &c);
		pthread_mutex_lock(&l->lock);
		surplus = l->idle >= SPARE_RECEIVERS;	/* enough receive already: this one goes */
		pthread_mutex_unlock(&l->lock);
		if (surplus)
			break;
	}
	free(n);
	scratch_free();
	leave(l);
	return NULL;
}

/* ---------------------------------------------------------------- loop -- */

/* on_signal() - only interrupts a receiver's wait (see listener_gone()). */
static void on_signal(int sig)
{
	(void)sig;
}

struct nc_sup *nc_sup_new(void)
{
	struct seccomp_notif_sizes sizes;
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	struct nc_sup *sup;

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes))
		return NULL;
	sup = calloc(1, sizeof(*sup));
	if (!sup)
		return NULL;
	sup->notif_size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ?
			  sizes.seccomp_notif : sizeof(struct seccomp_notif);
	sigaction(SIGURG, &sa, NULL);
	nc_ops_init();
	return sup;
}

static int add(struct nc_sup *sup, const struct watch *w)
{
	if (sup->n == MAX_FDS)
		return -EMFILE;
	sup->w[sup->n++] = *w;
	if (w->listener)
		sup->listeners++;
	return 0;
}

int nc_sup_add_listener(struct nc_sup *sup, int listener, const char *name)
{
	struct listener *l = calloc(1, sizeof(*l));
	struct watch w = { .fd = listener, .listener = true };
	int r = l ? 0 : -ENOMEM;

	if (l) {
		l->sup = sup;
		l->fd = listener;
		snprintf(l->name, sizeof(l->name), "%s", name ? name : "program");
		pthread_mutex_init(&l->lock, NULL);
		w.arg = l;
		r = add(sup, &w);
	}
	if (r == 0) {
		pthread_mutex_lock(&l->lock);
		if (!spawn(l))
			r = -EAGAIN;
		pthread_mutex_unlock(&l->lock);
		if (r) {
			sup->n--;	/* add() put it last */
			sup->listeners--;
		}
	}
	if (r) {
		free(l);
		close(listener);
	}
	return r;
}

int nc_sup_watch(struct nc_sup *sup, int fd, void (*ready)(struct nc_sup *sup, int fd, void *arg),
		 void *arg)
{
	struct watch w = { .fd = fd, .ready = ready, .arg = arg };

	return add(sup, &w);
}

unsigned nc_sup_listeners(const struct nc_sup *sup)
{
	return sup->listeners;
}

/*
 * listener_gone() - nobody is under listener @i's filter any more (POLLHUP):
 * its receivers are woken from their wait and leave; the last closes it.
 */
static void listener_gone(struct nc_sup *sup, unsigned i)
{
	struct listener *l = sup->w[i].arg;
	unsigned k;

	pthread_mutex_lock(&l->lock);
	__atomic_store_n(&l->dead, true, __ATOMIC_RELEASE);
	for (k = 0; k < MAX_WORKERS; k++)
		if (l->used[k])
			pthread_kill(l->tid[k], SIGURG);
	pthread_mutex_unlock(&l->lock);
	sup->listeners--;
	sup->w[i] = sup->w[--sup->n];
}

int nc_sup_run(struct nc_sup *sup)
{
	struct pollfd pfd[MAX_FDS];
	unsigned i, n;

	while (sup->n > 0) {
		n = sup->n;
		for (i = 0; i < n; i++) {
			pfd[i].fd = sup->w[i].fd;
			pfd[i].events = sup->w[i].listener ? 0 : POLLIN;	/* receivers take the calls */
			pfd[i].revents = 0;
		}
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* Backwards: listener_gone() moves the last entry into the gone one's place. */
		for (i = n; i-- > 0;) {
			if (!pfd[i].revents)
				continue;
			if (!sup->w[i].listener)
				sup->w[i].ready(sup, sup->w[i].fd, sup->w[i].arg);
			else if (pfd[i].revents & (POLLHUP | POLLERR | POLLNVAL))
				listener_gone(sup, i);
		}
	}
	return 0;
}
