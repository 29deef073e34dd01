/*
 * filter.c - the BPF program of the seccomp path.
 *
 * Trapped (SECCOMP_RET_USER_NOTIF): socket() for AF_INET and AF_INET6 only
 * (its domain is a register, so the filter can test it), the control calls
 * on a descriptor (connect, bind, listen, accept, accept4, getsockname,
 * getpeername, getsockopt, setsockopt, shutdown), ioctl() for FIONREAD and
 * SIOCOUTQ only (a request is a register too), and what unconnected
 * datagram sockets need framed: sendto() and recvfrom() only when they carry
 * an address pointer (send() and recv() go through them with none),
 * sendmsg(), recvmsg(), sendmmsg(), recvmmsg(). Never read, write, readv,
 * writev, sendfile, splice, poll or epoll: a stream socket's data goes
 * straight to the program's descriptor. Everything else, and every call of
 * another architecture's ABI (x32, i386 on x86_64), is allowed as it is.
 *
 * Written by hand rather than with libseccomp: Debian 12's libseccomp 2.5.4
 * cannot ask for SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "filter.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#if defined(__x86_64__)
#define NC_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NC_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "netcon's seccomp filter knows x86_64 and aarch64"
#endif

#define ARG_LO(i) (offsetof(struct seccomp_data, args[i]))
#define ARG_HI(i) (offsetof(struct seccomp_data, args[i]) + 4)

/* Trapped whatever their arguments. */
static const struct { unsigned nr; const char *name; } always[] = {
	{ SYS_connect, "connect" }, { SYS_bind, "bind" }, { SYS_listen, "listen" },
	{ SYS_accept, "accept" }, { SYS_accept4, "accept4" },
	{ SYS_getsockname, "getsockname" }, { SYS_getpeername, "getpeername" },
	{ SYS_getsockopt, "getsockopt" }, { SYS_setsockopt, "setsockopt" },
	{ SYS_shutdown, "shutdown" }, { SYS_sendmsg, "sendmsg" }, { SYS_recvmsg, "recvmsg" },
	{ SYS_sendmmsg, "sendmmsg" }, { SYS_recvmmsg, "recvmmsg" },
};
#define N_ALWAYS (sizeof(always) / sizeof(always[0]))

const char *nc_filter_trapped_name(unsigned i)
{
	return i < N_ALWAYS ? always[i].name : NULL;
}

#define STMT(code, k) ((struct sock_filter)BPF_STMT(code, k))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP(code, k, jt, jf))

int nc_filter_install(bool killable)
{
	struct sock_filter prog[64];
	struct sock_fprog fprog;
	unsigned n = 0, i, notify, allow;
	unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER;
	long fd;

	/*
	 * Layout: [arch check] [nr] [one jump per always-trapped call]
	 * [socket: test domain] [sendto, recvfrom: test the address pointer]
	 * allow: RET ALLOW; notify: RET USER_NOTIF. Jumps are forward offsets,
	 * filled in once the two return instructions' places are known.
	 */
	prog[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, NC_AUDIT_ARCH, 1, 0);
	prog[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	/* The always-trapped calls: jt to notify (patched below). */
	unsigned first_always = n;
	for (i = 0; i < N_ALWAYS; i++)
		prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, always[i].nr, 0, 0);
	/* socket(domain...): AF_INET or AF_INET6 (the low word; the high must be 0). */
	unsigned socket_at = n;
	prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 0 /* ioctl */);
	prog[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, ARG_HI(0));
	prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0 /* allow */);
	prog[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0));
	prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 0 /* notify */, 0);
	prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 0 /* notify */, 0 /* allow */);
	/*
	 * ioctl(fd, FIONREAD or SIOCOUTQ): a datagram socket's next payload, a
	 * listener's refusal (the request is an int: the low word).
	 */
	unsigned ioctl_at = n;
	prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 0 /* the address tests */);
	prog[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1));
	prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, FIONREAD, 0 /* notify */, 0);
	prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCOUTQ, 0 /* notify */, 0 /* allow */);
	/* sendto/recvfrom(fd, buf, len, flags, addr, ...): only with an address. */
	unsigned addr_at = n;
	prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sendto, 1, 0);
	prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_recvfrom, 0, 0 /* allow */);
	prog[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(4));
	prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0 /* notify */);
	prog[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, ARG_HI(4));
	prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0 /* allow */, 0 /* notify */);
	allow = n;
	prog[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	notify = n;
	prog[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);

#define TO(from, to) ((uint8_t)((to) - (from) - 1))
	for (i = first_always; i < first_always + N_ALWAYS; i++)
		prog[i].jt = TO(i, notify);
	prog[socket_at].jf = TO(socket_at, ioctl_at);
	prog[socket_at + 2].jf = TO(socket_at + 2, allow);
	prog[socket_at + 4].jt = TO(socket_at + 4, notify);
	prog[socket_at + 5].jt = TO(socket_at + 5, notify);
	prog[socket_at + 5].jf = TO(socket_at + 5, allow);
	prog[ioctl_at].jf = TO(ioctl_at, addr_at);
	prog[ioctl_at + 2].jt = TO(ioctl_at + 2, notify);
	prog[ioctl_at + 3].jt = TO(ioctl_at + 3, notify);
	prog[ioctl_at + 3].jf = TO(ioctl_at + 3, allow);
	prog[addr_at + 1].jf = TO(addr_at + 1, allow);
	prog[addr_at + 3].jf = TO(addr_at + 3, notify);
	prog[addr_at + 5].jt = TO(addr_at + 5, allow);
	prog[addr_at + 5].jf = TO(addr_at + 5, notify);
#undef TO

	fprog.len = (unsigned short)n;
	fprog.filter = prog;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (killable) {
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			     flags | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &fprog);
		if (fd >= 0)
			return (int)fd;
		if (errno != EINVAL)
			return -errno;
	}
	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
	return fd < 0 ? -errno : (int)fd;
}
