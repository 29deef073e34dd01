/*
 * ops.h - what each socket control call does to a netcon socket, whoever
 * caught it.
 *
 * Two paths catch a program's calls: libnetcon's preloaded wrappers
 * (intercept.c) and the seccomp supervisor (src/seccomp/), which performs a
 * trapped call on its own copy of the program's descriptor (the same open
 * file, got with pidfd_getfd()). Both come here, so the two cannot drift
 * apart. An operation works on a descriptor of the calling process, takes
 * and fills plain memory, and returns its result: a value >= 0, or -errno
 * as the kernel's call would fail (errno itself is the caller's to keep).
 *
 * Per-descriptor state (a datagram socket's framing, a stream socket's
 * marks; see dgram.h) is noted against the descriptor number it was done on;
 * the supervisor carries it across its short-lived copies by socket id.
 */
#ifndef NETCON_OPS_H
#define NETCON_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../common/rpc.h"

/* What we know of a socket, by the inode of its open file. */
struct nc_sock_info {
	uint64_t id;		/* the inode: the service's name for it; 0: empty slot */
	bool ours;
	bool listening;
	bool connected;		/* came from accept() or a connect() that succeeded */
	int domain;
	int type;		/* SOCK_STREAM or SOCK_DGRAM */
};

/* accept's internal flag: never block (the supervisor waited for readiness itself). */
#define NC_ACCEPT_DONTWAIT 0x40000000

/* Set up the RPC client and the datagram path; idempotent. */
void nc_ops_init(void);

/*
 * Is @fd a netcon socket? Fills @info and returns true if so. One fstat()
 * when the answer is cached, an RPC the first time an unknown Unix stream
 * or SEQPACKET socket is seen.
 */
bool nc_sock_lookup(int fd, struct nc_sock_info *info);
/* Would socket(@domain, @type, @protocol) make a netcon socket? */
bool nc_op_socket_is_ours(int domain, int type, int protocol);
/* Options that act on the descriptor itself (timeouts, low-water marks...), not the connection. */
bool nc_op_on_real_fd(int level, int name);
/* The program's own end may carry an error flag (a failed connect): read it away. */
void nc_sock_clear_error(int fd);

/* socket(): the new descriptor, or -errno (-ENETDOWN: no service answered). */
int nc_op_socket(int domain, int type, int protocol);
int nc_op_bind(int fd, const struct nc_sock_info *info, const struct sockaddr *addr, socklen_t len);
int nc_op_listen(int fd, const struct nc_sock_info *info, int backlog);
/* accept4(): the new descriptor or -errno; @flags: SOCK_NONBLOCK, SOCK_CLOEXEC, NC_ACCEPT_DONTWAIT. */
int nc_op_accept(int fd, const struct nc_sock_info *info, struct sockaddr *addr,
		 socklen_t *addrlen, int flags);
/* connect(): a blocking one waits in the service's reply (call it where waiting is allowed). */
int nc_op_connect(int fd, const struct nc_sock_info *info, const struct sockaddr *addr,
		  socklen_t len);
/* getsockname() (@op NC_OP_GETSOCKNAME) or getpeername() (NC_OP_GETPEERNAME). */
int nc_op_name(enum nc_op op, int fd, const struct nc_sock_info *info, struct sockaddr *addr,
	       socklen_t *addrlen);
int nc_op_getsockopt(int fd, const struct nc_sock_info *info, int level, int name, void *val,
		     socklen_t *len);
int nc_op_setsockopt(int fd, const struct nc_sock_info *info, int level, int name,
		     const void *val, socklen_t len);
int nc_op_shutdown(int fd, const struct nc_sock_info *info, int how);
/*
 * The error a stream connection ended with, as the service reports it once
 * (a reset, a refused connect...), or 0 when there is none left.
 */
int nc_op_pending_error(int fd, const struct nc_sock_info *info);

#endif
