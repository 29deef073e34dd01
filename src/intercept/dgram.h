/*
 * dgram.h - libnetcon's datagram sockets (UDP): which descriptors are ours,
 * and the data calls that add or strip the per-datagram header.
 *
 * Stream sockets need nothing here: their data calls go straight to the
 * descriptor. A datagram socket that is not connected carries a header with
 * each datagram (see src/common/dgram.h), so every receive call on it must
 * strip it and every send add it. Telling such a descriptor from any other
 * must cost no system call: a byte per descriptor number, set when the socket
 * is made, connected, duplicated or inherited, cleared when it is closed.
 */
#ifndef NETCON_INTERCEPT_DGRAM_H
#define NETCON_INTERCEPT_DGRAM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define NC_DGRAM_FDS	65536	/* descriptors tracked by number; above, by lookup */

enum nc_dgram_mode {
	NC_DG_NONE = 0,		/* not a netcon datagram socket (or above NC_DGRAM_FDS) */
	NC_DG_FRAMED,		/* unconnected: every datagram has a header */
	NC_DG_PLAIN,		/* connected: payload only */
	/*
	 * Not a datagram socket: a stream socket of ours that is not connected
	 * (fresh, bound or listening). Its socketpair would block a read and
	 * swallow a write, where the kernel says ENOTCONN and EPIPE: data
	 * calls on it take intercept.c's slow path (stream_idle()).
	 */
	NC_ST_IDLE,
	/*
	 * A stream socket of ours that connected (or was accepted) in this
	 * process: sends go with MSG_NOSIGNAL, so that a send after the
	 * connection failed says its error, as the kernel's does, before any
	 * EPIPE and SIGPIPE (intercept.c's stream_send_failed()).
	 */
	NC_ST_CONN,
	/*
	 * The same, after a non-blocking connect: the service shrank the
	 * program's end's send buffer to hold it unwritable meanwhile; the
	 * first send grows it back (intercept.c's stream_grow()).
	 */
	NC_ST_CONN_SMALL,
};

extern uint8_t nc_dgram_modes[NC_DGRAM_FDS];

/* nc_fd_mode() - what the byte of @fd says (NC_DG_NONE above NC_DGRAM_FDS). */
static inline enum nc_dgram_mode nc_fd_mode(int fd)
{
	if ((unsigned)fd >= NC_DGRAM_FDS)
		return NC_DG_NONE;
	return (enum nc_dgram_mode)__atomic_load_n(&nc_dgram_modes[fd], __ATOMIC_RELAXED);
}

/* nc_dgram_mode() - the framing of @fd's datagrams; NC_DG_NONE for every other descriptor. */
static inline enum nc_dgram_mode nc_dgram_mode(int fd)
{
	enum nc_dgram_mode m = nc_fd_mode(fd);

	return m >= NC_ST_IDLE ? NC_DG_NONE : m;
}

/* nc_stream_marked_idle() - is @fd marked as an unconnected stream socket of ours? */
static inline bool nc_stream_marked_idle(int fd)
{
	return nc_fd_mode(fd) == NC_ST_IDLE;
}

/* Note @fd as a netcon datagram socket of @domain, framed or connected to @peer. */
void nc_dgram_track(int fd, uint64_t id, int domain, enum nc_dgram_mode mode,
		    const struct sockaddr *peer, socklen_t peerlen);
/* Mark (or unmark) @fd as an unconnected stream socket of ours (NC_ST_IDLE). */
void nc_stream_mark_idle(int fd, bool idle);
/* Mark @fd as a connected stream socket of ours (NC_ST_CONN, or NC_ST_CONN_SMALL if @small). */
void nc_stream_mark_connected(int fd, bool small);

/* nc_stream_marked_connected() - does @fd carry NC_ST_CONN or NC_ST_CONN_SMALL? */
static inline bool nc_stream_marked_connected(int fd)
{
	enum nc_dgram_mode m = nc_fd_mode(fd);

	return m == NC_ST_CONN || m == NC_ST_CONN_SMALL;
}
/* @fd was closed or replaced: forget it. */
void nc_dgram_forget(int fd);
void nc_dgram_forget_range(unsigned first, unsigned last);
/* @newfd is a copy of @oldfd (dup, dup2, fcntl F_DUPFD). */
void nc_dgram_copy(int oldfd, int newfd);
/*
 * All a descriptor's bookkeeping here, to carry it from one descriptor to
 * another of the same socket: the seccomp supervisor works on a fresh copy
 * of the program's descriptor for each call.
 */
struct nc_dgram_state {
	uint8_t mode;		/* enum nc_dgram_mode; NC_DG_NONE: nothing kept */
	uint8_t blob[80];	/* dgram.c's record */
};
void nc_dgram_save(int fd, struct nc_dgram_state *state);
void nc_dgram_restore(int fd, const struct nc_dgram_state *state);
/* Receive options the program turned on (IP_PKTINFO...): NC_DGRAM_* bits to report. */
void nc_dgram_set_report(int fd, unsigned bits, bool on);
/* What sends must check without asking the service. */
#define NC_DGF_V6ONLY		0x01	/* IPV6_V6ONLY: no IPv4 destinations */
#define NC_DGF_BROADCAST	0x02	/* SO_BROADCAST: 255.255.255.255 allowed */
#define NC_DGF_BOUND		0x04	/* has a local port (a failed send need not bind it) */
#define NC_DGF_RDSHUT		0x08	/* shutdown(SHUT_RD): end-of-file is the program's own */
#define NC_DGF_ICMP		0x10	/* an ICMP echo socket: destinations carry no port */
void nc_dgram_set_flag(int fd, unsigned flag, bool on);
/* What the service's link reaches, from a datagram SOCKET reply (see sock.c's routes_reply). */
void nc_dgram_learn_routes(const void *a4, unsigned prefix4, const void *a6, unsigned prefix6,
			   unsigned gateways);
/* A failed send still binds the socket, as Linux's do (see dgram.c). */
extern int (*nc_dgram_autobind)(int fd);

/* The data calls on a descriptor whose mode is not NC_DG_NONE; -1 with errno on failure. */
ssize_t nc_dgram_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t nc_dgram_recvmsg(int fd, struct msghdr *msg, int flags);
int nc_dgram_sendmmsg(int fd, struct mmsghdr *vec, unsigned n, int flags);
int nc_dgram_recvmmsg(int fd, struct mmsghdr *vec, unsigned n, int flags, struct timespec *timeout);
/* FIONREAD's answer for @fd: the next datagram's payload size. */
int nc_dgram_fionread(int fd, int *value);
/* Largest payload a datagram socket of @domain may send (EMSGSIZE above). */
size_t nc_dgram_max(int domain);

#endif
